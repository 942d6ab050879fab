/*
 * worker.h - ork-worker's private header.
 */
#ifndef ORK_WORKER_H
#define ORK_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <nng/nng.h>

#include "executor.h"
#include "util.h"

/* Configuration, filled from the option table in main.c. */
struct worker_config {
	char	*control;
	char	*events;
	char	*worker_id;
	char	*health_listen;
	long	 concurrency;
	long	 grace_seconds;
	long	 request_timeout_ms;
	long	 poll_ms;
	int	 log_level;
	int	 log_format;
};

/* Bounds of what waits to be shipped to the orchestrator. */
#define WORKER_LOG_QUEUE_MAX 20000
#define WORKER_LOG_BATCH 2000

/* One running (or finished, not yet reported) task. */
struct slot {
	int			 used;
	char			 task_run_id[UTIL_UUID_LEN + 1];
	char			 run_id[UTIL_UUID_LEN + 1];
	char			 job_id[UTIL_UUID_LEN + 1];
	char			 trace_id[72];
	char			 kind[40];
	unsigned		 attempt;
	unsigned		 timeout_seconds;
	const struct executor	*exec;
	cJSON			*extractor;
	cJSON			*loader;
	int64_t			 started_ms;	/* monotonic */
	int64_t			 started_us;	/* wall clock */
	int64_t			 finished_us;
	int64_t			 lease_deadline_ms; /* stop unless renewed */
	atomic_int		 cancel;	/* enum task_stop */
	atomic_int		 done;		/* executor returned */
	int			 rc;		/* executor's result */
	int			 has_thread;
	pthread_t		 thread;
	struct task_ctx		 ctx;
	struct worker		*w;
};

struct log_entry {
	char		 task_run_id[UTIL_UUID_LEN + 1];
	unsigned	 attempt;
	int64_t		 at_us;
	char		 stream[8];
	char		*line;
};

struct worker {
	const struct worker_config	*cfg;
	char				 id[256];
	char				 hostname[256];
	nng_socket			 req;
	nng_socket			 sub;
	atomic_int			 connected;	/* orchestrator answers */
	uint32_t			 lease_ms;	/* under lock */
	uint32_t			 heartbeat_ms;
	struct slot			*slots;		/* cfg->concurrency */
	pthread_mutex_t			 lock;		/* slots, queue, hint */
	pthread_cond_t			 wake;
	int				 hint;		/* work may be waiting */
	struct log_entry		*logq;		/* WORKER_LOG_QUEUE_MAX */
	int				 nlogq;
	unsigned			 logs_dropped;
	pthread_t			 sub_thread;
};

/* dispatch.c */
int	dispatch_run(struct worker *w);

/* logship.c */
void	logship_line(struct task_ctx *ctx, const char *stream,
	    const char *line, size_t len);
int	logship_flush(struct worker *w);
int	logship_pending(struct worker *w);

#endif /* ORK_WORKER_H */
