/*
 * events.c - what the orchestrator publishes on its PUB address.
 *
 * Every state change is a row of the events table, written in the same
 * transaction and followed by a NOTIFY on "ork_events".  One thread per
 * replica LISTENs, reads the new rows and publishes them as RunChanged and
 * TaskChanged, up to CHANGES_PER_FRAME of them in one Changes frame (plus
 * one WorkAvailable for the tasks that became ready; CancelTask for one
 * asked to stop), so a subscriber of any replica sees the changes made
 * through every replica.
 *
 * Event ids come from an identity column: a transaction that took a
 * smaller id may commit after one with a larger id.  Ids skipped over are
 * kept as gaps and looked for again until GAP_WAIT_MS has passed (then
 * their transaction rolled back), so a late commit is still published.
 * Handlers also publish WorkAvailable and CancelTask directly, for speed:
 * events are hints; a worker takes a duplicate hint as one.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
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

/* How long a skipped event id is waited for. */
#define GAP_WAIT_MS 3000
/* Most gaps tracked; beyond, the oldest are given up. */
#define GAP_MAX 1024
/* Most events read per query. */
#define EVENTS_BATCH 2000
#define EVENTS_BATCH_STR "2000"
/* Poll interval when no notification arrives. */
#define EVENTS_POLL_MS 500
/*
 * Reads are at least this far apart: under load, notifications of many
 * transactions are taken together by one query.
 */
#define EVENTS_COALESCE_MS 10

struct gap {
	int64_t	id;
	int64_t	seen_ms;
};

struct frame;

struct listener {
	struct orch	*o;
	PGconn		*conn;
	int64_t		 last;		/* highest id published */
	struct frame	*frame;		/* the Changes being filled */
	struct gap	 gaps[GAP_MAX];
	int		 ngaps;
};

void
events_publish_work(struct orch *o, unsigned count)
{
	Ork__WorkAvailable w = ORK__WORK_AVAILABLE__INIT;

	w.count = count;
	(void)msg_publish(o->pub, ORK__MSG_TYPE__MSG_WORK_AVAILABLE, &w.base,
	    NULL);
}

void
events_publish_cancel(struct orch *o, const char *task_run_id,
    unsigned attempt, const char *trace_id)
{
	Ork__CancelTask c = ORK__CANCEL_TASK__INIT;

	c.task_run_id = (char *)(uintptr_t)task_run_id;
	c.attempt = attempt;
	(void)msg_publish(o->pub, ORK__MSG_TYPE__MSG_CANCEL_TASK, &c.base,
	    trace_id);
}

static int
listener_connect(struct listener *l)
{
	char		err[512];
	PGresult	*res;

	if (l->conn != NULL)
		PQfinish(l->conn);
	l->conn = NULL;
	if (db_connect(l->o->cfg->database_url, "ork-orchestrator-events",
	    &l->conn, err, sizeof(err)) != 0) {
		log_warn("events: could not connect to database: %s", err);
		return ORK_ECONN;
	}
	/*
	 * Events are read by key only.  A young table (no statistics yet)
	 * would otherwise be read whole on every wake (as the state
	 * machine's functions, 0001_init.sql).
	 */
	if (db_exec(l->conn, "SET enable_seqscan = off", err,
	    sizeof(err)) != 0 ||
	    db_exec(l->conn, "LISTEN ork_events", err, sizeof(err)) != 0) {
		log_warn("events: could not listen: %s", err);
		return ORK_EDB;
	}
	if (l->last == 0) {
		res = PQexec(l->conn, "SELECT coalesce(max(event_id), 0) "
		    "FROM events");
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			l->last = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
	}
	return 0;
}

/*
 * count_row counts a change in the run and task metrics.  Every replica
 * reads every event: only the leader counts, so that the sum over
 * replicas counts each change once.
 */
static void
count_row(const struct orch *o, const char *kind, const char *status)
{
	if (!atomic_load(&o->leader))
		return;
	if (strcmp(kind, "run") == 0) {
		if (strcmp(status, "running") == 0)
			metrics_inc(&m_runs_started, 0);
		else if (strcmp(status, "success") == 0 ||
		    strcmp(status, "failed") == 0 ||
		    strcmp(status, "cancelled") == 0)
			metrics_inc(&m_runs_finished, (unsigned)metrics_index(
			    &m_runs_finished, 0, status));
	} else if (strcmp(status, "running") == 0) {
		metrics_inc(&m_tasks_started, 0);
	} else if (strcmp(status, "retrying") == 0) {
		metrics_inc(&m_task_retries, 0);
	} else if (strcmp(status, "success") == 0 ||
	    strcmp(status, "failed") == 0 ||
	    strcmp(status, "cancelled") == 0 ||
	    strcmp(status, "skipped") == 0) {
		metrics_inc(&m_tasks_finished, (unsigned)metrics_index(
		    &m_tasks_finished, 0, status));
	}
}

/* Most changes in one Changes frame (about 130 bytes each). */
#define CHANGES_PER_FRAME 500

/*
 * The Changes frame being filled: its entries point into the result of
 * the read, which outlives the frame.
 */
struct frame {
	Ork__RunChanged		 runs[CHANGES_PER_FRAME];
	Ork__TaskChanged	 tasks[CHANGES_PER_FRAME];
	Ork__RunChanged		*run_ptrs[CHANGES_PER_FRAME];
	Ork__TaskChanged	*task_ptrs[CHANGES_PER_FRAME];
	size_t			 nruns, ntasks;
	unsigned		 queued;	/* tasks that became ready */
};

/* frame_flush publishes what f holds (and the work it made) and empties f. */
static void
frame_flush(struct listener *l, struct frame *f)
{
	Ork__Changes c = ORK__CHANGES__INIT;

	if (f->nruns + f->ntasks > 0) {
		c.n_runs = f->nruns;
		c.runs = f->run_ptrs;
		c.n_tasks = f->ntasks;
		c.tasks = f->task_ptrs;
		(void)msg_publish(l->o->pub, ORK__MSG_TYPE__MSG_CHANGES,
		    &c.base, NULL);
	}
	if (f->queued > 0)
		events_publish_work(l->o, f->queued);
	f->nruns = f->ntasks = 0;
	f->queued = 0;
}

/* frame_add adds row i of res to f, publishing f first when it is full. */
static void
frame_add(struct listener *l, struct frame *f, PGresult *res, int i)
{
	const char	*kind = PQgetvalue(res, i, 1);
	const char	*status = PQgetvalue(res, i, 5);
	int64_t		 id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
	int64_t		 at = strtoll(PQgetvalue(res, i, 7), NULL, 10);

	count_row(l->o, kind, status);
	if (f->nruns == CHANGES_PER_FRAME || f->ntasks == CHANGES_PER_FRAME)
		frame_flush(l, f);
	if (strcmp(kind, "run") == 0) {
		Ork__RunChanged *r = &f->runs[f->nruns];

		ork__run_changed__init(r);
		r->event_id = id;
		r->job_id = PQgetvalue(res, i, 2);
		r->run_id = PQgetvalue(res, i, 3);
		r->status = (char *)(uintptr_t)status;
		r->changed_at_us = at;
		f->run_ptrs[f->nruns++] = r;
	} else {
		Ork__TaskChanged *t = &f->tasks[f->ntasks];

		ork__task_changed__init(t);
		t->event_id = id;
		t->job_id = PQgetvalue(res, i, 2);
		t->run_id = PQgetvalue(res, i, 3);
		t->task_run_id = PQgetvalue(res, i, 4);
		t->status = (char *)(uintptr_t)status;
		t->attempt = (uint32_t)strtoul(PQgetvalue(res, i, 6), NULL, 10);
		t->changed_at_us = at;
		f->task_ptrs[f->ntasks++] = t;
		if (strcmp(status, "queued") == 0)
			f->queued++;
	}
}

static void
gap_remove(struct listener *l, int64_t id)
{
	for (int i = 0; i < l->ngaps; i++) {
		if (l->gaps[i].id == id) {
			l->gaps[i] = l->gaps[--l->ngaps];
			return;
		}
	}
}

static void
gap_add(struct listener *l, int64_t id, int64_t now)
{
	if (l->ngaps == GAP_MAX) {
		/* forget the oldest */
		int oldest = 0;

		for (int i = 1; i < l->ngaps; i++)
			if (l->gaps[i].seen_ms < l->gaps[oldest].seen_ms)
				oldest = i;
		l->gaps[oldest] = l->gaps[--l->ngaps];
	}
	l->gaps[l->ngaps].id = id;
	l->gaps[l->ngaps].seen_ms = now;
	l->ngaps++;
}

/* drain reads and publishes what is new; returns rows seen or an error. */
static int
drain(struct listener *l)
{
	struct strbuf	 gaps;
	char		 last[32];
	const char	*params[2];
	PGresult	*res;
	int64_t		 now = util_mono_ms();
	int		 n;

	strbuf_init(&gaps, 64 * GAP_MAX);
	for (int i = 0; i < l->ngaps;) {
		if (now - l->gaps[i].seen_ms > GAP_WAIT_MS) {
			l->gaps[i] = l->gaps[--l->ngaps];
			continue;
		}
		char num[32];

		snprintf(num, sizeof(num), "%" PRId64, l->gaps[i].id);
		(void)strbuf_pg_array_text(&gaps, num);
		i++;
	}
	(void)strbuf_pg_array_end(&gaps);
	snprintf(last, sizeof(last), "%" PRId64, l->last);
	params[0] = last;
	params[1] = strbuf_str(&gaps);
	/*
	 * Two index range reads: an OR here would scan the table, and so
	 * would "event_id > $1" alone, which the planner guesses to match a
	 * third of the table (a fresh one has no statistics): the ORDER BY
	 * ... LIMIT makes the index the cheap way.
	 */
	res = PQexecParams(l->conn, "SELECT * FROM (("
	    "SELECT event_id, kind, job_id, run_id, task_run_id, status, "
	    "coalesce(attempt, 0), (extract(epoch FROM created_at) * "
	    "1000000)::int8 FROM events WHERE event_id > $1::int8 "
	    "ORDER BY event_id LIMIT " EVENTS_BATCH_STR ") "
	    "UNION ALL "
	    "SELECT event_id, kind, job_id, run_id, task_run_id, status, "
	    "coalesce(attempt, 0), (extract(epoch FROM created_at) * "
	    "1000000)::int8 FROM events WHERE event_id = ANY ($2::int8[]) "
	    "AND event_id <= $1::int8) e "
	    "ORDER BY event_id LIMIT " EVENTS_BATCH_STR, 2, NULL, params, NULL,
	    NULL, 0);
	strbuf_free(&gaps);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		char err[256];
		int rc = db_result_error(l->conn, res, err, sizeof(err));

		log_warn("events: could not read events: %s", err);
		PQclear(res);
		return rc;
	}
	n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		int64_t id = strtoll(PQgetvalue(res, i, 0), NULL, 10);

		if (id <= l->last) {
			gap_remove(l, id);
		} else {
			for (int64_t g = l->last + 1; g < id; g++)
				gap_add(l, g, now);
			l->last = id;
		}
		frame_add(l, l->frame, res, i);
	}
	frame_flush(l, l->frame);
	PQclear(res);
	return n;
}

static void *
events_thread(void *arg)
{
	struct listener	*l = calloc(1, sizeof(*l));
	struct orch	*o = arg;
	unsigned	 backoff = 250;

	if (l == NULL || (l->frame = calloc(1, sizeof(*l->frame))) == NULL) {
		free(l);
		log_error("events: out of memory");
		return NULL;
	}
	l->o = o;
	while (!*o->stop) {
		struct pollfd	 pfd;
		PGnotify	*nf;
		int		 got = 0, rc;

		if (l->conn == NULL || PQstatus(l->conn) != CONNECTION_OK) {
			if (listener_connect(l) != 0) {
				util_sleep_ms_interruptible(backoff, o->stop);
				backoff = backoff * 2 > 5000 ? 5000 :
				    backoff * 2;
				continue;
			}
			backoff = 250;
		}
		pfd.fd = PQsocket(l->conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, l->ngaps > 0 ? 100 : EVENTS_POLL_MS);
		if (rc < 0 && errno != EINTR)
			break;
		if (rc > 0 && PQconsumeInput(l->conn) == 0) {
			log_warn("events: connection lost: %s",
			    PQerrorMessage(l->conn));
			PQfinish(l->conn);
			l->conn = NULL;
			continue;
		}
		while ((nf = PQnotifies(l->conn)) != NULL) {
			got = 1;
			PQfreemem(nf);
		}
		(void)got;
		/* read on every wake: a notification or the poll timeout */
		while (drain(l) == EVENTS_BATCH)
			;
		util_sleep_ms_interruptible(EVENTS_COALESCE_MS, o->stop);
	}
	if (l->conn != NULL)
		PQfinish(l->conn);
	free(l->frame);
	free(l);
	return NULL;
}

int
events_start(struct orch *o)
{
	if (pthread_create(&o->events_thread, NULL, events_thread, o) != 0)
		return ORK_ENOMEM;
	return 0;
}
