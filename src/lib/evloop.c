// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <bpf/libbpf.h>

#include "evloop.h"

enum watch_kind { WATCH_FD, WATCH_TIMER, WATCH_SIGNAL, WATCH_RINGBUF };

struct watch {
	enum watch_kind kind;
	int fd;
	evloop_fd_cb fd_cb;
	evloop_signal_cb sig_cb;
	struct ring_buffer *rb;
	void *ctx;
	bool dead;		/* deleted; freed after the current batch */
	struct watch *next;
};

struct evloop {
	int epfd;
	bool stopped;
	int rc;
	sigset_t blocked;	/* restored on free */
	bool signals_blocked;
	struct watch *watches;
};

struct evloop *evloop_new(void)
{
	struct evloop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	return loop;
}

void evloop_free(struct evloop *loop)
{
	struct watch *w, *next;

	if (!loop)
		return;
	for (w = loop->watches; w; w = next) {
		next = w->next;
		if (w->kind == WATCH_TIMER || w->kind == WATCH_SIGNAL)
			close(w->fd);
		free(w);
	}
	if (loop->signals_blocked)
		sigprocmask(SIG_SETMASK, &loop->blocked, NULL);
	close(loop->epfd);
	free(loop);
}

static int add_watch(struct evloop *loop, struct watch *proto)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct watch *w = malloc(sizeof(*w));

	if (!w)
		return -ENOMEM;
	*w = *proto;
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, w->fd, &ev)) {
		int err = -errno;

		free(w);
		return err;
	}
	w->next = loop->watches;
	loop->watches = w;
	return 0;
}

int evloop_add_fd(struct evloop *loop, int fd, evloop_fd_cb cb, void *ctx)
{
	struct watch w = { .kind = WATCH_FD, .fd = fd, .fd_cb = cb, .ctx = ctx };

	return add_watch(loop, &w);
}

int evloop_del_fd(struct evloop *loop, int fd)
{
	struct watch *w;

	for (w = loop->watches; w; w = w->next) {
		if (w->fd != fd || w->dead)
			continue;
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
		w->dead = true;
		return 0;
	}
	return -ENOENT;
}

/* Events already fetched may still point at a deleted watch: free late. */
static void reap_dead(struct evloop *loop)
{
	struct watch **pw = &loop->watches, *w;

	while ((w = *pw)) {
		if (!w->dead) {
			pw = &w->next;
			continue;
		}
		*pw = w->next;
		if (w->kind == WATCH_TIMER || w->kind == WATCH_SIGNAL)
			close(w->fd);
		free(w);
	}
}

static int deadline_passed(void *ctx, int fd, uint32_t events)
{
	(void)ctx, (void)fd, (void)events;
	return 1;
}

int evloop_add_deadline(struct evloop *loop, uint64_t ns)
{
	return evloop_add_timer(loop, ns, deadline_passed, NULL);
}

int evloop_set_timer(int timer_fd, uint64_t interval_ns)
{
	struct itimerspec its = {
		.it_interval = { interval_ns / 1000000000, interval_ns % 1000000000 },
	};

	its.it_value = its.it_interval;
	return timerfd_settime(timer_fd, 0, &its, NULL) ? -errno : 0;
}

int evloop_add_timer(struct evloop *loop, uint64_t interval_ns,
		     evloop_fd_cb cb, void *ctx)
{
	struct watch w = { .kind = WATCH_TIMER, .fd_cb = cb, .ctx = ctx };
	int err;

	w.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (w.fd < 0)
		return -errno;
	err = evloop_set_timer(w.fd, interval_ns);
	if (!err)
		err = add_watch(loop, &w);
	if (err) {
		close(w.fd);
		return err;
	}
	return w.fd;
}

int evloop_add_signals(struct evloop *loop, const int *signals,
		       evloop_signal_cb cb, void *ctx)
{
	struct watch w = { .kind = WATCH_SIGNAL, .sig_cb = cb, .ctx = ctx };
	sigset_t set;
	int err;

	sigemptyset(&set);
	for (; *signals; signals++)
		sigaddset(&set, *signals);
	if (sigprocmask(SIG_BLOCK, &set, loop->signals_blocked ? NULL : &loop->blocked))
		return -errno;
	loop->signals_blocked = true;
	w.fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (w.fd < 0)
		return -errno;
	err = add_watch(loop, &w);
	if (err)
		close(w.fd);
	return err;
}

int evloop_add_ringbuf(struct evloop *loop, struct ring_buffer *rb)
{
	struct watch w = { .kind = WATCH_RINGBUF, .rb = rb,
			   .fd = ring_buffer__epoll_fd(rb) };

	return add_watch(loop, &w);
}

void evloop_stop(struct evloop *loop, int rc)
{
	loop->stopped = true;
	loop->rc = rc;
}

static int dispatch(struct watch *w, uint32_t events)
{
	struct signalfd_siginfo si;
	uint64_t ticks;
	int err;

	switch (w->kind) {
	case WATCH_FD:
		return w->fd_cb(w->ctx, w->fd, events);
	case WATCH_TIMER:
		/* Missed ticks collapse into one: sources measure real time. */
		if (read(w->fd, &ticks, sizeof(ticks)) != sizeof(ticks))
			return 0;
		return w->fd_cb(w->ctx, w->fd, events);
	case WATCH_SIGNAL:
		while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
			err = w->sig_cb(w->ctx, si.ssi_signo);
			if (err)
				return err;
		}
		return 0;
	case WATCH_RINGBUF:
		err = ring_buffer__consume(w->rb);
		return err < 0 ? err : 0;
	}
	return 0;
}

int evloop_run(struct evloop *loop)
{
	struct epoll_event evs[16];
	int n, i, rc;

	loop->stopped = false;
	while (!loop->stopped) {
		n = epoll_wait(loop->epfd, evs, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n && !loop->stopped; i++) {
			struct watch *w = evs[i].data.ptr;

			if (w->dead)
				continue;
			rc = dispatch(w, evs[i].events);
			if (rc)
				evloop_stop(loop, rc);
		}
		reap_dead(loop);
	}
	return loop->rc;
}
