/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every fuzz target checks on top of "no crash, no leak, no
 * undefined behaviour" (the sanitizers' part): a load either fails with a
 * one-line reason and leaves the recording empty, or gives a recording
 * that keeps the promises record.h makes (times in order, regions sorted,
 * non-empty and non-overlapping, within the limits).  A broken promise
 * aborts, which libFuzzer reports as a crash with the input.
 */
#ifndef KSCOPE_FUZZ_H
#define KSCOPE_FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

#define fuzz_assert(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: broken: %s\n", __FILE__,	\
			__LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

static inline void fuzz_check_load(int ret, const struct recording *rec,
			    const char *err)
{
	uint64_t total = 0;
	size_t i, j;

	if (ret) {
		fuzz_assert(ret < 0);
		/* one line, said */
		fuzz_assert(err[0] && !strchr(err, '\n'));
		fuzz_assert(!rec->nr_snaps && !rec->snaps && !rec->maps &&
			    !rec->region_store && !rec->nr_maps);
		return;
	}
	fuzz_assert(memchr(rec->hdr.tool, 0, sizeof(rec->hdr.tool)));
	fuzz_assert(memchr(rec->hdr.source, 0, sizeof(rec->hdr.source)));
	fuzz_assert(memchr(rec->hdr.target, 0, sizeof(rec->hdr.target)));
	fuzz_assert(rec->nr_snaps <= RECORD_MAX_SNAPSHOTS);
	fuzz_assert(!rec->nr_snaps || rec->snaps);
	for (i = 0; i < rec->nr_snaps; i++) {
		const struct snapshot *s = &rec->snaps[i];

		fuzz_assert(!i || s->time_ns >= s[-1].time_ns);
		fuzz_assert(s->nr_regions <= RECORD_MAX_REGIONS);
		fuzz_assert(!s->nr_regions || s->regions);
		for (j = 0; j < s->nr_regions; j++) {
			const struct region *r = &s->regions[j];

			fuzz_assert(r->start < r->end);
			fuzz_assert(!j || r->start >= r[-1].end);
		}
		total += s->nr_regions;
	}
	fuzz_assert(total <= RECORD_MAX_TOTAL_REGIONS);
	fuzz_assert(rec->nr_maps <= RECORD_MAX_MAPPINGS);
	for (i = 0; i < rec->nr_maps; i++) {
		const struct mapping *m = &rec->maps[i];

		fuzz_assert(m->start < m->end);
		fuzz_assert(!i || m->start >= m[-1].end);
		fuzz_assert(memchr(m->name, 0, sizeof(m->name)));
	}
}

#endif
