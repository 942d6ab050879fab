/*
 * api_jobs_test.c - ork-api's job routes as a client sees them, over
 * HTTP on loopback against a real PostgreSQL: the issue's create-job
 * body, list pages, replace, patch, delete, and every error class
 * (400 with a field path, 404, 405 with Allow, 409, 413, 415), plus the
 * scheduler's notice (next_fire_at cleared, NOTIFY ork_schedule).
 */
#include <sys/select.h>
#include <time.h>

#include "api_util.h"

static const char issue_example[] =
    "{\"job_name\": \"My Daily Report\", \"description\": \"\xe2\x80\xa6\", "
    "\"schedule\": \"0 0 9 * * *\", \"is_active\": true,\n"
    " \"tasks\": [{\"extractor_config\": {\"type\": \"api\", \"url\": "
    "\"https://\xe2\x80\xa6\"},\n"
    "            \"loader_config\": {\"type\": \"duckdb\", \"db_path\": "
    "\"data_warehouse.db\", \"table_name\": \"daily_sales\"}}]}";

#define NOOP_JOB(name) "{\"job_name\":\"" name "\",\"tasks\":[" \
	"{\"extractor_config\":{\"type\":\"noop\"}}]}"

/* wait_notify waits for NOTIFY ork_schedule with payload want. */
static int
wait_notify(PGconn *c, const char *want, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 50) {
		PGnotify	*n;
		fd_set		 fds;
		struct timeval	 tv = { 0, 50000 };
		int		 fd = PQsocket(c);

		FD_ZERO(&fds);
		FD_SET(fd, &fds);
		(void)select(fd + 1, &fds, NULL, NULL, &tv);
		PQconsumeInput(c);
		while ((n = PQnotifies(c)) != NULL) {
			int match = strcmp(n->relname, "ork_schedule") == 0 &&
			    strcmp(n->extra, want) == 0;

			PQfreemem(n);
			if (match)
				return 1;
		}
	}
	return 0;
}

static void
test_routes_and_methods(void **state)
{
	struct api_stack	s;
	struct api_resp		r;
	char			allow[128];

	(void)state;
	api_stack_start(&s, "api_routes", API_WITH_ORCH, NULL, NULL);
	assert_int_equal(api_call(&s, "GET", "/health", NULL, NULL, &r), 200);
	assert_string_equal(api_str(r.json, "status"), "ok");
	api_resp_free(&r);
	assert_int_equal(api_call(&s, "GET", "/ready", NULL, NULL, &r), 200);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "database")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "orchestrator")));
	api_resp_free(&r);

	/* unknown route: 404 JSON, no field */
	api_call(&s, "GET", "/nope/deeper", s.admin, NULL, &r);
	api_expect_error(&r, 404, "not_found", NULL);
	api_header(&r, "Content-Type", allow, sizeof(allow));
	assert_string_equal(allow, "application/json");
	api_resp_free(&r);
	/* wrong method: 405 with Allow */
	api_call(&s, "DELETE", "/health", NULL, NULL, &r);
	api_expect_error(&r, 405, "method_not_allowed", NULL);
	api_header(&r, "Allow", allow, sizeof(allow));
	assert_string_equal(allow, "GET");
	api_resp_free(&r);
	api_call(&s, "PATCH", "/jobs", s.admin, "{}", &r);
	api_expect_error(&r, 405, "method_not_allowed", NULL);
	api_header(&r, "Allow", allow, sizeof(allow));
	assert_string_equal(allow, "GET, POST");
	api_resp_free(&r);
	api_call(&s, "POST", "/runs/00000000-0000-0000-0000-000000000000",
	    s.admin, NULL, &r);
	api_expect_error(&r, 405, "method_not_allowed", NULL);
	api_header(&r, "Allow", allow, sizeof(allow));
	assert_string_equal(allow, "GET");
	api_resp_free(&r);
	/* a trailing slash is the same route */
	assert_int_equal(api_call(&s, "GET", "/jobs/", s.admin, NULL, &r), 200);
	api_resp_free(&r);
	/* malformed and unknown ids */
	api_call(&s, "GET", "/jobs/not-a-uuid", s.admin, NULL, &r);
	api_expect_error(&r, 400, "invalid_id", "job_id");
	api_resp_free(&r);
	api_call(&s, "GET", "/runs/1234", s.admin, NULL, &r);
	api_expect_error(&r, 400, "invalid_id", "run_id");
	api_resp_free(&r);
	api_call(&s, "GET", "/tasks/0b7a4ad4-3b1e-4a56-b3f4-0e4b3bfc1d8c0",
	    s.admin, NULL, &r);
	api_expect_error(&r, 400, "invalid_id", "task_run_id");
	api_resp_free(&r);
	api_call(&s, "GET", "/jobs/0b7a4ad4-3b1e-4a56-b3f4-0e4b3bfc1d8c",
	    s.admin, NULL, &r);
	api_expect_error(&r, 404, "not_found", NULL);
	api_resp_free(&r);
}

static void
test_create_issue_example(void **state)
{
	struct api_stack	 s;
	struct api_resp		 r, g;
	PGconn			*c;
	const cJSON		*tasks, *t0, *x;
	char			 loc[256], path[128], val[64];
	char			*job_id;

	(void)state;
	api_stack_start(&s, "api_create", 0, NULL, NULL);
	c = h_db_connect(s.db);
	api_sql(c, "LISTEN ork_schedule");

	assert_int_equal(api_call(&s, "POST", "/jobs", s.admin, issue_example,
	    &r), 201);
	job_id = strdup(api_str(r.json, "job_id"));
	assert_int_equal(strlen(job_id), 36);
	api_header(&r, "Location", loc, sizeof(loc));
	snprintf(path, sizeof(path), "/jobs/%s", job_id);
	assert_string_equal(loc, path);
	assert_string_equal(api_str(r.json, "job_name"), "My Daily Report");
	assert_string_equal(api_str(r.json, "description"), "\xe2\x80\xa6");
	assert_string_equal(api_str(r.json, "schedule"), "0 0 9 * * *");
	assert_string_equal(api_str(r.json, "timezone"), "UTC");
	assert_string_equal(api_str(r.json, "overlap"), "queue");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "is_active")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r.json, "next_fire_at")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r.json, "last_run")));
	tasks = cJSON_GetObjectItem(r.json, "tasks");
	assert_int_equal(cJSON_GetArraySize(tasks), 1);
	t0 = cJSON_GetArrayItem(tasks, 0);
	assert_int_equal(strlen(api_str(t0, "task_id")), 36);
	assert_string_equal(api_str(t0, "kind"), "http");
	assert_int_equal(cJSON_GetObjectItem(t0, "task_order")->valueint, 0);
	assert_int_equal(cJSON_GetObjectItem(t0, "max_attempts")->valueint, 3);
	x = cJSON_GetObjectItem(t0, "extractor_config");
	assert_string_equal(api_str(x, "type"), "api");	/* kept as given */
	assert_string_equal(api_str(cJSON_GetObjectItem(t0, "loader_config"),
	    "table_name"), "daily_sales");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(t0, "retry"),
	    "cap_ms")->valueint, 300000);

	/* the scheduler was told, in the same transaction */
	assert_true(wait_notify(c, job_id, 3000));

	/* GET gives the same job */
	assert_int_equal(api_call(&s, "GET", path, s.admin, NULL, &g), 200);
	assert_string_equal(api_str(g.json, "job_id"), job_id);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(g.json,
	    "tasks")), 1);
	api_resp_free(&g);

	/* stored: configs as given; next_fire_at for the scheduler */
	{
		char sql[256];

		snprintf(sql, sizeof(sql), "SELECT (extractor_config->>'type') "
		    "|| ',' || coalesce(j.next_fire_at::text, 'null') FROM "
		    "task_definitions t JOIN job_definitions j USING (job_id) "
		    "WHERE job_id = '%s'", job_id);
		h_db_value(c, sql, val, sizeof(val));
		assert_string_equal(val, "api,null");
	}

	/* the same name again: 409 naming job_name */
	api_resp_free(&r);
	api_call(&s, "POST", "/jobs", s.admin, issue_example, &r);
	api_expect_error(&r, 409, "conflict", "job_name");
	api_resp_free(&r);
	free(job_id);
	PQfinish(c);
}

static void
test_body_errors(void **state)
{
	static const struct {
		const char	*body;
		const char	*code;
		const char	*field;
	} bad[] = {
		{ "{\"job_name\":\"a\",\"tasks\":[{\"extractor_config\":"
		    "{\"type\":\"ftp\"}}]}", "unknown_type",
		    "tasks[0].extractor_config.type" },
		{ "{\"job_name\":\"a\",\"tasks\":[{\"extractor_config\":"
		    "{\"type\":\"csv\",\"path\":\"x\"},\"loader_config\":"
		    "{\"type\":\"duckdb\",\"db_path\":\"w\"}}]}",
		    "missing_field", "tasks[0].loader_config.table_name" },
		{ "{\"job_name\":\"a\",\"tasks\":[{\"extractor_config\":"
		    "{\"type\":\"csv\",\"path\":\"x\"},\"loader_config\":"
		    "{\"type\":\"duckdb\",\"db_path\":\"w\",\"table_name\":"
		    "\"x; DROP TABLE y\"}}]}", "invalid_value",
		    "tasks[0].loader_config.table_name" },
		{ "{\"job_name\":\"a\",\"schedule\":\"0 25 * * *\",\"tasks\":"
		    "[{\"extractor_config\":{\"type\":\"noop\"}}]}",
		    "invalid_value", "schedule" },
		{ "{\"job_name\":\"a\",\"timezone\":\"Nowhere/City\",\"tasks\":"
		    "[{\"extractor_config\":{\"type\":\"noop\"}}]}",
		    "invalid_value", "timezone" },
		{ "{\"job_name\":\"a\",\"tasks\":[{\"extractor_config\":"
		    "{\"type\":\"http\",\"url\":\"https://h\",\"auth\":{\"type\":"
		    "\"bearer\",\"token\":\"abc\"}},\"loader_config\":{\"type\":"
		    "\"duckdb\",\"db_path\":\"w\",\"table_name\":\"t\"}}]}",
		    "secret_in_clear", "tasks[0].extractor_config.auth.token" },
		{ "{\"job_name\":\"a\",\"tasks\":[]}", "invalid_value",
		    "tasks" },
		{ "{\"job_name\":\"a\",\"tasks\":[{\"extractor_config\":"
		    "{\"type\":\"noop\"},\"max_attempts\":0}]}", "invalid_value",
		    "tasks[0].max_attempts" },
		{ "{\"job_name\":\"a\",\"tasks\":[{\"extractor_config\":",
		    "malformed_json", "tasks[0].extractor_config" },
		{ "[]", "invalid_type", NULL },
		{ "{\"jobname\":\"a\"}", "unknown_field", "jobname" },
	};
	struct api_stack	 s;
	struct api_resp		 r;
	char			*big;
	size_t			 n;

	(void)state;
	api_stack_start(&s, "api_errors", 0, NULL, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		api_call(&s, "POST", "/jobs", s.admin, bad[i].body, &r);
		api_expect_error(&r, 400, bad[i].code, bad[i].field);
		api_resp_free(&r);
	}
	/* the secret message says how to pass a reference */
	api_call(&s, "POST", "/jobs", s.admin, bad[5].body, &r);
	assert_non_null(strstr(r.body, "{\\\"env\\\": \\\"NAME\\\"}"));
	api_resp_free(&r);

	/* 415: not JSON, or no content type at all */
	api_call_ct(&s, "POST", "/jobs", s.admin, "text/plain",
	    NOOP_JOB("t"), strlen(NOOP_JOB("t")), NULL, &r);
	api_expect_error(&r, 415, "unsupported_media_type", NULL);
	api_resp_free(&r);
	api_call_ct(&s, "POST", "/jobs", s.admin, "", NOOP_JOB("t"),
	    strlen(NOOP_JOB("t")), NULL, &r);
	api_expect_error(&r, 415, "unsupported_media_type", NULL);
	api_resp_free(&r);
	/* with a charset it is JSON */
	assert_int_equal(api_call_ct(&s, "POST", "/jobs", s.admin,
	    "application/json; charset=utf-8", NOOP_JOB("t"),
	    strlen(NOOP_JOB("t")), NULL, &r), 201);
	api_resp_free(&r);
	/* "Expect: 100-continue" (curl sends it for large bodies) is
	 * answered, so the client does not wait a second to send */
	{
		const char	*expect[] = { "Expect: 100-continue", NULL };
		char		*body = malloc(70000);
		struct timespec	 t0, t1;
		long		 ms;

		assert_non_null(body);
		snprintf(body, 70000, "{\"job_name\":\"expect\","
		    "\"description\":\"%060000d\",\"tasks\":[{"
		    "\"extractor_config\":{\"type\":\"noop\"}}]}", 0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(api_call_ct(&s, "POST", "/jobs", s.admin, NULL,
		    body, strlen(body), expect, &r), 201);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec -
		    t0.tv_nsec) / 1000000;
		assert_true(ms < 800);
		api_resp_free(&r);
		free(body);
	}
	/* no body */
	api_call_ct(&s, "POST", "/jobs", s.admin, NULL, "", 0, NULL, &r);
	api_expect_error(&r, 400, "missing_body", NULL);
	api_resp_free(&r);

	/* 413: one byte over 1 MiB, declared and sent */
	n = 1024 * 1024 + 1;
	big = malloc(n);
	assert_non_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	api_call_ct(&s, "POST", "/jobs", s.admin, NULL, big, n, NULL, &r);
	api_expect_error(&r, 413, "too_large", NULL);
	api_resp_free(&r);
	/* exactly 1 MiB is read (and then judged as JSON) */
	api_call_ct(&s, "POST", "/jobs", s.admin, NULL, big, n - 1, NULL, &r);
	api_expect_error(&r, 400, "malformed_json", NULL);
	api_resp_free(&r);
	/* chunked, without a length: cut at the limit too */
	{
		const char *chunked[] = { "Transfer-Encoding: chunked", NULL };

		api_call_ct(&s, "PUT", "/jobs/0b7a4ad4-3b1e-4a56-b3f4-"
		    "0e4b3bfc1d8c", s.admin, NULL, big, n, chunked, &r);
		api_expect_error(&r, 413, "too_large", NULL);
		api_resp_free(&r);
	}
	free(big);
	/* and the daemon keeps serving */
	assert_int_equal(api_call(&s, "GET", "/health", NULL, NULL, &r), 200);
	api_resp_free(&r);
	assert_int_equal(api_call(&s, "GET", "/jobs", s.admin, NULL, &r), 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "items")), 2);
	api_resp_free(&r);
}

static void
test_list_pages(void **state)
{
	struct api_stack	 s;
	struct api_resp		 r;
	PGconn			*c;
	char			 path[512], cursor[256] = "", prev[64] = "";
	int			 seen = 0, pages = 0;

	(void)state;
	api_stack_start(&s, "api_list", 0, NULL, NULL);
	c = h_db_connect(s.db);
	/* 120 jobs, one created per second back in time, some paused */
	api_sql(c, "INSERT INTO job_definitions (job_name, is_active, "
	    "created_at) SELECT 'job-' || g, g % 4 <> 0, "
	    "now() - g * interval '1 second' FROM generate_series(1, 120) g");
	api_sql(c, "INSERT INTO task_definitions (job_id, task_order, "
	    "extractor_config) SELECT job_id, 0, '{\"type\":\"noop\"}' FROM "
	    "job_definitions");
	/* job-1 gets a run: it shows as last_run */
	api_sql(c, "INSERT INTO job_runs (job_id, status, triggered_by) "
	    "SELECT job_id, 'failed', 'manual' FROM job_definitions WHERE "
	    "job_name = 'job-1'");

	do {
		const cJSON *items, *it;

		snprintf(path, sizeof(path), "/jobs?limit=50%s%s",
		    cursor[0] != '\0' ? "&cursor=" : "", cursor);
		assert_int_equal(api_call(&s, "GET", path, s.admin, NULL, &r),
		    200);
		items = cJSON_GetObjectItem(r.json, "items");
		cJSON_ArrayForEach(it, items) {
			const char *name = api_str(it, "job_name");

			/* newest first: job-1, job-2, ... */
			snprintf(path, sizeof(path), "job-%d", seen + 1);
			assert_string_equal(name, path);
			assert_int_equal(cJSON_GetObjectItem(it,
			    "task_count")->valueint, 1);
			if (seen == 0)
				assert_string_equal(api_str(cJSON_GetObjectItem(
				    it, "last_run"), "status"), "failed");
			else
				assert_true(cJSON_IsNull(cJSON_GetObjectItem(it,
				    "last_run")));
			snprintf(prev, sizeof(prev), "%s", name);
			seen++;
		}
		it = cJSON_GetObjectItem(r.json, "next_cursor");
		snprintf(cursor, sizeof(cursor), "%s", cJSON_IsString(it) ?
		    it->valuestring : "");
		pages++;
		api_resp_free(&r);
	} while (cursor[0] != '\0');
	assert_int_equal(seen, 120);
	assert_int_equal(pages, 3);

	/* default limit 50; filters */
	api_call(&s, "GET", "/jobs", s.admin, NULL, &r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "items")), 50);
	api_resp_free(&r);
	api_call(&s, "GET", "/jobs?is_active=false&limit=500", s.admin, NULL,
	    &r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "items")), 30);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r.json, "next_cursor")));
	api_resp_free(&r);
	api_call(&s, "GET", "/jobs?name=job-77", s.admin, NULL, &r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "items")), 1);
	api_resp_free(&r);

	/* bad page parameters */
	api_call(&s, "GET", "/jobs?limit=0", s.admin, NULL, &r);
	api_expect_error(&r, 400, "invalid_value", "limit");
	api_resp_free(&r);
	api_call(&s, "GET", "/jobs?limit=501", s.admin, NULL, &r);
	api_expect_error(&r, 400, "invalid_value", "limit");
	api_resp_free(&r);
	api_call(&s, "GET", "/jobs?limit=ten", s.admin, NULL, &r);
	api_expect_error(&r, 400, "invalid_value", "limit");
	api_resp_free(&r);
	api_call(&s, "GET", "/jobs?cursor=bm90LWEtY3Vyc29y", s.admin, NULL, &r);
	api_expect_error(&r, 400, "invalid_value", "cursor");
	api_resp_free(&r);
	api_call(&s, "GET", "/jobs?cursor=%25%25", s.admin, NULL, &r);
	api_expect_error(&r, 400, "invalid_value", "cursor");
	api_resp_free(&r);
	api_call(&s, "GET", "/jobs?is_active=maybe", s.admin, NULL, &r);
	api_expect_error(&r, 400, "invalid_value", "is_active");
	api_resp_free(&r);
	PQfinish(c);
}

static void
test_put_patch_delete(void **state)
{
	struct api_stack	 s;
	struct api_resp		 r;
	PGconn			*c;
	char			 path[128], task0[64], val[128], sql[512];
	char			*id;

	(void)state;
	api_stack_start(&s, "api_update", 0, NULL, NULL);
	c = h_db_connect(s.db);
	api_sql(c, "LISTEN ork_schedule");
	id = api_create_job(&s, "{\"job_name\":\"upd\",\"schedule\":"
	    "\"*/5 * * * *\",\"tasks\":[{\"task_name\":\"a\","
	    "\"extractor_config\":{\"type\":\"noop\"}},{\"task_name\":\"b\","
	    "\"extractor_config\":{\"type\":\"command\",\"argv\":"
	    "[\"/bin/true\"]}}]}");
	assert_true(wait_notify(c, id, 3000));
	snprintf(path, sizeof(path), "/jobs/%s", id);
	api_call(&s, "GET", path, s.admin, NULL, &r);
	snprintf(task0, sizeof(task0), "%s", api_str(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(r.json, "tasks"), 0), "task_id"));
	api_resp_free(&r);

	/* PUT: the whole definition; task 0 keeps its id, task 1 goes */
	assert_int_equal(api_call(&s, "PUT", path, s.admin, "{\"job_name\":"
	    "\"upd2\",\"schedule\":\"*/5 * * * *\",\"tasks\":[{\"task_name\":"
	    "\"a2\",\"extractor_config\":{\"type\":\"noop\"},\"max_attempts\":"
	    "7}]}", &r), 200);
	assert_string_equal(api_str(r.json, "job_name"), "upd2");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "tasks")), 1);
	assert_string_equal(api_str(cJSON_GetArrayItem(cJSON_GetObjectItem(
	    r.json, "tasks"), 0), "task_id"), task0);
	assert_string_equal(api_str(cJSON_GetArrayItem(cJSON_GetObjectItem(
	    r.json, "tasks"), 0), "task_name"), "a2");
	api_resp_free(&r);
	/* nothing about the schedule changed: next_fire_at is left alone */
	snprintf(sql, sizeof(sql), "UPDATE job_definitions SET next_fire_at = "
	    "'2030-01-01T00:00:00Z' WHERE job_id = '%s'", id);
	api_sql(c, sql);
	assert_int_equal(api_call(&s, "PATCH", path, s.admin,
	    "{\"description\":\"d\"}", &r), 200);
	assert_string_equal(api_str(r.json, "description"), "d");
	assert_false(cJSON_IsNull(cJSON_GetObjectItem(r.json, "next_fire_at")));
	api_resp_free(&r);
	/* PATCH is_active: cleared, and the scheduler told */
	assert_int_equal(api_call(&s, "PATCH", path, s.admin,
	    "{\"is_active\":false}", &r), 200);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "is_active")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r.json, "next_fire_at")));
	assert_string_equal(api_str(r.json, "job_name"), "upd2");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "tasks")), 1);
	api_resp_free(&r);
	assert_true(wait_notify(c, id, 3000));
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM task_definitions "
	    "WHERE job_id = '%s' AND max_attempts = 7", id);
	h_db_value(c, sql, val, sizeof(val));
	assert_string_equal(val, "1");
	/* PATCH schedule to null (on demand only) */
	assert_int_equal(api_call(&s, "PATCH", path, s.admin,
	    "{\"schedule\":null}", &r), 200);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r.json, "schedule")));
	api_resp_free(&r);
	/* PATCH tasks replaces them */
	assert_int_equal(api_call(&s, "PATCH", path, s.admin, "{\"tasks\":["
	    "{\"extractor_config\":{\"type\":\"noop\"}},{\"extractor_config\":"
	    "{\"type\":\"noop\"}}]}", &r), 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "tasks")), 2);
	api_resp_free(&r);
	/* bad patches */
	api_call(&s, "PATCH", path, s.admin, "{\"max_active_runs\":0}", &r);
	api_expect_error(&r, 400, "invalid_value", "max_active_runs");
	api_resp_free(&r);
	api_call(&s, "PATCH", path, s.admin, "{\"tasks\":[{\"extractor_config\":"
	    "{\"type\":\"noop\",\"x\":1}}]}", &r);
	api_expect_error(&r, 400, "unknown_field",
	    "tasks[0].extractor_config.x");
	api_resp_free(&r);
	api_call(&s, "PATCH", path, s.admin, "[1]", &r);
	api_expect_error(&r, 400, "invalid_type", NULL);
	api_resp_free(&r);
	/* bad PUT, unknown job */
	api_call(&s, "PUT", path, s.admin, "{\"job_name\":\"x\"}", &r);
	api_expect_error(&r, 400, "missing_field", "tasks");
	api_resp_free(&r);
	api_call(&s, "PUT", "/jobs/0b7a4ad4-3b1e-4a56-b3f4-0e4b3bfc1d8c",
	    s.admin, NOOP_JOB("ghost"), &r);
	api_expect_error(&r, 404, "not_found", NULL);
	api_resp_free(&r);
	api_call(&s, "PATCH", "/jobs/0b7a4ad4-3b1e-4a56-b3f4-0e4b3bfc1d8c",
	    s.admin, "{}", &r);
	api_expect_error(&r, 404, "not_found", NULL);
	api_resp_free(&r);
	/* renaming onto another job's name */
	free(api_create_job(&s, NOOP_JOB("other")));
	api_call(&s, "PATCH", path, s.admin, "{\"job_name\":\"other\"}", &r);
	api_expect_error(&r, 409, "conflict", "job_name");
	api_resp_free(&r);

	/* DELETE: refused while a run is active, then done, then 404 */
	snprintf(sql, sizeof(sql), "INSERT INTO job_runs (job_id, status, "
	    "triggered_by) VALUES ('%s', 'running', 'manual')", id);
	api_sql(c, sql);
	api_call(&s, "DELETE", path, s.admin, NULL, &r);
	api_expect_error(&r, 409, "conflict", NULL);
	api_resp_free(&r);
	snprintf(sql, sizeof(sql), "UPDATE job_runs SET status = 'failed', "
	    "finished_at = now() WHERE job_id = '%s'", id);
	api_sql(c, sql);
	snprintf(sql, sizeof(sql), "INSERT INTO task_runs (run_id, job_id, "
	    "task_order, kind, extractor_config, status) SELECT run_id, "
	    "job_id, 1, 'noop', '{}', 'failed' FROM job_runs WHERE job_id = "
	    "'%s'", id);
	api_sql(c, sql);
	assert_int_equal(api_call(&s, "DELETE", path, s.admin, NULL, &r), 204);
	api_resp_free(&r);
	api_call(&s, "GET", path, s.admin, NULL, &r);
	api_expect_error(&r, 404, "not_found", NULL);
	api_resp_free(&r);
	api_call(&s, "DELETE", path, s.admin, NULL, &r);
	api_expect_error(&r, 404, "not_found", NULL);
	api_resp_free(&r);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM task_definitions "
	    "WHERE job_id = '%s'", id);
	h_db_value(c, sql, val, sizeof(val));
	assert_string_equal(val, "0");
	/* the job's runs and task runs went with it */
	snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM job_runs "
	    "WHERE job_id = '%s') + (SELECT count(*) FROM task_runs WHERE "
	    "job_id = '%s')", id, id);
	h_db_value(c, sql, val, sizeof(val));
	assert_string_equal(val, "0");
	free(id);
	PQfinish(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_routes_and_methods,
		    api_teardown),
		cmocka_unit_test_teardown(test_create_issue_example,
		    api_teardown),
		cmocka_unit_test_teardown(test_body_errors, api_teardown),
		cmocka_unit_test_teardown(test_list_pages, api_teardown),
		cmocka_unit_test_teardown(test_put_patch_delete, api_teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
