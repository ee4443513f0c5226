/*
 * store - the suppression store: public API, spec parsing and the policy
 * that every backend shares. See store.h for the interface and
 * store_impl.h for what a backend provides.
 *
 * Why the policy lives here: which results suppress, when repeated
 * transient failures add up to a suppression, how long it lasts, what a
 * release means. Those decisions must not differ between SQLite and
 * PostgreSQL, so a backend only appends events, counts them, and reads
 * and writes whole suppression rows inside a transaction this file opens.
 *
 * Event times: an event with when == 0 is stamped with the current time.
 * A suppression row's state at time T is
 *	released	released_at != 0
 *	expired		not released, expires != 0 and expires <= T
 *	active		otherwise
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "msg.h"
#include "store.h"
#include "store_impl.h"

#define DAY (24L * 60 * 60)

const char *const store_admin_actions[STORE_ADMIN_ACTION_COUNT] = {"withheld", "released", "added"};

/*
 * Spec schemes. A spec that starts with none of them is a SQLite path.
 * strip: whether the scheme is removed before the backend sees the target
 * (a postgresql:// URI is handed over whole, as libpq wants it).
 */
struct store_scheme {
	const char *prefix;
	int strip;
	const struct store_backend *be;
	const char *missing; /* why be is NULL */
};

#ifdef BT_WITH_PGSQL
#define STORE_PGSQL (&store_pgsql_backend)
#else
#define STORE_PGSQL NULL
#endif
#define STORE_NO_PGSQL "PostgreSQL backend not built yet"

static const struct store_scheme store_schemes[] = {
    {"sqlite:", 1, &store_sqlite_backend, NULL},
    {"pgsql:", 1, STORE_PGSQL, STORE_NO_PGSQL},
    {"postgresql://", 0, STORE_PGSQL, STORE_NO_PGSQL},
    {"postgres://", 0, STORE_PGSQL, STORE_NO_PGSQL},
};

void store_set_error(struct store *st, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(st->err, sizeof(st->err), "%s: ", st->name ? st->name : "store");
	if (n < 0 || (size_t)n >= sizeof(st->err))
		return; /* a name that long is message enough */
	va_start(ap, fmt);
	vsnprintf(st->err + n, sizeof(st->err) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Length of a conninfo or URI-query value starting at s (quoted or not). */
static size_t store_value_len(const char *s)
{
	size_t i = 0;

	if (s[0] == '\'') {
		for (i = 1; s[i] && s[i] != '\''; i++)
			if (s[i] == '\\' && s[i + 1])
				i++;
		return s[i] ? i + 1 : i;
	}
	while (s[i] && s[i] != ' ' && s[i] != '&')
		i++;
	return i;
}

/*
 * The spec as it may appear in logs: "password=..." settings (conninfo or
 * URI query) and the password of a URI's user:password@ are removed.
 */
static char *store_redact(const char *spec)
{
	char *out = strdup(spec), *p, *at, *slash, *colon;

	if (out == NULL)
		return NULL;
	if ((p = strstr(out, "://")) != NULL) {
		p += 3;
		slash = p + strcspn(p, "/?");
		at = memchr(p, '@', (size_t)(slash - p));
		colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
		if (colon)
			memmove(colon, at, strlen(at) + 1);
	}
	for (p = out; (p = strstr(p, "password=")) != NULL;) {
		if (p > out && p[-1] != ' ' && p[-1] != '?' && p[-1] != '&') {
			p++;
			continue;
		}
		size_t n = strlen("password=") + store_value_len(p + strlen("password="));
		if (p[n] == ' ' || p[n] == '&')
			n++;
		memmove(p, p + n, strlen(p + n) + 1);
	}
	return out;
}

/* Which backend a spec names, and the target it hands over. */
static const struct store_scheme *store_scheme_of(const char *spec, const char **target)
{
	for (size_t i = 0; i < sizeof(store_schemes) / sizeof(store_schemes[0]); i++) {
		const struct store_scheme *s = &store_schemes[i];
		size_t n = strlen(s->prefix);

		if (strncmp(spec, s->prefix, n) == 0) {
			*target = s->strip ? spec + n : spec;
			return s;
		}
	}
	*target = spec;
	return NULL;
}

/* "word:" at the start of a spec that is not a known scheme: refuse, not a file name. */
static int store_unknown_scheme(const char *spec)
{
	size_t n = strspn(spec, "abcdefghijklmnopqrstuvwxyz0123456789+-.");

	return n > 0 && spec[n] == ':';
}

int store_open(const char *spec, int flags, struct store **out, char *err, size_t errlen)
{
	const struct store_scheme *scheme;
	const struct store_backend *be = &store_sqlite_backend;
	const char *target;
	struct store *st;

	*out = NULL;
	if (spec == NULL || *spec == 0) {
		snprintf(err, errlen, "store: empty database specification");
		return STORE_ERR;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL || (st->name = store_redact(spec)) == NULL) {
		snprintf(err, errlen, "store: %s", strerror(errno));
		free(st);
		return STORE_ERR;
	}
	st->flags = flags;
	scheme = store_scheme_of(spec, &target);
	if (scheme != NULL && scheme->be == NULL) {
		store_set_error(st, "%s", scheme->missing);
	} else if (scheme == NULL && store_unknown_scheme(spec)) {
		store_set_error(
		    st, "unknown database type (use a path, sqlite:PATH or pgsql:CONNINFO)");
	} else if (*target == 0) {
		store_set_error(st, "no database path or connection given");
	} else {
		if (scheme != NULL)
			be = scheme->be;
		st->be = be;
		if (be->open(st, target, flags) == STORE_OK) {
			*out = st;
			return STORE_OK;
		}
		st->be = NULL;
	}
	snprintf(err, errlen, "%s", st->err);
	free(st->name);
	free(st);
	return STORE_ERR;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->be)
		st->be->close(st);
	free(st->name);
	free(st);
}

const char *store_error(const struct store *st)
{
	return st ? st->err : "store: no handle";
}

const char *store_name(const struct store *st)
{
	return st && st->name ? st->name : "";
}

void store_policy_default(struct store_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->lifetime[BT_CLASS_RECIPIENT_POLICY] = 180 * DAY;
	p->lifetime[BT_CLASS_RECIPIENT_INVALID] = 365 * DAY;
	p->lifetime[BT_CLASS_RECIPIENT_TRANSIENT] = 30 * DAY;
	p->transient_threshold = 3;
	p->transient_window = 7 * DAY;
}

void suppression_free(struct suppression *s)
{
	if (s == NULL)
		return;
	free(s->recipient);
	free(s->tag);
	free(s->reason);
	free(s->diagnostic);
	free(s->rule);
	free(s->remote_mta);
	free(s->source);
	free(s->released_by);
	free(s->release_why);
	memset(s, 0, sizeof(*s));
}

/* The one definition of "active" (see the top of this file). */
static int suppression_active(const struct suppression *s, time_t now)
{
	return s->released_at == 0 && (s->expires == 0 || s->expires > now);
}

static time_t store_expiry(const struct store_policy *p, enum bt_class cls, time_t last_seen)
{
	long life = (unsigned)cls < BT_CLASS_COUNT ? p->lifetime[cls] : 0;

	return life > 0 ? last_seen + life : 0;
}

static int action_is(const struct store_event *ev, const char *action)
{
	return ev->action != NULL && strcmp(ev->action, action) == 0;
}

/* Only trusted failure or delay results about a recipient may touch suppressions. */
static int event_may_suppress(const struct store_event *ev)
{
	return ev->trusted && ev->recipient != NULL && *ev->recipient != 0 &&
	       (action_is(ev, "failed") || action_is(ev, "delayed"));
}

static int class_is_hard(enum bt_class cls)
{
	return cls == BT_CLASS_RECIPIENT_POLICY || cls == BT_CLASS_RECIPIENT_INVALID;
}

/* A hard refusal by the recipient's side suppresses on the first trusted failure. */
static int event_suppresses_at_once(const struct store_event *ev)
{
	return action_is(ev, "failed") && class_is_hard(ev->cls);
}

/*
 * Results that suppress only when repeated: mailbox-full style failures and
 * delays, and delays that already point at a hard refusal.
 */
static int event_counts(const char *action, enum bt_class cls)
{
	int failed = strcmp(action, "failed") == 0, delayed = strcmp(action, "delayed") == 0;

	if (cls == BT_CLASS_RECIPIENT_TRANSIENT)
		return failed || delayed;
	return delayed && class_is_hard(cls);
}

static int store_count_group(void *ctx, const char *cls_name, const char *action, int trusted,
                             long count)
{
	long *total = ctx;
	enum bt_class cls;

	if (trusted && class_parse(cls_name, &cls) == 0 && event_counts(action, cls))
		*total += count;
	return 0;
}

/*
 * Whether the trusted counting events in the window (this one included)
 * reach the threshold. A release starts the count afresh: what led to the
 * released suppression must not re-suppress on the next single failure.
 */
static int store_threshold_reached(struct store *st, const struct store_event *ev,
                                   const struct suppression *old, const struct store_policy *p,
                                   long *count)
{
	time_t since = ev->when - p->transient_window;

	*count = 0;
	if (p->transient_threshold <= 0)
		return 0;
	if (old->released_at != 0 && old->released_at > since)
		since = old->released_at;
	if (st->be->count_recent(st, ev->recipient, since, ev->when, store_count_group, count) !=
	    STORE_OK)
		return STORE_ERR;
	return *count >= p->transient_threshold;
}

/* Fill row from an event: the fields that always follow the latest result. */
static void row_take_result(struct suppression *row, const struct store_event *ev)
{
	const char *reason = ev->reason ? ev->reason : class_name(ev->cls);

	row->cls = ev->cls;
	row->reason = (char *)reason;
	row->diagnostic = (char *)ev->diagnostic;
	row->rule = (char *)ev->rule;
	row->remote_mta = (char *)ev->remote_mta;
}

/*
 * Suppress, or renew the active suppression of, ev->recipient; old is its
 * row (zeroed when there is none). A renewal keeps first_seen and counts
 * one more hit; a row added by hand keeps its operator's tag and source,
 * and never loses expiry time to a renewal. Anything else (no row,
 * released, expired) starts a new suppression.
 */
static int store_suppress(struct store *st, const struct store_event *ev,
                          const struct suppression *old, const struct store_policy *p, long hits,
                          enum store_outcome *oc)
{
	struct suppression row;

	memset(&row, 0, sizeof(row));
	row.recipient = (char *)ev->recipient;
	row_take_result(&row, ev);
	row.tag = row.reason;
	row.source = (char *)ev->source;
	row.first_seen = ev->when;
	row.last_seen = ev->when;
	row.hits = hits;
	row.expires = store_expiry(p, ev->cls, ev->when);
	*oc = STORE_SUPPRESSED;
	if (old->recipient != NULL && suppression_active(old, ev->when)) {
		*oc = STORE_RENEWED;
		row.first_seen = old->first_seen;
		row.hits = old->hits + 1;
		if (old->last_seen > row.last_seen)
			row.last_seen = old->last_seen;
		row.expires = store_expiry(p, ev->cls, row.last_seen);
		if (old->source != NULL && strcmp(old->source, "cli") == 0) {
			row.tag = old->tag;
			row.source = old->source;
			if (old->expires == 0 || row.expires == 0)
				row.expires = 0;
			else if (old->expires > row.expires)
				row.expires = old->expires;
		}
	}
	return st->be->put(st, &row);
}

static int store_check_event(struct store *st, const struct store_event *ev)
{
	if (ev->action == NULL || *ev->action == 0) {
		store_set_error(st, "event without an action");
		return STORE_ERR;
	}
	if (ev->recipient != NULL && strnlen(ev->recipient, ADDR_MAX) >= ADDR_MAX) {
		store_set_error(st, "recipient longer than %d bytes", ADDR_MAX - 1);
		return STORE_ERR;
	}
	return STORE_OK;
}

/* Apply the policy to a stored, non-duplicate event that may suppress. */
static int store_apply(struct store *st, const struct store_event *ev, const struct store_policy *p,
                       enum store_outcome *oc)
{
	struct suppression old;
	long hits = 1;
	int rc;

	if (st->be->get(st, ev->recipient, &old) == STORE_ERR)
		return STORE_ERR;
	if (!event_suppresses_at_once(ev)) {
		rc = store_threshold_reached(st, ev, &old, p, &hits);
		if (rc != 1) {
			suppression_free(&old);
			return rc; /* STORE_OK (0): below the threshold */
		}
	}
	rc = store_suppress(st, ev, &old, p, hits, oc);
	suppression_free(&old);
	return rc;
}

/* One event inside the open transaction: append it, then apply the policy. */
static int store_record_one(struct store *st, const struct store_event *in,
                            const struct store_policy *p, enum store_outcome *oc)
{
	struct store_event ev = *in;
	int dup = 0;

	if (ev.when == 0)
		ev.when = time(NULL);
	*oc = STORE_EVENT_ONLY;
	if (store_check_event(st, &ev) != STORE_OK ||
	    st->be->insert_event(st, &ev, &dup) != STORE_OK)
		return STORE_ERR;
	if (dup) {
		*oc = STORE_DUPLICATE;
		return STORE_OK;
	}
	if (!event_may_suppress(&ev))
		return STORE_OK;
	if (!event_suppresses_at_once(&ev) && !event_counts(ev.action, ev.cls))
		return STORE_OK;
	return store_apply(st, &ev, p, oc);
}

static int store_writable(struct store *st)
{
	if (st->flags & STORE_READONLY) {
		store_set_error(st, "opened read-only");
		return 0;
	}
	return 1;
}

int store_record(struct store *st, const struct store_event *evs, size_t n,
                 const struct store_policy *policy, enum store_outcome *outcomes)
{
	struct store_policy def;
	enum store_outcome scratch;

	if (!store_writable(st))
		return STORE_ERR;
	if (policy == NULL) {
		store_policy_default(&def);
		policy = &def;
	}
	if (st->be->begin(st) != STORE_OK)
		return STORE_ERR;
	for (size_t i = 0; i < n; i++) {
		if (store_record_one(st, &evs[i], policy, outcomes ? &outcomes[i] : &scratch) !=
		    STORE_OK) {
			st->be->rollback(st);
			return STORE_ERR;
		}
	}
	if (st->be->commit(st) != STORE_OK) {
		st->be->rollback(st);
		return STORE_ERR;
	}
	return STORE_OK;
}

int store_get(struct store *st, const char *addr, struct suppression *out)
{
	memset(out, 0, sizeof(*out));
	if (addr == NULL || strnlen(addr, ADDR_MAX) >= ADDR_MAX)
		return STORE_NOTFOUND;
	return st->be->get(st, addr, out);
}

int store_lookup(struct store *st, const char *addr, time_t now, struct suppression *out)
{
	int rc = store_get(st, addr, out);

	if (rc == STORE_OK && !suppression_active(out, now)) {
		suppression_free(out);
		return STORE_NOTFOUND;
	}
	return rc;
}

/* An operator's action in the event log, in the same transaction as the row change. */
static int store_admin_event(struct store *st, const struct suppression *row, const char *action,
                             const char *by, const char *why, time_t now)
{
	char text[1024];
	struct store_event ev;
	int dup;

	snprintf(text, sizeof(text), "%s by %s%s%s", action, by ? by : "unknown",
	         why && *why ? ": " : "", why ? why : "");
	memset(&ev, 0, sizeof(ev));
	ev.when = now;
	ev.recipient = row->recipient;
	ev.action = action;
	ev.diagnostic = text;
	ev.cls = row->cls;
	ev.reason = row->reason;
	ev.source = "cli";
	ev.trusted = 1;
	return st->be->insert_event(st, &ev, &dup);
}

static int store_release_locked(struct store *st, const char *addr, const char *by, const char *why,
                                time_t now)
{
	struct suppression row;
	int rc;

	if ((rc = store_get(st, addr, &row)) != STORE_OK)
		return rc;
	if (!suppression_active(&row, now)) {
		suppression_free(&row);
		return STORE_NOTFOUND;
	}
	row.released_at = now;
	free(row.released_by);
	free(row.release_why);
	row.released_by = strdup(by ? by : "unknown");
	row.release_why = why ? strdup(why) : NULL;
	if (row.released_by == NULL || (why && row.release_why == NULL)) {
		store_set_error(st, "out of memory");
		rc = STORE_ERR;
	} else if ((rc = st->be->put(st, &row)) == STORE_OK) {
		rc = store_admin_event(st, &row, "released", by, why, now);
	}
	suppression_free(&row);
	return rc;
}

int store_release(struct store *st, const char *addr, const char *by, const char *why, time_t now)
{
	int rc;

	if (!store_writable(st))
		return STORE_ERR;
	if (now == 0)
		now = time(NULL);
	if (st->be->begin(st) != STORE_OK)
		return STORE_ERR;
	rc = store_release_locked(st, addr, by, why, now);
	if (rc == STORE_OK && st->be->commit(st) == STORE_OK)
		return STORE_OK;
	st->be->rollback(st);
	return rc == STORE_OK ? STORE_ERR : rc;
}

static int store_add_locked(struct store *st, const char *addr, const char *tag, enum bt_class cls,
                            const char *reason, const char *by, time_t expires, time_t now)
{
	struct suppression old, row;
	char text[512];
	int rc;

	if ((rc = store_get(st, addr, &old)) == STORE_ERR)
		return STORE_ERR;
	snprintf(text, sizeof(text), "added by %s", by ? by : "unknown");
	memset(&row, 0, sizeof(row));
	row.recipient = (char *)addr;
	row.reason = (char *)(reason ? reason : tag ? tag : "manual");
	row.tag = (char *)(tag ? tag : row.reason);
	row.cls = cls;
	row.diagnostic = text;
	row.source = "cli";
	row.first_seen = now;
	row.last_seen = now;
	row.hits = 1;
	row.expires = expires;
	if (rc == STORE_OK && suppression_active(&old, now)) {
		row.first_seen = old.first_seen;
		row.hits = old.hits + 1;
	}
	if (rc == STORE_OK)
		suppression_free(&old);
	if ((rc = st->be->put(st, &row)) != STORE_OK)
		return rc;
	return store_admin_event(st, &row, "added", by, NULL, now);
}

int store_add(struct store *st, const char *addr, const char *tag, enum bt_class cls,
              const char *reason, const char *by, time_t expires, time_t now)
{
	int rc;

	if (!store_writable(st))
		return STORE_ERR;
	if (addr == NULL || *addr == 0 || strnlen(addr, ADDR_MAX) >= ADDR_MAX) {
		store_set_error(st, "cannot add: not an address of at most %d bytes", ADDR_MAX - 1);
		return STORE_ERR;
	}
	if ((unsigned)cls >= BT_CLASS_COUNT) {
		store_set_error(st, "cannot add: unknown class %d", (int)cls);
		return STORE_ERR;
	}
	if (now == 0)
		now = time(NULL);
	if (st->be->begin(st) != STORE_OK)
		return STORE_ERR;
	rc = store_add_locked(st, addr, tag, cls, reason, by, expires, now);
	if (rc == STORE_OK && st->be->commit(st) == STORE_OK)
		return STORE_OK;
	st->be->rollback(st);
	return STORE_ERR;
}

struct store_list_ctx {
	const struct store_filter *f;
	store_suppression_cb cb;
	void *ctx;
};

static int store_list_filter(void *ctx, const struct suppression *s)
{
	struct store_list_ctx *lc = ctx;

	if (!lc->f->include_inactive && !suppression_active(s, lc->f->now))
		return 0;
	return lc->cb(lc->ctx, s);
}

int store_list(struct store *st, const struct store_filter *f, store_suppression_cb cb, void *ctx)
{
	struct store_filter any = {.cls = -1};
	struct store_list_ctx lc;

	if (f == NULL) {
		any.now = time(NULL);
		f = &any;
	}
	lc.f = f;
	lc.cb = cb;
	lc.ctx = ctx;
	return st->be->list(st, f, store_list_filter, &lc);
}

int store_history(struct store *st, const char *addr, store_event_cb cb, void *ctx)
{
	if (addr == NULL || strnlen(addr, ADDR_MAX) >= ADDR_MAX)
		return STORE_OK;
	return st->be->history(st, addr, cb, ctx);
}

struct store_stats_ctx {
	struct store_stats *out;
	time_t now;
};

static int store_stats_row(void *ctx, const struct suppression *s)
{
	struct store_stats_ctx *sc = ctx;

	if (s->released_at != 0)
		sc->out->released++;
	else if (!suppression_active(s, sc->now))
		sc->out->expired++;
	else if ((unsigned)s->cls < BT_CLASS_COUNT)
		sc->out->active[s->cls]++;
	return 0;
}

static int store_is_admin_action(const char *action)
{
	for (int i = 0; i < STORE_ADMIN_ACTION_COUNT; i++)
		if (strcmp(action, store_admin_actions[i]) == 0)
			return 1;
	return 0;
}

static int store_stats_group(void *ctx, const char *cls_name, const char *action, int trusted,
                             long count)
{
	struct store_stats *out = ctx;
	enum bt_class cls;

	if (strcmp(action, "withheld") == 0) {
		out->withheld += count;
		return 0;
	}
	if (store_is_admin_action(action))
		return 0;
	if (class_parse(cls_name, &cls) != 0)
		cls = BT_CLASS_UNCLASSIFIED;
	out->events[cls] += count;
	if (!trusted)
		out->events_untrusted += count;
	return 0;
}

int store_stats(struct store *st, time_t now, struct store_stats *out)
{
	struct store_filter all = {.cls = -1, .include_inactive = 1, .now = now};
	struct store_stats_ctx sc = {out, now};
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = st->be->list(st, &all, store_stats_row, &sc)) != STORE_OK)
		return rc;
	return st->be->event_counts(st, store_stats_group, out);
}

int store_top_domains(struct store *st, enum bt_class cls, time_t since, int limit,
                      store_count_cb cb, void *ctx)
{
	return st->be->top_domains(st, cls, since, limit, cb, ctx);
}

/*
 * Message-IDs are compared as written, less surrounding white space, with
 * one pair of angle brackets: "<a@b>", " <a@b> " and "a@b" are the same id.
 * Returns 0, or -1 when nothing is left or it does not fit.
 */
static int store_msgid(const char *in, char *out, size_t outlen)
{
	const char *s = in, *e;
	size_t n;

	if (in == NULL)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e > s && *s == '<')
		s++;
	if (e > s && e[-1] == '>')
		e--;
	n = (size_t)(e - s);
	if (n == 0 || n + 3 > outlen)
		return -1;
	out[0] = '<';
	memcpy(out + 1, s, n);
	out[n + 1] = '>';
	out[n + 2] = 0;
	return 0;
}

#define STORE_MSGID_MAX 1000 /* RFC 5322 line length: longer is not a real id */

int store_moved(struct store *st)
{
	return st->be->moved ? st->be->moved(st) : 0;
}

int store_sent_record(struct store *st, const struct store_sent *items, size_t n)
{
	char id[STORE_MSGID_MAX];

	if (!store_writable(st))
		return STORE_ERR;
	if (st->be->sent_begin(st) != STORE_OK)
		return STORE_ERR;
	for (size_t i = 0; i < n; i++) {
		struct store_sent it = items[i];

		if (store_msgid(it.message_id, id, sizeof(id)) < 0 || it.recipient == NULL)
			continue; /* nothing a bounce could be matched on */
		it.message_id = id;
		if (it.when == 0)
			it.when = time(NULL);
		if (st->be->sent_insert(st, &it) != STORE_OK) {
			st->be->rollback(st);
			return STORE_ERR;
		}
	}
	if (st->be->commit(st) != STORE_OK) {
		st->be->rollback(st);
		return STORE_ERR;
	}
	return STORE_OK;
}

int store_sent_match(struct store *st, const char *message_id, const char *recipient,
                     time_t since)
{
	char id[STORE_MSGID_MAX];

	if (recipient == NULL || store_msgid(message_id, id, sizeof(id)) < 0)
		return STORE_NOTFOUND;
	return st->be->sent_match(st, id, recipient, since);
}

int store_sent_prune(struct store *st, time_t before, long limit, long *removed)
{
	*removed = 0;
	if (!store_writable(st))
		return STORE_ERR;
	return st->be->sent_prune(st, before, limit, removed);
}
