/*
 * miltload - a load client that speaks the milter protocol (version 6) to a
 * running milter, the way Postfix's smtpd and cleanup do, and checks every
 * answer. Like Postfix it sends every protocol step the milter did not
 * decline at option negotiation (HELO and DATA included) and waits for an
 * answer to every step the milter did not ask to leave unanswered.
 *
 * Usage:
 *	miltload -s SOCKET [-c CONNS] [-d SECONDS] [-k MSGS] [-r RCPTS]
 *		 [-m enforce=W,learn=W] [-N SUPPRESSED] [-u PCT] [-l PCT]
 *		 [-f DSN.eml] [-P PREFIX] [-o FILE] [-R RATE] [-A] [-q]
 *
 *	-s SOCKET  unix:PATH, PATH or inet:PORT@HOST
 *	-c CONNS   concurrent milter connections, one thread each (default 1)
 *	-d SECONDS run time (default 10); a session in flight is finished
 *	-k MSGS    messages per milter connection before QUIT (default 10)
 *	-r RCPTS   RCPT TO per enforce message (default 10)
 *	-m MIX     weights of the two session kinds (default enforce=1,learn=0):
 *		   enforce: {daemon_name}=submission, MAIL FROM, RCPTs, a small
 *		   message; learn: {daemon_name}=bouncetag-dsn, null sender, the
 *		   DSN of -f with its recipient replaced by a fresh address
 *	-N COUNT   recipients s0..s(COUNT-1) are suppressed in the database
 *		   (address format below); default 0
 *	-u PCT     percent of enforce RCPTs that name a suppressed recipient
 *		   (default 50); the others name never-suppressed ones
 *	-l PCT     percent of enforce RCPTs that name a recipient this thread
 *		   learned earlier in the run (expected: rejected); default 0
 *	-f FILE    DSN template (needed for learn): its first Final-Recipient
 *		   address is replaced everywhere by PREFIX-tT-Q@learn.example
 *	-P PREFIX  prefix of learned addresses (default "l" + pid + time)
 *	-o FILE    write every learned address there, one per line
 *	-R RATE    pace RCPTs to RATE per second in total (open loop): latency
 *		   is then measured from the planned send time, so a stall
 *		   counts in full (no coordinated omission). 0 = closed loop
 *	-A         end enforce messages with ABORT after the RCPTs instead
 *		   of headers, body and end of message
 *	-D NAMES   daemon names as submission,dsn (default
 *		   submission,bouncetag-dsn)
 *	-q         print only the summary line (and the first errors)
 *
 * Addresses: suppressed s%08lu@bench.example, never suppressed
 *	u%08lu@bench.example (chosen uniformly at random), learned
 *	PREFIX-tT-Q@learn.example (thread T's Q-th DSN).
 *
 * Checks: a suppressed or learned recipient must get a 550 (SMFIR_REPLYCODE
 *	"550 ..." or SMFIR_REJECT); any other must get SMFIR_CONTINUE. A DSN
 *	must end with continue or accept, never reject or discard (a
 *	tempfail, 't' or a 4xx reply, is counted apart: Postfix would retry
 *	it). Every other answer, protocol error or failed connection, and
 *	every tempfail, counts as an error.
 *
 * Output: a readable report, then one line
 *	MILTLOAD key=value ...
 *	with counts, rates (per second of run time) and latency percentiles
 *	(microseconds; from a log histogram, about 3% resolution).
 *
 * Exit status: 0 when errors=0, 1 otherwise, 2 on a usage error.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#define ML_MAX_REPLY (1024 * 1024) /* bytes of one milter answer we accept */
#define ML_HBUCKETS (45 * 32)      /* log histogram: 32 sub-buckets per power of two */
#define ML_MAX_THREADS 4096
#define ML_ERRLOG 5 /* first errors printed per thread */

enum ml_kind { ML_ENFORCE, ML_LEARN };

struct hist {
	uint64_t n, sum, max, b[ML_HBUCKETS];
};

struct stats {
	uint64_t sessions[2], messages[2], conn_fail;
	uint64_t rcpt, rcpt_rejected, rcpt_accepted, rcpt_tempfail, rcpt_wrong;
	uint64_t rcpt_learned_probe;
	uint64_t learned, learn_tempfail, learn_wrong;
	uint64_t proto_errors;
	struct hist h_rcpt, h_learn, h_setup;
};

struct options {
	const char *socket;
	int conns, msgs_per_conn, rcpts, abort_msgs, quiet;
	double seconds, rate;
	unsigned w_enforce, w_learn;
	unsigned long suppressed;
	int pct_suppressed, pct_learned;
	int run_id; /* this process's id: part of every Message-ID sent */
	const char *dsn_file, *prefix, *out_file;
	char prefix_buf[64];
	const char *dn_submission, *dn_dsn;
	char dn_buf[256];
};

/* The DSN template cut at every occurrence of its recipient address. */
struct dsn_template {
	char **seg;
	size_t *seglen, nseg;
	char *address;
};

struct worker {
	int id;
	pthread_t tid;
	const struct options *o;
	const struct dsn_template *tpl;
	double deadline;
	uint64_t rng;
	uint64_t nlearned; /* addresses PREFIX-tID-0 .. nlearned-1 exist */
	double next_send;  /* pacing */
	FILE *learned_out;
	int errlogged;
	struct stats st;
};

struct conn {
	int fd;
	unsigned long pflags; /* protocol flags the milter asked for */
	char *rbuf;
	size_t rcap;
};

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Time, randomness, histograms.
 */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static unsigned long rng_below(uint64_t *s, unsigned long n)
{
	return n ? (unsigned long)(rng_next(s) % n) : 0;
}

static int hist_index(uint64_t v)
{
	int msb, shift, idx;

	if (v < 32)
		return (int)v;
	msb = 63 - __builtin_clzll(v);
	shift = msb - 5;
	idx = (shift + 1) * 32 + (int)((v >> shift) & 31);
	return idx < ML_HBUCKETS ? idx : ML_HBUCKETS - 1;
}

static double hist_value(int idx)
{
	int shift, sub;

	if (idx < 32)
		return idx;
	shift = idx / 32 - 1;
	sub = idx % 32;
	return ((double)(32 + sub) + 0.5) * (double)(1ULL << shift);
}

static void hist_add(struct hist *h, double seconds)
{
	uint64_t ns = seconds > 0 ? (uint64_t)(seconds * 1e9) : 0;

	h->n++;
	h->sum += ns;
	if (ns > h->max)
		h->max = ns;
	h->b[hist_index(ns)]++;
}

static void hist_merge(struct hist *into, const struct hist *h)
{
	into->n += h->n;
	into->sum += h->sum;
	if (h->max > into->max)
		into->max = h->max;
	for (int i = 0; i < ML_HBUCKETS; i++)
		into->b[i] += h->b[i];
}

/* Percentile q (0..1) in microseconds. */
static double hist_pct(const struct hist *h, double q)
{
	uint64_t want, seen = 0;

	if (h->n == 0)
		return 0;
	want = (uint64_t)(q * (double)h->n);
	if (want >= h->n)
		want = h->n - 1;
	for (int i = 0; i < ML_HBUCKETS; i++) {
		seen += h->b[i];
		if (seen > want) {
			double v = hist_value(i);
			return (v > (double)h->max ? (double)h->max : v) / 1e3;
		}
	}
	return (double)h->max / 1e3;
}

/*
 * Wire protocol.
 */

static void worker_error(struct worker *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The first few problems of each thread, on standard error. */
static void worker_error(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (w->errlogged >= ML_ERRLOG)
		return;
	w->errlogged++;
	pthread_mutex_lock(&out_lock);
	fprintf(stderr, "miltload: thread %d: ", w->id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&out_lock);
}

static int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t got = writev(fd, iov, n);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)got >= iov->iov_len) {
			got -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + got;
			iov->iov_len -= (size_t)got;
		}
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n > 0) {
		ssize_t got = read(fd, p, n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

/* One packet: 4-byte big-endian length (command byte included), command, data. */
static int mt_send(struct conn *c, char cmd, const void *data, size_t len)
{
	uint32_t n = htonl((uint32_t)(len + 1));
	struct iovec iov[3] = {{&n, 4}, {&cmd, 1}, {(void *)data, len}};

	return write_all(c->fd, iov, len ? 3 : 2);
}

/* One answer into c->rbuf; *cmd is its code, *len its data length. */
static int mt_recv(struct conn *c, char *cmd, size_t *len)
{
	uint32_t n;

	if (read_all(c->fd, &n, 4) < 0)
		return -1;
	n = ntohl(n);
	if (n == 0 || n > ML_MAX_REPLY)
		return -1;
	if (n > c->rcap) {
		char *grown = realloc(c->rbuf, n + 1);
		if (grown == NULL)
			return -1;
		c->rbuf = grown;
		c->rcap = n;
	}
	if (read_all(c->fd, c->rbuf, n) < 0)
		return -1;
	*cmd = c->rbuf[0];
	*len = n - 1;
	memmove(c->rbuf, c->rbuf + 1, n - 1);
	c->rbuf[n - 1] = 0;
	return 0;
}

/* For messages: a milter answer code, or EOF. */
static const char *answer_name(int rc)
{
	static const char *const names[] = {"'?'",          "'a' accept", "'c' continue",
	                                    "'d' discard",  "'r' reject", "'s' skip",
	                                    "'t' tempfail", "'y' reply"};
	const char *codes = "?acdrsty";
	const char *at;

	if (rc < 0)
		return "EOF";
	at = rc > 0 ? strchr(codes, rc) : NULL;
	return at ? names[at - codes] : names[0];
}

/* Answers that end a command; the others (changes, progress) come before one. */
static int mt_final(char cmd)
{
	return strchr("cartyds4f", cmd) != NULL;
}

/*
 * Send a command; unless the milter asked for no reply to it (nr_flag in
 * its protocol flags), read answers up to the final one and return its
 * code ('c' when none is due). -1 on a broken connection.
 */
static int mt_command(struct conn *c, char cmd, const void *data, size_t len, unsigned long nr_flag)
{
	char code;
	size_t n;

	if (mt_send(c, cmd, data, len) < 0)
		return -1;
	if (nr_flag && (c->pflags & nr_flag))
		return SMFIR_CONTINUE;
	do {
		if (mt_recv(c, &code, &n) < 0)
			return -1;
	} while (!mt_final(code));
	return (unsigned char)code;
}

/* A macro packet: the command it belongs to, then name\0value\0 pairs. */
static int mt_macros(struct conn *c, char for_cmd, const char *const *kv, int npairs)
{
	char buf[1024];
	size_t pos = 0;

	buf[pos++] = for_cmd;
	for (int i = 0; i < 2 * npairs; i++) {
		size_t l = strlen(kv[i]) + 1;

		if (pos + l > sizeof(buf))
			return -1;
		memcpy(buf + pos, kv[i], l);
		pos += l;
	}
	return mt_send(c, SMFIC_MACRO, buf, pos);
}

static int sock_connect(const char *spec)
{
	const char *path = spec;
	int fd;

	if (strncmp(spec, "inet:", 5) == 0) {
		char port[16], host[256];
		const char *at = strchr(spec + 5, '@');
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;

		snprintf(port, sizeof(port), "%.*s", at ? (int)(at - spec - 5) : 15, spec + 5);
		snprintf(host, sizeof(host), "%s", at ? at + 1 : "127.0.0.1");
		if (getaddrinfo(host, port, &hints, &ai) != 0)
			return -1;
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
		freeaddrinfo(ai);
		return fd;
	}
	if (strncmp(spec, "unix:", 5) == 0)
		path = spec + 5;
	else if (strncmp(spec, "local:", 6) == 0)
		path = spec + 6;
	{
		struct sockaddr_un sun = {.sun_family = AF_UNIX};

		if (strlen(path) >= sizeof(sun.sun_path))
			return -1;
		strcpy(sun.sun_path, path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* Connect, negotiate as an MTA offering everything, send the connect event. */
static int mt_open(struct worker *w, struct conn *c, const char *daemon_name)
{
	uint32_t opt[3] = {htonl(SMFI_PROT_VERSION), htonl(SMFI_CURR_ACTS), htonl(SMFI_CURR_PROT)};
	const char *kv[] = {"{daemon_name}",     daemon_name,     "j",
	                    "mta.bench.example", "{client_addr}", "127.0.0.1"};
	static const char connect_info[] = "client.bench.example\0"
	                                   "4\xd4\x31"
	                                   "127.0.0.1";
	static const char helo[] = "client.bench.example";
	char code;
	size_t n;
	int rc;

	if ((c->fd = sock_connect(w->o->socket)) < 0) {
		w->st.conn_fail++;
		return -1;
	}
	if (mt_send(c, SMFIC_OPTNEG, opt, sizeof(opt)) < 0 || mt_recv(c, &code, &n) < 0 ||
	    code != SMFIC_OPTNEG || n < 12) {
		worker_error(w, "option negotiation failed");
		w->st.proto_errors++;
		return -1;
	}
	memcpy(opt, c->rbuf, sizeof(opt));
	c->pflags = ntohl(opt[2]);
	if (mt_macros(c, SMFIC_CONNECT, kv, 3) < 0)
		return -1;
	if (c->pflags & SMFIP_NOCONNECT)
		return 0;
	rc = mt_command(c, SMFIC_CONNECT, connect_info, sizeof(connect_info), SMFIP_NR_CONN);
	if (rc != SMFIR_CONTINUE) {
		worker_error(w, "connect answered %s for daemon %s", answer_name(rc), daemon_name);
		w->st.proto_errors++;
		return -1;
	}
	/* as smtpd does after EHLO, unless the milter asked not to see it */
	if (c->pflags & SMFIP_NOHELO)
		return 0;
	rc = mt_command(c, SMFIC_HELO, helo, sizeof(helo), SMFIP_NR_HELO);
	if (rc != SMFIR_CONTINUE) {
		worker_error(w, "HELO answered %s for daemon %s", answer_name(rc), daemon_name);
		w->st.proto_errors++;
		return -1;
	}
	return 0;
}

static void mt_close(struct conn *c)
{
	if (c->fd >= 0) {
		mt_send(c, SMFIC_QUIT, NULL, 0);
		close(c->fd);
	}
	c->fd = -1;
}

/*
 * Messages.
 */

static int mt_mail(struct worker *w, struct conn *c, const char *from, unsigned long qid)
{
	char id[32], arg[320];
	const char *kv[] = {"i", id};
	int rc;

	snprintf(id, sizeof(id), "%lX", qid);
	snprintf(arg, sizeof(arg), "<%s>", from);
	if (mt_macros(c, SMFIC_MAIL, kv, 1) < 0)
		return -1;
	if (c->pflags & SMFIP_NOMAIL)
		return 0;
	rc = mt_command(c, SMFIC_MAIL, arg, strlen(arg) + 1, SMFIP_NR_MAIL);
	if (rc != SMFIR_CONTINUE) {
		w->st.proto_errors++;
		worker_error(w, "MAIL FROM:<%s> answered %s", from, answer_name(rc));
		return -1;
	}
	return 0;
}

/* The answer to RCPT TO, as 'c', 'r' (550 given as 'y' or 'r'), 't' or -1. */
static int mt_rcpt(struct conn *c, const char *rcpt)
{
	char arg[320];
	int rc;

	snprintf(arg, sizeof(arg), "<%s>", rcpt);
	if (c->pflags & SMFIP_NORCPT)
		return SMFIR_CONTINUE;
	rc = mt_command(c, SMFIC_RCPT, arg, strlen(arg) + 1, SMFIP_NR_RCPT);
	if (rc == SMFIR_REPLYCODE)
		return c->rbuf[0] == '5' ? SMFIR_REJECT : c->rbuf[0] == '4' ? SMFIR_TEMPFAIL : rc;
	return rc;
}

static int mt_header(struct conn *c, const char *name, size_t nlen, const char *value, size_t vlen)
{
	char buf[65536];

	if (c->pflags & SMFIP_NOHDRS)
		return SMFIR_CONTINUE;
	if (nlen + vlen + 2 > sizeof(buf))
		vlen = sizeof(buf) - nlen - 2;
	memcpy(buf, name, nlen);
	buf[nlen] = 0;
	memcpy(buf + nlen + 1, value, vlen);
	buf[nlen + 1 + vlen] = 0;
	return mt_command(c, SMFIC_HEADER, buf, nlen + vlen + 2, SMFIP_NR_HDR);
}

/*
 * Headers (unfolded as Postfix sends them: value without the leading
 * space, continuation lines kept with LF), end of headers, the body in
 * chunks with CRLF line ends, end of message. Returns the final answer.
 */
static int mt_content(struct conn *c, const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len;
	char *body;
	size_t blen = 0;
	int rc = SMFIR_CONTINUE, skip = 0;

	/* DATA, as smtpd sends it before the headers, unless the milter declined it */
	if (!(c->pflags & SMFIP_NODATA) &&
	    (rc = mt_command(c, SMFIC_DATA, NULL, 0, SMFIP_NR_DATA)) != SMFIR_CONTINUE)
		return rc;
	while (p < end && *p != '\n' && !(*p == '\r' && p + 1 < end && p[1] == '\n')) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		const char *v, *e = p;

		/* the field ends at a line end not followed by white space */
		while (e < end) {
			const char *nl = memchr(e, '\n', (size_t)(end - e));
			e = nl ? nl + 1 : end;
			if (e >= end || (*e != ' ' && *e != '\t'))
				break;
		}
		if (colon == NULL || colon > e)
			return -1;
		v = colon + 1;
		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		{
			const char *ve = e;
			while (ve > v && (ve[-1] == '\n' || ve[-1] == '\r'))
				ve--;
			rc = mt_header(c, p, (size_t)(colon - p), v, (size_t)(ve - v));
		}
		if (rc != SMFIR_CONTINUE)
			return rc;
		p = e;
	}
	p += (p < end && *p == '\r') ? 2 : 1;
	if (!(c->pflags & SMFIP_NOEOH) &&
	    (rc = mt_command(c, SMFIC_EOH, NULL, 0, SMFIP_NR_EOH)) != SMFIR_CONTINUE)
		return rc;
	if ((body = malloc(2 * (size_t)(end > p ? end - p : 0) + 2)) == NULL)
		return -1;
	for (const char *q = p; q < end; q++) {
		if (*q == '\n' && (q == p || q[-1] != '\r'))
			body[blen++] = '\r';
		body[blen++] = *q;
	}
	for (size_t off = 0; off < blen && !skip && !(c->pflags & SMFIP_NOBODY);) {
		size_t n = blen - off > MILTER_CHUNK_SIZE ? MILTER_CHUNK_SIZE : blen - off;

		rc = mt_command(c, SMFIC_BODY, body + off, n, SMFIP_NR_BODY);
		if (rc == SMFIR_SKIP)
			skip = 1;
		else if (rc != SMFIR_CONTINUE)
			break;
		off += n;
	}
	free(body);
	if (rc != SMFIR_CONTINUE && rc != SMFIR_SKIP)
		return rc;
	return mt_command(c, SMFIC_BODYEOB, NULL, 0, 0);
}

static void address_suppressed(char *buf, size_t n, unsigned long i)
{
	snprintf(buf, n, "s%08lu@bench.example", i);
}

static void address_clean(char *buf, size_t n, unsigned long i)
{
	snprintf(buf, n, "u%08lu@bench.example", i);
}

static void address_learned(const struct worker *w, char *buf, size_t n, uint64_t q)
{
	snprintf(buf, n, "%s-t%d-%llu@learn.example", w->o->prefix, w->id, (unsigned long long)q);
}

/* One RCPT with its expected answer; paced when -R is given. */
static int enforce_rcpt(struct worker *w, struct conn *c)
{
	const struct options *o = w->o;
	char rcpt[256];
	int expect_reject = 1, rc;
	unsigned long pick = rng_below(&w->rng, 100);
	double t0;

	if (pick < (unsigned long)o->pct_learned && w->nlearned > 0) {
		address_learned(w, rcpt, sizeof(rcpt), rng_below(&w->rng, w->nlearned));
		w->st.rcpt_learned_probe++;
	} else if (pick < (unsigned long)(o->pct_learned + o->pct_suppressed) && o->suppressed) {
		address_suppressed(rcpt, sizeof(rcpt), rng_below(&w->rng, o->suppressed));
	} else {
		address_clean(rcpt, sizeof(rcpt), rng_below(&w->rng, 100000000UL));
		expect_reject = 0;
	}
	if (o->rate > 0) {
		sleep_until(w->next_send);
		t0 = w->next_send;
		w->next_send += (double)o->conns / o->rate;
	} else {
		t0 = now_s();
	}
	rc = mt_rcpt(c, rcpt);
	if (rc < 0) {
		w->st.proto_errors++;
		worker_error(w, "RCPT TO:<%s>: connection lost", rcpt);
		return -1;
	}
	hist_add(&w->st.h_rcpt, now_s() - t0);
	w->st.rcpt++;
	if (rc == SMFIR_REJECT)
		w->st.rcpt_rejected++;
	else if (rc == SMFIR_CONTINUE)
		w->st.rcpt_accepted++;
	else if (rc == SMFIR_TEMPFAIL)
		w->st.rcpt_tempfail++;
	if ((expect_reject && rc != SMFIR_REJECT) || (!expect_reject && rc != SMFIR_CONTINUE)) {
		w->st.rcpt_wrong++;
		worker_error(w, "RCPT TO:<%s>: unexpected answer %s", rcpt, answer_name(rc));
	}
	return 0;
}

/*
 * Each message has its own Message-ID, as real mail does: the milter records
 * (Message-ID, recipient) for every accepted recipient, and the database
 * index on those rows behaves differently when every row shares one ID.
 */
static const char enforce_msg_fmt[] = "From: sender@bench.example\n"
                                      "To: undisclosed-recipients:;\n"
                                      "Subject: miltload\n"
                                      "Message-ID: <%d.%d.%lu.miltload@bench.example>\n"
                                      "\n"
                                      "A short message body.\n";

static int enforce_message(struct worker *w, struct conn *c, unsigned long qid)
{
	char msg[sizeof(enforce_msg_fmt) + 64];
	int rc, len;

	if (mt_mail(w, c, "sender@bench.example", qid) < 0)
		return -1;
	for (int i = 0; i < w->o->rcpts; i++)
		if (enforce_rcpt(w, c) < 0)
			return -1;
	if (w->o->abort_msgs)
		return mt_send(c, SMFIC_ABORT, NULL, 0);
	len = snprintf(msg, sizeof(msg), enforce_msg_fmt, w->o->run_id, w->id, qid);
	rc = mt_content(c, msg, (size_t)len);
	if (rc != SMFIR_CONTINUE && rc != SMFIR_ACCEPT) {
		w->st.proto_errors++;
		worker_error(w, "submission message ended with %s", answer_name(rc));
		return -1;
	}
	return 0;
}

/* The template with its recipient replaced by addr; caller frees. */
static char *dsn_build(const struct dsn_template *t, const char *addr, size_t *len)
{
	size_t alen = strlen(addr), n = 0;
	char *buf;

	for (size_t i = 0; i < t->nseg; i++)
		n += t->seglen[i] + (i + 1 < t->nseg ? alen : 0);
	if ((buf = malloc(n + 1)) == NULL)
		return NULL;
	n = 0;
	for (size_t i = 0; i < t->nseg; i++) {
		memcpy(buf + n, t->seg[i], t->seglen[i]);
		n += t->seglen[i];
		if (i + 1 < t->nseg) {
			memcpy(buf + n, addr, alen);
			n += alen;
		}
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

static int learn_message(struct worker *w, struct conn *c, unsigned long qid)
{
	char rcpt[256];
	const char *kv[] = {"i", NULL};
	char id[32];
	size_t len;
	char *msg;
	double t0;
	int rc;

	address_learned(w, rcpt, sizeof(rcpt), w->nlearned);
	if ((msg = dsn_build(w->tpl, rcpt, &len)) == NULL)
		return -1;
	snprintf(id, sizeof(id), "%lX", qid);
	kv[1] = id;
	rc = mt_mail(w, c, "", qid);
	if (rc == 0) {
		rc = mt_rcpt(c, "sender@bench.example");
		rc = rc == SMFIR_CONTINUE ? 0 : -1;
	}
	if (rc == 0 && mt_macros(c, SMFIC_BODYEOB, kv, 1) < 0)
		rc = -1;
	if (rc < 0) {
		w->st.proto_errors++;
		free(msg);
		return -1;
	}
	t0 = now_s();
	rc = mt_content(c, msg, len);
	free(msg);
	hist_add(&w->st.h_learn, now_s() - t0);
	if (rc == SMFIR_CONTINUE || rc == SMFIR_ACCEPT) {
		w->st.learned++;
		w->nlearned++;
		if (w->learned_out) {
			pthread_mutex_lock(&out_lock);
			fprintf(w->learned_out, "%s\n", rcpt);
			pthread_mutex_unlock(&out_lock);
		}
		return 0;
	}
	/* A tempfail with a text (smfi_setreply) comes as a 4xx SMFIR_REPLYCODE. */
	if (rc == SMFIR_TEMPFAIL || (rc == SMFIR_REPLYCODE && c->rbuf[0] == '4'))
		w->st.learn_tempfail++;
	else
		w->st.learn_wrong++;
	if (rc == SMFIR_REPLYCODE)
		worker_error(w, "DSN for %s answered %.200s", rcpt, c->rbuf);
	else
		worker_error(w, "DSN for %s answered %s", rcpt, answer_name(rc));
	return rc < 0 ? -1 : 0;
}

/* One milter connection: negotiate, connect, k messages of one kind, quit. */
static void session(struct worker *w, enum ml_kind kind, unsigned long *qid)
{
	struct conn c = {.fd = -1};
	double t0 = now_s();

	if (mt_open(w, &c, kind == ML_LEARN ? w->o->dn_dsn : w->o->dn_submission) < 0) {
		if (c.fd >= 0)
			close(c.fd);
		free(c.rbuf);
		usleep(10000);
		return;
	}
	hist_add(&w->st.h_setup, now_s() - t0);
	w->st.sessions[kind]++;
	for (int m = 0; m < w->o->msgs_per_conn && now_s() < w->deadline; m++) {
		int rc = kind == ML_LEARN ? learn_message(w, &c, (*qid)++)
		                          : enforce_message(w, &c, (*qid)++);
		if (rc < 0) {
			close(c.fd);
			c.fd = -1;
			break;
		}
		w->st.messages[kind]++;
	}
	mt_close(&c);
	free(c.rbuf);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	unsigned long qid = ((unsigned long)w->id << 24) + 1;
	unsigned total = w->o->w_enforce + w->o->w_learn;

	w->next_send = now_s();
	while (now_s() < w->deadline) {
		enum ml_kind kind =
		    rng_below(&w->rng, total) < w->o->w_enforce ? ML_ENFORCE : ML_LEARN;
		session(w, kind, &qid);
	}
	return NULL;
}

/*
 * Set-up and report.
 */

static int template_load(const char *path, struct dsn_template *t)
{
	FILE *fp = fopen(path, "rb");
	char *text = NULL, *p, *q, *line;
	size_t cap = 0, len = 0, got;

	if (fp == NULL)
		return -1;
	do {
		if (len + 65536 > cap && (text = realloc(text, cap = len + 65536 + 1)) == NULL)
			return -1;
		got = fread(text + len, 1, cap - len - 1, fp);
		len += got;
	} while (got > 0);
	fclose(fp);
	text[len] = 0;
	for (line = text; line && *line; line = (q = strchr(line, '\n')) ? q + 1 : NULL)
		if (strncasecmp(line, "Final-Recipient:", 16) == 0)
			break;
	if (line == NULL || *line == 0 || (p = strchr(line, ';')) == NULL)
		return -1;
	for (p++; *p == ' ' || *p == '\t'; p++)
		;
	q = p + strcspn(p, " \t\r\n");
	t->address = strndup(p, (size_t)(q - p));
	t->nseg = 0;
	t->seg = NULL;
	t->seglen = NULL;
	for (p = text;;) {
		char *hit = strstr(p, t->address);
		size_t n = hit ? (size_t)(hit - p) : strlen(p);

		t->seg = realloc(t->seg, (t->nseg + 1) * sizeof(*t->seg));
		t->seglen = realloc(t->seglen, (t->nseg + 1) * sizeof(*t->seglen));
		t->seg[t->nseg] = strndup(p, n);
		t->seglen[t->nseg++] = n;
		if (hit == NULL)
			break;
		p = hit + strlen(t->address);
	}
	free(text);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: miltload -s SOCKET [-c CONNS] [-d SECONDS] [-k MSGS] [-r RCPTS]\n"
	                "\t[-m enforce=W,learn=W] [-N SUPPRESSED] [-u PCT] [-l PCT] [-f DSN.eml]\n"
	                "\t[-P PREFIX] [-o FILE] [-R RATE] [-A] [-D SUBMISSION,DSN] [-q]\n");
	exit(2);
}

static void parse_mix(struct options *o, const char *s)
{
	char buf[128], *tok, *save = NULL;

	o->w_enforce = o->w_learn = 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "enforce=", 8) == 0)
			o->w_enforce = (unsigned)atoi(tok + 8);
		else if (strncmp(tok, "learn=", 6) == 0)
			o->w_learn = (unsigned)atoi(tok + 6);
		else
			usage();
	}
	if (o->w_enforce + o->w_learn == 0)
		usage();
}

static void parse_options(int argc, char **argv, struct options *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->conns = 1;
	o->seconds = 10;
	o->msgs_per_conn = 10;
	o->rcpts = 10;
	o->w_enforce = 1;
	o->pct_suppressed = 50;
	o->dn_submission = "submission";
	o->dn_dsn = "bouncetag-dsn";
	snprintf(o->prefix_buf, sizeof(o->prefix_buf), "l%ld-%ld", (long)getpid(),
	         (long)time(NULL));
	o->prefix = o->prefix_buf;
	while ((ch = getopt(argc, argv, "s:c:d:k:r:m:N:u:l:f:P:o:R:AD:q")) != -1) {
		switch (ch) {
		case 's':
			o->socket = optarg;
			break;
		case 'c':
			o->conns = atoi(optarg);
			break;
		case 'd':
			o->seconds = atof(optarg);
			break;
		case 'k':
			o->msgs_per_conn = atoi(optarg);
			break;
		case 'r':
			o->rcpts = atoi(optarg);
			break;
		case 'm':
			parse_mix(o, optarg);
			break;
		case 'N':
			o->suppressed = strtoul(optarg, NULL, 10);
			break;
		case 'u':
			o->pct_suppressed = atoi(optarg);
			break;
		case 'l':
			o->pct_learned = atoi(optarg);
			break;
		case 'f':
			o->dsn_file = optarg;
			break;
		case 'P':
			o->prefix = optarg;
			break;
		case 'o':
			o->out_file = optarg;
			break;
		case 'R':
			o->rate = atof(optarg);
			break;
		case 'A':
			o->abort_msgs = 1;
			break;
		case 'D': {
			char *comma;
			snprintf(o->dn_buf, sizeof(o->dn_buf), "%s", optarg);
			if ((comma = strchr(o->dn_buf, ',')) == NULL)
				usage();
			*comma = 0;
			o->dn_submission = o->dn_buf;
			o->dn_dsn = comma + 1;
			break;
		}
		case 'q':
			o->quiet = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || o->socket == NULL || o->conns < 1 || o->conns > ML_MAX_THREADS ||
	    o->msgs_per_conn < 1 || o->rcpts < 0 || o->seconds <= 0 ||
	    o->pct_suppressed + o->pct_learned > 100 || (o->w_learn && o->dsn_file == NULL))
		usage();
}

static void print_hist(const char *name, const struct hist *h)
{
	printf("  %-8s n=%-9llu mean=%8.1f p50=%8.1f p99=%8.1f p99.9=%8.1f max=%9.1f us\n", name,
	       (unsigned long long)h->n, h->n ? (double)h->sum / (double)h->n / 1e3 : 0,
	       hist_pct(h, 0.5), hist_pct(h, 0.99), hist_pct(h, 0.999), (double)h->max / 1e3);
}

static void report(const struct options *o, const struct stats *s, double elapsed)
{
	uint64_t errors = s->rcpt_wrong + s->rcpt_tempfail + s->learn_tempfail + s->learn_wrong +
	                  s->proto_errors + s->conn_fail;

	if (!o->quiet) {
		printf("miltload: %d connection(s), %.2f s, %s\n", o->conns, elapsed,
		       o->rate > 0 ? "paced" : "closed loop");
		printf("  sessions enforce=%llu learn=%llu, messages enforce=%llu learn=%llu\n",
		       (unsigned long long)s->sessions[ML_ENFORCE],
		       (unsigned long long)s->sessions[ML_LEARN],
		       (unsigned long long)s->messages[ML_ENFORCE],
		       (unsigned long long)s->messages[ML_LEARN]);
		printf("  RCPT decisions %llu (%.0f/s): rejected %llu, accepted %llu, wrong %llu\n",
		       (unsigned long long)s->rcpt, (double)s->rcpt / elapsed,
		       (unsigned long long)s->rcpt_rejected, (unsigned long long)s->rcpt_accepted,
		       (unsigned long long)s->rcpt_wrong);
		printf("  DSNs learned %llu (%.1f/s), tempfailed %llu, wrong %llu\n",
		       (unsigned long long)s->learned, (double)s->learned / elapsed,
		       (unsigned long long)s->learn_tempfail, (unsigned long long)s->learn_wrong);
		print_hist("rcpt", &s->h_rcpt);
		print_hist("dsn-eom", &s->h_learn);
		print_hist("connect", &s->h_setup);
	}
	printf("MILTLOAD conns=%d duration_s=%.3f rate_target=%.0f rcpts_per_msg=%d "
	       "msgs_per_conn=%d sessions_enforce=%llu sessions_learn=%llu rcpt=%llu "
	       "rcpt_per_s=%.1f rcpt_rejected=%llu rcpt_accepted=%llu rcpt_tempfail=%llu "
	       "rcpt_wrong=%llu rcpt_learned_probes=%llu rcpt_p50_us=%.1f rcpt_p99_us=%.1f "
	       "rcpt_p999_us=%.1f rcpt_max_us=%.1f learned=%llu learned_per_s=%.2f "
	       "learn_tempfail=%llu learn_wrong=%llu learn_p50_us=%.1f learn_p99_us=%.1f "
	       "learn_p999_us=%.1f learn_max_us=%.1f connect_p50_us=%.1f connect_p99_us=%.1f "
	       "conn_fail=%llu proto_errors=%llu errors=%llu\n",
	       o->conns, elapsed, o->rate, o->rcpts, o->msgs_per_conn,
	       (unsigned long long)s->sessions[ML_ENFORCE],
	       (unsigned long long)s->sessions[ML_LEARN], (unsigned long long)s->rcpt,
	       (double)s->rcpt / elapsed, (unsigned long long)s->rcpt_rejected,
	       (unsigned long long)s->rcpt_accepted, (unsigned long long)s->rcpt_tempfail,
	       (unsigned long long)s->rcpt_wrong, (unsigned long long)s->rcpt_learned_probe,
	       hist_pct(&s->h_rcpt, 0.5), hist_pct(&s->h_rcpt, 0.99), hist_pct(&s->h_rcpt, 0.999),
	       (double)s->h_rcpt.max / 1e3, (unsigned long long)s->learned,
	       (double)s->learned / elapsed, (unsigned long long)s->learn_tempfail,
	       (unsigned long long)s->learn_wrong, hist_pct(&s->h_learn, 0.5),
	       hist_pct(&s->h_learn, 0.99), hist_pct(&s->h_learn, 0.999),
	       (double)s->h_learn.max / 1e3, hist_pct(&s->h_setup, 0.5),
	       hist_pct(&s->h_setup, 0.99), (unsigned long long)s->conn_fail,
	       (unsigned long long)s->proto_errors, (unsigned long long)errors);
}

static void stats_merge(struct stats *into, const struct stats *s)
{
	into->sessions[0] += s->sessions[0];
	into->sessions[1] += s->sessions[1];
	into->messages[0] += s->messages[0];
	into->messages[1] += s->messages[1];
	into->conn_fail += s->conn_fail;
	into->rcpt += s->rcpt;
	into->rcpt_rejected += s->rcpt_rejected;
	into->rcpt_accepted += s->rcpt_accepted;
	into->rcpt_tempfail += s->rcpt_tempfail;
	into->rcpt_wrong += s->rcpt_wrong;
	into->rcpt_learned_probe += s->rcpt_learned_probe;
	into->learned += s->learned;
	into->learn_tempfail += s->learn_tempfail;
	into->learn_wrong += s->learn_wrong;
	into->proto_errors += s->proto_errors;
	hist_merge(&into->h_rcpt, &s->h_rcpt);
	hist_merge(&into->h_learn, &s->h_learn);
	hist_merge(&into->h_setup, &s->h_setup);
}

int main(int argc, char **argv)
{
	struct options o;
	struct dsn_template tpl = {0};
	struct worker *w;
	struct stats *total;
	FILE *out = NULL;
	double start, elapsed;
	uint64_t errors;

	parse_options(argc, argv, &o);
	o.run_id = (int)getpid();
	if (o.dsn_file && template_load(o.dsn_file, &tpl) < 0) {
		fprintf(stderr, "miltload: %s: cannot read a Final-Recipient from it\n",
		        o.dsn_file);
		return 2;
	}
	if (o.out_file && (out = fopen(o.out_file, "w")) == NULL) {
		fprintf(stderr, "miltload: %s: %s\n", o.out_file, strerror(errno));
		return 2;
	}
	w = calloc((size_t)o.conns, sizeof(*w));
	total = calloc(1, sizeof(*total));
	if (w == NULL || total == NULL)
		return 2;
	start = now_s();
	for (int i = 0; i < o.conns; i++) {
		pthread_attr_t attr;

		w[i].id = i;
		w[i].o = &o;
		w[i].tpl = &tpl;
		w[i].deadline = start + o.seconds;
		w[i].rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1) ^ (uint64_t)getpid();
		w[i].learned_out = out;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		if (pthread_create(&w[i].tid, &attr, worker_run, &w[i]) != 0) {
			fprintf(stderr, "miltload: cannot start thread %d\n", i);
			return 2;
		}
		pthread_attr_destroy(&attr);
	}
	for (int i = 0; i < o.conns; i++) {
		pthread_join(w[i].tid, NULL);
		stats_merge(total, &w[i].st);
	}
	elapsed = now_s() - start;
	if (out)
		fclose(out);
	report(&o, total, elapsed);
	errors = total->rcpt_wrong + total->rcpt_tempfail + total->learn_tempfail +
	         total->learn_wrong + total->proto_errors + total->conn_fail;
	free(w);
	free(total);
	for (size_t i = 0; i < tpl.nseg; i++)
		free(tpl.seg[i]);
	free(tpl.seg);
	free(tpl.seglen);
	free(tpl.address);
	return errors ? 1 : 0;
}
