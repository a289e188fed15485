/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kscope report: what a record (kscope record -o FILE) holds, a part of
 * it in its own tool's format, or every view on one time axis.
 */
#ifndef KSCOPE_REPORT_H
#define KSCOPE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum report_format { REPORT_LIST, REPORT_JSON, REPORT_HTML };

struct report_opts {
	const char *input;		/* the record */
	enum report_format format;	/* --format, or -o's suffix */
	const char *tool;		/* --tool NAME: export that part */
	const char *output;		/* -o FILE (else stdout) */
	double until_s;			/* --until: the part as it stood then, s
					 * from the lanes' start (0: all of it) */
	bool until;
	bool force;
};

/* 0, or 1 (said). */
int kscope_report(const struct report_opts *o);

/*
 * @tool's part of the record @path as it stood at @until_ns
 * (CLOCK_MONOTONIC): its session file with only what was recorded by then
 * (a line-per-refresh file's lines up to that time; damontop's
 * aggregations ended by then, with its latest mappings), to @fd: 0, or
 * -errno with @err.
 */
int part_until(const char *path, const char *tool, uint64_t until_ns, int fd, char *err,
	       size_t errlen);

#endif
