/*
 * cli.h - internal interface of the bouncetag command.
 *
 *	main.c      global options, verb dispatch, config and store opening
 *	classify.c  classify (the DESIGN.md contract) and rules lint
 *	review.c    list, show, check, stats, export
 *	admin.c     release, add
 *	output.c    JSON/CSV escaping and dates
 *
 * Exit status of every verb: 0 success, 1 failure (named on stderr),
 * 2 usage error. check is grep-like: 0 suppressed, 1 not suppressed, 2 error.
 */
#ifndef BT_CLI_H
#define BT_CLI_H

#include <time.h>

#include "config.h"
#include "rules.h"
#include "store.h"

#define EXIT_USAGE 2

struct cli {
	const char *config_path;
	int config_given; /* --config or BOUNCETAG_CONFIG */
	struct config *cf;
};

int cli_config(struct cli *c);
int cli_rules(struct cli *c, const char *override, struct rules **out);
int cli_store(struct cli *c, int flags, struct store **out);
/* "2026-11-01", "2026-11-01T10:00:00Z" or a duration back from now ("7d"). */
int cli_parse_since(const char *s, time_t now, time_t *out);
/* Print usage of a verb and return EXIT_USAGE. */
int cli_usage(const char *verb);
/*
 * Addresses may begin with '-' ("-dash@example.com" is valid and was seen
 * in the wild), which getopt would take for options. For verbs that take
 * an address: returns argv reordered so that every argument containing '@'
 * that begins with a single '-' and is not the value of the option before
 * it comes after a "--" (a new array, freed by main() when the verb
 * returns; argv itself when nothing moves or the user wrote "--").
 */
char **cli_shield_addresses(int *argc, char **argv);
/* Parse a verb's options; handles --config/-c for every verb. */
struct option;
int cli_getopt(struct cli *c, int argc, char **argv, const char *shortopts,
	       const struct option *longopts, int *idx);

int cmd_classify(struct cli *c, int argc, char **argv);
int cmd_rules(struct cli *c, int argc, char **argv);
int cmd_list(struct cli *c, int argc, char **argv);
int cmd_export(struct cli *c, int argc, char **argv);
int cmd_show(struct cli *c, int argc, char **argv);
int cmd_check(struct cli *c, int argc, char **argv);
int cmd_stats(struct cli *c, int argc, char **argv);
int cmd_release(struct cli *c, int argc, char **argv);
int cmd_add(struct cli *c, int argc, char **argv);

#endif
