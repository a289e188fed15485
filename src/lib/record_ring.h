/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A flight recorder for record files (kscope record --ring): what a
 * record writer would be fed, kept in memory for the last span only, and
 * written on demand as one complete record of that span.  The mappings and
 * the note in force when the span begins are kept with it, so that the
 * record says what the oldest snapshot it holds was taken of.
 */
#ifndef KSCOPE_RECORD_RING_H
#define KSCOPE_RECORD_RING_H

#include <stddef.h>
#include <stdint.h>

#include "recording.h"
#include "snapshot.h"

struct record_ring;

/* A ring keeping the last @span_ns before the newest entry; NULL: no memory. */
struct record_ring *record_ring_new(uint64_t span_ns);
void record_ring_free(struct record_ring *r);

/* Keep a copy; 0 or -ENOMEM.  Entries come in time order. */
int record_ring_snapshot(struct record_ring *r, const struct snapshot *s);
int record_ring_mappings(struct record_ring *r, uint64_t time_ns, const struct mapping *m,
			 size_t n);
int record_ring_note(struct record_ring *r, uint64_t time_ns, const char *text);

/* What the ring holds, as one record with the header @h (its start moved
 * to where the oldest snapshot's aggregation began), written to @fd (not
 * closed): 0, or -errno. */
int record_ring_write(const struct record_ring *r, int fd, const struct record_header *h);

#endif
