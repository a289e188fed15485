// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the session files of coretop, napitop and
 * iofilter (JSON lines, read back by --replay) and kscope's records that
 * bundle them: each reader on the same arbitrary bytes.  A load fails with
 * a one-line reason and leaves nothing allocated, or gives a session whose
 * figures hold together (a record's parts within it, each one openable;
 * its lanes' intervals in order within the record, their figures rates
 * and shares, never negative).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bundle.h"
#include "fuzz.h"
#include "../src/kscope/lanes.h"
#include "../src/coretop/session.h"
#include "../src/iofilter/session.h"
#include "../src/napitop/session.h"

static void one_line(int ret, const char *err)
{
	if (ret) {
		fuzz_assert(ret < 0);
		fuzz_assert(err[0] && !strchr(err, '\n'));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct ct_session ct;
	struct nt_session nt;
	struct session io;
	char err[256];
	int ret;

	if (fd < 0) {
		fd = memfd_create("kscope-fuzz-session", 0);
		fuzz_assert(fd >= 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	fuzz_assert(!ftruncate(fd, 0) && pwrite(fd, data, size, 0) == (ssize_t)size);

	err[0] = 0;
	ret = ct_session_load(path, &ct, err, sizeof(err));
	one_line(ret, err);
	if (!ret) {
		fuzz_assert(ct.refreshes >= 1 && ct.topo.nr_cores >= 1);
		for (unsigned int c = 0; c < ct.cur.nr_cores; c++)
			fuzz_assert(ct.cur.cores[c].nr >= 2 && ct.cur.cores[c].nr <= CT_MAX_SMT);
		ct_session_free(&ct);
	}

	err[0] = 0;
	ret = nt_session_load(path, &nt, err, sizeof(err));
	one_line(ret, err);
	if (!ret) {
		fuzz_assert(nt.refreshes >= 1 && nt.ncpu >= 1);
		for (size_t i = 0; i < nt.nr_inst; i++)
			fuzz_assert(memchr(nt.inst[i].dev, 0, sizeof(nt.inst[i].dev)));
		nt_session_free(&nt);
	}

	err[0] = 0;
	ret = session_load(path, &io, err, sizeof(err));
	one_line(ret, err);
	if (!ret)
		session_free(&io);

	err[0] = 0;
	{
		struct bundle_part *parts;
		size_t nr;

		ret = bundle_index(path, &parts, &nr, err, sizeof(err));
		one_line(ret, err);
		for (size_t i = 0; !ret && i < nr; i++) {
			int part = bundle_open_part(path, parts[i].tool, err, sizeof(err));

			fuzz_assert(parts[i].off + parts[i].len <= size && part >= 0);
			fuzz_assert(lseek(part, 0, SEEK_END) == (off_t)parts[i].len);
			close(part);
		}
		if (!ret)
			free(parts);
	}

	err[0] = 0;
	{
		struct lanes ls;

		ret = lanes_load(path, &ls, err, sizeof(err));
		one_line(ret, err);
		for (size_t i = 0; !ret && i < ls.nr; i++) {
			const struct lane *l = &ls.lane[i];

			fuzz_assert(l->total >= 0 && l->nr <= l->alloc);
			for (size_t j = 0; j < l->nr; j++)
				fuzz_assert(ls.start_ns <= l->pts[j].from_ns &&
					    l->pts[j].from_ns < l->pts[j].to_ns &&
					    l->pts[j].to_ns <= ls.end_ns &&
					    isfinite(l->pts[j].value) && l->pts[j].value >= 0);
		}
		if (!ret)
			lanes_free(&ls);
	}
	return 0;
}
