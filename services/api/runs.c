/*
 * runs.c - runs and task runs: lists (keyset pages on the indexes of
 * created_at, newest first), one run, its task runs, a task run with its
 * attempts, its log lines; cancel and retry go to the orchestrator.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "err.h"
#include "log.h"
#include "taskcfg.h"

/* A run's columns, from job_runs r (and its job's name). */
#define RUN_COLUMNS \
	"r.run_id, r.job_id, (SELECT j.job_name FROM job_definitions j " \
	"WHERE j.job_id = r.job_id), r.status, r.triggered_by, " \
	"r.scheduled_for, r.params, r.trace_id, r.started_at, " \
	"r.finished_at, r.error_message, r.created_at, r.updated_at"
#define RUN_CREATED_COL	11

/* In lists the job's name comes from names.c, not from the database. */
#define RUN_LIST_COLUMNS \
	"r.run_id, r.job_id, NULL::text, r.status, r.triggered_by, " \
	"r.scheduled_for, r.params, r.trace_id, r.started_at, " \
	"r.finished_at, r.error_message, r.created_at, r.updated_at"
#define RUN_JOB_COL	1
#define RUN_NAME_COL	2

static const struct sql_field run_fields[] = {
	SQL_F("run_id", SQL_UUID), SQL_F("job_id", SQL_UUID),
	SQL_F("job_name", SQL_TEXT), SQL_F("status", SQL_TEXT),
	SQL_F("triggered_by", SQL_TEXT), SQL_F("scheduled_for", SQL_TIME),
	SQL_F("params", SQL_JSON), SQL_F("trace_id", SQL_TEXT),
	SQL_F("started_at", SQL_TIME), SQL_F("finished_at", SQL_TIME),
	SQL_F("error_message", SQL_TEXT), SQL_F("created_at", SQL_TIME),
	SQL_F("updated_at", SQL_TIME),
};

/* A task run's columns, from task_runs t and task_definitions d. */
#define TASK_RUN_COLUMNS \
	"t.task_run_id, t.run_id, t.job_id, t.task_id, t.task_order, " \
	"d.task_name, t.kind, t.status, t.attempt, t.max_attempts, " \
	"t.timeout_seconds, t.retry_base_ms, t.retry_cap_ms, " \
	"t.available_at, t.lease_owner, t.lease_expires_at, " \
	"t.cancel_requested, t.rows_moved, t.error_message, t.started_at, " \
	"t.finished_at, t.created_at, t.updated_at, t.extractor_config, " \
	"t.loader_config"

static const struct sql_field task_run_fields[] = {
	SQL_F("task_run_id", SQL_UUID), SQL_F("run_id", SQL_UUID),
	SQL_F("job_id", SQL_UUID), SQL_F("task_id", SQL_UUID),
	SQL_F("task_order", SQL_INT), SQL_F("task_name", SQL_TEXT),
	SQL_F("kind", SQL_TEXT), SQL_F("status", SQL_TEXT), SQL_F("attempt", SQL_INT),
	SQL_F("max_attempts", SQL_INT), SQL_F("timeout_seconds", SQL_INT),
	SQL_F("retry", SQL_OBJ), SQL_F("base_ms", SQL_INT), SQL_F("cap_ms", SQL_INT),
	SQL_F_END,
	SQL_F("available_at", SQL_TIME), SQL_F("worker_id", SQL_TEXT),
	SQL_F("lease_expires_at", SQL_TIME), SQL_F("cancel_requested", SQL_BOOL),
	SQL_F("rows_moved", SQL_INT), SQL_F("error_message", SQL_TEXT),
	SQL_F("started_at", SQL_TIME), SQL_F("finished_at", SQL_TIME),
	SQL_F("created_at", SQL_TIME), SQL_F("updated_at", SQL_TIME),
	SQL_F("extractor_config", SQL_JSON), SQL_F("loader_config", SQL_JSON),
};

static const struct sql_field log_fields[] = {
	SQL_F("log_id", SQL_INT), SQL_F("attempt", SQL_INT),
	SQL_F("logged_at", SQL_TIME), SQL_F("stream", SQL_TEXT),
	SQL_F("line", SQL_TEXT),
};

static const char *const run_statuses[] = { "queued", "running", "success",
    "failed", "cancelled", "skipped", NULL };

static const struct sql_stmt run_get_stmt = {
	"run_get",
	"SELECT " RUN_COLUMNS ", (SELECT coalesce(json_object_agg(s.status, "
	"s.n), '{}'::json) FROM (SELECT status, count(*) AS n FROM task_runs "
	"WHERE run_id = r.run_id GROUP BY status) s) FROM job_runs r "
	"WHERE r.run_id = $1::uuid",
	1, 1
};

static const struct sql_stmt job_names_stmt = {
	"job_names",
	"SELECT job_id, job_name FROM job_definitions WHERE job_id = "
	"ANY($1::uuid[])",
	1, 1
};

static const struct sql_stmt run_status_stmt = {
	"run_status",
	"SELECT status FROM job_runs WHERE run_id = $1::uuid",
	1, 0
};

static const struct sql_stmt run_tasks_stmt = {
	"run_tasks",
	"SELECT " TASK_RUN_COLUMNS " FROM task_runs t LEFT JOIN "
	"task_definitions d ON d.task_id = t.task_id WHERE t.run_id = "
	"$1::uuid ORDER BY t.task_order",
	1, 1
};

static const struct sql_stmt task_get_stmt = {
	"task_get",
	"SELECT " TASK_RUN_COLUMNS ", (SELECT coalesce(json_agg("
	"json_build_object('attempt', a.attempt, 'worker_id', a.worker_id, "
	"'status', a.status, 'rows_moved', a.rows_moved, 'error_message', "
	"a.error_message, 'started_at', a.started_at, 'finished_at', "
	"a.finished_at) ORDER BY a.attempt), '[]'::json) FROM task_attempts a "
	"WHERE a.task_run_id = t.task_run_id) FROM task_runs t LEFT JOIN "
	"task_definitions d ON d.task_id = t.task_id WHERE t.task_run_id = "
	"$1::uuid",
	1, 1
};

static const struct sql_stmt task_exists_stmt = {
	"task_exists",
	"SELECT 1 FROM task_runs WHERE task_run_id = $1::uuid",
	1, 0
};

#define LOG_COLUMNS "log_id, attempt, logged_at, stream, line"

static const struct sql_stmt logs_stmt = {
	"task_logs",
	"SELECT * FROM (SELECT " LOG_COLUMNS " FROM task_logs WHERE "
	"task_run_id = $1::uuid AND log_id > $2::int8 ORDER BY log_id "
	"LIMIT 5001) page LIMIT $3::int",
	3, 1
};

static const struct sql_stmt logs_attempt_stmt = {
	"task_logs_attempt",
	"SELECT * FROM (SELECT " LOG_COLUMNS " FROM task_logs WHERE "
	"task_run_id = $1::uuid AND log_id > $2::int8 AND attempt = $4::int "
	"ORDER BY log_id LIMIT 5001) page LIMIT $3::int",
	4, 1
};

/* The statements of GET /runs: filters job_id, status, since. */
#define RL_CURSOR	0x1
#define RL_JOB		0x2
#define RL_STATUS	0x4
#define RL_SINCE	0x8

static const char *const list_filters[] = {
	" AND r.job_id = $?::uuid",
	" AND r.status = $?",
	" AND r.created_at >= $?::timestamptz",
};

static struct sql_list	 list_runs = {
	"runs_list",
	"SELECT " RUN_LIST_COLUMNS " FROM job_runs r WHERE true",
	"r.created_at", "r.run_id", list_filters, 3,
	{ { NULL, NULL, 0, 0 } }, { "" }, { "" }
};
static pthread_once_t	 list_once = PTHREAD_ONCE_INIT;

static void
build_lists(void)
{
	sql_list_build(&list_runs);
}

/* The job name of one run of a page. */
struct run_name {
	int	known;
	char	text[TASKCFG_NAME_MAX * 4 + 1];
};

/*
 * job_names finds the job name of each of the first rows runs of res:
 * from names.c, and those not known there with one query.  Returns 0
 * or a project error with msg.
 */
static int
job_names(struct req *r, PGconn *c, const PGresult *res, int rows,
    struct run_name *out, char *msg, size_t msglen)
{
	struct json_buf	 ids;
	PGresult	*found;
	const char	*values[1];
	char		 id[UTIL_UUID_LEN + 1];
	int64_t		 now = util_mono_ms();
	int		 missing = 0, err;

	names_lock(r->a->names);
	for (int i = 0; i < rows; i++) {
		out[i].known = PQgetlength(res, i, RUN_JOB_COL) == 16 &&
		    names_get_locked(r->a->names, (const unsigned char *)
		    PQgetvalue(res, i, RUN_JOB_COL), now, out[i].text,
		    sizeof(out[i].text));
		missing += !out[i].known;
	}
	names_unlock(r->a->names);
	if (missing == 0)
		return 0;
	json_buf_init(&ids, 64 * 1024);
	json_buf_add(&ids, "{", 1);
	missing = 0;
	for (int i = 0; i < rows; i++) {
		if (out[i].known || PQgetlength(res, i, RUN_JOB_COL) != 16)
			continue;
		sql_uuid(res, i, RUN_JOB_COL, id);
		if (missing++ > 0)
			json_buf_add(&ids, ",", 1);
		json_buf_puts(&ids, id);
	}
	json_buf_add(&ids, "}", 1);
	if (missing == 0 || (err = json_buf_ok(&ids)) != 0) {
		json_buf_free(&ids);
		return 0;
	}
	values[0] = ids.data;
	found = sql_run(c, &job_names_stmt, values, &err, msg, msglen);
	json_buf_free(&ids);
	if (found == NULL)
		return err;
	for (int k = 0; k < PQntuples(found); k++) {
		const unsigned char *job = (const unsigned char *)PQgetvalue(
		    found, k, 0);
		const char *name = PQgetvalue(found, k, 1);
		size_t len = (size_t)PQgetlength(found, k, 1);

		if (PQgetlength(found, k, 0) != 16 ||
		    len >= sizeof(out[0].text))
			continue;
		names_put(r->a->names, job, name, len);
		for (int i = 0; i < rows; i++)
			if (!out[i].known && memcmp(PQgetvalue(res, i,
			    RUN_JOB_COL), job, 16) == 0) {
				memcpy(out[i].text, name, len);
				out[i].text[len] = '\0';
				out[i].known = 1;
			}
	}
	PQclear(found);
	return 0;
}

/* list answers a page of runs; job_id (may be NULL) is a filter. */
static int
list(struct req *r, const char *job_id)
{
	struct page	 pg;
	struct json_buf	 b;
	PGconn		*c;
	PGresult	*res;
	const char	*values[8];
	char		 limit[16], at[32], status[32], since[64], msg[256];
	char		 qjob[UTIL_UUID_LEN + 1], id[UTIL_UUID_LEN + 1];
	struct run_name	*names;
	int		 rc, err, m = 0, n = 0, rows, present;

	pthread_once(&list_once, build_lists);
	if ((rc = http_page(r, API_LIMIT_DEFAULT, API_LIMIT_MAX, &pg)) != 0)
		return rc;
	snprintf(limit, sizeof(limit), "%d", pg.limit + 1);
	values[n++] = limit;
	if (pg.has_cursor) {
		m |= RL_CURSOR;
		snprintf(at, sizeof(at), "%lld", (long long)pg.at_us);
		values[n++] = at;
		values[n++] = pg.id;
	}
	if (job_id == NULL) {
		if ((rc = http_query_uuid(r, "job_id", qjob, &present)) != 0)
			return rc;
		if (present)
			job_id = qjob;
	}
	if (job_id != NULL) {
		m |= RL_JOB;
		values[n++] = job_id;
	}
	if ((rc = http_query(r, "status", status, sizeof(status))) < 0)
		return -rc;
	if (rc > 0 && status[0] != '\0') {
		int known = 0;

		for (const char *const *s = run_statuses; *s != NULL; s++)
			known |= strcmp(*s, status) == 0;
		if (!known)
			return http_error(r, 400, "invalid_value", "status",
			    "status must be one of queued, running, success, "
			    "failed, cancelled, skipped");
		m |= RL_STATUS;
		values[n++] = status;
	}
	if ((rc = http_query(r, "since", since, sizeof(since))) < 0)
		return -rc;
	if (rc > 0 && since[0] != '\0') {
		if (!text_rfc3339_valid(since))
			return http_error(r, 400, "invalid_value", "since",
			    "since must be a date-time such as "
			    "2024-05-01T09:00:00Z");
		m |= RL_SINCE;
		values[n++] = since;
	}
	if ((rc = sql_conn(r, &c)) != 0)
		return rc;
	res = sql_run(c, &list_runs.stmts[m], values, &err, msg, sizeof(msg));
	if (res == NULL) {
		sql_release(r, c);
		return http_fail(r, err, "could not list runs");
	}
	rows = PQntuples(res);
	if (rows > pg.limit)
		rows = pg.limit;
	if ((names = malloc((size_t)(rows > 0 ? rows : 1) *
	    sizeof(*names))) == NULL) {
		sql_release(r, c);
		PQclear(res);
		return http_error(r, 500, "internal", NULL, "out of memory");
	}
	err = job_names(r, c, res, rows, names, msg, sizeof(msg));
	sql_release(r, c);
	if (err != 0) {
		free(names);
		PQclear(res);
		return http_fail(r, err, "could not read job names");
	}
	json_buf_init(&b, API_REPLY_MAX);
	json_buf_reserve(&b, (size_t)rows * 700 + 256);
	json_buf_puts(&b, "{\"items\":[");
	for (int i = 0; i < rows; i++) {
		int col;

		json_buf_add(&b, i > 0 ? ",{" : "{", i > 0 ? 2 : 1);
		col = sql_fields(&b, res, i, 0, run_fields, RUN_NAME_COL);
		json_buf_puts(&b, ",\"job_name\":");
		if (names[i].known)
			json_buf_str(&b, names[i].text);
		else
			json_buf_puts(&b, "null");
		json_buf_add(&b, ",", 1);
		(void)sql_fields(&b, res, i, col + 1, run_fields +
		    RUN_NAME_COL + 1, SQL_NFIELDS(run_fields) - RUN_NAME_COL - 1);
		json_buf_add(&b, "}", 1);
	}
	free(names);
	json_buf_puts(&b, "],\"next_cursor\":");
	if (PQntuples(res) > pg.limit) {
		sql_uuid(res, pg.limit - 1, 0, id);
		http_cursor(&b, sql_time_us(res, pg.limit - 1, RUN_CREATED_COL),
		    id);
	} else
		json_buf_puts(&b, "null");
	json_buf_puts(&b, "}");
	PQclear(res);
	return http_reply_buf(r, 200, NULL, &b);
}

/* GET /runs */
int
runs_list(struct req *r)
{
	return list(r, NULL);
}

/* runs_list_for_job answers GET /jobs/{job_id}/runs. */
int
runs_list_for_job(struct req *r, const char *job_id)
{
	return list(r, job_id);
}

/*
 * runs_fetch appends the JSON of a run to b.  Returns 0, ORK_ENOTFOUND
 * or another project error with msg.
 */
int
runs_fetch(PGconn *c, const char *run_id, struct json_buf *b, char *msg,
    size_t msglen)
{
	static const struct sql_field counts[] = {
		SQL_F("task_counts", SQL_JSON)
	};
	PGresult	*res;
	const char	*values[1] = { run_id };
	int		 err, col;

	res = sql_run(c, &run_get_stmt, values, &err, msg, msglen);
	if (res == NULL)
		return err;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return ORK_ENOTFOUND;
	}
	json_buf_add(b, "{", 1);
	col = sql_fields(b, res, 0, 0, run_fields, SQL_NFIELDS(run_fields));
	json_buf_add(b, ",", 1);
	(void)sql_fields(b, res, 0, col, counts, 1);
	json_buf_add(b, "}", 1);
	PQclear(res);
	return 0;
}

/* GET /runs/{run_id} */
int
runs_get(struct req *r)
{
	struct json_buf	 b;
	PGconn		*c;
	char		 msg[256];
	int		 rc;

	if ((rc = sql_conn(r, &c)) != 0)
		return rc;
	json_buf_init(&b, API_REPLY_MAX);
	rc = runs_fetch(c, r->id, &b, msg, sizeof(msg));
	sql_release(r, c);
	if (rc != 0) {
		json_buf_free(&b);
		if (rc == ORK_ENOTFOUND)
			return http_error(r, 404, "not_found", NULL, "no run %s",
			    r->id);
		return http_fail(r, rc, "could not read the run");
	}
	return http_reply_buf(r, 200, NULL, &b);
}

/* exists runs a one-row existence statement: 1, 0, or -err. */
static int
exists(PGconn *c, const struct sql_stmt *s, const char *id, char *msg,
    size_t msglen)
{
	PGresult	*res;
	const char	*values[1] = { id };
	int		 err, found;

	res = sql_run(c, s, values, &err, msg, msglen);
	if (res == NULL)
		return err;
	found = PQntuples(res) > 0;
	PQclear(res);
	return found;
}

/* GET /runs/{run_id}/tasks: every task run, in task order. */
int
runs_tasks(struct req *r)
{
	struct json_buf	 b;
	PGconn		*c;
	PGresult	*res;
	const char	*values[1] = { r->id };
	char		 msg[256];
	int		 rc, err, rows;

	if ((rc = sql_conn(r, &c)) != 0)
		return rc;
	res = sql_run(c, &run_tasks_stmt, values, &err, msg, sizeof(msg));
	if (res == NULL) {
		sql_release(r, c);
		return http_fail(r, err, "could not list the run's tasks");
	}
	rows = PQntuples(res);
	if (rows == 0) {
		int found = exists(c, &run_status_stmt, r->id, msg, sizeof(msg));

		if (found <= 0) {
			PQclear(res);
			sql_release(r, c);
			if (found < 0)
				return http_fail(r, found, "could not read the "
				    "run");
			return http_error(r, 404, "not_found", NULL, "no run %s",
			    r->id);
		}
	}
	sql_release(r, c);
	json_buf_init(&b, API_REPLY_MAX);
	json_buf_puts(&b, "{\"items\":[");
	for (int i = 0; i < rows; i++) {
		if (i > 0)
			json_buf_add(&b, ",", 1);
		sql_object(&b, res, i, 0, task_run_fields,
		    SQL_NFIELDS(task_run_fields));
	}
	json_buf_puts(&b, "],\"next_cursor\":null}");
	PQclear(res);
	return http_reply_buf(r, 200, NULL, &b);
}

/* run_status reads a run's status: 0, ORK_ENOTFOUND, or an error. */
static int
run_status(struct req *r, char *status, size_t len, char *msg,
    size_t msglen)
{
	PGconn		*c;
	PGresult	*res;
	const char	*values[1] = { r->id };
	int		 err;

	if (sql_get(r->a, API_DB_WAIT_MS, &c, msg, msglen) != 0)
		return ORK_ECONN;
	res = sql_run(c, &run_status_stmt, values, &err, msg, msglen);
	sql_release(r, c);
	if (res == NULL)
		return err;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return ORK_ENOTFOUND;
	}
	snprintf(status, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static int
is_final(const char *status)
{
	return strcmp(status, "success") == 0 || strcmp(status, "failed") == 0 ||
	    strcmp(status, "cancelled") == 0 || strcmp(status, "skipped") == 0;
}

static int
answer_state(struct req *r, int http, const char *status, int requeued)
{
	struct json_buf b;

	json_buf_init(&b, 512);
	json_buf_printf(&b, "{\"run_id\":\"%s\",\"status\":", r->id);
	json_buf_str(&b, status);
	if (requeued >= 0)
		json_buf_printf(&b, ",\"tasks_requeued\":%d", requeued);
	json_buf_puts(&b, "}");
	return http_reply_buf(r, http, NULL, &b);
}

/*
 * POST /runs/{run_id}/cancel: body (optional) {"reason": "..."}.  200
 * when the run is cancelled, 202 while its running tasks are being
 * stopped, 409 when it had already finished (its status says how).
 */
int
runs_cancel(struct req *r)
{
	cJSON		*body = NULL;
	const cJSON	*reason = NULL;
	char		 status[32], msg[512];
	int		 rc, err;

	if (r->body != NULL) {
		if ((rc = http_parse_body(r, &body)) != 0)
			return rc;
		if (!cJSON_IsObject(body)) {
			rc = http_error(r, 400, TASKCFG_E_INVALID_TYPE, NULL,
			    "the body must be an object {\"reason\": \"...\"}");
			goto out;
		}
		for (cJSON *m = body->child; m != NULL; m = m->next)
			if (strcmp(m->string, "reason") != 0) {
				rc = http_error(r, 400, TASKCFG_E_UNKNOWN_FIELD,
				    m->string, "a cancel takes only \"reason\"");
				goto out;
			}
		reason = cJSON_GetObjectItemCaseSensitive(body, "reason");
		if (reason != NULL && !cJSON_IsNull(reason) &&
		    (!cJSON_IsString(reason) ||
		    strlen(reason->valuestring) > 1024)) {
			rc = http_error(r, 400, TASKCFG_E_INVALID_VALUE, "reason",
			    "reason must be a string of at most 1024 bytes");
			goto out;
		}
	}
	err = run_status(r, status, sizeof(status), msg, sizeof(msg));
	if (err == ORK_ENOTFOUND) {
		rc = http_error(r, 404, "not_found", NULL, "no run %s", r->id);
		goto out;
	}
	if (err != 0) {
		rc = http_fail(r, err, "could not read the run");
		goto out;
	}
	if (is_final(status)) {
		rc = http_error(r, 409, "conflict", NULL, "run %s has already "
		    "finished: its status is %s", r->id, status);
		goto out;
	}
	err = orch_cancel(r, r->id, cJSON_IsString(reason) ?
	    reason->valuestring : NULL, status, sizeof(status), msg,
	    sizeof(msg));
	if (err != 0) {
		rc = orch_reply_error(r, err, msg);
		goto out;
	}
	if (strcmp(status, "cancelled") == 0)
		rc = answer_state(r, 200, status, -1);
	else if (is_final(status))
		rc = http_error(r, 409, "conflict", NULL, "run %s finished "
		    "before it could be cancelled: its status is %s", r->id,
		    status);
	else
		rc = answer_state(r, 202, status, -1);
out:
	cJSON_Delete(body);
	return rc;
}

/*
 * POST /runs/{run_id}/retry: only a finished run that failed or was
 * cancelled can be retried (409 otherwise).
 */
int
runs_retry(struct req *r)
{
	char		status[32], msg[512];
	unsigned	requeued = 0;
	int		err;

	err = run_status(r, status, sizeof(status), msg, sizeof(msg));
	if (err == ORK_ENOTFOUND)
		return http_error(r, 404, "not_found", NULL, "no run %s", r->id);
	if (err != 0)
		return http_fail(r, err, "could not read the run");
	if (strcmp(status, "failed") != 0 && strcmp(status, "cancelled") != 0)
		return http_error(r, 409, "conflict", NULL, "only a failed or "
		    "cancelled run can be retried; run %s is %s", r->id, status);
	err = orch_retry(r, r->id, status, sizeof(status), &requeued, msg,
	    sizeof(msg));
	if (err != 0)
		return orch_reply_error(r, err, msg);
	return answer_state(r, 200, status, (int)requeued);
}

/* GET /tasks/{task_run_id}: a task run with every attempt. */
int
tasks_get(struct req *r)
{
	static const struct sql_field attempts[] = {
		SQL_F("attempts", SQL_JSON)
	};
	struct json_buf	 b;
	PGconn		*c;
	PGresult	*res;
	const char	*values[1] = { r->id };
	char		 msg[256];
	int		 rc, err, col;

	if ((rc = sql_conn(r, &c)) != 0)
		return rc;
	res = sql_run(c, &task_get_stmt, values, &err, msg, sizeof(msg));
	sql_release(r, c);
	if (res == NULL)
		return http_fail(r, err, "could not read the task run");
	if (PQntuples(res) == 0) {
		PQclear(res);
		return http_error(r, 404, "not_found", NULL, "no task run %s",
		    r->id);
	}
	json_buf_init(&b, API_REPLY_MAX);
	json_buf_add(&b, "{", 1);
	col = sql_fields(&b, res, 0, 0, task_run_fields,
	    SQL_NFIELDS(task_run_fields));
	json_buf_add(&b, ",", 1);
	(void)sql_fields(&b, res, 0, col, attempts, 1);
	json_buf_add(&b, "}", 1);
	PQclear(res);
	return http_reply_buf(r, 200, NULL, &b);
}

/* A log cursor: base64url of "log:<log_id>". */
static void
log_cursor(struct json_buf *b, int64_t log_id)
{
	char raw[48], enc[80];

	snprintf(raw, sizeof(raw), "log:%lld", (long long)log_id);
	text_b64url_encode((const unsigned char *)raw, strlen(raw), enc,
	    sizeof(enc));
	json_buf_str(b, enc);
}

static int
parse_log_cursor(const char *in, long *after)
{
	unsigned char	dec[64];
	char		raw[64];
	size_t		n;

	if (text_b64url_decode(in, dec, sizeof(dec) - 1, &n) != 0)
		return -1;
	memcpy(raw, dec, n);
	raw[n] = '\0';
	if (strlen(raw) != n || strncmp(raw, "log:", 4) != 0)
		return -1;
	return text_parse_long(raw + 4, 0, INT64_MAX, after) == 0 ? 0 : -1;
}

/*
 * GET /tasks/{task_run_id}/logs: lines oldest first.  next_cursor is
 * set while more lines exist now; follow_cursor always points after
 * the last line returned, for polling a running task's output.
 */
int
tasks_logs(struct req *r)
{
	struct json_buf	 b;
	PGconn		*c;
	PGresult	*res;
	const char	*values[4];
	char		 buf[API_PARAM_MAX], limit[24], after_s[32], att[24];
	char		 msg[256];
	long		 after = 0, limit_n = API_LOG_LIMIT_DEFAULT, attempt = 0;
	int		 rc, err, rows;

	if ((rc = http_query(r, "limit", buf, sizeof(buf))) < 0)
		return -rc;
	if (rc > 0 && text_parse_long(buf, 1, API_LOG_LIMIT_MAX, &limit_n) != 0)
		return http_error(r, 400, "invalid_value", "limit", "limit must "
		    "be an integer from 1 to %d", API_LOG_LIMIT_MAX);
	if ((rc = http_query(r, "cursor", buf, sizeof(buf))) < 0)
		return -rc;
	if (rc > 0 && buf[0] != '\0' && parse_log_cursor(buf, &after) != 0)
		return http_error(r, 400, "invalid_value", "cursor", "cursor is "
		    "not one this server gave out");
	if ((rc = http_query(r, "attempt", buf, sizeof(buf))) < 0)
		return -rc;
	if (rc > 0 && text_parse_long(buf, 1, 1000000, &attempt) != 0)
		return http_error(r, 400, "invalid_value", "attempt", "attempt "
		    "must be a positive integer");
	snprintf(limit, sizeof(limit), "%ld", limit_n + 1);
	snprintf(after_s, sizeof(after_s), "%ld", after);
	snprintf(att, sizeof(att), "%ld", attempt);
	values[0] = r->id;
	values[1] = after_s;
	values[2] = limit;
	values[3] = att;
	if ((rc = sql_conn(r, &c)) != 0)
		return rc;
	res = sql_run(c, attempt > 0 ? &logs_attempt_stmt : &logs_stmt, values,
	    &err, msg, sizeof(msg));
	if (res == NULL) {
		sql_release(r, c);
		return http_fail(r, err, "could not read the logs");
	}
	rows = PQntuples(res);
	if (rows == 0) {
		int found = exists(c, &task_exists_stmt, r->id, msg,
		    sizeof(msg));

		if (found <= 0) {
			PQclear(res);
			sql_release(r, c);
			if (found < 0)
				return http_fail(r, found, "could not read the "
				    "task run");
			return http_error(r, 404, "not_found", NULL, "no task "
			    "run %s", r->id);
		}
	}
	sql_release(r, c);
	json_buf_init(&b, API_REPLY_MAX);
	json_buf_puts(&b, "{\"items\":[");
	for (int i = 0; i < rows && i < limit_n; i++) {
		if (i > 0)
			json_buf_add(&b, ",", 1);
		sql_object(&b, res, i, 0, log_fields, SQL_NFIELDS(log_fields));
	}
	json_buf_puts(&b, "],\"next_cursor\":");
	if (rows > limit_n)
		log_cursor(&b, sql_int(res, (int)limit_n - 1, 0));
	else
		json_buf_puts(&b, "null");
	json_buf_puts(&b, ",\"follow_cursor\":");
	if (rows > 0)
		log_cursor(&b, sql_int(res, (rows > limit_n ? (int)limit_n :
		    rows) - 1, 0));
	else
		log_cursor(&b, after);
	json_buf_puts(&b, "}");
	PQclear(res);
	return http_reply_buf(r, 200, NULL, &b);
}
