/*
 * milter.h - internal interface of bouncetag-milter (the libmilter glue).
 *
 * The daemon is split by concern:
 *	main.c       options, start-up, socket, privileges, signals
 *	snapshot.c   the current config + rules, swapped atomically on reload
 *	pool.c       a pool of store handles shared by the callback threads
 *	callbacks.c  thin libmilter callbacks: macros in, milter replies out
 *	learn.c      learn path: buffered DSN or bounce -> results -> store
 *	sent.c       what we sent, so that inbound bounces can be trusted
 *	enforce.c    enforce path: suppression look-up and the reply text
 *
 * Nothing here parses mail or builds SQL: that is common/'s job.
 */
#ifndef BT_MILTER_H
#define BT_MILTER_H

#include <stddef.h>
#include <time.h>

#include "bounce.h"
#include "config.h"
#include "rules.h"
#include "store.h"

/* ---- snapshot.c: config and rules in force ---- */
struct snapshot {
	struct config *cf;
	struct rules *rs;
	int refs;
};

int snapshot_load(const char *config_path, struct snapshot **out, char *err, size_t errlen);
void snapshot_install(struct snapshot *s); /* takes the caller's reference */
struct snapshot *snapshot_get(void);       /* a new reference to the one in force */
void snapshot_put(struct snapshot *s);
/* Load config_path again; keep the old snapshot when anything is wrong. */
int snapshot_reload(const char *config_path);

/* sighup.c: from now on SIGHUP reloads config_path instead of stopping. */
void sighup_reloads(const char *config_path);

/* ---- pool.c: store handles ---- */
struct pooled {
	struct store *st;
	char *database; /* the spec it was opened with */
	time_t checked; /* when store_moved() last said the file is still the database */
};

/* What the caller will do with the handle: a writer's file is always checked. */
enum pool_use { POOL_READ, POOL_WRITE };

struct pooled *pool_acquire(const char *database, enum pool_use use, char *err, size_t errlen);
/* ok = 0 after a store error: the handle is closed, not reused. */
void pool_release(struct pooled *h, int ok);
/* Around every write transaction: one writer at a time in this process. */
void pool_write_begin(void);
void pool_write_end(void);
void pool_shutdown(void);

/* ---- enforce.c ---- */
enum enforce_verdict {
	ENFORCE_PASS = 0,
	ENFORCE_SUPPRESSED,
	ENFORCE_STORE_FAILED,
};

/* Look up one recipient (as given in RCPT TO). text receives the reply text when suppressed. */
enum enforce_verdict enforce_check(const struct config *cf, const char *rcpt, char *addr,
				   size_t addrlen, char *text, size_t textlen);
/* Record that recipients were withheld on the non-SMTP path; logs on failure. */
void enforce_record_withheld(const struct config *cf, char **addrs, size_t n,
			     const char *queue_id, const char *message_id);

/* ---- sent.c ---- */
/* Queue one outgoing message (rcpts normalised); logs, never fails the mail. */
void sent_record(const struct config *cf, const char *message_id, const char *sender,
		 char **rcpts, size_t n, const char *queue_id, const char *source);
/* Write everything queued now (learn.c, before matching a bounce). */
void sent_flush(void);
/* The writer thread: started before smfi_main(), stopped (and flushed) after. */
void sent_start(void);
void sent_stop(void);

/* ---- learn.c ---- */
enum learn_outcome {
	LEARN_NOTHING = 0, /* no report: nothing to learn */
	LEARN_RECORDED,    /* results are durable in the store */
	LEARN_STORE_FAILED /* results could not be stored: tempfail a trusted DSN */
};

/* cut: the buffer stopped at MaxMessageSize. */
enum learn_outcome learn_message(const struct snapshot *snap, const char *buf, size_t len,
				 int cut, int trusted, const char *queue_id);

#endif
