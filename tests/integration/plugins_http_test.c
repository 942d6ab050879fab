/*
 * plugins_http_test.c - http tasks end to end through ork-orchestrator
 * and ork-worker against a real HTTP server (civetweb) this test starts
 * on loopback: page-number pagination with a bearer token, a 429 with
 * Retry-After and a 500 on the way (both retried), Link-header and
 * cursor pagination, nested objects flattened, a 404 failing the task,
 * into PostgreSQL and a DuckDB file; the token never reaches task_logs;
 * an incremental load whose mark goes to the API as a query parameter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <civetweb.h>
#include <cmocka.h>
#include <duckdb.h>
#include <zlib.h>

#include "harness.h"

#define TOKEN "tok-Hq7-never-logged"

static struct h_orch	 orch;
static struct h_proc	 worker;
static char		 db[H_URL_MAX], dest[H_URL_MAX];
static PGconn		*conn, *dconn;
static struct mg_context *web;
static int		 web_port;
static volatile int	 hits_429, hits_500, hits_unauth;

static void
reply(struct mg_connection *c, int status, const char *extra,
    const char *body)
{
	mg_printf(c, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n%s\r\n%s", status,
	    strlen(body), extra, body);
}

/* qnum reads an integer query parameter; dflt when absent. */
static int
qnum(struct mg_connection *c, const char *name, int dflt)
{
	const struct mg_request_info	*ri = mg_get_request_info(c);
	char				 v[32];

	if (ri->query_string == NULL || mg_get_var(ri->query_string,
	    strlen(ri->query_string), name, v, sizeof(v)) < 0)
		return dflt;
	return (int)strtol(v, NULL, 10);
}

/* /pages?page=N: 3 pages of 2 records, a 429 and a 500 on the way. */
static int
on_pages(struct mg_connection *c, void *arg)
{
	const char	*auth = mg_get_header(c, "Authorization");
	int		 page = qnum(c, "page", 1);
	char		 body[1024];

	(void)arg;
	if (auth == NULL || strcmp(auth, "Bearer " TOKEN) != 0) {
		hits_unauth++;
		reply(c, 401, "", "{\"error\": \"no token\"}");
		return 401;
	}
	if (page == 2 && hits_429++ == 0) {
		reply(c, 429, "Retry-After: 1\r\n", "{}");
		return 429;
	}
	if (page == 3 && hits_500++ == 0) {
		reply(c, 500, "", "{}");
		return 500;
	}
	if (page > 3) {
		reply(c, 200, "", "{\"data\": {\"items\": []}}");
		return 200;
	}
	snprintf(body, sizeof(body), "{\"data\": {\"items\": ["
	    "{\"id\": %d, \"name\": \"n%d\", \"meta\": {\"score\": %d.5, "
	    "\"tags\": [\"a\", \"b\"]}, \"ok\": true, \"gone\": null},"
	    "{\"id\": %d, \"name\": \"quote \\\" tab\\t\", \"meta\": "
	    "{\"score\": 0, \"tags\": []}, \"ok\": false, \"gone\": null}]}}",
	    page * 10 + 1, page, page, page * 10 + 2);
	reply(c, 200, "", body);
	return 200;
}

/* /link?p=N: Link header pagination with a relative next link. */
static int
on_link(struct mg_connection *c, void *arg)
{
	int	p = qnum(c, "p", 1);
	char	body[256], hdr[128];

	(void)arg;
	/* the last page brings a key the first did not have */
	snprintf(body, sizeof(body), "[{\"k\": %d%s}, {\"k\": %d}]", p * 2 - 1,
	    p == 3 ? ", \"extra\": {\"a\": 1, \"b\": 2}" : "", p * 2);
	if (p < 3)
		snprintf(hdr, sizeof(hdr), "Link: </link?p=%d>; rel=\"next\"\r\n",
		    p + 1);
	else
		hdr[0] = '\0';
	reply(c, 200, hdr, body);
	return 200;
}

/* /cursor?after=X: cursor pagination, "next" null at the end. */
static int
on_cursor(struct mg_connection *c, void *arg)
{
	int	after = qnum(c, "after", 0);
	char	body[256];

	(void)arg;
	if (after >= 4)
		snprintf(body, sizeof(body), "{\"items\": [{\"v\": %d}], "
		    "\"next\": null}", after + 1);
	else
		snprintf(body, sizeof(body), "{\"items\": [{\"v\": %d}], "
		    "\"next\": \"%d\"}", after + 1, after + 1);
	reply(c, 200, "", body);
	return 200;
}

/*
 * /items?page=N&since=X: the records of items_version, 2 a page.  The
 * since the first page was asked with is recorded and not applied: the
 * worker leaves out what is below its mark.  items_fail: page 2 is a
 * 404.
 */
static int	items_version = 1, items_fail;
static char	items_since[128];

static int
on_items(struct mg_connection *c, void *arg)
{
	static const char *const v1[] = {
	    "{\"id\": 1, \"updated_at\": \"2026-01-01T10:00:00Z\", \"v\": \"a\"}",
	    "{\"id\": 2, \"updated_at\": \"2026-01-01T11:00:00Z\", \"v\": \"b\"}",
	    "{\"id\": 3, \"updated_at\": \"2026-01-01T12:00:00+00:00\", "
	    "\"v\": \"c\"}", NULL };
	/* 2 updated; 4 at the old mark's instant in another zone; 5, 6 */
	static const char *const v2[] = {
	    "{\"id\": 1, \"updated_at\": \"2026-01-01T10:00:00Z\", \"v\": \"a\"}",
	    "{\"id\": 2, \"updated_at\": \"2026-01-01T13:00:00Z\", \"v\": \"B\"}",
	    "{\"id\": 3, \"updated_at\": \"2026-01-01T12:00:00+00:00\", "
	    "\"v\": \"c\"}",
	    "{\"id\": 4, \"updated_at\": \"2026-01-01T14:00:00+02:00\", "
	    "\"v\": \"d\"}",
	    "{\"id\": 5, \"updated_at\": \"2026-01-02T00:00:00Z\", \"v\": \"e\"}",
	    "{\"id\": 6, \"updated_at\": \"2026-01-03T00:00:00Z\", \"v\": \"f\"}",
	    NULL };
	const struct mg_request_info	*ri = mg_get_request_info(c);
	const char *const		*recs = items_version == 1 ? v1 : v2;
	int				 page = qnum(c, "page", 1), n = 0;
	int				 count = items_version == 1 ? 3 :
	    items_version == 2 ? 5 : 6;
	char				 body[2048];
	size_t				 len;

	(void)arg;
	if (page == 1) {
		items_since[0] = '\0';
		if (ri->query_string != NULL)
			(void)mg_get_var(ri->query_string,
			    strlen(ri->query_string), "since", items_since,
			    sizeof(items_since));
	}
	if (page == 2 && items_fail) {
		reply(c, 404, "", "{}");
		return 404;
	}
	len = (size_t)snprintf(body, sizeof(body), "[");
	for (int i = (page - 1) * 2; i < count && i < page * 2 &&
	    recs[i] != NULL; i++)
		len += (size_t)snprintf(body + len, sizeof(body) - len, "%s%s",
		    n++ > 0 ? "," : "", recs[i]);
	snprintf(body + len, sizeof(body) - len, "]");
	reply(c, 200, "", body);
	return 200;
}

/* The CSV served over HTTP: 50,000 rows (over 1 MiB), and gzipped. */
static char	*csv_text, *csv_gz;
static size_t	 csv_len, csv_gz_len;

static void
make_csv(void)
{
	z_stream	z;
	size_t		cap = 4u * 1024 * 1024, n = 0;

	csv_text = malloc(cap);
	assert_non_null(csv_text);
	n += (size_t)snprintf(csv_text + n, cap - n, "id,label\r\n");
	for (int i = 0; i < 50000; i++)
		n += (size_t)snprintf(csv_text + n, cap - n,
		    "%d,\"line %d, with\nbreak\"\r\n", i, i);
	csv_len = n;
	csv_gz = malloc(cap);
	assert_non_null(csv_gz);
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)csv_text;
	z.avail_in = (uInt)csv_len;
	z.next_out = (Bytef *)csv_gz;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	csv_gz_len = cap - z.avail_out;
	deflateEnd(&z);
}

/* /file.csv and /file.csv.gz, written in 64 KiB pieces. */
static int
on_file(struct mg_connection *c, void *arg)
{
	const struct mg_request_info	*ri = mg_get_request_info(c);
	int				 gz = strstr(ri->local_uri, ".gz") != NULL;
	const char			*p = gz ? csv_gz : csv_text;
	size_t				 len = gz ? csv_gz_len : csv_len;

	(void)arg;
	mg_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", len);
	for (size_t off = 0; off < len; off += 65536)
		if (mg_write(c, p + off, len - off < 65536 ? len - off : 65536)
		    <= 0)
			break;
	return 200;
}

/* /offset?offset=N&limit=M over 7 records. */
static int
on_offset(struct mg_connection *c, void *arg)
{
	int	off = qnum(c, "offset", -1), lim = qnum(c, "limit", -1);
	char	body[512];
	size_t	n = 0;

	(void)arg;
	if (off < 0 || lim != 3) {
		reply(c, 400, "", "{}");
		return 400;
	}
	n += (size_t)snprintf(body + n, sizeof(body) - n, "[");
	for (int i = off; i < off + lim && i < 7; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "%s{\"i\": %d}",
		    i > off ? "," : "", i);
	snprintf(body + n, sizeof(body) - n, "]");
	reply(c, 200, "", body);
	return 200;
}

/*
 * /post: a POST with basic auth, a header and a query parameter from
 * secret references, and a JSON body; next_url pagination to page 2.
 */
static int
on_post(struct mg_connection *c, void *arg)
{
	const struct mg_request_info	*ri = mg_get_request_info(c);
	const char			*auth = mg_get_header(c, "Authorization");
	const char			*key = mg_get_header(c, "X-Key");
	char				 body[256], q[64];
	int				 n, page = qnum(c, "page", 1);

	(void)arg;
	n = mg_read(c, body, sizeof(body) - 1);
	body[n > 0 ? n : 0] = '\0';
	if (strcmp(ri->request_method, "POST") != 0 || auth == NULL ||
	    strcmp(auth, "Basic dXNlcjpwdy1zZWNyZXQ=") != 0 || key == NULL ||
	    strcmp(key, "hdr-secret") != 0 || ri->query_string == NULL ||
	    mg_get_var(ri->query_string, strlen(ri->query_string), "api_key",
	    q, sizeof(q)) < 0 || strcmp(q, "q-secret") != 0 ||
	    strcmp(body, "{\"since\":\"2026-01-01\"}") != 0) {
		reply(c, 403, "", "{}");
		return 403;
	}
	reply(c, 200, "", page == 1 ? "{\"results\": [{\"p\": 1}], \"next\": "
	    "\"/post?api_key=q-secret&page=2\"}" : "{\"results\": [{\"p\": 2}], "
	    "\"next\": null}");
	return 200;
}

static int
setup(void **state)
{
	char		 ports[64];
	const char	*opts[] = { "listening_ports", ports, "num_threads",
	    "4", NULL };

	(void)state;
	web_port = h_free_port();
	snprintf(ports, sizeof(ports), "127.0.0.1:%d", web_port);
	web = mg_start(NULL, NULL, opts);
	assert_non_null(web);
	mg_set_request_handler(web, "/pages", on_pages, NULL);
	mg_set_request_handler(web, "/link", on_link, NULL);
	mg_set_request_handler(web, "/cursor", on_cursor, NULL);
	mg_set_request_handler(web, "/offset", on_offset, NULL);
	mg_set_request_handler(web, "/post", on_post, NULL);
	mg_set_request_handler(web, "/items", on_items, NULL);
	setenv("ORK_TEST_PW", "pw-secret", 1);
	setenv("ORK_TEST_HDR", "hdr-secret", 1);
	setenv("ORK_TEST_Q", "q-secret", 1);
	make_csv();
	mg_set_request_handler(web, "/file.csv", on_file, NULL);
	h_db_create("plugins_http", 1, db, sizeof(db));
	h_db_create("plugins_http_dest", 0, dest, sizeof(dest));
	conn = h_db_connect(db);
	dconn = h_db_connect(dest);
	setenv("ORK_TEST_DEST", dest, 1);
	setenv("ORK_TEST_TOKEN", TOKEN, 1);
	h_orch_start(&orch, "plugins-http-orchestrator", db, NULL);
	h_worker_start(&worker, "plugins-http-worker", orch.control_url,
	    orch.events_url, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	h_stop(&worker, SIGTERM, 5000);
	h_stop(&orch.p, SIGTERM, 5000);
	mg_stop(web);
	free(csv_text);
	free(csv_gz);
	PQfinish(conn);
	PQfinish(dconn);
	return 0;
}

static void
job_run(const char *ex, const char *lo, char *run, char *st, size_t len)
{
	static int	 seq;
	const char	*p[3];
	char		 job[40], name[32];
	PGresult	*r;

	snprintf(name, sizeof(name), "http %d", ++seq);
	p[0] = name;
	r = PQexecParams(conn, "INSERT INTO job_definitions (job_name) VALUES "
	    "($1) RETURNING job_id", 1, NULL, p, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	snprintf(job, sizeof(job), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	p[0] = job;
	p[1] = ex;
	p[2] = lo;
	r = PQexecParams(conn, "INSERT INTO task_definitions (job_id, "
	    "task_order, extractor_config, loader_config, max_attempts) "
	    "VALUES ($1, 0, $2::jsonb, $3::jsonb, 1)", 3, NULL, p, NULL, NULL,
	    0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("task: %s", PQerrorMessage(conn));
	PQclear(r);
	h_trigger(orch.control_url, job, run);
	assert_true(h_wait_run(conn, run, st, len, 30000));
}

static void
q1(PGconn *c, const char *sql, const char *param, char *buf, size_t len)
{
	const char	*p[1] = { param };
	PGresult	*r = PQexecParams(c, sql, param != NULL ? 1 : 0, NULL,
	    p, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
		fail_msg("\"%s\" failed: %s", sql, PQerrorMessage(c));
	snprintf(buf, len, "%s", PQgetisnull(r, 0, 0) ? "<null>" :
	    PQgetvalue(r, 0, 0));
	PQclear(r);
}

static const char pg_lo[] = "{\"type\": \"postgres\", \"connection\": "
    "{\"env\": \"ORK_TEST_DEST\"}, \"table_name\": \"%s\"}";

static void
test_pages_retries_into_postgres(void **state)
{
	char	ex[1024], lo[512], run[40], st[32], v[1024];

	(void)state;
	snprintf(ex, sizeof(ex), "{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%d/pages\", \"auth\": {\"type\": \"bearer\", "
	    "\"token\": {\"env\": \"ORK_TEST_TOKEN\"}}, \"records_path\": "
	    "\"data.items\", \"pagination\": {\"type\": \"page\"}, "
	    "\"timeout_seconds\": 10}", web_port);
	snprintf(lo, sizeof(lo), pg_lo, "paged");
	job_run(ex, lo, run, st, sizeof(st));
	assert_string_equal(st, "success");
	q1(dconn, "SELECT string_agg(concat_ws('|', id, name, meta__score, "
	    "meta__tags, ok, coalesce(gone, '<null>')), ';' ORDER BY id::int) "
	    "FROM paged", NULL, v, sizeof(v));
	/* ok was typed boolean from the first page: PostgreSQL writes t, f */
	assert_string_equal(v,
	    "11|n1|1.5|[\"a\",\"b\"]|t|<null>;12|quote \" tab\t|0|[]|f|"
	    "<null>;21|n2|2.5|[\"a\",\"b\"]|t|<null>;22|quote \" tab\t|0|[]|"
	    "f|<null>;31|n3|3.5|[\"a\",\"b\"]|t|<null>;32|quote \" tab\t|"
	    "0|[]|f|<null>");
	assert_int_equal(hits_429, 2);
	assert_int_equal(hits_500, 2);
	assert_int_equal(hits_unauth, 0);
	q1(conn, "SELECT count(*) FROM task_logs l JOIN task_runs t USING "
	    "(task_run_id) WHERE t.run_id = $1 AND line LIKE '%retrying in%'",
	    run, v, sizeof(v));
	assert_string_equal(v, "2");
	/* the 429's Retry-After: 1 was honoured */
	q1(conn, "SELECT line FROM task_logs l JOIN task_runs t USING "
	    "(task_run_id) WHERE t.run_id = $1 AND line LIKE '%429%'", run, v,
	    sizeof(v));
	assert_non_null(strstr(v, "retrying in 1000 ms"));
	q1(conn, "SELECT count(*) FROM task_logs WHERE line LIKE '%Hq7%'",
	    NULL, v, sizeof(v));
	assert_string_equal(v, "0");
	assert_int_equal(h_log_count(&worker, "Hq7"), 0);
}

static void
test_link_into_duckdb(void **state)
{
	char			ex[1024], lo[2 * H_PATH_MAX], run[40], st[32];
	char			file[H_PATH_MAX];
	duckdb_database		d;
	duckdb_connection	c;
	duckdb_result		r;
	char			*v;

	(void)state;
	h_tmpfile("http.duckdb", file, sizeof(file));
	unlink(file);
	snprintf(ex, sizeof(ex), "{\"type\": \"api\", \"url\": "
	    "\"http://127.0.0.1:%d/link?p=1\", \"pagination\": {\"type\": "
	    "\"link\"}}", web_port);
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"linked\"}", file);
	job_run(ex, lo, run, st, sizeof(st));
	assert_string_equal(st, "success");
	assert_int_equal(duckdb_open(file, &d), DuckDBSuccess);
	assert_int_equal(duckdb_connect(d, &c), DuckDBSuccess);
	assert_int_equal(duckdb_query(c, "SELECT string_agg(k, ',' ORDER BY "
	    "k::int) FROM linked", &r), DuckDBSuccess);
	v = duckdb_value_varchar(&r, 0, 0);
	assert_string_equal(v, "1,2,3,4,5,6");
	duckdb_free(v);
	duckdb_destroy_result(&r);
	duckdb_disconnect(&c);
	duckdb_close(&d);
	{
		char n[256];

		q1(conn, "SELECT count(*) FROM task_logs l JOIN task_runs t "
		    "USING (task_run_id) WHERE t.run_id = $1 AND line LIKE "
		    "'2 values under keys not seen on the first page%'", run, n,
		    sizeof(n));
		assert_string_equal(n, "1");
	}
}

static void
test_cursor_and_404(void **state)
{
	char	ex[1024], lo[512], run[40], st[32], v[1024];

	(void)state;
	snprintf(ex, sizeof(ex), "{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%d/cursor\", \"records_path\": \"items\", "
	    "\"pagination\": {\"type\": \"cursor\", \"param\": \"after\", "
	    "\"cursor_path\": \"next\"}}", web_port);
	snprintf(lo, sizeof(lo), pg_lo, "cursored");
	job_run(ex, lo, run, st, sizeof(st));
	assert_string_equal(st, "success");
	q1(dconn, "SELECT string_agg(v::text, ',' ORDER BY v) FROM cursored",
	    NULL, v, sizeof(v));
	assert_string_equal(v, "1,2,3,4,5");
	/* "flatten": false keeps a nested object as one JSON text column */
	snprintf(ex, sizeof(ex), "{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%d/pages\", \"auth\": {\"type\": \"bearer\", "
	    "\"token\": {\"env\": \"ORK_TEST_TOKEN\"}}, \"records_path\": "
	    "\"data.items\", \"pagination\": {\"type\": \"page\"}, "
	    "\"flatten\": false}", web_port);
	snprintf(lo, sizeof(lo), pg_lo, "unflat");
	job_run(ex, lo, run, st, sizeof(st));
	assert_string_equal(st, "success");
	q1(dconn, "SELECT count(*) || ':' || max(meta) FILTER (WHERE id = '11') "
	    "FROM unflat", NULL, v, sizeof(v));
	assert_string_equal(v, "6:{\"score\":1.5,\"tags\":[\"a\",\"b\"]}");
	snprintf(ex, sizeof(ex), "{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%d/none\"}", web_port);
	snprintf(lo, sizeof(lo), pg_lo, "nothing");
	job_run(ex, lo, run, st, sizeof(st));
	assert_string_equal(st, "failed");
	q1(conn, "SELECT error_message FROM job_runs WHERE run_id = $1", run,
	    v, sizeof(v));
	assert_non_null(strstr(v, "/none answered 404"));
}

static void
test_offset_and_post(void **state)
{
	char	ex[2048], lo[512], run[40], st[32], v[1024];

	(void)state;
	snprintf(ex, sizeof(ex), "{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%d/offset\", \"pagination\": {\"type\": "
	    "\"offset\", \"page_size\": 3}}", web_port);
	snprintf(lo, sizeof(lo), pg_lo, "offsets");
	job_run(ex, lo, run, st, sizeof(st));
	assert_string_equal(st, "success");
	q1(dconn, "SELECT string_agg(i::text, ',' ORDER BY i) FROM offsets",
	    NULL, v, sizeof(v));
	assert_string_equal(v, "0,1,2,3,4,5,6");
	snprintf(ex, sizeof(ex), "{\"type\": \"http\", \"method\": \"POST\", "
	    "\"url\": \"http://127.0.0.1:%d/post\", \"body\": {\"since\": "
	    "\"2026-01-01\"}, \"auth\": {\"type\": \"basic\", \"username\": "
	    "\"user\", \"password\": {\"env\": \"ORK_TEST_PW\"}}, "
	    "\"headers\": {\"X-Key\": {\"env\": \"ORK_TEST_HDR\"}}, "
	    "\"params\": {\"api_key\": {\"env\": \"ORK_TEST_Q\"}}, "
	    "\"records_path\": \"results\", \"pagination\": {\"type\": "
	    "\"next_url\", \"next_url_path\": \"next\"}}", web_port);
	snprintf(lo, sizeof(lo), pg_lo, "posted");
	job_run(ex, lo, run, st, sizeof(st));
	assert_string_equal(st, "success");
	q1(dconn, "SELECT string_agg(p::text, ',' ORDER BY p) FROM posted",
	    NULL, v, sizeof(v));
	assert_string_equal(v, "1,2");
	q1(conn, "SELECT count(*) FROM task_logs WHERE line LIKE '%-secret%'",
	    NULL, v, sizeof(v));
	assert_string_equal(v, "0");
}

/* A CSV behind a URL streams in, plain and gzipped; a 404 fails. */
static void
test_csv_over_http(void **state)
{
	char	ex[1024], lo[512], run[40], st[32], v[1024];

	(void)state;
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": "
	    "\"http://127.0.0.1:%d/file.csv\"}", web_port);
	snprintf(lo, sizeof(lo), pg_lo, "csv_url");
	job_run(ex, lo, run, st, sizeof(st));
	assert_string_equal(st, "success");
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": "
	    "\"http://127.0.0.1:%d/file.csv.gz\"}", web_port);
	job_run(ex, lo, run, st, sizeof(st));
	assert_string_equal(st, "success");
	q1(dconn, "SELECT count(*) || ':' || count(DISTINCT id) || ':' || "
	    "max(label) FILTER (WHERE id = '49999') FROM csv_url", NULL, v,
	    sizeof(v));
	assert_string_equal(v, "100000:50000:line 49999, with\nbreak");
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": "
	    "\"http://127.0.0.1:%d/missing.csv\"}", web_port);
	job_run(ex, lo, run, st, sizeof(st));
	assert_string_equal(st, "failed");
	q1(conn, "SELECT error_message FROM job_runs WHERE run_id = $1", run,
	    v, sizeof(v));
	assert_non_null(strstr(v, "missing.csv"));
	assert_non_null(strstr(v, "404"));
}

/* duck_one runs a one-value query on a DuckDB file. */
static void
duck_one(const char *path, const char *sql, char *buf, size_t len)
{
	duckdb_database		 d;
	duckdb_connection	 c;
	duckdb_result		 r;
	char			*v;

	assert_int_equal(duckdb_open(path, &d), DuckDBSuccess);
	assert_int_equal(duckdb_connect(d, &c), DuckDBSuccess);
	if (duckdb_query(c, sql, &r) == DuckDBError)
		fail_msg("%s: %s", sql, duckdb_result_error(&r));
	v = duckdb_value_is_null(&r, 0, 0) ? NULL : duckdb_value_varchar(&r,
	    0, 0);
	snprintf(buf, len, "%s", v != NULL ? v : "<null>");
	duckdb_free(v);
	duckdb_destroy_result(&r);
	duckdb_disconnect(&c);
	duckdb_close(&d);
}

/*
 * An incremental http load into DuckDB, cursor updated_at (timestamps in
 * several zones): the mark goes to the API as ?since=; three runs over
 * records that grow (one at the old mark's instant written in another
 * zone, one updated) leave every record once; a run that fails on its
 * second page leaves the mark where it was.
 */
static void
test_incremental_into_duckdb(void **state)
{
	char		 ex[1024], lo[2 * H_PATH_MAX], file[H_PATH_MAX];
	char		 job[40], run[40], st[32], v[512];
	const char	*p[3];
	PGresult	*r;

	(void)state;
	h_tmpfile("items.duckdb", file, sizeof(file));
	unlink(file);
	snprintf(ex, sizeof(ex), "{\"type\": \"http\", \"url\": "
	    "\"http://127.0.0.1:%d/items\", \"pagination\": {\"type\": "
	    "\"page\", \"page_size\": 2}, \"cursor_field\": \"updated_at\", "
	    "\"cursor_param\": \"since\"}", web_port);
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"items\", \"mode\": \"merge\", \"primary_key\": "
	    "[\"id\"]}", file);
	p[0] = "http incremental";
	r = PQexecParams(conn, "INSERT INTO job_definitions (job_name) VALUES "
	    "($1) RETURNING job_id", 1, NULL, p, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	snprintf(job, sizeof(job), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	p[0] = job;
	p[1] = ex;
	p[2] = lo;
	r = PQexecParams(conn, "INSERT INTO task_definitions (job_id, "
	    "task_order, extractor_config, loader_config, max_attempts) "
	    "VALUES ($1, 0, $2::jsonb, $3::jsonb, 1)", 3, NULL, p, NULL, NULL,
	    0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("task: %s", PQerrorMessage(conn));
	PQclear(r);

	/* run 1: no mark yet, no since */
	items_version = 1;
	h_trigger(orch.control_url, job, run);
	assert_true(h_wait_run(conn, run, st, sizeof(st), 30000));
	assert_string_equal(st, "success");
	assert_string_equal(items_since, "");
	duck_one(file, "SELECT string_agg(id || v, ',' ORDER BY id) || '|' || "
	    "(SELECT mark FROM _ork_cursors) FROM items", v, sizeof(v));
	assert_string_equal(v, "1a,2b,3c|2026-01-01T12:00:00+00:00");
	/* run 2: since the mark; 2 (updated), 3 and 4 (at the mark), 5 */
	items_version = 2;
	h_trigger(orch.control_url, job, run);
	assert_true(h_wait_run(conn, run, st, sizeof(st), 30000));
	assert_string_equal(st, "success");
	assert_string_equal(items_since, "2026-01-01T12:00:00+00:00");
	q1(conn, "SELECT rows_moved::text FROM task_runs WHERE run_id = $1",
	    run, v, sizeof(v));
	assert_string_equal(v, "4");
	duck_one(file, "SELECT string_agg(id || v, ',' ORDER BY id) || '|' || "
	    "(SELECT mark FROM _ork_cursors) FROM items", v, sizeof(v));
	assert_string_equal(v, "1a,2B,3c,4d,5e|2026-01-02T00:00:00Z");
	/* run 3 fails on page 2: nothing loaded, the mark stays */
	items_version = 3;
	items_fail = 1;
	h_trigger(orch.control_url, job, run);
	assert_true(h_wait_run(conn, run, st, sizeof(st), 30000));
	assert_string_equal(st, "failed");
	items_fail = 0;
	duck_one(file, "SELECT count(*) || '|' || (SELECT mark FROM "
	    "_ork_cursors) FROM items", v, sizeof(v));
	assert_string_equal(v, "5|2026-01-02T00:00:00Z");
	q1(conn, "SELECT cursor_mark FROM task_definitions WHERE job_id = $1",
	    job, v, sizeof(v));
	assert_string_equal(v, "2026-01-02T00:00:00Z");
	/* run 4: from the same mark again; 5 once more (merged) and 6 */
	h_trigger(orch.control_url, job, run);
	assert_true(h_wait_run(conn, run, st, sizeof(st), 30000));
	assert_string_equal(st, "success");
	assert_string_equal(items_since, "2026-01-02T00:00:00Z");
	q1(conn, "SELECT rows_moved::text FROM task_runs WHERE run_id = $1",
	    run, v, sizeof(v));
	assert_string_equal(v, "2");
	duck_one(file, "SELECT count(*) || ':' || count(DISTINCT id) || ':' || "
	    "string_agg(v, '' ORDER BY id) || '|' || (SELECT mark FROM "
	    "_ork_cursors) || '|' || typeof(max(updated_at)) FROM items", v,
	    sizeof(v));
	assert_string_equal(v, "6:6:aBcdef|2026-01-03T00:00:00Z|"
	    "TIMESTAMP WITH TIME ZONE");
	/* 14:00+02:00 and 12:00+00:00 are one instant */
	duck_one(file, "SELECT count(DISTINCT updated_at) || ':' || "
	    "epoch(min(updated_at)) FROM items WHERE id IN (3, 4)", v,
	    sizeof(v));
	assert_string_equal(v, "1:1767268800.0");
	q1(conn, "SELECT cursor_mark FROM task_definitions WHERE job_id = $1",
	    job, v, sizeof(v));
	assert_string_equal(v, "2026-01-03T00:00:00Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages_retries_into_postgres),
		cmocka_unit_test(test_link_into_duckdb),
		cmocka_unit_test(test_cursor_and_404),
		cmocka_unit_test(test_offset_and_post),
		cmocka_unit_test(test_csv_over_http),
		cmocka_unit_test(test_incremental_into_duckdb),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
