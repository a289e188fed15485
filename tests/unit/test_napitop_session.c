// SPDX-License-Identifier: GPL-2.0
/*
 * A napitop session from synthetic snapshots: rates over the interval,
 * work per poll, budget exhaustion, where the polls ran, the CPUs list,
 * the kthread's share of a CPU, softirq time (NET_RX's where timed) and
 * runs, softnet deltas, --dev; and the session file written and read back
 * to the same figures; the refresh's Prometheus metrics.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TMPDIR_NAME "napitop-session"
#include "tmpdir.h"

#include "../../src/napitop/session.h"
#include "metrics.h"

#define NCPU 4

/* At @sec seconds: instance 77 on vb has polled @polls times on CPUs 1
 * and 2 (half each), 8 packets a poll, a quarter of polls full, from its
 * kthread 500 which ran @kt_ms ms; and the backlog on CPU 0, whose NET_RX
 * took 10% of it, 100 runs a second, all softirqs 20%. */
static struct nt_snapshot snap(double sec, uint64_t polls, uint64_t kt_ms)
{
	struct nt_snapshot s = { .time_ns = sec * 1e9, .ncpu = NCPU };

	s.napis = calloc(2, sizeof(*s.napis));
	s.threads = calloc(1, sizeof(*s.threads));
	s.cpus = calloc(NCPU, sizeof(*s.cpus));
	assert_non_null(s.napis);
	assert_non_null(s.threads);
	assert_non_null(s.cpus);
	s.napis[0].key.napi_id = 77;
	s.napis[0].cpu = calloc(NCPU, sizeof(struct nt_stat));
	s.napis[1].cpu = calloc(NCPU, sizeof(struct nt_stat));	/* the backlog: key 0 */
	assert_non_null(s.napis[0].cpu);
	assert_non_null(s.napis[1].cpu);
	for (int c = 1; c <= 2; c++) {
		struct nt_stat *st = &s.napis[0].cpu[c];

		st->polls = polls / 2;
		st->packets = 8 * polls / 2;
		st->full = polls / 8;
		st->hist[4] = polls / 2;		/* 8-15 */
		st->modes[NT_MODE_THREADED] = polls / 2;
		st->thread_pid = 500;
		st->weight = 64;
		st->ifindex = 3;
		st->netns = 4026531840u;
		st->last_tick = c;
		strcpy(st->dev, "vb");
	}
	s.napis[1].cpu[0].polls = 10 * sec;
	s.napis[1].cpu[0].packets = 10 * sec;
	s.napis[1].cpu[0].hist[1] = 10 * sec;
	s.nr_napis = 2;
	s.threads[0] = (struct nt_thread_row){ .pid = 500, .t = { .run_ns = kt_ms * 1000000,
								.switches = 9, .comm = "napi/vb-77" } };
	s.nr_threads = 1;
	s.cpus[0].netrx_ns = sec * 1e8;		/* 10% of CPU 0 */
	s.cpus[0].netrx_count = 100 * sec;
	s.cpus[0].softirq_ns = sec * 2e8;
	return s;
}

/* The same, NET_RX not timed (no --netrx-time) and CPU 3 offline: the
 * kernel's files had no figures for it. */
static struct nt_snapshot snap_untimed(double sec, uint64_t polls)
{
	struct nt_snapshot s = snap(sec, polls, 0);

	for (int c = 0; c < NCPU; c++)
		s.cpus[c].netrx_ns = NT_UNKNOWN;
	s.cpus[3].netrx_count = s.cpus[3].softirq_ns = NT_UNKNOWN;
	return s;
}

static void test_rates(void **state)
{
	struct nt_session s;
	struct nt_snapshot a = snap(1, 1000, 100), b = snap(3, 5000, 500);
	struct softnet_cpu sn[NCPU] = { { .cpu = 0, .time_squeeze = 5, .dropped = 1 } };
	char buf[64];
	struct nt_instance *vb;

	(void)state;
	assert_int_equal(nt_session_init(&s, NCPU, "tp_btf"), 0);
	nt_session_update(&s, &a, sn, 1);
	assert_true(isnan(nt_rate(&s, 1)));	/* no interval yet */
	sn[0].time_squeeze = 12;
	nt_session_update(&s, &b, sn, 1);
	assert_int_equal(s.nr_inst, 2);
	vb = &s.inst[0];
	assert_string_equal(vb->dev, "vb");
	assert_string_equal(s.inst[1].dev, "backlog");
	assert_int_equal(vb->ifindex, 3);
	assert_int_equal(vb->total.polls, 5000);
	assert_float_equal(nt_rate(&s, vb->last.polls), 2000, 1e-6);	/* 4000 in 2 s */
	assert_float_equal(nt_rate(&s, vb->last.packets), 16000, 1e-6);
	assert_float_equal(nt_per_poll(&vb->last), 8, 1e-9);
	assert_float_equal(nt_full_share(&vb->last), 0.25, 1e-9);
	assert_int_equal(nt_main_mode(vb), NT_MODE_THREADED);
	assert_string_equal(nt_mode_name(nt_main_mode(vb)), "threaded");
	assert_string_equal(nt_cpu_list(&s, vb, buf, sizeof(buf)), "1-2");
	assert_string_equal(nt_cpu_list(&s, &s.inst[1], buf, sizeof(buf)), "0");
	assert_int_equal(vb->thread_pid, 500);
	assert_float_equal(vb->kthread_cpu, 0.2, 1e-9);		/* 400 ms in 2 s */
	assert_true(nt_netrx_timed(&s));
	assert_float_equal(s.cpu[0].netrx_share, 0.1, 1e-9);
	assert_float_equal(s.cpu[0].softirq_share, 0.2, 1e-9);
	assert_float_equal(s.cpu[0].netrx_rate, 100, 1e-9);
	assert_float_equal(s.cpu[1].softirq_share, 0, 1e-9);
	assert_int_equal(s.cpu[0].squeeze_last, 7);
	/* the history: nothing for the first refresh, the rates for the second */
	assert_int_equal(s.hist_len, 2);
	assert_true(isnan(vb->polls_hist[0]));
	assert_float_equal(vb->polls_hist[1], 2000, 1e-3);
	nt_session_free(&s);
}

static void test_gone_and_dev(void **state)
{
	struct nt_session s;
	struct nt_snapshot a = snap(1, 1000, 0), b = snap(2, 1000, 0);
	struct nt_dev here = { "vb", 3, 4026531840u }, other = { "vb", 3, 1 }, any = { "vb", 0, 0 };

	(void)state;
	assert_int_equal(nt_session_init(&s, NCPU, "raw_tp"), 0);
	nt_session_update(&s, &a, NULL, 0);
	/* vb's instance went: kept, with no rate */
	nt_snapshot_free(&b);
	b = snap(2, 1000, 0);
	free(b.napis[0].cpu);
	b.napis[0] = b.napis[1];
	b.nr_napis = 1;
	nt_session_update(&s, &b, NULL, 0);
	assert_int_equal(s.nr_inst, 2);
	assert_false(s.inst[0].present);
	assert_int_equal(s.inst[0].last.polls, 0);
	assert_int_equal(s.inst[0].total.polls, 1000);
	/* --dev: by name in this namespace, by name only in a replay */
	assert_true(nt_instance_matches(&s.inst[0], &here, 1));
	assert_false(nt_instance_matches(&s.inst[0], &other, 1));
	assert_true(nt_instance_matches(&s.inst[0], &any, 1));
	assert_false(nt_instance_matches(&s.inst[1], &any, 1));
	assert_true(nt_instance_matches(&s.inst[1], NULL, 0));
	nt_session_free(&s);
}

/* The metrics of a refresh: one line each, as exported. */
static void test_metrics(void **state)
{
	static const char *const want[] = {
		"kscope_napitop_polls_total{device=\"vb\",napi_id=\"77\",netns=\"4026531840\"} 5000\n",
		"kscope_napitop_packets_total{device=\"vb\",napi_id=\"77\",netns=\"4026531840\"} 40000\n",
		"kscope_napitop_budget_exhausted_total{device=\"vb\",napi_id=\"77\",netns=\"4026531840\"} 1250\n",
		"kscope_napitop_polls_by_context_total{device=\"vb\",napi_id=\"77\",netns=\"4026531840\",context=\"threaded\"} 5000\n",
		"kscope_napitop_polls_by_context_total{device=\"vb\",napi_id=\"77\",netns=\"4026531840\",context=\"softirq\"} 0\n",
		"kscope_napitop_kthread_cpu_seconds_total{device=\"vb\",napi_id=\"77\",netns=\"4026531840\"} 0.5\n",
		"kscope_napitop_budget{device=\"vb\",napi_id=\"77\",netns=\"4026531840\"} 64\n",
		"kscope_napitop_polls_total{device=\"backlog\",napi_id=\"0\",netns=\"0\"} 30\n",
		"kscope_napitop_netrx_softirq_seconds_total{cpu=\"0\"} 0.3\n",
		"kscope_napitop_softnet_time_squeeze_total{cpu=\"0\"} 12\n",
		"kscope_napitop_thread_cpu_seconds_total{comm=\"napi/vb-77\"} 0.5\n",
		"kscope_napitop_lost_entries_total{map=\"napis\"} 0\n",
	};
	struct nt_snapshot a = snap(1, 1000, 100), b = snap(3, 5000, 500);
	struct softnet_cpu sn[NCPU] = { { .cpu = 0, .time_squeeze = 12 } };
	struct nt_dev backlog = { "backlog", 0, 0 };
	struct metrics *m = metrics_new();
	struct nt_session s;
	char *text;

	(void)state;
	assert_non_null(m);
	assert_int_equal(nt_session_init(&s, NCPU, "tp_btf"), 0);
	nt_session_update(&s, &a, sn, 1);
	nt_session_update(&s, &b, sn, 1);
	metrics_begin(m);
	nt_session_metrics(m, &s, NULL, 0);
	assert_int_equal(metrics_end(m), 0);
	text = metrics_render(m, false, NULL);
	assert_non_null(text);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(text, want[i]))
			fail_msg("missing: %s", want[i]);
	free(text);
	/* --dev: only those instances */
	metrics_begin(m);
	nt_session_metrics(m, &s, &backlog, 1);
	assert_int_equal(metrics_end(m), 0);
	text = metrics_render(m, false, NULL);
	assert_non_null(strstr(text, "device=\"backlog\""));
	assert_null(strstr(text, "device=\"vb\""));
	free(text);
	metrics_free(m);
	nt_session_free(&s);
}

/* A configuration change marks the counters then (the view's before and
 * after); the queue counters give a rate over the interval. */
static void test_config_change(void **state)
{
	struct nt_snapshot a = snap(1, 1000, 100), b = snap(2, 3000, 300), c = snap(3, 6000, 400);
	struct nt_napi_info info;
	struct nt_session s;

	(void)state;
	assert_int_equal(nt_session_init(&s, NCPU, "tp_btf"), 0);
	nt_session_update(&s, &a, NULL, 0);
	nt_napi_info_init(&info);
	info.conf.defer_hard_irqs = 0;
	info.qstats[NETDEV_QSTAT_RX_PACKETS] = 100;
	nt_session_set_info(&s, 77, &info, false);
	assert_int_equal(s.inst[0].conf_change_ns, 0);	/* the first word is no change */
	assert_true(isnan(s.inst[0].rxq_rate));
	nt_session_update(&s, &b, NULL, 0);
	info.qstats[NETDEV_QSTAT_RX_PACKETS] = 600;
	nt_session_set_info(&s, 77, &info, false);
	assert_int_equal(s.inst[0].conf_change_ns, 0);	/* the same configuration */
	assert_float_equal(s.inst[0].rxq_rate, 500, 1e-9);	/* 500 in 1 s */
	nt_session_update(&s, &c, NULL, 0);
	info.conf.defer_hard_irqs = 2;
	nt_session_set_info(&s, 77, &info, false);
	assert_int_equal(s.inst[0].conf_change_ns, 3000000000ull);
	assert_int_equal(s.inst[0].at_change.polls, 6000);
	assert_float_equal(s.inst[0].rxq_rate, 0, 1e-9);
	nt_session_free(&s);
}

/* Not timed: NET_RX's time is no figure anywhere (no share, no series, no
 * JSON key, none after a replay); an offline CPU's counts neither. */
static void test_untimed(void **state)
{
	struct nt_snapshot a = snap_untimed(1, 1000), b = snap_untimed(3, 5000);
	struct metrics *m = metrics_new();
	struct nt_session s, r;
	char err[256], *text;
	FILE *f;

	(void)state;
	assert_non_null(m);
	assert_int_equal(nt_session_init(&s, NCPU, "tp_btf"), 0);
	snprintf(s.softirq_time, sizeof(s.softirq_time), "ticks");
	f = fopen(test_path("untimed"), "w");
	assert_non_null(f);
	nt_session_write_header(f, &s);
	nt_session_update(&s, &a, NULL, 0);
	nt_session_update(&s, &b, NULL, 0);
	nt_session_json(f, &s, NULL, 0);
	fclose(f);
	assert_false(nt_netrx_timed(&s));
	assert_true(isnan(s.cpu[0].netrx_share));
	assert_float_equal(s.cpu[0].softirq_share, 0.2, 1e-9);
	assert_float_equal(s.cpu[0].netrx_rate, 100, 1e-9);
	assert_true(isnan(s.cpu[3].softirq_share));
	assert_true(isnan(s.cpu[3].netrx_rate));

	metrics_begin(m);
	nt_session_metrics(m, &s, NULL, 0);
	assert_int_equal(metrics_end(m), 0);
	text = metrics_render(m, false, NULL);
	assert_non_null(text);
	assert_null(strstr(text, "netrx_softirq_seconds"));
	assert_non_null(strstr(text, "kscope_napitop_softirq_seconds_total{cpu=\"0\"} 0.6\n"));
	assert_non_null(strstr(text, "kscope_napitop_netrx_softirqs_total{cpu=\"0\"} 300\n"));
	assert_null(strstr(text, "kscope_napitop_softirq_seconds_total{cpu=\"3\"}"));
	free(text);
	metrics_free(m);

	assert_int_equal(nt_session_load(test_path("untimed"), &r, err, sizeof(err)), 0);
	assert_string_equal(r.softirq_time, "ticks");
	assert_false(nt_netrx_timed(&r));
	assert_int_equal(r.cpu[0].softirq_ns, 600000000);
	assert_int_equal(r.cpu[0].netrx_count, 300);
	assert_true(r.cpu[3].softirq_ns == NT_UNKNOWN);
	nt_session_free(&r);
	nt_session_free(&s);
}

static void test_file_round_trip(void **state)
{
	struct nt_session s, r;
	struct nt_snapshot a = snap(1, 1000, 100), b = snap(2, 3000, 300);
	char err[256];
	FILE *f;

	(void)state;
	assert_int_equal(nt_session_init(&s, NCPU, "tp_btf"), 0);
	f = fopen(test_path("rec"), "w");
	assert_non_null(f);
	nt_session_write_header(f, &s);
	nt_session_update(&s, &a, NULL, 0);
	nt_session_json(f, &s, NULL, 0);
	nt_session_update(&s, &b, NULL, 0);
	/* the netdev family's word on 77; the backlog (id 0) has none */
	{
		struct nt_napi_info info;

		nt_napi_info_init(&info);
		info.irq = 33;
		info.kthread_pid = 501;
		info.conf.defer_hard_irqs = 2;
		info.conf.gro_flush_timeout_ns = 200000;
		info.conf.threaded = 1;
		snprintf(info.queues, sizeof(info.queues), "rx0 tx0");
		/* the driver's counts at the start, then later: since the start */
		info.qstats[NETDEV_QSTAT_RX_PACKETS] = 100;
		info.qstats[NETDEV_QSTAT_NR - 1] = 0;
		nt_session_set_info(&s, 77, &info, false);
		info.qstats[NETDEV_QSTAT_RX_PACKETS] = 12445;
		info.qstats[NETDEV_QSTAT_NR - 1] = 6;
		nt_session_set_info(&s, 77, &info, false);
		info.irq = 34;
		nt_session_set_info(&s, 0, &info, false);
	}
	nt_session_json(f, &s, NULL, 0);
	fclose(f);

	assert_int_equal(nt_session_load(test_path("rec"), &r, err, sizeof(err)), 0);
	assert_int_equal(r.ncpu, NCPU);
	assert_string_equal(r.kind, "tp_btf");
	assert_int_equal(r.nr_inst, 2);
	assert_string_equal(r.inst[0].dev, "vb");
	assert_int_equal(r.inst[0].key.napi_id, 77);
	assert_int_equal(r.inst[0].ifindex, 3);
	assert_memory_equal(&r.inst[0].total.hist, &s.inst[0].total.hist, sizeof(s.inst[0].total.hist));
	assert_memory_equal(&r.inst[0].total.modes, &s.inst[0].total.modes,
			    sizeof(s.inst[0].total.modes));
	assert_int_equal(r.inst[0].total.packets, s.inst[0].total.packets);
	assert_memory_equal(r.inst[0].cpu_polls, s.inst[0].cpu_polls, NCPU * sizeof(uint64_t));
	assert_float_equal(nt_rate(&r, r.inst[0].last.polls), nt_rate(&s, s.inst[0].last.polls),
			   1e-6);
	assert_float_equal(r.inst[0].kthread_cpu, s.inst[0].kthread_cpu, 1e-9);
	assert_int_equal(r.cpu[0].netrx_ns, s.cpu[0].netrx_ns);
	assert_int_equal(r.inst[0].info.irq, 33);
	assert_int_equal(r.inst[0].info.kthread_pid, 501);
	assert_int_equal(nt_kthread_pid(&r.inst[0]), 501);	/* napi-get's over the poller's */
	assert_int_equal(r.inst[0].info.conf.defer_hard_irqs, 2);
	assert_int_equal(r.inst[0].info.conf.gro_flush_timeout_ns, 200000);
	assert_int_equal(r.inst[0].info.conf.irq_suspend_timeout_ns, -1);
	assert_int_equal(r.inst[0].info.conf.threaded, 1);
	assert_false(r.inst[0].info.conf_device);
	assert_string_equal(r.inst[0].info.queues, "rx0 tx0");
	assert_int_equal(r.inst[0].info.qstats[NETDEV_QSTAT_RX_PACKETS], 12345);
	assert_int_equal(r.inst[0].info.qstats[NETDEV_QSTAT_NR - 1], 6);
	assert_true(r.inst[0].info.qstats[NETDEV_QSTAT_RX_BYTES] == UINT64_MAX);
	assert_int_equal(r.inst[1].info.irq, -1);
	assert_int_equal(r.inst[1].info.kthread_pid, 0);
	nt_session_free(&r);
	nt_session_free(&s);

	/* names that are null or not strings: read as absent, not followed */
	{
		FILE *f = fopen(test_path("rec"), "r");
		char text[8192], *p;
		size_t n;
		const char *swaps[][2] = {
			{ "\"from\":\"napi\"", "\"from\":null  " },
			{ "\"queues\":\"rx0 tx0\"", "\"queues\":null     " },
			{ "\"kind\":\"tp_btf\"", "\"kind\":7       " },
			{ "\"dev\":\"vb\"", "\"dev\":null" },
		};

		assert_non_null(f);
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		assert_true(n > 0 && n < sizeof(text) - 1);
		text[n] = '\0';
		for (size_t i = 0; i < sizeof(swaps) / sizeof(swaps[0]); i++) {
			assert_non_null(p = strstr(text, swaps[i][0]));
			memcpy(p, swaps[i][1], strlen(swaps[i][1]));
		}
		test_put("rec-null", text);
		assert_int_equal(nt_session_load(test_path("rec-null"), &r, err, sizeof(err)), 0);
		assert_string_equal(r.kind, "");
		assert_string_equal(r.inst[0].info.queues, "");
		assert_false(r.inst[0].info.conf_device);
		nt_session_free(&r);
	}
}

static void bad(const char *text, const char *why)
{
	FILE *f = fopen(test_path("bad"), "w");
	struct nt_session r;
	char err[256] = "";

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_true(nt_session_load(test_path("bad"), &r, err, sizeof(err)) < 0);
	if (!strstr(err, why))
		fail_msg("'%s': '%s' does not say '%s'", text, err, why);
}

static void test_bad_files(void **state)
{
	struct nt_session r;
	char err[256];

	(void)state;
	bad("", "empty file");
	bad("[1]\n", "not a napitop session file");
	bad("{\"napitop\":1,\"ncpu\":0}\n", "not a napitop session file");
	bad("{\"napitop\":1,\"ncpu\":2}\n", "no refresh recorded");
	bad("{\"napitop\":1,\"ncpu\":2}\n{\"time_ns\":5}\n", "line 2: not a napitop refresh");
	bad("{\"napitop\":1,\"ncpu\":2}\n{\"time_ns\":5,\"napis\":[{\"napi_id\":1}],"
	    "\"threads\":[],\"cpus\":[]}\n", "line 2: not a napitop refresh");
	bad("{\"napitop\":1,\"ncpu\":2}\nnope\n", "line 2: not JSON");
	assert_int_equal(nt_session_load(test_path("none"), &r, err, sizeof(err)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_gone_and_dev),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_config_change),
		cmocka_unit_test(test_untimed),
		cmocka_unit_test(test_file_round_trip),
		cmocka_unit_test(test_bad_files),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
