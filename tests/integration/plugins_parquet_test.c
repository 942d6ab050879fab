/*
 * plugins_parquet_test.c - parquet tasks end to end through
 * ork-orchestrator and ork-worker: a file written by DuckDB with eight
 * columns of mixed types and NULLs, and a glob over two files, loaded
 * into PostgreSQL and into a DuckDB file; the values arrive intact,
 * NULLs as NULL; an incremental load over a glob that grows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <duckdb.h>

#include "harness.h"

static struct h_orch	orch;
static struct h_proc	worker;
static char		db[H_URL_MAX], dest[H_URL_MAX];
static char		dir[H_PATH_MAX];
static PGconn		*conn, *dconn;

/* duck runs one statement on a DuckDB file (NULL: in memory). */
static void
duck(const char *file, const char *sql, char *buf, size_t len)
{
	duckdb_database		d;
	duckdb_connection	c;
	duckdb_result		r;

	assert_int_equal(duckdb_open(file, &d), DuckDBSuccess);
	assert_int_equal(duckdb_connect(d, &c), DuckDBSuccess);
	if (duckdb_query(c, sql, &r) == DuckDBError)
		fail_msg("%s: %s", sql, duckdb_result_error(&r));
	if (buf != NULL) {
		char *v = duckdb_value_varchar(&r, 0, 0);

		snprintf(buf, len, "%s", v != NULL ? v : "<null>");
		duckdb_free(v);
	}
	duckdb_destroy_result(&r);
	duckdb_disconnect(&c);
	duckdb_close(&d);
}

static void
parquet_file(const char *path, int from, int n)
{
	char sql[4096];

	snprintf(sql, sizeof(sql), "COPY (SELECT i AS id, 'name ' || i AS "
	    "name, i * 1.5 AS amount, i %% 2 = 0 AS flag, TIMESTAMP "
	    "'2026-01-01 00:00:00' + i * INTERVAL 1 SECOND AS at, "
	    "CASE WHEN i %% 10 = 0 THEN NULL ELSE i %% 7 END AS maybe, "
	    "DATE '2026-01-01' + (i %% 365)::int AS day, "
	    "'q\"t,\n' || i AS odd FROM range(%d, %d) t(i)) TO '%s' "
	    "(FORMAT parquet)", from, from + n, path);
	duck(NULL, sql, NULL, 0);
}

static int
setup(void **state)
{
	(void)state;
	h_db_create("plugins_parquet", 1, db, sizeof(db));
	h_db_create("plugins_parquet_dest", 0, dest, sizeof(dest));
	conn = h_db_connect(db);
	dconn = h_db_connect(dest);
	setenv("ORK_TEST_DEST", dest, 1);
	snprintf(dir, sizeof(dir), "%s/parquet", h_env("ORK_TEST_OUT"));
	(void)mkdir(dir, 0755);
	h_orch_start(&orch, "plugins-parquet-orchestrator", db, NULL);
	h_worker_start(&worker, "plugins-parquet-worker", orch.control_url,
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

static void
job_run(const char *ex, const char *lo, char *run, char *st, size_t len)
{
	static int	 seq;
	const char	*p[3];
	char		 job[40], name[32];
	PGresult	*r;

	snprintf(name, sizeof(name), "parquet %d", ++seq);
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
q1(PGconn *c, const char *sql, char *buf, size_t len)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
		fail_msg("\"%s\" failed: %s", sql, PQerrorMessage(c));
	snprintf(buf, len, "%s", PQgetisnull(r, 0, 0) ? "<null>" :
	    PQgetvalue(r, 0, 0));
	PQclear(r);
}

static void
test_parquet_into_postgres(void **state)
{
	char	path[2 * H_PATH_MAX], ex[3 * H_PATH_MAX], run[40], st[32];
	char	v[512];
	const char *lo = "{\"type\": \"postgres\", \"connection\": {\"env\": "
	    "\"ORK_TEST_DEST\"}, \"table_name\": \"mixed\"}";

	(void)state;
	snprintf(path, sizeof(path), "%s/mixed.parquet", dir);
	parquet_file(path, 0, 10000);
	snprintf(ex, sizeof(ex), "{\"type\": \"parquet\", \"path\": \"%s\"}",
	    path);
	job_run(ex, lo, run, st, sizeof(st));
	assert_string_equal(st, "success");
	q1(dconn, "SELECT count(*) || ':' || count(maybe) || ':' || "
	    "sum(amount::numeric) FROM mixed", v, sizeof(v));
	assert_string_equal(v, "10000:9000:74992500.0");
	q1(dconn, "SELECT id || '|' || name || '|' || flag || '|' || at || '|' "
	    "|| day || '|' || odd FROM mixed WHERE id = '42'", v, sizeof(v));
	assert_string_equal(v, "42|name 42|true|2026-01-01 00:00:42|"
	    "2026-02-12|q\"t,\n42");
}

static void
test_parquet_glob_into_duckdb(void **state)
{
	char	path[2 * H_PATH_MAX], file[2 * H_PATH_MAX], ex[3 * H_PATH_MAX];
	char	lo[3 * H_PATH_MAX], run[40], st[32], v[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/part-1.parquet", dir);
	parquet_file(path, 0, 5000);
	snprintf(path, sizeof(path), "%s/part-2.parquet", dir);
	parquet_file(path, 5000, 5000);
	snprintf(file, sizeof(file), "%s/mixed.duckdb", dir);
	unlink(file);
	snprintf(ex, sizeof(ex), "{\"type\": \"parquet\", \"path\": "
	    "\"%s/part-*.parquet\"}", dir);
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"mixed\", \"mode\": \"merge\", \"primary_key\": "
	    "[\"id\"]}", file);
	job_run(ex, lo, run, st, sizeof(st));
	assert_string_equal(st, "success");
	job_run(ex, lo, run, st, sizeof(st));	/* merge: still once each */
	assert_string_equal(st, "success");
	duck(file, "SELECT count(*) || ':' || count(DISTINCT id) || ':' || "
	    "count(maybe) || ':' || (SELECT count(*) FROM _ork_loads) FROM "
	    "mixed", v, sizeof(v));
	assert_string_equal(v, "10000:10000:9000:2");
	/* append reads the files with DuckDB's own reader: the same rows */
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"fast\"}", file);
	job_run(ex, lo, run, st, sizeof(st));
	assert_string_equal(st, "success");
	{
		char	sql[256], w[512];

		snprintf(sql, sizeof(sql), "SELECT rows_moved::text FROM "
		    "task_runs WHERE run_id = '%s'", run);
		q1(conn, sql, w, sizeof(w));
		assert_string_equal(w, "10000");
	}
	duck(file, "SELECT count(*) FROM (SELECT * FROM fast EXCEPT SELECT * "
	    "FROM mixed)", v, sizeof(v));
	assert_string_equal(v, "0");
	duck(file, "SELECT count(*) || ':' || count(maybe) || ':' || "
	    "max(typeof(amount)) FROM fast", v, sizeof(v));
	/* a table made from the file itself takes the file's types */
	assert_string_equal(v, "10000:9000:DOUBLE");
	/* a missing file fails with the path named */
	snprintf(ex, sizeof(ex), "{\"type\": \"parquet\", \"path\": "
	    "\"%s/none.parquet\"}", dir);
	job_run(ex, lo, run, st, sizeof(st));
	assert_string_equal(st, "failed");
	{
		char	sql[256];

		snprintf(sql, sizeof(sql), "SELECT error_message FROM job_runs "
		    "WHERE run_id = '%s'", run);
		q1(conn, sql, v, sizeof(v));
		assert_non_null(strstr(v, "none.parquet"));
	}
}

/*
 * An incremental parquet load into DuckDB (cursor id, initial_value 10)
 * over a glob that gains a file overlapping the first: the rows below
 * the mark are left out (so DuckDB's own reader, which would load them
 * all, is not used), the rows at the mark come again and are merged.
 */
static void
test_incremental_parquet_into_duckdb(void **state)
{
	char		 path[2 * H_PATH_MAX], file[2 * H_PATH_MAX];
	char		 ex[3 * H_PATH_MAX], lo[3 * H_PATH_MAX], sql[256];
	char		 job[40], run[40], st[32], v[512];
	const char	*p[3];
	PGresult	*r;

	(void)state;
	snprintf(path, sizeof(path), "%s/inc-1.parquet", dir);
	parquet_file(path, 0, 100);
	snprintf(path, sizeof(path), "%s/inc-2.parquet", dir);
	unlink(path);
	snprintf(file, sizeof(file), "%s/inc.duckdb", dir);
	unlink(file);
	snprintf(ex, sizeof(ex), "{\"type\": \"parquet\", \"path\": "
	    "\"%s/inc-*.parquet\", \"cursor_field\": \"id\", "
	    "\"initial_value\": 10}", dir);
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"inc\", \"mode\": \"merge\", \"primary_key\": "
	    "[\"id\"]}", file);
	p[0] = "parquet incremental";
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
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	h_trigger(orch.control_url, job, run);
	assert_true(h_wait_run(conn, run, st, sizeof(st), 30000));
	assert_string_equal(st, "success");
	duck(file, "SELECT count(*) || ':' || min(id) || ':' || max(id) || ':' "
	    "|| (SELECT mark FROM _ork_cursors) FROM inc", v, sizeof(v));
	assert_string_equal(v, "90:10:99:99");
	/* a second file, 95 to 199: from the mark 99 on, 99 twice */
	parquet_file(path, 95, 105);
	h_trigger(orch.control_url, job, run);
	assert_true(h_wait_run(conn, run, st, sizeof(st), 30000));
	assert_string_equal(st, "success");
	snprintf(sql, sizeof(sql), "SELECT rows_moved::text FROM task_runs "
	    "WHERE run_id = '%s'", run);
	q1(conn, sql, v, sizeof(v));
	assert_string_equal(v, "102");
	duck(file, "SELECT count(*) || ':' || count(DISTINCT id) || ':' || "
	    "min(id) || ':' || max(id) || ':' || (SELECT mark FROM "
	    "_ork_cursors) FROM inc", v, sizeof(v));
	assert_string_equal(v, "190:190:10:199:199");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parquet_into_postgres),
		cmocka_unit_test(test_parquet_glob_into_duckdb),
		cmocka_unit_test(test_incremental_parquet_into_duckdb),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
