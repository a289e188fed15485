/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The inside of iofilter's enforcer, shared by its three files and no
 * one else: the programs of the skeleton and the enforcer that loaded
 * them (enforce.c; pinned by pin.c), and small kernel-reading helpers
 * (tiers.c; the probes and the loader both use them).
 */
#ifndef KSCOPE_IOFILTER_ENFORCE_PRIV_H
#define KSCOPE_IOFILTER_ENFORCE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "enforce.h"

struct btf;
struct bpf_link;
struct iofilter_bpf;
struct ring_buffer;

/* A program of the skeleton, the tier it serves and what it needs. */
struct prog_def {
	const char *name;
	enum iof_tier tier;
	bool core;		/* without it the tier does not run */
	const char *btf;	/* a kernel type it attaches to (NULL: none) */
	int kind;		/* BTF_KIND_ of @btf */
	const char *fallback;	/* the program to use instead */
};

/* programs and fallbacks (enforce.c's tables), at most */
#define IOF_MAX_PROGS	16

struct iof_enforcer {
	struct iofilter_bpf *skel;
	struct ring_buffer *rb;
	struct evloop *loop;
	struct iof_sink sink;
	struct iof_rule *rules;
	size_t nr;
	int cg_fd;
	uint32_t asked;		/* tiers the rules name, and audit */
	uint32_t needed;	/* of those, the ones to load */
	uint32_t broken;	/* tiers a core program of which is missing */
	uint32_t active;
	char why[IOF_NR_TIERS][IOF_WHY_LEN];	/* what is missing of a tier */
	struct part {
		__u32 dev;
		struct iof_part p;
	} *parts;			/* of the rules' disks */
	size_t nr_parts;
	const struct prog_def *use[IOF_MAX_PROGS];	/* chosen, in load order */
	struct bpf_link *links[IOF_MAX_PROGS];
	size_t nr_use;
};

/* A small text file's first line, without its newline, into @buf.  0 or
 * -errno. */
int iof_read_text(const char *path, char *buf, size_t len);
/* The last line of a verifier log that says something. */
void iof_last_line(const char *log, char *out, size_t len);
/* @btf has a type @name of BTF_KIND_ @kind (false for a NULL @btf or @name). */
bool iof_btf_has(const struct btf *btf, const char *name, int kind);

#endif
