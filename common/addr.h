/*
 * addr - the one address normaliser.
 *
 * Synopsis:
 *	char a[ADDR_MAX];
 *	if (addr_normalise(" <Kijitora@Example.COM> ", a, sizeof(a)) == 0) ...
 *	-> "kijitora@example.com"
 *
 * Description:
 *	Removes an "rfc822;" address-type prefix, surrounding white space and
 *	angle brackets, and lowercases the whole address (local parts are
 *	case-sensitive in theory and case-blind at every provider that matters;
 *	one suppression per mailbox is what operators expect). The result must
 *	have exactly one '@' with something on both sides, no white space or
 *	control characters, and fit in ADDR_MAX bytes with its NUL.
 *	addr_domain() returns a pointer to the domain of a normalised address.
 *
 * Diagnostics: addr_normalise() returns 0, or -1 when the input is not an
 *	address by the rules above (out is then "").
 */
#ifndef BT_ADDR_H
#define BT_ADDR_H

#include <stddef.h>

#define ADDR_MAX 320

int addr_normalise(const char *in, char *out, size_t outlen);
const char *addr_domain(const char *normalised);

#endif
