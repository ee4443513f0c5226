/*
 * classify - "bouncetag classify" (the DESIGN.md contract) and
 * "bouncetag rules lint".
 *
 * classify reads messages (files, or standard input when none is given)
 * and prints one result per recipient; --line classifies one SMTP reply.
 * With --json each result is one JSON object per line: recipient, action,
 * status, reply_code, class, reason, rule, diagnostic, source (and
 * remote_mta). A message that is not a bounce prints nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "cli.h"
#include "output.h"

static void classify_print(const struct bounce_result *r, const char *source, int json)
{
	if (!json) {
		printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", source, r->recipient ? r->recipient : "-",
		       r->action ? r->action : "-", r->status[0] ? r->status : "-",
		       class_name(r->verdict.cls), r->verdict.reason,
		       r->verdict.rule ? r->verdict.rule : "-");
		return;
	}
	fputs("{\"recipient\":", stdout);
	out_json_str(stdout, r->recipient);
	out_json_kv(stdout, "action", r->action);
	out_json_kv(stdout, "status", r->status[0] ? r->status : NULL);
	if (r->reply_code)
		printf(",\"reply_code\":%d", r->reply_code);
	else
		fputs(",\"reply_code\":null", stdout);
	out_json_kv(stdout, "class", class_name(r->verdict.cls));
	out_json_kv(stdout, "reason", r->verdict.reason);
	out_json_kv(stdout, "rule", r->verdict.rule);
	out_json_kv(stdout, "diagnostic", r->diagnostic);
	out_json_kv(stdout, "remote_mta", r->remote_mta);
	out_json_kv(stdout, "source", source);
	fputs("}\n", stdout);
}

/* Read a whole stream; NULL with errno set on failure. */
static char *classify_slurp(FILE *fp, size_t *len)
{
	size_t cap = 65536, n = 0, got;
	char *buf = malloc(cap), *grown;

	if (buf == NULL)
		return NULL;
	while ((got = fread(buf + n, 1, cap - n, fp)) > 0) {
		n += got;
		if (n == cap) {
			if ((grown = realloc(buf, cap * 2)) == NULL) {
				free(buf);
				return NULL;
			}
			buf = grown;
			cap *= 2;
		}
	}
	if (ferror(fp)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static int classify_stream(const struct rules *rs, FILE *fp, const char *source, int json)
{
	size_t len;
	char *buf = classify_slurp(fp, &len);
	struct bounce b;
	char err[512];

	if (buf == NULL) {
		fprintf(stderr, "bouncetag: %s: cannot read: %s\n", source, strerror(errno));
		return -1;
	}
	if (bounce_analyse(buf, len, rs, NULL, &b, err, sizeof(err)) < 0) {
		fprintf(stderr, "bouncetag: %s: %s\n", source, err);
		free(buf);
		return -1;
	}
	for (size_t i = 0; i < b.nresults; i++)
		classify_print(&b.results[i], source, json);
	bounce_free(&b);
	free(buf);
	return 0;
}

int cmd_classify(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"line", required_argument, NULL, 'l'},
	    {"rules", required_argument, NULL, 'r'},
	    {"config", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	const char *line = NULL, *rules_path = NULL;
	int json = 0, opt, rc = 0;
	struct rules *rs;

	while ((opt = cli_getopt(c, argc, argv, "jl:r:c:", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 'l':
			line = optarg;
			break;
		case 'r':
			rules_path = optarg;
			break;
		default:
			return cli_usage("classify");
		}
	}
	if (line && optind < argc)
		return cli_usage("classify");
	if (cli_rules(c, rules_path, &rs) < 0)
		return 1;
	if (line) {
		struct bounce_result r;

		if (bounce_classify_line(rs, line, &r) < 0) {
			fprintf(stderr, "bouncetag: out of memory\n");
			rc = 1;
		} else {
			classify_print(&r, "-", json);
			bounce_result_free(&r);
		}
	} else if (optind == argc) {
		rc = classify_stream(rs, stdin, "-", json) < 0;
	} else {
		for (int i = optind; i < argc; i++) {
			FILE *fp = fopen(argv[i], "rb");

			if (fp == NULL) {
				fprintf(stderr, "bouncetag: %s: cannot open: %s\n", argv[i],
				        strerror(errno));
				rc = 1;
				continue;
			}
			if (classify_stream(rs, fp, argv[i], json) < 0)
				rc = 1;
			fclose(fp);
		}
	}
	rules_release(rs);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}

static void lint_report(void *ctx, const char *file, int line, const char *message)
{
	(void)ctx;
	printf("%s:%d: %s\n", file, line, message);
}

int cmd_rules(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"rules", required_argument, NULL, 'r'},
	    {"config", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	const char *rules_path = NULL;
	struct rules *rs;
	int opt, problems;

	while ((opt = cli_getopt(c, argc, argv, "r:c:", opts, NULL)) != -1) {
		if (opt != 'r')
			return cli_usage("rules");
		rules_path = optarg;
	}
	if (optind + 1 != argc || strcmp(argv[optind], "lint") != 0)
		return cli_usage("rules");
	if (cli_rules(c, rules_path, &rs) < 0)
		return 1;
	problems = rules_lint(rs, lint_report, NULL);
	printf("%zu rules, %d problem%s\n", rules_count(rs), problems, problems == 1 ? "" : "s");
	rules_release(rs);
	return problems ? 1 : 0;
}
