// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's forced-idle accounting and its schedstats switch.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kstat.h"

int kstat_schedstats(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (!f)
		return -errno;
	if (fscanf(f, "%d", &v) != 1 || (v != 0 && v != 1))
		v = -EINVAL;
	fclose(f);
	return v;
}

int kstat_set_schedstats(const char *path, int on)
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f)
		return -errno;
	if (fprintf(f, "%d\n", !!on) < 0)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

/* The number after "@key" and blanks or a colon on a line of @path. */
static double field(const char *path, const char *key, double scale)
{
	size_t klen = strlen(key), cap = 0;
	double v = NAN;
	char *line = NULL;
	FILE *f = fopen(path, "r");

	if (!f)
		return NAN;
	while (isnan(v) && getline(&line, &cap, f) > 0) {
		char *p = line + klen, *end;
		double x;

		if (strncmp(line, key, klen) || (*p != ' ' && *p != ':' && *p != '\t'))
			continue;
		p += strspn(p, " \t:");
		x = strtod(p, &end);
		if (end != p)
			v = x * scale;
	}
	free(line);
	fclose(f);
	return v;
}

double kstat_task_forceidle(const char *proc_root, uint32_t pid)
{
	char path[128];

	/* printed in ms, like every time in /proc/PID/sched */
	snprintf(path, sizeof(path), "%s/%u/sched", proc_root, pid);
	return field(path, "core_forceidle_sum", 1e-3);
}

double kstat_cgroup_forceidle(const char *cgroup_dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/cpu.stat", cgroup_dir);
	return field(path, "core_sched.force_idle_usec", 1e-6);
}
