/*
 * perfconf_test.c - ork-perf's configuration files: defaults, comments,
 * quoting, flags over the file, and every refusal naming its line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "perfconf.h"

static int
parse(struct perfconf *c, const char *text, char *err, size_t errlen)
{
	perfconf_init(c);
	return perfconf_parse(c, text, strlen(text), "t.conf", err, errlen);
}

static void
test_defaults(void **state)
{
	struct perfconf	c;
	char		err[256];

	(void)state;
	assert_int_equal(parse(&c, "", err, sizeof(err)), 0);
	assert_int_equal(c.mode, -1);
	assert_int_equal(perfconf_check(&c, err, sizeof(err)), ORK_EINVAL);
	assert_non_null(strstr(err, "no mode given"));
	assert_string_equal(c.url, "http://127.0.0.1:8080");
	assert_int_equal(c.runs, 1000);
	assert_int_equal(c.clients, 16);
	assert_int_equal(c.tasks_per_run, 1);
	assert_int_equal(c.task_kind, PERFCONF_NOOP);
	assert_int_equal(c.cleanup, 1);
	assert_string_equal(c.load_connection_env, "ORK_PERF_DW_URL");
}

static void
test_syntax(void **state)
{
	struct perfconf	c;
	char		err[256];

	(void)state;
	assert_int_equal(parse(&c,
	    "# a comment\n"
	    "\n"
	    "   mode\t=  paced   # trailing comment\n"
	    "rate=250\r\n"
	    "name = \"two words # kept\"   # a comment after quotes\n"
	    "url = http://h:1/a#frag\n"
	    "cleanup = no\n"
	    "task_kind = command\n"
	    "seconds = 3", err, sizeof(err)), 0);
	assert_int_equal(c.mode, PERFCONF_PACED);
	assert_int_equal(c.rate, 250);
	assert_int_equal(c.seconds, 3);
	assert_string_equal(c.name, "two words # kept");
	/* '#' not after a blank is part of the value */
	assert_string_equal(c.url, "http://h:1/a#frag");
	assert_int_equal(c.cleanup, 0);
	assert_int_equal(c.task_kind, PERFCONF_COMMAND);
	assert_int_equal(perfconf_check(&c, err, sizeof(err)), 0);
	assert_string_equal(perfconf_mode_name(c.mode), "paced");
}

static void
test_set_overrides(void **state)
{
	struct perfconf	c;
	char		err[256];

	(void)state;
	assert_int_equal(parse(&c, "mode = burst\nruns = 10\n", err,
	    sizeof(err)), 0);
	assert_int_equal(perfconf_set(&c, "runs=20", "--set", err,
	    sizeof(err)), 0);
	assert_int_equal(perfconf_set(&c, " runs = 30 ", "--set", err,
	    sizeof(err)), 0);
	assert_int_equal(c.runs, 30);
	assert_int_equal(perfconf_set(&c, "runs", "--set", err, sizeof(err)),
	    ORK_EINVAL);
	assert_string_equal(err, "--set: expected 'key = value', got 'runs'");
	assert_int_equal(perfconf_set(&c, "walk=1", "--set", err,
	    sizeof(err)), ORK_EINVAL);
	assert_string_equal(err, "--set: unknown key 'walk'");
	assert_int_equal(c.runs, 30);
}

static void
test_refusals(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "mode = burst\nspeed = 5\n", "t.conf:2: unknown key 'speed'" },
		{ "mode burst\n", "t.conf:1: expected 'key = value', got "
		    "'mode burst'" },
		{ "= 5\n", "t.conf:1: no key before '='" },
		{ "runs = -1\n", "t.conf:1: runs must be between 1 and "
		    "10000000, not -1" },
		{ "runs = 99999999999999999999\n", "t.conf:1: runs must be a "
		    "whole number, not '99999999999999999999'" },
		{ "runs =\n", "t.conf:1: runs must be a whole number, not ''" },
		{ "cleanup = maybe\n", "t.conf:1: cleanup must be true or "
		    "false, not 'maybe'" },
		{ "task_kind = shell\n", "t.conf:1: task_kind must be one of "
		    "noop, command, not 'shell'" },
		{ "name = \"a\" b\n", "t.conf:1: name: text after the closing "
		    "quote" },
		{ "\n\nrate = 1\nrate = 2\n", "t.conf:4: key 'rate' given "
		    "twice" },
	};
	struct perfconf	c;
	char		err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(&c, cases[i].text, err, sizeof(err)),
		    ORK_EINVAL);
		assert_string_equal(err, cases[i].msg);
	}
	/* a NUL byte inside a value */
	perfconf_init(&c);
	assert_int_equal(perfconf_parse(&c, "name = a\0b\n", 11, "t.conf",
	    err, sizeof(err)), ORK_EINVAL);
	assert_string_equal(err, "t.conf:1: name holds a NUL byte");
}

static void
test_limits(void **state)
{
	struct perfconf	 c;
	char		 err[256];
	char		*big = malloc(PERFCONF_FILE_MAX + 2);
	char		 line[PERFCONF_LINE_MAX + 16];

	(void)state;
	assert_non_null(big);
	memset(big, '\n', PERFCONF_FILE_MAX + 1);
	perfconf_init(&c);
	assert_int_equal(perfconf_parse(&c, big, PERFCONF_FILE_MAX, "t.conf",
	    err, sizeof(err)), 0);
	assert_int_equal(perfconf_parse(&c, big, PERFCONF_FILE_MAX + 1,
	    "t.conf", err, sizeof(err)), ORK_ETOOBIG);
	assert_string_equal(err, "t.conf: larger than 65536 bytes");
	free(big);

	memset(line, 'x', sizeof(line));
	memcpy(line, "name = ", 7);
	line[PERFCONF_LINE_MAX + 1] = '\0';
	assert_int_equal(parse(&c, line, err, sizeof(err)), ORK_EINVAL);
	assert_string_equal(err, "t.conf:1: line longer than 1024 "
	    "characters");
	line[PERFCONF_STR_MAX + 8] = '\0';	/* a value of 512 characters */
	assert_int_equal(parse(&c, line, err, sizeof(err)), ORK_EINVAL);
	assert_string_equal(err, "t.conf:1: name is longer than 511 "
	    "characters");
	line[PERFCONF_STR_MAX + 7] = '\0';	/* 511 fit */
	assert_int_equal(parse(&c, line, err, sizeof(err)), 0);
	assert_int_equal(strlen(c.name), PERFCONF_STR_MAX);
}

static void
test_describe(void **state)
{
	struct perfconf	 c;
	char		 err[256], buf[PERFCONF_STR_MAX + 1];
	const char	*name;
	int		 type, seen = 0;

	(void)state;
	assert_int_equal(parse(&c, "mode = load\ntoken = secret-value\n", err,
	    sizeof(err)), 0);
	for (size_t i = 0; perfconf_key(&c, i, &name, buf, sizeof(buf),
	    &type); i++) {
		if (strcmp(name, "token") == 0) {
			assert_string_equal(buf, "(set)");	/* never shown */
			seen++;
		} else if (strcmp(name, "rows") == 0) {
			assert_int_equal(type, PERFCONF_NUMBER);
			assert_string_equal(buf, "1000000");
			seen++;
		} else if (strcmp(name, "cleanup") == 0) {
			assert_int_equal(type, PERFCONF_BOOLEAN);
			assert_string_equal(buf, "true");
			seen++;
		} else if (strcmp(name, "mode") == 0) {
			assert_string_equal(buf, "load");
			seen++;
		}
	}
	assert_int_equal(seen, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_set_overrides),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
