/*
 * parse_bench - parse + classify throughput of the bounce pipeline, warm,
 * single thread, in process.
 *
 * Usage:
 *	parse_bench [-r RULES] [-t SECONDS] [-n PASSES] [-p PHASES] [-v] DIR|FILE...
 *
 * What it does: reads every message into memory first (no I/O is timed),
 * runs one untimed warm-up pass, then loops bounce_analyse() (bounce.h)
 * over all messages, whole passes only, until at least SECONDS have gone
 * by (or exactly PASSES passes with -n, for callgrind). The figures are
 * messages and megabytes per second of wall-clock time, with the process
 * CPU time beside them so a busy machine shows up as a gap between the two.
 *
 * Phases (-p, comma separated; default all):
 *	full      bounce_analyse() with the rules file: what the milter does
 *	norules   the same with an empty rule set (status/reply fallback
 *	          only): full minus norules is the cost of the PCRE2 rules
 *	classify  rules_classify() alone over the replies found in the corpus
 *	perrule   each rule loaded as a one-rule set and timed alone over the
 *	          same replies: where rule matching time goes, and how many
 *	          rules run per reply before the first match
 *	sieve     rules_classify() (the rule sieve picks the rules whose
 *	          required literals occur, and only those run PCRE2) against
 *	          rules_classify_unfiltered() (every rule in file order up to
 *	          the first match, the text scanned once per rule) over the
 *	          same replies and every "example =" of the rules file: time
 *	          per reply, and verdicts that differ (must be none)
 *
 * Output: readable lines, and one machine-readable line per phase that
 *	starts with "PARSE " and holds key=value pairs.
 *
 * Why rules are sliced out of the file text rather than re-parsed here:
 * rules_load_buf() on one [id] section compiles the pattern exactly as the
 * milter does (same flags, same JIT), so the per-rule times are real.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "bounce.h"
#include "msg.h"
#include "reply.h"
#include "rules.h"

#define PB_FILE_MAX (16 * 1024 * 1024) /* bytes of one corpus message */

struct corpus {
	char **data;
	size_t *len;
	size_t n, cap;
	size_t bytes;
};

/* One reply of the corpus as the classifier sees it. */
struct sample {
	int code;
	char status[REPLY_STATUS_MAX];
	char *text;
};

struct samples {
	struct sample *s;
	size_t n, cap;
};

static double now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL) {
		fprintf(stderr, "parse_bench: out of memory\n");
		exit(1);
	}
	return q;
}

static char *read_file(const char *path, size_t *lenp)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (fp == NULL)
		return NULL;
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = xrealloc(buf, cap + 1);
		}
		got = fread(buf + len, 1, cap - len, fp);
		len += got;
	} while (got > 0 && len < PB_FILE_MAX);
	fclose(fp);
	buf[len] = 0;
	*lenp = len;
	return buf;
}

static void corpus_add(struct corpus *c, const char *path)
{
	size_t len;
	char *buf = read_file(path, &len);

	if (buf == NULL) {
		fprintf(stderr, "parse_bench: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->data = xrealloc(c->data, c->cap * sizeof(*c->data));
		c->len = xrealloc(c->len, c->cap * sizeof(*c->len));
	}
	c->data[c->n] = buf;
	c->len[c->n] = len;
	c->n++;
	c->bytes += len;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of a directory, in name order (a repeatable pass). */
static void corpus_add_dir(struct corpus *c, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	char path[4096];
	struct stat sb;

	if (d == NULL) {
		fprintf(stderr, "parse_bench: %s: %s\n", dir, strerror(errno));
		exit(1);
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
			corpus_add(c, path);
		free(names[i]);
	}
	free(names);
}

static void corpus_add_arg(struct corpus *c, const char *arg)
{
	struct stat sb;

	if (stat(arg, &sb) == 0 && S_ISDIR(sb.st_mode))
		corpus_add_dir(c, arg);
	else
		corpus_add(c, arg);
}

static struct rules *load_rules(const char *name, const char *buf, size_t len)
{
	struct rules *rs;
	char err[512];

	if (rules_load_buf(name, buf, len, &rs, err, sizeof(err)) < 0) {
		fprintf(stderr, "parse_bench: %s\n", err);
		exit(1);
	}
	return rs;
}

/* One pass of bounce_analyse() over the corpus; returns the number of results. */
static size_t pass_analyse(const struct corpus *c, const struct rules *rs, size_t *classes)
{
	size_t results = 0;
	char err[256];
	struct bounce b;

	for (size_t i = 0; i < c->n; i++) {
		if (bounce_analyse(c->data[i], c->len[i], rs, NULL, &b, err, sizeof(err)) < 0) {
			fprintf(stderr, "parse_bench: %s\n", err);
			exit(1);
		}
		results += b.nresults;
		for (size_t j = 0; classes && j < b.nresults; j++)
			classes[b.results[j].verdict.cls]++;
		bounce_free(&b);
	}
	return results;
}

struct timing {
	double wall, cpu;
	long passes;
};

/* Run fn until min_s seconds have passed (whole passes), or exactly passes. */
#define TIMED(t, min_s, npasses, body)                                                             \
	do {                                                                                       \
		double w0_ = now_wall(), c0_ = now_cpu();                                          \
		(t).passes = 0;                                                                    \
		do {                                                                               \
			body;                                                                      \
			(t).passes++;                                                              \
		} while ((npasses) > 0 ? (t).passes < (npasses) : now_wall() - w0_ < (min_s));     \
		(t).wall = now_wall() - w0_;                                                       \
		(t).cpu = now_cpu() - c0_;                                                         \
	} while (0)

struct opts {
	const char *rules_path;
	double seconds;
	long passes;
	const char *phases;
	int verbose;
};

static int phase_on(const struct opts *o, const char *name)
{
	const char *p = o->phases;
	size_t n = strlen(name);

	if (p == NULL)
		return 1;
	while ((p = strstr(p, name)) != NULL) {
		if ((p == o->phases || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
			return 1;
		p += n;
	}
	return 0;
}

static void report_pipeline(const char *phase, const struct corpus *c, const struct timing *t,
                            size_t results)
{
	double msgs = (double)c->n * (double)t->passes;
	double mb = (double)c->bytes * (double)t->passes / 1e6;

	printf("%-9s %8.0f msg/s  %7.1f MB/s  %6.2f us/msg  (%ld passes, %.2f s wall, %.2f s "
	       "cpu)\n",
	       phase, msgs / t->wall, mb / t->wall, t->wall * 1e6 / msgs, t->passes, t->wall,
	       t->cpu);
	printf(
	    "PARSE phase=%s messages=%zu bytes=%zu results=%zu passes=%ld wall_s=%.4f cpu_s=%.4f "
	    "msg_per_s=%.1f mb_per_s=%.2f us_per_msg=%.3f\n",
	    phase, c->n, c->bytes, results, t->passes, t->wall, t->cpu, msgs / t->wall,
	    mb / t->wall, t->wall * 1e6 / msgs);
}

/* The replies of the corpus, parsed the way bounce.c presents them to the rules. */
static void collect_samples(const struct corpus *c, const struct rules *rs, struct samples *out)
{
	char err[256];
	struct bounce b;
	struct reply rp;

	for (size_t i = 0; i < c->n; i++) {
		if (bounce_analyse(c->data[i], c->len[i], rs, NULL, &b, err, sizeof(err)) < 0)
			continue;
		for (size_t j = 0; j < b.nresults; j++) {
			struct sample *s;

			if (reply_parse(b.results[j].diagnostic, &rp) < 0)
				continue;
			if (out->n == out->cap) {
				out->cap = out->cap ? out->cap * 2 : 256;
				out->s = xrealloc(out->s, out->cap * sizeof(*out->s));
			}
			s = &out->s[out->n++];
			s->code = b.results[j].reply_code;
			snprintf(s->status, sizeof(s->status), "%s", b.results[j].status);
			s->text = strdup(rp.text);
			reply_free(&rp);
		}
		bounce_free(&b);
	}
}

static void sample_input(const struct sample *s, struct classify_input *in)
{
	memset(in, 0, sizeof(*in));
	in->reply_code = s->code;
	in->status = s->status;
	in->text = s->text;
}

static void pass_classify(const struct samples *ss, const struct rules *rs, struct verdict *v)
{
	struct classify_input in;

	for (size_t i = 0; i < ss->n; i++) {
		sample_input(&ss->s[i], &in);
		rules_classify(rs, &in, &v[i]);
	}
}

/*
 * The file cut at its "[id]" lines: section i is rule i, loaded alone.
 * Comment lines before the first rule are dropped.
 */
static size_t split_rules(const char *buf, size_t len, struct rules ***out, char ***ids)
{
	const char *p = buf, *end = buf + len, *start = NULL;
	size_t n = 0;

	*out = NULL;
	*ids = NULL;
	for (;;) {
		const char *line = p;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;
		int header = line < end && *line == '[';

		if ((header || line >= end) && start != NULL) {
			char name[80];
			const char *close = memchr(start, ']', (size_t)(line - start));
			int idlen = close ? (int)(close - start - 1) : 0;

			snprintf(name, sizeof(name), "rule:%.*s", idlen, start + 1);
			*out = xrealloc(*out, (n + 1) * sizeof(**out));
			*ids = xrealloc(*ids, (n + 1) * sizeof(**ids));
			(*out)[n] = load_rules(name, start, (size_t)(line - start));
			(*ids)[n] = strndup(start + 1, (size_t)idlen);
			n++;
		}
		if (line >= end)
			break;
		if (header)
			start = line;
		p = next;
	}
	return n;
}

static int sample_cmp_cost(const void *a, const void *b)
{
	const double *x = a, *y = b;

	return (x[1] < y[1]) - (x[1] > y[1]);
}

/*
 * Each rule alone over every reply: its cost per reply, net of the
 * subject building and fallback that an empty set also pays. Also the
 * number of rules run before the first match (what the unfiltered loop runs; the sieve skips most
 * of them).
 */
static void phase_perrule(const struct opts *o, const char *rbuf, size_t rlen,
                          const struct samples *ss, const struct rules *all)
{
	struct rules **one;
	char **ids;
	size_t n = split_rules(rbuf, rlen, &one, &ids);
	double *cost = xrealloc(NULL, n * 2 * sizeof(double)), sum = 0, tried = 0, before_us = 0;
	struct verdict *v = xrealloc(NULL, (ss->n + 1) * sizeof(*v));
	struct timing t;
	double empty_us;

	if (n != rules_count(all))
		fprintf(stderr, "parse_bench: split %zu rules, the file has %zu\n", n,
		        rules_count(all));
	/* Baseline: a one-rule set whose pattern fails at once (subject, match data). */
	{
		static const char calib[] = "[calibration]\nclass = unclassified\n"
		                            "reason = calibration\npattern = \\A\\x00\n"
		                            "example = 550 x\n";
		struct rules *c = load_rules("calibration", calib, sizeof(calib) - 1);

		pass_classify(ss, c, v);
		TIMED(t, o->seconds / 4, o->passes, pass_classify(ss, c, v));
		empty_us = t.wall * 1e6 / ((double)t.passes * (double)ss->n);
		rules_release(c);
	}
	for (size_t i = 0; i < n; i++) {
		TIMED(t, o->seconds / (double)n, o->passes, pass_classify(ss, one[i], v));
		cost[2 * i] = (double)i;
		cost[2 * i + 1] =
		    t.wall * 1e6 / ((double)t.passes * (double)ss->n) - empty_us; /* us/reply */
		if (cost[2 * i + 1] < 0)
			cost[2 * i + 1] = 0;
		sum += cost[2 * i + 1];
	}
	/* Rules tried per reply, and the time spent on rules that did not match. */
	pass_classify(ss, all, v);
	for (size_t k = 0; k < ss->n; k++) {
		size_t stop = n;

		for (size_t i = 0; v[k].rule && i < n; i++)
			if (strcmp(ids[i], v[k].rule) == 0) {
				stop = i;
				break;
			}
		tried += (double)(stop < n ? stop + 1 : n);
		for (size_t i = 0; i < stop && i < n; i++)
			before_us += cost[2 * i + 1];
	}
	qsort(cost, n, 2 * sizeof(double), sample_cmp_cost);
	printf("perrule   one-rule call overhead %.3f us/reply (subtracted below)\n", empty_us);
	printf("perrule   %zu rules, %.3f us per reply if every rule runs; %.1f rules run per "
	       "reply on average (first match wins), %.3f us/reply on rules that do not match\n",
	       n, sum, tried / (double)ss->n, before_us / (double)ss->n);
	printf("PARSE phase=perrule rules=%zu replies=%zu all_rules_us=%.3f rules_tried_avg=%.2f "
	       "nonmatching_us=%.3f\n",
	       n, ss->n, sum, tried / (double)ss->n, before_us / (double)ss->n);
	for (size_t i = 0; i < n && i < (o->verbose ? n : 10); i++) {
		size_t r = (size_t)cost[2 * i];

		printf("  rule %-40s %7.3f us/reply (%4.1f%%)\n", ids[r], cost[2 * i + 1],
		       sum > 0 ? 100 * cost[2 * i + 1] / sum : 0);
		printf("PARSE phase=rulecost rule=%s us_per_reply=%.4f share=%.4f\n", ids[r],
		       cost[2 * i + 1], sum > 0 ? cost[2 * i + 1] / sum : 0);
	}
	for (size_t i = 0; i < n; i++) {
		rules_release(one[i]);
		free(ids[i]);
	}
	free(one);
	free(ids);
	free(cost);
	free(v);
}

/*
 * The "example =" replies of the rules file, parsed like real replies: a
 * second, wider check that the sieve gives the same verdicts.
 */
static void collect_examples(const char *buf, size_t len, struct samples *out)
{
	const char *p = buf, *end = buf + len;
	struct reply rp;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *eq = memchr(p, '=', l);

		if (l > 7 && strncasecmp(p, "example", 7) == 0 && eq != NULL) {
			char *text = strndup(eq + 1, (size_t)(p + l - eq - 1));

			if (text != NULL && reply_parse(text, &rp) == 0) {
				struct sample *sm;

				if (out->n == out->cap) {
					out->cap = out->cap ? out->cap * 2 : 256;
					out->s = xrealloc(out->s, out->cap * sizeof(*out->s));
				}
				sm = &out->s[out->n++];
				sm->code = rp.code;
				snprintf(sm->status, sizeof(sm->status), "%s", rp.status);
				sm->text = strdup(rp.text);
				reply_free(&rp);
			}
			free(text);
		}
		p = nl ? nl + 1 : end;
	}
}

/* Replies whose sieved verdict differs from the unfiltered one. */
static size_t sieve_mismatches(const struct rules *rs, const struct samples *ss)
{
	struct classify_input in;
	struct verdict want, got;
	size_t bad = 0;

	for (size_t k = 0; k < ss->n; k++) {
		sample_input(&ss->s[k], &in);
		rules_classify_unfiltered(rs, &in, &want);
		rules_classify(rs, &in, &got);
		if (got.cls != want.cls || (got.rule == NULL) != (want.rule == NULL) ||
		    (got.rule && strcmp(got.rule, want.rule) != 0))
			bad++;
	}
	return bad;
}

static void pass_unfiltered(const struct samples *ss, const struct rules *rs, struct verdict *v)
{
	struct classify_input in;

	for (size_t i = 0; i < ss->n; i++) {
		sample_input(&ss->s[i], &in);
		rules_classify_unfiltered(rs, &in, &v[i]);
	}
}

static void phase_sieve(const struct opts *o, const char *rbuf, size_t rlen,
                        const struct samples *ss, const struct rules *rs, double classify_us)
{
	struct samples ex = {0};
	struct verdict *v = xrealloc(NULL, ss->n * sizeof(*v));
	size_t mismatches = sieve_mismatches(rs, ss), ex_mismatches;
	struct timing t;
	double us;

	collect_examples(rbuf, rlen, &ex);
	ex_mismatches = sieve_mismatches(rs, &ex);
	TIMED(t, o->seconds, o->passes, pass_unfiltered(ss, rs, v));
	us = t.wall * 1e6 / ((double)t.passes * (double)ss->n);
	printf("sieve     rules_classify %.3f us/reply, every rule in order %.3f us/reply (x%.1f); "
	       "verdicts that differ: %zu of %zu corpus replies, %zu of %zu rule examples\n",
	       classify_us, us, classify_us > 0 ? us / classify_us : 0, mismatches, ss->n,
	       ex_mismatches, ex.n);
	printf("PARSE phase=sieve us_per_reply=%.4f unfiltered_us_per_reply=%.4f speedup=%.2f "
	       "mismatches=%zu replies=%zu examples=%zu example_mismatches=%zu\n",
	       classify_us, us, classify_us > 0 ? us / classify_us : 0, mismatches, ss->n, ex.n,
	       ex_mismatches);
	for (size_t i = 0; i < ex.n; i++)
		free(ex.s[i].text);
	free(ex.s);
	free(v);
}

static void usage(void)
{
	fprintf(stderr, "usage: parse_bench [-r RULES] [-t SECONDS] [-n PASSES] "
	                "[-p full,norules,classify,perrule,sieve] [-v] DIR|FILE...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = {.rules_path = "conf/rules.conf", .seconds = 5, .passes = 0};
	struct corpus c = {0};
	struct samples ss = {0};
	struct rules *rs, *none;
	size_t rlen, results = 0, classes[BT_CLASS_COUNT] = {0};
	char *rbuf;
	struct timing t;
	double full_us = 0, none_us = 0, classify_us = 0, empty_us = 0;
	struct verdict *v;
	int ch;

	while ((ch = getopt(argc, argv, "r:t:n:p:v")) != -1) {
		switch (ch) {
		case 'r':
			o.rules_path = optarg;
			break;
		case 't':
			o.seconds = atof(optarg);
			break;
		case 'n':
			o.passes = atol(optarg);
			break;
		case 'p':
			o.phases = optarg;
			break;
		case 'v':
			o.verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	for (int i = optind; i < argc; i++)
		corpus_add_arg(&c, argv[i]);
	if ((rbuf = read_file(o.rules_path, &rlen)) == NULL) {
		fprintf(stderr, "parse_bench: %s: %s\n", o.rules_path, strerror(errno));
		return 1;
	}
	rs = load_rules(o.rules_path, rbuf, rlen);
	none = load_rules("(no rules)", "", 0);
	printf("corpus    %zu messages, %zu bytes; %zu rules from %s\n", c.n, c.bytes,
	       rules_count(rs), o.rules_path);

	results = pass_analyse(&c, rs, classes); /* warm-up, and the result count */
	printf("results   %zu results:", results);
	for (int k = 0; k < BT_CLASS_COUNT; k++)
		printf(" %s=%zu", class_name((enum bt_class)k), classes[k]);
	printf("\n");
	if (phase_on(&o, "full")) {
		TIMED(t, o.seconds, o.passes, pass_analyse(&c, rs, NULL));
		report_pipeline("full", &c, &t, results);
		full_us = t.wall * 1e6 / ((double)c.n * (double)t.passes);
	}
	if (phase_on(&o, "norules")) {
		pass_analyse(&c, none, NULL);
		TIMED(t, o.seconds, o.passes, pass_analyse(&c, none, NULL));
		report_pipeline("norules", &c, &t, results);
		none_us = t.wall * 1e6 / ((double)c.n * (double)t.passes);
		if (full_us > 0)
			printf("PARSE phase=rules_share share=%.4f rules_us_per_msg=%.3f\n",
			       (full_us - none_us) / full_us, full_us - none_us);
	}
	if (phase_on(&o, "classify") || phase_on(&o, "perrule") || phase_on(&o, "sieve"))
		collect_samples(&c, rs, &ss);
	v = xrealloc(NULL, (ss.n + 1) * sizeof(*v));
	if (ss.n > 0) {
		pass_classify(&ss, rs, v);
		TIMED(t, o.seconds, o.passes, pass_classify(&ss, rs, v));
		classify_us = t.wall * 1e6 / ((double)t.passes * (double)ss.n);
		TIMED(t, o.seconds / 4, o.passes, pass_classify(&ss, none, v));
		empty_us = t.wall * 1e6 / ((double)t.passes * (double)ss.n);
		printf("classify  %zu replies: rules_classify %.3f us/reply; with no rules %.3f "
		       "us/reply\n",
		       ss.n, classify_us, empty_us);
		printf(
		    "PARSE phase=classify replies=%zu us_per_reply=%.4f empty_us_per_reply=%.4f\n",
		    ss.n, classify_us, empty_us);
	}
	if (ss.n > 0 && phase_on(&o, "perrule"))
		phase_perrule(&o, rbuf, rlen, &ss, rs);
	if (ss.n > 0 && phase_on(&o, "sieve"))
		phase_sieve(&o, rbuf, rlen, &ss, rs, classify_us);

	for (size_t i = 0; i < ss.n; i++)
		free(ss.s[i].text);
	free(ss.s);
	free(v);
	for (size_t i = 0; i < c.n; i++)
		free(c.data[i]);
	free(c.data);
	free(c.len);
	free(rbuf);
	rules_release(rs);
	rules_release(none);
	return 0;
}
