/*
 * cmd_runs.c - ork run JOB [--wait] and ork runs list|get|tasks|cancel|
 * retry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

/* How often ork run --wait asks how the run is doing. */
#define WAIT_POLL_MS	300
/* ork runs list shows this many runs unless --limit. */
#define RUNS_DEFAULT	20
/* Tasks of one run followed by --wait (the API allows 100 per job). */
#define WAIT_TASKS_MAX	100

static const char *const run_statuses[] = { "queued", "running", "success",
    "failed", "cancelled", NULL };

int
cmd_check_id(const char *what, const char *s)
{
	if (!util_uuid_valid(s)) {
		fprintf(stderr, "ork: %s \"%.80s\" is not an id (a UUID such as "
		    "01a208db-022f-7608-abc6-d37dc0c5113c)\n", what, s);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static int
finished(const char *status)
{
	return status != NULL && (strcmp(status, "success") == 0 ||
	    strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0);
}

/* params_body builds {"params": {...}} from KEY=VALUE strings. */
static int
params_body(const char *const *kv, int n, char **out)
{
	cJSON	*body, *params;

	*out = NULL;
	if (n == 0)
		return 0;
	body = cJSON_CreateObject();
	params = cJSON_AddObjectToObject(body, "params");
	if (params == NULL)
		goto oom;
	for (int i = 0; i < n; i++) {
		const char	*eq = strchr(kv[i], '=');
		char		 key[CLI_PARAM_KEY_MAX + 1];
		size_t		 kl = eq != NULL ? (size_t)(eq - kv[i]) : 0;

		if (eq == NULL || kl == 0 || kl > CLI_PARAM_KEY_MAX ||
		    strlen(eq + 1) > CLI_PARAM_VALUE_MAX) {
			fprintf(stderr, "ork run: --param \"%.80s\": give KEY="
			    "VALUE, a key of 1 to %d characters and a value "
			    "of at most %d\n", kv[i], CLI_PARAM_KEY_MAX,
			    CLI_PARAM_VALUE_MAX);
			cJSON_Delete(body);
			return CLI_EXIT_USAGE;
		}
		memcpy(key, kv[i], kl);
		key[kl] = '\0';
		if (cJSON_GetObjectItemCaseSensitive(params, key) != NULL) {
			fprintf(stderr, "ork run: --param %s given twice\n", key);
			cJSON_Delete(body);
			return CLI_EXIT_USAGE;
		}
		if (cJSON_AddStringToObject(params, key, eq + 1) == NULL)
			goto oom;
	}
	if ((*out = cJSON_PrintUnformatted(body)) == NULL)
		goto oom;
	cJSON_Delete(body);
	return 0;
oom:
	cJSON_Delete(body);
	fprintf(stderr, "ork: out of memory\n");
	return CLI_EXIT_FAILED;
}

/* A task's last status seen by --wait, to print only changes. */
struct seen {
	char	id[UTIL_UUID_LEN + 1];
	char	status[16];
	int	attempt;
};

static int
print_task_changes(struct cli *cli, const char *run_id, struct seen *seen,
    int *nseen)
{
	struct client_resp	 r;
	const cJSON		*it;
	char			 path[128];
	int			 rc;

	snprintf(path, sizeof(path), "/runs/%s/tasks", run_id);
	if ((rc = client_call(cli->client, "GET", path, NULL, 0, &r)) != 0)
		return rc;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r.json,
	    "items")) {
		const char	*id = out_str(it, "task_run_id");
		const char	*st = out_str(it, "status");
		const cJSON	*att = cJSON_GetObjectItemCaseSensitive(it,
		    "attempt");
		const char	*err = out_str(it, "error_message");
		const char	*name = out_str(it, "task_name");
		int		 attempt = cJSON_IsNumber(att) ? att->valueint : 0;
		int		 i;
		char		 order[16];

		if (id == NULL || st == NULL)
			continue;
		for (i = 0; i < *nseen; i++)
			if (strcmp(seen[i].id, id) == 0)
				break;
		if (i == *nseen) {
			if (*nseen == WAIT_TASKS_MAX)
				continue;
			(*nseen)++;
			snprintf(seen[i].id, sizeof(seen[i].id), "%s", id);
			seen[i].status[0] = '\0';
		}
		if (strcmp(seen[i].status, st) == 0 &&
		    seen[i].attempt == attempt)
			continue;
		snprintf(seen[i].status, sizeof(seen[i].status), "%s", st);
		seen[i].attempt = attempt;
		if (strcmp(st, "pending") == 0)
			continue;
		out_scalar(it, "task_order", order, sizeof(order));
		printf("task %s%s%s%s: %s%s%s", order, name ? " (" : "",
		    name ? name : "", name ? ")" : "",
		    cli->color ? out_status_color(st) : "", st,
		    cli->color ? "\033[0m" : "");
		if (attempt > 0 && strcmp(st, "skipped") != 0)
			printf(" (attempt %d)", attempt);
		if (err != NULL && (strcmp(st, "failed") == 0 ||
		    strcmp(st, "retrying") == 0))
			printf(": %s", err);
		printf("\n");
		fflush(stdout);
	}
	client_resp_free(&r);
	return 0;
}

/* wait_run follows a run until it ends; exit 1 unless it succeeded. */
static int
wait_run(struct cli *cli, const char *run_id)
{
	struct client_resp	 r;
	struct seen		*seen;
	char			 path[128], dur[32];
	const char		*st;
	int			 nseen = 0, rc;

	seen = calloc(WAIT_TASKS_MAX, sizeof(*seen));
	if (seen == NULL) {
		fprintf(stderr, "ork: out of memory\n");
		return CLI_EXIT_FAILED;
	}
	snprintf(path, sizeof(path), "/runs/%s", run_id);
	for (;;) {
		if ((rc = client_call(cli->client, "GET", path, NULL, 0, &r)) !=
		    0)
			break;
		st = out_str(r.json, "status");
		if (!cli->json && !cli->quiet && (rc = print_task_changes(cli,
		    run_id, seen, &nseen)) != 0) {
			client_resp_free(&r);
			break;
		}
		if (finished(st)) {
			rc = strcmp(st, "success") == 0 ? CLI_EXIT_OK :
			    CLI_EXIT_FAILED;
			if (cli->json)
				printf("%s\n", r.body);
			else if (!cli->quiet) {
				out_duration(out_str(r.json, "started_at") ?
				    out_str(r.json, "started_at") :
				    out_str(r.json, "created_at"),
				    out_str(r.json, "finished_at"), dur,
				    sizeof(dur));
				printf("run %s %s%s%s in %s%s%s\n", run_id,
				    cli->color ? out_status_color(st) : "", st,
				    cli->color ? "\033[0m" : "", dur,
				    out_str(r.json, "error_message") ? ": " :
				    "", out_str(r.json, "error_message") ?
				    out_str(r.json, "error_message") : "");
			}
			if (rc != 0)
				fprintf(stderr, "ork: run %s %s\n", run_id, st);
			client_resp_free(&r);
			break;
		}
		client_resp_free(&r);
		util_sleep_ms_interruptible(WAIT_POLL_MS, NULL);
	}
	free(seen);
	return rc;
}

static const struct args_flag run_flags[] = {
	{ "--wait", 'w', 0, 0 },
	{ "--param", 'p', 1, 1 },
	{ NULL, 0, 0, 0 }
};

int
cmd_run(struct cli *cli, int argc, char **argv)
{
	struct args		 a;
	struct client_resp	 r;
	char			 id[UTIL_UUID_LEN + 1], name[256], path[128];
	char			 run_id[UTIL_UUID_LEN + 1];
	char			*body = NULL;
	int			 rc;

	if ((rc = args_parse("run", run_flags, argc, argv, 1, 1, &a)) != 0)
		return rc;
	if ((rc = params_body(a.multi, a.nmulti, &body)) != 0)
		return rc;
	if ((rc = cmd_job_resolve(cli, a.pos[0], id, name, sizeof(name))) != 0)
		goto out;
	snprintf(path, sizeof(path), "/jobs/%s/run", id);
	if ((rc = client_call(cli->client, "POST", path, body, 0, &r)) != 0)
		goto out;
	if (out_str(r.json, "run_id") == NULL ||
	    !util_uuid_valid(out_str(r.json, "run_id"))) {
		fprintf(stderr, "ork: %s answered without a run id\n", cli->url);
		client_resp_free(&r);
		rc = CLI_EXIT_FAILED;
		goto out;
	}
	snprintf(run_id, sizeof(run_id), "%s", out_str(r.json, "run_id"));
	if (cli->quiet)
		printf("%s\n", run_id);
	else if (cli->json && !args_has(run_flags, &a, "--wait"))
		printf("%s\n", r.body);
	else if (!cli->json)
		printf("started run %s of job \"%s\"\n", run_id, name);
	fflush(stdout);
	client_resp_free(&r);
	if (args_has(run_flags, &a, "--wait"))
		rc = wait_run(cli, run_id);
out:
	free(body);
	return rc;
}

/* ---- ork runs ------------------------------------------------------- */

static int
runs_list(struct cli *cli, const char *sub, int argc, char **argv)
{
	static const struct args_flag flags[] = {
		{ "--job", 'j', 1, 0 }, { "--status", 's', 1, 0 },
		{ "--limit", 'n', 1, 0 }, { NULL, 0, 0, 0 }
	};
	static const char *const head[] = { "ID", "JOB", "STATUS", "TRIGGER",
	    "CREATED", "DURATION" };
	struct args		 a;
	struct client_resp	 r;
	struct table		*t = NULL;
	const cJSON		*it;
	const char		*job, *status, *lim;
	char			 path[256], id[UTIL_UUID_LEN + 1];
	long			 limit = RUNS_DEFAULT;
	int			 rc, ok = 0;

	(void)sub;

	if ((rc = args_parse("runs list", flags, argc, argv, 0, 0, &a)) != 0)
		return rc;
	job = args_get(flags, &a, "--job");
	status = args_get(flags, &a, "--status");
	lim = args_get(flags, &a, "--limit");
	if (lim != NULL && (rc = args_long("--limit", lim, 1, CLI_LIMIT_MAX,
	    &limit)) != 0)
		return rc;
	if (status != NULL) {
		for (int i = 0; run_statuses[i] != NULL; i++)
			ok |= strcmp(run_statuses[i], status) == 0;
		if (!ok) {
			fprintf(stderr, "ork runs list: --status \"%.40s\" is not "
			    "queued, running, success, failed or cancelled\n",
			    status);
			return CLI_EXIT_USAGE;
		}
	}
	if (job != NULL && (rc = cmd_job_resolve(cli, job, id, NULL, 0)) != 0)
		return rc;
	snprintf(path, sizeof(path), "/runs?limit=%ld%s%s%s%s", limit,
	    job ? "&job_id=" : "", job ? id : "", status ? "&status=" : "",
	    status ? status : "");
	if ((rc = client_call(cli->client, "GET", path, NULL, 0, &r)) != 0)
		return rc;
	if (cli->json) {
		printf("%s\n", r.body);
		goto out;
	}
	if (!cli->quiet)
		t = table_new(6, head);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r.json,
	    "items")) {
		char		 created[32], dur[32];
		const char	*cells[6];

		if (cli->quiet) {
			printf("%s\n", out_str(it, "run_id") ? out_str(it,
			    "run_id") : "-");
			continue;
		}
		out_reltime(out_str(it, "created_at"), created,
		    sizeof(created));
		if (out_str(it, "started_at") != NULL)
			out_duration(out_str(it, "started_at"),
			    out_str(it, "finished_at"), dur, sizeof(dur));
		else
			snprintf(dur, sizeof(dur), "-");
		cells[0] = out_str(it, "run_id");
		cells[1] = out_str(it, "job_name");
		cells[2] = out_str(it, "status");
		cells[3] = out_str(it, "triggered_by");
		cells[4] = created;
		cells[5] = dur;
		if (t != NULL)
			table_add(t, cells);
	}
	if (!cli->quiet)
		table_print(t, cli->color);
out:
	client_resp_free(&r);
	return rc;
}

static void
print_run(struct cli *cli, const cJSON *run)
{
	static const char *const keys[] = { "run_id", "job_id", "job_name",
	    "status", "triggered_by", "scheduled_for", "trace_id",
	    "created_at", "started_at", "finished_at", "error_message", NULL };
	const cJSON	*counts = cJSON_GetObjectItemCaseSensitive(run,
	    "task_counts");
	const cJSON	*c, *params = cJSON_GetObjectItemCaseSensitive(run,
	    "params");
	char		 buf[1024], rel[32];

	for (int i = 0; keys[i] != NULL; i++) {
		out_scalar(run, keys[i], buf, sizeof(buf));
		if (strstr(keys[i], "_at") != NULL && strcmp(buf, "-") != 0) {
			out_reltime(buf, rel, sizeof(rel));
			printf("%-14s %s (%s)\n", keys[i], buf, rel);
		} else if (strcmp(keys[i], "status") == 0 && cli->color)
			printf("%-14s %s%s\033[0m\n", keys[i],
			    out_status_color(buf), buf);
		else
			printf("%-14s %s\n", keys[i], buf);
	}
	if (cJSON_IsObject(params) && params->child != NULL) {
		char *p = cJSON_PrintUnformatted(params);

		printf("%-14s %s\n", "params", p != NULL ? p : "?");
		free(p);
	}
	printf("%-14s", "tasks");
	cJSON_ArrayForEach(c, counts)
		if (cJSON_IsNumber(c) && c->string != NULL)
			printf(" %s %d", c->string, c->valueint);
	printf("\n");
}

static int
runs_one(struct cli *cli, const char *sub, int argc, char **argv)
{
	static const struct args_flag cancel_flags[] = {
		{ "--reason", 0, 1, 0 }, { NULL, 0, 0, 0 }
	};
	struct args		 a;
	struct client_resp	 r;
	const struct args_flag	*flags = strcmp(sub, "cancel") == 0 ?
	    cancel_flags : NULL;
	const char		*reason;
	char			 full[32], path[128], *body = NULL;
	int			 rc;

	snprintf(full, sizeof(full), "runs %s", sub);
	if ((rc = args_parse(full, flags, argc, argv, 1, 1, &a)) != 0)
		return rc;
	if ((rc = cmd_check_id("RUN", a.pos[0])) != 0)
		return rc;
	if (flags != NULL && (reason = args_get(flags, &a, "--reason")) !=
	    NULL) {
		cJSON *b = cJSON_CreateObject();

		if (b == NULL || cJSON_AddStringToObject(b, "reason", reason) ==
		    NULL || (body = cJSON_PrintUnformatted(b)) == NULL) {
			cJSON_Delete(b);
			fprintf(stderr, "ork: out of memory\n");
			return CLI_EXIT_FAILED;
		}
		cJSON_Delete(b);
	}
	if (strcmp(sub, "get") == 0)
		snprintf(path, sizeof(path), "/runs/%s", a.pos[0]);
	else
		snprintf(path, sizeof(path), "/runs/%s/%s", a.pos[0], sub);
	rc = client_call(cli->client, strcmp(sub, "get") == 0 ? "GET" : "POST",
	    path, body, 0, &r);
	free(body);
	if (rc != 0)
		return rc;
	if (cli->json)
		printf("%s\n", r.body != NULL ? r.body : "{}");
	else if (cli->quiet)
		printf("%s\n", a.pos[0]);
	else if (strcmp(sub, "get") == 0)
		print_run(cli, r.json);
	else if (strcmp(sub, "cancel") == 0)
		printf(r.status == 202 ? "cancelling run %s: its running tasks "
		    "are being stopped\n" : "cancelled run %s\n", a.pos[0]);
	else
		printf("retrying run %s\n", a.pos[0]);
	client_resp_free(&r);
	return CLI_EXIT_OK;
}

static int
runs_tasks(struct cli *cli, const char *sub, int argc, char **argv)
{
	static const char *const head[] = { "ORDER", "TASK RUN ID", "NAME",
	    "KIND", "STATUS", "ATTEMPT", "ROWS", "WORKER", "ERROR" };
	struct args		 a;
	struct client_resp	 r;
	struct table		*t = NULL;
	const cJSON		*it;
	char			 path[128];
	int			 rc;

	(void)sub;

	if ((rc = args_parse("runs tasks", NULL, argc, argv, 1, 1, &a)) != 0)
		return rc;
	if ((rc = cmd_check_id("RUN", a.pos[0])) != 0)
		return rc;
	snprintf(path, sizeof(path), "/runs/%s/tasks", a.pos[0]);
	if ((rc = client_call(cli->client, "GET", path, NULL, 0, &r)) != 0)
		return rc;
	if (cli->json) {
		printf("%s\n", r.body);
		goto out;
	}
	if (!cli->quiet)
		t = table_new(9, head);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r.json,
	    "items")) {
		char		 order[16], att[16], max[16], attempt[40];
		char		 rows[32];
		const char	*cells[9];

		if (cli->quiet) {
			printf("%s\n", out_str(it, "task_run_id") ?
			    out_str(it, "task_run_id") : "-");
			continue;
		}
		out_scalar(it, "attempt", att, sizeof(att));
		out_scalar(it, "max_attempts", max, sizeof(max));
		snprintf(attempt, sizeof(attempt), "%s/%s", att, max);
		cells[0] = out_scalar(it, "task_order", order, sizeof(order));
		cells[1] = out_str(it, "task_run_id");
		cells[2] = out_str(it, "task_name");
		cells[3] = out_str(it, "kind");
		cells[4] = out_str(it, "status");
		cells[5] = attempt;
		cells[6] = out_scalar(it, "rows_moved", rows, sizeof(rows));
		cells[7] = out_str(it, "worker_id");
		cells[8] = out_str(it, "error_message");
		if (t != NULL)
			table_add(t, cells);
	}
	if (!cli->quiet)
		table_print(t, cli->color);
out:
	client_resp_free(&r);
	return rc;
}

int
cmd_runs(struct cli *cli, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "list", "ls", runs_list }, { "tasks", NULL, runs_tasks },
		{ "get", NULL, runs_one }, { "cancel", NULL, runs_one },
		{ "retry", NULL, runs_one }, { NULL, NULL, NULL },
	};

	return cli_dispatch(cli, "runs", subs, argc, argv);
}
