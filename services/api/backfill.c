/*
 * backfill.c - POST /jobs/{job_id}/backfill: one run per cron slot of a
 * past range.
 *
 * Body: {"from": "2026-01-01T00:00:00Z", "to": "2026-01-04T00:00:00Z",
 * "rerun": false}.  The slots are the job's fire times t with from <= t <
 * to, in the job's time zone; at most BACKFILL_SLOTS_MAX of them.  The
 * orchestrator makes the runs (BackfillRuns: triggered_by backfill,
 * scheduled_for set, oldest first, behind the job's max_active_runs; a
 * slot that has a run already is left alone unless rerun).  The range
 * must lie in the past: future slots are the scheduler's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "cron.h"
#include "err.h"
#include "taskcfg.h"
#include "tz.h"

/* Most slots one backfill may create runs for. */
#define BACKFILL_SLOTS_MAX	10000

/*
 * epoch converts a member of the body holding an RFC 3339 date-time into
 * Unix seconds (rounded up: a slot is a whole second), answering 400 when
 * it is missing or malformed.  Returns 0 or the reply's status.
 */
static int
epoch(struct req *r, PGconn *c, const cJSON *body, const char *name,
    int64_t *out)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(body, name);
	const char	*values[1];
	PGresult	*res;
	char		 msg[256];
	int		 err;

	if (v == NULL || cJSON_IsNull(v))
		return http_error(r, 400, TASKCFG_E_MISSING_FIELD, name, "%s is "
		    "required: a date-time such as 2026-01-01T00:00:00Z", name);
	if (!cJSON_IsString(v) || !text_rfc3339_valid(v->valuestring))
		return http_error(r, 400, TASKCFG_E_INVALID_VALUE, name, "%s "
		    "must be a date-time such as 2026-01-01T00:00:00Z", name);
	values[0] = v->valuestring;
	res = sql_exec(c, "SELECT ceil(extract(epoch FROM $1::timestamptz))"
	    "::int8", 1, values, &err, msg, sizeof(msg));
	if (res == NULL)
		return http_error(r, 400, TASKCFG_E_INVALID_VALUE, name, "%s "
		    "is not a date-time that exists: %s", name,
		    v->valuestring);
	*out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

/*
 * slots lists the fire times in [from, to) into out (Unix microseconds,
 * room for BACKFILL_SLOTS_MAX) and counts them; ORK_ETOOBIG past
 * BACKFILL_SLOTS_MAX.
 */
static int
slots(const struct cron *cr, const struct tz *tz, int64_t from, int64_t to,
    int64_t *out, size_t *count)
{
	int64_t	t = from - 1;
	int	rc;

	*count = 0;
	for (;;) {
		rc = cron_next(cr, tz, t, &t);
		if (rc == ORK_ENOTFOUND || (rc == 0 && t >= to))
			return 0;
		if (rc != 0)
			return rc;
		if (*count == BACKFILL_SLOTS_MAX)
			return ORK_ETOOBIG;
		out[(*count)++] = t * 1000000;
	}
}

/* check_members refuses members other than from, to and rerun. */
static int
check_members(struct req *r, const cJSON *body)
{
	const cJSON *v;

	if (!cJSON_IsObject(body))
		return http_error(r, 400, TASKCFG_E_INVALID_TYPE, NULL,
		    "the body must be an object {\"from\": ..., \"to\": ...}");
	for (const cJSON *m = body->child; m != NULL; m = m->next)
		if (strcmp(m->string, "from") != 0 &&
		    strcmp(m->string, "to") != 0 &&
		    strcmp(m->string, "rerun") != 0)
			return http_error(r, 400, TASKCFG_E_UNKNOWN_FIELD,
			    m->string, "a backfill takes from, to and rerun");
	v = cJSON_GetObjectItemCaseSensitive(body, "rerun");
	if (v != NULL && !cJSON_IsBool(v) && !cJSON_IsNull(v))
		return http_error(r, 400, TASKCFG_E_INVALID_TYPE, "rerun",
		    "rerun must be true or false");
	return 0;
}

/*
 * job_schedule reads the job's schedule into a parsed cron and its zone;
 * answers 404 or 400 itself (returning the status) when there is none.
 */
static int
job_schedule(struct req *r, PGconn *c, struct cron **cr, struct tz **tz)
{
	const char	*values[1] = { r->id };
	PGresult	*res;
	char		 msg[256];
	int		 err, rc;

	res = sql_exec(c, "SELECT schedule, timezone FROM job_definitions "
	    "WHERE job_id = $1::uuid", 1, values, &err, msg, sizeof(msg));
	if (res == NULL)
		return http_fail(r, err, "could not read the job");
	if (PQntuples(res) == 0) {
		PQclear(res);
		return http_error(r, 404, "not_found", NULL, "no job %s",
		    r->id);
	}
	if (PQgetisnull(res, 0, 0)) {
		PQclear(res);
		return http_error(r, 400, TASKCFG_E_INVALID_VALUE, "schedule",
		    "the job has no schedule: a backfill needs its cron slots");
	}
	rc = cron_parse(PQgetvalue(res, 0, 0), cr, msg, sizeof(msg));
	if (rc == 0 && strcmp(PQgetvalue(res, 0, 1), "UTC") != 0)
		rc = tz_load(r->a->cfg->zoneinfo, PQgetvalue(res, 0, 1), tz,
		    msg, sizeof(msg));
	PQclear(res);
	if (rc != 0)
		return http_error(r, 500, "internal", "schedule", "the job's "
		    "schedule no longer loads: %s", msg);
	return 0;
}

/* POST /jobs/{job_id}/backfill */
int
jobs_backfill(struct req *r)
{
	cJSON		*body = NULL;
	struct cron	*cr = NULL;
	struct tz	*tz = NULL;
	struct json_buf	 b;
	PGconn		*c = NULL;
	int64_t		*list = NULL, from, to, now;
	unsigned	 counts[3];
	size_t		 count = 0;
	char		 msg[512];
	int		 rc, err;

	if ((rc = http_parse_body(r, &body)) != 0)
		return rc;
	if ((rc = check_members(r, body)) != 0)
		goto out;
	if ((rc = sql_conn(r, &c)) != 0) {
		c = NULL;
		goto out;
	}
	if ((rc = epoch(r, c, body, "from", &from)) != 0 ||
	    (rc = epoch(r, c, body, "to", &to)) != 0)
		goto out;
	now = (int64_t)time(NULL);
	if (to <= from) {
		rc = http_error(r, 400, TASKCFG_E_INVALID_VALUE, "to",
		    "to must be later than from (the range is from <= slot "
		    "< to)");
		goto out;
	}
	if (to > now + 1) {
		rc = http_error(r, 400, TASKCFG_E_INVALID_VALUE, "to",
		    "to must not be in the future: a backfill covers past "
		    "slots, the scheduler fires the coming ones");
		goto out;
	}
	if ((rc = job_schedule(r, c, &cr, &tz)) != 0)
		goto out;
	sql_release(r, c);
	c = NULL;
	if ((list = calloc(BACKFILL_SLOTS_MAX, sizeof(*list))) == NULL) {
		rc = http_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	err = slots(cr, tz, from, to, list, &count);
	if (err == ORK_ETOOBIG) {
		rc = http_error(r, 400, TASKCFG_E_INVALID_VALUE, "to",
		    "the range holds more than %d of the job's slots: "
		    "backfill it in smaller ranges", BACKFILL_SLOTS_MAX);
		goto out;
	}
	if (err != 0) {
		rc = http_error(r, 500, "internal", NULL, "could not list the "
		    "slots: %s", err_str(err));
		goto out;
	}
	if (count == 0) {
		counts[0] = counts[1] = counts[2] = 0;
	} else if ((err = orch_backfill(r, r->id, list, count,
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "rerun")),
	    counts, msg, sizeof(msg))) != 0) {
		rc = orch_reply_error(r, err, msg);
		goto out;
	}
	json_buf_init(&b, 512);
	json_buf_printf(&b, "{\"job_id\":\"%s\",\"slots\":%zu,"
	    "\"runs_created\":%u,\"waiting\":%u,\"existing\":%u}", r->id,
	    count, counts[0], counts[1], counts[2]);
	rc = http_reply_buf(r, counts[0] > 0 ? 201 : 200, NULL, &b);
out:
	if (c != NULL)
		sql_release(r, c);
	free(list);
	cron_free(cr);
	tz_free(tz);
	cJSON_Delete(body);
	return rc;
}
