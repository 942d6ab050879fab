/*
 * orchestrator.h - ork-orchestrator's private header.
 */
#ifndef ORK_ORCHESTRATOR_H
#define ORK_ORCHESTRATOR_H

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
	int	 log_level;
	int	 log_format;
};

/* What the daemon's threads share. */
struct orch {
	const struct orch_config	*cfg;
	nng_socket			 pub;
	atomic_int			 db_ok;		/* last check passed */
	atomic_int			 leader;	/* holds the lock */
};

/* control.c */
void	control_handle(void *arg, void *thread_arg, const struct msg *req,
	    struct msg_reply *rep);
int	control_thread_init(void *arg, void **thread_arg);
void	control_thread_fini(void *arg, void *thread_arg);

#endif /* ORK_ORCHESTRATOR_H */
