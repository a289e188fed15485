// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON sysfs driver: reads kdamonds/ and, for a kdamond of our own,
 * writes it in the order the kernel needs (counts first, because writing
 * a count creates the directories below it; state=on last, because the
 * kernel only reads the files then).  Every value is one write(2) of its
 * text (numbers in decimal) to a file that must exist: sysfs reports a
 * bad value as the error of that write, and we never create files.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "damon_sysfs.h"
#include "reaper.h"
#include "errmsg.h"

/* Longest text we read: a number, a state or avail_operations. */
#define DAMON_SYSFS_TEXT 256

/* @rel is the path below @root that messages show. */
static int damon_sysfs_vpath(char *path, size_t len, char *rel, size_t rellen,
			     const char *root, const char *fmt, va_list ap)
{
	int n = vsnprintf(rel, rellen, fmt, ap);

	if (n < 0 || (size_t)n >= rellen)
		return -ENAMETOOLONG;
	n = snprintf(path, len, "%s/%s", root, rel);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* The file's text without trailing newlines. */
static int damon_sysfs_vread(const char *root, char *buf, size_t len,
			     char *err, size_t errlen, const char *fmt,
			     va_list ap)
{
	char path[512], rel[256];
	size_t got = 0;
	ssize_t n;
	int fd, rc;

	rc = damon_sysfs_vpath(path, sizeof(path), rel, sizeof(rel), root,
			       fmt, ap);
	if (rc) {
		errmsg(err, errlen, "path too long under %s", root);
		return rc;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	/* sysfs answers in one read; plain files (tests) may take more */
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (!n)
			break;
		got += n;
	}
	close(fd);
out:
	if (rc) {
		errmsg(err, errlen, "cannot read %s: %s", rel,
				strerror(-rc));
		return rc;
	}
	while (got && buf[got - 1] == '\n')
		got--;
	buf[got] = '\0';
	return 0;
}

static int __attribute__((format(printf, 6, 7)))
damon_sysfs_read_text(const char *root, char *buf, size_t len, char *err,
		      size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = damon_sysfs_vread(root, buf, len, err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* A decimal number within [min, max], as the kernel prints them. */
static int __attribute__((format(printf, 7, 8)))
damon_sysfs_read_num(const char *root, int64_t min, uint64_t max,
		     uint64_t *v, char *err, size_t errlen,
		     const char *fmt, ...)
{
	char buf[DAMON_SYSFS_TEXT], rel[256], *end;
	const char *p;
	va_list ap;
	bool neg;
	int rc;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	rc = damon_sysfs_read_text(root, buf, sizeof(buf), err, errlen, "%s",
				   rel);
	if (rc)
		return rc;
	neg = buf[0] == '-';
	p = buf + neg;
	if (*p < '0' || *p > '9')
		goto bad;
	errno = 0;
	*v = strtoull(p, &end, 10);
	if (errno || *end || *v > (neg ? (uint64_t)-min : max))
		goto bad;
	if (neg)
		*v = -*v;
	return 0;
bad:
	errmsg(err, errlen, "unexpected content in %s: '%s'", rel, buf);
	return -EINVAL;
}

/* One write(2) of @val and a newline, as `echo val > file` does. */
static int __attribute__((format(printf, 5, 6)))
damon_sysfs_write(const char *root, const char *val, char *err,
		  size_t errlen, const char *fmt, ...)
{
	char path[512], rel[256], text[64];
	int fd, rc, len;
	va_list ap;
	ssize_t n;

	va_start(ap, fmt);
	rc = damon_sysfs_vpath(path, sizeof(path), rel, sizeof(rel), root,
			       fmt, ap);
	va_end(ap);
	len = snprintf(text, sizeof(text), "%s\n", val);
	if (rc || len >= (int)sizeof(text)) {
		errmsg(err, errlen, "path or value too long under %s",
				root);
		return -ENAMETOOLONG;
	}
	/* O_TRUNC: a no-op on sysfs, and what keeps a test's file exact */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	do
		n = write(fd, text, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		rc = -errno;
	else if (n != len)
		rc = -EIO;
	close(fd);
out:
	if (rc)
		errmsg(err, errlen, "cannot write %s: %s", rel,
				strerror(-rc));
	return rc;
}

static int __attribute__((format(printf, 5, 6)))
damon_sysfs_write_u64(const char *root, uint64_t v, char *err, size_t errlen,
		      const char *fmt, ...)
{
	char val[24], rel[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(val, sizeof(val), "%" PRIu64, v);
	return damon_sysfs_write(root, val, err, errlen, "%s", rel);
}

int damon_sysfs_count(const char *root, int *nr, char *err, size_t errlen)
{
	uint64_t v;
	int rc;

	*nr = 0;
	if (access(root, F_OK)) {
		if (errno == ENOENT) {
			errmsg(err, errlen,
					"the kernel has no DAMON sysfs interface");
			return -ENOENT;
		}
		rc = -errno;
		errmsg(err, errlen, "cannot access %s: %s", root,
				strerror(-rc));
		return rc;
	}
	rc = damon_sysfs_read_num(root, 0, INT32_MAX, &v, err, errlen,
				  "kdamonds/nr_kdamonds");
	if (rc)
		return rc;
	*nr = v;
	return 0;
}

static void damon_ctx_info_free(struct damon_ctx_info *c)
{
	size_t i;

	for (i = 0; i < c->nr_targets; i++)
		free(c->targets[i].regions);
	free(c->targets);
	c->targets = NULL;
	c->nr_targets = 0;
}

void kdamond_info_free(struct kdamond_info *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->nr_contexts; i++)
		damon_ctx_info_free(&k->contexts[i]);
	free(k->contexts);
	*k = (struct kdamond_info){ .index = -1, .pid = -1 };
}

static int damon_sysfs_read_target(const char *root, const char *dir,
				   struct damon_target_info *t,
				   char *err, size_t errlen)
{
	uint64_t v;
	size_t i;
	int rc;

	rc = damon_sysfs_read_num(root, INT32_MIN, INT32_MAX, &v, err, errlen,
				  "%s/pid_target", dir);
	if (rc)
		return rc;
	t->pid = (int)(int64_t)v;
	rc = damon_sysfs_read_num(root, 0, SIZE_MAX, &v, err, errlen,
				  "%s/regions/nr_regions", dir);
	if (rc)
		return rc;
	if (!v)
		return 0;
	t->regions = calloc(v, sizeof(*t->regions));
	if (!t->regions) {
		errmsg(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->nr_regions = v;
	for (i = 0; i < t->nr_regions; i++) {
		struct damon_range *r = &t->regions[i];

		rc = damon_sysfs_read_num(root, 0, UINT64_MAX, &r->start, err,
					  errlen, "%s/regions/%zu/start", dir, i);
		if (!rc)
			rc = damon_sysfs_read_num(root, 0, UINT64_MAX, &r->end,
						  err, errlen,
						  "%s/regions/%zu/end", dir, i);
		if (rc)
			return rc;
	}
	return 0;
}

static int damon_sysfs_read_ctx(const char *root, const char *dir,
				struct damon_ctx_info *c,
				char *err, size_t errlen)
{
	char buf[DAMON_SYSFS_TEXT], tdir[192];
	struct damon_attrs *a = &c->attrs;
	uint64_t v;
	size_t i;
	int rc;

	rc = damon_sysfs_read_text(root, buf, sizeof(buf), err, errlen,
				   "%s/operations", dir);
	if (rc)
		return rc;
	snprintf(c->ops, sizeof(c->ops), "%.15s", buf);

	/* newer kernels: addresses in addr_unit bytes; absent on 6.1 */
	c->addr_unit = 1;
	rc = damon_sysfs_read_num(root, 0, UINT64_MAX, &v, buf, sizeof(buf),
				  "%s/addr_unit", dir);
	if (!rc && v)
		c->addr_unit = v;
	if (rc && rc != -ENOENT) {
		errmsg(err, errlen, "%s", buf);
		return rc;
	}

	rc = damon_sysfs_read_num(root, 0, UINT64_MAX, &a->sample_us, err,
				  errlen, "%s/monitoring_attrs/intervals/sample_us",
				  dir);
	if (!rc)
		rc = damon_sysfs_read_num(root, 0, UINT64_MAX, &a->aggr_us, err,
					  errlen,
					  "%s/monitoring_attrs/intervals/aggr_us",
					  dir);
	if (!rc)
		rc = damon_sysfs_read_num(root, 0, UINT64_MAX, &a->update_us,
					  err, errlen,
					  "%s/monitoring_attrs/intervals/update_us",
					  dir);
	if (rc)
		return rc;
	rc = damon_sysfs_read_num(root, 0, UINT32_MAX, &v, err, errlen,
				  "%s/monitoring_attrs/nr_regions/min", dir);
	if (rc)
		return rc;
	a->min_nr_regions = v;
	rc = damon_sysfs_read_num(root, 0, UINT32_MAX, &v, err, errlen,
				  "%s/monitoring_attrs/nr_regions/max", dir);
	if (rc)
		return rc;
	a->max_nr_regions = v;

	rc = damon_sysfs_read_num(root, 0, SIZE_MAX, &v, err, errlen,
				  "%s/targets/nr_targets", dir);
	if (rc || !v)
		return rc;
	c->targets = calloc(v, sizeof(*c->targets));
	if (!c->targets) {
		errmsg(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->nr_targets = v;
	for (i = 0; i < c->nr_targets; i++) {
		snprintf(tdir, sizeof(tdir), "%s/targets/%zu", dir, i);
		rc = damon_sysfs_read_target(root, tdir, &c->targets[i], err,
					     errlen);
		if (rc)
			return rc;
	}
	return 0;
}

int damon_sysfs_read(const char *root, int index, struct kdamond_info *out,
		     char *err, size_t errlen)
{
	char buf[DAMON_SYSFS_TEXT], dir[128];
	uint64_t v;
	size_t i;
	int nr, rc;

	*out = (struct kdamond_info){ .index = -1, .pid = -1 };
	rc = damon_sysfs_count(root, &nr, err, errlen);
	if (rc)
		return rc;
	if (index < 0 || index >= nr) {
		errmsg(err, errlen, "no kdamond %d: the kernel has %d",
				index, nr);
		return -ENOENT;
	}
	out->index = index;

	rc = damon_sysfs_read_text(root, buf, sizeof(buf), err, errlen,
				   "kdamonds/%d/state", index);
	if (rc)
		goto fail;
	out->running = !strcmp(buf, "on");
	rc = damon_sysfs_read_num(root, -1, INT32_MAX, &v, err, errlen,
				  "kdamonds/%d/pid", index);
	if (rc)
		goto fail;
	out->pid = out->running ? (pid_t)(int64_t)v : -1;

	rc = damon_sysfs_read_num(root, 0, SIZE_MAX, &v, err, errlen,
				  "kdamonds/%d/contexts/nr_contexts", index);
	if (rc)
		goto fail;
	if (!v)
		return 0;
	out->contexts = calloc(v, sizeof(*out->contexts));
	if (!out->contexts) {
		errmsg(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	out->nr_contexts = v;
	for (i = 0; i < out->nr_contexts; i++) {
		snprintf(dir, sizeof(dir), "kdamonds/%d/contexts/%zu", index, i);
		rc = damon_sysfs_read_ctx(root, dir, &out->contexts[i], err,
					  errlen);
		if (rc)
			goto fail;
	}
	return 0;
fail:
	kdamond_info_free(out);
	return rc;
}

int damon_sysfs_has_ops(const char *root, int index, const char *ops,
			char *avail, size_t availlen)
{
	char buf[DAMON_SYSFS_TEXT], *line, *save;
	int found = 0, rc;
	size_t used = 0;

	if (avail && availlen)
		avail[0] = '\0';
	rc = damon_sysfs_read_text(root, buf, sizeof(buf), NULL, 0,
				   "kdamonds/%d/contexts/0/avail_operations",
				   index);
	if (rc)
		return rc;
	/* one name a line */
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(line, ops))
			found = 1;
		if (avail && used < availlen) {
			int n = snprintf(avail + used, availlen - used, "%s%s",
					 used ? ", " : "", line);

			used += n > 0 ? (size_t)n : 0;
		}
	}
	return found;
}

static bool damon_sysfs_ops_virtual(const char *ops)
{
	return !strcmp(ops, "vaddr") || !strcmp(ops, "fvaddr");
}

/* Refuse what the kernel would refuse at state=on, with a clearer line. */
static int damon_sysfs_check(const struct damon_request *req,
			     char *err, size_t errlen)
{
	const struct damon_attrs *a = &req->attrs;
	size_t i;

	if (!req->ops || !req->ops[0] || strlen(req->ops) >= 16 ||
	    strpbrk(req->ops, "\n/")) {
		errmsg(err, errlen, "invalid DAMON operations name");
		return -EINVAL;
	}
	if (damon_sysfs_ops_virtual(req->ops) && req->pid <= 0) {
		errmsg(err, errlen, "DAMON %s needs a pid", req->ops);
		return -EINVAL;
	}
	if (!strcmp(req->ops, "paddr") && !req->nr_regions) {
		errmsg(err, errlen,
				"DAMON paddr needs at least one address range");
		return -EINVAL;
	}
	if (req->nr_regions && !req->regions) {
		errmsg(err, errlen, "no address ranges given");
		return -EINVAL;
	}
	for (i = 0; i < req->nr_regions; i++) {
		const struct damon_range *r = &req->regions[i];

		if (r->start >= r->end) {
			errmsg(err, errlen,
					"empty address range %#" PRIx64 "-%#" PRIx64,
					r->start, r->end);
			return -EINVAL;
		}
		if (i && r->start < req->regions[i - 1].end) {
			errmsg(err, errlen,
					"address range %#" PRIx64 "-%#" PRIx64
					" is not after %#" PRIx64 "-%#" PRIx64,
					r->start, r->end,
					req->regions[i - 1].start,
					req->regions[i - 1].end);
			return -EINVAL;
		}
	}
	if (a->sample_us && a->aggr_us && a->sample_us > a->aggr_us) {
		errmsg(err, errlen,
				"sampling interval %" PRIu64 " us is longer than "
				"the aggregation interval %" PRIu64 " us",
				a->sample_us, a->aggr_us);
		return -EINVAL;
	}
	if (a->min_nr_regions && a->min_nr_regions < 3) {
		errmsg(err, errlen, "DAMON needs at least 3 regions");
		return -EINVAL;
	}
	if (a->min_nr_regions && a->max_nr_regions &&
	    a->min_nr_regions > a->max_nr_regions) {
		errmsg(err, errlen,
				"minimum of %u regions is above the maximum of %u",
				a->min_nr_regions, a->max_nr_regions);
		return -EINVAL;
	}
	return 0;
}

/* The one line that says whose kdamond runs. */
static void damon_sysfs_busy_msg(const char *root, int index,
				 char *err, size_t errlen)
{
	char ops[DAMON_SYSFS_TEXT] = "", who[DAMON_SYSFS_TEXT];
	uint64_t pid, nr;

	if (damon_sysfs_read_num(root, -1, INT32_MAX, &pid, NULL, 0,
				 "kdamonds/%d/pid", index))
		pid = (uint64_t)-1;
	if (damon_sysfs_read_num(root, 0, SIZE_MAX, &nr, NULL, 0,
				 "kdamonds/%d/contexts/nr_contexts", index) ||
	    !nr || damon_sysfs_read_text(root, ops, sizeof(ops), NULL, 0,
					 "kdamonds/%d/contexts/0/operations",
					 index))
		ops[0] = '\0';
	if ((int64_t)pid > 0 && ops[0])
		snprintf(who, sizeof(who), " (pid %d, %.16s)", (int)pid, ops);
	else if ((int64_t)pid > 0)
		snprintf(who, sizeof(who), " (pid %d)", (int)pid);
	else
		who[0] = '\0';
	errmsg(err, errlen,
			"kdamond %d%s is running: the kernel starts no other "
			"kdamond while one runs", index, who);
}

/* The steps after nr_kdamonds; the caller undoes them on error. */
static int damon_sysfs_setup(const char *root, const struct damon_request *req,
			     char *err, size_t errlen)
{
	static const char ctx[] = "kdamonds/0/contexts/0";
	static const char tgt[] = "kdamonds/0/contexts/0/targets/0";
	const struct damon_attrs *a = &req->attrs;
	char avail[DAMON_SYSFS_TEXT];
	size_t i;
	int rc;

	rc = damon_sysfs_write(root, "1", err, errlen,
			       "kdamonds/0/contexts/nr_contexts");
	if (rc)
		return rc;
	rc = damon_sysfs_has_ops(root, 0, req->ops, avail, sizeof(avail));
	if (!rc) {
		errmsg(err, errlen,
				"the kernel's DAMON has no %s operations "
				"(avail: %s)", req->ops, avail[0] ? avail : "none");
		return -EOPNOTSUPP;
	}
	/* a kernel without avail_operations: state=on will tell */
	if (rc < 0 && rc != -ENOENT) {
		errmsg(err, errlen, "cannot read %s/avail_operations: %s",
				ctx, strerror(-rc));
		return rc;
	}
	rc = damon_sysfs_write(root, req->ops, err, errlen, "%s/operations",
			       ctx);
	if (!rc && a->sample_us)
		rc = damon_sysfs_write_u64(root, a->sample_us, err, errlen,
					   "%s/monitoring_attrs/intervals/sample_us",
					   ctx);
	if (!rc && a->aggr_us)
		rc = damon_sysfs_write_u64(root, a->aggr_us, err, errlen,
					   "%s/monitoring_attrs/intervals/aggr_us",
					   ctx);
	if (!rc && a->update_us)
		rc = damon_sysfs_write_u64(root, a->update_us, err, errlen,
					   "%s/monitoring_attrs/intervals/update_us",
					   ctx);
	if (!rc && a->min_nr_regions)
		rc = damon_sysfs_write_u64(root, a->min_nr_regions, err, errlen,
					   "%s/monitoring_attrs/nr_regions/min",
					   ctx);
	if (!rc && a->max_nr_regions)
		rc = damon_sysfs_write_u64(root, a->max_nr_regions, err, errlen,
					   "%s/monitoring_attrs/nr_regions/max",
					   ctx);
	if (!rc)
		rc = damon_sysfs_write(root, "1", err, errlen,
				       "%s/targets/nr_targets", ctx);
	if (!rc && req->pid > 0)
		rc = damon_sysfs_write_u64(root, req->pid, err, errlen,
					   "%s/pid_target", tgt);
	if (!rc && req->nr_regions)
		rc = damon_sysfs_write_u64(root, req->nr_regions, err, errlen,
					   "%s/regions/nr_regions", tgt);
	for (i = 0; !rc && i < req->nr_regions; i++) {
		rc = damon_sysfs_write_u64(root, req->regions[i].start, err,
					   errlen, "%s/regions/%zu/start", tgt, i);
		if (!rc)
			rc = damon_sysfs_write_u64(root, req->regions[i].end,
						   err, errlen,
						   "%s/regions/%zu/end", tgt, i);
	}
	return rc;
}

/* In the reaper (reaper.h): damontop died with its kdamond set up. */
static void damon_sysfs_reap(const void *data, size_t len)
{
	struct damon_own own;
	char err[DAMON_SYSFS_TEXT];
	int rc;

	if (len != sizeof(own))
		return;
	memcpy(&own, data, sizeof(own));
	own.reaper = 0;
	own.running = true;	/* it may have been turned on since the arm */
	rc = damon_sysfs_stop_err(&own, err, sizeof(err));
	if (rc == -ENOENT)	/* nothing left to remove */
		return;
	if (rc)
		fprintf(stderr, "damontop: cannot remove kdamond %d after damontop "
			"ended: %s\n", own.index, err);
	else
		fprintf(stderr, "damontop: kdamond %d removed (damontop ended "
			"without removing it)\n", own.index);
}

int damon_sysfs_start(const char *root, const struct damon_request *req,
		      struct damon_own *own, char *err, size_t errlen)
{
	char state[DAMON_SYSFS_TEXT];
	uint64_t pid;
	int nr, i, rc;

	*own = (struct damon_own){ .index = -1, .pid = -1 };
	rc = damon_sysfs_check(req, err, errlen);
	if (rc)
		return rc;
	if (strlen(root) >= sizeof(own->root)) {
		errmsg(err, errlen, "path too long: %s", root);
		return -ENAMETOOLONG;
	}
	rc = damon_sysfs_count(root, &nr, err, errlen);
	if (rc)
		return rc;
	for (i = 0; i < nr; i++) {
		rc = damon_sysfs_read_text(root, state, sizeof(state), err,
					   errlen, "kdamonds/%d/state", i);
		if (rc)
			return rc;
		if (!strcmp(state, "on")) {
			damon_sysfs_busy_msg(root, i, err, errlen);
			return -EBUSY;
		}
	}
	if (nr) {
		errmsg(err, errlen,
				"kdamonds/ holds %d kdamond%s configured by "
				"someone else: changing nr_kdamonds would "
				"erase %s", nr, nr == 1 ? "" : "s",
				nr == 1 ? "it" : "them");
		return -EEXIST;
	}

	/* the reaper first: it undoes our kdamond even if we are killed */
	rc = reaper_start();
	if (rc) {
		errmsg(err, errlen, "cannot start the process that removes our "
		       "kdamond if damontop is killed: %s", strerror(-rc));
		return rc;
	}
	/* from here on, whatever fails is undone by damon_sysfs_stop() */
	rc = damon_sysfs_write(root, "1", err, errlen, "kdamonds/nr_kdamonds");
	if (rc)
		return rc;
	snprintf(own->root, sizeof(own->root), "%s", root);
	own->index = 0;
	own->created = true;
	own->reaper = reaper_arm(damon_sysfs_reap, own, sizeof(*own));
	if (own->reaper < 0) {
		errmsg(err, errlen, "cannot arm the removal of our kdamond if "
		       "damontop is killed: %s", strerror(-own->reaper));
		rc = own->reaper;
		goto undo;
	}

	rc = damon_sysfs_setup(root, req, err, errlen);
	if (rc)
		goto undo;
	rc = damon_sysfs_write(root, "on", err, errlen, "kdamonds/0/state");
	if (rc)
		goto undo;
	own->running = true;
	rc = damon_sysfs_read_num(root, -1, INT32_MAX, &pid, err, errlen,
				  "kdamonds/0/pid");
	if (rc)
		goto undo;
	own->pid = (pid_t)(int64_t)pid;
	return 0;
undo:
	/* keeps the first error's message */
	damon_sysfs_stop(own);
	return rc;
}

pid_t damon_sysfs_kdamond_pid(const char *root, int index)
{
	char state[DAMON_SYSFS_TEXT];
	uint64_t pid;

	if (damon_sysfs_read_text(root, state, sizeof(state), NULL, 0,
				  "kdamonds/%d/state", index) || strcmp(state, "on") ||
	    damon_sysfs_read_num(root, 1, INT32_MAX, &pid, NULL, 0,
				 "kdamonds/%d/pid", index))
		return -1;
	return pid;
}

bool damon_sysfs_running(const struct damon_own *own)
{
	char state[DAMON_SYSFS_TEXT];

	if (!own->running || own->index < 0)
		return false;
	if (damon_sysfs_read_text(own->root, state, sizeof(state), NULL, 0,
				  "kdamonds/%d/state", own->index))
		return false;
	return !strcmp(state, "on");
}

int damon_sysfs_stop_err(struct damon_own *own, char *err, size_t errlen)
{
	char msg[DAMON_SYSFS_TEXT];
	int rc = 0, r;

	if (own->running) {
		r = damon_sysfs_write(own->root, "off", msg, sizeof(msg),
				      "kdamonds/%d/state", own->index);
		/*
		 * A kdamond that stopped by itself (its vaddr target exited)
		 * refuses "off": EPERM from damon_stop(), EINVAL when it has
		 * no context left.
		 */
		if (!r || r == -EPERM || r == -EINVAL || r == -ESRCH) {
			own->running = false;
		} else {
			errmsg(err, errlen, "%s", msg);
			rc = r;
		}
	}
	/* the kernel refuses nr_kdamonds while ours runs */
	if (own->created && !own->running) {
		rc = damon_sysfs_write(own->root, "0", err, errlen,
				       "kdamonds/nr_kdamonds");
		if (!rc)
			own->created = false;
	}
	if (!own->created && !own->running) {
		own->index = -1;
		own->pid = -1;
		reaper_disarm(own->reaper);
		own->reaper = 0;
	}
	return rc;
}

void damon_sysfs_stop(struct damon_own *own)
{
	damon_sysfs_stop_err(own, NULL, 0);
}
