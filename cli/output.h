/*
 * output - how the bouncetag command writes values: JSON strings (always
 * valid UTF-8: invalid bytes become U+FFFD), CSV fields (RFC 4180) and
 * dates. One place, so that every verb escapes the same way.
 */
#ifndef BT_OUTPUT_H
#define BT_OUTPUT_H

#include <stdio.h>
#include <time.h>

void out_json_str(FILE *fp, const char *s); /* "..." or null */
/* ,"name":"value" (or null): a member after the first of an object */
void out_json_kv(FILE *fp, const char *name, const char *value);
void out_csv_field(FILE *fp, const char *s);
/* "2026-11-23T10:00:00Z", or "" for 0, into a static-free buffer of 32 bytes */
const char *out_time(time_t t, char buf[32]);

#endif
