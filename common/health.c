/*
 * health.c - /health and /ready for the daemons without a REST API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "err.h"
#include "health.h"
#include "httpd.h"
#include "metrics.h"

struct health {
	struct httpd	*http;
	const char	*daemon;
	health_ready_fn	 ready;
	void		*arg;
};

static int
on_health(struct mg_connection *c, void *cbdata)
{
	struct health	*h = cbdata;
	char		 body[256];

	snprintf(body, sizeof(body), "{\"status\":\"ok\",\"daemon\":\"%s\","
	    "\"version\":\"%s\"}", h->daemon, ORK_VERSION);
	return httpd_send_json(c, 200, NULL, body);
}

static int
on_ready(struct mg_connection *c, void *cbdata)
{
	struct health	*h = cbdata;
	char		 why[128] = "", body[256];
	int		 ok;

	ok = h->ready == NULL || h->ready(h->arg, why, sizeof(why));
	/* why is written by our own code: plain text without quotes. */
	for (char *p = why; *p != '\0'; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			*p = ' ';
	snprintf(body, sizeof(body), "{\"status\":\"%s\",\"reason\":\"%s\"}",
	    ok ? "ready" : "not ready", why);
	return httpd_send_json(c, ok ? 200 : 503, NULL, body);
}

static int
on_metrics(struct mg_connection *c, void *cbdata)
{
	(void)cbdata;
	return metrics_reply(c);
}

static int
on_other(struct mg_connection *c, void *cbdata)
{
	(void)cbdata;
	return httpd_send_json(c, 404, NULL,
	    "{\"error\":{\"code\":\"not_found\",\"message\":\"no such route\"}}");
}

int
health_start(const char *listen, const char *daemon, health_ready_fn ready,
    void *arg, struct health **out, char *err, size_t errlen)
{
	struct health	*h;
	int		 rc;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return ORK_ENOMEM;
	h->daemon = daemon;
	h->ready = ready;
	h->arg = arg;
	rc = httpd_start(listen, 2, &h->http, err, errlen);
	if (rc != 0) {
		free(h);
		return rc;
	}
	httpd_route(h->http, "/health$", on_health, h);
	httpd_route(h->http, "/ready$", on_ready, h);
	httpd_route(h->http, "/metrics$", on_metrics, h);
	httpd_route(h->http, "/", on_other, h);
	*out = h;
	return 0;
}

int
health_port(const struct health *h)
{
	return httpd_port(h->http);
}

void
health_stop(struct health *h)
{
	if (h == NULL)
		return;
	httpd_stop(h->http);
	free(h);
}
