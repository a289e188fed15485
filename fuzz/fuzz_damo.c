// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for damo's json records: the input is JSON text (the
 * seeds are damo's and our writer's).  It is loaded plain and, compressed
 * here, as json_compressed: the two must agree.  A record that loads is
 * written back with our damo writer and loaded again, and must come back
 * the same, so the writer is fuzzed with every shape the loader accepts.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "damo.h"
#include "fuzz.h"

static void fuzz_rewrite(const struct recording *rec)
{
	struct recording again;
	struct damo_writer *w;
	char err[256];
	int fd, fd2;
	size_t i;

	fd = memfd_create("fuzz-damo", MFD_CLOEXEC);
	fuzz_assert(fd >= 0);
	fd2 = dup(fd);		/* the writer closes its own */
	fuzz_assert(fd2 >= 0);
	w = damo_writer_open(fd, &rec->hdr);
	fuzz_assert(w);
	for (i = 0; i < rec->nr_snaps; i++)
		fuzz_assert(!damo_writer_snapshot(w, &rec->snaps[i]));
	fuzz_assert(!damo_writer_close(w));
	fuzz_assert(lseek(fd2, 0, SEEK_SET) == 0);
	if (damo_load_fd(fd2, NULL, 0, &again, err, sizeof(err))) {
		fprintf(stderr, "rewritten record refused: %s\n", err);
		abort();
	}
	close(fd2);
	fuzz_assert(again.nr_snaps == rec->nr_snaps);
	for (i = 0; i < rec->nr_snaps; i++) {
		const struct snapshot *a = &rec->snaps[i], *b = &again.snaps[i];

		fuzz_assert(a->time_ns == b->time_ns);
		fuzz_assert(a->sample_ns == b->sample_ns);
		fuzz_assert(a->aggr_ns == b->aggr_ns);
		fuzz_assert(a->nr_regions == b->nr_regions);
		fuzz_assert(!a->nr_regions ||
			    !memcmp(a->regions, b->regions,
				    a->nr_regions * sizeof(*a->regions)));
	}
	if (rec->hdr.start_mono_ns && rec->nr_snaps)
		fuzz_assert(again.hdr.start_mono_ns == rec->hdr.start_mono_ns);
	if (rec->hdr.update_ns)
		fuzz_assert(again.hdr.update_ns == rec->hdr.update_ns);
	recording_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recording rec, rec2;
	char err[256], err2[256];
	uLongf zlen = compressBound(size);
	uint8_t *z;
	int ret, ret2;

	ret = damo_load_buf(data, size, &rec, err, sizeof(err));
	fuzz_check_load(ret, &rec, err);

	/* the same text as json_compressed, when it is text (damo_sniff()
	 * also takes a zlib header, which compressed is another thing) */
	z = malloc(zlen);
	fuzz_assert(z && compress2(z, &zlen, data, size, 1) == Z_OK);
	ret2 = damo_load_buf(z, zlen, &rec2, err2, sizeof(err2));
	fuzz_check_load(ret2, &rec2, err2);
	if (size && (data[0] == '[' || data[0] == '{' || data[0] == ' ' ||
		     data[0] == '\t' || data[0] == '\n' || data[0] == '\r')) {
		fuzz_assert(ret == ret2);
		fuzz_assert(!strcmp(err, err2));
		fuzz_assert(rec.nr_snaps == rec2.nr_snaps);
	}
	recording_free(&rec2);
	free(z);

	if (!ret)
		fuzz_rewrite(&rec);
	recording_free(&rec);
	return 0;
}
