// SPDX-License-Identifier: GPL-2.0
/*
 * kscope record (record.h): each view a part, started into one loop, all
 * refreshed by one timer at the same instant, each recording its own tool's
 * session file into a temporary file (with --ring only its header: the
 * refreshes of the last minutes are kept in memory); at the end and at
 * SIGUSR1 the parts in one record.  A view the kernel cannot give is left
 * out with its reason; the others go on.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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
#include "units.h"
#include "../coretop/cli.h"
#include "../damontop/cli.h"
#include "../iofilter/cli.h"
#include "../napitop/cli.h"

/* Why the loop ended (evloop's deadline returns 1; any other, the mem
 * view's source: its target exited, its kdamond stopped). */
enum { STOP_DEADLINE = 1, STOP_SIGNAL = 100, STOP_COMMAND };

#define MAX_VIEWS	4	/* mem, napi, cores, io */

struct session;

/* --ring: a refresh as its part recorded it */
struct entry {
	uint64_t time_ns;
	char *text;
	size_t len;
};

/* A view: its tool's part, and where it records. */
struct view {
	const char *name;		/* the option: "napi" */
	const char *tool;		/* its part's name in the record: "napitop" */
	void *(*start)(struct session *s, FILE *rec, char *err, size_t errlen);
	int (*refresh)(void *part);
	void (*stop)(void *part);
	/* --trigger: whether its part saw an incident at this refresh (said
	 * in @why); NULL: the view has no trigger */
	bool (*incident)(struct session *s, void *part, char *why, size_t len);
	/* a part that keeps its own record: that record as it stands, to
	 * @fd (into @rec once stopped); NULL: it records into @rec */
	int (*write)(void *part, int fd);
	FILE *rec;			/* its session file; with --ring only its
					 * header, the refreshes in @ring */
	void *part;			/* NULL: left out, or failed */
	long header_len;
	struct entry *ring;		/* --ring: the last ring_ns of refreshes */
	size_t nr_ring;
};

struct session {
	const struct record_opts *o;
	struct view views[MAX_VIEWS];
	size_t nr_views;
	struct napitop_opts napi;
	struct coretop_opts cores;
	struct iofilter_opts io;
	struct damontop_opts mem;
	struct evloop *loop;		/* the io view's verdicts and the mem
					 * view's aggregations come through it */
	pid_t child;
	int child_status;
	bool written;			/* -o's file holds a record */
	uint64_t denied;		/* --trigger deny: the IOs refused so far */
	uint64_t wss;			/* --trigger wss: at the last refresh */
	uint64_t trigger_quiet_ns;	/* no trigger writes before */
};

static void *mem_start(struct session *s, FILE *rec, char *err, size_t errlen)
{
	(void)rec;	/* it keeps its own record */
	return damontop_part_start(&s->mem, s->loop, s->o->ring_ns, err, errlen);
}

static int mem_refresh(void *part)
{
	return damontop_part_refresh(part);
}

static int mem_write(void *part, int fd)
{
	return damontop_part_write(part, fd);
}

static void mem_stop(void *part)
{
	damontop_part_stop(part);
}

/* --trigger wss=PCT: the working set grew by over PCT% since the last
 * refresh (from a set of some bytes: the first aggregation is no jump) */
static bool mem_incident(struct session *s, void *part, char *why, size_t len)
{
	uint64_t wss = damontop_part_wss(part), prev = s->wss;
	char a[16], b[16];

	s->wss = wss;
	if (!(s->o->trigger_wss > 0) || !prev || wss <= prev * (1 + s->o->trigger_wss))
		return false;
	snprintf(why, len, "the working set grew from %s to %s", units_bytes(a, sizeof(a), prev),
		 units_bytes(b, sizeof(b), wss));
	return true;
}

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

/* --trigger forced-idle=PCT */
static bool cores_incident(struct session *s, void *part, char *why, size_t len)
{
	unsigned int core = 0;
	bool measured = false;
	double share;

	if (!(s->o->trigger_forced > 0))
		return false;
	share = coretop_part_forced(part, &core, &measured);
	if (!(share >= s->o->trigger_forced))
		return false;
	snprintf(why, len, "core %u %s %.0f%% of the last %.3g s", core,
		 measured ? "forced idle" : "in conflict", share * 100, s->o->interval_ns / 1e9);
	return true;
}

static void *io_start(struct session *s, FILE *rec, char *err, size_t errlen)
{
	return iofilter_part_start(&s->io, s->loop, rec, err, errlen);
}

static int io_refresh(void *part)
{
	return iofilter_part_refresh(part);
}

static void io_stop(void *part)
{
	iofilter_part_stop(part);
}

/* --trigger deny: IOs refused since the last refresh */
static bool io_incident(struct session *s, void *part, char *why, size_t len)
{
	uint64_t denied = iofilter_part_denied(part), n = denied - s->denied;

	if (!s->o->trigger_deny || denied <= s->denied)
		return false;
	snprintf(why, len, "%llu IO%s refused", (unsigned long long)n, n > 1 ? "s" : "");
	s->denied = denied;
	return true;
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
	if (!v->part) {
		/* no part of it in the record, whatever it began to write */
		fprintf(stderr, "kscope: %s left out: %s\n", v->name, err);
		fclose(v->rec);
		v->rec = NULL;
		return 0;
	}
	v->header_len = ftell(v->rec);
	return 0;
}

/* @v's part stopped: one that keeps its own record leaves it in @v->rec,
 * as the others do */
static void stop_view(struct view *v)
{
	int ret = 0;

	if (v->write) {
		ret = fflush(v->rec) || ftruncate(fileno(v->rec), 0) ||
		      lseek(fileno(v->rec), 0, SEEK_SET) ? -errno :
		      v->write(v->part, fileno(v->rec));
		fseek(v->rec, 0, SEEK_END);
		v->header_len = 0;	/* with --ring too: its whole record */
	}
	if (ret) {
		fprintf(stderr, "kscope: %s's record lost: %s\n", v->name, strerror(-ret));
		ftruncate(fileno(v->rec), 0);
		fseek(v->rec, 0, SEEK_SET);
	}
	v->stop(v->part);
	v->part = NULL;
}

/* --ring: the refresh @v just recorded moved into its ring, which keeps
 * those of the last ring_ns; 0 or -errno */
static int keep(struct session *s, struct view *v, uint64_t now)
{
	long end = ftell(v->rec);
	struct entry e = { .time_ns = now }, *grown;
	size_t old = 0;

	if (end < v->header_len || fseek(v->rec, v->header_len, SEEK_SET))
		return -EIO;
	e.len = end - v->header_len;
	e.text = malloc(e.len ? e.len : 1);
	grown = realloc(v->ring, (v->nr_ring + 1) * sizeof(*grown));
	if (!e.text || !grown) {
		free(e.text);
		return -ENOMEM;
	}
	v->ring = grown;
	if (fread(e.text, 1, e.len, v->rec) != e.len || fseek(v->rec, v->header_len, SEEK_SET) ||
	    ftruncate(fileno(v->rec), v->header_len)) {
		free(e.text);
		return -EIO;
	}
	v->ring[v->nr_ring++] = e;
	while (old < v->nr_ring && v->ring[old].time_ns + s->o->ring_ns < now)
		free(v->ring[old++].text);
	memmove(v->ring, v->ring + old, (v->nr_ring - old) * sizeof(*v->ring));
	v->nr_ring -= old;
	return 0;
}

/* Every view's figures now, into its recording; a view that fails is
 * left out from here on (what it recorded stays). */
static void refresh_all(struct session *s)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	for (size_t i = 0; i < s->nr_views; i++) {
		struct view *v = &s->views[i];
		int ret;

		if (!v->part)
			continue;
		ret = v->refresh(v->part);
		if (!ret && s->o->ring_ns && !v->write)
			ret = keep(s, v, now);
		if (!ret)
			continue;
		fprintf(stderr, "kscope: %s failed: %s; left out from here\n", v->name,
			strerror(-ret));
		stop_view(v);
	}
}

static int write_record(struct session *s);

/* --trigger: what fired at this refresh, in @why; false when nothing did */
static bool incident(struct session *s, char *why, size_t len)
{
	for (size_t i = 0; i < s->nr_views; i++) {
		const struct view *v = &s->views[i];

		if (v->part && v->incident && v->incident(s, v->part, why, len))
			return true;
	}
	return false;
}

static int on_refresh(void *ctx, int fd, uint32_t events)
{
	struct session *s = ctx;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	char why[128];

	(void)fd, (void)events;
	refresh_all(s);
	/* an incident writes the record as it stands; more within the hold-off
	 * (the ring's span) are in the next write */
	if (incident(s, why, sizeof(why)) && now >= s->trigger_quiet_ns) {
		s->trigger_quiet_ns = now + s->o->trigger_hold_ns;
		if (!write_record(s))
			fprintf(stderr, "kscope: trigger: %s: the record so far written to %s\n",
				why, s->o->output);
	}
	return 0;
}

/* SIGUSR1: the record as it stands (with --ring, the last minutes), and
 * the session goes on; the others end it */
static int on_signal(void *ctx, int signo)
{
	struct session *s = ctx;

	if (signo != SIGUSR1)
		return STOP_SIGNAL;
	if (!write_record(s))
		fprintf(stderr, "kscope: SIGUSR1: the record so far written to %s\n", s->o->output);
	return 0;
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
	pid_t parent;
	sigset_t none;

	if (pipe2(pipefd, O_CLOEXEC))
		return tool_error("cannot start %s: %s", s->o->cmd[0], strerror(errno));
	parent = getpid();
	s->child = fork();
	if (s->child < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return tool_error("cannot start %s: %s", s->o->cmd[0], strerror(errno));
	}
	if (!s->child) {
		/* as it would run without us: no signal blocked or ignored;
		 * ended with the session even when we are killed outright */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != parent)
			_exit(127);
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

/* The record of a part that keeps its own, as it stands, in a temporary
 * file; NULL with errno */
static FILE *written_file(const struct view *v)
{
	FILE *f = tmpfile();
	int ret = f ? v->write(v->part, fileno(f)) : -errno;

	if (!ret && fseek(f, 0, SEEK_SET))
		ret = -errno;
	if (!ret)
		return f;
	if (f)
		fclose(f);
	errno = -ret;
	return NULL;
}

/* @v's part as it stands: its session file, or with --ring its header, the
 * refreshes its ring keeps and what it wrote since the last one (the io
 * view's verdicts, its counts at the stop), in a temporary file (*@made:
 * close it) */
static FILE *part_file(const struct view *v, bool ring, FILE **made)
{
	char buf[4096];
	size_t n;
	FILE *f;

	*made = NULL;
	if (v->part && v->write)
		return (*made = written_file(v));
	if (!ring)
		return v->rec;
	f = tmpfile();
	if (!f || fflush(v->rec) || fseek(v->rec, 0, SEEK_SET)) {
		if (f)
			fclose(f);
		return NULL;
	}
	for (long left = v->header_len; left > 0; ) {
		n = fread(buf, 1, left < (long)sizeof(buf) ? (size_t)left : sizeof(buf), v->rec);
		if (!n)
			break;
		fwrite(buf, 1, n, f);
		left -= n;
	}
	for (size_t i = 0; i < v->nr_ring; i++)
		fwrite(v->ring[i].text, 1, v->ring[i].len, f);
	fseek(v->rec, v->header_len, SEEK_SET);
	while ((n = fread(buf, 1, sizeof(buf), v->rec)))
		fwrite(buf, 1, n, f);
	if (ferror(f) || ferror(v->rec)) {
		fclose(f);
		return NULL;
	}
	*made = f;
	return f;
}

/* The record as it stands, over -o's file (a file of ours: a temporary one
 * beside it, renamed over it, so that a reader never sees half): 0, or 1
 * (said) */
static int write_record(struct session *s)
{
	const char *names[MAX_VIEWS];
	FILE *parts[MAX_VIEWS], *made[MAX_VIEWS] = { NULL }, *out = NULL;
	char tmp[4096], err[256] = "";
	size_t nr = 0;
	int fd, rc = 1, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", s->o->output) >= (int)sizeof(tmp))
		return tool_error("cannot write %s: %s", s->o->output, strerror(ENAMETOOLONG));
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || !(out = fdopen(fd, "w"))) {
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return tool_error("cannot write %s: %s", s->o->output, strerror(errno));
	}
	for (size_t i = 0; i < s->nr_views; i++) {
		struct view *v = &s->views[i];

		if (!v->rec || (!v->part && ftell(v->rec) <= 0))
			continue;	/* left out, or its record lost */
		parts[nr] = part_file(v, s->o->ring_ns, &made[nr]);
		if (!parts[nr]) {
			snprintf(err, sizeof(err), "%s's part: %s", v->tool, strerror(errno ?: EIO));
			goto out;
		}
		names[nr++] = v->tool;
	}
	if (bundle_write(out, names, parts, nr, err, sizeof(err)))
		goto out;
	for (size_t i = 0; i < nr; i++)
		if (!made[i])
			fseek(parts[i], 0, SEEK_END);	/* where the part goes on */
	if (fclose(out)) {
		out = NULL;
		snprintf(err, sizeof(err), "%s", strerror(errno));
		goto out;
	}
	out = NULL;
	if ((ret = outfile_commit(tmp, s->o->output, !s->written, s->o->force))) {
		snprintf(err, sizeof(err), "%s", strerror(-ret));
		goto out;
	}
	s->written = true;
	rc = 0;
out:
	if (out)
		fclose(out);
	if (rc) {
		unlink(tmp);
		tool_error("cannot write %s: %s", s->o->output, err);
	}
	for (size_t i = 0; i < nr; i++)
		if (made[i])
			fclose(made[i]);
	return rc;
}

int kscope_record(const struct record_opts *o)
{
	static const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1, 0 };
	static const int none[] = { 0 };
	struct session s = { .o = o };
	struct evloop *loop = NULL;
	uint64_t t0 = 0;
	int rc = 1, why = 0, pidfd = -1, started = 0, ret;
	/* 1: the mem view follows the command (views[0]) */
	size_t follows = o->mem && !o->pid && !o->paddr;
	const char *cap;

	if ((cap = probe_missing_capability(none)))
		return tool_error("needs %s (run as root)", cap);
	if (!probe_kernel_btf())
		return tool_error("the kernel has no BTF (/sys/kernel/btf/vmlinux): "
				  "CO-RE programs cannot load");
	/* refused before anything starts; made at the first write (the end,
	 * or SIGUSR1) */
	ret = outfile_check(o->output, o->force);
	if (ret)
		return tool_error("cannot create %s: %s", o->output, strerror(-ret));
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
	s.io = (struct iofilter_opts){ .rules = o->io_rules, .nr_rules = o->nr_io_rules,
				       .tier = -1, .out.verbose = o->verbose };
	s.mem = (struct damontop_opts){ .pid = o->pid, .paddr = o->paddr, .attach_kdamond = -1,
					.sampler = DAMONTOP_SAMPLER_DEFAULTS };
	s.mem.sampler.verbose = o->verbose;
	s.loop = loop;
	if (o->mem)
		s.views[s.nr_views++] = (struct view){ .name = "mem", .tool = "damontop",
			.start = mem_start, .refresh = mem_refresh, .stop = mem_stop,
			.write = mem_write, .incident = mem_incident };
	if (o->napi)
		s.views[s.nr_views++] = (struct view){ .name = "napi", .tool = "napitop",
			.start = napi_start, .refresh = napi_refresh, .stop = napi_stop };
	if (o->cores)
		s.views[s.nr_views++] = (struct view){ .name = "cores", .tool = "coretop",
			.start = cores_start, .refresh = cores_refresh, .stop = cores_stop,
			.incident = cores_incident };
	if (o->nr_io_rules)
		s.views[s.nr_views++] = (struct view){ .name = "io", .tool = "iofilter",
			.start = io_start, .refresh = io_refresh, .stop = io_stop,
			.incident = io_incident };
	/* the command starts once every view is attached, but the mem view
	 * that follows it, which starts on it */
	for (size_t i = follows; i < s.nr_views; i++) {
		if (start_view(&s, &s.views[i])) {
			tool_error("cannot make a temporary file: %s", strerror(errno));
			goto out;
		}
		started += !!s.views[i].part;
	}
	if (!started && !follows) {
		tool_error("nothing to record: every view was left out");
		goto out;
	}
	if (o->cmd && spawn(&s, loop, &pidfd))
		goto out;
	if (follows) {
		s.mem.pid = s.child;
		if (start_view(&s, &s.views[0])) {
			tool_error("cannot make a temporary file: %s", strerror(errno));
			goto out;
		}
		if (!s.views[0].part && !started) {
			tool_error("nothing to record: every view was left out");
			goto out;
		}
	}
	probe_btf_release();	/* every view attached: the probes are done */
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
			stop_view(&s.views[i]);
	if (!rc)
		rc = write_record(&s);
	if (!rc)
		fprintf(stderr, "kscope: %.1f s recorded to %s (%s)\n",
			(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9, o->output,
			why == STOP_SIGNAL ? "stopped by a signal" :
			why == STOP_DEADLINE ? "-d" :
			why == STOP_COMMAND || follows ? "the command ended" :
			o->paddr ? "the kdamond stopped" : "the mem view's process ended");
	if (s.child > 0) {
		/* the session ended first: the command goes with it */
		kill(s.child, SIGTERM);
		waitpid(s.child, &s.child_status, 0);
	}
	if (!rc && o->cmd && WIFEXITED(s.child_status) && WEXITSTATUS(s.child_status))
		fprintf(stderr, "kscope: %s exited %d\n", o->cmd[0], WEXITSTATUS(s.child_status));
	if (pidfd >= 0)
		close(pidfd);
	for (size_t i = 0; i < s.nr_views; i++) {
		if (s.views[i].rec)
			fclose(s.views[i].rec);
		for (size_t k = 0; k < s.views[i].nr_ring; k++)
			free(s.views[i].ring[k].text);
		free(s.views[i].ring);
	}
	evloop_free(loop);
	return rc;
}
