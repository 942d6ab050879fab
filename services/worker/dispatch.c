/*
 * dispatch.c - the worker's loop: register, lease, run, heartbeat, report.
 *
 * One dispatcher thread talks to the orchestrator; each running task has
 * a thread of its own (quick kinds run inline); a subscriber thread turns
 * WorkAvailable and CancelTask events into wake-ups and cancels.
 *
 * Fencing: a lease is good until lease_ms after the request that granted
 * or last renewed it was *sent*.  A task whose lease could not be renewed
 * is stopped LEASE_MARGIN before that moment and reported nowhere, so the
 * orchestrator's reaper can hand it to another worker only after this
 * copy has stopped: two copies never run side by side.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "err.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "taskcfg.h"
#include "worker.h"

/* Backoff of registration and of failed requests. */
#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 5000

/*
 * lease_margin: how long before the lease runs out a task is stopped.
 * Stopping takes up to KILL_GRACE_MS (exec_command.c): the margin leaves
 * room for it twice over.
 */
static int64_t
lease_margin(const struct worker *w)
{
	int64_t m = w->lease_ms / 4;

	if (m < 1000)
		m = 1000;
	if (m > w->lease_ms / 2)
		m = w->lease_ms / 2;
	return m;
}

static void
ids_of(const struct slot *s, struct log_ids *ids)
{
	memset(ids, 0, sizeof(*ids));
	ids->job_id = s->job_id;
	ids->run_id = s->run_id;
	ids->task_run_id = s->task_run_id;
	ids->attempt = s->attempt;
	ids->worker_id = s->w->id;
	ids->trace_id = s->trace_id;
}

static int
register_worker(struct worker *w)
{
	Ork__RegisterWorker	 m = ORK__REGISTER_WORKER__INIT;
	const char		*kinds[32];
	struct msg		 reply;
	char			 err[512];
	unsigned		 wait_ms = RETRY_MIN_MS;
	int			 rc;

	m.worker_id = w->id;
	m.hostname = w->hostname;
	m.capacity = (uint32_t)w->cfg->concurrency;
	m.n_kinds = executor_kinds(kinds, 32);
	m.kinds = (char **)(uintptr_t)kinds;
	m.protocol_version = MSG_PROTOCOL_VERSION;
	m.version = (char *)(uintptr_t)ORK_VERSION;
	while (!daemon_stop) {
		rc = msg_call(w->req, ORK__MSG_TYPE__MSG_REGISTER_WORKER,
		    &m.base, NULL, (int)w->cfg->request_timeout_ms, &reply, err,
		    sizeof(err));
		if (rc == 0) {
			Ork__RegisterWorkerReply *r =
			    (Ork__RegisterWorkerReply *)reply.body;

			if (!r->accepted) {
				log_error("the orchestrator refused this "
				    "worker: %s", r->reason);
				msg_release(&reply);
				return ORK_EVERSION;
			}
			pthread_mutex_lock(&w->lock);
			w->lease_ms = r->lease_ms;
			w->heartbeat_ms = r->heartbeat_ms;
			pthread_mutex_unlock(&w->lock);
			msg_release(&reply);
			atomic_store(&w->connected, 1);
			return 0;
		}
		if (rc == ORK_EVERSION) {
			log_error("the orchestrator refused this worker: %s",
			    err);
			return rc;
		}
		atomic_store(&w->connected, 0);
		log_warn("could not register with the orchestrator at %s: %s; "
		    "retrying in %u ms", w->cfg->control, err, wait_ms);
		if (util_sleep_ms_interruptible(wait_ms, &daemon_stop) != 0)
			break;
		wait_ms = wait_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
		    wait_ms * 2;
	}
	return ORK_ECANCELED;
}

static void *
task_thread(void *arg)
{
	struct slot	*s = arg;
	struct worker	*w = s->w;

	s->rc = s->exec->run(&s->ctx);
	s->finished_us = util_now_us();
	pthread_mutex_lock(&w->lock);
	atomic_store(&s->done, 1);
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* slot_count counts a finished attempt in the worker's metrics. */
static void
slot_count(const struct slot *s, const char *outcome)
{
	int kind = metrics_index(&m_task_duration, 0, s->kind);
	int out = metrics_index(&m_worker_tasks, 1, outcome);

	metrics_inc(&m_worker_tasks, metrics_series2(&m_worker_tasks,
	    (unsigned)kind, (unsigned)out));
	if (s->finished_us > s->started_us)
		metrics_observe(&m_task_duration, (unsigned)kind,
		    (double)(s->finished_us - s->started_us) / 1e6);
	if (s->rc == 0 && s->ctx.rows_moved > 0)
		metrics_add(&m_task_rows, (unsigned)kind,
		    (uint64_t)s->ctx.rows_moved);
}

static void
slot_clear(struct slot *s)
{
	if (s->used) {
		metrics_gauge_add(&m_worker_slots, METRICS_SLOT_BUSY, -1);
		metrics_gauge_add(&m_worker_slots, METRICS_SLOT_FREE, 1);
	}
	cJSON_Delete(s->extractor);
	cJSON_Delete(s->loader);
	for (int i = 0; i < s->ctx.nsecrets; i++)
		free(s->ctx.secrets[i]);
	memset(&s->ctx, 0, sizeof(s->ctx));
	s->extractor = NULL;
	s->loader = NULL;
	s->used = 0;
	s->has_thread = 0;
	atomic_store(&s->done, 0);
	atomic_store(&s->cancel, TASK_RUN);
}

/* slot_start fills a free slot from a lease and starts the task. */
static void
slot_start(struct worker *w, struct slot *s, const Ork__TaskLease *l,
    int64_t sent_ms)
{
	struct log_ids ids;

	memset(s, 0, sizeof(*s));
	s->w = w;
	s->used = 1;
	snprintf(s->task_run_id, sizeof(s->task_run_id), "%s", l->task_run_id);
	snprintf(s->run_id, sizeof(s->run_id), "%s", l->run_id);
	snprintf(s->job_id, sizeof(s->job_id), "%s", l->job_id);
	snprintf(s->trace_id, sizeof(s->trace_id), "%s", l->trace_id);
	snprintf(s->kind, sizeof(s->kind), "%s", l->kind);
	s->attempt = l->attempt;
	s->timeout_seconds = l->timeout_seconds;
	s->started_ms = util_mono_ms();
	s->started_us = util_now_us();
	s->lease_deadline_ms = sent_ms + w->lease_ms - lease_margin(w);
	atomic_store(&s->cancel, TASK_RUN);
	atomic_store(&s->done, 0);
	s->extractor = cJSON_Parse(l->extractor_config_json);
	s->loader = cJSON_Parse(l->loader_config_json);
	s->exec = executor_find(l->kind);
	metrics_gauge_add(&m_worker_slots, METRICS_SLOT_BUSY, 1);
	metrics_gauge_add(&m_worker_slots, METRICS_SLOT_FREE, -1);
	/* trigger to start: the first attempt of a run's first task */
	if (l->attempt == 1 && l->task_order == 0 && l->triggered_at_us > 0)
		metrics_observe(&m_dispatch_latency, 0,
		    (double)(s->started_us - l->triggered_at_us) / 1e6);

	s->ctx.task_run_id = s->task_run_id;
	s->ctx.run_id = s->run_id;
	s->ctx.job_id = s->job_id;
	s->ctx.trace_id = s->trace_id;
	s->ctx.kind = s->kind;
	s->ctx.attempt = s->attempt;
	s->ctx.extractor = s->extractor;
	s->ctx.loader = s->loader;
	s->ctx.timeout_seconds = s->timeout_seconds;
	s->ctx.task_order = l->task_order;
	s->ctx.cursor_epoch = l->cursor_epoch;
	s->ctx.cancel = &s->cancel;
	s->ctx.log = logship_line;
	s->ctx.log_arg = s;
	ids_of(s, &ids);
	log_ids_debug(&ids, "task started (%s)", s->kind);

	if (s->exec == NULL || s->extractor == NULL) {
		snprintf(s->ctx.error, sizeof(s->ctx.error), s->exec == NULL ?
		    "this worker cannot run tasks of kind \"%s\"" :
		    "extractor_config of kind \"%s\" is not valid JSON",
		    s->kind);
		s->rc = ORK_EINVAL;
		s->finished_us = util_now_us();
		atomic_store(&s->done, 1);
		return;
	}
	{
		/* the same checks the api made when the job was defined */
		struct json_err	je;
		char		kind[TASKCFG_KIND_MAX];

		if (taskcfg_check_config_text(l->extractor_config_json,
		    l->loader_config_json, kind, &je) != 0) {
			snprintf(s->ctx.error, sizeof(s->ctx.error),
			    "invalid task configuration: %s: %s", je.field,
			    je.message);
			s->rc = ORK_EINVAL;
			s->finished_us = util_now_us();
			atomic_store(&s->done, 1);
			return;
		}
	}
	if (s->exec->run_inline) {
		s->rc = s->exec->run(&s->ctx);
		s->finished_us = util_now_us();
		atomic_store(&s->done, 1);
		return;
	}
	if (pthread_create(&s->thread, NULL, task_thread, s) != 0) {
		snprintf(s->ctx.error, sizeof(s->ctx.error),
		    "could not start a thread for the task");
		s->rc = ORK_ENOMEM;
		s->finished_us = util_now_us();
		atomic_store(&s->done, 1);
		return;
	}
	s->has_thread = 1;
}

static int
count_used(const struct worker *w)
{
	int n = 0;

	for (long i = 0; i < w->cfg->concurrency; i++)
		n += w->slots[i].used;
	return n;
}

/* start_leases fills free slots with leased tasks; returns how many. */
static int
start_leases(struct worker *w, Ork__TaskLease **leases, size_t n,
    uint32_t lease_ms, int64_t sent)
{
	int got = 0;

	pthread_mutex_lock(&w->lock);
	if (lease_ms > 0)
		w->lease_ms = lease_ms;
	for (size_t i = 0; i < n; i++) {
		for (long k = 0; k < w->cfg->concurrency; k++) {
			if (!w->slots[k].used) {
				slot_start(w, &w->slots[k], leases[i], sent);
				got++;
				break;
			}
		}
	}
	pthread_mutex_unlock(&w->lock);
	return got;
}

/* lease asks for up to free tasks; returns how many it got or an error. */
static int
lease(struct worker *w, int free_slots)
{
	Ork__LeaseTasks		 m = ORK__LEASE_TASKS__INIT;
	Ork__LeaseTasksReply	*r;
	const char		*kinds[32];
	struct msg		 reply;
	char			 err[512];
	int64_t			 sent = util_mono_ms();
	int			 rc, got;

	m.worker_id = w->id;
	m.max_tasks = (uint32_t)free_slots;
	m.n_kinds = executor_kinds(kinds, 32);
	m.kinds = (char **)(uintptr_t)kinds;
	rc = msg_call(w->req, ORK__MSG_TYPE__MSG_LEASE_TASKS, &m.base, NULL,
	    (int)w->cfg->request_timeout_ms, &reply, err, sizeof(err));
	if (rc != 0) {
		log_warn("could not lease tasks: %s", err);
		return rc;
	}
	r = (Ork__LeaseTasksReply *)reply.body;
	got = start_leases(w, r->leases, r->n_leases, r->lease_ms, sent);
	msg_release(&reply);
	return got;
}

static struct slot *
find_slot(struct worker *w, const char *task_run_id, unsigned attempt)
{
	for (long i = 0; i < w->cfg->concurrency; i++) {
		struct slot *s = &w->slots[i];

		if (s->used && s->attempt == attempt &&
		    strcmp(s->task_run_id, task_run_id) == 0)
			return s;
	}
	return NULL;
}

/* stop_task asks a running task to stop for a reason (first one wins). */
static void
stop_task(struct slot *s, int why, const char *what)
{
	int		expected = TASK_RUN;
	struct log_ids	ids;

	if (atomic_load(&s->done))
		return;
	if (atomic_compare_exchange_strong(&s->cancel, &expected, why)) {
		ids_of(s, &ids);
		log_ids_info(&ids, "stopping task: %s", what);
	}
}

static int
heartbeat(struct worker *w)
{
	Ork__Heartbeat		 m = ORK__HEARTBEAT__INIT;
	Ork__HeartbeatReply	*r;
	Ork__TaskRef		*refs, **ptrs;
	struct msg		 reply;
	char			 err[512];
	int64_t			 sent = util_mono_ms();
	int			 n = 0, rc;

	refs = calloc((size_t)w->cfg->concurrency, sizeof(*refs));
	ptrs = calloc((size_t)w->cfg->concurrency, sizeof(*ptrs));
	if (refs == NULL || ptrs == NULL) {
		free(refs);
		free(ptrs);
		return ORK_ENOMEM;
	}
	pthread_mutex_lock(&w->lock);
	for (long i = 0; i < w->cfg->concurrency; i++) {
		struct slot *s = &w->slots[i];

		if (!s->used || atomic_load(&s->done))
			continue;
		ork__task_ref__init(&refs[n]);
		refs[n].task_run_id = s->task_run_id;
		refs[n].attempt = s->attempt;
		ptrs[n] = &refs[n];
		n++;
	}
	pthread_mutex_unlock(&w->lock);
	m.worker_id = w->id;
	m.running = ptrs;
	m.n_running = (size_t)n;
	m.free_slots = (uint32_t)(w->cfg->concurrency - n);
	m.draining = daemon_stop != 0;
	rc = msg_call(w->req, ORK__MSG_TYPE__MSG_HEARTBEAT, &m.base, NULL,
	    (int)w->cfg->request_timeout_ms, &reply, err, sizeof(err));
	free(refs);
	free(ptrs);
	if (rc != 0) {
		atomic_store(&w->connected, 0);
		log_warn("heartbeat failed: %s", err);
		return rc;
	}
	atomic_store(&w->connected, 1);
	r = (Ork__HeartbeatReply *)reply.body;
	pthread_mutex_lock(&w->lock);
	if (r->lease_ms > 0)
		w->lease_ms = r->lease_ms;
	for (size_t i = 0; i < r->n_renewed; i++) {
		struct slot *s = find_slot(w, r->renewed[i]->task_run_id,
		    r->renewed[i]->attempt);

		if (s != NULL)
			s->lease_deadline_ms = sent + w->lease_ms -
			    lease_margin(w);
	}
	for (size_t i = 0; i < r->n_cancel; i++) {
		struct slot *s = find_slot(w, r->cancel[i]->task_run_id,
		    r->cancel[i]->attempt);

		if (s != NULL) {
			s->lease_deadline_ms = sent + w->lease_ms -
			    lease_margin(w);
			stop_task(s, TASK_STOP_CANCEL, "run cancelled");
		}
	}
	for (size_t i = 0; i < r->n_lost; i++) {
		struct slot *s = find_slot(w, r->lost[i]->task_run_id,
		    r->lost[i]->attempt);

		if (s != NULL)
			stop_task(s, TASK_STOP_LOST, "the lease is gone");
	}
	pthread_mutex_unlock(&w->lock);
	rc = r->reregister ? ORK_ENOTFOUND : 0;
	msg_release(&reply);
	return rc;
}

static Ork__TaskResult__Outcome
outcome_of(const struct slot *s)
{
	int why = atomic_load(&s->cancel);

	if (s->rc == 0)
		return ORK__TASK_RESULT__OUTCOME__SUCCESS;
	if (s->rc == ORK_ECANCELED) {
		if (why == TASK_STOP_CANCEL)
			return ORK__TASK_RESULT__OUTCOME__CANCELLED;
		if (why == TASK_STOP_TIMEOUT)
			return ORK__TASK_RESULT__OUTCOME__TIMED_OUT;
		if (why == TASK_STOP_SHUTDOWN)
			return ORK__TASK_RESULT__OUTCOME__HANDED_BACK;
	}
	return ORK__TASK_RESULT__OUTCOME__FAILED;
}

/*
 * report sends the results of finished tasks and frees their slots once
 * the orchestrator answered; unless the worker is stopping, the same
 * request leases tasks for the slots it frees (and any free already).  A
 * task stopped because its lease was lost is not reported: another worker
 * may hold it now.  Returns how many tasks were leased, or an error.
 */
static int
report(struct worker *w, int may_lease)
{
	Ork__ReportTask		 m = ORK__REPORT_TASK__INIT;
	Ork__ReportTaskReply	*r;
	Ork__TaskResult		*res, **ptrs;
	struct slot		**which;
	struct msg		 reply;
	const char		*kinds[32];
	char			 err[512];
	long			 cap = w->cfg->concurrency;
	int64_t			 sent;
	int			 n = 0, rc = 0, free_after;

	res = calloc((size_t)cap, sizeof(*res));
	ptrs = calloc((size_t)cap, sizeof(*ptrs));
	which = calloc((size_t)cap, sizeof(*which));
	if (res == NULL || ptrs == NULL || which == NULL) {
		rc = ORK_ENOMEM;
		goto out;
	}
	pthread_mutex_lock(&w->lock);
	for (long i = 0; i < cap; i++) {
		struct slot	*s = &w->slots[i];
		struct log_ids	 ids;

		if (!s->used || !atomic_load(&s->done))
			continue;
		if (s->has_thread) {
			pthread_join(s->thread, NULL);
			s->has_thread = 0;
		}
		ids_of(s, &ids);
		if (atomic_load(&s->cancel) == TASK_STOP_LOST) {
			log_ids_warn(&ids, "task stopped without a lease: not "
			    "reported");
			slot_count(s, "lost");
			slot_clear(s);
			continue;
		}
		ork__task_result__init(&res[n]);
		res[n].task_run_id = s->task_run_id;
		res[n].attempt = s->attempt;
		res[n].outcome = outcome_of(s);
		res[n].error_message = s->ctx.error;
		if (res[n].outcome == ORK__TASK_RESULT__OUTCOME__TIMED_OUT)
			snprintf(s->ctx.error, sizeof(s->ctx.error),
			    "timed out after %u s", s->timeout_seconds);
		res[n].rows_moved = s->ctx.rows_moved;
		res[n].cursor_mark = s->ctx.cursor_mark;
		res[n].cursor_epoch = s->ctx.cursor_epoch;
		res[n].started_at_us = s->started_us;
		res[n].finished_at_us = s->finished_us;
		ptrs[n] = &res[n];
		which[n] = s;
		log_ids_debug(&ids, "task finished: %s%s%s",
		    s->rc == 0 ? "success" : "not successful",
		    s->ctx.error[0] != '\0' ? ": " : "", s->ctx.error);
		n++;
	}
	pthread_mutex_unlock(&w->lock);
	if (n == 0)
		goto out;
	/* Output goes first, so a finished task's log is complete. */
	while (logship_flush(w) == 0 && logship_pending(w) > 0)
		;
	m.worker_id = w->id;
	m.n_results = (size_t)n;
	m.results = ptrs;
	if (may_lease) {
		free_after = (int)(cap - count_used(w) + n);
		m.lease_max = free_after > 0 ? (uint32_t)free_after : 0;
		m.n_kinds = executor_kinds(kinds, 32);
		m.kinds = (char **)(uintptr_t)kinds;
	}
	sent = util_mono_ms();
	rc = msg_call(w->req, ORK__MSG_TYPE__MSG_REPORT_TASK, &m.base, NULL,
	    (int)w->cfg->request_timeout_ms, &reply, err, sizeof(err));
	if (rc != 0) {
		log_warn("could not report %d results: %s", n, err);
		goto out;
	}
	pthread_mutex_lock(&w->lock);
	for (int i = 0; i < n; i++) {
		static const char *const names[] = { "", "success", "failed",
		    "cancelled", "timed_out", "handed_back" };
		int o = res[i].outcome;

		slot_count(which[i], o >= 1 && o <= 5 ? names[o] : "failed");
		slot_clear(which[i]);
	}
	pthread_mutex_unlock(&w->lock);
	r = (Ork__ReportTaskReply *)reply.body;
	rc = start_leases(w, r->leases, r->n_leases, r->lease_ms, sent);
	msg_release(&reply);
out:
	free(res);
	free(ptrs);
	free(which);
	return rc;
}

/* check_deadlines stops tasks past their timeout or their lease. */
static void
check_deadlines(struct worker *w, int64_t now)
{
	pthread_mutex_lock(&w->lock);
	for (long i = 0; i < w->cfg->concurrency; i++) {
		struct slot *s = &w->slots[i];

		if (!s->used || atomic_load(&s->done))
			continue;
		if (now >= s->lease_deadline_ms)
			stop_task(s, TASK_STOP_LOST, "could not renew the "
			    "lease in time");
		else if (s->timeout_seconds > 0 && now - s->started_ms >=
		    (int64_t)s->timeout_seconds * 1000)
			stop_task(s, TASK_STOP_TIMEOUT, "timeout passed");
	}
	pthread_mutex_unlock(&w->lock);
}

static void *
sub_thread(void *arg)
{
	struct worker	*w = arg;
	struct msg	 m;

	while (!daemon_stop) {
		int rc = msg_sub_recv(w->sub, 100, &m);

		/*
		 * Lease deadlines are watched here too: the dispatcher may be
		 * blocked in a request to an orchestrator that does not answer.
		 */
		check_deadlines(w, util_mono_ms());
		if (rc == ORK_ECLOSED)
			break;
		if (rc != 0)
			continue;
		pthread_mutex_lock(&w->lock);
		if (m.type == ORK__MSG_TYPE__MSG_WORK_AVAILABLE) {
			w->hint = 1;
			pthread_cond_signal(&w->wake);
		} else if (m.type == ORK__MSG_TYPE__MSG_CANCEL_TASK) {
			Ork__CancelTask	*c = (Ork__CancelTask *)m.body;
			struct slot	*s = find_slot(w, c->task_run_id,
			    c->attempt);

			if (s != NULL)
				stop_task(s, TASK_STOP_CANCEL, "run cancelled");
		}
		pthread_mutex_unlock(&w->lock);
		msg_release(&m);
	}
	return NULL;
}

/* wait_for sleeps until woken or ms passed. */
static void
wait_for(struct worker *w, int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	if (!w->hint)
		pthread_cond_timedwait(&w->wake, &w->lock, &ts);
	pthread_mutex_unlock(&w->lock);
}

static int
any_done(struct worker *w)
{
	for (long i = 0; i < w->cfg->concurrency; i++)
		if (w->slots[i].used && atomic_load(&w->slots[i].done))
			return 1;
	return 0;
}

int
dispatch_run(struct worker *w)
{
	int64_t		next_beat, next_poll, next_report = 0, grace_end = 0;
	unsigned	backoff = RETRY_MIN_MS, report_backoff = RETRY_MIN_MS;
	int		rc;

	rc = register_worker(w);
	if (rc != 0)
		return rc == ORK_ECANCELED ? 0 : rc;
	log_info("ready: registered with the orchestrator at %s: %ld slots, "
	    "lease %u ms, heartbeat %u ms", w->cfg->control,
	    w->cfg->concurrency, w->lease_ms, w->heartbeat_ms);
	if (pthread_create(&w->sub_thread, NULL, sub_thread, w) != 0)
		return ORK_ENOMEM;
	next_beat = util_mono_ms() + w->heartbeat_ms;
	next_poll = 0;
	for (;;) {
		int64_t	now = util_mono_ms();
		int	used, hint;

		if (daemon_stop && grace_end == 0) {
			grace_end = now + w->cfg->grace_seconds * 1000;
			log_info("stopping: no new tasks; %d running get %ld s "
			    "to finish", count_used(w), w->cfg->grace_seconds);
		}
		if (grace_end != 0 && now >= grace_end) {
			pthread_mutex_lock(&w->lock);
			for (long i = 0; i < w->cfg->concurrency; i++)
				if (w->slots[i].used)
					stop_task(&w->slots[i],
					    TASK_STOP_SHUTDOWN, "shutting down: "
					    "handing the task back");
			pthread_mutex_unlock(&w->lock);
		}
		check_deadlines(w, now);
		/* first, so that a stream of quick tasks cannot starve it */
		if (now >= next_beat) {
			rc = heartbeat(w);
			if (rc == ORK_ENOTFOUND && register_worker(w) != 0)
				break;
			next_beat = util_mono_ms() + w->heartbeat_ms;
		}
		if (any_done(w) && now >= next_report) {
			int got = report(w, grace_end == 0);

			if (got >= 0)
				report_backoff = RETRY_MIN_MS;
			if (got > 0)
				continue;	/* inline tasks are done */
			if (got < 0) {
				/* results stay until the orchestrator has them */
				next_report = now + report_backoff;
				report_backoff = report_backoff * 2 >
				    RETRY_MAX_MS ? RETRY_MAX_MS :
				    report_backoff * 2;
			}
		}
		if (logship_pending(w) > 0)
			(void)logship_flush(w);
		used = count_used(w);
		if (grace_end != 0 && used == 0)
			break;
		pthread_mutex_lock(&w->lock);
		hint = w->hint;
		w->hint = 0;
		pthread_mutex_unlock(&w->lock);
		if (grace_end == 0 && used < w->cfg->concurrency &&
		    (hint || now >= next_poll)) {
			int got = lease(w, (int)(w->cfg->concurrency - used));

			if (got < 0) {
				next_poll = util_mono_ms() + backoff;
				backoff = backoff * 2 > RETRY_MAX_MS ?
				    RETRY_MAX_MS : backoff * 2;
			} else {
				backoff = RETRY_MIN_MS;
				next_poll = util_mono_ms() + w->cfg->poll_ms;
				/* a full batch: there may be more */
				if (got > 0 && got == (int)(w->cfg->concurrency -
				    used))
					next_poll = 0;
			}
			if (got > 0)
				continue;	/* inline tasks are done */
		}
		{
			int64_t wake = next_beat;

			if (grace_end == 0 && next_poll < wake &&
			    used < w->cfg->concurrency)
				wake = next_poll;
			wake -= util_mono_ms();
			if (wake > 100)
				wake = 100;	/* deadlines, stop flag */
			if (any_done(w) && next_report > util_mono_ms() &&
			    next_report - util_mono_ms() < wake)
				wake = next_report - util_mono_ms();
			if (!any_done(w) || next_report > util_mono_ms())
				wait_for(w, wake);
		}
	}
	daemon_stop = 1;	/* the subscriber stops with the dispatcher */
	pthread_join(w->sub_thread, NULL);
	return 0;
}
