/*
 * lifecycle_test.c - runs through the real orchestrator and workers:
 * tasks in order, retries with growing delays, timeouts, cancellation of
 * a running command, retry of a finished run, and the fencing rules for
 * repeated and stale reports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "harness.h"
#include "msg.h"

static struct h_orch	orch;
static struct h_proc	worker;
static char		db[H_URL_MAX];
static PGconn		*conn;

static int
setup(void **state)
{
	(void)state;
	h_db_create("lifecycle", 1, db, sizeof(db));
	conn = h_db_connect(db);
	h_orch_start(&orch, "lifecycle-orchestrator", db, NULL);
	h_worker_start(&worker, "lifecycle-worker", orch.control_url,
	    orch.events_url, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	h_stop(&worker, SIGTERM, 5000);
	h_stop(&orch.p, SIGTERM, 5000);
	PQfinish(conn);
	return 0;
}

static void
value(const char *sql, const char *param, char *buf, size_t len)
{
	const char	*p[1] = { param };
	PGresult	*r = PQexecParams(conn, sql, 1, NULL, p, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
		fail_msg("\"%s\" failed: %s", sql, PQerrorMessage(conn));
	snprintf(buf, len, "%s", PQgetisnull(r, 0, 0) ? "" :
	    PQgetvalue(r, 0, 0));
	PQclear(r);
}

static void
test_three_tasks_in_order(void **state)
{
	char		 path[H_PATH_MAX], ex[3][3 * H_PATH_MAX];
	const char	*exs[3];
	char		 job[40], run[40], status[32], v[256];
	char		*text;

	(void)state;
	h_tmpfile("order.txt", path, sizeof(path));
	for (int i = 0; i < 3; i++) {
		snprintf(ex[i], sizeof(ex[i]), "{\"type\": \"command\", "
		    "\"shell\": \"echo task-%d >> %s; echo out-%d; "
		    "echo err-%d >&2; echo again-%d\"}", i, path, i, i, i);
		exs[i] = ex[i];
	}
	h_job_create(conn, "three in order", exs, 3, 3, 0, 100, job);
	h_trigger(orch.control_url, job, run);
	assert_true(h_wait_run(conn, run, status, sizeof(status), 20000));
	assert_string_equal(status, "success");
	text = h_read_file(path);
	assert_non_null(text);
	assert_string_equal(text, "task-0\ntask-1\ntask-2\n");
	free(text);
	/* each started after the previous finished */
	value("SELECT bool_and(ok) FROM (SELECT started_at >= lag(finished_at) "
	    "OVER (ORDER BY task_order) OR task_order = 0 AS ok FROM task_runs "
	    "WHERE run_id = $1) x", run, v, sizeof(v));
	assert_string_equal(v, "t");
	value("SELECT string_agg(status || ':' || attempt, ',' ORDER BY "
	    "task_order) FROM task_runs WHERE run_id = $1", run, v, sizeof(v));
	assert_string_equal(v, "success:1,success:1,success:1");
	/* output captured line by line, with its stream */
	value("SELECT string_agg(stream || '=' || line, ',' ORDER BY log_id) "
	    "FROM task_logs l JOIN task_runs t USING (task_run_id) WHERE "
	    "t.run_id = $1 AND stream <> 'system' AND t.task_order = 1", run,
	    v, sizeof(v));
	assert_true(strstr(v, "stdout=out-1") != NULL);
	assert_true(strstr(v, "stderr=err-1") != NULL);
	/* read back in the order written (log_id), as the api serves them */
	value("SELECT string_agg(line, ',' ORDER BY log_id) FROM task_logs l "
	    "JOIN task_runs t USING (task_run_id) WHERE t.run_id = $1 AND "
	    "stream = 'stdout' AND t.task_order = 1", run, v, sizeof(v));
	assert_string_equal(v, "out-1,again-1");
	value("SELECT bool_and(ok) FROM (SELECT coalesce(logged_at >= "
	    "lag(logged_at) OVER (ORDER BY log_id), true) AS ok FROM task_logs "
	    "l JOIN task_runs t USING (task_run_id) WHERE t.run_id = $1) x",
	    run, v, sizeof(v));
	assert_string_equal(v, "t");
	/* the run's events went queued -> running -> success */
	value("SELECT string_agg(status, ',' ORDER BY event_id) FROM events "
	    "WHERE run_id = $1 AND kind = 'run'", run, v, sizeof(v));
	assert_string_equal(v, "queued,running,success");
	value("SELECT started_at IS NOT NULL AND finished_at >= started_at "
	    "FROM job_runs WHERE run_id = $1", run, v, sizeof(v));
	assert_string_equal(v, "t");
}

static void
test_command_inherits_no_descriptors(void **state)
{
	/* no pipeline: a shell setting one up holds its pipe for a while */
	const char	*exs[1] = { "{\"type\": \"command\", \"shell\": "
	    "\"ls /proc/$$/fd\"}" };
	char		 job[40], run[40], status[32], v[256];

	(void)state;
	h_job_create(conn, "no descriptors", exs, 1, 1, 0, 100, job);
	h_trigger(orch.control_url, job, run);
	assert_true(h_wait_run(conn, run, status, sizeof(status), 20000));
	assert_string_equal(status, "success");
	/* stdin, stdout, stderr: none of the worker's sockets */
	value("SELECT string_agg(line, ' ' ORDER BY log_id) FROM task_logs l "
	    "JOIN task_runs t USING (task_run_id) WHERE t.run_id = $1 AND "
	    "stream = 'stdout'", run, v, sizeof(v));
	assert_string_equal(v, "0 1 2");
}

static void
test_failing_task_retried_then_run_fails(void **state)
{
	const char	*exs[3] = { "{\"type\": \"noop\"}",
	    "{\"type\": \"command\", \"argv\": [\"sh\", \"-c\", "
	    "\"echo giving up >&2; exit 3\"]}", "{\"type\": \"noop\"}" };
	char		 job[40], run[40], status[32], v[512];
	double		 d1, d2;

	(void)state;
	h_job_create(conn, "fails", exs, 3, 3, 0, 400, job);
	h_trigger(orch.control_url, job, run);
	assert_true(h_wait_run(conn, run, status, sizeof(status), 30000));
	assert_string_equal(status, "failed");
	value("SELECT string_agg(status || ':' || attempt, ',' ORDER BY "
	    "task_order) FROM task_runs WHERE run_id = $1", run, v, sizeof(v));
	assert_string_equal(v, "success:1,failed:3,skipped:0");
	value("SELECT error_message FROM job_runs WHERE run_id = $1", run, v,
	    sizeof(v));
	assert_non_null(strstr(v, "task 1 (command) failed after 3 attempts"));
	assert_non_null(strstr(v, "exited with status 3"));
	value("SELECT string_agg(a.status, ',' ORDER BY a.attempt) FROM "
	    "task_attempts a JOIN task_runs t USING (task_run_id) WHERE "
	    "t.run_id = $1 AND t.task_order = 1", run, v, sizeof(v));
	assert_string_equal(v, "failed,failed,failed");
	/* the waits grow: ~[200,400] ms, then ~[400,800] ms */
	value("SELECT string_agg(extract(epoch FROM gap)::text, ',') FROM ("
	    "SELECT a.started_at - lag(a.finished_at) OVER (ORDER BY a.attempt) "
	    "AS gap FROM task_attempts a JOIN task_runs t USING (task_run_id) "
	    "WHERE t.run_id = $1 AND t.task_order = 1 ORDER BY a.attempt "
	    "OFFSET 1) x", run, v, sizeof(v));
	assert_int_equal(sscanf(v, "%lf,%lf", &d1, &d2), 2);
	assert_true(d1 >= 0.19 && d2 >= 0.39);
	assert_true(d2 > d1);
}

static void
test_timeout_stops_and_retries(void **state)
{
	char		 path[H_PATH_MAX], ex[3 * H_PATH_MAX];
	const char	*exs[1] = { ex };
	char		 job[40], run[40], status[32], v[256];
	char		*text;

	(void)state;
	h_tmpfile("timeout.txt", path, sizeof(path));
	snprintf(ex, sizeof(ex), "{\"type\": \"command\", \"shell\": "
	    "\"echo start >> %s; sleep 30; echo never >> %s\"}", path, path);
	h_job_create(conn, "slow", exs, 1, 2, 1, 100, job);
	h_trigger(orch.control_url, job, run);
	assert_true(h_wait_run(conn, run, status, sizeof(status), 20000));
	assert_string_equal(status, "failed");
	value("SELECT string_agg(a.status, ',' ORDER BY a.attempt) FROM "
	    "task_attempts a JOIN task_runs t USING (task_run_id) WHERE "
	    "t.run_id = $1", run, v, sizeof(v));
	assert_string_equal(v, "timed_out,timed_out");
	value("SELECT max(a.finished_at - a.started_at) < interval '4 s' FROM "
	    "task_attempts a JOIN task_runs t USING (task_run_id) WHERE "
	    "t.run_id = $1", run, v, sizeof(v));
	assert_string_equal(v, "t");
	text = h_read_file(path);
	assert_string_equal(text, "start\nstart\n");	/* never "never" */
	free(text);
}

/* pid_alive: running, not gone and not a zombie waiting to be reaped. */
static int
pid_alive(pid_t pid)
{
	char	 path[64], *stat, *close;
	int	 alive;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	stat = h_read_file(path);
	if (stat == NULL)
		return 0;
	close = strrchr(stat, ')');
	alive = close != NULL && close[1] == ' ' && close[2] != 'Z' &&
	    close[2] != 'X';
	free(stat);
	return alive;
}

static void
test_cancel_running_command(void **state)
{
	char		 path[H_PATH_MAX], ex[3 * H_PATH_MAX];
	const char	*exs[2] = { ex, "{\"type\": \"noop\"}" };
	char		 job[40], run[40], status[32], v[256];
	char		*text;
	Ork__CancelRun	 m = ORK__CANCEL_RUN__INIT;
	struct msg	 reply;
	nng_socket	 s;
	char		 err[256];
	pid_t		 pid, child;
	int		 gone = 0;

	(void)state;
	h_tmpfile("cancel.pid", path, sizeof(path));
	/* the shell and a child of it: the whole group must go */
	snprintf(ex, sizeof(ex), "{\"type\": \"command\", \"shell\": "
	    "\"sleep 60 & echo $$ $! > %s; wait\"}", path);
	h_job_create(conn, "cancel me", exs, 2, 3, 0, 100, job);
	h_trigger(orch.control_url, job, run);
	for (int i = 0; i < 200; i++) {
		text = h_read_file(path);
		if (text != NULL && strchr(text, '\n') != NULL)
			break;
		free(text);
		text = NULL;
		h_sleep_ms(50);
	}
	assert_non_null(text);
	assert_int_equal(sscanf(text, "%d %d", &pid, &child), 2);
	free(text);
	assert_true(pid_alive(pid) && pid_alive(child));

	assert_int_equal(msg_req_open(&s, orch.control_url, 1000), 0);
	m.run_id = run;
	assert_int_equal(msg_call(s, ORK__MSG_TYPE__MSG_CANCEL_RUN, &m.base,
	    NULL, 5000, &reply, err, sizeof(err)), 0);
	assert_string_equal(((Ork__CancelRunReply *)reply.body)->status,
	    "running");		/* stopping */
	msg_release(&reply);
	for (int i = 0; i < 40 && !gone; i++) {
		gone = !pid_alive(pid) && !pid_alive(child);
		if (!gone)
			h_sleep_ms(50);
	}
	assert_true(gone);	/* within 2 s */
	assert_true(h_wait_run(conn, run, status, sizeof(status), 5000));
	assert_string_equal(status, "cancelled");
	value("SELECT string_agg(status, ',' ORDER BY task_order) FROM "
	    "task_runs WHERE run_id = $1", run, v, sizeof(v));
	assert_string_equal(v, "cancelled,cancelled");

	/* cancelling a finished run changes nothing */
	m.run_id = run;
	assert_int_equal(msg_call(s, ORK__MSG_TYPE__MSG_CANCEL_RUN, &m.base,
	    NULL, 5000, &reply, err, sizeof(err)), 0);
	assert_string_equal(((Ork__CancelRunReply *)reply.body)->status,
	    "cancelled");
	msg_release(&reply);

	/* retry runs the cancelled tasks again as a new series */
	{
		Ork__RetryRun r = ORK__RETRY_RUN__INIT;

		h_tmpfile("cancel.pid", path, sizeof(path));
		PQclear(PQexec(conn, "UPDATE task_runs SET kind = 'noop', extractor_config = "
		    "'{\"type\": \"noop\"}'"));
		r.run_id = run;
		assert_int_equal(msg_call(s, ORK__MSG_TYPE__MSG_RETRY_RUN,
		    &r.base, NULL, 5000, &reply, err, sizeof(err)), 0);
		assert_int_equal(((Ork__RetryRunReply *)reply.body)->
		    tasks_requeued, 2);
		msg_release(&reply);
		assert_true(h_wait_run(conn, run, status, sizeof(status),
		    10000));
		assert_string_equal(status, "success");
		/* a successful run cannot be retried */
		assert_int_equal(msg_call(s, ORK__MSG_TYPE__MSG_RETRY_RUN,
		    &r.base, NULL, 5000, &reply, err, sizeof(err)),
		    -12 /* ORK_ESTATE */);
		assert_non_null(strstr(err, "only failed or cancelled"));
	}
	nng_close(s);
}

/* A worker of our own, speaking the protocol directly. */
static int
call(nng_socket s, Ork__MsgType t, const ProtobufCMessage *body,
    struct msg *reply)
{
	char err[256];
	int rc = msg_call(s, t, body, NULL, 5000, reply, err, sizeof(err));

	if (rc != 0)
		print_message("# call %s: %s\n", msg_type_name(t), err);
	return rc;
}

static void
test_repeated_and_stale_reports(void **state)
{
	const char		*exs[1] = { "{\"type\": \"fake\"}" };
	const char		*kinds[1] = { "fake" };
	char			 job[40], run[40], v[256], events_before[32];
	char			 task[40];
	nng_socket		 s;
	struct msg		 reply;
	Ork__RegisterWorker	 reg = ORK__REGISTER_WORKER__INIT;
	Ork__LeaseTasks		 lease = ORK__LEASE_TASKS__INIT;
	Ork__ReportTask		 rep = ORK__REPORT_TASK__INIT;
	Ork__TaskResult		 res = ORK__TASK_RESULT__INIT, *resp = &res;
	Ork__ReportTaskReply	*rr;

	(void)state;
	h_job_create(conn, "fenced", exs, 1, 3, 0, 100, job);
	assert_int_equal(msg_req_open(&s, orch.control_url, 1000), 0);
	reg.worker_id = (char *)(uintptr_t)"fake-worker";
	reg.hostname = (char *)(uintptr_t)"here";
	reg.capacity = 1;
	reg.kinds = (char **)(uintptr_t)kinds;
	reg.n_kinds = 1;
	reg.protocol_version = MSG_PROTOCOL_VERSION;
	assert_int_equal(call(s, ORK__MSG_TYPE__MSG_REGISTER_WORKER, &reg.base,
	    &reply), 0);
	assert_true(((Ork__RegisterWorkerReply *)reply.body)->accepted);
	msg_release(&reply);

	h_trigger(orch.control_url, job, run);
	lease.worker_id = reg.worker_id;
	lease.max_tasks = 1;
	lease.kinds = (char **)(uintptr_t)kinds;
	lease.n_kinds = 1;
	assert_int_equal(call(s, ORK__MSG_TYPE__MSG_LEASE_TASKS, &lease.base,
	    &reply), 0);
	assert_int_equal(((Ork__LeaseTasksReply *)reply.body)->n_leases, 1);
	snprintf(task, sizeof(task), "%s",
	    ((Ork__LeaseTasksReply *)reply.body)->leases[0]->task_run_id);
	assert_int_equal(((Ork__LeaseTasksReply *)reply.body)->leases[0]->
	    attempt, 1);
	msg_release(&reply);

	/* a report for an attempt that does not hold the lease: refused */
	rep.worker_id = reg.worker_id;
	rep.results = &resp;
	rep.n_results = 1;
	res.task_run_id = task;
	res.attempt = 2;
	res.outcome = ORK__TASK_RESULT__OUTCOME__SUCCESS;
	assert_int_equal(call(s, ORK__MSG_TYPE__MSG_REPORT_TASK, &rep.base,
	    &reply), 0);
	rr = (Ork__ReportTaskReply *)reply.body;
	assert_false(rr->accepted[0]);
	assert_string_equal(rr->recorded[0], "running");
	msg_release(&reply);
	/* nor from another worker */
	rep.worker_id = (char *)(uintptr_t)"someone-else";
	res.attempt = 1;
	assert_int_equal(call(s, ORK__MSG_TYPE__MSG_REPORT_TASK, &rep.base,
	    &reply), 0);
	assert_false(((Ork__ReportTaskReply *)reply.body)->accepted[0]);
	msg_release(&reply);

	/* the real report, then the same again */
	rep.worker_id = reg.worker_id;
	res.rows_moved = 42;
	assert_int_equal(call(s, ORK__MSG_TYPE__MSG_REPORT_TASK, &rep.base,
	    &reply), 0);
	rr = (Ork__ReportTaskReply *)reply.body;
	assert_true(rr->accepted[0]);
	assert_string_equal(rr->recorded[0], "success");
	msg_release(&reply);
	value("SELECT count(*)::text FROM events WHERE run_id = $1", run,
	    events_before, sizeof(events_before));
	assert_int_equal(call(s, ORK__MSG_TYPE__MSG_REPORT_TASK, &rep.base,
	    &reply), 0);
	rr = (Ork__ReportTaskReply *)reply.body;
	assert_true(rr->accepted[0]);		/* answered as recorded */
	assert_string_equal(rr->recorded[0], "success");
	msg_release(&reply);
	/* a late failure of the same attempt changes nothing either */
	res.outcome = ORK__TASK_RESULT__OUTCOME__FAILED;
	assert_int_equal(call(s, ORK__MSG_TYPE__MSG_REPORT_TASK, &rep.base,
	    &reply), 0);
	assert_false(((Ork__ReportTaskReply *)reply.body)->accepted[0]);
	msg_release(&reply);
	value("SELECT count(*)::text FROM events WHERE run_id = $1", run, v,
	    sizeof(v));
	assert_string_equal(v, events_before);
	value("SELECT status || ':' || attempt || ':' || rows_moved FROM "
	    "task_runs WHERE run_id = $1", run, v, sizeof(v));
	assert_string_equal(v, "success:1:42");
	value("SELECT status FROM job_runs WHERE run_id = $1", run, v,
	    sizeof(v));
	assert_string_equal(v, "success");

	/* a heartbeat for the finished attempt says the lease is gone */
	{
		Ork__Heartbeat		 hb = ORK__HEARTBEAT__INIT;
		Ork__TaskRef		 ref = ORK__TASK_REF__INIT, *refp = &ref;
		Ork__HeartbeatReply	*hr;

		hb.worker_id = reg.worker_id;
		ref.task_run_id = task;
		ref.attempt = 1;
		hb.running = &refp;
		hb.n_running = 1;
		assert_int_equal(call(s, ORK__MSG_TYPE__MSG_HEARTBEAT,
		    &hb.base, &reply), 0);
		hr = (Ork__HeartbeatReply *)reply.body;
		assert_int_equal(hr->n_lost, 1);
		assert_int_equal(hr->n_renewed, 0);
		msg_release(&reply);
	}
	nng_close(s);
}

/* raw_trigger sends one TriggerRun frame with a fixed request id. */
static void
raw_trigger(const char *job, uint64_t id, char *run, int *created)
{
	Ork__TriggerRun		 m = ORK__TRIGGER_RUN__INIT;
	nng_socket		 s;
	nng_msg			*out, *in;
	struct msg		 reply;
	Ork__Error__Code	 code;
	char			 err[256];

	m.job_id = (char *)(uintptr_t)job;
	assert_int_equal(msg_encode(ORK__MSG_TYPE__MSG_TRIGGER_RUN, &m.base, id,
	    "5e1f0c7a3b9d4e2f8a6c1b0d9e8f7a6b", NULL, &out), 0);
	assert_int_equal(nng_req0_open(&s), 0);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 5000);
	assert_int_equal(nng_dial(s, orch.control_url, NULL, 0), 0);
	assert_int_equal(nng_sendmsg(s, out, 0), 0);
	assert_int_equal(nng_recvmsg(s, &in, 0), 0);
	assert_int_equal(msg_decode(nng_msg_body(in), nng_msg_len(in), &reply,
	    &code, err, sizeof(err)), 0);
	assert_int_equal(reply.type, ORK__MSG_TYPE__MSG_TRIGGER_RUN_REPLY);
	snprintf(run, 40, "%s", ((Ork__TriggerRunReply *)reply.body)->run_id);
	*created = ((Ork__TriggerRunReply *)reply.body)->created;
	msg_release(&reply);
	nng_msg_free(in);
	nng_close(s);
}

static void
test_resent_trigger_makes_one_run(void **state)
{
	const char	*exs[1] = { "{\"type\": \"noop\"}" };
	char		 job[40], run1[40], run2[40], run3[40], v[64];
	int		 created;

	(void)state;
	h_job_create(conn, "resent", exs, 1, 1, 0, 100, job);
	/* a REQ socket resends the same frame when no answer came in time */
	raw_trigger(job, 424242, run1, &created);
	assert_true(created);
	raw_trigger(job, 424242, run2, &created);
	assert_false(created);
	assert_string_equal(run1, run2);
	/* another request is another run */
	raw_trigger(job, 424243, run3, &created);
	assert_true(created);
	assert_string_not_equal(run1, run3);
	value("SELECT count(*) FROM job_runs WHERE job_id = $1", job, v,
	    sizeof(v));
	assert_string_equal(v, "2");
}

static void
test_bad_requests_answered(void **state)
{
	nng_socket			 s;
	struct msg			 reply;
	char				 err[256];
	Ork__LeaseTasks			 lease = ORK__LEASE_TASKS__INIT;
	Ork__TriggerRun			 trig = ORK__TRIGGER_RUN__INIT;
	Ork__RegisterWorker		 reg = ORK__REGISTER_WORKER__INIT;

	(void)state;
	assert_int_equal(msg_req_open(&s, orch.control_url, 1000), 0);
	lease.worker_id = (char *)(uintptr_t)"w";
	lease.max_tasks = 0;
	assert_int_equal(msg_call(s, ORK__MSG_TYPE__MSG_LEASE_TASKS,
	    &lease.base, NULL, 5000, &reply, err, sizeof(err)), -2);
	assert_non_null(strstr(err, "max_tasks"));
	trig.job_id = (char *)(uintptr_t)"not-a-uuid";
	assert_int_equal(msg_call(s, ORK__MSG_TYPE__MSG_TRIGGER_RUN,
	    &trig.base, NULL, 5000, &reply, err, sizeof(err)), -2);
	assert_non_null(strstr(err, "job_id"));
	trig.job_id = (char *)(uintptr_t)"00000000-0000-0000-0000-000000000000";
	assert_int_equal(msg_call(s, ORK__MSG_TYPE__MSG_TRIGGER_RUN,
	    &trig.base, NULL, 5000, &reply, err, sizeof(err)), -5);
	assert_non_null(strstr(err, "does not exist"));
	trig.params_json = (char *)(uintptr_t)"[1,2";
	trig.job_id = (char *)(uintptr_t)"00000000-0000-0000-0000-000000000000";
	assert_int_equal(msg_call(s, ORK__MSG_TYPE__MSG_TRIGGER_RUN,
	    &trig.base, NULL, 5000, &reply, err, sizeof(err)), -2);
	assert_non_null(strstr(err, "params_json"));
	/* a worker of another protocol version is refused with the reason */
	reg.worker_id = (char *)(uintptr_t)"future";
	reg.hostname = (char *)(uintptr_t)"h";
	reg.capacity = 1;
	reg.protocol_version = MSG_PROTOCOL_VERSION + 1;
	assert_int_equal(msg_call(s, ORK__MSG_TYPE__MSG_REGISTER_WORKER,
	    &reg.base, NULL, 5000, &reply, err, sizeof(err)), 0);
	assert_false(((Ork__RegisterWorkerReply *)reply.body)->accepted);
	assert_non_null(strstr(((Ork__RegisterWorkerReply *)reply.body)->reason,
	    "protocol version 2 is not supported"));
	msg_release(&reply);
	/* an event type is not a request */
	{
		Ork__WorkAvailable wa = ORK__WORK_AVAILABLE__INIT;

		assert_int_equal(msg_call(s, ORK__MSG_TYPE__MSG_WORK_AVAILABLE,
		    &wa.base, NULL, 5000, &reply, err, sizeof(err)), -10);
	}
	/* still serving */
	{
		Ork__Ping p = ORK__PING__INIT;

		assert_int_equal(msg_call(s, ORK__MSG_TYPE__MSG_PING, &p.base,
		    NULL, 5000, &reply, err, sizeof(err)), 0);
		msg_release(&reply);
	}
	nng_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_tasks_in_order),
		cmocka_unit_test(test_command_inherits_no_descriptors),
		cmocka_unit_test(test_failing_task_retried_then_run_fails),
		cmocka_unit_test(test_timeout_stops_and_retries),
		cmocka_unit_test(test_cancel_running_command),
		cmocka_unit_test(test_repeated_and_stale_reports),
		cmocka_unit_test(test_resent_trigger_makes_one_run),
		cmocka_unit_test(test_bad_requests_answered),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
