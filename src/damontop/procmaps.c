// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/PID/maps reader.  A line is
 *
 *	start-end perms offset major:minor inode [padding pathname]
 *
 * where the pathname runs to the end of the line and may hold spaces
 * (the kernel escapes only newlines), so it is taken whole rather than
 * split on blanks.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "procmaps.h"

/* Addresses with the top bit set belong to the kernel ([vsyscall]). */
#define KERNEL_HALF	(1ULL << 63)

/* Hex or decimal number, then one mandatory separator character. */
static bool procmaps_num(const char **p, int base, char sep, uint64_t *v)
{
	char *end;

	if (!isxdigit((unsigned char)**p))
		return false;
	errno = 0;
	*v = strtoull(*p, &end, base);
	if (errno || *end != sep)
		return false;
	*p = end + 1;
	return true;
}

/* Copy @s to @name, cut at a UTF-8 character boundary if too long. */
static void procmaps_set_name(char name[64], const char *s, size_t len)
{
	const size_t max = 63;

	if (len > max) {
		len = max;
		while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	/* zero-filled, so that mapping sets compare with memcmp */
	memset(name, 0, 64);
	memcpy(name, s, len);
}

/* Parse one line (without its newline) into @m. */
static int procmaps_line(const char *p, struct mapping *m)
{
	uint64_t start, end, v;
	const char *path, *base;
	int i;

	if (!procmaps_num(&p, 16, '-', &start) ||
	    !procmaps_num(&p, 16, ' ', &end) || start >= end)
		return -EINVAL;
	for (i = 0; i < 4; i++)		/* rwxp */
		if (!*p || *p++ == ' ')
			return -EINVAL;
	if (*p++ != ' ' || !procmaps_num(&p, 16, ' ', &v) ||
	    !procmaps_num(&p, 16, ':', &v) || !procmaps_num(&p, 16, ' ', &v))
		return -EINVAL;
	/* the inode is the last field when there is no name: no separator */
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p && *p != ' ')
		return -EINVAL;
	path = p;
	while (*path == ' ')
		path++;

	m->start = start;
	m->end = end;
	if (!*path) {
		procmaps_set_name(m->name, "anon", 4);
	} else if (*path == '/') {
		/* basename; " (deleted)" stays, the directories do not */
		base = strrchr(path, '/') + 1;
		if (!*base)
			base = path;
		procmaps_set_name(m->name, base, strlen(base));
	} else {
		procmaps_set_name(m->name, path, strlen(path));
	}
	return 0;
}

int procmaps_parse(FILE *f, struct mapping **maps, size_t *nr)
{
	struct mapping *m = NULL, *tmp;
	size_t n = 0, cap = 0, linecap = 0;
	char *line = NULL;
	ssize_t len;
	int err = 0;

	*maps = NULL;
	*nr = 0;
	errno = 0;
	while ((len = getline(&line, &linecap, f)) >= 0) {
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!len)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			tmp = realloc(m, cap * sizeof(*m));
			if (!tmp) {
				err = -ENOMEM;
				goto cleanup;
			}
			m = tmp;
		}
		err = procmaps_line(line, &m[n]);
		if (err)
			goto cleanup;
		/* not a VMA of the process: DAMON's VMA walk never sees it */
		if (m[n].start >= KERNEL_HALF)
			continue;
		n++;
	}
	if (ferror(f)) {
		err = errno ? -errno : -EIO;
		goto cleanup;
	}
	*maps = m;
	*nr = n;
	m = NULL;
cleanup:
	free(line);
	free(m);
	return err;
}

int procmaps_parse_text(const char *text, struct mapping **maps, size_t *nr)
{
	FILE *f;
	int err;

	*maps = NULL;
	*nr = 0;
	if (!*text)
		return 0;
	f = fmemopen((void *)text, strlen(text), "r");
	if (!f)
		return -errno;
	err = procmaps_parse(f, maps, nr);
	fclose(f);
	return err;
}

int procmaps_read(pid_t pid, struct mapping **maps, size_t *nr)
{
	char path[32];
	FILE *f;
	int err;

	*maps = NULL;
	*nr = 0;
	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	err = procmaps_parse(f, maps, nr);
	fclose(f);
	return err;
}

const struct mapping *procmaps_find(const struct mapping *maps, size_t nr,
				    uint64_t addr)
{
	size_t lo = 0, hi = nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (addr < maps[mid].start)
			hi = mid;
		else if (addr >= maps[mid].end)
			lo = mid + 1;
		else
			return &maps[mid];
	}
	return NULL;
}

bool procmaps_equal(const struct mapping *a, size_t na,
		    const struct mapping *b, size_t nb)
{
	return na == nb && !memcmp(a, b, na * sizeof(*a));
}
