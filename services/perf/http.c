/*
 * http.c - requests to ork-api with libcurl: one handle per thread,
 * kept alive across requests, bodies bounded by PERF_BODY_MAX.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "err.h"
#include "perf.h"

struct perf_http {
	CURL			*curl;
	struct curl_slist	*headers;	/* auth, JSON, no Expect */
	char			 base[PERFCONF_STR_MAX + 1];
};

int
perf_http_open(struct perf_http **out, const char *base, const char *token)
{
	struct perf_http	*h;
	struct curl_slist	*l;
	char			 auth[PERFCONF_STR_MAX + 32];
	size_t			 n;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return ORK_ENOMEM;
	snprintf(h->base, sizeof(h->base), "%s", base);
	n = strlen(h->base);
	while (n > 0 && h->base[n - 1] == '/')
		h->base[--n] = '\0';
	if ((h->curl = curl_easy_init()) == NULL)
		goto fail;
	if ((l = curl_slist_append(NULL, "Content-Type: application/json")) ==
	    NULL)
		goto fail;
	h->headers = l;
	/* no "Expect: 100-continue" round trip before a body */
	if ((l = curl_slist_append(h->headers, "Expect:")) == NULL)
		goto fail;
	h->headers = l;
	if (token != NULL && token[0] != '\0') {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		if ((l = curl_slist_append(h->headers, auth)) == NULL)
			goto fail;
		h->headers = l;
	}
	*out = h;
	return 0;
fail:
	perf_http_free(h);
	return ORK_ENOMEM;
}

void
perf_http_free(struct perf_http *h)
{
	if (h == NULL)
		return;
	curl_slist_free_all(h->headers);
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h);
}

static size_t
on_body(char *ptr, size_t size, size_t n, void *arg)
{
	struct perf_resp	*r = arg;
	size_t			 len = size * n;
	char			*nb;

	if (r->len + len > PERF_BODY_MAX) {
		snprintf(r->err, sizeof(r->err), "answer larger than %d bytes",
		    PERF_BODY_MAX);
		return 0;	/* curl stops with a write error */
	}
	if ((nb = realloc(r->body, r->len + len + 1)) == NULL) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		return 0;
	}
	memcpy(nb + r->len, ptr, len);
	r->body = nb;
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

long
perf_http_call(struct perf_http *h, const char *method, const char *path,
    const char *body, struct perf_resp *r)
{
	char		url[2 * PERFCONF_STR_MAX + 64];
	CURLcode	cc;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	snprintf(url, sizeof(url), "%s%s", h->base, path);
	curl_easy_reset(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS,
	    (long)PERF_HTTP_TIMEOUT_MS);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	if (body != NULL) {
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(body));
	}
	cc = curl_easy_perform(h->curl);
	if (cc != CURLE_OK) {
		if (r->err[0] == '\0')
			snprintf(r->err, sizeof(r->err), "%s %s: %s", method,
			    path, curl_easy_strerror(cc));
		return r->status;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->body != NULL)
		r->json = cJSON_ParseWithLength(r->body, r->len);
	return r->status;
}

void
perf_resp_free(struct perf_resp *r)
{
	free(r->body);
	cJSON_Delete(r->json);
	r->body = NULL;
	r->json = NULL;
	r->len = 0;
}

/* perf_resp_error writes why an answer was not the one wanted into buf. */
const char *
perf_resp_error(const struct perf_resp *r, char *buf, size_t len)
{
	const cJSON *e, *m;

	if (r->status < 0) {
		snprintf(buf, len, "%s", r->err[0] != '\0' ? r->err :
		    "no answer");
		return buf;
	}
	e = cJSON_GetObjectItemCaseSensitive(r->json, "error");
	m = cJSON_GetObjectItemCaseSensitive(e, "message");
	if (cJSON_IsString(m))
		snprintf(buf, len, "status %ld: %s", r->status, m->valuestring);
	else
		snprintf(buf, len, "status %ld", r->status);
	return buf;
}
