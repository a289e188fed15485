// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the units module: sizes and durations print with a unit
 * and three significant digits at most, never in exponent form, and the
 * command-line parsers accept the documented forms and refuse junk with
 * the documented error; the shortest digits of a double read back as it
 * and no fewer would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

static void check_bytes(uint64_t bytes, const char *want)
{
	char buf[32];

	memset(buf, 'x', sizeof(buf));
	assert_ptr_equal(units_bytes(buf, sizeof(buf), bytes), buf);
	assert_string_equal(buf, want);
}

static void check_ns(uint64_t ns, const char *want)
{
	char buf[32];

	memset(buf, 'x', sizeof(buf));
	assert_ptr_equal(units_ns(buf, sizeof(buf), ns), buf);
	assert_string_equal(buf, want);
	/* never "1e+03 us" */
	assert_null(strchr(buf, 'e'));
}

static void test_bytes(void **state)
{
	(void)state;
	check_bytes(0, "0 B");
	check_bytes(1, "1 B");
	check_bytes(512, "512 B");
	check_bytes(1023, "1023 B");
	check_bytes(1024, "1.0 KiB");
	check_bytes(1536, "1.5 KiB");
	check_bytes(10 * 1024, "10 KiB");
	check_bytes(9 * 1048576 + 524288, "9.5 MiB");
	check_bytes(10 * 1048576, "10 MiB");
	check_bytes(1000 * 1048576, "1000 MiB");
	/* the unit and the precision follow the rounded value */
	check_bytes(10433332, "10 MiB");
	check_bytes(10189, "10 KiB");
	check_bytes(1048575, "1.0 MiB");
	check_bytes(1ull << 30, "1.0 GiB");
	check_bytes(3ull << 40, "3.0 TiB");
	check_bytes(1ull << 50, "1.0 PiB");
	/* PiB is the largest unit: bigger values grow its number */
	check_bytes(1ull << 60, "1024 PiB");
	check_bytes(UINT64_MAX, "16384 PiB");
}

/* A short buffer is truncated and terminated, never overrun. */
static void test_bytes_short_buffer(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	units_bytes(buf, 5, 9 * 1048576 + 524288);
	assert_string_equal(buf, "9.5 ");
	assert_int_equal(buf[5], 'x');
	memset(buf, 'x', sizeof(buf));
	units_ns(buf, 4, 1500000000);
	assert_string_equal(buf, "1.5");
	assert_int_equal(buf[4], 'x');
}

static void test_ns(void **state)
{
	(void)state;
	check_ns(0, "0 ns");
	check_ns(999, "999 ns");
	check_ns(1000, "1.00 us");
	check_ns(1500, "1.50 us");
	check_ns(9994, "9.99 us");
	check_ns(9995, "10.0 us");		/* not "10.00 us" */
	check_ns(99949, "99.9 us");
	check_ns(99950, "100 us");		/* not "100.0 us" */
	check_ns(850000, "850 us");
	check_ns(999499, "999 us");
	check_ns(999500, "1.00 ms");		/* not "1e+03 us" */
	check_ns(999999, "1.00 ms");
	check_ns(1000000, "1.00 ms");
	check_ns(12300000, "12.3 ms");
	check_ns(999499999, "999 ms");
	check_ns(999500000, "1.00 s");		/* not "1e+03 ms" */
	check_ns(1000000000, "1.00 s");
	check_ns(1500000000, "1.50 s");
	check_ns(9995000000ull, "10.0 s");
	check_ns(100000000000ull, "100 s");
	check_ns(3600000000000ull, "3600 s");
	check_ns(UINT64_MAX, "18446744074 s");
}

static void check_parse_ns(const char *s, uint64_t unit, uint64_t want)
{
	uint64_t ns = 12345;

	if (units_parse_ns(s, unit, &ns))
		fail_msg("'%s' refused", s);
	if (ns != want)
		fail_msg("'%s': %llu, want %llu", s, (unsigned long long)ns,
			 (unsigned long long)want);
}

static void check_parse_ns_err(const char *s, int err)
{
	uint64_t ns = 12345;
	int ret = units_parse_ns(s, 1000000, &ns);

	if (ret != err)
		fail_msg("'%s': %d, want %d", s, ret, err);
	/* a refused value leaves the output alone */
	assert_int_equal(ns, 12345);
}

static void test_parse_ns(void **state)
{
	(void)state;
	check_parse_ns("5ms", 1, 5000000);
	check_parse_ns("100us", 1, 100000);
	check_parse_ns("250ns", 1, 250);
	check_parse_ns("2s", 1, 2000000000);
	check_parse_ns("1.5s", 1, 1500000000);
	check_parse_ns("0.5ms", 1, 500000);
	check_parse_ns("2m", 1, 120000000000ull);
	check_parse_ns("1min", 1, 60000000000ull);
	check_parse_ns("5MS", 1, 5000000);	/* units are case-blind */
	check_parse_ns("0s", 1, 0);
	/* a bare number is in the caller's unit */
	check_parse_ns("5", 1000000, 5000000);
	check_parse_ns("5", 1000000000, 5000000000ull);
	check_parse_ns("1.5", 1000, 1500);
	check_parse_ns("1.001ms", 1, 1001000);	/* rounded, not truncated */
	check_parse_ns("7", 1, 7);
	/* the largest value that fits */
	check_parse_ns("9223372036s", 1, 9223372036000000000ull);
}

static void test_parse_ns_refused(void **state)
{
	(void)state;
	check_parse_ns_err("5q", -EINVAL);
	check_parse_ns_err("", -EINVAL);
	check_parse_ns_err("-1", -EINVAL);
	check_parse_ns_err("-1ms", -EINVAL);
	check_parse_ns_err(" -1", -EINVAL);
	check_parse_ns_err("ms", -EINVAL);
	check_parse_ns_err("5 ms", -EINVAL);
	check_parse_ns_err("5mss", -EINVAL);
	check_parse_ns_err("nan", -EINVAL);
	check_parse_ns_err("inf", -EINVAL);
	check_parse_ns_err("infs", -EINVAL);
	check_parse_ns_err(NULL, -EINVAL);
	/* too big for a signed 64-bit nanosecond count */
	check_parse_ns_err("9223372037s", -ERANGE);
	check_parse_ns_err("1e30s", -ERANGE);
}

static void test_parse_bytes(void **state)
{
	uint64_t v = 12345;

	(void)state;
	assert_int_equal(units_parse_bytes("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(units_parse_bytes("10M", &v), 0);
	assert_int_equal(v, 10 << 20);
	assert_int_equal(units_parse_bytes("1.5GiB", &v), 0);
	assert_int_equal(v, 3ull << 29);
	assert_int_equal(units_parse_bytes("4k", &v), 0);	/* case-blind */
	assert_int_equal(v, 4096);
	v = 12345;
	assert_int_equal(units_parse_bytes("10Q", &v), -EINVAL);
	assert_int_equal(units_parse_bytes("-1M", &v), -EINVAL);
	assert_int_equal(units_parse_bytes("", &v), -EINVAL);
	assert_int_equal(units_parse_bytes("9000000T", &v), -ERANGE);
	assert_int_equal(v, 12345);	/* a refused value leaves the output alone */
}

static void check_u64(const char *s, uint64_t min, uint64_t max, int err,
		      uint64_t want)
{
	uint64_t v = 12345;
	int ret = units_parse_u64(s, min, max, &v);

	if (ret != err)
		fail_msg("'%s' in [%llu, %llu]: %d, want %d", s,
			 (unsigned long long)min, (unsigned long long)max,
			 ret, err);
	if (v != (err ? 12345 : want))
		fail_msg("'%s': %llu", s, (unsigned long long)v);
}

static void test_parse_u64(void **state)
{
	(void)state;
	check_u64("0", 0, 10, 0, 0);
	check_u64("10", 0, 10, 0, 10);
	check_u64("4242", 1, UINT64_MAX, 0, 4242);
	check_u64("0x10", 0, 100, 0, 16);
	check_u64("0X1f", 0, 100, 0, 31);
	check_u64("18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX);

	/* range: both ends are inclusive */
	check_u64("9", 10, 1000, -ERANGE, 0);
	check_u64("10", 10, 1000, 0, 10);
	check_u64("1000", 10, 1000, 0, 1000);
	check_u64("1001", 10, 1000, -ERANGE, 0);
	check_u64("0x11", 0, 16, -ERANGE, 0);
	check_u64("0", 1, 100, -ERANGE, 0);

	/* junk */
	check_u64("", 0, 100, -EINVAL, 0);
	check_u64(NULL, 0, 100, -EINVAL, 0);
	check_u64("-1", 0, UINT64_MAX, -EINVAL, 0);
	check_u64(" -1", 0, UINT64_MAX, -EINVAL, 0);
	check_u64(" 5", 0, 100, -EINVAL, 0);
	check_u64("5q", 0, 100, -EINVAL, 0);
	check_u64("5 ", 0, 100, -EINVAL, 0);
	check_u64("abc", 0, 100, -EINVAL, 0);
	check_u64("0x", 0, 100, -EINVAL, 0);
	check_u64("1.5", 0, 100, -EINVAL, 0);
	check_u64("1e3", 0, 10000, -EINVAL, 0);
}

static void check_shortest(double v, const char *digits, int decpt)
{
	char d[UNITS_DIGITS_LEN], s[48];
	int nd, e;

	nd = units_shortest(v, d, &e);
	assert_string_equal(d, digits);
	assert_int_equal(nd, strlen(digits));
	assert_int_equal(e, decpt);
	snprintf(s, sizeof(s), "0.%se%d", d, e);
	assert_true(strtod(s, NULL) == v);
	/* one digit fewer, as printf rounds it, does not read back */
	if (nd > 1) {
		snprintf(s, sizeof(s), "%.*e", nd - 2, v);
		assert_true(strtod(s, NULL) != v);
	}
}

static void test_shortest(void **state)
{
	(void)state;
	check_shortest(0.1, "1", 0);
	check_shortest(1.5, "15", 1);
	check_shortest(123.456, "123456", 3);
	check_shortest(100, "1", 3);
	check_shortest(1.0 / 3, "3333333333333333", 0);
	check_shortest(0.1 + 0.2, "30000000000000004", 0);
	check_shortest(1e-9, "1", -8);
	check_shortest(5e-324, "5", -323);
	check_shortest(1.7976931348623157e308, "17976931348623157", 309);
	check_shortest(9007199254740993.0, "9007199254740992", 16);
	/* a power of two: the nearest 16 digits miss, the next ones up
	 * read back */
	check_shortest(7.120236347223045e-307, "7120236347223045", -306);
	/* either side of the smallest normal double, where 15 digits are
	 * tried first or not at all */
	check_shortest(2.2250738585072014e-308, "22250738585072014", -307);
	check_shortest(1.1125369292536007e-308, "11125369292536007", -307);
	check_shortest(1e23, "1", 24);
	check_shortest(1152921504606846976.0, "1152921504606847", 19);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_bytes_short_buffer),
		cmocka_unit_test(test_ns),
		cmocka_unit_test(test_parse_ns),
		cmocka_unit_test(test_parse_ns_refused),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_bytes),
		cmocka_unit_test(test_shortest),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
