/*
 * migrate_test.c - the schema migrations against a real PostgreSQL:
 * they apply on an empty database, re-apply as a no-op, run safely from
 * two connections at once, refuse a changed or newer history, and the
 * schema's constraints hold.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db.h"
#include "err.h"
#include "harness.h"
#include "migrate.h"

static const char *const tables[] = { "job_definitions", "task_definitions",
    "job_runs", "task_runs", "task_attempts", "task_logs", "workers", "users",
    "api_tokens", "events", "schema_migrations" };

static void
test_apply_then_noop(void **state)
{
	char	 url[H_URL_MAX], err[512], v[64], sql[256];
	PGconn	*c;
	int	 applied = -1, version;

	(void)state;
	h_db_create("migrate_apply", 0, url, sizeof(url));
	c = h_db_connect(url);
	assert_int_equal(db_schema_check(c, err, sizeof(err)), ORK_ESCHEMA);
	assert_non_null(strstr(err, "run \"ork-orchestrator migrate\""));

	assert_int_equal(migrate_apply(c, &applied, err, sizeof(err)), 0);
	assert_int_equal(applied, migrate_known_version());
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT to_regclass('%s') IS NOT "
		    "NULL", tables[i]);
		h_db_value(c, sql, v, sizeof(v));
		if (strcmp(v, "t") != 0)
			fail_msg("table %s is missing", tables[i]);
	}
	assert_int_equal(db_schema_check(c, err, sizeof(err)), 0);

	assert_int_equal(migrate_apply(c, &applied, err, sizeof(err)), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(db_schema_version(c, &version, err, sizeof(err)), 0);
	assert_int_equal(version, migrate_known_version());
	h_db_value(c, "SELECT count(*) FROM schema_migrations", v, sizeof(v));
	assert_int_equal(atoi(v), migrate_known_version());
	PQfinish(c);
}

struct racer {
	const char	*url;
	int		 rc;
	int		 applied;
};

static void *
race(void *p)
{
	struct racer	*r = p;
	char		 err[512];
	PGconn		*c = PQconnectdb(r->url);

	r->rc = migrate_apply(c, &r->applied, err, sizeof(err));
	PQfinish(c);
	return NULL;
}

static void
test_concurrent_migrations(void **state)
{
	char		url[H_URL_MAX];
	struct racer	r[4];
	pthread_t	th[4];
	int		total = 0;

	(void)state;
	h_db_create("migrate_race", 0, url, sizeof(url));
	for (int i = 0; i < 4; i++) {
		r[i].url = url;
		pthread_create(&th[i], NULL, race, &r[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].rc, 0);
		total += r[i].applied;
	}
	/* the advisory lock let exactly one of them do the work */
	assert_int_equal(total, migrate_known_version());
}

static void
test_newer_schema_refused(void **state)
{
	char	 url[H_URL_MAX], err[512];
	PGconn	*c;
	int	 applied;

	(void)state;
	h_db_create("migrate_newer", 1, url, sizeof(url));
	c = h_db_connect(url);
	assert_int_equal(db_exec(c, "INSERT INTO schema_migrations (version, "
	    "name, checksum) VALUES (999, '0999_future', 'x')", err,
	    sizeof(err)), 0);
	assert_int_equal(db_schema_check(c, err, sizeof(err)), ORK_ESCHEMA);
	assert_non_null(strstr(err, "version 999 is newer"));
	assert_int_equal(migrate_apply(c, &applied, err, sizeof(err)),
	    ORK_ESCHEMA);
	assert_non_null(strstr(err, "newer than this build knows"));
	PQfinish(c);
}

static void
test_changed_migration_refused(void **state)
{
	char	 url[H_URL_MAX], err[512];
	PGconn	*c;
	int	 applied;

	(void)state;
	h_db_create("migrate_changed", 1, url, sizeof(url));
	c = h_db_connect(url);
	assert_int_equal(db_exec(c, "UPDATE schema_migrations SET checksum = "
	    "'0000000000000000' WHERE version = 1", err, sizeof(err)), 0);
	assert_int_equal(migrate_apply(c, &applied, err, sizeof(err)),
	    ORK_ESCHEMA);
	assert_non_null(strstr(err, "was changed after it was applied"));
	PQfinish(c);
}

static void
test_constraints_hold(void **state)
{
	char	 url[H_URL_MAX], err[512], v[64];
	PGconn	*c;

	(void)state;
	h_db_create("migrate_constraints", 1, url, sizeof(url));
	c = h_db_connect(url);
	assert_int_equal(db_exec(c, "INSERT INTO job_definitions (job_id, "
	    "job_name, schedule) VALUES ('11111111-1111-1111-1111-111111111111',"
	    " 'My Daily Report', '0 0 9 * * *')", err, sizeof(err)), 0);
	/* duplicate job_name */
	assert_int_equal(db_exec(c, "INSERT INTO job_definitions (job_name) "
	    "VALUES ('My Daily Report')", err, sizeof(err)), ORK_EEXIST);
	/* status CHECK */
	assert_int_equal(db_exec(c, "INSERT INTO job_runs (job_id, status, "
	    "triggered_by) VALUES ('11111111-1111-1111-1111-111111111111', "
	    "'exploded', 'manual')", err, sizeof(err)), ORK_EINVAL);
	assert_int_equal(db_exec(c, "INSERT INTO job_runs (run_id, job_id, "
	    "triggered_by, scheduled_for) VALUES "
	    "('22222222-2222-2222-2222-222222222222', "
	    "'11111111-1111-1111-1111-111111111111', 'scheduled', "
	    "'2026-11-23 09:00Z')", err, sizeof(err)), 0);
	/* one run per cron slot */
	assert_int_equal(db_exec(c, "INSERT INTO job_runs (job_id, "
	    "triggered_by, scheduled_for) VALUES "
	    "('11111111-1111-1111-1111-111111111111', 'scheduled', "
	    "'2026-11-23 09:00Z')", err, sizeof(err)), ORK_EEXIST);
	assert_int_equal(db_exec(c, "INSERT INTO task_runs (run_id, job_id, "
	    "task_order, kind, extractor_config) VALUES "
	    "('22222222-2222-2222-2222-222222222222', "
	    "'11111111-1111-1111-1111-111111111111', 0, 'noop', '{}')", err,
	    sizeof(err)), 0);
	/* running without a lease is impossible */
	assert_int_equal(db_exec(c, "UPDATE task_runs SET status = 'running'",
	    err, sizeof(err)), ORK_EINVAL);
	/* deleting the job cascades to its runs and tasks */
	assert_int_equal(db_exec(c, "DELETE FROM job_definitions", err,
	    sizeof(err)), 0);
	h_db_value(c, "SELECT (SELECT count(*) FROM job_runs) + "
	    "(SELECT count(*) FROM task_runs)", v, sizeof(v));
	assert_string_equal(v, "0");
	PQfinish(c);
}

static void
test_migrate_command(void **state)
{
	char		 url[H_URL_MAX], arg[H_URL_MAX + 32];
	const char	*args[] = { "migrate", arg, NULL };

	(void)state;
	h_db_create("migrate_cmd", 0, url, sizeof(url));
	snprintf(arg, sizeof(arg), "--database-url=%s", url);
	assert_int_equal(h_run("migrate-cmd-1", "ork-orchestrator", args, NULL,
	    30000), 0);
	assert_int_equal(h_run("migrate-cmd-2", "ork-orchestrator", args, NULL,
	    30000), 0);
	{
		struct h_proc p;

		/* the second run says it had nothing to do */
		memset(&p, 0, sizeof(p));
		snprintf(p.log, sizeof(p.log), "%s/migrate-cmd-2.log",
		    h_env("ORK_TEST_OUT"));
		assert_int_equal(h_log_count(&p, "(0 migrations applied)"), 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_then_noop),
		cmocka_unit_test(test_concurrent_migrations),
		cmocka_unit_test(test_newer_schema_refused),
		cmocka_unit_test(test_changed_migration_refused),
		cmocka_unit_test(test_constraints_hold),
		cmocka_unit_test(test_migrate_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
