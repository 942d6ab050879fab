/*
 * leader.c - one replica leads: it holds a session advisory lock on its own
 * connection and runs the leader's loops: the reaper, the cron scheduler
 * (scheduler.c) and event pruning.  Between passes it waits on that
 * connection for NOTIFY ork_schedule (a job's schedule changed), at most
 * until the next reap or the earliest next fire time.  When the leader
 * dies, PostgreSQL drops its session and the lock with it, and the next
 * replica to try takes over within LEADER_TRY_MS.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "log.h"
#include "metrics.h"
#include "orchestrator.h"
#include "strbuf.h"
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
		metrics_lease_expired((unsigned)n);
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

/* Jobs named by notifications whose waiting runs are admitted at once. */
#define ADMIT_JOBS_MAX 1000

/*
 * take_notifies takes the notifications libpq has read; the job ids they
 * carry are added to jobs (an array literal being built).  Returns 1 when
 * there was one.
 */
static int
take_notifies(PGconn *conn, struct strbuf *jobs, int *njobs)
{
	PGnotify	*n;
	int		 got = 0;

	while ((n = PQnotifies(conn)) != NULL) {
		if (*njobs < ADMIT_JOBS_MAX && util_uuid_valid(n->extra) &&
		    strbuf_pg_array_text(jobs, n->extra) == 0)
			(*njobs)++;
		PQfreemem(n);
		got = 1;
	}
	return got;
}

/*
 * wait_notify waits up to ms for a notification on conn (or stop);
 * returns 1 when one came.  Notifications that came with the answers of
 * earlier statements are already read off the socket, so they are taken
 * first.  Slices keep the wait responsive to stop.
 */
static int
wait_notify(PGconn *conn, long ms, atomic_int *stop, struct strbuf *jobs,
    int *njobs)
{
	int64_t	until = util_mono_ms() + ms;

	if (take_notifies(conn, jobs, njobs))
		return 1;
	for (;;) {
		struct pollfd	pfd = { .fd = PQsocket(conn), .events = POLLIN };
		int64_t		left = until - util_mono_ms();
		int		rc;

		if (*stop || left <= 0 || pfd.fd < 0)
			return 0;
		rc = poll(&pfd, 1, left > 100 ? 100 : (int)left);
		if (rc < 0 && errno != EINTR)
			return 0;
		if (rc <= 0)
			continue;
		if (!PQconsumeInput(conn))
			return 0;	/* the next statement sees the loss */
		if (take_notifies(conn, jobs, njobs))
			return 1;
	}
}

/*
 * admit gives free places of the jobs in the array literal to their
 * waiting runs (a job edit may have raised max_active_runs).
 */
static void
admit(PGconn *conn, struct strbuf *jobs)
{
	const char	*params[1];
	PGresult	*res;

	if (strbuf_pg_array_end(jobs) != 0)
		return;
	params[0] = strbuf_str(jobs);
	res = PQexecParams(conn, "SELECT sum(ork_admit(j)) FROM "
	    "unnest($1::uuid[]) AS j", 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		log_warn("admitting waiting runs: %s", PQerrorMessage(conn));
	else if (!PQgetisnull(res, 0, 0) &&
	    strtol(PQgetvalue(res, 0, 0), NULL, 10) > 0)
		log_info("admitted %s waiting runs", PQgetvalue(res, 0, 0));
	PQclear(res);
}

static void *
leader_thread(void *arg)
{
	struct orch	*o = arg;
	PGconn		*conn = NULL;
	struct sched	*sched;
	char		 err[512];
	unsigned	 backoff = 250;
	int64_t		 next_prune = 0, next_reap = 0;
	int		 told = 1, njobs = 0;
	struct strbuf	 jobs;

	if ((sched = sched_new(o->cfg->zoneinfo,
	    o->cfg->misfire_grace_ms)) == NULL) {
		log_error("leader: out of memory");
		return NULL;
	}
	strbuf_init(&jobs, (size_t)40 * ADMIT_JOBS_MAX);
	while (!*o->stop) {
		int	held = 0, rc;
		long	wait_ms = 0;

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
			if (sched_listen(conn) != 0) {
				PQfinish(conn);	/* gives the lock back */
				conn = NULL;
				continue;
			}
			atomic_store(&o->leader, 1);
			told = 1;
			log_info("leading: this replica runs the scheduler "
			    "and the reaper");
		}
		if (util_mono_ms() >= next_reap) {
			if (reap(o, conn) == ORK_ECONN)
				continue;
			next_reap = util_mono_ms() + o->cfg->reap_interval_ms;
		}
		if (util_mono_ms() >= next_prune) {
			prune(o, conn);
			next_prune = util_mono_ms() + PRUNE_EVERY_MS;
		}
		if (njobs > 0) {
			admit(conn, &jobs);
			strbuf_reset(&jobs);
			njobs = 0;
		}
		rc = sched_pass(sched, o, conn, told, &wait_ms);
		if (rc == ORK_ECONN)
			continue;
		if (rc != 0)	/* logged; try again at the next reap */
			wait_ms = o->cfg->reap_interval_ms;
		if (wait_ms > next_reap - util_mono_ms())
			wait_ms = (long)(next_reap - util_mono_ms());
		told = wait_notify(conn, wait_ms, o->stop, &jobs, &njobs);
	}
	if (conn != NULL)
		PQfinish(conn);	/* releases the lock */
	atomic_store(&o->leader, 0);
	sched_free(sched);
	strbuf_free(&jobs);
	return NULL;
}

int
leader_start(struct orch *o)
{
	if (pthread_create(&o->leader_thread, NULL, leader_thread, o) != 0)
		return ORK_ENOMEM;
	return 0;
}
