// SPDX-License-Identifier: GPL-2.0
/*
 * coretop's session file (-o, --replay): JSON lines, a header (mode,
 * grouping, the cores), then each refresh as ct_session_json() prints it;
 * its header written, and the whole file read back into a session.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "jsonline.h"
#include "session.h"

void ct_session_write_header(FILE *out, const struct ct_session *s)
{
	struct json_object *o = json_object_new_object(), *cores = json_object_new_array();

	json_put_u64(o, "coretop", 1);
	json_object_object_add(o, "mode", json_object_new_string(s->measured ? "measured"
									      : "what-if"));
	json_object_object_add(o, "group_by", json_object_new_string(
		ct_session_group_by_name(s->by)));
	json_object_object_add(o, "declared", json_object_new_boolean(s->topo.declared));
	for (unsigned int c = 0; c < s->topo.nr_cores; c++) {
		struct json_object *cpus = json_object_new_array();

		for (unsigned int i = 0; i < s->topo.cores[c].nr; i++)
			json_object_array_add(cpus, json_object_new_int(s->topo.cores[c].cpu[i]));
		json_object_array_add(cores, cpus);
	}
	json_object_object_add(o, "cores", cores);
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static int load_header(struct json_object *h, struct ct_session *s, char *err, size_t errlen)
{
	struct json_object *f, *cores = json_get_array(h, "cores");
	struct topo topo = {};
	const char *mode, *by;
	uint64_t version;
	int by_i = -1, ret;

	if (!json_get_u64(h, "coretop", &version) || version != 1 || !cores) {
		errmsg(err, errlen, "not a coretop session file (no header)");
		return -EINVAL;
	}
	mode = json_get_string(h, "mode");
	by = json_get_string(h, "group_by");
	for (int i = 0; i <= CT_BY_LIST; i++)
		if (by && !strcmp(by, ct_session_group_by_name(i)))
			by_i = i;
	topo.nr_cores = json_object_array_length(cores);
	if (by_i < 0 || !mode || (strcmp(mode, "measured") && strcmp(mode, "what-if")) ||
	    !topo.nr_cores || topo.nr_cores > CT_MAX_CPUS) {
		errmsg(err, errlen, "bad header (mode, group_by or cores)");
		return -EINVAL;
	}
	topo.cores = calloc(topo.nr_cores, sizeof(*topo.cores));
	if (!topo.cores)
		return -ENOMEM;
	topo.declared = json_object_object_get_ex(h, "declared", &f) && json_object_get_boolean(f);
	for (unsigned int c = 0; c < topo.nr_cores; c++) {
		struct json_object *cpus = json_object_array_get_idx(cores, c);
		size_t n = json_object_is_type(cpus, json_type_array) ?
			   json_object_array_length(cpus) : 0;

		if (n < 2 || n > CT_MAX_SMT) {
			topo_free(&topo);
			errmsg(err, errlen, "bad header: core %u has %zu CPUs", c, n);
			return -EINVAL;
		}
		topo.cores[c].nr = n;
		for (size_t i = 0; i < n; i++)
			topo.cores[c].cpu[i] = json_object_get_int(json_object_array_get_idx(cpus, i));
	}
	ret = ct_session_init(s, !strcmp(mode, "measured"), by_i, &topo);
	topo_free(&topo);
	return ret;
}



static int load_cores(struct json_object *line, struct ct_session *s, struct ct_snapshot *snap)
{
	struct json_object *cores = json_get_array(line, "cores");

	if (!cores || json_object_array_length(cores) != s->topo.nr_cores)
		return -EINVAL;
	for (unsigned int c = 0; c < s->topo.nr_cores; c++) {
		struct json_object *co = json_object_array_get_idx(cores, c);
		struct json_object *sibs = json_get_array(co, "siblings");
		struct ct_core *k = &snap->cores[c];

		k->nr = s->topo.cores[c].nr;
		if (!json_get_fields(co, k, core_fields, JSON_FIELDS(core_fields)) || !sibs ||
		    json_object_array_length(sibs) != k->nr)
			return -EINVAL;
		for (unsigned int i = 0; i < k->nr; i++) {
			struct json_object *so = json_object_array_get_idx(sibs, i);
			uint64_t pid = 0, group = 0;
			const char *state;

			if (!json_get_fields(so, &k->sib[i], sib_fields, JSON_FIELDS(sib_fields)) ||
			    !json_get_u64(so, "pid", &pid) || !json_get_u64(so, "group", &group) ||
			    !(state = json_get_string(so, "state")))
				return -EINVAL;
			k->slot[i].pid = pid;
			k->slot[i].group = group;
			k->slot[i].state = !strcmp(state, "run") ? CT_RUN :
					   !strcmp(state, "forced") ? CT_FORCED : CT_IDLE;
		}
	}
	return 0;
}

static int load_line(struct json_object *line, struct ct_session *s)
{
	struct ct_snapshot snap = {};
	struct json_object *a, *f, *lost;
	const char *name;
	int ret = -EINVAL;

	snap.nr_cores = s->topo.nr_cores;
	snap.cores = calloc(snap.nr_cores, sizeof(*snap.cores));
	if (!snap.cores)
		return -ENOMEM;
	if (!json_get_u64(line, "time_ns", &snap.time_ns) || load_cores(line, s, &snap))
		goto out;
	a = json_get_array(line, "pairs");
	snap.nr_pairs = a ? json_object_array_length(a) : 0;
	snap.pairs = calloc(snap.nr_pairs + 1, sizeof(*snap.pairs));
	for (size_t i = 0; snap.pairs && i < snap.nr_pairs; i++) {
		if (!json_get_fields(json_object_array_get_idx(a, i), &snap.pairs[i], pair_fields,
				JSON_FIELDS(pair_fields)))
			goto out;
	}
	a = json_get_array(line, "tasks");
	snap.nr_tasks = a ? json_object_array_length(a) : 0;
	snap.tasks = calloc(snap.nr_tasks + 1, sizeof(*snap.tasks));
	if (!snap.pairs || !snap.tasks) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < snap.nr_tasks; i++) {
		struct json_object *t = json_object_array_get_idx(a, i);
		struct ct_task_row *r = &snap.tasks[i];
		uint64_t pid, tgid = 0;

		if (!json_get_u64(t, "pid", &pid) || !json_get_fields(t, &r->t, task_fields,
							   JSON_FIELDS(task_fields)))
			goto out;
		r->pid = pid;
		json_get_u64(t, "tgid", &tgid);
		r->t.tgid = tgid;
		if ((name = json_get_string(t, "comm")))
			snprintf(r->t.comm, sizeof(r->t.comm), "%s", name);
		if (json_object_object_get_ex(t, "exited", &f))
			r->exited = json_object_get_boolean(f);
	}
	if (json_object_object_get_ex(line, "lost", &lost)) {
		json_get_u64(lost, "tasks", &snap.lost_tasks);
		json_get_u64(lost, "pairs", &snap.lost_pairs);
		json_get_u64(lost, "cookies", &snap.lost_cookies);
	}
	a = json_get_array(line, "groups");
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *g = json_object_array_get_idx(a, i);
		uint64_t id;

		if (json_get_u64(g, "group", &id) && (name = json_get_string(g, "name")))
			ct_session_name_group(s, id, name);
	}
	s->kernel_fi_s = json_object_object_get_ex(line, "kernel_forced_idle_s", &f) ?
			 json_object_get_double(f) : NAN;
	ct_session_update(s, &snap);
	ret = 0;
out:
	ct_snapshot_free(&snap);
	return ret;
}

/* jsonl_read's callbacks */
static int read_header(struct json_object *o, void *s, char *err, size_t errlen)
{
	return load_header(o, s, err, errlen);
}

static int read_refresh(struct json_object *o, void *s)
{
	return load_line(o, s);
}

int ct_session_load(const char *path, struct ct_session *s, char *err, size_t errlen)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = jsonl_read(path, "coretop", read_header, read_refresh, s, err, errlen);
	if (ret)
		ct_session_free(s);
	return ret;
}
