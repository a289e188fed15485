/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a coretop session knows, live or replayed: the topology, the latest
 * snapshot and the one before (for the rates of the last interval), a
 * history of each sibling's interval (the lanes), tasks merged across
 * their exits, groups with names, pairs.  Pure C, no I/O (model.c); its
 * outputs and the session file are in session.h.
 */
#ifndef KSCOPE_CORETOP_MODEL_H
#define KSCOPE_CORETOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

#define CT_SESSION_HISTORY	512	/* intervals kept for the lanes */
#define CT_SESSION_NAME	64

struct ct_session_task {
	uint32_t pid, tgid;
	char comm[16];
	uint64_t group;
	bool exited;
	struct ct_task base;		/* earlier tasks with this pid */
	struct ct_task last;		/* the latest read of this one */
	double kernel_fi_s;		/* /proc/PID/sched core_forceidle_sum; NaN: unknown */
};

/* What a lane's samples saw between two refreshes. */
#define CT_SESSION_TALLY	4
struct ct_session_tally {
	uint64_t group;
	uint32_t state;
	uint32_t count;
};

struct ct_session_group {
	uint64_t id;
	char name[CT_SESSION_NAME];
	char key;			/* its letter in the lanes */
	uint64_t conflict_ns, caused_ns, suffered_ns;	/* over its tasks */
};

struct ct_session {
	bool measured;
	enum ct_group_by by;
	struct topo topo;
	uint64_t start_ns;		/* first snapshot */
	struct ct_snapshot cur, prev;	/* prev.time_ns 0: none yet */
	unsigned int refreshes;

	unsigned int nr_sibs;		/* lanes: sibling-major, core order */
	float *lane_heat;		/* [CT_SESSION_HISTORY][nr_sibs]; NaN: no data */
	char *lane_mark;		/* the letter of the group that ran most */
	unsigned int hist_len, hist_next;
	struct ct_session_tally *tally;	/* [nr_sibs][CT_SESSION_TALLY]: samples since */
	struct ct_slot *now;		/* [nr_sibs]: the latest sample (pid 0, state
					 * CT_IDLE: none yet) */

	struct ct_session_task *tasks;
	size_t nr_tasks;
	struct ct_session_group *groups;
	size_t nr_groups;

	/* the kernel's own forced-idle accounting (schedstats), NaN: none */
	double kernel_fi_s;
};

int ct_session_init(struct ct_session *s, bool measured, enum ct_group_by by,
		 const struct topo *topo);
void ct_session_free(struct ct_session *s);

/* Takes @snap (and frees it on its own time). */
void ct_session_update(struct ct_session *s, struct ct_snapshot *snap);

/*
 * What each sibling runs now (@cores: the cores map as read), sampled
 * between refreshes: a lane's letter is the group seen most.  Samples of
 * the task @self (the sampler itself, which is running when it reads)
 * are left out.
 */
void ct_session_sample(struct ct_session *s, const struct ct_core *cores, uint32_t self);

/* A group's name ("pid 12 (burn)", "uid 0 (root)", "cookie 3"); set by
 * the live driver, which can ask /proc, or from a recording. */
void ct_session_name_group(struct ct_session *s, uint64_t id, const char *name);
const char *ct_session_group_name(const struct ct_session *s, uint64_t id, char *buf, size_t len);
struct ct_session_group *ct_session_group(struct ct_session *s, uint64_t id);

/* Figures of the last interval, fractions 0..1 (NaN before the second
 * snapshot): per core, per sibling (index into the lanes), overall. */
double ct_session_core_busy(const struct ct_session *s, unsigned int core);
double ct_session_core_conflict(const struct ct_session *s, unsigned int core);
double ct_session_core_forced(const struct ct_session *s, unsigned int core);
double ct_session_core_mismatch_rate(const struct ct_session *s, unsigned int core);
double ct_session_sib_run(const struct ct_session *s, unsigned int core, unsigned int sib);
/* What-if: the share of the tasks' CPU time that core scheduling would
 * have idled (conflict time over sibling run time); measured: the share
 * of sibling time forced idle.  Over the whole session. */
double ct_session_cost(const struct ct_session *s);

uint64_t ct_session_task_total(const struct ct_session_task *t, size_t field);
#define CT_SESSION_CONFLICT	offsetof(struct ct_task, conflict_ns)
#define CT_SESSION_CAUSED		offsetof(struct ct_task, caused_ns)
#define CT_SESSION_SUFFERED	offsetof(struct ct_task, suffered_ns)
#define CT_SESSION_MISMATCHES	offsetof(struct ct_task, mismatches)

const char *ct_session_group_by_name(enum ct_group_by by);

#endif
