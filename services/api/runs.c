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

/* A run as JSON, from job_runs r joined with job_definitions j. */
#define RUN_JSON_FIELDS \
	"'run_id', r.run_id, 'job_id', r.job_id, 'job_name', j.job_name, " \
	"'status', r.status, 'triggered_by', r.triggered_by, " \
	"'scheduled_for', r.scheduled_for, 'params', r.params, " \
	"'trace_id', r.trace_id, 'started_at', r.started_at, " \
	"'finished_at', r.finished_at, 'error_message', r.error_message, " \
	"'created_at', r.created_at, 'updated_at', r.updated_at"

/* A task run as JSON, from task_runs t and task_definitions d. */
#define TASK_RUN_JSON_FIELDS \
	"'task_run_id', t.task_run_id, 'run_id', t.run_id, " \
	"'job_id', t.job_id, 'task_id', t.task_id, " \
	"'task_order', t.task_order, 'task_name', d.task_name, " \
	"'kind', t.kind, 'status', t.status, 'attempt', t.attempt, " \
	"'max_attempts', t.max_attempts, " \
	"'timeout_seconds', t.timeout_seconds, " \
	"'retry', json_build_object('base_ms', t.retry_base_ms, " \
	"'cap_ms', t.retry_cap_ms), 'available_at', t.available_at, " \
	"'worker_id', t.lease_owner, " \
	"'lease_expires_at', t.lease_expires_at, " \
	"'cancel_requested', t.cancel_requested, " \
	"'rows_moved', t.rows_moved, 'error_message', t.error_message, " \
	"'started_at', t.started_at, 'finished_at', t.finished_at, " \
	"'created_at', t.created_at, 'updated_at', t.updated_at, " \
	"'extractor_config', t.extractor_config, " \
	"'loader_config', t.loader_config"

static const char *const run_statuses[] = { "queued", "running", "success",
    "failed", "cancelled", NULL };

static const struct sql_stmt run_get_stmt = {
	"run_get",
	"SELECT json_build_object(" RUN_JSON_FIELDS ", 'task_counts', "
	"(SELECT coalesce(json_object_agg(s.status, s.n), '{}'::json) FROM "
	"(SELECT status, count(*) AS n FROM task_runs WHERE run_id = r.run_id "
	"GROUP BY status) s))::text FROM job_runs r JOIN job_definitions j "
	"ON j.job_id = r.job_id WHERE r.run_id = $1::uuid",
	1
};

static const struct sql_stmt run_status_stmt = {
	"run_status",
	"SELECT status FROM job_runs WHERE run_id = $1::uuid",
	1
};

static const struct sql_stmt run_tasks_stmt = {
	"run_tasks",
	"SELECT json_build_object(" TASK_RUN_JSON_FIELDS ")::text "
	"FROM task_runs t LEFT JOIN task_definitions d ON d.task_id = "
	"t.task_id WHERE t.run_id = $1::uuid ORDER BY t.task_order",
	1
};

static const struct sql_stmt task_get_stmt = {
	"task_get",
	"SELECT json_build_object(" TASK_RUN_JSON_FIELDS ", 'attempts', "
	"(SELECT coalesce(json_agg(json_build_object('attempt', a.attempt, "
	"'worker_id', a.worker_id, 'status', a.status, 'rows_moved', "
	"a.rows_moved, 'error_message', a.error_message, 'started_at', "
	"a.started_at, 'finished_at', a.finished_at) ORDER BY a.attempt), "
	"'[]'::json) FROM task_attempts a WHERE a.task_run_id = "
	"t.task_run_id))::text FROM task_runs t LEFT JOIN task_definitions d "
	"ON d.task_id = t.task_id WHERE t.task_run_id = $1::uuid",
	1
};

static const struct sql_stmt task_exists_stmt = {
	"task_exists",
	"SELECT 1 FROM task_runs WHERE task_run_id = $1::uuid",
	1
};

#define LOG_JSON \
	"json_build_object('log_id', log_id, 'attempt', attempt, " \
	"'logged_at', logged_at, 'stream', stream, 'line', line)::text, log_id"

static const struct sql_stmt logs_stmt = {
	"task_logs",
	"SELECT " LOG_JSON " FROM task_logs WHERE task_run_id = $1::uuid "
	"AND log_id > $2::int8 ORDER BY log_id LIMIT $3::int",
	3
};

static const struct sql_stmt logs_attempt_stmt = {
	"task_logs_attempt",
	"SELECT " LOG_JSON " FROM task_logs WHERE task_run_id = $1::uuid "
	"AND log_id > $2::int8 AND attempt = $4::int ORDER BY log_id "
	"LIMIT $3::int",
	4
};

/* List variants: which filters a statement has, as bits. */
#define RL_CURSOR	0x1
#define RL_JOB		0x2
#define RL_STATUS	0x4
#define RL_SINCE	0x8
#define RL_VARIANTS	16

static char		 list_text[RL_VARIANTS][2048];
static char		 list_name[RL_VARIANTS][32];
static struct sql_stmt	 list_stmts[RL_VARIANTS];
static pthread_once_t	 list_once = PTHREAD_ONCE_INIT;

static void
build_lists(void)
{
	for (int m = 0; m < RL_VARIANTS; m++) {
		char	*t = list_text[m];
		size_t	 len = sizeof(list_text[m]), used;
		int	 p = 2;

		used = (size_t)snprintf(t, len, "SELECT json_build_object("
		    RUN_JSON_FIELDS ")::text, (extract(epoch FROM "
		    "r.created_at) * 1000000)::int8, r.run_id FROM job_runs r "
		    "JOIN job_definitions j ON j.job_id = r.job_id WHERE true");
		if (m & RL_CURSOR) {
			used += (size_t)snprintf(t + used, len - used,
			    " AND (r.created_at, r.run_id) < (timestamptz "
			    "'epoch' + $%d::int8 * interval '1 microsecond', "
			    "$%d::uuid)", p, p + 1);
			p += 2;
		}
		if (m & RL_JOB)
			used += (size_t)snprintf(t + used, len - used,
			    " AND r.job_id = $%d::uuid", p++);
		if (m & RL_STATUS)
			used += (size_t)snprintf(t + used, len - used,
			    " AND r.status = $%d", p++);
		if (m & RL_SINCE)
			used += (size_t)snprintf(t + used, len - used,
			    " AND r.created_at >= $%d::timestamptz", p++);
		snprintf(t + used, len - used, " ORDER BY r.created_at DESC, "
		    "r.run_id DESC LIMIT $1::int");
		snprintf(list_name[m], sizeof(list_name[m]), "runs_list_%d", m);
		list_stmts[m].name = list_name[m];
		list_stmts[m].text = t;
		list_stmts[m].nparams = p - 1;
	}
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
	char		 qjob[UTIL_UUID_LEN + 1];
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
			    "failed, cancelled");
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
	res = sql_run(c, &list_stmts[m], values, &err, msg, sizeof(msg));
	sql_release(r, c);
	if (res == NULL)
		return http_fail(r, err, "could not list runs");
	rows = PQntuples(res);
	json_buf_init(&b, API_REPLY_MAX);
	json_buf_puts(&b, "{\"items\":[");
	for (int i = 0; i < rows && i < pg.limit; i++) {
		if (i > 0)
			json_buf_add(&b, ",", 1);
		json_buf_puts(&b, PQgetvalue(res, i, 0));
	}
	json_buf_puts(&b, "],\"next_cursor\":");
	if (rows > pg.limit)
		http_cursor(&b, strtoll(PQgetvalue(res, pg.limit - 1, 1), NULL,
		    10), PQgetvalue(res, pg.limit - 1, 2));
	else
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
	PGresult	*res;
	const char	*values[1] = { run_id };
	int		 err;

	res = sql_run(c, &run_get_stmt, values, &err, msg, msglen);
	if (res == NULL)
		return err;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return ORK_ENOTFOUND;
	}
	json_buf_puts(b, PQgetvalue(res, 0, 0));
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
		json_buf_puts(&b, PQgetvalue(res, i, 0));
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

	if (dbpool_get(r->a->pool, API_DB_WAIT_MS, &c, msg, msglen) != 0)
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
	    strcmp(status, "cancelled") == 0;
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
	PGconn		*c;
	PGresult	*res;
	const char	*values[1] = { r->id };
	char		 msg[256];
	int		 rc, err;

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
	rc = http_reply(r, 200, NULL, PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

/* A log cursor: base64url of "log:<log_id>". */
static void
log_cursor(struct json_buf *b, const char *log_id)
{
	char raw[48], enc[80];

	snprintf(raw, sizeof(raw), "log:%s", log_id);
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
		json_buf_puts(&b, PQgetvalue(res, i, 0));
	}
	json_buf_puts(&b, "],\"next_cursor\":");
	if (rows > limit_n)
		log_cursor(&b, PQgetvalue(res, (int)limit_n - 1, 1));
	else
		json_buf_puts(&b, "null");
	json_buf_puts(&b, ",\"follow_cursor\":");
	if (rows > 0)
		log_cursor(&b, PQgetvalue(res, (rows > limit_n ? (int)limit_n :
		    rows) - 1, 1));
	else
		log_cursor(&b, after_s);
	json_buf_puts(&b, "}");
	PQclear(res);
	return http_reply_buf(r, 200, NULL, &b);
}
