/*
 * rules - the classifier: ordered PCRE2 rules from rules.conf, then the
 * enhanced status code, then the basic reply code.
 *
 * Synopsis:
 *	struct rules *rs;
 *	char err[512];
 *	if (rules_load("conf/rules.conf", &rs, err, sizeof(err)) < 0) ... err ...
 *	struct classify_input in = { .reply_code = 554, .status = "5.7.1",
 *		.text = "554 5.7.1 sender not on approved sender list" };
 *	struct verdict v;
 *	rules_classify(rs, &in, &v);   v.cls, v.reason, v.rule
 *	rules_release(rs);
 *
 * File format (documented in full at the top of conf/rules.conf):
 *	[rule-id]
 *	class   = recipient-policy
 *	reason  = requires-whitelist
 *	pattern = not on (the )?approved sender list
 *	example = 554 5.7.1 <a@b>: sender not on approved sender list
 *	A rule has exactly one class, reason and pattern, and one or more
 *	examples (replies the rule must classify; rules_lint checks them).
 *	Patterns are PCRE2, case-insensitive, matched against the subject
 *	described below; '#' starts a comment only at the start of a line.
 *
 * Matching subject: "<code> <status> <text>" with absent parts left out
 *	(for example "550 5.7.1 sender not on approved sender list"), built by
 *	rules_classify() from the input so that every caller presents the same
 *	string. First matching rule in file order wins. When no rule matches,
 *	the status code table (RFC 3463, IANA registry, provider-specific
 *	codes such as Microsoft 5.7.129) decides, then the basic reply code;
 *	in both cases v.rule is NULL and v.reason names the fallback
 *	("status-5.1.1", "reply-550", ...).
 *
 * Lifetime: a loaded rule set is immutable and safe to share between
 *	threads; rules_retain()/rules_release() count references so that a
 *	reload can swap rule sets while classifications are running.
 *
 * Diagnostics: rules_load() returns -1 with "FILE:LINE: message" in err for
 *	an unknown class, a missing field, a duplicate id or a pattern that does
 *	not compile (with PCRE2's message and offset).
 */
#ifndef BT_RULES_H
#define BT_RULES_H

#include <stddef.h>

#include "class.h"

struct rules;

struct classify_input {
	int reply_code;         /* 0 when unknown */
	const char *status;     /* "5.7.1", or NULL/"" when unknown */
	const char *text;       /* reply text without code and status; NULL = "" */
	const char *remote_mta; /* may be NULL; informational */
};

struct verdict {
	enum bt_class cls;
	const char *reason; /* static or owned by the rule set: valid while it is retained */
	const char *rule;   /* rule id, or NULL for a fallback verdict */
};

int rules_load(const char *path, struct rules **out, char *err, size_t errlen);
/* Same, from memory; name is used in diagnostics in place of a path. */
int rules_load_buf(const char *name, const char *buf, size_t len, struct rules **out, char *err,
		   size_t errlen);
void rules_retain(struct rules *rs);
void rules_release(struct rules *rs);
size_t rules_count(const struct rules *rs);

void rules_classify(const struct rules *rs, const struct classify_input *in, struct verdict *out);
/*
 * The same verdict, found the slow way: every rule in file order, without
 * the rule sieve (sieve.h) that lets rules_classify() skip rules that
 * cannot match. The reference the sieve is tested against; not for callers.
 */
void rules_classify_unfiltered(const struct rules *rs, const struct classify_input *in,
                               struct verdict *out);
/* Fallback alone (no rules): what the status code, then the reply code, say. */
void rules_fallback(int reply_code, const char *status, struct verdict *out);

/*
 * Lint: every example of every rule must be classified by that rule when
 * run through the whole set (so an earlier rule that takes it shadows the
 * later one). Each example is also classified without the sieve; a
 * different verdict is reported too (it would be a bug in bouncetag, not
 * in the rules). report() is called once per problem with the file, line
 * and a message; the return value is the number of problems.
 */
typedef void (*rules_lint_report)(void *ctx, const char *file, int line, const char *message);
int rules_lint(const struct rules *rs, rules_lint_report report, void *ctx);

#endif
