/*
 * routes.c - ork-api's HTTP routes.
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

static int
on_health(struct mg_connection *c, void *cbdata)
{
	char body[128];

	(void)cbdata;
	snprintf(body, sizeof(body), "{\"status\":\"ok\",\"daemon\":"
	    "\"ork-api\",\"version\":\"%s\"}", ORK_VERSION);
	return httpd_send_json(c, 200, NULL, body);
}

static int
check_database(struct api *a)
{
	PGconn	*conn;
	char	 err[256];
	int	 rc;

	rc = dbpool_get(a->pool, READY_TIMEOUT_MS, &conn, err, sizeof(err));
	if (rc != 0)
		return 0;
	rc = db_exec(conn, "SELECT 1", NULL, 0);
	dbpool_put(a->pool, conn);
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

static int
on_ready(struct mg_connection *c, void *cbdata)
{
	struct api	*a = cbdata;
	char		 body[160];
	int		 db, orch;

	db = check_database(a);
	orch = check_orchestrator(a);
	snprintf(body, sizeof(body), "{\"status\":\"%s\",\"database\":%s,"
	    "\"orchestrator\":%s}", db && orch ? "ready" : "not ready",
	    db ? "true" : "false", orch ? "true" : "false");
	return httpd_send_json(c, db && orch ? 200 : 503, NULL, body);
}

static int
on_not_found(struct mg_connection *c, void *cbdata)
{
	(void)cbdata;
	return httpd_send_json(c, 404, NULL, "{\"error\":{\"code\":"
	    "\"not_found\",\"message\":\"no such route\"}}");
}

void
routes_install(struct api *a)
{
	httpd_route(a->http, "/health$", on_health, a);
	httpd_route(a->http, "/ready$", on_ready, a);
	httpd_route(a->http, "/", on_not_found, a);
}
