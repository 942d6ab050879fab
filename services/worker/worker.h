/*
 * worker.h - ork-worker's private header.
 */
#ifndef ORK_WORKER_H
#define ORK_WORKER_H

#include <stdatomic.h>

#include <nng/nng.h>

/* Configuration, filled from the option table in main.c. */
struct worker_config {
	char	*control;
	char	*events;
	char	*worker_id;
	char	*health_listen;
	long	 concurrency;
	long	 grace_seconds;
	long	 request_timeout_ms;
	int	 log_level;
	int	 log_format;
};

struct worker {
	const struct worker_config	*cfg;
	char				 id[256];
	char				 hostname[256];
	nng_socket			 req;
	nng_socket			 sub;
	atomic_int			 connected;	/* orchestrator answers */
};

#endif /* ORK_WORKER_H */
