/*
 * reply - the one SMTP reply parser. See reply.h.
 *
 * How it works:
 *	1. White space runs (line ends included) become one space, so a
 *	   multi-line reply on separate lines looks like one already joined.
 *	2. A leading diagnostic type ("smtp;", "SMTP; ", "X-Postfix;") goes.
 *	3. The reply code and enhanced status are read at the start. When the
 *	   text does not start with one, they are looked for after the first
 *	   colon that is followed by a reply code, as in Postfix's "host x[ip]
 *	   said: 550 5.1.1 ..." and Exim's "... after RCPT TO:<a@b>: 550 ...".
 *	4. The rest is the text, minus the prefixes of continuation lines:
 *	   "550-" (with an optional status after it) anywhere, "550 5.7.1"
 *	   when code and status both repeat, and a bare "550 " only as the
 *	   last line of a reply that had "550-" lines. A number that merely
 *	   equals the code in prose ("limit of 550 messages", "call
 *	   550-1234") stays.
 *
 *	An enhanced status is "c.s.d" with c one of 2, 4, 5 and s, d of one
 *	to three digits (RFC 3463; Microsoft uses 5.7.129, 4.7.650), standing
 *	alone as a word: not part of an IP address or version ("1.2.3.4",
 *	"v5.1.0", "4.16.55.1", "2.0.0-rc1"). When both code and status exist
 *	their classes must agree, else the status is dropped and the code kept.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "text.h"

/* A diagnostic type longer than this is prose, not a type. */
#define REPLY_TYPE_MAX 32

/* Copy s with white space runs made one space and both ends trimmed. */
static char *squeeze(const char *s)
{
	return text_squeeze(s, strlen(s), 0);
}

/* Length of a leading "type;" (and the white space after it), or 0. */
static size_t diag_type_len(const char *s)
{
	size_t i = 0;

	while (i < REPLY_TYPE_MAX &&
	       (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '.' || s[i] == '_'))
		i++;
	if (i == 0 || s[i] != ';')
		return 0;
	i++;
	while (s[i] == ' ')
		i++;
	return i;
}

static int word_char(int c)
{
	return isalnum(c) || c == '_';
}

/*
 * An enhanced status code at s, standing alone. Returns its length and
 * copies it to status, or returns 0. prev is the byte before s (0 at the
 * start of the text).
 */
static size_t status_at(const char *s, int prev, char status[REPLY_STATUS_MAX])
{
	size_t i = 1, nd;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	if (word_char(prev) || prev == '.')
		return 0;
	for (int part = 0; part < 2; part++) {
		if (s[i] != '.')
			return 0;
		i++;
		for (nd = 0; nd < 3 && isdigit((unsigned char)s[i]); nd++)
			i++;
		if (nd == 0 || isdigit((unsigned char)s[i]))
			return 0;
	}
	/* "5.1.1." ends a sentence; "4.16.55.1" and "2.0.0-rc1" are not statuses */
	if (word_char((unsigned char)s[i]) || (s[i] == '.' && isdigit((unsigned char)s[i + 1])) ||
	    (s[i] == '-' && word_char((unsigned char)s[i + 1])))
		return 0;
	memcpy(status, s, i);
	status[i] = 0;
	return i;
}

/* A basic reply code at s followed by ' ', '-' or the end; 0 if none. */
static int code_at(const char *s)
{
	if (s[0] < '2' || s[0] > '5' || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]))
		return 0;
	if (s[3] != ' ' && s[3] != '-' && s[3] != 0)
		return 0;
	return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

/*
 * Read "code[ -]status " at s into out. Returns the number of bytes used
 * (0 when s starts with neither) and whether the code had a hyphen.
 */
static size_t lead_parse(const char *s, struct reply *out, int *hyphen)
{
	size_t i = 0, sl;
	char st[REPLY_STATUS_MAX];

	*hyphen = 0;
	if ((out->code = code_at(s)) != 0) {
		*hyphen = s[3] == '-';
		i = s[3] ? 4 : 3;
	}
	/* "550 #5.1.0 Address rejected" (Google, Exchange 5.5): the '#' is decoration */
	if (out->code != 0 && s[i] == '#' && s[i + 1] != 0)
		i++;
	if ((sl = status_at(s + i, i ? ' ' : 0, st)) > 0) {
		if (out->code == 0 || st[0] == s[0])
			memcpy(out->status, st, strlen(st) + 1); /* at most 9 bytes: it fits */
		i += sl;
		while (s[i] == ' ')
			i++;
	}
	return i;
}

/* Find the reply after a colon ("said: 550 ..."). Returns its start or NULL. */
static const char *after_colon(const char *s)
{
	for (const char *c = strchr(s, ':'); c != NULL; c = strchr(c + 1, ':')) {
		const char *q = c + 1;

		while (*q == ' ')
			q++;
		if (code_at(q))
			return q;
	}
	return NULL;
}

/*
 * Is the word at w a continuation prefix of this reply? Returns its length
 * with the space after it, or 0. *hyphen tracks whether "code-" lines were
 * seen, so that the final "code " line can be recognised.
 */
static size_t continuation_len(const char *w, const struct reply *r, int *hyphen)
{
	char st[REPLY_STATUS_MAX];
	size_t i, sl;

	if (r->code == 0 || code_at(w) != r->code)
		return 0;
	i = w[3] ? 4 : 3;
	sl = status_at(w + i, ' ', st);
	if (w[3] == '-') {
		if (sl == 0 && isdigit((unsigned char)w[4]))
			return 0; /* "call 550-1234": a number in prose */
		*hyphen = 1;
		return i + sl + (sl && w[i + sl] == ' ');
	}
	if (r->status[0] && sl && strcmp(st, r->status) == 0)
		return i + sl + (w[i + sl] == ' ');
	if (*hyphen && sl == 0) {
		*hyphen = 0; /* the last line of a multi-line reply */
		return i;
	}
	return 0;
}

/*
 * Copy the text after the lead, dropping continuation prefixes. s is
 * squeezed (but for one space where a '#' was skipped before it).
 */
static char *text_build(const char *s, const struct reply *r, int hyphen)
{
	size_t n, j = 0, i = 0;
	char code[4], *out;

	/*
	 * Every prefix starts with the reply code: most replies never repeat
	 * it, and then the text is s as it stands, words and spaces alike.
	 */
	while (*s == ' ')
		s++;
	n = strlen(s);
	if (r->code == 0)
		return text_dup(s, n);
	code[0] = (char)('0' + r->code / 100); /* code_at() gave 200 to 599 */
	code[1] = (char)('0' + r->code / 10 % 10);
	code[2] = (char)('0' + r->code % 10);
	code[3] = 0;
	if (strstr(s, code) == NULL)
		return text_dup(s, n);
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	/* word by word: a separator only between two words that are kept */
	while (i < n) {
		size_t skip;

		if (s[i] == ' ') {
			i++;
			continue;
		}
		if ((skip = continuation_len(s + i, r, &hyphen)) > 0) {
			i += skip;
			continue;
		}
		if (j > 0)
			out[j++] = ' ';
		while (i < n && s[i] != ' ')
			out[j++] = s[i++];
	}
	out[j] = 0;
	return out;
}

int reply_parse(const char *s, struct reply *out)
{
	char *buf = NULL;
	const char *in = s ? s : "", *p, *q;
	size_t used;
	int hyphen;

	memset(out, 0, sizeof(*out));
	/* diagnostics from dsn.c and scan.c are squeezed already: read them where they stand */
	if (!text_squeezed(in, strlen(in))) {
		if ((buf = squeeze(in)) == NULL)
			return -1;
		in = buf;
	}
	p = in + diag_type_len(in);
	used = lead_parse(p, out, &hyphen);
	if (used == 0 && (q = after_colon(p)) != NULL) {
		p = q;
		used = lead_parse(p, out, &hyphen);
	}
	out->text = text_build(p + used, out, hyphen);
	free(buf);
	return out->text ? 0 : -1;
}

void reply_free(struct reply *r)
{
	free(r->text);
	r->text = NULL;
}

void reply_find_status(const char *text, char status[REPLY_STATUS_MAX])
{
	status[0] = 0;
	if (text == NULL)
		return;
	/* a status has a '.' after its first digit: try only before the dots */
	for (const char *dot = strchr(text, '.'); dot != NULL; dot = strchr(dot + 1, '.')) {
		size_t i;

		if (dot == text)
			continue;
		i = (size_t)(dot - text) - 1;
		if ((text[i] == '2' || text[i] == '4' || text[i] == '5') &&
		    status_at(text + i, i ? (unsigned char)text[i - 1] : 0, status) > 0)
			return;
	}
}
