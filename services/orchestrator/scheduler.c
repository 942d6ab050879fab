/*
 * scheduler.c - the leader's cron loop.
 *
 * Every active job with a schedule has next_fire_at, its first unfired
 * slot.  A pass (1) computes next_fire_at for jobs that lack one (new,
 * edited, re-activated), (2) claims due jobs, earliest first, with FOR
 * UPDATE SKIP LOCKED and, in the same transaction, creates their runs
 * (ork_schedule_fired: max_active_runs, overlap) and stores each job's
 * next slot, and (3) says how long until the earliest next_fire_at.  The
 * leader then waits that long, or less when the API sends NOTIFY
 * ork_schedule.  The unique (job_id, scheduled_for) of scheduled runs
 * makes a second firing of a slot impossible whoever attempts it.
 *
 * Cron arithmetic happens here, in C (common/cron.c): schedules and
 * zones are parsed once per job per pass; zones are cached.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "metrics.h"
#include "orchestrator.h"
#include "strbuf.h"
#include "tz.h"
#include "util.h"

/* Due jobs claimed per transaction. */
#define SCHED_CLAIM_MAX		256
/* Jobs whose next fire time is computed per statement. */
#define SCHED_INIT_MAX	1000
/* Missed slots fired per job per pass with catchup; the rest next pass. */
#define SCHED_CATCHUP_MAX	1000
/* Zones kept loaded. */
#define SCHED_TZ_CACHE		64
/* Longest wait between passes when nothing is scheduled. */
#define SCHED_IDLE_MS		60000
/*
 * Jobs without a next fire time are looked for when the leader starts,
 * when told (NOTIFY ork_schedule, sent by the API with each change), and
 * this often besides, for jobs written without telling.
 */
#define SCHED_INIT_EVERY_MS	10000

#define STR_(x)	#x
#define STR(x)	STR_(x)

struct sched {
	const char	*zoneinfo;
	struct {
		char		 name[TZ_NAME_MAX + 1];
		struct tz	*tz;
	}		 zones[SCHED_TZ_CACHE];
	int		 nzones;
	int		 next_evict;
	int64_t		*slots;		/* SCHED_CATCHUP_MAX */
	int64_t		 next_init;	/* monotonic ms */
	int64_t		 grace_s;	/* late slots still fired */
};

struct sched *
sched_new(const char *zoneinfo, long misfire_grace_ms)
{
	struct sched *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->slots = calloc(SCHED_CATCHUP_MAX, sizeof(*s->slots));
	if (s->slots == NULL) {
		free(s);
		return NULL;
	}
	s->zoneinfo = zoneinfo;
	s->grace_s = misfire_grace_ms / 1000;
	return s;
}

void
sched_free(struct sched *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < s->nzones; i++)
		tz_free(s->zones[i].tz);
	free(s->slots);
	free(s);
}

/* zone returns the loaded zone `name` (NULL for UTC) or an error. */
static int
zone(struct sched *s, const char *name, const struct tz **out, char *err,
    size_t errlen)
{
	struct tz	*tz;
	int		 i, rc;

	if (strcmp(name, "UTC") == 0) {
		*out = NULL;
		return 0;
	}
	for (i = 0; i < s->nzones; i++) {
		if (strcmp(s->zones[i].name, name) == 0) {
			*out = s->zones[i].tz;
			return 0;
		}
	}
	if ((rc = tz_load(s->zoneinfo, name, &tz, err, errlen)) != 0)
		return rc;
	if (s->nzones < SCHED_TZ_CACHE) {
		i = s->nzones++;
	} else {
		i = s->next_evict;
		s->next_evict = (s->next_evict + 1) % SCHED_TZ_CACHE;
		tz_free(s->zones[i].tz);
	}
	snprintf(s->zones[i].name, sizeof(s->zones[i].name), "%s", name);
	s->zones[i].tz = tz;
	*out = tz;
	return 0;
}

/*
 * job_due computes a job's due slots and next fire time at `now`; a job
 * whose schedule or zone no longer loads never fires again (INT64_MAX)
 * and is logged.
 */
static void
job_due(struct sched *s, const char *job_id, const char *spec,
    const char *zname, int64_t due, int64_t now, int catchup, size_t *n,
    int64_t *next)
{
	struct cron	*c = NULL;
	const struct tz	*tz;
	char		 err[256];
	int		 rc;

	*n = 0;
	*next = INT64_MAX;
	if ((rc = cron_parse(spec, &c, err, sizeof(err))) != 0 ||
	    (rc = zone(s, zname, &tz, err, sizeof(err))) != 0) {
		log_warn("scheduler: job %s stops firing: %s", job_id, err);
		cron_free(c);
		return;
	}
	if (due == INT64_MIN) {		/* no next fire time yet */
		if ((rc = cron_next(c, tz, now, next)) == ORK_ENOTFOUND)
			*next = INT64_MAX;
	} else {
		rc = cron_due(c, tz, due, now, catchup, s->grace_s, s->slots,
		    SCHED_CATCHUP_MAX, n, next);
	}
	if (rc != 0 && rc != ORK_ENOTFOUND) {
		log_warn("scheduler: job %s stops firing: %s", job_id,
		    err_str(rc));
		*n = 0;
		*next = INT64_MAX;
	}
	cron_free(c);
}

/*
 * add appends an element to an array literal unless an earlier append
 * failed (*rc != 0); add_time appends a Unix time, "never" as NULL.
 */
static void
add(struct strbuf *b, const char *elem, int *rc)
{
	if (*rc == 0)
		*rc = strbuf_pg_array_text(b, elem);
}

static void
add_time(struct strbuf *b, int64_t t, int *rc)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64, t);
	add(b, t == INT64_MAX ? NULL : num, rc);
}

static void
end(struct strbuf *b, int *rc)
{
	if (*rc == 0)
		*rc = strbuf_pg_array_end(b);
}

static int
exec_error(PGconn *conn, PGresult *res, const char *what)
{
	char	err[256];
	int	rc = db_result_error(conn, res, err, sizeof(err));

	log_warn("scheduler: %s: %s", what, err);
	PQclear(res);
	return rc;
}

/* init_pass gives jobs without a next fire time one; returns how many. */
static int
init_pass(struct sched *s, PGconn *conn)
{
	static const char select_sql[] = "SELECT job_id, schedule, timezone, "
	    "floor(extract(epoch FROM clock_timestamp()))::int8 "
	    "FROM job_definitions WHERE is_active AND schedule IS NOT NULL "
	    "AND next_fire_at IS NULL ORDER BY job_id "
	    "LIMIT " STR(SCHED_INIT_MAX);
	/* guarded: a job edited meanwhile is computed again next pass */
	static const char update_sql[] = "UPDATE job_definitions j SET "
	    "next_fire_at = CASE WHEN u.t IS NULL THEN 'infinity' "
	    "ELSE to_timestamp(u.t) END FROM unnest($1::uuid[], $2::int8[], "
	    "$3::text[], $4::text[]) AS u(id, t, sched, tz) "
	    "WHERE j.job_id = u.id AND j.next_fire_at IS NULL "
	    "AND j.schedule = u.sched AND j.timezone = u.tz";
	struct strbuf	 ids, times, specs, zones;
	const char	*params[4];
	PGresult	*res;
	int		 rows, rc = 0;


	res = PQexec(conn, select_sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return exec_error(conn, res, "reading unscheduled jobs");
	rows = PQntuples(res);
	if (rows == 0) {
		PQclear(res);
		return 0;
	}
	strbuf_init(&ids, 40 * SCHED_INIT_MAX);
	strbuf_init(&times, 24 * SCHED_INIT_MAX);
	strbuf_init(&specs, (CRON_SPEC_MAX * 2 + 4) * SCHED_INIT_MAX);
	strbuf_init(&zones, (TZ_NAME_MAX + 4) * SCHED_INIT_MAX);
	for (int i = 0; i < rows; i++) {
		const char	*id = PQgetvalue(res, i, 0);
		size_t		 n;
		int64_t		 next;

		job_due(s, id, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    INT64_MIN, strtoll(PQgetvalue(res, i, 3), NULL, 10), 0, &n,
		    &next);
		add(&ids, id, &rc);
		add_time(&times, next, &rc);
		add(&specs, PQgetvalue(res, i, 1), &rc);
		add(&zones, PQgetvalue(res, i, 2), &rc);
	}
	PQclear(res);
	end(&ids, &rc);
	end(&times, &rc);
	end(&specs, &rc);
	end(&zones, &rc);
	if (rc != 0)
		goto out;
	params[0] = strbuf_str(&ids);
	params[1] = strbuf_str(&times);
	params[2] = strbuf_str(&specs);
	params[3] = strbuf_str(&zones);
	res = PQexecParams(conn, update_sql, 4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = exec_error(conn, res, "storing next fire times");
		goto out;
	}
	PQclear(res);
	rc = rows;
out:
	strbuf_free(&ids);
	strbuf_free(&times);
	strbuf_free(&specs);
	strbuf_free(&zones);
	return rc;
}

static int
rollback(PGconn *conn, int rc)
{
	PQclear(PQexec(conn, "ROLLBACK"));
	return rc;
}

/*
 * fire_pass claims up to SCHED_CLAIM_MAX due jobs and fires them in one
 * transaction; returns how many jobs it claimed.  Adds the runs made to
 * *runs; *lag_max keeps the largest delay (seconds) of a slot's firing.
 */
static int
fire_pass(struct sched *s, PGconn *conn, long *runs, int64_t *lag_max)
{
	static const char claim_sql[] = "SELECT job_id, schedule, timezone, "
	    "catchup, floor(extract(epoch FROM next_fire_at))::int8, "
	    "floor(extract(epoch FROM clock_timestamp()))::int8, "
	    "extract(epoch FROM clock_timestamp())::float8 "
	    "FROM job_definitions WHERE is_active "
	    "AND next_fire_at <= now() ORDER BY next_fire_at "
	    "LIMIT " STR(SCHED_CLAIM_MAX) " FOR UPDATE SKIP LOCKED";
	static const char fire_sql[] = "SELECT o_created, o_waiting, "
	    "coalesce(array_to_string(o_errors, '; '), '') FROM "
	    "ork_schedule_fired($1::uuid[], (SELECT array_agg(CASE WHEN t IS "
	    "NULL THEN 'infinity'::timestamptz ELSE to_timestamp(t) END "
	    "ORDER BY i) FROM unnest($2::int8[]) WITH ORDINALITY AS u(t, i)), "
	    "$3::int[], (SELECT array_agg(to_timestamp(t) ORDER BY i) FROM "
	    "unnest($4::int8[]) WITH ORDINALITY AS u(t, i)))";
	struct strbuf	 ids, nexts, slot_jobs, slots;
	const char	*params[4];
	PGresult	*res;
	int		 rows, rc;

	res = PQexec(conn, "BEGIN");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return exec_error(conn, res, "BEGIN");
	PQclear(res);
	res = PQexec(conn, claim_sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return rollback(conn, exec_error(conn, res, "claiming due jobs"));
	rows = PQntuples(res);
	if (rows == 0) {
		PQclear(res);
		return rollback(conn, 0);
	}
	strbuf_init(&ids, 40 * SCHED_CLAIM_MAX);
	strbuf_init(&nexts, 24 * SCHED_CLAIM_MAX);
	strbuf_init(&slot_jobs, (size_t)12 * SCHED_CLAIM_MAX * SCHED_CATCHUP_MAX);
	strbuf_init(&slots, (size_t)24 * SCHED_CLAIM_MAX * SCHED_CATCHUP_MAX);
	rc = 0;
	for (int i = 0; i < rows; i++) {
		const char	*id = PQgetvalue(res, i, 0);
		int64_t		 due = strtoll(PQgetvalue(res, i, 4), NULL, 10);
		int64_t		 now = strtoll(PQgetvalue(res, i, 5), NULL, 10);
		double		 now_s = strtod(PQgetvalue(res, i, 6), NULL);
		size_t		 n;
		int64_t		 next;

		job_due(s, id, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    due, now, PQgetvalue(res, i, 3)[0] == 't', &n, &next);
		add(&ids, id, &rc);
		add_time(&nexts, next, &rc);
		for (size_t k = 0; k < n; k++) {
			char job[16];

			snprintf(job, sizeof(job), "%d", i + 1);
			add(&slot_jobs, job, &rc);
			add_time(&slots, s->slots[k], &rc);
			*lag_max = now - s->slots[k] > *lag_max ?
			    now - s->slots[k] : *lag_max;
			metrics_sched_lag(now_s - (double)s->slots[k]);
		}
	}
	PQclear(res);
	end(&ids, &rc);
	end(&nexts, &rc);
	end(&slot_jobs, &rc);
	end(&slots, &rc);
	if (rc != 0) {
		rollback(conn, rc);
		goto out;
	}
	params[0] = strbuf_str(&ids);
	params[1] = strbuf_str(&nexts);
	params[2] = strbuf_str(&slot_jobs);
	params[3] = strbuf_str(&slots);
	res = PQexecParams(conn, fire_sql, 4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = rollback(conn, exec_error(conn, res, "firing"));
		goto out;
	}
	*runs += strtol(PQgetvalue(res, 0, 0), NULL, 10) +
	    strtol(PQgetvalue(res, 0, 1), NULL, 10);
	if (PQgetvalue(res, 0, 2)[0] != '\0')
		log_warn("scheduler: jobs not fired (job: reason): %s",
		    PQgetvalue(res, 0, 2));
	PQclear(res);
	res = PQexec(conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = exec_error(conn, res, "COMMIT");
		goto out;
	}
	PQclear(res);
	rc = rows;
out:
	strbuf_free(&ids);
	strbuf_free(&nexts);
	strbuf_free(&slot_jobs);
	strbuf_free(&slots);
	return rc;
}

/* until_next returns milliseconds until the earliest next_fire_at. */
static int
until_next(PGconn *conn, long *ms)
{
	PGresult	*res;
	double		 d;

	/* ORDER BY ... LIMIT 1 reads one index entry; min() read them all */
	res = PQexec(conn, "SELECT extract(epoch FROM (SELECT next_fire_at "
	    "FROM job_definitions WHERE is_active AND next_fire_at IS NOT NULL "
	    "ORDER BY next_fire_at LIMIT 1) - clock_timestamp()) * 1000");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return exec_error(conn, res, "reading the next fire time");
	if (PQgetisnull(res, 0, 0)) {
		*ms = SCHED_IDLE_MS;
	} else {
		d = strtod(PQgetvalue(res, 0, 0), NULL);
		*ms = d <= 0 ? 0 : d >= SCHED_IDLE_MS ? SCHED_IDLE_MS :
		    (long)d + 1;
	}
	PQclear(res);
	return 0;
}

int
sched_listen(PGconn *conn)
{
	PGresult	*res = PQexec(conn, "LISTEN ork_schedule");
	int		 rc = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return exec_error(conn, res, "LISTEN ork_schedule");
	PQclear(res);
	return rc;
}

int
sched_pass(struct sched *s, struct orch *o, PGconn *conn, int told,
    long *wait_ms)
{
	long	runs = 0;
	int64_t	lag_max = 0;
	int	rc;

	if (told || util_mono_ms() >= s->next_init) {
		do {
			if ((rc = init_pass(s, conn)) < 0)
				return rc;
		} while (rc == SCHED_INIT_MAX && !*o->stop);
		s->next_init = util_mono_ms() + SCHED_INIT_EVERY_MS;
	}
	do {
		if ((rc = fire_pass(s, conn, &runs, &lag_max)) < 0)
			return rc;
	} while (rc == SCHED_CLAIM_MAX && !*o->stop);
	if (runs > 0)
		log_debug("scheduler: %ld runs fired, latest %" PRId64
		    " s after its slot", runs, lag_max);
	return until_next(conn, wait_ms);
}
