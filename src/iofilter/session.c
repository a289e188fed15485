// SPDX-License-Identifier: GPL-2.0
/*
 * iofilter's session state and its file (JSON lines, read back with
 * json-c): see session.h.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "session.h"

#define LINE_MAX_BYTES	(1 << 16)

static const char *const tier_names[IOF_NR_TIERS] = {
	[IOF_TIER_BIO] = "bio", [IOF_TIER_LSM] = "lsm", [IOF_TIER_DEVICE] = "device",
	[IOF_TIER_KILL] = "kill", [IOF_TIER_AUDIT] = "audit",
};

static const char *const op_names[] = { "read", "write", "discard", "zeroout", "other" };

const char *session_tier_name(uint32_t tier)
{
	return tier < IOF_NR_TIERS ? tier_names[tier] : "?";
}

const char *session_tiers_text(uint32_t mask, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (uint32_t t = 0; t < IOF_NR_TIERS && n < len; t++)
		if (mask & (1u << t))
			n += snprintf(buf + n, len - n, "%s%s", n ? "," : "", tier_names[t]);
	if (!buf[0])
		snprintf(buf, len, "none");
	return buf;
}

const char *session_action_name(uint32_t action)
{
	return action == IOF_DENY ? "deny" : action == IOF_AUDIT ? "audit" : "allow";
}

static const char *op_name(uint32_t op)
{
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (op == 1u << i)
			return op_names[i];
	return "?";
}

int session_init(struct session *s, const struct session_rule *rules, size_t nr)
{
	*s = (struct session){};
	s->rules = calloc(nr ? nr : 1, sizeof(*s->rules));
	s->counts = calloc((nr ? nr : 1) * IOF_NR_TIERS, sizeof(*s->counts));
	if (!s->rules || !s->counts) {
		session_free(s);
		return -ENOMEM;
	}
	if (nr)
		memcpy(s->rules, rules, nr * sizeof(*rules));
	s->nr_rules = nr;
	return 0;
}

void session_free(struct session *s)
{
	free(s->rules);
	free(s->counts);
	*s = (struct session){};
}

void session_add_event(struct session *s, const struct iof_event *e)
{
	struct session_proc *p = NULL;

	if (!s->events && !s->start_ns)
		s->start_ns = e->ts;
	s->log[s->log_next++ % SESSION_LOG] = *e;
	s->events++;
	if (!e->denied)
		return;
	for (size_t i = 0; i < s->nr_procs; i++)
		if (s->procs[i].tgid == e->tgid)
			p = &s->procs[i];
	if (!p && s->nr_procs < SESSION_PROCS) {
		p = &s->procs[s->nr_procs++];
		*p = (struct session_proc){ .tgid = e->tgid };
	}
	if (p) {
		memcpy(p->comm, e->comm, sizeof(p->comm));
		p->comm[sizeof(p->comm) - 1] = 0;
		p->denied++;
		p->last_tier = e->tier;
	}
}

const struct iof_event *session_event(const struct session *s, size_t i)
{
	size_t kept = s->events < SESSION_LOG ? s->events : SESSION_LOG;

	if (i >= kept)
		return NULL;
	return &s->log[(s->log_next - 1 - i) % SESSION_LOG];
}

void session_rule_totals(const struct session *s, size_t rule, uint64_t *hits,
			 uint64_t *denied)
{
	*hits = *denied = 0;
	for (uint32_t t = 0; t < IOF_NR_TIERS; t++) {
		/* a bio that a tier refused was counted there; audit counts every
		 * bio it sees, so the hits are its, or the enforcing tiers' */
		*denied += s->counts[rule * IOF_NR_TIERS + t].denied;
		if (s->counts[rule * IOF_NR_TIERS + t].hits > *hits)
			*hits = s->counts[rule * IOF_NR_TIERS + t].hits;
	}
}

static const char *disk_name(const struct session *s, const struct iof_event *e)
{
	if (e->rule < s->nr_rules)
		return s->rules[e->rule].dev_name;
	return "";
}

void session_event_text(const struct session *s, const struct iof_event *e,
			char *buf, size_t len)
{
	char comm[17];

	memcpy(comm, e->comm, 16);
	comm[16] = 0;
	snprintf(buf, len, "%9.3fs %-5s %-6s rule %-2d %s (%u:%u) sector %llu+%u %-7s "
		 "pid %u (%s)%s",
		 s->start_ns && e->ts >= s->start_ns ? (e->ts - s->start_ns) / 1e9 : 0.0,
		 e->denied ? "DENY" : "AUDIT", session_tier_name(e->tier),
		 e->rule == IOF_NO_RULE ? 0 : (int)e->rule + 1, disk_name(s, e),
		 e->dev >> 20, e->dev & 0xfffff, (unsigned long long)e->sector, e->nr_sectors,
		 op_name(e->op), e->tgid, comm,
		 e->tier == IOF_TIER_AUDIT && e->op != IOF_OP_READ ?
		 " (writeback is charged to whoever flushed)" : "");
}

void session_event_json(FILE *out, const struct session *s, const struct iof_event *e)
{
	struct json_object *o = json_object_new_object();
	char comm[17];

	memcpy(comm, e->comm, 16);
	comm[16] = 0;
	json_object_object_add(o, "ts_ns", json_object_new_uint64(e->ts));
	json_object_object_add(o, "dev", json_object_new_uint64(e->dev));
	json_object_object_add(o, "disk", json_object_new_string(disk_name(s, e)));
	json_object_object_add(o, "sector", json_object_new_uint64(e->sector));
	json_object_object_add(o, "nr_sectors", json_object_new_uint64(e->nr_sectors));
	json_object_object_add(o, "op", json_object_new_string(op_name(e->op)));
	json_object_object_add(o, "rule", json_object_new_int64(e->rule == IOF_NO_RULE ?
								 -1 : (int64_t)e->rule));
	json_object_object_add(o, "action", json_object_new_string(session_action_name(e->action)));
	json_object_object_add(o, "tier", json_object_new_string(session_tier_name(e->tier)));
	json_object_object_add(o, "denied", json_object_new_boolean(e->denied));
	json_object_object_add(o, "pid", json_object_new_uint64(e->pid));
	json_object_object_add(o, "tgid", json_object_new_uint64(e->tgid));
	json_object_object_add(o, "uid", json_object_new_uint64(e->uid));
	json_object_object_add(o, "cgroup", json_object_new_uint64(e->cgroup));
	json_object_object_add(o, "comm", json_object_new_string(comm));
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	fflush(out);
}

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

static int get_u64(struct json_object *o, const char *key, uint64_t *v)
{
	struct json_object *m;

	if (!json_object_object_get_ex(o, key, &m) || !json_object_is_type(m, json_type_int))
		return -EINVAL;
	*v = json_object_get_uint64(m);
	return 0;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *m;

	if (!json_object_object_get_ex(o, key, &m) || !json_object_is_type(m, json_type_string))
		return NULL;
	return json_object_get_string(m);
}

static uint32_t name_index(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; name && i < n; i++)
		if (names[i] && !strcmp(name, names[i]))
			return i;
	return UINT32_MAX;
}

static int load_header(struct json_object *o, struct session *s, char *err, size_t errlen)
{
	struct json_object *rules;
	struct session_rule *r;
	size_t n;
	int ret;

	if (!json_object_object_get_ex(o, "iofilter", NULL) ||
	    !json_object_object_get_ex(o, "rules", &rules) ||
	    !json_object_is_type(rules, json_type_array)) {
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

		if (!text || !disk || !action || get_u64(j, "dev", &dev) ||
		    get_u64(j, "start", &start) || get_u64(j, "end", &end) ||
		    get_u64(j, "ops", &ops) || get_u64(j, "tier_mask", &mask)) {
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

	if (get_u64(o, "ts_ns", &v[0]) || get_u64(o, "dev", &v[1]) ||
	    get_u64(o, "sector", &v[2]) || get_u64(o, "nr_sectors", &v[3]) ||
	    get_u64(o, "pid", &v[4]) || get_u64(o, "tgid", &v[5]) ||
	    get_u64(o, "uid", &v[6]) || get_u64(o, "cgroup", &v[7]) || !comm ||
	    !json_object_object_get_ex(o, "denied", &denied) ||
	    !json_object_object_get_ex(o, "rule", &rule) ||
	    !json_object_is_type(rule, json_type_int))
		return -EINVAL;
	ri = json_object_get_int64(rule);
	op = name_index(get_str(o, "op"), op_names, sizeof(op_names) / sizeof(op_names[0]));
	tier = name_index(get_str(o, "tier"), tier_names, IOF_NR_TIERS);
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
	struct json_object *counts;
	uint64_t drops = 0;

	if (!json_object_object_get_ex(o, "counts", &counts) ||
	    !json_object_is_type(counts, json_type_array) ||
	    json_object_array_length(counts) != s->nr_rules * IOF_NR_TIERS)
		return -EINVAL;
	for (size_t i = 0; i < s->nr_rules * IOF_NR_TIERS; i++) {
		struct json_object *c = json_object_array_get_idx(counts, i);

		if (!json_object_is_type(c, json_type_array) || json_object_array_length(c) != 3)
			return -EINVAL;
		s->counts[i].hits = json_object_get_uint64(json_object_array_get_idx(c, 0));
		s->counts[i].denied = json_object_get_uint64(json_object_array_get_idx(c, 1));
		s->counts[i].sectors = json_object_get_uint64(json_object_array_get_idx(c, 2));
	}
	get_u64(o, "drops", &drops);
	s->drops = drops;
	return 0;
}

int session_load(const char *path, struct session *s, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int ret = 0;
	bool header = false;

	*s = (struct session){};
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s", strerror(-ret));
		return ret;
	}
	while (!ret && (len = getline(&line, &cap, f)) > 0) {
		struct json_object *o;

		lineno++;
		if (len > LINE_MAX_BYTES) {
			snprintf(err, errlen, "line %zu: longer than %d bytes", lineno,
				 LINE_MAX_BYTES);
			ret = -EINVAL;
			break;
		}
		o = json_tokener_parse(line);
		if (!o || !json_object_is_type(o, json_type_object)) {
			snprintf(err, errlen, "line %zu: not a JSON object", lineno);
			json_object_put(o);
			ret = -EINVAL;
			break;
		}
		if (!header) {
			ret = load_header(o, s, err, errlen);
			header = !ret;
		} else if (json_object_object_get_ex(o, "counts", NULL)) {
			ret = load_counts(o, s);
			if (ret)
				snprintf(err, errlen, "line %zu: bad counts", lineno);
		} else {
			ret = load_event(o, s);
			if (ret)
				snprintf(err, errlen, "line %zu: bad verdict", lineno);
		}
		json_object_put(o);
	}
	if (!ret && ferror(f)) {
		ret = -EIO;
		snprintf(err, errlen, "read error");
	}
	if (!ret && !header) {
		ret = -EINVAL;
		snprintf(err, errlen, "empty file");
	}
	free(line);
	fclose(f);
	if (ret)
		session_free(s);
	return ret;
}

/* ---- Prometheus --------------------------------------------------------- */

/*
 * A rule's series at a tier: every tier that runs (its zeros say "seen
 * nothing"), and any other that counted something.
 */
static bool rule_tier_shown(const struct session *s, size_t rule, uint32_t tier)
{
	const struct iof_count *c = &s->counts[rule * IOF_NR_TIERS + tier];

	return (s->active_tiers & (1u << tier)) || c->hits || c->denied || c->sectors;
}

/* What one (rule, tier) series carries: hits, denied, or bytes. */
enum rule_figure { FIG_MATCHED, FIG_DENIED, FIG_BYTES };

static void rule_family(const struct session *s, struct metrics *m, const char *name,
			const char *help, enum rule_figure fig)
{
	char rule[24];

	metrics_family(m, name, METRIC_COUNTER, help);
	for (size_t i = 0; i < s->nr_rules; i++) {
		snprintf(rule, sizeof(rule), "%zu", i + 1);
		for (uint32_t t = 0; t < IOF_NR_TIERS; t++) {
			const struct iof_count *c = &s->counts[i * IOF_NR_TIERS + t];

			/* a device-tier hit is an open: it has no bytes; the
			 * audit tier refuses nothing */
			if (!rule_tier_shown(s, i, t) ||
			    (fig == FIG_BYTES && t == IOF_TIER_DEVICE) ||
			    (fig == FIG_DENIED && t == IOF_TIER_AUDIT))
				continue;
			metrics_sample(m, fig == FIG_MATCHED ? (double)c->hits :
				       fig == FIG_DENIED ? (double)c->denied :
				       (double)c->sectors * 512,
				       "rule", rule,
				       "action", session_action_name(s->rules[i].r.action),
				       "tier", session_tier_name(t), NULL);
		}
	}
}

/*
 * @in as a label value: a process names itself with any bytes, and a
 * label value that is not UTF-8 makes the whole scrape fail; printable
 * ASCII is kept, anything else becomes '?'.
 */
static const char *label_text(const char *in, size_t max, char *buf, size_t len)
{
	size_t n = 0;

	for (; n < max && in[n] && n + 1 < len; n++)
		buf[n] = in[n] >= 0x20 && in[n] < 0x7f ? in[n] : '?';
	buf[n] = '\0';
	return buf;
}

struct comm_total {
	char comm[16];
	uint64_t denied;
};

static int comm_total_cmp(const void *a, const void *b)
{
	const struct comm_total *x = a, *y = b;

	if (x->denied != y->denied)
		return x->denied < y->denied ? 1 : -1;
	return strcmp(x->comm, y->comm);
}

/* Refusals per process name, most first, of the processes kept. */
static size_t comm_totals(const struct session *s, struct comm_total *out)
{
	size_t n = 0, j;

	for (size_t i = 0; i < s->nr_procs; i++) {
		char comm[sizeof(out->comm)];

		label_text(s->procs[i].comm, sizeof(s->procs[i].comm), comm, sizeof(comm));
		for (j = 0; j < n; j++)
			if (!strcmp(out[j].comm, comm))
				break;
		if (j == n) {
			memcpy(out[n].comm, comm, sizeof(out[n].comm));
			out[n++].denied = 0;
		}
		out[j].denied += s->procs[i].denied;
	}
	qsort(out, n, sizeof(*out), comm_total_cmp);
	return n;
}

void session_metrics(const struct session *s, const struct session_disk *disks,
		     size_t nr_disks, struct metrics *m)
{
	static const char *const op_label[2] = { "read", "write" };
	struct comm_total comms[SESSION_PROCS];
	char rule[24], tiers[64], text[sizeof(s->rules->text)];
	size_t nr_comms;

	metrics_family(m, "kscope_iofilter_rule_info", METRIC_GAUGE,
		       "A rule (numbered as on the start-up line): its action, disk, "
		       "enforcing tiers and text; always 1");
	for (size_t i = 0; i < s->nr_rules; i++) {
		const struct session_rule *r = &s->rules[i];

		snprintf(rule, sizeof(rule), "%zu", i + 1);
		metrics_sample(m, 1, "rule", rule, "action", session_action_name(r->r.action),
			       "device", r->dev_name,
			       "tiers", session_tiers_text(r->r.tiers, tiers, sizeof(tiers)),
			       "text", label_text(r->text, sizeof(r->text), text, sizeof(text)),
			       NULL);
	}
	metrics_family(m, "kscope_iofilter_tier_active", METRIC_GAUGE,
		       "1 when the tier's programs run, 0 when not");
	for (uint32_t t = 0; t < IOF_NR_TIERS; t++)
		metrics_sample(m, s->active_tiers & (1u << t) ? 1 : 0,
			       "tier", session_tier_name(t), NULL);
	rule_family(s, m, "kscope_iofilter_ios_matched",
		    "IOs the rule decided at the tier: bios (bio, audit), write calls "
		    "(lsm, kill), write opens (device)", FIG_MATCHED);
	rule_family(s, m, "kscope_iofilter_ios_denied",
		    "IOs the rule refused at the tier", FIG_DENIED);
	rule_family(s, m, "kscope_iofilter_matched_bytes",
		    "Bytes of the IOs the rule decided at the tier (0 for an IO of unknown "
		    "size)", FIG_BYTES);
	metrics_family(m, "kscope_iofilter_verdicts", METRIC_COUNTER,
		       "Verdicts received from the kernel (one --json line each)");
	metrics_sample(m, (double)s->events, NULL);
	metrics_family(m, "kscope_iofilter_ringbuf_drops", METRIC_COUNTER,
		       "Verdicts lost: the ring buffer had no room (the counts still have them)");
	metrics_sample(m, (double)s->drops, NULL);
	metrics_family(m, "kscope_iofilter_processes_refused", METRIC_GAUGE,
		       "Processes refused at least once (counted up to 64)");
	metrics_sample(m, (double)s->nr_procs, NULL);
	nr_comms = comm_totals(s, comms);
	metrics_family(m, "kscope_iofilter_comm_ios_denied", METRIC_COUNTER,
		       "Refusals by process name, the 10 names most refused (of the first "
		       "64 processes refused)");
	for (size_t i = 0; i < nr_comms && i < SESSION_METRICS_COMMS; i++)
		metrics_sample(m, (double)comms[i].denied, "comm", comms[i].comm, NULL);
	metrics_family(m, "kscope_iofilter_device_ios", METRIC_COUNTER,
		       "IOs a rule's disk completed since iofilter started (kernel block stats)");
	for (size_t i = 0; i < nr_disks; i++)
		for (int d = 0; d < 2; d++)
			metrics_sample(m, (double)disks[i].ios[d], "device", disks[i].name,
				       "op", op_label[d], NULL);
	metrics_family(m, "kscope_iofilter_device_bytes", METRIC_COUNTER,
		       "Bytes a rule's disk read or wrote since iofilter started (kernel "
		       "block stats)");
	for (size_t i = 0; i < nr_disks; i++)
		for (int d = 0; d < 2; d++)
			metrics_sample(m, (double)disks[i].bytes[d], "device", disks[i].name,
				       "op", op_label[d], NULL);
}
