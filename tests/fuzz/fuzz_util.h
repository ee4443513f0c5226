/*
 * fuzz_util - what the libFuzzer targets in tests/fuzz/ share.
 *
 * Synopsis:
 *	FUZZ_ASSERT(v.cls < BT_CLASS_COUNT);
 *	fuzz_check_verdict(&v);
 *	fuzz_check_status(r.status);
 *	struct rules *rs = fuzz_rules_shipped();
 *
 * Description:
 *	FUZZ_ASSERT() checks an invariant that holds by design (a header says
 *	so): when it fails, it names the file, line and condition on standard
 *	error and aborts, so that libFuzzer keeps the input as a crash. It is
 *	not assert(): NDEBUG never turns it off.
 *
 *	fuzz_check_verdict() checks what every classification must give: one
 *	of the six classes, a non-empty reason, and a rule id (when a rule
 *	decided) in the rule-id alphabet. fuzz_check_status() checks an
 *	enhanced status as reply.h hands it out: "" or c.s.d with c one of
 *	2, 4, 5 and s, d of one to three digits.
 *
 *	fuzz_lenient("name") tells whether $FUZZ_LENIENT (a list of names)
 *	names that check. While a finding is open, wrap its check in
 *	"if (!fuzz_lenient("name"))" so that a long run can look past it;
 *	the smoke run never sets it, so the regression keeps failing until
 *	the bug is fixed. Remove the wrapper with the fix.
 *
 *	fuzz_rules_shipped() loads conf/rules.conf once per process: from
 *	$BOUNCETAG_FUZZ_RULES when set, else from the RULES_CONF path compiled
 *	in by tests/fuzz/run.sh. A rules file that does not load is a broken
 *	set-up, not a finding: the target exits with a message.
 */
#ifndef BT_FUZZ_UTIL_H
#define BT_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "class.h"
#include "reply.h"
#include "rules.h"

#ifndef RULES_CONF
#define RULES_CONF "conf/rules.conf"
#endif

#define FUZZ_ASSERT(cond) ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))

static inline __attribute__((noreturn)) void fuzz_fail(const char *file, int line, const char *cond)
{
	fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, cond);
	abort();
}

static inline int fuzz_lenient(const char *check)
{
	const char *list = getenv("FUZZ_LENIENT");
	size_t n = strlen(check);

	for (const char *p = list; p != NULL && (p = strstr(p, check)) != NULL; p += n)
		if ((p == list || p[-1] == ',' || p[-1] == ' ') &&
		    (p[n] == 0 || p[n] == ',' || p[n] == ' '))
			return 1;
	return 0;
}

static inline int fuzz_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits at s, at most three of them, none after: returns how many, or 0. */
static inline size_t fuzz_digits(const char *s)
{
	size_t n = 0;

	while (n < 4 && fuzz_is_digit(s[n]))
		n++;
	return n <= 3 ? n : 0;
}

static inline void fuzz_check_status(const char *st)
{
	size_t n1, n2;

	FUZZ_ASSERT(st != NULL);
	FUZZ_ASSERT(strnlen(st, REPLY_STATUS_MAX) < REPLY_STATUS_MAX);
	if (st[0] == 0)
		return;
	FUZZ_ASSERT(st[0] == '2' || st[0] == '4' || st[0] == '5');
	FUZZ_ASSERT(st[1] == '.');
	FUZZ_ASSERT((n1 = fuzz_digits(st + 2)) > 0);
	FUZZ_ASSERT(st[2 + n1] == '.');
	FUZZ_ASSERT((n2 = fuzz_digits(st + 3 + n1)) > 0);
	FUZZ_ASSERT(st[3 + n1 + n2] == 0);
}

static inline void fuzz_check_verdict(const struct verdict *v)
{
	FUZZ_ASSERT((int)v->cls >= 0 && v->cls < BT_CLASS_COUNT);
	FUZZ_ASSERT(class_name(v->cls) != NULL);
	FUZZ_ASSERT(v->reason != NULL && v->reason[0] != 0);
	if (v->rule != NULL) {
		FUZZ_ASSERT(v->rule[0] != 0);
		for (const char *p = v->rule; *p; p++)
			FUZZ_ASSERT((*p >= 'a' && *p <= 'z') || fuzz_is_digit(*p) || *p == '.' ||
			            *p == '_' || *p == '-');
	}
}

static inline int fuzz_same_verdict(const struct verdict *a, const struct verdict *b)
{
	return a->cls == b->cls && strcmp(a->reason, b->reason) == 0 &&
	       (a->rule == NULL ? b->rule == NULL
	                        : b->rule != NULL && strcmp(a->rule, b->rule) == 0);
}

static inline struct rules *fuzz_rules_shipped(void)
{
	const char *path = getenv("BOUNCETAG_FUZZ_RULES");
	struct rules *rs;
	char err[512];

	if (path == NULL || *path == 0)
		path = RULES_CONF;
	if (rules_load(path, &rs, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz: cannot load the shipped rules: %s\n", err);
		fprintf(stderr, "fuzz: set BOUNCETAG_FUZZ_RULES to conf/rules.conf\n");
		exit(2);
	}
	return rs;
}

#endif
