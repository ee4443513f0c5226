/*
 * arena - chunked bump allocation, freed all at once. See arena.h.
 *
 * The arena's own state lives at the start of its first chunk, so that an
 * arena that fits its first chunk costs exactly one malloc(). Chunks form
 * one list; the newest ordinary chunk is the one being filled ("head"),
 * and whatever is left at the end of an older one is not used again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define ARENA_ALIGN _Alignof(max_align_t)
#define ARENA_MIN_CHUNK 1024

struct arena_chunk {
	struct arena_chunk *next;
	max_align_t data[]; /* aligned for anything */
};

struct arena {
	struct arena_chunk *chunks; /* every chunk, newest first */
	char *next, *end;           /* free space in the chunk being filled */
	char *last;                 /* the latest allocation from that space, or NULL */
	size_t chunk;               /* size of the next ordinary chunk */
};

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
	size_t self = arena_round(sizeof(struct arena)), room = arena_round(size);
	struct arena_chunk *c;
	struct arena *a;

	if (room == 0)
		return NULL;
	if (room < ARENA_MIN_CHUNK)
		room = ARENA_MIN_CHUNK;
	if (room > SIZE_MAX - self || (c = arena_chunk_new(self + room)) == NULL)
		return NULL;
	c->next = NULL;
	a = (struct arena *)c->data;
	a->chunks = c;
	a->next = (char *)c->data + self;
	a->end = a->next + room;
	a->last = NULL;
	a->chunk = room < SIZE_MAX / 2 ? 2 * room : room;
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
	struct arena_chunk *c, *next;

	if (a == NULL)
		return;
	/* a itself lives in the oldest chunk: read nothing of it once freeing starts */
	for (c = a->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
}
