// SPDX-License-Identifier: GPL-2.0
/*
 * recording: the in-memory session both record formats load into, used
 * here on its own (no record.h, no damo.h), and freed to empty.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "recording.h"

/* What a loader leaves: snapshots pointing into one region store. */
static void fill(struct recording *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->hdr.pid = 42;
	rec->region_store = calloc(3, sizeof(*rec->region_store));
	rec->snaps = calloc(2, sizeof(*rec->snaps));
	rec->maps = calloc(1, sizeof(*rec->maps));
	assert_non_null(rec->region_store);
	assert_non_null(rec->snaps);
	assert_non_null(rec->maps);
	rec->nr_snaps = 2;
	rec->snaps[0].nr_regions = 1;
	rec->snaps[0].regions = rec->region_store;
	rec->snaps[1].nr_regions = 2;
	rec->snaps[1].regions = rec->region_store + 1;
	rec->nr_maps = 1;
	rec->nr_map_sets = 1;
	rec->maps_time_ns = 1000;
}

/* Everything freed (the sanitized run sees a leak), the struct empty. */
static void test_free_empties(void **state)
{
	struct recording rec, zero;

	(void)state;
	fill(&rec);
	recording_free(&rec);
	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(&rec, &zero, sizeof(rec));
}

/* Freeing an empty or already freed recording, or NULL, does nothing. */
static void test_free_twice_and_null(void **state)
{
	struct recording rec;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	recording_free(&rec);
	fill(&rec);
	recording_free(&rec);
	recording_free(&rec);
	recording_free(NULL);
	assert_null(rec.snaps);
	assert_int_equal(rec.nr_snaps, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_empties),
		cmocka_unit_test(test_free_twice_and_null),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
