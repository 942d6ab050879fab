/*
 * cmd_jobs.c - ork jobs list|get|create|apply|update|delete|pause|resume,
 * and finding a job by name or id for every command that takes one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "util.h"

/* A job file as the API takes it: depth and string limits are its own. */
#define JOB_FILE_DEPTH	32
#define JOB_FILE_STRING	(64 * 1024)
/* Pages of a list read at most (500 items each). */
#define LIST_PAGES_MAX	200

/* job_by_name finds a job by its name (a message when report is set). */
static int
job_by_name(struct cli *cli, const char *job, char *id, int report)
{
	struct client_resp	 r;
	char			 path[1024], esc[800];
	const cJSON		*items, *first;
	int			 rc;

	if (client_escape(job, esc, sizeof(esc)) != 0) {
		fprintf(stderr, "ork: job name too long\n");
		return CLI_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/jobs?name=%s&limit=1", esc);
	if ((rc = client_call(cli->client, "GET", path, NULL, 0, &r)) != 0)
		return rc;
	items = cJSON_GetObjectItemCaseSensitive(r.json, "items");
	first = cJSON_IsArray(items) ? cJSON_GetArrayItem(items, 0) : NULL;
	if (first == NULL || out_str(first, "job_id") == NULL ||
	    !util_uuid_valid(out_str(first, "job_id"))) {
		if (report)
			fprintf(stderr, "ork: no job named \"%s\"\n", job);
		client_resp_free(&r);
		return CLI_EXIT_NOT_FOUND;
	}
	snprintf(id, UTIL_UUID_LEN + 1, "%s", out_str(first, "job_id"));
	client_resp_free(&r);
	return 0;
}

int
cmd_job_resolve(struct cli *cli, const char *job, char *id, char *name,
    size_t namelen)
{
	struct client_resp	 r;
	char			 path[1024];
	int			 rc;

	if (job[0] == '\0' || strlen(job) > 255) {
		fprintf(stderr, "ork: a job is named by 1 to 255 characters or "
		    "its id\n");
		return CLI_EXIT_USAGE;
	}
	if (util_uuid_valid(job)) {
		snprintf(path, sizeof(path), "/jobs/%s", job);
		if ((rc = client_call(cli->client, "GET", path, NULL, 404,
		    &r)) != 0)
			return rc;
		if (r.status == 200 && out_str(r.json, "job_id") != NULL) {
			snprintf(id, UTIL_UUID_LEN + 1, "%s",
			    out_str(r.json, "job_id"));
			if (name != NULL)
				snprintf(name, namelen, "%s",
				    out_str(r.json, "job_name") != NULL ?
				    out_str(r.json, "job_name") : job);
			client_resp_free(&r);
			return 0;
		}
		client_resp_free(&r);
		/* not an id: perhaps a job named like one */
	}
	if (name != NULL)
		snprintf(name, namelen, "%s", job);
	return job_by_name(cli, job, id, 1);
}

/*
 * read_job_file reads a job's JSON from path ("-": standard input)
 * within CLI_FILE_MAX bytes and checks it is a JSON object.  *text is
 * the file as read (sent as it is), *json its tree.
 */
static int
read_job_file(const char *path, char **text, cJSON **json)
{
	struct json_limits	 lim = { CLI_FILE_MAX, JOB_FILE_DEPTH,
	    JOB_FILE_STRING };
	struct json_err		 e;
	char			*buf;
	size_t			 len = 0;
	int			 fd;

	*text = NULL;
	*json = NULL;
	fd = strcmp(path, "-") == 0 ? STDIN_FILENO :
	    open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "ork: could not open %s: %s\n", path,
		    strerror(errno));
		return CLI_EXIT_USAGE;
	}
	buf = malloc(CLI_FILE_MAX + 2);
	if (buf == NULL) {
		fprintf(stderr, "ork: out of memory\n");
		goto fail;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, CLI_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "ork: could not read %s: %s\n", path,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CLI_FILE_MAX) {
			fprintf(stderr, "ork: %s is larger than %d bytes (the "
			    "API's limit)\n", path, CLI_FILE_MAX);
			goto fail;
		}
	}
	buf[len] = '\0';
	if (json_parse(buf, len, &lim, json, &e) != 0) {
		fprintf(stderr, "ork: %s is not valid JSON: %s%s%s\n", path,
		    e.message, e.field[0] ? " at " : "", e.field);
		goto fail;
	}
	if (!cJSON_IsObject(*json)) {
		fprintf(stderr, "ork: %s: a job is a JSON object\n", path);
		cJSON_Delete(*json);
		*json = NULL;
		goto fail;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	*text = buf;
	return 0;
fail:
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	return CLI_EXIT_USAGE;
}

/*
 * cmd_list_all reads every page of a list (path has a query already)
 * and returns the first answer with the items of all pages in it.
 */
int
cmd_list_all(struct cli *cli, const char *path, int max_items,
    struct client_resp *out)
{
	struct client_resp	 r;
	cJSON			*items, *more, *cur;
	char			 next[2048];
	const char		*cursor;
	int			 rc, pages = 1;

	if ((rc = client_call(cli->client, "GET", path, NULL, 0, out)) != 0)
		return rc;
	items = cJSON_GetObjectItemCaseSensitive(out->json, "items");
	if (!cJSON_IsArray(items)) {
		fprintf(stderr, "ork: %s%s answered without \"items\"\n",
		    cli->url, path);
		client_resp_free(out);
		return CLI_EXIT_FAILED;
	}
	while ((cursor = out_str(out->json, "next_cursor")) != NULL &&
	    cJSON_GetArraySize(items) < max_items) {
		char esc[1024];

		if (++pages > LIST_PAGES_MAX || client_escape(cursor, esc,
		    sizeof(esc)) != 0) {
			fprintf(stderr, "ork: list of %s cut after %d pages\n",
			    path, pages - 1);
			break;
		}
		snprintf(next, sizeof(next), "%s&cursor=%s", path, esc);
		if ((rc = client_call(cli->client, "GET", next, NULL, 0, &r)) !=
		    0) {
			client_resp_free(out);
			return rc;
		}
		more = cJSON_GetObjectItemCaseSensitive(r.json, "items");
		while (cJSON_IsArray(more) && (cur = cJSON_DetachItemFromArray(
		    more, 0)) != NULL)
			cJSON_AddItemToArray(items, cur);
		cJSON_ReplaceItemInObjectCaseSensitive(out->json, "next_cursor",
		    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r.json,
		    "next_cursor"), 1));
		client_resp_free(&r);
	}
	return 0;
}

static int
jobs_list(struct cli *cli, const char *sub, int argc, char **argv)
{
	static const struct args_flag flags[] = {
		{ "--active", 0, 0, 0 }, { "--paused", 0, 0, 0 },
		{ NULL, 0, 0, 0 }
	};
	static const char *const head[] = { "ID", "NAME", "SCHEDULE", "STATE",
	    "TASKS", "LAST RUN", "NEXT RUN" };
	struct args		 a;
	struct client_resp	 r;
	struct table		*t;
	const cJSON		*it;
	char			 path[128];
	int			 rc;

	(void)sub;

	if ((rc = args_parse("jobs list", flags, argc, argv, 0, 0, &a)) != 0)
		return rc;
	if (args_has(flags, &a, "--active") && args_has(flags, &a,
	    "--paused")) {
		fprintf(stderr, "ork jobs list: --active or --paused, not "
		    "both\n");
		return CLI_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/jobs?limit=%d%s", CLI_LIMIT_MAX,
	    args_has(flags, &a, "--active") ? "&is_active=true" :
	    args_has(flags, &a, "--paused") ? "&is_active=false" : "");
	if ((rc = cmd_list_all(cli, path, 1 << 30, &r)) != 0)
		goto out;
	if (cli->json) {
		out_json(r.json);
		goto out;
	}
	t = cli->quiet ? NULL : table_new(7, head);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r.json,
	    "items")) {
		const cJSON	*last = cJSON_GetObjectItemCaseSensitive(it,
		    "last_run");
		const cJSON	*active = cJSON_GetObjectItemCaseSensitive(it,
		    "is_active");
		char		 tasks[32], lastrun[96], rel[32], next[32];
		const char	*cells[7];

		if (cli->quiet) {
			printf("%s\n", out_str(it, "job_id") ? out_str(it,
			    "job_id") : "-");
			continue;
		}
		if (cJSON_IsObject(last)) {
			out_reltime(out_str(last, "created_at"), rel,
			    sizeof(rel));
			snprintf(lastrun, sizeof(lastrun), "%s %s",
			    out_str(last, "status") ? out_str(last, "status") :
			    "?", rel);
		} else
			snprintf(lastrun, sizeof(lastrun), "-");
		out_reltime(out_str(it, "next_fire_at"), next, sizeof(next));
		cells[0] = out_str(it, "job_id");
		cells[1] = out_str(it, "job_name");
		cells[2] = out_str(it, "schedule");
		cells[3] = cJSON_IsFalse(active) ? "paused" : "active";
		cells[4] = out_scalar(it, "task_count", tasks, sizeof(tasks));
		cells[5] = lastrun;
		cells[6] = next;
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
print_job(struct cli *cli, const cJSON *job)
{
	static const char *const head[] = { "ORDER", "NAME", "KIND",
	    "ATTEMPTS", "TIMEOUT", "TASK ID" };
	static const char *const keys[] = { "job_id", "job_name",
	    "description", "schedule", "timezone", "is_active", "catchup",
	    "max_active_runs", "overlap", "next_fire_at", "created_at",
	    "updated_at", NULL };
	const cJSON	*last = cJSON_GetObjectItemCaseSensitive(job,
	    "last_run");
	const cJSON	*task;
	struct table	*t;
	char		 buf[512], rel[32];

	for (int i = 0; keys[i] != NULL; i++) {
		out_scalar(job, keys[i], buf, sizeof(buf));
		if (strstr(keys[i], "_at") != NULL && strcmp(buf, "-") != 0) {
			out_reltime(buf, rel, sizeof(rel));
			printf("%-16s %s (%s)\n", keys[i], buf, rel);
		} else
			printf("%-16s %s\n", keys[i], buf);
	}
	if (cJSON_IsObject(last)) {
		out_reltime(out_str(last, "created_at"), rel, sizeof(rel));
		printf("%-16s %s %s (run %s)\n", "last_run", out_str(last,
		    "status") ? out_str(last, "status") : "?", rel,
		    out_str(last, "run_id") ? out_str(last, "run_id") : "?");
	} else
		printf("%-16s -\n", "last_run");
	printf("\n");
	t = table_new(6, head);
	cJSON_ArrayForEach(task, cJSON_GetObjectItemCaseSensitive(job,
	    "tasks")) {
		char		 order[16], att[16], tmo[16];
		const char	*cells[6];

		cells[0] = out_scalar(task, "task_order", order, sizeof(order));
		cells[1] = out_str(task, "task_name");
		cells[2] = out_str(task, "kind");
		cells[3] = out_scalar(task, "max_attempts", att, sizeof(att));
		cells[4] = out_scalar(task, "timeout_seconds", tmo, sizeof(tmo));
		cells[5] = out_str(task, "task_id");
		if (t != NULL)
			table_add(t, cells);
	}
	table_print(t, cli->color);
}

static int
jobs_get(struct cli *cli, const char *sub, int argc, char **argv)
{
	struct args		a;
	struct client_resp	r;
	char			id[UTIL_UUID_LEN + 1], path[128];
	int			rc;

	(void)sub;

	if ((rc = args_parse("jobs get", NULL, argc, argv, 1, 1, &a)) != 0)
		return rc;
	if ((rc = cmd_job_resolve(cli, a.pos[0], id, NULL, 0)) != 0)
		return rc;
	snprintf(path, sizeof(path), "/jobs/%s", id);
	if ((rc = client_call(cli->client, "GET", path, NULL, 0, &r)) != 0)
		goto out;
	if (cli->json)
		printf("%s\n", r.body);
	else if (cli->quiet)
		printf("%s\n", id);
	else
		print_job(cli, r.json);
out:
	client_resp_free(&r);
	return rc;
}

/* done prints what a write did: the JSON, the id or a sentence. */
static void
done(struct cli *cli, const struct client_resp *r, const char *what,
    const char *id, const char *name)
{
	const char *rid = out_str(r->json, "job_id");
	const char *rname = out_str(r->json, "job_name");

	if (rid != NULL)
		id = rid;
	if (rname != NULL)
		name = rname;
	if (cli->json)
		printf("%s\n", r->body != NULL && r->body[0] != '\0' ? r->body :
		    "{}");
	else if (cli->quiet)
		printf("%s\n", id);
	else
		printf("%s job \"%s\" (%s)\n", what, name, id);
}

static const struct args_flag file_flags[] = {
	{ "--file", 'f', 1, 0 },
	{ NULL, 0, 0, 0 }
};

static int
jobs_write(struct cli *cli, const char *cmd, int argc, char **argv)
{
	struct args		 a;
	struct client_resp	 r;
	const char		*file, *name;
	char			*text = NULL, id[UTIL_UUID_LEN + 1] = "";
	char			 path[128];
	cJSON			*json = NULL;
	int			 rc, update = strcmp(cmd, "update") == 0;
	int			 apply = strcmp(cmd, "apply") == 0;
	char			 full[32];

	memset(&r, 0, sizeof(r));
	snprintf(full, sizeof(full), "jobs %s", cmd);
	if ((rc = args_parse(full, file_flags, argc, argv, update, update,
	    &a)) != 0)
		return rc;
	if ((file = args_get(file_flags, &a, "--file")) == NULL) {
		fprintf(stderr, "ork %s: give the job's JSON with -f FILE\n",
		    full);
		return CLI_EXIT_USAGE;
	}
	if ((rc = read_job_file(file, &text, &json)) != 0)
		return rc;
	name = out_str(json, "job_name");
	if (apply && name == NULL) {
		fprintf(stderr, "ork: %s: apply needs a job_name (string)\n",
		    file);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (update && (rc = cmd_job_resolve(cli, a.pos[0], id, NULL, 0)) != 0)
		goto out;
	if (apply) {
		rc = job_by_name(cli, name, id, 0);
		if (rc == CLI_EXIT_NOT_FOUND) {
			rc = client_call(cli->client, "POST", "/jobs", text, 409,
			    &r);
			if (rc == 0 && r.status != 409) {
				done(cli, &r, "created", "?", name);
				goto out;
			}
			/* created meanwhile by someone else: replace it */
			client_resp_free(&r);
			if (rc == 0)
				rc = cmd_job_resolve(cli, name, id, NULL, 0);
		}
		if (rc != 0)
			goto out;
		update = 1;
	}
	if (update) {
		snprintf(path, sizeof(path), "/jobs/%s", id);
		if ((rc = client_call(cli->client, "PUT", path, text, 0, &r)) ==
		    0)
			done(cli, &r, "updated", id, name ? name : "?");
	} else if ((rc = client_call(cli->client, "POST", "/jobs", text, 0,
	    &r)) == 0)
		done(cli, &r, "created", "?", name ? name : "?");
out:
	client_resp_free(&r);
	cJSON_Delete(json);
	free(text);
	return rc;
}

static int
jobs_change(struct cli *cli, const char *cmd, int argc, char **argv)
{
	struct args		a;
	struct client_resp	r;
	char			id[UTIL_UUID_LEN + 1], name[256], path[128];
	char			full[32];
	const char		*method = "PATCH", *body = NULL, *what;
	int			rc;

	memset(&r, 0, sizeof(r));
	snprintf(full, sizeof(full), "jobs %s", cmd);
	if ((rc = args_parse(full, NULL, argc, argv, 1, 1, &a)) != 0)
		return rc;
	if ((rc = cmd_job_resolve(cli, a.pos[0], id, name, sizeof(name))) != 0)
		return rc;
	if (strcmp(cmd, "delete") == 0) {
		method = "DELETE";
		what = "deleted";
	} else if (strcmp(cmd, "pause") == 0) {
		body = "{\"is_active\":false}";
		what = "paused";
	} else {
		body = "{\"is_active\":true}";
		what = "resumed";
	}
	snprintf(path, sizeof(path), "/jobs/%s", id);
	if ((rc = client_call(cli->client, method, path, body, 0, &r)) == 0)
		done(cli, &r, what, id, name);
	client_resp_free(&r);
	return rc;
}

int
cmd_jobs(struct cli *cli, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "list", "ls", jobs_list }, { "get", NULL, jobs_get },
		{ "create", NULL, jobs_write }, { "apply", NULL, jobs_write },
		{ "update", NULL, jobs_write }, { "delete", NULL, jobs_change },
		{ "pause", NULL, jobs_change }, { "resume", NULL, jobs_change },
		{ NULL, NULL, NULL },
	};

	return cli_dispatch(cli, "jobs", subs, argc, argv);
}
