/*
 * cmd_admin.c - ork status (health of the api, its database, the
 * orchestrator and the workers), ork users and ork tokens (admins).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

static const char *
ready_word(const cJSON *ready, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ready, name);

	return cJSON_IsTrue(v) ? "ready" : cJSON_IsFalse(v) ? "not ready" :
	    "unknown";
}

static void
status_line(struct cli *cli, const char *what, const char *word,
    const char *more)
{
	printf("%-13s %s%s%s%s%s\n", what, cli->color ?
	    out_status_color(word) : "", word, cli->color && out_status_color(
	    word)[0] ? "\033[0m" : "", more[0] ? "  " : "", more);
}

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	static const char *const head[] = { "WORKER", "STATUS", "HOST",
	    "SLOTS", "RUNNING", "LAST HEARTBEAT", "KINDS" };
	struct args		 a;
	struct client_resp	 h, rd, wk;
	struct table		*t;
	const cJSON		*it;
	char			 more[CLI_URL_MAX + 64];
	int			 rc, ready, nworkers = 0, active = 0;

	memset(&wk, 0, sizeof(wk));
	if ((rc = args_parse("status", NULL, argc, argv, 0, 0, &a)) != 0)
		return rc;
	if ((rc = client_call(cli->client, "GET", "/health", NULL, 0, &h)) != 0)
		return rc;
	if ((rc = client_call(cli->client, "GET", "/ready", NULL, 503, &rd)) !=
	    0) {
		client_resp_free(&h);
		return rc;
	}
	ready = rd.status == 200;
	if (cli->token[0] != '\0' && (rc = client_call(cli->client, "GET",
	    "/workers", NULL, 0, &wk)) != 0)
		goto out;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(wk.json,
	    "items")) {
		nworkers++;
		active += out_str(it, "status") != NULL &&
		    strcmp(out_str(it, "status"), "active") == 0;
	}
	if (cli->json) {
		printf("{\"url\":");
		{
			cJSON *u = cJSON_CreateString(cli->url);
			char  *s = u != NULL ? cJSON_PrintUnformatted(u) : NULL;

			printf("%s", s != NULL ? s : "null");
			free(s);
			cJSON_Delete(u);
		}
		printf(",\"health\":%s,\"ready\":%s,\"workers\":%s}\n",
		    h.body ? h.body : "null", rd.body ? rd.body : "null",
		    wk.body ? wk.body : "null");
	} else if (cli->quiet) {
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(wk.json,
		    "items"))
			printf("%s\n", out_str(it, "worker_id") ? out_str(it,
			    "worker_id") : "-");
	} else {
		snprintf(more, sizeof(more), "%s  (version %s)", cli->url,
		    out_str(h.json, "version") ? out_str(h.json, "version") :
		    "?");
		status_line(cli, "api", "ok", more);
		status_line(cli, "database", ready_word(rd.json, "database"),
		    "");
		status_line(cli, "orchestrator", ready_word(rd.json,
		    "orchestrator"), "");
		if (cli->token[0] == '\0') {
			status_line(cli, "workers", "unknown",
			    "(log in or give --token to see them)");
			goto out;
		}
		snprintf(more, sizeof(more), "(%d of %d)", active, nworkers);
		status_line(cli, "workers", active > 0 ? "active" : "none",
		    more);
		if (nworkers == 0)
			goto out;
		printf("\n");
		t = table_new(7, head);
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(wk.json,
		    "items")) {
			char		 slots[16], running[16], hb[32];
			char		 kinds[256] = "";
			const cJSON	*k;
			const char	*cells[7];

			cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(
			    it, "kinds"))
				if (cJSON_IsString(k))
					snprintf(kinds + strlen(kinds),
					    sizeof(kinds) - strlen(kinds),
					    "%s%s", kinds[0] ? "," : "",
					    k->valuestring);
			out_reltime(out_str(it, "last_heartbeat_at"), hb,
			    sizeof(hb));
			cells[0] = out_str(it, "worker_id");
			cells[1] = out_str(it, "status");
			cells[2] = out_str(it, "hostname");
			cells[3] = out_scalar(it, "capacity", slots,
			    sizeof(slots));
			cells[4] = out_scalar(it, "running", running,
			    sizeof(running));
			cells[5] = hb;
			cells[6] = kinds;
			if (t != NULL)
				table_add(t, cells);
		}
		table_print(t, cli->color);
	}
out:
	if (rc == 0 && !ready) {
		fprintf(stderr, "ork: %s is not ready\n", cli->url);
		rc = CLI_EXIT_FAILED;
	}
	client_resp_free(&h);
	client_resp_free(&rd);
	client_resp_free(&wk);
	return rc;
}

/* ---- ork users ------------------------------------------------------ */

static const char *const roles[] = { "viewer", "operator", "admin", NULL };

static int
check_role(const char *role)
{
	for (int i = 0; roles[i] != NULL; i++)
		if (strcmp(roles[i], role) == 0)
			return 0;
	fprintf(stderr, "ork: --role \"%.40s\" is not viewer, operator or "
	    "admin\n", role);
	return CLI_EXIT_USAGE;
}

/* user_resolve finds a user by id or username; writes the id. */
static int
user_resolve(struct cli *cli, const char *user, char *id)
{
	struct client_resp	 r;
	const cJSON		*it;
	int			 rc;

	if (util_uuid_valid(user)) {
		snprintf(id, UTIL_UUID_LEN + 1, "%s", user);
		return 0;
	}
	if ((rc = cmd_list_all(cli, "/users?limit=500", 1 << 30, &r)) != 0)
		return rc;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r.json,
	    "items")) {
		const char *u = out_str(it, "username");
		const char *uid = out_str(it, "user_id");

		if (u != NULL && uid != NULL && strcmp(u, user) == 0 &&
		    util_uuid_valid(uid)) {
			snprintf(id, UTIL_UUID_LEN + 1, "%s", uid);
			client_resp_free(&r);
			return 0;
		}
	}
	client_resp_free(&r);
	fprintf(stderr, "ork: no user named \"%s\"\n", user);
	return CLI_EXIT_NOT_FOUND;
}

static int
users_list(struct cli *cli, const char *sub, int argc, char **argv)
{
	static const char *const head[] = { "USERNAME", "ROLE", "STATE",
	    "CREATED", "ID" };
	struct args		 a;
	struct client_resp	 r;
	struct table		*t = NULL;
	const cJSON		*it;
	int			 rc;

	(void)sub;

	if ((rc = args_parse("users list", NULL, argc, argv, 0, 0, &a)) != 0)
		return rc;
	if ((rc = cmd_list_all(cli, "/users?limit=500", 1 << 30, &r)) != 0)
		return rc;
	if (cli->json) {
		out_json(r.json);
		goto out;
	}
	if (!cli->quiet)
		t = table_new(5, head);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r.json,
	    "items")) {
		char		 created[32];
		const char	*cells[5];

		if (cli->quiet) {
			printf("%s\n", out_str(it, "user_id") ? out_str(it,
			    "user_id") : "-");
			continue;
		}
		out_reltime(out_str(it, "created_at"), created,
		    sizeof(created));
		cells[0] = out_str(it, "username");
		cells[1] = out_str(it, "role");
		cells[2] = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(it,
		    "is_active")) ? "inactive" : "active";
		cells[3] = created;
		cells[4] = out_str(it, "user_id");
		if (t != NULL)
			table_add(t, cells);
	}
	if (!cli->quiet)
		table_print(t, cli->color);
out:
	client_resp_free(&r);
	return rc;
}

static int
users_create(struct cli *cli, const char *sub, int argc, char **argv)
{
	static const struct args_flag flags[] = {
		{ "--role", 'r', 1, 0 }, { "--password-stdin", 0, 0, 0 },
		{ NULL, 0, 0, 0 }
	};
	struct args		 a;
	struct client_resp	 r;
	const char		*role;
	char			 pw[CLI_PASSWORD_MAX + 2], *text = NULL;
	cJSON			*body;
	int			 rc;

	(void)sub;

	if ((rc = args_parse("users create", flags, argc, argv, 1, 1, &a)) !=
	    0)
		return rc;
	role = args_get(flags, &a, "--role");
	if (role != NULL && (rc = check_role(role)) != 0)
		return rc;
	if (strlen(a.pos[0]) > CLI_USERNAME_MAX) {
		fprintf(stderr, "ork: a username has at most %d characters\n",
		    CLI_USERNAME_MAX);
		return CLI_EXIT_USAGE;
	}
	if ((rc = cmd_password(args_has(flags, &a, "--password-stdin"), 1, pw,
	    sizeof(pw))) != 0)
		return rc;
	body = cJSON_CreateObject();
	if (body == NULL || cJSON_AddStringToObject(body, "username",
	    a.pos[0]) == NULL || cJSON_AddStringToObject(body, "password",
	    pw) == NULL || (role != NULL && cJSON_AddStringToObject(body,
	    "role", role) == NULL) || (text = cJSON_PrintUnformatted(body)) ==
	    NULL) {
		cJSON_Delete(body);
		memset(pw, 0, sizeof(pw));
		fprintf(stderr, "ork: out of memory\n");
		return CLI_EXIT_FAILED;
	}
	cJSON_Delete(body);
	memset(pw, 0, sizeof(pw));
	rc = client_call(cli->client, "POST", "/users", text, 0, &r);
	memset(text, 0, strlen(text));
	free(text);
	if (rc != 0)
		return rc;
	if (cli->json)
		printf("%s\n", r.body);
	else if (cli->quiet)
		printf("%s\n", out_str(r.json, "user_id") ? out_str(r.json,
		    "user_id") : "-");
	else
		printf("created user \"%s\" (%s)\n", a.pos[0],
		    out_str(r.json, "role") ? out_str(r.json, "role") : "?");
	client_resp_free(&r);
	return CLI_EXIT_OK;
}

static int
users_delete(struct cli *cli, const char *sub, int argc, char **argv)
{
	struct args		a;
	struct client_resp	r;
	char			id[UTIL_UUID_LEN + 1], path[128];
	int			rc;

	(void)sub;

	if ((rc = args_parse("users delete", NULL, argc, argv, 1, 1, &a)) != 0)
		return rc;
	if ((rc = user_resolve(cli, a.pos[0], id)) != 0)
		return rc;
	snprintf(path, sizeof(path), "/users/%s", id);
	if ((rc = client_call(cli->client, "DELETE", path, NULL, 0, &r)) != 0)
		return rc;
	if (cli->json)
		printf("%s\n", r.body != NULL && r.body[0] ? r.body : "{}");
	else if (cli->quiet)
		printf("%s\n", id);
	else
		printf("deleted user \"%s\"\n", a.pos[0]);
	client_resp_free(&r);
	return CLI_EXIT_OK;
}

int
cmd_users(struct cli *cli, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "list", "ls", users_list }, { "create", NULL, users_create },
		{ "delete", NULL, users_delete }, { NULL, NULL, NULL },
	};

	return cli_dispatch(cli, "users", subs, argc, argv);
}

/* ---- ork tokens ----------------------------------------------------- */

static int
tokens_list(struct cli *cli, const char *sub, int argc, char **argv)
{
	static const char *const head[] = { "NAME", "USER", "STATE", "CREATED",
	    "EXPIRES", "LAST USED", "ID" };
	struct args		 a;
	struct client_resp	 r;
	struct table		*t = NULL;
	const cJSON		*it;
	int			 rc;

	(void)sub;

	if ((rc = args_parse("tokens list", NULL, argc, argv, 0, 0, &a)) != 0)
		return rc;
	if ((rc = cmd_list_all(cli, "/tokens?limit=500", 1 << 30, &r)) != 0)
		return rc;
	if (cli->json) {
		out_json(r.json);
		goto out;
	}
	if (!cli->quiet)
		t = table_new(7, head);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r.json,
	    "items")) {
		char		 created[32], expires[32], used[32];
		const char	*cells[7], *state = "active";
		int64_t		 exp;

		if (cli->quiet) {
			printf("%s\n", out_str(it, "token_id") ? out_str(it,
			    "token_id") : "-");
			continue;
		}
		if (out_str(it, "revoked_at") != NULL)
			state = "revoked";
		else if (out_parse_time(out_str(it, "expires_at"), &exp) == 0 &&
		    exp < util_now_us())
			state = "expired";
		out_reltime(out_str(it, "created_at"), created,
		    sizeof(created));
		out_reltime(out_str(it, "expires_at"), expires,
		    sizeof(expires));
		out_reltime(out_str(it, "last_used_at"), used, sizeof(used));
		cells[0] = out_str(it, "name");
		cells[1] = out_str(it, "username");
		cells[2] = state;
		cells[3] = created;
		cells[4] = out_str(it, "expires_at") ? expires : "never";
		cells[5] = used;
		cells[6] = out_str(it, "token_id");
		if (t != NULL)
			table_add(t, cells);
	}
	if (!cli->quiet)
		table_print(t, cli->color);
out:
	client_resp_free(&r);
	return rc;
}

static int
tokens_create(struct cli *cli, const char *sub, int argc, char **argv)
{
	static const struct args_flag flags[] = {
		{ "--user", 'u', 1, 0 }, { "--expires-in-days", 0, 1, 0 },
		{ NULL, 0, 0, 0 }
	};
	struct args		 a;
	struct client_resp	 r;
	const char		*user, *days;
	char			*text = NULL;
	cJSON			*body;
	long			 d = 0;
	int			 rc;

	(void)sub;

	if ((rc = args_parse("tokens create", flags, argc, argv, 1, 1, &a)) !=
	    0)
		return rc;
	user = args_get(flags, &a, "--user");
	days = args_get(flags, &a, "--expires-in-days");
	if (days != NULL && (rc = args_long("--expires-in-days", days, 1,
	    36500, &d)) != 0)
		return rc;
	body = cJSON_CreateObject();
	if (body == NULL || cJSON_AddStringToObject(body, "name", a.pos[0]) ==
	    NULL || (user != NULL && cJSON_AddStringToObject(body, "username",
	    user) == NULL) || (days != NULL && cJSON_AddNumberToObject(body,
	    "expires_in_days", (double)d) == NULL) ||
	    (text = cJSON_PrintUnformatted(body)) == NULL) {
		cJSON_Delete(body);
		fprintf(stderr, "ork: out of memory\n");
		return CLI_EXIT_FAILED;
	}
	cJSON_Delete(body);
	rc = client_call(cli->client, "POST", "/tokens", text, 0, &r);
	free(text);
	if (rc != 0)
		return rc;
	if (cli->json)
		printf("%s\n", r.body);
	else if (cli->quiet)
		printf("%s\n", out_str(r.json, "token") ? out_str(r.json,
		    "token") : "-");
	else
		printf("token \"%s\" for %s (id %s):\n%s\nkeep it now: it is not "
		    "shown again\n", a.pos[0], out_str(r.json, "username") ?
		    out_str(r.json, "username") : "?", out_str(r.json,
		    "token_id") ? out_str(r.json, "token_id") : "?",
		    out_str(r.json, "token") ? out_str(r.json, "token") : "?");
	client_resp_free(&r);
	return CLI_EXIT_OK;
}

static int
tokens_revoke(struct cli *cli, const char *sub, int argc, char **argv)
{
	struct args		a;
	struct client_resp	r;
	char			path[128];
	int			rc;

	(void)sub;

	if ((rc = args_parse("tokens revoke", NULL, argc, argv, 1, 1, &a)) !=
	    0)
		return rc;
	if ((rc = cmd_check_id("TOKEN_ID", a.pos[0])) != 0)
		return rc;
	snprintf(path, sizeof(path), "/tokens/%s", a.pos[0]);
	if ((rc = client_call(cli->client, "DELETE", path, NULL, 0, &r)) != 0)
		return rc;
	if (cli->json)
		printf("%s\n", r.body != NULL && r.body[0] ? r.body : "{}");
	else if (cli->quiet)
		printf("%s\n", a.pos[0]);
	else
		printf("revoked token %s\n", a.pos[0]);
	client_resp_free(&r);
	return CLI_EXIT_OK;
}

int
cmd_tokens(struct cli *cli, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "list", "ls", tokens_list }, { "create", NULL, tokens_create },
		{ "revoke", NULL, tokens_revoke }, { NULL, NULL, NULL },
	};

	return cli_dispatch(cli, "tokens", subs, argc, argv);
}
