// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the event loop: timers tick and can be re-armed, fd
 * watches call back when readable, a callback's return value or
 * evloop_stop() ends the run, a watch deleted mid-batch is never called
 * (run the sanitizer build to catch a use after free), and signals arrive
 * through the loop with the caller's mask restored afterwards.  Every
 * loop has a watchdog timer so that a broken loop fails instead of
 * hanging.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"

#define MS 1000000ull
#define WATCHDOG_NS (5000 * MS)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int watchdog_cb(void *ctx, int fd, uint32_t events)
{
	(void)ctx;
	(void)fd;
	(void)events;
	return -ETIMEDOUT;
}

/* A loop that gives up with -ETIMEDOUT after a few seconds. */
static struct evloop *new_loop(void)
{
	struct evloop *loop = evloop_new();

	assert_non_null(loop);
	assert_true(evloop_add_timer(loop, WATCHDOG_NS, watchdog_cb,
				     NULL) >= 0);
	return loop;
}

static int group_setup(void **state)
{
	(void)state;
	/* last resort: a loop that ignores even its watchdog is killed */
	alarm(60);
	return 0;
}

/* ---- timers ---------------------------------------------------------- */

struct ticker {
	int fd;
	int ticks;
	uint64_t t[8];
	uint64_t t_set;
	int set_err;
};

static int ticker_cb(void *ctx, int fd, uint32_t events)
{
	struct ticker *c = ctx;

	if (fd != c->fd || !(events & EPOLLIN))
		return -EBADF;
	c->t[c->ticks++] = now_ns();
	if (c->ticks == 3) {
		c->t_set = now_ns();
		c->set_err = evloop_set_timer(fd, 50 * MS);
	}
	return c->ticks == 5 ? 42 : 0;
}

static void test_timer(void **state)
{
	struct evloop *loop = new_loop();
	struct ticker c = { 0 };

	(void)state;
	/* armed for an hour, then re-armed to tick fast */
	c.fd = evloop_add_timer(loop, 3600000 * MS, ticker_cb, &c);
	assert_true(c.fd >= 0);
	assert_int_equal(evloop_set_timer(c.fd, 2 * MS), 0);
	assert_int_equal(evloop_run(loop), 42);
	assert_int_equal(c.ticks, 5);
	assert_int_equal(c.set_err, 0);
	/* timers never fire early: the slow period is in force after tick 3 */
	assert_true(c.t[3] - c.t_set >= 50 * MS);
	assert_true(c.t[4] - c.t_set >= 100 * MS);
	evloop_free(loop);

	assert_true(evloop_set_timer(-1, MS) < 0);
}

/* ---- stopping ---------------------------------------------------------- */

/* a tool's -d: the loop ends with 1, not before its time */
static void test_deadline(void **state)
{
	struct evloop *loop = new_loop();
	uint64_t t0;

	(void)state;
	assert_true(evloop_add_deadline(loop, 30 * MS) >= 0);
	t0 = now_ns();
	assert_int_equal(evloop_run(loop), 1);
	assert_true(now_ns() - t0 >= 30 * MS);
	evloop_free(loop);
}

struct stopper {
	struct evloop *loop;
	int calls;
	int rc;		/* what evloop_stop() is given */
};

static int stopper_cb(void *ctx, int fd, uint32_t events)
{
	struct stopper *c = ctx;

	(void)fd;
	(void)events;
	c->calls++;
	evloop_stop(c->loop, c->rc);
	return 0;
}

static void test_stop(void **state)
{
	struct stopper c = { .rc = 7 };

	(void)state;
	c.loop = new_loop();
	assert_true(evloop_add_timer(c.loop, MS, stopper_cb, &c) >= 0);
	assert_int_equal(evloop_run(c.loop), 7);
	assert_int_equal(c.calls, 1);
	/* a stopped loop runs again, and stopping with 0 stops it too */
	c.rc = 0;
	assert_int_equal(evloop_run(c.loop), 0);
	assert_int_equal(c.calls, 2);
	evloop_free(c.loop);
}

struct returner {
	int calls;
	int rc;
};

static int returner_cb(void *ctx, int fd, uint32_t events)
{
	struct returner *c = ctx;

	(void)fd;
	(void)events;
	c->calls++;
	return c->rc;
}

/* Two fds ready in one batch: the first to return non-zero ends it. */
static void test_return_stops(void **state)
{
	struct evloop *loop = new_loop();
	struct returner a = { .rc = -5 }, b = { .rc = 9 };
	int pa[2], pb[2], rc;

	(void)state;
	assert_int_equal(pipe(pa), 0);
	assert_int_equal(pipe(pb), 0);
	assert_int_equal(evloop_add_fd(loop, pa[0], returner_cb, &a), 0);
	assert_int_equal(evloop_add_fd(loop, pb[0], returner_cb, &b), 0);
	assert_int_equal(write(pa[1], "x", 1), 1);
	assert_int_equal(write(pb[1], "x", 1), 1);
	rc = evloop_run(loop);
	assert_int_equal(a.calls + b.calls, 1);
	assert_int_equal(rc, a.calls ? -5 : 9);
	evloop_free(loop);
	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
}

/* ---- fd watches -------------------------------------------------------- */

struct reader {
	int fd, wfd;
	bool written;		/* set by the writer timer */
	int early;		/* calls before anything was written */
	int calls;
	char got;
};

static int writer_cb(void *ctx, int fd, uint32_t events)
{
	struct reader *c = ctx;

	(void)fd;
	(void)events;
	if (!c->written) {
		c->written = true;
		if (write(c->wfd, "k", 1) != 1)
			return -EIO;
	}
	return 0;
}

static int reader_cb(void *ctx, int fd, uint32_t events)
{
	struct reader *c = ctx;

	if (fd != c->fd || !(events & EPOLLIN))
		return -EBADF;
	if (!c->written)
		c->early++;
	c->calls++;
	if (read(fd, &c->got, 1) != 1)
		return -EIO;
	return 1;
}

static int quit_cb(void *ctx, int fd, uint32_t events)
{
	(void)ctx;
	(void)fd;
	(void)events;
	return 2;
}

static void test_fd_watch(void **state)
{
	struct evloop *loop = new_loop();
	struct reader c = { 0 };
	int p[2], t, q;

	(void)state;
	assert_int_equal(pipe(p), 0);
	c.fd = p[0];
	c.wfd = p[1];
	assert_int_equal(evloop_add_fd(loop, p[0], reader_cb, &c), 0);
	t = evloop_add_timer(loop, 20 * MS, writer_cb, &c);
	assert_true(t >= 0);
	assert_int_equal(evloop_run(loop), 1);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.early, 0);
	assert_int_equal(c.got, 'k');

	/* a deleted watch is not called any more, and only deletes once */
	assert_int_equal(evloop_del_fd(loop, p[0]), 0);
	assert_int_equal(evloop_del_fd(loop, p[0]), -ENOENT);
	assert_int_equal(evloop_del_fd(loop, t), 0);
	assert_int_equal(write(p[1], "z", 1), 1);
	q = evloop_add_timer(loop, 30 * MS, quit_cb, NULL);
	assert_true(q >= 0);
	assert_int_equal(evloop_run(loop), 2);
	assert_int_equal(c.calls, 1);

	/* and can be added again */
	assert_int_equal(evloop_del_fd(loop, q), 0);
	assert_int_equal(evloop_add_fd(loop, p[0], reader_cb, &c), 0);
	assert_int_equal(evloop_run(loop), 1);
	assert_int_equal(c.calls, 2);
	assert_int_equal(c.got, 'z');

	/* an fd epoll cannot watch is refused */
	assert_true(evloop_add_fd(loop, -1, reader_cb, &c) < 0);
	evloop_free(loop);
	close(p[0]);
	close(p[1]);
}

/*
 * Two watches ready in the same batch, each deleting the other: whichever
 * runs first, the other's event is already fetched and must be skipped,
 * without touching freed memory.
 */
struct killer {
	struct evloop *loop;
	int fd, victim_fd;
	int calls;
	int del_err;
	char drained;
};

static int killer_cb(void *ctx, int fd, uint32_t events)
{
	struct killer *c = ctx;

	(void)events;
	c->calls++;
	if (read(fd, &c->drained, 1) != 1)
		return -EIO;
	c->del_err = evloop_del_fd(c->loop, c->victim_fd);
	return 0;
}

static void test_delete_in_batch(void **state)
{
	struct evloop *loop = new_loop();
	struct killer a = { 0 }, b = { 0 };
	int pa[2], pb[2];

	(void)state;
	assert_int_equal(pipe(pa), 0);
	assert_int_equal(pipe(pb), 0);
	a = (struct killer){ loop, pa[0], pb[0], 0, 0, 0 };
	b = (struct killer){ loop, pb[0], pa[0], 0, 0, 0 };
	assert_int_equal(evloop_add_fd(loop, pa[0], killer_cb, &a), 0);
	assert_int_equal(evloop_add_fd(loop, pb[0], killer_cb, &b), 0);
	assert_true(evloop_add_timer(loop, 30 * MS, quit_cb, NULL) >= 0);
	assert_int_equal(write(pa[1], "a", 1), 1);
	assert_int_equal(write(pb[1], "b", 1), 1);
	assert_int_equal(evloop_run(loop), 2);
	assert_int_equal(a.calls + b.calls, 1);
	assert_int_equal(a.calls ? a.del_err : b.del_err, 0);
	/* the survivor's watch is still there, the victim's is gone */
	assert_int_equal(evloop_del_fd(loop, a.calls ? pb[0] : pa[0]), -ENOENT);
	assert_int_equal(evloop_del_fd(loop, a.calls ? pa[0] : pb[0]), 0);
	evloop_free(loop);
	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
}

/* A timer deleted by an fd callback in the batch where both are ready. */
struct timer_killer {
	struct evloop *loop;
	int timer_fd;
	int fd_calls, timer_calls;
};

static int tk_fd_cb(void *ctx, int fd, uint32_t events)
{
	struct timer_killer *c = ctx;
	char ch;

	(void)events;
	c->fd_calls++;
	if (read(fd, &ch, 1) != 1)
		return -EIO;
	return evloop_del_fd(c->loop, c->timer_fd);
}

static int tk_timer_cb(void *ctx, int fd, uint32_t events)
{
	struct timer_killer *c = ctx;

	(void)fd;
	(void)events;
	c->timer_calls++;
	return 3;
}

static void test_delete_timer_in_batch(void **state)
{
	struct timer_killer c = { 0 };
	struct timespec ts = { 0, 20 * MS };
	int p[2], rc;

	(void)state;
	c.loop = new_loop();
	assert_int_equal(pipe(p), 0);
	c.timer_fd = evloop_add_timer(c.loop, 5 * MS, tk_timer_cb, &c);
	assert_true(c.timer_fd >= 0);
	assert_int_equal(evloop_add_fd(c.loop, p[0], tk_fd_cb, &c), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	/* both ready before the first epoll_wait */
	nanosleep(&ts, NULL);
	assert_true(evloop_add_timer(c.loop, 50 * MS, quit_cb, NULL) >= 0);
	/* the timer either ran first (3) or was deleted and never ran (2) */
	rc = evloop_run(c.loop);
	assert_true(rc == 3 || rc == 2);
	if (rc == 3) {
		assert_int_equal(c.timer_calls, 1);
		assert_int_equal(c.fd_calls, 0);
	} else {
		assert_int_equal(c.timer_calls, 0);
		assert_int_equal(c.fd_calls, 1);
	}
	evloop_free(c.loop);
	close(p[0]);
	close(p[1]);
}

/* ---- signals ------------------------------------------------------------ */

struct sigs {
	int got[4];
	int n;
	int stop_after;
};

static int sig_cb(void *ctx, int signo)
{
	struct sigs *c = ctx;

	if (c->n < 4)
		c->got[c->n] = signo;
	c->n++;
	return c->n == c->stop_after ? 100 + signo : 0;
}

static bool blocked(int signo)
{
	sigset_t set;

	assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &set), 0);
	return sigismember(&set, signo);
}

static void test_signals(void **state)
{
	static const int signals[] = { SIGUSR1, SIGUSR2, 0 };
	struct sigs c = { .stop_after = 1 };
	sigset_t usr2, orig;
	struct evloop *loop;
	int rc;

	(void)state;
	/* SIGUSR2 is blocked by the caller already and must stay so */
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	assert_int_equal(sigprocmask(SIG_BLOCK, &usr2, &orig), 0);
	assert_false(blocked(SIGUSR1));

	loop = new_loop();
	assert_int_equal(evloop_add_signals(loop, signals, sig_cb, &c), 0);
	assert_true(blocked(SIGUSR1));
	assert_true(blocked(SIGUSR2));

	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(evloop_run(loop), 100 + SIGUSR1);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.got[0], SIGUSR1);

	/* two at once both arrive, through one wake-up or two */
	c.stop_after = 3;
	assert_int_equal(raise(SIGUSR2), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	rc = evloop_run(loop);
	assert_int_equal(rc, 100 + c.got[2]);
	assert_int_equal(c.n, 3);
	assert_true((c.got[1] == SIGUSR1 && c.got[2] == SIGUSR2) ||
		    (c.got[1] == SIGUSR2 && c.got[2] == SIGUSR1));

	evloop_free(loop);
	assert_false(blocked(SIGUSR1));
	assert_true(blocked(SIGUSR2));
	assert_int_equal(sigprocmask(SIG_SETMASK, &orig, NULL), 0);
	assert_false(blocked(SIGUSR2));
}

/* A loop that never took signals leaves the mask alone when freed. */
static void test_free_without_signals(void **state)
{
	sigset_t usr1, orig;

	(void)state;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	assert_int_equal(sigprocmask(SIG_BLOCK, &usr1, &orig), 0);
	evloop_free(new_loop());
	assert_true(blocked(SIGUSR1));
	assert_int_equal(sigprocmask(SIG_SETMASK, &orig, NULL), 0);
	evloop_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_return_stops),
		cmocka_unit_test(test_fd_watch),
		cmocka_unit_test(test_delete_in_batch),
		cmocka_unit_test(test_delete_timer_in_batch),
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_free_without_signals),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
