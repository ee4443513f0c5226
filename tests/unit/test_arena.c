/*
 * test_arena - the per-parse allocator: memory that does not overlap, is
 * aligned, grows in place when it can and keeps its contents when it
 * cannot, and fails cleanly on impossible sizes.
 */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "testutil.h"

static void test_allocations_are_aligned_and_never_overlap(void **state)
{
	struct arena *a = arena_new(100);
	unsigned char *p[2000];
	size_t n[2000];

	(void)state;
	assert_non_null(a);
	/* small and large sizes, past several chunks and own-chunk requests */
	for (size_t i = 0; i < 2000; i++) {
		n[i] = (i * 7919) % (i % 50 == 0 ? 20000 : 300);
		p[i] = arena_alloc(a, n[i]);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % _Alignof(max_align_t), 0);
		memset(p[i], (int)(i & 0xff), n[i]);
	}
	for (size_t i = 0; i < 2000; i++)
		for (size_t j = 0; j < n[i]; j++)
			assert_int_equal(p[i][j], i & 0xff);
	arena_free(a);
}

static void test_the_latest_allocation_grows_in_place(void **state)
{
	struct arena *a = arena_new(4096);
	char *p = arena_alloc(a, 16), *q;

	(void)state;
	memcpy(p, "0123456789abcdef", 16);
	q = arena_grow(a, p, 16, 64);
	assert_ptr_equal(q, p);
	assert_memory_equal(q, "0123456789abcdef", 16);
	/* what comes next does not overlap the grown space */
	q = arena_alloc(a, 8);
	assert_true(q >= p + 64);
	arena_free(a);
}

static void test_an_older_allocation_grows_by_copy(void **state)
{
	struct arena *a = arena_new(4096);
	char *p = arena_alloc(a, 16), *q, *r;

	(void)state;
	memcpy(p, "0123456789abcdef", 16);
	r = arena_alloc(a, 16);
	memset(r, 'r', 16);
	q = arena_grow(a, p, 16, 32);
	assert_ptr_not_equal(q, p);
	assert_memory_equal(q, "0123456789abcdef", 16);
	assert_memory_equal(r, "rrrrrrrrrrrrrrrr", 16);
	/* growing to fit past the chunk copies too, into a new chunk */
	q = arena_grow(a, q, 32, 100000);
	assert_non_null(q);
	assert_memory_equal(q, "0123456789abcdef", 16);
	memset(q, 0, 100000);
	/* shrinking is a no-op; from NULL it is an allocation */
	assert_ptr_equal(arena_grow(a, q, 100000, 10), q);
	assert_non_null(arena_grow(a, NULL, 0, 10));
	arena_free(a);
}

static void test_calloc_clears_and_strndup_terminates(void **state)
{
	struct arena *a = arena_new(64);
	unsigned char *z;
	char *s;

	(void)state;
	/* dirty the memory first, so that clearing is seen */
	memset(arena_alloc(a, 512), 0xee, 512);
	arena_free(a);
	a = arena_new(64);
	z = arena_calloc(a, 100, 5);
	assert_non_null(z);
	for (size_t i = 0; i < 500; i++)
		assert_int_equal(z[i], 0);
	s = arena_strndup(a, "ab\0cd", 5);
	assert_memory_equal(s, "ab\0cd", 6);
	arena_free(a);
}

static void test_impossible_sizes_give_null_and_the_arena_stays_usable(void **state)
{
	struct arena *a = arena_new(64);

	(void)state;
	assert_null(arena_alloc(a, SIZE_MAX));
	assert_null(arena_alloc(a, SIZE_MAX - 8));
	assert_null(arena_calloc(a, SIZE_MAX / 2, 4));
	assert_null(arena_strndup(a, "x", SIZE_MAX));
	assert_null(arena_new(SIZE_MAX));
	assert_non_null(arena_alloc(a, 10));
	assert_non_null(arena_alloc(a, 0));
	arena_free(a);
	a = arena_new(0);
	assert_non_null(a);
	assert_non_null(arena_alloc(a, 2000));
	arena_free(a);
	arena_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_allocations_are_aligned_and_never_overlap),
	    cmocka_unit_test(test_the_latest_allocation_grows_in_place),
	    cmocka_unit_test(test_an_older_allocation_grows_by_copy),
	    cmocka_unit_test(test_calloc_clears_and_strndup_terminates),
	    cmocka_unit_test(test_impossible_sizes_give_null_and_the_arena_stays_usable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
