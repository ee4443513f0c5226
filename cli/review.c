/*
 * review - the read-only verbs: list, export, show, check, stats.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "cli.h"
#include "output.h"

enum fmt { FMT_TABLE, FMT_JSON, FMT_CSV };

struct list_ctx {
	enum fmt fmt;
	time_t now;
	long rows;
};

static const char *sup_state(const struct suppression *s, time_t now)
{
	if (s->released_at)
		return "released";
	if (s->expires && s->expires <= now)
		return "expired";
	return "active";
}

static void sup_json(const struct suppression *s, time_t now)
{
	char t[32];

	fputs("{\"recipient\":", stdout);
	out_json_str(stdout, s->recipient);
	out_json_kv(stdout, "tag", s->tag);
	out_json_kv(stdout, "class", class_name(s->cls));
	out_json_kv(stdout, "reason", s->reason);
	out_json_kv(stdout, "state", sup_state(s, now));
	out_json_kv(stdout, "rule", s->rule);
	out_json_kv(stdout, "diagnostic", s->diagnostic);
	out_json_kv(stdout, "remote_mta", s->remote_mta);
	out_json_kv(stdout, "source", s->source);
	out_json_kv(stdout, "first_seen", out_time(s->first_seen, t));
	out_json_kv(stdout, "last_seen", out_time(s->last_seen, t));
	printf(",\"hits\":%ld", s->hits);
	out_json_kv(stdout, "expires", s->expires ? out_time(s->expires, t) : NULL);
	out_json_kv(stdout, "released_at", s->released_at ? out_time(s->released_at, t) : NULL);
	out_json_kv(stdout, "released_by", s->released_by);
	out_json_kv(stdout, "release_why", s->release_why);
	fputs("}", stdout);
}

static const char *const csv_columns =
    "recipient,tag,class,reason,state,rule,diagnostic,remote_mta,source,first_seen,"
    "last_seen,hits,expires,released_at,released_by,release_why\n";

static void sup_csv(const struct suppression *s, time_t now)
{
	char t[32], hits[32];
	const char *f[16];

	snprintf(hits, sizeof(hits), "%ld", s->hits);
	f[0] = s->recipient;
	f[1] = s->tag;
	f[2] = class_name(s->cls);
	f[3] = s->reason;
	f[4] = sup_state(s, now);
	f[5] = s->rule;
	f[6] = s->diagnostic;
	f[7] = s->remote_mta;
	f[8] = s->source;
	for (int i = 0; i < 9; i++) {
		out_csv_field(stdout, f[i]);
		fputc(',', stdout);
	}
	printf("%s,", out_time(s->first_seen, t));
	printf("%s,%s,", out_time(s->last_seen, t), hits);
	printf("%s,", out_time(s->expires, t));
	printf("%s,", out_time(s->released_at, t));
	out_csv_field(stdout, s->released_by);
	fputc(',', stdout);
	out_csv_field(stdout, s->release_why);
	fputc('\n', stdout);
}

static int list_row(void *vctx, const struct suppression *s)
{
	struct list_ctx *ctx = vctx;
	char t[32];

	if (ctx->fmt == FMT_JSON) {
		sup_json(s, ctx->now);
		fputc('\n', stdout);
	} else if (ctx->fmt == FMT_CSV) {
		sup_csv(s, ctx->now);
	} else {
		if (ctx->rows == 0)
			printf("%-40s %-24s %-19s %-10s %-10s %5s %s\n", "RECIPIENT", "TAG",
			       "CLASS", "SINCE", "LAST", "HITS", "STATE");
		printf("%-40s %-24s %-19s %-10.10s ", s->recipient, s->tag, class_name(s->cls),
		       out_time(s->first_seen, t));
		printf("%-10.10s %5ld %s\n", out_time(s->last_seen, t), s->hits,
		       sup_state(s, ctx->now));
	}
	ctx->rows++;
	return 0;
}

static int list_run(struct cli *c, const struct store_filter *f, enum fmt fmt)
{
	struct store *st;
	struct list_ctx ctx = {fmt, f->now, 0};
	int rc;

	if (cli_store(c, STORE_READONLY, &st) < 0)
		return 1;
	if (fmt == FMT_CSV)
		fputs(csv_columns, stdout);
	rc = store_list(st, f, list_row, &ctx);
	if (rc == STORE_ERR)
		fprintf(stderr, "bouncetag: %s\n", store_error(st));
	else if (fmt == FMT_TABLE && ctx.rows == 0)
		printf("no suppressions match\n");
	store_close(st);
	return rc == STORE_ERR;
}

int cmd_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"tag", required_argument, NULL, 't'},
	    {"class", required_argument, NULL, 'k'},
	    {"domain", required_argument, NULL, 'd'},
	    {"since", required_argument, NULL, 's'},
	    {"all", no_argument, NULL, 'a'},
	    {"json", no_argument, NULL, 'j'},
	    {"csv", no_argument, NULL, 'v'},
	    {"config", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	struct store_filter f = {.cls = -1, .now = time(NULL)};
	enum fmt fmt = FMT_TABLE;
	enum bt_class cls;
	int opt;

	while ((opt = cli_getopt(c, argc, argv, "t:k:d:s:ajvc:", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			f.tag = optarg;
			break;
		case 'k':
			if (class_parse(optarg, &cls) < 0) {
				fprintf(stderr, "bouncetag: unknown class '%s'\n", optarg);
				return EXIT_USAGE;
			}
			f.cls = (int)cls;
			break;
		case 'd':
			f.domain = optarg;
			break;
		case 's':
			if (cli_parse_since(optarg, f.now, &f.since) < 0) {
				fprintf(stderr,
				        "bouncetag: --since '%s': expected YYYY-MM-DD or an "
				        "age such as 7d\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'a':
			f.include_inactive = 1;
			break;
		case 'j':
			fmt = FMT_JSON;
			break;
		case 'v':
			fmt = FMT_CSV;
			break;
		default:
			return cli_usage("list");
		}
	}
	if (optind != argc)
		return cli_usage("list");
	return list_run(c, &f, fmt);
}

int cmd_export(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"csv", no_argument, NULL, 'v'},
	    {"config", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	struct store_filter f = {.cls = -1, .include_inactive = 1, .now = time(NULL)};
	enum fmt fmt = FMT_JSON;
	int opt;

	while ((opt = cli_getopt(c, argc, argv, "jvc:", opts, NULL)) != -1) {
		if (opt == 'j')
			fmt = FMT_JSON;
		else if (opt == 'v')
			fmt = FMT_CSV;
		else
			return cli_usage("export");
	}
	if (optind != argc)
		return cli_usage("export");
	return list_run(c, &f, fmt);
}

struct hist_ctx {
	int json;
	int n;
};

static int show_event(void *vctx, const struct stored_event *se)
{
	struct hist_ctx *ctx = vctx;
	const struct store_event *e = &se->ev;
	char t[32];

	if (!ctx->json) {
		printf("  %s  %-9s %-6s %-19s %-24s %s%s\n", out_time(e->when, t),
		       e->action ? e->action : "-", e->status ? e->status : "-", class_name(e->cls),
		       e->reason ? e->reason : "-", e->source ? e->source : "-",
		       e->trusted ? "" : " (untrusted)");
		if (e->diagnostic && *e->diagnostic)
			printf("      %s\n", e->diagnostic);
		return 0;
	}
	fputs(ctx->n++ ? "," : "", stdout);
	printf("{\"id\":%lld,\"time\":", se->id);
	out_json_str(stdout, out_time(e->when, t));
	out_json_kv(stdout, "action", e->action);
	out_json_kv(stdout, "status", e->status);
	if (e->reply_code)
		printf(",\"reply_code\":%d", e->reply_code);
	else
		fputs(",\"reply_code\":null", stdout);
	out_json_kv(stdout, "class", class_name(e->cls));
	out_json_kv(stdout, "reason", e->reason);
	out_json_kv(stdout, "rule", e->rule);
	out_json_kv(stdout, "diagnostic", e->diagnostic);
	out_json_kv(stdout, "remote_mta", e->remote_mta);
	out_json_kv(stdout, "source", e->source);
	printf(",\"trusted\":%s,\"queue_id\":", e->trusted ? "true" : "false");
	out_json_str(stdout, e->queue_id);
	out_json_kv(stdout, "message_id", e->message_id);
	fputs("}", stdout);
	return 0;
}

/* Parse "[--json] ADDRESS" for show and check; returns the normalised address or exits. */
static int addr_args(struct cli *c, int argc, char **argv, const char *verb, int *json,
                     char addr[ADDR_MAX])
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"config", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	argv = cli_shield_addresses(&argc, argv);
	while ((opt = cli_getopt(c, argc, argv, "jc:", opts, NULL)) != -1) {
		if (opt != 'j')
			return cli_usage(verb);
		*json = 1;
	}
	if (optind + 1 != argc)
		return cli_usage(verb);
	if (addr_normalise(argv[optind], addr, ADDR_MAX) < 0) {
		fprintf(stderr, "bouncetag: '%s' is not an email address\n", argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

int cmd_show(struct cli *c, int argc, char **argv)
{
	char addr[ADDR_MAX], t[32];
	int json = 0, rc;
	struct store *st;
	struct suppression s;
	struct hist_ctx hc = {0, 0};
	time_t now = time(NULL);

	if ((rc = addr_args(c, argc, argv, "show", &json, addr)) != 0)
		return rc;
	if (cli_store(c, STORE_READONLY, &st) < 0)
		return 1;
	hc.json = json;
	rc = store_get(st, addr, &s);
	if (rc == STORE_ERR)
		goto fail;
	if (json) {
		fputs("{\"recipient\":", stdout);
		out_json_str(stdout, addr);
		fputs(",\"suppression\":", stdout);
		if (rc == STORE_OK)
			sup_json(&s, now);
		else
			fputs("null", stdout);
		fputs(",\"events\":[", stdout);
	} else if (rc == STORE_OK) {
		printf("%s: %s (%s, %s)\n", addr, sup_state(&s, now), s.tag, class_name(s.cls));
		printf("  reason %s, rule %s, %ld hit%s, first %s", s.reason, s.rule ? s.rule : "-",
		       s.hits, s.hits == 1 ? "" : "s", out_time(s.first_seen, t));
		printf(", last %s", out_time(s.last_seen, t));
		printf(", expires %s\n", s.expires ? out_time(s.expires, t) : "never");
		if (s.released_at)
			printf("  released %s by %s: %s\n", out_time(s.released_at, t),
			       s.released_by ? s.released_by : "-",
			       s.release_why ? s.release_why : "-");
		if (s.diagnostic && *s.diagnostic)
			printf("  reply: %s\n", s.diagnostic);
		printf("history:\n");
	} else {
		printf("%s: never suppressed\nhistory:\n", addr);
	}
	if (rc == STORE_OK)
		suppression_free(&s);
	if (store_history(st, addr, show_event, &hc) == STORE_ERR)
		goto fail;
	if (json)
		fputs("]}\n", stdout);
	store_close(st);
	return 0;
fail:
	fprintf(stderr, "bouncetag: %s\n", store_error(st));
	store_close(st);
	return 1;
}

int cmd_check(struct cli *c, int argc, char **argv)
{
	char addr[ADDR_MAX], t[32];
	int json = 0, rc;
	struct store *st;
	struct suppression s;

	if ((rc = addr_args(c, argc, argv, "check", &json, addr)) != 0)
		return rc;
	if (cli_store(c, STORE_READONLY, &st) < 0)
		return 2;
	rc = store_lookup(st, addr, time(NULL), &s);
	if (rc == STORE_ERR) {
		fprintf(stderr, "bouncetag: %s\n", store_error(st));
		store_close(st);
		return 2;
	}
	if (json) {
		fputs("{\"recipient\":", stdout);
		out_json_str(stdout, addr);
		printf(",\"suppressed\":%s", rc == STORE_OK ? "true" : "false");
		if (rc == STORE_OK) {
			out_json_kv(stdout, "tag", s.tag);
			out_json_kv(stdout, "class", class_name(s.cls));
			out_json_kv(stdout, "since", out_time(s.first_seen, t));
		}
		fputs("}\n", stdout);
	} else if (rc == STORE_OK) {
		printf("%s: suppressed (%s, %s) since %s\n", addr, s.tag, class_name(s.cls),
		       out_time(s.first_seen, t));
	} else {
		printf("%s: not suppressed\n", addr);
	}
	if (rc == STORE_OK)
		suppression_free(&s);
	store_close(st);
	return rc == STORE_OK ? 0 : 1;
}

struct top_ctx {
	int json;
	int n;
};

static int stats_domain(void *vctx, const char *key, long count)
{
	struct top_ctx *ctx = vctx;

	if (ctx->json) {
		fputs(ctx->n++ ? ",{\"domain\":" : "{\"domain\":", stdout);
		out_json_str(stdout, key);
		printf(",\"events\":%ld}", count);
	} else {
		printf("  %-40s %ld\n", key, count);
		ctx->n++;
	}
	return 0;
}

int cmd_stats(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"days", required_argument, NULL, 'd'},
	    {"config", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	struct store *st;
	struct store_stats s;
	struct top_ctx tc = {0, 0};
	time_t now = time(NULL);
	long days = 30;
	int opt;

	while ((opt = cli_getopt(c, argc, argv, "jd:c:", opts, NULL)) != -1) {
		if (opt == 'j') {
			tc.json = 1;
		} else if (opt == 'd') {
			char *end;

			days = strtol(optarg, &end, 10);
			if (*end || days < 1) {
				fprintf(stderr, "bouncetag: --days '%s': expected a whole number\n",
				        optarg);
				return EXIT_USAGE;
			}
		} else {
			return cli_usage("stats");
		}
	}
	if (optind != argc)
		return cli_usage("stats");
	if (cli_store(c, STORE_READONLY, &st) < 0)
		return 1;
	if (store_stats(st, now, &s) == STORE_ERR)
		goto fail;
	if (tc.json) {
		fputs("{\"active\":{", stdout);
		for (int i = 0; i < BT_CLASS_COUNT; i++)
			printf("%s\"%s\":%ld", i ? "," : "", class_name((enum bt_class)i),
			       s.active[i]);
		fputs("},\"events\":{", stdout);
		for (int i = 0; i < BT_CLASS_COUNT; i++)
			printf("%s\"%s\":%ld", i ? "," : "", class_name((enum bt_class)i),
			       s.events[i]);
		printf("},\"released\":%ld,\"expired\":%ld,\"untrusted_events\":%ld,"
		       "\"withheld\":%ld,\"sender_issue_domains\":[",
		       s.released, s.expired, s.events_untrusted, s.withheld);
	} else {
		printf("%-20s %12s %12s\n", "CLASS", "SUPPRESSED", "EVENTS");
		for (int i = 0; i < BT_CLASS_COUNT; i++)
			printf("%-20s %12ld %12ld\n", class_name((enum bt_class)i), s.active[i],
			       s.events[i]);
		printf("released %ld, expired %ld, untrusted events %ld, withheld %ld\n",
		       s.released, s.expired, s.events_untrusted, s.withheld);
		printf("receiving domains with the most sender-issue rejections, last %ld days:\n",
		       days);
	}
	if (store_top_domains(st, BT_CLASS_SENDER_ISSUE, now - days * 86400, 10, stats_domain,
	                      &tc) == STORE_ERR)
		goto fail;
	if (tc.json)
		fputs("]}\n", stdout);
	else if (tc.n == 0)
		printf("  (none)\n");
	store_close(st);
	return 0;
fail:
	fprintf(stderr, "bouncetag: %s\n", store_error(st));
	store_close(st);
	return 1;
}
