/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live driver every kscope tool runs under, as htop's ScreenManager
 * owns its loop and a panel only draws and takes keys.  The tool starts
 * its kernel side into lv->loop and supplies operations on its model;
 * the driver does the rest, the same way in every tool:
 *
 *   live_begin()   the checks (capabilities, BTF, a terminal for the
 *                  view), the event loop, the signals, the metrics;
 *   live_run()     the first refresh, the view, the refresh timer, -d,
 *                  the keys (q, h ?, space, + -, resize; the rest go to
 *                  the tool), --batch/--json lines with [interval
 *                  [count]], and the last refresh to every output;
 *   live_replay()  a recorded session through the same outputs and view;
 *   live_end()     everything the driver holds, given back.
 *
 * A refresh ("update") is new figures in the model: taken by the driver
 * from ops->refresh every interval (pull), or announced by the tool with
 * live_update() when its source delivers (push, damontop's aggregations).
 * Each update goes to the session file (ops->record), the metrics
 * (ops->metrics) and, with --batch or --json, stdout (ops->print); the
 * view draws on the refresh timer unless paused.
 */
#ifndef KSCOPE_LIVE_H
#define KSCOPE_LIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>

#include "cliout.h"

struct evloop;
struct metrics;
struct metrics_pub;
struct tui;

/* The refresh interval + and - move within these bounds. */
#define LIVE_REFRESH_MIN_NS	100000000ULL	/* 0.1 s */
#define LIVE_REFRESH_MAX_NS	10000000000ULL	/* 10 s */

/* Why a session ended (lv->stop): these, a tool's own code (a callback
 * of its own stopping the loop, 2-999), or -errno when the loop failed. */
enum live_stop {
	LIVE_STOP_DEADLINE = 1,	/* -d: what evloop's deadline returns */
	LIVE_STOP_SIGNAL = 1000,	/* SIGINT, SIGTERM, SIGHUP */
	LIVE_STOP_QUIT,		/* q */
	LIVE_STOP_COUNT,	/* the positional count of lines printed */
	LIVE_STOP_PIPE,		/* stdout's reader went away */
	LIVE_STOP_FAILED,	/* an output failed; lv->why says it */
};

/* A tool's terminal view, as the driver drives it (each tool's view.c). */
struct live_view {
	struct tui *(*frame)(void *view);	/* its shared frame (tui.h) */
	void (*draw)(void *view);
	int (*key)(void *view, int key);	/* a key the driver does not take
						 * (TUI_KEY_*); 1 quits */
	void (*close)(void *view);
};

struct live_ops {
	const char *tool;	/* "coretop" */
	/* Pull the kernel's figures into the model: 0, or -errno (the run
	 * fails).  NULL: the tool calls live_update() itself. */
	int (*refresh)(void *ctx);
	/* One update as a text or JSON line on @f; in a replay, what the
	 * file holds. */
	void (*print)(void *ctx, FILE *f, bool json);
	/* The text lines' column heads, printed once before the first
	 * (NULL: none). */
	void (*print_header)(void *ctx, FILE *f);
	/* One update into the session file (-o): 0 or -errno.  NULL: the
	 * tool records as its source delivers. */
	int (*record)(void *ctx);
	/* --replay: the session file at @path into the model (a tool whose
	 * records are updates may pass each to live_update()); 0, or -errno
	 * with the reason in @err. */
	int (*load)(void *ctx, const char *path, char *err, size_t errlen);
	/* One update's metrics (metrics_pub_begin/end are the driver's). */
	void (*metrics)(void *ctx, struct metrics *m);
	/* The terminal view: made by @view_open from what the tool holds
	 * (NULL and errno when it cannot), then driven through @view. */
	void *(*view_open)(void *ctx, bool no_color);
	const struct live_view *view;
};

struct live_session {
	const struct live_ops *ops;
	void *ctx;
	const struct cliout *o;
	struct evloop *loop;
	struct metrics_pub *pub;
	void *view;			/* the tool's view, NULL without one */
	struct tui *tui;		/* its frame */
	const char *doing;		/* "reading the kernel's counts": a failure's line */
	bool with_view;			/* a terminal view (not --batch, --json, --headless) */
	bool replay;
	int refresh_fd;
	uint64_t refresh_ns;		/* now: + and - change it */
	uint64_t updates;		/* live_update() calls */
	time_t figures_at;		/* the latest update's wall-clock time (live) */
	uint64_t printed;		/* lines on stdout */
	uint64_t next_print_ns;		/* push: the next line at this update time */
	bool unprinted;			/* the latest update is not on stdout yet */
	bool header_printed;
	uint64_t deadline_ns;		/* -d's end (CLOCK_MONOTONIC), 0: none */
	bool last_word_said;		/* the refresh at -d's end was printed */
	int stop;			/* why the loop ended: enum live_stop or the tool's */
	char why[256];			/* LIVE_STOP_FAILED: the line to say */
};

/*
 * The checks and the plumbing, before the tool loads anything: 0, or 1
 * when the session cannot run (said on stderr).  @caps: capabilities
 * needed beyond CAP_BPF and CAP_PERFMON, 0-terminated.  A replay
 * (o->replay) gets only its refusals checked.
 */
int live_begin(struct live_session *lv, const struct live_ops *ops, void *ctx,
	       const struct cliout *o, const int *caps);

/* The session, until q, a signal, -d, the count, a failure or a tool's
 * callback stopping lv->loop: 0, or 1 when it failed (said). */
int live_run(struct live_session *lv);

/* New figures in the model at @time_ns (CLOCK_MONOTONIC, or the record's
 * clock in a replay): to the session file, the metrics and stdout. */
void live_update(struct live_session *lv, uint64_t time_ns);

/* Ends the loop: an output failed (the line is said after the view is
 * closed). */
void live_fail(struct live_session *lv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* --replay: the session file loaded (ops->load), then printed with
 * --batch/--json (ops->print once, unless the tool fed it through
 * live_update()), else the view until q or a signal.  0, or 1 (said). */
int live_replay(struct live_session *lv);

void live_end(struct live_session *lv);

#endif
