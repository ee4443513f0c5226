/*
 * fuzz_config - config_load() on arbitrary bytes as bouncetag.conf.
 *
 * config.h reads only from a path, so the input goes into a memfd made
 * once per process and config_load() opens it as /proc/self/fd/N: no
 * file system traffic per run, nothing left behind. A second memfd holds
 * the dump of a loaded config for the round trip below.
 *
 * Invariants checked (config.h):
 *	- a file that does not load says why: err starts with the path, and
 *	  nothing is handed out;
 *	- a loaded config has every string key set (PidFile may be NULL),
 *	  every list with at least one name, MaxMessageSize of at least 64K,
 *	  TransientThreshold from 1 to 1000000, SocketMode -1 or 0..0777,
 *	  durations not negative, a known StoreFailMode, booleans 0 or 1;
 *	- config_dump() writes the file syntax: its output loads again and
 *	  dumps to the very same text (a round trip);
 *	- the parse helpers on the first line of the input: a duration is not
 *	  negative, a bool is 0 or 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct memfile {
	int fd;
	char path[64];
};

static struct memfile input, dump;

static void memfile_open(struct memfile *f, const char *name)
{
	if ((f->fd = memfd_create(name, MFD_CLOEXEC)) < 0) {
		perror("fuzz_config: memfd_create");
		exit(2);
	}
	snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
}

static void memfile_set(struct memfile *f, const void *data, size_t size)
{
	if (ftruncate(f->fd, 0) < 0 || pwrite(f->fd, data, size, 0) != (ssize_t)size) {
		perror("fuzz_config: memfd write");
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memfile_open(&input, "fuzz-config");
	memfile_open(&dump, "fuzz-config-dump");
	return 0;
}

static void check_list(const struct config_list *l)
{
	FUZZ_ASSERT(l->n >= 1 && l->items != NULL);
	for (size_t i = 0; i < l->n; i++) {
		FUZZ_ASSERT(l->items[i] != NULL && l->items[i][0] != 0);
		FUZZ_ASSERT(config_list_has(l, l->items[i]));
	}
}

static void check_config(const struct config *cf, const char *path)
{
	FUZZ_ASSERT(cf->path != NULL && strcmp(cf->path, path) == 0);
	FUZZ_ASSERT(cf->socket != NULL && cf->socket[0] != 0);
	FUZZ_ASSERT(cf->database != NULL && cf->database[0] != 0);
	FUZZ_ASSERT(cf->rules_file != NULL && cf->rules_file[0] != 0);
	FUZZ_ASSERT(cf->reject_text != NULL && cf->reject_text[0] != 0);
	FUZZ_ASSERT(cf->pid_file == NULL || cf->pid_file[0] != 0);
	FUZZ_ASSERT(cf->socket_mode >= -1 && cf->socket_mode <= 0777);
	check_list(&cf->dsn_names);
	check_list(&cf->submission_names);
	check_list(&cf->local_names);
	FUZZ_ASSERT(cf->max_message_size >= 64 * 1024);
	FUZZ_ASSERT(cf->policy.transient_threshold >= 1 &&
	            cf->policy.transient_threshold <= 1000000);
	FUZZ_ASSERT(cf->policy.transient_window >= 0);
	for (int c = 0; c < BT_CLASS_COUNT; c++)
		FUZZ_ASSERT(cf->policy.lifetime[c] >= 0);
	FUZZ_ASSERT(cf->store_fail_mode == CONFIG_FAIL_ACCEPT ||
	            cf->store_fail_mode == CONFIG_FAIL_TEMPFAIL);
	FUZZ_ASSERT(cf->learn_inbound == 0 || cf->learn_inbound == 1);
	FUZZ_ASSERT(cf->verbose == 0 || cf->verbose == 1);
	FUZZ_ASSERT(cf->refs >= 1);
}

/* config_dump() into a malloc'd string. */
static char *dump_text(const struct config *cf, size_t *len)
{
	char *text = NULL;
	FILE *fp = open_memstream(&text, len);

	if (fp == NULL)
		abort();
	config_dump(cf, fp);
	if (fclose(fp) != 0)
		abort();
	return text;
}

/* Dump, load the dump, dump again: both dumps must be the same text. */
static void check_round_trip(const struct config *cf)
{
	struct config *again;
	char err[512];
	size_t n1, n2;
	char *d1 = dump_text(cf, &n1), *d2;

	memfile_set(&dump, d1, n1);
	if (config_load(dump.path, &again, err, sizeof(err)) < 0) {
		fprintf(stderr, "dump does not load: %s\n%s", err, d1);
		FUZZ_ASSERT(!"the dump of a loaded config loads again");
	}
	check_config(again, dump.path);
	d2 = dump_text(again, &n2);
	if (n1 != n2 || memcmp(d1, d2, n1) != 0)
		fprintf(stderr, "first dump:\n%s\nsecond dump:\n%s", d1, d2);
	FUZZ_ASSERT(n1 == n2 && memcmp(d1, d2, n1) == 0);
	free(d2);
	free(d1);
	config_release(again);
}

static void check_helpers(const uint8_t *data, size_t size)
{
	size_t n = 0;
	char line[256];
	long dur;
	size_t sz;
	int b;

	while (n < size && n < sizeof(line) - 1 && data[n] != '\n')
		n++;
	memcpy(line, data, n);
	line[n] = 0;
	if (config_parse_duration(line, &dur) == 0)
		FUZZ_ASSERT(dur >= 0);
	(void)config_parse_size(line, &sz);
	if (config_parse_bool(line, &b) == 0)
		FUZZ_ASSERT(b == 0 || b == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cf = (struct config *)1;
	char err[512];

	check_helpers(data, size);
	memfile_set(&input, data, size);
	err[0] = 0;
	if (config_load(input.path, &cf, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(cf == NULL);
		FUZZ_ASSERT(strncmp(err, input.path, strlen(input.path)) == 0);
		FUZZ_ASSERT(err[strlen(input.path)] == ':');
		return 0;
	}
	FUZZ_ASSERT(cf != NULL);
	check_config(cf, input.path);
	config_retain(cf);
	config_release(cf);
	check_round_trip(cf);
	config_release(cf);
	return 0;
}
