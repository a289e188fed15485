// SPDX-License-Identifier: GPL-2.0
/*
 * iofilter's session: verdicts kept and counted, the processes refused,
 * the text and JSON lines, the session file written and read back
 * (-o, --replay), damaged files refused with a reason, and the figures as
 * Prometheus metrics.
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

#include "../../src/iofilter/session.h"
#include "metrics.h"
#define TMPDIR_NAME "iofilter-session"
#include "tmpdir.h"

static const struct session_rule rules[2] = {
	{ .r = { .dev = (7 << 20) | 0, .start = 0, .end = 33, .ops = IOF_OP_WRITE,
		 .action = IOF_DENY, .tiers = 1 << IOF_TIER_KILL },
	  .text = "dev=/dev/loop0 sectors=0-33", .dev_name = "loop0",
	  .why = "best effort" },
	{ .r = { .dev = (7 << 20) | 1, .start = 0, .end = ~0ull, .ops = IOF_OP_WRITE,
		 .action = IOF_AUDIT },
	  .text = "dev=/dev/loop1 action=audit", .dev_name = "loop1" },
};

static struct iof_event ev(uint64_t ts, uint32_t rule, bool denied, uint32_t tgid)
{
	struct iof_event e = {
		.ts = ts, .sector = 3, .nr_sectors = 8, .dev = rules[rule].r.dev,
		.op = IOF_OP_WRITE, .rule = rule, .action = rules[rule].r.action,
		.tier = denied ? IOF_TIER_KILL : IOF_TIER_AUDIT, .denied = denied,
		.pid = tgid, .tgid = tgid, .uid = 0,
	};

	snprintf(e.comm, sizeof(e.comm), "dd");
	return e;
}

static void test_log_and_procs(void **state)
{
	struct session s;
	struct iof_event e;
	char line[256];

	(void)state;
	assert_int_equal(session_init(&s, rules, 2), 0);
	for (uint32_t i = 0; i < SESSION_LOG + 10; i++) {
		e = ev(1000 + i, i % 2, i % 2 == 0, 100 + i % 3);
		session_add_event(&s, &e);
	}
	assert_int_equal(s.events, SESSION_LOG + 10);
	/* newest first, the ring keeps the last SESSION_LOG */
	assert_int_equal(session_event(&s, 0)->ts, 1000 + SESSION_LOG + 9);
	assert_int_equal(session_event(&s, SESSION_LOG - 1)->ts, 1010);
	assert_null(session_event(&s, SESSION_LOG));
	/* only refusals make a process "refused" */
	assert_int_equal(s.nr_procs, 3);
	session_event_text(&s, session_event(&s, 1), line, sizeof(line));
	assert_non_null(strstr(line, "DENY"));
	assert_non_null(strstr(line, "kill"));
	assert_non_null(strstr(line, "loop0 (7:0) sector 3+8 write"));
	assert_non_null(strstr(line, "(dd)"));
	session_free(&s);
}

static void test_tiers_text(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(session_tiers_text(0, buf, sizeof(buf)), "none");
	assert_string_equal(session_tiers_text(1 << IOF_TIER_KILL | 1 << IOF_TIER_DEVICE,
					       buf, sizeof(buf)), "device,kill");
	assert_string_equal(session_tier_name(IOF_TIER_BIO), "bio");
	assert_string_equal(session_tier_name(99), "?");
}

static const char *write_session(const char *dir, struct session *s)
{
	static char path[512];
	struct iof_event e;
	FILE *f;

	snprintf(path, sizeof(path), "%s/s.jsonl", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	session_write_header(f, s);
	for (uint32_t i = 0; i < 5; i++) {
		e = ev(2000 + i, i % 2, i % 2 == 0, 200 + i);
		session_add_event(s, &e);
		session_event_json(f, s, &e);
	}
	s->counts[0 * IOF_NR_TIERS + IOF_TIER_KILL] = (struct iof_count){ 3, 3, 24 };
	s->counts[1 * IOF_NR_TIERS + IOF_TIER_AUDIT] = (struct iof_count){ 2, 0, 16 };
	s->drops = 7;
	session_write_counts(f, s);
	fclose(f);
	return path;
}

static void test_file_round_trip(void **state)
{
	struct session s, r;
	char err[256];
	const char *path;
	uint64_t hits, denied;

	(void)state;
	assert_int_equal(session_init(&s, rules, 2), 0);
	path = write_session(test_dir, &s);
	assert_int_equal(session_load(path, &r, err, sizeof(err)), 0);
	assert_int_equal(r.nr_rules, 2);
	assert_string_equal(r.rules[0].text, rules[0].text);
	assert_string_equal(r.rules[1].dev_name, "loop1");
	assert_int_equal(r.rules[0].r.tiers, 1 << IOF_TIER_KILL);
	assert_int_equal(r.rules[0].r.end, 33);
	assert_int_equal(r.rules[1].r.end, ~0ull);
	assert_int_equal(r.events, 5);
	assert_int_equal(r.nr_procs, 3);
	assert_int_equal(session_event(&r, 0)->ts, 2004);
	assert_int_equal(session_event(&r, 0)->sector, 3);
	assert_int_equal(session_event(&r, 0)->tier, IOF_TIER_KILL);
	assert_int_equal(session_event(&r, 1)->tier, IOF_TIER_AUDIT);
	assert_string_equal(session_event(&r, 0)->comm, "dd");
	session_rule_totals(&r, 0, &hits, &denied);
	assert_int_equal(hits, 3);
	assert_int_equal(denied, 3);
	assert_int_equal(r.drops, 7);
	session_free(&r);
	session_free(&s);
}

static void expect_refused(const char *content, const char *msg)
{
	char path[512], err[256] = "";
	struct session r;
	FILE *f;

	snprintf(path, sizeof(path), "%s", test_path("bad.jsonl"));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	assert_int_not_equal(session_load(path, &r, err, sizeof(err)), 0);
	if (!strstr(err, msg))
		fail_msg("'%s' not in '%s'", msg, err);
	unlink(path);
}

static void test_bad_files(void **state)
{
	char err[256];
	struct session r;

	(void)state;
	assert_int_equal(session_load("/nonexistent/x", &r, err, sizeof(err)), -ENOENT);
	expect_refused("", "empty file");
	expect_refused("garbage\n", "line 1: not JSON");
	expect_refused("[1]\n", "not an iofilter session");
	expect_refused("{\"rules\":[]}\n", "not an iofilter session");
	expect_refused("{\"iofilter\":1,\"rules\":[{\"text\":\"x\"}]}\n",
		       "rule 1: a field is missing");
	expect_refused("{\"iofilter\":1,\"rules\":[]}\n{\"ts_ns\":1}\n",
		       "line 2: not a iofilter refresh");
	/* a verdict naming a rule the header does not have */
	expect_refused("{\"iofilter\":1,\"rules\":[]}\n{\"ts_ns\":1,\"dev\":1,\"sector\":1,"
		       "\"nr_sectors\":1,\"pid\":1,\"tgid\":1,\"uid\":0,\"cgroup\":0,"
		       "\"comm\":\"x\",\"denied\":true,\"rule\":0,\"tier\":\"kill\","
		       "\"op\":\"write\"}\n", "line 2: not a iofilter refresh");
	expect_refused("{\"iofilter\":1,\"rules\":[]}\n{\"counts\":[[1,2,3]]}\n",
		       "line 2: not a iofilter refresh");
	expect_refused("{\"iofilter\":1,\"rules\":[]}\n[1]\n", "line 2: not a iofilter refresh");
	expect_refused("{\"iofilter\":1,\"rules\":[]}\n\n", "line 2: not JSON");
}

/* A run killed before its first verdict leaves the header alone: it
 * loads, a session that saw nothing. */
static void test_header_only(void **state)
{
	char path[512], err[256] = "";
	struct session r;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s", test_path("header.jsonl"));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"iofilter\":1,\"rules\":[{\"text\":\"dev=/dev/loop0\",\"disk\":\"loop0\","
	      "\"dev\":7340032,\"start\":0,\"end\":33,\"ops\":2,\"action\":\"deny\","
	      "\"tiers\":\"kill\",\"tier_mask\":8,\"why\":\"\"}]}\n", f);
	fclose(f);
	if (session_load(path, &r, err, sizeof(err)))
		fail_msg("header alone refused: %s", err);
	assert_int_equal(r.nr_rules, 1);
	assert_string_equal(r.rules[0].dev_name, "loop0");
	assert_int_equal(r.rules[0].r.action, IOF_DENY);
	assert_int_equal(r.events, 0);
	assert_null(session_event(&r, 0));
	session_free(&r);
	unlink(path);
}

static void expect_line(const char *text, const char *line)
{
	const char *p = text;
	size_t n = strlen(line);

	while ((p = strstr(p, line)))
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		else
			p++;
	fail_msg("no line '%s' in:\n%s", line, text);
}

static void test_metrics(void **state)
{
	struct session_disk disk = { .name = "loop0", .ios = { 4, 9 }, .bytes = { 2048, 36864 } };
	struct metrics *m = metrics_new();
	struct session s;
	struct iof_event e;
	char *text;

	(void)state;
	assert_non_null(m);
	assert_int_equal(session_init(&s, rules, 2), 0);
	s.active_tiers = 1 << IOF_TIER_KILL | 1 << IOF_TIER_AUDIT;
	s.counts[0 * IOF_NR_TIERS + IOF_TIER_KILL] = (struct iof_count){ 5, 5, 40 };
	s.counts[0 * IOF_NR_TIERS + IOF_TIER_DEVICE] = (struct iof_count){ 2, 2, 0 };
	s.counts[1 * IOF_NR_TIERS + IOF_TIER_AUDIT] = (struct iof_count){ 3, 0, 24 };
	/* inactive tiers that counted something show too */
	s.counts[1 * IOF_NR_TIERS + IOF_TIER_LSM] = (struct iof_count){ 1, 0, 8 };
	s.drops = 2;
	/* 12 names refused, "p0" most, then by name; one not printable */
	for (uint32_t i = 0; i < 12; i++) {
		for (uint32_t k = 0; k < (i == 0 ? 3 : 1); k++) {
			e = ev(100 + i, 0, true, 300 + i);
			snprintf(e.comm, sizeof(e.comm), i == 11 ? "x\xff\ny" : "p%u", i);
			session_add_event(&s, &e);
		}
	}
	metrics_begin(m);
	session_metrics(&s, &disk, 1, m);
	assert_int_equal(metrics_end(m), 0);
	text = metrics_render(m, false, NULL);
	assert_non_null(text);
	expect_line(text, "kscope_iofilter_rule_info{rule=\"1\",action=\"deny\",device=\"loop0\","
		    "tiers=\"kill\",text=\"dev=/dev/loop0 sectors=0-33\"} 1");
	expect_line(text, "kscope_iofilter_tier_active{tier=\"kill\"} 1");
	expect_line(text, "kscope_iofilter_tier_active{tier=\"bio\"} 0");
#define DENY1	"{rule=\"1\",action=\"deny\",tier="
#define AUDIT2	"{rule=\"2\",action=\"audit\",tier="
	expect_line(text, "kscope_iofilter_ios_matched_total" DENY1 "\"kill\"} 5");
	expect_line(text, "kscope_iofilter_ios_denied_total" DENY1 "\"kill\"} 5");
	expect_line(text, "kscope_iofilter_matched_bytes_total" DENY1 "\"kill\"} 20480");
	expect_line(text, "kscope_iofilter_ios_matched_total" DENY1 "\"device\"} 2");
	expect_line(text, "kscope_iofilter_ios_matched_total" AUDIT2 "\"audit\"} 3");
	expect_line(text, "kscope_iofilter_ios_matched_total" AUDIT2 "\"lsm\"} 1");
	expect_line(text, "kscope_iofilter_ios_matched_total" AUDIT2 "\"kill\"} 0");
	expect_line(text, "kscope_iofilter_verdicts_total 14");
	expect_line(text, "kscope_iofilter_ringbuf_drops_total 2");
	expect_line(text, "kscope_iofilter_processes_refused 12");
	expect_line(text, "kscope_iofilter_comm_ios_denied_total{comm=\"p0\"} 3");
	expect_line(text, "kscope_iofilter_device_bytes_total{device=\"loop0\",op=\"write\"} "
		    "36864");
	expect_line(text, "kscope_iofilter_device_ios_total{device=\"loop0\",op=\"read\"} 4");
	/* tiers that neither run nor counted, the audit tier's refusals and
	 * the device tier's bytes are not series */
	assert_null(strstr(text, DENY1 "\"bio\""));
	assert_null(strstr(text, "kscope_iofilter_ios_denied_total" AUDIT2 "\"audit\"}"));
	assert_null(strstr(text, "kscope_iofilter_matched_bytes_total" DENY1 "\"device\"}"));
	/* at most 10 names: p0, then by name p1, p10, p2 .. p8; p9 and
	 * "x??y" (1 each) left out */
	{
		size_t n = 0;

		for (const char *p = text; (p = strstr(p, "kscope_iofilter_comm_ios_denied_total{"));
		     p++)
			n++;
		assert_int_equal(n, SESSION_METRICS_COMMS);
	}
	expect_line(text, "kscope_iofilter_comm_ios_denied_total{comm=\"p1\"} 1");
	assert_null(strstr(text, "comm=\"p9\""));
	free(text);

	/* a label value stays printable ASCII whatever a process calls
	 * itself, and names that read the same are one series */
	s.procs[0].denied = 100;
	snprintf(s.procs[0].comm, sizeof(s.procs[0].comm), "x\x80\ty");
	metrics_begin(m);
	session_metrics(&s, NULL, 0, m);
	assert_int_equal(metrics_end(m), 0);
	text = metrics_render(m, false, NULL);
	expect_line(text, "kscope_iofilter_comm_ios_denied_total{comm=\"x??y\"} 101");
	assert_null(strstr(text, "kscope_iofilter_device_ios_total{"));
	free(text);
	metrics_free(m);
	session_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_and_procs),
		cmocka_unit_test(test_tiers_text),
		cmocka_unit_test(test_file_round_trip),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_header_only),
		cmocka_unit_test(test_metrics),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
