/*
 * store_impl - the private contract between store.c and its backends.
 *
 * Not for callers: they use store.h. store.c owns the public API, spec
 * parsing and every policy decision (which events suppress, thresholds,
 * expiry, renewal, release); a backend only stores and fetches rows. A new
 * backend (PostgreSQL) is a file that defines a struct store_backend and
 * is named in store.c's scheme table under an #ifdef that is already there
 * (BT_WITH_PGSQL -> store_pgsql_backend): store.c itself does not change.
 *
 * Conventions for every operation:
 *	- return STORE_OK, STORE_NOTFOUND where stated, or STORE_ERR after
 *	  store_set_error() said what failed;
 *	- strings handed in are bound with at most STORE_FIELD_MAX bytes
 *	  (an explicit bound on text that came from remote servers);
 *	- class is stored as class_name() and parsed back with class_parse()
 *	  (unknown -> unclassified), so the database is readable by people
 *	  and by the MTA's own lookup tables;
 *	- a time of 0 in struct suppression's released_at means "not
 *	  released" and is stored as NULL; reply_code 0 is stored as NULL;
 *	- callbacks (list, history, group counts, top domains) return 0 to go
 *	  on; a non-zero value stops the scan and is returned as is. Strings
 *	  handed to a callback are valid for that call only. A callback must
 *	  not start the same scan again on the same handle.
 */
#ifndef BT_STORE_IMPL_H
#define BT_STORE_IMPL_H

#include <stddef.h>
#include <time.h>

#include "store.h"

#define STORE_FIELD_MAX 4096 /* bytes kept of any one text field */
#define STORE_ERR_MAX 1024

/* One handle; the backend keeps its connection in priv. */
struct store {
	const struct store_backend *be;
	void *priv;
	int flags;  /* STORE_READONLY */
	char *name; /* the spec, password removed */
	char err[STORE_ERR_MAX];
};

/* One group of events: how many had this class, action and trust. */
typedef int (*store_group_cb)(void *ctx, const char *cls, const char *action, int trusted,
                              long count);

struct store_backend {
	const char *kind; /* "sqlite", for messages */

	/*
	 * Connect to target (the spec without its scheme), set st->priv.
	 * Without STORE_READONLY create or migrate the schema; with it, touch
	 * nothing and refuse a file that does not exist. Refuse a schema
	 * newer than this code knows.
	 */
	int (*open)(struct store *st, const char *target, int flags);
	void (*close)(struct store *st);
	/* 1 when the storage under this handle is not what target names any more. */
	int (*moved)(struct store *st);

	/* A write transaction that excludes other writers until commit. */
	int (*begin)(struct store *st);
	/* Durable on return (the milter answers the MTA only after this). */
	int (*commit)(struct store *st);
	void (*rollback)(struct store *st);

	/*
	 * Append one event (ev->when already filled in). When ev->dedup_key
	 * was stored before, write nothing and set *duplicate.
	 */
	int (*insert_event)(struct store *st, const struct store_event *ev, int *duplicate);

	/* Events for recipient with since < time <= until, grouped. */
	int (*count_recent)(struct store *st, const char *recipient, time_t since, time_t until,
	                    store_group_cb cb, void *ctx);

	/* The row for addr whatever its state; STORE_NOTFOUND (and *out zeroed) if none. */
	int (*get)(struct store *st, const char *addr, struct suppression *out);
	/* Insert or replace the row for s->recipient with exactly s. */
	int (*put)(struct store *st, const struct suppression *s);

	/*
	 * Rows matching f->tag, f->cls, f->domain and f->since (last_seen >=
	 * since), newest last_seen first. f->include_inactive and f->now are
	 * store.c's business: every row is handed over whatever its state.
	 */
	int (*list)(struct store *st, const struct store_filter *f, store_suppression_cb cb,
	            void *ctx);
	/* Events for addr, oldest first. */
	int (*history)(struct store *st, const char *addr, store_event_cb cb, void *ctx);
	/* All events, grouped. */
	int (*event_counts)(struct store *st, store_group_cb cb, void *ctx);
	/*
	 * Domains with the most events of cls and time >= since, most first,
	 * at most limit (limit <= 0: all), counting only events whose action
	 * is none of store_admin_actions[].
	 */
	int (*top_domains)(struct store *st, enum bt_class cls, time_t since, int limit,
	                   store_count_cb cb, void *ctx);

	/*
	 * Sent mail (store_sent_*). sent_begin starts a write transaction that
	 * need not be durable on commit; message ids arrive normalised.
	 */
	int (*sent_begin)(struct store *st);
	int (*sent_insert)(struct store *st, const struct store_sent *item);
	/* STORE_OK when a row has message_id, recipient and time >= since. */
	int (*sent_match)(struct store *st, const char *message_id, const char *recipient,
	                  time_t since);
	int (*sent_prune)(struct store *st, time_t before, long limit, long *removed);
};

/* Actions that are operator or enforcement records, not delivery results. */
#define STORE_ADMIN_ACTION_COUNT 3
extern const char *const store_admin_actions[STORE_ADMIN_ACTION_COUNT];

/* Set the handle's error text; the database name is put in front. */
void store_set_error(struct store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

extern const struct store_backend store_sqlite_backend;
#ifdef BT_WITH_PGSQL
extern const struct store_backend store_pgsql_backend;
#endif

#endif
