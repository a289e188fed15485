/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One-line error messages for callers that pass a buffer (char *err,
 * size_t errlen), as every loader and driver in kscope does; the buffer
 * may be NULL when the caller does not want the text.
 */
#ifndef KSCOPE_ERRMSG_H
#define KSCOPE_ERRMSG_H

#include <stddef.h>

void errmsg(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
