/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iofilter's rules: the text of --rule, of a rule file (-f) and of the
 * --protect-gpt preset, turned into the struct iof_rule the kernel side
 * matches.  A device is named by path or MAJ:MIN; a partition becomes its
 * whole disk with the rule's sectors shifted by the partition's start, as
 * read from /sys/dev/block (under the root set by rules_set_sys_root()).
 *
 * Messages in @err are one line without a program name, naming the rule
 * ("rule 2: 'sectors=5-1': start after end") or FILE:LINE; @err may be
 * NULL.  Functions return 0 or a negative errno.
 */
#ifndef KSCOPE_IOFILTER_RULES_H
#define KSCOPE_IOFILTER_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "iofilter.h"

#define RULES_TEXT_MAX	256

struct iof_rule_spec {
	struct iof_rule r;		/* normalised: whole disk, disk sectors */
	char text[RULES_TEXT_MAX];	/* as given, for the views */
	char dev_name[32];		/* the disk's name ("loop0") */
	char part_name[32];		/* the partition named in the rule, or "" */
};

/*
 * Parse one rule, @number (1-based) naming it in messages.  Without
 * sectors= a whole disk is [0, IOF_SECTOR_MAX] (so it stays covered if it
 * grows) and a partition its own extent.  r.tiers is left 0: the tool
 * fills it in once it knows which hooks it got.
 */
int rules_parse(const char *text, int number, struct iof_rule_spec *out,
		char *err, size_t errlen);

/*
 * Append the rules of file @path to the array *@out of *@nr (realloc'd;
 * the caller frees it).  On error nothing is appended, but *@out may have
 * moved.  Refuses to grow past IOF_MAX_RULES.
 */
int rules_load_file(const char *path, struct iof_rule_spec **out, size_t *nr,
		    char *err, size_t errlen);

/*
 * The two deny rules protecting a GPT on whole disk @dev: the primary
 * (protective MBR, header, entries) and the backup (entries, header) at
 * the end.  Sized in the disk's logical blocks: sectors 0-33 and the last
 * 33 on a 512-byte disk, 0-47 and the last 40 on a 4Kn disk.
 */
int rules_protect_gpt(const char *dev, struct iof_rule_spec out[2], char *err,
		      size_t errlen);

/* "write" for IOF_OP_WRITE, "?" for anything but one known bit. */
const char *rules_op_name(uint32_t op_bit);

/* "write,discard" for a mask, "all" for every op, "-" for none. */
const char *rules_ops_str(uint32_t ops, char *buf, size_t len);

/*
 * A prefix for every /sys path read: "/tmp/fake" reads /tmp/fake/sys/dev/...
 * (tests); "" or NULL, the default, is the real /sys.
 */
void rules_set_sys_root(const char *root);

#endif
