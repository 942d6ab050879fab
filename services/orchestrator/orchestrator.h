/*
 * orchestrator.h - ork-orchestrator's private header.
 */
#ifndef ORK_ORCHESTRATOR_H
#define ORK_ORCHESTRATOR_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include <libpq-fe.h>
#include <nng/nng.h>

#include "msg.h"

/* Configuration, filled from the option table in main.c. */
struct orch_config {
	char	*database_url;
	char	*control;
	char	*events;
	char	*health_listen;
	long	 threads;
	long	 lease_ms;
	long	 heartbeat_ms;
	long	 max_lease_expiries;
	long	 reap_interval_ms;
	long	 worker_timeout_ms;
	long	 events_retention_hours;
	char	*zoneinfo;
	long	 misfire_grace_ms;
	int	 log_level;
	int	 log_format;
};

/* What the daemon's threads share. */
struct orch {
	const struct orch_config	*cfg;
	nng_socket			 pub;
	atomic_int			 db_ok;		/* last check passed */
	atomic_int			 leader;	/* holds the lock */
	atomic_int			*stop;
	pthread_t			 leader_thread;
	pthread_t			 events_thread;
	pthread_t			 trigger_thread;
	int				 threads_started;
};

/* The advisory lock the leader holds ("ork-lead" in ASCII). */
#define ORCH_LEADER_LOCK_KEY 0x6f726b2d6c656164LL

/* Limits on what one request may carry. */
#define ORCH_MAX_LEASE_BATCH 1024
#define ORCH_MAX_REPORT_BATCH 4096
#define ORCH_MAX_LOG_LINES 10000
#define ORCH_MAX_LOG_LINE 65536
#define ORCH_MAX_PARAMS 65536
#define ORCH_MAX_KINDS 64
#define ORCH_MAX_BACKFILL_SLOTS 10000
#define ORCH_MAX_ID 255

/* A TriggerRun waiting for its run (trigger.c); strings are owned. */
struct trigger_item {
	/* in */
	char			*job_id;
	char			*by;
	char			*params;	/* JSON text or NULL */
	char			*trace;		/* or NULL */
	char			*key;		/* request key or NULL */
	int64_t			 slot_us;	/* 0: not a cron slot */
	struct msg_deferred	*reply;
	/* out */
	int			 rc;
	char			 run_id[40];
	char			 status[16];
	int			 created;
	char			 error[512];
	/* queue */
	struct trigger_item	*next;
};

/* trigger.c */
int	trigger_start(struct orch *o);
void	trigger_wake(void);
int	trigger_enqueue(struct trigger_item *it);
void	trigger_item_free(struct trigger_item *it);

/* control.c */
void	control_handle(void *arg, void *thread_arg, const struct msg *req,
	    struct msg_reply *rep);
int	control_thread_init(void *arg, void **thread_arg);
void	control_thread_fini(void *arg, void *thread_arg);

/* events.c */
int	events_start(struct orch *o);
void	events_publish_work(struct orch *o, unsigned count);
void	events_publish_cancel(struct orch *o, const char *task_run_id,
	    unsigned attempt, const char *trace_id);

/* gauges.c */
void	gauges_scrape(void *arg);
void	gauges_close(void);

/* leader.c */
int	leader_start(struct orch *o);

/* scheduler.c: the leader's cron loop (its thread only) */
struct sched;
struct sched *sched_new(const char *zoneinfo, long misfire_grace_ms);
void	sched_free(struct sched *s);
int	sched_listen(PGconn *conn);
int	sched_pass(struct sched *s, struct orch *o, PGconn *conn, int told,
	    long *wait_ms);

/* sql.c */
int	sql_prepare_all(PGconn *conn, char *err, size_t errlen);
PGresult *sql_exec(PGconn *conn, const char *name, int n,
	    const char *const *values);

#endif /* ORK_ORCHESTRATOR_H */
