/*
 * addr - address normalisation. See addr.h.
 */
#include <stdint.h>
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

/*
 * Eight bytes at a time, for most bytes of an address are letters, digits
 * and dots: lowercase the eight bytes at s into out and return how many
 * '@' they hold (0 or 1), unless one of them may be special (below '!',
 * '<' to '?', DEL) or two are '@': then -1, and the byte loop must judge
 * them. Per byte: b & 0x7f plus a constant
 * below 0x80 never carries into the next byte, and bit 7 of the sum says
 * b & 0x7f reached 0x80 minus that constant; bytes from 0x80 up are never
 * special and never change.
 */
#define ADDR_ONES 0x0101010101010101ULL
#define ADDR_HIGH (0x80 * ADDR_ONES)

static int addr_lower8(const char *s, char *out)
{
	uint64_t w, t, ge21, ge3c, ge40, ge41, ge5b, is7f, ats;

	memcpy(&w, s, 8);
	t = w & ~ADDR_HIGH;
	ge21 = t + (0x80 - 0x21) * ADDR_ONES;
	ge3c = t + (0x80 - 0x3c) * ADDR_ONES;
	ge40 = t + (0x80 - 0x40) * ADDR_ONES;
	ge41 = t + (0x80 - 0x41) * ADDR_ONES;
	ge5b = t + (0x80 - 0x5b) * ADDR_ONES;
	is7f = t + ADDR_ONES;
	if (((~ge21 | (ge3c & ~ge40) | is7f) & ~w & ADDR_HIGH) != 0)
		return -1;
	ats = ge40 & ~ge41 & ~w & ADDR_HIGH;
	if ((ats & (ats - 1)) != 0)
		return -1;
	/* 'A' to 'Z': 0x20 more */
	w |= (ge41 & ~ge5b & ~w & ADDR_HIGH) >> 2;
	memcpy(out, &w, 8);
	return ats != 0;
}

/* isspace() in the C locale, without a call for its table. */
static int addr_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

int addr_normalise(const char *in, char *out, size_t outlen)
{
	const char *s = in, *e;
	size_t n, nat = 0;

	if (outlen > 0)
		out[0] = 0;
	if (in == NULL || outlen == 0)
		return -1;
	while (addr_space((unsigned char)*s))
		s++;
	if ((*s == 'r' || *s == 'R') && strncasecmp(s, "rfc822;", 7) == 0) {
		s += 7;
		while (addr_space((unsigned char)*s))
			s++;
	}
	e = s + strlen(s);
	while (e > s && addr_space((unsigned char)e[-1]))
		e--;
	if (e > s && *s == '<' && e[-1] == '>') {
		s++;
		e--;
	}
	n = (size_t)(e - s);
	if (n == 0 || n >= outlen || n >= ADDR_MAX)
		return -1;
	for (size_t i = 0; i < n;) {
		/*
		 * The last bytes, when fewer than eight, as the last eight: those
		 * before i again, which is harmless unless they hold the '@'.
		 */
		size_t end = i + 8 <= n ? i + 8 : n, from = n >= 8 ? end - 8 : i;
		int k = end - from == 8 ? addr_lower8(s + from, out + from) : -1;

		if (k == 0 || (k == 1 && from == i)) {
			nat += (size_t)k;
			i = end;
			continue;
		}
		for (; i < end; i++) {
			unsigned char c = (unsigned char)s[i];

			/* one test for the common byte, which is neither */
			if (addr_special[c] != ADDR_OK) {
				if (addr_special[c] == ADDR_BAD) {
					out[0] = 0;
					return -1;
				}
				nat++;
			}
			/* tolower() in the C locale */
			out[i] = (char)((unsigned)(c - 'A') < 26u ? c | 0x20 : c);
		}
	}
	out[n] = 0;
	/* one '@', with something on each side of it */
	if (nat != 1 || s[0] == '@' || s[n - 1] == '@') {
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
