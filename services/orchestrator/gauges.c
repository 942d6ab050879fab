/*
 * gauges.c - the orchestrator's gauges read when /metrics is scraped:
 * leadership, and the ready queue (depth, age of its oldest task) from
 * one query on the ready-work index, on a connection of their own with
 * a short statement timeout, at most once per GAUGES_CACHE_MS however
 * often and however many scrapers ask.  Nothing is polled per job.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "log.h"
#include "metrics.h"
#include "orchestrator.h"
#include "util.h"

/* Values are read again after this long. */
#define GAUGES_CACHE_MS		1000
/* The query gives up after this long (statement_timeout). */
#define GAUGES_TIMEOUT_MS	"250"
/* After a failed connection, no new attempt before this long. */
#define GAUGES_RETRY_MS		5000

static pthread_mutex_t	 gauges_lock = PTHREAD_MUTEX_INITIALIZER;
static PGconn		*gauges_conn;
static int64_t		 gauges_read_ms;	/* last good read */
static int64_t		 gauges_retry_ms;

/* The partial index idx_task_runs_ready holds exactly these rows. */
static const char queue_sql[] =
    "SELECT count(*), coalesce(extract(epoch FROM now() - "
    "min(available_at)), 0)::float8 FROM task_runs "
    "WHERE status IN ('queued', 'retrying') AND available_at <= now()";

static int
gauges_connect(const struct orch *o)
{
	char err[512];

	if (db_connect(o->cfg->database_url, "ork-orchestrator-metrics",
	    &gauges_conn, err, sizeof(err)) != 0 ||
	    db_exec(gauges_conn, "SET statement_timeout = " GAUGES_TIMEOUT_MS,
	    err, sizeof(err)) != 0) {
		log_debug("metrics: could not connect to database: %s", err);
		if (gauges_conn != NULL)
			PQfinish(gauges_conn);
		gauges_conn = NULL;
		return -1;
	}
	return 0;
}

/*
 * gauges_scrape is the scrape hook (metrics_on_scrape) of an orchestrator,
 * arg its struct orch: sets the leader gauge, and the queue gauges when
 * their last read is a second old.  A failed read leaves the last values.
 */
void
gauges_scrape(void *arg)
{
	const struct orch	*o = arg;
	PGresult		*res;
	int64_t			 now;

	metrics_set(&m_leader, 0, atomic_load(&o->leader) ? 1 : 0);
	/* another scrape is reading: the values it leaves serve this one */
	if (pthread_mutex_trylock(&gauges_lock) != 0)
		return;
	now = util_mono_ms();
	if (gauges_read_ms != 0 && now - gauges_read_ms < GAUGES_CACHE_MS)
		goto out;
	if (gauges_conn != NULL && PQstatus(gauges_conn) != CONNECTION_OK) {
		PQfinish(gauges_conn);
		gauges_conn = NULL;
	}
	if (gauges_conn == NULL) {
		if (now < gauges_retry_ms)
			goto out;
		if (gauges_connect(o) != 0) {
			gauges_retry_ms = now + GAUGES_RETRY_MS;
			goto out;
		}
	}
	res = PQexec(gauges_conn, queue_sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		metrics_set(&m_queue_depth, 0, strtod(PQgetvalue(res, 0, 0),
		    NULL));
		metrics_set(&m_queue_oldest_age, 0, strtod(PQgetvalue(res, 0,
		    1), NULL));
		gauges_read_ms = now;
	} else {
		log_debug("metrics: could not read the queue: %s",
		    PQresultErrorMessage(res));
	}
	PQclear(res);
out:
	pthread_mutex_unlock(&gauges_lock);
}

/* gauges_close closes the connection; call after the health port stopped. */
void
gauges_close(void)
{
	pthread_mutex_lock(&gauges_lock);
	if (gauges_conn != NULL)
		PQfinish(gauges_conn);
	gauges_conn = NULL;
	pthread_mutex_unlock(&gauges_lock);
}
