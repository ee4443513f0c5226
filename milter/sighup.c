/*
 * sighup - SIGHUP reloads the configuration and rules, as operators expect
 * of a daemon, although libmilter treats SIGHUP as "stop".
 *
 * smfi_main() blocks SIGHUP, SIGTERM and SIGINT and starts a thread that
 * sigwait()s for them and stops the filter on SIGHUP exactly as on SIGTERM;
 * libmilter has no call to change that. It calls sigwait() through the
 * dynamic linker, and a definition in the executable comes before libc's
 * for every library, so this file defines sigwait(): it waits as libc's
 * does, but a SIGHUP it takes (once sighup_reloads() named the config) goes
 * to snapshot_reload() and the wait goes on, so libmilter never sees it.
 * Every other signal is returned to the caller as before, which keeps
 * SIGTERM and SIGINT stopping the milter and SIGUSR1 reloading too.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>

#include "milter.h"
#include "msg.h"

static const char *volatile sighup_config; /* NULL: SIGHUP stops, as libmilter means */

void sighup_reloads(const char *config_path)
{
	sighup_config = config_path;
}

int sigwait(const sigset_t *restrict set, int *restrict sig)
{
	for (;;) {
		int s = sigwaitinfo(set, NULL);

		if (s < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (s == SIGHUP && sighup_config != NULL) {
			msg_info("SIGHUP: reloading %s", sighup_config);
			snapshot_reload(sighup_config);
			continue;
		}
		*sig = s;
		return 0;
	}
}
