/*
 * api_auth_test.c - authentication and roles of ork-api: the role
 * matrix (every route of the OpenAPI document x no token, a bad token,
 * viewer, operator, admin), login and logout, API tokens, users, what
 * is stored (Argon2id hashes, SHA-256 of tokens), the login rate limit,
 * ORK_AUTH=off, the first admin and "ork-api create-user".
 */
#include <sys/wait.h>

#include "api_util.h"

#define NOBODY "0b7a4ad4-3b1e-4a56-b3f4-0e4b3bfc1d8c"

enum { WHO_NONE, WHO_BAD, WHO_VIEWER, WHO_OPERATOR, WHO_ADMIN, WHO_N };
static const char *const who_names[WHO_N] = { "no token", "bad token",
    "viewer", "operator", "admin" };

/*
 * One route of the matrix: the request made, the least role it needs
 * (WHO_NONE: public) and what it answers once allowed.  {job} {run}
 * {task} stand for ids that exist, {n} for a fresh number.
 */
struct row {
	const char	*method;
	const char	*route;		/* as in the OpenAPI document */
	const char	*path;
	const char	*body;
	int		 least;
	long		 allowed;
};

static const struct row matrix[] = {
	{ "GET", "/health", "/health", NULL, WHO_NONE, 200 },
	{ "GET", "/ready", "/ready", NULL, WHO_NONE, 200 },
	{ "GET", "/openapi.json", "/openapi.json", NULL, WHO_NONE, 200 },
	{ "GET", "/metrics", "/metrics", NULL, WHO_NONE, 200 },
	{ "POST", "/auth/login", "/auth/login", "{\"username\":\"admin\","
	    "\"password\":\"wrong-password\"}", WHO_NONE, 401 },
	{ "GET", "/auth/me", "/auth/me", NULL, WHO_VIEWER, 200 },
	{ "GET", "/jobs", "/jobs", NULL, WHO_VIEWER, 200 },
	{ "POST", "/jobs", "/jobs", "{\"job_name\":\"m{n}\",\"tasks\":[{"
	    "\"extractor_config\":{\"type\":\"noop\"}}]}", WHO_ADMIN, 201 },
	{ "GET", "/jobs/{job_id}", "/jobs/{job}", NULL, WHO_VIEWER, 200 },
	{ "PUT", "/jobs/{job_id}", "/jobs/{job}", "{\"job_name\":\"matrix\","
	    "\"tasks\":[{\"extractor_config\":{\"type\":\"noop\"}}]}",
	    WHO_ADMIN, 200 },
	{ "PATCH", "/jobs/{job_id}", "/jobs/{job}", "{\"is_active\":true}",
	    WHO_ADMIN, 200 },
	{ "DELETE", "/jobs/{job_id}", "/jobs/" NOBODY, NULL, WHO_ADMIN, 404 },
	{ "POST", "/jobs/{job_id}/run", "/jobs/{job}/run", NULL, WHO_OPERATOR,
	    201 },
	{ "GET", "/jobs/{job_id}/runs", "/jobs/{job}/runs", NULL, WHO_VIEWER,
	    200 },
	/* the matrix's job has no schedule: 400 once the role passes */
	{ "POST", "/jobs/{job_id}/backfill", "/jobs/{job}/backfill",
	    "{\"from\":\"2026-01-01T00:00:00Z\",\"to\":"
	    "\"2026-01-02T00:00:00Z\"}", WHO_OPERATOR, 400 },
	{ "DELETE", "/jobs/{job_id}/cursors", "/jobs/{job}/cursors", NULL,
	    WHO_OPERATOR, 200 },
	{ "GET", "/runs", "/runs", NULL, WHO_VIEWER, 200 },
	{ "GET", "/runs/{run_id}", "/runs/{run}", NULL, WHO_VIEWER, 200 },
	{ "GET", "/runs/{run_id}/tasks", "/runs/{run}/tasks", NULL,
	    WHO_VIEWER, 200 },
	{ "POST", "/runs/{run_id}/cancel", "/runs/" NOBODY "/cancel", NULL,
	    WHO_OPERATOR, 404 },
	{ "POST", "/runs/{run_id}/retry", "/runs/{run}/retry", NULL,
	    WHO_OPERATOR, 409 },
	{ "GET", "/job_runs", "/job_runs", NULL, WHO_VIEWER, 200 },
	{ "GET", "/job_runs/{run_id}", "/job_runs/{run}", NULL, WHO_VIEWER,
	    200 },
	{ "GET", "/job_runs/{run_id}/tasks", "/job_runs/{run}/tasks", NULL,
	    WHO_VIEWER, 200 },
	{ "POST", "/job_runs/{run_id}/cancel", "/job_runs/" NOBODY "/cancel",
	    NULL, WHO_OPERATOR, 404 },
	{ "POST", "/job_runs/{run_id}/retry", "/job_runs/{run}/retry", NULL,
	    WHO_OPERATOR, 409 },
	{ "GET", "/tasks/{task_run_id}", "/tasks/{task}", NULL, WHO_VIEWER,
	    200 },
	{ "GET", "/tasks/{task_run_id}/logs", "/tasks/{task}/logs", NULL,
	    WHO_VIEWER, 200 },
	{ "GET", "/events", "/events?last_event_id=x", NULL, WHO_VIEWER, 400 },
	{ "GET", "/workers", "/workers", NULL, WHO_VIEWER, 200 },
	{ "GET", "/tokens", "/tokens", NULL, WHO_ADMIN, 200 },
	{ "POST", "/tokens", "/tokens", "{\"name\":\"m{n}\"}", WHO_ADMIN, 201 },
	{ "DELETE", "/tokens/{token_id}", "/tokens/" NOBODY, NULL, WHO_ADMIN,
	    404 },
	{ "GET", "/users", "/users", NULL, WHO_ADMIN, 200 },
	{ "POST", "/users", "/users", "{\"username\":\"\"}", WHO_ADMIN, 400 },
	{ "GET", "/users/{user_id}", "/users/" NOBODY, NULL, WHO_ADMIN, 404 },
	{ "PATCH", "/users/{user_id}", "/users/" NOBODY, "{\"role\":"
	    "\"viewer\"}", WHO_ADMIN, 404 },
	{ "DELETE", "/users/{user_id}", "/users/" NOBODY, NULL, WHO_ADMIN,
	    404 },
	/* last: it revokes the token it is made with */
	{ "POST", "/auth/logout", "/auth/logout", NULL, WHO_VIEWER, 204 },
};
#define NMATRIX (sizeof(matrix) / sizeof(matrix[0]))

/* expand writes path with {job} {run} {task} {n} replaced. */
static void
expand(const char *in, char *out, size_t len, const char *job,
    const char *run, const char *task, int n)
{
	size_t o = 0;

	while (*in != '\0' && o + 40 < len) {
		if (strncmp(in, "{job}", 5) == 0) {
			o += (size_t)snprintf(out + o, len - o, "%s", job);
			in += 5;
		} else if (strncmp(in, "{run}", 5) == 0) {
			o += (size_t)snprintf(out + o, len - o, "%s", run);
			in += 5;
		} else if (strncmp(in, "{task}", 6) == 0) {
			o += (size_t)snprintf(out + o, len - o, "%s", task);
			in += 6;
		} else if (strncmp(in, "{n}", 3) == 0) {
			o += (size_t)snprintf(out + o, len - o, "%d", n);
			in += 3;
		} else
			out[o++] = *in++;
	}
	out[o] = '\0';
}

/* make_user creates a user through the API and logs in as it. */
static char *
make_user(const struct api_stack *s, const char *name, const char *role)
{
	struct api_resp	r;
	char		body[256];

	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":"
	    "\"%s-password\",\"role\":\"%s\"}", name, name, role);
	if (api_call(s, "POST", "/users", s->admin, body, &r) != 201)
		fail_msg("creating %s: %ld %s", name, r.status, r.body);
	assert_string_equal(api_str(r.json, "role"), role);
	api_resp_free(&r);
	snprintf(body, sizeof(body), "%s-password", name);
	return api_login(s, name, body);
}

static void
test_role_matrix(void **state)
{
	struct api_stack	 s;
	struct api_resp		 r;
	PGconn			*c;
	char			*tok[WHO_N];
	char			*job, run[64], task[64], sql[512];
	const cJSON		*paths, *p, *op;
	int			 n = 0, failures = 0;

	(void)state;
	api_stack_start(&s, "api_matrix", API_WITH_ORCH, NULL, NULL);
	c = h_db_connect(s.db);
	job = api_create_job(&s, "{\"job_name\":\"matrix\",\"tasks\":[{"
	    "\"extractor_config\":{\"type\":\"noop\"}}]}");
	/* a finished run with a task run, for the read routes */
	snprintf(sql, sizeof(sql), "INSERT INTO job_runs (job_id, status, "
	    "triggered_by, finished_at) VALUES ('%s', 'success', 'manual', "
	    "now()) RETURNING run_id", job);
	h_db_value(c, sql, run, sizeof(run));
	snprintf(sql, sizeof(sql), "INSERT INTO task_runs (run_id, job_id, "
	    "task_order, kind, extractor_config, status) VALUES ('%s', '%s', 0, "
	    "'noop', '{\"type\":\"noop\"}', 'success') RETURNING task_run_id",
	    run, job);
	h_db_value(c, sql, task, sizeof(task));

	tok[WHO_NONE] = NULL;
	tok[WHO_BAD] = strdup("ork_this-is-not-a-token");
	tok[WHO_VIEWER] = make_user(&s, "viewer1", "viewer");
	tok[WHO_OPERATOR] = make_user(&s, "operator1", "operator");
	tok[WHO_ADMIN] = strdup(s.admin);

	/* every route the server describes is in the matrix */
	assert_int_equal(api_call(&s, "GET", "/openapi.json", NULL, NULL, &r),
	    200);
	paths = cJSON_GetObjectItem(r.json, "paths");
	cJSON_ArrayForEach(p, paths) {
		cJSON_ArrayForEach(op, p) {
			int found = 0;

			for (size_t i = 0; i < NMATRIX && !found; i++)
				found = strcmp(matrix[i].route, p->string) == 0 &&
				    strcasecmp(matrix[i].method, op->string) == 0;
			if (!found) {
				print_error("%s %s is not in the matrix\n",
				    op->string, p->string);
				failures++;
			}
		}
	}
	api_resp_free(&r);

	for (size_t i = 0; i < NMATRIX; i++) {
		for (int w = 0; w < WHO_N; w++) {
			char	path[256], body[512];
			long	want;

			if (matrix[i].least == WHO_NONE)
				want = matrix[i].allowed;
			else if (w == WHO_NONE || w == WHO_BAD)
				want = 401;
			else if (w < matrix[i].least)
				want = 403;
			else
				want = matrix[i].allowed;
			expand(matrix[i].path, path, sizeof(path), job, run, task,
			    ++n);
			if (matrix[i].body != NULL)
				expand(matrix[i].body, body, sizeof(body), job,
				    run, task, n);
			api_call(&s, matrix[i].method, path, tok[w],
			    matrix[i].body != NULL ? body : NULL, &r);
			if (r.status != want) {
				print_error("%s %s as %s: want %ld, got %ld: %s\n",
				    matrix[i].method, path, who_names[w], want,
				    r.status, r.body != NULL ? r.body : "");
				failures++;
			}
			if (want == 401) {
				char hdr[128];

				api_header(&r, "WWW-Authenticate", hdr,
				    sizeof(hdr));
				if (strncmp(hdr, "Bearer", 6) != 0)
					failures++;
			}
			if (want == 403 && strcmp(api_str(cJSON_GetObjectItem(
			    r.json, "error"), "code"), "forbidden") != 0)
				failures++;
			api_resp_free(&r);
		}
	}
	assert_int_equal(failures, 0);
	for (int w = 0; w < WHO_N; w++)
		free(tok[w]);
	free(job);
	PQfinish(c);
}

static void
test_login_tokens_users(void **state)
{
	struct api_stack	 s;
	struct api_resp		 r;
	PGconn			*c;
	char			 sql[512], val[256], path[512], hdr[128];
	char			 token_id[64], user_id[64], admin_id[64];
	char			*tok, *op, *tmp;

	(void)state;
	api_stack_start(&s, "api_auth", 0, NULL, NULL);
	c = h_db_connect(s.db);

	/* wrong password and unknown user read the same */
	api_call(&s, "POST", "/auth/login", NULL, "{\"username\":\"admin\","
	    "\"password\":\"nope-nope\"}", &r);
	api_expect_error(&r, 401, "invalid_credentials", NULL);
	api_header(&r, "WWW-Authenticate", hdr, sizeof(hdr));
	assert_string_equal(hdr, "Bearer realm=\"ork\"");
	api_resp_free(&r);
	api_call(&s, "POST", "/auth/login", NULL, "{\"username\":\"ghost\","
	    "\"password\":\"nope-nope\"}", &r);
	api_expect_error(&r, 401, "invalid_credentials", NULL);
	api_resp_free(&r);
	api_call(&s, "POST", "/auth/login", NULL, "{\"username\":\"admin\"}",
	    &r);
	api_expect_error(&r, 400, "missing_field", "password");
	api_resp_free(&r);
	api_call(&s, "POST", "/auth/login", NULL, "{\"user\":\"admin\"}", &r);
	api_expect_error(&r, 400, "unknown_field", "user");
	api_resp_free(&r);

	/* me */
	assert_int_equal(api_call(&s, "GET", "/auth/me", s.admin, NULL, &r),
	    200);
	assert_string_equal(api_str(r.json, "username"), "admin");
	assert_string_equal(api_str(r.json, "role"), "admin");
	assert_string_equal(api_str(r.json, "token_kind"), "session");
	snprintf(admin_id, sizeof(admin_id), "%s", api_str(r.json, "user_id"));
	api_resp_free(&r);

	/* bad Authorization headers */
	{
		const char	*basic[] = { "Authorization: Basic YTpi", NULL };

		api_call_ct(&s, "GET", "/jobs", NULL, NULL, NULL, 0, basic, &r);
		api_expect_error(&r, 401, "unauthorized", NULL);
		api_resp_free(&r);
	}
	/* tokens in a query string count for /events only */
	snprintf(path, sizeof(path), "/jobs?access_token=%s", s.admin);
	api_call(&s, "GET", path, NULL, NULL, &r);
	api_expect_error(&r, 401, "unauthorized", NULL);
	api_resp_free(&r);
	snprintf(path, sizeof(path), "/events?access_token=%s&last_event_id=x",
	    s.admin);
	api_call(&s, "GET", path, NULL, NULL, &r);
	api_expect_error(&r, 400, "invalid_value", "last_event_id");
	api_resp_free(&r);

	/* what is stored: Argon2id with OWASP's parameters; SHA-256 */
	h_db_value(c, "SELECT password_hash FROM users WHERE username = "
	    "'admin'", val, sizeof(val));
	assert_true(strncmp(val, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM api_tokens WHERE "
	    "token_hash = sha256(convert_to('%s', 'UTF8')) AND "
	    "octet_length(token_hash) = 32", s.admin);
	h_db_value(c, sql, val, sizeof(val));
	assert_string_equal(val, "1");

	/* users */
	op = make_user(&s, "op1", "operator");
	api_call(&s, "POST", "/users", s.admin, "{\"username\":\"op1\","
	    "\"password\":\"another-one\"}", &r);
	api_expect_error(&r, 409, "conflict", "username");
	api_resp_free(&r);
	api_call(&s, "POST", "/users", s.admin, "{\"username\":\"-x\","
	    "\"password\":\"another-one\"}", &r);
	api_expect_error(&r, 400, "invalid_value", "username");
	api_resp_free(&r);
	api_call(&s, "POST", "/users", s.admin, "{\"username\":\"x\","
	    "\"password\":\"short\"}", &r);
	api_expect_error(&r, 400, "invalid_value", "password");
	api_resp_free(&r);
	api_call(&s, "POST", "/users", s.admin, "{\"username\":\"x\","
	    "\"password\":\"long-enough\",\"role\":\"root\"}", &r);
	api_expect_error(&r, 400, "invalid_value", "role");
	api_resp_free(&r);
	api_call(&s, "GET", "/users", s.admin, NULL, &r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "items")), 2);
	assert_null(strstr(r.body, "argon2"));
	assert_null(strstr(r.body, "password"));
	snprintf(user_id, sizeof(user_id), "%s", api_str(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(r.json, "items"), 0), "user_id"));
	api_resp_free(&r);
	snprintf(path, sizeof(path), "/users/%s", user_id);
	assert_int_equal(api_call(&s, "GET", path, s.admin, NULL, &r), 200);
	assert_string_equal(api_str(r.json, "username"), "op1");
	api_resp_free(&r);
	/* operator -> viewer: cannot trigger any more (no stale cache) */
	assert_int_equal(api_call(&s, "PATCH", path, s.admin,
	    "{\"role\":\"viewer\"}", &r), 200);
	assert_string_equal(api_str(r.json, "role"), "viewer");
	api_resp_free(&r);
	api_call(&s, "POST", "/jobs/" NOBODY "/run", op, NULL, &r);
	api_expect_error(&r, 403, "forbidden", NULL);
	api_resp_free(&r);
	/* deactivated: its token stops working */
	assert_int_equal(api_call(&s, "PATCH", path, s.admin,
	    "{\"is_active\":false}", &r), 200);
	api_resp_free(&r);
	api_call(&s, "GET", "/jobs", op, NULL, &r);
	api_expect_error(&r, 401, "unauthorized", NULL);
	api_resp_free(&r);
	api_call(&s, "PATCH", path, s.admin, "{\"is_active\":\"no\"}", &r);
	api_expect_error(&r, 400, "invalid_type", "is_active");
	api_resp_free(&r);
	api_call(&s, "PATCH", path, s.admin, "{}", &r);
	api_expect_error(&r, 400, "missing_field", NULL);
	api_resp_free(&r);
	/* the last admin stays */
	snprintf(path, sizeof(path), "/users/%s", admin_id);
	api_call(&s, "PATCH", path, s.admin, "{\"role\":\"viewer\"}", &r);
	api_expect_error(&r, 409, "conflict", NULL);
	api_resp_free(&r);
	api_call(&s, "DELETE", path, s.admin, NULL, &r);
	api_expect_error(&r, 409, "conflict", NULL);
	api_resp_free(&r);
	snprintf(path, sizeof(path), "/users/%s", user_id);
	assert_int_equal(api_call(&s, "DELETE", path, s.admin, NULL, &r), 204);
	api_resp_free(&r);
	api_call(&s, "DELETE", path, s.admin, NULL, &r);
	api_expect_error(&r, 404, "not_found", NULL);
	api_resp_free(&r);
	free(op);

	/* API tokens: shown once, listed without secret, revocable */
	assert_int_equal(api_call(&s, "POST", "/tokens", s.admin,
	    "{\"name\":\"ci\",\"expires_in_days\":30}", &r), 201);
	tok = strdup(api_str(r.json, "token"));
	snprintf(token_id, sizeof(token_id), "%s", api_str(r.json,
	    "token_id"));
	assert_string_equal(api_str(r.json, "kind"), "api");
	assert_string_equal(api_str(r.json, "username"), "admin");
	assert_false(cJSON_IsNull(cJSON_GetObjectItem(r.json, "expires_at")));
	api_resp_free(&r);
	assert_int_equal(api_call(&s, "GET", "/auth/me", tok, NULL, &r), 200);
	assert_string_equal(api_str(r.json, "token_kind"), "api");
	api_resp_free(&r);
	assert_int_equal(api_call(&s, "GET", "/tokens", s.admin, NULL, &r),
	    200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "items")), 1);
	assert_null(strstr(r.body, tok));
	assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(
	    r.json, "items"), 0), "token"));
	assert_false(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(r.json, "items"), 0), "last_used_at")));
	api_resp_free(&r);
	api_call(&s, "POST", "/tokens", s.admin, "{\"name\":\"x\","
	    "\"username\":\"ghost\"}", &r);
	api_expect_error(&r, 400, "invalid_value", "username");
	api_resp_free(&r);
	api_call(&s, "POST", "/tokens", s.admin, "{\"name\":\"x\","
	    "\"expires_in_days\":0}", &r);
	api_expect_error(&r, 400, "invalid_value", "expires_in_days");
	api_resp_free(&r);
	api_call(&s, "POST", "/tokens", s.admin, "{}", &r);
	api_expect_error(&r, 400, "missing_field", "name");
	api_resp_free(&r);
	snprintf(path, sizeof(path), "/tokens/%s", token_id);
	assert_int_equal(api_call(&s, "DELETE", path, s.admin, NULL, &r), 204);
	api_resp_free(&r);
	api_call(&s, "GET", "/auth/me", tok, NULL, &r);
	api_expect_error(&r, 401, "unauthorized", NULL);
	api_resp_free(&r);
	free(tok);

	/* an expired token (never used, so never remembered) */
	assert_int_equal(api_call(&s, "POST", "/tokens", s.admin,
	    "{\"name\":\"short\"}", &r), 201);
	tmp = strdup(api_str(r.json, "token"));
	snprintf(sql, sizeof(sql), "UPDATE api_tokens SET expires_at = now() - "
	    "interval '1 second' WHERE token_id = '%s'", api_str(r.json,
	    "token_id"));
	api_resp_free(&r);
	api_sql(c, sql);
	api_call(&s, "GET", "/jobs", tmp, NULL, &r);
	api_expect_error(&r, 401, "unauthorized", NULL);
	api_resp_free(&r);
	free(tmp);

	/* logout ends the session */
	assert_int_equal(api_call(&s, "POST", "/auth/logout", s.admin, NULL,
	    &r), 204);
	api_resp_free(&r);
	api_call(&s, "GET", "/jobs", s.admin, NULL, &r);
	api_expect_error(&r, 401, "unauthorized", NULL);
	api_resp_free(&r);
	PQfinish(c);
}

static void
test_login_rate_limit(void **state)
{
	struct api_stack	s;
	struct api_resp		r;
	char			retry[16];
	int			limited = 0;

	(void)state;
	api_stack_start(&s, "api_ratelimit", API_NO_LOGIN, NULL, NULL);
	for (int i = 0; i < 10; i++) {
		api_call(&s, "POST", "/auth/login", NULL, "{\"username\":"
		    "\"admin\",\"password\":\"guess-guess\"}", &r);
		api_expect_error(&r, 401, "invalid_credentials", NULL);
		api_resp_free(&r);
	}
	/* the eleventh, even with the right password */
	api_call(&s, "POST", "/auth/login", NULL, "{\"username\":\"admin\","
	    "\"password\":\"" API_ADMIN_PASSWORD "\"}", &r);
	api_expect_error(&r, 429, "too_many_requests", NULL);
	api_header(&r, "Retry-After", retry, sizeof(retry));
	limited = atoi(retry);
	assert_true(limited >= 1 && limited <= 60);
	api_resp_free(&r);
	/* other routes are not limited */
	assert_int_equal(api_call(&s, "GET", "/health", NULL, NULL, &r), 200);
	api_resp_free(&r);
}

static void
test_auth_off(void **state)
{
	const char		*env[] = { "ORK_AUTH=off", NULL };
	struct api_stack	 s;
	struct api_resp		 r;

	(void)state;
	api_stack_start(&s, "api_authoff", API_NO_LOGIN, NULL, env);
	assert_true(h_log_count(&s.api, "authentication is off") >= 1);
	assert_int_equal(api_call(&s, "GET", "/auth/me", NULL, NULL, &r), 200);
	assert_string_equal(api_str(r.json, "role"), "admin");
	assert_string_equal(api_str(r.json, "auth"), "off");
	api_resp_free(&r);
	assert_int_equal(api_call(&s, "POST", "/jobs", NULL, "{\"job_name\":"
	    "\"a\",\"tasks\":[{\"extractor_config\":{\"type\":\"noop\"}}]}",
	    &r), 201);
	api_resp_free(&r);
	/* a token names its user when nobody is signed in */
	api_call(&s, "POST", "/tokens", NULL, "{\"name\":\"x\"}", &r);
	api_expect_error(&r, 400, "missing_field", "username");
	api_resp_free(&r);
	assert_int_equal(api_call(&s, "POST", "/tokens", NULL, "{\"name\":"
	    "\"x\",\"username\":\"admin\"}", &r), 201);
	api_resp_free(&r);
	assert_int_equal(api_call(&s, "POST", "/auth/logout", NULL, NULL, &r),
	    204);
	api_resp_free(&r);
}

/* run_cli runs "ork-api create-user" with a password on stdin. */
static int
run_cli(const struct api_stack *s, const char *password, const char *name,
    const char *role)
{
	char		cmd[2048], bin[H_PATH_MAX];
	const char	*args[] = { "-c", cmd, NULL };

	h_bin("ork-api", bin, sizeof(bin));
	snprintf(cmd, sizeof(cmd), "printf '%%s\\n' '%s' | '%s' '%s' "
	    "create-user '%s' '%s'", password, bin, s->a_db, name, role);
	return h_run("api_cli", "/bin/sh", args, NULL, 30000);
}

static void
test_create_user_and_first_admin(void **state)
{
	struct api_stack	 s;
	struct api_resp		 r;
	char			*tok;

	(void)state;
	api_stack_start(&s, "api_cli", 0, NULL, NULL);
	assert_int_equal(h_log_count(&s.api, "created the first admin "
	    "\"admin\""), 1);
	assert_int_equal(run_cli(&s, "bobs-password", "bob", "operator"), 0);
	tok = api_login(&s, "bob", "bobs-password");
	assert_int_equal(api_call(&s, "GET", "/auth/me", tok, NULL, &r), 200);
	assert_string_equal(api_str(r.json, "role"), "operator");
	api_resp_free(&r);
	free(tok);
	assert_int_equal(run_cli(&s, "bobs-password", "bob", "operator"), 1);
	assert_int_equal(run_cli(&s, "bobs-password", "carl", "root"), 2);
	assert_int_equal(run_cli(&s, "short", "carl", "viewer"), 2);
	assert_int_equal(run_cli(&s, "long-enough", "bad name", "viewer"), 2);

	/* a second start: users exist, the password is not used */
	h_kill(&s.api);
	api_start_api(&s, "api_cli-api2", NULL, NULL);
	assert_int_equal(h_log_count(&s.api, "users exist"), 1);

	/* an empty database and a password too short: exit 2 */
	h_kill(&s.api);
	{
		PGconn *c = h_db_connect(s.db);

		api_sql(c, "DELETE FROM users");
		PQfinish(c);
	}
	{
		const char	*args[] = { s.a_db, s.a_control, s.a_events,
		    s.a_api, NULL };
		const char	*env[] = { "ORK_ADMIN_PASSWORD=short", NULL };

		h_spawn(&s.api, "api_cli-api3", "ork-api", args, env);
		assert_true(h_wait_exit(&s.api, 20000));
		assert_int_equal(WEXITSTATUS(s.api.status), 2);
		assert_int_equal(h_log_count(&s.api, "ORK_ADMIN_PASSWORD must "
		    "have"), 1);
	}
	/* no user and no password: it serves, and says what to do */
	{
		const char	*args[] = { s.a_db, s.a_control, s.a_events,
		    s.a_api, NULL };

		h_spawn(&s.api, "api_cli-api4", "ork-api", args, NULL);
		assert_true(h_wait_log(&s.api, "ready:", 20000));
		assert_int_equal(h_log_count(&s.api, "no user exists"), 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_role_matrix, api_teardown),
		cmocka_unit_test_teardown(test_login_tokens_users,
		    api_teardown),
		cmocka_unit_test_teardown(test_login_rate_limit, api_teardown),
		cmocka_unit_test_teardown(test_auth_off, api_teardown),
		cmocka_unit_test_teardown(test_create_user_and_first_admin,
		    api_teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
