/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One-line error messages for callers that pass a buffer (char *err,
 * size_t errlen), as every loader and driver in kscope does; the buffer
 * may be NULL when the caller does not want the text.  And the input of
 * the file loaders: the bytes already read to sniff a file's format, then
 * the rest of the file.
 */
#ifndef KSCOPE_ERRMSG_H
#define KSCOPE_ERRMSG_H

#include <stddef.h>
#include <sys/types.h>

void errmsg(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The first error of a multi-step job wins: when *@ret is already set it
 * is returned and @err kept; otherwise *@ret = @code and @err says why.
 * Returns *@ret. */
int errmsg_first(int *ret, char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* "PROGRAM: MESSAGE" on stderr, one line, for a tool's user; returns 1,
 * the exit code of a run that ends on it. */
int tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct bytesrc {
	const unsigned char *head;	/* read first (a buffer, or a file's start) */
	size_t head_len, head_pos;
	int fd;				/* then this, unless -1 */
};

/* Up to @n bytes into @p: 0 at the end, -errno on a read error. */
ssize_t bytesrc_read(struct bytesrc *src, void *p, size_t n);

#endif
