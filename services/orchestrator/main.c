/*
 * main.c - ork-orchestrator: owns the run/task state machine.
 *
 *   ork-orchestrator [serve]   serve the control and events addresses
 *   ork-orchestrator migrate   apply pending schema migrations and exit
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "db.h"
#include "err.h"
#include "health.h"
#include "log.h"
#include "migrate.h"
#include "metrics.h"
#include "msg.h"
#include "orchestrator.h"
#include "tz.h"
#include "util.h"

#define NAME "ork-orchestrator"
/* How often the main loop checks its database connection. */
#define DB_CHECK_MS 2000

static const struct config_opt options[] = {
	{ "ORK_DATABASE_URL", CONFIG_STR,
	    offsetof(struct orch_config, database_url), NULL, 0, 0, NULL,
	    config_check_db_url, "PostgreSQL URL of the state store (required)" },
	{ "ORK_ORCHESTRATOR_CONTROL", CONFIG_STR,
	    offsetof(struct orch_config, control), "tcp://127.0.0.1:7400", 0, 0,
	    NULL, config_check_nng_url, "address to serve requests on" },
	{ "ORK_ORCHESTRATOR_EVENTS", CONFIG_STR,
	    offsetof(struct orch_config, events), "tcp://127.0.0.1:7401", 0, 0,
	    NULL, config_check_nng_url, "address to publish events on" },
	{ "ORK_HEALTH_LISTEN", CONFIG_STR,
	    offsetof(struct orch_config, health_listen), "127.0.0.1:7402", 0, 0,
	    NULL, config_check_listen,
	    "host:port of /health, /ready, /metrics" },
	{ "ORK_LEASE_MS", CONFIG_INT, offsetof(struct orch_config, lease_ms),
	    "15000", 2000, 3600000, NULL, NULL,
	    "lease length; heartbeats extend it" },
	{ "ORK_HEARTBEAT_MS", CONFIG_INT,
	    offsetof(struct orch_config, heartbeat_ms), "3000", 100, 600000,
	    NULL, NULL, "how often workers heartbeat (below the lease)" },
	{ "ORK_MAX_LEASE_EXPIRIES", CONFIG_INT,
	    offsetof(struct orch_config, max_lease_expiries), "3", 1, 100,
	    NULL, NULL, "a task whose lease expired this often fails" },
	{ "ORK_REAP_INTERVAL_MS", CONFIG_INT,
	    offsetof(struct orch_config, reap_interval_ms), "500", 50, 60000,
	    NULL, NULL, "how often the leader looks for expired leases" },
	{ "ORK_WORKER_TIMEOUT_MS", CONFIG_INT,
	    offsetof(struct orch_config, worker_timeout_ms), "30000", 1000,
	    3600000, NULL, NULL, "a worker silent this long is marked lost" },
	{ "ORK_EVENTS_RETENTION_HOURS", CONFIG_INT,
	    offsetof(struct orch_config, events_retention_hours), "168", 1,
	    87600, NULL, NULL, "how long run and task events are kept" },
	{ "ORK_MISFIRE_GRACE_MS", CONFIG_INT,
	    offsetof(struct orch_config, misfire_grace_ms), "10000", 0,
	    3600000, NULL, NULL, "a cron slot late by less than this "
	    "(a failover, a restart) still fires; older ones are misfires" },
	{ "ORK_ZONEINFO", CONFIG_STR, offsetof(struct orch_config, zoneinfo),
	    TZ_ZONEINFO_DEFAULT, 0, 0, NULL, NULL,
	    "folder of the IANA time zone database (job time zones)" },
	{ "ORK_ORCHESTRATOR_THREADS", CONFIG_INT,
	    offsetof(struct orch_config, threads), "16", 1, 256, NULL, NULL,
	    "request-serving threads (one database connection each)" },
	{ "ORK_LOG_LEVEL", CONFIG_ENUM, offsetof(struct orch_config, log_level),
	    "info", 0, 0, daemon_log_levels, NULL, "least severe level logged" },
	{ "ORK_LOG_FORMAT", CONFIG_ENUM,
	    offsetof(struct orch_config, log_format), "auto", 0, 0,
	    daemon_log_formats, NULL, "log line format (auto: text on a tty)" },
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static const char summary[] =
    "usage: " NAME " [serve|migrate] [options]\n\n"
    "ork-orchestrator owns the run and task state machine: it serves\n"
    "trigger/cancel/retry requests from ork-api and lease/heartbeat/report\n"
    "requests from workers, and publishes run and task changes.  The\n"
    "leading replica fires cron schedules and requeues expired leases.\n"
    "  serve     serve requests (the default)\n"
    "  migrate   apply pending database migrations and exit";

static int
ready(void *arg, char *why, size_t whylen)
{
	struct orch *o = arg;

	if (!atomic_load(&o->db_ok)) {
		snprintf(why, whylen, "database unreachable");
		return 0;
	}
	return 1;
}

static int
run_migrate(const struct orch_config *cfg)
{
	PGconn	*conn;
	char	 err[1024];
	int	 applied, rc;

	if (db_connect_retry(cfg->database_url, NAME, &daemon_stop, &conn) != 0)
		return DAEMON_EXIT_FAIL;
	rc = migrate_apply(conn, &applied, err, sizeof(err));
	PQfinish(conn);
	if (rc != 0) {
		log_error("could not migrate: %s", err);
		return DAEMON_EXIT_FAIL;
	}
	log_info("database schema is at version %d (%d migrations applied)",
	    migrate_known_version(), applied);
	return DAEMON_EXIT_OK;
}

/* check_db runs a trivial query, reconnecting once when it fails. */
static int
check_db(PGconn *conn)
{
	if (db_exec(conn, "SELECT 1", NULL, 0) == 0)
		return 1;
	PQreset(conn);
	return db_exec(conn, "SELECT 1", NULL, 0) == 0;
}

static int
serve(struct orch_config *cfg)
{
	struct orch		 o;
	struct msg_server	*srv = NULL;
	struct health		*health = NULL;
	PGconn			*conn = NULL;
	char			 err[1024];
	int			 rc, pub_port, status = DAEMON_EXIT_FAIL;
	int			 events_ok = 0, leader_ok = 0, trigger_ok = 0;
	int64_t			 next_check;

	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	o.stop = &daemon_stop;
	if (db_connect_retry(cfg->database_url, NAME, &daemon_stop, &conn) != 0)
		return DAEMON_EXIT_OK;	/* stopped while waiting */
	if (db_schema_check(conn, err, sizeof(err)) != 0) {
		log_error("refusing to start: %s", err);
		goto close_db;
	}
	atomic_store(&o.db_ok, 1);

	if (metrics_on_scrape(gauges_scrape, &o) != 0)
		log_warn("metrics: no room for the queue gauges");
	rc = health_start(cfg->health_listen, NAME, ready, &o, &health, err,
	    sizeof(err));
	if (rc != 0) {
		log_error("%s", err);
		goto close_db;
	}
	rc = msg_pub_open(&o.pub, cfg->events, &pub_port, err, sizeof(err));
	if (rc != 0) {
		log_error("%s", err);
		goto stop_health;
	}
	rc = msg_server_start(cfg->control, (int)cfg->threads, control_handle,
	    &o, control_thread_init, control_thread_fini, &srv, err,
	    sizeof(err));
	if (rc != 0) {
		log_error("%s", err);
		goto close_pub;
	}
	events_ok = events_start(&o) == 0;
	leader_ok = events_ok && leader_start(&o) == 0;
	trigger_ok = leader_ok && trigger_start(&o) == 0;
	if (!trigger_ok) {
		log_error("could not start the orchestrator's threads");
		daemon_stop = 1;
	}
	log_info("ready: control %s (port %d), events %s (port %d), health "
	    "%s (port %d)", cfg->control, msg_server_port(srv), cfg->events,
	    pub_port, cfg->health_listen, health_port(health));

	next_check = util_mono_ms() + DB_CHECK_MS;
	while (!daemon_stop) {
		util_sleep_ms_interruptible(100, &daemon_stop);
		if (util_mono_ms() >= next_check) {
			int ok = check_db(conn);

			if (ok != atomic_load(&o.db_ok))
				log_warn("database %s", ok ? "reachable again" :
				    "unreachable");
			atomic_store(&o.db_ok, ok);
			next_check = util_mono_ms() + DB_CHECK_MS;
		}
	}
	log_info("stopping");
	status = DAEMON_EXIT_OK;
	/* the trigger thread answers what was queued, then the server stops */
	trigger_wake();
	if (trigger_ok)
		pthread_join(o.trigger_thread, NULL);
	msg_server_stop(srv);
	if (events_ok)
		pthread_join(o.events_thread, NULL);
	if (leader_ok)
		pthread_join(o.leader_thread, NULL);
close_pub:
	nng_close(o.pub);
stop_health:
	health_stop(health);
	gauges_close();
close_db:
	PQfinish(conn);
	return status;
}

int
main(int argc, char **argv)
{
	struct orch_config	cfg;
	struct config_args	args;
	int			status;

	memset(&cfg, 0, sizeof(cfg));
	daemon_options(NAME, summary, options, NOPTIONS, &cfg, argc, argv,
	    &args);
	log_init(NAME, (enum log_level)cfg.log_level,
	    (enum log_format)log_parse_format(daemon_log_formats[cfg.log_format]));
	if (args.argc > 1 || (args.argc == 1 &&
	    strcmp(args.argv[0], "serve") != 0 &&
	    strcmp(args.argv[0], "migrate") != 0)) {
		fprintf(stderr, NAME ": unknown command \"%s\" (see " NAME
		    " --help)\n", args.argv[args.argc > 1 ? 1 : 0]);
		config_free(options, NOPTIONS, &cfg);
		return DAEMON_EXIT_USAGE;
	}
	if (cfg.database_url == NULL) {
		fprintf(stderr, NAME ": ORK_DATABASE_URL is not set (or "
		    "--database-url)\n");
		config_free(options, NOPTIONS, &cfg);
		return DAEMON_EXIT_USAGE;
	}
	if (cfg.heartbeat_ms * 2 > cfg.lease_ms) {
		fprintf(stderr, NAME ": --heartbeat-ms (%ld) must be at most "
		    "half of --lease-ms (%ld)\n", cfg.heartbeat_ms, cfg.lease_ms);
		config_free(options, NOPTIONS, &cfg);
		return DAEMON_EXIT_USAGE;
	}
	if (metrics_init(NAME, METRICS_ORCHESTRATOR) != 0) {
		fprintf(stderr, NAME ": could not register the metrics\n");
		config_free(options, NOPTIONS, &cfg);
		return DAEMON_EXIT_FAIL;
	}
	daemon_signals();
	log_info("starting %s", daemon_version_string());
	if (args.argc == 1 && strcmp(args.argv[0], "migrate") == 0)
		status = run_migrate(&cfg);
	else
		status = serve(&cfg);
	config_free(options, NOPTIONS, &cfg);
	log_info("exiting with status %d", status);
	return status;
}
