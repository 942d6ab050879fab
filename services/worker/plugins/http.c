/*
 * http.c - the http extractor (type "http" or "api"): pages of JSON from
 * an HTTP API through libcurl, records found at records_path, one page in
 * memory at a time.
 *
 * Config (common/taskcfg.c): url, method (GET, POST), headers and params
 * (name -> string or secret reference), body (POST, any JSON), auth
 * (bearer token, basic username/password, header or query name/value;
 * secrets are references resolved here), records_path ("data.items";
 * absent: the document is the array), pagination (type none, page,
 * offset, cursor, link (the Link header's rel="next"), next_url (a URL in
 * the body); param, size_param, page_size, start, cursor_path,
 * next_url_path, max_pages), timeout_seconds (one request, default 60),
 * verify_tls (default true: turning it off must be explicit and is
 * logged), max_requests_per_second, cursor_param (an incremental load's
 * mark goes to the API as this query parameter).
 *
 * Records: each must be a JSON object; nested objects become columns
 * named a__b (or stay one column of JSON text with "flatten": false),
 * arrays are kept as JSON text, null is NULL, booleans are true/false.  The columns are those of the first page's records, in
 * order of first appearance; a key first seen on a later page is left
 * out and logged once.
 *
 * Retries: a 429, a 5xx or a transport error (timeout, refused
 * connection) is retried up to HTTP_RETRIES times per request, waiting
 * what Retry-After says (seconds or a date, at most HTTP_RETRY_AFTER_MAX)
 * or else a doubling backoff; other statuses fail the task at once.
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "err.h"
#include "json.h"
#include "strbuf.h"
#include "util.h"
#include "../plugin.h"

#define HTTP_BODY_MAX		(16u * 1024 * 1024)	/* bytes of a page */
#define HTTP_DEPTH_MAX		64
#define HTTP_RETRIES		5
#define HTTP_BACKOFF_MS		500
#define HTTP_BACKOFF_MAX_MS	30000
#define HTTP_RETRY_AFTER_MAX	300			/* seconds */
#define HTTP_MAX_PAGES_DEFAULT	10000
#define HTTP_TIMEOUT_DEFAULT	60
#define HTTP_FLATTEN_DEPTH	8
#define HTTP_URL_MAX		8192

enum paging { P_NONE, P_PAGE, P_OFFSET, P_CURSOR, P_LINK, P_NEXT_URL };

struct http_src {
	struct task_ctx		*ctx;
	CURL			*curl;
	struct curl_slist	*headers;
	atomic_int		 stop;
	const cJSON		*cfg;
	const cJSON		*pagination;
	enum paging		 paging;
	const char		*param;		/* page/offset/cursor parameter */
	const char		*size_param;
	long			 page_size;	/* 0: not sent */
	long			 number;	/* page number or offset */
	long			 max_pages;
	long			 pages;
	char			*next_url;	/* link, next_url: the next page */
	char			*cursor;	/* cursor: the next value */
	char			*base_url;	/* url with the params */
	char			*body;		/* POST body */
	int			 done;		/* no page after the current */
	double			 rate;		/* requests per second, 0: any */
	int64_t			 last_request_ms;
	struct strbuf		 page;		/* the response body */
	char			 link_next[HTTP_URL_MAX];
	long			 retry_after;	/* seconds, -1: none */
	cJSON			*doc;		/* the current page */
	const cJSON		*records;
	const cJSON		*record;	/* the next to hand out */
	int			 columns_set;
	int			 depth;		/* flattening depth, 0: none */
	long			 ignored_keys;
	char			 error_url[256];	/* without the query */
	char			*cur_url;	/* the page being read */
};

/* ---- config ------------------------------------------------------- */

static const char *
str(const cJSON *o, const char *name, const char *dflt)
{
	const char *v = plugin_cfg_string(o, name);

	return v != NULL ? v : dflt;
}

static long
num(const cJSON *o, const char *name, long dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? (long)v->valuedouble : dflt;
}

/* header_ok refuses names and values that would split a header. */
static int
header_ok(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

static int
http_validate(struct task_ctx *ctx, const cJSON *cfg)
{
	const char	*url = plugin_cfg_string(cfg, "url");
	const cJSON	*h = cJSON_GetObjectItemCaseSensitive(cfg, "headers");
	const cJSON	*p = cJSON_GetObjectItemCaseSensitive(cfg, "pagination");
	const cJSON	*e;

	if (!cJSON_IsObject(h))
		h = NULL;
	if (url == NULL || (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) || strlen(url) > HTTP_URL_MAX) {
		snprintf(ctx->error, sizeof(ctx->error), "extractor_config.url: "
		    "an http or https URL of at most %d bytes is needed",
		    HTTP_URL_MAX);
		return ORK_EINVAL;
	}
	cJSON_ArrayForEach(e, h) {
		if (!header_ok(e->string) || e->string[0] == '\0' ||
		    strchr(e->string, ':') != NULL || (cJSON_IsString(e) &&
		    !header_ok(e->valuestring))) {
			snprintf(ctx->error, sizeof(ctx->error), "extractor_config."
			    "headers.%.64s: not a header name and value",
			    e->string);
			return ORK_EINVAL;
		}
	}
	if (cJSON_IsObject(p) && strcmp(str(p, "type", "none"), "offset") == 0 &&
	    num(p, "page_size", 0) <= 0) {
		snprintf(ctx->error, sizeof(ctx->error), "extractor_config."
		    "pagination.page_size: needed for offset pagination");
		return ORK_EINVAL;
	}
	return 0;
}

/* ---- requests ----------------------------------------------------- */

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct http_src *s = arg;

	if (strbuf_add(&s->page, p, size * n) != 0)
		return 0;	/* over HTTP_BODY_MAX: curl stops */
	return size * n;
}

/* header_value returns the value of "Name: value" when name matches. */
static const char *
header_value(const char *line, size_t len, const char *name, char *buf,
    size_t buflen)
{
	size_t nl = strlen(name), vl;

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return NULL;
	line += nl + 1;
	len -= nl + 1;
	while (len > 0 && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
	    line[len - 1] == ' '))
		len--;
	vl = len < buflen - 1 ? len : buflen - 1;
	memcpy(buf, line, vl);
	buf[vl] = '\0';
	return buf;
}

/* parse_link finds the rel="next" URL of a Link header value. */
static void
parse_link(const char *v, char *out, size_t outlen)
{
	const char *p = v;

	while ((p = strchr(p, '<')) != NULL) {
		const char	*end = strchr(p, '>');
		const char	*next_part;
		size_t		 n;

		if (end == NULL)
			return;
		next_part = strchr(end, ',');
		n = next_part != NULL ? (size_t)(next_part - end) : strlen(end);
		if (memmem(end, n, "rel=\"next\"", 10) != NULL ||
		    memmem(end, n, "rel=next", 8) != NULL) {
			size_t ul = (size_t)(end - p - 1);

			if (ul < outlen) {
				memcpy(out, p + 1, ul);
				out[ul] = '\0';
			}
			return;
		}
		p = end;
	}
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct http_src	*s = arg;
	char		 v[HTTP_URL_MAX];
	size_t		 len = size * n;

	if (header_value(p, len, "Retry-After", v, sizeof(v)) != NULL) {
		char	*end;
		long	 secs = strtol(v, &end, 10);

		if (end != v && *end == '\0' && secs >= 0) {
			s->retry_after = secs;
		} else {
			struct tm	tm;

			memset(&tm, 0, sizeof(tm));
			if (strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm) !=
			    NULL) {
				time_t at = timegm(&tm);

				s->retry_after = at > time(NULL) ?
				    (long)(at - time(NULL)) : 0;
			}
		}
		if (s->retry_after > HTTP_RETRY_AFTER_MAX)
			s->retry_after = HTTP_RETRY_AFTER_MAX;
	} else if (header_value(p, len, "Link", v, sizeof(v)) != NULL) {
		parse_link(v, s->link_next, sizeof(s->link_next));
	}
	return len;
}

static int
on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c,
    curl_off_t d)
{
	struct http_src *s = arg;

	(void)a, (void)b, (void)c, (void)d;
	return atomic_load(&s->stop) || plugin_stopped(s->ctx);
}

/* pause_ms sleeps, waking early when the task is stopped. */
static int
pause_ms(struct http_src *s, int64_t ms)
{
	int64_t until = util_mono_ms() + ms;

	while (util_mono_ms() < until) {
		struct timespec ts = { 0, 20 * 1000000L };

		if (atomic_load(&s->stop) || plugin_stopped(s->ctx))
			return ORK_ECANCELED;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* add_param appends name=value, both escaped, to a URL being built. */
static int
add_param(struct strbuf *u, const char *name, const char *value)
{
	char	*n = curl_easy_escape(NULL, name, 0);
	char	*v = curl_easy_escape(NULL, value, 0);
	int	 rc = ORK_ENOMEM;

	if (n != NULL && v != NULL)
		rc = strbuf_printf(u, "%c%s=%s", strchr(strbuf_str(u), '?') ?
		    '&' : '?', n, v);
	curl_free(n);
	curl_free(v);
	return rc;
}

/* page_url builds the URL of the next page. */
static int
page_url(struct http_src *s, struct strbuf *u)
{
	char	num_s[32];
	int	rc;

	if ((s->paging == P_LINK || s->paging == P_NEXT_URL) &&
	    s->next_url != NULL)
		return strbuf_puts(u, s->next_url);
	if ((rc = strbuf_puts(u, s->base_url)) != 0)
		return rc;
	if (s->paging == P_PAGE || s->paging == P_OFFSET) {
		snprintf(num_s, sizeof(num_s), "%ld", s->number);
		if ((rc = add_param(u, s->param, num_s)) != 0)
			return rc;
	}
	if (s->paging == P_CURSOR && s->cursor != NULL &&
	    (rc = add_param(u, s->param, s->cursor)) != 0)
		return rc;
	if (s->page_size > 0 && s->size_param != NULL) {
		snprintf(num_s, sizeof(num_s), "%ld", s->page_size);
		if ((rc = add_param(u, s->size_param, num_s)) != 0)
			return rc;
	}
	return 0;
}

/* fetch gets the next page into s->page, retrying what may pass. */
static int
fetch(struct http_src *s)
{
	struct strbuf	 u;
	int64_t		 backoff = HTTP_BACKOFF_MS;
	long		 status = 0;
	int		 rc;

	strbuf_init(&u, HTTP_URL_MAX * 2);
	if ((rc = page_url(s, &u)) != 0) {
		snprintf(s->ctx->error, sizeof(s->ctx->error), "http extractor: "
		    "the URL of page %ld is longer than %d bytes", s->pages + 1,
		    HTTP_URL_MAX * 2);
		goto out;
	}
	snprintf(s->error_url, sizeof(s->error_url), "%.*s",
	    (int)strcspn(strbuf_str(&u), "?"), strbuf_str(&u));
	free(s->cur_url);
	if ((s->cur_url = strdup(strbuf_str(&u))) == NULL) {
		rc = ORK_ENOMEM;
		goto out;
	}
	for (int attempt = 0;; attempt++) {
		CURLcode cc;

		if (s->rate > 0) {
			int64_t gap = (int64_t)(1000.0 / s->rate);
			int64_t wait = s->last_request_ms + gap - util_mono_ms();

			if (wait > 0 && (rc = pause_ms(s, wait)) != 0)
				goto out;
		}
		s->last_request_ms = util_mono_ms();
		strbuf_reset(&s->page);
		s->retry_after = -1;
		s->link_next[0] = '\0';
		curl_easy_setopt(s->curl, CURLOPT_URL, strbuf_str(&u));
		cc = curl_easy_perform(s->curl);
		if (atomic_load(&s->stop) || plugin_stopped(s->ctx)) {
			rc = ORK_ECANCELED;
			goto out;
		}
		status = 0;
		if (cc == CURLE_OK)
			curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE,
			    &status);
		if (cc == CURLE_WRITE_ERROR && s->page.len >= HTTP_BODY_MAX) {
			snprintf(s->ctx->error, sizeof(s->ctx->error), "http "
			    "extractor: %s: a page is larger than %u bytes",
			    s->error_url, HTTP_BODY_MAX);
			rc = ORK_ETOOBIG;
			goto out;
		}
		if (cc == CURLE_OK && status >= 200 && status < 300) {
			rc = 0;
			goto out;
		}
		if (cc == CURLE_OK && status != 429 && status < 500) {
			snprintf(s->ctx->error, sizeof(s->ctx->error), "http "
			    "extractor: %s answered %ld", s->error_url, status);
			rc = ORK_EIO;
			goto out;
		}
		if (cc != CURLE_OK && (cc == CURLE_SSL_CACERT ||
		    cc == CURLE_PEER_FAILED_VERIFICATION ||
		    cc == CURLE_UNSUPPORTED_PROTOCOL ||
		    cc == CURLE_URL_MALFORMAT)) {
			snprintf(s->ctx->error, sizeof(s->ctx->error), "http "
			    "extractor: %s: %s", s->error_url,
			    curl_easy_strerror(cc));
			rc = ORK_EIO;
			goto out;
		}
		if (attempt == HTTP_RETRIES) {
			if (cc == CURLE_OK)
				snprintf(s->ctx->error, sizeof(s->ctx->error),
				    "http extractor: %s answered %ld, %d times",
				    s->error_url, status, attempt + 1);
			else
				snprintf(s->ctx->error, sizeof(s->ctx->error),
				    "http extractor: %s: %s, %d times",
				    s->error_url, curl_easy_strerror(cc),
				    attempt + 1);
			rc = ORK_EIO;
			goto out;
		}
		{
			int64_t wait = s->retry_after >= 0 ?
			    s->retry_after * 1000 : backoff;

			plugin_logf(s->ctx, "%s: %s; retrying in %lld ms",
			    s->error_url, cc == CURLE_OK ? (status == 429 ?
			    "429 too many requests" : "server error") :
			    curl_easy_strerror(cc), (long long)wait);
			if ((rc = pause_ms(s, wait)) != 0)
				goto out;
			backoff = backoff * 2 > HTTP_BACKOFF_MAX_MS ?
			    HTTP_BACKOFF_MAX_MS : backoff * 2;
		}
	}
out:
	strbuf_free(&u);
	return rc;
}

/* ---- records ------------------------------------------------------ */

/* at_path follows a dotted path ("data.items"); "" is the document. */
static const cJSON *
at_path(const cJSON *doc, const char *path)
{
	char		 key[256];
	const char	*p = path;

	while (doc != NULL && *p != '\0') {
		size_t n = strcspn(p, ".");

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		doc = cJSON_GetObjectItemCaseSensitive(doc, key);
		p += n;
		if (*p == '.')
			p++;
	}
	return doc;
}

/* value_text renders a scalar or array as text; NULL for JSON null. */
static char *
value_text(const cJSON *v)
{
	if (cJSON_IsNull(v))
		return NULL;
	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	if (cJSON_IsTrue(v))
		return strdup("true");
	if (cJSON_IsFalse(v))
		return strdup("false");
	if (cJSON_IsNumber(v)) {
		char buf[64];

		/* the range first: a cast of a larger double is undefined */
		if (v->valuedouble < 9007199254740992.0 &&
		    v->valuedouble > -9007199254740992.0 &&
		    v->valuedouble == (double)(long long)v->valuedouble)
			snprintf(buf, sizeof(buf), "%lld",
			    (long long)v->valuedouble);
		else
			snprintf(buf, sizeof(buf), "%.17g", v->valuedouble);
		return strdup(buf);
	}
	return cJSON_PrintUnformatted(v);
}

/* collect adds the flattened column names of one record to names. */
static int
collect(const cJSON *obj, const char *prefix, int depth, int max_depth,
    char ***names, size_t *n)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, obj) {
		char name[512];

		snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "__" :
		    "", e->string);
		if (cJSON_IsObject(e) && depth < max_depth) {
			int rc = collect(e, name, depth + 1, max_depth, names, n);

			if (rc != 0)
				return rc;
			continue;
		}
		{
			size_t i;

			for (i = 0; i < *n; i++)
				if (strcmp((*names)[i], name) == 0)
					break;
			if (i < *n)
				continue;
		}
		if (*n >= PLUGIN_COLUMNS_MAX)
			return ORK_ETOOBIG;
		{
			char **grown = realloc(*names, (*n + 1) *
			    sizeof(**names));

			if (grown == NULL)
				return ORK_ENOMEM;
			*names = grown;
		}
		if (((*names)[*n] = strdup(name)) == NULL)
			return ORK_ENOMEM;
		(*n)++;
	}
	return 0;
}

/* lookup finds the value of a flattened column in a record. */
static const cJSON *
lookup(const cJSON *obj, const char *col, int depth)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, obj) {
		size_t kl = strlen(e->string);

		if (strcmp(col, e->string) == 0)
			return e;
		if (depth > 0 && cJSON_IsObject(e) &&
		    strncmp(col, e->string, kl) == 0 &&
		    col[kl] == '_' && col[kl + 1] == '_') {
			const cJSON *in = lookup(e, col + kl + 2, depth - 1);

			if (in != NULL)
				return in;
		}
	}
	return NULL;
}

/* count_leaves counts the flattened keys of a record (as collect). */
static size_t
count_leaves(const cJSON *obj, int depth, int max_depth)
{
	const cJSON	*e;
	size_t		 n = 0;

	cJSON_ArrayForEach(e, obj)
		n += cJSON_IsObject(e) && depth < max_depth ?
		    count_leaves(e, depth + 1, max_depth) : 1;
	return n;
}

static int
set_columns(struct http_src *s, struct batch *b)
{
	char		**names = NULL;
	size_t		  n = 0;
	const cJSON	 *r;
	char		  err[200];
	int		  rc = 0;

	cJSON_ArrayForEach(r, s->records)
		if (cJSON_IsObject(r) && (rc = collect(r, "", 0, s->depth,
		    &names, &n)) != 0)
			break;
	if (rc == 0 && n > 0) {
		rc = batch_set_columns(b, (const char *const *)names, NULL, n,
		    err, sizeof(err));
		if (rc == ORK_EINVAL)
			snprintf(s->ctx->error, sizeof(s->ctx->error), "http "
			    "extractor: the records' keys: %s", err);
		if (rc == 0)
			s->columns_set = 1;
	} else if (rc == ORK_ETOOBIG) {
		snprintf(s->ctx->error, sizeof(s->ctx->error), "http extractor: "
		    "records have more than %d keys", PLUGIN_COLUMNS_MAX);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* next_page fetches and parses a page; 0 when there is none. */
static int
next_page(struct http_src *s)
{
	static const struct json_limits lim = { HTTP_BODY_MAX, HTTP_DEPTH_MAX,
	    HTTP_BODY_MAX };
	struct json_err	 je;
	const char	*rp = plugin_cfg_string(s->cfg, "records_path");
	const cJSON	*c;
	int		 rc, n;

	cJSON_Delete(s->doc);
	s->doc = NULL;
	s->records = s->record = NULL;
	if (s->done || s->pages >= s->max_pages)
		return 0;
	if ((rc = fetch(s)) != 0)
		return rc;
	s->pages++;
	rc = json_parse(s->page.buf != NULL ? s->page.buf : "", s->page.len,
	    &lim, &s->doc, &je);
	if (rc != 0) {
		snprintf(s->ctx->error, sizeof(s->ctx->error), "http extractor: "
		    "page %ld of %s is not JSON: %.200s%s%.300s", s->pages,
		    s->error_url, je.field, je.field[0] ? ": " : "", je.message);
		return rc;
	}
	s->records = at_path(s->doc, rp != NULL ? rp : "");
	if (!cJSON_IsArray(s->records)) {
		snprintf(s->ctx->error, sizeof(s->ctx->error), "extractor_config."
		    "records_path: page %ld of %s has no array at \"%s\"",
		    s->pages, s->error_url, rp != NULL ? rp : "");
		return ORK_EINVAL;
	}
	n = cJSON_GetArraySize(s->records);
	s->record = s->records->child;
	/* where the page after this one is */
	switch (s->paging) {
	case P_NONE:
		s->done = 1;
		break;
	case P_PAGE:
		s->number++;
		if (n == 0 || (s->page_size > 0 && n < s->page_size))
			s->done = 1;
		break;
	case P_OFFSET:
		s->number += n;
		if (n < s->page_size)
			s->done = 1;
		break;
	case P_CURSOR:
		c = at_path(s->doc, str(s->pagination, "cursor_path", ""));
		free(s->cursor);
		s->cursor = NULL;
		if (n == 0 || c == NULL || cJSON_IsNull(c) ||
		    (cJSON_IsString(c) && c->valuestring[0] == '\0'))
			s->done = 1;
		else if ((s->cursor = value_text(c)) == NULL)
			return ORK_ENOMEM;
		break;
	case P_LINK:
	case P_NEXT_URL:
		free(s->next_url);
		s->next_url = NULL;
		if (s->paging == P_LINK) {
			if (s->link_next[0] != '\0')
				s->next_url = strdup(s->link_next);
		} else {
			c = at_path(s->doc, str(s->pagination, "next_url_path",
			    ""));
			if (cJSON_IsString(c) && c->valuestring[0] != '\0')
				s->next_url = strdup(c->valuestring);
		}
		if (s->next_url == NULL || n == 0)
			s->done = 1;
		else if (strncmp(s->next_url, "http://", 7) != 0 &&
		    strncmp(s->next_url, "https://", 8) != 0) {
			/* a relative link: resolve it against this page */
			CURLU	*cu = curl_url();
			char	*abs = NULL;

			if (cu == NULL || curl_url_set(cu, CURLUPART_URL,
			    s->cur_url, 0) != CURLUE_OK || curl_url_set(cu, CURLUPART_URL,
			    s->next_url, 0) != CURLUE_OK ||
			    curl_url_get(cu, CURLUPART_URL, &abs, 0) !=
			    CURLUE_OK) {
				curl_url_cleanup(cu);
				snprintf(s->ctx->error, sizeof(s->ctx->error),
				    "http extractor: page %ld of %s names a "
				    "next page that is not a URL", s->pages,
				    s->error_url);
				return ORK_EINVAL;
			}
			free(s->next_url);
			s->next_url = strdup(abs);
			curl_free(abs);
			curl_url_cleanup(cu);
		}
		break;
	}
	return 1;
}

/* ---- the plugin --------------------------------------------------- */

static void
http_close(void *state)
{
	struct http_src *s = state;

	if (s->ignored_keys > 0)
		plugin_logf(s->ctx, "%ld values under keys not seen on the "
		    "first page were left out", s->ignored_keys);
	cJSON_Delete(s->doc);
	curl_slist_free_all(s->headers);
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	strbuf_free(&s->page);
	free(s->next_url);
	free(s->cursor);
	free(s->cur_url);
	free(s->base_url);
	free(s->body);
	free(s);
}

/* add_header appends "name: value" to the request's headers. */
static int
add_header(struct http_src *s, const char *name, const char *value)
{
	struct curl_slist	*l;
	struct strbuf		 h;
	int			 rc;

	if (!header_ok(value))
		return ORK_EINVAL;
	strbuf_init(&h, 16384);
	if ((rc = strbuf_printf(&h, "%s: %s", name, value)) != 0) {
		strbuf_free(&h);
		return rc;
	}
	l = curl_slist_append(s->headers, strbuf_str(&h));
	strbuf_free(&h);
	if (l == NULL)
		return ORK_ENOMEM;
	s->headers = l;
	return 0;
}

static int
http_open(struct task_ctx *ctx, const cJSON *cfg, const char *mark,
    void **state)
{
	static const char *const paging_names[] = { "none", "page", "offset",
	    "cursor", "link", "next_url", NULL };
	struct http_src	*s;
	struct strbuf	 u;
	const cJSON	*auth, *e, *verify;
	const char	*method = str(cfg, "method", "GET");
	const char	*v;
	int		 rc = ORK_EINVAL;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ORK_ENOMEM;
	s->ctx = ctx;
	s->cfg = cfg;
	strbuf_init(&s->page, HTTP_BODY_MAX);
	strbuf_init(&u, HTTP_URL_MAX * 2);
	s->pagination = cJSON_GetObjectItemCaseSensitive(cfg, "pagination");
	for (int i = 0; paging_names[i] != NULL; i++)
		if (strcmp(str(s->pagination, "type", "none"),
		    paging_names[i]) == 0)
			s->paging = (enum paging)i;
	s->page_size = num(s->pagination, "page_size", 0);
	s->size_param = str(s->pagination, "size_param",
	    s->paging == P_OFFSET ? "limit" : NULL);
	s->param = str(s->pagination, "param", s->paging == P_OFFSET ?
	    "offset" : "page");
	s->number = num(s->pagination, "start", s->paging == P_PAGE ? 1 : 0);
	s->max_pages = num(s->pagination, "max_pages", HTTP_MAX_PAGES_DEFAULT);
	s->depth = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cfg,
	    "flatten")) ? 0 : HTTP_FLATTEN_DEPTH;
	s->rate = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(cfg,
	    "max_requests_per_second")) ? cJSON_GetObjectItemCaseSensitive(cfg,
	    "max_requests_per_second")->valuedouble : 0;
	s->curl = curl_easy_init();
	if (s->curl == NULL) {
		rc = ORK_ENOMEM;
		goto fail;
	}
	/* the URL and its parameters; a query auth is one of them */
	if ((rc = strbuf_puts(&u, str(cfg, "url", ""))) != 0)
		goto fail;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cfg, "params")) {
		char field[300];

		snprintf(field, sizeof(field), "extractor_config.params.%.64s",
		    e->string);
		if ((v = executor_secret(ctx, e, field)) == NULL) {
			rc = ORK_EINVAL;
			goto fail;
		}
		if ((rc = add_param(&u, e->string, v)) != 0)
			goto fail;
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cfg,
	    "headers")) {
		char field[300];

		snprintf(field, sizeof(field), "extractor_config.headers.%.64s",
		    e->string);
		if ((v = executor_secret(ctx, e, field)) == NULL) {
			rc = ORK_EINVAL;
			goto fail;
		}
		if ((rc = add_header(s, e->string, v)) != 0) {
			snprintf(ctx->error, sizeof(ctx->error), "%s: not a "
			    "header value", field);
			goto fail;
		}
	}
	auth = cJSON_GetObjectItemCaseSensitive(cfg, "auth");
	if (cJSON_IsObject(auth)) {
		const char *t = str(auth, "type", "");

		if (strcmp(t, "bearer") == 0) {
			struct strbuf b;

			v = executor_secret(ctx, cJSON_GetObjectItemCaseSensitive(
			    auth, "token"), "extractor_config.auth.token");
			if (v == NULL)
				goto fail;
			strbuf_init(&b, 16384);
			rc = strbuf_printf(&b, "Bearer %s", v);
			if (rc == 0)
				rc = add_header(s, "Authorization",
				    strbuf_str(&b));
			strbuf_free(&b);
			if (rc != 0)
				goto fail;
		} else if (strcmp(t, "basic") == 0) {
			v = executor_secret(ctx, cJSON_GetObjectItemCaseSensitive(
			    auth, "password"), "extractor_config.auth.password");
			if (v == NULL)
				goto fail;
			curl_easy_setopt(s->curl, CURLOPT_HTTPAUTH,
			    (long)CURLAUTH_BASIC);
			curl_easy_setopt(s->curl, CURLOPT_USERNAME,
			    str(auth, "username", ""));
			curl_easy_setopt(s->curl, CURLOPT_PASSWORD, v);
		} else {
			v = executor_secret(ctx, cJSON_GetObjectItemCaseSensitive(
			    auth, "value"), "extractor_config.auth.value");
			if (v == NULL)
				goto fail;
			rc = strcmp(t, "query") == 0 ? add_param(&u,
			    str(auth, "name", ""), v) : add_header(s,
			    str(auth, "name", ""), v);
			if (rc != 0) {
				snprintf(ctx->error, sizeof(ctx->error),
				    "extractor_config.auth: not a usable name "
				    "and value");
				goto fail;
			}
		}
	}
	/* an incremental load asks the API for rows from the mark on */
	v = plugin_cfg_string(cfg, "cursor_param");
	if (v != NULL && mark != NULL && (rc = add_param(&u, v, mark)) != 0)
		goto fail;
	if ((s->base_url = strdup(strbuf_str(&u))) == NULL) {
		rc = ORK_ENOMEM;
		goto fail;
	}
	if (strcmp(method, "POST") == 0) {
		const cJSON *body = cJSON_GetObjectItemCaseSensitive(cfg, "body");

		s->body = body != NULL ? cJSON_PrintUnformatted(body) :
		    strdup("");
		if (s->body == NULL) {
			rc = ORK_ENOMEM;
			goto fail;
		}
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, s->body);
		if (body != NULL && (rc = add_header(s, "Content-Type",
		    "application/json")) != 0)
			goto fail;
	}
	if ((rc = add_header(s, "Accept", "application/json")) != 0)
		goto fail;
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(s->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(s->curl, CURLOPT_XFERINFODATA, s);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(s->curl, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(s->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(s->curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "ork-worker");
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT, num(cfg, "timeout_seconds",
	    HTTP_TIMEOUT_DEFAULT));
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, 15L);
	verify = cJSON_GetObjectItemCaseSensitive(cfg, "verify_tls");
	if (cJSON_IsFalse(verify)) {
		curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYHOST, 0L);
		plugin_logf(ctx, "TLS certificate verification is off for this "
		    "task (verify_tls: false)");
	} else {
		curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	}
	strbuf_free(&u);
	*state = s;
	return 0;
fail:
	if (rc == ORK_ETOOBIG)
		snprintf(ctx->error, sizeof(ctx->error), "extractor_config.url: "
		    "with its parameters longer than %d bytes", HTTP_URL_MAX * 2);
	strbuf_free(&u);
	http_close(s);
	return rc != 0 ? rc : ORK_EINVAL;
}

static int
http_next_batch(void *state, struct task_ctx *ctx, struct batch *b)
{
	struct http_src	*s = state;
	size_t		 found;
	int		 rc;

	(void)ctx;
	while (!batch_full(b)) {
		const cJSON *r;

		if (s->record == NULL) {
			if ((rc = next_page(s)) <= 0)
				return rc;
			if (!s->columns_set && (rc = set_columns(s, b)) != 0)
				return rc;
			continue;
		}
		r = s->record;
		s->record = r->next;
		if (!cJSON_IsObject(r)) {
			snprintf(s->ctx->error, sizeof(s->ctx->error), "http "
			    "extractor: page %ld of %s: a record is not a JSON "
			    "object", s->pages, s->error_url);
			return ORK_EINVAL;
		}
		if (!s->columns_set)
			continue;
		found = 0;
		for (size_t c = 0; c < b->ncols; c++) {
			const cJSON	*jv = lookup(r, b->cols[c], s->depth);
			char		*t = jv != NULL ? value_text(jv) : NULL;

			if (t == NULL && jv != NULL && !cJSON_IsNull(jv))
				return ORK_ENOMEM;
			found += jv != NULL;
			rc = batch_add_value(b, t, t != NULL ? strlen(t) : 0);
			free(t);
			if (rc != 0)
				return rc;
		}
		if ((rc = batch_end_row(b)) != 0)
			return rc;
		if (s->pages > 1) {
			size_t leaves = count_leaves(r, 0, s->depth);

			if (leaves > found)
				s->ignored_keys += (long)(leaves - found);
		}
	}
	return 1;
}

static void
http_cancel(void *state)
{
	struct http_src *s = state;

	atomic_store(&s->stop, 1);
}

const struct extractor_plugin plugin_http = {
	.type = "http",
	.validate = http_validate,
	.open = http_open,
	.next_batch = http_next_batch,
	.cancel = http_cancel,
	.close = http_close,
};

const struct extractor_plugin plugin_api = {
	.type = "api",
	.validate = http_validate,
	.open = http_open,
	.next_batch = http_next_batch,
	.cancel = http_cancel,
	.close = http_close,
};
