/*
 * openapi.c - GET /openapi.json: an OpenAPI 3.0 document of this server.
 *
 * Its paths and operations come from the route table (router.c), so it
 * lists exactly what is served; the schemas below describe the bodies.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "json.h"
#include "taskcfg.h"

/* Pieces of the components object (C99 bounds a string literal). */
static const char *const components[] = {
"\"components\":{"
"\"securitySchemes\":{\"bearer\":{\"type\":\"http\",\"scheme\":\"bearer\","
"\"description\":\"a session token from POST /auth/login or an API token "
"from POST /tokens; GET /events also takes ?access_token=\"}},"
"\"parameters\":{"
"\"limit\":{\"name\":\"limit\",\"in\":\"query\",\"schema\":{\"type\":"
"\"integer\",\"minimum\":1,\"maximum\":500,\"default\":50},"
"\"description\":\"items per page (logs: default 500, at most 5000)\"},"
"\"cursor\":{\"name\":\"cursor\",\"in\":\"query\",\"schema\":{\"type\":"
"\"string\"},\"description\":\"next_cursor of the previous page\"},"
"\"job_id\":{\"name\":\"job_id\",\"in\":\"query\",\"schema\":{\"type\":"
"\"string\",\"format\":\"uuid\"}},"
"\"run_id\":{\"name\":\"run_id\",\"in\":\"query\",\"schema\":{\"type\":"
"\"string\",\"format\":\"uuid\"}},"
"\"status\":{\"name\":\"status\",\"in\":\"query\",\"schema\":{\"$ref\":"
"\"#/components/schemas/RunStatus\"}},"
"\"since\":{\"name\":\"since\",\"in\":\"query\",\"schema\":{\"type\":"
"\"string\",\"format\":\"date-time\"},\"description\":\"runs created at "
"or after\"},"
"\"name\":{\"name\":\"name\",\"in\":\"query\",\"schema\":{\"type\":"
"\"string\"},\"description\":\"exact job_name\"},"
"\"is_active\":{\"name\":\"is_active\",\"in\":\"query\",\"schema\":"
"{\"type\":\"boolean\"}},"
"\"attempt\":{\"name\":\"attempt\",\"in\":\"query\",\"schema\":{\"type\":"
"\"integer\",\"minimum\":1}},"
"\"last_event_id\":{\"name\":\"last_event_id\",\"in\":\"query\","
"\"schema\":{\"type\":\"integer\",\"minimum\":0},\"description\":\"as "
"the Last-Event-ID header: replay events after this id\"},"
"\"task_order\":{\"name\":\"task_order\",\"in\":\"query\","
"\"schema\":{\"type\":\"integer\",\"minimum\":0},\"description\":"
"\"one task of the job; absent: every task\"}},"
"\"responses\":{\"Error\":{\"description\":\"an error\",\"content\":"
"{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/"
"Error\"}}}}},"
"\"schemas\":{"
"\"Error\":{\"type\":\"object\",\"required\":[\"error\"],\"properties\":"
"{\"error\":{\"type\":\"object\",\"required\":[\"code\",\"message\"],"
"\"properties\":{\"code\":{\"type\":\"string\",\"example\":"
"\"invalid_value\"},\"message\":{\"type\":\"string\"},\"field\":{\"type\":"
"\"string\",\"example\":\"tasks[0].loader_config.table_name\"}}}}},"
"\"Health\":{\"type\":\"object\",\"properties\":{\"status\":{\"type\":"
"\"string\"},\"daemon\":{\"type\":\"string\"},\"version\":{\"type\":"
"\"string\"}}},"
"\"Ready\":{\"type\":\"object\",\"properties\":{\"status\":{\"type\":"
"\"string\",\"enum\":[\"ready\",\"not ready\"]},\"database\":{\"type\":"
"\"boolean\"},\"orchestrator\":{\"type\":\"boolean\"}}},"
"\"SecretRef\":{\"type\":\"object\",\"required\":[\"env\"],"
"\"additionalProperties\":false,\"properties\":{\"env\":{\"type\":"
"\"string\",\"pattern\":\"^[A-Z_][A-Z0-9_]{0,127}$\"}},\"description\":"
"\"a secret, resolved from the worker's environment\"},"
"\"ExtractorConfig\":{\"type\":\"object\",\"required\":[\"type\"],"
"\"properties\":{\"type\":{\"type\":\"string\",\"enum\":[\"noop\","
"\"command\",\"http\",\"api\",\"csv\",\"parquet\"]}},"
"\"additionalProperties\":true,\"description\":\"fields by type: see "
"docs/api.md\"},"
"\"LoaderConfig\":{\"type\":\"object\",\"properties\":{\"type\":{\"type\":"
"\"string\",\"enum\":[\"duckdb\",\"postgres\"]}},"
"\"additionalProperties\":true,\"description\":\"absent or {} for noop and "
"command tasks\"},"
"\"Retry\":{\"type\":\"object\",\"properties\":{\"base_ms\":{\"type\":"
"\"integer\",\"minimum\":0,\"maximum\":3600000,\"default\":1000},"
"\"cap_ms\":{\"type\":\"integer\",\"maximum\":86400000,\"default\":300000}}},"
"\"TaskInput\":{\"type\":\"object\",\"required\":[\"extractor_config\"],",
"\"properties\":{\"task_name\":{\"type\":\"string\",\"maxLength\":255},"
"\"extractor_config\":{\"$ref\":\"#/components/schemas/ExtractorConfig\"},"
"\"loader_config\":{\"$ref\":\"#/components/schemas/LoaderConfig\"},"
"\"max_attempts\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100,"
"\"default\":3},\"timeout_seconds\":{\"type\":\"integer\",\"minimum\":1,"
"\"maximum\":604800},\"retry\":{\"$ref\":\"#/components/schemas/Retry\"}}},"
"\"JobInput\":{\"type\":\"object\",\"required\":[\"job_name\",\"tasks\"],"
"\"properties\":{\"job_name\":{\"type\":\"string\",\"maxLength\":255},"
"\"description\":{\"type\":\"string\",\"nullable\":true},"
"\"schedule\":{\"type\":\"string\",\"nullable\":true,\"description\":"
"\"cron, 5 fields or 6 with seconds first; null: on demand only\","
"\"example\":\"0 0 9 * * *\"},\"timezone\":{\"type\":\"string\","
"\"default\":\"UTC\"},\"is_active\":{\"type\":\"boolean\",\"default\":"
"true},\"catchup\":{\"type\":\"boolean\",\"default\":false},"
"\"max_active_runs\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000,"
"\"default\":1},\"overlap\":{\"type\":\"string\",\"enum\":[\"queue\","
"\"skip\"],\"default\":\"queue\"},\"tasks\":{\"type\":\"array\","
"\"minItems\":1,\"maxItems\":100,\"items\":{\"$ref\":\"#/components/"
"schemas/TaskInput\"}}}},"
"\"JobPatch\":{\"type\":\"object\",\"description\":\"any fields of "
"JobInput; tasks, when given, replace all tasks\",\"properties\":"
"{\"is_active\":{\"type\":\"boolean\"}},\"additionalProperties\":true},"
"\"Task\":{\"allOf\":[{\"$ref\":\"#/components/schemas/TaskInput\"},"
"{\"type\":\"object\",\"properties\":{\"task_id\":{\"type\":\"string\","
"\"format\":\"uuid\"},\"task_order\":{\"type\":\"integer\"},\"kind\":"
"{\"type\":\"string\"},\"created_at\":{\"type\":\"string\",\"format\":"
"\"date-time\"},\"updated_at\":{\"type\":\"string\",\"format\":"
"\"date-time\"},\"cursor_mark\":{\"type\":\"string\",\"nullable\":"
"true,\"description\":\"incremental loads: the cursor's mark the last "
"load committed; null: none (initial_value)\"}}}]},"
"\"LastRun\":{\"type\":\"object\",\"nullable\":true,\"properties\":"
"{\"run_id\":{\"type\":\"string\",\"format\":\"uuid\"},\"status\":"
"{\"$ref\":\"#/components/schemas/RunStatus\"},\"triggered_by\":{\"type\":"
"\"string\"},\"created_at\":{\"type\":\"string\",\"format\":"
"\"date-time\"},\"finished_at\":{\"type\":\"string\",\"format\":"
"\"date-time\",\"nullable\":true}}},"
"\"Job\":{\"type\":\"object\",\"properties\":{\"job_id\":{\"type\":"
"\"string\",\"format\":\"uuid\"},\"job_name\":{\"type\":\"string\"},"
"\"description\":{\"type\":\"string\",\"nullable\":true},\"schedule\":"
"{\"type\":\"string\",\"nullable\":true},\"timezone\":{\"type\":"
"\"string\"},\"is_active\":{\"type\":\"boolean\"},\"catchup\":{\"type\":"
"\"boolean\"},\"max_active_runs\":{\"type\":\"integer\"},\"overlap\":"
"{\"type\":\"string\"},\"next_fire_at\":{\"type\":\"string\",\"format\":"
"\"date-time\",\"nullable\":true},\"created_at\":{\"type\":\"string\","
"\"format\":\"date-time\"},\"updated_at\":{\"type\":\"string\",\"format\":"
"\"date-time\"},\"last_run\":{\"$ref\":\"#/components/schemas/LastRun\"},"
"\"task_count\":{\"type\":\"integer\",\"description\":\"in lists\"},"
"\"tasks\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/components/schemas/"
"Task\"},\"description\":\"in GET /jobs/{job_id}\"}}},"
"\"JobList\":{\"type\":\"object\",\"properties\":{\"items\":{\"type\":"
"\"array\",\"items\":{\"$ref\":\"#/components/schemas/Job\"}},"
"\"next_cursor\":{\"type\":\"string\",\"nullable\":true}}},"
"\"RunStatus\":{\"type\":\"string\",\"enum\":[\"queued\",\"running\","
"\"success\",\"failed\",\"cancelled\",\"skipped\"]},",
"\"Run\":{\"type\":\"object\",\"properties\":{\"run_id\":{\"type\":"
"\"string\",\"format\":\"uuid\"},\"job_id\":{\"type\":\"string\","
"\"format\":\"uuid\"},\"job_name\":{\"type\":\"string\"},\"status\":"
"{\"$ref\":\"#/components/schemas/RunStatus\"},\"triggered_by\":{\"type\":"
"\"string\",\"enum\":[\"scheduled\",\"manual\",\"retry\",\"backfill\"]},"
"\"scheduled_for\":{\"type\":\"string\",\"format\":\"date-time\","
"\"nullable\":true},\"params\":{\"type\":\"object\"},\"trace_id\":"
"{\"type\":\"string\",\"nullable\":true},\"started_at\":{\"type\":"
"\"string\",\"format\":\"date-time\",\"nullable\":true},\"finished_at\":"
"{\"type\":\"string\",\"format\":\"date-time\",\"nullable\":true},"
"\"error_message\":{\"type\":\"string\",\"nullable\":true},\"created_at\":"
"{\"type\":\"string\",\"format\":\"date-time\"},\"updated_at\":{\"type\":"
"\"string\",\"format\":\"date-time\"},\"task_counts\":{\"type\":"
"\"object\",\"additionalProperties\":{\"type\":\"integer\"},"
"\"description\":\"in GET /runs/{run_id}: task runs by status\"}}},"
"\"RunList\":{\"type\":\"object\",\"properties\":{\"items\":{\"type\":"
"\"array\",\"items\":{\"$ref\":\"#/components/schemas/Run\"}},"
"\"next_cursor\":{\"type\":\"string\",\"nullable\":true}}},"
"\"RunState\":{\"type\":\"object\",\"properties\":{\"run_id\":{\"type\":"
"\"string\",\"format\":\"uuid\"},\"status\":{\"$ref\":\"#/components/"
"schemas/RunStatus\"},\"tasks_requeued\":{\"type\":\"integer\"}}},"
"\"BackfillInput\":{\"type\":\"object\",\"additionalProperties\":"
"false,\"required\":[\"from\",\"to\"],\"properties\":{\"from\":{"
"\"type\":\"string\",\"format\":\"date-time\"},\"to\":{\"type\":"
"\"string\",\"format\":\"date-time\",\"description\":\"exclusive; "
"not in the future\"},\"rerun\":{\"type\":\"boolean\",\"default\":"
"false}}},"
"\"Backfill\":{\"type\":\"object\",\"properties\":{\"job_id\":{"
"\"type\":\"string\",\"format\":\"uuid\"},\"slots\":{\"type\":"
"\"integer\"},\"runs_created\":{\"type\":\"integer\"},\"waiting\":"
"{\"type\":\"integer\"},\"existing\":{\"type\":\"integer\"}}},"
"\"TriggerInput\":{\"type\":\"object\",\"additionalProperties\":false,"
"\"properties\":{\"params\":{\"type\":\"object\"}}},"
"\"CancelInput\":{\"type\":\"object\",\"additionalProperties\":false,"
"\"properties\":{\"reason\":{\"type\":\"string\",\"maxLength\":1024}}},"
"\"Attempt\":{\"type\":\"object\",\"properties\":{\"attempt\":{\"type\":"
"\"integer\"},\"worker_id\":{\"type\":\"string\",\"nullable\":true},"
"\"status\":{\"type\":\"string\"},\"rows_moved\":{\"type\":\"integer\"},"
"\"error_message\":{\"type\":\"string\",\"nullable\":true},\"started_at\":"
"{\"type\":\"string\",\"format\":\"date-time\"},\"finished_at\":{\"type\":"
"\"string\",\"format\":\"date-time\",\"nullable\":true}}},"
"\"TaskRun\":{\"type\":\"object\",\"properties\":{\"task_run_id\":"
"{\"type\":\"string\",\"format\":\"uuid\"},\"run_id\":{\"type\":\"string\","
"\"format\":\"uuid\"},\"job_id\":{\"type\":\"string\",\"format\":"
"\"uuid\"},\"task_id\":{\"type\":\"string\",\"format\":\"uuid\","
"\"nullable\":true},\"task_order\":{\"type\":\"integer\"},\"task_name\":"
"{\"type\":\"string\",\"nullable\":true},\"kind\":{\"type\":\"string\"},"
"\"status\":{\"type\":\"string\",\"enum\":[\"pending\",\"queued\","
"\"retrying\",\"running\",\"success\",\"failed\",\"cancelled\","
"\"skipped\"]},\"attempt\":{\"type\":\"integer\"},\"max_attempts\":"
"{\"type\":\"integer\"},\"timeout_seconds\":{\"type\":\"integer\","
"\"nullable\":true},\"retry\":{\"$ref\":\"#/components/schemas/Retry\"},"
"\"available_at\":{\"type\":\"string\",\"format\":\"date-time\"},"
"\"worker_id\":{\"type\":\"string\",\"nullable\":true},"
"\"lease_expires_at\":{\"type\":\"string\",\"format\":\"date-time\","
"\"nullable\":true},\"cancel_requested\":{\"type\":\"boolean\"},"
"\"rows_moved\":{\"type\":\"integer\"},\"error_message\":{\"type\":"
"\"string\",\"nullable\":true},\"started_at\":{\"type\":\"string\","
"\"format\":\"date-time\",\"nullable\":true},\"finished_at\":{\"type\":"
"\"string\",\"format\":\"date-time\",\"nullable\":true},"
"\"extractor_config\":{\"$ref\":\"#/components/schemas/ExtractorConfig\"},",
"\"loader_config\":{\"$ref\":\"#/components/schemas/LoaderConfig\"},"
"\"attempts\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/components/"
"schemas/Attempt\"},\"description\":\"in GET /tasks/{task_run_id}\"}}},"
"\"TaskRunList\":{\"type\":\"object\",\"properties\":{\"items\":{\"type\":"
"\"array\",\"items\":{\"$ref\":\"#/components/schemas/TaskRun\"}},"
"\"next_cursor\":{\"type\":\"string\",\"nullable\":true}}},"
"\"LogLine\":{\"type\":\"object\",\"properties\":{\"log_id\":{\"type\":"
"\"integer\"},\"attempt\":{\"type\":\"integer\"},\"logged_at\":{\"type\":"
"\"string\",\"format\":\"date-time\"},\"stream\":{\"type\":\"string\","
"\"enum\":[\"stdout\",\"stderr\",\"system\"]},\"line\":{\"type\":"
"\"string\"}}},"
"\"LogPage\":{\"type\":\"object\",\"properties\":{\"items\":{\"type\":"
"\"array\",\"items\":{\"$ref\":\"#/components/schemas/LogLine\"}},"
"\"next_cursor\":{\"type\":\"string\",\"nullable\":true},"
"\"follow_cursor\":{\"type\":\"string\",\"description\":\"poll with it "
"for lines after these\"}}},"
"\"Worker\":{\"type\":\"object\",\"properties\":{\"worker_id\":{\"type\":"
"\"string\"},\"hostname\":{\"type\":\"string\"},\"capacity\":{\"type\":"
"\"integer\"},\"kinds\":{\"type\":\"array\",\"items\":{\"type\":"
"\"string\"}},\"status\":{\"type\":\"string\"},\"running\":{\"type\":"
"\"integer\"},\"registered_at\":{\"type\":\"string\",\"format\":"
"\"date-time\"},\"last_heartbeat_at\":{\"type\":\"string\",\"format\":"
"\"date-time\"}}},"
"\"WorkerList\":{\"type\":\"object\",\"properties\":{\"items\":{\"type\":"
"\"array\",\"items\":{\"$ref\":\"#/components/schemas/Worker\"}}}},"
"\"LoginInput\":{\"type\":\"object\",\"required\":[\"username\","
"\"password\"],\"properties\":{\"username\":{\"type\":\"string\"},"
"\"password\":{\"type\":\"string\",\"format\":\"password\"}}},"
"\"UserRef\":{\"type\":\"object\",\"properties\":{\"user_id\":{\"type\":"
"\"string\",\"format\":\"uuid\"},\"username\":{\"type\":\"string\"},"
"\"role\":{\"$ref\":\"#/components/schemas/Role\"}}},"
"\"Role\":{\"type\":\"string\",\"enum\":[\"viewer\",\"operator\","
"\"admin\"]},"
"\"Session\":{\"type\":\"object\",\"properties\":{\"token\":{\"type\":"
"\"string\"},\"token_type\":{\"type\":\"string\",\"enum\":[\"Bearer\"]},"
"\"token_id\":{\"type\":\"string\",\"format\":\"uuid\"},\"expires_at\":"
"{\"type\":\"string\",\"format\":\"date-time\"},\"user\":{\"$ref\":"
"\"#/components/schemas/UserRef\"}}},"
"\"Me\":{\"type\":\"object\",\"properties\":{\"user_id\":{\"type\":"
"\"string\",\"nullable\":true},\"username\":{\"type\":\"string\"},"
"\"role\":{\"$ref\":\"#/components/schemas/Role\"},\"auth\":{\"type\":"
"\"string\",\"enum\":[\"on\",\"off\"]},\"token_id\":{\"type\":\"string\","
"\"nullable\":true},\"token_kind\":{\"type\":\"string\",\"nullable\":"
"true}}},"
"\"Token\":{\"type\":\"object\",\"properties\":{\"token_id\":{\"type\":"
"\"string\",\"format\":\"uuid\"},\"name\":{\"type\":\"string\"},\"kind\":"
"{\"type\":\"string\"},\"user_id\":{\"type\":\"string\",\"format\":"
"\"uuid\"},\"username\":{\"type\":\"string\"},\"role\":{\"$ref\":"
"\"#/components/schemas/Role\"},\"created_at\":{\"type\":\"string\","
"\"format\":\"date-time\"},\"expires_at\":{\"type\":\"string\",\"format\":"
"\"date-time\",\"nullable\":true},\"last_used_at\":{\"type\":\"string\","
"\"format\":\"date-time\",\"nullable\":true},\"revoked_at\":{\"type\":"
"\"string\",\"format\":\"date-time\",\"nullable\":true}}},"
"\"NewToken\":{\"allOf\":[{\"$ref\":\"#/components/schemas/Token\"},",
"{\"type\":\"object\",\"properties\":{\"token\":{\"type\":\"string\","
"\"description\":\"shown only here\"}}}]},"
"\"TokenList\":{\"type\":\"object\",\"properties\":{\"items\":{\"type\":"
"\"array\",\"items\":{\"$ref\":\"#/components/schemas/Token\"}},"
"\"next_cursor\":{\"type\":\"string\",\"nullable\":true}}},"
"\"TokenInput\":{\"type\":\"object\",\"required\":[\"name\"],"
"\"properties\":{\"name\":{\"type\":\"string\"},\"username\":{\"type\":"
"\"string\",\"description\":\"default: the caller\"},"
"\"expires_in_days\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":"
"3650}}},"
"\"User\":{\"type\":\"object\",\"properties\":{\"user_id\":{\"type\":"
"\"string\",\"format\":\"uuid\"},\"username\":{\"type\":\"string\"},"
"\"role\":{\"$ref\":\"#/components/schemas/Role\"},\"is_active\":"
"{\"type\":\"boolean\"},\"created_at\":{\"type\":\"string\",\"format\":"
"\"date-time\"},\"updated_at\":{\"type\":\"string\",\"format\":"
"\"date-time\"}}},"
"\"UserList\":{\"type\":\"object\",\"properties\":{\"items\":{\"type\":"
"\"array\",\"items\":{\"$ref\":\"#/components/schemas/User\"}},"
"\"next_cursor\":{\"type\":\"string\",\"nullable\":true}}},"
"\"UserInput\":{\"type\":\"object\",\"required\":[\"username\","
"\"password\"],\"properties\":{\"username\":{\"type\":\"string\","
"\"pattern\":\"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$\"},\"password\":"
"{\"type\":\"string\",\"minLength\":8,\"format\":\"password\"},\"role\":"
"{\"$ref\":\"#/components/schemas/Role\"}}},"
"\"UserPatch\":{\"type\":\"object\",\"properties\":{\"role\":{\"$ref\":"
"\"#/components/schemas/Role\"},\"is_active\":{\"type\":\"boolean\"},"
"\"password\":{\"type\":\"string\",\"minLength\":8}}}"
"}}",
	NULL
};

static char		*document;
static pthread_once_t	 document_once = PTHREAD_ONCE_INIT;

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static void
error_ref(struct json_buf *b, int status)
{
	json_buf_printf(b, ",\"%d\":{\"$ref\":\"#/components/responses/"
	    "Error\"}", status);
}

static void
operation(struct json_buf *b, const struct route *rt)
{
	char		 method[8], param[32];
	const char	*q, *open;
	int		 first = 1;

	snprintf(method, sizeof(method), "%s", rt->method);
	lower(method);
	json_buf_printf(b, "\"%s\":{\"operationId\":\"%s\",\"summary\":",
	    method, rt->op);
	json_buf_str(b, rt->summary);
	json_buf_printf(b, ",\"tags\":[\"%s\"],\"x-role\":\"%s\"", rt->tag,
	    rt->role == ROLE_NONE ? "public" : api_role_names[rt->role]);
	json_buf_puts(b, rt->role == ROLE_NONE ? ",\"security\":[]" :
	    ",\"security\":[{\"bearer\":[]}]");
	json_buf_puts(b, ",\"parameters\":[");
	if ((open = strchr(rt->path, '{')) != NULL) {
		snprintf(param, sizeof(param), "%.*s",
		    (int)(strchr(open, '}') - open - 1), open + 1);
		json_buf_printf(b, "{\"name\":\"%s\",\"in\":\"path\","
		    "\"required\":true,\"schema\":{\"type\":\"string\","
		    "\"format\":\"uuid\"}}", param);
		first = 0;
	}
	for (q = rt->query; q != NULL && *q != '\0';) {
		size_t n = strcspn(q, " ");

		json_buf_printf(b, "%s{\"$ref\":\"#/components/parameters/"
		    "%.*s\"}", first ? "" : ",", (int)n, q);
		first = 0;
		q += n;
		while (*q == ' ')
			q++;
	}
	json_buf_puts(b, "]");
	if (rt->flags & (ROUTE_BODY | ROUTE_BODY_OPTIONAL)) {
		json_buf_printf(b, ",\"requestBody\":{\"required\":%s,"
		    "\"content\":{\"application/json\":{\"schema\":",
		    (rt->flags & ROUTE_BODY) ? "true" : "false");
		if (rt->request != NULL)
			json_buf_printf(b, "{\"$ref\":\"#/components/schemas/"
			    "%s\"}", rt->request);
		else
			json_buf_puts(b, "{\"type\":\"object\"}");
		json_buf_puts(b, "}}}");
	}
	json_buf_printf(b, ",\"responses\":{\"%d\":{\"description\":\"%s\"",
	    rt->ok, rt->ok == 204 ? "done, no content" : "success");
	if (rt->flags & ROUTE_STREAM)
		json_buf_puts(b, ",\"content\":{\"text/event-stream\":"
		    "{\"schema\":{\"type\":\"string\",\"description\":\"events "
		    "\\\"run\\\" and \\\"task\\\"; id: the event id; data: "
		    "{event_id, kind, job_id, run_id, task_run_id, status, "
		    "attempt, at}\"}}}");
	else if (rt->flags & ROUTE_METRICS)
		json_buf_puts(b, ",\"content\":{\"text/plain; version=0.0.4\":"
		    "{\"schema\":{\"type\":\"string\",\"description\":"
		    "\"Prometheus text exposition format\"}}}");
	else if (rt->response != NULL)
		json_buf_printf(b, ",\"content\":{\"application/json\":"
		    "{\"schema\":{\"$ref\":\"#/components/schemas/%s\"}}}",
		    rt->response);
	else if (rt->ok != 204)
		json_buf_puts(b, ",\"content\":{\"application/json\":"
		    "{\"schema\":{\"type\":\"object\"}}}");
	json_buf_puts(b, "}");
	if (open != NULL || rt->query != NULL ||
	    (rt->flags & (ROUTE_BODY | ROUTE_BODY_OPTIONAL)))
		error_ref(b, 400);
	if (rt->role != ROLE_NONE) {
		error_ref(b, 401);
		error_ref(b, 403);
	}
	if (open != NULL)
		error_ref(b, 404);
	if (strcmp(rt->op, "createJob") == 0 || open != NULL)
		error_ref(b, 409);
	if (rt->flags & (ROUTE_BODY | ROUTE_BODY_OPTIONAL)) {
		error_ref(b, 413);
		error_ref(b, 415);
	}
	if (strcmp(rt->op, "login") == 0)
		error_ref(b, 429);
	json_buf_puts(b, ",\"default\":{\"$ref\":\"#/components/responses/"
	    "Error\"}}}");
}

static void
build(void)
{
	struct json_buf		 b;
	const struct route	*rt;
	size_t			 n;

	rt = router_routes(&n);
	json_buf_init(&b, 1024 * 1024);
	json_buf_printf(&b, "{\"openapi\":\"3.0.3\",\"info\":{\"title\":"
	    "\"ork\",\"version\":\"%s\",\"description\":\"REST API of ork, "
	    "an ELT job orchestrator. Errors are {\\\"error\\\": {code, "
	    "message, field}}. Lists are pages: limit, cursor, next_cursor.\"},"
	    "\"servers\":[{\"url\":\"/\"}],\"paths\":{", ORK_VERSION);
	/* routes of one path are next to each other in the table */
	for (size_t i = 0; i < n; i++) {
		int first = 1;

		for (size_t k = 0; k < i; k++)
			if (strcmp(rt[k].path, rt[i].path) == 0)
				first = 0;
		if (!first)
			continue;
		json_buf_printf(&b, "%s\"%s\":{", i > 0 ? "," : "", rt[i].path);
		for (size_t k = i, ops = 0; k < n; k++) {
			if (strcmp(rt[k].path, rt[i].path) != 0)
				continue;
			if (ops++ > 0)
				json_buf_add(&b, ",", 1);
			operation(&b, &rt[k]);
		}
		json_buf_puts(&b, "}");
	}
	json_buf_puts(&b, "},");
	for (const char *const *c = components; *c != NULL; c++)
		json_buf_puts(&b, *c);
	json_buf_puts(&b, "}");
	document = json_buf_take(&b);
}

/* GET /openapi.json */
int
openapi_get(struct req *r)
{
	pthread_once(&document_once, build);
	if (document == NULL)
		return http_error(r, 500, "internal", NULL, "could not build "
		    "the document");
	return http_reply(r, 200, NULL, document);
}
