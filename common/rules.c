/*
 * rules - the classifier: ordered PCRE2 rules from rules.conf, then the
 * enhanced status code, then the basic reply code. See rules.h; the file
 * format is documented at the top of conf/rules.conf.
 *
 * Design:
 *	A rule set is parsed and compiled once (pcre2_compile, caseless, no
 *	UTF: bounce texts are not reliably UTF-8, so patterns match bytes),
 *	JIT-compiled where the platform allows, and never modified again. The
 *	one match context (match and depth limits) is shared read-only, which
 *	PCRE2 allows; match data is allocated per call. So any number of
 *	threads may classify against one set while a reload swaps in another:
 *	the reference count, not a lock, decides when a set is freed.
 *
 *	A pattern that runs into the match limit on some hostile text is
 *	treated as not matching (the next rule, then the fallback, decides):
 *	a slow rule must cost bounded time, never a hung milter thread.
 *
 *	The subject is not scanned once per rule: at load, every pattern
 *	gives the literals one of which any match must contain (literal.h),
 *	and all of them go into one automaton, the sieve (sieve.h). A
 *	classification scans the subject once and runs PCRE2 only on the
 *	rules whose literals occur in it, plus the rules that have none,
 *	still in file order, so the first match is the one the plain loop
 *	would find. rules_classify_unfiltered() is that plain loop, kept as
 *	the reference the tests hold the sieve to; rules_lint() checks
 *	every example both ways.
 *
 * Diagnostics:
 *	rules_load() and rules_load_buf() stop at the first error and put
 *	"FILE:LINE: message" in err. rules_lint() reports every problem.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "msg.h"
#include "rules.h"
#include "sieve.h"
#include "text.h"

/* Bounds. A rules file is configuration, but still parsed with limits. */
#define RULES_FILE_MAX (4 * 1024 * 1024) /* bytes in one rules file */
#define RULES_LINE_MAX 8192              /* bytes in one line */
#define RULES_ID_MAX 64                  /* bytes in a rule id */
#define RULES_REASON_MAX 48              /* bytes in a reason tag */
#define RULES_SUBJECT_MAX 16384          /* bytes of text matched per call */
#define RULES_MATCH_LIMIT 100000         /* pcre2_set_match_limit() */
#define RULES_DEPTH_LIMIT 10000          /* pcre2_set_depth_limit() */
#define RULES_STATUS_MAX 16              /* bytes of "5.7.129" and the like, with NUL */
#define RULES_CAND_WORDS 16              /* candidate bits on the stack: 1024 rules */

struct rule_example {
	char *text;
	int line;
};

struct rule {
	char *id;
	enum bt_class cls;
	char *reason;
	char *pattern;
	pcre2_code *re;
	int line;       /* line of the [id] header */
	int have_class; /* class is an enum: remember whether it was set */
	struct rule_example *ex;
	size_t nex;
};

struct rules {
	atomic_int refs;
	char *file;
	struct rule *rule;
	size_t count;
	pcre2_match_context *mctx;
	struct sieve *sv; /* built once all rules are read */
};

/* Parser state for one rules file. */
struct parse {
	const char *file;
	struct rules *rs;
	struct rule *cur; /* rule being read, or NULL before the first header */
	int lineno;
	char *err;
	size_t errlen;
};

static int parse_error(struct parse *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int parse_error(struct parse *p, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->errlen > 0)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->file, line, msg);
	return -1;
}

/*
 * Rule set lifetime.
 */

static void rule_free(struct rule *r)
{
	free(r->id);
	free(r->reason);
	free(r->pattern);
	pcre2_code_free(r->re);
	for (size_t i = 0; i < r->nex; i++)
		free(r->ex[i].text);
	free(r->ex);
}

static void rules_free(struct rules *rs)
{
	for (size_t i = 0; i < rs->count; i++)
		rule_free(&rs->rule[i]);
	free(rs->rule);
	free(rs->file);
	pcre2_match_context_free(rs->mctx);
	sieve_free(rs->sv);
	free(rs);
}

void rules_retain(struct rules *rs)
{
	if (rs != NULL)
		atomic_fetch_add_explicit(&rs->refs, 1, memory_order_relaxed);
}

void rules_release(struct rules *rs)
{
	if (rs == NULL)
		return;
	/* acq_rel: every use by other holders happens before the free. */
	if (atomic_fetch_sub_explicit(&rs->refs, 1, memory_order_acq_rel) == 1)
		rules_free(rs);
}

size_t rules_count(const struct rules *rs)
{
	return rs == NULL ? 0 : rs->count;
}

/*
 * Parsing.
 */

static int valid_id(const char *s, size_t n)
{
	if (n == 0 || n > RULES_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* A reason is a short kebab-case tag: [a-z0-9]+(-[a-z0-9]+)* */
static int valid_reason(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > RULES_REASON_MAX || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '-' && s[i + 1] == '-')
			return 0;
		if (!(islower(c) || isdigit(c) || c == '-'))
			return 0;
	}
	return 1;
}

/* Finish the rule being read: every rule needs all four fields. */
static int rule_finish(struct parse *p)
{
	struct rule *r = p->cur;

	if (r == NULL)
		return 0;
	p->cur = NULL;
	if (!r->have_class)
		return parse_error(p, r->line, "rule '%s' has no class", r->id);
	if (r->reason == NULL)
		return parse_error(p, r->line, "rule '%s' has no reason", r->id);
	if (r->pattern == NULL)
		return parse_error(p, r->line, "rule '%s' has no pattern", r->id);
	if (r->nex == 0)
		return parse_error(p, r->line, "rule '%s' has no example", r->id);
	return 0;
}

static int rule_begin(struct parse *p, const char *line, size_t len)
{
	struct rules *rs = p->rs;
	struct rule *grown;
	const char *id = line + 1;
	size_t idlen;

	if (rule_finish(p) < 0)
		return -1;
	if (len < 2 || line[len - 1] != ']')
		return parse_error(p, p->lineno, "malformed rule header (expected '[rule-id]')");
	idlen = len - 2;
	if (!valid_id(id, idlen))
		return parse_error(p, p->lineno,
		                   "invalid rule id '%.*s' (use 1 to %d of a-z 0-9 . _ -)",
		                   (int)(idlen > 80 ? 80 : idlen), id, RULES_ID_MAX);
	for (size_t i = 0; i < rs->count; i++) {
		if (strlen(rs->rule[i].id) == idlen && memcmp(rs->rule[i].id, id, idlen) == 0)
			return parse_error(p, p->lineno,
			                   "duplicate rule id '%s' (first defined at line %d)",
			                   rs->rule[i].id, rs->rule[i].line);
	}
	grown = realloc(rs->rule, (rs->count + 1) * sizeof(*grown));
	if (grown == NULL)
		return parse_error(p, p->lineno, "out of memory");
	rs->rule = grown;
	p->cur = &rs->rule[rs->count];
	memset(p->cur, 0, sizeof(*p->cur));
	p->cur->line = p->lineno;
	if ((p->cur->id = text_dup(id, idlen)) == NULL) {
		p->cur = NULL;
		return parse_error(p, p->lineno, "out of memory");
	}
	rs->count++; /* counted now so that rules_free() sees it on error */
	return 0;
}

static int set_pattern(struct parse *p, const char *value)
{
	struct rule *r = p->cur;
	int errcode;
	PCRE2_SIZE erroff;
	PCRE2_UCHAR buf[256];

	/*
	 * No UTF: texts may be any bytes. NEVER_UTF also stops a pattern
	 * from switching UTF on with (*UTF), which would make pcre2_match()
	 * fail on invalid UTF-8 instead of matching.
	 */
	r->re = pcre2_compile((PCRE2_SPTR)value, PCRE2_ZERO_TERMINATED,
	                      PCRE2_CASELESS | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP, &errcode, &erroff,
	                      NULL);
	if (r->re == NULL) {
		pcre2_get_error_message(errcode, buf, sizeof(buf));
		return parse_error(p, p->lineno,
		                   "pattern of rule '%s' does not compile: %s at offset %zu", r->id,
		                   (const char *)buf, (size_t)erroff);
	}
	/* JIT is an optimisation: without it the interpreter does the same. */
	(void)pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
	if ((r->pattern = strdup(value)) == NULL)
		return parse_error(p, p->lineno, "out of memory");
	return 0;
}

static int add_example(struct parse *p, const char *value)
{
	struct rule *r = p->cur;
	struct rule_example *grown = realloc(r->ex, (r->nex + 1) * sizeof(*grown));

	if (grown == NULL)
		return parse_error(p, p->lineno, "out of memory");
	r->ex = grown;
	if ((r->ex[r->nex].text = strdup(value)) == NULL)
		return parse_error(p, p->lineno, "out of memory");
	r->ex[r->nex].line = p->lineno;
	r->nex++;
	return 0;
}

static int set_field(struct parse *p, const char *key, const char *value)
{
	struct rule *r = p->cur;

	if (strcasecmp(key, "example") == 0)
		return add_example(p, value);
	if (strcasecmp(key, "class") == 0) {
		if (r->have_class)
			return parse_error(p, p->lineno, "rule '%s' has more than one class",
			                   r->id);
		if (class_parse(value, &r->cls) < 0)
			return parse_error(p, p->lineno, "unknown class '%s'", value);
		r->have_class = 1;
		return 0;
	}
	if (strcasecmp(key, "reason") == 0) {
		if (r->reason != NULL)
			return parse_error(p, p->lineno, "rule '%s' has more than one reason",
			                   r->id);
		if (!valid_reason(value))
			return parse_error(p, p->lineno,
			                   "invalid reason '%s' (use a short kebab-case tag such "
			                   "as requires-whitelist)",
			                   value);
		if ((r->reason = strdup(value)) == NULL)
			return parse_error(p, p->lineno, "out of memory");
		return 0;
	}
	if (strcasecmp(key, "pattern") == 0) {
		if (r->pattern != NULL)
			return parse_error(p, p->lineno, "rule '%s' has more than one pattern",
			                   r->id);
		return set_pattern(p, value);
	}
	return parse_error(p, p->lineno,
	                   "unknown field '%s' (expected class, reason, "
	                   "pattern or example)",
	                   key);
}

/* Trim white space in place; returns the start, *len becomes the new length. */
static char *trim(char *s, size_t *len)
{
	size_t n = *len;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	s[n] = 0;
	*len = n;
	return s;
}

/* One line, already NUL-terminated and trimmed; comments and blanks gone. */
static int parse_line(struct parse *p, char *line, size_t len)
{
	char *eq;
	char *key;
	char *value;
	size_t klen;
	size_t vlen;

	if (line[0] == '[')
		return rule_begin(p, line, len);
	if (p->cur == NULL)
		return parse_error(p, p->lineno,
		                   "text outside a rule (a rule starts with '[rule-id]')");
	if ((eq = strchr(line, '=')) == NULL)
		return parse_error(p, p->lineno, "expected 'field = value'");
	klen = (size_t)(eq - line);
	key = trim(line, &klen);
	vlen = len - (size_t)(eq + 1 - line);
	value = trim(eq + 1, &vlen);
	if (klen == 0)
		return parse_error(p, p->lineno, "missing field name before '='");
	if (vlen == 0)
		return parse_error(p, p->lineno, "empty value for field '%s'", key);
	return set_field(p, key, value);
}

static int parse_buf(struct parse *p, const char *buf, size_t len)
{
	char line[RULES_LINE_MAX + 1];
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		size_t n = end - pos;
		char *t;

		p->lineno++;
		if (n > RULES_LINE_MAX)
			return parse_error(p, p->lineno, "line longer than %d bytes",
			                   RULES_LINE_MAX);
		if (memchr(buf + pos, 0, n) != NULL)
			return parse_error(p, p->lineno, "NUL byte in line");
		memcpy(line, buf + pos, n);
		line[n] = 0;
		pos = end + 1;
		t = trim(line, &n);
		if (n == 0 || t[0] == '#')
			continue;
		if (parse_line(p, t, n) < 0)
			return -1;
	}
	return rule_finish(p);
}

/* The sieve of the whole set, from the patterns in rule order. */
static int build_sieve(struct parse *p)
{
	struct rules *rs = p->rs;
	const char **patterns = malloc((rs->count + 1) * sizeof(*patterns));
	char why[200];

	if (patterns == NULL)
		return parse_error(p, 0, "out of memory");
	for (size_t i = 0; i < rs->count; i++)
		patterns[i] = rs->rule[i].pattern;
	if (sieve_build(patterns, rs->count, &rs->sv, why, sizeof(why)) < 0) {
		free(patterns);
		return parse_error(p, 0, "%s", why);
	}
	free(patterns);
	return 0;
}

int rules_load_buf(const char *name, const char *buf, size_t len, struct rules **out, char *err,
                   size_t errlen)
{
	struct parse p = {.file = name, .err = err, .errlen = errlen};
	struct rules *rs;

	*out = NULL;
	if (errlen > 0)
		err[0] = 0;
	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return parse_error(&p, 0, "out of memory");
	atomic_init(&rs->refs, 1);
	p.rs = rs;
	if ((rs->file = strdup(name)) == NULL ||
	    (rs->mctx = pcre2_match_context_create(NULL)) == NULL) {
		rules_free(rs);
		return parse_error(&p, 0, "out of memory");
	}
	pcre2_set_match_limit(rs->mctx, RULES_MATCH_LIMIT);
	pcre2_set_depth_limit(rs->mctx, RULES_DEPTH_LIMIT);
	if (parse_buf(&p, buf, len) < 0 || build_sieve(&p) < 0) {
		rules_free(rs);
		return -1;
	}
	*out = rs;
	return 0;
}

int rules_load(const char *path, struct rules **out, char *err, size_t errlen)
{
	FILE *fp;
	char *buf;
	size_t n;
	int ret;

	*out = NULL;
	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(RULES_FILE_MAX + 1)) == NULL) {
		fclose(fp);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	n = fread(buf, 1, RULES_FILE_MAX + 1, fp);
	if (ferror(fp) || n > RULES_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path,
		         ferror(fp) ? "read error" : "file larger than 4 MiB");
		fclose(fp);
		free(buf);
		return -1;
	}
	fclose(fp);
	ret = rules_load_buf(path, buf, n, out, err, errlen);
	free(buf);
	return ret;
}

/*
 * Fallback: the enhanced status code, then the basic reply code.
 *
 * The status table is searched in order, first match wins, so specific
 * entries come before the ranges and class-wide defaults that contain
 * them. -1 is a wildcard. Reasons are static strings (rules_fallback()
 * has no rule set to own them); a range names its family ("5.7.6xx").
 */
struct status_entry {
	int klass, subject, dlo, dhi;
	enum bt_class cls;
	const char *reason;
};

static const struct status_entry status_table[] = {
    /* 5.7.1 and 5.7.0 carry every kind of policy: only the text decides. */
    {5, 7, 0, 0, BT_CLASS_UNCLASSIFIED, "status-5.7.0"},
    {5, 7, 1, 1, BT_CLASS_UNCLASSIFIED, "status-5.7.1"},

    /* RFC 3463 addressing; 5.1.10 is Microsoft's RecipientNotFound. */
    {5, 1, 0, 0, BT_CLASS_RECIPIENT_INVALID, "status-5.1.0"},
    {5, 1, 1, 1, BT_CLASS_RECIPIENT_INVALID, "status-5.1.1"},
    {5, 1, 2, 2, BT_CLASS_RECIPIENT_INVALID, "status-5.1.2"},
    {5, 1, 3, 3, BT_CLASS_RECIPIENT_INVALID, "status-5.1.3"},
    {5, 1, 6, 6, BT_CLASS_RECIPIENT_INVALID, "status-5.1.6"},
    {5, 1, 10, 10, BT_CLASS_RECIPIENT_INVALID, "status-5.1.10"},
    {5, 1, 7, 7, BT_CLASS_SENDER_ISSUE, "status-5.1.7"},
    {5, 1, 8, 8, BT_CLASS_SENDER_ISSUE, "status-5.1.8"},
    {5, 1, 90, 90, BT_CLASS_SENDER_ISSUE, "status-5.1.90"},

    /* Mailbox status. 4.2.1 is Gmail's "receiving mail too quickly". */
    {5, 2, 1, 1, BT_CLASS_RECIPIENT_INVALID, "status-5.2.1"},
    {4, 2, 1, 1, BT_CLASS_RECIPIENT_TRANSIENT, "status-4.2.1"},
    {4, 2, 2, 2, BT_CLASS_RECIPIENT_TRANSIENT, "status-4.2.2"},
    {5, 2, 2, 2, BT_CLASS_RECIPIENT_TRANSIENT, "status-5.2.2"},
    {5, 2, 3, 3, BT_CLASS_SENDER_ISSUE, "status-5.2.3"},
    {5, 2, 121, 121, BT_CLASS_SENDER_ISSUE, "status-5.2.121"},
    {5, 2, 122, 122, BT_CLASS_SENDER_ISSUE, "status-5.2.122"},

    /* Mail system and routing. 5.4.1 is Microsoft's "Access denied" for
     * a recipient its directory does not know; 5.4.4 "unable to route". */
    {5, 3, 4, 4, BT_CLASS_SENDER_ISSUE, "status-5.3.4"},
    {5, 3, -1, -1, BT_CLASS_TRANSIENT, "status-5.3.x"},
    {5, 4, 1, 1, BT_CLASS_RECIPIENT_INVALID, "status-5.4.1"},
    {5, 4, 4, 4, BT_CLASS_RECIPIENT_INVALID, "status-5.4.4"},
    {5, 4, -1, -1, BT_CLASS_TRANSIENT, "status-5.4.x"},

    /* Media: the message we sent was refused for what it contains. */
    {5, 6, -1, -1, BT_CLASS_SENDER_ISSUE, "status-5.6.x"},

    /* Security and policy (RFC 3463, RFC 7372, IANA registry). 5.7.13 is
     * "user account disabled"; 5.7.12 and 5.7.124-5.7.136 are Microsoft's
     * delivery restrictions (internal senders or listed senders only). */
    {5, 7, 13, 13, BT_CLASS_RECIPIENT_INVALID, "status-5.7.13"},
    {5, 7, 12, 12, BT_CLASS_RECIPIENT_POLICY, "status-5.7.12"},
    {5, 7, 124, 124, BT_CLASS_RECIPIENT_POLICY, "status-5.7.124"},
    {5, 7, 129, 129, BT_CLASS_RECIPIENT_POLICY, "status-5.7.129"},
    {5, 7, 130, 136, BT_CLASS_RECIPIENT_POLICY, "status-5.7.13x"},
    {5, 7, 3, 11, BT_CLASS_SENDER_ISSUE, "status-5.7.x-security"},
    {5, 7, 20, 28, BT_CLASS_SENDER_ISSUE, "status-5.7.x-auth"},

    /* Microsoft 365 protection families. */
    {5, 7, 507, 507, BT_CLASS_RECIPIENT_POLICY, "status-5.7.507"},
    {5, 7, 513, 513, BT_CLASS_RECIPIENT_POLICY, "status-5.7.513"},
    {5, 7, 501, 503, BT_CLASS_SENDER_ISSUE, "status-5.7.5xx"},
    {5, 7, 506, 506, BT_CLASS_SENDER_ISSUE, "status-5.7.506"},
    {5, 7, 508, 512, BT_CLASS_SENDER_ISSUE, "status-5.7.5xx"},
    {5, 7, 515, 515, BT_CLASS_SENDER_ISSUE, "status-5.7.515"},
    {5, 7, 520, 520, BT_CLASS_SENDER_ISSUE, "status-5.7.520"},
    {5, 7, 606, 649, BT_CLASS_SENDER_ISSUE, "status-5.7.6xx"},
    {5, 7, 700, 750, BT_CLASS_SENDER_ISSUE, "status-5.7.7xx"},

    /* 4.x.x is transient, except the 4.7.x reputation, authentication and
     * rate codes that name our fault (Gmail 4.7.23-4.7.28, Microsoft
     * 4.7.5xx/6xx throttling). */
    {4, 7, 23, 28, BT_CLASS_SENDER_ISSUE, "status-4.7.x-auth-rate"},
    {4, 7, 500, 699, BT_CLASS_SENDER_ISSUE, "status-4.7.x-throttled"},
    {4, -1, -1, -1, BT_CLASS_TRANSIENT, "status-4.x.x"},
};

/* Basic reply codes, used when the status code is absent or unknown. */
struct reply_entry {
	int code;
	enum bt_class cls;
	const char *reason;
};

static const struct reply_entry reply_table[] = {
    {421, BT_CLASS_TRANSIENT, "reply-421"},
    {450, BT_CLASS_TRANSIENT, "reply-450"},
    {451, BT_CLASS_TRANSIENT, "reply-451"},
    /* 452 is often "too many recipients": the rest are retried later. */
    {452, BT_CLASS_TRANSIENT, "reply-452"},
    /* RFC 7504: the domain accepts no mail at all. */
    {521, BT_CLASS_RECIPIENT_INVALID, "reply-521"},
    {556, BT_CLASS_RECIPIENT_INVALID, "reply-556"},
    /* Authentication or encryption demanded of our client. */
    {530, BT_CLASS_SENDER_ISSUE, "reply-530"},
    {534, BT_CLASS_SENDER_ISSUE, "reply-534"},
    {535, BT_CLASS_SENDER_ISSUE, "reply-535"},
    {538, BT_CLASS_SENDER_ISSUE, "reply-538"},
    /*
     * 550/551/553/554 carry any kind of refusal; 552 is "storage
     * exceeded" in RFC 5321 but mostly "message too big" in practice.
     * Without a status code or a rule they stay unclassified.
     */
    {550, BT_CLASS_UNCLASSIFIED, "reply-550"},
    {551, BT_CLASS_UNCLASSIFIED, "reply-551"},
    {552, BT_CLASS_UNCLASSIFIED, "reply-552"},
    {553, BT_CLASS_UNCLASSIFIED, "reply-553"},
    {554, BT_CLASS_UNCLASSIFIED, "reply-554"},
};

/* "4.7.1" -> 4, 7, 1. Strict: class 2/4/5, 1-3 digits each, nothing after. */
static int status_split(const char *s, int *k, int *subj, int *det)
{
	int v[3];
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < 3; i++) {
		int n = 0;
		int digits = 0;
		while (isdigit((unsigned char)*s) && digits < 4) {
			n = n * 10 + (*s++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3)
			return -1;
		v[i] = n;
		if (i < 2 && *s++ != '.')
			return -1;
	}
	if (*s != 0 || (v[0] != 2 && v[0] != 4 && v[0] != 5))
		return -1;
	*k = v[0];
	*subj = v[1];
	*det = v[2];
	return 0;
}

static const struct status_entry *status_lookup(const char *status)
{
	int k, s, d;

	if (status_split(status, &k, &s, &d) < 0)
		return NULL;
	for (size_t i = 0; i < sizeof(status_table) / sizeof(status_table[0]); i++) {
		const struct status_entry *e = &status_table[i];
		if (e->klass != k || (e->subject != -1 && e->subject != s))
			continue;
		if (e->dlo == -1 || (d >= e->dlo && d <= e->dhi))
			return e;
	}
	return NULL;
}

void rules_fallback(int reply_code, const char *status, struct verdict *out)
{
	const struct status_entry *se = status_lookup(status);

	out->rule = NULL;
	if (se != NULL) {
		out->cls = se->cls;
		out->reason = se->reason;
		return;
	}
	for (size_t i = 0; i < sizeof(reply_table) / sizeof(reply_table[0]); i++) {
		if (reply_table[i].code == reply_code) {
			out->cls = reply_table[i].cls;
			out->reason = reply_table[i].reason;
			return;
		}
	}
	out->cls =
	    reply_code >= 400 && reply_code < 500 ? BT_CLASS_TRANSIENT : BT_CLASS_UNCLASSIFIED;
	out->reason = reply_code >= 400 && reply_code < 500   ? "reply-4xx"
	              : reply_code >= 500 && reply_code < 600 ? "reply-5xx"
	                                                      : "no-code";
}

/*
 * Classification.
 */

/* White space as isspace() in the C locale: the subject folds it. */
static const unsigned char subject_space[256] = {
    [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1,
};

/* Append s to the subject, turning each run of white space into one space. */
static size_t subject_add(char *dst, size_t pos, size_t cap, const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	int after_space = pos == 0 || dst[pos - 1] == ' ';

	for (size_t i = 0; i < max && u[i] != 0 && pos < cap; i++) {
		if (subject_space[u[i]]) {
			if (!after_space)
				dst[pos++] = ' ';
			after_space = 1;
		} else {
			dst[pos++] = (char)u[i];
			after_space = 0;
		}
	}
	return pos;
}

/*
 * "<code> <status> <text>" with absent parts left out, white space runs
 * folded, at most RULES_SUBJECT_MAX bytes: in room (roomlen bytes) when
 * it fits, else a copy the caller frees.
 * No printf: this runs for every result, and the code has 1 to 3 digits.
 */
static char *subject_build(const struct classify_input *in, char *room, size_t roomlen,
                           size_t *lenp)
{
	const char *text = in->text ? in->text : "";
	size_t textlen = strnlen(text, RULES_SUBJECT_MAX), cap = textlen + 32;
	int code = in->reply_code;
	char *buf = room;
	size_t pos = 0;

	/* zeroed: the JIT may read whole words past the end of the subject. */
	if (cap + 1 <= roomlen)
		memset(buf, 0, cap + 1);
	else if ((buf = calloc(1, cap + 1)) == NULL)
		return NULL;
	if (code > 0 && code < 1000) {
		if (code >= 100)
			buf[pos++] = (char)('0' + code / 100);
		if (code >= 10)
			buf[pos++] = (char)('0' + code / 10 % 10);
		buf[pos++] = (char)('0' + code % 10);
		buf[pos++] = ' ';
	}
	if (in->status != NULL && in->status[0] != 0) {
		pos = subject_add(buf, pos, cap, in->status, RULES_STATUS_MAX - 1);
		if (pos < cap && pos > 0 && buf[pos - 1] != ' ')
			buf[pos++] = ' ';
	}
	/*
	 * A reply's text comes squeezed already (reply.h): nothing to fold,
	 * and it fits, so it is copied whole; anything else goes byte by byte.
	 */
	if (textlen < RULES_SUBJECT_MAX && text_squeezed(text, textlen)) {
		memcpy(buf + pos, text, textlen);
		pos += textlen;
	} else {
		pos = subject_add(buf, pos, cap, text, SIZE_MAX);
	}
	while (pos > 0 && buf[pos - 1] == ' ')
		pos--;
	buf[pos] = 0;
	*lenp = pos;
	return buf;
}

/* 1 = match, 0 = no match (including a limit hit: see the file comment). */
static int rule_matches(const struct rules *rs, const struct rule *r, const char *subj, size_t len,
                        pcre2_match_data *md)
{
	int rc = pcre2_match(r->re, (PCRE2_SPTR)subj, len, 0, 0, md, rs->mctx);

	/* The JIT has its own small stack; the interpreter is bounded by the
	 * depth limit instead, so let it finish the job. */
	if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
		rc = pcre2_match(r->re, (PCRE2_SPTR)subj, len, 0, PCRE2_NO_JIT, md, rs->mctx);
	if (rc >= 0)
		return 1;
	if (rc != PCRE2_ERROR_NOMATCH) {
		PCRE2_UCHAR why[120];
		pcre2_get_error_message(rc, why, sizeof(why));
		msg_warn("rule '%s' (%s:%d) on a %zu-byte text: %s; treated as no match", r->id,
		         rs->file, r->line, len, (const char *)why);
	}
	return 0;
}

/*
 * The first rule in file order that matches, among the candidates (every
 * rule when cand is NULL); NULL when none does. *nomem is set when the
 * match data cannot be had.
 */
static const struct rule *first_match(const struct rules *rs, const uint64_t *cand,
                                      const char *subj, size_t len, int *nomem)
{
	pcre2_match_data *md = NULL;
	const struct rule *found = NULL;
	size_t nwords = (rs->count + 63) / 64;

	/* word by word, lowest bit first: file order */
	for (size_t w = 0; w < nwords && found == NULL && !*nomem; w++) {
		/* a rule none of whose literals is in the subject cannot match */
		uint64_t bits = cand != NULL ? cand[w] : ~(uint64_t)0;

		while (bits != 0 && found == NULL) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			if (i >= rs->count)
				break;
			if (md == NULL && (md = pcre2_match_data_create(1, NULL)) == NULL) {
				*nomem = 1;
				break;
			}
			if (rule_matches(rs, &rs->rule[i], subj, len, md))
				found = &rs->rule[i];
		}
	}
	pcre2_match_data_free(md);
	return found;
}

static void classify(const struct rules *rs, const struct classify_input *in, struct verdict *out,
                     int filtered)
{
	uint64_t on_stack[RULES_CAND_WORDS];
	uint64_t *cand = NULL;
	const struct rule *r = NULL;
	int nomem = 0;
	char room[1024]; /* most subjects: a reply line or two */
	char *subj;
	size_t len;

	if (rs == NULL || rs->count == 0) {
		rules_fallback(in->reply_code, in->status, out);
		return;
	}
	if ((subj = subject_build(in, room, sizeof(room), &len)) == NULL)
		nomem = 1;
	else if (filtered && rs->sv != NULL) {
		size_t words = sieve_words(rs->sv);

		/* Without room for the candidates every rule runs: slower, same verdict. */
		cand = words <= RULES_CAND_WORDS ? on_stack : calloc(words, sizeof(*cand));
		if (cand != NULL)
			sieve_scan(rs->sv, subj, len, cand);
	}
	if (subj != NULL)
		r = first_match(rs, cand, subj, len, &nomem);
	if (cand != on_stack)
		free(cand);
	if (subj != room)
		free(subj);
	if (nomem) {
		msg_warn("rules: out of memory; classifying by status code only");
		rules_fallback(in->reply_code, in->status, out);
	} else if (r != NULL) {
		out->cls = r->cls;
		out->reason = r->reason;
		out->rule = r->id;
	} else {
		rules_fallback(in->reply_code, in->status, out);
	}
}

void rules_classify(const struct rules *rs, const struct classify_input *in, struct verdict *out)
{
	classify(rs, in, out, 1);
}

void rules_classify_unfiltered(const struct rules *rs, const struct classify_input *in,
                               struct verdict *out)
{
	classify(rs, in, out, 0);
}

/*
 * Lint.
 */

/*
 * Split an example reply into code, status and text, the way the reply
 * parser presents real replies: "550-5.7.1 text" -> 550, "5.7.1", "text".
 * Only the leading code and status are taken; the rest is text.
 */
static void example_split(const char *s, int *code, char status[RULES_STATUS_MAX],
                          const char **text)
{
	const char *p = s;
	const char *q;

	*code = 0;
	status[0] = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && (p[3] == ' ' || p[3] == '-' || p[3] == 0)) {
		*code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
		p += p[3] ? 4 : 3;
	}
	/* status: [245].\d{1,3}.\d{1,3} followed by space or end */
	q = p;
	if ((*q == '2' || *q == '4' || *q == '5') && q[1] == '.') {
		int k, sj, d;
		size_t n = strcspn(q, " \t");
		if (n < RULES_STATUS_MAX) {
			memcpy(status, q, n);
			status[n] = 0;
			if (status_split(status, &k, &sj, &d) == 0)
				p = q + n;
			else
				status[0] = 0;
		}
	}
	while (*p == ' ' || *p == '\t')
		p++;
	*text = p;
}

static int lint_example(const struct rules *rs, size_t idx, const struct rule_example *ex,
                        rules_lint_report report, void *ctx)
{
	const struct rule *r = &rs->rule[idx];
	struct classify_input in = {0};
	struct verdict v;
	struct verdict plain;
	char status[RULES_STATUS_MAX];
	char msg[512];

	example_split(ex->text, &in.reply_code, status, &in.text);
	in.status = status;
	rules_classify(rs, &in, &v);
	rules_classify_unfiltered(rs, &in, &plain);
	if (v.cls != plain.cls || v.rule != plain.rule || strcmp(v.reason, plain.reason) != 0)
		snprintf(msg, sizeof(msg),
		         "example of rule '%s': the rule sieve gives %s, every rule in order "
		         "gives %s (a bouncetag bug: please report it with this rule)",
		         r->id, v.rule ? v.rule : v.reason, plain.rule ? plain.rule : plain.reason);
	else if (v.rule != NULL && strcmp(v.rule, r->id) == 0)
		return 0;
	else if (v.rule == NULL)
		snprintf(msg, sizeof(msg),
		         "example of rule '%s' is not matched by its own rule (fallback reason %s)",
		         r->id, v.reason);
	else {
		size_t j = 0;
		while (j < rs->count && strcmp(rs->rule[j].id, v.rule) != 0)
			j++;
		if (j < idx)
			snprintf(msg, sizeof(msg),
			         "example of rule '%s' is taken by earlier rule '%s'", r->id,
			         v.rule);
		else
			snprintf(msg, sizeof(msg),
			         "example of rule '%s' is not matched by its own rule (it goes to "
			         "later rule '%s')",
			         r->id, v.rule);
	}
	if (report != NULL)
		report(ctx, rs->file, ex->line, msg);
	return 1;
}

int rules_lint(const struct rules *rs, rules_lint_report report, void *ctx)
{
	int problems = 0;

	if (rs == NULL)
		return 0;
	for (size_t i = 0; i < rs->count; i++)
		for (size_t j = 0; j < rs->rule[i].nex; j++)
			problems += lint_example(rs, i, &rs->rule[i].ex[j], report, ctx);
	return problems;
}
