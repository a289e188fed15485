/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counters in and out of JSON objects (json-c) by table: a tool's session
 * lines write its structs' u64 fields under their names and read them
 * back, strictly (a missing or mistyped field fails the line).
 */
#ifndef KSCOPE_JSONFIELDS_H
#define KSCOPE_JSONFIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* A uint64_t at @off in a struct, as "@key" in JSON. */
struct json_field {
	const char *key;
	size_t off;
};

#define JSON_FIELDS(f) (sizeof(f) / sizeof((f)[0]))

void json_put_u64(struct json_object *o, const char *key, uint64_t v);
/* A JSON integer (not a float or a string); false when missing or not. */
bool json_get_u64(struct json_object *o, const char *key, uint64_t *v);
/* An array member, NULL when missing or not an array. */
struct json_object *json_get_array(struct json_object *o, const char *key);
/* A JSON string; NULL when missing or not one (null, a number). */
const char *json_get_string(struct json_object *o, const char *key);

void json_put_fields(struct json_object *o, const void *base, const struct json_field *f,
		     size_t n);
/* All of them or false (some may have been set). */
bool json_get_fields(struct json_object *o, void *base, const struct json_field *f, size_t n);

/* A percentage with two decimals as written (no 0.0800000001); nothing
 * for NaN. */
void json_put_pct(struct json_object *o, const char *key, double fraction);

/*
 * A session file of JSON lines: @header on the first line, @refresh on each
 * of the others, in order; the first failure stops.  0, or -errno with one
 * line in @err ("line 3: not a coretop refresh", "empty file", "no refresh
 * recorded": -ENODATA after a good header, for the callers to whom a
 * session that recorded nothing is one); @header says itself what is
 * wrong with a header.  @tool names the file's kind in the messages.
 */
typedef int (*jsonl_header_fn)(struct json_object *o, void *ctx, char *err, size_t errlen);
typedef int (*jsonl_refresh_fn)(struct json_object *o, void *ctx);
int jsonl_read(const char *path, const char *tool, jsonl_header_fn header,
	       jsonl_refresh_fn refresh, void *ctx, char *err, size_t errlen);

#endif
