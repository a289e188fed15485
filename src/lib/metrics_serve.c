// SPDX-License-Identifier: GPL-2.0
/*
 * --metrics, --metrics-textfile, --headless; the listening socket is
 * ours (so that "address in use" is said plainly), the HTTP is
 * libmicrohttpd's, run whenever its epoll fd is ready and once a second
 * for its timeouts.  Built with KSCOPE_NO_HTTPD for the static binaries.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#ifndef KSCOPE_NO_HTTPD
#include <microhttpd.h>
#endif

#include "errmsg.h"
#include "evloop.h"
#include "metrics_serve.h"

#define CONNECTIONS_MAX		16	/* at once; scrapers are few */
#define CONNECTION_TIMEOUT_S	5	/* idle or stalled, then closed */

enum { OPT_METRICS = 0x4100, OPT_TEXTFILE, OPT_HEADLESS };

static const struct argp_option options[] = {
	{ "metrics", OPT_METRICS, "[ADDR:]PORT", 0,
	  "Serve Prometheus metrics at http://ADDR:PORT/metrics (ADDR: 127.0.0.1)", 0 },
	{ "metrics-textfile", OPT_TEXTFILE, "PATH", 0,
	  "Write the metrics to PATH every refresh (node_exporter textfile)", 0 },
	{ "headless", OPT_HEADLESS, NULL, 0,
	  "No live view and no output lines: only the metrics", 0 },
	{},
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct metrics_opts *o = state->input;

	switch (key) {
	case OPT_METRICS:
		o->listen = arg;
		return 0;
	case OPT_TEXTFILE:
		if (!*arg)
			argp_error(state, "--metrics-textfile needs a path");
		o->textfile = arg;
		return 0;
	case OPT_HEADLESS:
		o->headless = true;
		return 0;
	case ARGP_KEY_END:
		if (o->headless && !metrics_wanted(o))
			argp_error(state, "--headless needs --metrics or --metrics-textfile");
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

const struct argp metrics_argp = { .options = options, .parser = parse };

struct metrics_pub {
	const struct metrics_opts *o;
	struct metrics *m;
	struct evloop *loop;
	int listen_fd, port;
	char url[96];
#ifndef KSCOPE_NO_HTTPD
	struct MHD_Daemon *httpd;
	int epoll_fd, tick_fd;
#endif
};

#ifndef KSCOPE_NO_HTTPD
/*
 * "PORT", "ADDR:PORT", "[ADDR6]:PORT" or ":PORT" (every address) to a
 * socket address; 0 or -EINVAL with the reason in @err.
 */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
			char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	};
	const char *colon = strrchr(spec, ':'), *port = colon ? colon + 1 : spec;
	const char *given = spec;	/* named whole in the errors */
	char host[64] = "127.0.0.1", *end;
	struct addrinfo *ai;
	unsigned long p;
	int ret;

	if (colon) {
		size_t n = colon - spec;

		if (n && spec[0] == '[' && spec[n - 1] == ']')
			spec++, n -= 2;
		if (n >= sizeof(host))
			goto bad;
		memcpy(host, spec, n);
		host[n] = '\0';
	}
	errno = 0;
	p = strtoul(port, &end, 10);
	if (!*port || *end || errno || p > 65535 || *port == '-' || *port == '+') {
		errmsg(err, errlen, "--metrics %s: the port is not a number 0-65535",
		       given);
		return -EINVAL;
	}
	ret = getaddrinfo(*host ? host : NULL, port, &hints, &ai);
	if (ret)
		goto bad;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
bad:
	errmsg(err, errlen, "--metrics %s: not [ADDR:]PORT with a numeric address "
	       "(127.0.0.1:9100, [::1]:9100, :9100 for every address)", given);
	return -EINVAL;
}

static int listen_on(struct metrics_pub *p, const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss = {};
	socklen_t len = 0;
	int one = 1, ret;

	ret = parse_listen(spec, &ss, &len, err, errlen);
	if (ret)
		return ret;
	p->listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->listen_fd < 0 ||
	    setsockopt(p->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(p->listen_fd, (struct sockaddr *)&ss, len) ||
	    listen(p->listen_fd, 64) ||
	    getsockname(p->listen_fd, (struct sockaddr *)&ss, &len)) {
		ret = -errno;
		errmsg(err, errlen, "--metrics %s: %s", spec, strerror(errno));
		return ret;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		char host[INET6_ADDRSTRLEN];

		p->port = ntohs(a->sin6_port);
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(p->url, sizeof(p->url), "http://[%s]:%d/metrics", host, p->port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		char host[INET_ADDRSTRLEN];

		p->port = ntohs(a->sin_port);
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(p->url, sizeof(p->url), "http://%s:%d/metrics", host, p->port);
	}
	return 0;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, char *body,
			     size_t len, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **con_cls)
{
	struct metrics_pub *p = cls;
	const char *accept;
	bool om;
	char *body;
	size_t len;

	(void)version, (void)upload, (void)upload_size, (void)con_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		body = strdup("only GET /metrics\n");
		return body ? reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, body, strlen(body),
				    "text/plain") : MHD_NO;
	}
	if (strcmp(url, "/metrics")) {
		body = strdup("kscope: the metrics are at /metrics\n");
		return body ? reply(c, MHD_HTTP_NOT_FOUND, body, strlen(body),
				    "text/plain") : MHD_NO;
	}
	accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	om = accept && strstr(accept, "application/openmetrics-text");
	body = metrics_render(p->m, om, &len);
	if (!body)
		return MHD_NO;
	return reply(c, MHD_HTTP_OK, body, len,
		     om ? METRICS_OPENMETRICS_TYPE : METRICS_TEXT_TYPE);
}

static int on_httpd(void *ctx, int fd, uint32_t events)
{
	struct metrics_pub *p = ctx;

	(void)fd, (void)events;
	MHD_run(p->httpd);	/* never blocks: every socket is non-blocking */
	return 0;
}

/* MHD logs into our terminal otherwise; its failures reach the client. */
static void quiet(void *cls, const char *fmt, va_list ap)
{
	(void)cls, (void)fmt, (void)ap;
}

static int serve(struct metrics_pub *p, char *err, size_t errlen)
{
	const union MHD_DaemonInfo *info;
	int ret = listen_on(p, p->o->listen, err, errlen);

	if (ret)
		return ret;

	p->httpd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				    on_request, p,
				    MHD_OPTION_LISTEN_SOCKET, p->listen_fd,
				    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTIONS_MAX,
				    MHD_OPTION_CONNECTION_TIMEOUT,
				    (unsigned int)CONNECTION_TIMEOUT_S,
				    MHD_OPTION_EXTERNAL_LOGGER, quiet, NULL,
				    MHD_OPTION_END);
	if (!p->httpd) {
		errmsg(err, errlen, "--metrics %s: the HTTP server did not start", p->o->listen);
		return -EIO;
	}
	p->listen_fd = -1;	/* the daemon's now: MHD_stop_daemon() closes it */
	info = MHD_get_daemon_info(p->httpd, MHD_DAEMON_INFO_EPOLL_FD);
	p->epoll_fd = info ? info->epoll_fd : -1;
	if (p->epoll_fd < 0 || evloop_add_fd(p->loop, p->epoll_fd, on_httpd, p)) {
		p->epoll_fd = -1;
		errmsg(err, errlen, "--metrics %s: cannot watch the HTTP server", p->o->listen);
		return -EIO;
	}
	p->tick_fd = evloop_add_timer(p->loop, 1000000000ULL, on_httpd, p);
	if (p->tick_fd < 0) {
		errmsg(err, errlen, "--metrics %s: %s", p->o->listen, strerror(-p->tick_fd));
		return p->tick_fd;
	}
	return 0;
}
#else
static int serve(struct metrics_pub *p, char *err, size_t errlen)
{
	(void)p;
	errmsg(err, errlen, "--metrics: this is a static build, without an HTTP server; "
	       "--metrics-textfile works");
	return -ENOTSUP;
}
#endif

/* The textfile's directory must take our temporary file and the rename. */
static int check_textfile(const char *path, char *err, size_t errlen)
{
	char *copy = strdup(path);
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	if (access(dirname(copy), W_OK | X_OK)) {
		ret = -errno;
		errmsg(err, errlen, "--metrics-textfile %s: %s", path, strerror(errno));
	}
	free(copy);
	return ret;
}

int metrics_pub_start(struct metrics_pub **out, const struct metrics_opts *o,
		      struct evloop *loop, char *err, size_t errlen)
{
	struct metrics_pub *p;
	int ret;

	*out = NULL;
	if (!metrics_wanted(o))
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = (struct metrics_pub){ .o = o, .loop = loop, .listen_fd = -1 };
#ifndef KSCOPE_NO_HTTPD
	p->epoll_fd = p->tick_fd = -1;
#endif
	p->m = metrics_new();
	ret = p->m ? 0 : -ENOMEM;
	if (!ret && o->textfile)
		ret = check_textfile(o->textfile, err, errlen);
	if (!ret && o->listen) {
		ret = serve(p, err, errlen);
		if (!ret)	/* the port, for --metrics :0 */
			fprintf(stderr, "%s: metrics at %s\n", program_invocation_short_name,
				p->url);
	}
	if (ret) {
		if (ret == -ENOMEM)
			errmsg(err, errlen, "out of memory");
		metrics_pub_stop(p);
		return ret;
	}
	*out = p;
	return 0;
}

struct metrics *metrics_pub_metrics(struct metrics_pub *p)
{
	return p->m;
}

struct metrics *metrics_pub_begin(struct metrics_pub *p)
{
	metrics_begin(p->m);
	return p->m;
}

int metrics_pub_end(struct metrics_pub *p, char *err, size_t errlen)
{
	int ret = metrics_end(p->m);

	if (ret) {
		errmsg(err, errlen, "metrics: %s", strerror(-ret));
		return ret;
	}
	if (!p->o->textfile)
		return 0;
	ret = metrics_write_textfile(p->m, p->o->textfile);
	if (ret)
		errmsg(err, errlen, "--metrics-textfile %s: %s", p->o->textfile,
		       strerror(-ret));
	return ret;
}

int metrics_pub_port(const struct metrics_pub *p)
{
	return p ? p->port : 0;
}

const char *metrics_pub_url(const struct metrics_pub *p)
{
	return p ? p->url : "";
}

void metrics_pub_stop(struct metrics_pub *p)
{
	if (!p)
		return;
#ifndef KSCOPE_NO_HTTPD
	if (p->tick_fd >= 0)
		evloop_del_fd(p->loop, p->tick_fd);	/* the loop closes it */
	if (p->epoll_fd >= 0)
		evloop_del_fd(p->loop, p->epoll_fd);
	if (p->httpd)
		MHD_stop_daemon(p->httpd);
#endif
	if (p->listen_fd >= 0)
		close(p->listen_fd);
	metrics_free(p->m);
	free(p);
}
