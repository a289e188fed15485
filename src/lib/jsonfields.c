// SPDX-License-Identifier: GPL-2.0
/*
 * Counters in and out of JSON objects by table.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "jsonfields.h"

void json_put_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

bool json_get_u64(struct json_object *o, const char *key, uint64_t *v)
{
	struct json_object *f;

	if (!json_object_object_get_ex(o, key, &f) || !json_object_is_type(f, json_type_int))
		return false;
	*v = json_object_get_uint64(f);
	return true;
}

const char *json_get_string(struct json_object *o, const char *key)
{
	struct json_object *f;

	if (!json_object_object_get_ex(o, key, &f) || !json_object_is_type(f, json_type_string))
		return NULL;
	return json_object_get_string(f);
}

struct json_object *json_get_array(struct json_object *o, const char *key)
{
	struct json_object *f;

	return json_object_object_get_ex(o, key, &f) && json_object_is_type(f, json_type_array) ?
	       f : NULL;
}

void json_put_fields(struct json_object *o, const void *base, const struct json_field *f,
		     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		memcpy(&v, (const char *)base + f[i].off, sizeof(v));
		json_put_u64(o, f[i].key, v);
	}
}

bool json_get_fields(struct json_object *o, void *base, const struct json_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		if (!json_get_u64(o, f[i].key, &v))
			return false;
		memcpy((char *)base + f[i].off, &v, sizeof(v));
	}
	return true;
}

void json_put_pct(struct json_object *o, const char *key, double fraction)
{
	char text[32];

	if (isnan(fraction))
		return;
	snprintf(text, sizeof(text), "%.2f", 100 * fraction);
	json_object_object_add(o, key, json_object_new_double_s(100 * fraction, text));
}

int jsonl_read(const char *path, const char *tool, jsonl_header_fn header,
	       jsonl_refresh_fn refresh, void *ctx, char *err, size_t errlen)
{
	FILE *in = fopen(path, "r");
	char *text = NULL;
	size_t cap = 0;
	unsigned int n = 0;
	int ret = 0;

	if (!in) {
		ret = -errno;
		errmsg(err, errlen, "%s", strerror(errno));
		return ret;
	}
	while (!ret && getline(&text, &cap, in) > 0) {
		struct json_object *o = json_tokener_parse(text);

		n++;
		if (!o) {
			errmsg(err, errlen, "line %u: not JSON", n);
			ret = -EINVAL;
		} else if (n == 1) {
			ret = header(o, ctx, err, errlen);
		} else if ((ret = refresh(o, ctx))) {
			if (ret == -ENOMEM)
				errmsg(err, errlen, "line %u: out of memory", n);
			else
				errmsg(err, errlen, "line %u: not a %s refresh", n, tool);
		}
		json_object_put(o);
	}
	if (!ret && ferror(in)) {
		ret = -EIO;
		errmsg(err, errlen, "line %u: read error", n + 1);
	}
	free(text);
	fclose(in);
	if (!ret && n < 2) {
		errmsg(err, errlen, n ? "no refresh recorded" : "empty file");
		ret = n ? -ENODATA : -EINVAL;
	}
	return ret;
}
