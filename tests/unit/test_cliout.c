// SPDX-License-Identifier: GPL-2.0
/*
 * The output options as a tool parses them: through a parent argp that
 * lists cliout_argp as its child, the way iofilter, coretop and napitop
 * do; good values land in struct cliout, the positional [interval
 * [count]] too; bad ones are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cliout.h"

struct tool {
	int x;
	struct cliout out;
};

static error_t parent(int key, char *arg, struct argp_state *state)
{
	struct tool *t = state->input;

	(void)arg;
	if (key == ARGP_KEY_INIT) {
		state->child_inputs[0] = &t->out;
		return 0;
	}
	if (key == 'x') {
		t->x = 1;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp_option options[] = {
	{ "x", 'x', NULL, 0, "the tool's own", 0 },
	{},
};

static const struct argp_child children[] = {
	{ &cliout_argp, 0, "Output:", 2 },
	{},
};

static const struct argp argp = { .options = options, .parser = parent, .children = children };

#define PARSE(t, ...) argp_parse(&argp, sizeof((char *[]){ "tool", __VA_ARGS__ }) /	\
				 sizeof(char *), (char *[]){ "tool", __VA_ARGS__, NULL },	\
				 ARGP_NO_EXIT | ARGP_NO_ERRS | ARGP_SILENT, NULL, (t))

static void test_parsed(void **state)
{
	struct tool t = { .out.refresh_ns = 1000000000ULL };

	(void)state;
	assert_int_equal(PARSE(&t, "-x", "--json", "-o", "s.jsonl", "--force", "-d", "2.5",
			       "-i", "0.25", "--no-color", "-v"), 0);
	assert_int_equal(t.x, 1);
	assert_true(t.out.json && t.out.batch);		/* --json implies no live view */
	assert_string_equal(t.out.output, "s.jsonl");
	assert_true(t.out.force && t.out.no_color && t.out.verbose);
	assert_int_equal(t.out.duration_ns, 2500000000ULL);
	assert_int_equal(t.out.refresh_ns, 250000000ULL);
	assert_null(t.out.replay);

	memset(&t, 0, sizeof(t));
	t.out.refresh_ns = 1000000000ULL;
	assert_int_equal(PARSE(&t, "--replay", "r.jsonl", "--batch"), 0);
	assert_string_equal(t.out.replay, "r.jsonl");
	assert_true(t.out.batch && !t.out.json);
	assert_int_equal(t.out.refresh_ns, 1000000000ULL);	/* the tool's default kept */

	/* [interval [count]] as libbpf-tools take them: they mean --batch */
	memset(&t, 0, sizeof(t));
	assert_int_equal(PARSE(&t, "0.5", "4"), 0);
	assert_true(t.out.batch && !t.out.json);
	assert_int_equal(t.out.interval_ns, 500000000ULL);
	assert_int_equal(t.out.count, 4);
	memset(&t, 0, sizeof(t));
	assert_int_equal(PARSE(&t, "--json", "2"), 0);
	assert_true(t.out.json && t.out.batch);
	assert_int_equal(t.out.interval_ns, 2000000000ULL);
	assert_int_equal(t.out.count, 0);			/* until stopped */
}

/* The exit status of a tool given @a @b (argp_error() exits, as in the
 * tools), in a child with stderr muted. */
static int tool_exit(const char *a, const char *b)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (!pid) {
		struct tool t = {};
		char *argv[] = { "tool", (char *)a, (char *)b, NULL };

		freopen("/dev/null", "w", stderr);
		argp_parse(&argp, 3, argv, 0, NULL, &t);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void test_refused(void **state)
{
	(void)state;
	assert_int_equal(tool_exit("-d", "1"), 0);
	assert_int_not_equal(tool_exit("-d", "0"), 0);		/* a run of no time */
	assert_int_not_equal(tool_exit("-d", "soon"), 0);
	assert_int_not_equal(tool_exit("-i", "0.001"), 0);	/* under 10 ms */
	assert_int_not_equal(tool_exit("--bogus", "1"), 0);
	assert_int_equal(tool_exit("1", "10"), 0);
	assert_int_not_equal(tool_exit("1", "0"), 0);		/* no lines at all */
	assert_int_not_equal(tool_exit("0.001", "3"), 0);	/* under 10 ms */
	assert_int_not_equal(tool_exit("soon", "3"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parsed),
		cmocka_unit_test(test_refused),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
