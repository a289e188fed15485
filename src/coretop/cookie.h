/* SPDX-License-Identifier: GPL-2.0 */
/*
 * coretop cookie: core-scheduling cookie management over
 * prctl(PR_SCHED_CORE), like util-linux's coresched.  Tasks with the same
 * cookie may share a core's SMT siblings; tasks with different cookies
 * never run on two siblings of one core at the same time.
 *
 *   coretop cookie get PID
 *   coretop cookie create [--scope thread|tgid|pgid] PID
 *   coretop cookie create [--scope thread|tgid] -- COMMAND [ARGS]
 *   coretop cookie share-to [--scope thread|tgid|pgid] --from SRC PID
 *   coretop cookie share-from SRC -- COMMAND [ARGS]
 *
 * The parser and the error messages are pure, for the unit tests;
 * cookie_main() is what main.c calls for "coretop cookie ...".
 */
#ifndef KSCOPE_CORETOP_COOKIE_H
#define KSCOPE_CORETOP_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum cookie_cmd {
	COOKIE_GET,
	COOKIE_CREATE,
	COOKIE_SHARE_TO,
	COOKIE_SHARE_FROM,
};

/* The kernel's PR_SCHED_CORE_SCOPE_* values (PIDTYPE_PID, _TGID, _PGID). */
enum cookie_scope {
	COOKIE_SCOPE_THREAD = 0,
	COOKIE_SCOPE_TGID = 1,
	COOKIE_SCOPE_PGID = 2,
};

struct cookie_req {
	enum cookie_cmd cmd;
	enum cookie_scope scope;
	pid_t pid;		/* the task acted on; 0 when running a command */
	pid_t src;		/* share-to's --from, share-from's SRC; else 0 */
	char **command;		/* after "--", NULL-terminated; NULL if none */
	bool help;		/* -h/--help: print the usage, nothing else */
};

/* "thread", "tgid", "pgid" -> 0; anything else -EINVAL, *scope untouched. */
int cookie_parse_scope(const char *s, enum cookie_scope *scope);
const char *cookie_scope_name(enum cookie_scope scope);

/* A decimal pid, 1..INT_MAX, nothing around it; -EINVAL otherwise. */
int cookie_parse_pid(const char *s, pid_t *pid);

/* argv[0] is "cookie", argv[1] the subcommand.  0, or -EINVAL with one
 * line in err naming the bad token.  r->command points into argv. */
int cookie_parse(int argc, char **argv, struct cookie_req *r, char *err, size_t errlen);

/* The line for a PR_SCHED_CORE call about @pid that failed with errno
 * @err (positive); @scope says which tasks it touched. */
void cookie_strerror(char *buf, size_t len, int err, pid_t pid, enum cookie_scope scope);

/* "coretop cookie ...": 0 on success; errors are one line on stderr and
 * a non-zero return (126/127 when COMMAND cannot be run). */
int cookie_main(int argc, char **argv);

#endif
