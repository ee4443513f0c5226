/*
 * arena - memory for the many small objects of one parse, freed at once.
 *
 * Synopsis:
 *	struct arena *a = arena_new(4096);
 *	struct thing *t = arena_alloc(a, sizeof(*t));
 *	char *s = arena_strndup(a, src, n);
 *	items = arena_grow(a, items, cap * sizeof(*items), 2 * cap * sizeof(*items));
 *	arena_free(a);
 *
 * Description:
 *	An arena hands out memory from large chunks by moving a pointer; it
 *	is never given back piece by piece, only all together by
 *	arena_free(). A parse that makes hundreds of objects thus costs a
 *	few malloc() calls instead of hundreds, and freeing its result is
 *	one walk over the chunks.
 *
 *	arena_new(size) makes an arena whose first chunk holds about size
 *	bytes: a caller that knows roughly how much it will need (a parser:
 *	a multiple of its input) gets it all from one malloc(). Later chunks
 *	double in size; a request larger than a quarter of the next chunk
 *	gets a chunk of its own, so little is wasted at a chunk's end.
 *
 *	arena_alloc() memory is aligned for any object and not cleared;
 *	arena_calloc() clears it and checks nmemb * size for overflow.
 *	arena_grow() is realloc() for arena memory: the most recent
 *	allocation grows in place when the chunk has room, anything else is
 *	copied (the old copy stays until arena_free()). arena_strndup() copies
 *	n bytes and adds a NUL.
 *
 * Diagnostics: every allocator returns NULL when memory runs out; the arena
 *	stays valid and arena_free() still frees everything.
 */
#ifndef BT_ARENA_H
#define BT_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(size_t size);
void *arena_alloc(struct arena *a, size_t n);
void *arena_calloc(struct arena *a, size_t nmemb, size_t size);
void *arena_grow(struct arena *a, void *old, size_t oldn, size_t newn);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void arena_free(struct arena *a);

#endif
