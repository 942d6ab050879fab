/*
 * router.c - the route table and what happens to every request before
 * its handler runs: the route is found (404 JSON for an unknown path,
 * 405 with Allow for a known path and another method), the caller is
 * authenticated (401) and allowed (403), the path id checked (400), and
 * the body read (415, 413, 400).
 *
 * The same table produces GET /openapi.json, so the document lists
 * exactly the routes served.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "err.h"
#include "log.h"
#include "metrics.h"

#define Q_LIST "limit cursor"

/* GET /metrics: Prometheus text (common/metrics.c). */
static int
metrics_get(struct req *r)
{
	r->status = metrics_reply(r->c);
	return r->status;
}

static const struct route routes[] = {
	/* public */
	{ "GET", "/health", ROLE_NONE, health_get, 0, "getHealth",
	    "liveness: the process serves HTTP", "system", NULL, NULL, 200,
	    "Health" },
	{ "GET", "/ready", ROLE_NONE, ready_get, 0, "getReady",
	    "readiness: database and orchestrator reachable", "system", NULL,
	    NULL, 200, "Ready" },
	{ "GET", "/openapi.json", ROLE_NONE, openapi_get, 0, "getOpenApi",
	    "this document", "system", NULL, NULL, 200, NULL },
	{ "GET", "/metrics", ROLE_NONE, metrics_get, ROUTE_METRICS,
	    "getMetrics", "metrics in the Prometheus text format 0.0.4",
	    "system", NULL, NULL, 200, NULL },
	{ "POST", "/auth/login", ROLE_NONE, auth_login, ROUTE_BODY, "login",
	    "exchange a username and password for a session token", "auth",
	    NULL, "LoginInput", 200, "Session" },

	/* any signed-in user */
	{ "POST", "/auth/logout", ROLE_VIEWER, auth_logout, 0, "logout",
	    "revoke the token of this request", "auth", NULL, NULL, 204,
	    NULL },
	{ "GET", "/auth/me", ROLE_VIEWER, auth_me, 0, "getMe",
	    "who this request is made as", "auth", NULL, NULL, 200, "Me" },

	/* jobs */
	{ "GET", "/jobs", ROLE_VIEWER, jobs_list, 0, "listJobs",
	    "list jobs, newest first, with their last run", "jobs",
	    Q_LIST " name is_active", NULL, 200, "JobList" },
	{ "POST", "/jobs", ROLE_ADMIN, jobs_create, ROUTE_BODY, "createJob",
	    "create a job and its tasks", "jobs", NULL, "JobInput", 201,
	    "Job" },
	{ "GET", "/jobs/{job_id}", ROLE_VIEWER, jobs_get, 0, "getJob",
	    "a job with its tasks", "jobs", NULL, NULL, 200, "Job" },
	{ "PUT", "/jobs/{job_id}", ROLE_ADMIN, jobs_replace, ROUTE_BODY,
	    "replaceJob", "replace a job's definition and tasks", "jobs",
	    NULL, "JobInput", 200, "Job" },
	{ "PATCH", "/jobs/{job_id}", ROLE_ADMIN, jobs_patch, ROUTE_BODY,
	    "patchJob", "change some fields of a job (e.g. is_active)",
	    "jobs", NULL, "JobPatch", 200, "Job" },
	{ "DELETE", "/jobs/{job_id}", ROLE_ADMIN, jobs_delete, 0,
	    "deleteJob", "delete a job, its tasks and its run history",
	    "jobs", NULL, NULL, 204, NULL },
	{ "POST", "/jobs/{job_id}/run", ROLE_OPERATOR, jobs_trigger,
	    ROUTE_BODY_OPTIONAL, "triggerJob", "run a job now "
	    "(triggered_by manual)", "jobs", NULL, "TriggerInput", 201,
	    "Run" },
	{ "POST", "/jobs/{job_id}/backfill", ROLE_OPERATOR, jobs_backfill,
	    ROUTE_BODY, "backfillJob", "one run per cron slot of a past "
	    "range (triggered_by backfill)", "jobs", NULL, "BackfillInput",
	    201, "Backfill" },
	{ "DELETE", "/jobs/{job_id}/cursors", ROLE_OPERATOR,
	    jobs_reset_cursors, 0, "resetJobCursors", "forget the cursor "
	    "marks of a job's incremental loads: the next run reads from "
	    "initial_value", "jobs", "task_order", NULL, 200, "Job" },
	{ "GET", "/jobs/{job_id}/runs", ROLE_VIEWER, jobs_runs, 0,
	    "listJobRuns", "runs of one job, newest first", "runs",
	    Q_LIST " status since", NULL, 200, "RunList" },

	/* runs, also under /job_runs */
	{ "GET", "/runs", ROLE_VIEWER, runs_list, 0, "listRuns",
	    "list runs, newest first", "runs",
	    Q_LIST " job_id status since", NULL, 200, "RunList" },
	{ "GET", "/runs/{run_id}", ROLE_VIEWER, runs_get, 0, "getRun",
	    "a run", "runs", NULL, NULL, 200, "Run" },
	{ "GET", "/runs/{run_id}/tasks", ROLE_VIEWER, runs_tasks, 0,
	    "listRunTasks", "the task runs of a run, in task order", "runs",
	    NULL, NULL, 200, "TaskRunList" },
	{ "POST", "/runs/{run_id}/cancel", ROLE_OPERATOR, runs_cancel,
	    ROUTE_BODY_OPTIONAL, "cancelRun", "cancel a queued or running "
	    "run", "runs", NULL, "CancelInput", 200, "RunState" },
	{ "POST", "/runs/{run_id}/retry", ROLE_OPERATOR, runs_retry,
	    ROUTE_BODY_OPTIONAL, "retryRun", "run the failed and cancelled "
	    "tasks of a finished run again", "runs", NULL, NULL, 200,
	    "RunState" },
	{ "GET", "/job_runs", ROLE_VIEWER, runs_list, 0, "listJobRunsAlias",
	    "alias of GET /runs", "runs", Q_LIST " job_id status since",
	    NULL, 200, "RunList" },
	{ "GET", "/job_runs/{run_id}", ROLE_VIEWER, runs_get, 0,
	    "getJobRunAlias", "alias of GET /runs/{run_id}", "runs", NULL,
	    NULL, 200, "Run" },
	{ "GET", "/job_runs/{run_id}/tasks", ROLE_VIEWER, runs_tasks, 0,
	    "listJobRunTasksAlias", "alias of GET /runs/{run_id}/tasks",
	    "runs", NULL, NULL, 200, "TaskRunList" },
	{ "POST", "/job_runs/{run_id}/cancel", ROLE_OPERATOR, runs_cancel,
	    ROUTE_BODY_OPTIONAL, "cancelJobRunAlias",
	    "alias of POST /runs/{run_id}/cancel", "runs", NULL,
	    "CancelInput", 200, "RunState" },
	{ "POST", "/job_runs/{run_id}/retry", ROLE_OPERATOR, runs_retry,
	    ROUTE_BODY_OPTIONAL, "retryJobRunAlias",
	    "alias of POST /runs/{run_id}/retry", "runs", NULL, NULL, 200,
	    "RunState" },

	/* task runs */
	{ "GET", "/tasks/{task_run_id}", ROLE_VIEWER, tasks_get, 0,
	    "getTaskRun", "a task run with its attempts", "tasks", NULL,
	    NULL, 200, "TaskRun" },
	{ "GET", "/tasks/{task_run_id}/logs", ROLE_VIEWER, tasks_logs, 0,
	    "getTaskLogs", "captured output of a task run, oldest first",
	    "tasks", Q_LIST " attempt", NULL, 200, "LogPage" },

	/* live events */
	{ "GET", "/events", ROLE_VIEWER, events_stream, ROUTE_STREAM,
	    "streamEvents", "server-sent events of run and task changes",
	    "events", "job_id run_id last_event_id", NULL, 200, NULL },

	/* workers */
	{ "GET", "/workers", ROLE_VIEWER, workers_list, 0, "listWorkers",
	    "workers known to the orchestrators", "system", NULL, NULL, 200,
	    "WorkerList" },

	/* tokens and users */
	{ "GET", "/tokens", ROLE_ADMIN, auth_tokens_list, 0, "listTokens",
	    "API tokens (never their secret)", "admin", Q_LIST, NULL, 200,
	    "TokenList" },
	{ "POST", "/tokens", ROLE_ADMIN, auth_tokens_create, ROUTE_BODY,
	    "createToken", "create a long-lived API token", "admin", NULL,
	    "TokenInput", 201, "NewToken" },
	{ "DELETE", "/tokens/{token_id}", ROLE_ADMIN, auth_tokens_revoke, 0,
	    "revokeToken", "revoke a token", "admin", NULL, NULL, 204, NULL },
	{ "GET", "/users", ROLE_ADMIN, auth_users_list, 0, "listUsers",
	    "users", "admin", Q_LIST, NULL, 200, "UserList" },
	{ "POST", "/users", ROLE_ADMIN, auth_users_create, ROUTE_BODY,
	    "createUser", "create a user", "admin", NULL, "UserInput", 201,
	    "User" },
	{ "GET", "/users/{user_id}", ROLE_ADMIN, auth_users_get, 0,
	    "getUser", "a user", "admin", NULL, NULL, 200, "User" },
	{ "PATCH", "/users/{user_id}", ROLE_ADMIN, auth_users_update,
	    ROUTE_BODY, "patchUser", "change a user's role, password or "
	    "is_active", "admin", NULL, "UserPatch", 200, "User" },
	{ "DELETE", "/users/{user_id}", ROLE_ADMIN, auth_users_delete, 0,
	    "deleteUser", "delete a user and their tokens", "admin", NULL,
	    NULL, 204, NULL },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* router_routes returns the route table and its length (openapi.c). */
const struct route *
router_routes(size_t *n)
{
	*n = NROUTES;
	return routes;
}

/*
 * match compares a path with a pattern segment by segment; a {name}
 * segment takes any one segment, copied into id (cut to fit: the
 * handler's check refuses anything that is not a UUID).
 */
static int
match(const char *pattern, const char *path, char *id, size_t idlen,
    int *bad_id)
{
	*bad_id = 0;
	while (*pattern != '\0' && *path != '\0') {
		if (*pattern == '{') {
			const char	*end = strchr(path, '/');
			size_t		 n = end != NULL ? (size_t)(end - path) :
			    strlen(path);

			if (n == 0)
				return 0;
			if (n >= idlen)
				*bad_id = 1;
			snprintf(id, idlen, "%.*s", (int)n, path);
			path += n;
			pattern = strchr(pattern, '}') + 1;
			continue;
		}
		if (*pattern != *path)
			return 0;
		pattern++;
		path++;
	}
	return *pattern == '\0' && *path == '\0';
}

/* param_name writes the name of the {param} of a pattern. */
static void
param_name(const char *pattern, char *out, size_t len)
{
	const char *open = strchr(pattern, '{');
	const char *close = open != NULL ? strchr(open, '}') : NULL;

	if (open == NULL || close == NULL)
		snprintf(out, len, "id");
	else
		snprintf(out, len, "%.*s", (int)(close - open - 1), open + 1);
}

static int
dispatch(struct mg_connection *c, void *cbdata)
{
	struct api		*a = cbdata;
	struct req		 r;
	const struct route	*found = NULL;
	char			 path[1024], allow[128], hdr[160];
	char			 id[UTIL_UUID_LEN + 8];
	int64_t			 t0 = util_mono_ms();
	double			 start = metrics_now();
	struct log_ids		 ids = { 0 };
	int			 bad_id = 0, rc;
	size_t			 n;

	memset(&r, 0, sizeof(r));
	r.a = a;
	r.c = c;
	r.ri = mg_get_request_info(c);
	ids.trace_id = http_trace(&r);	/* answered in X-Trace-Id */
	snprintf(path, sizeof(path), "%s", r.ri->local_uri != NULL ?
	    r.ri->local_uri : "/");
	n = strlen(path);
	if (n > 1 && path[n - 1] == '/')
		path[n - 1] = '\0';
	if (ui_wants(path)) {		/* the web page: public, not an API route */
		rc = ui_serve(&r, path);
		goto done;
	}
	allow[0] = '\0';
	for (size_t i = 0; i < NROUTES; i++) {
		int bad;

		if (!match(routes[i].path, path, id, sizeof(id), &bad))
			continue;
		if (strcmp(routes[i].method, r.ri->request_method) == 0) {
			found = &routes[i];
			bad_id = bad;
			break;
		}
		if (strstr(allow, routes[i].method) == NULL)
			snprintf(allow + strlen(allow), sizeof(allow) -
			    strlen(allow), "%s%s", allow[0] != '\0' ? ", " : "",
			    routes[i].method);
	}
	if (found == NULL) {
		if (allow[0] == '\0') {
			rc = http_error(&r, 404, "not_found", NULL, "no route "
			    "%.64s %.200s", r.ri->request_method, path);
			goto done;
		}
		snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
		rc = http_error_h(&r, 405, hdr, "method_not_allowed", NULL,
		    "%.64s is not allowed on %.200s (allowed: %s)",
		    r.ri->request_method, path, allow);
		goto done;
	}
	r.route = found;
	if (found->role != ROLE_NONE) {
		if ((rc = auth_authenticate(&r)) != 0)
			goto done;
		if (r.who.role < found->role) {
			rc = http_error(&r, 403, "forbidden", NULL, "%s %s needs "
			    "the %s role; %s has the %s role", found->method,
			    found->path, api_role_names[found->role],
			    r.who.username, api_role_names[r.who.role]);
			goto done;
		}
	}
	if (strchr(found->path, '{') != NULL) {
		char field[32];

		if (bad_id || !util_uuid_valid(id)) {
			param_name(found->path, field, sizeof(field));
			rc = http_error(&r, 400, "invalid_id", field, "\"%.40s\" "
			    "is not a UUID", id);
			goto done;
		}
		for (size_t i = 0; i < sizeof(r.id); i++)
			r.id[i] = (char)tolower((unsigned char)id[i]);
	}
	if (found->flags & (ROUTE_BODY | ROUTE_BODY_OPTIONAL)) {
		rc = http_read_body(&r, (found->flags & ROUTE_BODY) == 0);
		if (rc != 0)
			goto done;
	}
	rc = found->fn(&r);
done:
	metrics_http(found != NULL ? (unsigned)(found - routes) : NROUTES,
	    r.status != 0 ? r.status : rc, metrics_now() - start);
	if (log_enabled(LOGL_DEBUG))
		log_ids_debug(&ids, "%s %s -> %d (%lld ms)",
		    r.ri->request_method, path, r.status != 0 ? r.status : rc,
		    (long long)(util_mono_ms() - t0));
	free(r.body);
	return r.status != 0 ? r.status : rc;
}

/* router_install serves every path with the dispatcher. */
void
router_install(struct api *a)
{
	httpd_route(a->http, "/", dispatch, a);
}
