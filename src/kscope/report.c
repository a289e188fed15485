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

#include <json-c/json.h>

#include "bundle.h"
#include "errmsg.h"
#include "lanes.h"
#include "outfile.h"
#include "../lib/record.h"	/* not kscope record's */
#include "record_ring.h"
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

/* damontop's record: the aggregations and notes up to @until_ns, with the
 * latest mappings (a record keeps no earlier set) */
static int record_until(const char *file, uint64_t until_ns, int fd, char *err, size_t errlen)
{
	struct record_ring *r = record_ring_new(UINT64_MAX);	/* keeps all */
	struct recording rec;
	size_t s = 0, n = 0;
	int ret;

	ret = r ? record_load(file, &rec, err, errlen) : -ENOMEM;
	if (ret) {
		record_ring_free(r);
		return ret;
	}
	if (rec.nr_maps)
		ret = record_ring_mappings(r, rec.hdr.start_mono_ns, rec.maps, rec.nr_maps);
	/* in time order, the notes among the aggregations */
	while (!ret && (s < rec.nr_snaps || n < rec.nr_notes)) {
		bool note = n < rec.nr_notes &&
			    (s == rec.nr_snaps || rec.notes[n].time_ns <= rec.snaps[s].time_ns);
		uint64_t t = note ? rec.notes[n].time_ns : rec.snaps[s].time_ns;

		if (t > until_ns)
			break;
		ret = note ? record_ring_note(r, t, rec.notes[n++].text) :
			     record_ring_snapshot(r, &rec.snaps[s++]);
	}
	if (!ret)
		ret = record_ring_write(r, fd, &rec.hdr);
	if (ret)
		snprintf(err, errlen, "%s", strerror(-ret));
	record_ring_free(r);
	recording_free(&rec);
	return ret;
}

/* A session file of a line a refresh or verdict: the header, and the
 * lines of the refreshes (time_ns) and verdicts (ts_ns) up to @until_ns;
 * a line of no time (iofilter's closing counts) is the end's, left out */
static int lines_until(int in, uint64_t until_ns, int fd, char *err, size_t errlen)
{
	FILE *f = fdopen(dup(in), "r");
	char *line = NULL;
	size_t cap = 0, nr = 0;
	ssize_t len;
	int ret = f ? 0 : -errno;

	while (!ret && f && (len = getline(&line, &cap, f)) > 0) {
		struct json_object *o = nr++ ? json_tokener_parse(line) : NULL;
		struct json_object *t = NULL;

		if (nr > 1 && !o) {
			snprintf(err, errlen, "line %zu is not JSON", nr);
			ret = -EINVAL;
			break;
		}
		if (nr == 1 || ((json_object_object_get_ex(o, "time_ns", &t) ||
				 json_object_object_get_ex(o, "ts_ns", &t)) &&
				json_object_get_uint64(t) <= until_ns))
			ret = outfile_write_all(fd, line, len);
		json_object_put(o);
	}
	if (ret && !err[0])
		snprintf(err, errlen, "%s", strerror(-ret));
	free(line);
	if (f)
		fclose(f);
	return ret;
}

int part_until(const char *path, const char *tool, uint64_t until_ns, int fd, char *err,
	       size_t errlen)
{
	int in = bundle_open_part(path, tool, err, errlen), ret;
	char file[32];

	if (in < 0)
		return in;
	err[0] = 0;
	snprintf(file, sizeof(file), "/proc/self/fd/%d", in);
	ret = !strcmp(tool, "damontop") ? record_until(file, until_ns, fd, err, errlen) :
					  lines_until(in, until_ns, fd, err, errlen);
	close(in);
	return ret;
}

/* --until's time on the record's clock: the lanes' start (their first
 * refresh) and the seconds after it, as kscope report and replay show them */
static uint64_t until_ns(const struct report_opts *o)
{
	struct lanes ls;
	char err[256];
	uint64_t start = 0;

	if (!lanes_load(o->input, &ls, err, sizeof(err))) {
		start = ls.start_ns;
		lanes_free(&ls);
	}
	return start + (uint64_t)(o->until_s * 1e9);
}

/* The part of --tool, byte for byte (with --until, up to then), to -o or
 * stdout */
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
	if (o->until) {
		close(in);
		if (part_until(o->input, o->tool, until_ns(o), out, err, sizeof(err)))
			rc = tool_error("cannot cut %s's part: %s", o->tool, err);
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if ((rc = outfile_write_all(out, buf, n)))
			break;
	if (n < 0 || rc)
		rc = tool_error("cannot write %s: %s", o->output ? o->output : "stdout",
				strerror(n < 0 ? errno : -rc));
	close(in);
out:
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
