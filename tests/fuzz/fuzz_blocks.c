/*
 * fuzz_blocks - mail_parse_blocks(), the delivery-status field parser, on
 * arbitrary bytes: once with the default limits, once with small limits
 * chosen from the input size so that every limit is reached; and
 * dsn_parse_text(), the RFC 3464 reader on the same bytes as plain text.
 *
 * Invariants checked (mail.h, and the limits documented in mail.c):
 *	- at most max_parts blocks, each with one to max_headers fields (a
 *	  block only starts at a field line, so none is empty);
 *	- field names are non-empty tokens without ':' or white space;
 *	  values are unfolded (no line end left), do not start with white
 *	  space, and are at most max_header_bytes long;
 *	- mail_block_get() finds the first field of a name, case-blind;
 *	- line ends do not matter: the text with its line ends rewritten to
 *	  CRLF gives the same blocks (default limits only: max_bytes counts
 *	  raw bytes, so a small max_bytes cuts the two texts differently);
 *	- dsn_parse_text() returns nrcpts, every recipient names a Final- or
 *	  Original-Recipient, and CRLF line ends give the same recipients.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dsn.h"
#include "fuzz_util.h"
#include "mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* mail_block_get() is checked on this many fields per block: it is linear. */
#define GET_CHECKS 16

static struct mail_limits small_limits(size_t size)
{
	struct mail_limits lim = mail_limits_default;

	lim.max_bytes = size > 64 ? size - size % 61 : size + 1;
	lim.max_parts = 1 + size % 5;
	lim.max_headers = 1 + size % 7;
	lim.max_header_bytes = 1 + size % 53;
	return lim;
}

static void check_blocks(const struct mail_block *bl, size_t nb, const struct mail_limits *lim)
{
	FUZZ_ASSERT(nb <= lim->max_parts);
	FUZZ_ASSERT(nb == 0 || bl != NULL);
	for (size_t i = 0; i < nb; i++) {
		const struct mail_block *b = &bl[i];

		FUZZ_ASSERT(b->nfields >= 1 && b->nfields <= lim->max_headers);
		for (size_t j = 0; j < b->nfields; j++) {
			const struct mail_header *h = &b->fields[j];
			size_t vl;

			FUZZ_ASSERT(h->name != NULL && h->name[0] != 0 && h->value != NULL);
			for (const char *c = h->name; *c; c++)
				FUZZ_ASSERT((unsigned char)*c > ' ' && (unsigned char)*c < 127 &&
				            *c != ':');
			vl = strlen(h->value);
			FUZZ_ASSERT(vl <= lim->max_header_bytes);
			FUZZ_ASSERT(strpbrk(h->value, "\r\n") == NULL);
			/* the end may be white space when a NUL byte cuts the value */
			FUZZ_ASSERT(h->value[0] != ' ' && h->value[0] != '\t');
		}
		for (size_t j = 0; j < b->nfields && j < GET_CHECKS; j++) {
			const char *got = mail_block_get(b, b->fields[j].name);
			size_t first = 0;

			while (strcasecmp(b->fields[first].name, b->fields[j].name) != 0)
				first++;
			FUZZ_ASSERT(got == b->fields[first].value);
		}
	}
	FUZZ_ASSERT(mail_block_get(NULL, "Status") == NULL);
}

static void check_same(const struct mail_block *a, size_t na, const struct mail_block *b, size_t nb)
{
	FUZZ_ASSERT(na == nb);
	for (size_t i = 0; i < na; i++) {
		FUZZ_ASSERT(a[i].nfields == b[i].nfields);
		for (size_t j = 0; j < a[i].nfields; j++) {
			FUZZ_ASSERT(strcmp(a[i].fields[j].name, b[i].fields[j].name) == 0);
			FUZZ_ASSERT(strcmp(a[i].fields[j].value, b[i].fields[j].value) == 0);
		}
	}
}

static int same_str(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static void check_report(const struct dsn_report *rep, int n)
{
	FUZZ_ASSERT(n >= 0 && (size_t)n == rep->nrcpts);
	for (size_t i = 0; i < rep->nrcpts; i++)
		FUZZ_ASSERT(rep->rcpts[i].final_recipient != NULL ||
		            rep->rcpts[i].original_recipient != NULL);
}

static void check_same_report(const struct dsn_report *a, const struct dsn_report *b)
{
	FUZZ_ASSERT(a->nrcpts == b->nrcpts);
	for (size_t i = 0; i < a->nrcpts; i++) {
		FUZZ_ASSERT(same_str(a->rcpts[i].final_recipient, b->rcpts[i].final_recipient));
		FUZZ_ASSERT(same_str(a->rcpts[i].status, b->rcpts[i].status));
		FUZZ_ASSERT(same_str(a->rcpts[i].diagnostic, b->rcpts[i].diagnostic));
	}
}

/* Every line end (CRLF, lone CR, lone LF) made CRLF. */
static char *to_crlf(const uint8_t *data, size_t size, size_t *outlen)
{
	char *out = malloc(2 * size + 1);
	size_t j = 0;

	if (out == NULL)
		abort();
	for (size_t i = 0; i < size; i++) {
		if (data[i] != '\n' && data[i] != '\r') {
			out[j++] = (char)data[i];
			continue;
		}
		if (data[i] == '\r' && i + 1 < size && data[i + 1] == '\n')
			i++;
		out[j++] = '\r';
		out[j++] = '\n';
	}
	*outlen = j;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_limits small = small_limits(size);
	struct mail_block *bl, *bl2;
	size_t nb, nb2, clen;
	struct dsn_report rep, rep2;
	char *crlf;
	int n, n2;

	FUZZ_ASSERT(mail_parse_blocks((const char *)data, size, NULL, &bl, &nb) == 0);
	check_blocks(bl, nb, &mail_limits_default);

	crlf = to_crlf(data, size, &clen);
	FUZZ_ASSERT(mail_parse_blocks(crlf, clen, NULL, &bl2, &nb2) == 0);
	check_same(bl, nb, bl2, nb2);
	mail_blocks_free(bl2, nb2);
	mail_blocks_free(bl, nb);

	n = dsn_parse_text((const char *)data, size, &rep);
	check_report(&rep, n);
	n2 = dsn_parse_text(crlf, clen, &rep2);
	check_report(&rep2, n2);
	check_same_report(&rep, &rep2);
	if (n > 0)
		dsn_free(&rep);
	if (n2 > 0)
		dsn_free(&rep2);
	free(crlf);

	FUZZ_ASSERT(mail_parse_blocks((const char *)data, size, &small, &bl, &nb) == 0);
	check_blocks(bl, nb, &small);
	mail_blocks_free(bl, nb);
	return 0;
}
