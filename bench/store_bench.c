/*
 * store_bench - the suppression store at scale: fill a database with
 * millions of suppressed recipients, time look-ups and learned results.
 *
 * Usage:
 *	store_bench fill DB COUNT [EVENTS]
 *	store_bench lookup DB COUNT [SECONDS]
 *	store_bench record DB BATCH [SECONDS]
 *	store_bench handles DB COUNT HANDLES
 *
 * fill: creates DB through store_open() (so the schema is the one
 *	store_sqlite.c creates), then inserts COUNT active suppressions
 *	s00000000@bench.example ... (with one event each unless EVENTS is
 *	0: the look-up path never reads events), straight into the
 *	tables in transactions of 100,000 rows with synchronous=OFF. That is
 *	safe for a bench file that is rebuilt when anything goes wrong, and
 *	an order of magnitude faster than store_record() (which fsyncs every
 *	transaction). The columns follow store_sqlite.c (schema version 1
 *	and later); if one changes, the prepared INSERT fails and says so.
 *
 * lookup: store_lookup() (the milter's enforce call) for random
 *	recipients, half suppressed (s...: must be found) and half never
 *	suppressed (u...: must not be), one at a time, each timed. Prints
 *	p50/p99/p99.9 for hits and misses.
 *
 * record: store_record() of learned results (failed, recipient-policy,
 *	trusted, with a dedup key: each creates an event and a suppression)
 *	BATCH events per call, as learn.c does per DSN. Prints events/s.
 *
 * handles: what one more store handle costs, as the milter's pool keeps
 *	up to 64 of them and opens more under load: the time of
 *	store_open() (schema check, statements prepared) and the resident
 *	memory each handle holds after 2,000 random look-ups (its page cache).
 *
 * Every mode ends with one machine-readable line starting "STORE ".
 * Exit status 0, or 1 when a check failed (a look-up answered wrongly).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

#define SB_BATCH 100000
#define SB_SCHEMA_VERSION 1 /* the first schema with the columns filled here */
#define SB_DAY 86400L

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "store_bench: %s: %s\n", what, why);
	exit(1);
}

static void sq_check(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		die(what, sqlite3_errmsg(db));
}

/* Create the schema the way the milter would, and close. */
static void create_schema(const char *path)
{
	struct store *st;
	char err[512];

	if (store_open(path, 0, &st, err, sizeof(err)) < 0)
		die(path, err);
	store_close(st);
}

static const char sb_supp_sql[] =
    "INSERT INTO suppressions (recipient, domain, tag, class, reason, diagnostic, rule,"
    " remote_mta, source, first_seen, last_seen, hits, expires)"
    " VALUES (?1, 'bench.example', 'requires-whitelist', 'recipient-policy',"
    " 'requires-whitelist', ?2, 'policy.only-approved-senders', 'mx.bench.example', 'dsn',"
    " ?3, ?3, 1, ?4)";
static const char sb_event_sql[] =
    "INSERT INTO events (time, recipient, domain, action, status, reply_code, diagnostic,"
    " remote_mta, class, reason, rule, source, trusted, queue_id, message_id, dedup_key)"
    " VALUES (?1, ?2, 'bench.example', 'failed', '5.7.1', 550, ?3, 'mx.bench.example',"
    " 'recipient-policy', 'requires-whitelist', 'policy.only-approved-senders', 'dsn', 1,"
    " ?4, ?5, ?6)";

/* One suppression and (ev != NULL) the event that caused it. */
static void fill_row(sqlite3 *db, sqlite3_stmt *supp, sqlite3_stmt *ev, unsigned long i, time_t now,
                     uint64_t *rng)
{
	char rcpt[64], diag[160], qid[24], mid[64], key[112];
	time_t seen = now - (time_t)(rng_next(rng) % (90 * SB_DAY));

	snprintf(rcpt, sizeof(rcpt), "s%08lu@bench.example", i);
	snprintf(diag, sizeof(diag),
	         "550 5.7.1 <%s>: Recipient address rejected: sender not on approved sender list",
	         rcpt);
	snprintf(qid, sizeof(qid), "%010lX", i);
	snprintf(mid, sizeof(mid), "<%lu.bench@sender.example>", i);
	snprintf(key, sizeof(key), "%s/%s/failed/5.7.1", qid, rcpt);
	sqlite3_bind_text(supp, 1, rcpt, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(supp, 2, diag, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(supp, 3, (long long)seen);
	sqlite3_bind_int64(supp, 4, (long long)(seen + 180 * SB_DAY));
	sq_check(db, sqlite3_step(supp), "insert suppression");
	sqlite3_reset(supp);
	if (ev == NULL)
		return;
	sqlite3_bind_int64(ev, 1, (long long)seen);
	sqlite3_bind_text(ev, 2, rcpt, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(ev, 3, diag, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(ev, 4, qid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(ev, 5, mid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(ev, 6, key, -1, SQLITE_TRANSIENT);
	sq_check(db, sqlite3_step(ev), "insert event");
	sqlite3_reset(ev);
}

static int mode_fill(const char *path, unsigned long count, int events)
{
	sqlite3 *db;
	sqlite3_stmt *supp, *ev, *ver;
	uint64_t rng = 42;
	time_t now = time(NULL);
	double t0 = now_s();
	struct stat sb;

	if (unlink(path) < 0 && errno != ENOENT)
		die(path, strerror(errno));
	create_schema(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die(path, sqlite3_errmsg(db));
	sq_check(db, sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &ver, NULL), "version");
	sq_check(db, sqlite3_step(ver), "version");
	/* Newer schemas only added tables so far; a changed column fails the prepare below. */
	if (sqlite3_column_int(ver, 0) < SB_SCHEMA_VERSION)
		die(path, "no bouncetag schema after store_open()");
	sqlite3_finalize(ver);
	/* A bench file: no journal while filling; WAL again (as the milter wants) at the end. */
	sq_check(db,
	         sqlite3_exec(db,
	                      "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
	                      " PRAGMA cache_size = -262144",
	                      NULL, NULL, NULL),
	         "pragma");
	sq_check(db, sqlite3_prepare_v2(db, sb_supp_sql, -1, &supp, NULL), "prepare");
	sq_check(db, sqlite3_prepare_v2(db, sb_event_sql, -1, &ev, NULL), "prepare");
	for (unsigned long i = 0; i < count;) {
		sq_check(db, sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), "begin");
		for (unsigned long k = 0; k < SB_BATCH && i < count; k++, i++)
			fill_row(db, supp, events ? ev : NULL, i, now, &rng);
		sq_check(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
	}
	sqlite3_finalize(supp);
	sqlite3_finalize(ev);
	sq_check(db, sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL), "wal");
	sqlite3_close(db);
	if (stat(path, &sb) < 0)
		die(path, strerror(errno));
	printf("STORE mode=fill rows=%lu events=%d seconds=%.2f rows_per_s=%.0f db_bytes=%lld "
	       "bytes_per_million=%.0f\n",
	       count, events, now_s() - t0, (double)count / (now_s() - t0), (long long)sb.st_size,
	       (double)sb.st_size * 1e6 / (double)(count ? count : 1));
	return 0;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)n);

	return n ? v[i < n ? i : n - 1] : 0;
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Wall-clock latency of each look-up, and beside it the CPU time the
 * thread spent in it: on a busy machine a wall p99 far above the CPU p99
 * is time spent waiting for a CPU, not work.
 */
static int mode_lookup(const char *path, unsigned long count, double seconds)
{
	struct store *st;
	struct suppression s;
	char err[512], addr[64];
	uint64_t rng = 7;
	size_t cap = 1 << 20, nh = 0, nm = 0, nc = 0, wrong = 0;
	double *hit = malloc(cap * sizeof(double)), *miss = malloc(cap * sizeof(double));
	double *cpu = malloc(2 * cap * sizeof(double));
	double t0, c0, end;
	time_t now = time(NULL);

	if (hit == NULL || miss == NULL || cpu == NULL)
		die("lookup", "out of memory");
	if (store_open(path, 0, &st, err, sizeof(err)) < 0)
		die(path, err);
	/* Warm-up: what a running milter's connection has cached after a while. */
	for (int i = 0; i < 20000; i++) {
		snprintf(addr, sizeof(addr), "s%08lu@bench.example",
		         (unsigned long)(rng_next(&rng) % count));
		if (store_lookup(st, addr, now, &s) == STORE_OK)
			suppression_free(&s);
	}
	end = now_s() + seconds;
	while (now_s() < end && nh < cap && nm < cap) {
		for (int k = 0; k < 1000; k++) {
			int suppressed = rng_next(&rng) & 1, rc;
			unsigned long i = (unsigned long)(rng_next(&rng) % count);
			double dt;

			snprintf(addr, sizeof(addr), "%c%08lu@bench.example",
			         suppressed ? 's' : 'u', i);
			c0 = thread_cpu_s();
			t0 = now_s();
			rc = store_lookup(st, addr, now, &s);
			dt = now_s() - t0;
			cpu[nc++] = thread_cpu_s() - c0;
			if (rc == STORE_OK)
				suppression_free(&s);
			if (rc != (suppressed ? STORE_OK : STORE_NOTFOUND))
				wrong++;
			if (suppressed && nh < cap)
				hit[nh++] = dt;
			else if (!suppressed && nm < cap)
				miss[nm++] = dt;
		}
	}
	store_close(st);
	qsort(hit, nh, sizeof(double), dbl_cmp);
	qsort(miss, nm, sizeof(double), dbl_cmp);
	qsort(cpu, nc, sizeof(double), dbl_cmp);
	printf("STORE mode=lookup rows=%lu lookups=%zu hit_p50_us=%.2f hit_p99_us=%.2f "
	       "hit_p999_us=%.2f miss_p50_us=%.2f miss_p99_us=%.2f miss_p999_us=%.2f "
	       "cpu_p50_us=%.2f cpu_p99_us=%.2f max_us=%.1f wrong=%zu\n",
	       count, nh + nm, pct(hit, nh, 0.5) * 1e6, pct(hit, nh, 0.99) * 1e6,
	       pct(hit, nh, 0.999) * 1e6, pct(miss, nm, 0.5) * 1e6, pct(miss, nm, 0.99) * 1e6,
	       pct(miss, nm, 0.999) * 1e6, pct(cpu, nc, 0.5) * 1e6, pct(cpu, nc, 0.99) * 1e6,
	       (nh ? hit[nh - 1] : 0) > (nm ? miss[nm - 1] : 0) ? hit[nh - 1] * 1e6
	                                                        : (nm ? miss[nm - 1] * 1e6 : 0),
	       wrong);
	free(hit);
	free(miss);
	free(cpu);
	return wrong ? 1 : 0;
}

static int mode_record(const char *path, int batch, double seconds)
{
	struct store *st;
	struct store_policy pol;
	char err[512];
	struct store_event *evs = calloc((size_t)batch, sizeof(*evs));
	char(*rcpt)[64] = calloc((size_t)batch, 64), (*key)[96] = calloc((size_t)batch, 96);
	enum store_outcome *oc = calloc((size_t)batch, sizeof(*oc));
	unsigned long n = 0, calls = 0, suppressed = 0;
	double t0, end, worst = 0;
	long run = (long)time(NULL);

	if (!evs || !rcpt || !key || !oc)
		die("record", "out of memory");
	if (store_open(path, 0, &st, err, sizeof(err)) < 0)
		die(path, err);
	store_policy_default(&pol);
	t0 = now_s();
	end = t0 + seconds;
	while (now_s() < end) {
		double c0 = now_s(), dt;

		for (int k = 0; k < batch; k++, n++) {
			struct store_event *e = &evs[k];

			snprintf(rcpt[k], 64, "r%ld-%lu@bench.example", run, n);
			snprintf(key[k], 96, "BENCH%lu/%s/failed/5.7.1", n, rcpt[k]);
			memset(e, 0, sizeof(*e));
			e->recipient = rcpt[k];
			e->action = "failed";
			e->status = "5.7.1";
			e->reply_code = 550;
			e->diagnostic = "550 5.7.1 sender not on approved sender list";
			e->remote_mta = "mx.bench.example";
			e->cls = BT_CLASS_RECIPIENT_POLICY;
			e->reason = "requires-whitelist";
			e->rule = "policy.only-approved-senders";
			e->source = "dsn";
			e->trusted = 1;
			e->queue_id = "BENCH";
			e->dedup_key = key[k];
		}
		if (store_record(st, evs, (size_t)batch, &pol, oc) != STORE_OK)
			die("store_record", store_error(st));
		dt = now_s() - c0;
		if (dt > worst)
			worst = dt;
		calls++;
		for (int k = 0; k < batch; k++)
			suppressed += oc[k] == STORE_SUPPRESSED;
	}
	t0 = now_s() - t0;
	store_close(st);
	printf("STORE mode=record batch=%d events=%lu calls=%lu seconds=%.2f events_per_s=%.0f "
	       "calls_per_s=%.1f max_call_ms=%.2f suppressed=%lu\n",
	       batch, n, calls, t0, (double)n / t0, (double)calls / t0, worst * 1e3, suppressed);
	free(evs);
	free(rcpt);
	free(key);
	free(oc);
	return suppressed == n ? 0 : 1;
}

/* Resident set size of this process in kB (VmRSS of /proc/self/status). */
static long rss_kb(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (fp && fgets(line, sizeof(line), fp))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (fp)
		fclose(fp);
	return kb;
}

static int mode_handles(const char *path, unsigned long count, int nhandles)
{
	struct store **st = calloc((size_t)nhandles, sizeof(*st));
	struct suppression s;
	char err[512], addr[64];
	uint64_t rng = 11;
	double open_s = 0;
	long rss0;
	time_t now = time(NULL);

	if (st == NULL)
		die("handles", "out of memory");
	rss0 = rss_kb();
	for (int h = 0; h < nhandles; h++) {
		double t0 = now_s();

		if (store_open(path, 0, &st[h], err, sizeof(err)) < 0)
			die(path, err);
		open_s += now_s() - t0;
		for (int k = 0; k < 2000; k++) {
			snprintf(addr, sizeof(addr), "s%08lu@bench.example",
			         (unsigned long)(rng_next(&rng) % count));
			if (store_lookup(st[h], addr, now, &s) == STORE_OK)
				suppression_free(&s);
		}
	}
	printf("STORE mode=handles rows=%lu handles=%d open_us=%.1f rss_kb_per_handle=%.0f "
	       "rss_kb_total=%ld\n",
	       count, nhandles, open_s * 1e6 / nhandles, (double)(rss_kb() - rss0) / nhandles,
	       rss_kb());
	for (int h = 0; h < nhandles; h++)
		store_close(st[h]);
	free(st);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "fill") == 0)
		return mode_fill(argv[2], strtoul(argv[3], NULL, 10), argc > 4 ? atoi(argv[4]) : 1);
	if (argc >= 4 && strcmp(argv[1], "lookup") == 0)
		return mode_lookup(argv[2], strtoul(argv[3], NULL, 10),
		                   argc > 4 ? atof(argv[4]) : 3.0);
	if (argc >= 4 && strcmp(argv[1], "record") == 0)
		return mode_record(argv[2], atoi(argv[3]), argc > 4 ? atof(argv[4]) : 3.0);
	if (argc >= 5 && strcmp(argv[1], "handles") == 0)
		return mode_handles(argv[2], strtoul(argv[3], NULL, 10), atoi(argv[4]));
	fprintf(stderr, "usage: store_bench fill DB COUNT [EVENTS] | lookup DB COUNT [SECONDS] | "
	                "record DB BATCH [SECONDS] | handles DB COUNT HANDLES\n");
	return 2;
}
