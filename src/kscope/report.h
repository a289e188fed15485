/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kscope report: what a record (kscope record -o FILE) holds, a part of
 * it in its own tool's format, or every view on one time axis.
 */
#ifndef KSCOPE_REPORT_H
#define KSCOPE_REPORT_H

#include <stdbool.h>

enum report_format { REPORT_LIST, REPORT_JSON, REPORT_HTML };

struct report_opts {
	const char *input;		/* the record */
	enum report_format format;	/* --format, or -o's suffix */
	const char *tool;		/* --tool NAME: export that part */
	const char *output;		/* -o FILE (else stdout) */
	bool force;
};

/* 0, or 1 (said). */
int kscope_report(const struct report_opts *o);

#endif
