/*
 * text - the two byte-string helpers every parser here needs, in one place.
 *
 * Synopsis:
 *	char *v = text_dup(s, n);          copy of n bytes (NULs kept), NUL-terminated
 *	char *t = text_squeeze(s, n, 512); white space runs -> one space, trimmed,
 *	                                   at most 512 bytes of text
 *	long at = text_find_ci(s, n, "final-recipient:");
 *
 * Both return a malloc'd string the caller frees, or NULL when memory runs
 * out. text_squeeze() treats NUL bytes as white space, so what comes out
 * of untrusted input is always a plain C string; max 0 means no cap.
 */
#ifndef BT_TEXT_H
#define BT_TEXT_H

#include <stddef.h>

char *text_dup(const char *s, size_t n);
char *text_squeeze(const char *s, size_t n, size_t max);
/* Case-blind (ASCII) search for needle in n bytes of s: offset, or -1. */
long text_find_ci(const char *s, size_t n, const char *needle);

#endif
