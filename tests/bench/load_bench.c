/*
 * load_bench.c - how fast ork's data tasks load, beside the databases'
 * own bulk loaders on the same files.
 *
 * Generates a CSV of N rows and 8 mixed columns (integer, text, decimal,
 * integer, boolean, timestamp with zone, a category, text with quotes and
 * commas) and the same rows as Parquet (written by DuckDB), then, through
 * one ork-orchestrator and one ork-worker on loopback:
 *   CSV -> postgres      beside  psql -c "\copy t from 'file' csv header"
 *   CSV -> duckdb        beside  INSERT INTO t SELECT * FROM read_csv(...)
 *   Parquet -> duckdb    beside  INSERT INTO t SELECT * FROM read_parquet(...)
 *   Parquet -> postgres  rows/s
 *   http -> duckdb       records/s, from a civetweb server in this process
 *                        serving pages of 1,000 JSON records
 * Every reference loads into a table of the same shape as the one ork
 * created (the column types it inferred from the first batch; for
 * Parquet into DuckDB, the file's own).  ork's figure is the task's own
 * time (task start
 * to finish in the state store), beside the whole trigger-to-finish time.
 *
 * Prints one JSON object.  Sizes: ORK_BENCH_LOAD_ROWS (1000000),
 * ORK_BENCH_HTTP_RECORDS (1000000, in pages of 1,000).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <civetweb.h>
#include <cmocka.h>
#include <duckdb.h>

#include "harness.h"
#include "util.h"

extern char **environ;

static struct h_orch	 orch;
static struct h_proc	 worker;
static char		 db[H_URL_MAX], dest[H_URL_MAX];
static PGconn		*conn, *dconn;
static long		 rows;
static long		 http_pages;

#define HTTP_PAGE_RECORDS 1000

/* /records?page=N: 1,000 records of 6 fields, one nested; empty after. */
static int
on_records(struct mg_connection *c, void *arg)
{
	const struct mg_request_info	*ri = mg_get_request_info(c);
	char				 v[32];
	char				*body;
	size_t				 cap = HTTP_PAGE_RECORDS * 200 + 64, n = 0;
	long				 page = 1;

	(void)arg;
	if (ri->query_string != NULL && mg_get_var(ri->query_string,
	    strlen(ri->query_string), "page", v, sizeof(v)) > 0)
		page = strtol(v, NULL, 10);
	body = malloc(cap);
	assert_non_null(body);
	n += (size_t)snprintf(body + n, cap - n, "{\"items\": [");
	for (long i = 0; page <= http_pages && i < HTTP_PAGE_RECORDS; i++) {
		long id = (page - 1) * HTTP_PAGE_RECORDS + i;

		n += (size_t)snprintf(body + n, cap - n, "%s{\"id\": %ld, "
		    "\"name\": \"customer %ld\", \"amount\": %ld.25, "
		    "\"active\": %s, \"address\": {\"city\": \"c%ld\", "
		    "\"zip\": \"%05ld\"}}", i > 0 ? "," : "", id, id, id % 1000,
		    id % 2 ? "true" : "false", id % 100, id % 100000);
	}
	n += (size_t)snprintf(body + n, cap - n, "]}");
	mg_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n", n);
	mg_write(c, body, n);
	free(body);
	return 200;
}

struct timing {
	double	task_s;		/* the task's own time */
	double	wall_s;		/* trigger to run finished */
	long	rows;
};

static void
gen_csv(const char *path, long n)
{
	static const char *const cats[] = { "books", "games", "garden",
	    "tools", "music" };
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "id,name,amount,qty,flag,created_at,category,note\n");
	for (long i = 0; i < n; i++)
		fprintf(f, "%ld,customer %ld,%ld.%02ld,%ld,%s,"
		    "2026-%02ld-%02ldT%02ld:%02ld:%02ld+00:00,%s,%s\n", i, i * 7,
		    i % 100000, i % 100, i % 1000, i % 3 == 0 ? "true" : "false",
		    i % 12 + 1, i % 28 + 1, i % 24, i % 60, (i * 7) % 60,
		    cats[i % 5], i % 10 == 0 ? "\"said \"\"hi\"\", then left\"" :
		    i % 10 == 1 ? "" : "plain note");
	fclose(f);
}

static void
duck_exec(const char *file, const char *sql)
{
	duckdb_database		d;
	duckdb_connection	c;
	duckdb_result		r;

	assert_int_equal(duckdb_open(file, &d), DuckDBSuccess);
	assert_int_equal(duckdb_connect(d, &c), DuckDBSuccess);
	if (duckdb_query(c, sql, &r) == DuckDBError)
		fail_msg("%s: %s", sql, duckdb_result_error(&r));
	duckdb_destroy_result(&r);
	duckdb_disconnect(&c);
	duckdb_close(&d);
}

static long
duck_count(const char *file, const char *table)
{
	duckdb_database		d;
	duckdb_connection	c;
	duckdb_result		r;
	char			sql[256];
	long			n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	assert_int_equal(duckdb_open(file, &d), DuckDBSuccess);
	assert_int_equal(duckdb_connect(d, &c), DuckDBSuccess);
	assert_int_equal(duckdb_query(c, sql, &r), DuckDBSuccess);
	n = (long)duckdb_value_int64(&r, 0, 0);
	duckdb_destroy_result(&r);
	duckdb_disconnect(&c);
	duckdb_close(&d);
	return n;
}

static void
pg_exec(const char *sql)
{
	PGresult *r = PQexec(dconn, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(dconn));
	PQclear(r);
}

static long
pg_count(const char *table)
{
	char	sql[128], v[32];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	h_db_value(dconn, sql, v, sizeof(v));
	return strtol(v, NULL, 10);
}

/* ork_load runs one data task and returns its timings. */
static struct timing
ork_load(const char *name, const char *ex, const char *lo)
{
	struct timing	 t;
	const char	*p[3];
	char		 job[40], run[40], st[32], v[64];
	int64_t		 t0;
	PGresult	*r;

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
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	t0 = util_mono_ms();
	h_trigger(orch.control_url, job, run);
	assert_true(h_wait_run(conn, run, st, sizeof(st), 3600 * 1000));
	t.wall_s = (double)(util_mono_ms() - t0) / 1000.0;
	if (strcmp(st, "success") != 0)
		fail_msg("%s: run %s", name, st);
	p[0] = run;
	r = PQexecParams(conn, "SELECT extract(epoch FROM finished_at - "
	    "started_at)::text, rows_moved::text FROM task_runs WHERE run_id = "
	    "$1", 1, NULL, p, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	t.task_s = strtod(PQgetvalue(r, 0, 0), NULL);
	snprintf(v, sizeof(v), "%s", PQgetvalue(r, 0, 1));
	t.rows = strtol(v, NULL, 10);
	PQclear(r);
	return t;
}

static double
psql_copy(const char *csv)
{
	char		 cmd[3 * H_PATH_MAX];
	char *const	 argv[] = { (char *)(uintptr_t)"psql", (char *)
	    (uintptr_t)"-q", (char *)(uintptr_t)"-v",
	    (char *)(uintptr_t)"ON_ERROR_STOP=1", (char *)(uintptr_t)"-d",
	    dest, (char *)(uintptr_t)"-c", cmd, NULL };
	pid_t		 pid;
	int		 status;
	int64_t		 t0;

	snprintf(cmd, sizeof(cmd), "\\copy ref_csv from '%s' with (format "
	    "csv, header true)", csv);
	t0 = util_mono_ms();
	assert_int_equal(posix_spawnp(&pid, "psql", NULL, NULL, argv, environ),
	    0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return (double)(util_mono_ms() - t0) / 1000.0;
}

/* duck_shape writes the column definitions of table t in a file. */
static void
duck_shape(const char *file, char *buf, size_t len)
{
	duckdb_database		 d;
	duckdb_connection	 c;
	duckdb_result		 r;
	char			*v;

	assert_int_equal(duckdb_open(file, &d), DuckDBSuccess);
	assert_int_equal(duckdb_connect(d, &c), DuckDBSuccess);
	assert_int_equal(duckdb_query(c, "SELECT string_agg('\"' || "
	    "column_name || '\" ' || data_type, ', ' ORDER BY "
	    "ordinal_position) FROM information_schema.columns WHERE "
	    "table_name = 't'", &r), DuckDBSuccess);
	v = duckdb_value_varchar(&r, 0, 0);
	assert_non_null(v);
	snprintf(buf, len, "%s", v);
	duckdb_free(v);
	duckdb_destroy_result(&r);
	duckdb_disconnect(&c);
	duckdb_close(&d);
}

/* duck_native loads with DuckDB's reader into a table like ork's. */
static double
duck_native(const char *file, const char *ork_file, const char *reader,
    const char *path)
{
	char	sql[3 * H_PATH_MAX], shape[1024];
	int64_t	t0;

	duck_shape(ork_file, shape, sizeof(shape));
	snprintf(sql, sizeof(sql), "CREATE TABLE ref (%s)", shape);
	duck_exec(file, sql);
	snprintf(sql, sizeof(sql), "INSERT INTO ref SELECT * FROM %s('%s')",
	    reader, path);
	t0 = util_mono_ms();
	duck_exec(file, sql);
	return (double)(util_mono_ms() - t0) / 1000.0;
}

static void
bench(void **state)
{
	char		dir[H_PATH_MAX], csv[2 * H_PATH_MAX], pq[2 * H_PATH_MAX];
	char		d1[2 * H_PATH_MAX], d2[2 * H_PATH_MAX];
	char		d3[2 * H_PATH_MAX], d4[2 * H_PATH_MAX];
	char		ex[4 * H_PATH_MAX], lo[4 * H_PATH_MAX];
	char		sql[6 * H_PATH_MAX];
	struct timing	csv_pg, csv_dk, pq_dk, pq_pg, http_dk;
	struct mg_context *web;
	char		ports[32], d5[2 * H_PATH_MAX];
	const char	*opts[] = { "listening_ports", ports, "num_threads",
	    "4", "enable_keep_alive", "yes", NULL };
	double		ref_pg, ref_csv_dk, ref_pq_dk;
	struct stat	sb;
	long		csv_bytes;

	(void)state;
	rows = h_env_long("ORK_BENCH_LOAD_ROWS", 1000000);
	snprintf(dir, sizeof(dir), "%s/load", h_env("ORK_TEST_OUT"));
	(void)mkdir(dir, 0755);
	snprintf(csv, sizeof(csv), "%s/rows.csv", dir);
	snprintf(pq, sizeof(pq), "%s/rows.parquet", dir);
	snprintf(d1, sizeof(d1), "%s/ork_csv.duckdb", dir);
	snprintf(d2, sizeof(d2), "%s/ref_csv.duckdb", dir);
	snprintf(d3, sizeof(d3), "%s/ork_parquet.duckdb", dir);
	snprintf(d4, sizeof(d4), "%s/ref_parquet.duckdb", dir);
	snprintf(d5, sizeof(d5), "%s/ork_http.duckdb", dir);
	unlink(d1), unlink(d2), unlink(d3), unlink(d4), unlink(d5);
	http_pages = h_env_long("ORK_BENCH_HTTP_RECORDS", 1000000) /
	    HTTP_PAGE_RECORDS;
	gen_csv(csv, rows);
	assert_int_equal(stat(csv, &sb), 0);
	csv_bytes = (long)sb.st_size;
	snprintf(sql, sizeof(sql), "COPY (SELECT * FROM read_csv('%s', header "
	    "= true)) TO '%s' (FORMAT parquet)", csv, pq);
	duck_exec(NULL, sql);

	/* CSV -> postgres, and psql's \copy */
	snprintf(ex, sizeof(ex), "{\"type\": \"csv\", \"path\": \"%s\"}", csv);
	snprintf(lo, sizeof(lo), "{\"type\": \"postgres\", \"connection\": "
	    "{\"env\": \"ORK_BENCH_DEST\"}, \"table_name\": \"ork_csv\"}");
	csv_pg = ork_load("csv to postgres", ex, lo);
	assert_int_equal(pg_count("ork_csv"), rows);
	pg_exec("CREATE TABLE ref_csv (LIKE ork_csv)");
	ref_pg = psql_copy(csv);
	assert_int_equal(pg_count("ref_csv"), rows);

	/* CSV -> duckdb, and read_csv */
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"t\"}", d1);
	csv_dk = ork_load("csv to duckdb", ex, lo);
	assert_int_equal(duck_count(d1, "t"), rows);
	ref_csv_dk = duck_native(d2, d1, "read_csv", csv);
	assert_int_equal(duck_count(d2, "ref"), rows);

	/* Parquet -> duckdb, and read_parquet */
	snprintf(ex, sizeof(ex), "{\"type\": \"parquet\", \"path\": \"%s\"}",
	    pq);
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"t\"}", d3);
	pq_dk = ork_load("parquet to duckdb", ex, lo);
	assert_int_equal(duck_count(d3, "t"), rows);
	ref_pq_dk = duck_native(d4, d3, "read_parquet", pq);
	assert_int_equal(duck_count(d4, "ref"), rows);

	/* Parquet -> postgres */
	snprintf(lo, sizeof(lo), "{\"type\": \"postgres\", \"connection\": "
	    "{\"env\": \"ORK_BENCH_DEST\"}, \"table_name\": \"ork_parquet\"}");
	pq_pg = ork_load("parquet to postgres", ex, lo);
	assert_int_equal(pg_count("ork_parquet"), rows);

	/* http -> duckdb */
	snprintf(ports, sizeof(ports), "127.0.0.1:%d", h_free_port());
	web = mg_start(NULL, NULL, opts);
	assert_non_null(web);
	mg_set_request_handler(web, "/records", on_records, NULL);
	snprintf(ex, sizeof(ex), "{\"type\": \"http\", \"url\": "
	    "\"http://%s/records\", \"records_path\": \"items\", "
	    "\"pagination\": {\"type\": \"page\", \"page_size\": %d, "
	    "\"size_param\": \"per_page\", \"max_pages\": 1000000}}", ports,
	    HTTP_PAGE_RECORDS);
	snprintf(lo, sizeof(lo), "{\"type\": \"duckdb\", \"db_path\": \"%s\", "
	    "\"table_name\": \"t\"}", d5);
	http_dk = ork_load("http to duckdb", ex, lo);
	mg_stop(web);
	assert_int_equal(duck_count(d5, "t"), http_pages * HTTP_PAGE_RECORDS);

	printf("{\"benchmark\": \"load\", \"rows\": %ld, \"columns\": 8, "
	    "\"csv_bytes\": %ld, "
	    "\"csv_to_postgres\": {\"ork_task_s\": %.2f, \"ork_wall_s\": %.2f, "
	    "\"ork_rows_per_s\": %.0f, \"psql_copy_s\": %.2f, "
	    "\"ratio\": %.2f}, "
	    "\"csv_to_duckdb\": {\"ork_task_s\": %.2f, \"ork_wall_s\": %.2f, "
	    "\"ork_rows_per_s\": %.0f, \"duckdb_read_csv_s\": %.2f, "
	    "\"ratio\": %.2f}, "
	    "\"parquet_to_duckdb\": {\"ork_task_s\": %.2f, \"ork_wall_s\": "
	    "%.2f, \"ork_rows_per_s\": %.0f, \"duckdb_read_parquet_s\": %.2f, "
	    "\"ratio\": %.2f}, "
	    "\"parquet_to_postgres\": {\"ork_task_s\": %.2f, \"ork_wall_s\": "
	    "%.2f, \"ork_rows_per_s\": %.0f}, "
	    "\"http_to_duckdb\": {\"records\": %ld, \"pages\": %ld, "
	    "\"ork_task_s\": %.2f, \"ork_records_per_s\": %.0f}}\n", rows,
	    csv_bytes,
	    csv_pg.task_s, csv_pg.wall_s, (double)rows / csv_pg.task_s, ref_pg,
	    csv_pg.task_s / ref_pg,
	    csv_dk.task_s, csv_dk.wall_s, (double)rows / csv_dk.task_s,
	    ref_csv_dk, csv_dk.task_s / ref_csv_dk,
	    pq_dk.task_s, pq_dk.wall_s, (double)rows / pq_dk.task_s,
	    ref_pq_dk, pq_dk.task_s / ref_pq_dk,
	    pq_pg.task_s, pq_pg.wall_s, (double)rows / pq_pg.task_s,
	    http_dk.rows, http_pages, http_dk.task_s,
	    (double)http_dk.rows / http_dk.task_s);
	fflush(stdout);
}

static int
setup(void **state)
{
	(void)state;
	h_db_create("bench_load", 1, db, sizeof(db));
	h_db_create("bench_load_dest", 0, dest, sizeof(dest));
	conn = h_db_connect(db);
	dconn = h_db_connect(dest);
	setenv("ORK_BENCH_DEST", dest, 1);
	h_orch_start(&orch, "bench-load-orchestrator", db, NULL);
	h_worker_start(&worker, "bench-load-worker", orch.control_url,
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bench),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
