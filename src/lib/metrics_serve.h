/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tool's metrics published: served at http://ADDR:PORT/metrics from the
 * tool's own event loop (libmicrohttpd in external epoll mode: no thread,
 * non-blocking sockets, bounded connections and timeouts, so a client
 * that never reads cannot hold the loop), and written to a textfile for
 * node_exporter.  With the options (--metrics, --metrics-textfile,
 * --headless) every tool parses alike.
 *
 * Static builds (the qemu guests') have no HTTP server: Debian's
 * libmicrohttpd.a needs GnuTLS, which has no static archives; there
 * --metrics is refused in one line and the textfile works.
 */
#ifndef KSCOPE_METRICS_SERVE_H
#define KSCOPE_METRICS_SERVE_H

#include <argp.h>
#include <stdbool.h>
#include <stddef.h>

#include "metrics.h"

struct evloop;

struct metrics_opts {
	const char *listen;		/* --metrics [ADDR:]PORT */
	const char *textfile;		/* --metrics-textfile PATH */
	bool headless;			/* --headless: no view, no lines */
};

/* An argp child; its input a struct metrics_opts. */
extern const struct argp metrics_argp;

static inline bool metrics_wanted(const struct metrics_opts *o)
{
	return o->listen || o->textfile;
}

struct metrics_pub;

/*
 * Listens (when o->listen, saying "TOOL: metrics at URL" on stderr) and
 * checks that the textfile's directory takes files; NULL in *@out when no
 * metrics are wanted.  0 or -errno with one
 * line in @err ("--metrics 127.0.0.1:9100: Address already in use").
 */
int metrics_pub_start(struct metrics_pub **out, const struct metrics_opts *o,
		      struct evloop *loop, char *err, size_t errlen);
/* The registry, what is served. */
struct metrics *metrics_pub_metrics(struct metrics_pub *p);
/*
 * A refresh: metrics_pub_begin() returns the registry with a refresh
 * begun, the tool declares its families and samples, metrics_pub_end()
 * ends it (now served) and rewrites the textfile.  0 or -errno with one
 * line in @err.
 */
struct metrics *metrics_pub_begin(struct metrics_pub *p);
int metrics_pub_end(struct metrics_pub *p, char *err, size_t errlen);
/* The port listened on (for --metrics 0), 0 when not serving. */
int metrics_pub_port(const struct metrics_pub *p);
/* "http://127.0.0.1:9100/metrics", "" when not serving. */
const char *metrics_pub_url(const struct metrics_pub *p);
/* Before the loop is freed. */
void metrics_pub_stop(struct metrics_pub *p);

#endif
