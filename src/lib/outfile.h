/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Safe creation of output files for a tool that runs as root: mode 0600,
 * never through a symlink, never over an existing file unless forced, and
 * even then only over a regular file with no other name (hard link).
 */
#ifndef KSCOPE_OUTFILE_H
#define KSCOPE_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Returns an fd open for writing, or -errno.  force: replace an existing
 * regular file (still never following a symlink). */
int outfile_open(const char *path, bool force);

/*
 * A file written whole, later: outfile_check() at the start says whether
 * @path may be written (outfile_open's rules: not over an existing file
 * unless forced, and then only a regular file with one name) and that its
 * directory takes files; outfile_commit() puts a finished temporary file
 * of that directory in its place: the first time (@first) never over a
 * file that appeared meanwhile unless forced, later over our own.  So a
 * reader sees a whole file or none, and a tool killed before its first
 * write leaves nothing.  0, or -errno.
 */
int outfile_check(const char *path, bool force);
int outfile_commit(const char *tmp, const char *path, bool first, bool force);

/* The same as a stdio stream; NULL with errno set on failure. */
FILE *outfile_fopen(const char *path, bool force);

/* All @n bytes of @p to @fd, through short writes and EINTR; 0 or -errno. */
int outfile_write_all(int fd, const void *p, size_t n);

#endif
