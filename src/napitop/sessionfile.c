// SPDX-License-Identifier: GPL-2.0
/*
 * napitop's session file (-o, --replay): JSON lines, a header (ncpu, the
 * kind of hook), then each refresh as nt_session_json() prints it; its
 * header written, and the whole file read back into a session.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "jsonline.h"
#include "session.h"
#include "threaded.h"

void nt_session_write_header(FILE *out, const struct nt_session *s)
{
	struct json_object *o = json_object_new_object();

	json_put_u64(o, "napitop", 1);
	json_put_u64(o, "ncpu", s->ncpu);
	json_object_object_add(o, "kind", json_object_new_string(s->kind));
	json_object_object_add(o, "softirq_time", json_object_new_string(s->softirq_time));
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static bool get_u64s(struct json_object *o, const char *key, __u64 *v, size_t n)
{
	struct json_object *a = json_get_array(o, key);

	if (!a || json_object_array_length(a) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		if (!json_object_is_type(e, json_type_int))
			return false;
		v[i] = json_object_get_uint64(e);
	}
	return true;
}

/* One recorded instance back into a snapshot row: its per-CPU polls on
 * each CPU, the rest of its counters on the first of them. */
static int load_instance(struct json_object *o, unsigned int ncpu, struct nt_napi_row *r)
{
	struct json_object *cpus = json_get_array(o, "cpus");
	uint64_t id, ifindex, netns, pid = 0, state = 0, weight = 0;
	struct nt_stat total = {};
	const char *str;
	unsigned int first = 0;
	bool have = false;

	if (!json_get_u64(o, "napi_id", &id) || !json_get_u64(o, "ifindex", &ifindex) ||
	    !json_get_u64(o, "netns", &netns) || !cpus ||
	    !json_get_fields(o, &total, stat_fields, JSON_FIELDS(stat_fields)) ||
	    !get_u64s(o, "hist", total.hist, NT_HIST) ||
	    !get_u64s(o, "modes", total.modes, NT_NR_MODES))
		return -EINVAL;
	json_get_u64(o, "thread_pid", &pid);
	json_get_u64(o, "state", &state);
	json_get_u64(o, "weight", &weight);
	r->key = (struct nt_key){ .napi_id = id };
	if (!id) {
		r->key.ifindex = ifindex;
		r->key.netns = netns;
	}
	r->cpu = calloc(ncpu, sizeof(*r->cpu));
	if (!r->cpu)
		return -ENOMEM;
	for (size_t i = 0; i < json_object_array_length(cpus); i++) {
		struct json_object *c = json_object_array_get_idx(cpus, i);
		uint64_t cpu, polls;

		if (!json_get_u64(c, "cpu", &cpu) || !json_get_u64(c, "polls", &polls) ||
		    cpu >= ncpu)
			return -EINVAL;
		r->cpu[cpu].polls = polls;
		if (!have)
			first = cpu;
		have = true;
	}
	/* the other counters whole on one CPU: the sums come out the same */
	total.polls = r->cpu[first].polls;
	r->cpu[first] = total;
	r->cpu[first].thread_pid = pid;
	r->cpu[first].state = state;
	r->cpu[first].weight = weight;
	r->cpu[first].last_tick = 1;
	r->cpu[first].ifindex = ifindex;
	r->cpu[first].netns = netns;
	if ((str = json_get_string(o, "dev")))
		snprintf(r->cpu[first].dev, sizeof(r->cpu[first].dev), "%s", str);
	return 0;
}

/* What the netdev family said of a recorded instance (view_batch.c's
 * info_json), as far as the line has it. */
static void load_info(struct json_object *o, struct nt_napi_info *info)
{
	struct json_object *c, *q;
	enum threaded_mode mode;
	const char *str;
	uint64_t v;

	nt_napi_info_init(info);
	if (json_get_u64(o, "irq", &v) && v <= INT_MAX)
		info->irq = v;
	if (json_get_u64(o, "kthread_pid", &v) && v <= UINT32_MAX)
		info->kthread_pid = v;
	if (json_object_object_get_ex(o, "config", &c) && json_object_is_type(c, json_type_object)) {
		for (int a = 0; a < TUNE_NR; a++) {
			if (a == TUNE_THREADED) {
				if ((str = json_get_string(c, config_keys[a])) &&
				    !threaded_parse(str, &mode))
					info->conf.threaded = mode;
			} else if (json_get_u64(c, config_keys[a], &v) && v <= INT64_MAX) {
				tune_set(&info->conf, a, v);
			}
		}
		info->conf_device = (str = json_get_string(c, "from")) && !strcmp(str, "device");
	}
	if ((str = json_get_string(o, "queues")))
		snprintf(info->queues, sizeof(info->queues), "%s", str);
	if (json_object_object_get_ex(o, "qstats", &q) && json_object_is_type(q, json_type_object))
		for (int k = 0; k < NETDEV_QSTAT_NR; k++)
			json_get_u64(q, netdev_qstat_names[k], &info->qstats[k]);
}

static int load_line(struct json_object *line, struct nt_session *s)
{
	struct json_object *napis = json_get_array(line, "napis");
	struct json_object *threads = json_get_array(line, "threads");
	struct json_object *cpus = json_get_array(line, "cpus"), *lost;
	struct nt_snapshot snap = { .ncpu = s->ncpu };
	struct softnet_cpu *sn = NULL;
	int ret = -EINVAL;

	if (!napis || !threads || !cpus || !json_get_u64(line, "time_ns", &snap.time_ns))
		return -EINVAL;
	snap.cpus = calloc(s->ncpu, sizeof(*snap.cpus));
	snap.napis = calloc(json_object_array_length(napis) + 1, sizeof(*snap.napis));
	snap.threads = calloc(json_object_array_length(threads) + 1, sizeof(*snap.threads));
	sn = calloc(s->ncpu, sizeof(*sn));
	if (!snap.cpus || !snap.napis || !snap.threads || !sn) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(napis); i++) {
		ret = load_instance(json_object_array_get_idx(napis, i), s->ncpu,
				    &snap.napis[snap.nr_napis]);
		if (snap.napis[snap.nr_napis].cpu)
			snap.nr_napis++;
		if (ret)
			goto out;
	}
	ret = -EINVAL;
	for (size_t i = 0; i < json_object_array_length(threads); i++) {
		struct json_object *t = json_object_array_get_idx(threads, i);
		struct nt_thread_row *r = &snap.threads[snap.nr_threads++];
		uint64_t pid, run_ns, switches;
		const char *str;

		if (!json_get_u64(t, "pid", &pid) || !json_get_u64(t, "run_ns", &run_ns) ||
		    !json_get_u64(t, "switches", &switches))
			goto out;
		r->pid = pid;
		r->t.run_ns = run_ns;
		r->t.switches = switches;
		if ((str = json_get_string(t, "comm")))
			snprintf(r->t.comm, sizeof(r->t.comm), "%s", str);
	}
	for (size_t i = 0; i < json_object_array_length(cpus) && i < s->ncpu; i++) {
		struct json_object *c = json_object_array_get_idx(cpus, i);
		struct nt_cpu_counts *k = &snap.cpus[i];

		if (!json_get_u64(c, "processed", &sn[i].processed) ||
		    !json_get_u64(c, "dropped", &sn[i].dropped) ||
		    !json_get_u64(c, "time_squeeze", &sn[i].time_squeeze))
			goto out;
		/* absent where there was no figure */
		k->netrx_ns = k->netrx_count = k->softirq_ns = NT_UNKNOWN;
		json_get_u64(c, "netrx_ns", &k->netrx_ns);
		json_get_u64(c, "netrx_count", &k->netrx_count);
		json_get_u64(c, "softirq_ns", &k->softirq_ns);
		sn[i].cpu = i;
	}
	if (json_object_object_get_ex(line, "lost", &lost)) {
		json_get_u64(lost, "napis", &snap.lost_napis);
		json_get_u64(lost, "threads", &snap.lost_threads);
	}
	nt_session_update(s, &snap, sn, s->ncpu);
	for (size_t i = 0; i < json_object_array_length(napis); i++) {
		struct json_object *o = json_object_array_get_idx(napis, i);
		struct nt_napi_info info;
		uint64_t id = 0;

		json_get_u64(o, "napi_id", &id);
		load_info(o, &info);
		nt_session_set_info(s, id, &info, true);
	}
	ret = 0;
out:
	nt_snapshot_free(&snap);
	free(sn);
	return ret;
}

/* jsonl_read's callbacks */
static int read_header(struct json_object *o, void *ctx, char *err, size_t errlen)
{
	struct nt_session *s = ctx;
	uint64_t version, ncpu;
	const char *kind;

	if (!json_get_u64(o, "napitop", &version) || version != 1 ||
	    !json_get_u64(o, "ncpu", &ncpu) || !ncpu || ncpu > 65536) {
		errmsg(err, errlen, "not a napitop session file (no header)");
		return -EINVAL;
	}
	kind = json_get_string(o, "kind");
	if (nt_session_init(s, ncpu, kind ? kind : ""))
		return -ENOMEM;
	kind = json_get_string(o, "softirq_time");
	snprintf(s->softirq_time, sizeof(s->softirq_time), "%s", kind ? kind : "");
	return 0;
}

static int read_refresh(struct json_object *o, void *s)
{
	return load_line(o, s);
}

int nt_session_load(const char *path, struct nt_session *s, char *err, size_t errlen)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = jsonl_read(path, "napitop", read_header, read_refresh, s, err, errlen);
	if (ret)
		nt_session_free(s);
	return ret;
}
