/*
 * snapshot - the configuration and rules in force. A callback takes a
 * reference at connect and keeps that snapshot for the whole connection,
 * so a reload never changes the rules under a message being processed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "milter.h"
#include "msg.h"

static pthread_mutex_t snapshot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *snapshot_current;

int snapshot_load(const char *config_path, struct snapshot **out, char *err, size_t errlen)
{
	struct snapshot *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->refs = 1;
	if (config_load(config_path, &s->cf, err, errlen) < 0) {
		free(s);
		return -1;
	}
	if (rules_load(s->cf->rules_file, &s->rs, err, errlen) < 0) {
		config_release(s->cf);
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

void snapshot_put(struct snapshot *s)
{
	if (s == NULL || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_SEQ_CST) > 0)
		return;
	rules_release(s->rs);
	config_release(s->cf);
	free(s);
}

void snapshot_install(struct snapshot *s)
{
	struct snapshot *old;

	pthread_mutex_lock(&snapshot_lock);
	old = snapshot_current;
	snapshot_current = s;
	pthread_mutex_unlock(&snapshot_lock);
	snapshot_put(old);
}

struct snapshot *snapshot_get(void)
{
	struct snapshot *s;

	pthread_mutex_lock(&snapshot_lock);
	s = snapshot_current;
	if (s)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&snapshot_lock);
	return s;
}

int snapshot_reload(const char *config_path)
{
	struct snapshot *s;
	char err[1024];

	if (snapshot_load(config_path, &s, err, sizeof(err)) < 0) {
		msg_error("reload failed, keeping the configuration and rules in force: %s", err);
		return -1;
	}
	msg_verbose = s->cf->verbose;
	snapshot_install(s);
	msg_info("reloaded %s (%zu rules from %s)", config_path, rules_count(s->rs),
		 s->cf->rules_file);
	return 0;
}
