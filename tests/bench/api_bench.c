/*
 * api_bench.c - how fast ork-api answers its two hottest reads over a
 * realistic history: ORK_BENCH_JOBS jobs (100,000) with a task each and
 * ORK_BENCH_RUNS runs (1,000,000), generated in the database with
 * generate_series.  wrk drives GET /runs?limit=50 and GET /jobs/{id}
 * (random ids) with a bearer token, for ORK_BENCH_SECONDS (15) each
 * after a warm-up, over ORK_BENCH_CONNECTIONS (32) connections; a
 * deep page (GET /runs?limit=50&cursor=..., 100,000 runs down) is timed
 * too, to show that a page costs the same wherever it is.
 *
 * Everything (PostgreSQL, ork-api, wrk) shares this machine's cores;
 * the JSON printed says how many.  Target: 5,000 requests/s with a p99
 * under 20 ms for both routes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api_util.h"
#include "util.h"

#define BENCH_PASSWORD "bench-password-1"

struct wrk_result {
	double	rps;
	double	p50_ms, p90_ms, p99_ms, max_ms;
	long	requests;
	long	errors;		/* non-2xx answers and socket errors */
};

static long
env_long(const char *name, long def)
{
	const char	*v = getenv(name);
	char		*end;
	long		 n;

	if (v == NULL || *v == '\0')
		return def;
	n = strtol(v, &end, 10);
	if (*end != '\0' || n <= 0)
		fail_msg("%s: \"%s\" is not a positive number", name, v);
	return n;
}

/* to_ms reads a wrk duration ("812.00us", "1.20ms", "2.01s"). */
static double
to_ms(const char *s)
{
	char	*end;
	double	 v = strtod(s, &end);

	if (strncmp(end, "us", 2) == 0)
		return v / 1000.0;
	if (strncmp(end, "ms", 2) == 0)
		return v;
	if (strncmp(end, "s", 1) == 0)
		return v * 1000.0;
	if (strncmp(end, "m", 1) == 0)
		return v * 60000.0;
	return v;
}

static void
parse_wrk(const char *out, struct wrk_result *w)
{
	const char	*p;
	long		 a, b, c, d;

	memset(w, 0, sizeof(*w));
	if ((p = strstr(out, "Requests/sec:")) != NULL)
		w->rps = strtod(p + 13, NULL);
	if ((p = strstr(out, " 50%")) != NULL)
		w->p50_ms = to_ms(p + 4 + strspn(p + 4, " "));
	if ((p = strstr(out, " 90%")) != NULL)
		w->p90_ms = to_ms(p + 4 + strspn(p + 4, " "));
	if ((p = strstr(out, " 99%")) != NULL)
		w->p99_ms = to_ms(p + 4 + strspn(p + 4, " "));
	if ((p = strstr(out, "Latency")) != NULL) {
		char avg[32], sd[32], max[32];

		if (sscanf(p, "Latency %31s %31s %31s", avg, sd, max) == 3)
			w->max_ms = to_ms(max);
	}
	if ((p = strstr(out, " requests in ")) != NULL) {
		while (p > out && p[-1] >= '0' && p[-1] <= '9')
			p--;
		w->requests = strtol(p, NULL, 10);
	}
	if ((p = strstr(out, "Non-2xx or 3xx responses:")) != NULL)
		w->errors += strtol(p + 26, NULL, 10);
	if ((p = strstr(out, "Socket errors:")) != NULL &&
	    sscanf(p, "Socket errors: connect %ld, read %ld, write %ld, "
	    "timeout %ld", &a, &b, &c, &d) == 4)
		w->errors += a + b + c + d;
}

/* run_wrk runs wrk against url (with a Lua script or not). */
static void
run_wrk(const char *name, const char *url, const char *script,
    const char *token, long seconds, long conns, struct wrk_result *w)
{
	char		 d[32], c[32], hdr[256], log[H_PATH_MAX];
	const char	*args[16];
	char		*out;
	int		 n = 0;

	snprintf(d, sizeof(d), "%lds", seconds);
	snprintf(c, sizeof(c), "-c%ld", conns);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", token);
	args[n++] = "-t2";
	args[n++] = c;
	args[n++] = "-d";
	args[n++] = d;
	args[n++] = "--latency";
	args[n++] = "-H";
	args[n++] = hdr;
	if (script != NULL) {
		args[n++] = "-s";
		args[n++] = script;
	}
	args[n++] = url;
	args[n] = NULL;
	if (h_run(name, "/usr/bin/wrk", args, NULL, (int)(seconds + 60) *
	    1000) != 0)
		fail_msg("wrk failed (see %s.log)", name);
	snprintf(log, sizeof(log), "%s/%s.log", h_env("ORK_TEST_OUT"), name);
	out = h_read_file(log);
	assert_non_null(out);
	parse_wrk(out, w);
	free(out);
	if (w->rps <= 0)
		fail_msg("could not read wrk's output (see %s)", log);
}

static char *
login(const char *base)
{
	char		 url[256], *body = NULL, *tok;
	const char	*hdr[] = { "Content-Type: application/json", NULL };
	cJSON		*j;

	snprintf(url, sizeof(url), "%s/auth/login", base);
	if (h_http("POST", url, "{\"username\":\"admin\",\"password\":\""
	    BENCH_PASSWORD "\"}", hdr, &body) != 200)
		fail_msg("login failed: %s", body != NULL ? body : "");
	j = cJSON_Parse(body);
	tok = strdup(cJSON_GetObjectItem(j, "token")->valuestring);
	cJSON_Delete(j);
	free(body);
	return tok;
}

/* deep_page times GET /runs pages at a cursor far down the list. */
static double
deep_page(PGconn *c, const char *base, const char *token, long down)
{
	char		 sql[256], at[32], id[64], raw[128], enc[256], url[512];
	char		 auth[300];
	const char	*hdr[] = { auth, NULL };
	int64_t		 t0;
	int		 n = 50;

	snprintf(sql, sizeof(sql), "SELECT (extract(epoch FROM created_at) * "
	    "1000000)::int8 FROM job_runs ORDER BY created_at DESC, run_id "
	    "DESC OFFSET %ld LIMIT 1", down);
	h_db_value(c, sql, at, sizeof(at));
	snprintf(sql, sizeof(sql), "SELECT run_id FROM job_runs ORDER BY "
	    "created_at DESC, run_id DESC OFFSET %ld LIMIT 1", down);
	h_db_value(c, sql, id, sizeof(id));
	snprintf(raw, sizeof(raw), "%s,%s", at, id);
	{
		/* base64url, as the server's cursors are */
		static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_";
		size_t len = strlen(raw), o = 0;

		for (size_t i = 0; i < len; i += 3) {
			unsigned v = (unsigned)(unsigned char)raw[i] << 16;
			size_t	 k = len - i >= 3 ? 4 : len - i + 1;

			if (i + 1 < len)
				v |= (unsigned)(unsigned char)raw[i + 1] << 8;
			if (i + 2 < len)
				v |= (unsigned char)raw[i + 2];
			for (size_t j = 0; j < k; j++)
				enc[o++] = b64[(v >> (18 - 6 * j)) & 63];
		}
		enc[o] = '\0';
	}
	snprintf(url, sizeof(url), "%s/runs?limit=50&cursor=%s", base, enc);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	if (h_http("GET", url, NULL, hdr, NULL) != 200)
		fail_msg("deep page failed");
	t0 = util_mono_ms();
	for (int i = 0; i < n; i++)
		(void)h_http("GET", url, NULL, hdr, NULL);
	return (double)(util_mono_ms() - t0) / n;
}

static void
bench(void **state)
{
	long		 jobs = env_long("ORK_BENCH_JOBS", 100000);
	long		 runs = env_long("ORK_BENCH_RUNS", 1000000);
	long		 secs = env_long("ORK_BENCH_SECONDS", 15);
	long		 conns = env_long("ORK_BENCH_CONNECTIONS", 32);
	long		 threads = env_long("ORK_BENCH_API_THREADS", 16);
	long		 pool = env_long("ORK_BENCH_DB_POOL", 8);
	char		 db[H_URL_MAX], a_db[H_URL_MAX + 32], a_listen[64];
	char		 a_threads[64], a_pool[64], a_orch[64], a_events[64];
	char		 base[64], url[256], script[H_PATH_MAX], sql[1024];
	struct h_proc	 api;
	struct wrk_result wr, wj;
	PGconn		*c;
	PGresult	*res;
	FILE		*f;
	char		*token;
	int64_t		 t0;
	double		 gen_s, deep_ms;
	int		 port = h_free_port();
	long		 cores = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	h_db_create("bench_api", 1, db, sizeof(db));
	c = h_db_connect(db);

	/* the history, straight into the tables */
	t0 = util_mono_ms();
	snprintf(sql, sizeof(sql), "INSERT INTO job_definitions (job_name, "
	    "schedule, created_at) SELECT 'job-' || g, CASE WHEN g %% 3 = 0 "
	    "THEN '0 * * * *' END, now() - (%ld - g) * interval '1 minute' "
	    "FROM generate_series(1, %ld) g", jobs, jobs);
	api_sql(c, sql);
	api_sql(c, "INSERT INTO task_definitions (job_id, task_order, "
	    "extractor_config, loader_config) SELECT job_id, 0, "
	    "'{\"type\":\"http\",\"url\":\"https://api.example.com/v1/sales\"}',"
	    " '{\"type\":\"duckdb\",\"db_path\":\"w.db\",\"table_name\":"
	    "\"sales\"}' FROM job_definitions");
	snprintf(sql, sizeof(sql), "INSERT INTO job_runs (job_id, status, "
	    "triggered_by, scheduled_for, started_at, finished_at, "
	    "error_message, created_at, updated_at) SELECT j.job_id, CASE WHEN "
	    "g %% 20 = 0 THEN 'failed' ELSE 'success' END, 'scheduled', t, "
	    "t + interval '1 second', t + interval '5 seconds', CASE WHEN "
	    "g %% 20 = 0 THEN 'exit status 1' END, t, t + interval '5 seconds' "
	    "FROM generate_series(1, %ld) g JOIN (SELECT job_id, row_number() "
	    "OVER (ORDER BY created_at) AS n FROM job_definitions) j ON j.n = "
	    "1 + g %% %ld CROSS JOIN LATERAL (SELECT now() - (%ld - g) * "
	    "interval '1 second' AS t) x", runs, jobs, runs);
	api_sql(c, sql);
	api_sql(c, "VACUUM ANALYZE");
	gen_s = (double)(util_mono_ms() - t0) / 1000.0;

	/* ork-api, no orchestrator needed for reads */
	snprintf(a_db, sizeof(a_db), "--database-url=%s", db);
	snprintf(a_listen, sizeof(a_listen), "--api-listen=127.0.0.1:%d", port);
	snprintf(a_threads, sizeof(a_threads), "--api-threads=%ld", threads);
	snprintf(a_pool, sizeof(a_pool), "--api-db-pool=%ld", pool);
	snprintf(a_orch, sizeof(a_orch), "--orchestrator-control=tcp://"
	    "127.0.0.1:%d", h_free_port());
	snprintf(a_events, sizeof(a_events), "--orchestrator-events=tcp://"
	    "127.0.0.1:%d", h_free_port());
	{
		const char *args[] = { a_db, a_listen, a_threads, a_pool,
		    a_orch, a_events, "--log-level=warn", NULL };
		const char *env[] = { "ORK_ADMIN_PASSWORD=" BENCH_PASSWORD,
		    NULL };

		h_spawn(&api, "bench-api", "ork-api", args, env);
	}
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	for (int i = 0; i < 200; i++) {
		snprintf(url, sizeof(url), "%s/health", base);
		if (h_http("GET", url, NULL, NULL, NULL) == 200)
			break;
		h_sleep_ms(50);
	}
	token = login(base);

	/* 1,000 random job ids for GET /jobs/{id} */
	snprintf(script, sizeof(script), "%s/bench-api-jobs.lua",
	    h_env("ORK_TEST_OUT"));
	f = fopen(script, "w");
	assert_non_null(f);
	res = PQexec(c, "SELECT job_id FROM job_definitions ORDER BY random() "
	    "LIMIT 1000");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	fprintf(f, "local ids = {\n");
	for (int i = 0; i < PQntuples(res); i++)
		fprintf(f, "\"%s\",\n", PQgetvalue(res, i, 0));
	fprintf(f, "}\nlocal n = #ids\nrequest = function()\n"
	    "  return wrk.format(\"GET\", \"/jobs/\" .. ids[math.random(n)])\n"
	    "end\n");
	PQclear(res);
	fclose(f);

	/* warm up, then measure */
	snprintf(url, sizeof(url), "%s/runs?limit=50", base);
	run_wrk("bench-api-warm-runs", url, NULL, token, 3, conns, &wr);
	run_wrk("bench-api-runs", url, NULL, token, secs, conns, &wr);
	run_wrk("bench-api-warm-jobs", base, script, token, 3, conns, &wj);
	run_wrk("bench-api-jobs", base, script, token, secs, conns, &wj);
	deep_ms = deep_page(c, base, token, runs / 10);

	printf("{\"benchmark\": \"api\", \"cores\": %ld, \"jobs\": %ld, "
	    "\"runs\": %ld, \"generate_s\": %.1f, \"setup\": {\"api_threads\": "
	    "%ld, \"db_pool\": %ld, \"connections\": %ld, \"seconds\": %ld}, "
	    "\"GET /runs?limit=50\": {\"requests_per_s\": %.0f, \"p50_ms\": "
	    "%.2f, \"p90_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f, "
	    "\"requests\": %ld, \"errors\": %ld}, "
	    "\"GET /jobs/{id}\": {\"requests_per_s\": %.0f, \"p50_ms\": %.2f, "
	    "\"p90_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f, "
	    "\"requests\": %ld, \"errors\": %ld}, "
	    "\"GET /runs?limit=50 at %ld runs down, one client\": "
	    "{\"mean_ms\": %.2f}, "
	    "\"target\": {\"requests_per_s\": 5000, \"p99_ms\": 20}, "
	    "\"met\": %s}\n", cores, jobs, runs, gen_s, threads, pool, conns,
	    secs, wr.rps, wr.p50_ms, wr.p90_ms, wr.p99_ms, wr.max_ms,
	    wr.requests, wr.errors, wj.rps, wj.p50_ms, wj.p90_ms, wj.p99_ms,
	    wj.max_ms, wj.requests, wj.errors, runs / 10, deep_ms,
	    wr.rps >= 5000 && wj.rps >= 5000 && wr.p99_ms < 20 &&
	    wj.p99_ms < 20 && wr.errors == 0 && wj.errors == 0 ? "true" :
	    "false");
	fflush(stdout);
	free(token);
	assert_int_equal(wr.errors + wj.errors, 0);
	h_stop(&api, SIGTERM, 5000);
	PQfinish(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bench),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
