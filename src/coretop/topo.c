// SPDX-License-Identifier: GPL-2.0
/*
 * SMT topology from sysfs or from --smt-pairs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "topo.h"

/* errmsg, then the error code: "return fail(...)" */
#define fail(err, errlen, code, ...) (errmsg(err, errlen, __VA_ARGS__), (code))

int topo_parse_cpulist(const char *text, bool *bits, unsigned int nbits)
{
	const char *p = text;
	char *end;

	memset(bits, 0, nbits * sizeof(*bits));
	while (*p && *p != '\n') {
		unsigned long a, b;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		a = b = strtoul(p, &end, 10);
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return -EINVAL;
			b = strtoul(end + 1, &end, 10);
		}
		if (b < a || b >= nbits)
			return -EINVAL;
		while (a <= b)
			bits[a++] = true;
		if (*end == ',')
			end++;
		else if (*end && *end != '\n')
			return -EINVAL;
		p = end;
	}
	return 0;
}

static int add_core(struct topo *t, const unsigned int *cpu, unsigned int nr)
{
	struct topo_core *grown = realloc(t->cores, (t->nr_cores + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	t->cores = grown;
	grown[t->nr_cores].nr = nr;
	memcpy(grown[t->nr_cores].cpu, cpu, nr * sizeof(*cpu));
	t->nr_cores++;
	return 0;
}

static int read_sysfs(struct topo *t, const char *sysfs, char *err, size_t errlen)
{
	static bool seen[CT_MAX_CPUS], sibs[CT_MAX_CPUS];
	unsigned int cpu, i, nr, list[CT_MAX_SMT];
	char path[256], line[256];
	FILE *f;
	int ret;

	memset(t, 0, sizeof(*t));
	memset(seen, 0, sizeof(seen));
	for (cpu = 0; cpu < CT_MAX_CPUS; cpu++) {
		if (seen[cpu])
			continue;
		snprintf(path, sizeof(path), "%s/cpu%u/topology/thread_siblings_list", sysfs, cpu);
		f = fopen(path, "r");
		if (!f)
			continue;	/* offline or not there */
		ret = fgets(line, sizeof(line), f) ? topo_parse_cpulist(line, sibs, CT_MAX_CPUS)
						   : -EINVAL;
		fclose(f);
		if (ret)
			return fail(err, errlen, -EINVAL, "%s: not a CPU list", path);
		for (nr = 0, i = 0; i < CT_MAX_CPUS; i++) {
			if (!sibs[i])
				continue;
			if (nr == CT_MAX_SMT)
				return fail(err, errlen, -E2BIG, "%s: more than %d siblings",
					      path, CT_MAX_SMT);
			seen[i] = true;
			list[nr++] = i;
		}
		if (nr > 1 && (ret = add_core(t, list, nr)))
			return fail(err, errlen, ret, "out of memory");
	}
	return 0;
}

static int parse_pairs(struct topo *t, const char *text, unsigned int nr_cpus, char *err,
		       size_t errlen)
{
	static bool seen[CT_MAX_CPUS];
	const char *p = text;
	char *end;
	int ret;

	memset(t, 0, sizeof(*t));
	memset(seen, 0, sizeof(seen));
	t->declared = true;
	do {
		unsigned int list[CT_MAX_SMT], nr = 0;
		const char *start = p;

		do {
			unsigned long cpu;

			if (*p < '0' || *p > '9')
				goto bad;
			cpu = strtoul(p, &end, 10);
			if (cpu >= nr_cpus || cpu >= CT_MAX_CPUS)
				return fail(err, errlen, -EINVAL,
					      "--smt-pairs: no CPU %lu (this machine has %u)",
					      cpu, nr_cpus);
			if (seen[cpu])
				return fail(err, errlen, -EINVAL,
					      "--smt-pairs: CPU %lu given twice", cpu);
			if (nr == CT_MAX_SMT)
				return fail(err, errlen, -EINVAL,
					      "--smt-pairs: at most %d CPUs a core", CT_MAX_SMT);
			seen[cpu] = true;
			list[nr++] = cpu;
			p = end;
		} while (*p == '-' && p++);
		if (nr < 2) {
			p = start;
			goto bad;
		}
		/* ascending, like the kernel's lists */
		for (unsigned int i = 1; i < nr; i++)
			for (unsigned int j = i; j > 0 && list[j - 1] > list[j]; j--) {
				unsigned int x = list[j];

				list[j] = list[j - 1];
				list[j - 1] = x;
			}
		if ((ret = add_core(t, list, nr)))
			return fail(err, errlen, ret, "out of memory");
	} while (*p == ',' && p++);
	if (!*p)
		return 0;
bad:
	return fail(err, errlen, -EINVAL,
		      "--smt-pairs: bad core '%.20s' (want CPU-CPU[,CPU-CPU...])", p);
}

/* Either way nothing is left allocated on an error. */
int topo_read(struct topo *t, const char *sysfs, char *err, size_t errlen)
{
	int ret = read_sysfs(t, sysfs, err, errlen);

	if (ret)
		topo_free(t);
	return ret;
}

int topo_parse(struct topo *t, const char *text, unsigned int nr_cpus, char *err,
	       size_t errlen)
{
	int ret = parse_pairs(t, text, nr_cpus, err, errlen);

	if (ret)
		topo_free(t);
	return ret;
}

void topo_free(struct topo *t)
{
	free(t->cores);
	t->cores = NULL;
	t->nr_cores = 0;
}
