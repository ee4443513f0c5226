/*
 * text - the byte-string helpers every parser here needs, in one place.
 *
 * Synopsis:
 *	char *v = text_dup(s, n);          copy of n bytes (NULs kept), NUL-terminated
 *	char *t = text_squeeze(s, n, 512); white space runs -> one space, trimmed,
 *	                                   at most 512 bytes of text
 *	long at = text_find_ci(s, n, "final-recipient:");
 *
 *	static const char *const words[] = {"has been delayed", "will retry", NULL};
 *	struct text_set set;               (static, made once: see below)
 *	text_set_init(&set, words);
 *	long at = text_set_find(&set, s, n, &which);
 *
 * text_dup() and text_squeeze() return a malloc'd string the caller frees,
 * or NULL when memory runs out. text_squeeze() treats NUL bytes as white
 * space, so what comes out of untrusted input is always a plain C string;
 * max 0 means no cap.
 *
 * Searches are case-blind for ASCII letters only (as strncasecmp() in the
 * C locale), bounded by n rather than by a NUL, and give the offset of the
 * first match or -1. text_set_find() looks for all the words of a set in
 * one pass over s and gives the earliest match of any of them (the lowest
 * word index among those matching there, in *which when it is not NULL).
 * The words must outlive the set (string literals do). A set of more
 * than TEXT_SET_MAX words, or with an empty one (which matches at 0), is
 * searched word by word: the same answers, more slowly. A set is
 * read-only once made, so threads may share one.
 */
#ifndef BT_TEXT_H
#define BT_TEXT_H

#include <stddef.h>

char *text_dup(const char *s, size_t n);
char *text_squeeze(const char *s, size_t n, size_t max);
/* 1 when text_squeeze(s, n, 0) would give s back unchanged (nothing to copy). */
int text_squeezed(const char *s, size_t n);
/* Case-blind (ASCII) search for needle in n bytes of s: offset, or -1. */
long text_find_ci(const char *s, size_t n, const char *needle);

#define TEXT_SET_MAX 32
#define TEXT_SET_HASH 4096 /* buckets of 3-byte blocks */

/* The fields are text.c's; callers only provide the storage. */
struct text_set {
	const char *const *words;
	size_t nwords;
	int plain;                   /* too many words, or an empty one: no table */
	size_t window;               /* shortest long word, capped: the scan window */
	size_t len[TEXT_SET_MAX];    /* of each word */
	size_t anchor[TEXT_SET_MAX]; /* offset of its rarest byte (short words) */
	unsigned last[TEXT_SET_MAX]; /* hash of its block ending the window, or */
	                             /* TEXT_SET_HASH for a short word */
	unsigned char shift[TEXT_SET_HASH];
};

void text_set_init(struct text_set *set, const char *const *words);
long text_set_find(const struct text_set *set, const char *s, size_t n, size_t *which);

#endif
