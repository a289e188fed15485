// SPDX-License-Identifier: GPL-2.0
/*
 * iofilter's session: verdicts kept and counted, the processes refused,
 * the text and JSON lines, and the session file written and read back
 * (-o, --replay), damaged files refused with a reason.
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
	expect_refused("garbage\n", "line 1: not a JSON object");
	expect_refused("{\"rules\":[]}\n", "not an iofilter session");
	expect_refused("{\"iofilter\":1,\"rules\":[{\"text\":\"x\"}]}\n",
		       "rule 1: a field is missing");
	expect_refused("{\"iofilter\":1,\"rules\":[]}\n{\"ts_ns\":1}\n", "line 2: bad verdict");
	/* a verdict naming a rule the header does not have */
	expect_refused("{\"iofilter\":1,\"rules\":[]}\n{\"ts_ns\":1,\"dev\":1,\"sector\":1,"
		       "\"nr_sectors\":1,\"pid\":1,\"tgid\":1,\"uid\":0,\"cgroup\":0,"
		       "\"comm\":\"x\",\"denied\":true,\"rule\":0,\"tier\":\"kill\","
		       "\"op\":\"write\"}\n", "line 2: bad verdict");
	expect_refused("{\"iofilter\":1,\"rules\":[]}\n{\"counts\":[[1,2,3]]}\n",
		       "line 2: bad counts");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_and_procs),
		cmocka_unit_test(test_tiers_text),
		cmocka_unit_test(test_file_round_trip),
		cmocka_unit_test(test_bad_files),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
