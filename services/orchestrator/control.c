/*
 * control.c - the orchestrator's REQ/REP control address.
 *
 * Each server thread owns one database connection (its thread_arg),
 * opened lazily with the statements of sql.c prepared, and reopened after
 * the connection broke.  Handlers validate every field before touching the
 * database and answer bad input with an Error naming the field.  Every
 * state change is one call of a guarded state-machine function, so a
 * repeated request (REQ resends on timeout) changes nothing twice.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "daemon.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "orchestrator.h"
#include "strbuf.h"
#include "util.h"

struct control_thread {
	PGconn	*conn;
	int64_t	 retry_at_ms;	/* no new connection attempt before */
};

/* After a failed connection, requests fail fast for this long. */
#define RECONNECT_MS 250

/* Array parameters of one request are bounded by the frame size. */
#define ARRAY_PARAM_MAX (2 * MSG_MAX_BYTES)

int
control_thread_init(void *arg, void **thread_arg)
{
	struct control_thread *t;

	(void)arg;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return ORK_ENOMEM;
	*thread_arg = t;
	return 0;
}

void
control_thread_fini(void *arg, void *thread_arg)
{
	struct control_thread *t = thread_arg;

	(void)arg;
	if (t == NULL)
		return;
	if (t->conn != NULL)
		PQfinish(t->conn);
	free(t);
}

/* conn_get returns the thread's connection, (re)opening it as needed. */
static PGconn *
conn_get(struct orch *o, struct control_thread *t, struct msg_reply *rep)
{
	char err[512];

	if (t->conn != NULL && PQstatus(t->conn) != CONNECTION_OK) {
		PQfinish(t->conn);
		t->conn = NULL;
	}
	if (t->conn == NULL && util_mono_ms() < t->retry_at_ms) {
		msg_reply_error(rep, ORK__ERROR__CODE__UNAVAILABLE, NULL,
		    "database unavailable");
		return NULL;
	}
	if (t->conn == NULL) {
		if (db_connect(o->cfg->database_url, "ork-orchestrator",
		    &t->conn, err, sizeof(err)) != 0 ||
		    sql_prepare_all(t->conn, err, sizeof(err)) != 0) {
			if (t->conn != NULL)
				PQfinish(t->conn);
			t->conn = NULL;
			t->retry_at_ms = util_mono_ms() + RECONNECT_MS;
			log_warn("database unavailable: %s", err);
			msg_reply_error(rep, ORK__ERROR__CODE__UNAVAILABLE, NULL,
			    "database unavailable: %s", err);
			return NULL;
		}
	}
	return t->conn;
}

/*
 * db_failed answers a failed statement: our functions raise
 * no_data_found for unknown ids, invalid_parameter_value for bad input
 * and object_not_in_prerequisite_state for a transition the state does
 * not allow.
 */
static void
db_failed(PGconn *conn, PGresult *res, const char *what, struct msg_reply *rep)
{
	const char	*state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char	*primary = PQresultErrorField(res,
	    PG_DIAG_MESSAGE_PRIMARY);
	char		 err[512];
	int		 rc = db_result_error(conn, res, err, sizeof(err));

	if (primary == NULL)
		primary = err;
	if (state != NULL && strcmp(state, "P0002") == 0)
		msg_reply_error(rep, ORK__ERROR__CODE__NOT_FOUND, NULL, "%s",
		    primary);
	else if (state != NULL && (strcmp(state, "22023") == 0 ||
	    strcmp(state, "22P02") == 0))
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, NULL, "%s",
		    primary);
	else if (state != NULL && strcmp(state, "55000") == 0)
		msg_reply_error(rep, ORK__ERROR__CODE__CONFLICT, NULL, "%s",
		    primary);
	else if (rc == ORK_ECONN)
		msg_reply_error(rep, ORK__ERROR__CODE__UNAVAILABLE, NULL,
		    "database unavailable: %s", err);
	else {
		log_error("%s failed: %s", what, err);
		msg_reply_error(rep, ORK__ERROR__CODE__INTERNAL, NULL,
		    "%s failed: %s", what, err);
	}
}

/* ok_result says whether res holds rows; otherwise answers for it. */
static int
ok_result(PGconn *conn, PGresult *res, const char *what, struct msg_reply *rep)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return 1;
	db_failed(conn, res, what, rep);
	return 0;
}

static int
valid_id(const char *s)
{
	return s != NULL && util_uuid_valid(s);
}

static int
valid_name(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > ORCH_MAX_ID)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			return 0;
	return 1;
}

static void
handle_ping(struct orch *o, const struct msg *req, struct msg_reply *rep)
{
	Ork__PingReply r = ORK__PING_REPLY__INIT;

	(void)req;
	r.daemon = (char *)(uintptr_t)"ork-orchestrator";
	r.version = (char *)(uintptr_t)ORK_VERSION;
	r.leader = atomic_load(&o->leader) != 0;
	r.database_ok = atomic_load(&o->db_ok) != 0;
	(void)msg_reply_set(rep, ORK__MSG_TYPE__MSG_PING_REPLY, &r.base);
}

static void
handle_trigger(struct orch *o, struct control_thread *t, const struct msg *req,
    struct msg_reply *rep)
{
	const Ork__TriggerRun	*m = (const Ork__TriggerRun *)req->body;
	const char		*by = m->triggered_by;
	struct trigger_item	*it = NULL;
	struct log_ids		 ids = { .job_id = m->job_id,
	    .trace_id = req->trace_id };

	if (!valid_id(m->job_id)) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "job_id",
		    "job_id must be a UUID");
		return;
	}
	if (by == NULL || *by == '\0')
		by = "manual";
	if (strcmp(by, "manual") != 0 && strcmp(by, "scheduled") != 0 &&
	    strcmp(by, "backfill") != 0) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "triggered_by",
		    "triggered_by must be manual, scheduled or backfill");
		return;
	}
	if (m->params_json != NULL && *m->params_json != '\0') {
		cJSON *p;

		if (strlen(m->params_json) > ORCH_MAX_PARAMS) {
			msg_reply_error(rep, ORK__ERROR__CODE__INVALID,
			    "params_json", "parameters exceed %d bytes",
			    ORCH_MAX_PARAMS);
			return;
		}
		p = cJSON_Parse(m->params_json);
		if (p == NULL || !cJSON_IsObject(p)) {
			cJSON_Delete(p);
			msg_reply_error(rep, ORK__ERROR__CODE__INVALID,
			    "params_json", "parameters must be a JSON object");
			return;
		}
		cJSON_Delete(p);
	}
	if (m->scheduled_for_us < 0) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID,
		    "scheduled_for_us", "scheduled_for_us must be positive");
		return;
	}
	(void)o;
	(void)t;
	it = calloc(1, sizeof(*it));
	if (it == NULL)
		goto nomem;
	it->job_id = strdup(m->job_id);
	it->by = strdup(by);
	it->params = m->params_json != NULL && *m->params_json != '\0' ?
	    strdup(m->params_json) : NULL;
	it->trace = req->trace_id[0] != '\0' ? strdup(req->trace_id) : NULL;
	it->slot_us = m->scheduled_for_us;
	/*
	 * A REQ socket resends a request that was not answered in time, with
	 * the same trace and request id: they make the request's key, so the
	 * resend finds the run the first copy made.  (Request ids start at a
	 * random value in each process.)
	 */
	if (req->trace_id[0] != '\0') {
		char key[MSG_TRACE_MAX + 32];

		snprintf(key, sizeof(key), "%s:%" PRIu64, req->trace_id,
		    req->request_id);
		it->key = strdup(key);
		if (it->key == NULL)
			goto nomem;
	}
	if (it->job_id == NULL || it->by == NULL ||
	    (it->params == NULL && m->params_json != NULL &&
	    *m->params_json != '\0') ||
	    (it->trace == NULL && req->trace_id[0] != '\0'))
		goto nomem;
	it->reply = msg_reply_defer(rep);
	if (it->reply == NULL)
		goto nomem;
	if (trigger_enqueue(it) != 0) {
		msg_deferred_error(it->reply, ORK__ERROR__CODE__UNAVAILABLE,
		    NULL, "the orchestrator is stopping");
		it->reply = NULL;
		trigger_item_free(it);
	}
	log_ids_debug(&ids, "trigger queued (%s)", by);
	return;
nomem:
	trigger_item_free(it);
	msg_reply_error(rep, ORK__ERROR__CODE__INTERNAL, NULL, "out of memory");
}

/*
 * run_statement runs a statement whose one parameter is the request's
 * run id; returns its rows, or NULL once it answered the request itself.
 */
static PGresult *
run_statement(struct orch *o, struct control_thread *t, const char *run_id,
    const char *name, struct msg_reply *rep)
{
	const char	*params[1] = { run_id };
	PGconn		*conn;
	PGresult	*res;

	if (!valid_id(run_id)) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "run_id",
		    "run_id must be a UUID");
		return NULL;
	}
	conn = conn_get(o, t, rep);
	if (conn == NULL)
		return NULL;
	res = sql_exec(conn, name, 1, params);
	if (!ok_result(conn, res, name, rep)) {
		PQclear(res);
		return NULL;
	}
	return res;
}

static void
handle_cancel(struct orch *o, struct control_thread *t, const struct msg *req,
    struct msg_reply *rep)
{
	const Ork__CancelRun	*m = (const Ork__CancelRun *)req->body;
	Ork__CancelRunReply	 r = ORK__CANCEL_RUN_REPLY__INIT;
	PGresult		*res;
	struct log_ids		 ids = { .run_id = m->run_id,
	    .trace_id = req->trace_id };

	res = run_statement(o, t, m->run_id, "cancel", rep);
	if (res == NULL)
		return;
	r.run_id = m->run_id;
	r.status = PQgetvalue(res, 0, 0);
	for (int i = 0; i < PQntuples(res); i++) {
		if (PQgetisnull(res, i, 1))
			continue;
		events_publish_cancel(o, PQgetvalue(res, i, 1),
		    (unsigned)strtoul(PQgetvalue(res, i, 2), NULL, 10),
		    req->trace_id);
	}
	log_ids_info(&ids, "cancel requested: run is %s", r.status);
	(void)msg_reply_set(rep, ORK__MSG_TYPE__MSG_CANCEL_RUN_REPLY, &r.base);
	PQclear(res);
}

/*
 * handle_backfill makes the runs of the given past cron slots of a job
 * (ork_fire: behind max_active_runs, slots with a run left alone unless
 * rerun).  The api lists the slots from the job's schedule.
 */
static void
handle_backfill(struct orch *o, struct control_thread *t,
    const struct msg *req, struct msg_reply *rep)
{
	const Ork__BackfillRuns	*m = (const Ork__BackfillRuns *)req->body;
	Ork__BackfillRunsReply	 r = ORK__BACKFILL_RUNS_REPLY__INIT;
	struct log_ids		 ids = { .job_id = m->job_id,
	    .trace_id = req->trace_id };
	struct strbuf		 slots;
	const char		*params[3];
	char			 num[24];
	PGconn			*conn;
	PGresult		*res;
	int			 rc = 0;

	if (!valid_id(m->job_id)) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "job_id",
		    "job_id must be a UUID");
		return;
	}
	if (m->n_slots_us == 0 || m->n_slots_us > ORCH_MAX_BACKFILL_SLOTS) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "slots_us",
		    "a backfill names 1 to %d slots", ORCH_MAX_BACKFILL_SLOTS);
		return;
	}
	strbuf_init(&slots, (size_t)24 * ORCH_MAX_BACKFILL_SLOTS);
	for (size_t i = 0; i < m->n_slots_us && rc == 0; i++) {
		if (m->slots_us[i] <= 0 ||
		    (i > 0 && m->slots_us[i] <= m->slots_us[i - 1])) {
			msg_reply_error(rep, ORK__ERROR__CODE__INVALID,
			    "slots_us", "slots must be positive and "
			    "increasing");
			strbuf_free(&slots);
			return;
		}
		snprintf(num, sizeof(num), "%" PRId64, m->slots_us[i]);
		rc = strbuf_pg_array_text(&slots, num);
	}
	if (rc != 0 || strbuf_pg_array_end(&slots) != 0) {
		msg_reply_error(rep, ORK__ERROR__CODE__INTERNAL, NULL,
		    "out of memory");
		strbuf_free(&slots);
		return;
	}
	if ((conn = conn_get(o, t, rep)) == NULL) {
		strbuf_free(&slots);
		return;
	}
	params[0] = m->job_id;
	params[1] = strbuf_str(&slots);
	params[2] = m->rerun ? "true" : "false";
	res = sql_exec(conn, "backfill", 3, params);
	strbuf_free(&slots);
	if (!ok_result(conn, res, "backfill", rep)) {
		PQclear(res);
		return;
	}
	if (PQgetvalue(res, 0, 4)[0] != 't') {
		msg_reply_error(rep, ORK__ERROR__CODE__NOT_FOUND, "job_id",
		    "no job %s", m->job_id);
	} else if (PQgetvalue(res, 0, 3)[0] != '\0') {
		msg_reply_error(rep, ORK__ERROR__CODE__CONFLICT, "tasks",
		    "the job has no tasks to run");
	} else {
		r.runs_created = (uint32_t)strtoul(PQgetvalue(res, 0, 0),
		    NULL, 10) + (uint32_t)strtoul(PQgetvalue(res, 0, 1), NULL,
		    10);
		r.waiting = (uint32_t)strtoul(PQgetvalue(res, 0, 1), NULL, 10);
		r.existing = (uint32_t)strtoul(PQgetvalue(res, 0, 2), NULL,
		    10);
		log_ids_info(&ids, "backfill: %u runs (%u waiting), %u slots "
		    "had runs", r.runs_created, r.waiting, r.existing);
		(void)msg_reply_set(rep, ORK__MSG_TYPE__MSG_BACKFILL_RUNS_REPLY,
		    &r.base);
		if (r.runs_created > r.waiting)
			events_publish_work(o, r.runs_created - r.waiting);
	}
	PQclear(res);
}

static void
handle_retry(struct orch *o, struct control_thread *t, const struct msg *req,
    struct msg_reply *rep)
{
	const Ork__RetryRun	*m = (const Ork__RetryRun *)req->body;
	Ork__RetryRunReply	 r = ORK__RETRY_RUN_REPLY__INIT;
	PGresult		*res;
	struct log_ids		 ids = { .run_id = m->run_id,
	    .trace_id = req->trace_id };

	res = run_statement(o, t, m->run_id, "retry", rep);
	if (res == NULL)
		return;
	r.run_id = m->run_id;
	r.status = PQgetvalue(res, 0, 0);
	r.tasks_requeued = (uint32_t)strtoul(PQgetvalue(res, 0, 1), NULL, 10);
	log_ids_info(&ids, "retry: %u tasks requeued", r.tasks_requeued);
	(void)msg_reply_set(rep, ORK__MSG_TYPE__MSG_RETRY_RUN_REPLY, &r.base);
	events_publish_work(o, 1);
	PQclear(res);
}

/* kinds_array builds a text[] literal; 0 or an error answered. */
static int
kinds_array(struct strbuf *sb, char **kinds, size_t n, struct msg_reply *rep)
{
	if (n > ORCH_MAX_KINDS) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "kinds",
		    "at most %d kinds", ORCH_MAX_KINDS);
		return ORK_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!valid_name(kinds[i]) || strlen(kinds[i]) > 32) {
			msg_reply_error(rep, ORK__ERROR__CODE__INVALID,
			    "kinds", "kind %zu is empty or too long", i);
			return ORK_EINVAL;
		}
		if (strbuf_pg_array_text(sb, kinds[i]) != 0)
			goto toobig;
	}
	if (strbuf_pg_array_end(sb) != 0)
		goto toobig;
	return 0;
toobig:
	msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "kinds",
	    "kinds too long");
	return ORK_ETOOBIG;
}

static void
handle_register(struct orch *o, struct control_thread *t,
    const struct msg *req, struct msg_reply *rep)
{
	const Ork__RegisterWorker	*m = (const Ork__RegisterWorker *)
	    req->body;
	Ork__RegisterWorkerReply	 r = ORK__REGISTER_WORKER_REPLY__INIT;
	struct strbuf			 kinds;
	char				 cap[16], ver[16];
	const char			*params[5];
	PGconn				*conn;
	PGresult			*res;
	struct log_ids			 ids = { .worker_id = m->worker_id };

	if (m->protocol_version != MSG_PROTOCOL_VERSION) {
		char why[160];

		snprintf(why, sizeof(why), "protocol version %u is not "
		    "supported: this orchestrator speaks %d", m->protocol_version,
		    MSG_PROTOCOL_VERSION);
		log_ids_warn(&ids, "refused worker: %s", why);
		r.accepted = 0;
		r.reason = why;
		(void)msg_reply_set(rep,
		    ORK__MSG_TYPE__MSG_REGISTER_WORKER_REPLY, &r.base);
		return;
	}
	if (!valid_name(m->worker_id)) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "worker_id",
		    "worker_id must be 1-%d printable characters", ORCH_MAX_ID);
		return;
	}
	if (!valid_name(m->hostname)) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "hostname",
		    "hostname must be 1-%d printable characters", ORCH_MAX_ID);
		return;
	}
	if (m->capacity < 1 || m->capacity > 1024) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "capacity",
		    "capacity %u is out of range 1-1024", m->capacity);
		return;
	}
	strbuf_init(&kinds, 4096);
	if (kinds_array(&kinds, m->kinds, m->n_kinds, rep) != 0)
		goto out;
	conn = conn_get(o, t, rep);
	if (conn == NULL)
		goto out;
	snprintf(cap, sizeof(cap), "%u", m->capacity);
	snprintf(ver, sizeof(ver), "%u", m->protocol_version);
	params[0] = m->worker_id;
	params[1] = m->hostname;
	params[2] = cap;
	params[3] = strbuf_str(&kinds);
	params[4] = ver;
	res = sql_exec(conn, "register", 5, params);
	if (ok_result(conn, res, "register", rep)) {
		r.accepted = 1;
		r.reason = (char *)(uintptr_t)"";
		r.lease_ms = (uint32_t)o->cfg->lease_ms;
		r.heartbeat_ms = (uint32_t)o->cfg->heartbeat_ms;
		log_ids_info(&ids, "worker registered: %s, %u slots, kinds %s",
		    m->hostname, m->capacity, strbuf_str(&kinds));
		(void)msg_reply_set(rep,
		    ORK__MSG_TYPE__MSG_REGISTER_WORKER_REPLY, &r.base);
	}
	PQclear(res);
out:
	strbuf_free(&kinds);
}

/* Leases claimed for a reply; the strings point into res. */
struct lease_set {
	PGresult	 *res;
	Ork__TaskLease	 *leases;
	Ork__TaskLease	**ptrs;
	size_t		  n;
};

static void
lease_set_free(struct lease_set *ls)
{
	free(ls->ptrs);
	free(ls->leases);
	PQclear(ls->res);
	memset(ls, 0, sizeof(*ls));
}

/*
 * lease_claim claims up to max tasks of the given kinds (none: any) for a
 * worker.  Returns 0, or an error after answering the request.
 */
static int
lease_claim(struct orch *o, struct control_thread *t, const char *worker_id,
    char **kinds_in, size_t n_kinds, uint32_t max_tasks, struct lease_set *ls,
    struct msg_reply *rep)
{
	struct strbuf	 kinds;
	char		 max[16], lease[16];
	const char	*params[4];
	PGconn		*conn;
	int		 rc = ORK_EINVAL, n;

	memset(ls, 0, sizeof(*ls));
	if (max_tasks < 1 || max_tasks > ORCH_MAX_LEASE_BATCH) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "max_tasks",
		    "max_tasks %u is out of range 1-%d", max_tasks,
		    ORCH_MAX_LEASE_BATCH);
		return rc;
	}
	strbuf_init(&kinds, 4096);
	if (n_kinds > 0 && kinds_array(&kinds, kinds_in, n_kinds, rep) != 0)
		goto out;
	conn = conn_get(o, t, rep);
	if (conn == NULL)
		goto out;
	snprintf(max, sizeof(max), "%u", max_tasks);
	snprintf(lease, sizeof(lease), "%ld", o->cfg->lease_ms);
	params[0] = worker_id;
	params[1] = n_kinds > 0 ? strbuf_str(&kinds) : NULL;
	params[2] = max;
	params[3] = lease;
	ls->res = sql_exec(conn, "lease", 4, params);
	if (!ok_result(conn, ls->res, "lease", rep))
		goto out;
	n = PQntuples(ls->res);
	if (n > 0) {
		ls->leases = calloc((size_t)n, sizeof(*ls->leases));
		ls->ptrs = calloc((size_t)n, sizeof(*ls->ptrs));
		if (ls->leases == NULL || ls->ptrs == NULL) {
			msg_reply_error(rep, ORK__ERROR__CODE__INTERNAL, NULL,
			    "out of memory");
			goto out;
		}
	}
	for (int i = 0; i < n; i++) {
		Ork__TaskLease	*l = &ls->leases[i];
		PGresult	*res = ls->res;

		ork__task_lease__init(l);
		l->task_run_id = PQgetvalue(res, i, 0);
		l->run_id = PQgetvalue(res, i, 1);
		l->job_id = PQgetvalue(res, i, 2);
		l->attempt = (uint32_t)strtoul(PQgetvalue(res, i, 3), NULL, 10);
		l->kind = PQgetvalue(res, i, 4);
		l->extractor_config_json = PQgetvalue(res, i, 5);
		l->loader_config_json = PQgetvalue(res, i, 6);
		l->timeout_seconds = (uint32_t)strtoul(PQgetvalue(res, i, 7),
		    NULL, 10);
		l->lease_expires_at_us = strtoll(PQgetvalue(res, i, 8), NULL,
		    10);
		l->triggered_at_us = strtoll(PQgetvalue(res, i, 9), NULL, 10);
		l->trace_id = PQgetvalue(res, i, 10);
		l->task_order = (uint32_t)strtoul(PQgetvalue(res, i, 11), NULL,
		    10);
		l->cursor_epoch = (uint32_t)strtoul(PQgetvalue(res, i, 12),
		    NULL, 10);
		ls->ptrs[i] = l;
	}
	ls->n = (size_t)n;
	rc = 0;
out:
	strbuf_free(&kinds);
	if (rc != 0)
		lease_set_free(ls);
	return rc;
}

static void
handle_lease(struct orch *o, struct control_thread *t, const struct msg *req,
    struct msg_reply *rep)
{
	const Ork__LeaseTasks	*m = (const Ork__LeaseTasks *)req->body;
	Ork__LeaseTasksReply	 r = ORK__LEASE_TASKS_REPLY__INIT;
	struct lease_set	 ls;

	if (!valid_name(m->worker_id)) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "worker_id",
		    "worker_id must be 1-%d printable characters", ORCH_MAX_ID);
		return;
	}
	if (lease_claim(o, t, m->worker_id, m->kinds, m->n_kinds, m->max_tasks,
	    &ls, rep) != 0)
		return;
	r.n_leases = ls.n;
	r.leases = ls.ptrs;
	r.lease_ms = (uint32_t)o->cfg->lease_ms;
	(void)msg_reply_set(rep, ORK__MSG_TYPE__MSG_LEASE_TASKS_REPLY, &r.base);
	lease_set_free(&ls);
}

/* refs_arrays builds uuid[] and int[] literals from task refs. */
static int
refs_arrays(Ork__TaskRef **refs, size_t n, struct strbuf *ids,
    struct strbuf *atts, struct msg_reply *rep)
{
	for (size_t i = 0; i < n; i++) {
		char num[16];

		if (!valid_id(refs[i]->task_run_id)) {
			msg_reply_error(rep, ORK__ERROR__CODE__INVALID,
			    "running", "task_run_id %zu is not a UUID", i);
			return ORK_EINVAL;
		}
		snprintf(num, sizeof(num), "%u", refs[i]->attempt);
		if (strbuf_pg_array_text(ids, refs[i]->task_run_id) != 0 ||
		    strbuf_pg_array_text(atts, num) != 0)
			goto toobig;
	}
	if (strbuf_pg_array_end(ids) != 0 || strbuf_pg_array_end(atts) != 0)
		goto toobig;
	return 0;
toobig:
	msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "running",
	    "too many tasks");
	return ORK_ETOOBIG;
}

static void
handle_heartbeat(struct orch *o, struct control_thread *t,
    const struct msg *req, struct msg_reply *rep)
{
	const Ork__Heartbeat	*m = (const Ork__Heartbeat *)req->body;
	Ork__HeartbeatReply	 r = ORK__HEARTBEAT_REPLY__INIT;
	Ork__TaskRef		*refs = NULL, **renewed = NULL, **cancel = NULL;
	Ork__TaskRef		**lost = NULL;
	struct strbuf		 ids, atts;
	char			 lease[16];
	const char		*params[4];
	PGconn			*conn;
	PGresult		*res = NULL;
	int			 n;

	strbuf_init(&ids, ARRAY_PARAM_MAX);
	strbuf_init(&atts, ARRAY_PARAM_MAX);
	if (!valid_name(m->worker_id)) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "worker_id",
		    "worker_id must be 1-%d printable characters", ORCH_MAX_ID);
		goto out;
	}
	if (m->n_running > ORCH_MAX_REPORT_BATCH) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "running",
		    "at most %d running tasks", ORCH_MAX_REPORT_BATCH);
		goto out;
	}
	if (refs_arrays(m->running, m->n_running, &ids, &atts, rep) != 0)
		goto out;
	conn = conn_get(o, t, rep);
	if (conn == NULL)
		goto out;
	snprintf(lease, sizeof(lease), "%ld", o->cfg->lease_ms);
	params[0] = m->worker_id;
	params[1] = strbuf_str(&ids);
	params[2] = strbuf_str(&atts);
	params[3] = lease;
	res = sql_exec(conn, "heartbeat", 4, params);
	if (!ok_result(conn, res, "heartbeat", rep))
		goto out;
	n = PQntuples(res);
	refs = calloc((size_t)n + 1, sizeof(*refs));
	renewed = calloc((size_t)n + 1, sizeof(*renewed));
	cancel = calloc((size_t)n + 1, sizeof(*cancel));
	lost = calloc((size_t)n + 1, sizeof(*lost));
	if (refs == NULL || renewed == NULL || cancel == NULL || lost == NULL) {
		msg_reply_error(rep, ORK__ERROR__CODE__INTERNAL, NULL,
		    "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		const char	*verdict = PQgetvalue(res, i, 2);
		Ork__TaskRef	*ref = &refs[i];

		if (strcmp(verdict, "reregister") == 0) {
			r.reregister = 1;
			continue;
		}
		ork__task_ref__init(ref);
		ref->task_run_id = PQgetvalue(res, i, 0);
		ref->attempt = (uint32_t)strtoul(PQgetvalue(res, i, 1), NULL,
		    10);
		if (strcmp(verdict, "renewed") == 0)
			renewed[r.n_renewed++] = ref;
		else if (strcmp(verdict, "cancel") == 0)
			cancel[r.n_cancel++] = ref;
		else
			lost[r.n_lost++] = ref;
	}
	r.renewed = renewed;
	r.cancel = cancel;
	r.lost = lost;
	r.lease_ms = (uint32_t)o->cfg->lease_ms;
	(void)msg_reply_set(rep, ORK__MSG_TYPE__MSG_HEARTBEAT_REPLY, &r.base);
out:
	free(refs);
	free(renewed);
	free(cancel);
	free(lost);
	PQclear(res);
	strbuf_free(&ids);
	strbuf_free(&atts);
}

static const char *
outcome_name(int outcome)
{
	switch (outcome) {
	case ORK__TASK_RESULT__OUTCOME__SUCCESS:	return "success";
	case ORK__TASK_RESULT__OUTCOME__FAILED:		return "failed";
	case ORK__TASK_RESULT__OUTCOME__CANCELLED:	return "cancelled";
	case ORK__TASK_RESULT__OUTCOME__TIMED_OUT:	return "timed_out";
	case ORK__TASK_RESULT__OUTCOME__HANDED_BACK:	return "handed_back";
	}
	return NULL;
}

/* Error messages are cut to this many bytes before they are stored. */
#define REPORT_ERROR_MAX 4096
/* Cursor marks (incremental loads) longer than this are not stored. */
#define REPORT_CURSOR_MAX 1024

/*
 * store_cursor_marks records the cursor mark of each accepted successful
 * result on its task definition, for GET /jobs/{id}; a mark of a
 * generation a reset has replaced is ignored.  The destination's ledger
 * holds the committed mark, so a failure here is only logged.
 */
static void
store_cursor_marks(PGconn *conn, const Ork__ReportTask *m,
    const protobuf_c_boolean *accepted)
{
	for (size_t i = 0; i < m->n_results; i++) {
		const Ork__TaskResult	*x = m->results[i];
		const char		*params[3];
		char			 epoch[16];
		PGresult		*res;

		if (!accepted[i] || x->outcome !=
		    ORK__TASK_RESULT__OUTCOME__SUCCESS ||
		    x->cursor_mark == NULL || x->cursor_mark[0] == '\0' ||
		    strlen(x->cursor_mark) > REPORT_CURSOR_MAX)
			continue;
		snprintf(epoch, sizeof(epoch), "%u", x->cursor_epoch);
		params[0] = x->task_run_id;
		params[1] = x->cursor_mark;
		params[2] = epoch;
		res = sql_exec(conn, "cursor_mark", 3, params);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			struct log_ids lids = { .task_run_id = x->task_run_id,
			    .worker_id = m->worker_id, .attempt = x->attempt };

			log_ids_warn(&lids, "could not store the cursor mark: "
			    "%s", PQerrorMessage(conn));
		}
		PQclear(res);
	}
}

static void
handle_report(struct orch *o, struct control_thread *t, const struct msg *req,
    struct msg_reply *rep)
{
	const Ork__ReportTask	*m = (const Ork__ReportTask *)req->body;
	Ork__ReportTaskReply	 r = ORK__REPORT_TASK_REPLY__INIT;
	struct strbuf		 ids, atts, outs, errs, rows;
	char			**recorded = NULL;
	protobuf_c_boolean	*accepted = NULL;
	const char		*params[6];
	PGconn			*conn;
	PGresult		*res = NULL;
	struct lease_set	 ls = { 0 };
	unsigned		 next = 0;
	size_t			 n = m->n_results;

	strbuf_init(&ids, ARRAY_PARAM_MAX);
	strbuf_init(&atts, ARRAY_PARAM_MAX);
	strbuf_init(&outs, ARRAY_PARAM_MAX);
	strbuf_init(&errs, ARRAY_PARAM_MAX);
	strbuf_init(&rows, ARRAY_PARAM_MAX);
	if (!valid_name(m->worker_id)) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "worker_id",
		    "worker_id must be 1-%d printable characters", ORCH_MAX_ID);
		goto out;
	}
	if (n == 0 || n > ORCH_MAX_REPORT_BATCH) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "results",
		    "1-%d results per report", ORCH_MAX_REPORT_BATCH);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const Ork__TaskResult	*res_i = m->results[i];
		const char		*out = outcome_name(res_i->outcome);
		char			 num[32], err[REPORT_ERROR_MAX + 1];
		int			 rc;

		if (!valid_id(res_i->task_run_id)) {
			msg_reply_error(rep, ORK__ERROR__CODE__INVALID,
			    "results", "result %zu: task_run_id is not a UUID",
			    i);
			goto out;
		}
		if (out == NULL || res_i->attempt == 0) {
			msg_reply_error(rep, ORK__ERROR__CODE__INVALID,
			    "results", "result %zu: %s", i, out == NULL ?
			    "unknown outcome" : "attempt must be positive");
			goto out;
		}
		snprintf(err, sizeof(err), "%s", res_i->error_message != NULL ?
		    res_i->error_message : "");
		rc = strbuf_pg_array_text(&ids, res_i->task_run_id);
		snprintf(num, sizeof(num), "%u", res_i->attempt);
		rc = rc != 0 ? rc : strbuf_pg_array_text(&atts, num);
		rc = rc != 0 ? rc : strbuf_pg_array_text(&outs, out);
		rc = rc != 0 ? rc : strbuf_pg_array_text(&errs, err);
		snprintf(num, sizeof(num), "%" PRId64, res_i->rows_moved < 0 ?
		    0 : res_i->rows_moved);
		rc = rc != 0 ? rc : strbuf_pg_array_text(&rows, num);
		if (rc != 0) {
			msg_reply_error(rep, ORK__ERROR__CODE__INVALID,
			    "results", "report too large");
			goto out;
		}
	}
	if (strbuf_pg_array_end(&ids) != 0 || strbuf_pg_array_end(&atts) != 0 ||
	    strbuf_pg_array_end(&outs) != 0 || strbuf_pg_array_end(&errs) != 0 ||
	    strbuf_pg_array_end(&rows) != 0) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "results",
		    "report too large");
		goto out;
	}
	conn = conn_get(o, t, rep);
	if (conn == NULL)
		goto out;
	params[0] = m->worker_id;
	params[1] = strbuf_str(&ids);
	params[2] = strbuf_str(&atts);
	params[3] = strbuf_str(&outs);
	params[4] = strbuf_str(&errs);
	params[5] = strbuf_str(&rows);
	res = sql_exec(conn, "report", 6, params);
	if (!ok_result(conn, res, "report", rep))
		goto out;
	recorded = calloc(n, sizeof(*recorded));
	accepted = calloc(n, sizeof(*accepted));
	if (recorded == NULL || accepted == NULL ||
	    (size_t)PQntuples(res) != n) {
		msg_reply_error(rep, ORK__ERROR__CODE__INTERNAL, NULL,
		    "report returned %d rows for %zu results", PQntuples(res),
		    n);
		goto out;
	}
	/* Rows come in any order; o_i is the result's position. */
	for (int row = 0; row < PQntuples(res); row++) {
		long i = strtol(PQgetvalue(res, row, 0), NULL, 10) - 1;

		if (i < 0 || (size_t)i >= n || recorded[i] != NULL) {
			msg_reply_error(rep, ORK__ERROR__CODE__INTERNAL, NULL,
			    "report returned result %ld twice or out of range",
			    i + 1);
			goto out;
		}
		accepted[i] = PQgetvalue(res, row, 1)[0] == 't';
		recorded[i] = PQgetvalue(res, row, 2);
		if (PQgetvalue(res, row, 3)[0] == 't')
			next++;
		if (!accepted[i]) {
			struct log_ids lids = { .task_run_id =
			    m->results[i]->task_run_id, .worker_id =
			    m->worker_id, .attempt = m->results[i]->attempt };

			log_ids_info(&lids, "ignored a stale report (%s); the "
			    "task is %s", outcome_name(m->results[i]->outcome),
			    recorded[i]);
		}
	}
	store_cursor_marks(conn, m, accepted);
	r.n_recorded = n;
	r.recorded = recorded;
	r.n_accepted = n;
	r.accepted = accepted;
	if (m->lease_max > 0) {
		/* the worker's next batch, in the same round trip */
		if (lease_claim(o, t, m->worker_id, m->kinds, m->n_kinds,
		    m->lease_max, &ls, rep) != 0)
			goto out;
		r.n_leases = ls.n;
		r.leases = ls.ptrs;
		r.lease_ms = (uint32_t)o->cfg->lease_ms;
	}
	(void)msg_reply_set(rep, ORK__MSG_TYPE__MSG_REPORT_TASK_REPLY, &r.base);
	if (next > 0)
		events_publish_work(o, next);
out:
	lease_set_free(&ls);
	free(recorded);
	free(accepted);
	PQclear(res);
	strbuf_free(&ids);
	strbuf_free(&atts);
	strbuf_free(&outs);
	strbuf_free(&errs);
	strbuf_free(&rows);
}

static void
handle_logs(struct orch *o, struct control_thread *t, const struct msg *req,
    struct msg_reply *rep)
{
	const Ork__TaskLogs	*m = (const Ork__TaskLogs *)req->body;
	Ork__TaskLogsReply	 r = ORK__TASK_LOGS_REPLY__INIT;
	struct strbuf		 ids, atts, ts, streams, lines;
	const char		*params[5];
	PGconn			*conn;
	PGresult		*res = NULL;
	char			*cut = NULL;

	strbuf_init(&ids, ARRAY_PARAM_MAX);
	strbuf_init(&atts, ARRAY_PARAM_MAX);
	strbuf_init(&ts, ARRAY_PARAM_MAX);
	strbuf_init(&streams, ARRAY_PARAM_MAX);
	strbuf_init(&lines, ARRAY_PARAM_MAX);
	if (m->n_lines > ORCH_MAX_LOG_LINES) {
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "lines",
		    "at most %d lines per message", ORCH_MAX_LOG_LINES);
		goto out;
	}
	cut = malloc(ORCH_MAX_LOG_LINE + 1);
	if (cut == NULL) {
		msg_reply_error(rep, ORK__ERROR__CODE__INTERNAL, NULL,
		    "out of memory");
		goto out;
	}
	for (size_t i = 0; i < m->n_lines; i++) {
		const Ork__LogLine	*l = m->lines[i];
		char			 num[32];
		int			 rc;

		if (!valid_id(l->task_run_id) || l->stream == NULL ||
		    (strcmp(l->stream, "stdout") != 0 &&
		    strcmp(l->stream, "stderr") != 0 &&
		    strcmp(l->stream, "system") != 0)) {
			msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "lines",
			    "line %zu: bad task_run_id or stream", i);
			goto out;
		}
		/* PostgreSQL text cannot hold NUL; cut long lines */
		snprintf(cut, ORCH_MAX_LOG_LINE + 1, "%s",
		    l->line != NULL ? l->line : "");
		rc = strbuf_pg_array_text(&ids, l->task_run_id);
		snprintf(num, sizeof(num), "%u", l->attempt);
		rc = rc != 0 ? rc : strbuf_pg_array_text(&atts, num);
		snprintf(num, sizeof(num), "%" PRId64, l->logged_at_us);
		rc = rc != 0 ? rc : strbuf_pg_array_text(&ts, num);
		rc = rc != 0 ? rc : strbuf_pg_array_text(&streams, l->stream);
		rc = rc != 0 ? rc : strbuf_pg_array_text(&lines, cut);
		if (rc != 0) {
			msg_reply_error(rep, ORK__ERROR__CODE__INVALID,
			    "lines", "logs too large");
			goto out;
		}
	}
	if (m->n_lines == 0) {
		(void)msg_reply_set(rep, ORK__MSG_TYPE__MSG_TASK_LOGS_REPLY,
		    &r.base);
		goto out;
	}
	(void)strbuf_pg_array_end(&ids);
	(void)strbuf_pg_array_end(&atts);
	(void)strbuf_pg_array_end(&ts);
	(void)strbuf_pg_array_end(&streams);
	(void)strbuf_pg_array_end(&lines);
	conn = conn_get(o, t, rep);
	if (conn == NULL)
		goto out;
	params[0] = strbuf_str(&ids);
	params[1] = strbuf_str(&atts);
	params[2] = strbuf_str(&ts);
	params[3] = strbuf_str(&streams);
	params[4] = strbuf_str(&lines);
	res = sql_exec(conn, "logs", 5, params);
	if (ok_result(conn, res, "logs", rep)) {
		r.stored = (uint32_t)strtoul(PQcmdTuples(res), NULL, 10);
		(void)msg_reply_set(rep, ORK__MSG_TYPE__MSG_TASK_LOGS_REPLY,
		    &r.base);
	}
out:
	free(cut);
	PQclear(res);
	strbuf_free(&ids);
	strbuf_free(&atts);
	strbuf_free(&ts);
	strbuf_free(&streams);
	strbuf_free(&lines);
}

void
control_handle(void *arg, void *thread_arg, const struct msg *req,
    struct msg_reply *rep)
{
	struct orch		*o = arg;
	struct control_thread	*t = thread_arg;

	switch (req->type) {
	case ORK__MSG_TYPE__MSG_PING:
		handle_ping(o, req, rep);
		return;
	case ORK__MSG_TYPE__MSG_TRIGGER_RUN:
		handle_trigger(o, t, req, rep);
		return;
	case ORK__MSG_TYPE__MSG_CANCEL_RUN:
		handle_cancel(o, t, req, rep);
		return;
	case ORK__MSG_TYPE__MSG_RETRY_RUN:
		handle_retry(o, t, req, rep);
		return;
	case ORK__MSG_TYPE__MSG_BACKFILL_RUNS:
		handle_backfill(o, t, req, rep);
		return;
	case ORK__MSG_TYPE__MSG_REGISTER_WORKER:
		handle_register(o, t, req, rep);
		return;
	case ORK__MSG_TYPE__MSG_LEASE_TASKS:
		handle_lease(o, t, req, rep);
		return;
	case ORK__MSG_TYPE__MSG_HEARTBEAT:
		handle_heartbeat(o, t, req, rep);
		return;
	case ORK__MSG_TYPE__MSG_REPORT_TASK:
		handle_report(o, t, req, rep);
		return;
	case ORK__MSG_TYPE__MSG_TASK_LOGS:
		handle_logs(o, t, req, rep);
		return;
	default:
		msg_reply_error(rep, ORK__ERROR__CODE__BAD_TYPE, NULL,
		    "%s is not a request this orchestrator serves",
		    msg_type_name(req->type));
		return;
	}
}
