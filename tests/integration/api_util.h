/*
 * api_util.h - what the ork-api tests share: a stack of real daemons
 * (ork-api, optionally ork-orchestrator and ork-worker) on a fresh
 * database, and HTTP requests that keep the answer's status, headers
 * and parsed JSON.  Header-only: each api_*_test.c is its own program.
 */
#ifndef ORK_API_UTIL_H
#define ORK_API_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "harness.h"

#define API_UNUSED __attribute__((unused))

/* The first admin's password, given to every ork-api started here. */
#define API_ADMIN_PASSWORD "admin-password-1"

/* What a stack runs. */
#define API_WITH_ORCH	0x1
#define API_WITH_WORKER	0x2
#define API_NO_LOGIN	0x100	/* do not log in as the admin */

struct api_stack {
	char		db[H_URL_MAX];
	int		control, events, ohealth, whealth, port;
	struct h_proc	orch, worker, api;
	int		has_orch, has_worker, has_api;
	char		a_db[H_URL_MAX + 32], a_control[64], a_events[64];
	char		a_ohealth[64], a_whealth[64], a_api[64];
	char		base[64];
	char		admin[256];	/* an admin's token */
};

static struct api_stack *api_cur;

/* One answer. */
struct api_resp {
	long	 status;
	char	*body;
	char	 headers[8192];
	cJSON	*json;		/* NULL unless the body is JSON */
};

static size_t
api_on_body(char *ptr, size_t size, size_t n, void *arg)
{
	struct api_resp	*r = arg;
	size_t		 len = size * n, old = r->body != NULL ?
	    strlen(r->body) : 0;
	char		*nb = realloc(r->body, old + len + 1);

	if (nb == NULL)
		return 0;
	memcpy(nb + old, ptr, len);
	nb[old + len] = '\0';
	r->body = nb;
	return len;
}

static size_t
api_on_header(char *ptr, size_t size, size_t n, void *arg)
{
	struct api_resp	*r = arg;
	size_t		 len = size * n, old = strlen(r->headers);

	if (old + len < sizeof(r->headers)) {
		memcpy(r->headers + old, ptr, len);
		r->headers[old + len] = '\0';
	}
	return len;
}

static API_UNUSED void
api_resp_free(struct api_resp *r)
{
	free(r->body);
	cJSON_Delete(r->json);
	memset(r, 0, sizeof(*r));
}

/*
 * api_call_on makes one request with the handle h (keep-alive across
 * calls); ctype NULL means application/json when there is a body, ""
 * means no Content-Type at all.  Extra is a NULL-ended list of header
 * lines (may be NULL).  Returns the status (-1: unreachable).
 */
static API_UNUSED long
api_call_on(CURL *h, const struct api_stack *s, const char *method,
    const char *path, const char *token, const char *ctype, const char *body,
    size_t bodylen, const char *const *extra, struct api_resp *r)
{
	struct curl_slist	*hl = NULL;
	char			 url[1024], auth[512], ct[256];

	memset(r, 0, sizeof(*r));
	r->status = -1;
	snprintf(url, sizeof(url), "%s%s", s->base, path);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, api_on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, api_on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hl = curl_slist_append(hl, auth);
	}
	if (body != NULL) {
		int expect = 0;

		for (const char *const *x = extra; x != NULL && *x != NULL; x++)
			expect |= strncasecmp(*x, "Expect:", 7) == 0;
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)bodylen);
		/* no "Expect: 100-continue" round trip unless asked for */
		if (!expect)
			hl = curl_slist_append(hl, "Expect:");
	}
	if (ctype == NULL && body != NULL)
		ctype = "application/json";
	if (ctype != NULL && ctype[0] != '\0') {
		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
		hl = curl_slist_append(hl, ct);
	} else if (body != NULL)
		hl = curl_slist_append(hl, "Content-Type:");
	for (; extra != NULL && *extra != NULL; extra++)
		hl = curl_slist_append(hl, *extra);
	if (hl != NULL)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	if (r->body != NULL)
		r->json = cJSON_Parse(r->body);
	return r->status;
}

/* api_call is api_call_on with a handle of its own. */
static API_UNUSED long
api_call(const struct api_stack *s, const char *method, const char *path,
    const char *token, const char *body, struct api_resp *r)
{
	CURL *h = curl_easy_init();
	long  st;

	assert_non_null(h);
	st = api_call_on(h, s, method, path, token, NULL, body,
	    body != NULL ? strlen(body) : 0, NULL, r);
	curl_easy_cleanup(h);
	return st;
}

/* api_call_ct sends a body with a chosen Content-Type and headers. */
static API_UNUSED long
api_call_ct(const struct api_stack *s, const char *method, const char *path,
    const char *token, const char *ctype, const char *body, size_t len,
    const char *const *extra, struct api_resp *r)
{
	CURL *h = curl_easy_init();
	long  st;

	assert_non_null(h);
	st = api_call_on(h, s, method, path, token, ctype, body, len, extra, r);
	curl_easy_cleanup(h);
	return st;
}

/* api_header copies the value of a response header ("" if absent). */
static API_UNUSED void
api_header(const struct api_resp *r, const char *name, char *out,
    size_t len)
{
	const char	*p = r->headers;
	size_t		 n = strlen(name);

	out[0] = '\0';
	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			size_t	    vl;

			while (*v == ' ')
				v++;
			vl = strcspn(v, "\r\n");
			snprintf(out, len, "%.*s", (int)vl, v);
			return;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
}

/* api_sql runs one statement on a test's own connection or fails. */
static API_UNUSED void
api_sql(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
}

/* api_str returns a string member of an object, "" when absent. */
static API_UNUSED const char *
api_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/*
 * api_expect_error checks an error answer: status, the JSON shape
 * {"error": {"code", "message", "field"?}}, the code and the field
 * (NULL: no field member at all).
 */
static API_UNUSED void
api_expect_error(const struct api_resp *r, long status, const char *code,
    const char *field)
{
	const cJSON *err, *f;

	if (r->status != status)
		fail_msg("want status %ld, got %ld: %s", status, r->status,
		    r->body != NULL ? r->body : "(no body)");
	assert_non_null(r->json);
	err = cJSON_GetObjectItemCaseSensitive(r->json, "error");
	assert_non_null(err);
	if (strcmp(api_str(err, "code"), code) != 0)
		fail_msg("want code %s, got %s", code, r->body);
	assert_true(api_str(err, "message")[0] != '\0');
	f = cJSON_GetObjectItemCaseSensitive(err, "field");
	if (field == NULL) {
		if (f != NULL)
			fail_msg("want no field, got %s", r->body);
	} else if (!cJSON_IsString(f) || strcmp(f->valuestring, field) != 0)
		fail_msg("want field %s, got %s", field, r->body);
}

/* api_login returns a malloc'd token of a user, or fails the test. */
static API_UNUSED char *
api_login(const struct api_stack *s, const char *user, const char *pw)
{
	struct api_resp	 r;
	char		 body[512];
	char		*tok;

	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":"
	    "\"%s\"}", user, pw);
	if (api_call(s, "POST", "/auth/login", NULL, body, &r) != 200)
		fail_msg("login as %s: %ld %s", user, r.status, r.body);
	tok = strdup(api_str(r.json, "token"));
	api_resp_free(&r);
	assert_true(strncmp(tok, "ork_", 4) == 0);
	return tok;
}

/* api_start_api starts ork-api on the stack's database. */
static API_UNUSED void
api_start_api(struct api_stack *s, const char *log, const char *const *args,
    const char *const *env)
{
	const char	*argv[32];
	const char	*envv[16];
	int		 n = 0, m = 0;
	static char	 admin_env[] = "ORK_ADMIN_PASSWORD=" API_ADMIN_PASSWORD;

	argv[n++] = s->a_db;
	argv[n++] = s->a_control;
	argv[n++] = s->a_events;
	argv[n++] = s->a_api;
	for (; args != NULL && *args != NULL && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	envv[m++] = admin_env;
	for (; env != NULL && *env != NULL && m < 15; env++)
		envv[m++] = *env;
	envv[m] = NULL;
	h_spawn(&s->api, log, "ork-api", argv, envv);
	s->has_api = 1;
	if (!h_wait_log(&s->api, "ready:", 20000))
		fail_msg("ork-api did not get ready (see %s)", s->api.log);
}

/*
 * api_stack_init makes database t_<name> and picks the stack's ports and
 * daemon options; it starts nothing.
 */
static API_UNUSED void
api_stack_init(struct api_stack *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	api_cur = s;
	h_db_create(name, 1, s->db, sizeof(s->db));
	s->control = h_free_port();
	s->events = h_free_port();
	s->ohealth = h_free_port();
	s->whealth = h_free_port();
	s->port = h_free_port();
	snprintf(s->a_db, sizeof(s->a_db), "--database-url=%s", s->db);
	snprintf(s->a_control, sizeof(s->a_control),
	    "--orchestrator-control=tcp://127.0.0.1:%d", s->control);
	snprintf(s->a_events, sizeof(s->a_events),
	    "--orchestrator-events=tcp://127.0.0.1:%d", s->events);
	snprintf(s->a_ohealth, sizeof(s->a_ohealth),
	    "--health-listen=127.0.0.1:%d", s->ohealth);
	snprintf(s->a_whealth, sizeof(s->a_whealth),
	    "--health-listen=127.0.0.1:%d", s->whealth);
	snprintf(s->a_api, sizeof(s->a_api), "--api-listen=127.0.0.1:%d",
	    s->port);
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
}

/*
 * api_stack_start makes database t_<name>, starts what flags ask for
 * and ork-api (with extra args and env), and logs in as the admin.
 */
static API_UNUSED void
api_stack_start(struct api_stack *s, const char *name, unsigned flags,
    const char *const *args, const char *const *env)
{
	char log[128];

	api_stack_init(s, name);
	if (flags & API_WITH_ORCH) {
		const char *a[] = { s->a_db, s->a_control, s->a_events,
		    s->a_ohealth, NULL };

		snprintf(log, sizeof(log), "%s-orchestrator", name);
		h_spawn(&s->orch, log, "ork-orchestrator", a, NULL);
		s->has_orch = 1;
		if (!h_wait_log(&s->orch, "ready:", 20000))
			fail_msg("ork-orchestrator did not get ready");
	}
	if (flags & API_WITH_WORKER) {
		const char *a[] = { s->a_control, s->a_events, s->a_whealth,
		    "--worker-id=w1", NULL };

		snprintf(log, sizeof(log), "%s-worker", name);
		h_spawn(&s->worker, log, "ork-worker", a, NULL);
		s->has_worker = 1;
		if (!h_wait_log(&s->worker, "ready:", 20000))
			fail_msg("ork-worker did not get ready");
	}
	snprintf(log, sizeof(log), "%s-api", name);
	api_start_api(s, log, args, env);
	if (!(flags & API_NO_LOGIN)) {
		char *tok = api_login(s, "admin", API_ADMIN_PASSWORD);

		snprintf(s->admin, sizeof(s->admin), "%s", tok);
		free(tok);
	}
}

/* api_teardown stops whatever the current stack runs (also on failure). */
static API_UNUSED int
api_teardown(void **state)
{
	(void)state;
	if (api_cur != NULL) {
		if (api_cur->has_api)
			h_kill(&api_cur->api);
		if (api_cur->has_worker)
			h_kill(&api_cur->worker);
		if (api_cur->has_orch)
			h_kill(&api_cur->orch);
		api_cur = NULL;
	}
	return 0;
}

/*
 * api_create_job posts a job body and returns its job_id (malloc'd),
 * failing the test unless it is created.
 */
static API_UNUSED char *
api_create_job(const struct api_stack *s, const char *body)
{
	struct api_resp	 r;
	char		*id;

	if (api_call(s, "POST", "/jobs", s->admin, body, &r) != 201)
		fail_msg("creating a job: %ld %s", r.status, r.body);
	id = strdup(api_str(r.json, "job_id"));
	api_resp_free(&r);
	return id;
}

/*
 * api_wait_run polls GET /runs/{id} until its status is want (or a
 * final status), up to timeout_ms; returns 1 when it became want.
 */
static API_UNUSED int
api_wait_run(const struct api_stack *s, const char *run_id, const char *want,
    int timeout_ms)
{
	char path[128], last[32] = "";

	snprintf(path, sizeof(path), "/runs/%s", run_id);
	for (int waited = 0; waited < timeout_ms; waited += 50) {
		struct api_resp r;

		if (api_call(s, "GET", path, s->admin, NULL, &r) == 200) {
			snprintf(last, sizeof(last), "%s", api_str(r.json,
			    "status"));
			api_resp_free(&r);
			if (strcmp(last, want) == 0)
				return 1;
		} else
			api_resp_free(&r);
		h_sleep_ms(50);
	}
	print_error("run %s: still %s after %d ms, want %s\n", run_id, last,
	    timeout_ms, want);
	return 0;
}

#endif /* ORK_API_UTIL_H */
