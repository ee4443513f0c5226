/*
 * testutil - shared helpers for the cmocka unit tests.
 *
 * fixture_read("postfix/failed-5.7.1.eml", &len) returns the malloc'd bytes
 * of tests/fixtures/<name> (NUL-terminated) and fails the test when the file
 * cannot be read.
 */
#ifndef BT_TESTUTIL_H
#define BT_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

static inline char *fixture_read(const char *name, size_t *len)
{
	char path[4096];
	FILE *fp;
	char *buf = NULL;
	long n = 0;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg("cannot open fixture %s", path);
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0)
		fail_msg("cannot size fixture %s", path);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n)
		fail_msg("short read on fixture %s", path);
	buf[n] = 0;
	fclose(fp);
	if (len)
		*len = (size_t)n;
	return buf;
}

#endif
