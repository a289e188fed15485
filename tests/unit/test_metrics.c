// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the metrics registry: the exact exposition text of a
 * small registry in both formats (0.0.4 names a counter's family with
 * its "_total", OpenMetrics without, and ends in "# EOF"), escaping of
 * label values and HELP, value formatting, counters that never go down
 * from one refresh to the next, repeated series and families, and the
 * textfile written whole through a rename.  Files live in a mkdtemp
 * directory that the group teardown removes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"

#define TMPDIR_NAME "metrics"
#include "tmpdir.h"

/* The last refresh rendered, checked against @want; freed here. */
static void assert_render(const struct metrics *m, bool openmetrics, const char *want)
{
	size_t len = 12345;
	char *got = metrics_render(m, openmetrics, &len);

	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(len, strlen(want));
	free(got);
}

/* A registry of one counter family and one gauge family. */
static void fill_small(struct metrics *m, double eth0, double eth1, double regions)
{
	metrics_begin(m);
	metrics_family(m, "kscope_test_packets", METRIC_COUNTER, "Packets seen.");
	metrics_sample(m, eth0, "dev", "eth0", "queue", "0", NULL);
	metrics_sample(m, eth1, "dev", "eth1", "queue", "1", NULL);
	metrics_family(m, "kscope_test_regions", METRIC_GAUGE, "Regions monitored.");
	metrics_sample(m, regions, NULL);
	assert_int_equal(metrics_end(m), 0);
}

static void test_empty(void **state)
{
	struct metrics *m = metrics_new();

	(void)state;
	assert_non_null(m);
	/* nothing refreshed yet: nothing to say, but a whole exposition */
	assert_render(m, false, "");
	assert_render(m, true, "# EOF\n");
	metrics_begin(m);
	assert_int_equal(metrics_end(m), 0);
	assert_render(m, false, "");
	assert_render(m, true, "# EOF\n");
	metrics_free(m);
	metrics_free(NULL);
}

static void test_text_format(void **state)
{
	struct metrics *m = metrics_new();
	char *text;

	(void)state;
	fill_small(m, 5, 7, 3);
	assert_render(m, false,
		      "# HELP kscope_test_packets_total Packets seen.\n"
		      "# TYPE kscope_test_packets_total counter\n"
		      "kscope_test_packets_total{dev=\"eth0\",queue=\"0\"} 5\n"
		      "kscope_test_packets_total{dev=\"eth1\",queue=\"1\"} 7\n"
		      "# HELP kscope_test_regions Regions monitored.\n"
		      "# TYPE kscope_test_regions gauge\n"
		      "kscope_test_regions 3\n");
	/* len may be NULL */
	text = metrics_render(m, false, NULL);
	assert_non_null(text);
	free(text);
	metrics_free(m);
}

static void test_openmetrics_format(void **state)
{
	struct metrics *m = metrics_new();

	(void)state;
	fill_small(m, 5, 7, 3);
	assert_render(m, true,
		      "# HELP kscope_test_packets Packets seen.\n"
		      "# TYPE kscope_test_packets counter\n"
		      "kscope_test_packets_total{dev=\"eth0\",queue=\"0\"} 5\n"
		      "kscope_test_packets_total{dev=\"eth1\",queue=\"1\"} 7\n"
		      "# HELP kscope_test_regions Regions monitored.\n"
		      "# TYPE kscope_test_regions gauge\n"
		      "kscope_test_regions 3\n"
		      "# EOF\n");
	metrics_free(m);
}

static void test_escaping(void **state)
{
	struct metrics *m = metrics_new();

	(void)state;
	metrics_begin(m);
	metrics_family(m, "kscope_test_x", METRIC_GAUGE,
		       "Back\\slash, \"quoted\",\nsecond line.");
	metrics_sample(m, 1, "path", "C:\\dir\\\"a\"\nb", "empty", "", NULL);
	/* a NULL label value is the empty string */
	metrics_sample(m, 2, "path", NULL, NULL);
	assert_int_equal(metrics_end(m), 0);
	/* 0.0.4: HELP escapes \ and newline only; label values " too */
	assert_render(m, false,
		      "# HELP kscope_test_x Back\\\\slash, \"quoted\",\\nsecond line.\n"
		      "# TYPE kscope_test_x gauge\n"
		      "kscope_test_x{path=\"C:\\\\dir\\\\\\\"a\\\"\\nb\",empty=\"\"} 1\n"
		      "kscope_test_x{path=\"\"} 2\n");
	/* OpenMetrics: HELP escapes " as well */
	assert_render(m, true,
		      "# HELP kscope_test_x Back\\\\slash, \\\"quoted\\\",\\nsecond line.\n"
		      "# TYPE kscope_test_x gauge\n"
		      "kscope_test_x{path=\"C:\\\\dir\\\\\\\"a\\\"\\nb\",empty=\"\"} 1\n"
		      "kscope_test_x{path=\"\"} 2\n"
		      "# EOF\n");
	metrics_free(m);
}

/* The value of gauge @v as rendered: "kscope_v " stripped, no newline. */
static char *value_of(struct metrics *m, double v)
{
	static char buf[64];
	const char *prefix = "# HELP kscope_v v\n# TYPE kscope_v gauge\nkscope_v ";
	char *text;
	size_t n;

	metrics_begin(m);
	metrics_family(m, "kscope_v", METRIC_GAUGE, "v");
	metrics_sample(m, v, NULL);
	assert_int_equal(metrics_end(m), 0);
	text = metrics_render(m, false, NULL);
	assert_non_null(text);
	assert_memory_equal(text, prefix, strlen(prefix));
	n = strlen(text + strlen(prefix));
	assert_true(n > 1 && n < sizeof(buf));
	assert_int_equal(text[strlen(prefix) + n - 1], '\n');
	memcpy(buf, text + strlen(prefix), n - 1);
	buf[n - 1] = '\0';
	free(text);
	return buf;
}

static void test_values(void **state)
{
	static const double round_trip[] = {
		0.1, 1e-9, 1.5, -2.25, 1.0 / 3, 123.456, 1e-300, 1e300,
		9007199254740993.0, 18446744073709551615.0, 5e-324,
	};
	struct metrics *m = metrics_new();

	(void)state;
	/* integers exactly, up to 2^53 */
	assert_string_equal(value_of(m, 0), "0");
	assert_string_equal(value_of(m, 42), "42");
	assert_string_equal(value_of(m, -3), "-3");
	assert_string_equal(value_of(m, 123456789012345.0), "123456789012345");
	assert_string_equal(value_of(m, 9007199254740991.0), "9007199254740991");
	assert_string_equal(value_of(m, 9007199254740992.0), "9007199254740992");
	assert_string_equal(value_of(m, 1e20), "1e+20");
	/* fractions in the fewest digits that read back the same */
	assert_string_equal(value_of(m, 0.1), "0.1");
	assert_string_equal(value_of(m, 1e-9), "1e-09");
	assert_string_equal(value_of(m, 1.5), "1.5");
	assert_string_equal(value_of(m, -0.0625), "-0.0625");
	assert_string_equal(value_of(m, 123.456), "123.456");
	assert_string_equal(value_of(m, 1.0 / 3), "0.3333333333333333");
	assert_string_equal(value_of(m, 0.1 + 0.2), "0.30000000000000004");
	assert_string_equal(value_of(m, 18446744073709551615.0), "1.8446744073709552e+19");
	/* a power of two where the nearest 16 digits do not read back but
	 * the next ones up do (%.17g would be the shortest printf offers) */
	assert_string_equal(value_of(m, 7.120236347223045e-307), "7.120236347223045e-307");
	/* the specials, as both formats spell them */
	assert_string_equal(value_of(m, NAN), "NaN");
	assert_string_equal(value_of(m, INFINITY), "+Inf");
	assert_string_equal(value_of(m, -INFINITY), "-Inf");
	for (size_t i = 0; i < sizeof(round_trip) / sizeof(*round_trip); i++) {
		const char *s = value_of(m, round_trip[i]);

		assert_true(strtod(s, NULL) == round_trip[i]);
		assert_null(strchr(s, ' '));
	}
	metrics_free(m);
}

/* A counter given lower than the refresh before keeps the one before;
 * gauges go where they are told. */
static void test_counter_never_decreases(void **state)
{
	struct metrics *m = metrics_new();
	const char *head = "# HELP kscope_test_packets_total Packets seen.\n"
			   "# TYPE kscope_test_packets_total counter\n";
	const char *gauge = "# HELP kscope_test_regions Regions monitored.\n"
			    "# TYPE kscope_test_regions gauge\n";
	char want[1024];

	(void)state;
	fill_small(m, 100, 7, 30);
	fill_small(m, 40, 8, 2);		/* eth0 went down: a wrap or reset */
	snprintf(want, sizeof(want), "%s"
		 "kscope_test_packets_total{dev=\"eth0\",queue=\"0\"} 100\n"
		 "kscope_test_packets_total{dev=\"eth1\",queue=\"1\"} 8\n"
		 "%skscope_test_regions 2\n", head, gauge);
	assert_render(m, false, want);
	/* the kept value is what later refreshes compare with */
	fill_small(m, 99, 8, 5);
	snprintf(want, sizeof(want), "%s"
		 "kscope_test_packets_total{dev=\"eth0\",queue=\"0\"} 100\n"
		 "kscope_test_packets_total{dev=\"eth1\",queue=\"1\"} 8\n"
		 "%skscope_test_regions 5\n", head, gauge);
	assert_render(m, false, want);
	fill_small(m, 101, 9, 5);
	snprintf(want, sizeof(want), "%s"
		 "kscope_test_packets_total{dev=\"eth0\",queue=\"0\"} 101\n"
		 "kscope_test_packets_total{dev=\"eth1\",queue=\"1\"} 9\n"
		 "%skscope_test_regions 5\n", head, gauge);
	assert_render(m, false, want);

	/* a series is its family and all its labels: other labels, other series */
	metrics_begin(m);
	metrics_family(m, "kscope_test_packets", METRIC_COUNTER, "Packets seen.");
	metrics_sample(m, 1, "dev", "eth0", NULL);
	metrics_sample(m, 2, "dev", "eth0", "queue", "1", NULL);
	assert_int_equal(metrics_end(m), 0);
	snprintf(want, sizeof(want), "%s"
		 "kscope_test_packets_total{dev=\"eth0\"} 1\n"
		 "kscope_test_packets_total{dev=\"eth0\",queue=\"1\"} 2\n", head);
	assert_render(m, false, want);
	metrics_free(m);
}

/* A counter that was once NaN still takes the numbers that follow. */
static void test_counter_after_nan(void **state)
{
	struct metrics *m = metrics_new();
	const char *head = "# HELP kscope_c_total c\n# TYPE kscope_c_total counter\n";
	double v[] = { NAN, 5, 3, NAN, 6 };
	const char *want[] = { "NaN", "5", "5", "5", "6" };
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
		metrics_begin(m);
		metrics_family(m, "kscope_c", METRIC_COUNTER, "c");
		metrics_sample(m, v[i], NULL);
		assert_int_equal(metrics_end(m), 0);
		snprintf(buf, sizeof(buf), "%skscope_c_total %s\n", head, want[i]);
		assert_render(m, false, buf);
	}
	metrics_free(m);
}

static void test_series_twice(void **state)
{
	struct metrics *m = metrics_new();

	(void)state;
	for (int round = 0; round < 2; round++) {
		metrics_begin(m);
		metrics_family(m, "kscope_c", METRIC_COUNTER, "c");
		/* enough series around the repeat for the sort to move them */
		for (int i = 9; i >= 0; i--) {
			char v[8];

			snprintf(v, sizeof(v), "%d", i);
			if (i == 4)
				metrics_sample(m, 50 + round, "k", "dup", NULL);
			metrics_sample(m, i, "k", v, NULL);
			if (i == 6 || i == 1)
				metrics_sample(m, 60 + i, "k", "dup", NULL);
		}
		metrics_family(m, "kscope_g", METRIC_GAUGE, "g");
		metrics_sample(m, 1.5, "k", "a", NULL);
		metrics_sample(m, 2.5, "k", "b", NULL);
		metrics_sample(m, 3.5, "k", "a", NULL);
		metrics_sample(m, 4, NULL);
		metrics_sample(m, 5, NULL);
		assert_int_equal(metrics_end(m), 0);
	}
	assert_render(m, false,
		      "# HELP kscope_c_total c\n"
		      "# TYPE kscope_c_total counter\n"
		      "kscope_c_total{k=\"9\"} 9\n"
		      "kscope_c_total{k=\"8\"} 8\n"
		      "kscope_c_total{k=\"7\"} 7\n"
		      "kscope_c_total{k=\"6\"} 6\n"
		      "kscope_c_total{k=\"dup\"} 66\n"
		      "kscope_c_total{k=\"5\"} 5\n"
		      "kscope_c_total{k=\"4\"} 4\n"
		      "kscope_c_total{k=\"3\"} 3\n"
		      "kscope_c_total{k=\"2\"} 2\n"
		      "kscope_c_total{k=\"1\"} 1\n"
		      "kscope_c_total{k=\"0\"} 0\n"
		      "# HELP kscope_g g\n"
		      "# TYPE kscope_g gauge\n"
		      "kscope_g{k=\"a\"} 1.5\n"
		      "kscope_g{k=\"b\"} 2.5\n"
		      "kscope_g 4\n");

	/* the first given is the one kept, whatever the value */
	metrics_begin(m);
	metrics_family(m, "kscope_c", METRIC_COUNTER, "c");
	metrics_sample(m, 70, "k", "dup", NULL);
	metrics_sample(m, 100, "k", "dup", NULL);
	metrics_sample(m, 80, "k", "dup", NULL);
	assert_int_equal(metrics_end(m), 0);
	assert_render(m, false,
		      "# HELP kscope_c_total c\n"
		      "# TYPE kscope_c_total counter\n"
		      "kscope_c_total{k=\"dup\"} 70\n");
	metrics_free(m);
}

static void test_family_twice(void **state)
{
	struct metrics *m = metrics_new();

	(void)state;
	metrics_begin(m);
	metrics_family(m, "kscope_a", METRIC_COUNTER, "A.");
	metrics_sample(m, 1, "n", "1", NULL);
	metrics_family(m, "kscope_b", METRIC_GAUGE, "B.");
	metrics_sample(m, 2, NULL);
	/* declared again (the help and type given first stay) */
	metrics_family(m, "kscope_a", METRIC_GAUGE, "other help");
	metrics_sample(m, 3, "n", "3", NULL);
	metrics_family(m, "kscope_b", METRIC_GAUGE, "B.");
	metrics_sample(m, 4, "x", "y", NULL);
	assert_int_equal(metrics_end(m), 0);
	assert_render(m, true,
		      "# HELP kscope_a A.\n"
		      "# TYPE kscope_a counter\n"
		      "kscope_a_total{n=\"1\"} 1\n"
		      "kscope_a_total{n=\"3\"} 3\n"
		      "# HELP kscope_b B.\n"
		      "# TYPE kscope_b gauge\n"
		      "kscope_b 2\n"
		      "kscope_b{x=\"y\"} 4\n"
		      "# EOF\n");
	metrics_free(m);
}

static void test_sample_without_family(void **state)
{
	struct metrics *m = metrics_new();

	(void)state;
	metrics_begin(m);
	metrics_sample(m, 1, "lost", "yes", NULL);
	metrics_family(m, "kscope_g", METRIC_GAUGE, "g");
	metrics_sample(m, 2, NULL);
	assert_int_equal(metrics_end(m), 0);
	assert_render(m, false, "# HELP kscope_g g\n# TYPE kscope_g gauge\nkscope_g 2\n");
	/* the family of the refresh before is not the current one */
	metrics_begin(m);
	metrics_sample(m, 3, NULL);
	assert_int_equal(metrics_end(m), 0);
	assert_render(m, false, "");
	metrics_free(m);
}

static void test_refresh_swaps_at_end(void **state)
{
	struct metrics *m = metrics_new();
	const char *first = "# HELP kscope_g g\n# TYPE kscope_g gauge\nkscope_g 1\n";

	(void)state;
	metrics_begin(m);
	metrics_family(m, "kscope_g", METRIC_GAUGE, "g");
	metrics_sample(m, 1, NULL);
	assert_int_equal(metrics_end(m), 0);
	assert_render(m, false, first);

	metrics_begin(m);
	metrics_family(m, "kscope_g", METRIC_GAUGE, "g");
	metrics_sample(m, 2, NULL);
	metrics_family(m, "kscope_h", METRIC_GAUGE, "h");
	assert_render(m, false, first);		/* mid-refresh: the last one */
	metrics_sample(m, 3, NULL);
	assert_render(m, false, first);
	assert_int_equal(metrics_end(m), 0);
	assert_render(m, false,
		      "# HELP kscope_g g\n# TYPE kscope_g gauge\nkscope_g 2\n"
		      "# HELP kscope_h h\n# TYPE kscope_h gauge\nkscope_h 3\n");

	/* a refresh begun and begun again: the abandoned one leaves nothing */
	metrics_begin(m);
	metrics_family(m, "kscope_x", METRIC_GAUGE, "x");
	metrics_sample(m, 9, NULL);
	metrics_begin(m);
	metrics_family(m, "kscope_g", METRIC_GAUGE, "g");
	metrics_sample(m, 1, NULL);
	assert_int_equal(metrics_end(m), 0);
	assert_render(m, false, first);
	metrics_free(m);

	/* freed mid-refresh: nothing leaks (the sanitizer build checks) */
	m = metrics_new();
	metrics_begin(m);
	metrics_family(m, "kscope_g", METRIC_GAUGE, "g");
	metrics_sample(m, 1, "a", "b", NULL);
	metrics_free(m);
}

/* The whole file as a malloc'd string. */
static char *slurp(const char *path)
{
	struct stat st;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc(st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, st.st_size + 1), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	return buf;
}

/* The names in @dir (but . and ..), as "a b c" in readdir's order. */
static int count_entries(const char *dir, char *names, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	names[0] = '\0';
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		strncat(names, " ", len - strlen(names) - 1);
		strncat(names, e->d_name, len - strlen(names) - 1);
	}
	closedir(d);
	return n;
}

static void test_textfile(void **state)
{
	const char *dir = test_path("prom");
	char path[512], names[512], *text, *file;
	struct metrics *m = metrics_new();
	struct stat st;
	mode_t old;
	int fd;

	(void)state;
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/kscope.prom", dir);
	fill_small(m, 5, 7, 3);
	/* the mode is node_exporter's 0644 whatever the umask */
	old = umask(077);
	assert_int_equal(metrics_write_textfile(m, path), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);
	text = metrics_render(m, false, NULL);
	file = slurp(path);
	assert_string_equal(file, text);		/* the text format, no # EOF */
	free(file);
	free(text);
	assert_int_equal(count_entries(dir, names, sizeof(names)), 1);
	assert_string_equal(names, " kscope.prom");

	/* replaced: a reader holding the old file keeps reading all of it */
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	fill_small(m, 50, 70, 30);
	assert_int_equal(metrics_write_textfile(m, path), 0);
	text = metrics_render(m, false, NULL);
	file = slurp(path);
	assert_string_equal(file, text);
	free(file);
	free(text);
	{
		char buf[4096];
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		assert_true(n > 0);
		buf[n] = '\0';
		assert_non_null(strstr(buf, "{dev=\"eth0\",queue=\"0\"} 5\n"));
		assert_null(strstr(buf, "} 50\n"));
	}
	close(fd);
	assert_int_equal(count_entries(dir, names, sizeof(names)), 1);
	assert_string_equal(names, " kscope.prom");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);

	/* an existing file of another mode is replaced too */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(metrics_write_textfile(m, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	metrics_free(m);
}

static void test_textfile_empty_and_relative(void **state)
{
	struct metrics *m = metrics_new();
	char cwd[4096], names[512], *file;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(mkdir(test_path("rel"), 0755), 0);
	assert_int_equal(chdir(test_path("rel")), 0);
	/* a bare name: the temporary file beside it, in the current directory */
	assert_int_equal(metrics_write_textfile(m, "empty.prom"), 0);
	assert_int_equal(chdir(cwd), 0);
	file = slurp(test_path("rel/empty.prom"));
	assert_string_equal(file, "");
	free(file);
	assert_int_equal(count_entries(test_path("rel"), names, sizeof(names)), 1);
	metrics_free(m);
}

static void test_textfile_errors(void **state)
{
	struct metrics *m = metrics_new();
	char names[512];

	(void)state;
	fill_small(m, 1, 2, 3);
	assert_int_equal(metrics_write_textfile(m, test_path("missing/kscope.prom")), -ENOENT);
	/* the path is a directory: the rename fails, the temporary file goes */
	assert_int_equal(mkdir(test_path("isdir"), 0755), 0);
	assert_int_equal(mkdir(test_path("isdir/kscope.prom"), 0755), 0);
	assert_int_equal(metrics_write_textfile(m, test_path("isdir/kscope.prom")), -EISDIR);
	assert_int_equal(count_entries(test_path("isdir"), names, sizeof(names)), 1);
	assert_string_equal(names, " kscope.prom");
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_text_format),
		cmocka_unit_test(test_openmetrics_format),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_counter_never_decreases),
		cmocka_unit_test(test_counter_after_nan),
		cmocka_unit_test(test_series_twice),
		cmocka_unit_test(test_family_twice),
		cmocka_unit_test(test_sample_without_family),
		cmocka_unit_test(test_refresh_swaps_at_end),
		cmocka_unit_test(test_textfile),
		cmocka_unit_test(test_textfile_empty_and_relative),
		cmocka_unit_test(test_textfile_errors),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
