/*
 * msg - the one logging family of bouncetag.
 *
 * Synopsis:
 *	msg_open("bouncetag-milter", MSG_TO_SYSLOG | MSG_TO_STDERR);
 *	msg_info("learned %s", addr);
 *	msg_warn("%s:%d: unknown key", file, line);
 *
 * Description:
 *	Messages go to syslog (facility mail) and/or standard error. Library code
 *	logs through these functions and returns errors; it never exits. Before
 *	msg_open() messages go to standard error only. msg_debug() is silent
 *	unless msg_verbose is set.
 *
 * Thread safety: safe; syslog(3) and a single fprintf per message.
 */
#ifndef BT_MSG_H
#define BT_MSG_H

#define MSG_TO_SYSLOG 1
#define MSG_TO_STDERR 2

extern int msg_verbose;

void msg_open(const char *ident, int where);
void msg_close(void);
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
