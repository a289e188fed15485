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
 * target names which one it was.  Bad input is refused with a one-line
 * reason; what the load may allocate is bounded before json-c parses
 * anything (DAMO_MAX_COST), so a small hostile file (a zlib bomb of empty
 * objects, say) cannot make it take gigabytes.
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
 * json-c holds the whole text as a tree, which costs far more than the
 * text for some of it (an empty object is ~3 bytes of text and ~700 of
 * tree), so the loader bounds an estimate of the tree rather than the
 * text: every byte counts one, each '{' DAMO_COST_OBJECT more and each
 * ',' or '[' DAMO_COST_VALUE more.  damo's records cost ~4.5 KiB per
 * region this way (json-c really takes ~3.2, and the text itself ~0.5
 * more while it is parsed), so the limit is ~470,000 regions (~250 MiB
 * of JSON): 13 snapshots of 1,800 regions take ~80 MB to load.
 */
#define DAMO_MAX_COST		(2ull << 30)
#define DAMO_COST_OBJECT	1024
#define DAMO_COST_VALUE		96

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
