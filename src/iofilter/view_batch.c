// SPDX-License-Identifier: GPL-2.0
/*
 * iofilter's batch views: one verdict as a text line (--batch, --log, the
 * live table's last line) or as a JSON object line (--json, and the
 * session file's verdict lines, read back by sessionfile.c); a refresh's
 * counts as a text line (--batch).
 */
#include <json-c/json.h>
#include <string.h>

#include "session.h"

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
		 session_op_name(e->op), e->tgid, comm,
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
	json_object_object_add(o, "op", json_object_new_string(session_op_name(e->op)));
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

void session_counts_text(FILE *out, const struct session *s, uint64_t now_ns)
{
	uint64_t hits, denied;

	fprintf(out, "%.1fs counts:", (now_ns - s->start_ns) / 1e9);
	for (size_t i = 0; i < s->nr_rules; i++) {
		session_rule_totals(s, i, &hits, &denied);
		fprintf(out, " rule %zu matched %llu denied %llu;", i + 1,
			(unsigned long long)hits, (unsigned long long)denied);
	}
	fprintf(out, " drops %llu\n", (unsigned long long)s->drops);
}
