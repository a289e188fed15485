// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for damo's json_compressed records: the input is the
 * file, a zlib stream (the seeds are real ones), given to damo's loader
 * both from memory and, in two pieces, through a pipe as record_load()
 * reads a file; both must come to the same result.
 */
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "damo.h"
#include "fuzz.h"

/* What fits a pipe's buffer without a reader, so one thread can do it. */
#define PIPE_MAX	(64 << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recording rec, rec2;
	char err[256], err2[256];
	size_t head = size / 3;
	int ret, ret2, fds[2];

	ret = damo_load_buf(data, size, &rec, err, sizeof(err));
	fuzz_check_load(ret, &rec, err);
	if (size - head <= PIPE_MAX && !pipe(fds)) {
		fuzz_assert(write(fds[1], data + head, size - head) ==
			    (ssize_t)(size - head));
		close(fds[1]);
		ret2 = damo_load_fd(fds[0], data, head, &rec2, err2,
				    sizeof(err2));
		close(fds[0]);
		fuzz_assert(ret == ret2);
		fuzz_assert(!strcmp(err, err2));
		fuzz_assert(rec.nr_snaps == rec2.nr_snaps);
		recording_free(&rec2);
	}
	recording_free(&rec);
	return 0;
}
