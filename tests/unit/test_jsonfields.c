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

#include <math.h>
#include <string.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_pct),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
