/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Session record files ("record now, report later"): a writer that a live
 * tool feeds with region snapshots and target mappings as they happen, and
 * a loader that gives a report or replay the whole session back, checked
 * so that a damaged or hostile file is refused with a one-line reason
 * rather than half-used.
 *
 * File layout (all integers little-endian, fixed width):
 *
 *   magic "KSCOPREC", u32 version, u32 header length H,
 *   H bytes of header fields, u32 CRC32 of all the bytes before it;
 *   then one zlib stream of records, each u32 type, u32 payload length,
 *   payload:
 *     SNAPSHOT  u64 time_ns, u64 sample_ns, u64 aggr_ns, u32 nr,
 *               nr x (u64 start, u64 end, u32 nr_accesses, u32 age)
 *     MAPPINGS  u64 time_ns, u32 nr, nr x (u64 start, u64 end,
 *               u16 name length, name bytes)
 *     NOTE      u64 time_ns, u16 length, text bytes (version 2): what the
 *               source says of itself from then on (the pte source's plan)
 *     END       u64 snapshot count, u64 mappings count,
 *               u32 CRC32 of every uncompressed byte before it
 *   and after the stream a u32 CRC32 of every file byte before it, then
 *   nothing.  The stream is sync-flushed after each record, so a file being
 *   written can be followed; one without its END record and trailer is
 *   refused as truncated.
 *
 * The same writer and loader also speak damo's record format (damo.h):
 * record_create_damo() writes one, and record_load() tells the formats
 * apart by their first bytes.  What a file loads into, struct recording,
 * and its header and limits are recording.h's, shared with damo.h.
 */
#ifndef KSCOPE_RECORD_H
#define KSCOPE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recording.h"
#include "snapshot.h"

#define RECORD_VERSION		2	/* 1 had no NOTE records: still read */

struct record_writer;

/*
 * Create @path (0600, never through a symlink, never over an existing
 * file unless @force) and write the header.  NULL with errno set on error
 * (EINVAL for a header whose strings are not terminated in their fields).
 */
struct record_writer *record_create(const char *path, bool force,
				    const struct record_header *h);

/* The same on @fd, which the writer owns from here (closed on error too);
 * open for reading too, it can be copied (record_copy()). */
struct record_writer *record_create_fd(int fd, const struct record_header *h);

/*
 * The same, but the file is a damo json_compressed record (damo.h) that
 * damo's reports read; record_write_snapshot() and record_close() work on
 * it unchanged, record_write_mappings() checks its arguments and writes
 * nothing (damo has no mappings).  Only sample_ns, aggr_ns, update_ns and
 * start_mono_ns of @h are kept: damo's format has no place for the rest.
 */
struct record_writer *record_create_damo(const char *path, bool force,
					 const struct record_header *h);

/*
 * Append one snapshot and flush it to the file.  -EINVAL (nothing written)
 * for regions that are unsorted, overlapping, empty or too many; -errno
 * for an I/O error, after which every later write fails the same way.
 */
int record_write_snapshot(struct record_writer *w, const struct snapshot *s);

/* Append the target's named ranges as of @time_ns, sorted by start and
 * non-overlapping; errors as for record_write_snapshot(). */
int record_write_mappings(struct record_writer *w, uint64_t time_ns,
			  const struct mapping *m, size_t n);

/* Append a line of text (at most RECORD_NOTE_MAX bytes, no newline) the
 * source says of itself as of @time_ns; errors as for
 * record_write_snapshot().  damo's format has no place for it: nothing is
 * written there. */
int record_write_note(struct record_writer *w, uint64_t time_ns, const char *text);

/* A complete record of what @w wrote so far, written to @out (as
 * record_close() would end it), while @w goes on: 0, or -errno (-EINVAL
 * for damo's format; a read error where @w's fd is not readable). */
int record_copy(struct record_writer *w, int out);

/* Write the END record, close and free @w.  Returns the first error of any
 * write so far or of this one, 0 if the file is complete. */
int record_close(struct record_writer *w);

/*
 * Load and check @path in one pass: a kscope record ("KSCOPREC"), or a
 * damo record (zlib data or JSON text, see damo.h).  0 on success; on
 * failure @rec is left empty, @err gets a one-line reason ("truncated
 * after snapshot 12", "CRC mismatch", "truncated zlib stream", ...) and
 * the return is -EINVAL for a bad file, -EFBIG for a damo record past
 * the limits, -ENOMEM, or -errno for an I/O error.
 */
int record_load(const char *path, struct recording *rec, char *err,
		size_t errlen);

/* The same on a file's @len bytes at @data (which need not end in NUL). */
int record_load_buf(const void *data, size_t len, struct recording *rec,
		    char *err, size_t errlen);

#endif
