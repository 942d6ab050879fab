/*
 * jobs.c - job definitions: list, create, read, replace, patch, delete,
 * trigger, and a job's runs.
 *
 * Bodies are checked by taskcfg (the code workers run configurations
 * with).  A job and its tasks are written in one transaction; when a
 * change moves the job's next cron slot (schedule, timezone, or
 * re-activation without catchup: a paused period is replayed only with
 * catchup) next_fire_at is cleared and NOTIFY ork_schedule sent in the
 * same transaction, so the scheduler recomputes it; told of a raised
 * max_active_runs, the scheduler admits waiting runs at once.  A paused
 * job keeps its next_fire_at (a resume with catchup fires from there) but
 * shows none.  Task
 * ids are kept by position: task_order 0 keeps its id across a PUT.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "err.h"
#include "log.h"
#include "taskcfg.h"

/* A job's columns, from job_definitions j and its last run lr. */
#define JOB_COLUMNS \
	"j.job_id, j.job_name, j.description, j.schedule, j.timezone, " \
	"j.is_active, j.catchup, j.max_active_runs, j.overlap, " \
	"CASE WHEN j.is_active THEN j.next_fire_at END, j.created_at, " \
	"j.updated_at, lr.run_id, lr.status, " \
	"lr.triggered_by, lr.created_at, lr.finished_at"
#define JOB_CREATED_COL	10

static const struct sql_field job_fields[] = {
	SQL_F("job_id", SQL_UUID), SQL_F("job_name", SQL_TEXT),
	SQL_F("description", SQL_TEXT), SQL_F("schedule", SQL_TEXT),
	SQL_F("timezone", SQL_TEXT), SQL_F("is_active", SQL_BOOL),
	SQL_F("catchup", SQL_BOOL), SQL_F("max_active_runs", SQL_INT),
	SQL_F("overlap", SQL_TEXT), SQL_F("next_fire_at", SQL_TIME),
	SQL_F("created_at", SQL_TIME), SQL_F("updated_at", SQL_TIME),
	SQL_F("last_run", SQL_OBJ_OR_NULL), SQL_F("run_id", SQL_UUID),
	SQL_F("status", SQL_TEXT), SQL_F("triggered_by", SQL_TEXT),
	SQL_F("created_at", SQL_TIME), SQL_F("finished_at", SQL_TIME),
	SQL_F_END,
};

#define JOB_LAST_RUN \
	" LEFT JOIN LATERAL (SELECT r.run_id, r.status, r.triggered_by, " \
	"r.created_at, r.finished_at FROM job_runs r " \
	"WHERE r.job_id = j.job_id " \
	"ORDER BY r.created_at DESC, r.run_id DESC LIMIT 1) lr ON true"

/* A task definition's columns, from task_definitions t. */
#define TASK_COLUMNS_OUT \
	"t.task_id, t.task_order, t.task_name, " \
	"CASE t.extractor_config->>'type' WHEN 'api' THEN 'http' " \
	"ELSE t.extractor_config->>'type' END, t.extractor_config, " \
	"t.loader_config, t.max_attempts, t.timeout_seconds, " \
	"t.retry_base_ms, t.retry_cap_ms, t.created_at, t.updated_at, " \
	"t.cursor_mark"

static const struct sql_field task_fields[] = {
	SQL_F("task_id", SQL_UUID), SQL_F("task_order", SQL_INT),
	SQL_F("task_name", SQL_TEXT), SQL_F("kind", SQL_TEXT),
	SQL_F("extractor_config", SQL_JSON), SQL_F("loader_config", SQL_JSON),
	SQL_F("max_attempts", SQL_INT), SQL_F("timeout_seconds", SQL_INT),
	SQL_F("retry", SQL_OBJ), SQL_F("base_ms", SQL_INT), SQL_F("cap_ms", SQL_INT),
	SQL_F_END,
	SQL_F("created_at", SQL_TIME), SQL_F("updated_at", SQL_TIME),
	SQL_F("cursor_mark", SQL_TEXT),
};

/* One row per task (one row with NULL task columns when none). */
static const struct sql_stmt job_get_stmt = {
	"job_get",
	"SELECT " JOB_COLUMNS ", " TASK_COLUMNS_OUT " FROM job_definitions j"
	JOB_LAST_RUN " LEFT JOIN task_definitions t ON t.job_id = j.job_id "
	"WHERE j.job_id = $1::uuid ORDER BY t.task_order",
	1, 1
};

static const struct sql_stmt job_exists_stmt = {
	"job_exists",
	"SELECT 1 FROM job_definitions WHERE job_id = $1::uuid",
	1, 0
};

/* The statements of GET /jobs: filters is_active, name (bits 1, 2). */
#define JL_CURSOR	0x1
#define JL_ACTIVE	0x2
#define JL_NAME		0x4

static const char *const list_filters[] = {
	" AND j.is_active = $?::boolean",
	" AND j.job_name = $?",
};

static struct sql_list	 list = {
	"jobs_list",
	"SELECT " JOB_COLUMNS ", (SELECT count(*) FROM task_definitions t "
	"WHERE t.job_id = j.job_id) FROM job_definitions j" JOB_LAST_RUN
	" WHERE true",
	"j.created_at", "j.job_id", list_filters, 2,
	{ { NULL, NULL, 0, 0 } }, { "" }, { "" }
};
static pthread_once_t	 list_once = PTHREAD_ONCE_INIT;

static void
build_lists(void)
{
	sql_list_build(&list);
}

/* GET /jobs */
int
jobs_list(struct req *r)
{
	static const struct sql_field count_field[] = {
		SQL_F("task_count", SQL_INT)
	};
	struct page	 pg;
	struct json_buf	 b;
	PGconn		*c;
	PGresult	*res;
	const char	*values[6];
	char		 limit[16], at[32], active[8], name[1024], msg[256];
	char		 id[UTIL_UUID_LEN + 1];
	int		 rc, err, m = 0, n = 0, rows;

	pthread_once(&list_once, build_lists);
	if ((rc = http_page(r, API_LIMIT_DEFAULT, API_LIMIT_MAX, &pg)) != 0)
		return rc;
	snprintf(limit, sizeof(limit), "%d", pg.limit + 1);
	values[n++] = limit;
	if (pg.has_cursor) {
		m |= JL_CURSOR;
		snprintf(at, sizeof(at), "%lld", (long long)pg.at_us);
		values[n++] = at;
		values[n++] = pg.id;
	}
	if ((rc = http_query(r, "is_active", active, sizeof(active))) < 0)
		return -rc;
	if (rc > 0) {
		if (strcmp(active, "true") != 0 && strcmp(active, "false") != 0)
			return http_error(r, 400, "invalid_value", "is_active",
			    "is_active must be true or false");
		m |= JL_ACTIVE;
		values[n++] = active;
	}
	if ((rc = http_query(r, "name", name, sizeof(name))) < 0)
		return -rc;
	if (rc > 0) {
		m |= JL_NAME;
		values[n++] = name;
	}
	if ((rc = sql_conn(r, &c)) != 0)
		return rc;
	res = sql_run(c, &list.stmts[m], values, &err, msg, sizeof(msg));
	sql_release(r, c);
	if (res == NULL)
		return http_fail(r, err, "could not list jobs");
	rows = PQntuples(res);
	json_buf_init(&b, API_REPLY_MAX);
	json_buf_puts(&b, "{\"items\":[");
	for (int i = 0; i < rows && i < pg.limit; i++) {
		int col;

		json_buf_add(&b, i > 0 ? ",{" : "{", i > 0 ? 2 : 1);
		col = sql_fields(&b, res, i, 0, job_fields,
		    SQL_NFIELDS(job_fields));
		json_buf_add(&b, ",", 1);
		(void)sql_fields(&b, res, i, col, count_field, 1);
		json_buf_add(&b, "}", 1);
	}
	json_buf_puts(&b, "],\"next_cursor\":");
	if (rows > pg.limit) {
		sql_uuid(res, pg.limit - 1, 0, id);
		http_cursor(&b, sql_time_us(res, pg.limit - 1, JOB_CREATED_COL),
		    id);
	} else
		json_buf_puts(&b, "null");
	json_buf_puts(&b, "}");
	PQclear(res);
	return http_reply_buf(r, 200, NULL, &b);
}

/*
 * job_fetch appends the JSON of a job with its tasks to b.  Returns 0,
 * ORK_ENOTFOUND, or another project error with msg.
 */
static int
job_fetch(PGconn *c, const char *job_id, struct json_buf *b, char *msg,
    size_t msglen)
{
	PGresult	*res;
	const char	*values[1] = { job_id };
	int		 err, col, tasks = 0;

	res = sql_run(c, &job_get_stmt, values, &err, msg, msglen);
	if (res == NULL)
		return err;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return ORK_ENOTFOUND;
	}
	json_buf_add(b, "{", 1);
	col = sql_fields(b, res, 0, 0, job_fields, SQL_NFIELDS(job_fields));
	json_buf_puts(b, ",\"tasks\":[");
	for (int i = 0; i < PQntuples(res); i++) {
		if (PQgetisnull(res, i, col))
			continue;
		if (tasks++ > 0)
			json_buf_add(b, ",", 1);
		sql_object(b, res, i, col, task_fields,
		    SQL_NFIELDS(task_fields));
	}
	json_buf_puts(b, "]}");
	PQclear(res);
	return 0;
}

/* GET /jobs/{job_id} */
int
jobs_get(struct req *r)
{
	struct json_buf	 b;
	PGconn		*c;
	char		 msg[256];
	int		 rc;

	if ((rc = sql_conn(r, &c)) != 0)
		return rc;
	json_buf_init(&b, API_REPLY_MAX);
	rc = job_fetch(c, r->id, &b, msg, sizeof(msg));
	sql_release(r, c);
	if (rc != 0) {
		json_buf_free(&b);
		if (rc == ORK_ENOTFOUND)
			return http_error(r, 404, "not_found", NULL, "no job "
			    "%s", r->id);
		return http_fail(r, rc, "could not read the job");
	}
	return http_reply_buf(r, 200, NULL, &b);
}

/* tasks_json writes the tasks of job as the array the SQL reads. */
static void
tasks_json(const struct taskcfg_job *job, struct json_buf *b)
{
	json_buf_puts(b, "[");
	for (size_t i = 0; i < job->ntasks; i++) {
		const struct taskcfg_task *t = &job->tasks[i];

		if (i > 0)
			json_buf_puts(b, ",");
		json_buf_puts(b, "{\"task_name\":");
		json_buf_str(b, t->task_name);
		json_buf_puts(b, ",\"extractor_config\":");
		json_buf_puts(b, t->extractor_json);
		json_buf_puts(b, ",\"loader_config\":");
		json_buf_puts(b, t->loader_json);
		json_buf_printf(b, ",\"max_attempts\":%d,\"timeout_seconds\":",
		    t->max_attempts);
		if (t->timeout_seconds > 0)
			json_buf_printf(b, "%d", t->timeout_seconds);
		else
			json_buf_puts(b, "null");
		json_buf_printf(b, ",\"retry_base_ms\":%d,\"retry_cap_ms\":%d}",
		    t->retry_base_ms, t->retry_cap_ms);
	}
	json_buf_puts(b, "]");
}

#define TASK_COLUMNS \
	"job_id, task_order, task_name, extractor_config, loader_config, " \
	"max_attempts, timeout_seconds, retry_base_ms, retry_cap_ms"
#define TASK_VALUES \
	"SELECT $1::uuid, (x.ord - 1)::int, x.t->>'task_name', " \
	"x.t->'extractor_config', x.t->'loader_config', " \
	"(x.t->>'max_attempts')::int, (x.t->>'timeout_seconds')::int, " \
	"(x.t->>'retry_base_ms')::int, (x.t->>'retry_cap_ms')::int " \
	"FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS x(t, ord)"

static const char insert_tasks_sql[] =
    "INSERT INTO task_definitions (" TASK_COLUMNS ") " TASK_VALUES;

static const char upsert_tasks_sql[] =
    "INSERT INTO task_definitions (" TASK_COLUMNS ") " TASK_VALUES
    " ON CONFLICT (job_id, task_order) DO UPDATE SET "
    "task_name = EXCLUDED.task_name, "
    "extractor_config = EXCLUDED.extractor_config, "
    "loader_config = EXCLUDED.loader_config, "
    "max_attempts = EXCLUDED.max_attempts, "
    "timeout_seconds = EXCLUDED.timeout_seconds, "
    "retry_base_ms = EXCLUDED.retry_base_ms, "
    "retry_cap_ms = EXCLUDED.retry_cap_ms, updated_at = now()";

static const char delete_extra_tasks_sql[] =
    "DELETE FROM task_definitions WHERE job_id = $1::uuid "
    "AND task_order >= $2::int";

static const char notify_sql[] = "SELECT pg_notify('ork_schedule', $1)";

/* write_tasks stores the tasks of job (replacing, when replace is set). */
static int
write_tasks(PGconn *c, const char *job_id, const struct taskcfg_job *job,
    int replace, char *msg, size_t msglen)
{
	struct json_buf	 b;
	PGresult	*res;
	const char	*values[2];
	char		 count[16];
	int		 err;

	json_buf_init(&b, 2 * API_BODY_MAX);
	tasks_json(job, &b);
	if ((err = json_buf_ok(&b)) != 0) {
		json_buf_free(&b);
		snprintf(msg, msglen, "could not encode the tasks");
		return err;
	}
	values[0] = job_id;
	values[1] = b.data;
	res = sql_exec(c, replace ? upsert_tasks_sql : insert_tasks_sql, 2,
	    values, &err, msg, msglen);
	json_buf_free(&b);
	if (res == NULL)
		return err;
	PQclear(res);
	if (!replace)
		return 0;
	snprintf(count, sizeof(count), "%zu", job->ntasks);
	values[1] = count;
	res = sql_exec(c, delete_extra_tasks_sql, 2, values, &err, msg, msglen);
	if (res == NULL)
		return err;
	PQclear(res);
	return 0;
}

static int
notify_schedule(PGconn *c, const char *job_id, char *msg, size_t msglen)
{
	PGresult	*res;
	const char	*values[1] = { job_id };
	int		 err;

	res = sql_exec(c, notify_sql, 1, values, &err, msg, msglen);
	if (res == NULL)
		return err;
	PQclear(res);
	return 0;
}

/* answer_job answers status with the job as now stored. */
static int
answer_job(struct req *r, PGconn *c, const char *job_id, int status)
{
	struct json_buf	b;
	char		msg[256], hdr[128];
	int		rc;

	json_buf_init(&b, API_REPLY_MAX);
	rc = job_fetch(c, job_id, &b, msg, sizeof(msg));
	sql_release(r, c);
	if (rc != 0) {
		json_buf_free(&b);
		return http_fail(r, rc, "the job was stored but could not be "
		    "read back");
	}
	if (status == 201) {
		snprintf(hdr, sizeof(hdr), "Location: /jobs/%s\r\n", job_id);
		return http_reply_buf(r, status, hdr, &b);
	}
	return http_reply_buf(r, status, NULL, &b);
}

/* store_failed answers for a failed write, naming a duplicate name. */
static int
store_failed(struct req *r, int err, const struct taskcfg_job *job,
    const char *msg)
{
	if (err == ORK_EEXIST)
		return http_error(r, 409, "conflict", "job_name", "a job named "
		    "\"%.200s\" exists already", job->job_name);
	log_warn("could not store job \"%s\": %s", job->job_name, msg);
	return http_fail(r, err, "could not store the job");
}

static const char *
b2s(int v)
{
	return v ? "true" : "false";
}

/* POST /jobs */
int
jobs_create(struct req *r)
{
	struct taskcfg_job	*job;
	struct json_err		 e;
	PGconn			*c;
	PGresult		*res;
	const char		*values[8];
	char			 runs[16], msg[512], job_id[UTIL_UUID_LEN + 1];
	int			 rc, err;

	rc = taskcfg_parse_job(r->body, r->body_len, r->a->cfg->zoneinfo, 0,
	    &job, &e);
	if (rc != 0)
		return http_json_error(r, rc, &e);
	if ((rc = sql_conn(r, &c)) != 0)
		goto free_job;
	snprintf(runs, sizeof(runs), "%d", job->max_active_runs);
	values[0] = job->job_name;
	values[1] = job->description;
	values[2] = job->schedule;
	values[3] = job->timezone;
	values[4] = b2s(job->is_active);
	values[5] = b2s(job->catchup);
	values[6] = runs;
	values[7] = job->overlap;
	if ((err = sql_begin(c)) != 0) {
		snprintf(msg, sizeof(msg), "could not begin");
		goto failed;
	}
	res = sql_exec(c, "INSERT INTO job_definitions (job_name, "
	    "description, schedule, timezone, is_active, catchup, "
	    "max_active_runs, overlap) VALUES ($1, $2, $3, $4, $5::boolean, "
	    "$6::boolean, $7::int, $8) RETURNING job_id", 8, values, &err, msg,
	    sizeof(msg));
	if (res == NULL)
		goto failed;
	snprintf(job_id, sizeof(job_id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if ((err = write_tasks(c, job_id, job, 0, msg, sizeof(msg))) != 0)
		goto failed;
	if (job->schedule != NULL &&
	    (err = notify_schedule(c, job_id, msg, sizeof(msg))) != 0)
		goto failed;
	if ((err = sql_commit(c, msg, sizeof(msg))) != 0)
		goto failed;
	log_info("job %s \"%s\" created by %s (%zu tasks)", job_id,
	    job->job_name, r->who.username, job->ntasks);
	taskcfg_job_free(job);
	return answer_job(r, c, job_id, 201);
failed:
	sql_rollback(c);
	sql_release(r, c);
	rc = store_failed(r, err, job, msg);
free_job:
	taskcfg_job_free(job);
	return rc;
}

/*
 * update_job writes job's fields (and its tasks when with_tasks) over
 * the job job_id inside an open transaction, clearing next_fire_at and
 * notifying the scheduler when the schedule may have moved.
 */
static int
update_job(PGconn *c, const char *job_id, const struct taskcfg_job *job,
    int with_tasks, char *msg, size_t msglen)
{
	PGresult	*res;
	const char	*values[10];
	char		 runs[16];
	int		 err, moved, raised, toggled;
	const char	*old_schedule;

	values[0] = job_id;
	res = sql_exec(c, "SELECT schedule, timezone, is_active, "
	    "max_active_runs FROM job_definitions WHERE job_id = $1::uuid "
	    "FOR UPDATE", 1,
	    values, &err, msg, msglen);
	if (res == NULL)
		return err;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return ORK_ENOTFOUND;
	}
	old_schedule = PQgetisnull(res, 0, 0) ? NULL : PQgetvalue(res, 0, 0);
	moved = (old_schedule == NULL) != (job->schedule == NULL) ||
	    (old_schedule != NULL && strcmp(old_schedule, job->schedule) != 0) ||
	    strcmp(PQgetvalue(res, 0, 1), job->timezone) != 0 ||
	    (strcmp(PQgetvalue(res, 0, 2), "t") != 0 && job->is_active &&
	    !job->catchup);
	toggled = (strcmp(PQgetvalue(res, 0, 2), "t") == 0) != job->is_active;
	raised = job->max_active_runs > atoi(PQgetvalue(res, 0, 3));
	PQclear(res);

	snprintf(runs, sizeof(runs), "%d", job->max_active_runs);
	values[1] = job->job_name;
	values[2] = job->description;
	values[3] = job->schedule;
	values[4] = job->timezone;
	values[5] = b2s(job->is_active);
	values[6] = b2s(job->catchup);
	values[7] = runs;
	values[8] = job->overlap;
	values[9] = b2s(moved);
	res = sql_exec(c, "UPDATE job_definitions SET job_name = $2, "
	    "description = $3, schedule = $4, timezone = $5, "
	    "is_active = $6::boolean, catchup = $7::boolean, "
	    "max_active_runs = $8::int, overlap = $9, updated_at = now(), "
	    "next_fire_at = CASE WHEN $10::boolean THEN NULL "
	    "ELSE next_fire_at END WHERE job_id = $1::uuid", 10, values, &err,
	    msg, msglen);
	if (res == NULL)
		return err;
	PQclear(res);
	if (with_tasks &&
	    (err = write_tasks(c, job_id, job, 1, msg, msglen)) != 0)
		return err;
	if ((moved || raised || toggled) &&
	    (err = notify_schedule(c, job_id, msg, msglen)) != 0)
		return err;
	return 0;
}

/* store_update runs update_job in a transaction and answers. */
static int
store_update(struct req *r, PGconn *c, const struct taskcfg_job *job,
    int with_tasks)
{
	char	msg[512];
	int	err;

	err = update_job(c, r->id, job, with_tasks, msg, sizeof(msg));
	if (err == 0)
		err = sql_commit(c, msg, sizeof(msg));
	if (err != 0) {
		sql_rollback(c);
		sql_release(r, c);
		if (err == ORK_ENOTFOUND)
			return http_error(r, 404, "not_found", NULL, "no job "
			    "%s", r->id);
		return store_failed(r, err, job, msg);
	}
	names_forget(r->a->names, r->id);
	log_info("job %s \"%s\" updated by %s%s", r->id, job->job_name,
	    r->who.username, with_tasks ? " with its tasks" : "");
	return answer_job(r, c, r->id, 200);
}

/* PUT /jobs/{job_id}: the whole definition, tasks included. */
int
jobs_replace(struct req *r)
{
	struct taskcfg_job	*job;
	struct json_err		 e;
	PGconn			*c;
	int			 rc;

	rc = taskcfg_parse_job(r->body, r->body_len, r->a->cfg->zoneinfo, 0,
	    &job, &e);
	if (rc != 0)
		return http_json_error(r, rc, &e);
	if ((rc = sql_conn(r, &c)) != 0)
		goto free_job;
	if (sql_begin(c) != 0) {
		sql_release(r, c);
		rc = http_error(r, 503, "unavailable", NULL, "could not begin "
		    "a transaction");
		goto free_job;
	}
	rc = store_update(r, c, job, 1);
free_job:
	taskcfg_job_free(job);
	return rc;
}

/*
 * PATCH /jobs/{job_id}: the members given replace those of the stored
 * job (read under lock), and the result is checked as a whole.  Tasks
 * are rewritten only when "tasks" is given.
 */
int
jobs_patch(struct req *r)
{
	struct taskcfg_job	*job = NULL;
	struct json_err		 e;
	struct json_buf		 b;
	PGconn			*c;
	cJSON			*patch, *cur = NULL;
	const char		*values[1] = { r->id };
	char			 msg[256];
	int			 rc, err, with_tasks;

	if ((rc = http_parse_body(r, &patch)) != 0)
		return rc;
	if (!cJSON_IsObject(patch)) {
		cJSON_Delete(patch);
		return http_error(r, 400, TASKCFG_E_INVALID_TYPE, NULL, "a "
		    "patch must be a JSON object of the fields to change");
	}
	with_tasks = cJSON_GetObjectItemCaseSensitive(patch, "tasks") != NULL;
	if ((rc = sql_conn(r, &c)) != 0)
		goto free_patch;
	json_buf_init(&b, API_REPLY_MAX);
	if (sql_begin(c) != 0) {
		rc = http_error(r, 503, "unavailable", NULL, "could not begin "
		    "a transaction");
		goto release;
	}
	{
		PGresult *res = sql_exec(c, "SELECT 1 FROM job_definitions "
		    "WHERE job_id = $1::uuid FOR UPDATE", 1, values, &err, msg,
		    sizeof(msg));

		if (res == NULL) {
			rc = http_fail(r, err, "could not read the job");
			goto release;
		}
		PQclear(res);
	}
	err = job_fetch(c, r->id, &b, msg, sizeof(msg));
	if (err == ORK_ENOTFOUND) {
		rc = http_error(r, 404, "not_found", NULL, "no job %s", r->id);
		goto release;
	}
	if (err != 0 || (cur = cJSON_Parse(b.data)) == NULL) {
		rc = http_fail(r, err != 0 ? err : ORK_EINTERNAL,
		    "could not read the job");
		goto release;
	}
	for (cJSON *m = patch->child; m != NULL; m = m->next) {
		cJSON *copy = cJSON_Duplicate(m, 1);

		if (copy == NULL) {
			rc = http_error(r, 500, "internal", NULL, "out of "
			    "memory");
			goto release;
		}
		if (cJSON_GetObjectItemCaseSensitive(cur, m->string) != NULL)
			cJSON_ReplaceItemInObjectCaseSensitive(cur, m->string,
			    copy);
		else
			cJSON_AddItemToObject(cur, m->string, copy);
	}
	if (!with_tasks)
		cJSON_DeleteItemFromObjectCaseSensitive(cur, "tasks");
	rc = taskcfg_job_from_json(cur, r->a->cfg->zoneinfo, with_tasks ? 0 :
	    TASKCFG_JOB_NO_TASKS, &job, &e);
	if (rc != 0) {
		rc = http_json_error(r, rc, &e);
		goto release;
	}
	json_buf_free(&b);
	cJSON_Delete(cur);
	cJSON_Delete(patch);
	rc = store_update(r, c, job, with_tasks);
	taskcfg_job_free(job);
	return rc;
release:
	sql_rollback(c);
	sql_release(r, c);
	json_buf_free(&b);
	cJSON_Delete(cur);
free_patch:
	cJSON_Delete(patch);
	return rc;
}

/*
 * DELETE /jobs/{job_id}: refused (409) while the job has a queued or
 * running run; its runs' history goes with it.
 */
int
jobs_delete(struct req *r)
{
	PGconn		*c;
	PGresult	*res;
	const char	*values[1] = { r->id };
	char		 msg[256];
	int		 rc, err, scheduled;

	if ((rc = sql_conn(r, &c)) != 0)
		return rc;
	if ((err = sql_begin(c)) != 0)
		goto failed;
	res = sql_exec(c, "SELECT schedule IS NOT NULL, EXISTS (SELECT 1 FROM "
	    "job_runs WHERE job_id = $1::uuid AND status IN ('queued', "
	    "'running')) FROM job_definitions WHERE job_id = $1::uuid "
	    "FOR UPDATE", 1, values, &err, msg, sizeof(msg));
	if (res == NULL)
		goto failed;
	if (PQntuples(res) == 0) {
		PQclear(res);
		sql_rollback(c);
		sql_release(r, c);
		return http_error(r, 404, "not_found", NULL, "no job %s", r->id);
	}
	scheduled = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	if (strcmp(PQgetvalue(res, 0, 1), "t") == 0) {
		PQclear(res);
		sql_rollback(c);
		sql_release(r, c);
		return http_error(r, 409, "conflict", NULL, "job %s has a queued "
		    "or running run: cancel it first (POST /runs/{run_id}/"
		    "cancel)", r->id);
	}
	PQclear(res);
	res = sql_exec(c, "DELETE FROM job_definitions WHERE job_id = $1::uuid",
	    1, values, &err, msg, sizeof(msg));
	if (res == NULL)
		goto failed;
	PQclear(res);
	if (scheduled && (err = notify_schedule(c, r->id, msg,
	    sizeof(msg))) != 0)
		goto failed;
	if ((err = sql_commit(c, msg, sizeof(msg))) != 0)
		goto failed;
	sql_release(r, c);
	names_forget(r->a->names, r->id);
	log_info("job %s deleted by %s", r->id, r->who.username);
	r->status = 204;
	mg_printf(r->c, "HTTP/1.1 204 No Content\r\nCache-Control: no-store\r\n"
	    "Content-Length: 0\r\n\r\n");
	return 204;
failed:
	sql_rollback(c);
	sql_release(r, c);
	log_warn("could not delete job %s: %s", r->id, msg);
	return http_fail(r, err, "could not delete the job");
}

/*
 * DELETE /jobs/{job_id}/cursors[?task_order=N]: forget the cursor marks
 * of a job's incremental loads (of one task with task_order).  The
 * committed mark lives in the destination, which the api cannot reach:
 * the reset bumps the task definition's cursor_epoch, and workers read
 * only the marks of the generation their lease names, so the next run
 * starts from initial_value.  Answers the job.
 */
int
jobs_reset_cursors(struct req *r)
{
	struct json_buf	 b;
	PGconn		*c;
	PGresult	*res;
	const char	*values[2] = { r->id, NULL };
	char		 order[16], msg[256];
	char		*end;
	long		 n;
	int		 rc, err, found;

	if ((rc = http_query(r, "task_order", order, sizeof(order))) < 0)
		return -rc;
	if (rc > 0) {
		n = strtol(order, &end, 10);
		if (end == order || *end != '\0' || n < 0 ||
		    n >= TASKCFG_TASKS_MAX)
			return http_error(r, 400, "invalid_value", "task_order",
			    "task_order must be an integer from 0 to %d",
			    TASKCFG_TASKS_MAX - 1);
		values[1] = order;
	}
	if ((rc = sql_conn(r, &c)) != 0)
		return rc;
	res = sql_exec(c, "UPDATE task_definitions SET cursor_mark = NULL, "
	    "cursor_epoch = cursor_epoch + 1, updated_at = now() WHERE "
	    "job_id = $1::uuid AND ($2::int IS NULL OR task_order = $2::int)",
	    2, values, &err, msg, sizeof(msg));
	if (res == NULL) {
		sql_release(r, c);
		return http_fail(r, err, "could not reset the cursors");
	}
	found = strcmp(PQcmdTuples(res), "0") != 0;
	PQclear(res);
	json_buf_init(&b, API_REPLY_MAX);
	rc = job_fetch(c, r->id, &b, msg, sizeof(msg));
	sql_release(r, c);
	if (rc != 0 || !found) {
		json_buf_free(&b);
		if (rc == ORK_ENOTFOUND)
			return http_error(r, 404, "not_found", NULL, "no job "
			    "%s", r->id);
		if (rc != 0)
			return http_fail(r, rc, "could not read the job");
		return http_error(r, 404, "not_found", "task_order", "job %s "
		    "has no task %s", r->id, values[1] != NULL ? order : "");
	}
	log_info("cursors of job %s%s%s reset by %s", r->id, values[1] != NULL ?
	    " task " : "", values[1] != NULL ? order : "", r->who.username);
	return http_reply_buf(r, 200, NULL, &b);
}

/*
 * POST /jobs/{job_id}/run: body (optional) {"params": {...}}.  A paused
 * job (is_active false) can still be run by hand: pausing stops its
 * schedule only.
 */
int
jobs_trigger(struct req *r)
{
	struct json_err	 e;
	struct json_buf	 b;
	cJSON		*body = NULL, *params;
	PGconn		*c;
	char		*params_json = NULL, run_id[UTIL_UUID_LEN + 1];
	char		 msg[512], hdr[128];
	int		 rc, err;

	if (r->body != NULL) {
		if ((rc = http_parse_body(r, &body)) != 0)
			return rc;
		if (!cJSON_IsObject(body)) {
			rc = http_error(r, 400, TASKCFG_E_INVALID_TYPE, NULL,
			    "the body must be an object {\"params\": {...}}");
			goto out;
		}
		for (cJSON *m = body->child; m != NULL; m = m->next)
			if (strcmp(m->string, "params") != 0) {
				rc = http_error(r, 400, TASKCFG_E_UNKNOWN_FIELD,
				    m->string, "a trigger takes only "
				    "\"params\"");
				goto out;
			}
		params = cJSON_GetObjectItemCaseSensitive(body, "params");
		if (params != NULL && !cJSON_IsNull(params)) {
			if (!cJSON_IsObject(params)) {
				rc = http_error(r, 400, TASKCFG_E_INVALID_TYPE,
				    "params", "params must be an object");
				goto out;
			}
			if ((rc = taskcfg_check_secrets(params, "params",
			    &e)) != 0) {
				rc = http_json_error(r, rc, &e);
				goto out;
			}
			params_json = cJSON_PrintUnformatted(params);
			if (params_json == NULL) {
				rc = http_error(r, 500, "internal", NULL,
				    "out of memory");
				goto out;
			}
		}
	}
	err = orch_trigger(r, r->id, params_json, run_id, msg, sizeof(msg));
	if (err != 0) {
		rc = orch_reply_error(r, err, msg);
		goto out;
	}
	snprintf(hdr, sizeof(hdr), "Location: /runs/%s\r\n", run_id);
	/* The run exists now: read it back, or answer what is known. */
	if (sql_get(r->a, API_DB_WAIT_MS, &c, msg, sizeof(msg)) == 0) {
		json_buf_init(&b, API_REPLY_MAX);
		err = runs_fetch(c, run_id, &b, msg, sizeof(msg));
		sql_release(r, c);
		if (err == 0) {
			rc = http_reply_buf(r, 201, hdr, &b);
			goto out;
		}
		json_buf_free(&b);
	}
	json_buf_init(&b, 256);
	json_buf_printf(&b, "{\"run_id\":\"%s\",\"job_id\":\"%s\","
	    "\"status\":\"queued\",\"triggered_by\":\"manual\"}", run_id, r->id);
	rc = http_reply_buf(r, 201, hdr, &b);
out:
	free(params_json);
	cJSON_Delete(body);
	return rc;
}

/* GET /jobs/{job_id}/runs */
int
jobs_runs(struct req *r)
{
	PGconn		*c;
	PGresult	*res;
	const char	*values[1] = { r->id };
	char		 msg[256];
	int		 rc, err, found;

	if ((rc = sql_conn(r, &c)) != 0)
		return rc;
	res = sql_run(c, &job_exists_stmt, values, &err, msg, sizeof(msg));
	sql_release(r, c);
	if (res == NULL)
		return http_fail(r, err, "could not read the job");
	found = PQntuples(res) > 0;
	PQclear(res);
	if (!found)
		return http_error(r, 404, "not_found", NULL, "no job %s", r->id);
	return runs_list_for_job(r, r->id);
}
