// SPDX-License-Identifier: GPL-2.0
/*
 * The netdev generic netlink family over a raw socket: resolve the family
 * with the controller, dump napi-get, queue-get and qstats-get, send
 * napi-set, and parse the replies with pure functions over byte buffers.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "errmsg.h"
#include "netdev.h"

/*
 * The family's numbers, from include/uapi/linux/netdev.h (generated from
 * Documentation/netlink/specs/netdev.yaml), which the installed headers
 * may predate.  They are ABI: ops and attributes are only ever appended.
 */
#ifndef NETDEV_FAMILY_NAME
#define NETDEV_FAMILY_NAME "netdev"
#endif
#ifndef NETDEV_CMD_QUEUE_GET
#define NETDEV_CMD_QUEUE_GET 10
#define NETDEV_CMD_NAPI_GET 11
#define NETDEV_CMD_QSTATS_GET 12
#endif
#ifndef NETDEV_CMD_NAPI_SET
#define NETDEV_CMD_NAPI_SET 14
#endif
#ifndef NETDEV_A_NAPI_IFINDEX
#define NETDEV_A_NAPI_IFINDEX 1
#define NETDEV_A_NAPI_ID 2
#define NETDEV_A_NAPI_IRQ 3
#define NETDEV_A_NAPI_PID 4
#endif
#ifndef NETDEV_A_NAPI_DEFER_HARD_IRQS
#define NETDEV_A_NAPI_DEFER_HARD_IRQS 5
#define NETDEV_A_NAPI_GRO_FLUSH_TIMEOUT 6
#endif
#ifndef NETDEV_A_NAPI_IRQ_SUSPEND_TIMEOUT
#define NETDEV_A_NAPI_IRQ_SUSPEND_TIMEOUT 7
#endif
#ifndef NETDEV_A_NAPI_THREADED
#define NETDEV_A_NAPI_THREADED 8
#endif
#ifndef NETDEV_A_QUEUE_ID
#define NETDEV_A_QUEUE_ID 1
#define NETDEV_A_QUEUE_IFINDEX 2
#define NETDEV_A_QUEUE_TYPE 3
#define NETDEV_A_QUEUE_NAPI_ID 4
#endif
#ifndef NETDEV_A_QSTATS_IFINDEX
#define NETDEV_A_QSTATS_IFINDEX 1
#define NETDEV_A_QSTATS_QUEUE_TYPE 2
#define NETDEV_A_QSTATS_QUEUE_ID 3
#define NETDEV_A_QSTATS_SCOPE 4
#define NETDEV_A_QSTATS_RX_PACKETS 8
#endif
#define QSTATS_SCOPE_QUEUE 1

const char *const netdev_qstat_names[NETDEV_QSTAT_NR] = {
	"rx-packets", "rx-bytes", "tx-packets", "tx-bytes", "rx-alloc-fail", "rx-hw-drops",
	"rx-hw-drop-overruns", "rx-csum-complete", "rx-csum-unnecessary", "rx-csum-none",
	"rx-csum-bad", "rx-hw-gro-packets", "rx-hw-gro-bytes", "rx-hw-gro-wire-packets",
	"rx-hw-gro-wire-bytes", "rx-hw-drop-ratelimits", "tx-hw-drops", "tx-hw-drop-errors",
	"tx-csum-none", "tx-needs-csum", "tx-hw-gso-packets", "tx-hw-gso-bytes",
	"tx-hw-gso-wire-packets", "tx-hw-gso-wire-bytes", "tx-hw-drop-ratelimits", "tx-stop",
	"tx-wake",
};

/* errmsg, then the error code: "return fail(...)" */
#define fail(err, errlen, code, ...) (errmsg(err, errlen, __VA_ARGS__), (code))

#define RECV_TIMEOUT_S 5
/* a dump's messages come in skbs of at most 32 KiB */
#define RECV_BUF (64 * 1024)

/* ---- pure parsing --------------------------------------------------------- */

struct attrs {
	const unsigned char *p;
	size_t left;
};

/* The next attribute: 1, 0 at the end, -EBADMSG for a truncated one. */
static int attr_next(struct attrs *a, uint16_t *type, const unsigned char **data,
		     size_t *dlen)
{
	struct nlattr nla;
	size_t step;

	if (!a->left)
		return 0;
	if (a->left < NLA_HDRLEN)
		return -EBADMSG;
	memcpy(&nla, a->p, sizeof(nla));
	if (nla.nla_len < NLA_HDRLEN || nla.nla_len > a->left)
		return -EBADMSG;
	*type = nla.nla_type & NLA_TYPE_MASK;
	*data = a->p + NLA_HDRLEN;
	*dlen = nla.nla_len - NLA_HDRLEN;
	step = NLA_ALIGN(nla.nla_len);
	if (step > a->left)
		step = a->left;		/* the last one unpadded */
	a->p += step;
	a->left -= step;
	return 1;
}

/* A u16, u32 or u64 (NLA_UINT is sent in 4 or 8 bytes). */
static int attr_uint(const unsigned char *data, size_t dlen, uint64_t *v)
{
	uint16_t v16;
	uint32_t v32;

	switch (dlen) {
	case 2:
		memcpy(&v16, data, 2);
		*v = v16;
		return 0;
	case 4:
		memcpy(&v32, data, 4);
		*v = v32;
		return 0;
	case 8:
		memcpy(v, data, 8);
		return 0;
	}
	return -EBADMSG;
}

/*
 * The frame of the first message: 1 with the attributes of a generic
 * netlink message whose command is @cmd, 0 or -errno for the end of a
 * reply, -EBADMSG for anything else.
 */
static int genl_frame(const void *msg, size_t len, uint8_t cmd, struct attrs *a)
{
	const unsigned char *p = msg;
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	int32_t e;

	if (len < NLMSG_HDRLEN)
		return -EBADMSG;
	memcpy(&nh, p, sizeof(nh));
	if (nh.nlmsg_len < NLMSG_HDRLEN || nh.nlmsg_len > len)
		return -EBADMSG;
	switch (nh.nlmsg_type) {
	case NLMSG_DONE:
		/* a dump that failed midway says so here */
		if (nh.nlmsg_len >= NLMSG_HDRLEN + sizeof(e)) {
			memcpy(&e, p + NLMSG_HDRLEN, sizeof(e));
			if (e < 0)
				return e;
		}
		return 0;
	case NLMSG_ERROR:
		if (nh.nlmsg_len < NLMSG_HDRLEN + sizeof(e))
			return -EBADMSG;
		memcpy(&e, p + NLMSG_HDRLEN, sizeof(e));
		return e > 0 || e < -4095 ? -EBADMSG : e;
	}
	if (nh.nlmsg_type < NLMSG_MIN_TYPE || nh.nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EBADMSG;
	memcpy(&gh, p + NLMSG_HDRLEN, sizeof(gh));
	if (gh.cmd != cmd)
		return -EBADMSG;
	a->p = p + NLMSG_HDRLEN + GENL_HDRLEN;
	a->left = nh.nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	return 1;
}

int netdev_parse_napi(const void *msg, size_t len, struct netdev_napi *out)
{
	bool have_id = false, have_ifindex = false;
	const unsigned char *data;
	struct attrs a;
	uint16_t type;
	size_t dlen;
	uint64_t v;
	int ret;

	ret = genl_frame(msg, len, NETDEV_CMD_NAPI_GET, &a);
	if (ret <= 0)
		return ret;
	memset(out, 0, sizeof(*out));
	out->irq = -1;
	out->conf = (struct netdev_napi_conf)NETDEV_NAPI_CONF_NONE;
	while ((ret = attr_next(&a, &type, &data, &dlen)) > 0) {
		if (type < NETDEV_A_NAPI_IFINDEX || type > NETDEV_A_NAPI_THREADED)
			continue;	/* newer attributes */
		if (attr_uint(data, dlen, &v))
			return -EBADMSG;
		/* the timeouts are u64 nanoseconds; the rest fit an int */
		if (type != NETDEV_A_NAPI_GRO_FLUSH_TIMEOUT &&
		    type != NETDEV_A_NAPI_IRQ_SUSPEND_TIMEOUT ? v > INT_MAX : v > INT64_MAX)
			return -EBADMSG;
		switch (type) {
		case NETDEV_A_NAPI_IFINDEX:
			out->ifindex = v;
			have_ifindex = true;
			break;
		case NETDEV_A_NAPI_ID:
			out->napi_id = v;
			have_id = true;
			break;
		case NETDEV_A_NAPI_IRQ:
			out->irq = v;
			break;
		case NETDEV_A_NAPI_PID:
			out->pid = v;
			break;
		case NETDEV_A_NAPI_DEFER_HARD_IRQS:
			out->conf.defer_hard_irqs = v;
			break;
		case NETDEV_A_NAPI_GRO_FLUSH_TIMEOUT:
			out->conf.gro_flush_timeout_ns = v;
			break;
		case NETDEV_A_NAPI_IRQ_SUSPEND_TIMEOUT:
			out->conf.irq_suspend_timeout_ns = v;
			break;
		case NETDEV_A_NAPI_THREADED:
			out->conf.threaded = v;
			break;
		}
	}
	if (ret < 0 || !have_id || !have_ifindex)
		return -EBADMSG;
	return 1;
}

int netdev_parse_queue(const void *msg, size_t len, struct netdev_queue *out)
{
	bool have_id = false, have_ifindex = false, have_type = false;
	const unsigned char *data;
	struct attrs a;
	uint16_t type;
	size_t dlen;
	uint64_t v;
	int ret;

	ret = genl_frame(msg, len, NETDEV_CMD_QUEUE_GET, &a);
	if (ret <= 0)
		return ret;
	memset(out, 0, sizeof(*out));
	memset(out->stats, 0xff, sizeof(out->stats));
	while ((ret = attr_next(&a, &type, &data, &dlen)) > 0) {
		if (type < NETDEV_A_QUEUE_ID || type > NETDEV_A_QUEUE_NAPI_ID)
			continue;	/* dmabuf, io_uring, xsk, newer */
		if (attr_uint(data, dlen, &v) || v > UINT_MAX)
			return -EBADMSG;
		switch (type) {
		case NETDEV_A_QUEUE_ID:
			out->id = v;
			have_id = true;
			break;
		case NETDEV_A_QUEUE_IFINDEX:
			out->ifindex = v;
			have_ifindex = true;
			break;
		case NETDEV_A_QUEUE_TYPE:
			out->type = v;
			have_type = true;
			break;
		case NETDEV_A_QUEUE_NAPI_ID:
			out->napi_id = v;
			break;
		}
	}
	if (ret < 0 || !have_id || !have_ifindex || !have_type)
		return -EBADMSG;
	return 1;
}

int netdev_parse_qstats(const void *msg, size_t len, struct netdev_qstats *out)
{
	const unsigned char *data;
	bool have_ifindex = false;
	struct attrs a;
	uint16_t type;
	size_t dlen;
	uint64_t v;
	int ret;

	ret = genl_frame(msg, len, NETDEV_CMD_QSTATS_GET, &a);
	if (ret <= 0)
		return ret;
	out->queue_type = out->queue_id = -1;
	memset(out->v, 0xff, sizeof(out->v));
	while ((ret = attr_next(&a, &type, &data, &dlen)) > 0) {
		unsigned int stat = type - NETDEV_A_QSTATS_RX_PACKETS;

		if (type == NETDEV_A_QSTATS_SCOPE ||
		    (type > NETDEV_A_QSTATS_SCOPE && stat >= NETDEV_QSTAT_NR))
			continue;	/* the scope echoed, newer counters */
		if (attr_uint(data, dlen, &v))
			return -EBADMSG;
		if (type == NETDEV_A_QSTATS_IFINDEX || type == NETDEV_A_QSTATS_QUEUE_TYPE ||
		    type == NETDEV_A_QSTATS_QUEUE_ID) {
			if (v > INT_MAX)
				return -EBADMSG;
			if (type == NETDEV_A_QSTATS_IFINDEX) {
				out->ifindex = v;
				have_ifindex = true;
			} else if (type == NETDEV_A_QSTATS_QUEUE_TYPE) {
				out->queue_type = v;
			} else {
				out->queue_id = v;
			}
		} else if (stat < NETDEV_QSTAT_NR) {
			out->v[stat] = v;
		}
	}
	if (ret < 0 || !have_ifindex)
		return -EBADMSG;
	return 1;
}

/* CTRL_ATTR_OPS: a nest of nests, one per op, of its id and flags */
static int parse_ops(const unsigned char *data, size_t dlen, uint64_t *dump_ops,
		     uint64_t *do_ops)
{
	struct attrs ops = { data, dlen };
	const unsigned char *d;
	uint16_t type;
	size_t len;
	int ret;

	while ((ret = attr_next(&ops, &type, &d, &len)) > 0) {
		struct attrs op = { d, len };
		uint64_t id = UINT64_MAX, flags = 0, v;
		const unsigned char *od;
		uint16_t otype;
		size_t olen;

		while ((ret = attr_next(&op, &otype, &od, &olen)) > 0) {
			if (otype != CTRL_ATTR_OP_ID && otype != CTRL_ATTR_OP_FLAGS)
				continue;
			if (attr_uint(od, olen, &v))
				return -EBADMSG;
			if (otype == CTRL_ATTR_OP_ID)
				id = v;
			else
				flags = v;
		}
		if (ret < 0)
			return ret;
		if (id < 64 && (flags & GENL_CMD_CAP_DUMP))
			*dump_ops |= 1ull << id;
		if (id < 64 && (flags & GENL_CMD_CAP_DO))
			*do_ops |= 1ull << id;
	}
	return ret;
}

int netdev_parse_family(const void *msg, size_t len, uint16_t *id, uint64_t *dump_ops,
			uint64_t *do_ops)
{
	const unsigned char *data;
	bool have_id = false;
	struct attrs a;
	uint16_t type;
	size_t dlen;
	uint64_t v;
	int ret;

	ret = genl_frame(msg, len, CTRL_CMD_NEWFAMILY, &a);
	if (ret <= 0)
		return ret;
	*dump_ops = *do_ops = 0;
	while ((ret = attr_next(&a, &type, &data, &dlen)) > 0) {
		if (type == CTRL_ATTR_FAMILY_ID) {
			if (dlen != 2 || attr_uint(data, dlen, &v))
				return -EBADMSG;
			*id = v;
			have_id = true;
		} else if (type == CTRL_ATTR_OPS) {
			if (parse_ops(data, dlen, dump_ops, do_ops))
				return -EBADMSG;
		}
	}
	if (ret < 0 || !have_id)
		return -EBADMSG;
	return 1;
}

const char *netdev_parse_extack(const void *msg, size_t len)
{
	const unsigned char *p = msg, *data;
	struct nlmsghdr nh;
	struct attrs a;
	uint16_t type;
	size_t off, dlen;

	if (len < NLMSG_HDRLEN)
		return NULL;
	memcpy(&nh, p, sizeof(nh));
	if (nh.nlmsg_type != NLMSG_ERROR || !(nh.nlmsg_flags & NLM_F_ACK_TLVS) ||
	    nh.nlmsg_len > len)
		return NULL;
	/* the error, the request's header, and its payload unless capped */
	off = NLMSG_HDRLEN + sizeof(struct nlmsgerr);
	if (off > nh.nlmsg_len)
		return NULL;
	if (!(nh.nlmsg_flags & NLM_F_CAPPED)) {
		struct nlmsghdr req;

		memcpy(&req, p + NLMSG_HDRLEN + sizeof(int), sizeof(req));
		if (req.nlmsg_len < NLMSG_HDRLEN ||
		    NLMSG_ALIGN(req.nlmsg_len) - NLMSG_HDRLEN > nh.nlmsg_len - off)
			return NULL;
		off += NLMSG_ALIGN(req.nlmsg_len) - NLMSG_HDRLEN;
	}
	a.p = p + off;
	a.left = nh.nlmsg_len - off;
	while (attr_next(&a, &type, &data, &dlen) > 0)
		if (type == NLMSGERR_ATTR_MSG && dlen && memchr(data, '\0', dlen))
			return (const char *)data;
	return NULL;
}

/* ---- the socket ----------------------------------------------------------- */

struct nl {
	int fd;
	uint32_t seq, port;
	unsigned char *buf;
};

static int nl_open(struct nl *nl, char *err, size_t errlen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = RECV_TIMEOUT_S };
	socklen_t salen = sizeof(sa);
	int one = 1, ret;

	nl->buf = NULL;
	nl->seq = 0;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0) {
		ret = errno ? -errno : -EIO;
		return fail(err, errlen, ret, "cannot open a generic netlink socket: %s",
			    strerror(-ret));
	}
	/* the kernel's reason with its errors, without our request echoed
	 * (both optional: older kernels say only the errno) */
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* the kernel always answers; do not hang the tool if it does not */
	setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(nl->fd, (struct sockaddr *)&sa, &salen)) {
		ret = errno ? -errno : -EIO;
		close(nl->fd);
		return fail(err, errlen, ret, "cannot bind a netlink socket: %s", strerror(-ret));
	}
	nl->port = sa.nl_pid;
	nl->buf = malloc(RECV_BUF);
	if (!nl->buf) {
		close(nl->fd);
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	return 0;
}

static void nl_close(struct nl *nl)
{
	free(nl->buf);
	close(nl->fd);
}

struct nl_attr {
	uint16_t type;
	uint16_t len;
	const void *data;
};

/* A request of @cmd to @family with @nr attributes. */
static int nl_send(struct nl *nl, uint16_t family, uint16_t flags, uint8_t cmd,
		   const struct nl_attr *attrs, size_t nr)
{
	unsigned char req[NLMSG_HDRLEN + GENL_HDRLEN + 8 * (NLA_HDRLEN + 16)] = { 0 };
	struct nlmsghdr nh = {
		.nlmsg_type = family,
		.nlmsg_flags = NLM_F_REQUEST | flags,
		.nlmsg_seq = ++nl->seq,
	};
	struct genlmsghdr gh = { .cmd = cmd, .version = 1 };
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	size_t len = NLMSG_HDRLEN + GENL_HDRLEN;
	ssize_t n;

	for (size_t i = 0; i < nr; i++) {
		struct nlattr nla = { .nla_len = NLA_HDRLEN + attrs[i].len,
				      .nla_type = attrs[i].type };

		if ((size_t)NLA_ALIGN(nla.nla_len) > sizeof(req) - len)
			return -E2BIG;
		memcpy(req + len, &nla, sizeof(nla));
		memcpy(req + len + NLA_HDRLEN, attrs[i].data, attrs[i].len);
		len += NLA_ALIGN(nla.nla_len);
	}
	nh.nlmsg_len = len;
	memcpy(req, &nh, sizeof(nh));
	memcpy(req + NLMSG_HDRLEN, &gh, sizeof(gh));
	do
		n = sendto(nl->fd, req, len, 0, (struct sockaddr *)&to, sizeof(to));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

/*
 * The reply to the last request, message by message to @each (which
 * returns like the parsers: 1 go on, 0 done, -errno), until @each says
 * done.  0 or -errno; an NLMSG_ERROR's text goes to @extack.
 */
static int nl_recv(struct nl *nl, int (*each)(const void *msg, size_t len, void *ctx),
		   void *ctx, char *extack, size_t extacklen)
{
	for (;;) {
		struct iovec iov = { nl->buf, RECV_BUF };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct nlmsghdr nh;
		size_t off;
		ssize_t n;

		do
			n = recvmsg(nl->fd, &mh, 0);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		for (off = 0; (size_t)n - off >= NLMSG_HDRLEN; off += NLMSG_ALIGN(nh.nlmsg_len)) {
			const unsigned char *msg = nl->buf + off;
			int ret;

			memcpy(&nh, msg, sizeof(nh));
			if (nh.nlmsg_len < NLMSG_HDRLEN || nh.nlmsg_len > (size_t)n - off)
				return -EBADMSG;
			if (nh.nlmsg_seq != nl->seq || nh.nlmsg_pid != nl->port)
				continue;	/* not the answer to this request */
			ret = each(msg, nh.nlmsg_len, ctx);
			if (ret < 0 && nh.nlmsg_type == NLMSG_ERROR) {
				const char *why = netdev_parse_extack(msg, nh.nlmsg_len);

				if (why && extack)
					snprintf(extack, extacklen, "%s", why);
			}
			if (ret <= 0)
				return ret;
		}
		if (off < (size_t)n)
			return -EBADMSG;	/* a partial message */
	}
}

struct family {
	uint16_t id;
	uint64_t dump_ops, do_ops;
	bool found;
};

static int family_each(const void *msg, size_t len, void *ctx)
{
	struct family *f = ctx;
	int ret = netdev_parse_family(msg, len, &f->id, &f->dump_ops, &f->do_ops);

	if (ret == 1)
		f->found = true;
	/* a do request: one message, then nothing (no ack asked for) */
	return ret == 1 ? 0 : ret;
}

/* The netdev family: its id and the ops it has. */
static int resolve(struct nl *nl, struct family *f, char *err, size_t errlen)
{
	const struct nl_attr name = { CTRL_ATTR_FAMILY_NAME, sizeof(NETDEV_FAMILY_NAME),
				      NETDEV_FAMILY_NAME };
	char why[128] = "";
	int ret;

	memset(f, 0, sizeof(*f));
	ret = nl_send(nl, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, &name, 1);
	if (!ret)
		ret = nl_recv(nl, family_each, f, why, sizeof(why));
	if (ret == -ENOENT)
		return fail(err, errlen, -EOPNOTSUPP,
			    "this kernel has no netdev netlink family (no NAPI inventory)");
	if (ret)
		return fail(err, errlen, ret, "netlink: cannot look up the netdev family: %s%s%s",
			    strerror(-ret), *why ? ": " : "", why);
	if (!f->found)
		return fail(err, errlen, -EBADMSG,
			    "netlink: the kernel's answer about the netdev family is not one");
	return 0;
}

/* -EOPNOTSUPP and its line where @ops lacks @op */
static int need_op(uint64_t ops, unsigned int op, const char *opname, char *err, size_t errlen)
{
	if (ops & 1ull << op)
		return 0;
	return fail(err, errlen, -EOPNOTSUPP, "this kernel's netdev netlink family has no %s",
		    opname);
}

/* the op's error as one line */
static int op_error(int ret, const char *opname, const char *why, char *err, size_t errlen)
{
	if (ret == -EOPNOTSUPP)
		return fail(err, errlen, ret, "the kernel refused netlink %s (EOPNOTSUPP)%s%s",
			    opname, *why ? ": " : "", why);
	return fail(err, errlen, ret, "netlink %s: %s%s%s", opname, strerror(-ret),
		    *why ? ": " : "", why);
}

/* A growing array of @size-byte elements. */
struct list {
	void *v;
	size_t nr, cap, size;
};

static void *list_add(struct list *l)
{
	if (l->nr == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		void *grown = realloc(l->v, cap * l->size);

		if (!grown)
			return NULL;
		l->v = grown;
		l->cap = cap;
	}
	return (char *)l->v + l->size * l->nr++;
}

static int napi_each(const void *msg, size_t len, void *ctx)
{
	struct netdev_napi napi, *slot;
	int ret = netdev_parse_napi(msg, len, &napi);

	if (ret != 1)
		return ret;
	slot = list_add(ctx);
	if (!slot)
		return -ENOMEM;
	*slot = napi;
	return 1;
}

static int queue_each(const void *msg, size_t len, void *ctx)
{
	struct netdev_queue q, *slot;
	int ret = netdev_parse_queue(msg, len, &q);

	if (ret != 1)
		return ret;
	slot = list_add(ctx);
	if (!slot)
		return -ENOMEM;
	*slot = q;
	return 1;
}

/* A dump of @cmd with @attrs: 0, or the failure as op_error() says it. */
static int dump(struct nl *nl, uint16_t family, uint8_t cmd, const char *opname,
		const struct nl_attr *attrs, size_t nr,
		int (*each)(const void *msg, size_t len, void *ctx), void *ctx,
		char *err, size_t errlen)
{
	char why[128] = "";
	int ret = nl_send(nl, family, NLM_F_DUMP, cmd, attrs, nr);

	if (!ret)
		ret = nl_recv(nl, each, ctx, why, sizeof(why));
	return ret ? op_error(ret, opname, why, err, errlen) : 0;
}

/* Every NAPI, named by its device: on @nl, the family resolved. */
static int napis_read(struct nl *nl, const struct family *f, struct netdev_napi **out,
		      size_t *nr, char *err, size_t errlen)
{
	struct list l = { .size = sizeof(struct netdev_napi) };
	struct netdev_napi *v;
	int ret;

	ret = need_op(f->dump_ops, NETDEV_CMD_NAPI_GET, "napi-get", err, errlen);
	if (!ret)
		ret = dump(nl, f->id, NETDEV_CMD_NAPI_GET, "napi-get", NULL, 0, napi_each, &l,
			   err, errlen);
	if (ret) {
		free(l.v);
		return ret;
	}
	v = l.v;
	for (size_t i = 0; i < l.nr; i++) {
		char name[IF_NAMESIZE];

		/* the device may have gone since: keep its NAPIs, nameless */
		if (if_indextoname(v[i].ifindex, name))
			snprintf(v[i].ifname, sizeof(v[i].ifname), "%s", name);
	}
	*out = v;
	*nr = l.nr;
	return 0;
}

int netdev_napi_list(struct netdev_napi **out, size_t *nr, char *err, size_t errlen)
{
	struct family f;
	struct nl nl;
	int ret;

	*out = NULL;
	*nr = 0;
	ret = nl_open(&nl, err, errlen);
	if (ret)
		return ret;
	ret = resolve(&nl, &f, err, errlen);
	if (!ret)
		ret = napis_read(&nl, &f, out, nr, err, errlen);
	nl_close(&nl);
	return ret;
}

/* qstats-get per queue: each reply's counters onto its queue in @inv */
static int qstats_onto_queue(const void *msg, size_t len, void *ctx)
{
	struct netdev_inventory *inv = ctx;
	struct netdev_qstats q;
	int ret = netdev_parse_qstats(msg, len, &q);

	if (ret != 1)
		return ret;
	for (size_t i = 0; i < inv->nr_queues; i++) {
		struct netdev_queue *qu = &inv->queues[i];

		if (qu->ifindex == q.ifindex && qu->type == q.queue_type &&
		    (int)qu->id == q.queue_id)
			memcpy(qu->stats, q.v, sizeof(q.v));
	}
	return 1;
}

int netdev_inventory_read(struct netdev_inventory *inv, char *err, size_t errlen)
{
	struct list queues = { .size = sizeof(struct netdev_queue) };
	const uint32_t scope = QSTATS_SCOPE_QUEUE;
	const struct nl_attr by_queue = { NETDEV_A_QSTATS_SCOPE, sizeof(scope), &scope };
	struct family f;
	struct nl nl;
	int ret;

	memset(inv, 0, sizeof(*inv));
	ret = nl_open(&nl, err, errlen);
	if (ret)
		return ret;
	ret = resolve(&nl, &f, err, errlen);
	if (!ret)
		ret = napis_read(&nl, &f, &inv->napis, &inv->nr_napis, err, errlen);
	if (ret)
		goto out;
	/* the rest where the kernel has it: what is missing shows as "-" */
	if (f.dump_ops & 1ull << NETDEV_CMD_QUEUE_GET &&
	    !dump(&nl, f.id, NETDEV_CMD_QUEUE_GET, "queue-get", NULL, 0, queue_each, &queues,
		  NULL, 0)) {
		inv->queues = queues.v;
		inv->nr_queues = queues.nr;
		inv->have_queues = true;
		queues.v = NULL;
	}
	if (inv->have_queues && f.dump_ops & 1ull << NETDEV_CMD_QSTATS_GET)
		inv->have_qstats = !dump(&nl, f.id, NETDEV_CMD_QSTATS_GET, "qstats-get",
					 &by_queue, 1, qstats_onto_queue, inv, NULL, 0);
out:
	free(queues.v);
	nl_close(&nl);
	return ret;
}

void netdev_inventory_free(struct netdev_inventory *inv)
{
	free(inv->napis);
	free(inv->queues);
	memset(inv, 0, sizeof(*inv));
}

/* napi-set answers a do request with an ack (asked for): done at 0 */
static int ack_each(const void *msg, size_t len, void *ctx)
{
	const struct nlmsghdr *nh = msg;
	int32_t e;

	(void)ctx;
	if (len < NLMSG_HDRLEN + sizeof(e) || nh->nlmsg_type != NLMSG_ERROR)
		return -EBADMSG;
	memcpy(&e, (const char *)msg + NLMSG_HDRLEN, sizeof(e));
	return e > 0 || e < -4095 ? -EBADMSG : e;
}

int netdev_napi_set(unsigned int napi_id, const struct netdev_napi_conf *conf, char *err,
		    size_t errlen)
{
	const uint32_t id = napi_id, defer = conf->defer_hard_irqs,
		       threaded = conf->threaded;
	const uint64_t gro = conf->gro_flush_timeout_ns, suspend = conf->irq_suspend_timeout_ns;
	struct nl_attr attrs[5] = { { NETDEV_A_NAPI_ID, sizeof(id), &id } };
	size_t nr = 1;
	char why[128] = "";
	struct family f;
	struct nl nl;
	int ret;

	if (conf->defer_hard_irqs >= 0)
		attrs[nr++] = (struct nl_attr){ NETDEV_A_NAPI_DEFER_HARD_IRQS, sizeof(defer), &defer };
	if (conf->gro_flush_timeout_ns >= 0)
		attrs[nr++] = (struct nl_attr){ NETDEV_A_NAPI_GRO_FLUSH_TIMEOUT, sizeof(gro), &gro };
	if (conf->irq_suspend_timeout_ns >= 0)
		attrs[nr++] = (struct nl_attr){ NETDEV_A_NAPI_IRQ_SUSPEND_TIMEOUT, sizeof(suspend),
						&suspend };
	if (conf->threaded >= 0)
		attrs[nr++] = (struct nl_attr){ NETDEV_A_NAPI_THREADED, sizeof(threaded), &threaded };
	ret = nl_open(&nl, err, errlen);
	if (ret)
		return ret;
	ret = resolve(&nl, &f, err, errlen);
	if (!ret)
		ret = need_op(f.do_ops, NETDEV_CMD_NAPI_SET, "napi-set", err, errlen);
	if (ret)
		goto out;
	ret = nl_send(&nl, f.id, NLM_F_ACK, NETDEV_CMD_NAPI_SET, attrs, nr);
	if (!ret)
		ret = nl_recv(&nl, ack_each, NULL, why, sizeof(why));
	if (ret == -ENOENT)
		errmsg(err, errlen, "no NAPI with id %u in this network namespace", napi_id);
	else if (ret)
		op_error(ret, "napi-set", why, err, errlen);
out:
	nl_close(&nl);
	return ret;
}

struct qstats {
	unsigned int ifindex;
	struct netdev_qstats q;
	bool found;
};

static int qstats_each(const void *msg, size_t len, void *ctx)
{
	struct qstats *q = ctx;
	struct netdev_qstats got;
	int ret = netdev_parse_qstats(msg, len, &got);

	if (ret == 1 && got.ifindex == q->ifindex && !q->found) {
		q->q = got;
		q->found = true;
	}
	return ret;
}

int netdev_qstats(unsigned int ifindex, uint64_t *rx_packets, uint64_t *rx_bytes, char *err,
		  size_t errlen)
{
	struct qstats q = { .ifindex = ifindex };
	const uint32_t idx = ifindex;
	const struct nl_attr dev = { NETDEV_A_QSTATS_IFINDEX, sizeof(idx), &idx };
	char why[128] = "", name[IF_NAMESIZE];
	struct family f;
	struct nl nl;
	int ret;

	if (!ifindex)
		return fail(err, errlen, -ENODEV, "no network device with ifindex 0");
	if (!if_indextoname(ifindex, name))
		snprintf(name, sizeof(name), "#%u", ifindex);
	ret = nl_open(&nl, err, errlen);
	if (ret)
		return ret;
	ret = resolve(&nl, &f, err, errlen);
	if (!ret)
		ret = need_op(f.dump_ops, NETDEV_CMD_QSTATS_GET, "qstats-get", err, errlen);
	if (ret)
		goto out;
	/* no scope attribute: the device's totals */
	ret = nl_send(&nl, f.id, NLM_F_DUMP, NETDEV_CMD_QSTATS_GET, &dev, 1);
	if (!ret)
		ret = nl_recv(&nl, qstats_each, &q, why, sizeof(why));
	if (ret == -ENODEV) {
		errmsg(err, errlen, "no network device with ifindex %u", ifindex);
		goto out;
	}
	/* the op is there (need_op() said so): the driver keeps no counters */
	if (ret == -EOPNOTSUPP) {
		errmsg(err, errlen, "the driver of '%s' keeps no queue stats (EOPNOTSUPP)", name);
		goto out;
	}
	if (ret) {
		op_error(ret, "qstats-get", why, err, errlen);
		goto out;
	}
	/* kernels that skip such devices in silence; counters a driver does
	 * not keep are left out */
	if (!q.found || q.q.v[NETDEV_QSTAT_RX_PACKETS] == UINT64_MAX ||
	    q.q.v[NETDEV_QSTAT_RX_BYTES] == UINT64_MAX) {
		ret = fail(err, errlen, -EOPNOTSUPP,
			   "the driver of '%s' reports no receive packets and bytes (qstats)",
			   name);
		goto out;
	}
	*rx_packets = q.q.v[NETDEV_QSTAT_RX_PACKETS];
	*rx_bytes = q.q.v[NETDEV_QSTAT_RX_BYTES];
out:
	nl_close(&nl);
	return ret;
}
