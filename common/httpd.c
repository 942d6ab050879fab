/*
 * httpd.c - a civetweb server with JSON answers.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "httpd.h"
#include "log.h"

struct httpd {
	struct mg_context	*ctx;
	char			 host[256];	/* where to reach ourselves */
	int			 port;
	atomic_int		 stopped;
};

/* civetweb reports start-up failures through this callback only. */
static _Thread_local char start_error[256];

static int
on_log(const struct mg_connection *c, const char *message)
{
	if (mg_get_request_info(c) == NULL || start_error[0] == '\0')
		snprintf(start_error, sizeof(start_error), "%s", message);
	log_debug("http server: %s", message);
	return 1;
}

int
httpd_start(const char *listen, int nthreads, struct httpd **out, char *err,
    size_t errlen)
{
	struct mg_callbacks	 cb;
	struct httpd		*h;
	struct mg_server_port	 ports[4];
	char			 host[256], spec[300], threads[16];
	int			 port, n;
	const char		*opts[] = {
		"listening_ports", spec,
		"num_threads", threads,
		"request_timeout_ms", "30000",
		"enable_keep_alive", "yes",
		"tcp_nodelay", "1",
		NULL
	};

	*out = NULL;
	if (config_split_listen(listen, host, sizeof(host), &port) != 0) {
		snprintf(err, errlen, "\"%s\" is not a listen address", listen);
		return ORK_EINVAL;
	}
	if (strchr(host, ':') != NULL)
		snprintf(spec, sizeof(spec), "[%s]:%d", host, port);
	else if (host[0] == '\0')
		snprintf(spec, sizeof(spec), "%d", port);
	else
		snprintf(spec, sizeof(spec), "%s:%d", host, port);
	snprintf(threads, sizeof(threads), "%d", nthreads);
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return ORK_ENOMEM;
	memset(&cb, 0, sizeof(cb));
	cb.log_message = on_log;
	start_error[0] = '\0';
	h->ctx = mg_start(&cb, NULL, opts);
	if (h->ctx == NULL) {
		size_t len;

		snprintf(err, errlen, "could not listen on %s: %s", listen,
		    start_error[0] != '\0' ? start_error : "unknown reason");
		len = strlen(err);
		while (len > 0 && (err[len - 1] == '\n' || err[len - 1] == ' '))
			err[--len] = '\0';
		free(h);
		return ORK_ECONN;
	}
	n = mg_get_server_ports(h->ctx, 4, ports);
	h->port = n > 0 ? ports[0].port : port;
	if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0)
		snprintf(h->host, sizeof(h->host), "127.0.0.1");
	else if (strcmp(host, "::") == 0)
		snprintf(h->host, sizeof(h->host), "::1");
	else
		snprintf(h->host, sizeof(h->host), "%s", host);
	*out = h;
	return 0;
}

void
httpd_route(struct httpd *h, const char *uri, mg_request_handler fn,
    void *cbdata)
{
	mg_set_request_handler(h->ctx, uri, fn, cbdata);
}

int
httpd_port(const struct httpd *h)
{
	return h->port;
}

static void *
stop_thread(void *arg)
{
	struct httpd *h = arg;

	mg_stop(h->ctx);
	atomic_store(&h->stopped, 1);
	return NULL;
}

/* wake connects to the server so its accept loop sees the stop flag. */
static void
wake(const struct httpd *h)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd;

	memset(&ss, 0, sizeof(ss));
	if (strchr(h->host, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)h->port);
		if (inet_pton(AF_INET6, h->host, &s6->sin6_addr) != 1)
			return;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)h->port);
		if (inet_pton(AF_INET, h->host, &s4->sin_addr) != 1)
			return;
		len = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)connect(fd, (struct sockaddr *)&ss, len);
	close(fd);
}

/*
 * httpd_stop: civetweb's accept loop polls with a 2 s timeout and checks
 * its stop flag only between polls, so mg_stop alone takes up to 2 s.
 * Stop from a thread and poke the listening socket until it is done.
 */
void
httpd_stop(struct httpd *h)
{
	pthread_t	t;
	struct timespec	ts = { 0, 20 * 1000000L };

	if (h == NULL)
		return;
	if (pthread_create(&t, NULL, stop_thread, h) != 0) {
		mg_stop(h->ctx);
		free(h);
		return;
	}
	while (!atomic_load(&h->stopped)) {
		wake(h);
		nanosleep(&ts, NULL);
	}
	pthread_join(t, NULL);
	free(h);
}

const char *
httpd_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	}
	return "Unknown";
}

int
httpd_send_json(struct mg_connection *c, int status, const char *headers,
    const char *json)
{
	size_t len = strlen(json);

	mg_printf(c, "HTTP/1.1 %d %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "%s\r\n", status, httpd_status_text(status), len,
	    headers != NULL ? headers : "");
	mg_write(c, json, len);
	return status;
}
