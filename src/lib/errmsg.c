// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"

void errmsg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int errmsg_first(int *ret, char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (*ret)
		return *ret;
	*ret = code;
	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

ssize_t bytesrc_read(struct bytesrc *src, void *p, size_t n)
{
	ssize_t k;

	if (src->head_pos < src->head_len) {
		k = src->head_len - src->head_pos;
		if ((size_t)k > n)
			k = n;
		memcpy(p, src->head + src->head_pos, k);
		src->head_pos += k;
		return k;
	}
	if (src->fd < 0)
		return 0;
	do
		k = read(src->fd, p, n);
	while (k < 0 && errno == EINTR);
	return k < 0 ? -errno : k;
}

int tool_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}
