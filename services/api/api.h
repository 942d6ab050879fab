/*
 * api.h - ork-api's private header.
 */
#ifndef ORK_API_H
#define ORK_API_H

#include <nng/nng.h>

#include "dbpool.h"
#include "httpd.h"

/* Configuration, filled from the option table in main.c. */
struct api_config {
	char	*database_url;
	char	*listen;
	char	*control;
	long	 threads;
	long	 db_pool;
	long	 request_timeout_ms;
	int	 auth;
	int	 log_level;
	int	 log_format;
};

struct api {
	const struct api_config	*cfg;
	struct dbpool		*pool;
	nng_socket		 orch;		/* REQ to the orchestrator */
	struct httpd		*http;
};

/* routes.c */
void	routes_install(struct api *a);

#endif /* ORK_API_H */
