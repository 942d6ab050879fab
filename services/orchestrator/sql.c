/*
 * sql.c - the orchestrator's prepared statements.  Each is one call of a
 * state-machine function of the schema (migrations/0001_init.sql), so a
 * request is one round trip to the database.
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "orchestrator.h"

static const struct {
	const char	*name;
	const char	*sql;
} statements[] = {
	{ "trigger", "SELECT o_i, o_run_id, o_status, o_created, "
	    "coalesce(o_error, '') FROM ork_trigger($1::uuid[], $2::text[], "
	    "$3::jsonb[], $4::text[], (SELECT array_agg(CASE WHEN us = 0 THEN "
	    "NULL ELSE to_timestamp(us / 1000000.0) END ORDER BY n) FROM "
	    "unnest($5::int8[]) WITH ORDINALITY AS u(us, n)), $6::text[])" },
	{ "cancel", "SELECT o_status, o_task_run_id, o_attempt "
	    "FROM ork_cancel_run($1::uuid)" },
	{ "retry", "SELECT o_status, o_requeued FROM ork_retry_run($1::uuid)" },
	{ "backfill", "SELECT o_created, o_waiting, o_existing, "
	    "coalesce(array_to_string(o_errors, '; '), ''), "
	    "EXISTS (SELECT 1 FROM job_definitions WHERE job_id = $1::uuid) "
	    "FROM ork_fire(array_fill($1::uuid, "
	    "ARRAY[cardinality($2::int8[])]), (SELECT array_agg(to_timestamp("
	    "us / 1000000.0) ORDER BY i) FROM unnest($2::int8[]) WITH "
	    "ORDINALITY AS u(us, i)), 'backfill', $3::boolean)" },
	{ "register", "INSERT INTO workers (worker_id, hostname, capacity, "
	    "kinds, protocol_version, status, registered_at, "
	    "last_heartbeat_at) VALUES ($1, $2, $3::int, $4::text[], $5::int, "
	    "'active', now(), now()) ON CONFLICT (worker_id) DO UPDATE SET "
	    "hostname = EXCLUDED.hostname, capacity = EXCLUDED.capacity, "
	    "kinds = EXCLUDED.kinds, "
	    "protocol_version = EXCLUDED.protocol_version, status = 'active', "
	    "registered_at = now(), last_heartbeat_at = now()" },
	{ "lease", "SELECT o_task_run_id, o_run_id, o_job_id, o_attempt, "
	    "o_kind, o_extractor, o_loader, coalesce(o_timeout, 0), "
	    "(extract(epoch FROM o_lease_expires_at) * 1000000)::int8, "
	    "(extract(epoch FROM o_run_created_at) * 1000000)::int8, "
	    "coalesce(o_trace_id, ''), o_task_order, o_cursor_epoch "
	    "FROM ork_lease($1, $2::text[], $3::int, $4::int)" },
	{ "heartbeat", "SELECT o_task_run_id, o_attempt, o_verdict FROM "
	    "ork_heartbeat($1, $2::uuid[], $3::int[], $4::int)" },
	{ "report", "SELECT o_i, o_accepted, o_recorded, o_queued_next "
	    "FROM ork_report($1, $2::uuid[], $3::int[], $4::text[], "
	    "$5::text[], $6::int8[])" },
	/* in the order sent: log_id is the order lines are read back in */
	{ "logs", "INSERT INTO task_logs (task_run_id, attempt, logged_at, "
	    "stream, line) SELECT u.id, u.att, to_timestamp(u.ts / 1000000), "
	    "u.stream, u.line FROM unnest($1::uuid[], $2::int[], $3::float8[], "
	    "$4::text[], $5::text[]) WITH ORDINALITY AS u(id, att, ts, stream, "
	    "line, n) WHERE u.id IN (SELECT task_run_id FROM task_runs "
	    "WHERE task_run_id = ANY ($1::uuid[])) ORDER BY u.n" },
	{ "reap", "SELECT ork_reap($1::int, $2::int, $3::int)" },
	/* the cursor mark a load committed, unless a reset came since */
	{ "cursor_mark", "UPDATE task_definitions d SET cursor_mark = $2 "
	    "FROM task_runs t WHERE t.task_run_id = $1::uuid "
	    "AND d.job_id = t.job_id AND d.task_order = t.task_order "
	    "AND d.cursor_epoch = $3::int" },
	/* old events go from the oldest end, a batch at a time */
	{ "prune", "DELETE FROM events WHERE event_id IN (SELECT event_id "
	    "FROM events ORDER BY event_id LIMIT 10000) AND created_at < "
	    "now() - $1::int * interval '1 hour'" },
};

int
sql_prepare_all(PGconn *conn, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(statements) / sizeof(statements[0]);
	    i++) {
		PGresult	*res;
		int		 rc = 0;

		res = PQprepare(conn, statements[i].name, statements[i].sql, 0,
		    NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = db_result_error(conn, res, err, errlen);
		PQclear(res);
		if (rc != 0)
			return rc;
	}
	return 0;
}

PGresult *
sql_exec(PGconn *conn, const char *name, int n, const char *const *values)
{
	return PQexecPrepared(conn, name, n, values, NULL, NULL, 0);
}
