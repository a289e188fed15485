// SPDX-License-Identifier: GPL-2.0
/*
 * kscope's record file (bundle.h): two parts written and read back byte
 * for byte, listed; a part the record lacks named with those it has; and
 * every damage refused in one line: any truncation, a changed byte in a
 * part, a header or the end line, bytes after the end, another file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TMPDIR_NAME "bundle"
#include "tmpdir.h"

#include "bundle.h"

static const char napi[] = "{\"napitop\":1,\"ncpu\":2}\n{\"time_ns\":1}\n";
static const char cores[] = "{\"coretop\":1}\n";

/* a record of the two parts at @name: its bytes into @buf, their number */
static size_t make(const char *name, char *buf, size_t len)
{
	const char *names[] = { "napitop", "coretop" };
	FILE *parts[2], *out = fopen(test_path(name), "w+");
	char err[256];
	size_t n;

	assert_non_null(out);
	parts[0] = tmpfile();
	parts[1] = tmpfile();
	fputs(napi, parts[0]);
	fputs(cores, parts[1]);
	assert_int_equal(bundle_write(out, names, parts, 2, err, sizeof(err)), 0);
	rewind(out);
	n = fread(buf, 1, len, out);
	fclose(out);
	fclose(parts[0]);
	fclose(parts[1]);
	return n;
}

static void put(const char *name, const char *p, size_t n)
{
	FILE *f = fopen(test_path(name), "w");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* the part of @tool read whole into @buf ("" and the error in @err) */
static int part(const char *name, const char *tool, char *buf, size_t len, char *err)
{
	int fd = bundle_open_part(test_path(name), tool, err, 256);
	ssize_t n;

	buf[0] = 0;
	if (fd < 0)
		return fd;
	n = read(fd, buf, len - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = 0;
	return 0;
}

static void test_round_trip(void **state)
{
	struct bundle_part *parts;
	char rec[1024], buf[1024], err[256];
	size_t nr;

	(void)state;
	make("rec", rec, sizeof(rec));
	assert_true(bundle_is(test_path("rec")));
	assert_int_equal(part("rec", "napitop", buf, sizeof(buf), err), 0);
	assert_string_equal(buf, napi);
	assert_int_equal(part("rec", "coretop", buf, sizeof(buf), err), 0);
	assert_string_equal(buf, cores);
	assert_int_equal(bundle_index(test_path("rec"), &parts, &nr, err, sizeof(err)), 0);
	assert_int_equal(nr, 2);
	assert_string_equal(parts[1].tool, "coretop");
	assert_int_equal(parts[1].len, strlen(cores));
	free(parts);
	assert_int_equal(part("rec", "damontop", buf, sizeof(buf), err), -ENOENT);
	assert_string_equal(err, "no damontop part: this session had napitop, coretop");
}

static void refused(const char *p, size_t n, const char *why)
{
	char buf[64], err[256] = "";

	put("bad", p, n);
	if (part("bad", "napitop", buf, sizeof(buf), err) >= 0)
		fail_msg("accepted (%zu bytes): %.*s", n, (int)n, p);
	if (!strstr(err, why) || strchr(err, '\n'))
		fail_msg("'%s', not '%s'", err, why);
}

static void test_damage(void **state)
{
	char rec[1024], bad[1024];
	size_t n, i;

	(void)state;
	n = make("rec", rec, sizeof(rec));
	/* every truncation, the magic aside: refused */
	for (i = strlen(BUNDLE_MAGIC); i < n; i++)
		refused(rec, i, i < n - 1 ? "" : "truncated");
	refused(rec, 3, "not a kscope record");
	/* a byte of a part */
	memcpy(bad, rec, n);
	bad[strstr(rec, "time_ns") - rec] = 'T';
	refused(bad, n, "the napitop part fails its CRC");
	/* a length */
	memcpy(bad, rec, n);
	*strstr(bad, "napitop 3") = 'N';
	refused(bad, n, "corrupt at byte 16");
	/* the end's count, and bytes after it */
	memcpy(bad, rec, n);
	bad[n - 2] = '3';
	refused(bad, n, "its end says 3 parts, it has 2");
	memcpy(bad, rec, n);
	memcpy(bad + n, "x", 1);
	refused(bad, n + 1, "and more after");
	refused("{\"napitop\":1}\n", 14, "not a kscope record");
	assert_false(bundle_is("/nonexistent"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_damage),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
