/*
 * addr - address normalisation. See addr.h.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

/* Bytes an address may not hold (control, space, DEL, angle brackets), and '@'. */
enum { ADDR_OK, ADDR_BAD, ADDR_AT };
/* clang-format off */
static const unsigned char addr_special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* ' ' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, /* '<' '>' */
	2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* '@' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, /* DEL */
};
/* clang-format on */

int addr_normalise(const char *in, char *out, size_t outlen)
{
	const char *s = in, *e;
	size_t n, at = 0, nat = 0;

	if (outlen > 0)
		out[0] = 0;
	if (in == NULL || outlen == 0)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	if ((*s == 'r' || *s == 'R') && strncasecmp(s, "rfc822;", 7) == 0) {
		s += 7;
		while (isspace((unsigned char)*s))
			s++;
	}
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (e > s && *s == '<' && e[-1] == '>') {
		s++;
		e--;
	}
	n = (size_t)(e - s);
	if (n == 0 || n >= outlen || n >= ADDR_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		/* one test for the common byte, which is neither */
		if (addr_special[c] != ADDR_OK) {
			if (addr_special[c] == ADDR_BAD) {
				out[0] = 0;
				return -1;
			}
			at = i;
			nat++;
		}
		/* tolower() in the C locale */
		out[i] = (char)((unsigned)(c - 'A') < 26u ? c | 0x20 : c);
	}
	out[n] = 0;
	if (nat != 1 || at == 0 || at == n - 1) {
		out[0] = 0;
		return -1;
	}
	return 0;
}

const char *addr_domain(const char *normalised)
{
	const char *at = strchr(normalised, '@');

	return at ? at + 1 : normalised + strlen(normalised);
}
