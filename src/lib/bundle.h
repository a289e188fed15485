/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A kscope record (kscope record -o FILE): the session files of the tools
 * that took part in one session, each as its tool writes it with -o, in
 * one file.  Text framing around them:
 *
 *   kscope-record 1
 *   part TOOL BYTES CRC32        a part's header, then its BYTES bytes
 *   ...
 *   end PARTS                    the number of parts, last
 *
 * Every header, length and CRC-32 (zlib's) is checked on read, and the
 * end line must be there: a truncated or corrupt file is refused whole.
 * A tool's --replay of such a file opens its own part (live.c).
 */
#ifndef KSCOPE_BUNDLE_H
#define KSCOPE_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define BUNDLE_MAGIC	"kscope-record 1\n"

/* @path begins as a kscope record (a bad one is still refused on open). */
bool bundle_is(const char *path);

/* The parts @names[i] (a tool's name), each the whole of the stream
 * @parts[i], after the header, to @out; 0, or -errno with @err. */
int bundle_write(FILE *out, const char *const *names, FILE *const *parts, size_t nr,
		 char *err, size_t errlen);

struct bundle_part {
	char tool[16];
	size_t off, len;		/* where in the file, its length */
};

/* The parts of the record @path, the whole file checked: *@parts
 * malloc'ed, *@nr of them; 0, or -errno with @err. */
int bundle_index(const char *path, struct bundle_part **parts, size_t *nr, char *err,
		 size_t errlen);

/* The part of @tool in the record @path, checked with the rest of the
 * file, as a file of its own: an fd at its start (close it), or -errno
 * with @err ("no napitop part: this session had coretop"). */
int bundle_open_part(const char *path, const char *tool, char *err, size_t errlen);

/* @path as @tool reads it: the file itself, or when it is a kscope record
 * @tool's part, a file of its own (*@fd, -1 for none: close it) named
 * /proc/self/fd/N in @buf; NULL with @err */
const char *bundle_tool_file(const char *path, const char *tool, int *fd, char *buf,
			     size_t len, char *err, size_t errlen);

#endif
