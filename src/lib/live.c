// SPDX-License-Identifier: GPL-2.0
/*
 * The live driver (see live.h): one loop, one set of keys, one wording of
 * each refusal, for every tool.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "clock.h"
#include "errmsg.h"
#include "evloop.h"
#include "live.h"
#include "metrics_serve.h"
#include "probe.h"
#include "tui.h"

/* The session ends for @why, with the loop if it runs (a replay feeds
 * its updates before there is one). */
static void stop(struct live_session *lv, int why)
{
	lv->stop = why;
	if (lv->loop)
		evloop_stop(lv->loop, why);
}

/* No more updates once the count is printed, an output failed or the
 * reader went away. */
static bool stopped(const struct live_session *lv)
{
	return lv->stop == LIVE_STOP_COUNT || lv->stop == LIVE_STOP_FAILED ||
	       lv->stop == LIVE_STOP_PIPE;
}

void live_fail(struct live_session *lv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lv->why, sizeof(lv->why), fmt, ap);
	va_end(ap);
	stop(lv, LIVE_STOP_FAILED);
}

/* "TOOL: reading the kernel's counts failed: ..."; returns 1. */
static int failed(const struct live_session *lv, int err)
{
	return tool_error("%s failed: %s", lv->doing ?: "the session", strerror(-err));
}

static void draw(struct live_session *lv)
{
	if (!lv->tui)
		return;
	tui_show_refresh(lv->tui, lv->replay ? 0 : lv->refresh_ns, lv->figures_at);
	lv->ops->view->draw(lv->view);
}

/* A line on stdout: the update's figures, --batch or --json. */
static void print(struct live_session *lv)
{
	const struct cliout *o = lv->o;

	if (!o->json && !lv->header_printed && lv->ops->print_header)
		lv->ops->print_header(lv->ctx, stdout);
	lv->header_printed = true;
	lv->ops->print(lv->ctx, stdout, o->json);
	fflush(stdout);
	lv->unprinted = false;
	lv->printed++;
	if (ferror(stdout))	/* a closed pipe: nobody reads us any more */
		stop(lv, LIVE_STOP_PIPE);
	else if (o->count && lv->printed >= o->count)
		stop(lv, LIVE_STOP_COUNT);
}

/* The update to the metrics: 0, or 1 with lv->why set. */
static int publish(struct live_session *lv)
{
	if (!lv->pub)
		return 0;
	lv->ops->metrics(lv->ctx, metrics_pub_begin(lv->pub));
	return metrics_pub_end(lv->pub, lv->why, sizeof(lv->why)) ? 1 : 0;
}

void live_update(struct live_session *lv, uint64_t time_ns)
{
	const struct cliout *o = lv->o;
	int ret;

	if (stopped(lv))
		return;
	lv->updates++;
	if (!lv->replay)
		lv->figures_at = time(NULL);
	if (!lv->replay && o->output && lv->ops->record && (ret = lv->ops->record(lv->ctx))) {
		live_fail(lv, "cannot write %s: %s", o->output, strerror(-ret));
		return;
	}
	if (publish(lv)) {
		stop(lv, LIVE_STOP_FAILED);
		return;
	}
	if (!o->batch || o->metrics.headless)
		return;
	lv->unprinted = true;
	/* pushed updates: at most a line an interval, without drift */
	if (!lv->ops->refresh && o->interval_ns) {
		if (lv->next_print_ns && time_ns < lv->next_print_ns)
			return;
		lv->next_print_ns = (lv->next_print_ns ?: time_ns) + o->interval_ns;
	}
	print(lv);
}

/* Pull the kernel's figures and pass them on: 0, or -errno. */
static int pull(struct live_session *lv)
{
	int ret = lv->ops->refresh(lv->ctx);

	if (!ret)
		live_update(lv, clock_ns(CLOCK_MONOTONIC));
	return ret;
}

static int on_refresh(void *ctx, int fd, uint32_t events)
{
	struct live_session *lv = ctx;
	int ret;

	(void)fd, (void)events;
	if (lv->ops->refresh && (ret = pull(lv)))
		return ret;
	/* at -d's end this refresh is the last word: the deadline's timer,
	 * due at the same time, would add a line over a few microseconds */
	if (lv->ops->refresh && lv->deadline_ns && clock_ns(CLOCK_MONOTONIC) >= lv->deadline_ns) {
		lv->last_word_said = true;
		return LIVE_STOP_DEADLINE;
	}
	/* paused: the figures keep coming, the picture stays as it is */
	if (lv->tui && !tui_paused(lv->tui))
		draw(lv);
	return 0;
}

/* + and -: the refresh twice as often, or half as often. */
static void change_refresh(struct live_session *lv, bool faster)
{
	uint64_t ns = faster ? lv->refresh_ns / 2 : lv->refresh_ns * 2;

	if (ns < LIVE_REFRESH_MIN_NS)
		ns = LIVE_REFRESH_MIN_NS;
	if (ns > LIVE_REFRESH_MAX_NS)
		ns = LIVE_REFRESH_MAX_NS;
	if (ns == lv->refresh_ns || lv->refresh_fd < 0)
		return;
	lv->refresh_ns = ns;
	evloop_set_timer(lv->refresh_fd, ns);
}

static int on_key(void *ctx, int fd, uint32_t events)
{
	struct live_session *lv = ctx;
	int key;

	(void)fd, (void)events;
	while ((key = tui_read_key(lv->tui)) != TUI_KEY_NONE) {
		switch (key) {
		case TUI_KEY_QUIT:
			return LIVE_STOP_QUIT;
		case TUI_KEY_FASTER:
		case TUI_KEY_SLOWER:
			change_refresh(lv, key == TUI_KEY_FASTER);
			break;
		case TUI_KEY_RESIZE:
			lv->ops->view->key(lv->view, key);
			break;
		case TUI_KEY_REDRAW:
		case TUI_KEY_HELP:
		case TUI_KEY_PAUSE:
		case TUI_KEY_FILTER:
			break;
		default:
			if (lv->ops->view->key(lv->view, key))
				return LIVE_STOP_QUIT;
		}
	}
	draw(lv);
	return 0;
}

static int on_signal(void *ctx, int signo)
{
	struct live_session *lv = ctx;

	if (signo != SIGWINCH)
		return LIVE_STOP_SIGNAL;
	if (!lv->tui)
		return 0;
	tui_resize(lv->tui);
	lv->ops->view->key(lv->view, TUI_KEY_RESIZE);
	draw(lv);
	return 0;
}

/* The loop, and the signals through it: from here a signal ends the
 * loop, not the process, so the tool's clean-up always runs (SIGWINCH
 * too with a view: curses never sees it). */
static int new_loop(struct live_session *lv)
{
	static const int view_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH, 0 };
	static const int signals[] = { SIGINT, SIGTERM, SIGHUP, 0 };
	int ret;

	lv->loop = evloop_new();
	if (!lv->loop)
		return tool_error("out of memory");
	ret = evloop_add_signals(lv->loop, lv->with_view ? view_signals : signals, on_signal, lv);
	return ret ? tool_error("cannot take signals: %s", strerror(-ret)) : 0;
}

static int open_view(struct live_session *lv)
{
	int ret;

	lv->view = lv->ops->view_open(lv->ctx, lv->o->no_color);
	if (!lv->view)
		return tool_error("cannot start the terminal view: %s", strerror(errno));
	lv->tui = lv->ops->view->frame(lv->view);
	ret = evloop_add_fd(lv->loop, STDIN_FILENO, on_key, lv);
	return ret ? tool_error("cannot read the terminal: %s", strerror(-ret)) : 0;
}

static void close_view(struct live_session *lv)
{
	if (!lv->view)
		return;
	lv->ops->view->close(lv->view);
	lv->view = NULL;
	lv->tui = NULL;
}

static bool have_terminal(void)
{
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

int live_begin(struct live_session *lv, const struct live_ops *ops, void *ctx,
	       const struct cliout *o, const int *caps)
{
	static const int none[] = { 0 };
	char err[256];
	const char *cap;

	lv->ops = ops;
	lv->ctx = ctx;
	lv->o = o;
	lv->refresh_fd = -1;
	lv->replay = o->replay;
	lv->with_view = !cliout_no_view(o);
	lv->refresh_ns = o->interval_ns ?: o->refresh_ns;
	if (lv->replay) {
		if (metrics_wanted(&o->metrics) || o->metrics.headless)
			return tool_error("--metrics, --metrics-textfile and --headless are "
					  "for live sessions, not --replay");
		if (o->output)
			return tool_error("-o records a live session, not --replay");
		if (lv->with_view && !have_terminal())
			return tool_error("the view needs a terminal; use --batch or --json");
		return 0;
	}
	cap = probe_missing_capability(caps ? caps : none);
	if (cap)
		return tool_error("needs %s (run as root)", cap);
	if (!probe_kernel_btf())
		return tool_error("the kernel has no BTF (/sys/kernel/btf/vmlinux): "
				  "CO-RE programs cannot load");
	if (lv->with_view && !have_terminal())
		return tool_error("the live view needs a terminal; use --batch, --json "
				  "or --headless");
	/* refused before anything starts; the exclusive create later decides */
	if (o->output && !o->force && !access(o->output, F_OK))
		return tool_error("cannot create %s: %s", o->output, strerror(EEXIST));
	probe_libbpf_verbose(o->verbose);
	signal(SIGPIPE, SIG_IGN);
	if (new_loop(lv))
		return 1;
	/* a port in use or a textfile with nowhere to go fails here, before
	 * the tool loads or sets anything */
	if (metrics_pub_start(&lv->pub, &o->metrics, lv->loop, err, sizeof(err)))
		return tool_error("%s", err);
	return 0;
}

/* The loop's end as the run's exit: 0, or 1 (said). */
static int ended(struct live_session *lv)
{
	if (lv->stop == LIVE_STOP_FAILED)
		return tool_error("%s", lv->why);
	if (lv->stop < 0)
		return failed(lv, lv->stop);
	return 0;
}

int live_run(struct live_session *lv)
{
	const struct cliout *o = lv->o;
	int ret;

	probe_btf_release();	/* attached: the probes are done */
	/* the first figures: the rates of the first refresh start here, and
	 * a scrape before it finds the families */
	if (lv->ops->refresh && (ret = lv->ops->refresh(lv->ctx)))
		return failed(lv, ret);
	if (publish(lv))
		return tool_error("%s", lv->why);
	if (lv->with_view && open_view(lv))
		return 1;
	/* before both timers start: a refresh due with the deadline is past it */
	if (o->duration_ns)
		lv->deadline_ns = clock_ns(CLOCK_MONOTONIC) + o->duration_ns;
	lv->refresh_fd = evloop_add_timer(lv->loop, lv->refresh_ns, on_refresh, lv);
	if (lv->refresh_fd < 0 ||
	    (o->duration_ns && evloop_add_deadline(lv->loop, o->duration_ns) < 0))
		return tool_error("cannot start timers: %s", strerror(errno));
	draw(lv);

	lv->stop = evloop_run(lv->loop);
	close_view(lv);
	if (lv->stop == LIVE_STOP_PIPE)
		return 0;	/* the reader went away: done, quietly */
	/* the last word: the figures up to the end, so that the last line
	 * on stdout, the session file's and the metrics' agree (after the
	 * count, the last line printed was the last word) */
	if (stopped(lv) || lv->stop < 0)
		return ended(lv);
	if (lv->ops->refresh) {
		ret = lv->last_word_said ? 0 : pull(lv);
		if (ret)
			return failed(lv, ret);
	} else if (publish(lv)) {
		return tool_error("%s", lv->why);
	} else if (lv->unprinted) {
		print(lv);	/* a pushed update the interval held back */
	}
	return lv->why[0] ? tool_error("%s", lv->why) : 0;
}

int live_replay(struct live_session *lv)
{
	char err[256], part[64];
	const char *path;
	int fd, ret;

	path = bundle_tool_file(lv->o->replay, lv->ops->tool, &fd, part, sizeof(part), err,
				sizeof(err));
	ret = path ? lv->ops->load(lv->ctx, path, err, sizeof(err)) : -EINVAL;
	if (fd >= 0)
		close(fd);
	if (ret)
		return tool_error("cannot replay %s: %s", lv->o->replay, err);
	if (!lv->with_view) {
		/* a tool that fed its records through live_update() has
		 * printed them, but for one the interval held back */
		if (!lv->updates || lv->unprinted)
			print(lv);
		return 0;
	}
	if (new_loop(lv) || open_view(lv))
		return 1;
	draw(lv);
	lv->stop = evloop_run(lv->loop);
	close_view(lv);
	return 0;
}

void live_end(struct live_session *lv)
{
	close_view(lv);
	metrics_pub_stop(lv->pub);
	lv->pub = NULL;
	evloop_free(lv->loop);
	lv->loop = NULL;
}
