/*
 * httpd.h - a civetweb server with JSON answers.
 *
 * Used by ork-api for its REST API and by ork-orchestrator and ork-worker
 * for their small health/metrics port.
 */
#ifndef ORK_HTTPD_H
#define ORK_HTTPD_H

#include <stddef.h>

#include <civetweb.h>

struct httpd;

/*
 * httpd_start listens on "host:port" with nthreads request threads.
 * Routes are added with httpd_route before or after start.  Returns
 * ORK_EINVAL for a malformed address, ORK_ECONN when it cannot bind
 * (the reason in err).
 */
int httpd_start(const char *listen, int nthreads, struct httpd **out,
    char *err, size_t errlen);

/* httpd_route serves uri (civetweb pattern; "/x$" exact) with fn. */
void httpd_route(struct httpd *h, const char *uri, mg_request_handler fn,
    void *cbdata);

/* httpd_port returns the bound port. */
int httpd_port(const struct httpd *h);

/* httpd_stop stops the server and frees h (NULL accepted). */
void httpd_stop(struct httpd *h);

/*
 * httpd_send_json writes a complete response with a JSON body; headers
 * (may be NULL) are extra "Name: value\r\n" lines.  Returns the status.
 */
int httpd_send_json(struct mg_connection *c, int status, const char *headers,
    const char *json);

/* httpd_status_text returns the reason phrase of a status code. */
const char *httpd_status_text(int status);

#endif /* ORK_HTTPD_H */
