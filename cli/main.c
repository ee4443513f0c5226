/*
 * bouncetag - review, release and study what bouncetag-milter learned.
 *
 * Usage: bouncetag [--config FILE] VERB [options] [args]
 * See bouncetag(1) and cli_usage() below for the verbs.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "msg.h"

#ifndef BT_DEFAULT_CONFIG
#define BT_DEFAULT_CONFIG "/etc/bouncetag/bouncetag.conf"
#endif
#ifndef BT_VERSION
#define BT_VERSION "dev"
#endif

static const struct {
	const char *verb;
	int (*fn)(struct cli *, int, char **);
	const char *usage;
} verbs[] = {
	{"classify", cmd_classify, "classify [--json] [--rules FILE] [--line TEXT | FILE...]"},
	{"list", cmd_list,
	 "list [--tag TAG] [--class CLASS] [--domain DOMAIN] [--since DATE|AGE] [--all] "
	 "[--json | --csv]"},
	{"show", cmd_show, "show [--json] ADDRESS"},
	{"check", cmd_check, "check [--json] ADDRESS"},
	{"release", cmd_release, "release ADDRESS --why TEXT [--by WHO]"},
	{"add", cmd_add,
	 "add ADDRESS --tag TAG [--class CLASS] [--reason TEXT] [--for AGE] [--by WHO]"},
	{"stats", cmd_stats, "stats [--json] [--days N]"},
	{"export", cmd_export, "export [--json | --csv]"},
	{"rules", cmd_rules, "rules lint [--rules FILE]"},
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

int cli_usage(const char *verb)
{
	for (size_t i = 0; i < NVERBS; i++) {
		if (verb == NULL || strcmp(verb, verbs[i].verb) == 0)
			fprintf(stderr, "%s bouncetag [--config FILE] %s\n", i && !verb ? "      " : "usage:",
				verbs[i].usage);
	}
	return EXIT_USAGE;
}

int cli_config(struct cli *c)
{
	char err[1024];

	if (c->cf)
		return 0;
	if (config_load(c->config_path, &c->cf, err, sizeof(err)) < 0) {
		fprintf(stderr, "bouncetag: %s%s\n", err,
			c->config_given ? "" : " (use --config FILE or set BOUNCETAG_CONFIG)");
		return -1;
	}
	return 0;
}

int cli_rules(struct cli *c, const char *override, struct rules **out)
{
	char err[1024];
	const char *path = override;

	if (path == NULL) {
		if (cli_config(c) < 0)
			return -1;
		path = c->cf->rules_file;
	}
	if (rules_load(path, out, err, sizeof(err)) < 0) {
		fprintf(stderr, "bouncetag: %s\n", err);
		return -1;
	}
	return 0;
}

int cli_store(struct cli *c, int flags, struct store **out)
{
	char err[1024];

	if (cli_config(c) < 0)
		return -1;
	if (store_open(c->cf->database, flags, out, err, sizeof(err)) < 0) {
		fprintf(stderr, "bouncetag: %s\n", err);
		return -1;
	}
	return 0;
}

int cli_parse_since(const char *s, time_t now, time_t *out)
{
	struct tm tm;
	long age;
	const char *end;

	if (config_parse_duration(s, &age) == 0 && strchr(s, '-') == NULL) {
		*out = now - age;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (end == NULL || *end)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* Options of the address verbs that take a value: what follows them is that value. */
static int cli_takes_value(const char *opt)
{
	static const char *const names[] = {"--why", "--by", "--tag", "--class", "--reason",
					    "--for", "--config", "-c", "-w", "-b", "-t", "-k",
					    "-r", "-f", NULL};

	for (size_t i = 0; names[i]; i++)
		if (strcmp(opt, names[i]) == 0)
			return 1;
	return 0;
}

static int cli_dash_address(char **argv, int i)
{
	const char *a = argv[i];

	return a[0] == '-' && a[1] != '-' && strchr(a, '@') != NULL &&
	       !(i > 1 && cli_takes_value(argv[i - 1]));
}

static char **cli_shielded; /* the reordered argv, freed when the verb returns */

char **cli_shield_addresses(int *argc, char **argv)
{
	char **out;
	int n = 0, moved = 0;

	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return argv; /* the user separated options and arguments already */
		moved += cli_dash_address(argv, i);
	}
	if (moved == 0 || (out = calloc((size_t)*argc + 2, sizeof(*out))) == NULL)
		return argv;
	out[n++] = argv[0];
	for (int i = 1; i < *argc; i++) /* options and their values first, in order */
		if (!cli_dash_address(argv, i))
			out[n++] = argv[i];
	out[n++] = "--";
	for (int i = 1; i < *argc; i++)
		if (cli_dash_address(argv, i))
			out[n++] = argv[i];
	*argc = n;
	free(cli_shielded);
	cli_shielded = out;
	return out;
}

int cli_getopt(struct cli *c, int argc, char **argv, const char *shortopts,
	       const struct option *longopts, int *idx)
{
	int opt = getopt_long(argc, argv, shortopts, longopts, idx);

	if (opt == 'c') {
		c->config_path = optarg;
		c->config_given = 1;
		return cli_getopt(c, argc, argv, shortopts, longopts, idx);
	}
	return opt;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cli c = {0};
	const char *env = getenv("BOUNCETAG_CONFIG");
	int opt, rc;

	msg_open("bouncetag", MSG_TO_STDERR);
	c.config_path = BT_DEFAULT_CONFIG;
	if (env && *env) {
		c.config_path = env;
		c.config_given = 1;
	}
	while ((opt = getopt_long(argc, argv, "+c:Vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			c.config_path = optarg;
			c.config_given = 1;
			break;
		case 'V':
			printf("bouncetag %s\n", BT_VERSION);
			return 0;
		case 'h':
			cli_usage(NULL);
			return 0;
		default:
			return cli_usage(NULL);
		}
	}
	if (optind >= argc)
		return cli_usage(NULL);
	for (size_t i = 0; i < NVERBS; i++) {
		if (strcmp(argv[optind], verbs[i].verb) == 0) {
			int vargc = argc - optind;
			char **vargv = argv + optind;

			optind = 0; /* glibc: restart option parsing for the verb */
			rc = verbs[i].fn(&c, vargc, vargv);
			config_release(c.cf);
			free(cli_shielded);
			return rc;
		}
	}
	fprintf(stderr, "bouncetag: unknown verb '%s'\n", argv[optind]);
	return cli_usage(NULL);
}
