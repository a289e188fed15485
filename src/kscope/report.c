// SPDX-License-Identifier: GPL-2.0
/*
 * kscope report (report.h): the record's parts, checked whole, listed; one
 * exported as its tool writes it with -o, for that tool's --replay and
 * reports or anything that reads its format; or every view's lanes on one
 * time axis (lanes.h), as JSON or as one self-contained HTML page.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "errmsg.h"
#include "lanes.h"
#include "outfile.h"
#include "report.h"
#include "units.h"

/* the page, with @DATA@ where the lanes' JSON goes (report.html) */
static const char page[] =
#include "report_html.h"
	;

/* A line a part: its tool, its size, how to look at it */
static int list(const struct report_opts *o)
{
	struct bundle_part *parts;
	char err[256], size[16];
	size_t nr;

	if (bundle_index(o->input, &parts, &nr, err, sizeof(err)))
		return tool_error("cannot read %s: %s", o->input, err);
	for (size_t i = 0; i < nr; i++)
		printf("%-8s %10s   %s --replay %s\n", parts[i].tool,
		       units_bytes(size, sizeof(size), parts[i].len), parts[i].tool, o->input);
	free(parts);
	return 0;
}

/* The part of --tool, byte for byte, to -o or stdout */
static int export(const struct report_opts *o)
{
	char err[256], buf[65536];
	int in, out = STDOUT_FILENO, rc = 0;
	ssize_t n;

	in = bundle_open_part(o->input, o->tool, err, sizeof(err));
	if (in < 0)
		return tool_error("cannot read %s: %s", o->input, err);
	if (o->output && (out = outfile_open(o->output, o->force)) < 0) {
		close(in);
		return tool_error("cannot create %s: %s", o->output, strerror(-out));
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if ((rc = outfile_write_all(out, buf, n)))
			break;
	if (n < 0 || rc)
		rc = tool_error("cannot write %s: %s", o->output ? o->output : "stdout",
				strerror(n < 0 ? errno : -rc));
	close(in);
	if (o->output && close(out) && !rc)
		rc = tool_error("cannot write %s: %s", o->output, strerror(errno));
	return rc;
}

/* The lanes, as JSON or in the page, to -o or stdout */
static int lanes(const struct report_opts *o)
{
	const char *data = strstr(page, "@DATA@");
	struct lanes ls;
	char err[256];
	FILE *out = stdout;
	int fd, rc = 0;

	if (lanes_load(o->input, &ls, err, sizeof(err)))
		return tool_error("cannot read %s: %s", o->input, err);
	if (!ls.nr) {
		lanes_free(&ls);
		return tool_error("%s has no refresh to draw", o->input);
	}
	if (o->output) {
		fd = outfile_open(o->output, o->force);
		if (fd < 0 || !(out = fdopen(fd, "w"))) {
			rc = tool_error("cannot create %s: %s", o->output,
					strerror(fd < 0 ? -fd : errno));
			if (fd >= 0)
				close(fd);
			lanes_free(&ls);
			return rc;
		}
	}
	if (o->format == REPORT_HTML) {
		fwrite(page, 1, data - page, out);
		lanes_json(out, &ls, o->input);
		fputs(data + strlen("@DATA@"), out);
	} else {
		lanes_json(out, &ls, o->input);
	}
	if (fflush(out) || ferror(out))
		rc = tool_error("cannot write %s: %s", o->output ? o->output : "stdout",
				strerror(errno));
	if (o->output && fclose(out) && !rc)
		rc = tool_error("cannot write %s: %s", o->output, strerror(errno));
	lanes_free(&ls);
	return rc;
}

int kscope_report(const struct report_opts *o)
{
	if (o->tool)
		return export(o);
	return o->format == REPORT_LIST ? list(o) : lanes(o);
}
