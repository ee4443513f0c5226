/*
 * fuzz_rules - rules_load_buf() on arbitrary bytes as a rules file; when
 * the file loads, rules_lint() and rules_classify() on fixed replies.
 *
 * Invariants checked (rules.h):
 *	- a file that does not load says why: err is "NAME:..." and nothing
 *	  is handed out;
 *	- rules_lint() calls report() once per problem it counts, each time
 *	  with the file name and a message, and a line inside the file;
 *	- every verdict is one of the six classes with a reason, and a rule
 *	  id only from this set; classifying twice gives the same verdict
 *	  (a loaded set is immutable), and so does a set retained twice.
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

static void check_classify(const struct rules *rs)
{
	for (size_t i = 0; i < NREPLIES; i++) {
		struct verdict v, again;

		rules_classify(rs, &replies[i], &v);
		fuzz_check_verdict(&v);
		rules_classify(rs, &replies[i], &again);
		FUZZ_ASSERT(fuzz_same_verdict(&v, &again));
		if (rules_count(rs) == 0)
			FUZZ_ASSERT(v.rule == NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules *rs = (struct rules *)1;
	struct lint_count lc = {0, count_lines(data, size)};
	char err[512];
	int problems;

	err[0] = 0;
	if (rules_load_buf(NAME, (const char *)data, size, &rs, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(rs == NULL);
		FUZZ_ASSERT(strncmp(err, NAME ":", strlen(NAME) + 1) == 0);
		FUZZ_ASSERT(strlen(err) > strlen(NAME) + 1);
		return 0;
	}
	FUZZ_ASSERT(rs != NULL && rs != (struct rules *)1);
	problems = rules_lint(rs, lint_report, &lc);
	FUZZ_ASSERT(problems == lc.calls);
	FUZZ_ASSERT(rules_lint(rs, NULL, NULL) == problems);
	check_classify(rs);
	rules_retain(rs);
	rules_release(rs);
	check_classify(rs);
	rules_release(rs);
	return 0;
}
