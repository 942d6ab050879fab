/*
 * log_test.c - log lines as JSON and as text: every JSON line parses
 * with its fields (time in RFC 3339 UTC with milliseconds, level, daemon,
 * message, the ids as fields of their own), control characters and
 * quotes escaped, a long message cut so that the line stays valid JSON
 * and keeps its ids, text lines stay one line, levels filter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "log.h"

#define UUID1 "01a208e1-c107-7037-9fbf-0f9039234140"
#define TRACE "4bf92f3577b34da6a3ce929d0e0e4736"

static int fds[2];

static int
setup(void **state)
{
	(void)state;
	if (pipe(fds) != 0)
		return -1;
	log_set_fd(fds[1]);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	log_set_fd(2);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

/* read_line reads what one log call wrote (one write, at most 4 KiB). */
static char *
read_line(void)
{
	static char	buf[LOG_LINE_MAX + 1];
	ssize_t		n = read(fds[0], buf, sizeof(buf) - 1);

	assert_true(n > 0);
	buf[n] = '\0';
	assert_int_equal(buf[n - 1], '\n');
	assert_true(strchr(buf, '\n') == buf + n - 1);
	return buf;
}

static const char *
str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void
test_json_fields(void **state)
{
	struct log_ids	 ids = { .job_id = UUID1, .run_id = UUID1,
	    .task_run_id = UUID1, .worker_id = "w\"1", .trace_id = TRACE,
	    .attempt = 3 };
	cJSON		*o;
	const char	*t;

	(void)state;
	log_init("ork-test", LOGL_DEBUG, LOG_FORMAT_JSON);
	log_ids_info(&ids, "task \"x\" said:\n\tbell\a %d", 7);
	o = cJSON_Parse(read_line());
	assert_non_null(o);
	t = str(o, "time");
	assert_non_null(t);
	/* 2026-05-01T09:00:00.123Z */
	assert_int_equal(strlen(t), 24);
	assert_true(isdigit((unsigned char)t[0]) && t[4] == '-' &&
	    t[10] == 'T' && t[19] == '.' && t[23] == 'Z');
	assert_string_equal(str(o, "level"), "info");
	assert_string_equal(str(o, "daemon"), "ork-test");
	assert_string_equal(str(o, "message"), "task \"x\" said:\n\tbell\a 7");
	assert_string_equal(str(o, "job_id"), UUID1);
	assert_string_equal(str(o, "run_id"), UUID1);
	assert_string_equal(str(o, "task_run_id"), UUID1);
	assert_string_equal(str(o, "worker_id"), "w\"1");
	assert_string_equal(str(o, "trace_id"), TRACE);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(o, "attempt")));
	assert_int_equal(cJSON_GetObjectItem(o, "attempt")->valueint, 3);
	cJSON_Delete(o);

	/* no ids: no id fields */
	log_warn("plain");
	o = cJSON_Parse(read_line());
	assert_non_null(o);
	assert_string_equal(str(o, "level"), "warn");
	assert_null(cJSON_GetObjectItem(o, "run_id"));
	assert_null(cJSON_GetObjectItem(o, "attempt"));
	cJSON_Delete(o);
}

static void
test_json_long_message(void **state)
{
	struct log_ids	 ids = { .run_id = UUID1, .trace_id = TRACE,
	    .attempt = 1 };
	char		 msg[3000];
	cJSON		*o;
	char		*line;

	(void)state;
	log_init("ork-test", LOGL_DEBUG, LOG_FORMAT_JSON);
	/* control characters escape to six bytes each: far over the limit */
	memset(msg, '\001', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	log_ids_error(&ids, "%s", msg);
	line = read_line();
	assert_true(strlen(line) <= LOG_LINE_MAX);
	o = cJSON_Parse(line);
	assert_non_null(o);
	assert_true(strlen(str(o, "message")) > 100);
	assert_string_equal(str(o, "run_id"), UUID1);
	assert_string_equal(str(o, "trace_id"), TRACE);
	cJSON_Delete(o);
	/* quotes, which escape to two bytes */
	memset(msg, '"', sizeof(msg) - 1);
	log_ids_error(&ids, "%s", msg);
	o = cJSON_Parse(read_line());
	assert_non_null(o);
	assert_string_equal(str(o, "trace_id"), TRACE);
	cJSON_Delete(o);
}

static void
test_text_and_levels(void **state)
{
	struct log_ids	 ids = { .run_id = UUID1, .attempt = 2 };
	char		*line;
	ssize_t		 n;
	char		 buf[64];

	(void)state;
	log_init("ork-test", LOGL_INFO, LOG_FORMAT_TEXT);
	log_ids_info(&ids, "two\nlines");
	line = read_line();
	assert_non_null(strstr(line, " info ork-test: two lines run_id="
	    UUID1 " attempt=2\n"));
	assert_int_equal(line[23], 'Z');
	/* below the threshold: nothing written */
	log_debug("hidden");
	log_init("ork-test", LOGL_WARN, LOG_FORMAT_TEXT);
	log_info("hidden too");
	log_warn("shown");
	n = read(fds[0], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "warn ork-test: shown"));
	assert_null(strstr(buf, "hidden"));
	assert_int_equal(log_parse_format("json"), LOG_FORMAT_JSON);
	assert_int_equal(log_parse_format("text"), LOG_FORMAT_TEXT);
	assert_int_equal(log_parse_format("yaml"), -1);
	assert_int_equal(log_parse_level("warn"), LOGL_WARN);
	assert_int_equal(log_parse_level("loud"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_json_long_message),
		cmocka_unit_test(test_text_and_levels),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
