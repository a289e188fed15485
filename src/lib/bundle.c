// SPDX-License-Identifier: GPL-2.0
/*
 * A kscope record: tools' session files in one file (see bundle.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bundle.h"
#include "errmsg.h"

#define MAX_NAME	15	/* a tool's name, as a comm */

bool bundle_is(const char *path)
{
	char head[sizeof(BUNDLE_MAGIC) - 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool is;

	if (fd < 0)
		return false;
	is = read(fd, head, sizeof(head)) == (ssize_t)sizeof(head) &&
	     !memcmp(head, BUNDLE_MAGIC, sizeof(head));
	close(fd);
	return is;
}

int bundle_write(FILE *out, const char *const *names, FILE *const *parts, size_t nr,
		 char *err, size_t errlen)
{
	char buf[65536];

	fputs(BUNDLE_MAGIC, out);
	for (size_t i = 0; i < nr; i++) {
		uLong crc = crc32(0, NULL, 0);
		long len;
		size_t n;

		/* the length and CRC first: one pass to sum, one to copy */
		if (fflush(parts[i]) || fseek(parts[i], 0, SEEK_SET))
			goto failed;
		for (len = 0; (n = fread(buf, 1, sizeof(buf), parts[i])); len += n)
			crc = crc32(crc, (const Bytef *)buf, n);
		if (ferror(parts[i]) || fseek(parts[i], 0, SEEK_SET))
			goto failed;
		fprintf(out, "part %s %ld %08lx\n", names[i], len, (unsigned long)crc);
		while ((n = fread(buf, 1, sizeof(buf), parts[i])))
			fwrite(buf, 1, n, out);
		if (ferror(parts[i]))
			goto failed;
	}
	fprintf(out, "end %zu\n", nr);
	if (fflush(out) || ferror(out)) {
		errmsg(err, errlen, "%s", strerror(errno ?: EIO));
		return -(errno ?: EIO);
	}
	return 0;
failed:
	errmsg(err, errlen, "cannot read a part back: %s", strerror(errno ?: EIO));
	return -(errno ?: EIO);
}

/* The line at @p (up to @end) into @line; the length with its newline,
 * 0 where there is none within a header's length */
static size_t header_line(const char *p, const char *end, char *line, size_t size)
{
	const char *nl = memchr(p, '\n', end - p < (long)size ? end - p : (long)size - 1);

	if (!nl)
		return 0;
	memcpy(line, p, nl - p);
	line[nl - p] = '\0';
	return nl - p + 1;
}

/* Walks @map (@size bytes, the magic checked) checking each part into
 * *@parts: 0, or -EINVAL or -ENOMEM with @err. */
static int walk(const char *map, size_t size, struct bundle_part **parts, size_t *nr,
		char *err, size_t errlen)
{
	const char *p = map + strlen(BUNDLE_MAGIC), *end = map + size;
	char line[128];

	for (;;) {
		struct bundle_part *grown;
		char name[MAX_NAME + 1], extra;
		unsigned long long bytes, n;
		unsigned long crc;
		size_t k = header_line(p, end, line, sizeof(line));

		if (!k) {
			errmsg(err, errlen, "truncated or corrupt at byte %zu (no part header "
			       "or end line)", (size_t)(p - map));
			return -EINVAL;
		}
		if (sscanf(line, "end %llu%c", &n, &extra) == 1) {
			if (n != *nr || p + k != end) {
				errmsg(err, errlen, "corrupt: its end says %llu parts, it has %zu%s",
				       n, *nr, p + k != end ? " and more after" : "");
				return -EINVAL;
			}
			return 0;
		}
		if (sscanf(line, "part %15[a-z] %llu %8lx%c", name, &bytes, &crc, &extra) != 3) {
			errmsg(err, errlen, "corrupt at byte %zu", (size_t)(p - map));
			return -EINVAL;
		}
		p += k;
		if (bytes > (unsigned long long)(end - p)) {
			errmsg(err, errlen, "truncated: the %s part has %zu of its %llu bytes", name,
			       (size_t)(end - p), bytes);
			return -EINVAL;
		}
		if (crc32(0, (const Bytef *)p, bytes) != crc) {
			errmsg(err, errlen, "corrupt: the %s part fails its CRC", name);
			return -EINVAL;
		}
		grown = realloc(*parts, (*nr + 1) * sizeof(**parts));
		if (!grown) {
			errmsg(err, errlen, "out of memory");
			return -ENOMEM;
		}
		*parts = grown;
		snprintf(grown[*nr].tool, sizeof(grown[*nr].tool), "%s", name);
		grown[*nr].off = p - map;
		grown[(*nr)++].len = bytes;
		p += bytes;
	}
}

int bundle_index(const char *path, struct bundle_part **parts, size_t *nr, char *err,
		 size_t errlen)
{
	struct stat st;
	void *map;
	int fd, ret;

	*parts = NULL;
	*nr = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		errmsg(err, errlen, "%s", strerror(-ret));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	if ((size_t)st.st_size < strlen(BUNDLE_MAGIC)) {
		close(fd);
		errmsg(err, errlen, "not a kscope record");
		return -EINVAL;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		ret = -errno;
		errmsg(err, errlen, "cannot map it: %s", strerror(-ret));
		return ret;
	}
	if (memcmp(map, BUNDLE_MAGIC, strlen(BUNDLE_MAGIC))) {
		errmsg(err, errlen, "not a kscope record");
		ret = -EINVAL;
	} else {
		ret = walk(map, st.st_size, parts, nr, err, errlen);
	}
	munmap(map, st.st_size);
	if (ret) {
		free(*parts);
		*parts = NULL;
		*nr = 0;
	}
	return ret;
}

int bundle_open_part(const char *path, const char *tool, char *err, size_t errlen)
{
	struct bundle_part *parts;
	size_t nr, i, used = 0;
	char names[128] = "";
	int ret, fd = -1, out = -1;
	off_t off;

	ret = bundle_index(path, &parts, &nr, err, errlen);
	if (ret)
		return ret;
	for (i = 0; i < nr && strcmp(parts[i].tool, tool); i++)
		used += snprintf(names + used, used < sizeof(names) ? sizeof(names) - used : 0,
				 "%s%s", i ? ", " : "", parts[i].tool);
	if (i == nr) {
		errmsg(err, errlen, "no %s part: this session had %s", tool, nr ? names : "none");
		free(parts);
		return -ENOENT;
	}
	/* a file of its own, for the tool's loader */
	off = parts[i].off;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	out = memfd_create(tool, MFD_CLOEXEC);
	ret = fd < 0 || out < 0 ? -errno : 0;
	for (size_t left = parts[i].len; !ret && left; ) {
		ssize_t n = sendfile(out, fd, &off, left);

		if (n <= 0)
			ret = n ? -errno : -EIO;
		else
			left -= n;
	}
	if (!ret && lseek(out, 0, SEEK_SET))
		ret = -errno;
	if (fd >= 0)
		close(fd);
	free(parts);
	if (ret) {
		errmsg(err, errlen, "cannot copy its part out: %s", strerror(-ret));
		if (out >= 0)
			close(out);
		return ret;
	}
	return out;
}

const char *bundle_tool_file(const char *path, const char *tool, int *fd, char *buf,
			     size_t len, char *err, size_t errlen)
{
	*fd = -1;
	if (!bundle_is(path))
		return path;
	*fd = bundle_open_part(path, tool, err, errlen);
	if (*fd < 0)
		return NULL;
	snprintf(buf, len, "/proc/self/fd/%d", *fd);
	return buf;
}
