// SPDX-License-Identifier: GPL-2.0
/*
 * coretop cookie: read, create and share core-scheduling cookies with
 * prctl(PR_SCHED_CORE), as util-linux's coresched does.  This command
 * configures: a cookie set on a PID stays after coretop exits, and it
 * says so.  It never prints a kernel pointer: PR_SCHED_CORE_GET returns
 * the kernel's hash of the cookie, not the cookie.
 *
 * The kernel answers EINVAL when it has no core scheduling and also for
 * bad arguments, so every argument is checked here first, and a process
 * that does not exist is reported before asking the kernel (which would
 * say EINVAL or ENODEV first).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/random.h>

#include <linux/prctl.h>

#include "cli.h"
#include "cookie.h"
#include "errmsg.h"

/* uapi headers older than Linux 5.14 */
#ifndef PR_SCHED_CORE
#define PR_SCHED_CORE			62
#endif
#ifndef PR_SCHED_CORE_GET
#define PR_SCHED_CORE_GET		0
#define PR_SCHED_CORE_CREATE		1
#define PR_SCHED_CORE_SHARE_TO		2
#define PR_SCHED_CORE_SHARE_FROM	3
#endif
#ifndef PR_SCHED_CORE_SCOPE_THREAD
#define PR_SCHED_CORE_SCOPE_THREAD		0
#define PR_SCHED_CORE_SCOPE_THREAD_GROUP	1
#define PR_SCHED_CORE_SCOPE_PROCESS_GROUP	2
#endif

_Static_assert(COOKIE_SCOPE_THREAD == PR_SCHED_CORE_SCOPE_THREAD &&
	       COOKIE_SCOPE_TGID == PR_SCHED_CORE_SCOPE_THREAD_GROUP &&
	       COOKIE_SCOPE_PGID == PR_SCHED_CORE_SCOPE_PROCESS_GROUP,
	       "cookie scopes are the kernel's");

static const char *const cmd_names[] = {
	[COOKIE_GET] = "get",
	[COOKIE_CREATE] = "create",
	[COOKIE_SHARE_TO] = "share-to",
	[COOKIE_SHARE_FROM] = "share-from",
};

static const char *const scope_names[] = {
	[COOKIE_SCOPE_THREAD] = "thread",
	[COOKIE_SCOPE_TGID] = "tgid",
	[COOKIE_SCOPE_PGID] = "pgid",
};

static const char usage[] =
	"Usage: coretop cookie get PID\n"
	"       coretop cookie create [--scope SCOPE] PID\n"
	"       coretop cookie create [--scope thread|tgid] -- COMMAND [ARGS]\n"
	"       coretop cookie share-to [--scope SCOPE] --from SRC PID\n"
	"       coretop cookie share-from SRC -- COMMAND [ARGS]\n"
	"Core-scheduling cookies: tasks with different cookies never run on two\n"
	"SMT siblings of one core at the same time.\n"
	"\n"
	"  get         print PID's cookie (0x0: none)\n"
	"  create      give PID's SCOPE a new cookie, or run COMMAND with one\n"
	"  share-to    give PID's SCOPE the cookie of SRC\n"
	"  share-from  run COMMAND with the cookie of SRC\n"
	"\n"
	"  --scope SCOPE  thread (PID only), tgid (all threads of PID's process,\n"
	"                 the default) or pgid (every process of PID's group)\n"
	"  --from SRC     share-to: the process whose cookie is copied\n"
	"\n"
	"A cookie given to a PID stays after coretop exits.  See coretop(8).\n";

int cookie_parse_scope(const char *s, enum cookie_scope *scope)
{
	size_t i;

	for (i = 0; i < sizeof(scope_names) / sizeof(scope_names[0]); i++) {
		if (s && !strcmp(s, scope_names[i])) {
			*scope = (enum cookie_scope)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *cookie_scope_name(enum cookie_scope scope)
{
	if ((size_t)scope < sizeof(scope_names) / sizeof(scope_names[0]))
		return scope_names[scope];
	return "?";
}

int cookie_parse_pid(const char *s, pid_t *pid)
{
	long v = 0;
	const char *p;

	if (!s || !*s)
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (*p - '0');
		if (v > INT_MAX)
			return -EINVAL;
	}
	if (v == 0)	/* the kernel's "myself": never meant on a command line */
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

/* argv[*i] is OPT or OPT=VALUE: 1 and *val set; 0 if it is not OPT; -1
 * (message in err) when the value is missing. */
static int opt_value(int argc, char **argv, int *i, const char *opt,
		     const char **val, const char *cmd, char *err, size_t errlen)
{
	const char *a = argv[*i];
	size_t n = strlen(opt);

	if (strncmp(a, opt, n))
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n])
		return 0;
	if (*i + 1 >= argc || !strcmp(argv[*i + 1], "--")) {
		errmsg(err, errlen, "cookie %s: option '%s' needs a value", cmd, opt);
		return -1;
	}
	*val = argv[++*i];
	return 1;
}

/* What each subcommand needs and refuses, once its tokens are read. */
static int cookie_check_form(const struct cookie_req *r, const char *scope_arg,
			     const char *from_arg, const char *pos, char *err, size_t errlen)
{
	switch (r->cmd) {
	case COOKIE_GET:
		if (scope_arg) {
			errmsg(err, errlen,
			       "cookie get takes no --scope: the kernel reads one task's cookie");
			return -EINVAL;
		}
		if (r->command) {
			errmsg(err, errlen, "cookie get takes no COMMAND");
			return -EINVAL;
		}
		if (!pos) {
			errmsg(err, errlen, "cookie get: no PID");
			return -EINVAL;
		}
		break;
	case COOKIE_CREATE:
		if (!pos == !r->command) {
			errmsg(err, errlen, "cookie create: give a PID or -- COMMAND%s",
			       pos ? ", not both" : "");
			return -EINVAL;
		}
		/* COMMAND's children inherit its cookie; a process group
		 * would mean coretop's caller's too */
		if (r->command && r->scope == COOKIE_SCOPE_PGID) {
			errmsg(err, errlen, "cookie create: --scope pgid needs a PID "
			       "(COMMAND's children inherit its cookie)");
			return -EINVAL;
		}
		break;
	case COOKIE_SHARE_TO:
		if (r->command) {
			errmsg(err, errlen, "cookie share-to takes no COMMAND "
			       "(share-from SRC -- COMMAND runs one)");
			return -EINVAL;
		}
		if (!from_arg) {
			errmsg(err, errlen, "cookie share-to: no --from SRC");
			return -EINVAL;
		}
		if (!pos) {
			errmsg(err, errlen, "cookie share-to: no PID");
			return -EINVAL;
		}
		break;
	case COOKIE_SHARE_FROM:
		if (scope_arg) {
			errmsg(err, errlen, "cookie share-from takes no --scope: "
			       "only COMMAND gets SRC's cookie");
			return -EINVAL;
		}
		if (!pos) {
			errmsg(err, errlen, "cookie share-from: no SRC");
			return -EINVAL;
		}
		if (!r->command) {
			errmsg(err, errlen, "cookie share-from: no -- COMMAND "
			       "(for a PID: share-to --from SRC PID)");
			return -EINVAL;
		}
		break;
	}
	return 0;
}

int cookie_parse(int argc, char **argv, struct cookie_req *r, char *err, size_t errlen)
{
	const char *cmd, *scope_arg = NULL, *from_arg = NULL, *pos = NULL;
	size_t c;
	int i, k;

	memset(r, 0, sizeof(*r));
	r->scope = COOKIE_SCOPE_TGID;
	if (argc < 2) {
		errmsg(err, errlen, "cookie: no subcommand: get, create, share-to or share-from");
		return -EINVAL;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		r->help = true;
		return 0;
	}
	for (c = 0; c < sizeof(cmd_names) / sizeof(cmd_names[0]); c++)
		if (!strcmp(cmd, cmd_names[c]))
			break;
	if (c == sizeof(cmd_names) / sizeof(cmd_names[0])) {
		errmsg(err, errlen,
		       "cookie: unknown subcommand '%s' (get, create, share-to or share-from)",
		       cmd);
		return -EINVAL;
	}
	r->cmd = (enum cookie_cmd)c;

	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			r->command = argv + i + 1;
			if (!r->command[0]) {
				errmsg(err, errlen, "cookie %s: no COMMAND after --", cmd);
				return -EINVAL;
			}
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			r->help = true;
			return 0;
		}
		k = opt_value(argc, argv, &i, "--scope", &scope_arg, cmd, err, errlen);
		if (k < 0)
			return -EINVAL;
		if (k) {
			if (cookie_parse_scope(scope_arg, &r->scope)) {
				errmsg(err, errlen,
				       "cookie %s: bad scope '%s' (thread, tgid or pgid)",
				       cmd, scope_arg);
				return -EINVAL;
			}
			continue;
		}
		k = opt_value(argc, argv, &i, "--from", &from_arg, cmd, err, errlen);
		if (k < 0)
			return -EINVAL;
		if (k) {
			if (r->cmd != COOKIE_SHARE_TO) {
				errmsg(err, errlen, "cookie %s: --from is for share-to", cmd);
				return -EINVAL;
			}
			if (cookie_parse_pid(from_arg, &r->src)) {
				errmsg(err, errlen, "cookie %s: bad pid '%s' for --from",
				       cmd, from_arg);
				return -EINVAL;
			}
			continue;
		}
		if (a[0] == '-' && a[1] && (a[1] < '0' || a[1] > '9')) {
			errmsg(err, errlen, "cookie %s: unknown option '%s'", cmd, a);
			return -EINVAL;
		}
		if (pos) {
			errmsg(err, errlen, "cookie %s: unexpected argument '%s'", cmd, a);
			return -EINVAL;
		}
		pos = a;
		if (cookie_parse_pid(a, r->cmd == COOKIE_SHARE_FROM ? &r->src : &r->pid)) {
			errmsg(err, errlen, "cookie %s: bad pid '%s'%s", cmd, a,
			       r->cmd == COOKIE_CREATE ? " (a COMMAND goes after --)" : "");
			return -EINVAL;
		}
	}

	return cookie_check_form(r, scope_arg, from_arg, pos, err, errlen);
}

/* Whom a scope covers, in words, for the messages. */
static const char *scope_whom(enum cookie_scope scope)
{
	switch (scope) {
	case COOKIE_SCOPE_TGID:
		return "every thread of its process";
	case COOKIE_SCOPE_PGID:
		return "every process of its process group";
	case COOKIE_SCOPE_THREAD:
		break;
	}
	return "it";
}

void cookie_strerror(char *buf, size_t len, int err, pid_t pid, enum cookie_scope scope)
{
	switch (err) {
	case EINVAL:
		errmsg(buf, len,
		       "core scheduling is not built into this kernel (CONFIG_SCHED_CORE)");
		break;
	case ENODEV:
		errmsg(buf, len,
		       "this machine has no SMT siblings: core scheduling has nothing to isolate");
		break;
	case ESRCH:
		errmsg(buf, len, "no process %d", (int)pid);
		break;
	case EPERM:
		/* the kernel's check is ptrace_may_access(PTRACE_MODE_READ_REALCREDS) */
		errmsg(buf, len, "permission denied on pid %d: core scheduling needs "
		       "ptrace access to %s (same user, or CAP_SYS_PTRACE)",
		       (int)pid, scope_whom(scope));
		break;
	case ENOMEM:
		errmsg(buf, len, "out of memory for a new cookie");
		break;
	default:
		errmsg(buf, len, "pid %d: %s", (int)pid, strerror(err));
		break;
	}
}

static int cookie_fail(int err, pid_t pid, enum cookie_scope scope)
{
	char buf[256];

	cookie_strerror(buf, sizeof(buf), err, pid, scope);
	return tool_error("%s", buf);
}

/* 0 or -errno */
static int sched_core(unsigned long op, pid_t pid, enum cookie_scope scope,
		      unsigned long long *id)
{
	if (prctl(PR_SCHED_CORE, op, (unsigned long)pid, (unsigned long)scope,
		  (unsigned long)id))
		return -errno;
	return 0;
}

/* PR_SCHED_CORE_GET gives the kernel's hash of a cookie, and 0 while the
 * kernel's hashing key is not set: until its CRNG is ready, and on kernels
 * before 6.2 up to 2 s later (a worker looks for the CRNG every 2 s).
 * Early after boot (guests, tests), a blocking getrandom() makes the CRNG
 * ready, then the worker's period is waited out.  A running system does
 * not wait.  A CRNG that became ready less than 2 s before coretop started
 * can still read as 0 on those kernels: after a create, print_cookie()
 * waits for a cookie it knows is there. */
static void wait_for_hash_key(void)
{
	struct timespec poll = { .tv_sec = 2, .tv_nsec = 100000000 };
	char b;

	if (getrandom(&b, 1, GRND_NONBLOCK) == 1 || errno != EAGAIN)
		return;
	while (getrandom(&b, 1, 0) < 0 && errno == EINTR)
		;
	nanosleep(&poll, NULL);
}

/* ESRCH said plainly, before the kernel's EINVAL or ENODEV would hide it.
 * EPERM from kill() means the process exists. */
static int check_alive(pid_t pid)
{
	if (kill(pid, 0) && errno == ESRCH)
		return cookie_fail(ESRCH, pid, COOKIE_SCOPE_THREAD);
	return 0;
}

/* @has_one: PID surely has a cookie, so a 0 is the unset hashing key */
static int print_cookie(pid_t pid, bool has_one)
{
	struct timespec step = { .tv_nsec = 100000000 };
	unsigned long long id = 0;
	int ret, i;

	wait_for_hash_key();
	for (i = 0; i < 30; i++) {
		ret = sched_core(PR_SCHED_CORE_GET, pid, COOKIE_SCOPE_THREAD, &id);
		if (ret)
			return cookie_fail(-ret, pid, COOKIE_SCOPE_THREAD);
		if (id || !has_one)
			break;
		nanosleep(&step, NULL);
	}
	printf("pid %d cookie 0x%llx\n", (int)pid, id);
	return 0;
}

static void say_persists(pid_t pid, enum cookie_scope scope)
{
	char whom[64];

	if (scope == COOKIE_SCOPE_THREAD)
		snprintf(whom, sizeof(whom), "pid %d (that thread only)", (int)pid);
	else if (scope == COOKIE_SCOPE_TGID)
		snprintf(whom, sizeof(whom), "every thread of pid %d's process", (int)pid);
	else
		snprintf(whom, sizeof(whom), "every process of pid %d's process group", (int)pid);
	fprintf(stderr,
		"coretop: note: cookies persist: %s keeps this cookie after coretop exits\n", whom);
}

static int run_command(char **command)
{
	int err;

	execvp(command[0], command);
	err = errno;
	tool_error("cannot run '%s': %s", command[0], strerror(err));
	return err == ENOENT ? 127 : 126;
}

static int cookie_create(const struct cookie_req *r)
{
	int ret;

	if (r->command) {
		/* coretop is one thread: thread and tgid scope are the same */
		ret = sched_core(PR_SCHED_CORE_CREATE, 0, r->scope, NULL);
		if (ret)
			return cookie_fail(-ret, getpid(), r->scope);
		return run_command(r->command);
	}
	if (check_alive(r->pid))
		return 1;
	ret = sched_core(PR_SCHED_CORE_CREATE, r->pid, r->scope, NULL);
	if (ret)
		return cookie_fail(-ret, r->pid, r->scope);
	say_persists(r->pid, r->scope);
	return print_cookie(r->pid, true);
}

static int cookie_share_to(const struct cookie_req *r)
{
	int ret;

	if (check_alive(r->src) || check_alive(r->pid))
		return 1;
	/* the kernel shares only from the caller: take SRC's, then give it */
	ret = sched_core(PR_SCHED_CORE_SHARE_FROM, r->src, COOKIE_SCOPE_THREAD, NULL);
	if (ret)
		return cookie_fail(-ret, r->src, COOKIE_SCOPE_THREAD);
	ret = sched_core(PR_SCHED_CORE_SHARE_TO, r->pid, r->scope, NULL);
	if (ret)
		return cookie_fail(-ret, r->pid, r->scope);
	say_persists(r->pid, r->scope);
	return print_cookie(r->pid, false);
}

static int cookie_share_from(const struct cookie_req *r)
{
	int ret;

	if (check_alive(r->src))
		return 1;
	ret = sched_core(PR_SCHED_CORE_SHARE_FROM, r->src, COOKIE_SCOPE_THREAD, NULL);
	if (ret)
		return cookie_fail(-ret, r->src, COOKIE_SCOPE_THREAD);
	return run_command(r->command);
}

int cookie_main(int argc, char **argv)
{
	struct cookie_req r;
	char err[256];

	if (cookie_parse(argc, argv, &r, err, sizeof(err)))
		return tool_error("%s", err);
	if (r.help) {
		fputs(usage, stdout);
		return 0;
	}
	switch (r.cmd) {
	case COOKIE_GET:
		if (check_alive(r.pid))
			return 1;
		return print_cookie(r.pid, false);
	case COOKIE_CREATE:
		return cookie_create(&r);
	case COOKIE_SHARE_TO:
		return cookie_share_to(&r);
	case COOKIE_SHARE_FROM:
		return cookie_share_from(&r);
	}
	return 1;
}
