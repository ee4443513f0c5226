/*
 * fuzz_reply - the one SMTP reply parser and the classifier on arbitrary
 * text: reply_parse(), reply_find_status(), rules_classify() with the
 * shipped rules, and bounce_classify_line() (bouncetag classify --line).
 *
 * The input is taken as a C string: a copy with a NUL appended, so text
 * after an embedded NUL is simply not seen, as for every caller.
 *
 * Invariants checked (reply.h, rules.h, bounce.h):
 *	- code is 0 or 200..599; status is "" or c.s.d; when both are there
 *	  their classes agree (status "5.x.x" goes with a 5xx code);
 *	- text is never NULL and is normalised: no white space but single
 *	  spaces, none at either end;
 *	- white space is white space: the input with every white space byte
 *	  replaced by a space parses to the same code, status and text (this
 *	  is how a reply on separate lines equals one already joined);
 *	- reply_find_status() gives "" or c.s.d, and finds a status whenever
 *	  reply_parse() did;
 *	- the verdict is one of the six classes with a reason, the same as
 *	  rules_classify_unfiltered() gives (the rule sieve skips only rules
 *	  that cannot match); when no rule decided, it is exactly
 *	  rules_fallback() of the code and status;
 *	- bounce_classify_line() is reply_parse() plus rules_classify(): same
 *	  status, code and verdict, diagnostic as given;
 *	- the text helpers every parser uses (text.h), on the raw bytes NULs
 *	  included: text_dup() copies them exactly; text_squeeze() gives a
 *	  plain C string with single spaces only, trimmed, no longer than its
 *	  cap (chosen from the size; 0: none) or the input; text_find_ci()
 *	  finds what a plain byte-by-byte tolower() search finds (needle: the
 *	  input's first bytes up to a NUL, at most 8; haystack: the rest).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "fuzz_util.h"
#include "reply.h"
#include "rules.h"
#include "text.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rules *shipped;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	shipped = fuzz_rules_shipped();
	return 0;
}

static void check_reply(const struct reply *r)
{
	size_t n;

	FUZZ_ASSERT(r->code == 0 || (r->code >= 200 && r->code <= 599));
	fuzz_check_status(r->status);
	if (r->code != 0 && r->status[0] != 0)
		FUZZ_ASSERT(r->status[0] == '0' + r->code / 100);
	FUZZ_ASSERT(r->text != NULL);
	n = strlen(r->text);
	if (n > 0)
		FUZZ_ASSERT(r->text[0] != ' ' && r->text[n - 1] != ' ');
	for (size_t i = 0; i < n; i++) {
		FUZZ_ASSERT(r->text[i] == ' ' || !isspace((unsigned char)r->text[i]));
		FUZZ_ASSERT(!(r->text[i] == ' ' && r->text[i + 1] == ' '));
	}
}

static void check_text(const uint8_t *data, size_t size)
{
	size_t max = size % 23, n;
	char *d = text_dup((const char *)data, size);
	char *t = text_squeeze((const char *)data, size, max);

	FUZZ_ASSERT(d != NULL && t != NULL);
	FUZZ_ASSERT(memcmp(d, data, size) == 0 && d[size] == 0);
	n = strlen(t);
	FUZZ_ASSERT(n <= size && (max == 0 || n <= max));
	if (n > 0)
		FUZZ_ASSERT(t[0] != ' ' && t[n - 1] != ' ');
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(!isspace((unsigned char)t[i]) || (t[i] == ' ' && t[i + 1] != ' '));
	free(t);
	free(d);
}

/* The obvious search that text_find_ci() must agree with. */
static long find_ci_slow(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++) {
		size_t j = 0;

		while (j < k &&
		       tolower((unsigned char)s[i + j]) == tolower((unsigned char)needle[j]))
			j++;
		if (j == k)
			return (long)i;
	}
	return -1;
}

static void check_find(const uint8_t *data, size_t size)
{
	char needle[9];
	size_t k = 0;

	while (k < size && k < 8 && data[k] != 0)
		k++;
	memcpy(needle, data, k);
	needle[k] = 0;
	if (k < size)
		k++; /* the NUL or the byte after the needle is not searched */
	FUZZ_ASSERT(text_find_ci((const char *)data + k, size - k, needle) ==
	            find_ci_slow((const char *)data + k, size - k, needle));
}

static char *cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = cstring(data, size), *flat = cstring(data, size);
	char found[REPLY_STATUS_MAX];
	struct reply r, rf;
	struct classify_input in;
	struct verdict v, fb;
	struct bounce_result br;

	check_text(data, size);
	check_find(data, size);
	FUZZ_ASSERT(reply_parse(s, &r) == 0);
	check_reply(&r);

	for (size_t i = 0; i < size; i++)
		if (isspace((unsigned char)flat[i]))
			flat[i] = ' ';
	FUZZ_ASSERT(reply_parse(flat, &rf) == 0);
	FUZZ_ASSERT(rf.code == r.code);
	FUZZ_ASSERT(strcmp(rf.status, r.status) == 0);
	FUZZ_ASSERT(strcmp(rf.text, r.text) == 0);
	reply_free(&rf);

	reply_find_status(s, found);
	fuzz_check_status(found);
	if (r.status[0] != 0)
		FUZZ_ASSERT(found[0] != 0);

	in.reply_code = r.code;
	in.status = r.status;
	in.text = r.text;
	in.remote_mta = NULL;
	rules_classify(shipped, &in, &v);
	fuzz_check_verdict(&v);
	rules_classify_unfiltered(shipped, &in, &fb);
	FUZZ_ASSERT(fuzz_same_verdict(&v, &fb));
	rules_fallback(r.code, r.status, &fb);
	fuzz_check_verdict(&fb);
	FUZZ_ASSERT(fb.rule == NULL);
	if (v.rule == NULL)
		FUZZ_ASSERT(fuzz_same_verdict(&v, &fb));

	FUZZ_ASSERT(bounce_classify_line(shipped, s, &br) == 0);
	FUZZ_ASSERT(br.diagnostic != NULL && strcmp(br.diagnostic, s) == 0);
	FUZZ_ASSERT(strcmp(br.status, r.status) == 0);
	FUZZ_ASSERT(br.reply_code == r.code);
	FUZZ_ASSERT(br.recipient == NULL);
	FUZZ_ASSERT(fuzz_same_verdict(&br.verdict, &v));
	bounce_result_free(&br);

	reply_free(&r);
	free(flat);
	free(s);
	return 0;
}
