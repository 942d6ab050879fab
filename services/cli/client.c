/*
 * client.c - HTTP requests to ork-api with libcurl, and the one place
 * where transport failures and HTTP statuses become exit codes.
 *
 * Answers are outside input: a body is kept up to CLI_BODY_MAX bytes
 * (beyond, the request fails), parsed with json_parse's limits, and a
 * body that is not JSON is an error message, never a crash.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli.h"
#include "json.h"

/* How long a request may take to connect, and in all. */
#define CLIENT_CONNECT_MS	5000L
#define CLIENT_TIMEOUT_MS	60000L
/* A stream that sends nothing this long is dead (the server sends a
 * comment every 15 s). */
#define CLIENT_STREAM_IDLE_S	60L
/* Nesting and string limits of an answer. */
#define CLIENT_JSON_DEPTH	64
#define CLIENT_JSON_STRING	(1024 * 1024)
/* Error bodies of a stream are kept up to this. */
#define CLIENT_ERRBODY_MAX	(64 * 1024)

struct client {
	CURL	*curl;
	int	 quiet;		/* no messages: the caller retries */
	char	 url[CLI_URL_MAX + 1];
	char	 auth[CLI_TOKEN_MAX + 32];	/* "" or the header line */
};

struct client *
client_new(const char *url, const char *token)
{
	struct client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->curl = curl_easy_init();
	if (c->curl == NULL) {
		free(c);
		return NULL;
	}
	snprintf(c->url, sizeof(c->url), "%s", url);
	if (token != NULL && token[0] != '\0')
		snprintf(c->auth, sizeof(c->auth), "Authorization: Bearer %s",
		    token);
	return c;
}

void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

void
client_resp_free(struct client_resp *r)
{
	free(r->body);
	cJSON_Delete(r->json);
	memset(r, 0, sizeof(*r));
}

const char *
client_url(const struct client *c)
{
	return c->url;
}

void
client_quiet(struct client *c, int on)
{
	c->quiet = on;
}

/* say prints one line on stderr unless the client is quiet. */
static void __attribute__((format(printf, 2, 3)))
say(const struct client *c, const char *fmt, ...)
{
	va_list ap;

	if (c->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

int
client_escape(const char *s, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
		    *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '_' || *p == '.' || *p == '~';

		if (o + (plain ? 1 : 3) >= len)
			return -1;
		if (plain)
			out[o++] = (char)*p;
		else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	if (o >= len)
		return -1;
	out[o] = '\0';
	return 0;
}

struct sink {
	char	*buf;
	size_t	 len;
	size_t	 max;
	int	 toobig;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink	*s = arg;
	size_t		 len = size * n;
	char		*nb;

	if (len > s->max - s->len) {
		s->toobig = 1;
		return 0;	/* curl stops with a write error */
	}
	nb = realloc(s->buf, s->len + len + 1);
	if (nb == NULL)
		return 0;
	memcpy(nb + s->len, p, len);
	s->buf = nb;
	s->len += len;
	s->buf[s->len] = '\0';
	return len;
}

/* The server's error message of an answer, or a line made of status. */
static void
server_message(const struct client_resp *r, char *buf, size_t len)
{
	const cJSON	*e = r->json != NULL ?
	    cJSON_GetObjectItemCaseSensitive(r->json, "error") : NULL;
	const char	*msg = out_str(e, "message");
	const char	*field = out_str(e, "field");

	if (msg != NULL && field != NULL)
		snprintf(buf, len, "%s (field %s)", msg, field);
	else if (msg != NULL)
		snprintf(buf, len, "%s", msg);
	else
		snprintf(buf, len, "the server answered %ld without saying why",
		    r->status);
}

/* fail_status says why r failed and returns its exit code. */
static int
fail_status(const struct client *c, const struct client_resp *r)
{
	char msg[1024];

	server_message(r, msg, sizeof(msg));
	if (r->status == 401) {
		say(c, "ork: not logged in at %s: %s (run ork login or "
		    "give --token)\n", c->url, msg);
		return CLI_EXIT_AUTH;
	}
	if (r->status == 403) {
		say(c, "ork: not allowed: %s\n", msg);
		return CLI_EXIT_AUTH;
	}
	say(c, "ork: %s\n", msg);
	return r->status == 404 ? CLI_EXIT_NOT_FOUND : CLI_EXIT_FAILED;
}

static int
unreachable(const struct client *c, const char *path, CURLcode cc,
    const char *detail)
{
	say(c, "ork: could not reach the ork server at %s (%s): %s\n",
	    c->url, path, detail[0] != '\0' ? detail : curl_easy_strerror(cc));
	return CLI_EXIT_UNREACHABLE;
}

/* parse_body parses r's body as JSON; 0, or an exit code after saying so. */
static int
parse_body(const char *url, struct client_resp *r)
{
	struct json_limits	lim = { CLI_BODY_MAX, CLIENT_JSON_DEPTH,
	    CLIENT_JSON_STRING };
	struct json_err		e;

	if (r->len == 0)
		return 0;
	if (json_parse(r->body, r->len, &lim, &r->json, &e) != 0) {
		fprintf(stderr, "ork: %s answered %ld with a body that is not "
		    "valid JSON: %s%s%s\n", url, r->status, e.message,
		    e.field[0] ? " at " : "", e.field);
		return CLI_EXIT_FAILED;
	}
	return 0;
}

static struct curl_slist *
headers(const struct client *c, const char *accept, const char *body,
    const char *extra)
{
	struct curl_slist *h = NULL, *n;

	if ((n = curl_slist_append(h, accept)) == NULL)
		goto fail;
	h = n;
	/* no "Expect: 100-continue" round trip before a body */
	if ((n = curl_slist_append(h, "Expect:")) == NULL)
		goto fail;
	h = n;
	if (body != NULL) {
		if ((n = curl_slist_append(h, "Content-Type: application/json"))
		    == NULL)
			goto fail;
		h = n;
	}
	if (c->auth[0] != '\0') {
		if ((n = curl_slist_append(h, c->auth)) == NULL)
			goto fail;
		h = n;
	}
	if (extra != NULL) {
		if ((n = curl_slist_append(h, extra)) == NULL)
			goto fail;
		h = n;
	}
	return h;
fail:
	curl_slist_free_all(h);
	return NULL;
}

static void
setup(struct client *c, const char *url, struct curl_slist *h)
{
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, CLIENT_CONNECT_MS);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "ork-cli/" ORK_VERSION);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
}

static int call(struct client *c, const char *method, const char *path,
    const char *body, long ok_status, struct client_resp *r);

int
client_call(struct client *c, const char *method, const char *path,
    const char *body, long ok_status, struct client_resp *r)
{
	int rc = call(c, method, path, body, ok_status, r);

	if (rc != CLI_EXIT_OK)
		client_resp_free(r);	/* what failed was said already */
	return rc;
}

static int
call(struct client *c, const char *method, const char *path,
    const char *body, long ok_status, struct client_resp *r)
{
	struct curl_slist	*h;
	struct sink		 s = { NULL, 0, CLI_BODY_MAX, 0 };
	char			 url[CLI_URL_MAX + 1024], errbuf[CURL_ERROR_SIZE];
	CURLcode		 cc;
	int			 rc;

	memset(r, 0, sizeof(*r));
	errbuf[0] = '\0';
	if (snprintf(url, sizeof(url), "%s%s", c->url, path) >=
	    (int)sizeof(url)) {
		fprintf(stderr, "ork: request path too long\n");
		return CLI_EXIT_USAGE;
	}
	if ((h = headers(c, "Accept: application/json", body, NULL)) ==
	    NULL) {
		fprintf(stderr, "ork: out of memory\n");
		return CLI_EXIT_FAILED;
	}
	setup(c, url, h);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, CLIENT_TIMEOUT_MS);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &s);
	if (body != NULL) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(body));
	}
	cc = curl_easy_perform(c->curl);
	curl_slist_free_all(h);
	r->body = s.buf;
	r->len = s.len;
	if (cc == CURLE_WRITE_ERROR && s.toobig) {
		fprintf(stderr, "ork: the answer of %s is larger than %d bytes\n",
		    url, CLI_BODY_MAX);
		return CLI_EXIT_FAILED;
	}
	if (cc != CURLE_OK)
		return unreachable(c, path, cc, errbuf);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (!(r->status >= 200 && r->status < 300) && r->status != ok_status) {
		/* a refusal: its status says what it is, JSON or not */
		struct json_limits	lim = { CLI_BODY_MAX, CLIENT_JSON_DEPTH,
		    CLIENT_JSON_STRING };
		struct json_err		e;

		if (r->len > 0 && json_parse(r->body, r->len, &lim, &r->json,
		    &e) != 0)
			r->json = NULL;
		return fail_status(c, r);
	}
	if ((rc = parse_body(url, r)) != 0)
		return rc;
	if (r->json != NULL && !cJSON_IsObject(r->json)) {
		/* every answer of the API is an object */
		fprintf(stderr, "ork: %s answered %ld with JSON that is not a "
		    "JSON object\n", url, r->status);
		return CLI_EXIT_FAILED;
	}
	return CLI_EXIT_OK;
}

/* ---- streams -------------------------------------------------------- */

struct stream {
	struct client	*c;
	int		(*on_line)(void *, const char *, size_t);
	void		*arg;
	char		*line;
	size_t		 len;
	long		 status;
	struct sink	 err;		/* the body of a refusal */
	int		 stopped, toolong;
};

static size_t
on_stream(char *p, size_t size, size_t n, void *arg)
{
	struct stream	*st = arg;
	size_t		 len = size * n;

	if (st->status == 0)
		curl_easy_getinfo(st->c->curl, CURLINFO_RESPONSE_CODE,
		    &st->status);
	if (st->status != 200)
		return on_body(p, size, n, &st->err);
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n') {
			if (st->len > 0 && st->line[st->len - 1] == '\r')
				st->len--;
			st->line[st->len] = '\0';
			if (st->on_line(st->arg, st->line, st->len) != 0) {
				st->stopped = 1;
				return 0;
			}
			st->len = 0;
			continue;
		}
		if (st->len == CLI_SSE_LINE_MAX) {
			st->toolong = 1;
			return 0;
		}
		st->line[st->len++] = p[i];
	}
	return len;
}

int
client_stream(struct client *c, const char *path, const char *extra_header,
    int (*on_line)(void *, const char *, size_t), void *arg, long *status)
{
	struct curl_slist	*h;
	struct stream		 st;
	struct client_resp	 r;
	char			 url[CLI_URL_MAX + 1024], errbuf[CURL_ERROR_SIZE];
	CURLcode		 cc;
	int			 rc;

	memset(&st, 0, sizeof(st));
	*status = 0;
	errbuf[0] = '\0';
	if (snprintf(url, sizeof(url), "%s%s", c->url, path) >=
	    (int)sizeof(url)) {
		fprintf(stderr, "ork: request path too long\n");
		return CLI_EXIT_USAGE;
	}
	st.c = c;
	st.on_line = on_line;
	st.arg = arg;
	st.err.max = CLIENT_ERRBODY_MAX;
	st.line = malloc(CLI_SSE_LINE_MAX + 1);
	if (st.line == NULL || (h = headers(c, "Accept: text/event-stream", NULL,
	    extra_header)) == NULL) {
		free(st.line);
		fprintf(stderr, "ork: out of memory\n");
		return CLI_EXIT_FAILED;
	}
	setup(c, url, h);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME, CLIENT_STREAM_IDLE_S);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &st);
	cc = curl_easy_perform(c->curl);
	curl_slist_free_all(h);
	free(st.line);
	if (st.status == 0)
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &st.status);
	*status = st.status;
	if (st.stopped) {
		free(st.err.buf);
		return CLI_EXIT_OK;
	}
	if (st.toolong) {
		say(c, "ork: %s sent a line longer than %d bytes\n",
		    url, CLI_SSE_LINE_MAX);
		return CLI_EXIT_FAILED;
	}
	if (st.status != 200 && st.status != 0) {
		memset(&r, 0, sizeof(r));
		r.status = st.status;
		r.body = st.err.buf;
		r.len = st.err.len;
		if ((rc = parse_body(url, &r)) == 0)
			rc = fail_status(c, &r);
		client_resp_free(&r);
		return rc;
	}
	free(st.err.buf);
	if (cc != CURLE_OK)
		return unreachable(c, path, cc, errbuf);
	return CLI_EXIT_OK;
}
