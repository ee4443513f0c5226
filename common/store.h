/*
 * store - the suppression database: one interface, several backends.
 *
 * Synopsis:
 *	struct store *st;
 *	char err[512];
 *	if (store_open("/var/lib/bouncetag/bouncetag.db", 0, &st, err, sizeof(err)) < 0) ...
 *	struct store_event ev = { .recipient = "a@example.com", .action = "failed", ... };
 *	enum store_outcome oc;
 *	store_record(st, &ev, 1, &policy, &oc);
 *	struct suppression s;
 *	if (store_lookup(st, "a@example.com", time(NULL), &s) == STORE_OK) { ...; suppression_free(&s); }
 *	store_close(st);
 *
 * Specs: a path, or "sqlite:PATH", selects the embedded SQLite backend
 *	(WAL, schema version in PRAGMA user_version, prepared statements only,
 *	synchronous=FULL so that a recorded result survives a crash);
 *	"pgsql:CONNINFO" or "postgresql://..." is reserved for the PostgreSQL
 *	backend and is refused with a clear error until it exists.
 *
 * Data: suppressions hold one row per normalised recipient: tag, class,
 *	reason, the raw reply, rule id, remote MTA, source, first and last seen,
 *	hit count, expiry (0 = never), and the release record (released at, by,
 *	why). A release is recorded, never a deletion; a later learned result
 *	for the same recipient suppresses again. Events are an append-only log
 *	of every classified result (trusted or not), every withheld recipient,
 *	release and manual addition.
 *
 * Policy (applied here, once, for every backend): a trusted event with
 *	action "failed" and class recipient-policy or recipient-invalid creates
 *	or renews a suppression. recipient-transient events, and delayed
 *	recipient-policy/-invalid events, count: when the trusted ones for a
 *	recipient within policy->transient_window reach
 *	policy->transient_threshold, the recipient is suppressed. Everything
 *	else is an event only. Expiry is last_seen plus the class lifetime.
 *	An event whose dedup_key was seen before is dropped as a duplicate
 *	(Postfix's postmaster copy of a DSN; a DSN retried after a tempfail).
 *
 * Atomicity: store_record() writes all events of one call in one
 *	transaction: either every event is durable on return, or none is and
 *	STORE_ERR is returned.
 *
 * Threads: a struct store is used by one thread at a time; open one per
 *	thread (or pool them). Backends take care of cross-process locking.
 *
 * Diagnostics: functions return STORE_OK, STORE_NOTFOUND where stated, or
 *	STORE_ERR; store_error() then says what failed, naming the database.
 */
#ifndef BT_STORE_H
#define BT_STORE_H

#include <stddef.h>
#include <time.h>

#include "class.h"

#define STORE_OK 0
#define STORE_NOTFOUND 1
#define STORE_ERR (-1)

#define STORE_READONLY 1 /* open flag: no schema creation, no writes */

struct store;

struct store_event {
	time_t when;
	const char *recipient;  /* normalised (addr.h) */
	const char *action;     /* failed, delayed, delivered, withheld, released, added */
	const char *status;     /* "5.7.1" or NULL */
	int reply_code;         /* 0 when none */
	const char *diagnostic; /* the raw reply line as received */
	const char *remote_mta;
	enum bt_class cls;
	const char *reason;
	const char *rule;       /* NULL for a fallback verdict */
	const char *source;     /* "dsn", "inbound", "local", "cli", "log" */
	int trusted;            /* only trusted events may suppress */
	const char *queue_id;
	const char *message_id; /* of the message the result is about */
	const char *dedup_key;  /* NULL: never a duplicate */
};

struct store_policy {
	long lifetime[BT_CLASS_COUNT]; /* seconds a suppression of that class lasts; 0 = never expires */
	int transient_threshold;       /* failures within the window that suppress */
	long transient_window;         /* seconds */
};

enum store_outcome {
	STORE_EVENT_ONLY = 0,  /* recorded, no suppression change */
	STORE_DUPLICATE,       /* seen before: nothing written */
	STORE_SUPPRESSED,      /* a new (or re-)suppression */
	STORE_RENEWED,         /* an active suppression saw another hit */
};

struct suppression {
	char *recipient;
	char *tag;
	enum bt_class cls;
	char *reason;
	char *diagnostic;
	char *rule;
	char *remote_mta;
	char *source;
	time_t first_seen;
	time_t last_seen;
	long hits;
	time_t expires;     /* 0 = never */
	time_t released_at; /* 0 = not released */
	char *released_by;
	char *release_why;
};

struct stored_event {
	long long id;
	struct store_event ev; /* strings owned by the store for the callback's duration */
};

struct store_filter {
	const char *tag;        /* NULL = any */
	int cls;                /* -1 = any, else enum bt_class */
	const char *domain;     /* recipient domain, NULL = any */
	time_t since;           /* last_seen >= since; 0 = any */
	int include_inactive;   /* also released and expired rows */
	time_t now;             /* for "active" */
};

struct store_stats {
	long active[BT_CLASS_COUNT]; /* active suppressions by class */
	long released;
	long expired;
	long events[BT_CLASS_COUNT]; /* events (results) by class */
	long events_untrusted;
	long withheld;
};

/*
 * Mail we sent (submission and non-SMTP paths), one row per recipient: a
 * bounce from the internet is trusted only when its returned Message-ID
 * was sent to that recipient within the trust window.
 */
struct store_sent {
	time_t when;
	const char *message_id; /* as in the header; compared after trimming, with <> */
	const char *sender;     /* envelope sender, may be NULL */
	const char *recipient;  /* normalised */
	const char *queue_id;
	const char *source;     /* "submission" or "local" */
};

typedef int (*store_suppression_cb)(void *ctx, const struct suppression *s);
typedef int (*store_event_cb)(void *ctx, const struct stored_event *e);
typedef int (*store_count_cb)(void *ctx, const char *key, long count);

int store_open(const char *spec, int flags, struct store **out, char *err, size_t errlen);
void store_close(struct store *st);
const char *store_error(const struct store *st);
/*
 * 1 when the handle no longer writes where its spec points (SQLite: the
 * file was deleted, renamed or replaced since it was opened), 0 when it
 * does. A caller that keeps handles open (the milter's pool) reopens such
 * a handle, so results never go to a file nobody will read.
 */
int store_moved(struct store *st);
/* The spec with any password removed, for log lines. */
const char *store_name(const struct store *st);

void store_policy_default(struct store_policy *p);

int store_record(struct store *st, const struct store_event *evs, size_t n,
		 const struct store_policy *policy, enum store_outcome *outcomes);

/* STORE_OK and *out filled when addr has an active suppression at now; STORE_NOTFOUND otherwise. */
int store_lookup(struct store *st, const char *addr, time_t now, struct suppression *out);
/* Like store_lookup() but also returns released and expired rows. */
int store_get(struct store *st, const char *addr, struct suppression *out);
void suppression_free(struct suppression *s);

/* STORE_NOTFOUND when addr has no active suppression. */
int store_release(struct store *st, const char *addr, const char *by, const char *why, time_t now);
/* Suppress by hand (source "cli"); expires 0 = never. */
int store_add(struct store *st, const char *addr, const char *tag, enum bt_class cls,
	      const char *reason, const char *by, time_t expires, time_t now);

/* Callbacks return 0 to go on, non-zero to stop (that value is returned). */
int store_list(struct store *st, const struct store_filter *f, store_suppression_cb cb, void *ctx);
int store_history(struct store *st, const char *addr, store_event_cb cb, void *ctx);
int store_stats(struct store *st, time_t now, struct store_stats *out);
/*
 * Record sent mail in one transaction. These rows only serve to trust
 * bounces, so they are not forced to disk on every commit (SQLite: WAL
 * with synchronous=NORMAL for this transaction): a crash may lose the last
 * few, which then makes their bounces untrusted, never wrongly trusted.
 */
int store_sent_record(struct store *st, const struct store_sent *items, size_t n);
/* STORE_OK when message_id was sent to recipient at or after since; else STORE_NOTFOUND. */
int store_sent_match(struct store *st, const char *message_id, const char *recipient,
		     time_t since);
/* Forget sent rows older than before, at most limit of them; *removed gets the count. */
int store_sent_prune(struct store *st, time_t before, long limit, long *removed);

/* Receiving domains with the most events of a class since a time, most first. */
int store_top_domains(struct store *st, enum bt_class cls, time_t since, int limit,
		      store_count_cb cb, void *ctx);

#endif
