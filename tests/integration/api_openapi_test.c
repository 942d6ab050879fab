/*
 * api_openapi_test.c - GET /openapi.json matches the server: the
 * document is OpenAPI 3 with every reference resolvable, and a walk of
 * every path and method in it, with real ids, gets an answer that is
 * neither "no such route" (404) nor "method not allowed" (405), with a
 * status the document lists for that operation.
 */
#include "api_util.h"

/* resolve finds "#/components/..." in the document. */
static const cJSON *
resolve(const cJSON *doc, const char *ref)
{
	char		 copy[256];
	const cJSON	*at = doc;
	char		*p, *slash;

	if (strncmp(ref, "#/", 2) != 0)
		return NULL;
	snprintf(copy, sizeof(copy), "%s", ref + 2);
	for (p = copy; p != NULL && at != NULL; p = slash) {
		slash = strchr(p, '/');
		if (slash != NULL)
			*slash++ = '\0';
		at = cJSON_GetObjectItemCaseSensitive(at, p);
	}
	return at;
}

/* every $ref anywhere under v resolves; counts them. */
static void
check_refs(const cJSON *doc, const cJSON *v, int *n)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, v) {
		if (c->string != NULL && strcmp(c->string, "$ref") == 0) {
			if (!cJSON_IsString(c) || resolve(doc,
			    c->valuestring) == NULL)
				fail_msg("unresolved $ref %s", cJSON_IsString(c) ?
				    c->valuestring : "?");
			(*n)++;
		}
		check_refs(doc, c, n);
	}
}

/* The body each operation is walked with (NULL: none). */
static const char *
body_of(const char *op)
{
	static const struct {
		const char *op, *body;
	} bodies[] = {
		{ "login", "{\"username\":\"admin\",\"password\":\""
		    API_ADMIN_PASSWORD "\"}" },
		{ "createJob", "{\"job_name\":\"walk-new\",\"tasks\":[{"
		    "\"extractor_config\":{\"type\":\"noop\"}}]}" },
		{ "replaceJob", "{\"job_name\":\"walk\",\"tasks\":[{"
		    "\"extractor_config\":{\"type\":\"noop\"}}]}" },
		{ "patchJob", "{\"description\":\"walked\"}" },
		{ "createToken", "{\"name\":\"walk\"}" },
		{ "createUser", "{\"username\":\"walker2\",\"password\":"
		    "\"walker-password\"}" },
		{ "patchUser", "{\"role\":\"operator\"}" },
	};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		if (strcmp(bodies[i].op, op) == 0)
			return bodies[i].body;
	return NULL;
}

struct ids {
	char job[64], run[64], task[64], token[64], user[64];
};

static void
fill_path(const char *tmpl, const struct ids *ids, char *out, size_t len)
{
	static const struct {
		const char *name;
		size_t	    off;
	} params[] = {
		{ "{job_id}", offsetof(struct ids, job) },
		{ "{run_id}", offsetof(struct ids, run) },
		{ "{task_run_id}", offsetof(struct ids, task) },
		{ "{token_id}", offsetof(struct ids, token) },
		{ "{user_id}", offsetof(struct ids, user) },
	};
	size_t o = 0;

	while (*tmpl != '\0' && o + 64 < len) {
		int done = 0;

		for (size_t i = 0; i < 5 && !done; i++)
			if (strncmp(tmpl, params[i].name,
			    strlen(params[i].name)) == 0) {
				o += (size_t)snprintf(out + o, len - o, "%s",
				    (const char *)ids + params[i].off);
				tmpl += strlen(params[i].name);
				done = 1;
			}
		if (!done)
			out[o++] = *tmpl++;
	}
	out[o] = '\0';
}

/* stream_status: the status of a streaming answer (headers only). */
static long
stream_status(const struct api_stack *s, const char *path, const char *tok)
{
	CURL			*h = curl_easy_init();
	struct curl_slist	*hl = NULL;
	struct api_resp		 r;
	char			 url[640], auth[512];
	long			 st = -1;

	memset(&r, 0, sizeof(r));
	snprintf(url, sizeof(url), "%s%s", s->base, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
	hl = curl_slist_append(hl, auth);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, api_on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_perform(h);	/* times out: it is a stream */
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	free(r.body);
	return st;
}

static void
test_walk(void **state)
{
	struct api_stack	 s;
	struct api_resp		 doc, r;
	struct ids		 ids;
	PGconn			*c;
	const cJSON		*paths, *p, *op;
	char			 sql[512], tok2[256];
	int			 refs = 0, walked = 0, pass;

	(void)state;
	api_stack_start(&s, "api_openapi", API_WITH_ORCH, NULL, NULL);
	c = h_db_connect(s.db);

	assert_int_equal(api_call(&s, "GET", "/openapi.json", NULL, NULL,
	    &doc), 200);
	assert_non_null(doc.json);
	assert_true(strncmp(api_str(doc.json, "openapi"), "3.", 2) == 0);
	assert_true(api_str(cJSON_GetObjectItem(doc.json, "info"),
	    "version")[0] != '\0');
	check_refs(doc.json, doc.json, &refs);
	assert_true(refs > 50);
	paths = cJSON_GetObjectItem(doc.json, "paths");
	assert_true(cJSON_GetArraySize(paths) >= 20);

	/* real things for every path parameter */
	memset(&ids, 0, sizeof(ids));
	free(api_create_job(&s, "{\"job_name\":\"walk\",\"tasks\":[{"
	    "\"extractor_config\":{\"type\":\"noop\"}}]}"));
	h_db_value(c, "SELECT job_id FROM job_definitions", ids.job,
	    sizeof(ids.job));
	snprintf(sql, sizeof(sql), "INSERT INTO job_runs (job_id, status, "
	    "triggered_by, finished_at) VALUES ('%s', 'failed', 'manual', "
	    "now()) RETURNING run_id", ids.job);
	h_db_value(c, sql, ids.run, sizeof(ids.run));
	snprintf(sql, sizeof(sql), "INSERT INTO task_runs (run_id, job_id, "
	    "task_order, kind, extractor_config, status, attempt) VALUES ('%s', "
	    "'%s', 0, 'noop', '{\"type\":\"noop\"}', 'failed', 1) RETURNING "
	    "task_run_id", ids.run, ids.job);
	h_db_value(c, sql, ids.task, sizeof(ids.task));
	assert_int_equal(api_call(&s, "POST", "/users", s.admin,
	    "{\"username\":\"walker\",\"password\":\"walker-password\"}", &r),
	    201);
	snprintf(ids.user, sizeof(ids.user), "%s", api_str(r.json, "user_id"));
	api_resp_free(&r);
	assert_int_equal(api_call(&s, "POST", "/tokens", s.admin,
	    "{\"name\":\"walk-delete\"}", &r), 201);
	snprintf(ids.token, sizeof(ids.token), "%s", api_str(r.json,
	    "token_id"));
	api_resp_free(&r);
	/* a second admin token for the logout, which revokes it */
	assert_int_equal(api_call(&s, "POST", "/tokens", s.admin,
	    "{\"name\":\"walk-logout\"}", &r), 201);
	snprintf(tok2, sizeof(tok2), "%s", api_str(r.json, "token"));
	api_resp_free(&r);

	/* pass 0: all but DELETE; pass 1: DELETE */
	for (pass = 0; pass < 2; pass++) {
		cJSON_ArrayForEach(p, paths) {
			cJSON_ArrayForEach(op, p) {
				char		 path[512], method[16], code[8];
				const char	*opid = api_str(op, "operationId");
				const char	*body = body_of(opid);
				const cJSON	*responses;
				int		 is_delete;
				long		 st;

				snprintf(method, sizeof(method), "%s",
				    op->string);
				for (char *m = method; *m != '\0'; m++)
					*m = (char)(*m - 32 * (*m >= 'a' &&
					    *m <= 'z'));
				is_delete = strcmp(method, "DELETE") == 0;
				if (is_delete != pass)
					continue;
				fill_path(p->string, &ids, path, sizeof(path));
				if (strcmp(opid, "streamEvents") == 0)
					st = stream_status(&s, path, s.admin);
				else {
					api_call(&s, method, path,
					    strcmp(opid, "logout") == 0 ? tok2 :
					    s.admin, body, &r);
					st = r.status;
					if (st == 404 && strstr(r.body,
					    "no route") != NULL)
						st = -404;
					api_resp_free(&r);
				}
				if (st == -404 || st == 405 || st < 0)
					fail_msg("%s %s: %ld", method, path, st);
				/* the status is one the document lists */
				responses = cJSON_GetObjectItem(op, "responses");
				snprintf(code, sizeof(code), "%ld", st);
				if (cJSON_GetObjectItem(responses, code) == NULL)
					fail_msg("%s %s answered %ld, not in its "
					    "responses", method, path, st);
				walked++;
			}
		}
	}
	assert_true(walked >= 30);
	api_resp_free(&doc);
	PQfinish(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_walk, api_teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
