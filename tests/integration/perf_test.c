/*
 * perf_test.c - ork-perf against real daemons: noop-burst (the config of
 * perf-configs/, made small with --set) completes and its JSON has every
 * field, with latencies that agree with the state store; the paced, jobs
 * and load modes at a small size; bad configurations are refused with
 * the key and line named; an unreachable API still gives a report.
 */
#include "api_util.h"

#include <math.h>
#include <unistd.h>

/* A test's ork-perf finishes within this. */
#define PERF_WAIT_MS 180000

/* want_num returns member name of o, failing unless it is a number. */
static double
want_num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(v))
		fail_msg("\"%s\" is missing or not a number", name);
	return v->valuedouble;
}

static const cJSON *
want_obj(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsObject(v))
		fail_msg("\"%s\" is missing or not an object", name);
	return v;
}

/* check_percentiles checks {count, p50, p90, p99, max} of n values. */
static void
check_percentiles(const cJSON *lat, const char *name, double n)
{
	const cJSON	*o = want_obj(lat, name);
	double		 p50, p90, p99, max;

	if (want_num(o, "count") != n)
		fail_msg("%s: count %g, want %g", name, want_num(o, "count"), n);
	if (n == 0) {
		/* nothing measured: every member there, and null */
		assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "p50")));
		assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "p90")));
		assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "p99")));
		assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "max")));
		return;
	}
	p50 = want_num(o, "p50");
	p90 = want_num(o, "p90");
	p99 = want_num(o, "p99");
	max = want_num(o, "max");
	if (!(p50 >= 0 && p50 <= p90 && p90 <= p99 && p99 <= max))
		fail_msg("%s: want 0 <= p50 <= p90 <= p99 <= max, got %g %g "
		    "%g %g", name, p50, p90, p99, max);
	if (max > 60000)
		fail_msg("%s: max %g ms is not a sane latency", name, max);
}

/* check_daemon checks what is reported of one watched daemon. */
static void
check_daemon(const cJSON *daemons, const char *name, pid_t pid)
{
	const cJSON *d = want_obj(daemons, name);

	assert_int_equal((long)want_num(d, "pid"), (long)pid);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(d, "exited")));
	assert_true(want_num(d, "peak_rss_kib") > 1000);
	assert_true(want_num(d, "max_rss_sampled_kib") > 1000);
	assert_true(want_num(d, "cpu_seconds") >= 0);
	assert_true(want_num(d, "cpu_seconds_total") >=
	    want_num(d, "cpu_seconds"));
}

/* check_errors wants every error count present and none counted. */
static void
check_errors(const cJSON *root)
{
	static const char *const kinds[] = { "setup", "trigger", "late",
	    "failed", "cancelled", "unfinished", "missing", "rows", "cleanup",
	    "daemons_gone", "total" };
	const cJSON	*e = want_obj(root, "errors");
	const cJSON	*samples = cJSON_GetObjectItem(root, "error_samples");

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (want_num(e, kinds[i]) != 0)
			fail_msg("errors.%s is %g: %s", kinds[i],
			    want_num(e, kinds[i]), cJSON_PrintUnformatted(
			    samples));
	assert_true(cJSON_IsArray(samples));
	assert_int_equal(cJSON_GetArraySize(samples), 0);
}

/* check_runs wants n runs asked for, all finished with success. */
static void
check_runs(const cJSON *root, double n)
{
	const cJSON *runs = want_obj(root, "runs");

	assert_true(want_num(runs, "requested") == n);
	assert_true(want_num(runs, "triggered") == n);
	assert_true(want_num(runs, "listed") == n);
	assert_true(want_num(runs, "finished") == n);
	assert_true(want_num(runs, "success") == n);
	assert_true(want_num(runs, "failed") == 0);
	assert_true(want_num(runs, "cancelled") == 0);
	assert_true(want_num(runs, "unfinished") == 0);
	assert_true(want_num(runs, "tasks_per_run") >= 1);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(root, "timed_out")));
}

/*
 * run_perf runs ork-perf on config with the stack's address, token and
 * events, extra flags (NULL-ended, may be NULL); returns its exit code
 * and the parsed report (NULL when there is none).
 */
static int
run_perf(struct api_stack *s, const char *log, const char *config,
    const char *const *extra, const char *const *env, cJSON **report)
{
	const char	*argv[48];
	char		 url[128], events[128], out[H_PATH_MAX], tok[320];
	char		 conf[H_PATH_MAX], pa[64], po[64], pw[64];
	const char	*envv[8];
	char		*text;
	int		 n = 0, m = 0, rc;

	snprintf(conf, sizeof(conf), "%s", config);
	if (strchr(config, '/') == NULL)
		snprintf(conf, sizeof(conf), "%s/perf-configs/%s",
		    h_env("ORK_TEST_ROOT"), config);
	snprintf(out, sizeof(out), "%s/%s.json", h_env("ORK_TEST_OUT"), log);
	unlink(out);
	snprintf(url, sizeof(url), "--set=url=%s", s->base);
	snprintf(events, sizeof(events), "--set=events=tcp://127.0.0.1:%d",
	    s->events);
	snprintf(tok, sizeof(tok), "ORK_TOKEN=%s", s->admin);
	argv[n++] = url;
	argv[n++] = events;
	argv[n++] = "--output";
	argv[n++] = out;
	if (s->has_api) {
		snprintf(pa, sizeof(pa), "--pid=api=%ld", (long)s->api.pid);
		argv[n++] = pa;
	}
	if (s->has_orch) {
		snprintf(po, sizeof(po), "--pid=orchestrator=%ld",
		    (long)s->orch.pid);
		argv[n++] = po;
	}
	if (s->has_worker) {
		snprintf(pw, sizeof(pw), "--pid=worker=%ld",
		    (long)s->worker.pid);
		argv[n++] = pw;
	}
	for (; extra != NULL && *extra != NULL && n < 46; extra++)
		argv[n++] = *extra;
	argv[n++] = conf;
	argv[n] = NULL;
	envv[m++] = tok;
	for (; env != NULL && *env != NULL && m < 7; env++)
		envv[m++] = *env;
	envv[m] = NULL;
	rc = h_run(log, "ork-perf", argv, envv, PERF_WAIT_MS);
	*report = NULL;
	if (access(out, F_OK) == 0) {
		text = h_read_file(out);
		*report = cJSON_Parse(text);
		if (*report == NULL)
			fail_msg("%s is not JSON: %.200s", out, text);
		free(text);
	}
	return rc;
}

/* db_ms runs a query returning one number of milliseconds. */
static double
db_ms(PGconn *c, const char *sql)
{
	char buf[64];

	h_db_value(c, sql, buf, sizeof(buf));
	return strtod(buf, NULL);
}

static void
test_noop_burst(void **state)
{
	struct api_stack	 s;
	const char		*extra[] = { "--set", "runs=50", "--set",
	    "clients=8", "--set", "timeout=120", "--set", "cleanup=false",
	    NULL };
	cJSON			*rep;
	const cJSON		*lat, *tp, *set, *ev;
	PGconn			*c;
	double			 db_max, rep_max;
	int			 rc;

	(void)state;
	api_stack_start(&s, "perf_burst", API_WITH_ORCH | API_WITH_WORKER,
	    NULL, NULL);
	rc = run_perf(&s, "perf-burst", "noop-burst.conf", extra, NULL, &rep);
	assert_non_null(rep);
	if (rc != 0)
		fail_msg("ork-perf exited %d: %s", rc,
		    cJSON_PrintUnformatted(rep));

	assert_string_equal(api_str(rep, "tool"), "ork-perf");
	assert_string_equal(api_str(rep, "config"), "noop-burst");
	assert_string_equal(api_str(rep, "mode"), "burst");
	assert_true(api_str(rep, "version")[0] != '\0');
	assert_true(api_str(rep, "started_at")[0] != '\0');
	assert_true(want_num(rep, "duration_s") > 0);
	set = want_obj(rep, "settings");
	assert_true(want_num(set, "runs") == 50);
	assert_true(want_num(set, "clients") == 8);
	assert_string_equal(api_str(set, "token"), "");	/* from ORK_TOKEN */
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(set, "cleanup")));
	check_runs(rep, 50);
	check_errors(rep);

	tp = want_obj(rep, "throughput");
	assert_true(want_num(tp, "window_s") > 0);
	assert_true(want_num(tp, "runs_per_s") > 0);
	assert_true(want_num(tp, "tasks_per_s") == want_num(tp, "runs_per_s"));
	assert_true(want_num(tp, "triggers_per_s") > 0);

	lat = want_obj(rep, "latency_ms");
	check_percentiles(lat, "trigger_ack", 50);
	check_percentiles(lat, "trigger_to_start", 50);
	check_percentiles(lat, "trigger_to_finished", 50);
	assert_true(want_num(want_obj(lat, "trigger_to_start"), "p50") <=
	    want_num(want_obj(lat, "trigger_to_finished"), "p50"));

	ev = want_obj(rep, "events");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(ev, "subscribed")));
	assert_true(want_num(ev, "seen") >= 1);
	assert_true(want_num(ev, "runs_finished") <= 50);

	check_daemon(want_obj(rep, "daemons"), "api", s.api.pid);
	check_daemon(want_obj(rep, "daemons"), "orchestrator", s.orch.pid);
	check_daemon(want_obj(rep, "daemons"), "worker", s.worker.pid);
	assert_true(want_num(want_obj(rep, "self"), "peak_rss_kib") > 0);
	assert_true(want_num(want_obj(rep, "self"), "cpu_seconds") >= 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(rep, "load")));

	/* the latencies are the state store's own (cleanup=false kept them) */
	c = h_db_connect(s.db);
	assert_true(db_ms(c, "SELECT count(*) FROM job_runs r JOIN "
	    "job_definitions j USING (job_id) WHERE j.job_name LIKE "
	    "'perf-noop-burst-%' AND r.status = 'success'") == 50);
	db_max = db_ms(c, "SELECT max(extract(epoch FROM r.finished_at - "
	    "r.created_at) * 1000) FROM job_runs r JOIN job_definitions j "
	    "USING (job_id) WHERE j.job_name LIKE 'perf-noop-burst-%'");
	rep_max = want_num(want_obj(lat, "trigger_to_finished"), "max");
	if (fabs(db_max - rep_max) > 0.002)
		fail_msg("max trigger -> finished: report %g ms, database %g ms",
		    rep_max, db_max);
	db_max = db_ms(c, "SELECT max(extract(epoch FROM r.started_at - "
	    "r.created_at) * 1000) FROM job_runs r JOIN job_definitions j "
	    "USING (job_id) WHERE j.job_name LIKE 'perf-noop-burst-%'");
	rep_max = want_num(want_obj(lat, "trigger_to_start"), "max");
	if (fabs(db_max - rep_max) > 0.002)
		fail_msg("max trigger -> start: report %g ms, database %g ms",
		    rep_max, db_max);
	PQfinish(c);
	cJSON_Delete(rep);
}

static void
test_paced_cleanup(void **state)
{
	struct api_stack	 s;
	const char		*extra[] = { "--set", "rate=25", "--set",
	    "seconds=2", "--set", "clients=4", "--set", "tasks_per_run=2",
	    "--set", "task_kind=command", NULL };
	cJSON			*rep;
	const cJSON		*tp;
	PGconn			*c;
	char			 buf[32];
	int			 rc;

	(void)state;
	api_stack_start(&s, "perf_paced", API_WITH_ORCH | API_WITH_WORKER,
	    NULL, NULL);
	rc = run_perf(&s, "perf-paced", "steady-200.conf", extra, NULL, &rep);
	assert_non_null(rep);
	if (rc != 0)
		fail_msg("ork-perf exited %d: %s", rc,
		    cJSON_PrintUnformatted(rep));
	assert_string_equal(api_str(rep, "mode"), "paced");
	check_runs(rep, 50);
	check_errors(rep);
	tp = want_obj(rep, "throughput");
	/* 50 triggers at 25/s take about 2 s: paced, not a burst */
	assert_true(want_num(tp, "triggers_per_s") < 40);
	assert_true(want_num(tp, "tasks_per_s") > want_num(tp, "runs_per_s"));
	check_percentiles(want_obj(rep, "latency_ms"), "trigger_to_finished",
	    50);
	/* cleanup (the default) deleted the job and its runs */
	c = h_db_connect(s.db);
	h_db_value(c, "SELECT count(*) FROM job_definitions WHERE job_name "
	    "LIKE 'perf-%'", buf, sizeof(buf));
	assert_string_equal(buf, "0");
	h_db_value(c, "SELECT count(*) FROM job_runs", buf, sizeof(buf));
	assert_string_equal(buf, "0");
	PQfinish(c);
	cJSON_Delete(rep);
}

static void
test_jobs(void **state)
{
	struct api_stack	 s;
	/*
	 * The first slot 12 s ahead, past the scheduler's 10-second sweep
	 * for jobs it was not told of: a job it learns of after its slot
	 * fires the next day, and this test is about ork-perf, not about
	 * how soon the scheduler hears of a job.
	 */
	const char		*extra[] = { "--set", "jobs=30", "--set",
	    "seconds=3", "--set", "lead_seconds=12", "--set", "clients=4",
	    "--set", "timeout=60", NULL };
	cJSON			*rep;
	int			 rc;

	(void)state;
	api_stack_start(&s, "perf_jobs", API_WITH_ORCH | API_WITH_WORKER,
	    NULL, NULL);
	rc = run_perf(&s, "perf-jobs", "wide-jobs.conf", extra, NULL, &rep);
	assert_non_null(rep);
	if (rc != 0)
		fail_msg("ork-perf exited %d: %s", rc,
		    cJSON_PrintUnformatted(rep));
	assert_string_equal(api_str(rep, "mode"), "jobs");
	check_runs(rep, 30);
	check_errors(rep);
	/* measured from each job's slot, not from when it was made */
	check_percentiles(want_obj(rep, "latency_ms"), "trigger_to_start", 30);
	check_percentiles(want_obj(rep, "latency_ms"), "trigger_ack", 0);
	cJSON_Delete(rep);
}

static void
test_load(void **state)
{
	struct api_stack	 s;
	char			 dw[H_URL_MAX + 32], wdir[H_PATH_MAX];
	const char		*wenv[] = { dw, NULL };
	const char		*wargs[] = { s.a_control, s.a_events,
	    s.a_whealth, "--worker-id=w1", NULL };
	const char		*extra[] = { "--set", "rows=5000", "--set",
	    wdir, NULL };
	cJSON			*rep;
	const cJSON		*load;
	PGconn			*c;
	char			 buf[32];
	int			 rc;

	(void)state;
	api_stack_start(&s, "perf_load", API_WITH_ORCH, NULL, NULL);
	snprintf(dw, sizeof(dw), "ORK_PERF_DW_URL=%s", s.db);
	h_spawn(&s.worker, "perf_load-worker", "ork-worker", wargs, wenv);
	s.has_worker = 1;
	if (!h_wait_log(&s.worker, "ready:", 20000))
		fail_msg("ork-worker did not get ready");
	snprintf(wdir, sizeof(wdir), "work_dir=%s", h_env("ORK_TEST_OUT"));
	rc = run_perf(&s, "perf-load", "load-csv.conf", extra, NULL, &rep);
	assert_non_null(rep);
	if (rc != 0)
		fail_msg("ork-perf exited %d: %s", rc,
		    cJSON_PrintUnformatted(rep));
	check_runs(rep, 1);
	check_errors(rep);
	load = want_obj(rep, "load");
	assert_true(want_num(load, "rows") == 5000);
	assert_true(want_num(load, "rows_moved") == 5000);
	assert_true(want_num(load, "csv_bytes") > 5000 * 20);
	assert_true(want_num(load, "task_seconds") > 0);
	assert_true(want_num(load, "rows_per_s") > 0);
	c = h_db_connect(s.db);
	h_db_value(c, "SELECT count(*) FROM perf_load", buf, sizeof(buf));
	assert_string_equal(buf, "5000");
	PQfinish(c);
	cJSON_Delete(rep);
}

/* expect_refusal runs ork-perf on a file and wants exit 2 and msg. */
static void
expect_refusal(const char *log, const char *text, const char *const *flags,
    const char *msg)
{
	char		 path[H_PATH_MAX], out[H_PATH_MAX], *logtext;
	const char	*argv[16];
	FILE		*f;
	int		 n = 0, rc;

	h_tmpfile("perf-bad.conf", path, sizeof(path));
	if (text != NULL) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
	for (; flags != NULL && *flags != NULL && n < 14; flags++)
		argv[n++] = *flags;
	argv[n++] = path;
	argv[n] = NULL;
	rc = h_run(log, "ork-perf", argv, NULL, 10000);
	snprintf(out, sizeof(out), "%s/%s.log", h_env("ORK_TEST_OUT"), log);
	logtext = h_read_file(out);
	if (rc != 2 || strstr(logtext, msg) == NULL)
		fail_msg("want exit 2 and \"%s\", got %d: %s", msg, rc,
		    logtext);
	free(logtext);
}

static void
test_bad_config(void **state)
{
	const char *pid_bad[] = { "--pid", "api=notapid", NULL };
	const char *set_bad[] = { "--set", "rnus=5", NULL };
	const char *flag_bad[] = { "--frobnicate", NULL };

	(void)state;
	expect_refusal("perf-bad-key", "# a comment\nmode = burst\n"
	    "rnus = 5\n", NULL, "perf-bad.conf:3: unknown key 'rnus'");
	expect_refusal("perf-bad-line", "mode = burst\n\nruns 5\n", NULL,
	    "perf-bad.conf:3: expected 'key = value', got 'runs 5'");
	expect_refusal("perf-bad-value", "mode = burst\nruns = 5x\n", NULL,
	    "perf-bad.conf:2: runs must be a whole number, not '5x'");
	expect_refusal("perf-bad-range", "mode = burst\nclients = 0\n", NULL,
	    "perf-bad.conf:2: clients must be between 1 and 256, not 0");
	expect_refusal("perf-bad-mode", "mode = fast\n", NULL,
	    "perf-bad.conf:1: mode must be one of burst, paced, jobs, load, "
	    "not 'fast'");
	expect_refusal("perf-bad-twice", "mode = burst\nruns = 5\nruns = 6\n",
	    NULL, "perf-bad.conf:3: key 'runs' given twice");
	expect_refusal("perf-bad-quote", "mode = burst\nurl = \"http://x\n",
	    NULL, "perf-bad.conf:2: url: no closing quote");
	expect_refusal("perf-bad-nomode", "runs = 5\n", NULL,
	    "no mode given");
	expect_refusal("perf-bad-set", "mode = burst\n", set_bad,
	    "--set: unknown key 'rnus'");
	expect_refusal("perf-bad-pid", "mode = burst\n", pid_bad,
	    "--pid: 'notapid' is not a process id");
	expect_refusal("perf-bad-flag", "mode = burst\n", flag_bad,
	    "unknown flag '--frobnicate'");
	/* a file over the limit, and none at all */
	{
		char *big = malloc(70 * 1024);

		assert_non_null(big);
		memset(big, '#', 70 * 1024 - 1);
		big[70 * 1024 - 1] = '\0';
		expect_refusal("perf-bad-big", big, NULL, "larger than 65536 "
		    "bytes");
		free(big);
	}
	expect_refusal("perf-bad-long", "mode = burst\n# "
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "\n", NULL, "perf-bad.conf:2: line longer than 1024 characters");
	{
		char path[H_PATH_MAX];

		h_tmpfile("perf-bad.conf", path, sizeof(path));
		expect_refusal("perf-bad-missing", NULL, NULL,
		    "could not open");
	}
}

static void
test_unreachable(void **state)
{
	struct api_stack	 s;
	const char		*extra[] = { "--set", "runs=5", NULL };
	cJSON			*rep;
	int			 rc;

	(void)state;
	/* an address nobody listens on: a report with the error, exit 1 */
	memset(&s, 0, sizeof(s));
	snprintf(s.base, sizeof(s.base), "http://127.0.0.1:%d",
	    h_free_port());
	s.events = h_free_port();
	rc = run_perf(&s, "perf-unreachable", "noop-burst.conf", extra, NULL,
	    &rep);
	assert_int_equal(rc, 1);
	assert_non_null(rep);
	assert_true(want_num(want_obj(rep, "errors"), "setup") == 1);
	assert_true(want_num(want_obj(rep, "errors"), "total") >= 1);
	assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(rep,
	    "error_samples")) == 1);
	check_percentiles(want_obj(rep, "latency_ms"), "trigger_ack", 0);
	cJSON_Delete(rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test_teardown(test_noop_burst, api_teardown),
		cmocka_unit_test_teardown(test_paced_cleanup, api_teardown),
		cmocka_unit_test_teardown(test_jobs, api_teardown),
		cmocka_unit_test_teardown(test_load, api_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
