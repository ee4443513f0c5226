/*
 * text - byte-string copies for the parsers. See text.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/*
 * One pass over s: only where the first byte matches (either case) is the
 * rest compared. Bounded by n; NUL bytes in s simply never match.
 */
long text_find_ci(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	unsigned char lo, up;

	if (k == 0)
		return 0;
	if (k > n)
		return -1;
	lo = (unsigned char)tolower((unsigned char)needle[0]);
	up = (unsigned char)toupper((unsigned char)needle[0]);
	for (size_t i = 0; i <= n - k; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c == lo || c == up) && strncasecmp(s + i + 1, needle + 1, k - 1) == 0)
			return (long)i;
	}
	return -1;
}
