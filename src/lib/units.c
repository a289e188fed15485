// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

const char *units_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = bytes;
	int i = 0;

	/* decide on the rounded value: 1048575 B is "1.0 MiB" */
	while (v >= 1023.5 && i < 5) {
		v /= 1024;
		i++;
	}
	if (!i)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, v < 9.95 ? "%.1f %s" : "%.0f %s", v, unit[i]);
	return buf;
}

/* Three significant digits without exponents: 999.6 us is "1.00 ms". */
static const char *scaled(char *buf, size_t len, double v, const char *unit)
{
	snprintf(buf, len, v < 9.995 ? "%.2f %s" : v < 99.95 ? "%.1f %s" : "%.0f %s",
		 v, unit);
	return buf;
}

const char *units_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%llu ns", (unsigned long long)ns);
	else if (ns < 999500)
		scaled(buf, len, ns / 1e3, "us");
	else if (ns < 999500000)
		scaled(buf, len, ns / 1e6, "ms");
	else
		scaled(buf, len, ns / 1e9, "s");
	return buf;
}

/* Whether the decimal 0.DIGITS x 10^decpt reads back as @v. */
static bool units_reads_back(double v, const char *digits, int nd, int decpt)
{
	char s[UNITS_DIGITS_LEN + 16];

	snprintf(s, sizeof(s), "0.%.*se%d", nd, digits, decpt);
	return strtod(s, NULL) == v;
}

int units_shortest(double v, char digits[UNITS_DIGITS_LEN], int *decpt)
{
	char e[32];
	int prec, nd, i, m;

	/*
	 * Where k <= 15 digits read back as a normal double, the 15 digits
	 * nearest to it are those k and zeros: a decimal of 15 digits or
	 * fewer that reads back is within half an ulp (2^-53) of @v, and
	 * two of them are 10^-15 apart at least (DBL_DIG), so there is one.
	 * Trying 15 first finds all those at once, where counting up took
	 * up to 17 tries; failing it, 16 or 17 it is.  Subnormals have
	 * fewer bits, so wider intervals: they try every length.
	 */
	for (prec = v >= DBL_MIN ? DBL_DIG : 1; prec <= 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec - 1, v);
		for (i = 0, nd = 0; e[i] != 'e'; i++) {
			if (e[i] != '.')
				digits[nd++] = e[i];
		}
		*decpt = atoi(e + i + 1) + 1;
		if (strtod(e, NULL) == v)	/* the same decimal */
			break;
		/* Below a power of two the doubles are twice as dense, so
		 * the nearest decimal can miss there while the next one up
		 * still reads back; Python prints that one. */
		if (frexp(v, &m) != 0.5)
			continue;
		for (i = nd - 1; i >= 0 && digits[i] == '9'; i--)
			digits[i] = '0';
		if (i < 0) {
			digits[0] = '1';
			(*decpt)++;
		} else {
			digits[i]++;
		}
		if (units_reads_back(v, digits, nd, *decpt))
			break;
	}
	/* prec 17 always reads back */
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	return nd;
}

int units_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!s || !isdigit((unsigned char)*s))	/* no sign, no blanks */
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	if (x < min || x > max)
		return -ERANGE;
	*v = x;
	return 0;
}

/* Number with optional fraction followed by a unit from the table. */
static int parse_scaled(const char *s, const char *const *names,
			const double *scale, size_t n, double dflt, double *out)
{
	char *end;
	double x;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	x = strtod(s, &end);
	if (errno || end == s || !isfinite(x) || x < 0)
		return -EINVAL;
	if (!*end) {
		*out = x * dflt;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcasecmp(end, names[i])) {
			*out = x * scale[i];
			return 0;
		}
	}
	return -EINVAL;
}


int units_parse_ns(const char *s, uint64_t unit_ns, uint64_t *ns)
{
	static const char *const names[] = { "ns", "us", "ms", "s", "m", "min" };
	static const double scale[] = { 1, 1e3, 1e6, 1e9, 60e9, 60e9 };
	double v;
	int err = parse_scaled(s, names, scale, 6, unit_ns, &v);

	if (err)
		return err;
	if (v >= 0x1p63)
		return -ERANGE;
	*ns = llround(v);	/* 1.001ms is 1001000, not 1000999 */
	return 0;
}

int units_parse_bytes(const char *s, uint64_t *bytes)
{
	static const char *const names[] = { "B", "K", "KiB", "M", "MiB", "G", "GiB", "T", "TiB" };
	static const double scale[] = { 1, 0x1p10, 0x1p10, 0x1p20, 0x1p20, 0x1p30, 0x1p30,
					0x1p40, 0x1p40 };
	double v;
	int err = parse_scaled(s, names, scale, 9, 1, &v);

	if (err)
		return err;
	if (v >= 0x1p63)
		return -ERANGE;
	*bytes = llround(v);
	return 0;
}

int units_parse_seconds(const char *s, uint64_t *ns)
{
	return units_parse_ns(s, 1000000000ULL, ns) ?: (*ns ? 0 : -EINVAL);
}
