/*
 * system.c - GET /health, GET /ready and GET /workers.
 *
 * /health and /ready answer without authentication: Kubernetes probes
 * them (deploy/helm) and they say nothing but whether ork-api, its
 * database and the orchestrator are up.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "daemon.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "msg.h"

/* Deadline of the readiness checks. */
#define READY_TIMEOUT_MS 2000

/* GET /health: alive, whatever the database and orchestrator do. */
int
health_get(struct req *r)
{
	char body[160];

	snprintf(body, sizeof(body), "{\"status\":\"ok\",\"daemon\":"
	    "\"ork-api\",\"version\":\"%s\"}", ORK_VERSION);
	return http_reply(r, 200, NULL, body);
}

static int
check_database(struct api *a)
{
	PGconn	*conn;
	char	 err[256];
	int	 rc;

	rc = sql_get(a, READY_TIMEOUT_MS, &conn, err, sizeof(err));
	if (rc == ORK_ETIMEDOUT)
		return 1;	/* every connection busy: it is reachable */
	if (rc != 0)
		return 0;
	rc = db_exec(conn, "SELECT 1", NULL, 0);
	sql_put(a, conn);
	return rc == 0;
}

static int
check_orchestrator(struct api *a)
{
	Ork__Ping	p = ORK__PING__INIT;
	struct msg	reply;
	char		err[256];

	p.from = (char *)(uintptr_t)"ork-api";
	if (msg_call(a->orch, ORK__MSG_TYPE__MSG_PING, &p.base, NULL,
	    READY_TIMEOUT_MS, &reply, err, sizeof(err)) != 0)
		return 0;
	msg_release(&reply);
	return 1;
}

/* GET /ready: 200 when the database and the orchestrator answer. */
int
ready_get(struct req *r)
{
	char	body[160];
	int	db, orch;

	db = check_database(r->a);
	orch = check_orchestrator(r->a);
	snprintf(body, sizeof(body), "{\"status\":\"%s\",\"database\":%s,"
	    "\"orchestrator\":%s}", db && orch ? "ready" : "not ready",
	    db ? "true" : "false", orch ? "true" : "false");
	return http_reply(r, db && orch ? 200 : 503, NULL, body);
}

static const struct sql_stmt workers_stmt = {
	"workers_list",
	"SELECT worker_id, hostname, capacity, to_json(kinds), "
	"protocol_version, status, registered_at, last_heartbeat_at, "
	"(SELECT count(*) FROM task_runs t WHERE t.status = 'running' AND "
	"t.lease_owner = w.worker_id) FROM workers w ORDER BY worker_id "
	"LIMIT 1000",
	0, 1
};

static const struct sql_field worker_fields[] = {
	SQL_F("worker_id", SQL_TEXT), SQL_F("hostname", SQL_TEXT),
	SQL_F("capacity", SQL_INT), SQL_F("kinds", SQL_JSON),
	SQL_F("protocol_version", SQL_INT), SQL_F("status", SQL_TEXT),
	SQL_F("registered_at", SQL_TIME), SQL_F("last_heartbeat_at", SQL_TIME),
	SQL_F("running", SQL_INT),
};

/* GET /workers: every worker the orchestrators know, by id. */
int
workers_list(struct req *r)
{
	struct json_buf	 b;
	PGconn		*c;
	PGresult	*res;
	char		 msg[256];
	int		 rc, err;

	if ((rc = sql_conn(r, &c)) != 0)
		return rc;
	res = sql_run(c, &workers_stmt, NULL, &err, msg, sizeof(msg));
	sql_release(r, c);
	if (res == NULL)
		return http_fail(r, err, "could not list workers");
	json_buf_init(&b, API_REPLY_MAX);
	json_buf_puts(&b, "{\"items\":[");
	for (int i = 0; i < PQntuples(res); i++) {
		if (i > 0)
			json_buf_add(&b, ",", 1);
		sql_object(&b, res, i, 0, worker_fields,
		    SQL_NFIELDS(worker_fields));
	}
	json_buf_puts(&b, "],\"next_cursor\":null}");
	PQclear(res);
	return http_reply_buf(r, 200, NULL, &b);
}
