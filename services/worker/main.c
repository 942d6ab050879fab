/*
 * main.c - ork-worker: leases tasks from the orchestrator and runs them.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "err.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "util.h"
#include "worker.h"

#define NAME "ork-worker"

static const struct config_opt options[] = {
	{ "ORK_ORCHESTRATOR_CONTROL", CONFIG_STR,
	    offsetof(struct worker_config, control), "tcp://127.0.0.1:7400", 0,
	    0, NULL, config_check_nng_urls,
	    "orchestrator control address(es) to dial, comma-separated" },
	{ "ORK_ORCHESTRATOR_EVENTS", CONFIG_STR,
	    offsetof(struct worker_config, events), "tcp://127.0.0.1:7401", 0,
	    0, NULL, config_check_nng_urls,
	    "orchestrator events address(es) to subscribe to" },
	{ "ORK_WORKER_ID", CONFIG_STR, offsetof(struct worker_config, worker_id),
	    NULL, 0, 0, NULL, NULL, "worker id (default: hostname-pid)" },
	{ "ORK_WORKER_CONCURRENCY", CONFIG_INT,
	    offsetof(struct worker_config, concurrency), "4", 1, 256, NULL, NULL,
	    "tasks run at once" },
	{ "ORK_WORKER_GRACE_SECONDS", CONFIG_INT,
	    offsetof(struct worker_config, grace_seconds), "30", 0, 3600, NULL,
	    NULL, "on SIGTERM, how long running tasks may finish" },
	{ "ORK_REQUEST_TIMEOUT_MS", CONFIG_INT,
	    offsetof(struct worker_config, request_timeout_ms), "5000", 100,
	    60000, NULL, NULL, "deadline of one request to the orchestrator" },
	{ "ORK_WORKER_POLL_MS", CONFIG_INT,
	    offsetof(struct worker_config, poll_ms), "1000", 50, 60000, NULL,
	    NULL, "how often an idle worker asks for work without a hint" },
	{ "ORK_HEALTH_LISTEN", CONFIG_STR,
	    offsetof(struct worker_config, health_listen), "127.0.0.1:7403", 0,
	    0, NULL, config_check_listen,
	    "host:port of /health, /ready, /metrics" },
	{ "ORK_LOG_LEVEL", CONFIG_ENUM,
	    offsetof(struct worker_config, log_level), "info", 0, 0,
	    daemon_log_levels, NULL, "least severe level logged" },
	{ "ORK_LOG_FORMAT", CONFIG_ENUM,
	    offsetof(struct worker_config, log_format), "auto", 0, 0,
	    daemon_log_formats, NULL, "log line format (auto: text on a tty)" },
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static const char summary[] =
    "usage: " NAME " [options]\n\n"
    "ork-worker leases tasks from ork-orchestrator, runs them, heartbeats\n"
    "while they run and reports how they ended.  It needs no database\n"
    "credentials, only the orchestrator's addresses.";

static int
ready(void *arg, char *why, size_t whylen)
{
	struct worker *w = arg;

	if (!atomic_load(&w->connected)) {
		snprintf(why, whylen, "orchestrator not reachable");
		return 0;
	}
	return 1;
}

int
main(int argc, char **argv)
{
	static const Ork__MsgType topics[] = {
		ORK__MSG_TYPE__MSG_WORK_AVAILABLE,
		ORK__MSG_TYPE__MSG_CANCEL_TASK,
	};
	struct worker_config	 cfg;
	struct worker		 w;
	struct health		*health = NULL;
	char			 err[512];
	int			 rc, status = DAEMON_EXIT_FAIL;

	memset(&cfg, 0, sizeof(cfg));
	memset(&w, 0, sizeof(w));
	daemon_options(NAME, summary, options, NOPTIONS, &cfg, argc, argv,
	    NULL);
	log_init(NAME, (enum log_level)cfg.log_level,
	    (enum log_format)log_parse_format(daemon_log_formats[cfg.log_format]));
	daemon_signals();
	w.cfg = &cfg;
	if (gethostname(w.hostname, sizeof(w.hostname)) != 0)
		snprintf(w.hostname, sizeof(w.hostname), "unknown");
	w.hostname[sizeof(w.hostname) - 1] = '\0';
	if (cfg.worker_id != NULL)
		snprintf(w.id, sizeof(w.id), "%s", cfg.worker_id);
	else
		snprintf(w.id, sizeof(w.id), "%.200s-%ld", w.hostname,
		    (long)getpid());
	log_info("starting %s as %s", daemon_version_string(), w.id);

	w.slots = calloc((size_t)cfg.concurrency, sizeof(*w.slots));
	w.logq = calloc(WORKER_LOG_QUEUE_MAX, sizeof(*w.logq));
	if (w.slots == NULL || w.logq == NULL) {
		log_error("out of memory");
		goto free_cfg;
	}
	if (metrics_init(NAME, METRICS_WORKER) != 0) {
		log_error("could not register the metrics");
		goto free_cfg;
	}
	metrics_set(&m_worker_slots, METRICS_SLOT_FREE,
	    (double)cfg.concurrency);
	pthread_mutex_init(&w.lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&w.wake, &ca);
		pthread_condattr_destroy(&ca);
	}
	rc = health_start(cfg.health_listen, NAME, ready, &w, &health, err,
	    sizeof(err));
	if (rc != 0) {
		log_error("%s", err);
		goto free_cfg;
	}
	rc = msg_req_open(&w.req, cfg.control, (int)cfg.request_timeout_ms);
	if (rc != 0) {
		log_error("could not dial %s: %s", cfg.control, err_str(rc));
		goto stop_health;
	}
	rc = msg_sub_open(&w.sub, cfg.events, topics,
	    sizeof(topics) / sizeof(topics[0]));
	if (rc != 0) {
		log_error("could not subscribe to %s: %s", cfg.events,
		    err_str(rc));
		goto close_req;
	}
	rc = dispatch_run(&w);
	if (rc == 0)
		status = DAEMON_EXIT_OK;
	log_info("stopped");
	nng_close(w.sub);
close_req:
	nng_close(w.req);
stop_health:
	health_stop(health);
free_cfg:
	for (int i = 0; i < w.nlogq; i++)
		free(w.logq[i].line);
	free(w.logq);
	free(w.slots);
	config_free(options, NOPTIONS, &cfg);
	log_info("exiting with status %d", status);
	return status;
}
