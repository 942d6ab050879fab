/*
 * daemon_test.c - the three daemons as a user runs them: each starts,
 * reports ready and exits 0 on SIGTERM within 2 s; an unreachable
 * database is retried with backoff (no crash, no spin); a schema of
 * another version is refused; bad flags, database URLs and listen
 * addresses exit 2 with one clear line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "harness.h"

/* Everything a test started, stopped also when an assertion fails. */
struct stack {
	char		db[H_URL_MAX];
	int		control, events, orch_health, worker_health, api;
	struct h_proc	orch, worker, api_proc;
	char		a_db[H_URL_MAX + 32], a_control[64], a_events[64];
	char		a_ohealth[64], a_whealth[64], a_api[64], a_dial[64];
	char		a_dial_events[64];
};

static struct stack *cur;

static void
stack_ports(struct stack *s, const char *dbname, int migrated)
{
	memset(s, 0, sizeof(*s));
	h_db_create(dbname, migrated, s->db, sizeof(s->db));
	s->control = h_free_port();
	s->events = h_free_port();
	s->orch_health = h_free_port();
	s->worker_health = h_free_port();
	s->api = h_free_port();
	snprintf(s->a_db, sizeof(s->a_db), "--database-url=%s", s->db);
	snprintf(s->a_control, sizeof(s->a_control),
	    "--orchestrator-control=tcp://127.0.0.1:%d", s->control);
	snprintf(s->a_events, sizeof(s->a_events),
	    "--orchestrator-events=tcp://127.0.0.1:%d", s->events);
	snprintf(s->a_ohealth, sizeof(s->a_ohealth),
	    "--health-listen=127.0.0.1:%d", s->orch_health);
	snprintf(s->a_whealth, sizeof(s->a_whealth),
	    "--health-listen=127.0.0.1:%d", s->worker_health);
	snprintf(s->a_api, sizeof(s->a_api), "--api-listen=127.0.0.1:%d",
	    s->api);
	cur = s;
}

static void
start_orchestrator(struct stack *s, const char *log)
{
	const char *args[] = { s->a_db, s->a_control, s->a_events,
	    s->a_ohealth, NULL };

	h_spawn(&s->orch, log, "ork-orchestrator", args, NULL);
}

static void
start_worker(struct stack *s, const char *log)
{
	const char *args[] = { s->a_control, s->a_events, s->a_whealth,
	    "--worker-id=w1", NULL };

	h_spawn(&s->worker, log, "ork-worker", args, NULL);
}

static void
start_api(struct stack *s, const char *log)
{
	const char *args[] = { s->a_db, s->a_control, s->a_api, NULL };

	h_spawn(&s->api_proc, log, "ork-api", args, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	if (cur != NULL) {
		h_kill(&cur->orch);
		h_kill(&cur->worker);
		h_kill(&cur->api_proc);
		cur = NULL;
	}
	return 0;
}

static long
get(int port, const char *path, char **body)
{
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	return h_http("GET", url, NULL, NULL, body);
}

static void
test_all_start_ready_and_stop(void **state)
{
	struct stack	 s;
	char		*body = NULL;

	(void)state;
	stack_ports(&s, "daemons", 1);
	start_orchestrator(&s, "start-orchestrator");
	assert_true(h_wait_log(&s.orch, "ready:", 10000));
	start_worker(&s, "start-worker");
	assert_true(h_wait_log(&s.worker, "ready:", 10000));
	start_api(&s, "start-api");
	assert_true(h_wait_log(&s.api_proc, "ready:", 10000));

	assert_int_equal(get(s.api, "/health", &body), 200);
	assert_non_null(strstr(body, "\"status\":\"ok\""));
	free(body);
	assert_int_equal(get(s.api, "/ready", &body), 200);
	assert_non_null(strstr(body, "\"orchestrator\":true"));
	free(body);
	assert_int_equal(get(s.api, "/nope", &body), 404);
	assert_non_null(strstr(body, "\"error\""));
	free(body);
	assert_int_equal(get(s.orch_health, "/health", NULL), 200);
	assert_int_equal(get(s.orch_health, "/ready", NULL), 200);
	assert_int_equal(get(s.worker_health, "/health", NULL), 200);
	assert_int_equal(get(s.worker_health, "/ready", NULL), 200);

	/* idle: the worker waits for work or polls, it does not spin */
	{
		long before = h_cpu_ms(&s.worker);

		h_sleep_ms(2000);
		assert_true(h_cpu_ms(&s.worker) - before < 100);
	}

	/* SIGTERM: exit 0 within 2 s, worker and api first */
	assert_int_equal(h_stop(&s.worker, SIGTERM, 2000), 0);
	assert_int_equal(h_stop(&s.api_proc, SIGTERM, 2000), 0);
	assert_int_equal(h_stop(&s.orch, SIGTERM, 2000), 0);
	assert_true(h_log_count(&s.orch, "exiting with status 0") == 1);
	assert_true(h_log_count(&s.api_proc, "exiting with status 0") == 1);
}

static void
test_sigint_stops_too(void **state)
{
	struct stack s;

	(void)state;
	stack_ports(&s, "sigint", 1);
	start_orchestrator(&s, "sigint-orchestrator");
	assert_true(h_wait_log(&s.orch, "ready:", 10000));
	assert_int_equal(h_stop(&s.orch, SIGINT, 2000), 0);
}

static void
test_unreachable_database_retries(void **state)
{
	struct stack	 s;
	char		 bad_db[128];
	long		 cpu;

	(void)state;
	stack_ports(&s, "unreachable", 0);
	snprintf(bad_db, sizeof(bad_db),
	    "--database-url=postgresql://ork@127.0.0.1:%d/ork", h_free_port());
	{
		const char *args[] = { bad_db, s.a_control, s.a_events,
		    s.a_ohealth, NULL };

		h_spawn(&s.orch, "unreachable-orchestrator",
		    "ork-orchestrator", args, NULL);
	}
	{
		const char *args[] = { bad_db, s.a_control, s.a_api, NULL };

		h_spawn(&s.api_proc, "unreachable-api", "ork-api", args, NULL);
	}
	h_sleep_ms(3000);
	/* still running, saying why, waiting longer each time */
	assert_false(h_wait_exit(&s.orch, 0));
	assert_false(h_wait_exit(&s.api_proc, 0));
	assert_true(h_log_count(&s.orch, "could not connect to database") >= 3);
	assert_true(h_log_count(&s.orch, "Connection refused") >= 3);
	assert_true(h_log_count(&s.orch, "(attempt 3)") == 1);
	/* backoff: 250, 500, 1000, 2000 ms: at most 5 tries in 3 s */
	assert_true(h_log_count(&s.orch, "could not connect to database") <= 6);
	assert_true(h_log_count(&s.api_proc, "could not connect") >= 3);
	cpu = h_cpu_ms(&s.orch);
	assert_true(cpu >= 0 && cpu < 300);	/* not spinning */
	assert_int_equal(h_stop(&s.orch, SIGTERM, 2000), 0);
	assert_int_equal(h_stop(&s.api_proc, SIGTERM, 2000), 0);
}

static void
test_worker_waits_for_orchestrator(void **state)
{
	struct stack s;

	(void)state;
	stack_ports(&s, "waitorch", 1);
	start_worker(&s, "waitorch-worker");
	assert_true(h_wait_log(&s.worker, "could not register", 10000));
	assert_int_equal(get(s.worker_health, "/ready", NULL), 503);
	start_orchestrator(&s, "waitorch-orchestrator");
	assert_true(h_wait_log(&s.orch, "ready:", 10000));
	assert_true(h_wait_log(&s.worker, "ready:", 15000));
	assert_int_equal(get(s.worker_health, "/ready", NULL), 200);
	assert_int_equal(h_stop(&s.worker, SIGTERM, 2000), 0);
	assert_int_equal(h_stop(&s.orch, SIGTERM, 2000), 0);
}

static void
test_schema_mismatch_refused(void **state)
{
	struct stack	 s;
	PGconn		*c;

	(void)state;
	/* not migrated at all */
	stack_ports(&s, "noschema", 0);
	start_orchestrator(&s, "noschema-orchestrator");
	assert_true(h_wait_exit(&s.orch, 10000));
	assert_int_not_equal(h_stop(&s.orch, SIGTERM, 10), 0);
	assert_int_equal(h_log_count(&s.orch, "refusing to start: database "
	    "has no ork schema"), 1);

	/* newer than this build */
	stack_ports(&s, "newschema", 1);
	c = h_db_connect(s.db);
	PQclear(PQexec(c, "INSERT INTO schema_migrations (version, name, "
	    "checksum) VALUES (999, '0999_future', 'x')"));
	PQfinish(c);
	start_orchestrator(&s, "newschema-orchestrator");
	assert_true(h_wait_exit(&s.orch, 10000));
	assert_int_equal(h_stop(&s.orch, SIGTERM, 10), 1);
	assert_int_equal(h_log_count(&s.orch, "database schema version 999 is "
	    "newer than this build knows"), 1);
	start_api(&s, "newschema-api");
	assert_true(h_wait_exit(&s.api_proc, 10000));
	assert_int_equal(h_stop(&s.api_proc, SIGTERM, 10), 1);
	assert_int_equal(h_log_count(&s.api_proc, "is newer than this build"),
	    1);
}

/* Bad input: one line, exit 2, for every daemon. */
static void
expect_usage_error(const char *program, const char *arg, const char *says)
{
	struct h_proc	 p;
	const char	*args[] = { arg, "--database-url=postgresql://x@h/d",
	    NULL };
	char		*log;
	int		 lines = 0;

	h_spawn(&p, "usage", program, args, NULL);
	if (!h_wait_exit(&p, 5000)) {
		h_kill(&p);
		fail_msg("%s %s did not exit", program, arg);
	}
	assert_true(WIFEXITED(p.status));
	assert_int_equal(WEXITSTATUS(p.status), 2);
	log = h_read_file(p.log);
	assert_non_null(log);
	for (char *c = log; *c != '\0'; c++)
		lines += *c == '\n';
	if (lines != 1 || strstr(log, says) == NULL)
		fail_msg("%s %s: want one line with \"%s\", got: %s", program,
		    arg, says, log);
	free(log);
}

static void
test_bad_input_exits_2(void **state)
{
	static const char *const daemons[] = { "ork-orchestrator", "ork-api",
	    "ork-worker" };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		expect_usage_error(daemons[i], "--no-such-flag",
		    "unknown flag \"--no-such-flag\"");
		expect_usage_error(daemons[i],
		    "--orchestrator-control=tcp//nowhere",
		    "is not a socket address");
		expect_usage_error(daemons[i], "--log-level=loud",
		    "\"loud\" is not one of");
	}
	/* malformed database URL (api and orchestrator take one) */
	expect_usage_error("ork-orchestrator", "--database-url=postgresql://[",
	    "malformed database URL");
	expect_usage_error("ork-api", "--database-url=not a url",
	    "is not a PostgreSQL URL");
	/* malformed listen addresses */
	expect_usage_error("ork-api", "--api-listen=localhost",
	    "--api-listen: \"localhost\" is not a listen address");
	expect_usage_error("ork-orchestrator", "--health-listen=1.2.3.4:99999",
	    "is not a listen address");
	expect_usage_error("ork-worker", "--health-listen=:",
	    "is not a listen address");
	expect_usage_error("ork-orchestrator",
	    "--orchestrator-events=tcp://h:port", "is not a socket address");
	expect_usage_error("ork-worker", "--worker-concurrency=0",
	    "out of range 1-256");
}

static void
test_help_and_version(void **state)
{
	static const char *const programs[] = { "ork-orchestrator", "ork-api",
	    "ork-worker", "ork" };

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		const char	*h[] = { "--help", NULL };
		const char	*v[] = { "--version", NULL };

		assert_int_equal(h_run("help", programs[i], h, NULL, 5000), 0);
		assert_int_equal(h_run("version", programs[i], v, NULL, 5000),
		    0);
	}
}

static void
test_listen_address_in_use(void **state)
{
	struct stack	s;
	struct h_proc	second;

	(void)state;
	stack_ports(&s, "inuse", 1);
	start_orchestrator(&s, "inuse-first");
	assert_true(h_wait_log(&s.orch, "ready:", 10000));
	{
		const char *args[] = { s.a_db, s.a_control, s.a_events,
		    "--health-listen=127.0.0.1:0", NULL };

		h_spawn(&second, "inuse-second", "ork-orchestrator", args,
		    NULL);
	}
	assert_true(h_wait_exit(&second, 10000));
	assert_int_equal(WEXITSTATUS(second.status), 1);
	assert_true(h_log_count(&second, "could not listen on") == 1);
	assert_int_equal(h_stop(&s.orch, SIGTERM, 2000), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_all_start_ready_and_stop,
		    teardown),
		cmocka_unit_test_teardown(test_sigint_stops_too, teardown),
		cmocka_unit_test_teardown(test_unreachable_database_retries,
		    teardown),
		cmocka_unit_test_teardown(test_worker_waits_for_orchestrator,
		    teardown),
		cmocka_unit_test_teardown(test_schema_mismatch_refused,
		    teardown),
		cmocka_unit_test(test_bad_input_exits_2),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test_teardown(test_listen_address_in_use, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
