/*
 * api_runs_test.c - runs and task runs through ork-api with the real
 * orchestrator and a worker: trigger (201, Location), a run's tasks,
 * attempts and logs, cancel and retry and their refusals (409), the
 * aliases under /job_runs; run lists over many rows (keyset pages,
 * filters); what the client gets when the orchestrator is away.
 */
#include "api_util.h"

/* trigger runs a job and returns the new run's id (malloc'd). */
static char *
trigger(const struct api_stack *s, const char *job_id, const char *body)
{
	struct api_resp	 r;
	char		 path[128], loc[256], want[128];
	char		*id;

	snprintf(path, sizeof(path), "/jobs/%s/run", job_id);
	if (api_call(s, "POST", path, s->admin, body, &r) != 201)
		fail_msg("trigger: %ld %s", r.status, r.body);
	id = strdup(api_str(r.json, "run_id"));
	assert_int_equal(strlen(id), 36);
	api_header(&r, "Location", loc, sizeof(loc));
	snprintf(want, sizeof(want), "/runs/%s", id);
	assert_string_equal(loc, want);
	assert_string_equal(api_str(r.json, "triggered_by"), "manual");
	assert_string_equal(api_str(r.json, "job_id"), job_id);
	api_resp_free(&r);
	return id;
}

static void
test_run_tasks_logs(void **state)
{
	struct api_stack	 s;
	struct api_resp		 r;
	const cJSON		*t, *items, *it;
	char			 path[256], task_run[64];
	char			*job, *run;
	int			 hello = 0;

	(void)state;
	api_stack_start(&s, "api_run", API_WITH_ORCH | API_WITH_WORKER, NULL,
	    NULL);
	job = api_create_job(&s, "{\"job_name\":\"echo\",\"is_active\":false,"
	    "\"tasks\":[{\"task_name\":\"say\",\"extractor_config\":{\"type\":"
	    "\"command\",\"argv\":[\"/bin/echo\",\"hello from ork\"]}}]}");
	/* a paused job can still be run by hand; params are stored */
	run = trigger(&s, job, "{\"params\":{\"day\":\"2024-05-01\"}}");
	assert_true(api_wait_run(&s, run, "success", 20000));

	snprintf(path, sizeof(path), "/runs/%s", run);
	assert_int_equal(api_call(&s, "GET", path, s.admin, NULL, &r), 200);
	assert_string_equal(api_str(r.json, "job_name"), "echo");
	assert_string_equal(api_str(cJSON_GetObjectItem(r.json, "params"),
	    "day"), "2024-05-01");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json,
	    "task_counts"), "success")->valueint, 1);
	assert_false(cJSON_IsNull(cJSON_GetObjectItem(r.json, "finished_at")));
	api_resp_free(&r);

	/* its task runs, under /runs and /job_runs */
	snprintf(path, sizeof(path), "/job_runs/%s/tasks", run);
	assert_int_equal(api_call(&s, "GET", path, s.admin, NULL, &r), 200);
	items = cJSON_GetObjectItem(r.json, "items");
	assert_int_equal(cJSON_GetArraySize(items), 1);
	t = cJSON_GetArrayItem(items, 0);
	assert_string_equal(api_str(t, "status"), "success");
	assert_string_equal(api_str(t, "kind"), "command");
	assert_string_equal(api_str(t, "task_name"), "say");
	assert_string_equal(api_str(t, "worker_id"), "w1");
	snprintf(task_run, sizeof(task_run), "%s", api_str(t, "task_run_id"));
	api_resp_free(&r);
	snprintf(path, sizeof(path), "/runs/%s/tasks", run);
	assert_int_equal(api_call(&s, "GET", path, s.admin, NULL, &r), 200);
	api_resp_free(&r);

	/* one task run with its attempts */
	snprintf(path, sizeof(path), "/tasks/%s", task_run);
	assert_int_equal(api_call(&s, "GET", path, s.admin, NULL, &r), 200);
	items = cJSON_GetObjectItem(r.json, "attempts");
	assert_int_equal(cJSON_GetArraySize(items), 1);
	assert_string_equal(api_str(cJSON_GetArrayItem(items, 0), "status"),
	    "success");
	assert_string_equal(api_str(cJSON_GetArrayItem(items, 0), "worker_id"),
	    "w1");
	api_resp_free(&r);

	/* its captured output (shipped by the worker, stored by the
	 * orchestrator, possibly a moment after the run finished) */
	snprintf(path, sizeof(path), "/tasks/%s/logs", task_run);
	for (int i = 0; i < 100 && !hello; i++) {
		assert_int_equal(api_call(&s, "GET", path, s.admin, NULL, &r),
		    200);
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(r.json, "items"))
			if (strstr(api_str(it, "line"), "hello from ork") !=
			    NULL) {
				hello = 1;
				assert_string_equal(api_str(it, "stream"),
				    "stdout");
			}
		assert_true(cJSON_IsString(cJSON_GetObjectItem(r.json,
		    "follow_cursor")));
		api_resp_free(&r);
		if (!hello)
			h_sleep_ms(100);
	}
	assert_true(hello);

	/* the job's runs */
	snprintf(path, sizeof(path), "/jobs/%s/runs", job);
	assert_int_equal(api_call(&s, "GET", path, s.admin, NULL, &r), 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "items")), 1);
	assert_string_equal(api_str(cJSON_GetArrayItem(cJSON_GetObjectItem(
	    r.json, "items"), 0), "run_id"), run);
	api_resp_free(&r);
	api_call(&s, "GET", "/jobs/0b7a4ad4-3b1e-4a56-b3f4-0e4b3bfc1d8c/runs",
	    s.admin, NULL, &r);
	api_expect_error(&r, 404, "not_found", NULL);
	api_resp_free(&r);
	/* the job list shows it as the last run */
	assert_int_equal(api_call(&s, "GET", "/jobs", s.admin, NULL, &r), 200);
	assert_string_equal(api_str(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(r.json, "items"), 0), "last_run"), "run_id"),
	    run);
	api_resp_free(&r);

	/* workers */
	assert_int_equal(api_call(&s, "GET", "/workers", s.admin, NULL, &r),
	    200);
	assert_string_equal(api_str(cJSON_GetArrayItem(cJSON_GetObjectItem(
	    r.json, "items"), 0), "worker_id"), "w1");
	api_resp_free(&r);

	/* trigger refusals */
	api_call(&s, "POST", "/jobs/0b7a4ad4-3b1e-4a56-b3f4-0e4b3bfc1d8c/run",
	    s.admin, NULL, &r);
	api_expect_error(&r, 404, "not_found", NULL);
	api_resp_free(&r);
	snprintf(path, sizeof(path), "/jobs/%s/run", job);
	api_call(&s, "POST", path, s.admin, "{\"params\":{\"api_token\":"
	    "\"abc\"}}", &r);
	api_expect_error(&r, 400, "secret_in_clear", "params.api_token");
	api_resp_free(&r);
	api_call(&s, "POST", path, s.admin, "{\"param\":{}}", &r);
	api_expect_error(&r, 400, "unknown_field", "param");
	api_resp_free(&r);
	api_call(&s, "POST", path, s.admin, "{\"params\":[]}", &r);
	api_expect_error(&r, 400, "invalid_type", "params");
	api_resp_free(&r);
	api_call(&s, "POST", path, s.admin, "{\"params\":", &r);
	api_expect_error(&r, 400, "malformed_json", "params");
	api_resp_free(&r);
	/* unknown run and task run */
	api_call(&s, "GET", "/runs/0b7a4ad4-3b1e-4a56-b3f4-0e4b3bfc1d8c",
	    s.admin, NULL, &r);
	api_expect_error(&r, 404, "not_found", NULL);
	api_resp_free(&r);
	api_call(&s, "GET", "/runs/0b7a4ad4-3b1e-4a56-b3f4-0e4b3bfc1d8c/tasks",
	    s.admin, NULL, &r);
	api_expect_error(&r, 404, "not_found", NULL);
	api_resp_free(&r);
	api_call(&s, "GET", "/tasks/0b7a4ad4-3b1e-4a56-b3f4-0e4b3bfc1d8c",
	    s.admin, NULL, &r);
	api_expect_error(&r, 404, "not_found", NULL);
	api_resp_free(&r);
	api_call(&s, "GET", "/tasks/0b7a4ad4-3b1e-4a56-b3f4-0e4b3bfc1d8c/logs",
	    s.admin, NULL, &r);
	api_expect_error(&r, 404, "not_found", NULL);
	api_resp_free(&r);
	free(job);
	free(run);
}

static void
test_cancel_and_retry(void **state)
{
	struct api_stack	 s;
	struct api_resp		 r;
	char			 path[256];
	char			*sleeper, *failer, *run, *frun;

	(void)state;
	api_stack_start(&s, "api_cancel", API_WITH_ORCH | API_WITH_WORKER,
	    NULL, NULL);
	sleeper = api_create_job(&s, "{\"job_name\":\"sleeper\",\"tasks\":["
	    "{\"extractor_config\":{\"type\":\"command\",\"argv\":"
	    "[\"/bin/sleep\",\"30\"]}}]}");
	failer = api_create_job(&s, "{\"job_name\":\"failer\",\"tasks\":["
	    "{\"extractor_config\":{\"type\":\"command\",\"argv\":"
	    "[\"/bin/false\"]},\"max_attempts\":1}]}");

	/* cancel a running run: 200 cancelled, or 202 while it stops */
	run = trigger(&s, sleeper, NULL);
	assert_true(api_wait_run(&s, run, "running", 20000));
	snprintf(path, sizeof(path), "/runs/%s/retry", run);
	api_call(&s, "POST", path, s.admin, NULL, &r);
	api_expect_error(&r, 409, "conflict", NULL);	/* not finished */
	api_resp_free(&r);
	snprintf(path, sizeof(path), "/runs/%s/cancel", run);
	api_call(&s, "POST", path, s.admin, "{\"reason\":\"test\"}", &r);
	if (r.status != 200 && r.status != 202)
		fail_msg("cancel: %ld %s", r.status, r.body);
	assert_string_equal(api_str(r.json, "run_id"), run);
	api_resp_free(&r);
	assert_true(api_wait_run(&s, run, "cancelled", 20000));
	/* cancelling it again: 409, saying its status */
	api_call(&s, "POST", path, s.admin, NULL, &r);
	api_expect_error(&r, 409, "conflict", NULL);
	assert_non_null(strstr(r.body, "cancelled"));
	api_resp_free(&r);
	api_call(&s, "POST", path, s.admin, "{\"why\":1}", &r);
	api_expect_error(&r, 400, "unknown_field", "why");
	api_resp_free(&r);
	api_call(&s, "POST", "/runs/0b7a4ad4-3b1e-4a56-b3f4-0e4b3bfc1d8c/cancel",
	    s.admin, NULL, &r);
	api_expect_error(&r, 404, "not_found", NULL);
	api_resp_free(&r);

	/* a cancelled run can be retried (through the alias) */
	snprintf(path, sizeof(path), "/job_runs/%s/retry", run);
	assert_int_equal(api_call(&s, "POST", path, s.admin, NULL, &r), 200);
	assert_int_equal(cJSON_GetObjectItem(r.json, "tasks_requeued")->valueint,
	    1);
	api_resp_free(&r);
	assert_true(api_wait_run(&s, run, "running", 20000));
	snprintf(path, sizeof(path), "/job_runs/%s/cancel", run);
	api_call(&s, "POST", path, s.admin, NULL, &r);
	assert_true(r.status == 200 || r.status == 202);
	api_resp_free(&r);
	assert_true(api_wait_run(&s, run, "cancelled", 20000));

	/* a failed run: retry requeues its failed task */
	frun = trigger(&s, failer, NULL);
	assert_true(api_wait_run(&s, frun, "failed", 20000));
	snprintf(path, sizeof(path), "/runs/%s/cancel", frun);
	api_call(&s, "POST", path, s.admin, NULL, &r);
	api_expect_error(&r, 409, "conflict", NULL);
	assert_non_null(strstr(r.body, "failed"));
	api_resp_free(&r);
	snprintf(path, sizeof(path), "/runs/%s/retry", frun);
	assert_int_equal(api_call(&s, "POST", path, s.admin, NULL, &r), 200);
	assert_int_equal(cJSON_GetObjectItem(r.json, "tasks_requeued")->valueint,
	    1);
	api_resp_free(&r);
	assert_true(api_wait_run(&s, frun, "failed", 20000));
	api_call(&s, "POST", "/runs/0b7a4ad4-3b1e-4a56-b3f4-0e4b3bfc1d8c/retry",
	    s.admin, NULL, &r);
	api_expect_error(&r, 404, "not_found", NULL);
	api_resp_free(&r);
	free(sleeper);
	free(failer);
	free(run);
	free(frun);
}

static void
test_run_lists(void **state)
{
	struct api_stack	 s;
	struct api_resp		 r;
	PGconn			*c;
	char			 job_a[64], job_b[64], run[64], task_run[64];
	char			 path[512], cursor[256] = "", sql[1024];
	int			 seen = 0, pages = 0;
	int64_t			 prev = INT64_MAX;

	(void)state;
	api_stack_start(&s, "api_lists", 0, NULL, NULL);
	c = h_db_connect(s.db);
	api_sql(c, "INSERT INTO job_definitions (job_name) VALUES ('a'), "
	    "('b')");
	h_db_value(c, "SELECT job_id FROM job_definitions WHERE job_name = "
	    "'a'", job_a, sizeof(job_a));
	h_db_value(c, "SELECT job_id FROM job_definitions WHERE job_name = "
	    "'b'", job_b, sizeof(job_b));
	/* 130 runs of a (every fifth failed), 20 of b, all at one instant
	 * in pairs: the keyset must order by (created_at, run_id) */
	snprintf(sql, sizeof(sql), "INSERT INTO job_runs (job_id, status, "
	    "triggered_by, created_at) SELECT CASE WHEN g <= 130 THEN "
	    "'%s'::uuid ELSE '%s'::uuid END, CASE WHEN g %% 5 = 0 THEN "
	    "'failed' ELSE 'success' END, 'manual', timestamptz "
	    "'2024-05-01T00:00:00Z' + (g / 2) * interval '1 minute' FROM "
	    "generate_series(1, 150) g", job_a, job_b);
	api_sql(c, sql);

	do {
		const cJSON *it;

		snprintf(path, sizeof(path), "/runs?limit=40%s%s",
		    cursor[0] != '\0' ? "&cursor=" : "", cursor);
		assert_int_equal(api_call(&s, "GET", path, s.admin, NULL, &r),
		    200);
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(r.json, "items")) {
			char	q[256], v[64];
			int64_t	at;

			snprintf(q, sizeof(q), "SELECT (extract(epoch FROM "
			    "created_at) * 1000000)::int8 FROM job_runs WHERE "
			    "run_id = '%s'", api_str(it, "run_id"));
			h_db_value(c, q, v, sizeof(v));
			at = strtoll(v, NULL, 10);
			assert_true(at <= prev);	/* newest first */
			prev = at;
			seen++;
		}
		it = cJSON_GetObjectItem(r.json, "next_cursor");
		snprintf(cursor, sizeof(cursor), "%s", cJSON_IsString(it) ?
		    it->valuestring : "");
		pages++;
		api_resp_free(&r);
	} while (cursor[0] != '\0');
	assert_int_equal(seen, 150);
	assert_int_equal(pages, 4);
	/* no run twice: count distinct through the same pages */
	{
		char v[16];

		h_db_value(c, "SELECT count(DISTINCT run_id) FROM job_runs", v,
		    sizeof(v));
		assert_string_equal(v, "150");
	}

	/* filters */
	snprintf(path, sizeof(path), "/runs?job_id=%s&limit=500", job_b);
	api_call(&s, "GET", path, s.admin, NULL, &r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "items")), 20);
	api_resp_free(&r);
	api_call(&s, "GET", "/runs?status=failed&limit=500", s.admin, NULL, &r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "items")), 30);
	api_resp_free(&r);
	snprintf(path, sizeof(path), "/job_runs?job_id=%s&status=failed&"
	    "since=2024-05-01T01:00:00Z&limit=500", job_a);
	api_call(&s, "GET", path, s.admin, NULL, &r);
	/* g in 120..130 with g % 5 = 0: 120, 125, 130 */
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "items")), 3);
	api_resp_free(&r);
	snprintf(path, sizeof(path), "/jobs/%s/runs?status=success&limit=5",
	    job_a);
	api_call(&s, "GET", path, s.admin, NULL, &r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "items")), 5);
	assert_true(cJSON_IsString(cJSON_GetObjectItem(r.json, "next_cursor")));
	api_resp_free(&r);
	api_call(&s, "GET", "/runs?status=done", s.admin, NULL, &r);
	api_expect_error(&r, 400, "invalid_value", "status");
	api_resp_free(&r);
	api_call(&s, "GET", "/runs?since=yesterday", s.admin, NULL, &r);
	api_expect_error(&r, 400, "invalid_value", "since");
	api_resp_free(&r);
	api_call(&s, "GET", "/runs?job_id=42", s.admin, NULL, &r);
	api_expect_error(&r, 400, "invalid_id", "job_id");
	api_resp_free(&r);

	/* times as RFC 3339 UTC, around PostgreSQL's epoch and far off */
	{
		static const char *const times[] = {
			"1970-01-01T00:00:00.000000Z",
			"1999-12-31T23:59:59.999999Z",
			"2000-01-01T00:00:00.000001Z",
			"2024-02-29T12:34:56.789012Z",
			"9999-12-31T23:59:59.999999Z",
		};
		char job_c[64];

		api_sql(c, "INSERT INTO job_definitions (job_name) VALUES "
		    "('times')");
		h_db_value(c, "SELECT job_id FROM job_definitions WHERE "
		    "job_name = 'times'", job_c, sizeof(job_c));
		for (size_t i = 0; i < 5; i++) {
			char	v[64];

			snprintf(sql, sizeof(sql), "INSERT INTO job_runs (job_id, "
			    "triggered_by, scheduled_for) VALUES ('%s', 'manual', "
			    "'%s') RETURNING run_id", job_c, times[i]);
			h_db_value(c, sql, v, sizeof(v));
			snprintf(path, sizeof(path), "/runs/%s", v);
			assert_int_equal(api_call(&s, "GET", path, s.admin,
			    NULL, &r), 200);
			assert_string_equal(api_str(r.json, "scheduled_for"),
			    times[i]);
			assert_string_equal(api_str(r.json, "job_name"),
			    "times");
			api_resp_free(&r);
		}
		snprintf(path, sizeof(path), "/runs?job_id=%s", job_c);
		api_call(&s, "GET", path, s.admin, NULL, &r);
		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
		    "items")), 5);
		assert_string_equal(api_str(cJSON_GetArrayItem(
		    cJSON_GetObjectItem(r.json, "items"), 0), "job_name"), "times");
		api_resp_free(&r);
		/* renamed through this api: run lists say so at once */
		snprintf(path, sizeof(path), "/jobs/%s", job_c);
		assert_int_equal(api_call(&s, "PATCH", path, s.admin,
		    "{\"job_name\":\"times2\",\"tasks\":[{\"extractor_config\":"
		    "{\"type\":\"noop\"}}]}", &r), 200);
		api_resp_free(&r);
		snprintf(path, sizeof(path), "/runs?job_id=%s", job_c);
		api_call(&s, "GET", path, s.admin, NULL, &r);
		assert_string_equal(api_str(cJSON_GetArrayItem(
		    cJSON_GetObjectItem(r.json, "items"), 0), "job_name"),
		    "times2");
		api_resp_free(&r);
	}

	/* log pages: 12 lines over 2 attempts */
	h_db_value(c, "SELECT run_id FROM job_runs LIMIT 1", run, sizeof(run));
	snprintf(sql, sizeof(sql), "INSERT INTO task_runs (run_id, job_id, "
	    "task_order, kind, extractor_config, status, attempt) VALUES "
	    "('%s', '%s', 0, 'noop', '{\"type\":\"noop\"}', 'failed', 2) "
	    "RETURNING task_run_id", run, job_a);
	h_db_value(c, sql, task_run, sizeof(task_run));
	snprintf(sql, sizeof(sql), "INSERT INTO task_logs (task_run_id, "
	    "attempt, stream, line) SELECT '%s', CASE WHEN g <= 4 THEN 1 ELSE "
	    "2 END, 'stdout', 'line ' || g FROM generate_series(1, 12) g",
	    task_run);
	api_sql(c, sql);
	{
		char	follow[256] = "";
		int	lines = 0;

		cursor[0] = '\0';
		do {
			const cJSON *it;

			snprintf(path, sizeof(path), "/tasks/%s/logs?limit=5%s%s",
			    task_run, cursor[0] != '\0' ? "&cursor=" : "",
			    cursor);
			assert_int_equal(api_call(&s, "GET", path, s.admin,
			    NULL, &r), 200);
			cJSON_ArrayForEach(it, cJSON_GetObjectItem(r.json,
			    "items")) {
				char want[32];

				snprintf(want, sizeof(want), "line %d",
				    ++lines);
				assert_string_equal(api_str(it, "line"), want);
			}
			it = cJSON_GetObjectItem(r.json, "next_cursor");
			snprintf(cursor, sizeof(cursor), "%s",
			    cJSON_IsString(it) ? it->valuestring : "");
			snprintf(follow, sizeof(follow), "%s", api_str(r.json,
			    "follow_cursor"));
			api_resp_free(&r);
		} while (cursor[0] != '\0');
		assert_int_equal(lines, 12);
		/* polling after the end: nothing yet, then the next line */
		snprintf(path, sizeof(path), "/tasks/%s/logs?cursor=%s",
		    task_run, follow);
		api_call(&s, "GET", path, s.admin, NULL, &r);
		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
		    "items")), 0);
		assert_string_equal(api_str(r.json, "follow_cursor"), follow);
		api_resp_free(&r);
		snprintf(sql, sizeof(sql), "INSERT INTO task_logs (task_run_id, "
		    "attempt, stream, line) VALUES ('%s', 2, 'stderr', "
		    "'late')", task_run);
		api_sql(c, sql);
		api_call(&s, "GET", path, s.admin, NULL, &r);
		assert_string_equal(api_str(cJSON_GetArrayItem(
		    cJSON_GetObjectItem(r.json, "items"), 0), "line"), "late");
		api_resp_free(&r);
	}
	snprintf(path, sizeof(path), "/tasks/%s/logs?attempt=1", task_run);
	api_call(&s, "GET", path, s.admin, NULL, &r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "items")), 4);
	api_resp_free(&r);
	snprintf(path, sizeof(path), "/tasks/%s/logs?attempt=0", task_run);
	api_call(&s, "GET", path, s.admin, NULL, &r);
	api_expect_error(&r, 400, "invalid_value", "attempt");
	api_resp_free(&r);
	snprintf(path, sizeof(path), "/tasks/%s/logs?cursor=abc", task_run);
	api_call(&s, "GET", path, s.admin, NULL, &r);
	api_expect_error(&r, 400, "invalid_value", "cursor");
	api_resp_free(&r);
	snprintf(path, sizeof(path), "/tasks/%s/logs?limit=5001", task_run);
	api_call(&s, "GET", path, s.admin, NULL, &r);
	api_expect_error(&r, 400, "invalid_value", "limit");
	api_resp_free(&r);
	PQfinish(c);
}

/* No orchestrator: state changes answer 504 fast, reads still work. */
static void
test_orchestrator_away(void **state)
{
	const char		*args[] = { "--request-timeout-ms=300", NULL };
	struct api_stack	 s;
	struct api_resp		 r;
	char			 path[128], ready[16];
	char			*job;

	(void)state;
	api_stack_start(&s, "api_away", 0, args, NULL);
	job = api_create_job(&s, "{\"job_name\":\"x\",\"tasks\":[{"
	    "\"extractor_config\":{\"type\":\"noop\"}}]}");
	snprintf(path, sizeof(path), "/jobs/%s/run", job);
	api_call(&s, "POST", path, s.admin, NULL, &r);
	api_expect_error(&r, 504, "orchestrator_timeout", NULL);
	api_header(&r, "Retry-After", ready, sizeof(ready));
	assert_string_equal(ready, "5");
	api_resp_free(&r);
	api_call(&s, "GET", "/ready", NULL, NULL, &r);
	assert_int_equal(r.status, 503);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(r.json, "orchestrator")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "database")));
	api_resp_free(&r);
	assert_int_equal(api_call(&s, "GET", "/runs", s.admin, NULL, &r), 200);
	api_resp_free(&r);
	free(job);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_run_tasks_logs, api_teardown),
		cmocka_unit_test_teardown(test_cancel_and_retry, api_teardown),
		cmocka_unit_test_teardown(test_run_lists, api_teardown),
		cmocka_unit_test_teardown(test_orchestrator_away,
		    api_teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
