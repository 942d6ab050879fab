/*
 * trigger.c - TriggerRun requests, combined into batches.
 *
 * A run costs a transaction of its own mostly in overhead (commit, round
 * trip, notification).  A TriggerRun handler queues the request and defers
 * its answer (the request thread goes on serving others, workers' leases
 * and reports included); one trigger thread takes every waiting request,
 * creates all their runs with one call of ork_trigger on its own
 * connection, and answers each.  Requests that arrive while a batch is
 * being written go together in the next one; under light load a batch is
 * one request and waits for nothing.
 */
#include <inttypes.h>
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

/* Most runs created by one statement. */
#define TRIGGER_BATCH_MAX 512

static pthread_mutex_t	 tq_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 tq_more = PTHREAD_COND_INITIALIZER;
static struct trigger_item *tq_head, **tq_tail = &tq_head;
static int		 tq_stop;

/* run_batch creates the runs of n items; fills their answers. */
static void
run_batch(PGconn *conn, struct trigger_item **items, int n)
{
	struct strbuf	 jobs, by, params, traces, slots, keys;
	const char	*values[6];
	PGresult	*res;
	char		 err[512];
	int		 rc = 0;

	strbuf_init(&jobs, 64 * TRIGGER_BATCH_MAX);
	strbuf_init(&by, 16 * TRIGGER_BATCH_MAX);
	strbuf_init(&params, (size_t)(ORCH_MAX_PARAMS + 16) * TRIGGER_BATCH_MAX);
	strbuf_init(&traces, 80 * TRIGGER_BATCH_MAX);
	strbuf_init(&slots, 24 * TRIGGER_BATCH_MAX);
	strbuf_init(&keys, 220 * TRIGGER_BATCH_MAX);
	for (int i = 0; i < n && rc == 0; i++) {
		char slot[32];

		snprintf(slot, sizeof(slot), "%" PRId64, items[i]->slot_us);
		rc = strbuf_pg_array_text(&jobs, items[i]->job_id);
		rc = rc != 0 ? rc : strbuf_pg_array_text(&by, items[i]->by);
		rc = rc != 0 ? rc : strbuf_pg_array_text(&params,
		    items[i]->params);
		rc = rc != 0 ? rc : strbuf_pg_array_text(&traces,
		    items[i]->trace);
		rc = rc != 0 ? rc : strbuf_pg_array_text(&slots, slot);
		rc = rc != 0 ? rc : strbuf_pg_array_text(&keys,
		    items[i]->key);
	}
	if (rc == 0)
		rc = strbuf_pg_array_end(&jobs) || strbuf_pg_array_end(&by) ||
		    strbuf_pg_array_end(&params) ||
		    strbuf_pg_array_end(&traces) ||
		    strbuf_pg_array_end(&slots) ||
		    strbuf_pg_array_end(&keys) ? ORK_ETOOBIG : 0;
	if (rc != 0) {
		snprintf(err, sizeof(err), "batch too large");
		goto fail;
	}
	values[0] = strbuf_str(&jobs);
	values[1] = strbuf_str(&by);
	values[2] = strbuf_str(&params);
	values[3] = strbuf_str(&traces);
	values[4] = strbuf_str(&slots);
	values[5] = strbuf_str(&keys);
	res = sql_exec(conn, "trigger", 6, values);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = db_result_error(conn, res, err, sizeof(err));
		PQclear(res);
		goto fail;
	}
	for (int row = 0; row < PQntuples(res); row++) {
		long			 i = strtol(PQgetvalue(res, row, 0), NULL,
		    10) - 1;
		struct trigger_item	*it;
		const char		*e = PQgetvalue(res, row, 4);

		if (i < 0 || i >= n)
			continue;
		it = items[i];
		if (*e != '\0') {
			it->rc = strcmp(e, "not_found") == 0 ? ORK_ENOTFOUND :
			    ORK_EINVAL;
			snprintf(it->error, sizeof(it->error), "job %s %s",
			    it->job_id, strcmp(e, "not_found") == 0 ?
			    "does not exist" : "has no tasks");
			continue;
		}
		it->rc = 0;
		snprintf(it->run_id, sizeof(it->run_id), "%s",
		    PQgetvalue(res, row, 1));
		snprintf(it->status, sizeof(it->status), "%s",
		    PQgetvalue(res, row, 2));
		it->created = PQgetvalue(res, row, 3)[0] == 't';
	}
	PQclear(res);
	goto out;
fail:
	for (int i = 0; i < n; i++) {
		items[i]->rc = rc == ORK_ECONN ? ORK_ECONN : ORK_EDB;
		snprintf(items[i]->error, sizeof(items[i]->error), "%s", err);
	}
out:
	strbuf_free(&jobs);
	strbuf_free(&by);
	strbuf_free(&params);
	strbuf_free(&traces);
	strbuf_free(&slots);
	strbuf_free(&keys);
}

void
trigger_item_free(struct trigger_item *it)
{
	if (it == NULL)
		return;
	free(it->job_id);
	free(it->by);
	free(it->params);
	free(it->trace);
	free(it->key);
	free(it);
}

int
trigger_enqueue(struct trigger_item *it)
{
	pthread_mutex_lock(&tq_lock);
	if (tq_stop) {
		pthread_mutex_unlock(&tq_lock);
		return ORK_ECLOSED;
	}
	it->next = NULL;
	*tq_tail = it;
	tq_tail = &it->next;
	pthread_cond_signal(&tq_more);
	pthread_mutex_unlock(&tq_lock);
	return 0;
}

/* answer sends an item's reply, frees it, and says whether a run began. */
static int
answer(struct trigger_item *it)
{
	Ork__TriggerRunReply	 r = ORK__TRIGGER_RUN_REPLY__INIT;
	struct log_ids		 ids = { .job_id = it->job_id,
	    .trace_id = it->trace };
	int			 created = 0;

	switch (it->rc) {
	case 0:
		r.run_id = it->run_id;
		r.status = it->status;
		r.created = it->created;
		created = it->created;
		if (created)
			metrics_inc(&m_runs_triggered, (unsigned)metrics_index(
			    &m_runs_triggered, 0, it->by));
		ids.run_id = it->run_id;
		log_ids_debug(&ids, "run %s (%s)", it->created ? "created" :
		    "exists", it->by);
		(void)msg_deferred_reply(it->reply,
		    ORK__MSG_TYPE__MSG_TRIGGER_RUN_REPLY, &r.base);
		break;
	case ORK_ENOTFOUND:
		msg_deferred_error(it->reply, ORK__ERROR__CODE__NOT_FOUND,
		    "job_id", "%s", it->error);
		break;
	case ORK_EINVAL:
		msg_deferred_error(it->reply, ORK__ERROR__CODE__INVALID,
		    "job_id", "%s", it->error);
		break;
	case ORK_ECONN:
	case ORK_ECLOSED:
		msg_deferred_error(it->reply, ORK__ERROR__CODE__UNAVAILABLE,
		    NULL, "database unavailable: %s", it->error);
		break;
	default:
		log_error("trigger failed: %s", it->error);
		msg_deferred_error(it->reply, ORK__ERROR__CODE__INTERNAL, NULL,
		    "trigger failed: %s", it->error);
		break;
	}
	trigger_item_free(it);
	return created;
}

static void *
trigger_thread(void *arg)
{
	struct orch	*o = arg;
	PGconn		*conn = NULL;
	char		 err[512];

	for (;;) {
		struct trigger_item	*batch[TRIGGER_BATCH_MAX];
		int			 n = 0, created = 0;

		pthread_mutex_lock(&tq_lock);
		while (tq_head == NULL && !*o->stop)
			pthread_cond_wait(&tq_more, &tq_lock);
		if (*o->stop)
			tq_stop = 1;
		while (tq_head != NULL && n < TRIGGER_BATCH_MAX) {
			batch[n++] = tq_head;
			tq_head = tq_head->next;
		}
		if (tq_head == NULL)
			tq_tail = &tq_head;
		pthread_mutex_unlock(&tq_lock);
		if (n == 0)
			break;		/* stopping, nothing left */

		if (conn != NULL && PQstatus(conn) != CONNECTION_OK) {
			PQfinish(conn);
			conn = NULL;
		}
		if (conn == NULL && (db_connect(o->cfg->database_url,
		    "ork-orchestrator-trigger", &conn, err, sizeof(err)) != 0 ||
		    sql_prepare_all(conn, err, sizeof(err)) != 0)) {
			if (conn != NULL)
				PQfinish(conn);
			conn = NULL;
			for (int i = 0; i < n; i++) {
				batch[i]->rc = ORK_ECONN;
				snprintf(batch[i]->error,
				    sizeof(batch[i]->error), "%s", err);
			}
		} else {
			run_batch(conn, batch, n);
		}
		for (int i = 0; i < n; i++)
			created += answer(batch[i]);
		if (created > 0)
			events_publish_work(o, (unsigned)created);
		if (conn == NULL)	/* do not spin on a dead database */
			util_sleep_ms_interruptible(250, o->stop);
	}
	if (conn != NULL)
		PQfinish(conn);
	return NULL;
}

int
trigger_start(struct orch *o)
{
	if (pthread_create(&o->trigger_thread, NULL, trigger_thread, o) != 0)
		return ORK_ENOMEM;
	return 0;
}

void
trigger_wake(void)
{
	pthread_mutex_lock(&tq_lock);
	pthread_cond_broadcast(&tq_more);
	pthread_mutex_unlock(&tq_lock);
}
