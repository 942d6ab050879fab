/*
 * leader.c - one replica leads: it holds a session advisory lock on its own
 * connection and runs the leader's loops (the reaper now; the scheduler
 * joins it).  When the leader dies, PostgreSQL drops its session and the
 * lock with it, and the next replica to try takes over within
 * LEADER_TRY_MS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "log.h"
#include "orchestrator.h"
#include "util.h"

/* How often a follower tries to become the leader. */
#define LEADER_TRY_MS 1000
/* Most expired leases handled per reaper pass. */
#define REAP_BATCH 500
/* How often the leader prunes old events. */
#define PRUNE_EVERY_MS (10 * 60 * 1000)

static int
try_lock(PGconn *conn, int *held)
{
	char		 sql[96];
	PGresult	*res;
	int		 rc = 0;

	snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%lld)",
	    ORCH_LEADER_LOCK_KEY);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		*held = PQgetvalue(res, 0, 0)[0] == 't';
	else
		rc = db_result_error(conn, res, NULL, 0);
	PQclear(res);
	return rc;
}

/* reap runs one reaper pass; returns tasks handled or an error. */
static int
reap(struct orch *o, PGconn *conn)
{
	char		 max[16], wt[16], lim[16];
	const char	*params[3];
	PGresult	*res;
	int		 n;

	snprintf(max, sizeof(max), "%ld", o->cfg->max_lease_expiries);
	snprintf(wt, sizeof(wt), "%ld", o->cfg->worker_timeout_ms);
	snprintf(lim, sizeof(lim), "%d", REAP_BATCH);
	params[0] = max;
	params[1] = wt;
	params[2] = lim;
	res = sql_exec(conn, "reap", 3, params);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		char	err[256];
		int	rc = db_result_error(conn, res, err, sizeof(err));

		log_warn("reaper: %s", err);
		PQclear(res);
		return rc;
	}
	n = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (n > 0) {
		log_info("reaper: %d expired leases handled", n);
		events_publish_work(o, (unsigned)n);
	}
	return n;
}

/* prune deletes events older than the retention, in batches. */
static void
prune(struct orch *o, PGconn *conn)
{
	char		 hours[16];
	const char	*params[1] = { hours };
	long		 total = 0;

	snprintf(hours, sizeof(hours), "%ld", o->cfg->events_retention_hours);
	for (int i = 0; i < 100 && !*o->stop; i++) {
		PGresult	*res = sql_exec(conn, "prune", 1, params);
		long		 n = 0;

		if (PQresultStatus(res) == PGRES_COMMAND_OK)
			n = strtol(PQcmdTuples(res), NULL, 10);
		else
			log_warn("pruning events: %s", PQerrorMessage(conn));
		PQclear(res);
		total += n;
		if (n < 10000)
			break;
	}
	if (total > 0)
		log_info("pruned %ld events older than %ld hours", total,
		    o->cfg->events_retention_hours);
}

static void *
leader_thread(void *arg)
{
	struct orch	*o = arg;
	PGconn		*conn = NULL;
	char		 err[512];
	unsigned	 backoff = 250;
	int64_t		 next_prune = 0;

	while (!*o->stop) {
		int held = 0;

		if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
			if (atomic_exchange(&o->leader, 0))
				log_warn("lost leadership: database connection "
				    "lost");
			if (conn != NULL)
				PQfinish(conn);
			conn = NULL;
			if (db_connect(o->cfg->database_url,
			    "ork-orchestrator-leader", &conn, err,
			    sizeof(err)) != 0 ||
			    sql_prepare_all(conn, err, sizeof(err)) != 0) {
				log_warn("leader: %s", err);
				if (conn != NULL)
					PQfinish(conn);
				conn = NULL;
				util_sleep_ms_interruptible(backoff, o->stop);
				backoff = backoff * 2 > 5000 ? 5000 :
				    backoff * 2;
				continue;
			}
			backoff = 250;
		}
		if (!atomic_load(&o->leader)) {
			if (try_lock(conn, &held) != 0)
				continue;
			if (!held) {
				util_sleep_ms_interruptible(LEADER_TRY_MS,
				    o->stop);
				continue;
			}
			atomic_store(&o->leader, 1);
			log_info("leading: this replica runs the reaper");
		}
		if (reap(o, conn) == ORK_ECONN)
			continue;
		if (util_mono_ms() >= next_prune) {
			prune(o, conn);
			next_prune = util_mono_ms() + PRUNE_EVERY_MS;
		}
		util_sleep_ms_interruptible((unsigned)o->cfg->reap_interval_ms,
		    o->stop);
	}
	if (conn != NULL)
		PQfinish(conn);	/* releases the lock */
	atomic_store(&o->leader, 0);
	return NULL;
}

int
leader_start(struct orch *o)
{
	if (pthread_create(&o->leader_thread, NULL, leader_thread, o) != 0)
		return ORK_ENOMEM;
	return 0;
}
