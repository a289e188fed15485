// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for publishing metrics: the options as a tool parses them
 * (through a parent argp, as in test_cliout.c), the HTTP server on a
 * real event loop and loopback socket (status, content type and body in
 * both formats, 404), clients that connect and then never send or never
 * read (the loop goes on and serves others), the one-line errors of bad
 * addresses, a port in use and a textfile nowhere, and the textfile
 * written on publish.  Every loop has a watchdog timer, and the group an
 * alarm, so that a stalled loop fails instead of hanging.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "metrics.h"
#include "metrics_serve.h"

#define TMPDIR_NAME "metrics-serve"
#include "tmpdir.h"

#define MS 1000000ull
#define WATCHDOG_NS (10000 * MS)

static int setup(void **state)
{
	/* last resort: a loop that ignores even its watchdog is killed */
	alarm(120);
	return group_setup(state);
}

/* ---- options ----------------------------------------------------------- */

struct tool {
	int x;
	struct metrics_opts metrics;
};

static error_t parent(int key, char *arg, struct argp_state *state)
{
	struct tool *t = state->input;

	(void)arg;
	if (key == ARGP_KEY_INIT) {
		state->child_inputs[0] = &t->metrics;
		return 0;
	}
	if (key == 'x') {
		t->x = 1;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp_option options[] = {
	{ "x", 'x', NULL, 0, "the tool's own", 0 },
	{},
};

static const struct argp_child children[] = {
	{ &metrics_argp, 0, "Metrics:", 3 },
	{},
};

static const struct argp argp = { .options = options, .parser = parent, .children = children };

#define PARSE(t, ...) argp_parse(&argp, sizeof((char *[]){ "tool", __VA_ARGS__ }) /	\
				 sizeof(char *), (char *[]){ "tool", __VA_ARGS__, NULL },	\
				 ARGP_NO_EXIT | ARGP_NO_ERRS | ARGP_SILENT, NULL, (t))

static void test_parsed(void **state)
{
	struct tool t = {};

	(void)state;
	assert_int_equal(PARSE(&t, "-x", "--metrics", "127.0.0.1:9100", "--metrics-textfile",
			       "/var/lib/node_exporter/kscope.prom", "--headless"), 0);
	assert_int_equal(t.x, 1);
	assert_string_equal(t.metrics.listen, "127.0.0.1:9100");
	assert_string_equal(t.metrics.textfile, "/var/lib/node_exporter/kscope.prom");
	assert_true(t.metrics.headless);
	assert_true(metrics_wanted(&t.metrics));

	memset(&t, 0, sizeof(t));
	assert_int_equal(PARSE(&t, "--metrics=9100"), 0);
	assert_string_equal(t.metrics.listen, "9100");
	assert_null(t.metrics.textfile);
	assert_false(t.metrics.headless);
	assert_true(metrics_wanted(&t.metrics));

	memset(&t, 0, sizeof(t));
	assert_int_equal(PARSE(&t, "-x"), 0);
	assert_false(metrics_wanted(&t.metrics));
}

/* The exit status of a tool given @argv (argp_error() exits, as in the
 * tools), in a child with stderr muted. */
static int tool_exit(const char *a, const char *b, const char *c)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (!pid) {
		struct tool t = {};
		char *argv[] = { "tool", (char *)a, (char *)b, (char *)c, NULL };
		int argc = 1;

		while (argv[argc])
			argc++;
		if (!freopen("/dev/null", "w", stderr))
			_exit(99);
		argp_parse(&argp, argc, argv, 0, NULL, &t);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void test_refused(void **state)
{
	(void)state;
	assert_int_equal(tool_exit("--headless", "--metrics", "9100"), 0);
	assert_int_equal(tool_exit("--headless", "--metrics-textfile", "/tmp/k.prom"), 0);
	assert_int_not_equal(tool_exit("--headless", NULL, NULL), 0);
	assert_int_not_equal(tool_exit("--headless", "-x", NULL), 0);
	assert_int_not_equal(tool_exit("--metrics-textfile", "", NULL), 0);
	assert_int_not_equal(tool_exit("--metrics", NULL, NULL), 0);	/* needs its value */
}

/* ---- the event loop and its clients ------------------------------------ */

static int watchdog_cb(void *ctx, int fd, uint32_t events)
{
	(void)ctx;
	(void)fd;
	(void)events;
	return -ETIMEDOUT;
}

/* A loop that gives up with -ETIMEDOUT after a while. */
static struct evloop *new_loop(void)
{
	struct evloop *loop = evloop_new();

	assert_non_null(loop);
	assert_true(evloop_add_timer(loop, WATCHDOG_NS, watchdog_cb, NULL) >= 0);
	return loop;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A connected TCP socket to numeric @host:@port (blocking); @rcvbuf when
 * not 0. */
static int connect_to(const char *host, int port, int rcvbuf)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	char serv[16];
	int fd;

	snprintf(serv, sizeof(serv), "%d", port);
	assert_int_equal(getaddrinfo(host, serv, &hints, &ai), 0);
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (rcvbuf)
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
					    sizeof(rcvbuf)), 0);
	assert_int_equal(connect(fd, ai->ai_addr, ai->ai_addrlen), 0);
	freeaddrinfo(ai);
	return fd;
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* A client reading a response to its end (the server closes: Connection:
 * close) from the loop. */
struct client {
	struct evloop *loop;
	int fd;
	char *buf;
	size_t len, cap;
	bool done;
	int *also;		/* stop only when this reaches also_min too */
	int also_min;
	uint64_t t_done;
};

static bool client_may_stop(const struct client *c)
{
	return c->done && (!c->also || *c->also >= c->also_min);
}

static int client_cb(void *ctx, int fd, uint32_t events)
{
	struct client *c = ctx;
	ssize_t n;

	(void)events;
	for (;;) {
		if (c->cap - c->len < 4096) {
			c->cap = c->cap ? c->cap * 2 : 65536;
			c->buf = realloc(c->buf, c->cap);
			if (!c->buf)
				return -ENOMEM;
		}
		n = recv(fd, c->buf + c->len, c->cap - c->len - 1, MSG_DONTWAIT);
		if (n > 0) {
			c->len += n;
			c->buf[c->len] = '\0';
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		/* the end (or a reset: the response is checked anyway) */
		c->done = true;
		c->t_done = now_ns();
		evloop_del_fd(c->loop, fd);
		return client_may_stop(c) ? 1 : 0;
	}
}

static void client_start(struct client *c, struct evloop *loop, int fd)
{
	*c = (struct client){ .loop = loop, .fd = fd };
	assert_int_equal(evloop_add_fd(loop, fd, client_cb, c), 0);
}

static void client_free(struct client *c)
{
	close(c->fd);
	free(c->buf);
}

struct response {
	int status;
	char type[128];
	const char *body;
	size_t body_len;
};

/* The parts of the HTTP response in @c->buf. */
static void parse_response(const struct client *c, struct response *r, bool head)
{
	const char *head_end, *line;
	long content_length = -1;

	memset(r, 0, sizeof(*r));
	assert_non_null(c->buf);
	assert_int_equal(sscanf(c->buf, "HTTP/1.%*d %d ", &r->status), 1);
	head_end = strstr(c->buf, "\r\n\r\n");
	assert_non_null(head_end);
	for (line = strstr(c->buf, "\r\n") + 2; line < head_end;
	     line = strstr(line, "\r\n") + 2) {
		size_t n = strcspn(line, "\r");

		if (!strncasecmp(line, "Content-Type: ", 14)) {
			assert_true(n - 14 < sizeof(r->type));
			memcpy(r->type, line + 14, n - 14);
			r->type[n - 14] = '\0';
		}
		if (!strncasecmp(line, "Content-Length: ", 16))
			content_length = atol(line + 16);
	}
	r->body = head_end + 4;
	r->body_len = c->len - (r->body - c->buf);
	if (head)
		assert_int_equal(r->body_len, 0);
	else if (content_length >= 0)
		assert_int_equal(content_length, r->body_len);
}

/* One request, served on @loop; the client's response, parsed. */
static void fetch(struct evloop *loop, const char *host, int port, const char *request,
		  struct client *c, struct response *r)
{
	uint64_t t0 = now_ns();

	client_start(c, loop, connect_to(host, port, 0));
	send_str(c->fd, request);
	assert_int_equal(evloop_run(loop), 1);
	assert_true(c->done);
	/* served at once, not at the next once-a-second tick */
	assert_true(c->t_done - t0 < 800 * MS);
	parse_response(c, r, !strncmp(request, "HEAD ", 5));
}

#define GET(path, extra) "GET " path " HTTP/1.1\r\nHost: localhost\r\n" extra	\
	"Connection: close\r\n\r\n"

/* A refresh's families and samples, metrics_begin and _end the caller's. */
static void declare(struct metrics *m, double packets)
{
	metrics_family(m, "kscope_test_packets", METRIC_COUNTER, "Packets seen.");
	metrics_sample(m, packets, "dev", "eth0", NULL);
	metrics_sample(m, 2, "dev", "eth\"1\"", NULL);
	metrics_family(m, "kscope_test_regions", METRIC_GAUGE, "Regions monitored.");
	metrics_sample(m, 0.5, NULL);
}

static void fill(struct metrics *m, double packets)
{
	metrics_begin(m);
	declare(m, packets);
	assert_int_equal(metrics_end(m), 0);
}

/* @r's body is @m rendered in that format. */
static void assert_body(const struct response *r, struct metrics *m, bool openmetrics)
{
	size_t len;
	char *want = metrics_render(m, openmetrics, &len);

	assert_non_null(want);
	assert_int_equal(r->body_len, len);
	assert_memory_equal(r->body, want, len);
	free(want);
}

static void test_serve(void **state)
{
	struct metrics_opts o = { .listen = "127.0.0.1:0" };
	struct evloop *loop = new_loop();
	struct metrics_pub *p;
	struct response r;
	struct client c;
	char err[256] = "", url[64];
	struct metrics *m;
	int port;

	(void)state;
	assert_int_equal(metrics_pub_start(&p, &o, loop, err, sizeof(err)), 0);
	assert_non_null(p);
	assert_string_equal(err, "");
	port = metrics_pub_port(p);
	assert_true(port > 0 && port < 65536);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
	assert_string_equal(metrics_pub_url(p), url);
	m = metrics_pub_metrics(p);
	assert_non_null(m);
	fill(m, 10);

	fetch(loop, "127.0.0.1", port, GET("/metrics", ""), &c, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.type, METRICS_TEXT_TYPE);
	assert_true(!strncmp(r.type, "text/plain; version=0.0.4", 25));
	assert_body(&r, m, false);
	assert_non_null(strstr(r.body, "kscope_test_packets_total{dev=\"eth0\"} 10\n"));
	client_free(&c);

	/* Prometheus's own Accept header */
	fetch(loop, "127.0.0.1", port,
	      GET("/metrics", "Accept: application/openmetrics-text;version=1.0.0,"
		  "application/openmetrics-text;version=0.0.1;q=0.75,"
		  "text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"), &c, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.type, METRICS_OPENMETRICS_TYPE);
	assert_body(&r, m, true);
	assert_true(r.body_len > 6 && !strcmp(r.body + r.body_len - 6, "# EOF\n"));
	client_free(&c);

	fetch(loop, "127.0.0.1", port,
	      GET("/metrics", "Accept: application/openmetrics-text; version=1.0.0\r\n"),
	      &c, &r);
	assert_int_equal(r.status, 200);
	assert_true(!strncmp(r.type, "application/openmetrics-text; version=1.0.0", 43));
	assert_body(&r, m, true);
	client_free(&c);

	/* a new refresh is what the next scrape sees */
	fill(m, 25);
	fetch(loop, "127.0.0.1", port, GET("/metrics", "Accept: text/plain\r\n"), &c, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.type, METRICS_TEXT_TYPE);
	assert_body(&r, m, false);
	assert_non_null(strstr(r.body, "kscope_test_packets_total{dev=\"eth0\"} 25\n"));
	client_free(&c);

	fetch(loop, "127.0.0.1", port, GET("/", ""), &c, &r);
	assert_int_equal(r.status, 404);
	client_free(&c);
	fetch(loop, "127.0.0.1", port, GET("/metrics/x", ""), &c, &r);
	assert_int_equal(r.status, 404);
	client_free(&c);
	fetch(loop, "127.0.0.1", port, "POST /metrics HTTP/1.1\r\nHost: localhost\r\n"
	      "Content-Length: 0\r\nConnection: close\r\n\r\n", &c, &r);
	assert_int_equal(r.status, 405);
	client_free(&c);
	/* HEAD: the headers without the body */
	fetch(loop, "127.0.0.1", port, "HEAD /metrics HTTP/1.1\r\nHost: localhost\r\n"
	      "Connection: close\r\n\r\n", &c, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.type, METRICS_TEXT_TYPE);
	client_free(&c);

	metrics_pub_stop(p);
	evloop_free(loop);
	/* nothing listens there any more (SO_REUSEADDR: past the TIME_WAITs) */
	{
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		assert_true(fd >= 0);
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
		assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(listen(fd, 1), 0);
		close(fd);
	}
}

static void test_serve_ipv6(void **state)
{
	struct metrics_opts o = { .listen = "[::1]:0" };
	struct evloop *loop = new_loop();
	struct metrics_pub *p;
	struct response r;
	struct client c;
	char err[256] = "", url[64];
	int ret;

	(void)state;
	ret = metrics_pub_start(&p, &o, loop, err, sizeof(err));
	if (ret == -EADDRNOTAVAIL || ret == -EAFNOSUPPORT) {
		evloop_free(loop);
		skip();		/* no IPv6 loopback here */
	}
	assert_int_equal(ret, 0);
	snprintf(url, sizeof(url), "http://[::1]:%d/metrics", metrics_pub_port(p));
	assert_string_equal(metrics_pub_url(p), url);
	fill(metrics_pub_metrics(p), 1);
	fetch(loop, "::1", metrics_pub_port(p), GET("/metrics", ""), &c, &r);
	assert_int_equal(r.status, 200);
	assert_body(&r, metrics_pub_metrics(p), false);
	client_free(&c);
	metrics_pub_stop(p);
	evloop_free(loop);
}

/* The most a TCP socket's send buffer grows to. */
static size_t wmem_max(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_wmem", "r");
	size_t lo, def, max = 4 << 20;

	if (f) {
		if (fscanf(f, "%zu %zu %zu", &lo, &def, &max) != 3)
			max = 4 << 20;
		fclose(f);
	}
	return max;
}

static int ticker_cb(void *ctx, int fd, uint32_t events)
{
	struct client *good = ctx;

	(void)fd;
	(void)events;
	(*good->also)++;
	return client_may_stop(good) ? 1 : 0;
}

/*
 * A client that connects and never sends, and one that asks for a large
 * body and never reads it: the loop's timer still ticks and another
 * client is served meanwhile, more than once.
 */
static void test_stalled_clients(void **state)
{
	struct metrics_opts o = { .listen = "127.0.0.1:0" };
	struct evloop *loop = new_loop();
	struct metrics_pub *p;
	struct response r;
	struct client good;
	char err[256] = "";
	struct metrics *m;
	int idle, hog, port, ticks = 0, timer;
	char *body, v[1024];
	size_t len;

	(void)state;
	assert_int_equal(metrics_pub_start(&p, &o, loop, err, sizeof(err)), 0);
	port = metrics_pub_port(p);
	m = metrics_pub_metrics(p);
	/*
	 * More text than the server's socket send buffer can ever take (it
	 * grows to tcp_wmem's maximum), so that the hog holds a response the
	 * server cannot finish writing.
	 */
	metrics_begin(m);
	metrics_family(m, "kscope_test_big", METRIC_COUNTER, "Big.");
	memset(v, 'v', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	for (int i = 0; i < (int)(wmem_max() / (sizeof(v) - 16)) + 2000; i++) {
		snprintf(v, 16, "%015d", i);
		v[15] = 'v';
		metrics_sample(m, i, "series", v, NULL);
	}
	assert_int_equal(metrics_end(m), 0);
	body = metrics_render(m, false, &len);
	assert_true(len > wmem_max() + 1000000);
	free(body);

	idle = connect_to("127.0.0.1", port, 0);
	hog = connect_to("127.0.0.1", port, 4096);
	send_str(hog, GET("/metrics", ""));

	for (int round = 0; round < 3; round++) {
		ticks = 0;
		client_start(&good, loop, connect_to("127.0.0.1", port, 0));
		good.also = &ticks;
		good.also_min = 5;
		timer = evloop_add_timer(loop, 10 * MS, ticker_cb, &good);
		assert_true(timer >= 0);
		send_str(good.fd, GET("/metrics", ""));
		assert_int_equal(evloop_run(loop), 1);
		assert_true(good.done);
		assert_true(ticks >= 5);
		parse_response(&good, &r, false);
		assert_int_equal(r.status, 200);
		assert_body(&r, m, false);
		client_free(&good);
		assert_int_equal(evloop_del_fd(loop, timer), 0);
	}
	/* the hog was not given its whole body: it never read */
	{
		char buf[65536];
		size_t got = 0;
		ssize_t n;

		while ((n = recv(hog, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			got += n;
		assert_true(got < len);
	}
	/* stopped with both still connected: their connections go with it */
	metrics_pub_stop(p);
	evloop_free(loop);
	close(idle);
	close(hog);
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int count_cb(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	(*(int *)ctx)++;
	return 0;
}

/*
 * More idle clients than the server takes at once: the loop neither
 * blocks nor spins on the listening socket it cannot accept from, and
 * once they leave the server serves again.
 */
static void test_many_idle_clients(void **state)
{
	struct metrics_opts o = { .listen = "127.0.0.1:0" };
	struct evloop *loop = new_loop();
	struct metrics_pub *p;
	struct response r;
	struct client c;
	char err[256] = "";
	int idle[40], port, ticks = 0, counter, deadline;
	double cpu0;

	(void)state;
	assert_int_equal(metrics_pub_start(&p, &o, loop, err, sizeof(err)), 0);
	port = metrics_pub_port(p);
	fill(metrics_pub_metrics(p), 1);
	for (size_t i = 0; i < sizeof(idle) / sizeof(*idle); i++)
		idle[i] = connect_to("127.0.0.1", port, 0);
	counter = evloop_add_timer(loop, 10 * MS, count_cb, &ticks);
	assert_true(counter >= 0);
	deadline = evloop_add_deadline(loop, 300 * MS);
	assert_true(deadline >= 0);
	cpu0 = cpu_s();
	assert_int_equal(evloop_run(loop), 1);
	/* a spinning loop would have burnt the whole 300 ms */
	assert_true(cpu_s() - cpu0 < 0.15);
	assert_true(ticks >= 10);
	/* the deadline is periodic: gone before the next run */
	assert_int_equal(evloop_del_fd(loop, deadline), 0);
	assert_int_equal(evloop_del_fd(loop, counter), 0);
	for (size_t i = 0; i < sizeof(idle) / sizeof(*idle); i++)
		close(idle[i]);
	fetch(loop, "127.0.0.1", port, GET("/metrics", ""), &c, &r);
	assert_int_equal(r.status, 200);
	assert_body(&r, metrics_pub_metrics(p), false);
	client_free(&c);
	metrics_pub_stop(p);
	evloop_free(loop);
}

/* An idle client is closed after the connection timeout (5 s), by the
 * loop's once-a-second run of the server. */
static void test_idle_timeout(void **state)
{
	struct metrics_opts o = { .listen = "127.0.0.1:0" };
	struct evloop *loop = new_loop();
	struct metrics_pub *p;
	struct client idle;
	char err[256] = "";
	uint64_t t0;

	(void)state;
	assert_int_equal(metrics_pub_start(&p, &o, loop, err, sizeof(err)), 0);
	t0 = now_ns();
	client_start(&idle, loop, connect_to("127.0.0.1", metrics_pub_port(p), 0));
	assert_int_equal(evloop_run(loop), 1);
	assert_true(idle.done);
	assert_int_equal(idle.len, 0);
	assert_true(idle.t_done - t0 >= 4000 * MS);
	client_free(&idle);
	metrics_pub_stop(p);
	evloop_free(loop);
}

/* ---- errors ------------------------------------------------------------ */

static void assert_bad_listen(struct evloop *loop, const char *spec)
{
	struct metrics_opts o = { .listen = spec };
	struct metrics_pub *p = (void *)1;
	char err[256] = "", want[128];

	assert_int_equal(metrics_pub_start(&p, &o, loop, err, sizeof(err)), -EINVAL);
	assert_null(p);
	/* one line naming the option as given */
	snprintf(want, sizeof(want), "--metrics %s: ", spec);
	assert_true(!strncmp(err, want, strlen(want)));
	assert_null(strchr(err, '\n'));
}

static void test_bad_listen(void **state)
{
	struct evloop *loop = new_loop();

	(void)state;
	assert_bad_listen(loop, "127.0.0.1:99999");
	assert_bad_listen(loop, "127.0.0.1:65536");
	assert_bad_listen(loop, "127.0.0.1:");
	assert_bad_listen(loop, "127.0.0.1:-1");
	assert_bad_listen(loop, "127.0.0.1:+80");
	assert_bad_listen(loop, "127.0.0.1:80x");
	assert_bad_listen(loop, "99999");
	assert_bad_listen(loop, "");
	assert_bad_listen(loop, "nothere:80");
	assert_bad_listen(loop, "localhost:80");	/* numeric only */
	assert_bad_listen(loop, "1.2.3.4.5:80");
	assert_bad_listen(loop, "[nothere]:80");
	assert_bad_listen(loop, "[::1:80");
	assert_bad_listen(loop, "1234567890123456789012345678901234567890123456789012345678901234"
			  "567890:80");
	evloop_free(loop);
}

static void test_port_in_use(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct evloop *loop = new_loop();
	struct metrics_opts o = {};
	struct metrics_pub *p;
	char err[256] = "", spec[32], want[128];
	int fd;

	(void)state;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", ntohs(a.sin_port));
	o.listen = spec;
	assert_int_equal(metrics_pub_start(&p, &o, loop, err, sizeof(err)), -EADDRINUSE);
	assert_null(p);
	assert_non_null(strstr(err, "Address already in use"));
	snprintf(want, sizeof(want), "--metrics %s: Address already in use", spec);
	assert_string_equal(err, want);
	close(fd);
	evloop_free(loop);
}

static void test_textfile_missing_dir(void **state)
{
	struct metrics_opts o = { .textfile = test_path("missing/kscope.prom") };
	struct evloop *loop = new_loop();
	struct metrics_pub *p;
	char err[256] = "", want[512];

	(void)state;
	assert_int_equal(metrics_pub_start(&p, &o, loop, err, sizeof(err)), -ENOENT);
	assert_null(p);
	snprintf(want, sizeof(want), "--metrics-textfile %s: No such file or directory",
		 o.textfile);
	assert_string_equal(err, want);

	/* with --metrics too: refused before anything listens */
	o.listen = "127.0.0.1:0";
	err[0] = '\0';
	assert_int_equal(metrics_pub_start(&p, &o, loop, err, sizeof(err)), -ENOENT);
	assert_null(p);
	assert_string_equal(err, want);
	evloop_free(loop);
}

/* The whole file as a malloc'd string. */
static char *slurp(const char *path)
{
	struct stat st;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc(st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, st.st_size + 1), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	return buf;
}

static void test_publish(void **state)
{
	struct metrics_opts o = { .textfile = NULL };
	struct evloop *loop = new_loop();
	struct metrics_pub *p = (void *)1;
	char err[512] = "", want[512], *text, *file;
	struct stat st;

	(void)state;
	/* nothing wanted: nothing started */
	assert_int_equal(metrics_pub_start(&p, &o, loop, err, sizeof(err)), 0);
	assert_null(p);
	assert_int_equal(metrics_pub_port(NULL), 0);
	assert_string_equal(metrics_pub_url(NULL), "");
	metrics_pub_stop(NULL);

	assert_int_equal(mkdir(test_path("pub"), 0755), 0);
	o.textfile = test_path("pub/kscope.prom");
	assert_int_equal(metrics_pub_start(&p, &o, loop, err, sizeof(err)), 0);
	assert_non_null(p);
	/* a textfile alone serves nothing */
	assert_int_equal(metrics_pub_port(p), 0);
	assert_string_equal(metrics_pub_url(p), "");
	declare(metrics_pub_begin(p), 3);
	assert_int_equal(metrics_pub_end(p, err, sizeof(err)), 0);
	assert_int_equal(stat(o.textfile, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	text = metrics_render(metrics_pub_metrics(p), false, NULL);
	file = slurp(o.textfile);
	assert_string_equal(file, text);
	free(file);
	free(text);

	declare(metrics_pub_begin(p), 4);
	assert_int_equal(metrics_pub_end(p, err, sizeof(err)), 0);
	file = slurp(o.textfile);
	assert_non_null(strstr(file, "kscope_test_packets_total{dev=\"eth0\"} 4\n"));
	free(file);

	/* the directory gone since the start: a line saying so */
	assert_int_equal(unlink(o.textfile), 0);
	assert_int_equal(rmdir(test_path("pub")), 0);
	declare(metrics_pub_begin(p), 5);
	assert_int_equal(metrics_pub_end(p, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "--metrics-textfile %s: No such file or directory",
		 o.textfile);
	assert_string_equal(err, want);
	metrics_pub_stop(p);

	/* --metrics alone: publishing writes nothing and succeeds */
	o = (struct metrics_opts){ .listen = "127.0.0.1:0" };
	assert_int_equal(metrics_pub_start(&p, &o, loop, err, sizeof(err)), 0);
	declare(metrics_pub_begin(p), 6);
	assert_int_equal(metrics_pub_end(p, err, sizeof(err)), 0);
	metrics_pub_stop(p);
	evloop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parsed),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_serve),
		cmocka_unit_test(test_serve_ipv6),
		cmocka_unit_test(test_stalled_clients),
		cmocka_unit_test(test_many_idle_clients),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_bad_listen),
		cmocka_unit_test(test_port_in_use),
		cmocka_unit_test(test_textfile_missing_dir),
		cmocka_unit_test(test_publish),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, group_teardown);
}
