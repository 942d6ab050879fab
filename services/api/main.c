/*
 * main.c - ork-api: the REST API, authentication, web page and events.
 *
 *   ork-api [serve]                  serve HTTP
 *   ork-api create-user NAME ROLE    add a user (password on stdin)
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "daemon.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "tz.h"
#include "util.h"

#define NAME "ork-api"

/* Server-sent event streams served at once, by default. */
#define API_SSE_CLIENTS_DEFAULT "256"

static const char *const on_off[] = { "off", "on", NULL };

const char *const api_role_names[] = { "none", "viewer", "operator",
    "admin", NULL };

/* api_role_parse maps "viewer".."admin" to a role; -1 if unknown. */
int
api_role_parse(const char *name)
{
	for (int i = ROLE_VIEWER; i <= ROLE_ADMIN; i++)
		if (strcmp(api_role_names[i], name) == 0)
			return i;
	return -1;
}

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
	{ "ORK_ORCHESTRATOR_EVENTS", CONFIG_STR,
	    offsetof(struct api_config, events), "tcp://127.0.0.1:7401", 0, 0,
	    NULL, config_check_nng_urls,
	    "orchestrator event address(es) to subscribe to, comma-separated" },
	{ "ORK_API_THREADS", CONFIG_INT, offsetof(struct api_config, threads),
	    "16", 2, 512, NULL, NULL, "HTTP request threads" },
	{ "ORK_API_DB_POOL", CONFIG_INT, offsetof(struct api_config, db_pool),
	    "8", 1, 256, NULL, NULL, "most database connections" },
	{ "ORK_API_SSE_CLIENTS", CONFIG_INT,
	    offsetof(struct api_config, sse_clients), API_SSE_CLIENTS_DEFAULT,
	    1, 4096, NULL, NULL,
	    "most GET /events streams at once (each has its own thread)" },
	{ "ORK_REQUEST_TIMEOUT_MS", CONFIG_INT,
	    offsetof(struct api_config, request_timeout_ms), "5000", 100, 60000,
	    NULL, NULL, "deadline of one request to the orchestrator" },
	{ "ORK_AUTH", CONFIG_ENUM, offsetof(struct api_config, auth), "on", 0,
	    0, on_off, NULL, "authentication (off: local development only)" },
	{ "ORK_ADMIN_USER", CONFIG_STR,
	    offsetof(struct api_config, admin_user), "admin", 0, 0, NULL, NULL,
	    "name of the first admin, created when no user exists" },
	{ "ORK_ADMIN_PASSWORD", CONFIG_STR,
	    offsetof(struct api_config, admin_password), NULL, 0, 0, NULL,
	    NULL, "password of the first admin (only used when no user exists)" },
	{ "ORK_ZONEINFO", CONFIG_STR, offsetof(struct api_config, zoneinfo),
	    TZ_ZONEINFO_DEFAULT, 0, 0, NULL, NULL,
	    "folder of the IANA time zone files (job timezones)" },
	{ "ORK_LOG_LEVEL", CONFIG_ENUM, offsetof(struct api_config, log_level),
	    "info", 0, 0, daemon_log_levels, NULL, "least severe level logged" },
	{ "ORK_LOG_FORMAT", CONFIG_ENUM,
	    offsetof(struct api_config, log_format), "auto", 0, 0,
	    daemon_log_formats, NULL, "log line format (auto: text on a tty)" },
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static const char summary[] =
    "usage: " NAME " [options] [serve]\n"
    "       " NAME " [options] create-user NAME viewer|operator|admin\n\n"
    "ork-api serves the REST API, the web page and the live event stream\n"
    "of ork.  It reads and writes job definitions in the state store and\n"
    "asks ork-orchestrator to trigger, cancel and retry runs.  create-user\n"
    "adds a user, reading the password from standard input.";

/*
 * pg_options sets session settings for every connection libpq makes
 * (PGOPTIONS, added to what the environment already gives): every
 * statement of the api is a short index-driven query, prepared once per
 * connection, so its generic plan is always the right one; planning it
 * again for each call would cost more than running it.
 */
static void
pg_options(void)
{
	static const char ours[] = "-c plan_cache_mode=force_generic_plan";
	const char	*have = getenv("PGOPTIONS");
	char		 both[1024];

	if (have == NULL || have[0] == '\0') {
		setenv("PGOPTIONS", ours, 1);
		return;
	}
	if (strstr(have, "plan_cache_mode") != NULL)
		return;
	snprintf(both, sizeof(both), "%s %s", have, ours);
	setenv("PGOPTIONS", both, 1);
}

/* register_metrics registers the api's metrics, one route label each. */
static int
register_metrics(void)
{
	const char		*methods[METRICS_VALUES_MAX];
	const char		*paths[METRICS_VALUES_MAX];
	const struct route	*rt;
	size_t			 n;
	int			 rc;

	rt = router_routes(&n);
	if (n >= METRICS_VALUES_MAX)
		return ORK_ETOOBIG;
	for (size_t i = 0; i < n; i++) {
		methods[i] = rt[i].method;
		paths[i] = rt[i].path;
	}
	if ((rc = metrics_http_routes(methods, paths, n)) != 0)
		return rc;
	return metrics_init(NAME, METRICS_API);
}

static int
serve(struct api_config *cfg)
{
	struct api	 a;
	PGconn		*conn = NULL;
	char		 err[1024];
	int		 rc, status = DAEMON_EXIT_FAIL;

	memset(&a, 0, sizeof(a));
	a.cfg = cfg;
	if (register_metrics() != 0) {
		log_error("could not register the metrics");
		return DAEMON_EXIT_FAIL;
	}
	daemon_signals();
	log_info("starting %s", daemon_version_string());
	if (!cfg->auth)
		log_warn("authentication is off (ORK_AUTH=off): every request "
		    "acts as an admin; for local development only");

	if (db_connect_retry(cfg->database_url, NAME, &daemon_stop,
	    &conn) != 0)
		return DAEMON_EXIT_OK;	/* stopped while waiting */
	rc = db_schema_check(conn, err, sizeof(err));
	PQfinish(conn);
	if (rc != 0) {
		log_error("refusing to start: %s", err);
		return DAEMON_EXIT_FAIL;
	}
	sql_init((int)cfg->db_pool);
	rc = dbpool_new(cfg->database_url, NAME, (int)cfg->db_pool, &a.pool);
	if (rc != 0) {
		log_error("could not create the database pool: %s",
		    err_str(rc));
		return DAEMON_EXIT_FAIL;
	}
	if ((rc = auth_new(&a, &a.auth)) != 0 ||
	    (rc = names_new(&a.names)) != 0) {
		log_error("could not set up: %s", err_str(rc));
		goto free_auth;
	}
	if ((rc = auth_bootstrap(&a)) != 0) {
		status = rc == ORK_EINVAL ? DAEMON_EXIT_USAGE : DAEMON_EXIT_FAIL;
		goto free_auth;
	}
	rc = msg_req_open(&a.orch, cfg->control, (int)cfg->request_timeout_ms);
	if (rc != 0) {
		log_error("could not dial %s: %s", cfg->control, err_str(rc));
		goto free_auth;
	}
	rc = events_start(&a, &a.events, err, sizeof(err));
	if (rc != 0) {
		log_error("%s", err);
		goto close_orch;
	}
	/* Event streams hold a thread each: they get threads of their own. */
	rc = httpd_start(cfg->listen, (int)(cfg->threads + cfg->sse_clients),
	    &a.http, err, sizeof(err));
	if (rc != 0) {
		log_error("%s", err);
		goto stop_events;
	}
	router_install(&a);
	log_info("ready: listening on http://%s (port %d)", cfg->listen,
	    httpd_port(a.http));
	while (!daemon_stop)
		util_sleep_ms_interruptible(100, &daemon_stop);
	log_info("stopping");
	status = DAEMON_EXIT_OK;
	atomic_store(&a.stopping, 1);
	events_stop(a.events);		/* streams return, then threads stop */
	httpd_stop(a.http);
stop_events:
	events_free(a.events);
close_orch:
	nng_close(a.orch);
free_auth:
	names_free(a.names);
	auth_free(a.auth);
	dbpool_free(a.pool);
	return status;
}

int
main(int argc, char **argv)
{
	struct api_config	cfg;
	struct config_args	args;
	int			status;

	memset(&cfg, 0, sizeof(cfg));
	memset(&args, 0, sizeof(args));
	daemon_options(NAME, summary, options, NOPTIONS, &cfg, argc, argv,
	    &args);
	log_init(NAME, (enum log_level)cfg.log_level,
	    (enum log_format)log_parse_format(daemon_log_formats[cfg.log_format]));
	if (cfg.database_url == NULL) {
		fprintf(stderr, NAME ": ORK_DATABASE_URL is not set (or "
		    "--database-url)\n");
		config_free(options, NOPTIONS, &cfg);
		return DAEMON_EXIT_USAGE;
	}
	/* Times are UTC whatever the server's default zone. */
	setenv("PGTZ", "UTC", 1);
	pg_options();
	if (args.argc == 3 && strcmp(args.argv[0], "create-user") == 0) {
		status = auth_create_user_cli(&cfg, args.argv[1], args.argv[2]);
	} else if (args.argc == 0 || (args.argc == 1 &&
	    strcmp(args.argv[0], "serve") == 0)) {
		status = serve(&cfg);
		log_info("exiting with status %d", status);
	} else {
		fprintf(stderr, NAME ": unknown command (usage: " NAME
		    " [serve] | create-user NAME ROLE)\n");
		status = DAEMON_EXIT_USAGE;
	}
	config_free(options, NOPTIONS, &cfg);
	return status;
}
