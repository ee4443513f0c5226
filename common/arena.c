/*
 * arena - chunked bump allocation, freed all at once. See arena.h.
 *
 * The arena's own state lives at the start of its first chunk, so that an
 * arena that fits its first chunk costs exactly one malloc(). Chunks form
 * one list; the newest ordinary chunk is the one being filled ("head"),
 * and whatever is left at the end of an older one is not used again.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define ARENA_ALIGN _Alignof(max_align_t)
#define ARENA_MIN_CHUNK 1024
/*
 * Each thread keeps the first chunk of the last arena it freed, up to this
 * size, for its next arena_new(): a parser that makes one arena per message
 * then costs no malloc() at all. Freed when the thread ends. Not under
 * AddressSanitizer, which is to see every use after free.
 */
#if defined(__SANITIZE_ADDRESS__) /* gcc */
#define ARENA_KEEP_MAX 0
#elif defined(__has_feature) /* clang */
#if __has_feature(address_sanitizer)
#define ARENA_KEEP_MAX 0
#endif
#endif
#ifndef ARENA_KEEP_MAX
#define ARENA_KEEP_MAX (256 * 1024)
#endif

struct arena_chunk {
	struct arena_chunk *next;
	max_align_t data[]; /* aligned for anything */
};

struct arena {
	struct arena_chunk *chunks; /* every chunk, newest first */
	char *next, *end;           /* free space in the chunk being filled */
	char *last;                 /* the latest allocation from that space, or NULL */
	size_t chunk;               /* size of the next ordinary chunk */
	size_t first;               /* bytes of the first chunk's data, a included */
};

static pthread_key_t arena_kept; /* per thread: a first chunk kept, or NULL */
static pthread_once_t arena_kept_once = PTHREAD_ONCE_INIT;
static int arena_kept_ok;

static void arena_kept_init(void)
{
	arena_kept_ok = pthread_key_create(&arena_kept, free) == 0;
}

/* The kept chunk of this thread when it has at least size bytes of data. */
static struct arena_chunk *arena_take_kept(size_t size, size_t *have)
{
	struct arena_chunk *c;

	if (pthread_once(&arena_kept_once, arena_kept_init) != 0 || !arena_kept_ok ||
	    (c = pthread_getspecific(arena_kept)) == NULL)
		return NULL;
	memcpy(have, c->data, sizeof(*have));
	if (*have < size || pthread_setspecific(arena_kept, NULL) != 0)
		return NULL;
	return c;
}

/* Keep c (size bytes of data) for this thread's next arena, or free it. */
static void arena_keep(struct arena_chunk *c, size_t size)
{
	struct arena_chunk *old;
	size_t oldsize = 0;

	if (size > ARENA_KEEP_MAX || pthread_once(&arena_kept_once, arena_kept_init) != 0 ||
	    !arena_kept_ok) {
		free(c);
		return;
	}
	if ((old = pthread_getspecific(arena_kept)) != NULL)
		memcpy(&oldsize, old->data, sizeof(oldsize));
	/* a larger chunk serves more messages: keep the larger */
	memcpy(c->data, &size, sizeof(size));
	if (oldsize >= size || pthread_setspecific(arena_kept, c) != 0) {
		free(c);
		return;
	}
	free(old);
}

/* n (at least 1) rounded up to the alignment; 0 when that overflows. */
static size_t arena_round(size_t n)
{
	if (n > SIZE_MAX - ARENA_ALIGN)
		return 0;
	if (n == 0)
		n = 1;
	return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

static struct arena_chunk *arena_chunk_new(size_t size)
{
	if (size > SIZE_MAX - sizeof(struct arena_chunk))
		return NULL;
	return malloc(sizeof(struct arena_chunk) + size);
}

struct arena *arena_new(size_t size)
{
	size_t self = arena_round(sizeof(struct arena)), room = arena_round(size), have;
	struct arena_chunk *c;
	struct arena *a;

	if (room == 0)
		return NULL;
	if (room < ARENA_MIN_CHUNK)
		room = ARENA_MIN_CHUNK;
	if (room > SIZE_MAX - self)
		return NULL;
	if ((c = arena_take_kept(self + room, &have)) != NULL)
		room = have - self;
	else if ((c = arena_chunk_new(self + room)) == NULL)
		return NULL;
	c->next = NULL;
	a = (struct arena *)c->data;
	a->chunks = c;
	a->next = (char *)c->data + self;
	a->end = a->next + room;
	a->last = NULL;
	a->chunk = room < SIZE_MAX / 2 ? 2 * room : room;
	a->first = self + room;
	return a;
}

/* need (rounded, > 0) bytes that do not fit the chunk being filled */
static void *arena_alloc_slow(struct arena *a, size_t need)
{
	struct arena_chunk *c;

	if (need > a->chunk / 4) {
		/* a chunk of its own, behind the one being filled */
		if ((c = arena_chunk_new(need)) == NULL)
			return NULL;
		c->next = a->chunks->next;
		a->chunks->next = c;
		return c->data;
	}
	if ((c = arena_chunk_new(a->chunk)) == NULL)
		return NULL;
	c->next = a->chunks;
	a->chunks = c;
	a->next = (char *)c->data + need;
	a->end = (char *)c->data + a->chunk;
	a->last = (char *)c->data;
	if (a->chunk < SIZE_MAX / 2)
		a->chunk *= 2;
	return c->data;
}

void *arena_alloc(struct arena *a, size_t n)
{
	size_t need = arena_round(n);
	char *p;

	if (need == 0)
		return NULL;
	if (need > (size_t)(a->end - a->next)) {
		a->last = NULL;
		return arena_alloc_slow(a, need);
	}
	p = a->next;
	a->next += need;
	a->last = p;
	return p;
}

void *arena_calloc(struct arena *a, size_t nmemb, size_t size)
{
	void *p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		return NULL;
	if ((p = arena_alloc(a, nmemb * size)) != NULL)
		memset(p, 0, nmemb * size);
	return p;
}

void *arena_grow(struct arena *a, void *old, size_t oldn, size_t newn)
{
	size_t need = arena_round(newn);
	void *p;

	if (old == NULL)
		return arena_alloc(a, newn);
	if (newn <= oldn)
		return old;
	if (need == 0)
		return NULL;
	/* the latest allocation: take more of the space that follows it */
	if ((char *)old == a->last && need <= (size_t)(a->end - a->last)) {
		a->next = a->last + need;
		return old;
	}
	if ((p = arena_alloc(a, newn)) != NULL)
		memcpy(p, old, oldn);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX || (p = arena_alloc(a, n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

void arena_free(struct arena *a)
{
	struct arena_chunk *c, *next, *first;
	size_t size;

	if (a == NULL)
		return;
	/* a itself lives in the first chunk, which goes last */
	first = (struct arena_chunk *)((char *)a - offsetof(struct arena_chunk, data));
	size = a->first;
	for (c = a->chunks; c != NULL; c = next) {
		next = c->next;
		if (c != first)
			free(c);
	}
	arena_keep(first, size);
}
