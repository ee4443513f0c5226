/* clang-format off */
/*
 * store_sqlite - the embedded SQLite backend of the suppression store.
 *
 * What it does: keeps the two tables of store.h in one SQLite file and is
 * the only place that builds SQL for it. Every statement is a constant
 * string, prepared once per connection and reused; every value is bound
 * with sqlite3_bind_*(). No policy here: store.c decides, this file reads
 * and writes rows (see store_impl.h).
 *
 * Durability and concurrency: WAL journal (readers never wait for the
 * writer), synchronous=FULL (the milter answers Postfix only after a
 * result is recorded, so a commit must survive a crash or power loss),
 * busy_timeout so that writers in other threads or processes queue up
 * instead of failing, and BEGIN IMMEDIATE for every write so that a
 * transaction takes the write lock before it reads what it will change.
 * One connection per struct store; one thread uses it at a time.
 *
 * Schema: versioned in PRAGMA user_version. sq_migrations[v] takes a
 * database from version v to v + 1 and runs in one transaction with the
 * others it needs; version 0 is an empty file. A file whose version is
 * newer than SQ_SCHEMA_VERSION is refused rather than misread.
 *
 * Times are unix seconds (INTEGER). class is the contract name
 * (class_name()), so that people and Postfix can read the table.
 *
 * Postfix can refuse suppressed recipients from this same file, as an
 * alternative to the milter (sqlite_table(5); '%%' is Postfix's escape
 * for a literal '%'). In for example /etc/postfix/bouncetag.sqlite.cf,
 * with the query on one line:
 *	dbpath = /var/lib/bouncetag/bouncetag.db
 *	query = SELECT '550 5.7.1 recipient suppressed by bouncetag (' || tag || ') since ' || date(first_seen, 'unixepoch') FROM suppressions WHERE recipient = '%s' AND released_at IS NULL AND (expires = 0 OR expires > CAST(strftime('%%s', 'now') AS INTEGER))
 * and in main.cf or the submission service:
 *	smtpd_recipient_restrictions = check_recipient_access
 *	    sqlite:/etc/postfix/bouncetag.sqlite.cf, ...
 * The postfix user needs read access to the database and, because of
 * WAL, write access to its directory (the -shm file). The unit test runs
 * the query line above verbatim.
 */
/* clang-format on */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "addr.h"
#include "class.h"
#include "msg.h"
#include "store.h"
#include "store_impl.h"

#define SQ_SCHEMA_VERSION 2
#define SQ_BUSY_MS 5000
#define SQ_CACHE_KB "512" /* page cache per handle, KiB */

/* sq_migrations[v]: version v -> v + 1. Constant DDL only. */
static const char *const sq_migrations[SQ_SCHEMA_VERSION] = {
    /* 0 -> 1: the first schema. */
    "CREATE TABLE suppressions ("
    " recipient TEXT PRIMARY KEY NOT NULL,"
    " domain TEXT NOT NULL,"
    " tag TEXT NOT NULL,"
    " class TEXT NOT NULL,"
    " reason TEXT,"
    " diagnostic TEXT,"
    " rule TEXT,"
    " remote_mta TEXT,"
    " source TEXT,"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " hits INTEGER NOT NULL DEFAULT 1,"
    " expires INTEGER NOT NULL DEFAULT 0," /* 0 = never */
    " released_at INTEGER,"                /* NULL = not released */
    " released_by TEXT,"
    " release_why TEXT);"
    "CREATE INDEX suppressions_domain ON suppressions(domain);"
    "CREATE INDEX suppressions_tag ON suppressions(tag);"
    "CREATE INDEX suppressions_class ON suppressions(class);"
    "CREATE INDEX suppressions_last_seen ON suppressions(last_seen);"
    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY,"
    " time INTEGER NOT NULL,"
    " recipient TEXT,"
    " domain TEXT,"
    " action TEXT NOT NULL,"
    " status TEXT,"
    " reply_code INTEGER,"
    " diagnostic TEXT,"
    " remote_mta TEXT,"
    " class TEXT NOT NULL,"
    " reason TEXT,"
    " rule TEXT,"
    " source TEXT,"
    " trusted INTEGER NOT NULL,"
    " queue_id TEXT,"
    " message_id TEXT,"
    " dedup_key TEXT UNIQUE);" /* NULLs are never equal: many allowed */
    "CREATE INDEX events_recipient_time ON events(recipient, time);"
    /* action makes the top-domains scan a covering index scan */
    "CREATE INDEX events_class_time_domain ON events(class, time, domain, action);"
    "PRAGMA user_version = 1;",
    /* 1 -> 2: mail we sent, to trust bounces from the internet (store_sent_*). */
    "CREATE TABLE sent ("
    " id INTEGER PRIMARY KEY,"
    " time INTEGER NOT NULL,"
    " message_id TEXT NOT NULL,"
    " sender TEXT,"
    " recipient TEXT NOT NULL,"
    " queue_id TEXT,"
    " source TEXT);"
    "CREATE INDEX sent_message_recipient ON sent(message_id, recipient, time);"
    "CREATE INDEX sent_time ON sent(time);"
    "PRAGMA user_version = 2;",
};

#define SQ_SUPP_COLS                                                                               \
	"recipient, tag, class, reason, diagnostic, rule, remote_mta, source, first_seen, "        \
	"last_seen, hits, expires, released_at, released_by, release_why"
#define SQ_EVENT_COLS                                                                              \
	"time, recipient, domain, action, status, reply_code, diagnostic, remote_mta, class, "     \
	"reason, rule, source, trusted, queue_id, message_id, dedup_key"

enum sq_stmt {
	SQ_BEGIN,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_EVENT_INSERT,
	SQ_EVENT_WINDOW,
	SQ_EVENT_HISTORY,
	SQ_EVENT_COUNTS,
	SQ_TOP_DOMAINS,
	SQ_SUPP_GET,
	SQ_SUPP_PUT,
	SQ_SUPP_LIST,
	SQ_SENT_INSERT,
	SQ_SENT_MATCH,
	SQ_SENT_PRUNE,
	SQ_SYNC_NORMAL,
	SQ_SYNC_FULL,
	SQ_COUNT
};

static const char *const sq_sql[SQ_COUNT] = {
    [SQ_BEGIN] = "BEGIN IMMEDIATE",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_EVENT_INSERT] =
        "INSERT INTO events (" SQ_EVENT_COLS ")"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
        " ON CONFLICT (dedup_key) DO NOTHING",
    [SQ_EVENT_WINDOW] = "SELECT class, action, trusted, count(*) FROM events"
                        " WHERE recipient = ?1 AND time > ?2 AND time <= ?3"
                        " GROUP BY class, action, trusted",
    [SQ_EVENT_HISTORY] = "SELECT id, " SQ_EVENT_COLS " FROM events WHERE recipient = ?1"
                         " ORDER BY time, id",
    [SQ_EVENT_COUNTS] = "SELECT class, action, trusted, count(*) FROM events"
                        " GROUP BY class, action, trusted",
    [SQ_TOP_DOMAINS] = "SELECT domain, count(*) AS n FROM events"
                       " WHERE class = ?1 AND time >= ?2 AND domain IS NOT NULL"
                       " AND action NOT IN (?4, ?5, ?6)"
                       " GROUP BY domain ORDER BY n DESC, domain LIMIT ?3",
    [SQ_SUPP_GET] = "SELECT " SQ_SUPP_COLS " FROM suppressions WHERE recipient = ?1",
    [SQ_SUPP_PUT] =
        "INSERT INTO suppressions (recipient, domain, tag, class, reason, diagnostic,"
        " rule, remote_mta, source, first_seen, last_seen, hits, expires, released_at,"
        " released_by, release_why)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
        " ON CONFLICT (recipient) DO UPDATE SET domain = excluded.domain,"
        " tag = excluded.tag, class = excluded.class, reason = excluded.reason,"
        " diagnostic = excluded.diagnostic, rule = excluded.rule,"
        " remote_mta = excluded.remote_mta, source = excluded.source,"
        " first_seen = excluded.first_seen, last_seen = excluded.last_seen,"
        " hits = excluded.hits, expires = excluded.expires,"
        " released_at = excluded.released_at, released_by = excluded.released_by,"
        " release_why = excluded.release_why",
    [SQ_SUPP_LIST] = "SELECT " SQ_SUPP_COLS " FROM suppressions"
                     " WHERE (?1 IS NULL OR tag = ?1) AND (?2 IS NULL OR class = ?2)"
                     " AND (?3 IS NULL OR domain = ?3) AND last_seen >= ?4"
                     " ORDER BY last_seen DESC, recipient",
    [SQ_SENT_INSERT] = "INSERT INTO sent (time, message_id, sender, recipient, queue_id, source)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQ_SENT_MATCH] = "SELECT 1 FROM sent WHERE message_id = ?1 AND recipient = ?2"
                      " AND time >= ?3 LIMIT 1",
    [SQ_SENT_PRUNE] = "DELETE FROM sent WHERE id IN"
                      " (SELECT id FROM sent WHERE time < ?1 ORDER BY time LIMIT ?2)",
    [SQ_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
    [SQ_SYNC_FULL] = "PRAGMA synchronous = FULL",
};

struct sq {
	sqlite3 *db;
	sqlite3_stmt *stmt[SQ_COUNT];
};

static struct sq *sq_of(struct store *st)
{
	return st->priv;
}

/* "what: sqlite's message", with the OS error when SQLite saw one. */
static int sq_fail(struct store *st, const char *what)
{
	sqlite3 *db = sq_of(st)->db;
	int sys = db ? sqlite3_system_errno(db) : 0;

	if (db == NULL)
		store_set_error(st, "%s: out of memory", what);
	else if (sys != 0)
		store_set_error(st, "%s: %s (%s)", what, sqlite3_errmsg(db), strerror(sys));
	else
		store_set_error(st, "%s: %s", what, sqlite3_errmsg(db));
	return STORE_ERR;
}

/* A prepared statement, ready for binding. */
static sqlite3_stmt *sq_stmt(struct store *st, enum sq_stmt which)
{
	return sq_of(st)->stmt[which];
}

/* Make a statement reusable, and drop bindings that point into caller memory. */
static void sq_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static int sq_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(s, i);
	/* SQLITE_STATIC: the value outlives the step; sq_done() unbinds it. */
	return sqlite3_bind_text(s, i, v, (int)strnlen(v, STORE_FIELD_MAX), SQLITE_STATIC);
}

/* 0 (no time, no code) is stored as NULL. */
static int sq_bind_opt_int(sqlite3_stmt *s, int i, long long v)
{
	return v ? sqlite3_bind_int64(s, i, v) : sqlite3_bind_null(s, i);
}

static char *sq_col_text(sqlite3_stmt *s, int i)
{
	return (char *)sqlite3_column_text(s, i);
}

static enum bt_class sq_col_class(sqlite3_stmt *s, int i)
{
	const char *name = sq_col_text(s, i);
	enum bt_class cls;

	if (name == NULL || class_parse(name, &cls) != 0)
		return BT_CLASS_UNCLASSIFIED;
	return cls;
}

/* Run one statement that returns no rows. */
static int sq_step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		sq_fail(st, what);
		sq_done(s);
		return STORE_ERR;
	}
	sq_done(s);
	return STORE_OK;
}

/* An integer PRAGMA or similar one-off read, at open time only. */
static int sq_query_int(struct store *st, const char *sql, int *out, const char *what)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(sq_of(st)->db, sql, -1, &s, NULL) != SQLITE_OK)
		return sq_fail(st, what);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sq_fail(st, what);
		sqlite3_finalize(s);
		return STORE_ERR;
	}
	*out = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return STORE_OK;
}

static int sq_exec(struct store *st, const char *sql, const char *what)
{
	if (sqlite3_exec(sq_of(st)->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(st, what);
	return STORE_OK;
}

static int sq_version_known(struct store *st, int version)
{
	if (version > SQ_SCHEMA_VERSION) {
		store_set_error(st,
		                "database schema version %d is newer than this bouncetag knows "
		                "(%d); use a newer bouncetag",
		                version, SQ_SCHEMA_VERSION);
		return 0;
	}
	return 1;
}

/*
 * Bring the schema to SQ_SCHEMA_VERSION. The version is read again under
 * the write lock: another process may have created the schema while we
 * waited for it.
 */
static int sq_migrate(struct store *st)
{
	int version;

	if (sq_query_int(st, "PRAGMA user_version", &version, "cannot read schema version") < 0)
		return STORE_ERR;
	if (!sq_version_known(st, version))
		return STORE_ERR;
	if (version == SQ_SCHEMA_VERSION)
		return STORE_OK;
	if (sq_exec(st, "BEGIN IMMEDIATE", "cannot lock for schema creation") < 0)
		return STORE_ERR;
	if (sq_query_int(st, "PRAGMA user_version", &version, "cannot read schema version") < 0 ||
	    !sq_version_known(st, version))
		goto fail;
	for (; version < SQ_SCHEMA_VERSION; version++)
		if (sq_exec(st, sq_migrations[version], "cannot create or upgrade schema") < 0)
			goto fail;
	if (sq_exec(st, "COMMIT", "cannot commit schema") < 0)
		goto fail;
	return STORE_OK;
fail:
	sqlite3_exec(sq_of(st)->db, "ROLLBACK", NULL, NULL, NULL);
	return STORE_ERR;
}

/* Read-only: use the schema as it is, or say why not. */
static int sq_check_readonly(struct store *st)
{
	int version;

	if (sq_query_int(st, "PRAGMA user_version", &version, "cannot read schema version") < 0)
		return STORE_ERR;
	if (!sq_version_known(st, version))
		return STORE_ERR;
	if (version < SQ_SCHEMA_VERSION) {
		store_set_error(st,
		                "no bouncetag schema (version %d, want %d); open it read-write "
		                "once to create or upgrade it",
		                version, SQ_SCHEMA_VERSION);
		return STORE_ERR;
	}
	return STORE_OK;
}

/* Connection settings that hold for this connection's life. */
static int sq_configure(struct store *st, int readonly)
{
	sqlite3_stmt *s;
	const char *mode;

	if (readonly)
		return sq_check_readonly(st);
	/* The first read of the file: a non-database fails here. */
	if (sqlite3_prepare_v2(sq_of(st)->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) !=
	    SQLITE_OK)
		return sq_fail(st, "cannot use database");
	if (sqlite3_step(s) != SQLITE_ROW) {
		sq_fail(st, "cannot use database");
		sqlite3_finalize(s);
		return STORE_ERR;
	}
	mode = (const char *)sqlite3_column_text(s, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0)
		msg_warn("%s: journal mode is %s, not wal", st->name, mode ? mode : "unknown");
	sqlite3_finalize(s);
	if (sq_exec(st, "PRAGMA synchronous = FULL", "cannot set synchronous=FULL") < 0)
		return STORE_ERR;
	/*
	 * A small page cache per handle: a look-up touches a few B-tree pages
	 * that the kernel's page cache keeps anyway, and a daemon holds many
	 * handles (the default 2 MB each was most of the milter's memory).
	 */
	if (sq_exec(st, "PRAGMA cache_size = -" SQ_CACHE_KB, "cannot set cache_size") < 0)
		return STORE_ERR;
	return sq_migrate(st);
}

static int sq_prepare_all(struct store *st)
{
	struct sq *sq = sq_of(st);

	for (int i = 0; i < SQ_COUNT; i++) {
		if (sqlite3_prepare_v3(sq->db, sq_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                       &sq->stmt[i], NULL) != SQLITE_OK)
			return sq_fail(st, "cannot prepare statement");
	}
	return STORE_OK;
}

static void sq_close(struct store *st)
{
	struct sq *sq = sq_of(st);

	if (sq == NULL)
		return;
	for (int i = 0; i < SQ_COUNT; i++)
		sqlite3_finalize(sq->stmt[i]);
	if (sqlite3_close(sq->db) != SQLITE_OK)
		msg_warn("%s: close: %s", st->name, sqlite3_errmsg(sq->db));
	free(sq);
	st->priv = NULL;
}

static int sq_open(struct store *st, const char *path, int flags)
{
	int readonly = (flags & STORE_READONLY) != 0;
	int oflags = SQLITE_OPEN_NOMUTEX |
	             (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	struct sq *sq;

	if ((sq = calloc(1, sizeof(*sq))) == NULL) {
		store_set_error(st, "out of memory");
		return STORE_ERR;
	}
	st->priv = sq;
	if (sqlite3_open_v2(path, &sq->db, oflags, NULL) != SQLITE_OK) {
		sq_fail(st, "cannot open database");
		goto fail;
	}
	sqlite3_extended_result_codes(sq->db, 1);
	sqlite3_busy_timeout(sq->db, SQ_BUSY_MS);
	if (sq_configure(st, readonly) < 0 || sq_prepare_all(st) < 0)
		goto fail;
	return STORE_OK;
fail:
	sq_close(st);
	return STORE_ERR;
}

/* Results must be durable on commit: back to synchronous=FULL (see sq_sent_begin). */
static int sq_begin(struct store *st)
{
	if (sq_step_done(st, sq_stmt(st, SQ_SYNC_FULL), "cannot set synchronous") < 0)
		return STORE_ERR;
	return sq_step_done(st, sq_stmt(st, SQ_BEGIN), "cannot begin transaction");
}

static int sq_commit(struct store *st)
{
	return sq_step_done(st, sq_stmt(st, SQ_COMMIT), "cannot commit");
}

static void sq_rollback(struct store *st)
{
	char keep[STORE_ERR_MAX];

	/* Some errors (disk full, I/O) already rolled back: then there is nothing to do. */
	if (sqlite3_get_autocommit(sq_of(st)->db))
		return;
	memcpy(keep, st->err, sizeof(keep)); /* the first error is the one to report */
	if (sq_step_done(st, sq_stmt(st, SQ_ROLLBACK), "cannot roll back") < 0)
		msg_warn("%s", st->err);
	memcpy(st->err, keep, sizeof(keep));
}

static int sq_insert_event(struct store *st, const struct store_event *ev, int *duplicate)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_EVENT_INSERT);
	int rc;

	rc = sqlite3_bind_int64(s, 1, (long long)ev->when);
	rc |= sq_bind_text(s, 2, ev->recipient);
	rc |= sq_bind_text(s, 3, ev->recipient ? addr_domain(ev->recipient) : NULL);
	rc |= sq_bind_text(s, 4, ev->action);
	rc |= sq_bind_text(s, 5, ev->status);
	rc |= sq_bind_opt_int(s, 6, ev->reply_code);
	rc |= sq_bind_text(s, 7, ev->diagnostic);
	rc |= sq_bind_text(s, 8, ev->remote_mta);
	rc |= sq_bind_text(s, 9, class_name(ev->cls));
	rc |= sq_bind_text(s, 10, ev->reason);
	rc |= sq_bind_text(s, 11, ev->rule);
	rc |= sq_bind_text(s, 12, ev->source);
	rc |= sqlite3_bind_int(s, 13, ev->trusted != 0);
	rc |= sq_bind_text(s, 14, ev->queue_id);
	rc |= sq_bind_text(s, 15, ev->message_id);
	rc |= sq_bind_text(s, 16, ev->dedup_key);
	if (rc != SQLITE_OK) {
		sq_done(s);
		return sq_fail(st, "cannot bind event");
	}
	if (sq_step_done(st, s, "cannot record event") < 0)
		return STORE_ERR;
	*duplicate = sqlite3_changes(sq_of(st)->db) == 0;
	return STORE_OK;
}

/* Hand each (class, action, trusted, count) row of a grouping statement to cb. */
static int sq_groups(struct store *st, sqlite3_stmt *s, store_group_cb cb, void *ctx)
{
	int rc, ret;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *cls = sq_col_text(s, 0), *action = sq_col_text(s, 1);

		ret = cb(ctx, cls ? cls : "", action ? action : "", sqlite3_column_int(s, 2),
		         (long)sqlite3_column_int64(s, 3));
		if (ret != 0) {
			sq_done(s);
			return ret;
		}
	}
	if (rc != SQLITE_DONE) {
		sq_fail(st, "cannot count events");
		sq_done(s);
		return STORE_ERR;
	}
	sq_done(s);
	return STORE_OK;
}

static int sq_count_recent(struct store *st, const char *recipient, time_t since, time_t until,
                           store_group_cb cb, void *ctx)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_EVENT_WINDOW);
	int rc;

	rc = sq_bind_text(s, 1, recipient);
	rc |= sqlite3_bind_int64(s, 2, (long long)since);
	rc |= sqlite3_bind_int64(s, 3, (long long)until);
	if (rc != SQLITE_OK) {
		sq_done(s);
		return sq_fail(st, "cannot bind window");
	}
	return sq_groups(st, s, cb, ctx);
}

static int sq_event_counts(struct store *st, store_group_cb cb, void *ctx)
{
	return sq_groups(st, sq_stmt(st, SQ_EVENT_COUNTS), cb, ctx);
}

/* A suppression row whose strings point into the statement (valid until the next step). */
static void sq_read_supp(sqlite3_stmt *s, struct suppression *out)
{
	out->recipient = sq_col_text(s, 0);
	out->tag = sq_col_text(s, 1);
	out->cls = sq_col_class(s, 2);
	out->reason = sq_col_text(s, 3);
	out->diagnostic = sq_col_text(s, 4);
	out->rule = sq_col_text(s, 5);
	out->remote_mta = sq_col_text(s, 6);
	out->source = sq_col_text(s, 7);
	out->first_seen = (time_t)sqlite3_column_int64(s, 8);
	out->last_seen = (time_t)sqlite3_column_int64(s, 9);
	out->hits = (long)sqlite3_column_int64(s, 10);
	out->expires = (time_t)sqlite3_column_int64(s, 11);
	out->released_at = (time_t)sqlite3_column_int64(s, 12);
	out->released_by = sq_col_text(s, 13);
	out->release_why = sq_col_text(s, 14);
}

/* strdup() that keeps NULL; *ok is cleared when memory runs out. */
static char *sq_dup(const char *v, int *ok)
{
	char *d;

	if (v == NULL)
		return NULL;
	if ((d = strdup(v)) == NULL)
		*ok = 0;
	return d;
}

static int sq_copy_supp(struct suppression *out)
{
	int ok = 1;

	out->recipient = sq_dup(out->recipient, &ok);
	out->tag = sq_dup(out->tag, &ok);
	out->reason = sq_dup(out->reason, &ok);
	out->diagnostic = sq_dup(out->diagnostic, &ok);
	out->rule = sq_dup(out->rule, &ok);
	out->remote_mta = sq_dup(out->remote_mta, &ok);
	out->source = sq_dup(out->source, &ok);
	out->released_by = sq_dup(out->released_by, &ok);
	out->release_why = sq_dup(out->release_why, &ok);
	if (!ok)
		suppression_free(out);
	return ok;
}

static int sq_get(struct store *st, const char *addr, struct suppression *out)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_SUPP_GET);
	int rc;

	memset(out, 0, sizeof(*out));
	if (sq_bind_text(s, 1, addr) != SQLITE_OK) {
		sq_done(s);
		return sq_fail(st, "cannot bind address");
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sq_done(s);
		return STORE_NOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		sq_fail(st, "cannot read suppression");
		sq_done(s);
		return STORE_ERR;
	}
	sq_read_supp(s, out);
	rc = sq_copy_supp(out);
	sq_done(s);
	if (!rc) {
		store_set_error(st, "out of memory");
		return STORE_ERR;
	}
	return STORE_OK;
}

static int sq_put(struct store *st, const struct suppression *r)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_SUPP_PUT);
	int rc;

	rc = sq_bind_text(s, 1, r->recipient);
	rc |= sq_bind_text(s, 2, addr_domain(r->recipient));
	rc |= sq_bind_text(s, 3, r->tag);
	rc |= sq_bind_text(s, 4, class_name(r->cls));
	rc |= sq_bind_text(s, 5, r->reason);
	rc |= sq_bind_text(s, 6, r->diagnostic);
	rc |= sq_bind_text(s, 7, r->rule);
	rc |= sq_bind_text(s, 8, r->remote_mta);
	rc |= sq_bind_text(s, 9, r->source);
	rc |= sqlite3_bind_int64(s, 10, (long long)r->first_seen);
	rc |= sqlite3_bind_int64(s, 11, (long long)r->last_seen);
	rc |= sqlite3_bind_int64(s, 12, (long long)r->hits);
	rc |= sqlite3_bind_int64(s, 13, (long long)r->expires);
	rc |= sq_bind_opt_int(s, 14, (long long)r->released_at);
	rc |= sq_bind_text(s, 15, r->released_by);
	rc |= sq_bind_text(s, 16, r->release_why);
	if (rc != SQLITE_OK) {
		sq_done(s);
		return sq_fail(st, "cannot bind suppression");
	}
	return sq_step_done(st, s, "cannot write suppression");
}

static int sq_list(struct store *st, const struct store_filter *f, store_suppression_cb cb,
                   void *ctx)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_SUPP_LIST);
	struct suppression row;
	int rc, ret;

	rc = sq_bind_text(s, 1, f->tag);
	rc |= sq_bind_text(s, 2, f->cls >= 0 ? class_name((enum bt_class)f->cls) : NULL);
	rc |= sq_bind_text(s, 3, f->domain);
	rc |= sqlite3_bind_int64(s, 4, (long long)f->since);
	if (rc != SQLITE_OK) {
		sq_done(s);
		return sq_fail(st, "cannot bind filter");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		sq_read_supp(s, &row);
		if ((ret = cb(ctx, &row)) != 0) {
			sq_done(s);
			return ret;
		}
	}
	if (rc != SQLITE_DONE) {
		sq_fail(st, "cannot list suppressions");
		sq_done(s);
		return STORE_ERR;
	}
	sq_done(s);
	return STORE_OK;
}

static void sq_read_event(sqlite3_stmt *s, struct stored_event *e)
{
	struct store_event *ev = &e->ev;

	e->id = sqlite3_column_int64(s, 0);
	ev->when = (time_t)sqlite3_column_int64(s, 1);
	ev->recipient = sq_col_text(s, 2);
	/* column 3 is the domain, derived from the recipient */
	ev->action = sq_col_text(s, 4);
	ev->status = sq_col_text(s, 5);
	ev->reply_code = sqlite3_column_int(s, 6);
	ev->diagnostic = sq_col_text(s, 7);
	ev->remote_mta = sq_col_text(s, 8);
	ev->cls = sq_col_class(s, 9);
	ev->reason = sq_col_text(s, 10);
	ev->rule = sq_col_text(s, 11);
	ev->source = sq_col_text(s, 12);
	ev->trusted = sqlite3_column_int(s, 13);
	ev->queue_id = sq_col_text(s, 14);
	ev->message_id = sq_col_text(s, 15);
	ev->dedup_key = sq_col_text(s, 16);
}

static int sq_history(struct store *st, const char *addr, store_event_cb cb, void *ctx)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_EVENT_HISTORY);
	struct stored_event e;
	int rc, ret;

	if (sq_bind_text(s, 1, addr) != SQLITE_OK) {
		sq_done(s);
		return sq_fail(st, "cannot bind address");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		sq_read_event(s, &e);
		if ((ret = cb(ctx, &e)) != 0) {
			sq_done(s);
			return ret;
		}
	}
	if (rc != SQLITE_DONE) {
		sq_fail(st, "cannot read history");
		sq_done(s);
		return STORE_ERR;
	}
	sq_done(s);
	return STORE_OK;
}

static int sq_top_domains(struct store *st, enum bt_class cls, time_t since, int limit,
                          store_count_cb cb, void *ctx)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_TOP_DOMAINS);
	int rc, ret;

	rc = sq_bind_text(s, 1, class_name(cls));
	rc |= sqlite3_bind_int64(s, 2, (long long)since);
	rc |= sqlite3_bind_int(s, 3, limit > 0 ? limit : -1); /* LIMIT -1: no limit */
	for (int i = 0; i < STORE_ADMIN_ACTION_COUNT; i++)
		rc |= sq_bind_text(s, 4 + i, store_admin_actions[i]);
	if (rc != SQLITE_OK) {
		sq_done(s);
		return sq_fail(st, "cannot bind domain query");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *domain = sq_col_text(s, 0);

		if ((ret = cb(ctx, domain ? domain : "", (long)sqlite3_column_int64(s, 1))) != 0) {
			sq_done(s);
			return ret;
		}
	}
	if (rc != SQLITE_DONE) {
		sq_fail(st, "cannot count domains");
		sq_done(s);
		return STORE_ERR;
	}
	sq_done(s);
	return STORE_OK;
}

/* SQLite knows when its main database file was unlinked or renamed. */
static int sq_moved(struct store *st)
{
	int moved = 0;

	if (sqlite3_file_control(sq_of(st)->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) !=
	    SQLITE_OK)
		return 0;
	return moved != 0;
}

/*
 * Sent rows need not survive a power cut (store.h): in WAL mode,
 * synchronous=NORMAL commits without an fsync and stays consistent. The
 * connection goes back to FULL at the next result transaction (sq_begin).
 */
static int sq_sent_begin(struct store *st)
{
	if (sq_step_done(st, sq_stmt(st, SQ_SYNC_NORMAL), "cannot relax synchronous") < 0)
		return STORE_ERR;
	return sq_step_done(st, sq_stmt(st, SQ_BEGIN), "cannot begin transaction") < 0
	           ? STORE_ERR
	           : STORE_OK;
}

static int sq_sent_insert(struct store *st, const struct store_sent *it)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_SENT_INSERT);
	int rc;

	rc = sqlite3_bind_int64(s, 1, (long long)it->when);
	rc |= sq_bind_text(s, 2, it->message_id);
	rc |= sq_bind_text(s, 3, it->sender);
	rc |= sq_bind_text(s, 4, it->recipient);
	rc |= sq_bind_text(s, 5, it->queue_id);
	rc |= sq_bind_text(s, 6, it->source);
	if (rc != SQLITE_OK) {
		sq_done(s);
		return sq_fail(st, "cannot bind sent mail");
	}
	return sq_step_done(st, s, "cannot record sent mail") < 0 ? STORE_ERR : STORE_OK;
}

static int sq_sent_match(struct store *st, const char *message_id, const char *recipient,
                         time_t since)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_SENT_MATCH);
	int rc;

	rc = sq_bind_text(s, 1, message_id);
	rc |= sq_bind_text(s, 2, recipient);
	rc |= sqlite3_bind_int64(s, 3, (long long)since);
	if (rc != SQLITE_OK) {
		sq_done(s);
		return sq_fail(st, "cannot bind sent-mail query");
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_fail(st, "cannot look up sent mail");
		sq_done(s);
		return STORE_ERR;
	}
	sq_done(s);
	return rc == SQLITE_ROW ? STORE_OK : STORE_NOTFOUND;
}

static int sq_sent_prune(struct store *st, time_t before, long limit, long *removed)
{
	sqlite3_stmt *s = sq_stmt(st, SQ_SENT_PRUNE);
	int rc;

	rc = sqlite3_bind_int64(s, 1, (long long)before);
	rc |= sqlite3_bind_int64(s, 2, limit > 0 ? limit : -1);
	if (rc != SQLITE_OK) {
		sq_done(s);
		return sq_fail(st, "cannot bind prune");
	}
	if (sq_step_done(st, s, "cannot prune sent mail") < 0)
		return STORE_ERR;
	*removed = (long)sqlite3_changes(sq_of(st)->db);
	return STORE_OK;
}

const struct store_backend store_sqlite_backend = {
    .kind = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .moved = sq_moved,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .insert_event = sq_insert_event,
    .count_recent = sq_count_recent,
    .get = sq_get,
    .put = sq_put,
    .list = sq_list,
    .history = sq_history,
    .event_counts = sq_event_counts,
    .top_domains = sq_top_domains,
    .sent_begin = sq_sent_begin,
    .sent_insert = sq_sent_insert,
    .sent_match = sq_sent_match,
    .sent_prune = sq_sent_prune,
};
