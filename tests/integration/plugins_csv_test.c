/*
 * plugins_csv_test.c - csv tasks end to end through ork-orchestrator and
 * ork-worker into a real PostgreSQL database and a real DuckDB file:
 * CSV edge cases arrive intact, write modes, the ledger's exactly-once
 * promise (a recorded task run loads nothing; a worker killed with
 * SIGKILL in the middle of a COPY leaves every row once after the retry),
 * replace seen by a concurrent reader, table names that try SQL refused,
 * and the connection secret kept out of logs and errors; column types
 * inferred, declared, widened or refused; incremental loads with a
 * cursor that keep every row once across growing sources and failures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <duckdb.h>
#include <zlib.h>

#include "harness.h"

static struct h_orch	orch;
static struct h_proc	worker;
static char		db[H_URL_MAX];		/* ork's state store */
static char		dest[H_URL_MAX];	/* the destination */
static PGconn		*conn, *dconn;

/* A CSV with every edge case: BOM, CRLF, quotes, newlines, NULL, no
 * final newline. */
static const char edge_csv[] =
    "\xef\xbb\xbf" "id,name,note\r\n"
    "1,plain,x\r\n"
    "2,\"with, comma\",\"say \"\"hi\"\"\"\r\n"
    "3,\"two\nlines\",\r\n"
    "4,\"\",\"tab\there\"\r\n"
    "5,back\\slash,last";

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static int
setup(void **state)
{
	(void)state;
	h_db_create("plugins_csv", 1, db, sizeof(db));
	h_db_create("plugins_csv_dest", 0, dest, sizeof(dest));
	conn = h_db_connect(db);
	dconn = h_db_connect(dest);
	setenv("ORK_TEST_DEST", dest, 1);
	h_orch_start(&orch, "plugins-csv-orchestrator", db, NULL);
	h_worker_start(&worker, "plugins-csv-worker", orch.control_url,
	    orch.events_url, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	h_stop(&worker, SIGTERM, 5000);
	h_stop(&orch.p, SIGTERM, 5000);
	PQfinish(conn);
	PQfinish(dconn);
	return 0;
}

/* job_create defines a one-task job with both configurations. */
static void
job_create(const char *name, const char *ex, const char *lo, int attempts,
    char *job_id)
{
	const char	*p[4];
	char		 att[16];
	PGresult	*r;

	p[0] = name;
	r = PQexecParams(conn, "INSERT INTO job_definitions (job_name) VALUES "
	    "($1) RETURNING job_id", 1, NULL, p, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	snprintf(job_id, H_UUID_LEN + 1, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	snprintf(att, sizeof(att), "%d", attempts);
	p[0] = job_id;
	p[1] = ex;
	p[2] = lo;
	p[3] = att;
	r = PQexecParams(conn, "INSERT INTO task_definitions (job_id, "
	    "task_order, extractor_config, loader_config, max_attempts, "
	    "retry_base_ms, retry_cap_ms) VALUES ($1, 0, $2::jsonb, "
	    "$3::jsonb, $4::int, 200, 1000)", 4, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("task: %s", PQerrorMessage(conn));
	PQclear(r);
}

/* run_job triggers a run and waits for it; returns its status. */
static void
run_job(const char *job, char *run, char *status, size_t len, int ms)
{
	h_trigger(orch.control_url, job, run);
	assert_true(h_wait_run(conn, run, status, len, ms));
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

static void
exec_dest(const char *sql)
{
	PGresult *r = PQexec(dconn, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("\"%s\" failed: %s", sql, PQerrorMessage(dconn));
	PQclear(r);
}

static void
pg_loader(char *buf, size_t len, const char *table, const char *extra)
{
	snprintf(buf, len, "{\"type\": \"postgres\", \"connection\": {\"env\": "
	    "\"ORK_TEST_DEST\"}, \"table_name\": \"%s\"%s}", table, extra);
}

/* duck_value runs a one-value query on a DuckDB file. */
static void
duck_value(const char *path, const char *sql, char *buf, size_t len)
{
	duckdb_database		d;
	duckdb_connection	c;
	duckdb_result		r;
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

static void
test_edge_cases_into_postgres(void **state)
{
	char	path[H_PATH_MAX], ex[2 * H_PATH_MAX], lo[512];
	char	job[40], run[40], st[32], v[512];

	(void)state;
	h_tmpfile("edge.csv", path, sizeof(path));
	write_file(path, edge_csv, sizeof(edge_csv) - 1);
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\"}", path);
	pg_loader(lo, sizeof(lo), "edge", "");
	job_create("csv edge to postgres", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "success");
	q1(conn, "SELECT rows_moved::text FROM task_runs WHERE run_id = $1",
	    run, v, sizeof(v));
	assert_string_equal(v, "5");
	q1(dconn, "SELECT string_agg(id || '=' || coalesce(name, '<null>') || "
	    "'|' || coalesce(note, '<null>'), ';' ORDER BY id) FROM edge",
	    NULL, v, sizeof(v));
	assert_string_equal(v, "1=plain|x;2=with, comma|say \"hi\";"
	    "3=two\nlines|<null>;4=|tab\there;5=back\\slash|last");
	/* the ledger names the task run */
	q1(conn, "SELECT task_run_id::text FROM task_runs WHERE run_id = $1",
	    run, v, sizeof(v));
	{
		char n[64];

		q1(dconn, "SELECT rows || ':' || attempt FROM _ork_loads WHERE "
		    "task_run_id = $1", v, n, sizeof(n));
		assert_string_equal(n, "5:1");
	}
}

static void
test_edge_cases_into_duckdb_gzip(void **state)
{
	char	path[H_PATH_MAX], duck[H_PATH_MAX];
	char	ex[2 * H_PATH_MAX], lo[2 * H_PATH_MAX];
	char	job[40], run[40], st[32], v[512];
	gzFile	gz;

	(void)state;
	h_tmpfile("edge.csv.gz", path, sizeof(path));
	h_tmpfile("edge.duckdb", duck, sizeof(duck));
	unlink(duck);
	gz = gzopen(path, "wb");
	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, edge_csv, sizeof(edge_csv) - 1),
	    (int)sizeof(edge_csv) - 1);
	gzclose(gz);
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\", "
	    "\"gzip\": true}", path);
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"edge\"}", duck);
	job_create("csv edge to duckdb", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "success");
	duck_value(duck, "SELECT string_agg(id || '=' || coalesce(name, "
	    "'<null>') || '|' || coalesce(note, '<null>'), ';' ORDER BY "
	    "id::int) FROM edge", v, sizeof(v));
	assert_string_equal(v, "1=plain|x;2=with, comma|say \"hi\";"
	    "3=two\nlines|<null>;4=|tab\there;5=back\\slash|last");
	duck_value(duck, "SELECT count(*) || ':' || sum(\"rows\") FROM "
	    "_ork_loads", v, sizeof(v));
	assert_string_equal(v, "1:5");
}

static void
test_bad_rows_fail_or_skip(void **state)
{
	static const char text[] = "a,b\n1,2\n3\n\"x\"y,4\n5,6\n";
	char	path[H_PATH_MAX], ex[2 * H_PATH_MAX], lo[512];
	char	job[40], run[40], st[32], v[1024];

	(void)state;
	h_tmpfile("bad.csv", path, sizeof(path));
	write_file(path, text, sizeof(text) - 1);
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\"}", path);
	pg_loader(lo, sizeof(lo), "bad_rows", "");
	job_create("bad rows fail", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "failed");
	q1(conn, "SELECT error_message FROM job_runs WHERE run_id = $1", run,
	    v, sizeof(v));
	assert_non_null(strstr(v, "line 3: 1 fields where 2 columns are "
	    "expected"));
	/* nothing loaded: the table does not even exist */
	q1(dconn, "SELECT to_regclass('bad_rows') IS NULL", NULL, v,
	    sizeof(v));
	assert_string_equal(v, "t");

	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\", "
	    "\"on_error\": \"skip\"}", path);
	job_create("bad rows skipped", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "success");
	q1(dconn, "SELECT string_agg(a::text || b::text, ',' ORDER BY a) FROM "
	    "bad_rows", NULL, v, sizeof(v));
	assert_string_equal(v, "12,56");
	q1(conn, "SELECT string_agg(line, '|') FROM task_logs l JOIN task_runs "
	    "t USING (task_run_id) WHERE t.run_id = $1", run, v, sizeof(v));
	assert_non_null(strstr(v, "skipped 2 bad rows"));
	assert_non_null(strstr(v, "line 3"));
}

static void
test_injection_refused(void **state)
{
	char	path[H_PATH_MAX], ex[2 * H_PATH_MAX], lo[512];
	char	job[40], run[40], st[32], v[1024];

	(void)state;
	exec_dest("CREATE TABLE IF NOT EXISTS y (v int)");
	h_tmpfile("inj.csv", path, sizeof(path));
	write_file(path, "a\n1\n", 4);
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\"}", path);
	pg_loader(lo, sizeof(lo), "x; DROP TABLE y", "");
	job_create("injection", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "failed");
	q1(conn, "SELECT error_message FROM job_runs WHERE run_id = $1", run,
	    v, sizeof(v));
	assert_non_null(strstr(v, "loader_config.table_name"));
	q1(dconn, "SELECT to_regclass('y') IS NOT NULL", NULL, v, sizeof(v));
	assert_string_equal(v, "t");
	/* no statement reached the destination: no ledger was even made */
	q1(dconn, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
	    "'%DROP TABLE y%' AND pid <> pg_backend_pid()", NULL, v, sizeof(v));
	assert_string_equal(v, "0");
	/* a quoted column name from the file is just a name */
	{
		static const char odd[] = "\"a\"\"; DROP TABLE y; --\"\n1\n";

		write_file(path, odd, sizeof(odd) - 1);
	}
	pg_loader(lo, sizeof(lo), "odd_names", "");
	job_create("odd column", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "success");
	q1(dconn, "SELECT \"a\"\"; DROP TABLE y; --\" FROM odd_names", NULL, v,
	    sizeof(v));
	assert_string_equal(v, "1");
	q1(dconn, "SELECT to_regclass('y') IS NOT NULL", NULL, v, sizeof(v));
	assert_string_equal(v, "t");
}

static void
test_modes_postgres(void **state)
{
	char	p1[H_PATH_MAX], ex[2 * H_PATH_MAX], lo[512];
	char	job[40], run[40], st[32], v[512];

	(void)state;
	h_tmpfile("modes.csv", p1, sizeof(p1));
	write_file(p1, "k,v\n1,a\n2,b\n2,c\n", 16);
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\"}", p1);
	pg_loader(lo, sizeof(lo), "public.merged", ", \"mode\": \"merge\", "
	    "\"primary_key\": [\"k\"]");
	job_create("merge", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "success");
	q1(dconn, "SELECT string_agg(k || v, ',' ORDER BY k) FROM merged",
	    NULL, v, sizeof(v));
	assert_string_equal(v, "1a,2c");	/* the last of equal keys */
	write_file(p1, "k,v\n2,z\n3,y\n", 12);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "success");
	q1(dconn, "SELECT string_agg(k || v, ',' ORDER BY k) FROM merged",
	    NULL, v, sizeof(v));
	assert_string_equal(v, "1a,2z,3y");
	/* append twice, then replace */
	pg_loader(lo, sizeof(lo), "appended", "");
	job_create("append", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	run_job(job, run, st, sizeof(st), 20000);
	q1(dconn, "SELECT count(*) FROM appended", NULL, v, sizeof(v));
	assert_string_equal(v, "4");
	pg_loader(lo, sizeof(lo), "appended", ", \"mode\": \"replace\"");
	job_create("replace", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "success");
	q1(dconn, "SELECT count(*) FROM appended", NULL, v, sizeof(v));
	assert_string_equal(v, "2");
}

/*
 * A table that exists keeps its types: text that casts loads, text that
 * does not fails the task naming the column and the value, loading
 * nothing.
 */
static void
test_existing_typed_table(void **state)
{
	char	path[H_PATH_MAX], ex[2 * H_PATH_MAX], lo[512];
	char	job[40], run[40], st[32], v[1024];

	(void)state;
	exec_dest("CREATE TABLE typed (id integer PRIMARY KEY, qty integer, "
	    "at timestamptz)");
	h_tmpfile("typed.csv", path, sizeof(path));
	write_file(path, "id,qty,at\n1,2,2026-01-02T03:04:05Z\n", 35);
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\"}", path);
	pg_loader(lo, sizeof(lo), "typed", "");
	job_create("typed ok", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "success");
	q1(dconn, "SELECT (qty + 1)::text FROM typed WHERE id = 1", NULL, v,
	    sizeof(v));
	assert_string_equal(v, "3");
	write_file(path, "id,qty,at\n5,6,\n7,lots,\n", 23);
	job_create("typed bad", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "failed");
	q1(conn, "SELECT error_message FROM job_runs WHERE run_id = $1", run,
	    v, sizeof(v));
	assert_non_null(strstr(v, "\"lots\""));
	assert_non_null(strstr(v, "column qty"));
	q1(dconn, "SELECT count(*) FROM typed", NULL, v, sizeof(v));
	assert_string_equal(v, "1");
}

static void
test_modes_duckdb(void **state)
{
	char	p1[H_PATH_MAX], duck[H_PATH_MAX], ex[2 * H_PATH_MAX];
	char	lo[2 * H_PATH_MAX], job[40], run[40], st[32], v[512];

	(void)state;
	h_tmpfile("dmodes.csv", p1, sizeof(p1));
	h_tmpfile("modes.duckdb", duck, sizeof(duck));
	unlink(duck);
	write_file(p1, "k,v\n1,a\n2,b\n2,c\n", 16);
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\"}", p1);
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"s.merged\", \"mode\": \"merge\", "
	    "\"primary_key\": [\"k\"]}", duck);
	job_create("duck merge", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "success");
	write_file(p1, "k,v\n2,z\n3,y\n", 12);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "success");
	duck_value(duck, "SELECT string_agg(k || v, ',' ORDER BY k) FROM "
	    "s.merged", v, sizeof(v));
	assert_string_equal(v, "1a,2z,3y");
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"s.merged\", \"mode\": \"replace\"}", duck);
	job_create("duck replace", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "success");
	duck_value(duck, "SELECT string_agg(k || v, ',' ORDER BY k) FROM "
	    "s.merged", v, sizeof(v));
	assert_string_equal(v, "2z,3y");
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"appended\"}", duck);
	job_create("duck append", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "success");
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "success");
	duck_value(duck, "SELECT count(*) || ':' || (SELECT count(*) FROM "
	    "_ork_loads) FROM appended", v, sizeof(v));
	assert_string_equal(v, "4:5");
	/* appending a key twice into the merged table fails, loading nothing */
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"s.merged\"}", duck);
	job_create("duck append dup", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "failed");
	duck_value(duck, "SELECT count(*) || ':' || (SELECT count(*) FROM "
	    "_ork_loads) FROM s.merged", v, sizeof(v));
	assert_string_equal(v, "2:5");
}

/*
 * A task run already in the ledger loads nothing and reports the
 * recorded rows: the run is created while no worker runs, its ledger
 * row written into the destination, then a worker takes it.
 */
static void
test_ledger_row_means_loaded(void **state)
{
	char	path[H_PATH_MAX], ex[2 * H_PATH_MAX], lo[512], sql[256];
	char	job[40], run[40], st[32], v[512], tr[64];

	(void)state;
	h_stop(&worker, SIGTERM, 5000);
	h_tmpfile("ledger.csv", path, sizeof(path));
	write_file(path, "a\n1\n2\n", 6);
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\"}", path);
	pg_loader(lo, sizeof(lo), "ledgered", "");
	job_create("ledger", ex, lo, 1, job);
	h_trigger(orch.control_url, job, run);
	q1(conn, "SELECT task_run_id::text FROM task_runs WHERE run_id = $1",
	    run, tr, sizeof(tr));
	exec_dest("CREATE TABLE IF NOT EXISTS _ork_loads (task_run_id uuid "
	    "PRIMARY KEY, attempt integer NOT NULL, rows bigint NOT NULL, "
	    "loaded_at timestamptz NOT NULL DEFAULT now())");
	snprintf(sql, sizeof(sql), "INSERT INTO _ork_loads VALUES ('%s', 1, "
	    "42, now())", tr);
	exec_dest(sql);
	h_worker_start(&worker, "plugins-csv-worker-2", orch.control_url,
	    orch.events_url, NULL);
	assert_true(h_wait_run(conn, run, st, sizeof(st), 20000));
	assert_string_equal(st, "success");
	q1(conn, "SELECT rows_moved::text FROM task_runs WHERE run_id = $1",
	    run, v, sizeof(v));
	assert_string_equal(v, "42");
	q1(dconn, "SELECT to_regclass('ledgered') IS NULL", NULL, v, sizeof(v));
	assert_string_equal(v, "t");
}

/* big_csv writes n rows "i,row-i,i*3" under a header. */
static void
big_csv(const char *path, int n, const char *tag)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "id,label,tag\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "%d,\"row %d, quoted\",%s\n", i, i, tag);
	fclose(f);
}

/*
 * kill -9 of the worker while its COPY streams: the attempt's rows
 * vanish with its transaction, the next attempt loads all of them, and
 * every row is there once.
 */
static void
test_kill_mid_load_postgres(void **state)
{
	char	path[H_PATH_MAX], ex[2 * H_PATH_MAX], lo[512];
	char	job[40], run[40], st[32], v[512];
	int	seen = 0;

	(void)state;
	h_tmpfile("big.csv", path, sizeof(path));
	big_csv(path, 200000, "k");
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\"}", path);
	pg_loader(lo, sizeof(lo), "killed", "");
	job_create("kill mid load", ex, lo, 3, job);
	h_trigger(orch.control_url, job, run);
	/* wait until the COPY is running in the destination */
	for (int i = 0; i < 2000 && !seen; i++) {
		q1(dconn, "SELECT count(*) FROM pg_stat_activity WHERE "
		    "application_name = 'ork-worker' AND query LIKE 'COPY%' AND "
		    "state = 'active'", NULL, v, sizeof(v));
		seen = strcmp(v, "0") != 0;
		if (!seen)
			h_sleep_ms(2);
	}
	assert_true(seen);
	h_kill(&worker);
	h_worker_start(&worker, "plugins-csv-worker-3", orch.control_url,
	    orch.events_url, NULL);
	assert_true(h_wait_run(conn, run, st, sizeof(st), 60000));
	assert_string_equal(st, "success");
	q1(dconn, "SELECT count(*) || ':' || count(DISTINCT id) FROM killed",
	    NULL, v, sizeof(v));
	assert_string_equal(v, "200000:200000");
	q1(conn, "SELECT attempt::text FROM task_runs WHERE run_id = $1", run,
	    v, sizeof(v));
	assert_int_not_equal(atoi(v), 1);
	q1(dconn, "SELECT count(*) || ':' || max(attempt) FROM _ork_loads "
	    "WHERE rows = 200000", NULL, v, sizeof(v));
	assert_int_equal(strncmp(v, "1:", 2), 0);
	assert_string_not_equal(v, "1:1");
}

/*
 * The same with the duckdb loader: the worker is killed while the task
 * runs (the appender holds the rows in its open transaction); the file
 * ends with every row once.
 */
static void
test_kill_mid_load_duckdb(void **state)
{
	char	path[H_PATH_MAX], duck[H_PATH_MAX], ex[2 * H_PATH_MAX];
	char	lo[2 * H_PATH_MAX], job[40], run[40], st[32], v[512];

	(void)state;
	h_tmpfile("bigd.csv", path, sizeof(path));
	h_tmpfile("killed.duckdb", duck, sizeof(duck));
	unlink(duck);
	big_csv(path, 300000, "d");
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\"}", path);
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"killed\"}", duck);
	job_create("kill mid duckdb load", ex, lo, 3, job);
	h_trigger(orch.control_url, job, run);
	assert_true(h_wait_sql(conn, "SELECT count(*) FROM task_runs WHERE "
	    "status = 'running' AND kind = 'csv'", "1", 20000));
	h_sleep_ms(150);
	h_kill(&worker);
	h_worker_start(&worker, "plugins-csv-worker-5", orch.control_url,
	    orch.events_url, NULL);
	assert_true(h_wait_run(conn, run, st, sizeof(st), 60000));
	assert_string_equal(st, "success");
	duck_value(duck, "SELECT count(*) || ':' || count(DISTINCT id) || ':' "
	    "|| (SELECT count(*) FROM _ork_loads) FROM killed", v, sizeof(v));
	assert_string_equal(v, "300000:300000:1");
}

/* peak_rss_kib reads VmHWM (the peak resident set) of a process. */
static long
peak_rss_kib(pid_t pid)
{
	char	 path[64], line[256];
	long	 kib = -1;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	fclose(f);
	return kib;
}

/*
 * Memory stays bounded: a CSV larger than the bound streams through a
 * fresh worker whose peak resident set stays under 100 MiB.  The CSV is
 * about 110 MB in make test; ORK_TEST_MEMORY_CSV_MB makes it larger
 * (make test-memory: 2 GB).
 */
static void
test_memory_bounded(void **state)
{
	char		 path[H_PATH_MAX], ex[2 * H_PATH_MAX], lo[512];
	char		 job[40], run[40], st[32], v[64], want[32], pad[101];
	struct stat	 sb;
	FILE		*f;
	long		 kib, mb = h_env_long("ORK_TEST_MEMORY_CSV_MB", 110);
	/* a row is about 115 bytes */
	long		 rows = mb * 1024 * 1024 / 115 + 1;

	(void)state;
	h_stop(&worker, SIGTERM, 5000);
	h_worker_start(&worker, "plugins-csv-worker-mem", orch.control_url,
	    orch.events_url, NULL);
	h_tmpfile("mem.csv", path, sizeof(path));
	memset(pad, 'x', 100);
	pad[100] = '\0';
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "id,a,b,c\n");
	for (long i = 0; i < rows; i++)
		fprintf(f, "%ld,\"%s, %ld\",%ld.5,\n", i, pad, i, i);
	fclose(f);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size > 100L * 1024 * 1024);
	assert_true(sb.st_size >= mb * 1024 * 1024 * 9 / 10);
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\"}", path);
	pg_loader(lo, sizeof(lo), "memory", "");
	job_create("memory bound", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 120000 + (int)mb * 200);
	assert_string_equal(st, "success");
	q1(dconn, "SELECT count(*) FROM memory", NULL, v, sizeof(v));
	snprintf(want, sizeof(want), "%ld", rows);
	assert_string_equal(v, want);
	kib = peak_rss_kib(worker.pid);
	print_message("# worker peak RSS %ld KiB for a %lld-byte CSV\n", kib,
	    (long long)sb.st_size);
	assert_true(kib > 0 && kib < 100 * 1024);
	exec_dest("DROP TABLE memory");
	unlink(path);
}

struct reader {
	char		 url[H_URL_MAX];
	atomic_int	 stop;
	long		 reads, bad;
	char		 first_bad[128];
};

static void *
reader_main(void *arg)
{
	struct reader	*rd = arg;
	PGconn		*c = PQconnectdb(rd->url);

	while (!atomic_load(&rd->stop)) {
		PGresult *r = PQexec(c, "SELECT count(*) || ':' || count(DISTINCT "
		    "tag) FROM swapped");

		if (PQresultStatus(r) == PGRES_TUPLES_OK) {
			const char *v = PQgetvalue(r, 0, 0);

			rd->reads++;
			if (strcmp(v, "50000:1") != 0 && rd->bad++ == 0)
				snprintf(rd->first_bad, sizeof(rd->first_bad),
				    "%s", v);
		}
		PQclear(r);
	}
	PQfinish(c);
	return NULL;
}

/* replace while another connection reads: old or new, never a mix. */
static void
test_replace_with_reader(void **state)
{
	char		 path[H_PATH_MAX], ex[2 * H_PATH_MAX], lo[512];
	char		 job[40], run[40], st[32], v[512];
	struct reader	 rd;
	pthread_t	 th;

	(void)state;
	h_tmpfile("swap.csv", path, sizeof(path));
	big_csv(path, 50000, "old");
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\"}", path);
	pg_loader(lo, sizeof(lo), "swapped", ", \"mode\": \"replace\"");
	job_create("replace with reader", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 30000);
	assert_string_equal(st, "success");
	memset(&rd, 0, sizeof(rd));
	snprintf(rd.url, sizeof(rd.url), "%s", dest);
	assert_int_equal(pthread_create(&th, NULL, reader_main, &rd), 0);
	for (int i = 0; i < 3; i++) {
		big_csv(path, 50000, i % 2 == 0 ? "new" : "old");
		run_job(job, run, st, sizeof(st), 30000);
		assert_string_equal(st, "success");
	}
	atomic_store(&rd.stop, 1);
	pthread_join(th, NULL);
	print_message("# %ld reads during 3 replaces, %ld bad (%s)\n",
	    rd.reads, rd.bad, rd.first_bad);
	assert_true(rd.reads > 0);
	assert_int_equal(rd.bad, 0);
	q1(dconn, "SELECT min(tag) FROM swapped", NULL, v, sizeof(v));
	assert_string_equal(v, "new");
}

/* col_types lists "name:type" of a destination table's columns. */
static void
col_types(const char *table, char *buf, size_t len)
{
	const char	*p[1] = { table };
	PGresult	*r = PQexecParams(dconn, "SELECT string_agg(attname || "
	    "':' || format_type(atttypid, atttypmod), ',' ORDER BY attnum) "
	    "FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 "
	    "AND NOT attisdropped", 1, NULL, p, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("columns of %s: %s", table, PQerrorMessage(dconn));
	snprintf(buf, len, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* typed_csv writes n rows whose qty is an integer, then the tail rows. */
static void
typed_csv(const char *path, int n, const char *tail)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "id,qty,price,ok,at,note,code\n");
	for (int i = 1; i <= n; i++)
		fprintf(f, "%d,%d,%d.25,%s,2026-01-02T03:04:%02dZ,n%d,%s\n", i,
		    i * 2, i, i % 2 ? "true" : "FALSE", i % 60, i,
		    i == 1 ? "007" : "x");
	fputs(tail, f);
	fclose(f);
}

/*
 * A table the loader creates is typed from the first batch (integer,
 * double, boolean, timestamp with zone, text) or by loader_config.columns;
 * a later value that does not fit an inferred column widens it (integer
 * to double to text) by default, or fails the load naming the column,
 * the row and the value with on_type_mismatch "fail"; a declared column
 * never widens.
 */
static void
test_types_postgres(void **state)
{
	char	path[H_PATH_MAX], ex[2 * H_PATH_MAX], lo[1024];
	char	job[40], run[40], st[32], v[1024];

	(void)state;
	h_tmpfile("typed5000.csv", path, sizeof(path));
	typed_csv(path, 3, "");
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\"}", path);
	pg_loader(lo, sizeof(lo), "inferred", "");
	job_create("types inferred", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "success");
	col_types("inferred", v, sizeof(v));
	assert_string_equal(v, "id:bigint,qty:bigint,price:double precision,"
	    "ok:boolean,at:timestamp with time zone,note:text,code:text");
	q1(dconn, "SELECT sum(qty) || ':' || sum(price) || ':' || "
	    "count(*) FILTER (WHERE ok) || ':' || extract(epoch FROM min(at)) "
	    "|| ':' || min(code) FROM inferred", NULL, v, sizeof(v));
	assert_string_equal(v, "12:6.75:2:1767323041.000000:007");

	/* declared: id as text, qty as double; the rest inferred */
	pg_loader(lo, sizeof(lo), "declared", ", \"columns\": [{\"name\": "
	    "\"id\", \"type\": \"text\"}, {\"name\": \"qty\", \"type\": "
	    "\"double\"}, {\"name\": \"ok\", \"type\": \"text\"}]");
	job_create("types declared", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "success");
	col_types("declared", v, sizeof(v));
	assert_string_equal(v, "id:text,qty:double precision,price:double "
	    "precision,ok:text,at:timestamp with time zone,note:text,"
	    "code:text");
	q1(dconn, "SELECT string_agg(ok, ',' ORDER BY id) FROM declared", NULL,
	    v, sizeof(v));
	assert_string_equal(v, "true,FALSE,true");

	/* widen: qty fits integer in the first batch, then 1.5, then text */
	typed_csv(path, 5000, "5001,1.5,1,true,2026-01-01T00:00:00Z,a,b\n"
	    "5002,lots,1,true,2026-01-01T00:00:00+01:00,a,b\n");
	pg_loader(lo, sizeof(lo), "widened", "");
	job_create("types widened", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 30000);
	assert_string_equal(st, "success");
	col_types("widened", v, sizeof(v));
	assert_string_equal(v, "id:bigint,qty:text,price:double precision,"
	    "ok:boolean,at:timestamp with time zone,note:text,code:text");
	q1(dconn, "SELECT count(*) || ':' || max(qty) FILTER (WHERE id > 5000) "
	    "|| ':' || min(qty) FILTER (WHERE id = 4) FROM widened", NULL, v,
	    sizeof(v));
	assert_string_equal(v, "5002:lots:8");
	q1(dconn, "SELECT extract(epoch FROM at)::bigint FROM widened WHERE "
	    "id = 5002", NULL, v, sizeof(v));
	assert_string_equal(v, "1767222000");
	/* merge widens its staging table with the target */
	pg_loader(lo, sizeof(lo), "widened_merge", ", \"mode\": \"merge\", "
	    "\"primary_key\": [\"id\"]");
	job_create("types widened merge", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 30000);
	assert_string_equal(st, "success");
	col_types("widened_merge", v, sizeof(v));
	assert_string_equal(v, "id:bigint,qty:text,price:double precision,"
	    "ok:boolean,at:timestamp with time zone,note:text,code:text");
	q1(dconn, "SELECT count(*) || ':' || max(qty) FILTER (WHERE id > 5000) "
	    "FROM widened_merge", NULL, v, sizeof(v));
	assert_string_equal(v, "5002:lots");
	q1(conn, "SELECT string_agg(line, '|' ORDER BY logged_at) FROM "
	    "task_logs l JOIN task_runs t USING (task_run_id) WHERE t.run_id = "
	    "$1 AND line LIKE '%widened%'", run, v, sizeof(v));
	assert_non_null(strstr(v, "column \"qty\" widened from integer to "
	    "double at row 5001"));
	assert_non_null(strstr(v, "from double to text at row 5002"));

	/* fail: the same file, nothing loaded, the value named */
	pg_loader(lo, sizeof(lo), "strict", ", \"on_type_mismatch\": \"fail\"");
	job_create("types strict", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 30000);
	assert_string_equal(st, "failed");
	q1(conn, "SELECT error_message FROM job_runs WHERE run_id = $1", run,
	    v, sizeof(v));
	assert_non_null(strstr(v, "column \"qty\" was inferred as integer "
	    "from the first batch, but row 5001 holds \"1.5\""));
	q1(dconn, "SELECT to_regclass('strict') IS NULL", NULL, v, sizeof(v));
	assert_string_equal(v, "t");

	/* a declared column never widens, whatever on_type_mismatch says */
	pg_loader(lo, sizeof(lo), "strict", ", \"columns\": [{\"name\": "
	    "\"qty\", \"type\": \"integer\"}]");
	job_create("types declared strict", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 30000);
	assert_string_equal(st, "failed");
	q1(conn, "SELECT error_message FROM job_runs WHERE run_id = $1", run,
	    v, sizeof(v));
	assert_non_null(strstr(v, "loader_config.columns: column \"qty\" is "
	    "declared integer, but row 5001 holds \"1.5\""));

	/* a declared column the source lacks is named */
	pg_loader(lo, sizeof(lo), "strict", ", \"columns\": [{\"name\": "
	    "\"qty\", \"type\": \"text\"}, {\"name\": \"nope\", \"type\": "
	    "\"text\"}]");
	job_create("types missing column", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 30000);
	assert_string_equal(st, "failed");
	q1(conn, "SELECT error_message FROM job_runs WHERE run_id = $1", run,
	    v, sizeof(v));
	assert_non_null(strstr(v, "loader_config.columns[1].name: the source "
	    "has no column \"nope\""));

	/* a table that exists keeps its types: columns are not applied */
	exec_dest("CREATE TABLE kept (id text, qty text, price text, ok text, "
	    "at text, note text, code text)");
	pg_loader(lo, sizeof(lo), "kept", ", \"columns\": [{\"name\": "
	    "\"qty\", \"type\": \"integer\"}], \"on_type_mismatch\": \"fail\"");
	job_create("types kept", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 30000);
	assert_string_equal(st, "success");
	col_types("kept", v, sizeof(v));
	assert_string_equal(v, "id:text,qty:text,price:text,ok:text,at:text,"
	    "note:text,code:text");
	q1(dconn, "SELECT count(*) FROM kept WHERE qty = 'lots'", NULL, v,
	    sizeof(v));
	assert_string_equal(v, "1");
}

/* The same rules into DuckDB (DuckDB casts what the loader does not parse). */
static void
test_types_duckdb(void **state)
{
	char	path[H_PATH_MAX], duck[H_PATH_MAX], ex[2 * H_PATH_MAX];
	char	lo[2 * H_PATH_MAX], job[40], run[40], st[32], v[1024];

	(void)state;
	h_tmpfile("dtyped.csv", path, sizeof(path));
	h_tmpfile("types.duckdb", duck, sizeof(duck));
	unlink(duck);
	typed_csv(path, 5000, "5001,1.5,1,true,2026-01-01T00:00:00Z,a,b\n"
	    "5002,lots,1,true,2026-01-01T00:00:00+01:00,a,b\n");
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\"}", path);
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"widened\", \"mode\": \"merge\", "
	    "\"primary_key\": [\"id\"], \"columns\": [{\"name\": \"note\", "
	    "\"type\": \"text\"}]}", duck);
	job_create("duck types widened", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 30000);
	assert_string_equal(st, "success");
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"strict\", \"on_type_mismatch\": \"fail\"}", duck);
	job_create("duck types strict", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 30000);
	assert_string_equal(st, "failed");
	q1(conn, "SELECT error_message FROM job_runs WHERE run_id = $1", run,
	    v, sizeof(v));
	assert_non_null(strstr(v, "column \"qty\" was inferred as integer "
	    "from the first batch, but row 5001 holds \"1.5\""));
	typed_csv(path, 3, "");
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"inferred\"}", duck);
	job_create("duck types inferred", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 30000);
	assert_string_equal(st, "success");
	duck_value(duck, "SELECT string_agg(column_name || ':' || data_type, "
	    "',' ORDER BY ordinal_position) FROM information_schema.columns "
	    "WHERE table_name = 'inferred'", v, sizeof(v));
	assert_string_equal(v, "id:BIGINT,qty:BIGINT,price:DOUBLE,ok:BOOLEAN,"
	    "at:TIMESTAMP WITH TIME ZONE,note:VARCHAR,code:VARCHAR");
	duck_value(duck, "SELECT sum(qty) || ':' || sum(price) || ':' || "
	    "count(*) FILTER (WHERE ok) || ':' || epoch(min(\"at\")) || ':' "
	    "|| min(code) FROM inferred", v, sizeof(v));
	assert_string_equal(v, "12:6.75:2:1767323041.0:007");
	duck_value(duck, "SELECT string_agg(column_name || ':' || data_type, "
	    "',' ORDER BY ordinal_position) FROM information_schema.columns "
	    "WHERE table_name = 'widened'", v, sizeof(v));
	assert_string_equal(v, "id:BIGINT,qty:VARCHAR,price:DOUBLE,ok:BOOLEAN,"
	    "at:TIMESTAMP WITH TIME ZONE,note:VARCHAR,code:VARCHAR");
	duck_value(duck, "SELECT count(*) || ':' || max(qty) FILTER (WHERE "
	    "id > 5000) || ':' || (SELECT count(*) FROM information_schema."
	    "tables WHERE table_name = 'strict') FROM widened", v, sizeof(v));
	assert_string_equal(v, "5002:lots:0");
	/* an offset is kept: 00:00+01:00 is 23:00 UTC the day before */
	duck_value(duck, "SELECT epoch(\"at\") FROM widened WHERE id = 5002",
	    v, sizeof(v));
	assert_string_equal(v, "1767222000.0");
	/* append widens as merge does (between two INSERTs of the chunks) */
	typed_csv(path, 5000, "5001,1.5,1,true,2026-01-01T00:00:00Z,a,b\n"
	    "5002,lots,1,true,2026-01-01T00:00:00+01:00,a,b\n");
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"widened_append\"}", duck);
	job_create("duck types widened append", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 30000);
	assert_string_equal(st, "success");
	duck_value(duck, "SELECT count(*) || ':' || max(qty) FILTER (WHERE "
	    "id > 5000) || ':' || epoch(max(\"at\") FILTER (WHERE id = 5002)) "
	    "|| ':' || sum(price) FROM widened_append", v, sizeof(v));
	assert_string_equal(v, "5002:lots:1767222000.0:12503752.0");
	/*
	 * a table that exists keeps its types: a value the loader does not
	 * parse ("yes" for a boolean) goes as text and DuckDB casts it, as
	 * it does for a type the loader does not parse (DECIMAL, INTEGER)
	 */
	duck_value(duck, "CREATE TABLE kept (id INTEGER, qty VARCHAR, price "
	    "DECIMAL(10, 2), ok BOOLEAN, \"at\" TIMESTAMPTZ, note VARCHAR, "
	    "code VARCHAR); SELECT 1", v, sizeof(v));
	typed_csv(path, 3, "4,8,4.25,yes,2026-01-02 03:04:05+02,n4,x\n");
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"kept\"}", duck);
	job_create("duck types kept", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 30000);
	assert_string_equal(st, "success");
	duck_value(duck, "SELECT count(*) FILTER (WHERE ok) || ':' || "
	    "sum(price) || ':' || sum(id) || ':' || epoch(max(\"at\") FILTER "
	    "(WHERE id = 4)) FROM kept", v, sizeof(v));
	assert_string_equal(v, "3:11.00:10:1767315845.0");
}

/* inc_csv writes rows "id,seq,v" from a list of triples. */
static void
inc_csv(const char *path, const char *rows, int extra_from, int extra_n,
    const char *tail)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "id,seq,v\n%s", rows);
	for (int i = 0; i < extra_n; i++)
		fprintf(f, "%d,13,bulk\n", extra_from + i);
	fputs(tail, f);
	fclose(f);
}

/*
 * An incremental csv load into PostgreSQL: three runs over a file that
 * grows (with new rows at the old mark, and an updated row) leave every
 * row once; a run that fails in the middle of its COPY leaves the mark
 * where it was, and the run after it loads what that one did not.  The
 * cursor is compared as a number (10 and 12 come after 9).
 */
static void
test_incremental_postgres(void **state)
{
	char	path[H_PATH_MAX], ex[2 * H_PATH_MAX], lo[1024];
	char	job[40], run[40], st[32], v[1024];

	(void)state;
	h_tmpfile("inc.csv", path, sizeof(path));
	/* below initial_value 1: left out */
	inc_csv(path, "0,0,old\n1,1,a\n2,2,b\n3,9,c\n", 0, 0, "");
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\", "
	    "\"cursor_field\": \"seq\", \"initial_value\": 1}", path);
	pg_loader(lo, sizeof(lo), "inc", ", \"mode\": \"merge\", "
	    "\"primary_key\": [\"id\"]");
	job_create("incremental csv", ex, lo, 2, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "success");
	q1(dconn, "SELECT string_agg(id || v, ',' ORDER BY id) FROM inc", NULL,
	    v, sizeof(v));
	assert_string_equal(v, "1a,2b,3c");
	q1(dconn, "SELECT mark FROM _ork_cursors", NULL, v, sizeof(v));
	assert_string_equal(v, "9");
	q1(conn, "SELECT cursor_mark FROM task_definitions WHERE job_id = $1",
	    job, v, sizeof(v));
	assert_string_equal(v, "9");
	/* run 2: a new row at the old mark, one above, row 2 updated */
	inc_csv(path, "0,0,old\n1,1,a\n2,12,B\n3,9,c\n4,9,d\n5,10,e\n", 0,
	    0, "");
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "success");
	q1(conn, "SELECT rows_moved::text FROM task_runs WHERE run_id = $1",
	    run, v, sizeof(v));
	assert_string_equal(v, "4");	/* seq >= 9: ids 2, 3, 4, 5 */
	q1(dconn, "SELECT string_agg(id || v, ',' ORDER BY id) FROM inc", NULL,
	    v, sizeof(v));
	assert_string_equal(v, "1a,2B,3c,4d,5e");
	q1(dconn, "SELECT mark FROM _ork_cursors", NULL, v, sizeof(v));
	assert_string_equal(v, "12");
	/* run 3 fails after a first batch went into the COPY */
	inc_csv(path, "1,1,a\n2,12,B\n3,9,c\n4,9,d\n5,10,e\n", 6, 5000,
	    "9999,14,bad,extra\n");
	run_job(job, run, st, sizeof(st), 30000);
	assert_string_equal(st, "failed");
	q1(conn, "SELECT error_message FROM job_runs WHERE run_id = $1", run,
	    v, sizeof(v));
	assert_non_null(strstr(v, "4 fields where 3 columns"));
	q1(dconn, "SELECT count(*) || ':' || (SELECT mark FROM _ork_cursors) || "
	    "':' || (SELECT count(*) FROM _ork_loads WHERE cursor_mark IS NOT "
	    "NULL) FROM inc", NULL, v, sizeof(v));
	assert_string_equal(v, "5:12:2");
	q1(conn, "SELECT cursor_mark FROM task_definitions WHERE job_id = $1",
	    job, v, sizeof(v));
	assert_string_equal(v, "12");
	/* run 4: the file mended; every row once, the mark moved on */
	inc_csv(path, "1,1,a\n2,12,B\n3,9,c\n4,9,d\n5,10,e\n", 6, 5000,
	    "9999,14,last\n");
	run_job(job, run, st, sizeof(st), 30000);
	assert_string_equal(st, "success");
	q1(dconn, "SELECT count(*) || ':' || count(DISTINCT id) || ':' || "
	    "(SELECT mark FROM _ork_cursors) || ':' || string_agg(v, '' ORDER "
	    "BY id) FILTER (WHERE id < 6 OR id = 9999) FROM inc", NULL, v,
	    sizeof(v));
	assert_string_equal(v, "5006:5006:14:aBcdelast");
	q1(conn, "SELECT cursor_mark FROM task_definitions WHERE job_id = $1",
	    job, v, sizeof(v));
	assert_string_equal(v, "14");
}

/* The connection string (with its password) never reaches the logs. */
static void
test_secret_not_logged(void **state)
{
	char	path[H_PATH_MAX], ex[2 * H_PATH_MAX], lo[512], secret[256];
	char	job[40], run[40], st[32], v[64];

	(void)state;
	snprintf(secret, sizeof(secret), "host=127.0.0.1 port=1 dbname=nodb "
	    "user=nobody password=pw-Zq81-never-shown connect_timeout=2");
	setenv("ORK_TEST_BAD_DEST", secret, 1);
	/* the worker reads its environment at start: restart it */
	h_stop(&worker, SIGTERM, 5000);
	h_worker_start(&worker, "plugins-csv-worker-4", orch.control_url,
	    orch.events_url, NULL);
	h_tmpfile("secret.csv", path, sizeof(path));
	write_file(path, "a\n1\n", 4);
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\"}", path);
	snprintf(lo, sizeof(lo), "{\"type\": \"postgres\", \"connection\": "
	    "{\"env\": \"ORK_TEST_BAD_DEST\"}, \"table_name\": \"t\"}");
	job_create("secret", ex, lo, 1, job);
	run_job(job, run, st, sizeof(st), 20000);
	assert_string_equal(st, "failed");
	q1(conn, "SELECT count(*) FROM task_logs WHERE line LIKE "
	    "'%pw-Zq81%' OR line LIKE '%password=%'", NULL, v, sizeof(v));
	assert_string_equal(v, "0");
	q1(conn, "SELECT count(*) FROM job_runs WHERE error_message LIKE "
	    "'%pw-Zq81%'", NULL, v, sizeof(v));
	assert_string_equal(v, "0");
	q1(conn, "SELECT count(*) FROM task_runs WHERE error_message LIKE "
	    "'%pw-Zq81%'", NULL, v, sizeof(v));
	assert_string_equal(v, "0");
	q1(conn, "SELECT count(*) FROM task_runs WHERE run_id = $1 AND "
	    "error_message LIKE '%could not connect%'", run, v, sizeof(v));
	assert_string_equal(v, "1");
	assert_int_equal(h_log_count(&worker, "pw-Zq81"), 0);
}

int
main(void)
{
	/*
	 * Tests that read DuckDB files in this process come last, the one
	 * that restarts the worker first among them: once DuckDB's
	 * allocator runs here, its fork handlers take more locks than
	 * ThreadSanitizer's deadlock detector can track (make tsan).
	 */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edge_cases_into_postgres),
		cmocka_unit_test(test_bad_rows_fail_or_skip),
		cmocka_unit_test(test_injection_refused),
		cmocka_unit_test(test_modes_postgres),
		cmocka_unit_test(test_existing_typed_table),
		cmocka_unit_test(test_types_postgres),
		cmocka_unit_test(test_incremental_postgres),
		cmocka_unit_test(test_ledger_row_means_loaded),
		cmocka_unit_test(test_kill_mid_load_postgres),
		cmocka_unit_test(test_replace_with_reader),
		cmocka_unit_test(test_secret_not_logged),
		cmocka_unit_test(test_memory_bounded),
		cmocka_unit_test(test_kill_mid_load_duckdb),
		cmocka_unit_test(test_edge_cases_into_duckdb_gzip),
		cmocka_unit_test(test_modes_duckdb),
		cmocka_unit_test(test_types_duckdb),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
