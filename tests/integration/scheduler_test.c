/*
 * scheduler_test.c - the cron scheduler against real daemons: an
 * every-second job fires each slot once across a leader kill, misfires
 * after downtime with catch-up off and on, max_active_runs with both
 * overlap policies, backfill through the API (72 hourly slots, again
 * none, rerun, bad input), pausing and resuming, a schedule edit.
 */
#include "api_util.h"

#include <time.h>

#define EVERY_SECOND	"* * * * * *"

/* job_sql creates a scheduled job with one task; writes its id. */
static void
job_sql(PGconn *c, const char *name, const char *schedule, int catchup,
    int max_active, const char *overlap, const char *extractor, char *id)
{
	const char	*p[6];
	char		 runs[16];
	PGresult	*r;

	snprintf(runs, sizeof(runs), "%d", max_active);
	p[0] = name;
	p[1] = schedule;
	p[2] = catchup ? "true" : "false";
	p[3] = runs;
	p[4] = overlap;
	r = PQexecParams(c, "INSERT INTO job_definitions (job_name, schedule, "
	    "catchup, max_active_runs, overlap) VALUES ($1, $2, $3::boolean, "
	    "$4::int, $5) RETURNING job_id", 5, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("creating job %s: %s", name, PQerrorMessage(c));
	snprintf(id, H_UUID_LEN + 1, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	p[0] = id;
	p[1] = extractor;
	r = PQexecParams(c, "INSERT INTO task_definitions (job_id, task_order, "
	    "extractor_config) VALUES ($1, 0, $2::jsonb)", 2, NULL, p, NULL,
	    NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("creating task of %s: %s", name, PQerrorMessage(c));
	PQclear(r);
	PQclear(PQexec(c, "NOTIFY ork_schedule"));	/* as the API does */
}

/* num runs a one-value query with the job id as $1 and returns a long. */
static long
num(PGconn *c, const char *sql, const char *job)
{
	const char	*p[1] = { job };
	PGresult	*r;
	long		 v;

	r = PQexecParams(c, sql, job != NULL ? 1 : 0, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	v = PQgetisnull(r, 0, 0) ? -1 : strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

/* wait_num waits until num() >= want; returns the last value. */
static long
wait_num(PGconn *c, const char *sql, const char *job, long want,
    int timeout_ms)
{
	long v = -1;

	for (int waited = 0; waited <= timeout_ms; waited += 100) {
		if ((v = num(c, sql, job)) >= want)
			return v;
		h_sleep_ms(100);
	}
	return v;
}

/* Epoch seconds of the database's clock. */
#define NOW_SQL "SELECT floor(extract(epoch FROM clock_timestamp()))::int8"
/* Highest and lowest slot of a job, as epoch seconds. */
#define MAX_SLOT "SELECT extract(epoch FROM max(scheduled_for))::int8 " \
	"FROM job_runs WHERE job_id = $1"
#define RUNS "SELECT count(*) FROM job_runs WHERE job_id = $1"

/*
 * gaps counts the whole seconds in [from, to] that have no run of the
 * job (an every-second schedule should have one at each).
 */
static long
gaps(PGconn *c, const char *job, long from, long to)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM generate_series(%ld, "
	    "%ld) AS s WHERE NOT EXISTS (SELECT 1 FROM job_runs r WHERE "
	    "r.job_id = $1 AND r.scheduled_for = to_timestamp(s))", from, to);
	return num(c, sql, job);
}

/* A slot never has two scheduled runs; every slot is a whole second. */
static void
check_slots(PGconn *c, const char *job)
{
	assert_int_equal(num(c, "SELECT count(*) - count(DISTINCT "
	    "scheduled_for) FROM job_runs WHERE job_id = $1", job), 0);
	assert_int_equal(num(c, "SELECT count(*) FROM job_runs WHERE "
	    "job_id = $1 AND (triggered_by <> 'scheduled' OR "
	    "scheduled_for IS NULL OR scheduled_for <> "
	    "date_trunc('second', scheduled_for))", job), 0);
}

static void
test_every_second_leader_kill(void **state)
{
	struct h_orch	 a, b;
	struct h_proc	 w;
	char		 db[H_URL_MAX], job[H_UUID_LEN + 1], ctl[256], ev[256];
	PGconn		*c;
	long		 first, kill_at;

	(void)state;
	h_db_create("sched_kill", 1, db, sizeof(db));
	c = h_db_connect(db);
	h_orch_start(&a, "sched-kill-a", db, NULL);
	assert_true(h_wait_log(&a.p, "leading", 5000));
	h_orch_start(&b, "sched-kill-b", db, NULL);
	snprintf(ctl, sizeof(ctl), "%s,%s", a.control_url, b.control_url);
	snprintf(ev, sizeof(ev), "%s,%s", a.events_url, b.events_url);
	h_worker_start(&w, "sched-kill-w", ctl, ev, NULL);
	job_sql(c, "every second", EVERY_SECOND, 0, 1, "queue",
	    "{\"type\": \"noop\"}", job);

	assert_true(wait_num(c, RUNS, job, 5, 15000) >= 5);
	first = num(c, "SELECT extract(epoch FROM min(scheduled_for))::int8 "
	    "FROM job_runs WHERE job_id = $1", job);
	kill_at = num(c, NOW_SQL, NULL);
	h_kill(&a.p);		/* SIGKILL: its session and lock die with it */

	/* the other replica leads and fires within a few seconds */
	assert_true(h_wait_log(&b.p, "leading", 10000));
	assert_true(wait_num(c, MAX_SLOT, job, kill_at + 4, 15000) >=
	    kill_at + 4);
	assert_true(wait_num(c, MAX_SLOT, job, first + 10, 15000) >=
	    first + 10);
	check_slots(c, job);
	/* before the kill: every second fired, once */
	assert_int_equal(gaps(c, job, first, kill_at - 1), 0);
	/*
	 * across the takeover too: the slots the new leader found late by
	 * less than the misfire grace (10 s) were fired, each once
	 */
	assert_int_equal(gaps(c, job, first, num(c, MAX_SLOT, job)), 0);
	/* and the runs ran */
	assert_true(wait_num(c, "SELECT count(*) FROM job_runs WHERE "
	    "job_id = $1 AND status = 'success'", job, 5, 10000) >= 5);

	h_kill(&w);
	h_kill(&b.p);
	PQfinish(c);
}

/*
 * The orchestrator is stopped for more than five slots: the job without
 * catch-up fires the latest missed slot only, the one with catch-up
 * every missed slot, oldest first; both go on every second after.
 */
static void
test_catchup_after_downtime(void **state)
{
	struct h_orch	 o;
	struct h_proc	 w;
	char		 db[H_URL_MAX], off[H_UUID_LEN + 1], on[H_UUID_LEN + 1];
	char		 sql[256];
	PGconn		*c;
	long		 last_off, last_on, first_off, first_on, restart;
	/* a second of grace: the downtime's slots are misfires */
	const char	*grace[] = { "--misfire-grace-ms=1000", NULL };

	(void)state;
	h_db_create("sched_catchup", 1, db, sizeof(db));
	c = h_db_connect(db);
	h_orch_start(&o, "sched-catchup-1", db, grace);
	h_worker_start(&w, "sched-catchup-w", o.control_url, o.events_url,
	    NULL);
	job_sql(c, "no catch-up", EVERY_SECOND, 0, 5, "queue",
	    "{\"type\": \"noop\"}", off);
	job_sql(c, "catch-up", EVERY_SECOND, 1, 5, "queue",
	    "{\"type\": \"noop\"}", on);
	assert_true(wait_num(c, RUNS, off, 2, 15000) >= 2);
	assert_true(wait_num(c, RUNS, on, 2, 15000) >= 2);
	assert_int_equal(h_stop(&o.p, SIGTERM, 5000), 0);
	last_off = num(c, MAX_SLOT, off);
	last_on = num(c, MAX_SLOT, on);

	h_sleep_ms(6500);	/* six or more slots go by */
	restart = num(c, NOW_SQL, NULL);
	h_orch_start(&o, "sched-catchup-2", db, grace);
	assert_true(wait_num(c, MAX_SLOT, off, restart + 3, 15000) >=
	    restart + 3);
	assert_true(wait_num(c, MAX_SLOT, on, restart + 3, 15000) >=
	    restart + 3);
	check_slots(c, off);
	check_slots(c, on);

	/* catch-up: not one slot missing from before the stop to now */
	assert_true(restart - last_on >= 6);
	assert_int_equal(gaps(c, on, last_on, num(c, MAX_SLOT, on)), 0);
	snprintf(sql, sizeof(sql), "SELECT extract(epoch FROM "
	    "min(scheduled_for))::int8 FROM job_runs WHERE job_id = $1 "
	    "AND scheduled_for > to_timestamp(%ld)", last_on);
	first_on = num(c, sql, on);
	assert_int_equal(first_on, last_on + 1);

	/* no catch-up: the downtime's slots are dropped but the last ones */
	snprintf(sql, sizeof(sql), "SELECT extract(epoch FROM "
	    "min(scheduled_for))::int8 FROM job_runs WHERE job_id = $1 "
	    "AND scheduled_for > to_timestamp(%ld)", last_off);
	first_off = num(c, sql, off);
	assert_true(first_off >= restart - 2);
	assert_true(first_off - last_off >= 5);
	assert_int_equal(gaps(c, off, first_off, num(c, MAX_SLOT, off)), 0);

	h_kill(&w);
	h_kill(&o.p);
	PQfinish(c);
}

/* Task runs of one job whose running times overlap (started, finished). */
#define OVERLAPS "SELECT count(*) FROM task_runs a JOIN task_runs b " \
	"ON a.job_id = b.job_id AND a.run_id < b.run_id " \
	"WHERE a.job_id = $1 AND a.started_at IS NOT NULL " \
	"AND b.started_at IS NOT NULL AND tstzrange(a.started_at, " \
	"coalesce(a.finished_at, 'infinity')) && tstzrange(b.started_at, " \
	"coalesce(b.finished_at, 'infinity'))"

/*
 * max_active_runs = 1 with a task slower than the schedule: runs never
 * overlap; with overlap queue the due slots wait, with skip they are
 * recorded as skipped runs.
 */
static void
test_max_active_runs(void **state)
{
	struct h_orch	 o;
	struct h_proc	 w;
	char		 db[H_URL_MAX], q[H_UUID_LEN + 1], s[H_UUID_LEN + 1];
	const char	*slow = "{\"type\": \"command\", \"argv\": "
	    "[\"sleep\", \"2\"]}";
	PGconn		*c;

	(void)state;
	h_db_create("sched_limit", 1, db, sizeof(db));
	c = h_db_connect(db);
	h_orch_start(&o, "sched-limit", db, NULL);
	h_worker_start(&w, "sched-limit-w", o.control_url, o.events_url,
	    NULL);
	job_sql(c, "queued", EVERY_SECOND, 0, 1, "queue", slow, q);
	job_sql(c, "skipped", EVERY_SECOND, 0, 1, "skip", slow, s);

	/* two slow runs of each finish, one after the other */
	assert_true(wait_num(c, "SELECT count(*) FROM job_runs WHERE "
	    "job_id = $1 AND status = 'success'", q, 2, 20000) >= 2);
	assert_true(wait_num(c, "SELECT count(*) FROM job_runs WHERE "
	    "job_id = $1 AND status = 'success'", s, 2, 20000) >= 2);

	assert_int_equal(num(c, OVERLAPS, q), 0);
	assert_int_equal(num(c, OVERLAPS, s), 0);
	/* at most one run holds the job's place; queue: the rest wait */
	assert_true(num(c, "SELECT count(*) FROM job_active_runs WHERE "
	    "job_id = $1 AND NOT waiting", q) <= 1);
	assert_true(num(c, "SELECT count(*) FROM job_active_runs WHERE "
	    "job_id = $1 AND waiting", q) >= 2);
	assert_true(num(c, "SELECT count(*) FROM job_runs r WHERE "
	    "r.job_id = $1 AND r.status = 'queued' AND NOT EXISTS (SELECT 1 "
	    "FROM task_runs t WHERE t.run_id = r.run_id AND t.status <> "
	    "'pending')", q) >= 2);
	assert_int_equal(num(c, "SELECT count(*) FROM job_runs WHERE "
	    "job_id = $1 AND status = 'skipped'", q), 0);
	/* skip: recorded, with why, and nothing waits */
	assert_true(num(c, "SELECT count(*) FROM job_runs WHERE job_id = $1 "
	    "AND status = 'skipped' AND finished_at IS NOT NULL AND "
	    "error_message LIKE '%overlap skip%'", s) >= 2);
	assert_int_equal(num(c, "SELECT count(*) FROM job_active_runs WHERE "
	    "job_id = $1 AND waiting", s), 0);
	assert_int_equal(num(c, "SELECT count(*) FROM task_runs t JOIN "
	    "job_runs r USING (run_id) WHERE r.job_id = $1 AND "
	    "r.status = 'skipped'", s), 0);
	check_slots(c, q);
	check_slots(c, s);

	h_kill(&w);
	h_kill(&o.p);
	PQfinish(c);
}

static const char hourly_job[] = "{\"job_name\": \"hourly\", "
    "\"schedule\": \"0 * * * *\", \"is_active\": false, "
    "\"tasks\": [{\"extractor_config\": {\"type\": \"noop\"}}]}";

/* backfill posts a backfill body and returns the status. */
static long
backfill(const struct api_stack *st, const char *job, const char *body,
    struct api_resp *r)
{
	char path[128];

	snprintf(path, sizeof(path), "/jobs/%s/backfill", job);
	return api_call(st, "POST", path, st->admin, body, r);
}

static long
member(const struct api_resp *r, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->json, name);

	if (!cJSON_IsNumber(v))
		fail_msg("no number %s in %s", name, r->body);
	return (long)v->valuedouble;
}

static void
test_backfill(void **state)
{
	struct api_stack	 st;
	struct api_resp		 r;
	PGconn			*c;
	char			*job, *plain, path[160], run[H_UUID_LEN + 1];
	const char		*range = "{\"from\": \"2026-01-01T00:00:00Z\", "
	    "\"to\": \"2026-01-04T00:00:00Z\"}";

	(void)state;
	api_stack_start(&st, "sched_backfill", API_WITH_ORCH, NULL, NULL);
	c = h_db_connect(st.db);
	job = api_create_job(&st, hourly_job);

	/* three days of an hourly job: 72 runs, the right slots */
	assert_int_equal(backfill(&st, job, range, &r), 201);
	assert_int_equal(member(&r, "slots"), 72);
	assert_int_equal(member(&r, "runs_created"), 72);
	assert_int_equal(member(&r, "waiting"), 71);
	assert_int_equal(member(&r, "existing"), 0);
	api_resp_free(&r);
	assert_int_equal(num(c, "SELECT count(*) FROM job_runs WHERE "
	    "job_id = $1 AND triggered_by = 'backfill'", job), 72);
	assert_int_equal(num(c, "SELECT count(DISTINCT scheduled_for) FROM "
	    "job_runs WHERE job_id = $1 AND scheduled_for >= "
	    "'2026-01-01T00:00:00Z' AND scheduled_for <= "
	    "'2026-01-03T23:00:00Z' AND scheduled_for = date_trunc('hour', "
	    "scheduled_for)", job), 72);
	/* max_active_runs 1: one admitted (the oldest), 71 waiting */
	assert_int_equal(num(c, "SELECT count(*) FROM task_runs WHERE "
	    "job_id = $1 AND status = 'queued'", job), 1);
	assert_int_equal(num(c, "SELECT extract(epoch FROM scheduled_for)"
	    "::int8 FROM job_active_runs WHERE job_id = $1 AND NOT waiting",
	    job), 1767225600);	/* 2026-01-01T00:00:00Z */

	/* the same range again: nothing new */
	assert_int_equal(backfill(&st, job, range, &r), 200);
	assert_int_equal(member(&r, "runs_created"), 0);
	assert_int_equal(member(&r, "existing"), 72);
	api_resp_free(&r);
	/* rerun: the slots get a run again */
	assert_int_equal(backfill(&st, job, "{\"from\": "
	    "\"2026-01-01T00:00:00Z\", \"to\": \"2026-01-01T02:00:00Z\", "
	    "\"rerun\": true}", &r), 201);
	assert_int_equal(member(&r, "runs_created"), 2);
	api_resp_free(&r);
	assert_int_equal(num(c, RUNS, job), 74);

	/* cancelling the admitted run hands its place to the next slot */
	h_db_value(c, "SELECT run_id FROM job_active_runs WHERE NOT waiting",
	    run, sizeof(run));
	snprintf(path, sizeof(path), "/runs/%s/cancel", run);
	assert_int_equal(api_call(&st, "POST", path, st.admin, NULL, &r), 200);
	api_resp_free(&r);
	assert_int_equal(num(c, "SELECT extract(epoch FROM scheduled_for)"
	    "::int8 FROM job_active_runs WHERE job_id = $1 AND NOT waiting "
	    "ORDER BY scheduled_for LIMIT 1", job), 1767225600);
	assert_int_equal(num(c, "SELECT count(*) FROM job_active_runs WHERE "
	    "job_id = $1 AND NOT waiting", job), 1);
	assert_int_equal(num(c, "SELECT count(*) FROM task_runs WHERE "
	    "job_id = $1 AND status = 'queued'", job), 1);

	/* a raised max_active_runs admits waiting runs at once */
	snprintf(path, sizeof(path), "/jobs/%s", job);
	assert_int_equal(api_call(&st, "PATCH", path, st.admin,
	    "{\"max_active_runs\": 3}", &r), 200);
	api_resp_free(&r);
	assert_int_equal(wait_num(c, "SELECT count(*) FROM job_active_runs "
	    "WHERE job_id = $1 AND NOT waiting", job, 3, 10000), 3);
	assert_int_equal(num(c, "SELECT count(*) FROM task_runs WHERE "
	    "job_id = $1 AND status = 'queued'", job), 3);

	/* bad input, each named */
	assert_int_equal(backfill(&st, job, "{\"to\": "
	    "\"2026-01-04T00:00:00Z\"}", &r), 400);
	api_expect_error(&r, 400, "missing_field", "from");
	api_resp_free(&r);
	backfill(&st, job, "{\"from\": \"yesterday\", \"to\": "
	    "\"2026-01-04T00:00:00Z\"}", &r);
	api_expect_error(&r, 400, "invalid_value", "from");
	api_resp_free(&r);
	backfill(&st, job, "{\"from\": \"2026-02-30T00:00:00Z\", \"to\": "
	    "\"2026-03-04T00:00:00Z\"}", &r);
	api_expect_error(&r, 400, "invalid_value", "from");
	api_resp_free(&r);
	backfill(&st, job, "{\"from\": \"2026-01-04T00:00:00Z\", \"to\": "
	    "\"2026-01-01T00:00:00Z\"}", &r);
	api_expect_error(&r, 400, "invalid_value", "to");
	api_resp_free(&r);
	backfill(&st, job, "{\"from\": \"2026-01-04T00:00:00Z\", \"to\": "
	    "\"2999-01-01T00:00:00Z\"}", &r);
	api_expect_error(&r, 400, "invalid_value", "to");
	api_resp_free(&r);
	backfill(&st, job, "{\"from\": \"2024-01-01T00:00:00Z\", \"to\": "
	    "\"2025-03-01T00:00:00Z\"}", &r);	/* 10,224 hours */
	api_expect_error(&r, 400, "invalid_value", "to");
	assert_non_null(strstr(r.body, "10000"));
	api_resp_free(&r);
	backfill(&st, job, "{\"from\": \"2026-01-01T00:00:00Z\", \"to\": "
	    "\"2026-01-02T00:00:00Z\", \"rerun\": \"yes\"}", &r);
	api_expect_error(&r, 400, "invalid_type", "rerun");
	api_resp_free(&r);
	backfill(&st, job, "{\"from\": \"2026-01-01T00:00:00Z\", \"to\": "
	    "\"2026-01-02T00:00:00Z\", \"until\": 1}", &r);
	api_expect_error(&r, 400, "unknown_field", "until");
	api_resp_free(&r);
	backfill(&st, job, "[1]", &r);
	api_expect_error(&r, 400, "invalid_type", NULL);
	api_resp_free(&r);
	assert_int_equal(backfill(&st, "00000000-0000-0000-0000-000000000000",
	    range, &r), 404);
	api_resp_free(&r);
	plain = api_create_job(&st, "{\"job_name\": \"unscheduled\", "
	    "\"tasks\": [{\"extractor_config\": {\"type\": \"noop\"}}]}");
	backfill(&st, plain, range, &r);
	api_expect_error(&r, 400, "invalid_value", "schedule");
	api_resp_free(&r);
	/* nothing of the refused requests was created */
	assert_int_equal(num(c, RUNS, job), 74);

	free(plain);
	free(job);
	PQfinish(c);
}

/*
 * Pausing stops firing at once; resuming without catch-up does not
 * replay the pause; a schedule edit moves next_fire_at at once.
 */
static void
test_pause_resume_edit(void **state)
{
	struct api_stack	 st;
	struct api_resp		 r;
	PGconn			*c;
	char			*job, path[128], sql[256];
	long			 paused, resumed;

	(void)state;
	api_stack_start(&st, "sched_pause", API_WITH_ORCH | API_WITH_WORKER,
	    NULL, NULL);
	c = h_db_connect(st.db);
	job = api_create_job(&st, "{\"job_name\": \"ticker\", \"schedule\": "
	    "\"* * * * * *\", \"max_active_runs\": 10, \"tasks\": "
	    "[{\"extractor_config\": {\"type\": \"noop\"}}]}");
	assert_true(wait_num(c, RUNS, job, 2, 15000) >= 2);
	snprintf(path, sizeof(path), "/jobs/%s", job);

	assert_int_equal(api_call(&st, "PATCH", path, st.admin,
	    "{\"is_active\": false}", &r), 200);
	api_resp_free(&r);
	paused = num(c, NOW_SQL, NULL);
	h_sleep_ms(3000);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM job_runs WHERE "
	    "job_id = $1 AND created_at > to_timestamp(%ld)", paused + 1);
	assert_int_equal(num(c, sql, job), 0);

	assert_int_equal(api_call(&st, "PATCH", path, st.admin,
	    "{\"is_active\": true}", &r), 200);
	api_resp_free(&r);
	resumed = num(c, NOW_SQL, NULL);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM job_runs WHERE "
	    "job_id = $1 AND created_at > to_timestamp(%ld)", resumed);
	assert_true(wait_num(c, sql, job, 2, 10000) >= 2);
	/* the paused seconds were not replayed */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM job_runs WHERE "
	    "job_id = $1 AND scheduled_for > to_timestamp(%ld) AND "
	    "scheduled_for < to_timestamp(%ld)", paused + 1, resumed);
	assert_int_equal(num(c, sql, job), 0);
	check_slots(c, job);

	/*
	 * new jobs get their next fire time at once (told, not found by the
	 * 10 s sweep), also while the leader is busy firing the ticker
	 */
	for (int i = 0; i < 8; i++) {
		char	 body[256], *id;

		snprintf(body, sizeof(body), "{\"job_name\": \"yearly %d\", "
		    "\"schedule\": \"0 0 1 1 *\", \"tasks\": "
		    "[{\"extractor_config\": {\"type\": \"noop\"}}]}", i);
		id = api_create_job(&st, body);
		assert_int_equal(wait_num(c, "SELECT count(*) FROM "
		    "job_definitions WHERE job_id = $1 AND next_fire_at IS NOT "
		    "NULL", id, 1, 3000), 1);
		free(id);
		h_sleep_ms(130);
	}

	/* a new schedule: next_fire_at follows at once (1 January) */
	assert_int_equal(api_call(&st, "PATCH", path, st.admin,
	    "{\"schedule\": \"0 0 1 1 *\"}", &r), 200);
	api_resp_free(&r);
	assert_true(wait_num(c, "SELECT (extract(month FROM next_fire_at AT "
	    "TIME ZONE 'UTC') = 1 AND extract(day FROM next_fire_at AT TIME "
	    "ZONE 'UTC') = 1 AND next_fire_at > now())::int FROM "
	    "job_definitions WHERE job_id = $1", job, 1, 5000) == 1);
	assert_int_equal(api_call(&st, "GET", path, st.admin, NULL, &r), 200);
	assert_non_null(strstr(api_str(r.json, "next_fire_at"), "-01-01T"));
	api_resp_free(&r);

	free(job);
	PQfinish(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_second_leader_kill),
		cmocka_unit_test(test_catchup_after_downtime),
		cmocka_unit_test(test_max_active_runs),
		cmocka_unit_test_teardown(test_backfill, api_teardown),
		cmocka_unit_test_teardown(test_pause_resume_edit,
		    api_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
