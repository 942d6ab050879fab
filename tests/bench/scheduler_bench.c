/*
 * scheduler_bench.c - what the cron scheduler costs and how late it fires.
 *
 * One orchestrator (the leader) on the local PostgreSQL, no workers: the
 * runs it fires stay queued, which is all this measures.
 *
 *   idle    ORK_BENCH_JOBS (100,000) active jobs whose next slot is months
 *           away: CPU seconds of the orchestrator and of its leader's
 *           database backend over ORK_BENCH_IDLE_SECONDS (30).  No job is
 *           polled: the leader sleeps until the earliest slot.
 *   firing  the same jobs with schedules spread over a minute (job i fires
 *           at second i % 60 of every minute: N/60 slots a second) for
 *           ORK_BENCH_SECONDS (120): firing lag = when the run was made
 *           (job_runs.created_at, clock_timestamp() at insert) minus its
 *           slot, p50/p99/max over every slot of the window; slots missed;
 *           CPU of the orchestrator and of the leader's backend.
 *
 * Prints one JSON object.  Target: p99 lag under 1 s; idle cost near zero.
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

#include <cmocka.h>

#include "harness.h"

/* Slots this close to the window's end may still be firing: not counted. */
#define TAIL_SECONDS	5

static void
sql(PGconn *c, const char *text)
{
	PGresult *r = PQexec(c, text);

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", text, PQerrorMessage(c));
	PQclear(r);
}

static double
value(PGconn *c, const char *text)
{
	char buf[64];

	h_db_value(c, text, buf, sizeof(buf));
	return strtod(buf, NULL);
}

/* The leader's database backend, as a process whose CPU can be read. */
static void
leader_backend(PGconn *c, struct h_proc *p)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < 100; i++) {
		char buf[32] = "";

		h_db_value(c, "SELECT coalesce(max(pid), 0) FROM "
		    "pg_stat_activity WHERE application_name = "
		    "'ork-orchestrator-leader'", buf, sizeof(buf));
		p->pid = (pid_t)strtol(buf, NULL, 10);
		if (p->pid > 0)
			return;
		h_sleep_ms(100);
	}
	fail_msg("the leader's database connection did not show");
}

/* wait_scheduled waits until every job has a next fire time. */
static double
wait_scheduled(PGconn *c)
{
	int64_t t0 = 0;

	t0 = (int64_t)value(c, "SELECT extract(epoch FROM clock_timestamp()) "
	    "* 1000");
	for (int i = 0; i < 1200; i++) {
		if (value(c, "SELECT count(*) FROM job_definitions WHERE "
		    "next_fire_at IS NULL") == 0)
			return (value(c, "SELECT extract(epoch FROM "
			    "clock_timestamp()) * 1000") - (double)t0) / 1000.0;
		h_sleep_ms(100);
	}
	fail_msg("next fire times were not all computed in 120 s");
	return 0;
}

static void
bench(void **state)
{
	static struct h_orch	 o;
	struct h_proc		 backend;
	const char		*extra[] = { "--log-level=info", NULL };
	char			 db[H_URL_MAX], q[1024];
	PGconn			*c;
	long			 jobs = h_env_long("ORK_BENCH_JOBS", 100000);
	long			 secs = h_env_long("ORK_BENCH_SECONDS", 120);
	long			 idle = h_env_long("ORK_BENCH_IDLE_SECONDS", 30);
	long			 cpu0, cpu1, bcpu0, bcpu1;
	double			 init_s, resched_s, t0, t1, expected;
	double			 fired, p50, p99, pmax, late;
	double			 idle_cpu, idle_bcpu, fire_cpu, fire_bcpu;

	(void)state;
	h_db_create("bench_scheduler", 1, db, sizeof(db));
	c = h_db_connect(db);
	snprintf(q, sizeof(q), "INSERT INTO job_definitions (job_name, "
	    "schedule) SELECT 'job-' || i, '0 0 0 1 1 *' FROM "
	    "generate_series(0, %ld) AS i", jobs - 1);
	sql(c, q);
	sql(c, "INSERT INTO task_definitions (job_id, task_order, "
	    "extractor_config) SELECT job_id, 0, '{\"type\": \"noop\"}' "
	    "FROM job_definitions");
	sql(c, "VACUUM ANALYZE job_definitions");
	sql(c, "VACUUM ANALYZE task_definitions");

	/* idle: every job's next slot is on 1 January */
	h_orch_start(&o, "bench-scheduler", db, extra);
	init_s = wait_scheduled(c);
	leader_backend(c, &backend);
	h_sleep_ms(1000);
	cpu0 = h_cpu_ms(&o.p);
	bcpu0 = h_cpu_ms(&backend);
	h_sleep_ms((int)idle * 1000);
	idle_cpu = (double)(h_cpu_ms(&o.p) - cpu0) / 1000.0;
	idle_bcpu = (double)(h_cpu_ms(&backend) - bcpu0) / 1000.0;

	/* firing: job i at second i % 60 of every minute */
	sql(c, "BEGIN");
	sql(c, "UPDATE job_definitions SET next_fire_at = NULL, schedule = "
	    "(substr(job_name, 5)::int % 60)::text || ' * * * * *'");
	sql(c, "NOTIFY ork_schedule");
	sql(c, "COMMIT");
	resched_s = wait_scheduled(c);
	t0 = value(c, "SELECT ceil(extract(epoch FROM clock_timestamp()))");
	cpu0 = h_cpu_ms(&o.p);
	bcpu0 = h_cpu_ms(&backend);
	h_sleep_ms((int)secs * 1000);
	cpu1 = h_cpu_ms(&o.p);
	bcpu1 = h_cpu_ms(&backend);
	t1 = value(c, "SELECT floor(extract(epoch FROM clock_timestamp()))");
	fire_cpu = (double)(cpu1 - cpu0) / 1000.0;
	fire_bcpu = (double)(bcpu1 - bcpu0) / 1000.0;
	h_stop(&o.p, SIGTERM, 10000);

	/* slots in [t0, t1 - TAIL]: each second has jobs/60 of them */
	expected = 0;
	for (long s = (long)t0; s <= (long)t1 - TAIL_SECONDS; s++)
		expected += (double)(jobs / 60 + (s % 60 < jobs % 60));
	snprintf(q, sizeof(q), "SELECT count(*), "
	    "coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY l), 0), "
	    "coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY l), 0), "
	    "coalesce(max(l), 0), count(*) FILTER (WHERE l >= 1) FROM "
	    "(SELECT extract(epoch FROM created_at - scheduled_for) AS l "
	    "FROM job_runs WHERE scheduled_for BETWEEN to_timestamp(%.0f) "
	    "AND to_timestamp(%.0f)) x", t0, t1 - TAIL_SECONDS);
	{
		PGresult *r = PQexec(c, q);

		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("%s", PQerrorMessage(c));
		fired = strtod(PQgetvalue(r, 0, 0), NULL);
		p50 = strtod(PQgetvalue(r, 0, 1), NULL);
		p99 = strtod(PQgetvalue(r, 0, 2), NULL);
		pmax = strtod(PQgetvalue(r, 0, 3), NULL);
		late = strtod(PQgetvalue(r, 0, 4), NULL);
		PQclear(r);
	}
	printf("{\"benchmark\": \"scheduler\", \"cores\": %ld, \"jobs\": %ld, "
	    "\"idle\": {\"seconds\": %ld, \"first_next_fire_times_s\": %.1f, "
	    "\"orchestrator_cpu_s\": %.2f, \"leader_backend_cpu_s\": %.2f}, "
	    "\"firing\": {\"seconds\": %.0f, \"slots_per_s\": %.0f, "
	    "\"next_fire_times_s\": %.1f, \"slots_expected\": %.0f, "
	    "\"runs_fired\": %.0f, \"missed\": %.0f, \"lag_p50_ms\": %.1f, "
	    "\"lag_p99_ms\": %.1f, \"lag_max_ms\": %.1f, "
	    "\"late_over_1s\": %.0f, \"orchestrator_cpu_s\": %.2f, "
	    "\"leader_backend_cpu_s\": %.2f}, \"target\": {\"lag_p99_ms\": "
	    "1000}, \"met\": %s}\n",
	    sysconf(_SC_NPROCESSORS_ONLN), jobs, idle, init_s, idle_cpu,
	    idle_bcpu, t1 - t0, (double)jobs / 60.0, resched_s, expected,
	    fired, expected - fired, p50 * 1000, p99 * 1000, pmax * 1000,
	    late, fire_cpu, fire_bcpu,
	    p99 < 1.0 && expected == fired ? "true" : "false");
	fflush(stdout);
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
