// SPDX-License-Identifier: GPL-2.0
/*
 * The netdev generic netlink family over a raw socket: resolve the family
 * with the controller, dump napi-get and qstats-get, and parse the replies
 * with pure functions over byte buffers.
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
#ifndef NETDEV_CMD_NAPI_GET
#define NETDEV_CMD_NAPI_GET 11
#endif
#ifndef NETDEV_CMD_QSTATS_GET
#define NETDEV_CMD_QSTATS_GET 12
#endif
#ifndef NETDEV_A_NAPI_IFINDEX
#define NETDEV_A_NAPI_IFINDEX 1
#define NETDEV_A_NAPI_ID 2
#define NETDEV_A_NAPI_IRQ 3
#define NETDEV_A_NAPI_PID 4
#endif
#ifndef NETDEV_A_NAPI_THREADED
#define NETDEV_A_NAPI_THREADED 8
#endif
#ifndef NETDEV_A_QSTATS_IFINDEX
#define NETDEV_A_QSTATS_IFINDEX 1
#define NETDEV_A_QSTATS_RX_PACKETS 8
#define NETDEV_A_QSTATS_RX_BYTES 9
#endif

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
	out->threaded = -1;
	while ((ret = attr_next(&a, &type, &data, &dlen)) > 0) {
		switch (type) {
		case NETDEV_A_NAPI_IFINDEX:
		case NETDEV_A_NAPI_ID:
		case NETDEV_A_NAPI_IRQ:
		case NETDEV_A_NAPI_PID:
		case NETDEV_A_NAPI_THREADED:
			if (attr_uint(data, dlen, &v) || v > INT_MAX)
				return -EBADMSG;
			break;
		default:
			continue;	/* newer attributes */
		}
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
		case NETDEV_A_NAPI_THREADED:
			out->threaded = v;
			break;
		}
	}
	if (ret < 0 || !have_id || !have_ifindex)
		return -EBADMSG;
	return 1;
}

int netdev_parse_qstats(const void *msg, size_t len, unsigned int *ifindex,
			uint64_t *rx_packets, uint64_t *rx_bytes)
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
	*rx_packets = *rx_bytes = UINT64_MAX;
	while ((ret = attr_next(&a, &type, &data, &dlen)) > 0) {
		if (type != NETDEV_A_QSTATS_IFINDEX && type != NETDEV_A_QSTATS_RX_PACKETS &&
		    type != NETDEV_A_QSTATS_RX_BYTES)
			continue;
		if (attr_uint(data, dlen, &v))
			return -EBADMSG;
		if (type == NETDEV_A_QSTATS_IFINDEX) {
			if (v > UINT_MAX)
				return -EBADMSG;
			*ifindex = v;
			have_ifindex = true;
		} else if (type == NETDEV_A_QSTATS_RX_PACKETS) {
			*rx_packets = v;
		} else {
			*rx_bytes = v;
		}
	}
	if (ret < 0 || !have_ifindex)
		return -EBADMSG;
	return 1;
}

/* CTRL_ATTR_OPS: a nest of nests, one per op, of its id and flags */
static int parse_ops(const unsigned char *data, size_t dlen, uint64_t *dump_ops)
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
	}
	return ret;
}

int netdev_parse_family(const void *msg, size_t len, uint16_t *id, uint64_t *dump_ops)
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
	*dump_ops = 0;
	while ((ret = attr_next(&a, &type, &data, &dlen)) > 0) {
		if (type == CTRL_ATTR_FAMILY_ID) {
			if (dlen != 2 || attr_uint(data, dlen, &v))
				return -EBADMSG;
			*id = v;
			have_id = true;
		} else if (type == CTRL_ATTR_OPS) {
			if (parse_ops(data, dlen, dump_ops))
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

/* A request of @cmd to @family with one attribute (@atype 0: none). */
static int nl_send(struct nl *nl, uint16_t family, uint16_t flags, uint8_t cmd,
		   uint16_t atype, const void *adata, uint16_t alen)
{
	unsigned char req[NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN + 32] = { 0 };
	struct nlmsghdr nh = {
		.nlmsg_type = family,
		.nlmsg_flags = NLM_F_REQUEST | flags,
		.nlmsg_seq = ++nl->seq,
	};
	struct genlmsghdr gh = { .cmd = cmd, .version = 1 };
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	size_t len = NLMSG_HDRLEN + GENL_HDRLEN;
	ssize_t n;

	if (atype) {
		struct nlattr nla = { .nla_len = NLA_HDRLEN + alen, .nla_type = atype };

		if (alen > sizeof(req) - len - NLA_HDRLEN)
			return -E2BIG;
		memcpy(req + len, &nla, sizeof(nla));
		memcpy(req + len + NLA_HDRLEN, adata, alen);
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
	uint64_t dump_ops;
	bool found;
};

static int family_each(const void *msg, size_t len, void *ctx)
{
	struct family *f = ctx;
	int ret = netdev_parse_family(msg, len, &f->id, &f->dump_ops);

	if (ret == 1)
		f->found = true;
	/* a do request: one message, then nothing (no ack asked for) */
	return ret == 1 ? 0 : ret;
}

/* The netdev family, able to dump @op (named @opname for the message). */
static int resolve(struct nl *nl, unsigned int op, const char *opname, uint16_t *id,
		   char *err, size_t errlen)
{
	struct family f = { 0 };
	char why[128] = "";
	int ret;

	ret = nl_send(nl, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME,
		      NETDEV_FAMILY_NAME, sizeof(NETDEV_FAMILY_NAME));
	if (!ret)
		ret = nl_recv(nl, family_each, &f, why, sizeof(why));
	if (ret == -ENOENT)
		return fail(err, errlen, -EOPNOTSUPP,
			    "this kernel has no netdev netlink family (no NAPI inventory)");
	if (ret)
		return fail(err, errlen, ret, "netlink: cannot look up the netdev family: %s%s%s",
			    strerror(-ret), *why ? ": " : "", why);
	if (!f.found)
		return fail(err, errlen, -EBADMSG,
			    "netlink: the kernel's answer about the netdev family is not one");
	if (!(f.dump_ops & 1ull << op))
		return fail(err, errlen, -EOPNOTSUPP,
			    "this kernel's netdev netlink family has no %s", opname);
	*id = f.id;
	return 0;
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

struct napis {
	struct netdev_napi *v;
	size_t nr, cap;
};

static int napi_each(const void *msg, size_t len, void *ctx)
{
	struct napis *l = ctx;
	struct netdev_napi napi;
	int ret = netdev_parse_napi(msg, len, &napi);

	if (ret != 1)
		return ret;
	if (l->nr == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct netdev_napi *grown = realloc(l->v, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		l->v = grown;
		l->cap = cap;
	}
	l->v[l->nr++] = napi;
	return 1;
}

int netdev_napi_list(struct netdev_napi **out, size_t *nr, char *err, size_t errlen)
{
	struct napis l = { 0 };
	char why[128] = "";
	struct nl nl;
	uint16_t id;
	int ret;

	*out = NULL;
	*nr = 0;
	ret = nl_open(&nl, err, errlen);
	if (ret)
		return ret;
	ret = resolve(&nl, NETDEV_CMD_NAPI_GET, "napi-get", &id, err, errlen);
	if (ret)
		goto out;
	ret = nl_send(&nl, id, NLM_F_DUMP, NETDEV_CMD_NAPI_GET, 0, NULL, 0);
	if (!ret)
		ret = nl_recv(&nl, napi_each, &l, why, sizeof(why));
	if (ret) {
		op_error(ret, "napi-get", why, err, errlen);
		goto out;
	}
	for (size_t i = 0; i < l.nr; i++) {
		char name[IF_NAMESIZE];

		/* the device may have gone since: keep its NAPIs, nameless */
		if (if_indextoname(l.v[i].ifindex, name))
			snprintf(l.v[i].ifname, sizeof(l.v[i].ifname), "%s", name);
	}
	*out = l.v;
	*nr = l.nr;
	l.v = NULL;
out:
	free(l.v);
	nl_close(&nl);
	return ret;
}

struct qstats {
	unsigned int ifindex;
	uint64_t rx_packets, rx_bytes;
	bool found;
};

static int qstats_each(const void *msg, size_t len, void *ctx)
{
	struct qstats *q = ctx;
	uint64_t packets, bytes;
	unsigned int ifindex;
	int ret = netdev_parse_qstats(msg, len, &ifindex, &packets, &bytes);

	if (ret == 1 && ifindex == q->ifindex && !q->found) {
		q->rx_packets = packets;
		q->rx_bytes = bytes;
		q->found = true;
	}
	return ret;
}

int netdev_qstats(unsigned int ifindex, uint64_t *rx_packets, uint64_t *rx_bytes, char *err,
		  size_t errlen)
{
	struct qstats q = { .ifindex = ifindex };
	char why[128] = "", name[IF_NAMESIZE];
	uint32_t idx = ifindex;
	struct nl nl;
	uint16_t id;
	int ret;

	if (!ifindex)
		return fail(err, errlen, -ENODEV, "no network device with ifindex 0");
	if (!if_indextoname(ifindex, name))
		snprintf(name, sizeof(name), "#%u", ifindex);
	ret = nl_open(&nl, err, errlen);
	if (ret)
		return ret;
	ret = resolve(&nl, NETDEV_CMD_QSTATS_GET, "qstats-get", &id, err, errlen);
	if (ret)
		goto out;
	/* no scope attribute: the device's totals */
	ret = nl_send(&nl, id, NLM_F_DUMP, NETDEV_CMD_QSTATS_GET, NETDEV_A_QSTATS_IFINDEX,
		      &idx, sizeof(idx));
	if (!ret)
		ret = nl_recv(&nl, qstats_each, &q, why, sizeof(why));
	if (ret == -ENODEV) {
		errmsg(err, errlen, "no network device with ifindex %u", ifindex);
		goto out;
	}
	/* the op is there (resolve() said so): the driver keeps no counters */
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
	if (!q.found || q.rx_packets == UINT64_MAX || q.rx_bytes == UINT64_MAX) {
		ret = fail(err, errlen, -EOPNOTSUPP,
			   "the driver of '%s' reports no receive packets and bytes (qstats)",
			   name);
		goto out;
	}
	*rx_packets = q.rx_packets;
	*rx_bytes = q.rx_bytes;
out:
	nl_close(&nl);
	return ret;
}
