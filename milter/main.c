/*
 * bouncetag-milter - learn from delivery reports, enforce suppressions.
 *
 * Usage: bouncetag-milter [-c FILE] [-f] [-t] [-v] [-V]
 *	-c FILE  configuration (default BT_DEFAULT_CONFIG)
 *	-f       stay in the foreground and log to standard error too
 *	-t       check the configuration and rules, print a summary, exit
 *	-v       verbose (debug) logging
 *	-V       print the version and exit
 *
 * Signals: SIGHUP and SIGUSR1 reload the configuration and rules (the old
 * ones stay when the new ones have an error); SIGTERM and SIGINT stop the
 * milter. libmilter's own signal thread owns SIGHUP and would stop on it:
 * sighup.c turns it into a reload.
 *
 * Exit status: 0 after a clean stop or a good -t, 1 on a configuration
 * error, 2 on a usage error, 3 when the socket cannot be set up or the
 * User cannot be switched to.
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "callbacks.h"
#include "milter.h"
#include "msg.h"

#ifndef BT_DEFAULT_CONFIG
#define BT_DEFAULT_CONFIG "/etc/bouncetag/bouncetag.conf"
#endif
#ifndef BT_VERSION
#define BT_VERSION "dev"
#endif

#define MILTER_DATA_MAX (1024 * 1024) /* largest milter command accepted, bytes */

static const char *config_path = BT_DEFAULT_CONFIG;
static char *snap_socket;     /* the socket bound at start, removed at a clean stop */
static struct stat socket_st; /* its inode: another instance may have replaced it since */

static void usage(void)
{
	fprintf(stderr, "usage: bouncetag-milter [-c FILE] [-f] [-t] [-v] [-V]\n");
	exit(2);
}

/* The path of a unix-domain socket spec, or NULL for inet sockets. */
static const char *socket_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	if (spec[0] == '/')
		return spec;
	return NULL;
}

/*
 * Under systemd, standard error goes to the journal, which also receives
 * syslog: logging to both would write every line twice. systemd names the
 * journal stream in JOURNAL_STREAM as "device:inode" (systemd.exec(5)).
 */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	char *end;
	struct stat st;

	if (js == NULL || fstat(2, &st) < 0)
		return 0;
	dev = strtoull(js, &end, 10);
	if (end == js || *end != ':')
		return 0;
	js = end + 1;
	ino = strtoull(js, &end, 10);
	if (end == js || *end != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static void *reload_thread(void *arg)
{
	sigset_t set;
	int sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		msg_info("SIGUSR1: reloading %s", config_path);
		snapshot_reload(config_path);
	}
	return NULL;
}

static int setup_socket(const struct config *cf)
{
	const char *path = socket_path(cf->socket);

	if (smfi_setconn(cf->socket) != MI_SUCCESS) {
		msg_error("bad Socket %s", cf->socket);
		return -1;
	}
	/*
	 * libmilter drops the connection on a command over 64 KiB, and Postfix
	 * sends a header of up to header_size_limit (100 KiB by default) as one
	 * command: it would then tempfail that message on every retry. 1 MiB
	 * covers any sane header_size_limit; bodies still come in 64 KiB chunks.
	 */
	smfi_setmaxdatasize(MILTER_DATA_MAX);
	if (smfi_register(callbacks_desc) != MI_SUCCESS) {
		msg_error("smfi_register failed");
		return -1;
	}
	if (smfi_opensocket(1) != MI_SUCCESS) {
		msg_error("cannot open socket %s (does its directory exist, and is it free?)",
		          cf->socket);
		return -1;
	}
	if (path && cf->socket_mode >= 0 && chmod(path, (mode_t)cf->socket_mode) < 0) {
		msg_error("chmod %04o %s: %s", cf->socket_mode, path, strerror(errno));
		return -1;
	}
	if (path && stat(path, &socket_st) < 0)
		memset(&socket_st, 0, sizeof(socket_st));
	return 0;
}

/*
 * At a clean stop, remove the socket, but only if it is still the one we
 * bound: a second instance started meanwhile (smfi_opensocket replaces a
 * socket file it finds) owns the path now, and removing it would cut
 * Postfix off from the instance that is running.
 */
static void remove_socket(const char *spec)
{
	const char *path = spec ? socket_path(spec) : NULL;
	struct stat st;

	if (path == NULL || stat(path, &st) < 0)
		return;
	if (st.st_dev != socket_st.st_dev || st.st_ino != socket_st.st_ino) {
		msg_info("socket %s belongs to another instance now: left in place", path);
		return;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		msg_debug("cannot remove the socket %s: %s", path, strerror(errno));
}

/* Remove the PidFile at a clean stop if it still names this process. */
static void remove_pid_file(const char *path)
{
	FILE *fp;
	char line[32];
	long pid = 0;

	if (path == NULL || (fp = fopen(path, "r")) == NULL)
		return;
	if (fgets(line, sizeof(line), fp) != NULL)
		pid = strtol(line, NULL, 10);
	fclose(fp);
	if (pid == (long)getpid())
		unlink(path);
}

/*
 * Give the socket its owner and group, then, when started as root with a
 * User, become that user (with its groups) for good. Everything after
 * this (the database, every message) runs unprivileged.
 */
static int drop_privileges(const struct config *cf)
{
	const char *path = socket_path(cf->socket);
	struct passwd *pw = NULL;
	struct group *gr = NULL;

	if (cf->socket_group && (gr = getgrnam(cf->socket_group)) == NULL) {
		msg_error("SocketGroup %s: no such group", cf->socket_group);
		return -1;
	}
	if (cf->user && (pw = getpwnam(cf->user)) == NULL) {
		msg_error("User %s: no such user", cf->user);
		return -1;
	}
	if (path && (pw || gr) &&
	    chown(path, pw ? pw->pw_uid : (uid_t)-1, gr ? gr->gr_gid : (gid_t)-1) < 0) {
		msg_error("chown %s: %s", path, strerror(errno));
		return -1;
	}
	if (pw == NULL || pw->pw_uid == geteuid())
		return 0;
	if (geteuid() != 0) {
		msg_error("User %s: cannot switch users when not started as root", cf->user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		msg_error("cannot become user %s: %s", cf->user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) { /* the switch must not be reversible */
		msg_error("still able to regain root after switching to %s", cf->user);
		return -1;
	}
	msg_info("running as user %s (uid %ld)", cf->user, (long)pw->pw_uid);
	return 0;
}

static void write_pid_file(const char *path)
{
	FILE *fp;

	if (path == NULL)
		return;
	if ((fp = fopen(path, "w")) == NULL) {
		msg_warn("cannot write PidFile %s: %s", path, strerror(errno));
		return;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	fclose(fp);
}

/* Open the store once now, so that a bad Database is reported at start. */
static void check_store(const struct config *cf)
{
	char err[512];
	struct pooled *h = pool_acquire(cf->database, POOL_READ, err, sizeof(err));

	if (h == NULL) {
		msg_error("cannot open the store %s: %s (learning will tempfail, enforcement "
		          "follows StoreFailMode until it can be opened)",
		          cf->database, err);
		return;
	}
	pool_release(h, 1);
}

int main(int argc, char **argv)
{
	struct snapshot *snap;
	char err[1024];
	int opt, foreground = 0, test = 0, verbose = 0, rc;
	sigset_t set;
	pthread_t tid;

	while ((opt = getopt(argc, argv, "c:ftvV")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("bouncetag-milter %s\n", BT_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	msg_open("bouncetag-milter", MSG_TO_STDERR);
	if (snapshot_load(config_path, &snap, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		return 1;
	}
	msg_verbose = verbose || snap->cf->verbose;
	if (test) {
		printf("%s: OK, %zu rules from %s, database %s, socket %s\n", config_path,
		       rules_count(snap->rs), snap->cf->rules_file, snap->cf->database,
		       snap->cf->socket);
		snapshot_put(snap);
		return 0;
	}
	msg_open("bouncetag-milter",
	         MSG_TO_SYSLOG | (foreground && !stderr_is_journal() ? MSG_TO_STDERR : 0));
	snapshot_install(snap);
	snap = snapshot_get();
	if (setup_socket(snap->cf) < 0 || drop_privileges(snap->cf) < 0)
		return 3;
	if (!foreground && daemon(0, 0) < 0) {
		msg_error("daemon: %s", strerror(errno));
		return 3;
	}
	write_pid_file(snap->cf->pid_file);
	check_store(snap->cf);

	/*
	 * Every thread started from here on inherits these blocked: SIGUSR1 is
	 * taken by reload_thread, the others by libmilter's signal thread. Were
	 * they unblocked in reload_thread, a SIGTERM could land there and kill
	 * the process without a clean stop.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&tid, NULL, reload_thread, NULL) != 0)
		msg_warn("cannot start the reload thread: SIGUSR1 will not reload");
	else
		pthread_detach(tid);
	sighup_reloads(config_path);

	msg_info("started: %zu rules, database %s, socket %s", rules_count(snap->rs),
	         snap->cf->database, snap->cf->socket);
	snap_socket = strdup(snap->cf->socket); /* a reload does not move the socket */
	snapshot_put(snap);
	sent_start();
	rc = smfi_main();
	msg_info("stopping");
	sent_stop();
	remove_socket(snap_socket);
	free(snap_socket);
	pool_shutdown();
	snap = snapshot_get();
	if (snap)
		remove_pid_file(snap->cf->pid_file);
	snapshot_put(snap);
	snapshot_install(NULL);
	return rc == MI_SUCCESS ? 0 : 1;
}
