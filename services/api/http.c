/*
 * http.c - reading requests and writing answers: JSON bodies within
 * limits, query parameters, list pages and cursors, and the one shape
 * of every error: {"error": {"code", "message", "field"}}.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "err.h"
#include "log.h"
#include "taskcfg.h"

/* Answers up to this size go out in one write, headers and body. */
#define HTTP_ONE_WRITE_MAX	(256 * 1024)

/*
 * http_reply writes a complete answer with a JSON body; headers (may be
 * NULL) are extra "Name: value\r\n" lines.  Returns the status.
 */
int
http_reply(struct req *r, int status, const char *headers, const char *json)
{
	char	 head[1024];
	size_t	 len = strlen(json), hlen;
	int	 n;
	char	*one;

	r->status = status;
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "%s%s%s"
	    "%s\r\n", status, httpd_status_text(status), len,
	    r->trace[0] != '\0' ? "X-Trace-Id: " : "", r->trace,
	    r->trace[0] != '\0' ? "\r\n" : "",
	    headers != NULL ? headers : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return httpd_send_json(r->c, status, headers, json);
	hlen = (size_t)n;
	/* one write, one segment: no second send waiting on the first */
	if (len <= HTTP_ONE_WRITE_MAX && (one = malloc(hlen + len)) != NULL) {
		memcpy(one, head, hlen);
		memcpy(one + hlen, json, len);
		mg_write(r->c, one, hlen + len);
		free(one);
		return status;
	}
	mg_write(r->c, head, hlen);
	mg_write(r->c, json, len);
	return status;
}

/* http_reply_buf answers with the text of b, or 500 when it failed. */
int
http_reply_buf(struct req *r, int status, const char *headers,
    struct json_buf *b)
{
	int rc = json_buf_ok(b);

	if (rc != 0) {
		json_buf_free(b);
		return http_error(r, 500, "internal", NULL, "could not build "
		    "the answer: %s", err_str(rc));
	}
	rc = http_reply(r, status, headers, b->data != NULL ? b->data : "");
	json_buf_free(b);
	return rc;
}

static int
verror(struct req *r, int status, const char *headers, const char *code,
    const char *field, const char *fmt, va_list ap)
{
	struct json_buf	b;
	char		msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	json_buf_init(&b, 8192);
	json_buf_puts(&b, "{\"error\":{\"code\":");
	json_buf_str(&b, code);
	json_buf_puts(&b, ",\"message\":");
	json_buf_str(&b, msg);
	if (field != NULL && field[0] != '\0') {
		json_buf_puts(&b, ",\"field\":");
		json_buf_str(&b, field);
	}
	json_buf_puts(&b, "}}");
	if (status >= 500)
		log_warn("%s %s: %d %s: %s", r->ri->request_method,
		    r->ri->local_uri, status, code, msg);
	else
		log_debug("%s %s: %d %s: %s", r->ri->request_method,
		    r->ri->local_uri, status, code, msg);
	if (json_buf_ok(&b) != 0) {
		json_buf_free(&b);
		return http_reply(r, status, headers, "{\"error\":{\"code\":"
		    "\"internal\",\"message\":\"out of memory\"}}");
	}
	return http_reply_buf(r, status, headers, &b);
}

/*
 * http_error answers with an error body; field (may be NULL) names the
 * offending input.  Returns the status.
 */
int
http_error(struct req *r, int status, const char *code, const char *field,
    const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = verror(r, status, NULL, code, field, fmt, ap);
	va_end(ap);
	return rc;
}

/* http_error_h is http_error with extra header lines. */
int
http_error_h(struct req *r, int status, const char *headers,
    const char *code, const char *field, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = verror(r, status, headers, code, field, fmt, ap);
	va_end(ap);
	return rc;
}

/* http_json_error answers with a problem found in a body. */
int
http_json_error(struct req *r, int err, const struct json_err *e)
{
	if (err == ORK_ETOOBIG)
		return http_error(r, 413, "too_large", NULL, "%s", e->message);
	if (err == ORK_ENOMEM)
		return http_error(r, 500, "internal", NULL, "out of memory");
	return http_error(r, 400, e->code != NULL ? e->code : "invalid_value",
	    e->field, "%s", e->message);
}

/*
 * http_fail maps a project error from the database layer to an answer;
 * what says what was attempted.
 */
int
http_fail(struct req *r, int err, const char *what)
{
	switch (err) {
	case ORK_ENOTFOUND:
		return http_error(r, 404, "not_found", NULL, "%s", what);
	case ORK_EEXIST:
		return http_error(r, 409, "conflict", NULL, "%s", what);
	case ORK_ESTATE:
		return http_error(r, 409, "conflict", NULL, "%s", what);
	case ORK_EINVAL:
	case ORK_ERANGE:
		return http_error(r, 400, "invalid_value", NULL, "%s", what);
	case ORK_ETIMEDOUT:
	case ORK_ECONN:
		return http_error(r, 503, "unavailable", NULL, "%s", what);
	default:
		return http_error(r, 500, "internal", NULL, "%s", what);
	}
}

/* http_header returns a request header's value, NULL when absent. */
const char *
http_header(struct req *r, const char *name)
{
	return mg_get_header(r->c, name);
}

/* is_json_type: application/json, optionally with parameters. */
static int
is_json_type(const char *ct)
{
	size_t n = strlen("application/json");

	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, "application/json", n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/*
 * http_read_body reads the request body (at most API_BODY_MAX bytes)
 * into r->body.  An empty body is accepted when optional.  Answers 413,
 * 415 or 400 itself and returns that status; 0 when the body is there.
 */
int
http_read_body(struct req *r, int optional)
{
	const char	*ct = mg_get_header(r->c, "Content-Type");
	long long	 declared = r->ri->content_length;
	size_t		 cap, len = 0;
	char		*buf;

	if (declared > (long long)API_BODY_MAX)
		return http_error_h(r, 413, "Connection: close\r\n",
		    "too_large", NULL, "body is larger than %d bytes",
		    API_BODY_MAX);
	if (declared == 0 || (declared < 0 && mg_get_header(r->c,
	    "Transfer-Encoding") == NULL)) {
		if (optional)
			return 0;
		return http_error(r, 400, "missing_body", NULL, "this request "
		    "needs a JSON body");
	}
	if (ct == NULL || !is_json_type(ct))
		return http_error(r, 415, "unsupported_media_type", NULL,
		    "send the body as application/json (Content-Type: %.64s)",
		    ct != NULL ? ct : "none");
	/* a client waiting for leave to send (curl does for large bodies) */
	if ((ct = mg_get_header(r->c, "Expect")) != NULL &&
	    strcasecmp(ct, "100-continue") == 0)
		mg_printf(r->c, "HTTP/1.1 100 Continue\r\n\r\n");
	cap = declared > 0 ? (size_t)declared : 64 * 1024;
	if ((buf = malloc(cap + 1)) == NULL)
		return http_error(r, 500, "internal", NULL, "out of memory");
	for (;;) {
		int n;

		if (len == cap) {
			char *nb;

			if (cap >= API_BODY_MAX) {
				/* one more byte tells whether it is over */
				char probe;

				if (mg_read(r->c, &probe, 1) > 0) {
					free(buf);
					return http_error_h(r, 413,
					    "Connection: close\r\n",
					    "too_large", NULL, "body is larger "
					    "than %d bytes", API_BODY_MAX);
				}
				break;
			}
			cap = cap * 2 > API_BODY_MAX ? API_BODY_MAX : cap * 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				return http_error(r, 500, "internal", NULL,
				    "out of memory");
			}
			buf = nb;
		}
		n = mg_read(r->c, buf + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (declared > 0 && len < (size_t)declared) {
		free(buf);
		return http_error(r, 400, "malformed_body", NULL, "body ended "
		    "after %zu of %lld bytes", len, declared);
	}
	buf[len] = '\0';
	if (len == 0) {
		free(buf);
		if (optional)
			return 0;
		return http_error(r, 400, "missing_body", NULL, "this request "
		    "needs a JSON body");
	}
	r->body = buf;
	r->body_len = len;
	return 0;
}

static const struct json_limits body_limits = {
	API_BODY_MAX, TASKCFG_DEPTH_MAX, TASKCFG_STRING_MAX
};

/*
 * http_parse_body parses r->body as JSON within the limits.  Answers
 * itself on failure and returns the status; 0 with *out owned by the
 * caller on success.
 */
int
http_parse_body(struct req *r, cJSON **out)
{
	struct json_err	e;
	int		rc;

	*out = NULL;
	rc = json_parse(r->body != NULL ? r->body : "", r->body_len,
	    &body_limits, out, &e);
	if (rc != 0)
		return http_json_error(r, rc, &e);
	return 0;
}

/*
 * http_query copies query parameter name into buf.  Returns 1 when
 * present, 0 when absent; answers 400 and returns -400 when too long.
 */
int
http_query(struct req *r, const char *name, char *buf, size_t len)
{
	const char	*qs = r->ri->query_string;
	int		 n;

	buf[0] = '\0';
	if (qs == NULL)
		return 0;
	n = mg_get_var(qs, strlen(qs), name, buf, len);
	if (n == -1)
		return 0;
	if (n < 0) {
		http_error(r, 400, "invalid_value", name, "query parameter "
		    "\"%s\" is longer than %zu bytes", name, len - 1);
		return -400;
	}
	return 1;
}

/*
 * http_query_uuid reads an optional UUID parameter.  Returns 0 (with
 * *present set) or, having answered 400, the status.
 */
int
http_query_uuid(struct req *r, const char *name,
    char out[UTIL_UUID_LEN + 1], int *present)
{
	char	buf[API_PARAM_MAX];
	int	rc = http_query(r, name, buf, sizeof(buf));

	*present = 0;
	out[0] = '\0';
	if (rc < 0)
		return -rc;
	if (rc == 0 || buf[0] == '\0')
		return 0;
	if (!util_uuid_valid(buf))
		return http_error(r, 400, "invalid_id", name, "\"%.64s\" is not "
		    "a UUID", buf);
	/* lower case, as the database writes them: compared as text too */
	for (int i = 0; i < UTIL_UUID_LEN; i++)
		out[i] = (char)tolower((unsigned char)buf[i]);
	out[UTIL_UUID_LEN] = '\0';
	*present = 1;
	return 0;
}

/* The opaque cursor: base64url of "<created_at in Unix us>,<uuid>". */
void
http_cursor(struct json_buf *b, int64_t at_us, const char *id)
{
	char raw[64], enc[96];

	snprintf(raw, sizeof(raw), "%lld,%s", (long long)at_us, id);
	text_b64url_encode((const unsigned char *)raw, strlen(raw), enc,
	    sizeof(enc));
	json_buf_str(b, enc);
}

/*
 * http_page reads limit (default def, at most max) and cursor.  Returns
 * 0 or, having answered 400, the status.
 */
int
http_page(struct req *r, int def, int max, struct page *pg)
{
	char		 buf[API_PARAM_MAX], raw[API_PARAM_MAX];
	unsigned char	 dec[API_PARAM_MAX];
	size_t		 n;
	long		 v;
	int		 rc;
	char		*comma;

	memset(pg, 0, sizeof(*pg));
	pg->limit = def;
	rc = http_query(r, "limit", buf, sizeof(buf));
	if (rc < 0)
		return -rc;
	if (rc > 0) {
		if (text_parse_long(buf, 1, max, &v) != 0)
			return http_error(r, 400, "invalid_value", "limit",
			    "limit must be an integer from 1 to %d", max);
		pg->limit = (int)v;
	}
	rc = http_query(r, "cursor", buf, sizeof(buf));
	if (rc < 0)
		return -rc;
	if (rc == 0 || buf[0] == '\0')
		return 0;
	if (text_b64url_decode(buf, dec, sizeof(dec) - 1, &n) != 0)
		goto bad;
	memcpy(raw, dec, n);
	raw[n] = '\0';
	if (strlen(raw) != n || (comma = strchr(raw, ',')) == NULL)
		goto bad;
	*comma = '\0';
	if (text_parse_long(raw, -62135596800000000L, 253402300799999999L,
	    &v) != 0 || !util_uuid_valid(comma + 1))
		goto bad;
	pg->has_cursor = 1;
	pg->at_us = v;
	snprintf(pg->id, sizeof(pg->id), "%s", comma + 1);
	return 0;
bad:
	return http_error(r, 400, "invalid_value", "cursor", "cursor is not "
	    "one this server gave out (use next_cursor of the previous page)");
}

static int
hexdigits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * traceparent_valid checks a W3C traceparent header: version, trace id,
 * parent id and flags in lower-case hex, neither id all zeros, version
 * ff refused, version 00 exactly 55 characters (a later version may add
 * fields after a dash).
 */
static int
traceparent_valid(const char *tp)
{
	size_t len = strlen(tp);

	if (len < 55 || !hexdigits(tp, 2) || strncmp(tp, "ff", 2) == 0 ||
	    tp[2] != '-' || !hexdigits(tp + 3, 32) || tp[35] != '-' ||
	    !hexdigits(tp + 36, 16) || tp[52] != '-' ||
	    !hexdigits(tp + 53, 2))
		return 0;
	if (strspn(tp + 3, "0") >= 32 || strspn(tp + 36, "0") >= 16)
		return 0;
	if (strncmp(tp, "00", 2) == 0)
		return len == 55;
	return len == 55 || tp[55] == '-';
}

/*
 * trace_random fills a trace id with random bits.  Every request gets
 * one, so it is a per-thread generator (splitmix64) seeded from the
 * kernel once, not a system call per request: trace ids must be unique,
 * not secret.
 */
static void
trace_random(unsigned char out[API_TRACE_LEN / 2])
{
	static _Thread_local uint64_t	state;
	static _Thread_local int	seeded;

	if (!seeded) {
		if (util_rand_bytes(&state, sizeof(state)) != 0)
			state = (uint64_t)util_now_us() ^
			    (uint64_t)(uintptr_t)&state;
		seeded = 1;
	}
	for (size_t i = 0; i < API_TRACE_LEN / 2; i += 8) {
		uint64_t z = (state += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		memcpy(out + i, &z, 8);
	}
}

/*
 * http_trace returns the request's trace id: the trace-id of a W3C
 * traceparent header when there is a valid one, else a new random one.
 */
const char *
http_trace(struct req *r)
{
	const char	*tp;
	unsigned char	 raw[API_TRACE_LEN / 2];

	if (r->trace[0] != '\0')
		return r->trace;
	tp = mg_get_header(r->c, "traceparent");
	if (tp != NULL && traceparent_valid(tp)) {
		memcpy(r->trace, tp + 3, API_TRACE_LEN);
		r->trace[API_TRACE_LEN] = '\0';
		return r->trace;
	}
	trace_random(raw);
	text_hex(raw, sizeof(raw), r->trace);
	return r->trace;
}
