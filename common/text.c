/*
 * text - byte-string copies for the parsers. See text.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

char *text_dup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *text_squeeze(const char *s, size_t n, size_t max)
{
	size_t cap = (max && max < n) ? max : n, j = 0;
	char *out = malloc(cap + 1);
	int space = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (isspace((unsigned char)s[i]) || s[i] == 0) {
			space = 1;
			continue;
		}
		if (j + (space && j > 0) + 1 > cap)
			break;
		if (space && j > 0)
			out[j++] = ' ';
		space = 0;
		out[j++] = s[i];
	}
	out[j] = 0;
	return out;
}
