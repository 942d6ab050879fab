/*
 * main.c - ork-api: the REST API, authentication, web page and events.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "daemon.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "msg.h"
#include "util.h"

#define NAME "ork-api"

static const char *const on_off[] = { "off", "on", NULL };

static const struct config_opt options[] = {
	{ "ORK_DATABASE_URL", CONFIG_STR,
	    offsetof(struct api_config, database_url), NULL, 0, 0, NULL,
	    config_check_db_url, "PostgreSQL URL of the state store (required)" },
	{ "ORK_API_LISTEN", CONFIG_STR, offsetof(struct api_config, listen),
	    "127.0.0.1:8080", 0, 0, NULL, config_check_listen,
	    "host:port to serve HTTP on" },
	{ "ORK_ORCHESTRATOR_CONTROL", CONFIG_STR,
	    offsetof(struct api_config, control), "tcp://127.0.0.1:7400", 0, 0,
	    NULL, config_check_nng_urls,
	    "orchestrator control address(es) to dial, comma-separated" },
	{ "ORK_API_THREADS", CONFIG_INT, offsetof(struct api_config, threads),
	    "16", 2, 512, NULL, NULL, "HTTP request threads" },
	{ "ORK_API_DB_POOL", CONFIG_INT, offsetof(struct api_config, db_pool),
	    "8", 1, 256, NULL, NULL, "most database connections" },
	{ "ORK_REQUEST_TIMEOUT_MS", CONFIG_INT,
	    offsetof(struct api_config, request_timeout_ms), "5000", 100, 60000,
	    NULL, NULL, "deadline of one request to the orchestrator" },
	{ "ORK_AUTH", CONFIG_ENUM, offsetof(struct api_config, auth), "on", 0,
	    0, on_off, NULL, "authentication (off: local development only)" },
	{ "ORK_LOG_LEVEL", CONFIG_ENUM, offsetof(struct api_config, log_level),
	    "info", 0, 0, daemon_log_levels, NULL, "least severe level logged" },
	{ "ORK_LOG_FORMAT", CONFIG_ENUM,
	    offsetof(struct api_config, log_format), "auto", 0, 0,
	    daemon_log_formats, NULL, "log line format (auto: text on a tty)" },
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static const char summary[] =
    "usage: " NAME " [options]\n\n"
    "ork-api serves the REST API, the web page and the live event stream\n"
    "of ork.  It reads and writes job definitions in the state store and\n"
    "asks ork-orchestrator to trigger, cancel and retry runs.";

int
main(int argc, char **argv)
{
	struct api_config	 cfg;
	struct api		 a;
	PGconn			*conn = NULL;
	char			 err[1024];
	int			 rc, status = DAEMON_EXIT_FAIL;

	memset(&cfg, 0, sizeof(cfg));
	memset(&a, 0, sizeof(a));
	daemon_options(NAME, summary, options, NOPTIONS, &cfg, argc, argv,
	    NULL);
	log_init(NAME, (enum log_level)cfg.log_level,
	    (enum log_format)log_parse_format(daemon_log_formats[cfg.log_format]));
	if (cfg.database_url == NULL) {
		fprintf(stderr, NAME ": ORK_DATABASE_URL is not set (or "
		    "--database-url)\n");
		config_free(options, NOPTIONS, &cfg);
		return DAEMON_EXIT_USAGE;
	}
	daemon_signals();
	a.cfg = &cfg;
	log_info("starting %s", daemon_version_string());
	if (!cfg.auth)
		log_warn("authentication is off (ORK_AUTH=off): for local "
		    "development only");

	if (db_connect_retry(cfg.database_url, NAME, &daemon_stop, &conn) != 0) {
		status = DAEMON_EXIT_OK;	/* stopped while waiting */
		goto free_cfg;
	}
	rc = db_schema_check(conn, err, sizeof(err));
	PQfinish(conn);
	if (rc != 0) {
		log_error("refusing to start: %s", err);
		goto free_cfg;
	}
	rc = dbpool_new(cfg.database_url, NAME, (int)cfg.db_pool, &a.pool);
	if (rc != 0) {
		log_error("could not create the database pool: %s",
		    err_str(rc));
		goto free_cfg;
	}
	rc = msg_req_open(&a.orch, cfg.control, (int)cfg.request_timeout_ms);
	if (rc != 0) {
		log_error("could not dial %s: %s", cfg.control, err_str(rc));
		goto free_pool;
	}
	rc = httpd_start(cfg.listen, (int)cfg.threads, &a.http, err,
	    sizeof(err));
	if (rc != 0) {
		log_error("%s", err);
		goto close_orch;
	}
	routes_install(&a);
	log_info("ready: listening on http://%s (port %d)", cfg.listen,
	    httpd_port(a.http));
	while (!daemon_stop)
		util_sleep_ms_interruptible(100, &daemon_stop);
	log_info("stopping");
	status = DAEMON_EXIT_OK;
	httpd_stop(a.http);
close_orch:
	nng_close(a.orch);
free_pool:
	dbpool_free(a.pool);
free_cfg:
	config_free(options, NOPTIONS, &cfg);
	log_info("exiting with status %d", status);
	return status;
}
