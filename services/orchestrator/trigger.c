/*
 * trigger.c - TriggerRun requests, combined into batches.
 *
 * A run costs a transaction of its own mostly in overhead (commit, round
 * trip, notification).  Requests that arrive while a batch is being
 * written wait and go together in the next one: whichever request thread
 * finds no batch in progress takes every waiting request, creates all
 * their runs with one call of ork_trigger on its own connection, and
 * hands each its answer.  Under light load a batch is one request and
 * costs no extra wait.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "log.h"
#include "orchestrator.h"
#include "strbuf.h"

/* Most runs created by one statement. */
#define TRIGGER_BATCH_MAX 512
/* Most batches written at once (the database has several cores). */
#define TRIGGER_COMBINERS 1

static pthread_mutex_t	 tq_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 tq_done = PTHREAD_COND_INITIALIZER;
static struct trigger_item *tq_head, **tq_tail = &tq_head;
static int		 tq_busy;	/* batches being written */

/* run_batch creates the runs of n items; fills their answers. */
static void
run_batch(PGconn *conn, struct trigger_item **items, int n)
{
	struct strbuf	 jobs, by, params, traces, slots;
	const char	*values[5];
	PGresult	*res;
	char		 err[512];
	int		 rc = 0;

	strbuf_init(&jobs, 64 * TRIGGER_BATCH_MAX);
	strbuf_init(&by, 16 * TRIGGER_BATCH_MAX);
	strbuf_init(&params, (size_t)(ORCH_MAX_PARAMS + 16) * TRIGGER_BATCH_MAX);
	strbuf_init(&traces, 80 * TRIGGER_BATCH_MAX);
	strbuf_init(&slots, 24 * TRIGGER_BATCH_MAX);
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
	}
	if (rc == 0)
		rc = strbuf_pg_array_end(&jobs) || strbuf_pg_array_end(&by) ||
		    strbuf_pg_array_end(&params) ||
		    strbuf_pg_array_end(&traces) ||
		    strbuf_pg_array_end(&slots) ? ORK_ETOOBIG : 0;
	if (rc != 0) {
		snprintf(err, sizeof(err), "batch too large");
		goto fail;
	}
	values[0] = strbuf_str(&jobs);
	values[1] = strbuf_str(&by);
	values[2] = strbuf_str(&params);
	values[3] = strbuf_str(&traces);
	values[4] = strbuf_str(&slots);
	res = sql_exec(conn, "trigger", 5, values);
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
}

void
trigger_submit(PGconn *conn, struct trigger_item *it)
{
	it->done = 0;
	it->rc = ORK_EINTERNAL;
	it->next = NULL;
	pthread_mutex_lock(&tq_lock);
	*tq_tail = it;
	tq_tail = &it->next;
	while (!it->done) {
		struct trigger_item	*batch[TRIGGER_BATCH_MAX];
		int			 n = 0;

		if (tq_busy >= TRIGGER_COMBINERS || tq_head == NULL) {
			/* ours is in a batch being written, or must wait */
			pthread_cond_wait(&tq_done, &tq_lock);
			continue;
		}
		/* combine: take what waits, ours included */
		tq_busy++;
		while (tq_head != NULL && n < TRIGGER_BATCH_MAX) {
			batch[n++] = tq_head;
			tq_head = tq_head->next;
		}
		if (tq_head == NULL)
			tq_tail = &tq_head;
		pthread_mutex_unlock(&tq_lock);
		run_batch(conn, batch, n);
		pthread_mutex_lock(&tq_lock);
		for (int i = 0; i < n; i++)
			batch[i]->done = 1;
		tq_busy--;
		pthread_cond_broadcast(&tq_done);
	}
	pthread_mutex_unlock(&tq_lock);
}
