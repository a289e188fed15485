// SPDX-License-Identifier: GPL-2.0
/*
 * udpflood: a UDP datagram sink and source, for napitop's tests, demo and
 * benchmarks (tests/integ/napi_lib.sh runs one in each of two network
 * namespaces joined by a veth pair).
 *
 *   udpflood recv [--port P] [--expect N] [--idle SEC] [--timeout SEC]
 *   udpflood send [--port P] [--count N] [--size BYTES] [--rate PPS] ADDR
 *
 * recv binds 0.0.0.0:P (9999 by default) with a 256 MiB receive buffer
 * (as root; the kernel doubles it, and a 64-byte datagram takes ~830
 * bytes of it: 600k of them fit while the reader is not scheduled),
 * prints "ready" (flushed) once bound, and counts datagrams until N have
 * arrived, or --idle seconds (1) passed without one after the first, or
 * --timeout seconds (30) passed in all.  Its last line is then
 *
 *   received <datagrams> bytes <payload bytes> drops <D> napi <ID>
 *
 * D is what the kernel dropped at this socket (receive buffer full), from
 * SO_RXQ_OVFL and SO_MEMINFO; ID the first non-zero NAPI id among the
 * datagrams (SO_INCOMING_NAPI_ID), 0 if none came through a NAPI instance
 * that has one (e.g. the per-CPU backlog).  Either field is left out when
 * the kernel cannot tell.
 *
 * send sends N datagrams (100000) of BYTES payload (64) to the IPv4
 * address ADDR, port P, in sendmmsg batches as fast as it can, or paced to
 * PPS datagrams per second on average, and prints
 *
 *   sent <datagrams> bytes <payload bytes>
 *
 * SIGINT or SIGTERM (unless ignored from the start, as in a shell's
 * background job) ends either mode early: its line for what was done,
 * then it dies of that signal, so that a shell running it (a test under
 * ^C) stops too instead of carrying on.  Errors: one line on stderr, exit
 * 1; bad arguments: exit 2.  Single file, libc only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>

#define UF_PORT		9999
#define UF_COUNT	100000ull
#define UF_SIZE		64
#define UF_IDLE		1.0
#define UF_TIMEOUT	30.0
#define UF_MAX_SIZE	65507		/* IPv4 UDP payload limit */
#define UF_MAX_SECONDS	1000000.0
#define UF_MAX_COUNT	(1ull << 62)
#define UF_RCVBUF	(256 << 20)	/* the kernel doubles it: 600k small datagrams */
#define UF_BATCH	64
/* recv takes MSG_TRUNC, so it learns a datagram's length without room for it */
#define UF_RECV_BUF	2048

/* older libc headers */
#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL	40
#endif
#ifndef SO_MEMINFO
#define SO_MEMINFO	55
#endif
#ifndef SO_INCOMING_NAPI_ID
#define SO_INCOMING_NAPI_ID	56
#endif

enum uf_mode { UF_RECV, UF_SEND };

struct uf_opts {
	enum uf_mode mode;
	unsigned int port;
	uint64_t expect;	/* recv: 0, none */
	uint64_t idle_ns;
	uint64_t timeout_ns;
	uint64_t count;		/* send */
	unsigned int size;
	uint64_t rate;		/* 0: as fast as possible */
	struct in_addr addr;
};

static volatile sig_atomic_t uf_stop;

__attribute__((noreturn, format(printf, 1, 2)))
static void uf_bad(const char *fmt, ...)
{
	va_list ap;

	fputs("udpflood: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

__attribute__((noreturn, format(printf, 1, 2)))
static void uf_die(const char *fmt, ...)
{
	va_list ap;

	fputs("udpflood: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t uf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Returns early on a signal: the caller checks uf_stop. */
static void uf_sleep_until(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000ull),
		.tv_nsec = (long)(ns % 1000000000ull),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		if (uf_stop)
			return;
}

static void uf_on_signal(int sig)
{
	uf_stop = sig;
}

/* After a signal's early stop: die of it, as the shell expects. */
static void uf_reraise(void)
{
	if (!uf_stop)
		return;
	signal(uf_stop, SIG_DFL);
	raise(uf_stop);
}

/* A decimal integer in [min, max], nothing around it. */
static int uf_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x < min || x > max)
		return -1;
	*v = x;
	return 0;
}

/* Seconds as a decimal number, more than 0, to nanoseconds. */
static int uf_parse_seconds(const char *s, uint64_t *ns)
{
	double secs;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	secs = strtod(s, &end);
	if (errno || *end || !isfinite(secs) || secs <= 0 || secs > UF_MAX_SECONDS)
		return -1;
	*ns = (uint64_t)(secs * 1e9);
	return *ns ? 0 : -1;
}

static void uf_usage(void)
{
	fputs("usage: udpflood recv [--port P] [--expect N] [--idle SEC] [--timeout SEC]\n"
	      "       udpflood send [--port P] [--count N] [--size BYTES] [--rate PPS] ADDR\n"
	      "recv: count the UDP datagrams arriving at 0.0.0.0:P; print 'ready' once\n"
	      "bound, then 'received N bytes B drops D napi ID' at the end.\n"
	      "send: send N datagrams of BYTES payload to ADDR:P; print 'sent N bytes B'.\n"
	      "  -p, --port P        UDP port, 1-65535 (9999)\n"
	      "  -n, --expect N      recv: stop once N datagrams arrived\n"
	      "  -i, --idle SEC      recv: stop SEC seconds after the last datagram (1)\n"
	      "  -t, --timeout SEC   recv: stop after SEC seconds in all (30)\n"
	      "  -c, --count N       send: datagrams to send (100000)\n"
	      "  -s, --size BYTES    send: payload of each, 0-65507 (64)\n"
	      "  -r, --rate PPS      send: datagrams per second (as fast as possible)\n"
	      "  -h, --help          this text\n", stdout);
}

static void uf_parse_args(int argc, char **argv, struct uf_opts *o)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "expect", required_argument, NULL, 'n' },
		{ "idle", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *recv_only = "nit", *send_only = "csr";
	const struct option *lo;
	uint64_t v;
	int opt;

	memset(o, 0, sizeof(*o));
	o->port = UF_PORT;
	o->idle_ns = (uint64_t)(UF_IDLE * 1e9);
	o->timeout_ns = (uint64_t)(UF_TIMEOUT * 1e9);
	o->count = UF_COUNT;
	o->size = UF_SIZE;

	if (argc < 2)
		uf_bad("no mode, recv or send (-h for help)");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		uf_usage();
		exit(0);
	}
	if (!strcmp(argv[1], "recv"))
		o->mode = UF_RECV;
	else if (!strcmp(argv[1], "send"))
		o->mode = UF_SEND;
	else
		uf_bad("unknown mode '%s' (recv or send)", argv[1]);
	argc--;
	argv++;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":p:n:i:t:c:s:r:h", longopts, NULL)) != -1) {
		if (opt != ':' && opt != '?' && opt != 'h' &&
		    strchr(o->mode == UF_RECV ? send_only : recv_only, opt)) {
			for (lo = longopts; lo->name && lo->val != opt; lo++)
				;
			uf_bad("option '--%s' is not for %s", lo->name,
			       o->mode == UF_RECV ? "recv" : "send");
		}
		switch (opt) {
		case 'p':
			if (uf_parse_uint(optarg, 1, 65535, &v))
				uf_bad("bad port '%s' (1-65535)", optarg);
			o->port = (unsigned int)v;
			break;
		case 'n':
			if (uf_parse_uint(optarg, 1, UF_MAX_COUNT, &o->expect))
				uf_bad("bad datagram count '%s' (1 or more)", optarg);
			break;
		case 'i':
			if (uf_parse_seconds(optarg, &o->idle_ns))
				uf_bad("bad idle time '%s' (seconds, more than 0)", optarg);
			break;
		case 't':
			if (uf_parse_seconds(optarg, &o->timeout_ns))
				uf_bad("bad timeout '%s' (seconds, more than 0)", optarg);
			break;
		case 'c':
			if (uf_parse_uint(optarg, 1, UF_MAX_COUNT, &o->count))
				uf_bad("bad datagram count '%s' (1 or more)", optarg);
			break;
		case 's':
			if (uf_parse_uint(optarg, 0, UF_MAX_SIZE, &v))
				uf_bad("bad size '%s' (payload bytes, 0-%d)", optarg, UF_MAX_SIZE);
			o->size = (unsigned int)v;
			break;
		case 'r':
			if (uf_parse_uint(optarg, 1, 1000000000, &o->rate))
				uf_bad("bad rate '%s' (datagrams per second, 1-1000000000)", optarg);
			break;
		case 'h':
			uf_usage();
			exit(0);
		case ':':
			uf_bad("option '%s' needs a value", argv[optind - 1]);
		default:
			uf_bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (o->mode == UF_RECV) {
		if (optind < argc)
			uf_bad("unexpected argument '%s'", argv[optind]);
		return;
	}
	if (optind >= argc)
		uf_bad("no ADDR to send to (-h for help)");
	if (optind + 1 < argc)
		uf_bad("unexpected argument '%s'", argv[optind + 1]);
	if (inet_pton(AF_INET, argv[optind], &o->addr) != 1)
		uf_bad("bad address '%s' (IPv4, dotted)", argv[optind]);
}

static void uf_signals(void)
{
	struct sigaction sa = { .sa_handler = uf_on_signal }, old;
	static const int sigs[] = { SIGINT, SIGTERM };
	unsigned int i;

	/* no SA_RESTART: poll and sendmmsg return EINTR, the loops see uf_stop */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* ignored as we came (a shell's background job): stays so */
		if (!sigaction(sigs[i], NULL, &old) && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

/* ---- recv ---------------------------------------------------------------- */

struct uf_rx {
	struct mmsghdr msgs[UF_BATCH];
	struct iovec iov[UF_BATCH];
	char buf[UF_BATCH][UF_RECV_BUF];
	/* room for SO_RXQ_OVFL's counter, whatever else comes with it */
	char ctl[UF_BATCH][CMSG_SPACE(sizeof(uint32_t)) * 4];
};

/* The socket's drop count from SO_RXQ_OVFL's last value and SO_MEMINFO;
 * false when neither works. */
static bool uf_drops(int fd, bool ovfl_on, uint32_t ovfl, uint64_t *drops)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (!getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) &&
	    len > SK_MEMINFO_DROPS * sizeof(mem[0])) {
		*drops = mem[SK_MEMINFO_DROPS] > ovfl ? mem[SK_MEMINFO_DROPS] : ovfl;
		return true;
	}
	*drops = ovfl;
	return ovfl_on;
}

static int uf_recv(const struct uf_opts *o)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)o->port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	uint64_t n = 0, bytes = 0, drops, start, deadline, last = 0, now, until;
	int fd, one = 1, rcvbuf = UF_RCVBUF, r, i;
	unsigned int napi_id = 0;
	socklen_t len = sizeof(napi_id);
	bool ovfl_on, napi_ok;
	uint32_t ovfl = 0;
	struct cmsghdr *c;
	struct pollfd pfd;
	struct uf_rx *rx;

	rx = calloc(1, sizeof(*rx));
	if (!rx)
		uf_die("out of memory");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		uf_die("cannot create a UDP socket: %s", strerror(errno));
	/* FORCE passes net.core.rmem_max with CAP_NET_ADMIN; else what it allows */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	ovfl_on = !setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		uf_die("cannot bind UDP port %u: %s", o->port, strerror(errno));
	for (i = 0; i < UF_BATCH; i++) {
		rx->iov[i].iov_base = rx->buf[i];
		rx->iov[i].iov_len = UF_RECV_BUF;
		rx->msgs[i].msg_hdr.msg_iov = &rx->iov[i];
		rx->msgs[i].msg_hdr.msg_iovlen = 1;
		rx->msgs[i].msg_hdr.msg_control = rx->ctl[i];
	}
	uf_signals();
	puts("ready");
	if (fflush(stdout))
		uf_die("cannot write to stdout: %s", strerror(errno));

	start = uf_now();
	deadline = start + o->timeout_ns;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!uf_stop && !(o->expect && n >= o->expect)) {
		now = uf_now();
		if (now >= deadline)
			break;
		until = deadline;
		if (n && last + o->idle_ns < until)
			until = last + o->idle_ns;
		/* past the idle time, one look without waiting: a receiver
		 * that was not scheduled for a while has datagrams queued, and
		 * is not idle */
		r = poll(&pfd, 1, now >= until ? 0 : (int)((until - now + 999999) / 1000000));
		if (r < 0 && errno != EINTR)
			uf_die("poll: %s", strerror(errno));
		if (r < 0)
			continue;
		if (r == 0) {
			if (n && uf_now() >= last + o->idle_ns)
				break;
			continue;
		}
		for (i = 0; i < UF_BATCH; i++) {
			rx->msgs[i].msg_hdr.msg_controllen = sizeof(rx->ctl[i]);
			rx->msgs[i].msg_hdr.msg_flags = 0;
		}
		r = recvmmsg(fd, rx->msgs, UF_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			uf_die("recvmmsg: %s", strerror(errno));
		}
		for (i = 0; i < r; i++) {
			struct msghdr *m = &rx->msgs[i].msg_hdr;

			bytes += rx->msgs[i].msg_len;
			for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
					memcpy(&ovfl, CMSG_DATA(c), sizeof(ovfl));
		}
		n += (uint64_t)r;
		last = uf_now();
	}

	napi_ok = !getsockopt(fd, SOL_SOCKET, SO_INCOMING_NAPI_ID, &napi_id, &len);
	printf("received %llu bytes %llu", (unsigned long long)n, (unsigned long long)bytes);
	if (uf_drops(fd, ovfl_on, ovfl, &drops))
		printf(" drops %llu", (unsigned long long)drops);
	if (napi_ok)
		printf(" napi %u", napi_id);
	putchar('\n');
	close(fd);
	free(rx);
	if (fflush(stdout))
		uf_die("cannot write to stdout: %s", strerror(errno));
	uf_reraise();
	return 0;
}

/* ---- send ---------------------------------------------------------------- */

static int uf_send(const struct uf_opts *o)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)o->port),
		.sin_addr = o->addr,
	};
	struct mmsghdr msgs[UF_BATCH];
	uint64_t sent = 0, start, k;
	unsigned int batch = UF_BATCH, i;
	struct iovec iov;
	char *payload;
	int fd, r;

	/* paced: about a millisecond's worth per batch, so the rate is smooth */
	if (o->rate && o->rate / 1000 < batch)
		batch = o->rate >= 1000 ? (unsigned int)(o->rate / 1000) : 1;
	payload = calloc(1, o->size ? o->size : 1);
	if (!payload)
		uf_die("out of memory");
	for (i = 0; i < o->size; i++)
		payload[i] = (char)('a' + i % 26);
	iov.iov_base = payload;
	iov.iov_len = o->size;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < UF_BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		uf_die("cannot create a UDP socket: %s", strerror(errno));
	/* connected: one route lookup, not one per datagram */
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		uf_die("cannot send to %s:%u: %s", inet_ntoa(o->addr), o->port,
		       strerror(errno));
	uf_signals();

	start = uf_now();
	while (sent < o->count && !uf_stop) {
		k = o->count - sent < batch ? o->count - sent : batch;
		if (o->rate)
			uf_sleep_until(start + (uint64_t)((double)sent * 1e9 / (double)o->rate));
		if (uf_stop)
			break;
		r = sendmmsg(fd, msgs, (unsigned int)k, 0);
		if (r < 0) {
			/* an ICMP port unreachable from a receiver not yet (or no
			 * longer) there fails one send; a full queue is brief */
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;
			if (errno == ENOBUFS || errno == EAGAIN) {
				sched_yield();
				continue;
			}
			uf_die("cannot send to %s:%u: %s", inet_ntoa(o->addr), o->port,
			       strerror(errno));
		}
		sent += (uint64_t)r;
	}
	printf("sent %llu bytes %llu\n", (unsigned long long)sent,
	       (unsigned long long)(sent * o->size));
	close(fd);
	free(payload);
	if (fflush(stdout))
		uf_die("cannot write to stdout: %s", strerror(errno));
	uf_reraise();
	return 0;
}

int main(int argc, char **argv)
{
	struct uf_opts o;

	uf_parse_args(argc, argv, &o);
	return o.mode == UF_RECV ? uf_recv(&o) : uf_send(&o);
}
