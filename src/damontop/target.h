/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The monitored process: an existing pid (-p) or a command damontop starts
 * (-c 'CMD ARGS', split like a shell would, without running a shell).
 */
#ifndef KSCOPE_DAMONTOP_TARGET_H
#define KSCOPE_DAMONTOP_TARGET_H

#include <stdbool.h>
#include <sys/types.h>

struct target {
	pid_t pid;
	int pidfd;		/* readable once the process has exited */
	bool child;		/* we started it: reap it, and stop it on error */
	char desc[256];		/* "pid 1234 (comm)" or the command line */
};

/* -p: one line in err and -errno when it does not exist. */
int target_attach(struct target *t, pid_t pid, char *err, size_t errlen);
/* -c: starts the command; returns once it has exec'd (or failed to).
 * quiet: its stdin, stdout and stderr go to /dev/null (the live view owns
 * the terminal). */
int target_spawn(struct target *t, const char *cmdline, bool quiet,
		 char *err, size_t errlen);
/* Reaps a child target; its exit status or -1 when not ours or unknown. */
int target_reap(struct target *t);
/* Kills and reaps a child that has not finished (error paths, signals). */
void target_close(struct target *t);

#endif
