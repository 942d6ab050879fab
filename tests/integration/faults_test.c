/*
 * faults_test.c - crashes and partitions: kill -9 of a worker and of the
 * leading orchestrator mid-run, a worker cut off from the orchestrator,
 * and 1,000 runs over 4 workers that keep getting killed.  Every task's
 * command writes what it did to a file, so a second execution is seen
 * even where the database would hide it.
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

#include <cmocka.h>

#include "harness.h"
#include "msg.h"

/* Everything a test started, stopped also when an assertion fails. */
#define MAX_PROCS 16
static struct h_proc	*procs[MAX_PROCS];
static int		 nprocs;

static void
track(struct h_proc *p)
{
	if (nprocs < MAX_PROCS)
		procs[nprocs++] = p;
}

static int
teardown(void **state)
{
	(void)state;
	for (int i = 0; i < nprocs; i++)
		h_kill(procs[i]);
	nprocs = 0;
	return 0;
}

static void
value(PGconn *c, const char *sql, const char *param, char *buf, size_t len)
{
	const char	*p[1] = { param };
	PGresult	*r = PQexecParams(c, sql, param != NULL ? 1 : 0, NULL, p,
	    NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
		fail_msg("\"%s\" failed: %s", sql, PQerrorMessage(c));
	snprintf(buf, len, "%s", PQgetisnull(r, 0, 0) ? "" :
	    PQgetvalue(r, 0, 0));
	PQclear(r);
}

/*
 * A command that records "<task> <attempt> start|stop|end <ns>" lines;
 * attempt 1 runs long (first_sleep), later attempts short.  On SIGTERM it
 * records "stop" before exiting.
 */
static void
recording_task(char *buf, size_t len, const char *file, int first_sleep)
{
	snprintf(buf, len, "{\"type\": \"command\", \"shell\": \""
	    "trap 'echo $ORK_TASK_RUN_ID $ORK_ATTEMPT stop $(date +%%s%%N) >> "
	    "%s; exit 143' TERM; "
	    "echo $ORK_TASK_RUN_ID $ORK_ATTEMPT start $(date +%%s%%N) >> %s; "
	    "if [ $ORK_ATTEMPT = 1 ]; then sleep %d & wait; else sleep 0.2; fi; "
	    "echo $ORK_TASK_RUN_ID $ORK_ATTEMPT end $(date +%%s%%N) >> %s\"}",
	    file, file, first_sleep, file);
}

struct mark {
	char		task[40];
	unsigned	attempt;
	char		what[8];
	long long	ns;
};

static int
read_marks(const char *file, struct mark *m, int max)
{
	FILE	*f = fopen(file, "r");
	int	 n = 0;

	if (f == NULL)
		return 0;
	while (n < max && fscanf(f, "%39s %u %7s %lld", m[n].task,
	    &m[n].attempt, m[n].what, &m[n].ns) == 4)
		n++;
	fclose(f);
	return n;
}

/*
 * assert_no_overlap: for each task, every attempt's [start, stop|end]
 * interval lies wholly before the next attempt's start, and no attempt
 * started twice.
 */
static void
assert_no_overlap(const char *file)
{
	struct mark	m[512];
	int		n = read_marks(file, m, 512);

	for (int i = 0; i < n; i++) {
		if (strcmp(m[i].what, "start") != 0)
			continue;
		for (int j = 0; j < n; j++) {
			if (j == i || strcmp(m[j].task, m[i].task) != 0)
				continue;
			if (m[j].attempt == m[i].attempt &&
			    strcmp(m[j].what, "start") == 0)
				fail_msg("attempt %u of %s started twice",
				    m[i].attempt, m[i].task);
			/* an earlier attempt's last sign of life */
			if (m[j].attempt < m[i].attempt && m[j].ns > m[i].ns)
				fail_msg("attempt %u of %s was still running "
				    "(%s at %lld) when attempt %u started at "
				    "%lld", m[j].attempt, m[i].task, m[j].what,
				    m[j].ns, m[i].attempt, m[i].ns);
		}
	}
}

static int
wait_file_has(const char *file, const char *needle, int timeout_ms)
{
	for (int i = 0; i < timeout_ms / 50; i++) {
		char	*t = h_read_file(file);
		int	 found = t != NULL && strstr(t, needle) != NULL;

		free(t);
		if (found)
			return 1;
		h_sleep_ms(50);
	}
	return 0;
}

static void
test_kill9_worker_task_reruns(void **state)
{
	static struct h_orch	 o;
	static struct h_proc	 a, b;
	char			 db[H_URL_MAX], file[H_PATH_MAX];
	char			 ex[4 * H_PATH_MAX], job[40], run[40], st[32];
	char			 v[256];
	const char		*exs[1] = { ex };
	PGconn			*c;

	(void)state;
	h_db_create("kill_worker", 1, db, sizeof(db));
	c = h_db_connect(db);
	h_tmpfile("kill_worker.txt", file, sizeof(file));
	recording_task(ex, sizeof(ex), file, 30);
	h_orch_start(&o, "killw-orchestrator", db, NULL);
	track(&o.p);
	h_worker_start(&a, "killw-a", o.control_url, o.events_url, NULL);
	track(&a);
	h_job_create(c, "crashy", exs, 1, 3, 0, 100, job);
	h_trigger(o.control_url, job, run);
	assert_true(wait_file_has(file, " 1 start ", 10000));
	kill(a.pid, SIGKILL);
	assert_true(h_wait_exit(&a, 5000));
	h_worker_start(&b, "killw-b", o.control_url, o.events_url, NULL);
	track(&b);
	assert_true(h_wait_run(c, run, st, sizeof(st), 20000));
	assert_string_equal(st, "success");
	value(c, "SELECT string_agg(a.status || '@' || a.worker_id, ',' ORDER "
	    "BY a.attempt) FROM task_attempts a JOIN task_runs t USING "
	    "(task_run_id) WHERE t.run_id = $1", run, v, sizeof(v));
	assert_string_equal(v, "lease_expired@killw-a,success@killw-b");
	value(c, "SELECT attempt || ':' || lease_expiries FROM task_runs WHERE "
	    "run_id = $1", run, v, sizeof(v));
	assert_string_equal(v, "2:1");
	assert_no_overlap(file);
	PQfinish(c);
	teardown(NULL);
}

static void
test_kill9_leader_second_replica_takes_over(void **state)
{
	static struct h_orch	 o1, o2;
	static struct h_proc	 w;
	char			 db[H_URL_MAX], file[H_PATH_MAX];
	char			 ex[4 * H_PATH_MAX], job[40], run[40], st[32];
	char			 control[160], events[160], v[256];
	const char		*exs[3] = { ex, ex, ex };
	PGconn			*c;

	(void)state;
	h_db_create("kill_leader", 1, db, sizeof(db));
	c = h_db_connect(db);
	h_tmpfile("kill_leader.txt", file, sizeof(file));
	/* three tasks of about a second each */
	snprintf(ex, sizeof(ex), "{\"type\": \"command\", \"shell\": \""
	    "echo $ORK_TASK_RUN_ID $ORK_ATTEMPT start $(date +%%s%%N) >> %s; "
	    "sleep 1; "
	    "echo $ORK_TASK_RUN_ID $ORK_ATTEMPT end $(date +%%s%%N) >> %s\"}",
	    file, file);
	h_orch_start(&o1, "leader-o1", db, NULL);
	track(&o1.p);
	assert_true(h_wait_log(&o1.p, "leading", 5000));
	h_orch_start(&o2, "leader-o2", db, NULL);
	track(&o2.p);
	snprintf(control, sizeof(control), "%s,%s", o1.control_url,
	    o2.control_url);
	snprintf(events, sizeof(events), "%s,%s", o1.events_url, o2.events_url);
	h_worker_start(&w, "leader-w", control, events, NULL);
	track(&w);
	h_job_create(c, "survives", exs, 3, 3, 0, 100, job);
	h_trigger(o2.control_url, job, run);
	assert_true(wait_file_has(file, " start ", 10000));
	kill(o1.p.pid, SIGKILL);
	assert_true(h_wait_exit(&o1.p, 5000));
	assert_true(h_wait_log(&o2.p, "leading", 5000));
	assert_true(h_wait_run(c, run, st, sizeof(st), 30000));
	assert_string_equal(st, "success");
	value(c, "SELECT count(*) FROM task_runs WHERE run_id = $1 AND "
	    "status = 'success'", run, v, sizeof(v));
	assert_string_equal(v, "3");
	assert_no_overlap(file);
	PQfinish(c);
	teardown(NULL);
}

static void
test_partitioned_worker_stops_before_lease_expires(void **state)
{
	static struct h_orch	 o;
	static struct h_proc	 a, b;
	struct h_proxy		*pc, *pe;
	char			 db[H_URL_MAX], file[H_PATH_MAX];
	char			 ex[4 * H_PATH_MAX], job[40], run[40], st[32];
	char			 control[64], events[64], v[256];
	const char		*exs[1] = { ex };
	int			 port;
	PGconn			*c;

	(void)state;
	h_db_create("partition", 1, db, sizeof(db));
	c = h_db_connect(db);
	h_tmpfile("partition.txt", file, sizeof(file));
	recording_task(ex, sizeof(ex), file, 30);
	h_orch_start(&o, "part-orchestrator", db, NULL);
	track(&o.p);
	pc = h_proxy_start(o.control, &port);
	snprintf(control, sizeof(control), "tcp://127.0.0.1:%d", port);
	pe = h_proxy_start(o.events, &port);
	snprintf(events, sizeof(events), "tcp://127.0.0.1:%d", port);
	h_worker_start(&a, "part-a", control, events, NULL);
	track(&a);
	h_job_create(c, "cut off", exs, 1, 3, 0, 100, job);
	h_trigger(o.control_url, job, run);
	assert_true(wait_file_has(file, " 1 start ", 10000));
	/* cut worker a off; b comes up to take the task over */
	h_proxy_block(pc, 1);
	h_proxy_block(pe, 1);
	h_worker_start(&b, "part-b", o.control_url, o.events_url, NULL);
	track(&b);
	assert_true(h_wait_run(c, run, st, sizeof(st), 30000));
	assert_string_equal(st, "success");
	/* a stopped its copy itself, before b started the next attempt */
	assert_true(wait_file_has(file, " 1 stop ", 1000));
	assert_true(h_log_count(&a, "could not renew the lease in time") >= 1);
	assert_no_overlap(file);
	value(c, "SELECT string_agg(a.status || '@' || a.worker_id, ',' ORDER "
	    "BY a.attempt) FROM task_attempts a JOIN task_runs t USING "
	    "(task_run_id) WHERE t.run_id = $1", run, v, sizeof(v));
	assert_string_equal(v, "lease_expired@part-a,success@part-b");
	/* back on the network, a reports nothing about the task */
	h_proxy_block(pc, 0);
	h_proxy_block(pe, 0);
	assert_true(h_wait_log(&a, "stopped without a lease: not reported",
	    10000));
	h_sleep_ms(1000);
	value(c, "SELECT status || ':' || attempt FROM task_runs WHERE "
	    "run_id = $1", run, v, sizeof(v));
	assert_string_equal(v, "success:2");
	teardown(NULL);
	h_proxy_stop(pc);
	h_proxy_stop(pe);
	PQfinish(c);
}

static void
test_sigterm_hands_back_after_grace(void **state)
{
	static struct h_orch	 o;
	static struct h_proc	 a, b;
	char			 db[H_URL_MAX], file[H_PATH_MAX];
	char			 ex[4 * H_PATH_MAX], job[40], run[40], st[32];
	char			 v[256];
	const char		*exs[1] = { ex };
	const char		*grace[] = { "--worker-grace-seconds=1", NULL };
	PGconn			*c;

	(void)state;
	h_db_create("handback", 1, db, sizeof(db));
	c = h_db_connect(db);
	h_tmpfile("handback.txt", file, sizeof(file));
	recording_task(ex, sizeof(ex), file, 30);
	h_orch_start(&o, "handback-orchestrator", db, NULL);
	track(&o.p);
	h_worker_start(&a, "handback-a", o.control_url, o.events_url, grace);
	track(&a);
	h_job_create(c, "long", exs, 1, 1, 0, 100, job);
	h_trigger(o.control_url, job, run);
	assert_true(wait_file_has(file, " 1 start ", 10000));
	/* stop leasing, give the task 1 s, hand it back, exit 0 */
	assert_int_equal(h_stop(&a, SIGTERM, 10000), 0);
	assert_true(h_log_count(&a, "handing the task back") >= 1);
	value(c, "SELECT status || ':' || max_attempts FROM task_runs WHERE "
	    "run_id = $1", run, v, sizeof(v));
	assert_string_equal(v, "queued:2");	/* budget kept */
	h_worker_start(&b, "handback-b", o.control_url, o.events_url, NULL);
	track(&b);
	assert_true(h_wait_run(c, run, st, sizeof(st), 20000));
	assert_string_equal(st, "success");
	value(c, "SELECT string_agg(a.status || '@' || a.worker_id, ',' ORDER "
	    "BY a.attempt) FROM task_attempts a JOIN task_runs t USING "
	    "(task_run_id) WHERE t.run_id = $1", run, v, sizeof(v));
	assert_string_equal(v, "handed_back@handback-a,success@handback-b");
	assert_no_overlap(file);
	PQfinish(c);
	teardown(NULL);
}

static void
test_replicas_republish_each_others_changes(void **state)
{
	static const Ork__MsgType kinds[] = { ORK__MSG_TYPE__MSG_CHANGES };
	static struct h_orch	 o1, o2;
	char			 db[H_URL_MAX], job[40], run[40];
	const char		*exs[1] = { "{\"type\": \"noop\"}" };
	nng_socket		 sub;
	struct msg		 m;
	int			 seen = 0;
	PGconn			*c;

	(void)state;
	h_db_create("republish", 1, db, sizeof(db));
	c = h_db_connect(db);
	h_orch_start(&o1, "republish-o1", db, NULL);
	track(&o1.p);
	h_orch_start(&o2, "republish-o2", db, NULL);
	track(&o2.p);
	/* listen to o2 only; trigger through o1 */
	assert_int_equal(msg_sub_open(&sub, o2.events_url, kinds, 1), 0);
	h_sleep_ms(300);	/* let the subscription reach o2 */
	h_job_create(c, "seen everywhere", exs, 1, 1, 0, 100, job);
	h_trigger(o1.control_url, job, run);
	while (!seen && msg_sub_recv(sub, 5000, &m) == 0) {
		Ork__Changes *ch = (Ork__Changes *)m.body;

		for (size_t i = 0; i < ch->n_runs; i++)
			seen |= strcmp(ch->runs[i]->run_id, run) == 0 &&
			    strcmp(ch->runs[i]->status, "queued") == 0 &&
			    ch->runs[i]->event_id > 0;
		msg_release(&m);
	}
	assert_true(seen);
	nng_close(sub);
	PQfinish(c);
	teardown(NULL);
}

static void
set_connections(PGconn *admin, const char *db, int allow)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "ALTER DATABASE %s WITH ALLOW_CONNECTIONS "
	    "%s", db, allow ? "true" : "false");
	PQclear(PQexec(admin, sql));
	if (!allow) {
		snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(pid) "
		    "FROM pg_stat_activity WHERE datname = '%s' AND "
		    "application_name LIKE 'ork-orchestrator%%'", db);
		PQclear(PQexec(admin, sql));
	}
}

static void
test_database_outage_loses_nothing(void **state)
{
	static struct h_orch	 o;
	static struct h_proc	 w;
	char			 db[H_URL_MAX], job[40], run[40], st[32];
	char			 v[256];
	const char		*exs[1] = { "{\"type\": \"command\", "
	    "\"argv\": [\"sleep\", \"0.5\"]}" };
	const char		*long_lease[] = { "--lease-ms=20000",
	    "--heartbeat-ms=1000", NULL };
	long			 wcpu, ocpu;
	PGconn			*c, *admin;

	(void)state;
	h_db_create("outage", 1, db, sizeof(db));
	c = h_db_connect(db);
	admin = h_db_connect(h_env("ORK_TEST_PG_URL"));
	/* a lease that outlasts the outage: this test is not about leases */
	h_orch_start(&o, "outage-orchestrator", db, long_lease);
	track(&o.p);
	h_worker_start(&w, "outage-w", o.control_url, o.events_url, NULL);
	track(&w);
	h_job_create(c, "through an outage", exs, 1, 3, 0, 100, job);
	h_trigger(o.control_url, job, run);
	assert_true(h_wait_sql(c, "SELECT count(*) FROM task_runs WHERE "
	    "status = 'running'", "1", 5000));
	/* the database goes away while the task runs and reports */
	wcpu = h_cpu_ms(&w);
	ocpu = h_cpu_ms(&o.p);
	set_connections(admin, "t_outage", 0);
	h_sleep_ms(1500);
	/* meanwhile nobody spins */
	assert_true(h_cpu_ms(&w) - wcpu < 300);
	assert_true(h_cpu_ms(&o.p) - ocpu < 300);
	set_connections(admin, "t_outage", 1);
	assert_true(h_wait_run(c, run, st, sizeof(st), 20000));
	assert_string_equal(st, "success");
	/* the result reported during the outage arrived once, later */
	value(c, "SELECT string_agg(a.status, ',') FROM task_attempts a JOIN "
	    "task_runs t USING (task_run_id) WHERE t.run_id = $1", run, v,
	    sizeof(v));
	assert_string_equal(v, "success");
	assert_true(h_log_count(&w, "could not report") >= 1);
	PQfinish(admin);
	PQfinish(c);
	teardown(NULL);
}

/* ---- 1,000 runs, 4 workers, random kills ---------------------------- */

#define CHAOS_RUNS 1000
#define CHAOS_WORKERS 4

static void
chaos_worker(struct h_proc *p, int slot, int gen, const struct h_orch *o)
{
	char		 name[64];
	const char	*extra[] = { "--worker-concurrency=4", NULL };

	snprintf(name, sizeof(name), "chaos-%d-%d", slot, gen);
	h_worker_start(p, name, o->control_url, o->events_url, extra);
}

static void
test_thousand_runs_with_random_kills(void **state)
{
	static struct h_orch	 o;
	static struct h_proc	 w[CHAOS_WORKERS];
	char			 db[H_URL_MAX], file[H_PATH_MAX];
	char			 ex[4 * H_PATH_MAX], job[40], v[256];
	const char		*exs[1] = { ex };
	char			(*runs)[40] = calloc(CHAOS_RUNS, 40);
	int			 gen = 0, kills = 0;
	int			 done_once = 0, lost = 0, dup = 0, stuck = 0;
	long			 deadline;
	PGconn			*c;
	PGresult		*r;
	char			*text;

	(void)state;
	assert_non_null(runs);
	srand((unsigned)time(NULL));
	h_db_create("chaos", 1, db, sizeof(db));
	c = h_db_connect(db);
	h_tmpfile("chaos.txt", file, sizeof(file));
	snprintf(ex, sizeof(ex), "{\"type\": \"command\", \"shell\": "
	    "\"sleep 0.05; echo $ORK_TASK_RUN_ID $ORK_ATTEMPT >> %s\"}", file);
	h_orch_start(&o, "chaos-orchestrator", db, NULL);
	track(&o.p);
	for (int i = 0; i < CHAOS_WORKERS; i++) {
		chaos_worker(&w[i], i, gen++, &o);
		track(&w[i]);
	}
	h_job_create(c, "chaos", exs, 1, 5, 0, 50, job);
	for (int i = 0; i < CHAOS_RUNS; i++)
		h_trigger(o.control_url, job, runs[i]);

	deadline = (long)time(NULL) + 120;
	for (;;) {
		value(c, "SELECT count(*) FROM job_runs WHERE status IN "
		    "('queued', 'running')", NULL, v, sizeof(v));
		if (strcmp(v, "0") == 0 || (long)time(NULL) > deadline)
			break;
		/* kill a random worker, start a fresh one in its place */
		if (kills < 12) {
			int k = rand() % CHAOS_WORKERS;

			kill(w[k].pid, SIGKILL);
			h_wait_exit(&w[k], 5000);
			chaos_worker(&w[k], k, gen++, &o);
			kills++;
		}
		h_sleep_ms(300 + rand() % 400);
	}
	print_message("# %d kills\n", kills);

	/* sort every task: done once, lost, duplicated, stuck */
	text = h_read_file(file);
	assert_non_null(text);
	r = PQexec(c, "SELECT t.task_run_id, j.status, t.attempt, "
	    "(SELECT count(*) FROM task_attempts a WHERE a.task_run_id = "
	    "t.task_run_id AND a.status = 'success'), (SELECT a.attempt FROM "
	    "task_attempts a WHERE a.task_run_id = t.task_run_id AND a.status "
	    "= 'success' LIMIT 1) FROM task_runs t JOIN job_runs j USING "
	    "(run_id)");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(r), CHAOS_RUNS);
	for (int i = 0; i < PQntuples(r); i++) {
		const char	*id = PQgetvalue(r, i, 0);
		const char	*st = PQgetvalue(r, i, 1);
		int		 attempts = atoi(PQgetvalue(r, i, 2));
		int		 successes = atoi(PQgetvalue(r, i, 3));
		int		 won = atoi(PQgetvalue(r, i, 4));
		int		 seen[16] = { 0 }, twice = 0;
		char		 needle[64];

		for (int a = 1; a <= attempts && a < 16; a++) {
			const char *at = text;

			snprintf(needle, sizeof(needle), "%s %d\n", id, a);
			while ((at = strstr(at, needle)) != NULL) {
				seen[a]++;
				at++;
			}
			if (seen[a] > 1)
				twice = 1;
		}
		if (strcmp(st, "queued") == 0 || strcmp(st, "running") == 0)
			stuck++;
		else if (twice || successes > 1)
			dup++;
		else if (strcmp(st, "success") != 0 || successes != 1 ||
		    won < 1 || won >= 16 || seen[won] != 1)
			lost++;
		else
			done_once++;
	}
	PQclear(r);
	free(text);
	free(runs);
	print_message("# done once %d, lost %d, duplicated %d, stuck %d\n",
	    done_once, lost, dup, stuck);
	assert_int_equal(lost, 0);
	assert_int_equal(dup, 0);
	assert_int_equal(stuck, 0);
	assert_int_equal(done_once, CHAOS_RUNS);
	assert_true(kills > 0);
	PQfinish(c);
	teardown(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_kill9_worker_task_reruns,
		    teardown),
		cmocka_unit_test_teardown(
		    test_kill9_leader_second_replica_takes_over, teardown),
		cmocka_unit_test_teardown(
		    test_partitioned_worker_stops_before_lease_expires,
		    teardown),
		cmocka_unit_test_teardown(test_sigterm_hands_back_after_grace,
		    teardown),
		cmocka_unit_test_teardown(test_database_outage_loses_nothing,
		    teardown),
		cmocka_unit_test_teardown(
		    test_replicas_republish_each_others_changes, teardown),
		cmocka_unit_test_teardown(test_thousand_runs_with_random_kills,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
