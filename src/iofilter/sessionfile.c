// SPDX-License-Identifier: GPL-2.0
/*
 * iofilter's session file (-o, --replay): JSON lines, written with json-c
 * and read back with jsonl_read.  A header with the rules, then one line
 * per verdict (session_event_json's, view_batch.c), the counts at the end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "jsonfields.h"
#include "session.h"

void session_write_header(FILE *out, const struct session *s)
{
	struct json_object *o = json_object_new_object(), *rules = json_object_new_array();
	char tiers[64];

	for (size_t i = 0; i < s->nr_rules; i++) {
		const struct session_rule *r = &s->rules[i];
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "text", json_object_new_string(r->text));
		json_object_object_add(j, "disk", json_object_new_string(r->dev_name));
		json_object_object_add(j, "dev", json_object_new_uint64(r->r.dev));
		json_object_object_add(j, "start", json_object_new_uint64(r->r.start));
		json_object_object_add(j, "end", json_object_new_uint64(r->r.end));
		json_object_object_add(j, "ops", json_object_new_uint64(r->r.ops));
		json_object_object_add(j, "action", json_object_new_string(
			session_action_name(r->r.action)));
		json_object_object_add(j, "tiers", json_object_new_string(
			session_tiers_text(r->r.tiers, tiers, sizeof(tiers))));
		json_object_object_add(j, "tier_mask", json_object_new_uint64(r->r.tiers));
		json_object_object_add(j, "why", json_object_new_string(r->why));
		json_object_array_add(rules, j);
	}
	json_object_object_add(o, "iofilter", json_object_new_int(1));
	json_object_object_add(o, "rules", rules);
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	fflush(out);
}

void session_write_counts(FILE *out, const struct session *s)
{
	struct json_object *o = json_object_new_object(), *counts = json_object_new_array();

	for (size_t i = 0; i < s->nr_rules * IOF_NR_TIERS; i++) {
		struct json_object *c = json_object_new_array();

		json_object_array_add(c, json_object_new_uint64(s->counts[i].hits));
		json_object_array_add(c, json_object_new_uint64(s->counts[i].denied));
		json_object_array_add(c, json_object_new_uint64(s->counts[i].sectors));
		json_object_array_add(counts, c);
	}
	json_object_object_add(o, "counts", counts);
	json_object_object_add(o, "drops", json_object_new_uint64(s->drops));
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	fflush(out);
}

/* ---- reading a session file back ---------------------------------------- */

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *m;

	if (!json_object_object_get_ex(o, key, &m) || !json_object_is_type(m, json_type_string))
		return NULL;
	return json_object_get_string(m);
}

/* jsonl_read's header callback: the rules, and the session made of them. */
static int load_header(struct json_object *o, void *ctx, char *err, size_t errlen)
{
	struct session *s = ctx;
	struct json_object *rules;
	struct session_rule *r;
	size_t n;
	int ret;

	if (!json_object_object_get_ex(o, "iofilter", NULL) ||
	    !(rules = json_get_array(o, "rules"))) {
		snprintf(err, errlen, "not an iofilter session (no header line)");
		return -EINVAL;
	}
	n = json_object_array_length(rules);
	if (n > IOF_MAX_RULES) {
		snprintf(err, errlen, "%zu rules, at most %d", n, IOF_MAX_RULES);
		return -EINVAL;
	}
	r = calloc(n ? n : 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *j = json_object_array_get_idx(rules, i);
		const char *text = get_str(j, "text"), *disk = get_str(j, "disk");
		const char *action = get_str(j, "action"), *why = get_str(j, "why");
		uint64_t dev, start, end, ops, mask;

		if (!text || !disk || !action || !json_get_u64(j, "dev", &dev) ||
		    !json_get_u64(j, "start", &start) || !json_get_u64(j, "end", &end) ||
		    !json_get_u64(j, "ops", &ops) || !json_get_u64(j, "tier_mask", &mask)) {
			free(r);
			snprintf(err, errlen, "rule %zu: a field is missing or of the wrong type",
				 i + 1);
			return -EINVAL;
		}
		snprintf(r[i].text, sizeof(r[i].text), "%s", text);
		snprintf(r[i].dev_name, sizeof(r[i].dev_name), "%s", disk);
		snprintf(r[i].why, sizeof(r[i].why), "%s", why ? why : "");
		r[i].r = (struct iof_rule){
			.dev = dev, .start = start, .end = end, .ops = ops, .tiers = mask,
			.action = !strcmp(action, "deny") ? IOF_DENY :
				  !strcmp(action, "audit") ? IOF_AUDIT : IOF_ALLOW,
		};
	}
	ret = session_init(s, r, n);
	free(r);
	return ret;
}

static int load_event(struct json_object *o, struct session *s)
{
	struct iof_event e;
	uint64_t v[8];
	uint32_t op, tier;
	const char *comm = get_str(o, "comm");
	struct json_object *denied, *rule;
	int64_t ri;

	if (!json_get_u64(o, "ts_ns", &v[0]) || !json_get_u64(o, "dev", &v[1]) ||
	    !json_get_u64(o, "sector", &v[2]) || !json_get_u64(o, "nr_sectors", &v[3]) ||
	    !json_get_u64(o, "pid", &v[4]) || !json_get_u64(o, "tgid", &v[5]) ||
	    !json_get_u64(o, "uid", &v[6]) || !json_get_u64(o, "cgroup", &v[7]) || !comm ||
	    !json_object_object_get_ex(o, "denied", &denied) ||
	    !json_object_object_get_ex(o, "rule", &rule) ||
	    !json_object_is_type(rule, json_type_int))
		return -EINVAL;
	ri = json_object_get_int64(rule);
	op = session_op_index(get_str(o, "op"));
	tier = session_tier_index(get_str(o, "tier"));
	if (ri < -1 || ri >= (int64_t)s->nr_rules || op == UINT32_MAX || tier == UINT32_MAX)
		return -EINVAL;
	e = (struct iof_event){
		.ts = v[0], .dev = v[1], .sector = v[2], .nr_sectors = v[3],
		.pid = v[4], .tgid = v[5], .uid = v[6], .cgroup = v[7],
		.rule = ri < 0 ? IOF_NO_RULE : (uint32_t)ri,
		.action = ri < 0 ? IOF_AUDIT : s->rules[ri].r.action,
		.denied = json_object_get_boolean(denied),
		.tier = tier, .op = 1u << op,
	};
	snprintf(e.comm, sizeof(e.comm), "%s", comm);
	session_add_event(s, &e);
	return 0;
}

static int load_counts(struct json_object *o, struct session *s)
{
	struct json_object *counts = json_get_array(o, "counts");
	uint64_t drops = 0;

	if (!counts || json_object_array_length(counts) != s->nr_rules * IOF_NR_TIERS)
		return -EINVAL;
	for (size_t i = 0; i < s->nr_rules * IOF_NR_TIERS; i++) {
		struct json_object *c = json_object_array_get_idx(counts, i);

		if (!json_object_is_type(c, json_type_array) || json_object_array_length(c) != 3)
			return -EINVAL;
		s->counts[i].hits = json_object_get_uint64(json_object_array_get_idx(c, 0));
		s->counts[i].denied = json_object_get_uint64(json_object_array_get_idx(c, 1));
		s->counts[i].sectors = json_object_get_uint64(json_object_array_get_idx(c, 2));
	}
	json_get_u64(o, "drops", &drops);
	s->drops = drops;
	return 0;
}

/* jsonl_read's callback for every line after the header. */
static int load_line(struct json_object *o, void *s)
{
	if (json_object_object_get_ex(o, "counts", NULL))
		return load_counts(o, s);
	return load_event(o, s);
}

int session_load(const char *path, struct session *s, char *err, size_t errlen)
{
	char why[256] = "";
	int ret;

	*s = (struct session){};
	ret = jsonl_read(path, "iofilter", load_header, load_line, s, why, sizeof(why));
	/* a run killed before its first verdict leaves its header alone: a
	 * session that saw nothing */
	if (ret == -ENODATA)
		ret = 0;
	if (ret) {
		errmsg(err, errlen, "%s", why);
		session_free(s);
	}
	return ret;
}
