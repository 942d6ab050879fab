/*
 * plugins_cursor_test.c - incremental loads and column types through
 * ork-api, as a user drives them: the api refuses bad "columns" and
 * cursor settings naming the field; GET /jobs/{id} shows each task's
 * cursor mark; DELETE /jobs/{id}/cursors resets it, and the next run
 * really starts from initial_value again (the worker no longer reads the
 * mark the destination holds).
 */
#include "api_util.h"

#include <libpq-fe.h>

static struct api_stack	 stack;
static char		 dest[H_URL_MAX];
static PGconn		*dconn;

static int
setup(void **state)
{
	(void)state;
	h_db_create("plugins_cursor_dest", 0, dest, sizeof(dest));
	dconn = h_db_connect(dest);
	setenv("ORK_TEST_DEST", dest, 1);
	api_stack_start(&stack, "plugins_cursor", API_WITH_ORCH |
	    API_WITH_WORKER, NULL, NULL);
	return 0;
}

static int
teardown(void **state)
{
	api_teardown(state);
	PQfinish(dconn);
	return 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	fclose(f);
}

/* job_body writes a one-task csv -> postgres job with extra settings. */
static void
job_body(char *buf, size_t len, const char *name, const char *path,
    const char *ex_extra, const char *lo_extra)
{
	snprintf(buf, len, "{\"job_name\": \"%s\", \"tasks\": [{"
	    "\"extractor_config\": {\"type\": \"csv\", \"path\": \"%s\"%s}, "
	    "\"loader_config\": {\"type\": \"postgres\", \"connection\": "
	    "{\"env\": \"ORK_TEST_DEST\"}, \"table_name\": \"inc\"%s}}]}",
	    name, path, ex_extra, lo_extra);
}

static void
expect_refused(const char *body, const char *code, const char *field)
{
	struct api_resp r;

	api_call(&stack, "POST", "/jobs", stack.admin, body, &r);
	api_expect_error(&r, 400, code, field);
	api_resp_free(&r);
}

/* Bad column types and cursor settings are refused with the field. */
static void
test_config_refused(void **state)
{
	char	body[2048];

	(void)state;
	job_body(body, sizeof(body), "bad type", "/tmp/x.csv", "",
	    ", \"columns\": [{\"name\": \"a\", \"type\": \"text\"}, {\"name\": "
	    "\"b\", \"type\": \"integer\"}, {\"name\": \"c\", \"type\": "
	    "\"money\"}]");
	expect_refused(body, "invalid_value",
	    "tasks[0].loader_config.columns[2].type");
	job_body(body, sizeof(body), "twice", "/tmp/x.csv", "",
	    ", \"columns\": [{\"name\": \"a\", \"type\": \"text\"}, {\"name\": "
	    "\"a\", \"type\": \"integer\"}]");
	expect_refused(body, "invalid_value",
	    "tasks[0].loader_config.columns[1].name");
	job_body(body, sizeof(body), "no type", "/tmp/x.csv", "",
	    ", \"columns\": [{\"name\": \"a\"}]");
	expect_refused(body, "missing_field",
	    "tasks[0].loader_config.columns[0].type");
	job_body(body, sizeof(body), "extra member", "/tmp/x.csv", "",
	    ", \"columns\": [{\"name\": \"a\", \"type\": \"text\", "
	    "\"size\": 3}]");
	expect_refused(body, "unknown_field",
	    "tasks[0].loader_config.columns[0].size");
	job_body(body, sizeof(body), "mismatch", "/tmp/x.csv", "",
	    ", \"on_type_mismatch\": \"ignore\"");
	expect_refused(body, "invalid_value",
	    "tasks[0].loader_config.on_type_mismatch");
	/* rows at the mark come again: only merge keeps them once */
	job_body(body, sizeof(body), "append cursor", "/tmp/x.csv",
	    ", \"cursor_field\": \"seq\"", "");
	expect_refused(body, "invalid_value",
	    "tasks[0].loader_config.mode");
	job_body(body, sizeof(body), "no field", "/tmp/x.csv",
	    ", \"initial_value\": 3", ", \"mode\": \"merge\", "
	    "\"primary_key\": [\"id\"]");
	expect_refused(body, "invalid_value",
	    "tasks[0].extractor_config.initial_value");
	job_body(body, sizeof(body), "bad initial", "/tmp/x.csv",
	    ", \"cursor_field\": \"seq\", \"initial_value\": [1]",
	    ", \"mode\": \"merge\", \"primary_key\": [\"id\"]");
	expect_refused(body, "invalid_type",
	    "tasks[0].extractor_config.initial_value");
	job_body(body, sizeof(body), "csv param", "/tmp/x.csv",
	    ", \"cursor_field\": \"seq\", \"cursor_param\": \"since\"",
	    ", \"mode\": \"merge\", \"primary_key\": [\"id\"]");
	expect_refused(body, "unknown_field",
	    "tasks[0].extractor_config.cursor_param");
}

/* run triggers the job through the api and waits for want. */
static void
run(const char *job, const char *want)
{
	struct api_resp	r;
	char		path[128], run_id[64];

	snprintf(path, sizeof(path), "/jobs/%s/run", job);
	if (api_call(&stack, "POST", path, stack.admin, NULL, &r) != 201)
		fail_msg("trigger: %ld %s", r.status, r.body);
	snprintf(run_id, sizeof(run_id), "%s", api_str(r.json, "run_id"));
	api_resp_free(&r);
	assert_true(api_wait_run(&stack, run_id, want, 30000));
}

/* task_mark writes the first task's cursor_mark of GET (or <null>). */
static void
task_mark(const struct api_resp *r, char *buf, size_t len)
{
	const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(r->json, "tasks");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(tasks, 0), "cursor_mark");

	if (cJSON_IsString(m))
		snprintf(buf, len, "%s", m->valuestring);
	else if (cJSON_IsNull(m))
		snprintf(buf, len, "<null>");
	else
		fail_msg("no cursor_mark in %s", r->body);
}

static void
get_mark(const char *job, char *buf, size_t len)
{
	struct api_resp	r;
	char		path[128];

	snprintf(path, sizeof(path), "/jobs/%s", job);
	assert_int_equal(api_call(&stack, "GET", path, stack.admin, NULL, &r),
	    200);
	task_mark(&r, buf, len);
	api_resp_free(&r);
}

static void
dest_value(const char *sql, char *buf, size_t len)
{
	h_db_value(dconn, sql, buf, len);
}

/*
 * GET shows the mark; DELETE /jobs/{id}/cursors forgets it.  The proof
 * that the worker forgot it too: the destination's rows are deleted,
 * and the run after the reset loads all of them again from
 * initial_value (without the reset it would load only those at or above
 * the mark).
 */
static void
test_mark_shown_and_reset(void **state)
{
	char		 path[H_PATH_MAX], body[2048], v[256], p[128];
	char		*job;
	struct api_resp	 r;

	(void)state;
	h_tmpfile("cursor.csv", path, sizeof(path));
	write_file(path, "id,seq,v\n1,1,a\n2,2,b\n3,3,c\n");
	job_body(body, sizeof(body), "incremental", path, ", \"cursor_field\": "
	    "\"seq\", \"initial_value\": \"1\"", ", \"mode\": \"merge\", "
	    "\"primary_key\": [\"id\"]");
	job = api_create_job(&stack, body);
	get_mark(job, v, sizeof(v));
	assert_string_equal(v, "<null>");
	run(job, "success");
	get_mark(job, v, sizeof(v));
	assert_string_equal(v, "3");
	dest_value("SELECT count(*) FROM inc", v, sizeof(v));
	assert_string_equal(v, "3");
	/* without a reset, only the rows at the mark come again */
	api_sql(dconn, "DELETE FROM inc");
	run(job, "success");
	dest_value("SELECT string_agg(id::text, ',' ORDER BY id) FROM inc", v,
	    sizeof(v));
	assert_string_equal(v, "3");
	/* the reset: an operator's request; the job comes back */
	snprintf(p, sizeof(p), "/jobs/%s/cursors?task_order=7", job);
	api_call(&stack, "DELETE", p, stack.admin, NULL, &r);
	api_expect_error(&r, 404, "not_found", "task_order");
	api_resp_free(&r);
	snprintf(p, sizeof(p), "/jobs/%s/cursors?task_order=x", job);
	api_call(&stack, "DELETE", p, stack.admin, NULL, &r);
	api_expect_error(&r, 400, "invalid_value", "task_order");
	api_resp_free(&r);
	snprintf(p, sizeof(p), "/jobs/%s/cursors?task_order=0", job);
	assert_int_equal(api_call(&stack, "DELETE", p, stack.admin, NULL, &r),
	    200);
	task_mark(&r, v, sizeof(v));
	assert_string_equal(v, "<null>");
	assert_string_equal(api_str(r.json, "job_id"), job);
	api_resp_free(&r);
	/* the destination still holds the old mark; the worker skips it */
	dest_value("SELECT string_agg(mark, ',') FROM _ork_cursors", v,
	    sizeof(v));
	assert_string_equal(v, "3");
	api_sql(dconn, "DELETE FROM inc");
	run(job, "success");
	dest_value("SELECT string_agg(id::text, ',' ORDER BY id) FROM inc", v,
	    sizeof(v));
	assert_string_equal(v, "1,2,3");
	get_mark(job, v, sizeof(v));
	assert_string_equal(v, "3");
	/* all tasks of a job at once; unknown jobs are 404 */
	snprintf(p, sizeof(p), "/jobs/%s/cursors", job);
	assert_int_equal(api_call(&stack, "DELETE", p, stack.admin, NULL, &r),
	    200);
	api_resp_free(&r);
	get_mark(job, v, sizeof(v));
	assert_string_equal(v, "<null>");
	api_call(&stack, "DELETE", "/jobs/00000000-0000-0000-0000-000000000000/"
	    "cursors", stack.admin, NULL, &r);
	api_expect_error(&r, 404, "not_found", NULL);
	api_resp_free(&r);
	free(job);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_refused),
		cmocka_unit_test(test_mark_shown_and_reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
