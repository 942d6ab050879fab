/*
 * logship.c - task output on its way to the orchestrator.
 *
 * Executors append lines from their threads; the dispatcher ships them in
 * batches (TaskLogs), removing them only once the orchestrator stored
 * them.  The queue is bounded: past WORKER_LOG_QUEUE_MAX lines new lines
 * are counted and dropped, and the count is logged as one line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "msg.h"
#include "worker.h"

void
logship_line(struct task_ctx *ctx, const char *stream, const char *line,
    size_t len)
{
	struct slot		*s = ctx->log_arg;
	struct worker		*w = s->w;
	struct log_entry	*e;
	char			*copy;

	copy = malloc(len + 1);
	if (copy == NULL)
		return;
	memcpy(copy, line, len);
	copy[len] = '\0';
	/* text columns cannot hold NUL bytes: cut at the first one */
	pthread_mutex_lock(&w->lock);
	if (w->nlogq >= WORKER_LOG_QUEUE_MAX) {
		w->logs_dropped++;
		pthread_mutex_unlock(&w->lock);
		free(copy);
		return;
	}
	e = &w->logq[w->nlogq++];
	snprintf(e->task_run_id, sizeof(e->task_run_id), "%s",
	    ctx->task_run_id);
	e->attempt = ctx->attempt;
	e->at_us = util_now_us();
	snprintf(e->stream, sizeof(e->stream), "%s", stream);
	e->line = copy;
	pthread_mutex_unlock(&w->lock);
}

int
logship_flush(struct worker *w)
{
	Ork__TaskLogs	 m = ORK__TASK_LOGS__INIT;
	Ork__LogLine	*lines = NULL, **ptrs = NULL;
	struct msg	 reply;
	char		 err[256];
	unsigned	 dropped;
	int		 n, rc;

	pthread_mutex_lock(&w->lock);
	n = w->nlogq < WORKER_LOG_BATCH ? w->nlogq : WORKER_LOG_BATCH;
	dropped = w->logs_dropped;
	w->logs_dropped = 0;
	pthread_mutex_unlock(&w->lock);
	if (dropped > 0)
		log_warn("dropped %u task log lines: the queue was full",
		    dropped);
	if (n == 0)
		return 0;
	lines = calloc((size_t)n, sizeof(*lines));
	ptrs = calloc((size_t)n, sizeof(*ptrs));
	if (lines == NULL || ptrs == NULL) {
		rc = ORK_ENOMEM;
		goto out;
	}
	/* Entries before n are only removed here, so they stay put. */
	for (int i = 0; i < n; i++) {
		struct log_entry *e = &w->logq[i];

		ork__log_line__init(&lines[i]);
		lines[i].task_run_id = e->task_run_id;
		lines[i].attempt = e->attempt;
		lines[i].logged_at_us = e->at_us;
		lines[i].stream = e->stream;
		lines[i].line = e->line;
		ptrs[i] = &lines[i];
	}
	m.worker_id = w->id;
	m.n_lines = (size_t)n;
	m.lines = ptrs;
	rc = msg_call(w->req, ORK__MSG_TYPE__MSG_TASK_LOGS, &m.base, NULL,
	    (int)w->cfg->request_timeout_ms, &reply, err, sizeof(err));
	if (rc != 0) {
		log_warn("could not ship %d log lines: %s", n, err);
		goto out;
	}
	msg_release(&reply);
	pthread_mutex_lock(&w->lock);
	for (int i = 0; i < n; i++)
		free(w->logq[i].line);
	memmove(w->logq, w->logq + n, (size_t)(w->nlogq - n) *
	    sizeof(*w->logq));
	w->nlogq -= n;
	pthread_mutex_unlock(&w->lock);
out:
	free(lines);
	free(ptrs);
	return rc;
}

int
logship_pending(struct worker *w)
{
	int n;

	pthread_mutex_lock(&w->lock);
	n = w->nlogq;
	pthread_mutex_unlock(&w->lock);
	return n;
}
