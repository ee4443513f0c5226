/*
 * config - bouncetag.conf reader. Every key is declared once, in
 * config_keys[] below, with its type, default and offset in struct config;
 * conf/bouncetag.conf documents the same keys for operators. See config.h.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

enum config_type {
	CT_STRING,    /* char * */
	CT_PATH,      /* char *, relative to the config file's directory */
	CT_OPTSTRING, /* char *, empty value means NULL */
	CT_LIST,      /* struct config_list */
	CT_DURATION,  /* long seconds */
	CT_SIZE,      /* size_t bytes */
	CT_BOOL,      /* int */
	CT_INT,       /* int, >= 1 */
	CT_MODE,      /* int, octal file mode */
	CT_FAILMODE,  /* enum config_fail_mode */
};

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;
	const char *def;
};

#define OFF(field) offsetof(struct config, field)
#define LIFE(cls) (OFF(policy.lifetime) + (cls) * sizeof(long))

static const struct config_key config_keys[] = {
    {"Socket", CT_STRING, OFF(socket), "unix:/run/bouncetag/bouncetag.sock"},
    {"SocketMode", CT_MODE, OFF(socket_mode), "0660"},
    {"SocketGroup", CT_OPTSTRING, OFF(socket_group), ""},
    {"User", CT_OPTSTRING, OFF(user), ""},
    {"PidFile", CT_OPTSTRING, OFF(pid_file), ""},
    {"Database", CT_PATH, OFF(database), "/var/lib/bouncetag/bouncetag.db"},
    {"RulesFile", CT_PATH, OFF(rules_file), "/etc/bouncetag/rules.conf"},
    {"DsnDaemonName", CT_LIST, OFF(dsn_names), "bouncetag-dsn"},
    {"SubmissionDaemonName", CT_LIST, OFF(submission_names), "submission"},
    {"LocalDaemonName", CT_LIST, OFF(local_names), "bouncetag-local"},
    {"SuppressPolicyFor", CT_DURATION, LIFE(BT_CLASS_RECIPIENT_POLICY), "180d"},
    {"SuppressInvalidFor", CT_DURATION, LIFE(BT_CLASS_RECIPIENT_INVALID), "365d"},
    {"SuppressTransientFor", CT_DURATION, LIFE(BT_CLASS_RECIPIENT_TRANSIENT), "30d"},
    {"TransientThreshold", CT_INT, OFF(policy.transient_threshold), "3"},
    {"TransientWindow", CT_DURATION, OFF(policy.transient_window), "7d"},
    {"StoreFailMode", CT_FAILMODE, OFF(store_fail_mode), "accept"},
    {"MaxMessageSize", CT_SIZE, OFF(max_message_size), "4M"},
    {"LearnInbound", CT_BOOL, OFF(learn_inbound), "yes"},
    {"RecordSent", CT_BOOL, OFF(record_sent), "yes"},
    {"TrustWindow", CT_DURATION, OFF(trust_window), "14d"},
    {"MaxUntrustedPerMessage", CT_INT, OFF(max_untrusted), "100"},
    {"RejectText", CT_STRING, OFF(reject_text),
     "recipient suppressed by bouncetag (%t since %d); contact postmaster to release"},
    {"Verbose", CT_BOOL, OFF(verbose), "no"},
};

#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

int config_parse_duration(const char *s, long *out)
{
	char *end;
	long v, mult = 1;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtol(s, &end, 10);
	if (errno != 0 || v < 0)
		return -1;
	switch (*end) {
	case 0:
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	case 'w':
		mult = 7 * 86400;
		break;
	default:
		return -1;
	}
	if (*end && end[1] != 0)
		return -1;
	if (v > LONG_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

int config_parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v, mult = 1;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case 0:
		break;
	case 'K':
		mult = 1024;
		break;
	case 'M':
		mult = 1024 * 1024;
		break;
	case 'G':
		mult = 1024ULL * 1024 * 1024;
		break;
	default:
		return -1;
	}
	if (*end && end[1] != 0 && strcasecmp(end + 1, "B") != 0)
		return -1;
	if (v > SIZE_MAX / mult)
		return -1;
	*out = (size_t)(v * mult);
	return 0;
}

int config_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static void config_list_free(struct config_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static int config_list_parse(const char *s, struct config_list *l)
{
	const char *p = s;

	config_list_free(l);
	while (*p) {
		size_t n;
		char **grown;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		for (n = 0; p[n] && p[n] != ',' && !isspace((unsigned char)p[n]); n++)
			;
		if (n == 0)
			break;
		grown = realloc(l->items, (l->n + 1) * sizeof(*grown));
		if (grown == NULL)
			return -1;
		l->items = grown;
		if ((l->items[l->n] = strndup(p, n)) == NULL)
			return -1;
		l->n++;
		p += n;
	}
	return 0;
}

int config_list_has(const struct config_list *l, const char *name)
{
	if (name == NULL)
		return 0;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], name) == 0)
			return 1;
	return 0;
}

/* A relative path is taken relative to the directory of the config file. */
static char *config_resolve_path(const char *cfpath, const char *value)
{
	const char *slash;
	char *out;

	if (value[0] == '/' || cfpath == NULL || (slash = strrchr(cfpath, '/')) == NULL)
		return strdup(value);
	if (asprintf(&out, "%.*s/%s", (int)(slash - cfpath), cfpath, value) < 0)
		return NULL;
	return out;
}

static void config_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void config_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Set one key; on a bad value, write what was expected into why. */
static int config_set(struct config *cf, const struct config_key *k, const char *value,
                      const char **why)
{
	char *base = (char *)cf;
	char **sp = (char **)(base + k->offset);
	long dur;
	size_t sz;
	int b;
	char *end;

	switch (k->type) {
	case CT_STRING:
	case CT_OPTSTRING:
	case CT_PATH:
		if (k->type != CT_OPTSTRING && *value == 0) {
			*why = "a non-empty value";
			return -1;
		}
		free(*sp);
		*sp = NULL;
		if (k->type == CT_OPTSTRING && *value == 0)
			return 0;
		*sp = k->type == CT_PATH ? config_resolve_path(cf->path, value) : strdup(value);
		return *sp ? 0 : -1;
	case CT_LIST:
		if (config_list_parse(value, (struct config_list *)(base + k->offset)) < 0)
			return -1;
		if (((struct config_list *)(base + k->offset))->n == 0) {
			*why = "at least one name";
			return -1;
		}
		return 0;
	case CT_DURATION:
		if (config_parse_duration(value, &dur) < 0) {
			*why = "a duration such as 30d, 12h, 90m or 0";
			return -1;
		}
		*(long *)(base + k->offset) = dur;
		return 0;
	case CT_SIZE:
		if (config_parse_size(value, &sz) < 0 || sz < 64 * 1024) {
			*why = "a size of at least 64K, such as 4M";
			return -1;
		}
		*(size_t *)(base + k->offset) = sz;
		return 0;
	case CT_BOOL:
		if (config_parse_bool(value, &b) < 0) {
			*why = "yes or no";
			return -1;
		}
		*(int *)(base + k->offset) = b;
		return 0;
	case CT_INT:
		errno = 0;
		dur = strtol(value, &end, 10);
		if (errno || *end || end == value || dur < 1 || dur > 1000000) {
			*why = "a whole number from 1 to 1000000";
			return -1;
		}
		*(int *)(base + k->offset) = (int)dur;
		return 0;
	case CT_MODE:
		errno = 0;
		dur = strtol(value, &end, 8);
		if (errno || *end || end == value || dur < 0 || dur > 0777) {
			*why = "an octal file mode such as 0660";
			return -1;
		}
		*(int *)(base + k->offset) = (int)dur;
		return 0;
	case CT_FAILMODE:
		if (strcasecmp(value, "accept") == 0)
			cf->store_fail_mode = CONFIG_FAIL_ACCEPT;
		else if (strcasecmp(value, "tempfail") == 0)
			cf->store_fail_mode = CONFIG_FAIL_TEMPFAIL;
		else {
			*why = "accept or tempfail";
			return -1;
		}
		return 0;
	}
	return -1;
}

static struct config *config_new(const char *path)
{
	struct config *cf = calloc(1, sizeof(*cf));
	const char *why = NULL;

	if (cf == NULL)
		return NULL;
	cf->refs = 1;
	if (path && (cf->path = strdup(path)) == NULL) {
		free(cf);
		return NULL;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		if (config_set(cf, &config_keys[i], config_keys[i].def, &why) < 0) {
			config_release(cf);
			return NULL;
		}
	}
	return cf;
}

struct config *config_defaults(void)
{
	return config_new(NULL);
}

/* Strip leading and trailing white space in place. */
static char *config_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

int config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	FILE *fp;
	struct config *cf;
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, rc = 0;
	unsigned char seen[NKEYS] = {0};

	*out = NULL;
	if ((fp = fopen(path, "r")) == NULL) {
		config_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if ((cf = config_new(path)) == NULL) {
		fclose(fp);
		config_errf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	while (rc == 0 && getline(&line, &cap, fp) >= 0) {
		char *s = config_trim(line), *value;
		size_t i, n;
		const char *why = NULL;

		lineno++;
		if (*s == 0 || *s == '#')
			continue;
		n = strcspn(s, " \t");
		value = config_trim(s + n);
		s[n] = 0;
		for (i = 0; i < NKEYS; i++)
			if (strcasecmp(s, config_keys[i].name) == 0)
				break;
		if (i == NKEYS) {
			config_errf(err, errlen, "%s:%d: unknown key '%s'", path, lineno, s);
			rc = -1;
		} else if (seen[i]) {
			config_errf(err, errlen, "%s:%d: key '%s' is set twice", path, lineno,
			            config_keys[i].name);
			rc = -1;
		} else if (config_set(cf, &config_keys[i], value, &why) < 0) {
			config_errf(err, errlen, "%s:%d: bad value '%s' for %s: expected %s", path,
			            lineno, value, config_keys[i].name,
			            why ? why : "(out of memory)");
			rc = -1;
		}
		if (i < NKEYS)
			seen[i] = 1;
	}
	if (rc == 0 && strstr(cf->reject_text, "bouncetag") == NULL) {
		/* learn.c recognises our own refusals, reported back in DSNs, by this word */
		config_errf(err, errlen, "%s: RejectText must contain the word 'bouncetag'", path);
		rc = -1;
	}
	if (rc == 0 && ferror(fp)) {
		config_errf(err, errlen, "%s: read error: %s", path, strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(fp);
	if (rc < 0) {
		config_release(cf);
		return -1;
	}
	*out = cf;
	return 0;
}

void config_retain(struct config *cf)
{
	__atomic_add_fetch(&cf->refs, 1, __ATOMIC_SEQ_CST);
}

void config_release(struct config *cf)
{
	if (cf == NULL || __atomic_sub_fetch(&cf->refs, 1, __ATOMIC_SEQ_CST) > 0)
		return;
	for (size_t i = 0; i < NKEYS; i++) {
		char *base = (char *)cf;

		switch (config_keys[i].type) {
		case CT_STRING:
		case CT_OPTSTRING:
		case CT_PATH:
			free(*(char **)(base + config_keys[i].offset));
			break;
		case CT_LIST:
			config_list_free((struct config_list *)(base + config_keys[i].offset));
			break;
		default:
			break;
		}
	}
	free(cf->path);
	free(cf);
}

void config_dump(const struct config *cf, void *vfp)
{
	FILE *fp = vfp;
	const char *base = (const char *)cf;

	for (size_t i = 0; i < NKEYS; i++) {
		const struct config_key *k = &config_keys[i];
		const void *p = base + k->offset;

		fprintf(fp, "%-22s ", k->name);
		switch (k->type) {
		case CT_STRING:
		case CT_OPTSTRING:
		case CT_PATH:
			fprintf(fp, "%s\n", *(char *const *)p ? *(char *const *)p : "");
			break;
		case CT_LIST: {
			const struct config_list *l = p;

			for (size_t j = 0; j < l->n; j++)
				fprintf(fp, "%s%s", j ? ", " : "", l->items[j]);
			fputc('\n', fp);
			break;
		}
		case CT_DURATION:
			fprintf(fp, "%lds\n", *(const long *)p);
			break;
		case CT_SIZE:
			fprintf(fp, "%zu\n", *(const size_t *)p);
			break;
		case CT_BOOL:
			fprintf(fp, "%s\n", *(const int *)p ? "yes" : "no");
			break;
		case CT_INT:
			fprintf(fp, "%d\n", *(const int *)p);
			break;
		case CT_MODE:
			fprintf(fp, "%04o\n", *(const int *)p);
			break;
		case CT_FAILMODE:
			fprintf(fp, "%s\n",
			        cf->store_fail_mode == CONFIG_FAIL_TEMPFAIL ? "tempfail"
			                                                    : "accept");
			break;
		}
	}
}
