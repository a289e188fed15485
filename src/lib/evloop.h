/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one event loop of a kscope process: epoll over file descriptors
 * (stdin, pidfds, sockets), timerfds, a signalfd and libbpf ring buffers.
 * Callbacks run on the loop's thread; no threads anywhere.
 */
#ifndef KSCOPE_EVLOOP_H
#define KSCOPE_EVLOOP_H

#include <stdint.h>

struct evloop;
struct ring_buffer;

/* Return 0 to go on, non-zero to stop the loop with that value. */
typedef int (*evloop_fd_cb)(void *ctx, int fd, uint32_t events);
typedef int (*evloop_signal_cb)(void *ctx, int signo);

struct evloop *evloop_new(void);
void evloop_free(struct evloop *loop);

int evloop_add_fd(struct evloop *loop, int fd, evloop_fd_cb cb, void *ctx);
int evloop_del_fd(struct evloop *loop, int fd);

/* A periodic timer; returns its fd (an id for evloop_set_timer) or -errno. */
int evloop_add_timer(struct evloop *loop, uint64_t interval_ns,
		     evloop_fd_cb cb, void *ctx);
int evloop_set_timer(int timer_fd, uint64_t interval_ns);

/* Stops the loop, evloop_run() returning 1, @ns from now: a tool's -d. */
int evloop_add_deadline(struct evloop *loop, uint64_t ns);

/* Blocks the signals (zero-terminated list) and delivers them to cb. */
int evloop_add_signals(struct evloop *loop, const int *signals,
		       evloop_signal_cb cb, void *ctx);

/* Consumes the ring buffer whenever the kernel wakes it up. */
int evloop_add_ringbuf(struct evloop *loop, struct ring_buffer *rb);

/* Runs until a callback returns non-zero or evloop_stop(); returns that. */
int evloop_run(struct evloop *loop);
void evloop_stop(struct evloop *loop, int rc);

#endif
