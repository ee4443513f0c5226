/*
 * test_mail - the MIME walk (common/mail.c): line ends, folding, multipart
 * structure, transfer decodings, limits and hostile input.
 */
#include "testutil.h"

#include <string.h>

#include "mail.h"

static struct mail *parse(const char *data, size_t len, const struct mail_limits *lim)
{
	struct mail *m = NULL;
	char err[256];

	assert_int_equal(mail_parse(data, len, lim, &m, err, sizeof(err)), 0);
	assert_non_null(m);
	assert_non_null(m->root);
	return m;
}

static struct mail *parse_fixture(const char *name)
{
	size_t len;
	char *buf = fixture_read(name, &len);
	struct mail *m = parse(buf, len, NULL);

	free(buf); /* mail_parse() copies its input */
	return m;
}

static struct mail *parse_str(const char *s)
{
	return parse(s, strlen(s), NULL);
}

static void assert_same_tree(const struct mail_part *a, const struct mail_part *b)
{
	assert_string_equal(a->type, b->type);
	assert_int_equal(a->nheaders, b->nheaders);
	for (size_t i = 0; i < a->nheaders; i++) {
		assert_string_equal(a->headers[i].name, b->headers[i].name);
		assert_string_equal(a->headers[i].value, b->headers[i].value);
	}
	assert_int_equal(a->body_len, b->body_len);
	assert_memory_equal(a->body, b->body, a->body_len);
	assert_int_equal(a->damaged, b->damaged);
	assert_int_equal(a->nchildren, b->nchildren);
	for (size_t i = 0; i < a->nchildren; i++)
		assert_same_tree(a->children[i], b->children[i]);
}

static void test_lf_crlf_and_cr_line_ends_give_identical_trees(void **state)
{
	(void)state;
	struct mail *lf = parse_fixture("dsn/postfix-failed-5.7.1.eml");
	struct mail *crlf = parse_fixture("dsn/postfix-failed-5.7.1.crlf.eml");
	struct mail *cr = parse_fixture("dsn/postfix-failed-5.7.1.cr.eml");

	assert_int_equal(lf->root->nchildren, 3);
	assert_int_equal(lf->nparts, crlf->nparts);
	assert_int_equal(lf->nparts, cr->nparts);
	assert_same_tree(lf->root, crlf->root);
	assert_same_tree(lf->root, cr->root);
	assert_null(memchr(cr->root->children[0]->body, '\r', cr->root->children[0]->body_len));
	mail_free(lf);
	mail_free(crlf);
	mail_free(cr);
}

static void test_folded_header_is_unfolded_keeping_the_white_space(void **state)
{
	(void)state;
	struct mail *m = parse_fixture("dsn/postfix-failed-5.7.1.eml");
	char *b;

	assert_string_equal(mail_part_header(m->root, "content-type"),
	                    "multipart/report; report-type=delivery-status;\tboundary="
	                    "\"93610A7201B.1795398885/mta.bouncetag.test\"");
	assert_string_equal(m->root->type, "multipart/report");
	b = mail_part_param(m->root, "BOUNDARY");
	assert_string_equal(b, "93610A7201B.1795398885/mta.bouncetag.test");
	free(b);
	b = mail_part_param(m->root, "report-type");
	assert_string_equal(b, "delivery-status");
	free(b);
	mail_free(m);
}

static void test_header_values_are_trimmed_and_names_keep_their_case(void **state)
{
	(void)state;
	struct mail *m = parse_str("X-Mixed-Case:   padded value \t\nSubject : obsolete "
	                           "space before colon\n\nbody\n");

	assert_string_equal(m->root->headers[0].name, "X-Mixed-Case");
	assert_string_equal(mail_part_header(m->root, "x-mixed-case"), "padded value");
	assert_string_equal(mail_part_header(m->root, "SUBJECT"), "obsolete space before colon");
	assert_null(mail_part_header(m->root, "Received"));
	assert_string_equal(m->root->body, "body\n");
	mail_free(m);
}

static void test_message_without_content_type_is_text_plain(void **state)
{
	(void)state;
	struct mail *m = parse_str("Subject: hi\n\nhello\n");

	assert_string_equal(m->root->type, "text/plain");
	assert_int_equal(m->root->nchildren, 0);
	assert_int_equal(m->root->body_len, 6);
	mail_free(m);
}

static void test_malformed_content_type_is_text_plain(void **state)
{
	(void)state;
	struct mail *m = parse_str("Content-Type: garbage\n\nx\n");

	assert_string_equal(m->root->type, "text/plain");
	mail_free(m);
}

static void test_content_type_params_accept_tokens_quoted_strings_and_comments(void **state)
{
	(void)state;
	struct mail *m = parse_str("Content-Type: Text/PLAIN (comment; boundary=no);\n"
	                           " Name=\"a \\\"quoted\\\" name; with semicolon\";\n"
	                           " CHARSET = utf-8 ; format=flowed\n\nx\n");
	char *v;

	assert_string_equal(m->root->type, "text/plain");
	v = mail_part_param(m->root, "name");
	assert_string_equal(v, "a \"quoted\" name; with semicolon");
	free(v);
	v = mail_part_param(m->root, "charset");
	assert_string_equal(v, "utf-8");
	free(v);
	v = mail_part_param(m->root, "format");
	assert_string_equal(v, "flowed");
	free(v);
	assert_null(mail_part_param(m->root, "boundary"));
	mail_free(m);
}

static void test_content_type_params_unescape_and_survive_a_quote_left_open(void **state)
{
	(void)state;
	/* an escaped backslash, a quoted ';' skipped on the way, and a value cut by the end */
	struct mail *m =
	    parse_str("Content-Type: text/plain; a=\"x\\\\\"; c=\"(;)\"; b=\"y\\\n\nx\n");
	char *v;

	v = mail_part_param(m->root, "a");
	assert_string_equal(v, "x\\");
	free(v);
	v = mail_part_param(m->root, "b");
	assert_string_equal(v, "y\\");
	free(v);
	assert_null(mail_part_param(m->root, "d"));
	mail_free(m);
}

static void test_nested_multipart_is_walked_to_any_depth(void **state)
{
	(void)state;
	struct mail *m = parse_fixture("mail/nested-multipart.eml");
	const struct mail_part *ds, *alt, *rel;

	assert_string_equal(m->root->type, "multipart/mixed");
	assert_int_equal(m->root->nchildren, 3); /* preamble and epilogue are not parts */
	assert_string_equal(m->root->children[0]->body, "First part.");
	alt = m->root->children[1];
	assert_string_equal(alt->type, "multipart/alternative");
	assert_int_equal(alt->nchildren, 2);
	rel = alt->children[1];
	assert_string_equal(rel->type, "multipart/related");
	assert_int_equal(rel->nchildren, 2);
	ds = mail_find(m, "message/delivery-status");
	assert_non_null(ds);
	assert_non_null(strstr(ds->body, "Final-Recipient: rfc822; deep@partner.example"));
	assert_ptr_equal(mail_find_below(m->root->children[2], "message/delivery-status"), ds);
	assert_null(mail_find_below(alt, "message/delivery-status"));
	assert_int_equal(m->nparts, 11);
	assert_int_equal(m->limited, 0);
	mail_free(m);
}

static void test_base64_parts_are_decoded_including_binary_bytes(void **state)
{
	(void)state;
	struct mail *m = parse_fixture("mail/nested-multipart.eml");
	const struct mail_part *html = mail_find(m, "text/html");
	const struct mail_part *png = mail_find(m, "image/png");

	assert_non_null(html);
	assert_string_equal(html->body, "<p>Hello <b>nested</b> world</p>\n");
	assert_non_null(png);
	assert_int_equal(png->body_len, 40);
	for (int i = 0; i < 40; i++)
		assert_int_equal((unsigned char)png->body[i], i);
	assert_int_equal(png->damaged, 0);
	mail_free(m);
}

static void test_base64_and_quoted_printable_text_parts_are_decoded(void **state)
{
	(void)state;
	struct mail *m = parse_fixture("mail/encoded-parts.eml");
	const struct mail_part *b64, *qp;

	assert_int_equal(m->root->nchildren, 2);
	b64 = m->root->children[0];
	qp = m->root->children[1];
	assert_string_equal(b64->body,
	                    "Plain text that was base64 encoded.\nSecond line: caf\xc3\xa9.\n");
	assert_int_equal(b64->damaged, 0);
	assert_string_equal(qp->body,
	                    "Soft line breaks join, = is an equals sign, caf\xc3\xa9 is "
	                    "lower-case hex.   \nTrailing spaces go:\nBad escape =ZZ stays.");
	assert_int_equal(qp->damaged, 1); /* the =ZZ */
	mail_free(m);
}

static void test_mail_open_decodes_a_leaf_when_its_body_is_first_asked_for(void **state)
{
	(void)state;
	size_t len, n;
	char *buf = fixture_read("mail/encoded-parts.eml", &len);
	struct mail *eager = parse(buf, len, NULL), *lazy = NULL;
	char err[256];
	const char *body;

	assert_int_equal(mail_open(buf, len, NULL, &lazy, err, sizeof(err)), 0);
	free(buf);
	assert_int_equal(lazy->root->nchildren, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct mail_part *e = eager->root->children[i], *l = lazy->root->children[i];

		assert_string_equal(l->type, e->type);
		assert_int_equal(l->body_len, 0); /* not decoded yet */
		assert_string_equal(l->body, "");
		body = mail_part_body(l, &n);
		assert_int_equal(n, e->body_len);
		assert_memory_equal(body, e->body, n);
		assert_int_equal(body[n], 0);
		assert_int_equal(l->damaged, e->damaged);
		assert_ptr_equal(mail_part_body(l, &n), body); /* decoded once */
	}
	mail_free(eager);
	mail_free(lazy);
}

static void test_multipart_in_base64_is_decoded_and_split_by_mail_open_too(void **state)
{
	(void)state;
	/* a container is decoded at once: its children come from the decoded text */
	static const char msg[] = "Content-Type: multipart/mixed; boundary=b\n"
	                          "Content-Transfer-Encoding: base64\n\n"
	                          "LS1iCkNvbnRlbnQtVHlwZTogdGV4dC9wbGFpbgoKaW5uZXIKLS1iLS0K\n";
	struct mail *m = NULL;
	char err[256];
	size_t n;

	assert_int_equal(mail_open(msg, sizeof(msg) - 1, NULL, &m, err, sizeof(err)), 0);
	assert_int_equal(m->root->nchildren, 1);
	assert_string_equal(mail_part_body(m->root->children[0], &n), "inner");
	assert_int_equal(n, 5);
	mail_free(m);
}

static void test_quoted_printable_in_nested_alternative_is_decoded(void **state)
{
	(void)state;
	struct mail *m = parse_fixture("mail/nested-multipart.eml");
	const struct mail_part *alt = m->root->children[1];

	assert_string_equal(alt->children[0]->body, "Caf\xc3\xa9 at noon");
	mail_free(m);
}

static void test_quoted_printable_edge_cases_decode_as_rfc_2045_says(void **state)
{
	(void)state;
	/* trailing blanks go, an encoded one stays; "=" + blanks + LF is a soft break */
	struct mail *m = parse_str("Content-Transfer-Encoding: quoted-printable\n\n"
	                           "a b  \nc=20\nd= \t\ne=3D=3d\nf=\ng=Zh \t");

	assert_string_equal(m->root->body, "a b\nc \nde==\nfg=Zh");
	assert_int_equal(m->root->damaged, 1); /* the lone '=' before "Zh" */
	mail_free(m);
}

static void test_base64_digits_split_by_white_space_or_padding_still_decode(void **state)
{
	(void)state;
	/* "Hello" split mid-quantum by a fold; then a second encoding after '=' */
	struct mail *m = parse_str("Content-Transfer-Encoding: base64\n\n"
	                           "SGVs\n bG8=IQ==\n");

	assert_int_equal(m->root->body_len, 6);
	assert_string_equal(m->root->body, "Hello!");
	assert_int_equal(m->root->damaged, 0);
	mail_free(m);
}

static void test_broken_base64_decodes_as_far_as_possible_and_sets_damaged(void **state)
{
	(void)state;
	struct mail *m = parse_fixture("mail/broken-base64.eml");

	assert_string_equal(m->root->body, "Decoded as far as possible");
	assert_int_equal(m->root->damaged, 1);
	mail_free(m);
}

/* A multipart of three parts whose boundary is n bytes of c. */
static struct mail *parse_three_parts(char c, size_t n)
{
	char *b = malloc(n + 1), *msg;
	struct mail *m;
	int len;

	assert_non_null(b);
	memset(b, c, n);
	b[n] = 0;
	/* the bodies hold near misses: the boundary cut short, and not at a line start */
	len = asprintf(&msg,
	               "Content-Type: multipart/mixed; boundary=\"%s\"\n\n"
	               "--%s\n\none\n--%.*s\n x--%s\n"
	               "--%s\n\ntwo\n"
	               "--%s\n\nthree\n--%s--\n",
	               b, b, (int)(n - 1), b, b, b, b, b);
	assert_true(len > 0);
	m = parse(msg, (size_t)len, NULL);
	free(msg);
	free(b);
	return m;
}

static void test_delimiters_are_found_for_short_and_very_long_boundaries(void **state)
{
	(void)state;
	static const size_t lens[] = {1, 2, 7, 70, 254, 255, 256, 300, 1000};

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct mail *m = parse_three_parts(i % 2 ? 'z' : '=', lens[i]);
		char want[1100];

		assert_int_equal(m->root->nchildren, 3);
		assert_int_equal(m->root->damaged, 0);
		snprintf(want, sizeof(want), "one\n--%.*s", (int)(lens[i] - 1),
		         i % 2
		             ? "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
		             : "=================================================================");
		if (lens[i] <= 66)
			assert_memory_equal(m->root->children[0]->body, want, strlen(want));
		assert_string_equal(m->root->children[1]->body, "two");
		assert_string_equal(m->root->children[2]->body, "three");
		mail_free(m);
	}
}

static void test_boundary_quirks_are_tolerated(void **state)
{
	(void)state;
	struct mail *m = parse_fixture("mail/boundary-quirks.eml");
	const struct mail_part *r = m->root, *alt, *leaf;

	assert_string_equal(r->type, "multipart/mixed");
	assert_int_equal(r->nchildren, 3);
	/* a delimiter with trailing white space counts; a longer line does not */
	assert_string_equal(r->children[0]->body,
	                    "after a delimiter with trailing white space\n------=_Part_7_1.2x\n"
	                    "this line only starts with the boundary, so it is content");
	alt = r->children[1];
	assert_string_equal(alt->type, "multipart/alternative");
	assert_int_equal(alt->nchildren, 1);
	assert_int_equal(alt->damaged, 1); /* never closed */
	assert_string_equal(alt->children[0]->body, "inner part without a close delimiter");
	leaf = r->children[2];
	assert_string_equal(leaf->type, "multipart/mixed");
	assert_int_equal(leaf->nchildren, 0);
	assert_string_equal(leaf->body, "no boundary parameter: an opaque leaf");
	assert_int_equal(r->damaged, 0); /* closed, epilogue ignored */
	mail_free(m);
}

static void test_missing_close_delimiter_keeps_the_last_part(void **state)
{
	(void)state;
	struct mail *m = parse_fixture("mail/missing-close.eml");

	assert_int_equal(m->root->nchildren, 1);
	assert_string_equal(m->root->children[0]->body, "only part, no close delimiter\n");
	assert_int_equal(m->root->damaged, 1);
	mail_free(m);
}

static void test_multipart_without_any_delimiter_is_a_damaged_leaf(void **state)
{
	(void)state;
	struct mail *m = parse_str("Content-Type: multipart/mixed; boundary=zz\n\nno parts\n");

	assert_int_equal(m->root->nchildren, 0);
	assert_string_equal(m->root->body, "no parts\n");
	assert_int_equal(m->root->damaged, 1);
	mail_free(m);
}

static void test_message_rfc822_part_has_the_enclosed_message_as_one_child(void **state)
{
	(void)state;
	struct mail *m = parse_fixture("dsn/postfix-failed-5.7.1.eml");
	const struct mail_part *p = mail_find(m, "message/rfc822");

	assert_non_null(p);
	assert_int_equal(p->nchildren, 1);
	assert_int_equal(p->body_len, 0);
	assert_string_equal(mail_part_header(p->children[0], "Subject"), "Quarterly catalogue");
	assert_string_equal(p->children[0]->type, "text/plain");
	assert_non_null(strstr(p->children[0]->body, "test message 1"));
	mail_free(m);
}

static void test_rfc822_headers_part_has_one_headers_only_child(void **state)
{
	(void)state;
	struct mail *m = parse_fixture("dsn/postfix-postmaster-copy.eml");
	const struct mail_part *p = mail_find(m, "text/rfc822-headers");

	assert_non_null(p);
	assert_int_equal(p->nchildren, 1);
	assert_non_null(strstr(p->body, "Message-ID: <fixture-1.20261123@capture.test>"));
	assert_string_equal(mail_part_header(p->children[0], "Message-ID"),
	                    "<fixture-1.20261123@capture.test>");
	assert_int_equal(p->children[0]->body_len, 0);
	assert_int_equal(p->children[0]->nchildren, 0);
	mail_free(m);
}

static void test_headers_only_body_is_kept_raw_beside_its_parsed_child(void **state)
{
	(void)state;
	/* fields are NUL-terminated and unfolded where they stand: not in the raw body */
	struct mail *m = parse_str("Content-Type: multipart/report; boundary=b\n\n"
	                           "--b\nContent-Type: text/rfc822-headers\n\n"
	                           "Subject: two\n lines\nFrom: a@b.example\n--b--\n");
	const struct mail_part *p = mail_find(m, "text/rfc822-headers");

	assert_non_null(p);
	assert_string_equal(p->body, "Subject: two\n lines\nFrom: a@b.example");
	assert_string_equal(mail_part_header(p->children[0], "Subject"), "two lines");
	assert_string_equal(mail_part_header(p->children[0], "From"), "a@b.example");
	mail_free(m);
}

static void test_parts_that_end_right_at_a_delimiter_leave_it_intact(void **state)
{
	(void)state;
	/* an empty part, a body, a part of only a header, then the close delimiter */
	struct mail *m = parse_str("Content-Type: multipart/mixed; boundary=b\n\n"
	                           "--b\n--b\n\nx\n--b\nX-Only: v\n--b--\n");
	const struct mail_part *r = m->root;

	assert_int_equal(r->nchildren, 3);
	assert_int_equal(r->damaged, 0); /* the close delimiter was still seen */
	assert_string_equal(r->children[0]->body, "");
	assert_int_equal(r->children[0]->nheaders, 0);
	assert_string_equal(r->children[1]->body, "x");
	assert_int_equal(r->children[1]->body_len, 1);
	assert_string_equal(mail_part_header(r->children[2], "X-Only"), "v");
	assert_string_equal(r->children[2]->body, "");
	mail_free(m);
}

static void test_base64_encoded_delivery_status_part_is_decoded(void **state)
{
	(void)state;
	struct mail *m = parse_fixture("dsn/postfix-base64-report.eml");
	const struct mail_part *p = mail_find(m, "message/delivery-status");

	assert_non_null(p);
	assert_int_equal(p->damaged, 0);
	assert_non_null(strstr(p->body, "Final-Recipient: rfc822; approved-only@remote.example"));
	mail_free(m);
}

static void test_digest_parts_default_to_message_rfc822(void **state)
{
	(void)state;
	struct mail *m = parse_str("Content-Type: multipart/digest; boundary=d\n\n--d\n\n"
	                           "Subject: first\n\nbody one\n--d--\n");

	assert_int_equal(m->root->nchildren, 1);
	assert_string_equal(m->root->children[0]->type, "message/rfc822");
	assert_int_equal(m->root->children[0]->nchildren, 1);
	assert_string_equal(mail_part_header(m->root->children[0]->children[0], "Subject"),
	                    "first");
	mail_free(m);
}

static void test_mbox_from_line_before_a_message_is_skipped(void **state)
{
	(void)state;
	struct mail *m = parse_str("From MAILER-DAEMON Thu Apr 29 23:34:45 2015\n"
	                           "Subject: after mbox line\n\nbody\n");

	assert_string_equal(mail_part_header(m->root, "Subject"), "after mbox line");
	mail_free(m);
}

static void test_a_line_that_is_not_a_header_starts_the_body(void **state)
{
	(void)state;
	struct mail *m = parse_str("Subject: x\nthis is not a header\nnor this\n");

	assert_int_equal(m->root->nheaders, 1);
	assert_string_equal(m->root->body, "this is not a header\nnor this\n");
	mail_free(m);
}

static void test_empty_input_is_an_empty_text_message(void **state)
{
	(void)state;
	struct mail *m = parse("", 0, NULL);

	assert_string_equal(m->root->type, "text/plain");
	assert_int_equal(m->root->nheaders, 0);
	assert_int_equal(m->root->body_len, 0);
	assert_string_equal(m->root->body, "");
	mail_free(m);
}

/* Build a multipart/mixed message with n tiny parts. */
static char *many_parts(size_t n, size_t *len)
{
	static const char head[] = "Content-Type: multipart/mixed; boundary=b\n\n";
	static const char part[] = "--b\nContent-Type: text/plain\n\nx\n";
	size_t cap = sizeof(head) + n * (sizeof(part) - 1) + 8;
	char *buf = malloc(cap), *p;

	assert_non_null(buf);
	p = buf + sprintf(buf, "%s", head);
	for (size_t i = 0; i < n; i++) {
		memcpy(p, part, sizeof(part) - 1);
		p += sizeof(part) - 1;
	}
	p += sprintf(p, "--b--\n");
	*len = (size_t)(p - buf);
	return buf;
}

static void test_100000_part_message_stops_at_max_parts_and_sets_limited(void **state)
{
	(void)state;
	size_t len;
	char *buf = many_parts(100000, &len);
	struct mail *m = parse(buf, len, NULL);

	assert_int_equal(m->nparts, mail_limits_default.max_parts);
	assert_int_equal(m->root->nchildren, mail_limits_default.max_parts - 1);
	assert_int_equal(m->limited, 1);
	assert_string_equal(m->root->children[998]->body, "x");
	mail_free(m);
	free(buf);
}

static void test_100000_part_message_is_fully_parsed_when_limits_allow(void **state)
{
	(void)state;
	struct mail_limits lim = mail_limits_default;
	size_t len;
	char *buf = many_parts(100000, &len);
	struct mail *m;

	lim.max_parts = 200000;
	m = parse(buf, len, &lim); /* finishes only if splitting is linear */
	assert_int_equal(m->root->nchildren, 100000);
	assert_int_equal(m->nparts, 100001);
	assert_int_equal(m->limited, 0);
	assert_string_equal(m->root->children[99999]->body, "x");
	mail_free(m);
	free(buf);
}

static void test_1mb_header_line_is_cut_to_max_header_bytes_and_flagged(void **state)
{
	(void)state;
	size_t big = 1024 * 1024, len;
	char *buf = malloc(big + 64);
	struct mail *m;
	const char *v;

	assert_non_null(buf);
	len = (size_t)sprintf(buf, "X-Big: ");
	memset(buf + len, 'a', big);
	len += big;
	len += (size_t)sprintf(buf + len, "\nSubject: after\n\nbody\n");
	m = parse(buf, len, NULL);
	v = mail_part_header(m->root, "X-Big");
	assert_non_null(v);
	assert_int_equal(strlen(v), mail_limits_default.max_header_bytes);
	assert_string_equal(mail_part_header(m->root, "Subject"), "after");
	assert_string_equal(m->root->body, "body\n");
	assert_int_equal(m->root->damaged, 1);
	assert_int_equal(m->limited, 1);
	mail_free(m);
	free(buf);
}

static void test_1mb_folded_header_is_bounded_too(void **state)
{
	(void)state;
	size_t lines = 200000, len = 0;
	char *buf = malloc(lines * 4 + 64);
	struct mail *m;

	assert_non_null(buf);
	len += (size_t)sprintf(buf, "X-Folded: a");
	for (size_t i = 0; i < lines; i++)
		len += (size_t)sprintf(buf + len, "\n b");
	len += (size_t)sprintf(buf + len, "\n\nbody\n");
	m = parse(buf, len, NULL);
	assert_true(strlen(mail_part_header(m->root, "X-Folded")) <=
	            mail_limits_default.max_header_bytes);
	assert_int_equal(m->limited, 1);
	assert_string_equal(m->root->body, "body\n");
	mail_free(m);
	free(buf);
}

static void test_header_fields_beyond_max_headers_are_dropped_and_flagged(void **state)
{
	(void)state;
	struct mail_limits lim = mail_limits_default;
	char buf[4096];
	size_t len = 0;
	struct mail *m;

	lim.max_headers = 10;
	for (int i = 0; i < 50; i++)
		len += (size_t)sprintf(buf + len, "X-N: %d\n", i);
	len += (size_t)sprintf(buf + len, "\nbody\n");
	m = parse(buf, len, &lim);
	assert_int_equal(m->root->nheaders, 10);
	assert_string_equal(m->root->body, "body\n");
	assert_int_equal(m->limited, 1);
	mail_free(m);
}

static void test_input_beyond_max_bytes_is_ignored_and_flagged(void **state)
{
	(void)state;
	struct mail_limits lim = mail_limits_default;
	const char *s = "Subject: x\n\n0123456789abcdef";
	struct mail *m;

	lim.max_bytes = 22;
	m = parse(s, strlen(s), &lim);
	assert_int_equal(m->truncated, 1);
	assert_string_equal(m->root->body, "0123456789");
	mail_free(m);
}

static void test_nesting_beyond_max_depth_is_kept_as_an_opaque_leaf(void **state)
{
	(void)state;
	char buf[8192];
	size_t len = 0, depth = 0;
	struct mail *m;
	const struct mail_part *p;

	for (int i = 0; i < 40; i++)
		len += (size_t)sprintf(
		    buf + len, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
	len += (size_t)sprintf(buf + len, "\ninnermost\n");
	m = parse(buf, len, NULL);
	for (p = m->root; p->nchildren > 0; p = p->children[0])
		depth++;
	assert_int_equal(depth, mail_limits_default.max_depth);
	assert_string_equal(p->type, "multipart/mixed"); /* not split any more */
	assert_int_equal(m->limited, 1);
	mail_free(m);
}

static void test_nul_bytes_and_invalid_utf8_do_not_crash(void **state)
{
	(void)state;
	static const char body[] = "body\0with NUL \xed\xa0\x80";
	static const char msg[] = "Subject: a\0b\nX-Bad: \xff\xfe\xc3\x28\n"
	                          "Content-Type: multipart/mixed; boundary=\"q\0z\"\n\n"
	                          "--q\n\nbody\0with NUL \xed\xa0\x80\n--q--\n";
	struct mail *m = parse(msg, sizeof(msg) - 1, NULL);

	assert_string_equal(mail_part_header(m->root, "Subject"), "a");
	assert_string_equal(mail_part_header(m->root, "X-Bad"), "\xff\xfe\xc3\x28");
	/* the boundary is NUL-terminated at the NUL: "q" */
	assert_int_equal(m->root->nchildren, 1);
	assert_int_equal(m->root->children[0]->body_len, sizeof(body) - 1);
	assert_memory_equal(m->root->children[0]->body, body, sizeof(body) - 1);
	mail_free(m);
}

/* Deterministic mutations of a real DSN: every result must be some message. */
static void test_mutated_messages_never_crash(void **state)
{
	(void)state;
	size_t len;
	char *orig = fixture_read("dsn/postfix-multi-rcpt.eml", &len);
	char *buf = malloc(len);
	unsigned int seed = 12345;

	assert_non_null(buf);
	for (int round = 0; round < 200; round++) {
		struct mail *m;

		memcpy(buf, orig, len);
		for (int k = 0; k < 20; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % len;
			seed = seed * 1103515245u + 12345u;
			buf[at] = (char)(seed >> 16);
		}
		m = parse(buf, (seed >> 4) % (len + 1), NULL);
		assert_true(m->nparts >= 1);
		mail_free(m);
	}
	free(buf);
	free(orig);
}

static void test_blocks_are_split_at_blank_lines_and_unfolded(void **state)
{
	(void)state;
	static const char text[] = "\n\nReporting-MTA: dns; a.example\n"
	                           "Arrival-Date: today\n"
	                           "\n"
	                           "Final-Recipient: rfc822; x@y\n"
	                           "Diagnostic-Code: smtp; 550 first\n"
	                           "    second\n"
	                           "\t\n"
	                           "Final-Recipient: rfc822; z@y\n"
	                           "Action: failed\n";
	struct mail_block *b;
	size_t n;

	assert_int_equal(mail_parse_blocks(text, sizeof(text) - 1, NULL, &b, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(b[0].nfields, 2);
	assert_string_equal(mail_block_get(&b[0], "reporting-mta"), "dns; a.example");
	assert_string_equal(mail_block_get(&b[1], "Diagnostic-Code"), "smtp; 550 first    second");
	assert_string_equal(mail_block_get(&b[2], "ACTION"), "failed");
	assert_null(mail_block_get(&b[2], "Status"));
	mail_blocks_free(b, n);
}

static void test_blocks_accept_crlf_and_skip_junk_lines(void **state)
{
	(void)state;
	static const char text[] = "\r\n  \r\nA: 1\r\nnot a field\r\nB: 2\r\n \r\nC: 3";
	struct mail_block *b;
	size_t n;

	assert_int_equal(mail_parse_blocks(text, sizeof(text) - 1, NULL, &b, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(b[0].nfields, 2);
	assert_string_equal(mail_block_get(&b[0], "b"), "2");
	assert_string_equal(mail_block_get(&b[1], "c"), "3");
	mail_blocks_free(b, n);
}

/* Records what mail_walk_blocks() hands over. */
struct walk_log {
	char text[512];
	size_t calls, stop_at;
};

static int walk_record(void *arg, size_t block, const char *name, const char *value)
{
	struct walk_log *w = arg;
	size_t n = strlen(w->text);

	snprintf(w->text + n, sizeof(w->text) - n, "%zu|%s|%s\n", block, name, value);
	return ++w->calls == w->stop_at ? 7 : 0;
}

static void test_walk_gives_each_field_with_its_block_and_can_stop(void **state)
{
	(void)state;
	static const char text[] = "A: 1\nB : two\n  folded\n\n\nC:3\r\n\r\nD: 4\nE: 5\n";
	struct mail_limits lim = mail_limits_default;
	struct walk_log w = {"", 0, 0};
	size_t nb = 0;

	assert_int_equal(mail_walk_blocks(text, sizeof(text) - 1, NULL, walk_record, &w, &nb), 0);
	assert_int_equal(nb, 3);
	assert_string_equal(w.text, "0|A|1\n0|B|two  folded\n1|C|3\n2|D|4\n2|E|5\n");
	/* a non-zero return ends the walk and is passed on */
	memset(&w, 0, sizeof(w));
	w.stop_at = 2;
	assert_int_equal(mail_walk_blocks(text, sizeof(text) - 1, NULL, walk_record, &w, &nb), 7);
	assert_string_equal(w.text, "0|A|1\n0|B|two  folded\n");
	/* fields beyond max_headers are not given; their block still counts */
	memset(&w, 0, sizeof(w));
	lim.max_headers = 1;
	assert_int_equal(mail_walk_blocks(text, sizeof(text) - 1, &lim, walk_record, &w, &nb), 0);
	assert_int_equal(nb, 3);
	assert_string_equal(w.text, "0|A|1\n1|C|3\n2|D|4\n");
}

static void test_blocks_beyond_max_headers_are_kept_empty(void **state)
{
	(void)state;
	static const char text[] = "A: 1\n\nB: 2\n";
	struct mail_limits lim = mail_limits_default;
	struct mail_block *b;
	size_t n;

	lim.max_headers = 0;
	assert_int_equal(mail_parse_blocks(text, sizeof(text) - 1, &lim, &b, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(b[0].nfields, 0);
	assert_int_equal(b[1].nfields, 0);
	mail_blocks_free(b, n);
}

static void test_empty_text_has_no_blocks(void **state)
{
	(void)state;
	struct mail_block *b;
	size_t n = 99;

	assert_int_equal(mail_parse_blocks("\n \n\t\n", 5, NULL, &b, &n), 0);
	assert_int_equal(n, 0);
	mail_blocks_free(b, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lf_crlf_and_cr_line_ends_give_identical_trees),
	    cmocka_unit_test(test_folded_header_is_unfolded_keeping_the_white_space),
	    cmocka_unit_test(test_header_values_are_trimmed_and_names_keep_their_case),
	    cmocka_unit_test(test_message_without_content_type_is_text_plain),
	    cmocka_unit_test(test_malformed_content_type_is_text_plain),
	    cmocka_unit_test(test_content_type_params_accept_tokens_quoted_strings_and_comments),
	    cmocka_unit_test(test_content_type_params_unescape_and_survive_a_quote_left_open),
	    cmocka_unit_test(test_nested_multipart_is_walked_to_any_depth),
	    cmocka_unit_test(test_base64_parts_are_decoded_including_binary_bytes),
	    cmocka_unit_test(test_base64_and_quoted_printable_text_parts_are_decoded),
	    cmocka_unit_test(test_mail_open_decodes_a_leaf_when_its_body_is_first_asked_for),
	    cmocka_unit_test(test_multipart_in_base64_is_decoded_and_split_by_mail_open_too),
	    cmocka_unit_test(test_quoted_printable_in_nested_alternative_is_decoded),
	    cmocka_unit_test(test_quoted_printable_edge_cases_decode_as_rfc_2045_says),
	    cmocka_unit_test(test_base64_digits_split_by_white_space_or_padding_still_decode),
	    cmocka_unit_test(test_broken_base64_decodes_as_far_as_possible_and_sets_damaged),
	    cmocka_unit_test(test_delimiters_are_found_for_short_and_very_long_boundaries),
	    cmocka_unit_test(test_boundary_quirks_are_tolerated),
	    cmocka_unit_test(test_missing_close_delimiter_keeps_the_last_part),
	    cmocka_unit_test(test_multipart_without_any_delimiter_is_a_damaged_leaf),
	    cmocka_unit_test(test_message_rfc822_part_has_the_enclosed_message_as_one_child),
	    cmocka_unit_test(test_rfc822_headers_part_has_one_headers_only_child),
	    cmocka_unit_test(test_headers_only_body_is_kept_raw_beside_its_parsed_child),
	    cmocka_unit_test(test_parts_that_end_right_at_a_delimiter_leave_it_intact),
	    cmocka_unit_test(test_base64_encoded_delivery_status_part_is_decoded),
	    cmocka_unit_test(test_digest_parts_default_to_message_rfc822),
	    cmocka_unit_test(test_mbox_from_line_before_a_message_is_skipped),
	    cmocka_unit_test(test_a_line_that_is_not_a_header_starts_the_body),
	    cmocka_unit_test(test_empty_input_is_an_empty_text_message),
	    cmocka_unit_test(test_100000_part_message_stops_at_max_parts_and_sets_limited),
	    cmocka_unit_test(test_100000_part_message_is_fully_parsed_when_limits_allow),
	    cmocka_unit_test(test_1mb_header_line_is_cut_to_max_header_bytes_and_flagged),
	    cmocka_unit_test(test_1mb_folded_header_is_bounded_too),
	    cmocka_unit_test(test_header_fields_beyond_max_headers_are_dropped_and_flagged),
	    cmocka_unit_test(test_input_beyond_max_bytes_is_ignored_and_flagged),
	    cmocka_unit_test(test_nesting_beyond_max_depth_is_kept_as_an_opaque_leaf),
	    cmocka_unit_test(test_nul_bytes_and_invalid_utf8_do_not_crash),
	    cmocka_unit_test(test_mutated_messages_never_crash),
	    cmocka_unit_test(test_blocks_are_split_at_blank_lines_and_unfolded),
	    cmocka_unit_test(test_blocks_accept_crlf_and_skip_junk_lines),
	    cmocka_unit_test(test_walk_gives_each_field_with_its_block_and_can_stop),
	    cmocka_unit_test(test_blocks_beyond_max_headers_are_kept_empty),
	    cmocka_unit_test(test_empty_text_has_no_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
