// SPDX-License-Identifier: GPL-2.0
/*
 * The reaper: a forked child that undoes what its tool armed once the
 * tool is gone (reaper.h).  One SOCK_SEQPACKET pair carries one message
 * per arm or disarm, so a message is never split, and the tool's sends
 * cannot raise SIGPIPE (MSG_NOSIGNAL) if the reaper is gone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "reaper.h"

struct reaper_msg {
	int id;			/* > 0: arm it; < 0: disarm -id */
	reaper_undo_fn fn;
	size_t len;
	unsigned char data[REAPER_MAX_DATA];
};

static int reaper_sock = -1;	/* the tool's end */
static int reaper_next_id;

/* Every fd but 0-2 and @keep closed: the reaper must not keep the tool's
 * BPF links, listening sockets or output files alive. */
static void close_others(int keep)
{
	DIR *d;
	struct dirent *e;

#ifdef SYS_close_range
	if (keep == 3 && !syscall(SYS_close_range, 4U, ~0U, 0U))
		return;
#endif
	d = opendir("/proc/self/fd");
	if (!d)
		return;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (fd > 2 && fd != keep && fd != dirfd(d))
			close(fd);
	}
	closedir(d);
}

static void __attribute__((noreturn)) reaper_main(int sock)
{
	static const int quiet[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP,
				     SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2, SIGPIPE,
				     SIGWINCH, SIGCHLD, 0 };
	struct reaper_msg *armed = NULL, m;
	size_t nr = 0, i;
	char name[16];
	sigset_t none;
	int fd;

	reaper_sock = -1;	/* a disarm from an undo goes nowhere */
	/* signals are blocked from before the fork until we ignore them and
	 * leave the tool's process group: a ^C meant for the tool that comes
	 * meanwhile is discarded, not the end of us */
	for (i = 0; quiet[i]; i++)
		signal(quiet[i], SIG_IGN);
	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	snprintf(name, sizeof(name), "%.8s-reaper", program_invocation_short_name);
	prctl(PR_SET_NAME, name);
	if (sock != 3) {
		dup2(sock, 3);
		close(sock);
	}
	close_others(3);
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > 3)
			close(fd);
	}
	/* out of the tool's reach: reaper_start() may return */
	send(3, "", 1, MSG_NOSIGNAL);

	for (;;) {
		ssize_t n = recv(3, &m, sizeof(m), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(m))	/* 0: the tool is gone */
			break;
		if (m.id > 0) {
			struct reaper_msg *more = realloc(armed, (nr + 1) * sizeof(*armed));

			if (!more)
				continue;
			armed = more;
			armed[nr++] = m;
		} else {
			for (i = 0; i < nr && armed[i].id != -m.id; i++)
				;
			if (i < nr)
				memmove(&armed[i], &armed[i + 1], (--nr - i) * sizeof(*armed));
		}
	}
	while (nr--)
		armed[nr].fn(armed[nr].data, armed[nr].len);
	_exit(0);
}

int reaper_start(void)
{
	sigset_t all, old;
	int sv[2], err;
	char ready;
	ssize_t n;
	pid_t pid;

	if (reaper_sock >= 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	fflush(NULL);		/* nothing buffered is written twice */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	err = -errno;
	if (pid == 0) {
		close(sv[0]);
		reaper_main(sv[1]);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return err;
	}
	close(sv[1]);
	/* until it is in a session of its own, a kill of our process group
	 * would take it with us */
	while ((n = recv(sv[0], &ready, 1, 0)) < 0 && errno == EINTR)
		;
	if (n != 1) {
		close(sv[0]);
		return n < 0 ? -errno : -ECHILD;
	}
	reaper_sock = sv[0];
	return 0;
}

static int reaper_send(const struct reaper_msg *m)
{
	while (send(reaper_sock, m, sizeof(*m), MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int reaper_arm(reaper_undo_fn fn, const void *data, size_t len)
{
	struct reaper_msg m = { .fn = fn, .len = len };
	int ret;

	if (len > sizeof(m.data))
		return -E2BIG;
	ret = reaper_start();
	if (ret)
		return ret;
	m.id = ++reaper_next_id;
	memcpy(m.data, data, len);
	ret = reaper_send(&m);
	return ret ? ret : m.id;
}

void reaper_disarm(int id)
{
	struct reaper_msg m = { .id = -id };

	if (id > 0 && reaper_sock >= 0)
		reaper_send(&m);
}
