/*
 * ui.c - the web page: "/" and its files under "/ui/", compiled into
 * ork-api from services/api/web/ (deploy/embed-web.sh), so the binary
 * serves them wherever it is installed.
 *
 * These paths need no token: the page itself logs in with POST
 * /auth/login and sends the token with every API call it makes.  They
 * are not API routes, so they are not in the route table nor in the
 * OpenAPI document.
 *
 * Every answer has a strong ETag (SHA-256 of the file, computed at
 * build time) and "Cache-Control: no-cache": a browser asks again on
 * every load and gets 304 without a body while the binary is the same,
 * and never runs a stale script after an upgrade.  The
 * Content-Security-Policy allows nothing but this origin: no inline
 * script or style, no other host.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "log.h"

#define UI_HEADERS \
	"Cache-Control: no-cache\r\n" \
	"Content-Security-Policy: default-src 'self'; base-uri 'none'; " \
	"form-action 'self'; frame-ancestors 'none'; object-src 'none'\r\n" \
	"X-Content-Type-Options: nosniff\r\n" \
	"X-Frame-Options: DENY\r\n" \
	"Referrer-Policy: no-referrer\r\n"

/* ui_wants says whether a path (trailing '/' cut) is the page's. */
int
ui_wants(const char *path)
{
	return strcmp(path, "/") == 0 || strncmp(path, "/ui/", 4) == 0;
}

static const struct ui_file *
find(const char *path)
{
	for (size_t i = 0; i < ui_files_count; i++)
		if (strcmp(ui_files[i].path, path) == 0)
			return &ui_files[i];
	return NULL;
}

/*
 * etag_matches: If-None-Match is "*" or a comma-separated list of
 * entity tags; a weak one (W/"x") matches too, as RFC 9110 says for
 * this header.
 */
static int
etag_matches(const char *inm, const char *etag)
{
	size_t n = strlen(etag);

	while (*inm != '\0') {
		while (*inm == ' ' || *inm == '\t' || *inm == ',')
			inm++;
		if (*inm == '*')
			return 1;
		if (strncmp(inm, "W/", 2) == 0)
			inm += 2;
		if (strncmp(inm, etag, n) == 0 && (inm[n] == '\0' ||
		    inm[n] == ',' || inm[n] == ' ' || inm[n] == '\t'))
			return 1;
		while (*inm != '\0' && *inm != ',')
			inm++;
	}
	return 0;
}

/*
 * ui_serve answers GET or HEAD of a page path: the file, 304 when the
 * client has it, 404 for an unknown file, 405 for another method.
 * Returns the status.
 */
int
ui_serve(struct req *r, const char *path)
{
	const struct ui_file	*f;
	const char		*method = r->ri->request_method, *inm;
	char			 head[1024];
	int			 head_only, n, status;

	head_only = strcmp(method, "HEAD") == 0;
	if (!head_only && strcmp(method, "GET") != 0)
		return http_error_h(r, 405, "Allow: GET, HEAD\r\n",
		    "method_not_allowed", NULL, "%.64s is not allowed on %.200s "
		    "(allowed: GET, HEAD)", method, path);
	if ((f = find(path)) == NULL)
		return http_error(r, 404, "not_found", NULL, "no file %.200s",
		    path);
	inm = http_header(r, "If-None-Match");
	status = inm != NULL && etag_matches(inm, f->etag) ? 304 : 200;
	if (status == 304)
		n = snprintf(head, sizeof(head), "HTTP/1.1 304 %s\r\n"
		    "ETag: %s\r\n" UI_HEADERS "\r\n",
		    httpd_status_text(304), f->etag);
	else
		n = snprintf(head, sizeof(head), "HTTP/1.1 200 %s\r\n"
		    "Content-Type: %s\r\n"
		    "Content-Length: %zu\r\n"
		    "ETag: %s\r\n" UI_HEADERS "\r\n",
		    httpd_status_text(200), f->type, f->len, f->etag);
	if (n < 0 || (size_t)n >= sizeof(head))
		return http_error(r, 500, "internal", NULL, "could not write "
		    "the headers of %.200s", path);
	r->status = status;
	if (mg_write(r->c, head, (size_t)n) <= 0) {
		log_debug("%s %s: client went away", method, path);
		return status;
	}
	if (status == 200 && !head_only && f->len > 0 &&
	    mg_write(r->c, f->data, f->len) <= 0)
		log_debug("%s %s: client went away", method, path);
	return status;
}
