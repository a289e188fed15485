// SPDX-License-Identifier: GPL-2.0
/*
 * A recorded session in memory (see recording.h): what both record
 * formats' loaders fill, freed the same way whichever filled it.
 */
#include <stdlib.h>
#include <string.h>

#include "recording.h"

void recording_free(struct recording *rec)
{
	if (!rec)
		return;
	free(rec->snaps);
	free(rec->maps);
	free(rec->region_store);
	free(rec->notes);
	memset(rec, 0, sizeof(*rec));
}
