/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a napitop session knows, live or replayed: every NAPI instance seen
 * (totals, the last interval's rates, where it polled, in which context,
 * its kthread's CPU time, a work-per-poll histogram and a short history),
 * softirq runs and time and softnet_stat per CPU.  Pure C, no I/O (model.c);
 * its outputs and the session file are in session.h.
 */
#ifndef KSCOPE_NAPITOP_MODEL_H
#define KSCOPE_NAPITOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netdev.h"
#include "softnet.h"
#include "trace.h"

#define NT_HISTORY	120	/* refreshes kept for the sparklines */

/* What the netdev family says of an instance (napi-get, queue-get,
 * qstats-get), where the kernel and the driver say it. */
struct nt_napi_info {
	int irq;			/* -1: unknown */
	uint32_t kthread_pid;		/* its napi/ kthread; 0: none or unknown */
	struct netdev_napi_conf conf;	/* -1: unknown */
	bool conf_device;		/* conf from the device's sysfs files */
	char queues[48];		/* "rx0 tx0"; "": none or unknown */
	uint64_t qstats[NETDEV_QSTAT_NR];	/* its queues' sums since the start
						 * (as every counter here);
						 * UINT64_MAX: not kept */
};

struct nt_instance {
	struct nt_key key;
	char dev[NT_IFNAMSIZ];		/* "backlog" for the per-CPU backlog */
	unsigned int ifindex, netns;	/* its device and network namespace */
	struct nt_stat total;		/* over all CPUs, since the start */
	struct nt_stat last;		/* the last interval */
	uint64_t *cpu_polls;		/* [ncpu]: since the start */
	uint64_t *cpu_last;		/* [ncpu]: the last interval */
	uint32_t thread_pid;		/* the kthread seen polling it (threaded) */
	uint64_t state;
	struct nt_napi_info info;
	double rxq_rate;		/* qstats' rx-packets a second, last interval */
	/* the configuration's last change in this session: when, and the
	 * counters then, so that a view can show its effect */
	uint64_t conf_change_ns;	/* 0: none seen */
	struct nt_stat at_change;
	double kthread_cpu;		/* share of a CPU its kthread took, last interval */
	uint64_t kthread_ns;		/* ... since the start */
	float polls_hist[NT_HISTORY], packets_hist[NT_HISTORY];	/* per second */
	bool present;			/* in the latest snapshot */
};

/* NT_UNKNOWN or NaN where there is no figure: netrx_ns when NET_RX is
 * not timed (--netrx-time), the kernel's counts of an offline CPU */
struct nt_cpu_figures {
	uint64_t netrx_ns, netrx_count;		/* since the start */
	uint64_t softirq_ns;			/* ... every vector's */
	double netrx_share, softirq_share;	/* of the CPU, last interval */
	double netrx_rate;			/* NET_RX runs a second, ... */
	struct softnet_cpu softnet;		/* as read */
	uint64_t squeeze_last, dropped_last;	/* last interval */
};

struct nt_session {
	unsigned int ncpu;
	uint64_t start_ns, time_ns, interval_ns;	/* interval_ns 0: one snapshot */
	unsigned int refreshes;
	unsigned int hist_next, hist_len;
	struct nt_instance *inst;
	size_t nr_inst;
	struct nt_cpu_figures *cpu;	/* [ncpu] */
	struct nt_thread_row *threads;	/* as last read */
	size_t nr_threads;
	uint64_t lost_napis, lost_threads;
	/* the driver's queue counts of each NAPI when first seen (at the
	 * start, for those there then), whether or not it has polled yet */
	struct nt_qstats_base {
		uint32_t napi_id;
		uint64_t v[NETDEV_QSTAT_NR];
	} *qbase;
	size_t nr_qbase;
	char kind[8];			/* tp_btf, raw_tp */
	char softirq_time[8];		/* exact, ticks; "": not said */
};

int nt_session_init(struct nt_session *s, unsigned int ncpu, const char *kind);
void nt_session_free(struct nt_session *s);

/* A refresh: @snap (taken, freed here) and softnet_stat (@sn, may be NULL). */
void nt_session_update(struct nt_session *s, struct nt_snapshot *snap,
		       const struct softnet_cpu *sn, size_t nr_sn);

/* The netdev family's word on the instance @napi_id (if shown), after the
 * refresh it goes with: the driver's queue counters as it reports them
 * (made counts since the start here), or already since the start
 * (@since_start: a replay's).  A changed configuration marks the
 * instance's counters, for the view's before and after. */
void nt_session_set_info(struct nt_session *s, uint32_t napi_id,
			 const struct nt_napi_info *info, bool since_start);
/* An nt_napi_info of nothing known. */
void nt_napi_info_init(struct nt_napi_info *info);

/* NET_RX's own time was measured (--netrx-time) */
bool nt_netrx_timed(const struct nt_session *s);

/* The pid to show for @in's kthread: napi-get's, else the one seen polling. */
uint32_t nt_kthread_pid(const struct nt_instance *in);

/* Figures of an instance over the last interval (NaN before there is one). */
double nt_rate(const struct nt_session *s, uint64_t count);
double nt_per_poll(const struct nt_stat *st);
double nt_full_share(const struct nt_stat *st);
/* Where its polls ran, the most in the last interval (else ever). */
enum nt_mode nt_main_mode(const struct nt_instance *in);
const char *nt_mode_name(enum nt_mode m);
/* "0,2-3": the CPUs it polled on in the last interval (else ever). */
const char *nt_cpu_list(const struct nt_session *s, const struct nt_instance *in, char *buf,
			size_t len);
/* "napi 8193", "backlog", "vb (no id)" */
const char *nt_instance_name(const struct nt_instance *in, char *buf, size_t len);

/* --dev: a device by name, and where known its ifindex and network
 * namespace (the one napitop runs in; 0: any, as in a replay). */
struct nt_dev {
	const char *name;
	unsigned int ifindex, netns;
};

/* An instance of one of @devs (none: all). */
bool nt_instance_matches(const struct nt_instance *in, const struct nt_dev *devs, size_t nr);

#endif
