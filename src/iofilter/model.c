// SPDX-License-Identifier: GPL-2.0
/*
 * iofilter's session model: the verdicts kept and counted, the processes
 * refused, and the names of tiers, actions and operations.  See model.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

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

const char *session_op_name(uint32_t op)
{
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (op == 1u << i)
			return op_names[i];
	return "?";
}

static uint32_t name_index(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; name && i < n; i++)
		if (names[i] && !strcmp(name, names[i]))
			return i;
	return UINT32_MAX;
}

uint32_t session_tier_index(const char *name)
{
	return name_index(name, tier_names, IOF_NR_TIERS);
}

uint32_t session_op_index(const char *name)
{
	return name_index(name, op_names, sizeof(op_names) / sizeof(op_names[0]));
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
