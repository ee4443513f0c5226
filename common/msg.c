/*
 * msg - logging to syslog (facility mail) and/or standard error. See msg.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "msg.h"

int msg_verbose;
static int msg_where = MSG_TO_STDERR;
static const char *msg_ident = "bouncetag";

void msg_open(const char *ident, int where)
{
	msg_ident = ident;
	msg_where = where;
	if (where & MSG_TO_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void msg_close(void)
{
	if (msg_where & MSG_TO_SYSLOG)
		closelog();
	msg_where = MSG_TO_STDERR;
}

static void msg_vlog(int prio, const char *label, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void msg_vlog(int prio, const char *label, const char *fmt, va_list ap)
{
	char buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (msg_where & MSG_TO_SYSLOG)
		syslog(prio, "%s%s", label, buf);
	if (msg_where & MSG_TO_STDERR)
		fprintf(stderr, "%s: %s%s\n", msg_ident, label, buf);
}

void msg_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(LOG_INFO, "", fmt, ap);
	va_end(ap);
}

void msg_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(LOG_WARNING, "warning: ", fmt, ap);
	va_end(ap);
}

void msg_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(LOG_ERR, "error: ", fmt, ap);
	va_end(ap);
}

void msg_debug(const char *fmt, ...)
{
	va_list ap;

	if (!msg_verbose)
		return;
	va_start(ap, fmt);
	msg_vlog(LOG_DEBUG, "debug: ", fmt, ap);
	va_end(ap);
}
