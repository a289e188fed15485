// SPDX-License-Identifier: GPL-2.0
/*
 * The record flight recorder (record_ring.h): entries in arrival order,
 * the old ones dropped as new ones come, but for the newest mappings and
 * note of those, still in force.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grow.h"
#include "record.h"
#include "record_ring.h"

enum { SNAPSHOT, MAPPINGS, NOTE };

struct entry {
	int type;
	uint64_t time_ns;
	struct snapshot snap;		/* its regions owned */
	struct mapping *maps;
	size_t nr_maps;
	char *text;
};

struct record_ring {
	uint64_t span_ns;
	struct entry *e;
	size_t nr, alloc;
};

struct record_ring *record_ring_new(uint64_t span_ns)
{
	struct record_ring *r = calloc(1, sizeof(*r));

	if (r)
		r->span_ns = span_ns;
	return r;
}

static void entry_free(struct entry *e)
{
	free(e->snap.regions);
	free(e->maps);
	free(e->text);
}

void record_ring_free(struct record_ring *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nr; i++)
		entry_free(&r->e[i]);
	free(r->e);
	free(r);
}

/* Whether an entry of @i's type after it came before @cut: @i was no
 * longer in force when the span began */
static bool superseded(const struct record_ring *r, size_t i, uint64_t cut)
{
	for (size_t j = i + 1; j < r->nr && r->e[j].time_ns < cut; j++)
		if (r->e[j].type == r->e[i].type)
			return true;
	return false;
}

/* @e appended (owning what it points to), the entries before the span
 * dropped: 0, or -ENOMEM (@e freed) */
static int add(struct record_ring *r, struct entry *e)
{
	struct entry *grown = grow(r->e, &r->alloc, r->nr + 1, sizeof(*grown), 64);
	size_t kept = 0;

	if (!grown) {
		entry_free(e);
		return -ENOMEM;
	}
	r->e = grown;
	r->e[r->nr++] = *e;
	for (size_t i = 0; i < r->nr; i++) {
		uint64_t cut = e->time_ns > r->span_ns ? e->time_ns - r->span_ns : 0;
		bool old = r->e[i].time_ns < cut;

		if (old && (r->e[i].type == SNAPSHOT || superseded(r, i, cut)))
			entry_free(&r->e[i]);
		else
			r->e[kept++] = r->e[i];
	}
	r->nr = kept;
	return 0;
}

int record_ring_snapshot(struct record_ring *r, const struct snapshot *s)
{
	struct entry e = { .type = SNAPSHOT, .time_ns = s->time_ns, .snap = *s };
	size_t len = s->nr_regions * sizeof(*s->regions);

	e.snap.regions = malloc(len ? len : 1);
	if (!e.snap.regions)
		return -ENOMEM;
	if (len)
		memcpy(e.snap.regions, s->regions, len);
	return add(r, &e);
}

int record_ring_mappings(struct record_ring *r, uint64_t time_ns, const struct mapping *m,
			 size_t n)
{
	struct entry e = { .type = MAPPINGS, .time_ns = time_ns, .nr_maps = n };

	e.maps = malloc(n ? n * sizeof(*m) : 1);
	if (!e.maps)
		return -ENOMEM;
	if (n)
		memcpy(e.maps, m, n * sizeof(*m));
	return add(r, &e);
}

int record_ring_note(struct record_ring *r, uint64_t time_ns, const char *text)
{
	struct entry e = { .type = NOTE, .time_ns = time_ns, .text = strdup(text) };

	if (!e.text)
		return -ENOMEM;
	return add(r, &e);
}

int record_ring_write(const struct record_ring *r, int fd, const struct record_header *h)
{
	struct record_header head = *h;
	struct record_writer *w;
	int out = dup(fd), ret = 0;

	if (out < 0)
		return -errno;
	/* the record begins where its oldest snapshot's aggregation did */
	for (size_t i = 0; i < r->nr; i++) {
		const struct snapshot *s = &r->e[i].snap;

		if (r->e[i].type != SNAPSHOT)
			continue;
		if (s->time_ns - s->aggr_ns > head.start_mono_ns) {
			head.start_realtime_ns += s->time_ns - s->aggr_ns - head.start_mono_ns;
			head.start_mono_ns = s->time_ns - s->aggr_ns;
		}
		break;
	}
	w = record_create_fd(out, &head);
	if (!w)
		return -errno;
	for (size_t i = 0; i < r->nr && !ret; i++) {
		const struct entry *e = &r->e[i];
		/* what was in force before the span, from its start */
		uint64_t t = e->time_ns > head.start_mono_ns ? e->time_ns : head.start_mono_ns;

		ret = e->type == SNAPSHOT ? record_write_snapshot(w, &e->snap) :
		      e->type == MAPPINGS ? record_write_mappings(w, t, e->maps, e->nr_maps) :
					    record_write_note(w, t, e->text);
	}
	return record_close(w) ?: ret;
}
