// SPDX-License-Identifier: GPL-2.0
/*
 * Counters through JSON by table: written under their names, read back
 * exactly (full 64 bits), refused when missing or of another type;
 * percentages written as shown.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jsonfields.h"

struct pair {
	uint64_t a, b;
};

static const struct json_field fields[] = {
	{ "a", offsetof(struct pair, a) },
	{ "b", offsetof(struct pair, b) },
};

static void test_round_trip(void **state)
{
	struct pair in = { UINT64_MAX, 7 }, out = {};
	struct json_object *o = json_object_new_object(), *back;

	(void)state;
	json_put_fields(o, &in, fields, JSON_FIELDS(fields));
	back = json_tokener_parse(json_object_to_json_string(o));
	assert_non_null(back);
	assert_true(json_get_fields(back, &out, fields, JSON_FIELDS(fields)));
	assert_memory_equal(&in, &out, sizeof(in));
	json_object_put(back);
	json_object_put(o);
}

static void test_refusals(void **state)
{
	struct json_object *o = json_tokener_parse(
		"{\"a\":\"12\",\"b\":1.5,\"c\":3,\"list\":[1],\"obj\":{}}");
	struct pair p;
	uint64_t v = 0;

	(void)state;
	assert_non_null(o);
	assert_false(json_get_u64(o, "a", &v));		/* a string */
	assert_false(json_get_u64(o, "b", &v));		/* a float */
	assert_false(json_get_u64(o, "missing", &v));
	assert_true(json_get_u64(o, "c", &v));
	assert_int_equal(v, 3);
	assert_false(json_get_fields(o, &p, fields, JSON_FIELDS(fields)));
	assert_non_null(json_get_array(o, "list"));
	assert_null(json_get_array(o, "obj"));
	assert_null(json_get_array(o, "missing"));
	json_object_put(o);
}

static void test_pct(void **state)
{
	struct json_object *o = json_object_new_object();

	(void)state;
	json_put_pct(o, "p", 0.0008);
	json_put_pct(o, "nan", NAN);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			    "{\"p\":0.08}");
	json_object_put(o);
}

/* jsonl_read's callbacks: the header must say {"v":1}; refreshes are
 * counted and must be objects with "n" */
static int header(struct json_object *o, void *ctx, char *err, size_t errlen)
{
	uint64_t v;

	(void)ctx;
	if (json_get_u64(o, "v", &v) && v == 1)
		return 0;
	snprintf(err, errlen, "bad header");
	return -EINVAL;
}

static int refresh(struct json_object *o, void *ctx)
{
	uint64_t n;

	if (!json_get_u64(o, "n", &n))
		return -EINVAL;
	(*(int *)ctx)++;
	return 0;
}

static int read_text(const char *text, int *count, char *err, size_t errlen)
{
	char path[] = "/tmp/kscope-test-jsonl.XXXXXX";
	int fd = mkstemp(path), ret;
	FILE *f = fdopen(fd, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	*count = 0;
	ret = jsonl_read(path, "tool", header, refresh, count, err, errlen);
	unlink(path);
	return ret;
}

static void test_jsonl(void **state)
{
	char err[128];
	int n;

	(void)state;
	assert_int_equal(read_text("{\"v\":1}\n{\"n\":1}\n{\"n\":2}\n", &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(read_text("", &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "empty file");
	assert_int_equal(read_text("{\"v\":1}\n", &n, err, sizeof(err)), -ENODATA);
	assert_string_equal(err, "no refresh recorded");
	assert_int_equal(read_text("{\"v\":2}\n{\"n\":1}\n", &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad header");
	assert_int_equal(read_text("{\"v\":1}\n{\"n\":1}\n{}\n{\"n\":3}\n", &n, err,
				   sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 3: not a tool refresh");
	assert_int_equal(n, 1);		/* the first failure stops */
	assert_int_equal(read_text("{\"v\":1}\n{\"n\":1\n", &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 2: not JSON");
	assert_int_equal(jsonl_read("/nonexistent/x", "tool", header, refresh, &n, err,
				    sizeof(err)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_pct),
		cmocka_unit_test(test_jsonl),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
