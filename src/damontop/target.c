// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wordexp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "target.h"

static void read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, len - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

int target_attach(struct target *t, pid_t pid, char *err, size_t errlen)
{
	char comm[32];

	*t = (struct target){ .pid = pid };
	t->pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (t->pidfd < 0) {
		int rc = -errno;

		snprintf(err, errlen, "cannot attach to pid %d: %s", pid, strerror(-rc));
		return rc;
	}
	read_comm(pid, comm, sizeof(comm));
	snprintf(t->desc, sizeof(t->desc), "pid %d (%s)", pid, comm);
	return 0;
}

int target_spawn(struct target *t, const char *cmdline, bool quiet,
		 char *err, size_t errlen)
{
	int status[2], rc, e = 0;
	pid_t parent;
	wordexp_t we;

	*t = (struct target){ .pid = -1, .pidfd = -1, .child = true };
	snprintf(t->desc, sizeof(t->desc), "%s", cmdline);
	if (wordexp(cmdline, &we, WRDE_NOCMD)) {
		snprintf(err, errlen, "cannot parse command '%s'", cmdline);
		return -EINVAL;
	}
	if (!we.we_wordc) {
		wordfree(&we);
		snprintf(err, errlen, "empty command");
		return -EINVAL;
	}
	if (pipe2(status, O_CLOEXEC)) {
		rc = -errno;
		goto fail;
	}
	parent = getpid();
	t->pid = fork();
	if (t->pid < 0) {
		rc = -errno;
		close(status[0]);
		close(status[1]);
		goto fail;
	}
	if (!t->pid) {
		/* exec closes the pipe on success; on failure say why */
		sigset_t none;

		close(status[0]);
		/* the command gets a plain signal state, and dies with us
		 * even if we are killed outright */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(127);
		if (quiet) {
			int null = open("/dev/null", O_RDWR);

			if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
			    dup2(null, 2) < 0)
				_exit(126);
		}
		execvp(we.we_wordv[0], we.we_wordv);
		e = errno;
		if (write(status[1], &e, sizeof(e)) < 0)
			_exit(126);
		_exit(127);
	}
	close(status[1]);
	rc = read(status[0], &e, sizeof(e));
	close(status[0]);
	if (rc == sizeof(e)) {
		waitpid(t->pid, NULL, 0);
		t->pid = -1;
		rc = -e;
		goto fail;
	}
	t->pidfd = syscall(SYS_pidfd_open, t->pid, 0);
	if (t->pidfd < 0) {
		rc = -errno;
		target_close(t);
		goto fail;
	}
	wordfree(&we);
	return 0;
fail:
	snprintf(err, errlen, "cannot run '%s': %s", we.we_wordv[0], strerror(-rc));
	wordfree(&we);
	return rc;
}

int target_reap(struct target *t)
{
	int status;

	if (!t->child || t->pid <= 0)
		return -1;
	if (waitpid(t->pid, &status, 0) != t->pid)
		return -1;
	t->pid = -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

void target_close(struct target *t)
{
	struct pollfd pfd = { .fd = t->pidfd, .events = POLLIN };

	/* A command we started ends with us: politely, then for sure. */
	if (t->child && t->pid > 0) {
		kill(t->pid, SIGTERM);
		if (t->pidfd < 0 || poll(&pfd, 1, 1000) <= 0)
			kill(t->pid, SIGKILL);
		target_reap(t);
	}
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
}
