/*
 * orch.c - requests to the orchestrator: every change of run state
 * (trigger, cancel, retry) is asked of it, never written here.  Each
 * request carries the HTTP request's trace id and a deadline of
 * ORK_REQUEST_TIMEOUT_MS.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "err.h"
#include "log.h"
#include "msg.h"

/* cstr casts away const for protobuf-c's char * fields. */
static char *
cstr(const char *s)
{
	return (char *)(uintptr_t)s;
}

static void
log_call(struct req *r, const char *what, const char *id, int rc,
    const char *msg, const char *run_made)
{
	struct log_ids ids;

	memset(&ids, 0, sizeof(ids));
	ids.trace_id = http_trace(r);
	if (strcmp(what, "TriggerRun") == 0) {
		ids.job_id = id;
		/* the run it made: the line joins the run's others */
		if (rc == 0)
			ids.run_id = run_made;
	} else
		ids.run_id = id;
	if (rc == 0)
		log_ids_info(&ids, "%s by %s: done", what, r->who.username);
	else
		log_ids_warn(&ids, "%s by %s failed: %s (%s)", what,
		    r->who.username, err_str(rc), msg);
}

/*
 * orch_trigger asks for a manual run of job_id with params (a JSON
 * object text, or NULL).  Returns 0 with run_id filled, or a project
 * error with the orchestrator's message in msg (see orch_reply_error).
 */
int
orch_trigger(struct req *r, const char *job_id, const char *params,
    char run_id[UTIL_UUID_LEN + 1], char *msg, size_t msglen)
{
	Ork__TriggerRun		 t = ORK__TRIGGER_RUN__INIT;
	Ork__TriggerRunReply	*rep;
	struct msg		 reply;
	int			 rc;

	t.job_id = cstr(job_id);
	t.triggered_by = cstr("manual");
	t.params_json = cstr(params != NULL ? params : "");
	rc = msg_call(r->a->orch, ORK__MSG_TYPE__MSG_TRIGGER_RUN, &t.base,
	    http_trace(r), (int)r->a->cfg->request_timeout_ms, &reply, msg,
	    msglen);
	if (rc == 0) {
		rep = (Ork__TriggerRunReply *)reply.body;
		if (reply.type != ORK__MSG_TYPE__MSG_TRIGGER_RUN_REPLY ||
		    rep->run_id == NULL || !util_uuid_valid(rep->run_id)) {
			snprintf(msg, msglen, "unexpected answer %s",
			    msg_type_name(reply.type));
			rc = ORK_EPROTO;
		} else
			snprintf(run_id, UTIL_UUID_LEN + 1, "%s", rep->run_id);
		msg_release(&reply);
	}
	log_call(r, "TriggerRun", job_id, rc, msg, run_id);
	return rc;
}

/* orch_cancel asks to cancel a run; status gets its status after. */
int
orch_cancel(struct req *r, const char *run_id, const char *reason,
    char *status, size_t statuslen, char *msg, size_t msglen)
{
	Ork__CancelRun		 c = ORK__CANCEL_RUN__INIT;
	Ork__CancelRunReply	*rep;
	struct msg		 reply;
	int			 rc;

	c.run_id = cstr(run_id);
	c.reason = cstr(reason != NULL ? reason : "");
	rc = msg_call(r->a->orch, ORK__MSG_TYPE__MSG_CANCEL_RUN, &c.base,
	    http_trace(r), (int)r->a->cfg->request_timeout_ms, &reply, msg,
	    msglen);
	if (rc == 0) {
		rep = (Ork__CancelRunReply *)reply.body;
		if (reply.type != ORK__MSG_TYPE__MSG_CANCEL_RUN_REPLY) {
			snprintf(msg, msglen, "unexpected answer %s",
			    msg_type_name(reply.type));
			rc = ORK_EPROTO;
		} else
			snprintf(status, statuslen, "%s", rep->status != NULL ?
			    rep->status : "");
		msg_release(&reply);
	}
	log_call(r, "CancelRun", run_id, rc, msg, NULL);
	return rc;
}

/* orch_retry asks to retry a finished run's failed and cancelled tasks. */
int
orch_retry(struct req *r, const char *run_id, char *status,
    size_t statuslen, unsigned *requeued, char *msg, size_t msglen)
{
	Ork__RetryRun		 t = ORK__RETRY_RUN__INIT;
	Ork__RetryRunReply	*rep;
	struct msg		 reply;
	int			 rc;

	t.run_id = cstr(run_id);
	rc = msg_call(r->a->orch, ORK__MSG_TYPE__MSG_RETRY_RUN, &t.base,
	    http_trace(r), (int)r->a->cfg->request_timeout_ms, &reply, msg,
	    msglen);
	if (rc == 0) {
		rep = (Ork__RetryRunReply *)reply.body;
		if (reply.type != ORK__MSG_TYPE__MSG_RETRY_RUN_REPLY) {
			snprintf(msg, msglen, "unexpected answer %s",
			    msg_type_name(reply.type));
			rc = ORK_EPROTO;
		} else {
			snprintf(status, statuslen, "%s", rep->status != NULL ?
			    rep->status : "");
			*requeued = rep->tasks_requeued;
		}
		msg_release(&reply);
	}
	log_call(r, "RetryRun", run_id, rc, msg, NULL);
	return rc;
}

/*
 * orch_backfill asks for the runs of n past cron slots (Unix
 * microseconds, increasing) of a job.
 */
int
orch_backfill(struct req *r, const char *job_id, int64_t *slots_us, size_t n,
    int rerun, unsigned counts[3], char *msg, size_t msglen)
{
	Ork__BackfillRuns	 t = ORK__BACKFILL_RUNS__INIT;
	Ork__BackfillRunsReply	*rep;
	struct msg		 reply;
	int			 rc;

	t.job_id = cstr(job_id);
	t.slots_us = slots_us;
	t.n_slots_us = n;
	t.rerun = rerun != 0;
	rc = msg_call(r->a->orch, ORK__MSG_TYPE__MSG_BACKFILL_RUNS, &t.base,
	    http_trace(r), (int)r->a->cfg->request_timeout_ms, &reply, msg,
	    msglen);
	if (rc == 0) {
		rep = (Ork__BackfillRunsReply *)reply.body;
		if (reply.type != ORK__MSG_TYPE__MSG_BACKFILL_RUNS_REPLY) {
			snprintf(msg, msglen, "unexpected answer %s",
			    msg_type_name(reply.type));
			rc = ORK_EPROTO;
		} else {
			counts[0] = rep->runs_created;
			counts[1] = rep->waiting;
			counts[2] = rep->existing;
		}
		msg_release(&reply);
	}
	log_call(r, "BackfillRuns", job_id, rc, msg, NULL);
	return rc;
}

/*
 * orch_reply_error answers for a failed orchestrator request: its
 * refusals keep their meaning (404, 409, 400), an unreachable database
 * behind it is 503, no answer in time is 504, anything else 502.
 */
int
orch_reply_error(struct req *r, int err, const char *msg)
{
	switch (err) {
	case ORK_ENOTFOUND:
		return http_error(r, 404, "not_found", NULL, "%s", msg);
	case ORK_ESTATE:
		return http_error(r, 409, "conflict", NULL, "%s", msg);
	case ORK_EINVAL:
		return http_error(r, 400, "invalid_value", NULL, "%s", msg);
	case ORK_ECONN:
		return http_error_h(r, 503, "Retry-After: 5\r\n",
		    "unavailable", NULL, "the orchestrator cannot serve this "
		    "now: %s", msg);
	case ORK_ETIMEDOUT:
		return http_error_h(r, 504, "Retry-After: 5\r\n",
		    "orchestrator_timeout", NULL, "the orchestrator did not "
		    "answer within %ld ms", r->a->cfg->request_timeout_ms);
	default:
		return http_error(r, 502, "orchestrator_error", NULL, "the "
		    "orchestrator could not serve this: %s", msg);
	}
}
