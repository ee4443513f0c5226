/*
 * config - bouncetag.conf: "Key value" lines, every key declared once in a
 * table (config.c) with its type, default and meaning.
 *
 * Synopsis:
 *	struct config *cf;
 *	char err[512];
 *	if (config_load("/etc/bouncetag/bouncetag.conf", &cf, err, sizeof(err)) < 0) ... err ...
 *	... cf->socket, cf->database ...
 *	config_release(cf);
 *
 * Syntax: one key per line, the key, white space, the value (the rest of
 *	the line, trailing white space removed). Empty lines and lines whose
 *	first non-blank character is '#' are ignored. Keys are
 *	case-insensitive. Lists are separated by commas and/or white space.
 *	Durations are a number with an optional unit s, m, h, d or w
 *	(seconds when none); 0 means "never expires". Sizes take K, M or G.
 *	Booleans are yes/no, true/false, on/off, 1/0.
 *	A relative RulesFile or Database is taken relative to the directory
 *	of the config file, so a checkout can run with a local config.
 *
 * Lifetime: a loaded config is immutable; config_retain()/config_release()
 *	count references so the milter can swap it on SIGHUP while callbacks
 *	still use the old one.
 *
 * Diagnostics: config_load() returns -1 with "FILE:LINE: message" in err for
 *	an unknown key, a repeated key, a bad value (naming the key and what was
 *	expected) or an unreadable file.
 */
#ifndef BT_CONFIG_H
#define BT_CONFIG_H

#include <stddef.h>

#include "store.h"

enum config_fail_mode {
	CONFIG_FAIL_ACCEPT = 0, /* let the mail through and log loudly */
	CONFIG_FAIL_TEMPFAIL,   /* answer 451 4.3.0 so the client retries */
};

struct config_list {
	char **items;
	size_t n;
};

struct config {
	char *path; /* the file this came from */
	char *socket;
	int socket_mode;    /* for unix sockets; -1 = leave to umask */
	char *socket_group; /* group of a unix socket; NULL: the user's */
	char *user;         /* run as this user after binding; NULL: stay */
	char *pid_file;     /* NULL: none */
	char *database;
	char *rules_file;
	struct config_list dsn_names;
	struct config_list submission_names;
	struct config_list local_names;
	struct store_policy policy;
	enum config_fail_mode store_fail_mode;
	size_t max_message_size;
	int learn_inbound;
	int record_sent;   /* record submission/local mail to trust bounces later */
	long trust_window; /* seconds: a bounce must follow mail we sent this recently */
	int max_untrusted; /* untrusted results recorded per inbound message */
	int verbose;
	char *reject_text; /* printf-like: %t tag, %d since date, %r reason */
	int refs;
};

int config_load(const char *path, struct config **out, char *err, size_t errlen);
/* All defaults, as if from an empty file named path. */
struct config *config_defaults(void);
void config_retain(struct config *cf);
void config_release(struct config *cf);
int config_list_has(const struct config_list *l, const char *name);

/* Parse helpers, exposed for the tests and the CLI. */
int config_parse_duration(const char *s, long *out);
int config_parse_size(const char *s, size_t *out);
int config_parse_bool(const char *s, int *out);

/* Print every key with its value in the file syntax. */
void config_dump(const struct config *cf, void *fp);

#endif
