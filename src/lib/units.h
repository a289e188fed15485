/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Numbers for people: sizes in binary units and durations, and parsing of
 * durations and integers on the command line; and for machines, the
 * fewest digits of a double that read back as it.
 */
#ifndef KSCOPE_UNITS_H
#define KSCOPE_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* "9.5 MiB", "512 B"; returns buf. */
const char *units_bytes(char *buf, size_t len, uint64_t bytes);
/* "12.3 ms", "850 us", "2.00 s"; returns buf. */
const char *units_ns(char *buf, size_t len, uint64_t ns);

/* "5ms", "100us", "2s", "1.5s", plain number = unit_ns -> ns, rounded;
 * -EINVAL for junk, -ERANGE past 2^63. */
int units_parse_ns(const char *s, uint64_t unit_ns, uint64_t *ns);
/* A positive duration where a bare number is seconds ("0.5", "2s", "500ms"). */
int units_parse_seconds(const char *s, uint64_t *ns);
/* "10M", "1.5G", "4096" (bytes): binary units, K/KiB to T/TiB -> bytes. */
int units_parse_bytes(const char *s, uint64_t *bytes);
/* Unsigned integer with range check; -EINVAL / -ERANGE. */
int units_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v);

#define UNITS_DIGITS_LEN 18	/* 17 digits always read back, and a NUL */
/*
 * The fewest significant digits of @v (finite, > 0) that read back as @v:
 * @v is 0.DIGITS x 10^*decpt.  Writes them NUL-terminated without trailing
 * zeros, returns their number.  Machine text (export's Python floats,
 * metrics' values) places them; strtod() of the text gives @v again.
 */
int units_shortest(double v, char digits[UNITS_DIGITS_LEN], int *decpt);

#endif
