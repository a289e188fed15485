// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for record files as the tools read them:
 * record_load_buf() on arbitrary bytes, so mostly kscope's own
 * "KSCOPREC" format (the seeds are small records of ours), and whatever
 * it hands to damo's loader when the bytes look like zlib data or JSON.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recording rec;
	char err[256];
	int ret;

	ret = record_load_buf(data, size, &rec, err, sizeof(err));
	fuzz_check_load(ret, &rec, err);
	recording_free(&rec);
	return 0;
}
