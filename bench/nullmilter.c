/*
 * nullmilter - the floor under the milter round-trip benchmark: a
 * libmilter daemon that asks for the same protocol steps as
 * bouncetag-milter and answers them the same way: RCPT answered;
 * connect, MAIL and headers without replies; no HELO, DATA or unknown
 * commands; at end of headers a message with a sender is accepted (as
 * bouncetag accepts a submission there), while one with the null sender
 * (a DSN) goes on through the body and end of message. It does nothing
 * else. Whatever miltload measures against it is the cost of libmilter
 * (its pool of worker threads), the socket and the scheduler; bouncetag's
 * own work is the difference.
 *
 * usage: nullmilter SOCKET   (unix:/path or inet:port@host; runs until
 * SIGTERM or SIGINT)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#define NULL_NOREPLY (SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_HDR)

static sfsistat null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                               unsigned long f3, unsigned long *pf0, unsigned long *pf1,
                               unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f0;
	(void)f2;
	(void)f3;
	*pf0 = 0;
	*pf1 = f1 & (SMFIP_SKIP | SMFIP_NOHELO | SMFIP_NODATA | SMFIP_NOUNKNOWN | NULL_NOREPLY);
	/* the answers below need the no-reply steps (libmilter offers them all, and fakes
	   them for an MTA without) */
	if ((f1 & NULL_NOREPLY) != NULL_NOREPLY)
		return SMFIS_REJECT;
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return SMFIS_NOREPLY;
}

static char null_sender_mark; /* private data of a connection whose message has the null sender */

static sfsistat null_mail(SMFICTX *ctx, char **argv)
{
	const char *from = argv && argv[0] ? argv[0] : "";

	smfi_setpriv(ctx, (strcmp(from, "<>") == 0 || from[0] == 0) ? &null_sender_mark : NULL);
	return SMFIS_NOREPLY;
}

static sfsistat null_envelope(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat null_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_NOREPLY;
}

static sfsistat null_eoh(SMFICTX *ctx)
{
	return smfi_getpriv(ctx) != NULL ? SMFIS_CONTINUE : SMFIS_ACCEPT;
}

static sfsistat null_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx;
	(void)chunk;
	(void)len;
	return SMFIS_SKIP;
}

static sfsistat null_continue(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

/* libmilter warns about private data still set when a connection ends */
static sfsistat null_close(SMFICTX *ctx)
{
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

int main(int argc, char **argv)
{
	struct smfiDesc desc;
	const char *sock;

	if (argc != 2) {
		fprintf(stderr, "usage: nullmilter SOCKET\n");
		return 2;
	}
	sock = argv[1];
	if (strncmp(sock, "unix:", 5) == 0)
		unlink(sock + 5);
	memset(&desc, 0, sizeof(desc));
	desc.xxfi_name = "nullmilter";
	desc.xxfi_version = SMFI_VERSION;
	desc.xxfi_negotiate = null_negotiate;
	desc.xxfi_connect = null_connect;
	desc.xxfi_envfrom = null_mail;
	desc.xxfi_envrcpt = null_envelope;
	desc.xxfi_header = null_header;
	desc.xxfi_eoh = null_eoh;
	desc.xxfi_body = null_body;
	desc.xxfi_eom = null_continue;
	desc.xxfi_abort = null_continue;
	desc.xxfi_close = null_close;
	if (smfi_setconn((char *)sock) == MI_FAILURE || smfi_register(desc) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: cannot set up %s\n", sock);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
