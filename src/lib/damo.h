/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DAMON's user-space tool damo (3.3.0) and its record files: a loader of
 * damo's `json` and `json_compressed` records (the same JSON text, plain
 * or as one zlib stream) into a struct recording (recording.h), and a
 * streaming writer of `json_compressed` files that damo's own reports
 * read.  record.c routes to both, so a caller normally uses record_load()
 * and record_create_damo() rather than this header.
 *
 * The JSON is a list of per-target records, each with the context's
 * "intervals" (sample_us, aggr_us, ...) and its "snapshots"; a snapshot
 * has "start_time" and "end_time" (ns) and "regions" with "start", "end",
 * "nr_accesses" {"samples"} and "age" {"aggr_intervals"}.  damo writes
 * most numbers as strings, some with thousands separators
 * ("4,294,967,296"); both those and JSON integers are read.
 *
 * Loading keeps damo's meaning so that heatmaps computed from it match
 * damo's: a snapshot's time_ns is its end_time, its sample_ns and aggr_ns
 * are the record's intervals (a snapshot's own "sample_interval_us" when
 * not null), and the header's start_mono_ns is the first snapshot's
 * start_time.  A file with several per-target records gives the first
 * one that has snapshots (the first one if none has any); the header's
 * target names which one it was.  The text is read as a stream and never
 * held whole: what a load keeps is the chosen record's snapshots and
 * regions (24 bytes a region), bounded (DAMO_MAX_COST), so a small hostile
 * file (a zlib bomb) cannot make it take gigabytes.  Bad input is refused
 * with a one-line reason.
 *
 * The writer keeps what damo's format can hold: the intervals are the
 * first snapshot's (a later snapshot's own sampling interval goes in its
 * "sample_interval_us"; a later change of the aggregation interval is
 * not kept), and there are no mappings.
 */
#ifndef KSCOPE_DAMO_H
#define KSCOPE_DAMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recording.h"

/*
 * The most a load may allocate for the recording, in bytes: ~45 million
 * regions (damo writes ~500 bytes of JSON a region, so ~20 GB of text).
 * 13 snapshots of 1,800 regions take 0.6 MB, and the whole load ~7 MB.
 */
#define DAMO_MAX_COST		(1ull << 30)

/* The limit in force: DAMO_MAX_COST, lowered by tests to reach it cheaply. */
extern uint64_t damo_max_cost;

/* Whether @data (a file's first bytes, at least 2 for zlib) looks like a
 * damo record: a zlib stream header, or JSON text ('[', '{' or space). */
bool damo_sniff(const void *data, size_t len);

/*
 * Load a damo record from @data.  0 on success; otherwise @rec is left
 * empty, @err gets a one-line reason and the return is -EINVAL for a bad
 * record, -EFBIG past the limits, -ENOMEM.
 */
int damo_load_buf(const void *data, size_t len, struct recording *rec,
		  char *err, size_t errlen);

/*
 * The same from @fd, read to its end, after the @head_len bytes at @head
 * that were already read from it (to sniff it); -errno for a read error.
 */
int damo_load_fd(int fd, const void *head, size_t head_len,
		 struct recording *rec, char *err, size_t errlen);

struct damo_writer;

/*
 * Start a json_compressed record on @fd (which the writer then owns and
 * closes).  The record's intervals are taken from its first snapshot
 * (from @h when it has none).  NULL with errno set on error.
 */
struct damo_writer *damo_writer_open(int fd, const struct record_header *h);

/* Append a checked snapshot (regions sorted, non-empty, time not going
 * back: record_write_snapshot() checks) and sync-flush it to the file. */
int damo_writer_snapshot(struct damo_writer *w, const struct snapshot *s);

/* End the JSON and the zlib stream, close the file and free @w; the first
 * error of any write so far or of this one, 0 if the file is complete. */
int damo_writer_close(struct damo_writer *w);

#endif
