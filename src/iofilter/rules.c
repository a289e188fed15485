// SPDX-License-Identifier: GPL-2.0
/*
 * iofilter's rule parser.  A rule is space-separated key=value tokens; each
 * is checked as it comes, then the device is looked up in /sys/dev/block
 * and the sectors are checked against its size and moved to the disk (the
 * kernel side sees whole disks only).  Nothing is written to @out unless
 * the whole rule is good.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>

#include "errmsg.h"
#include "rules.h"

#define OPS_ALL		(IOF_OP_READ | IOF_OP_WRITE | IOF_OP_DISCARD | \
			 IOF_OP_ZEROOUT | IOF_OP_OTHER)
#define OPS_MODIFY	(OPS_ALL & ~IOF_OP_READ)
#define PID_MAX_LIMIT	4194304		/* the kernel's ceiling for pid_max */
#define GPT_ENTRIES_BYTES 16384		/* 128 entries of 128 bytes, the minimum */

static char sys_root[PATH_MAX];

/* A device as a rule names it, and the whole disk it lives on. */
struct dev_info {
	__u32 dev;			/* the disk, kernel dev_t */
	__u64 start, size;		/* the named device's extent on the disk */
	bool part;
	char dev_name[32], part_name[32];
	char disk_dir[PATH_MAX];	/* the disk's sysfs directory */
};

static const struct {
	const char *name;
	__u32 bit;
} op_names[] = {
	{ "read", IOF_OP_READ },
	{ "write", IOF_OP_WRITE },
	{ "discard", IOF_OP_DISCARD },
	{ "zeroout", IOF_OP_ZEROOUT },
	{ "other", IOF_OP_OTHER },
};

void rules_set_sys_root(const char *root)
{
	snprintf(sys_root, sizeof(sys_root), "%s", root ? root : "");
}

const char *rules_op_name(uint32_t op_bit)
{
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (op_names[i].bit == op_bit)
			return op_names[i].name;
	return "?";
}

const char *rules_ops_str(uint32_t ops, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return buf;
	buf[0] = 0;
	if ((ops & OPS_ALL) == OPS_ALL) {
		snprintf(buf, len, "all");
		return buf;
	}
	if (!(ops & OPS_ALL)) {
		snprintf(buf, len, "-");
		return buf;
	}
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++) {
		if (!(ops & op_names[i].bit))
			continue;
		n += snprintf(buf + n, len - n, "%s%s", n ? "," : "",
			      op_names[i].name);
		if (n >= len)
			break;
	}
	return buf;
}

/*
 * [s, end) as a number: decimal or 0x hex, digits only (no sign, no
 * blanks, no octal: "010" is ten, as people mean it).
 */
static int parse_num(const char *s, const char *end, __u64 *v)
{
	unsigned int base = 10;
	__u64 x = 0;

	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (s == end)
		return -EINVAL;
	for (; s < end; s++) {
		unsigned int d;

		if (isdigit((unsigned char)*s))
			d = *s - '0';
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = tolower((unsigned char)*s) - 'a' + 10;
		else
			return -EINVAL;
		if (x > (UINT64_MAX - d) / base)
			return -ERANGE;
		x = x * base + d;
	}
	*v = x;
	return 0;
}

/* "MAJ:MIN" within the kernel's 12:20 bits */
static int parse_majmin(const char *s, unsigned int *maj, unsigned int *min)
{
	const char *colon = strchr(s, ':');
	__u64 a, b;

	if (!colon || parse_num(s, colon, &a) ||
	    parse_num(colon + 1, colon + strlen(colon), &b))
		return -EINVAL;
	if (a > 0xfff || b > 0xfffff)
		return -ERANGE;
	*maj = a;
	*min = b;
	return 0;
}

/* One line of a sysfs file, without its newline. */
static int sys_read(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		rc = -errno;
	close(fd);
	if (rc)
		return rc;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int sys_read_u64(const char *dir, const char *name, __u64 *v)
{
	char buf[32];
	int rc = sys_read(dir, name, buf, sizeof(buf));

	return rc ? rc : parse_num(buf, buf + strlen(buf), v);
}

/* The last component of @path; a display name, so cut to fit. */
static void set_name(char *dst, size_t len, const char *path)
{
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	size_t n = strnlen(name, len - 1);

	memcpy(dst, name, n);
	dst[n] = 0;
}

/*
 * Find @arg (a path or MAJ:MIN) in /sys/dev/block and the disk it is on.
 * On error @why gets the reason, to follow the token in the message.
 */
static int dev_lookup(const char *arg, struct dev_info *di, char *why,
		      size_t whylen)
{
	char link[PATH_MAX], path[PATH_MAX], buf[32];
	unsigned int maj, min;
	struct stat st;
	char *slash;
	int rc;

	memset(di, 0, sizeof(*di));
	rc = parse_majmin(arg, &maj, &min);
	if (rc == -ERANGE) {
		errmsg(why, whylen, "not a device number");
		return rc;
	}
	if (rc) {
		if (stat(arg, &st)) {
			rc = -errno;
			errmsg(why, whylen, "%s", strerror(-rc));
			return rc;
		}
		if (!S_ISBLK(st.st_mode)) {
			errmsg(why, whylen, "not a block device");
			return -ENOTBLK;
		}
		maj = major(st.st_rdev);
		min = minor(st.st_rdev);
		if (maj > 0xfff || min > 0xfffff) {
			errmsg(why, whylen, "not a device number");
			return -ERANGE;
		}
	}
	if ((size_t)snprintf(link, sizeof(link), "%s/sys/dev/block/%u:%u",
			     sys_root, maj, min) >= sizeof(link)) {
		errmsg(why, whylen, "%s", strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	if (!realpath(link, path)) {
		rc = -errno;
		if (rc == -ENOENT) {
			errmsg(why, whylen, "no block device %u:%u", maj, min);
			return -ENODEV;
		}
		errmsg(why, whylen, "%s: %s", link, strerror(-rc));
		return rc;
	}
	rc = sys_read_u64(path, "size", &di->size);
	if (rc) {
		errmsg(why, whylen, "cannot read %s/size: %s", path,
		    rc == -EINVAL ? "not a number" : strerror(-rc));
		return rc;
	}
	if (!sys_read(path, "partition", buf, sizeof(buf))) {
		rc = sys_read_u64(path, "start", &di->start);
		if (rc || di->start > IOF_SECTOR_MAX - di->size) {
			errmsg(why, whylen, "cannot read %s/start: %s", path,
			    rc && rc != -EINVAL ? strerror(-rc) : "not a number");
			return rc ? rc : -EINVAL;
		}
		di->part = true;
		set_name(di->part_name, sizeof(di->part_name), path);
		/* the disk is the partition's parent directory */
		slash = strrchr(path, '/');
		*slash = 0;
		rc = sys_read(path, "dev", buf, sizeof(buf));
		if (!rc && parse_majmin(buf, &maj, &min))
			rc = -EINVAL;
		if (rc) {
			errmsg(why, whylen, "cannot read %s/dev: %s", path,
			    rc == -EINVAL ? "not MAJ:MIN" : strerror(-rc));
			return rc;
		}
	}
	set_name(di->dev_name, sizeof(di->dev_name), path);
	snprintf(di->disk_dir, sizeof(di->disk_dir), "%s", path);
	di->dev = maj << 20 | min;
	return 0;
}

/* The tokens of a rule, kept until the device is known. */
struct rule_draft {
	const char *dev_tok, *dev;
	const char *sectors_tok;
	__u64 first, last;
	unsigned int seen;		/* 1 << key index */
};

static int parse_sectors(const char *v, struct rule_draft *d, char *why,
			 size_t whylen)
{
	const char *dash = strchr(v, '-');
	const char *end = v + strlen(v);

	if (parse_num(v, dash ? dash : end, &d->first) ||
	    (dash && parse_num(dash + 1, end, &d->last))) {
		errmsg(why, whylen, "not a sector or a range A-B");
		return -EINVAL;
	}
	if (!dash)
		d->last = d->first;
	if (d->first > d->last) {
		errmsg(why, whylen, "start after end");
		return -EINVAL;
	}
	return 0;
}

static int parse_ops(const char *v, __u32 *ops, char *why, size_t whylen)
{
	const char *p = v;

	*ops = 0;
	for (;;) {
		size_t n = strcspn(p, ",");
		bool found = false;

		if (n == 3 && !strncmp(p, "all", 3)) {
			*ops |= OPS_ALL;
			found = true;
		}
		for (size_t i = 0; !found &&
		     i < sizeof(op_names) / sizeof(op_names[0]); i++) {
			if (strlen(op_names[i].name) == n &&
			    !strncmp(p, op_names[i].name, n)) {
				*ops |= op_names[i].bit;
				found = true;
			}
		}
		if (!found) {
			errmsg(why, whylen, "unknown op '%.*s' (read, write, discard, zeroout, other, all)",
			    (int)n, p);
			return -EINVAL;
		}
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static int parse_uid(const char *v, __u32 *uid, char *why, size_t whylen)
{
	struct passwd *pw;
	__u64 x;
	int rc;

	rc = parse_num(v, v + strlen(v), &x);
	if (!rc) {
		/* (uid_t)-1 is no one's: it is IOF_ANY_UID here */
		if (x >= IOF_ANY_UID) {
			errmsg(why, whylen, "not a uid");
			return -ERANGE;
		}
		*uid = x;
		return 0;
	}
	if (isdigit((unsigned char)*v)) {
		errmsg(why, whylen, "not a uid");
		return -EINVAL;
	}
	pw = getpwnam(v);
	if (!pw) {
		errmsg(why, whylen, "no such user");
		return -ENOENT;
	}
	*uid = pw->pw_uid;
	return 0;
}

/* bpf_get_current_cgroup_id() is the kernfs id, which is the inode number. */
static int parse_cgroup(const char *v, __u64 *id, char *why, size_t whylen)
{
	struct statfs sfs;
	struct stat st;
	int rc;

	if (stat(v, &st) || statfs(v, &sfs)) {
		rc = -errno;
		errmsg(why, whylen, "%s", strerror(-rc));
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		errmsg(why, whylen, "not a directory");
		return -ENOTDIR;
	}
	if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
		errmsg(why, whylen, "not a cgroup v2 directory");
		return -EINVAL;
	}
	*id = st.st_ino;
	return 0;
}

enum rule_key { K_DEV, K_SECTORS, K_OP, K_ACTION, K_COMM, K_PID, K_UID,
		K_CGROUP, NR_KEYS };

static const char *const key_names[NR_KEYS] = {
	"dev", "sectors", "op", "action", "comm", "pid", "uid", "cgroup",
};

/* One key=value token into @d and @r; @why gets the reason on error. */
static int parse_token(const char *tok, struct rule_draft *d,
		       struct iof_rule *r, char *why, size_t whylen)
{
	const char *eq = strchr(tok, '='), *v;
	__u64 x;
	int k;

	if (!eq) {
		errmsg(why, whylen, "not key=value");
		return -EINVAL;
	}
	for (k = 0; k < NR_KEYS; k++)
		if (strlen(key_names[k]) == (size_t)(eq - tok) &&
		    !strncmp(tok, key_names[k], eq - tok))
			break;
	if (k == NR_KEYS) {
		errmsg(why, whylen, "unknown key (dev, sectors, op, action, comm, pid, uid, cgroup)");
		return -EINVAL;
	}
	if (d->seen & 1u << k) {
		errmsg(why, whylen, "%s= given twice", key_names[k]);
		return -EINVAL;
	}
	d->seen |= 1u << k;
	v = eq + 1;
	if (!*v) {
		errmsg(why, whylen, "empty value");
		return -EINVAL;
	}

	switch (k) {
	case K_DEV:
		d->dev_tok = tok;
		d->dev = v;
		return 0;
	case K_SECTORS:
		d->sectors_tok = tok;
		return parse_sectors(v, d, why, whylen);
	case K_OP:
		return parse_ops(v, &r->ops, why, whylen);
	case K_ACTION:
		if (!strcmp(v, "deny"))
			r->action = IOF_DENY;
		else if (!strcmp(v, "audit"))
			r->action = IOF_AUDIT;
		else if (!strcmp(v, "allow"))
			r->action = IOF_ALLOW;
		else {
			errmsg(why, whylen, "not deny, audit or allow");
			return -EINVAL;
		}
		return 0;
	case K_COMM:
		if (strlen(v) >= sizeof(r->comm)) {
			errmsg(why, whylen, "longer than %zu characters",
			    sizeof(r->comm) - 1);
			return -EINVAL;
		}
		memcpy(r->comm, v, strlen(v) + 1);
		return 0;
	case K_PID:
		if (parse_num(v, v + strlen(v), &x) || !x || x > PID_MAX_LIMIT) {
			errmsg(why, whylen, "not a pid");
			return -EINVAL;
		}
		r->pid = x;
		return 0;
	case K_UID:
		return parse_uid(v, &r->uid, why, whylen);
	case K_CGROUP:
		return parse_cgroup(v, &r->cgroup, why, whylen);
	}
	return -EINVAL;
}

/*
 * Parse @line, named @where in messages.  The text is cut at a '#' that
 * starts a token, so a rule line may end with a comment; 1 for a line
 * with no rule on it.
 */
static int parse_rule(const char *where, const char *line,
		      struct iof_rule_spec *out, char *err, size_t errlen)
{
	static const char *const blanks = " \t\n\r\v\f";
	char buf[RULES_TEXT_MAX], why[PATH_MAX + 64];
	struct iof_rule_spec spec = {};
	struct iof_rule *r = &spec.r;
	struct rule_draft d = {};
	struct dev_info di;
	size_t n;
	char *p;
	int rc;

	line += strspn(line, blanks);
	for (n = 0; line[n]; n++)
		if (line[n] == '#' && (!n || strchr(blanks, line[n - 1])))
			break;
	while (n && strchr(blanks, line[n - 1]))
		n--;
	if (!n)
		return 1;
	if (n >= sizeof(buf)) {
		errmsg(err, errlen, "%s: longer than %zu characters", where,
		    sizeof(buf) - 1);
		return -EINVAL;
	}
	memcpy(spec.text, line, n);
	spec.text[n] = 0;
	memcpy(buf, spec.text, n + 1);

	r->ops = OPS_MODIFY;
	r->action = IOF_DENY;
	r->uid = IOF_ANY_UID;
	for (p = buf; *p; ) {
		char *tok = p;

		p += strcspn(p, blanks);
		if (*p)
			*p++ = 0;
		p += strspn(p, blanks);
		rc = parse_token(tok, &d, r, why, sizeof(why));
		if (rc) {
			errmsg(err, errlen, "%s: '%s': %s", where, tok, why);
			return rc;
		}
	}
	if (!d.dev) {
		errmsg(err, errlen, "%s: no dev=", where);
		return -EINVAL;
	}

	rc = dev_lookup(d.dev, &di, why, sizeof(why));
	if (rc) {
		errmsg(err, errlen, "%s: '%s': %s", where, d.dev_tok, why);
		return rc;
	}
	if (!d.sectors_tok) {
		if (di.part && !di.size) {
			errmsg(err, errlen, "%s: '%s': %s is empty", where,
			    d.dev_tok, di.part_name);
			return -ERANGE;
		}
		r->start = di.start;
		r->end = di.part ? di.start + di.size - 1 : IOF_SECTOR_MAX;
	} else {
		if (d.last >= di.size) {
			errmsg(err, errlen, "%s: '%s': past the end of %s (%llu sectors)",
			    where, d.sectors_tok,
			    di.part ? di.part_name : di.dev_name,
			    (unsigned long long)di.size);
			return -ERANGE;
		}
		r->start = di.start + d.first;
		r->end = di.start + d.last;
	}
	r->dev = di.dev;
	memcpy(spec.dev_name, di.dev_name, sizeof(spec.dev_name));
	memcpy(spec.part_name, di.part_name, sizeof(spec.part_name));
	*out = spec;
	return 0;
}

int rules_parse(const char *text, int number, struct iof_rule_spec *out,
		char *err, size_t errlen)
{
	char where[32];
	int rc;

	snprintf(where, sizeof(where), "rule %d", number);
	rc = parse_rule(where, text, out, err, errlen);
	if (rc == 1) {
		errmsg(err, errlen, "%s: empty rule", where);
		return -EINVAL;
	}
	return rc;
}

int rules_load_file(const char *path, struct iof_rule_spec **out, size_t *nr,
		    char *err, size_t errlen)
{
	char *line = NULL, where[PATH_MAX + 32];
	size_t cap = 0, added = 0;
	int lineno = 0, rc = 0;
	ssize_t len;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		errmsg(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct iof_rule_spec spec, *grown;

		lineno++;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (memchr(line, 0, len)) {
			errmsg(err, errlen, "%s: not text", where);
			rc = -EINVAL;
			goto cleanup;
		}
		rc = parse_rule(where, line, &spec, err, errlen);
		if (rc == 1) {
			rc = 0;
			continue;
		}
		if (rc)
			goto cleanup;
		if (*nr + added >= IOF_MAX_RULES) {
			errmsg(err, errlen, "%s: more than %d rules", where,
			    IOF_MAX_RULES);
			rc = -E2BIG;
			goto cleanup;
		}
		grown = realloc(*out, (*nr + added + 1) * sizeof(**out));
		if (!grown) {
			errmsg(err, errlen, "%s: %s", where, strerror(ENOMEM));
			rc = -ENOMEM;
			goto cleanup;
		}
		*out = grown;
		grown[*nr + added++] = spec;
	}
	if (ferror(f)) {
		rc = -EIO;
		errmsg(err, errlen, "%s: %s", path, strerror(EIO));
		goto cleanup;
	}
	*nr += added;
cleanup:
	free(line);
	fclose(f);
	return rc;
}

int rules_protect_gpt(const char *dev, struct iof_rule_spec out[2], char *err,
		      size_t errlen)
{
	struct iof_rule_spec spec[2] = {};
	char why[PATH_MAX + 64], ops[64];
	__u64 lbs, blk, entries, first, last;
	struct dev_info di;
	int rc;

	rc = dev_lookup(dev, &di, why, sizeof(why));
	if (rc) {
		errmsg(err, errlen, "--protect-gpt %s: %s", dev, why);
		return rc;
	}
	if (di.part) {
		errmsg(err, errlen, "--protect-gpt %s: %s is a partition; a GPT lives on the whole disk (%s)",
		    dev, di.part_name, di.dev_name);
		return -EINVAL;
	}
	rc = sys_read_u64(di.disk_dir, "queue/logical_block_size", &lbs);
	if (rc == -ENOENT) {
		lbs = 512;
	} else if (rc || lbs < 512 || lbs > 65536 || (lbs & (lbs - 1))) {
		errmsg(err, errlen, "--protect-gpt %s: cannot read %s/queue/logical_block_size: %s",
		    dev, di.disk_dir,
		    rc && rc != -EINVAL ? strerror(-rc) : "not a block size");
		return rc ? rc : -EINVAL;
	}
	/* a GPT counts in logical blocks: LBA 0 MBR, 1 header, then entries */
	blk = lbs / 512;
	entries = (GPT_ENTRIES_BYTES + lbs - 1) / lbs;
	first = (2 + entries) * blk;		/* sectors of the primary */
	last = (1 + entries) * blk;		/* sectors of the backup */
	if (di.size < first + last) {
		errmsg(err, errlen, "--protect-gpt %s: %s has %llu sectors, too small for a GPT",
		    dev, di.dev_name, (unsigned long long)di.size);
		return -ERANGE;
	}
	spec[0].r.start = 0;
	spec[0].r.end = first - 1;
	spec[1].r.start = di.size - last;
	spec[1].r.end = di.size - 1;
	rules_ops_str(OPS_MODIFY, ops, sizeof(ops));
	for (int i = 0; i < 2; i++) {
		struct iof_rule *r = &spec[i].r;

		r->dev = di.dev;
		r->ops = OPS_MODIFY;
		r->action = IOF_DENY;
		r->uid = IOF_ANY_UID;
		memcpy(spec[i].dev_name, di.dev_name, sizeof(spec[i].dev_name));
		/* the same rule as text, so views and rule files show it alike */
		if ((size_t)snprintf(spec[i].text, sizeof(spec[i].text),
				     "dev=%s sectors=%llu-%llu op=%s action=deny",
				     dev, (unsigned long long)r->start,
				     (unsigned long long)r->end, ops) >=
		    sizeof(spec[i].text)) {
			errmsg(err, errlen, "--protect-gpt %s: name too long", dev);
			return -ENAMETOOLONG;
		}
	}
	out[0] = spec[0];
	out[1] = spec[1];
	return 0;
}
