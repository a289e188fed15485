// SPDX-License-Identifier: GPL-2.0
/*
 * napitop's NAPI inventory from the netdev netlink family: the parsers
 * over messages built here byte by byte (the numbers written out from
 * Documentation/netlink/specs/netdev.yaml, not taken from netdev.c), with
 * attributes they do not know, truncated ones, errors and the end of a
 * dump; then the live dump of this kernel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "../../src/napitop/netdev.h"

/* netdev.yaml: ops in order from dev-get = 1; attribute ids */
enum {
	OP_DEV_GET = 1,
	OP_QUEUE_GET = 10,
	OP_NAPI_GET = 11,
	OP_QSTATS_GET = 12,
	OP_BIND_RX = 13,
	OP_NAPI_SET = 14,
	NAPI_IFINDEX = 1,
	NAPI_ID = 2,
	NAPI_IRQ = 3,
	NAPI_PID = 4,
	NAPI_DEFER_HARD_IRQS = 5,
	NAPI_GRO_FLUSH_TIMEOUT = 6,
	NAPI_IRQ_SUSPEND_TIMEOUT = 7,
	NAPI_THREADED = 8,
	QUEUE_ID = 1,
	QUEUE_IFINDEX = 2,
	QUEUE_TYPE = 3,
	QUEUE_NAPI_ID = 4,
	QUEUE_DMABUF = 5,
	QSTATS_IFINDEX = 1,
	QSTATS_QUEUE_TYPE = 2,
	QSTATS_QUEUE_ID = 3,
	QSTATS_SCOPE = 4,
	QSTATS_RX_PACKETS = 8,
	QSTATS_RX_BYTES = 9,
	QSTATS_TX_PACKETS = 10,
	QSTATS_RX_HW_DROPS = 13,
	QSTATS_TX_WAKE = 34,
};

#define FAMILY 0x1c	/* any dynamic id: the parsers do not check it */

struct msg {
	unsigned char b[1024];
	size_t len;		/* of everything built so far */
	size_t start;		/* of the message being built */
};

static void put_hdr(struct msg *m, uint16_t type, uint16_t flags)
{
	struct nlmsghdr nh = { .nlmsg_type = type, .nlmsg_flags = flags, .nlmsg_seq = 1 };

	m->start = m->len;
	memcpy(m->b + m->len, &nh, sizeof(nh));
	m->len += NLMSG_HDRLEN;
}

static void put_genl(struct msg *m, uint16_t type, uint8_t cmd)
{
	struct genlmsghdr gh = { .cmd = cmd, .version = 1 };

	put_hdr(m, type, NLM_F_MULTI);
	memcpy(m->b + m->len, &gh, sizeof(gh));
	m->len += GENL_HDRLEN;
}

static void put_attr(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr nla = { .nla_len = NLA_HDRLEN + len, .nla_type = type };

	assert_true(m->len + NLA_ALIGN(nla.nla_len) <= sizeof(m->b));
	memcpy(m->b + m->len, &nla, sizeof(nla));
	if (len)
		memcpy(m->b + m->len + NLA_HDRLEN, data, len);
	memset(m->b + m->len + nla.nla_len, 0, NLA_ALIGN(nla.nla_len) - nla.nla_len);
	m->len += NLA_ALIGN(nla.nla_len);
}

static void put_u16(struct msg *m, uint16_t type, uint16_t v)
{
	put_attr(m, type, &v, sizeof(v));
}

static void put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	put_attr(m, type, &v, sizeof(v));
}

static void put_u64(struct msg *m, uint16_t type, uint64_t v)
{
	put_attr(m, type, &v, sizeof(v));
}

static size_t nest_start(struct msg *m, uint16_t type)
{
	size_t at = m->len;

	put_attr(m, type | NLA_F_NESTED, NULL, 0);
	return at;
}

static void nest_end(struct msg *m, size_t at)
{
	uint16_t len = m->len - at;

	memcpy(m->b + at, &len, sizeof(len));
}

/* the length into the message's header */
static void end(struct msg *m)
{
	uint32_t len = m->len - m->start;

	memcpy(m->b + m->start, &len, sizeof(len));
}

static void put_error(struct msg *m, int error)
{
	struct nlmsgerr e = { .error = error, .msg = { .nlmsg_len = NLMSG_HDRLEN } };

	put_hdr(m, NLMSG_ERROR, 0);
	memcpy(m->b + m->len, &e, sizeof(e));
	m->len += sizeof(e);
	end(m);
}

static void put_done(struct msg *m, const int *error)
{
	put_hdr(m, NLMSG_DONE, NLM_F_MULTI);
	if (error) {
		memcpy(m->b + m->len, error, sizeof(*error));
		m->len += sizeof(*error);
	}
	end(m);
}

static void napi_msg(struct msg *m, uint32_t ifindex, uint32_t id)
{
	put_genl(m, FAMILY, OP_NAPI_GET);
	put_u32(m, NAPI_ID, id);
	put_u32(m, NAPI_IFINDEX, ifindex);
}

static void test_napi(void **state)
{
	struct netdev_napi n;
	struct msg m = { 0 };

	(void)state;
	/* what 6.18 sends, plus attributes of kernels to come */
	napi_msg(&m, 4, 257);
	put_u32(&m, NAPI_IRQ, 33);
	put_u32(&m, NAPI_PID, 812);
	put_u32(&m, NAPI_DEFER_HARD_IRQS, 0);
	put_u64(&m, NAPI_GRO_FLUSH_TIMEOUT, 20000);
	put_u64(&m, NAPI_IRQ_SUSPEND_TIMEOUT, 5000000000ull);	/* past 32 bits */
	put_u32(&m, NAPI_THREADED, 1);
	put_attr(&m, 200, "abc", 3);		/* unknown, padded */
	put_attr(&m, 201 | NLA_F_NESTED, NULL, 0);
	end(&m);
	memset(&n, 0x55, sizeof(n));
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), 1);
	assert_int_equal(n.ifindex, 4);
	assert_int_equal(n.napi_id, 257);
	assert_int_equal(n.irq, 33);
	assert_int_equal(n.pid, 812);
	assert_int_equal(n.conf.threaded, 1);
	assert_int_equal(n.conf.defer_hard_irqs, 0);
	assert_int_equal(n.conf.gro_flush_timeout_ns, 20000);
	assert_true(n.conf.irq_suspend_timeout_ns == 5000000000ll);
	assert_string_equal(n.ifname, "");

	/* an older kernel: no irq (none), no kthread, no threaded state */
	memset(&m, 0, sizeof(m));
	napi_msg(&m, 2, 8193);
	end(&m);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), 1);
	assert_int_equal(n.napi_id, 8193);
	assert_int_equal(n.irq, -1);
	assert_int_equal(n.pid, 0);
	assert_int_equal(n.conf.threaded, -1);
	assert_int_equal(n.conf.defer_hard_irqs, -1);
	assert_int_equal(n.conf.gro_flush_timeout_ns, -1);
	assert_int_equal(n.conf.irq_suspend_timeout_ns, -1);

	/* threaded as an 8-byte uint; the last attribute without padding */
	memset(&m, 0, sizeof(m));
	napi_msg(&m, 2, 9);
	put_u64(&m, NAPI_THREADED, 2);
	put_attr(&m, 202, "x", 1);
	m.len -= 3;
	end(&m);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), 1);
	assert_int_equal(n.conf.threaded, 2);

	/* a longer buffer holding more: only the first message is read */
	memset(&m, 0, sizeof(m));
	napi_msg(&m, 4, 1);
	end(&m);
	napi_msg(&m, 5, 2);
	end(&m);
	put_done(&m, NULL);
	{
		size_t off = 0;
		int got = 0, ret = 1;

		while (ret > 0) {
			struct nlmsghdr nh;

			ret = netdev_parse_napi(m.b + off, m.len - off, &n);
			if (ret == 1)
				assert_int_equal(n.ifindex, 4 + got++);
			memcpy(&nh, m.b + off, sizeof(nh));
			off += NLMSG_ALIGN(nh.nlmsg_len);
		}
		assert_int_equal(ret, 0);
		assert_int_equal(got, 2);
		assert_int_equal(off, m.len);
	}
}

static void test_napi_bad(void **state)
{
	struct netdev_napi n;
	struct msg m = { 0 };
	size_t full;

	(void)state;
	napi_msg(&m, 4, 257);
	put_u32(&m, NAPI_PID, 812);
	end(&m);
	full = m.len;

	/* the buffer ends before the message does */
	assert_int_equal(netdev_parse_napi(m.b, full - 4, &n), -EBADMSG);
	assert_int_equal(netdev_parse_napi(m.b, 3, &n), -EBADMSG);
	assert_int_equal(netdev_parse_napi(m.b, 0, &n), -EBADMSG);
	/* the message ends inside its last attribute */
	m.start = 0;
	m.len = full - 2;
	end(&m);
	assert_int_equal(netdev_parse_napi(m.b, full, &n), -EBADMSG);
	/* ... or inside an attribute header */
	m.len = full - 6;
	end(&m);
	assert_int_equal(netdev_parse_napi(m.b, full, &n), -EBADMSG);
	/* a header of its own length shorter than a header */
	m.len = 8;
	end(&m);
	assert_int_equal(netdev_parse_napi(m.b, full, &n), -EBADMSG);
	/* no room for the generic netlink header */
	m.len = NLMSG_HDRLEN + 2;
	end(&m);
	assert_int_equal(netdev_parse_napi(m.b, full, &n), -EBADMSG);

	/* an attribute claiming less than its own header */
	memset(&m, 0, sizeof(m));
	napi_msg(&m, 4, 257);
	put_u32(&m, NAPI_PID, 812);
	m.b[m.len - 8] = 2;
	end(&m);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), -EBADMSG);

	/* a u32 in 3 bytes */
	memset(&m, 0, sizeof(m));
	napi_msg(&m, 4, 257);
	put_attr(&m, NAPI_IRQ, "\1\2\3", 3);
	end(&m);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), -EBADMSG);
	/* an irq no int holds */
	memset(&m, 0, sizeof(m));
	napi_msg(&m, 4, 257);
	put_u32(&m, NAPI_IRQ, 0x80000000u);
	end(&m);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), -EBADMSG);

	/* without its id or its device */
	memset(&m, 0, sizeof(m));
	put_genl(&m, FAMILY, OP_NAPI_GET);
	put_u32(&m, NAPI_IFINDEX, 4);
	end(&m);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), -EBADMSG);
	memset(&m, 0, sizeof(m));
	put_genl(&m, FAMILY, OP_NAPI_GET);
	put_u32(&m, NAPI_ID, 4);
	end(&m);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), -EBADMSG);

	/* a reply to another op, and a control message type */
	memset(&m, 0, sizeof(m));
	put_genl(&m, FAMILY, OP_QSTATS_GET);
	put_u32(&m, NAPI_IFINDEX, 4);
	put_u32(&m, NAPI_ID, 4);
	end(&m);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), -EBADMSG);
	memset(&m, 0, sizeof(m));
	put_hdr(&m, NLMSG_NOOP, 0);
	end(&m);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), -EBADMSG);
}

static void test_end_and_errors(void **state)
{
	struct netdev_napi n;
	struct msg m = { 0 };
	int e;

	(void)state;
	/* the kernel's error for the request */
	put_error(&m, -EOPNOTSUPP);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), -EOPNOTSUPP);
	memset(&m, 0, sizeof(m));
	put_error(&m, -EPERM);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), -EPERM);
	/* an ack ends a reply */
	memset(&m, 0, sizeof(m));
	put_error(&m, 0);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), 0);
	/* an error that is not an errno */
	memset(&m, 0, sizeof(m));
	put_error(&m, 5);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), -EBADMSG);
	/* an error message too short for its error */
	memset(&m, 0, sizeof(m));
	put_hdr(&m, NLMSG_ERROR, 0);
	m.len += 2;
	end(&m);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), -EBADMSG);

	/* the end of a dump, bare, with 0, with the error that cut it short */
	memset(&m, 0, sizeof(m));
	put_done(&m, NULL);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), 0);
	memset(&m, 0, sizeof(m));
	e = 0;
	put_done(&m, &e);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), 0);
	memset(&m, 0, sizeof(m));
	e = -EMSGSIZE;
	put_done(&m, &e);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), -EMSGSIZE);
	{
		struct netdev_queue qu;
		struct netdev_qstats q;
		uint64_t ops, dos;
		uint16_t id;

		assert_int_equal(netdev_parse_qstats(m.b, m.len, &q), -EMSGSIZE);
		assert_int_equal(netdev_parse_queue(m.b, m.len, &qu), -EMSGSIZE);
		assert_int_equal(netdev_parse_family(m.b, m.len, &id, &ops, &dos), -EMSGSIZE);
	}
}

static void test_qstats(void **state)
{
	struct netdev_qstats q;
	struct msg m = { 0 };

	(void)state;
	/* a device's totals */
	put_genl(&m, FAMILY, OP_QSTATS_GET);
	put_u32(&m, QSTATS_IFINDEX, 4);
	put_u64(&m, QSTATS_RX_PACKETS, 5000000000ull);	/* past 32 bits: a u64 */
	put_u32(&m, QSTATS_RX_BYTES, 644094695);		/* a uint in 4 bytes */
	put_u32(&m, QSTATS_TX_PACKETS, 7);
	put_u32(&m, 77, 7);				/* a counter to come */
	end(&m);
	assert_int_equal(netdev_parse_qstats(m.b, m.len, &q), 1);
	assert_int_equal(q.ifindex, 4);
	assert_int_equal(q.queue_type, -1);
	assert_int_equal(q.queue_id, -1);
	assert_true(q.v[NETDEV_QSTAT_RX_PACKETS] == 5000000000ull);
	assert_int_equal(q.v[NETDEV_QSTAT_RX_BYTES], 644094695);
	assert_int_equal(q.v[NETDEV_QSTAT_TX_PACKETS], 7);
	assert_true(q.v[NETDEV_QSTAT_RX_HW_DROPS] == UINT64_MAX);	/* not kept */

	/* one queue's (scope queue, echoed), its first and last counters */
	memset(&m, 0, sizeof(m));
	put_genl(&m, FAMILY, OP_QSTATS_GET);
	put_u32(&m, QSTATS_IFINDEX, 4);
	put_u32(&m, QSTATS_QUEUE_TYPE, NETDEV_QUEUE_TX);
	put_u32(&m, QSTATS_QUEUE_ID, 3);
	put_u32(&m, QSTATS_SCOPE, 1);
	put_u32(&m, QSTATS_RX_HW_DROPS, 9);
	put_u32(&m, QSTATS_TX_WAKE, 11);
	end(&m);
	assert_int_equal(netdev_parse_qstats(m.b, m.len, &q), 1);
	assert_int_equal(q.queue_type, NETDEV_QUEUE_TX);
	assert_int_equal(q.queue_id, 3);
	assert_int_equal(q.v[NETDEV_QSTAT_RX_HW_DROPS], 9);
	assert_int_equal(q.v[NETDEV_QSTAT_NR - 1], 11);
	assert_string_equal(netdev_qstat_names[NETDEV_QSTAT_NR - 1], "tx-wake");
	assert_string_equal(netdev_qstat_names[NETDEV_QSTAT_RX_HW_DROPS], "rx-hw-drops");
	assert_true(q.v[NETDEV_QSTAT_RX_PACKETS] == UINT64_MAX);

	/* no device, a counter of 3 bytes, another op's reply */
	memset(&m, 0, sizeof(m));
	put_genl(&m, FAMILY, OP_QSTATS_GET);
	put_u32(&m, QSTATS_RX_PACKETS, 3);
	end(&m);
	assert_int_equal(netdev_parse_qstats(m.b, m.len, &q), -EBADMSG);
	memset(&m, 0, sizeof(m));
	put_genl(&m, FAMILY, OP_QSTATS_GET);
	put_u32(&m, QSTATS_IFINDEX, 4);
	put_attr(&m, QSTATS_RX_BYTES, "abc", 3);
	end(&m);
	assert_int_equal(netdev_parse_qstats(m.b, m.len, &q), -EBADMSG);
	memset(&m, 0, sizeof(m));
	napi_msg(&m, 4, 1);
	end(&m);
	assert_int_equal(netdev_parse_qstats(m.b, m.len, &q), -EBADMSG);
}

static void test_queue(void **state)
{
	struct netdev_queue q;
	struct msg m = { 0 };

	(void)state;
	/* what 6.18 sends for virtio-net's rx0, and a nest of a newer kind */
	put_genl(&m, FAMILY, OP_QUEUE_GET);
	put_u32(&m, QUEUE_ID, 0);
	put_u32(&m, QUEUE_IFINDEX, 4);
	put_u32(&m, QUEUE_TYPE, NETDEV_QUEUE_RX);
	put_u32(&m, QUEUE_NAPI_ID, 257);
	put_attr(&m, QUEUE_DMABUF, "\1\0\0\0", 4);
	put_attr(&m, 9 | NLA_F_NESTED, NULL, 0);
	end(&m);
	assert_int_equal(netdev_parse_queue(m.b, m.len, &q), 1);
	assert_int_equal(q.ifindex, 4);
	assert_int_equal(q.id, 0);
	assert_int_equal(q.type, NETDEV_QUEUE_RX);
	assert_int_equal(q.napi_id, 257);
	assert_true(q.stats[0] == UINT64_MAX && q.stats[NETDEV_QSTAT_NR - 1] == UINT64_MAX);

	/* a queue no NAPI serves (veth's): napi_id 0 */
	memset(&m, 0, sizeof(m));
	put_genl(&m, FAMILY, OP_QUEUE_GET);
	put_u32(&m, QUEUE_ID, 1);
	put_u32(&m, QUEUE_IFINDEX, 2);
	put_u32(&m, QUEUE_TYPE, NETDEV_QUEUE_TX);
	end(&m);
	assert_int_equal(netdev_parse_queue(m.b, m.len, &q), 1);
	assert_int_equal(q.napi_id, 0);
	assert_int_equal(q.type, NETDEV_QUEUE_TX);

	/* no type, a napi id of 3 bytes, another op's reply */
	memset(&m, 0, sizeof(m));
	put_genl(&m, FAMILY, OP_QUEUE_GET);
	put_u32(&m, QUEUE_ID, 1);
	put_u32(&m, QUEUE_IFINDEX, 2);
	end(&m);
	assert_int_equal(netdev_parse_queue(m.b, m.len, &q), -EBADMSG);
	memset(&m, 0, sizeof(m));
	put_genl(&m, FAMILY, OP_QUEUE_GET);
	put_u32(&m, QUEUE_ID, 1);
	put_u32(&m, QUEUE_IFINDEX, 2);
	put_u32(&m, QUEUE_TYPE, 0);
	put_attr(&m, QUEUE_NAPI_ID, "abc", 3);
	end(&m);
	assert_int_equal(netdev_parse_queue(m.b, m.len, &q), -EBADMSG);
	memset(&m, 0, sizeof(m));
	napi_msg(&m, 4, 1);
	end(&m);
	assert_int_equal(netdev_parse_queue(m.b, m.len, &q), -EBADMSG);
}

static void put_op(struct msg *m, uint16_t index, uint32_t id, uint32_t flags)
{
	size_t op = nest_start(m, index);

	put_u32(m, CTRL_ATTR_OP_ID, id);
	put_u32(m, CTRL_ATTR_OP_FLAGS, flags);
	nest_end(m, op);
}

static void test_family(void **state)
{
	struct msg m = { 0 };
	uint64_t ops = 0, dos = 0;
	uint16_t id = 0;
	size_t nest;

	(void)state;
	/* the controller's answer for "netdev" on 6.18, abridged */
	put_genl(&m, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
	put_attr(&m, CTRL_ATTR_FAMILY_NAME, "netdev", 7);
	put_u16(&m, CTRL_ATTR_FAMILY_ID, FAMILY);
	put_u32(&m, CTRL_ATTR_VERSION, 1);
	nest = nest_start(&m, CTRL_ATTR_OPS);
	put_op(&m, 1, OP_DEV_GET, GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP | GENL_CMD_CAP_HASPOL);
	put_op(&m, 2, OP_NAPI_GET, GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP | GENL_CMD_CAP_HASPOL);
	put_op(&m, 3, OP_QSTATS_GET, GENL_CMD_CAP_DUMP | GENL_CMD_CAP_HASPOL);
	put_op(&m, 4, OP_BIND_RX, GENL_CMD_CAP_DO | GENL_CMD_CAP_HASPOL);
	put_op(&m, 6, OP_NAPI_SET, GENL_CMD_CAP_DO | GENL_CMD_CAP_HASPOL);
	put_op(&m, 5, 70, GENL_CMD_CAP_DUMP);	/* past the mask: ignored */
	nest_end(&m, nest);
	nest = nest_start(&m, CTRL_ATTR_MCAST_GROUPS);
	nest_end(&m, nest);
	end(&m);
	assert_int_equal(netdev_parse_family(m.b, m.len, &id, &ops, &dos), 1);
	assert_int_equal(id, FAMILY);
	assert_true(ops == (1ull << OP_DEV_GET | 1ull << OP_NAPI_GET | 1ull << OP_QSTATS_GET));
	assert_true(dos == (1ull << OP_DEV_GET | 1ull << OP_NAPI_GET | 1ull << OP_BIND_RX |
			    1ull << OP_NAPI_SET));

	/* 6.3-6.7: the family without napi-get or qstats-get */
	memset(&m, 0, sizeof(m));
	put_genl(&m, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
	put_u16(&m, CTRL_ATTR_FAMILY_ID, FAMILY);
	nest = nest_start(&m, CTRL_ATTR_OPS);
	put_op(&m, 1, OP_DEV_GET, GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP);
	nest_end(&m, nest);
	end(&m);
	assert_int_equal(netdev_parse_family(m.b, m.len, &id, &ops, &dos), 1);
	assert_true(ops == 1ull << OP_DEV_GET);

	/* no such family */
	memset(&m, 0, sizeof(m));
	put_error(&m, -ENOENT);
	assert_int_equal(netdev_parse_family(m.b, m.len, &id, &ops, &dos), -ENOENT);

	/* an id that is not a u16; an op nest cut short; no id at all */
	memset(&m, 0, sizeof(m));
	put_genl(&m, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
	put_u32(&m, CTRL_ATTR_FAMILY_ID, FAMILY);
	end(&m);
	assert_int_equal(netdev_parse_family(m.b, m.len, &id, &ops, &dos), -EBADMSG);
	memset(&m, 0, sizeof(m));
	put_genl(&m, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
	put_u16(&m, CTRL_ATTR_FAMILY_ID, FAMILY);
	nest = nest_start(&m, CTRL_ATTR_OPS);
	put_op(&m, 1, OP_NAPI_GET, GENL_CMD_CAP_DUMP);
	nest_end(&m, nest);
	m.b[nest + NLA_HDRLEN] = 40;	/* the op claims more than the nest */
	end(&m);
	assert_int_equal(netdev_parse_family(m.b, m.len, &id, &ops, &dos), -EBADMSG);
	memset(&m, 0, sizeof(m));
	put_genl(&m, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
	put_attr(&m, CTRL_ATTR_FAMILY_NAME, "netdev", 7);
	end(&m);
	assert_int_equal(netdev_parse_family(m.b, m.len, &id, &ops, &dos), -EBADMSG);
	/* a reply of another command */
	memset(&m, 0, sizeof(m));
	put_genl(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	put_u16(&m, CTRL_ATTR_FAMILY_ID, FAMILY);
	end(&m);
	assert_int_equal(netdev_parse_family(m.b, m.len, &id, &ops, &dos), -EBADMSG);
}

/* An error with the kernel's extended ack, as 6.18 sends it for an
 * ifindex of 0 to qstats-get; @echo: the request's payload goes with it
 * (no NETLINK_CAP_ACK). */
static void extack_msg(struct msg *m, bool echo, const char *text, size_t textlen)
{
	struct nlmsgerr e = { .error = -ERANGE };

	memset(m, 0, sizeof(*m));
	e.msg.nlmsg_len = NLMSG_HDRLEN + (echo ? 8 : 0);
	put_hdr(m, NLMSG_ERROR, NLM_F_ACK_TLVS | (echo ? 0 : NLM_F_CAPPED));
	memcpy(m->b + m->len, &e, sizeof(e));
	m->len += sizeof(e);
	if (echo) {
		memcpy(m->b + m->len, "\1\0\0\0\4\0\1\0", 8);	/* genl hdr + empty attr */
		m->len += 8;
	}
	put_u32(m, NLMSGERR_ATTR_OFFS, 20);
	put_attr(m, NLMSGERR_ATTR_MSG, text, textlen);
	end(m);
}

static void test_extack(void **state)
{
	static const char why[] = "integer out of range";
	struct netdev_napi n;
	struct msg m;

	(void)state;
	extack_msg(&m, false, why, sizeof(why));
	assert_string_equal(netdev_parse_extack(m.b, m.len), why);
	assert_int_equal(netdev_parse_napi(m.b, m.len, &n), -ERANGE);
	extack_msg(&m, true, why, sizeof(why));
	assert_string_equal(netdev_parse_extack(m.b, m.len), why);

	/* a text without its NUL, a message cut short, no TLVs */
	extack_msg(&m, false, why, sizeof(why) - 1);
	assert_null(netdev_parse_extack(m.b, m.len));
	extack_msg(&m, false, why, sizeof(why));
	assert_null(netdev_parse_extack(m.b, m.len - 8));
	memset(&m, 0, sizeof(m));
	put_error(&m, -EINVAL);
	assert_null(netdev_parse_extack(m.b, m.len));
	memset(&m, 0, sizeof(m));
	napi_msg(&m, 1, 1);
	end(&m);
	assert_null(netdev_parse_extack(m.b, m.len));
	assert_null(netdev_parse_extack(m.b, 4));
}

/* ---- this kernel ------------------------------------------------------------ */

static char live_skip[160];

static void test_live(void **state)
{
	struct netdev_napi *v;
	char err[256], path[64], comm[32];
	size_t nr;
	FILE *f;

	(void)state;
	if (live_skip[0])
		return;		/* named a skip by main() */
	if (netdev_napi_list(&v, &nr, err, sizeof(err)))
		fail_msg("%s", err);
	print_message("# %zu NAPI instance(s) in this network namespace\n", nr);
	for (size_t i = 0; i < nr; i++) {
		print_message("# napi %u %s (ifindex %u) irq %d pid %d threaded %d\n",
			      v[i].napi_id, v[i].ifname, v[i].ifindex, v[i].irq, v[i].pid,
			      v[i].conf.threaded);
		assert_true(v[i].napi_id > 0);
		assert_true(v[i].conf.threaded >= -1 && v[i].conf.threaded <= 2);
		/* the name goes with the device */
		if (v[i].ifname[0])
			assert_int_equal(if_nametoindex(v[i].ifname), v[i].ifindex);
		/* a kthread given is the NAPI's own */
		if (v[i].pid > 0) {
			snprintf(path, sizeof(path), "/proc/%d/comm", v[i].pid);
			f = fopen(path, "r");
			if (f) {
				assert_non_null(fgets(comm, sizeof(comm), f));
				fclose(f);
				assert_memory_equal(comm, "napi/", 5);
			}
		}
	}
	free(v);

	/* lo keeps no queue stats on any kernel */
	assert_int_equal(netdev_qstats(if_nametoindex("lo"), &(uint64_t){ 0 },
				       &(uint64_t){ 0 }, err, sizeof(err)), -EOPNOTSUPP);
	assert_null(strchr(err, '\n'));
	assert_int_equal(netdev_qstats(0, &(uint64_t){ 0 }, &(uint64_t){ 0 }, err, sizeof(err)),
			 -ENODEV);
}

/* A new network namespace has no NAPI: the socket sees its own only. */
static void test_live_netns(void **state)
{
	struct netdev_napi *v;
	char err[256];
	int status;
	size_t nr;
	pid_t pid;

	(void)state;
	if (live_skip[0])
		return;
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		if (unshare(CLONE_NEWNET))
			_exit(77);	/* not root: nothing to check */
		if (netdev_napi_list(&v, &nr, err, sizeof(err)))
			_exit(1);
		_exit(nr == 0 ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		print_message("# no new network namespace without CAP_SYS_ADMIN: not checked\n");
	else
		assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	static char live_name[200] = "test_live", netns_name[200] = "test_live_netns";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_napi),
		cmocka_unit_test(test_napi_bad),
		cmocka_unit_test(test_end_and_errors),
		cmocka_unit_test(test_qstats),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_family),
		cmocka_unit_test(test_extack),
		{ .name = live_name, .test_func = test_live },
		{ .name = netns_name, .test_func = test_live_netns },
	};
	struct netdev_napi *v;
	size_t nr;

	/* a TAP skip with any cmocka (see test_damo_fixture.c): only where
	 * the kernel has no napi-get; any other failure fails test_live */
	if (netdev_napi_list(&v, &nr, live_skip, sizeof(live_skip)) == -EOPNOTSUPP) {
		snprintf(live_name, sizeof(live_name), "test_live # SKIP %s", live_skip);
		snprintf(netns_name, sizeof(netns_name), "test_live_netns # SKIP %s", live_skip);
	} else {
		live_skip[0] = '\0';
		free(v);
	}
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
