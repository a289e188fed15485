// SPDX-License-Identifier: GPL-2.0
/*
 * kscope record (record.h): each view a part, started into one loop, all
 * refreshed by one timer at the same instant, each recording its own tool's
 * session file into a temporary file; at the end the parts in one record.
 * A view the kernel cannot give is left out with its reason; the others go
 * on.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bundle.h"
#include "clock.h"
#include "errmsg.h"
#include "evloop.h"
#include "outfile.h"
#include "probe.h"
#include "record.h"
#include "../coretop/cli.h"
#include "../napitop/cli.h"

/* Why the loop ended (evloop's deadline returns 1). */
enum { STOP_DEADLINE = 1, STOP_SIGNAL, STOP_COMMAND };

struct session;

/* A view: its tool's part, and where it records. */
struct view {
	const char *name;		/* the option: "napi" */
	const char *tool;		/* its part's name in the record: "napitop" */
	void *(*start)(struct session *s, FILE *rec, char *err, size_t errlen);
	int (*refresh)(void *part);
	void (*stop)(void *part);
	FILE *rec;
	void *part;			/* NULL: left out, or failed */
};

struct session {
	const struct record_opts *o;
	struct view views[2];
	size_t nr_views;
	struct napitop_opts napi;
	struct coretop_opts cores;
	pid_t child;
	int child_status;
};

static void *napi_start(struct session *s, FILE *rec, char *err, size_t errlen)
{
	return napitop_part_start(&s->napi, rec, err, errlen);
}

static int napi_refresh(void *part)
{
	return napitop_part_refresh(part);
}

static void napi_stop(void *part)
{
	napitop_part_stop(part);
}

static void *cores_start(struct session *s, FILE *rec, char *err, size_t errlen)
{
	return coretop_part_start(&s->cores, rec, err, errlen);
}

static int cores_refresh(void *part)
{
	return coretop_part_refresh(part);
}

static void cores_stop(void *part)
{
	coretop_part_stop(part);
}

/* @v started, or left out with its reason: 0, or -errno (no temporary
 * file) */
static int start_view(struct session *s, struct view *v)
{
	char err[256] = "";

	v->rec = tmpfile();
	if (!v->rec)
		return -errno;
	v->part = v->start(s, v->rec, err, sizeof(err));
	if (!v->part)
		fprintf(stderr, "kscope: %s left out: %s\n", v->name, err);
	return 0;
}

/* Every view's figures now, into its recording; a view that fails is
 * left out from here on (what it recorded stays). */
static void refresh_all(struct session *s)
{
	for (size_t i = 0; i < s->nr_views; i++) {
		struct view *v = &s->views[i];
		int ret;

		if (!v->part || !(ret = v->refresh(v->part)))
			continue;
		fprintf(stderr, "kscope: %s failed: %s; left out from here\n", v->name,
			strerror(-ret));
		v->stop(v->part);
		v->part = NULL;
	}
}

static int on_refresh(void *ctx, int fd, uint32_t events)
{
	(void)fd, (void)events;
	refresh_all(ctx);
	return 0;
}

static int on_signal(void *ctx, int signo)
{
	(void)ctx, (void)signo;
	return STOP_SIGNAL;
}

static int on_child_exit(void *ctx, int fd, uint32_t events)
{
	struct session *s = ctx;

	(void)fd, (void)events;
	if (waitpid(s->child, &s->child_status, 0) == s->child)
		s->child = 0;
	return STOP_COMMAND;
}

/* -- COMMAND: started once every view is attached; its exit ends the
 * session.  0, or 1 (said). */
static int spawn(struct session *s, struct evloop *loop, int *pidfd)
{
	int pipefd[2], exec_errno = 0;
	sigset_t none;

	if (pipe2(pipefd, O_CLOEXEC))
		return tool_error("cannot start %s: %s", s->o->cmd[0], strerror(errno));
	s->child = fork();
	if (s->child < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return tool_error("cannot start %s: %s", s->o->cmd[0], strerror(errno));
	}
	if (!s->child) {
		/* as it would run without us: no signal blocked or ignored */
		signal(SIGPIPE, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(s->o->cmd[0], s->o->cmd);
		exec_errno = errno;
		if (write(pipefd[1], &exec_errno, sizeof(exec_errno)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pipefd[1]);
	/* nothing read: the exec succeeded and closed the pipe */
	if (read(pipefd[0], &exec_errno, sizeof(exec_errno)) > 0) {
		close(pipefd[0]);
		waitpid(s->child, NULL, 0);
		s->child = 0;
		return tool_error("cannot run %s: %s", s->o->cmd[0], strerror(exec_errno));
	}
	close(pipefd[0]);
	*pidfd = syscall(SYS_pidfd_open, s->child, 0);
	if (*pidfd < 0 || evloop_add_fd(loop, *pidfd, on_child_exit, s))
		return tool_error("cannot watch %s: %s", s->o->cmd[0], strerror(errno));
	return 0;
}

/* The parts into the record: 0, or 1 (said) */
static int write_record(struct session *s, FILE *out)
{
	const char *names[sizeof(s->views) / sizeof(s->views[0])];
	FILE *recs[sizeof(s->views) / sizeof(s->views[0])];
	size_t nr = 0;
	char err[256];

	for (size_t i = 0; i < s->nr_views; i++)
		if (s->views[i].rec && ftell(s->views[i].rec) > 0) {
			names[nr] = s->views[i].tool;
			recs[nr++] = s->views[i].rec;
		}
	if (bundle_write(out, names, recs, nr, err, sizeof(err)))
		return tool_error("cannot write %s: %s", s->o->output, err);
	return 0;
}

int kscope_record(const struct record_opts *o)
{
	static const int signals[] = { SIGINT, SIGTERM, SIGHUP, 0 };
	static const int none[] = { 0 };
	struct session s = { .o = o };
	struct evloop *loop = NULL;
	uint64_t t0 = 0;
	int rc = 1, why = 0, pidfd = -1, started = 0;
	const char *cap;
	FILE *out = NULL;

	if ((cap = probe_missing_capability(none)))
		return tool_error("needs %s (run as root)", cap);
	if (!probe_kernel_btf())
		return tool_error("the kernel has no BTF (/sys/kernel/btf/vmlinux): "
				  "CO-RE programs cannot load");
	/* refused before anything starts */
	out = outfile_fopen(o->output, o->force);
	if (!out)
		return tool_error("cannot create %s: %s", o->output, strerror(errno));
	loop = evloop_new();
	if (!loop || evloop_add_signals(loop, signals, on_signal, &s)) {
		tool_error("cannot take signals: %s", strerror(errno));
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	probe_libbpf_verbose(o->verbose);
	s.napi = (struct napitop_opts){ .devs = o->devs, .nr_devs = o->nr_devs, .sort = -1,
					.out.verbose = o->verbose };
	s.cores = (struct coretop_opts){ .what_if = o->what_if, .group_by = -1,
					 .smt_pairs = o->smt_pairs, .schedstats = o->schedstats };
	if (o->napi)
		s.views[s.nr_views++] = (struct view){ .name = "napi", .tool = "napitop",
			.start = napi_start, .refresh = napi_refresh, .stop = napi_stop };
	if (o->cores)
		s.views[s.nr_views++] = (struct view){ .name = "cores", .tool = "coretop",
			.start = cores_start, .refresh = cores_refresh, .stop = cores_stop };
	for (size_t i = 0; i < s.nr_views; i++) {
		if (start_view(&s, &s.views[i])) {
			tool_error("cannot make a temporary file: %s", strerror(errno));
			goto out;
		}
		started += !!s.views[i].part;
	}
	if (!started) {
		tool_error("nothing to record: every view was left out");
		goto out;
	}
	if (o->cmd && spawn(&s, loop, &pidfd))
		goto out;
	/* the first figures: each part counts from here */
	t0 = clock_ns(CLOCK_MONOTONIC);
	refresh_all(&s);
	if (evloop_add_timer(loop, o->interval_ns, on_refresh, &s) < 0 ||
	    (o->duration_ns && evloop_add_deadline(loop, o->duration_ns) < 0)) {
		tool_error("cannot start timers: %s", strerror(errno));
		goto out;
	}
	fprintf(stderr, "kscope: recording");
	for (size_t i = 0; i < s.nr_views; i++)
		if (s.views[i].part)
			fprintf(stderr, " %s", s.views[i].name);
	fprintf(stderr, " to %s%s\n", o->output, o->cmd ? "" : " (Ctrl-C ends it)");
	why = evloop_run(loop);
	if (why < 0) {
		tool_error("the session failed: %s", strerror(-why));
		goto out;
	}
	refresh_all(&s);	/* the last word: the figures up to the end */
	rc = 0;
out:
	for (size_t i = 0; i < s.nr_views; i++)
		if (s.views[i].part)
			s.views[i].stop(s.views[i].part);
	if (!rc)
		rc = write_record(&s, out);
	if (out && fclose(out) && !rc)
		rc = tool_error("cannot write %s: %s", o->output, strerror(errno));
	if (rc && out)
		unlink(o->output);	/* ours, and not a record */
	if (!rc)
		fprintf(stderr, "kscope: %.1f s recorded to %s (%s)\n",
			(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9, o->output,
			why == STOP_COMMAND ? "the command ended" :
			why == STOP_SIGNAL ? "stopped by a signal" : "-d");
	if (s.child > 0) {
		/* the session ended first: the command goes with it */
		kill(s.child, SIGTERM);
		waitpid(s.child, &s.child_status, 0);
	}
	if (!rc && o->cmd && WIFEXITED(s.child_status) && WEXITSTATUS(s.child_status))
		fprintf(stderr, "kscope: %s exited %d\n", o->cmd[0], WEXITSTATUS(s.child_status));
	if (pidfd >= 0)
		close(pidfd);
	for (size_t i = 0; i < s.nr_views; i++)
		if (s.views[i].rec)
			fclose(s.views[i].rec);
	evloop_free(loop);
	return rc;
}
