/*
 * fuzz_rules - rules_load_buf() on arbitrary bytes as a rules file; when
 * the file loads, rules_lint() and rules_classify() on fixed replies.
 *
 * Invariants checked (rules.h):
 *	- a file that does not load says why: err is "NAME:..." and nothing
 *	  is handed out;
 *	- rules_lint() calls report() once per problem it counts, each time
 *	  with the file name and a message, and a line inside the file;
 *	- every verdict is one of the six classes with a reason; classifying
 *	  twice gives the same verdict (a loaded set is immutable), so does a
 *	  set retained twice, and so does rules_classify_unfiltered() (the
 *	  rule sieve skips only rules that cannot match). The replies are
 *	  fixed ones and the file's own text, which holds what its patterns
 *	  look for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.rules"

/* Replies of every class, in the shapes the reply parser hands out. */
static const struct classify_input replies[] = {
    {554, "5.7.1", "<a@b.example>: sender not on approved sender list", NULL},
    {550, "5.7.1", "Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
     "mx.example"},
    {550, "5.1.1", "<nobody@example.com>: Recipient address rejected: User unknown", NULL},
    {452, "4.2.2", "mailbox full", NULL},
    {450, "4.7.1", "greylisted, try again later", NULL},
    {550, "5.7.129", "", NULL},
    {0, NULL, NULL, NULL},
    {0, "", "", NULL},
    {999, "9.9.9", "x", NULL},
};

#define NREPLIES (sizeof(replies) / sizeof(replies[0]))

struct lint_count {
	int calls;
	int lines; /* lines in the file (rules.c splits at LF only) */
};

static void lint_report(void *ctx, const char *file, int line, const char *message)
{
	struct lint_count *lc = ctx;

	FUZZ_ASSERT(file != NULL && strcmp(file, NAME) == 0);
	FUZZ_ASSERT(message != NULL && message[0] != 0);
	FUZZ_ASSERT(line >= 1 && line <= lc->lines);
	lc->calls++;
}

static int count_lines(const uint8_t *data, size_t size)
{
	int n = 1;

	for (size_t i = 0; i < size; i++)
		if (data[i] == '\n')
			n++;
	return n;
}

/* One classification: valid, repeatable, and what the plain rule loop gives. */
static void check_one(const struct rules *rs, const struct classify_input *in)
{
	struct verdict v, again, slow;

	rules_classify(rs, in, &v);
	fuzz_check_verdict(&v);
	rules_classify(rs, in, &again);
	FUZZ_ASSERT(fuzz_same_verdict(&v, &again));
	rules_classify_unfiltered(rs, in, &slow);
	FUZZ_ASSERT(fuzz_same_verdict(&v, &slow));
	if (rules_count(rs) == 0)
		FUZZ_ASSERT(v.rule == NULL);
}

/* The fixed replies, and the file's own bytes as a reply text (they hold
 * what its patterns look for, so rules do match). */
static void check_classify(const struct rules *rs, const char *self)
{
	struct classify_input in = {550, "5.7.1", self, NULL};

	for (size_t i = 0; i < NREPLIES; i++)
		check_one(rs, &replies[i]);
	check_one(rs, &in);
	in.reply_code = 0;
	in.status = NULL;
	check_one(rs, &in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules *rs = (struct rules *)1;
	struct lint_count lc = {0, count_lines(data, size)};
	char err[512], *self;
	int problems;

	err[0] = 0;
	if (rules_load_buf(NAME, (const char *)data, size, &rs, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(rs == NULL);
		FUZZ_ASSERT(strncmp(err, NAME ":", strlen(NAME) + 1) == 0);
		FUZZ_ASSERT(strlen(err) > strlen(NAME) + 1);
		return 0;
	}
	FUZZ_ASSERT(rs != NULL && rs != (struct rules *)1);
	if ((self = malloc(size + 1)) == NULL)
		abort();
	memcpy(self, data, size);
	self[size] = 0;
	problems = rules_lint(rs, lint_report, &lc);
	FUZZ_ASSERT(problems == lc.calls);
	FUZZ_ASSERT(rules_lint(rs, NULL, NULL) == problems);
	check_classify(rs, self);
	rules_retain(rs);
	rules_release(rs);
	check_classify(rs, self);
	rules_release(rs);
	free(self);
	return 0;
}
