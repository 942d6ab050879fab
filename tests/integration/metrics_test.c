/*
 * metrics_test.c - observability of the three daemons, from outside:
 * GET /metrics of ork-api, ork-orchestrator and ork-worker parses as the
 * Prometheus text format 0.0.4 (a strict parser below: HELP and TYPE
 * lines, names, label syntax, values, histograms cumulative with +Inf
 * equal to _count), counters move when a run goes through, the ready
 * queue's gauges follow work no worker takes, the trace id
 * sent as a W3C traceparent comes back in X-Trace-Id and shows in the
 * JSON log lines of all three daemons, every JSON log line carries the
 * fields it must, and a scrape while a daemon stops never crashes it.
 */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "api_util.h"

/* ---- a strict parser of the text exposition format --------------- */

#define EXPO_NAME_MAX	128
#define EXPO_LABELS_MAX	1024
#define EXPO_FAMILIES	256

struct sample {
	char	name[EXPO_NAME_MAX];
	char	labels[EXPO_LABELS_MAX];	/* between braces, le removed */
	char	le[32];				/* "" unless a bucket */
	double	value;
	int	family;
};

struct family {
	char	name[EXPO_NAME_MAX];
	char	type[16];
	int	has_help, has_type, nsamples;
};

struct expo {
	struct sample	*s;
	int		 n, cap;
	struct family	 f[EXPO_FAMILIES];
	int		 nf;
};

static void
expo_free(struct expo *e)
{
	free(e->s);
	memset(e, 0, sizeof(*e));
}

static int
is_name(const char *s, size_t n, int colon)
{
	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' ||
	    (colon && s[0] == ':')))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' ||
		    (colon && s[i] == ':')))
			return 0;
	return 1;
}

static int
parse_value(const char *s, double *out)
{
	char *end;

	if (strcmp(s, "+Inf") == 0) {
		*out = INFINITY;
		return 0;
	}
	if (strcmp(s, "-Inf") == 0) {
		*out = -INFINITY;
		return 0;
	}
	if (strcmp(s, "NaN") == 0) {
		*out = NAN;
		return 0;
	}
	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	*out = strtod(s, &end);
	return *end == '\0' ? 0 : -1;
}

static struct family *
family_find(struct expo *e, const char *name, size_t n)
{
	for (int i = 0; i < e->nf; i++)
		if (strlen(e->f[i].name) == n &&
		    strncmp(e->f[i].name, name, n) == 0)
			return &e->f[i];
	return NULL;
}

static struct family *
family_get(struct expo *e, const char *name, size_t n)
{
	struct family *f = family_find(e, name, n);

	if (f != NULL || e->nf == EXPO_FAMILIES || n >= EXPO_NAME_MAX)
		return f;
	f = &e->f[e->nf++];
	memset(f, 0, sizeof(*f));
	memcpy(f->name, name, n);
	return f;
}

/* sample_family finds the family a sample name belongs to. */
static struct family *
sample_family(struct expo *e, const char *name)
{
	static const char *const suffixes[] = { "_bucket", "_sum", "_count" };
	size_t n = strlen(name);
	struct family *f = family_find(e, name, n);

	if (f != NULL && strcmp(f->type, "histogram") != 0)
		return f;
	for (int i = 0; i < 3; i++) {
		size_t sl = strlen(suffixes[i]);

		if (n > sl && strcmp(name + n - sl, suffixes[i]) == 0 &&
		    (f = family_find(e, name, n - sl)) != NULL &&
		    strcmp(f->type, "histogram") == 0)
			return f;
	}
	return NULL;
}

/*
 * parse_labels reads {a="x",b="y"} at *p; copies the pairs except le
 * into labels and le's value into le.
 */
static int
parse_labels(const char **p, char *labels, size_t llen, char *le,
    size_t lelen, char *why, size_t wlen)
{
	const char	*s = *p;
	char		 seen[16][EXPO_NAME_MAX];
	int		 nseen = 0;
	size_t		 out = 0;

	labels[0] = le[0] = '\0';
	if (*s != '{')
		return 0;
	s++;
	while (*s != '}') {
		const char	*name = s;
		size_t		 nl;
		char		 val[512];
		size_t		 vl = 0;

		while (isalnum((unsigned char)*s) || *s == '_')
			s++;
		nl = (size_t)(s - name);
		if (!is_name(name, nl, 0) || nl >= EXPO_NAME_MAX) {
			snprintf(why, wlen, "bad label name at \"%.20s\"", name);
			return -1;
		}
		for (int i = 0; i < nseen; i++)
			if (strlen(seen[i]) == nl &&
			    strncmp(seen[i], name, nl) == 0) {
				snprintf(why, wlen, "label %.*s twice",
				    (int)nl, name);
				return -1;
			}
		if (nseen < 16) {
			memcpy(seen[nseen], name, nl);
			seen[nseen++][nl] = '\0';
		}
		if (s[0] != '=' || s[1] != '"') {
			snprintf(why, wlen, "label %.*s: no =\"", (int)nl,
			    name);
			return -1;
		}
		s += 2;
		while (*s != '"') {
			if (*s == '\0' || *s == '\n') {
				snprintf(why, wlen, "unterminated label value");
				return -1;
			}
			if (*s == '\\') {
				if (s[1] != '\\' && s[1] != '"' &&
				    s[1] != 'n') {
					snprintf(why, wlen, "bad escape \\%c",
					    s[1]);
					return -1;
				}
				if (vl + 2 < sizeof(val)) {
					val[vl++] = s[0];
					val[vl++] = s[1];
				}
				s += 2;
				continue;
			}
			if (vl + 1 < sizeof(val))
				val[vl++] = *s;
			s++;
		}
		val[vl] = '\0';
		s++;
		if (nl == 2 && strncmp(name, "le", 2) == 0) {
			snprintf(le, lelen, "%.*s", (int)lelen - 1, val);
		} else {
			int n = snprintf(labels + out, llen - out,
			    "%s%.*s=\"%s\"", out > 0 ? "," : "", (int)nl, name,
			    val);

			if (n < 0 || (size_t)n >= llen - out) {
				snprintf(why, wlen, "labels too long");
				return -1;
			}
			out += (size_t)n;
		}
		if (*s == ',')
			s++;
		else if (*s != '}') {
			snprintf(why, wlen, "expected , or } at \"%.20s\"", s);
			return -1;
		}
	}
	*p = s + 1;
	return 0;
}

/* check_histograms: buckets ascending and cumulative, +Inf == _count. */
static int
check_histograms(const struct expo *e, char *why, size_t wlen)
{
	for (int i = 0; i < e->n; i++) {
		const struct sample	*c = &e->s[i];
		const struct family	*f = &e->f[c->family];
		size_t			 fl = strlen(f->name);
		double			 prev_le = -INFINITY, prev = 0, inf = -1;
		int			 sum = 0;

		if (strcmp(f->type, "histogram") != 0 ||
		    strcmp(c->name + fl, "_count") != 0)
			continue;
		for (int j = 0; j < e->n; j++) {
			const struct sample *b = &e->s[j];
			double le;

			if (b->family != c->family ||
			    strcmp(b->labels, c->labels) != 0)
				continue;
			if (strcmp(b->name + fl, "_sum") == 0)
				sum = 1;
			if (strcmp(b->name + fl, "_bucket") != 0)
				continue;
			if (b->le[0] == '\0' || parse_value(b->le, &le) != 0) {
				snprintf(why, wlen, "%.100s{%.200s}: bucket "
				    "without a good le", f->name, b->labels);
				return -1;
			}
			if (le <= prev_le || b->value < prev) {
				snprintf(why, wlen, "%.100s{%.200s}: le=%.30s "
				    "out of order or not cumulative", f->name,
				    b->labels, b->le);
				return -1;
			}
			prev_le = le;
			prev = b->value;
			if (isinf(le))
				inf = b->value;
		}
		if (inf < 0 || inf != c->value || !sum) {
			snprintf(why, wlen, "%.100s{%.200s}: +Inf %g, _count "
			    "%g, _sum %s", f->name, c->labels, inf, c->value,
			    sum ? "present" : "missing");
			return -1;
		}
	}
	return 0;
}

/* expo_parse parses a whole answer; 0, or -1 with the reason in why. */
static int
expo_parse(const char *text, struct expo *e, char *why, size_t wlen)
{
	const char	*line = text;
	int		 lineno = 0, last_family = -1;

	memset(e, 0, sizeof(*e));
	while (*line != '\0') {
		const char	*nl = strchr(line, '\n');
		size_t		 len;
		char		 buf[4096];

		lineno++;
		if (nl == NULL) {
			snprintf(why, wlen, "line %d: no final newline", lineno);
			return -1;
		}
		len = (size_t)(nl - line);
		if (len >= sizeof(buf)) {
			snprintf(why, wlen, "line %d: too long", lineno);
			return -1;
		}
		memcpy(buf, line, len);
		buf[len] = '\0';
		line = nl + 1;
		if (strncmp(buf, "# HELP ", 7) == 0 ||
		    strncmp(buf, "# TYPE ", 7) == 0) {
			const char	*name = buf + 7;
			size_t		 n = strcspn(name, " ");
			struct family	*f;

			if (!is_name(name, n, 1) || name[n] != ' ') {
				snprintf(why, wlen, "line %d: bad name", lineno);
				return -1;
			}
			if ((f = family_get(e, name, n)) == NULL) {
				snprintf(why, wlen, "line %d: too many families",
				    lineno);
				return -1;
			}
			if (f->nsamples > 0) {
				snprintf(why, wlen, "line %d: %.100s after its "
				    "samples", lineno, buf);
				return -1;
			}
			if (buf[2] == 'H') {
				if (f->has_help++) {
					snprintf(why, wlen, "line %d: HELP "
					    "twice", lineno);
					return -1;
				}
				continue;
			}
			if (f->has_type++ || (strcmp(name + n + 1, "counter") &&
			    strcmp(name + n + 1, "gauge") &&
			    strcmp(name + n + 1, "histogram") &&
			    strcmp(name + n + 1, "summary") &&
			    strcmp(name + n + 1, "untyped"))) {
				snprintf(why, wlen, "line %d: bad or second "
				    "TYPE", lineno);
				return -1;
			}
			snprintf(f->type, sizeof(f->type), "%s", name + n + 1);
			continue;
		}
		if (buf[0] == '#') {
			snprintf(why, wlen, "line %d: stray comment", lineno);
			return -1;
		}
		{
			struct sample	 smp;
			const char	*p = buf;
			struct family	*f;
			size_t		 n = strcspn(p, "{ ");
			char		 val[64];
			int		 fi;

			memset(&smp, 0, sizeof(smp));
			if (!is_name(p, n, 1) || n >= EXPO_NAME_MAX) {
				snprintf(why, wlen, "line %d: bad metric name",
				    lineno);
				return -1;
			}
			memcpy(smp.name, p, n);
			p += n;
			if (parse_labels(&p, smp.labels, sizeof(smp.labels),
			    smp.le, sizeof(smp.le), why, wlen) != 0)
				return -1;
			if (*p != ' ' || p[1] == ' ') {
				snprintf(why, wlen, "line %d: no single space "
				    "before the value", lineno);
				return -1;
			}
			p++;
			n = strcspn(p, " ");
			if (n >= sizeof(val)) {
				snprintf(why, wlen, "line %d: value too long",
				    lineno);
				return -1;
			}
			memcpy(val, p, n);
			val[n] = '\0';
			if (parse_value(val, &smp.value) != 0) {
				snprintf(why, wlen, "line %d: bad value \"%s\"",
				    lineno, val);
				return -1;
			}
			if (p[n] == ' ') {	/* a timestamp: an integer */
				const char *t = p + n + 1;

				if (*t == '-')
					t++;
				if (*t == '\0' || strspn(t, "0123456789") !=
				    strlen(t)) {
					snprintf(why, wlen, "line %d: bad "
					    "timestamp", lineno);
					return -1;
				}
			}
			f = sample_family(e, smp.name);
			if (f == NULL || !f->has_type) {
				snprintf(why, wlen, "line %d: %s has no TYPE "
				    "before it", lineno, smp.name);
				return -1;
			}
			fi = (int)(f - e->f);
			if (fi != last_family && f->nsamples > 0) {
				snprintf(why, wlen, "line %d: samples of %s are "
				    "not together", lineno, f->name);
				return -1;
			}
			if ((smp.le[0] != '\0') != (strcmp(f->type,
			    "histogram") == 0 && strcmp(smp.name + strlen(
			    f->name), "_bucket") == 0)) {
				snprintf(why, wlen, "line %d: le where it does "
				    "not belong, or missing", lineno);
				return -1;
			}
			if (strcmp(f->type, "counter") == 0 &&
			    !(smp.value >= 0)) {
				snprintf(why, wlen, "line %d: negative counter",
				    lineno);
				return -1;
			}
			last_family = fi;
			f->nsamples++;
			smp.family = fi;
			if (e->n == e->cap) {
				int		 cap = e->cap ? e->cap * 2 : 256;
				struct sample	*ns = realloc(e->s,
				    (size_t)cap * sizeof(*ns));

				if (ns == NULL) {
					snprintf(why, wlen, "out of memory");
					return -1;
				}
				e->s = ns;
				e->cap = cap;
			}
			e->s[e->n++] = smp;
		}
	}
	return check_histograms(e, why, wlen);
}

/* expo_value returns a sample's value, or -1 when it is not there. */
static double
expo_value(const struct expo *e, const char *name, const char *labels)
{
	for (int i = 0; i < e->n; i++)
		if (strcmp(e->s[i].name, name) == 0 &&
		    strcmp(e->s[i].labels, labels) == 0 && e->s[i].le[0] == '\0')
			return e->s[i].value;
	return -1;
}

/* expo_zero is expo_value with an absent series read as 0. */
static double
expo_zero(const struct expo *e, const char *name, const char *labels)
{
	double v = expo_value(e, name, labels);

	return v < 0 ? 0 : v;
}

/* The parser itself: it takes a good text and refuses bad ones. */
static void
test_parser(void **state)
{
	static const char good[] =
	    "# HELP a_total A.\n# TYPE a_total counter\n"
	    "a_total{x=\"q\\\"\\\\\\n\"} 3\n"
	    "# TYPE h histogram\n"
	    "h_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
	    "h_sum 1.5e0\nh_count 2\n# TYPE g gauge\ng NaN 1700000000\n";
	/*
	 * Each breaks one rule: no TYPE, no final newline, a negative
	 * counter, a label twice, a bad escape, an unquoted value, a bad
	 * value, two spaces, samples apart, TYPE twice, buckets not
	 * cumulative, +Inf other than _count, le out of order, no _sum, le
	 * outside a histogram, a bad name, an empty line.
	 */
	static const char *const bad[] = {
		"a_total 1\n",
		"# TYPE a counter\na 1",
		"# TYPE a counter\na -1\n",
		"# TYPE a counter\na{x=\"1\",x=\"2\"} 1\n",
		"# TYPE a counter\na{x=\"\\t\"} 1\n",
		"# TYPE a counter\na{x=1} 1\n",
		"# TYPE a counter\na 1x\n",
		"# TYPE a counter\na  1\n",
		"# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na 2\n",
		"# TYPE a gauge\n# TYPE a gauge\na 1\n",
		"# TYPE a histogram\na_bucket{le=\"1\"} 2\n"
		    "a_bucket{le=\"+Inf\"} 1\na_sum 1\na_count 1\n",
		"# TYPE a histogram\na_bucket{le=\"+Inf\"} 2\n"
		    "a_sum 1\na_count 3\n",
		"# TYPE a histogram\na_bucket{le=\"2\"} 1\n"
		    "a_bucket{le=\"1\"} 1\na_bucket{le=\"+Inf\"} 1\n"
		    "a_sum 1\na_count 1\n",
		"# TYPE a histogram\na_bucket{le=\"+Inf\"} 1\n"
		    "a_count 1\n",
		"# TYPE a gauge\na{le=\"1\"} 1\n",
		"# TYPE 1a gauge\n1a 1\n",
		"# TYPE a gauge\n\na 1\n",
	};
	struct expo	e;
	char		why[512];

	(void)state;
	if (expo_parse(good, &e, why, sizeof(why)) != 0)
		fail_msg("good text refused: %s", why);
	assert_true(expo_value(&e, "a_total", "x=\"q\\\"\\\\\\n\"") == 3);
	assert_true(expo_value(&e, "h_count", "") == 2);
	expo_free(&e);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (expo_parse(bad[i], &e, why, sizeof(why)) == 0)
			fail_msg("bad text %zu accepted: %s", i, bad[i]);
		expo_free(&e);
	}
}

/* ---- the stack ---------------------------------------------------- */

static const char *const json_env[] = { "ORK_LOG_FORMAT=json",
	"ORK_LOG_LEVEL=debug", NULL };

/*
 * start_stack_args is api_stack_start with every daemon logging JSON
 * lines at debug level, and extra options (NULL-ended, may be NULL) for
 * the orchestrator.
 */
static void
start_stack_args(struct api_stack *s, const char *name, int with_worker,
    const char *const *orch_extra)
{
	char log[128];

	api_stack_init(s, name);
	{
		const char	*a[16] = { s->a_db, s->a_control, s->a_events,
		    s->a_ohealth, NULL };
		int		 n = 4;

		for (; orch_extra != NULL && *orch_extra != NULL && n < 15;
		    orch_extra++)
			a[n++] = *orch_extra;
		a[n] = NULL;
		snprintf(log, sizeof(log), "%s-orchestrator", name);
		h_spawn(&s->orch, log, "ork-orchestrator", a, json_env);
		s->has_orch = 1;
		if (!h_wait_log(&s->orch, "ready:", 20000))
			fail_msg("ork-orchestrator did not get ready");
	}
	if (with_worker) {
		const char *a[] = { s->a_control, s->a_events, s->a_whealth,
		    "--worker-id=w1", NULL };

		snprintf(log, sizeof(log), "%s-worker", name);
		h_spawn(&s->worker, log, "ork-worker", a, json_env);
		s->has_worker = 1;
		if (!h_wait_log(&s->worker, "ready:", 20000))
			fail_msg("ork-worker did not get ready");
	}
	snprintf(log, sizeof(log), "%s-api", name);
	api_start_api(s, log, NULL, json_env);
	{
		char *tok = api_login(s, "admin", API_ADMIN_PASSWORD);

		snprintf(s->admin, sizeof(s->admin), "%s", tok);
		free(tok);
	}
}

static void
start_stack(struct api_stack *s, const char *name, int with_worker)
{
	start_stack_args(s, name, with_worker, NULL);
}

/* scrape fetches and parses GET /metrics of a port, or fails the test. */
static void
scrape(int port, struct expo *e)
{
	char		 url[128], why[512];
	char		*body = NULL;
	long		 st;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
	st = h_http("GET", url, NULL, NULL, &body);
	if (st != 200)
		fail_msg("GET %s: %ld", url, st);
	assert_non_null(body);
	if (expo_parse(body, e, why, sizeof(why)) != 0) {
		print_error("%s\n", body);
		fail_msg("GET %s does not parse: %s", url, why);
	}
	free(body);
	/* ork's own names: prefix, base units, counters end in _total */
	for (int i = 0; i < e->nf; i++) {
		const char *n = e->f[i].name;

		assert_true(strncmp(n, "ork_", 4) == 0);
		assert_true(e->f[i].has_help && e->f[i].has_type);
		if (strcmp(e->f[i].type, "counter") == 0)
			assert_true(strlen(n) > 6 &&
			    strcmp(n + strlen(n) - 6, "_total") == 0);
	}
}

/*
 * wait_metric_ms scrapes a port until a series reaches want (timeout_ms
 * at most), leaving the last scrape in e.
 */
static void
wait_metric_ms(int port, const char *name, const char *labels, double want,
    struct expo *e, int timeout_ms)
{
	for (int waited = 0;; waited += 100) {
		scrape(port, e);
		if (expo_zero(e, name, labels) >= want)
			return;
		if (waited >= timeout_ms)
			fail_msg("%s{%s} is %g, not %g, on port %d", name,
			    labels, expo_zero(e, name, labels), want, port);
		expo_free(e);
		h_sleep_ms(100);
	}
}

/* wait_metric is wait_metric_ms with 5 s. */
static void
wait_metric(int port, const char *name, const char *labels, double want,
    struct expo *e)
{
	wait_metric_ms(port, name, labels, want, e, 5000);
}

/* trigger runs a job through the api with a traceparent; waits for it. */
static void
trigger(struct api_stack *s, const char *job, const char *traceparent,
    char *run_id, char *xtrace, size_t xlen)
{
	struct api_resp	 r;
	char		 path[128], hdr[160];
	const char	*extra[] = { hdr, NULL };

	snprintf(path, sizeof(path), "/jobs/%s/run", job);
	snprintf(hdr, sizeof(hdr), "traceparent: %s", traceparent);
	if (api_call_ct(s, "POST", path, s->admin, "", NULL, 0, extra,
	    &r) != 201)
		fail_msg("trigger: %ld %s", r.status, r.body);
	snprintf(run_id, H_UUID_LEN + 1, "%s", api_str(r.json, "run_id"));
	api_header(&r, "X-Trace-Id", xtrace, xlen);
	api_resp_free(&r);
	assert_true(api_wait_run(s, run_id, "success", 20000));
}

/* ---- tests -------------------------------------------------------- */

#define TRACE "4bf92f3577b34da6a3ce929d0e0e4736"
#define TRACEPARENT "00-" TRACE "-00f067aa0ba902b7-01"

static void
test_metrics_move(void **state)
{
	struct api_stack	 s;
	struct expo		 a0, o0, w0, a1, o1, w1;
	char			 run[H_UUID_LEN + 1], xtrace[64];
	char			*job;
	static const char	 run_route[] = "method=\"POST\","
	    "route=\"/jobs/{job_id}/run\",status=\"201\"";
	static const char	 noop_ok[] = "kind=\"noop\",outcome=\"success\"";

	(void)state;
	start_stack(&s, "metrics_move", 1);
	job = api_create_job(&s, "{\"job_name\":\"m\",\"tasks\":[{"
	    "\"extractor_config\":{\"type\":\"noop\"}}]}");
	scrape(s.port, &a0);
	scrape(s.ohealth, &o0);
	scrape(s.whealth, &w0);
	/* each daemon says who it is and serves its own metrics only */
	assert_true(expo_value(&a0, "ork_build_info", "daemon=\"ork-api\","
	    "version=\"" ORK_VERSION "\",revision=\"" ORK_GIT_REV "\"") == 1);
	assert_true(expo_value(&o0, "ork_orchestrator_leader", "") >= 0);
	assert_true(expo_value(&o0, "ork_queue_depth", "") >= 0);
	assert_true(expo_value(&o0, "ork_queue_oldest_age_seconds", "") >= 0);
	assert_true(expo_value(&w0, "ork_worker_slots", "state=\"free\"") ==
	    4);
	assert_true(expo_value(&w0, "ork_worker_slots", "state=\"busy\"") ==
	    0);
	assert_true(expo_value(&a0, "ork_db_pool_connections_max", "") == 8);
	assert_null(family_find(&a0, "ork_worker_slots", 16));
	/* the content type of the format, and so documented */
	{
		struct api_resp	 r;
		char		 ct[128];
		const cJSON	*c;

		assert_int_equal(api_call(&s, "GET", "/metrics", NULL, NULL,
		    &r), 200);
		api_header(&r, "Content-Type", ct, sizeof(ct));
		assert_string_equal(ct, "text/plain; version=0.0.4; "
		    "charset=utf-8");
		api_resp_free(&r);
		assert_int_equal(api_call(&s, "GET", "/openapi.json", NULL,
		    NULL, &r), 200);
		c = cJSON_GetObjectItem(r.json, "paths");
		c = cJSON_GetObjectItem(cJSON_GetObjectItem(c, "/metrics"),
		    "get");
		c = cJSON_GetObjectItem(cJSON_GetObjectItem(c, "responses"),
		    "200");
		c = cJSON_GetObjectItem(c, "content");
		assert_non_null(cJSON_GetObjectItem(c,
		    "text/plain; version=0.0.4"));
		api_resp_free(&r);
	}
	assert_null(family_find(&w0, "ork_http_requests_total", 23));

	trigger(&s, job, TRACEPARENT, run, xtrace, sizeof(xtrace));
	assert_string_equal(xtrace, TRACE);
	/*
	 * The orchestrator counts from its event log, the worker once its
	 * report was answered: both may come a moment after the run shows
	 * as finished.
	 */
	wait_metric(s.ohealth, "ork_runs_finished_total", "status=\"success\"",
	    expo_zero(&o0, "ork_runs_finished_total", "status=\"success\"") +
	    1, &o1);
	expo_free(&o1);
	wait_metric(s.ohealth, "ork_nng_request_duration_seconds_count",
	    "side=\"server\",type=\"ReportTask\"", 1, &o1);
	wait_metric(s.whealth, "ork_worker_tasks_total", noop_ok,
	    expo_zero(&w0, "ork_worker_tasks_total", noop_ok) + 1, &w1);
	scrape(s.port, &a1);
	assert_true(expo_zero(&o1, "ork_runs_triggered_total",
	    "triggered_by=\"manual\"") == expo_zero(&o0,
	    "ork_runs_triggered_total", "triggered_by=\"manual\"") + 1);
	assert_true(expo_zero(&o1, "ork_runs_started_total", "") >=
	    expo_zero(&o0, "ork_runs_started_total", "") + 1);
	assert_true(expo_zero(&o1, "ork_tasks_finished_total",
	    "status=\"success\"") >= expo_zero(&o0, "ork_tasks_finished_total",
	    "status=\"success\"") + 1);
	assert_true(expo_zero(&o1, "ork_nng_requests_total",
	    "side=\"server\",type=\"TriggerRun\"") == expo_zero(&o0,
	    "ork_nng_requests_total", "side=\"server\",type=\"TriggerRun\"") +
	    1);
	assert_true(expo_zero(&o1, "ork_nng_request_duration_seconds_count",
	    "side=\"server\",type=\"ReportTask\"") >= 1);
	assert_true(expo_zero(&a1, "ork_http_requests_total", run_route) ==
	    expo_zero(&a0, "ork_http_requests_total", run_route) + 1);
	assert_true(expo_zero(&a1, "ork_http_request_duration_seconds_count",
	    "method=\"POST\",route=\"/jobs/{job_id}/run\"") >= 1);
	assert_true(expo_zero(&a1, "ork_nng_requests_total",
	    "side=\"client\",type=\"TriggerRun\"") == expo_zero(&a0,
	    "ork_nng_requests_total", "side=\"client\",type=\"TriggerRun\"") +
	    1);
	assert_true(expo_zero(&w1, "ork_worker_tasks_total", noop_ok) ==
	    expo_zero(&w0, "ork_worker_tasks_total", noop_ok) + 1);
	assert_true(expo_zero(&w1, "ork_dispatch_latency_seconds_count", "") ==
	    expo_zero(&w0, "ork_dispatch_latency_seconds_count", "") + 1);
	assert_true(expo_zero(&w1, "ork_task_duration_seconds_count",
	    "kind=\"noop\"") >= 1);
	assert_true(expo_value(&w1, "ork_worker_slots", "state=\"busy\"") ==
	    0);
	/* an unknown path counts as the unmatched route, not as itself */
	{
		struct api_resp r;

		api_call(&s, "GET", "/no/such/path", NULL, NULL, &r);
		assert_int_equal(r.status, 404);
		api_resp_free(&r);
		expo_free(&a1);
		scrape(s.port, &a1);
		assert_true(expo_zero(&a1, "ork_http_requests_total",
		    "method=\"other\",route=\"unmatched\",status=\"404\"") >= 1);
		for (int i = 0; i < a1.n; i++)
			assert_null(strstr(a1.s[i].labels, "/no/such"));
	}
	expo_free(&a0);
	expo_free(&o0);
	expo_free(&w0);
	expo_free(&a1);
	expo_free(&o1);
	expo_free(&w1);
	free(job);
}

/* is_rfc3339_ms: 2024-05-01T09:00:00.000Z */
static int
is_rfc3339_ms(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";

	if (strlen(t) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)t[i]) :
		    t[i] != shape[i])
			return 0;
	return 1;
}

/*
 * check_json_log parses every line of a daemon's log as one JSON object
 * with time, level, daemon and message; returns how many lines carry
 * both the trace id and the run's id, as fields of their own.
 */
static int
check_json_log(const struct h_proc *p, const char *daemon, const char *trace,
    const char *run_id)
{
	char	*text = h_read_file(p->log), *line, *next;
	int	 with_trace = 0, lines = 0;

	assert_non_null(text);
	for (line = text; *line != '\0'; line = next) {
		cJSON		*o;
		const char	*level;

		next = strchr(line, '\n');
		if (next == NULL)
			fail_msg("%s: last line has no newline", p->log);
		*next++ = '\0';
		lines++;
		o = cJSON_Parse(line);
		if (!cJSON_IsObject(o))
			fail_msg("%s: not a JSON object: %s", p->log, line);
		if (!is_rfc3339_ms(api_str(o, "time")))
			fail_msg("%s: time: %s", p->log, line);
		level = api_str(o, "level");
		if (strcmp(level, "debug") != 0 && strcmp(level, "info") != 0 &&
		    strcmp(level, "warn") != 0 && strcmp(level, "error") != 0)
			fail_msg("%s: level: %s", p->log, line);
		if (strcmp(api_str(o, "daemon"), daemon) != 0 ||
		    !cJSON_IsString(cJSON_GetObjectItem(o, "message")))
			fail_msg("%s: daemon or message: %s", p->log, line);
		if (strcmp(api_str(o, "trace_id"), trace) == 0) {
			const cJSON *att = cJSON_GetObjectItem(o, "attempt");

			/* ids are fields, not words of the message */
			assert_null(strstr(api_str(o, "message"), trace));
			if (api_str(o, "run_id")[0] != '\0')
				assert_string_equal(api_str(o, "run_id"),
				    run_id);
			if (strcmp(api_str(o, "run_id"), run_id) == 0)
				with_trace++;
			if (att != NULL)
				assert_true(cJSON_IsNumber(att) &&
				    att->valueint >= 1);
		}
		cJSON_Delete(o);
	}
	assert_true(lines > 0);
	free(text);
	return with_trace;
}

static void
test_trace_in_logs(void **state)
{
	struct api_stack	 s;
	struct api_resp		 r;
	char			 run[H_UUID_LEN + 1], xtrace[64], stored[80];
	char			 prev[64];
	char			 sql[256];
	char			*job;
	PGconn			*c;
	int			 n;
	static const char *const bad[] = {
		"00-" TRACE "-00f067aa0ba902b7-01-extra",	/* 00: 55 only */
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
		"00-" TRACE "-0000000000000000-01",
		"ff-" TRACE "-00f067aa0ba902b7-01",
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
		"00-" TRACE "-00f067aa0ba902b7-0g",
		"00_" TRACE "-00f067aa0ba902b7-01",
	};

	(void)state;
	start_stack(&s, "metrics_trace", 1);
	job = api_create_job(&s, "{\"job_name\":\"t\",\"tasks\":[{"
	    "\"extractor_config\":{\"type\":\"noop\"}},{"
	    "\"extractor_config\":{\"type\":\"noop\"}}]}");
	trigger(&s, job, TRACEPARENT, run, xtrace, sizeof(xtrace));
	assert_string_equal(xtrace, TRACE);
	/* the run keeps it */
	c = h_db_connect(s.db);
	snprintf(sql, sizeof(sql), "SELECT trace_id FROM job_runs WHERE "
	    "run_id = '%s'", run);
	h_db_value(c, sql, stored, sizeof(stored));
	assert_string_equal(stored, TRACE);
	PQfinish(c);
	/* a later version may carry more fields */
	{
		char path[128], hdr[160];
		const char *extra[] = { hdr, NULL };

		snprintf(path, sizeof(path), "/runs/%s", run);
		snprintf(hdr, sizeof(hdr), "traceparent: 01-" TRACE
		    "-00f067aa0ba902b7-01-more");
		api_call_ct(&s, "GET", path, s.admin, "", NULL, 0, extra, &r);
		assert_int_equal(r.status, 200);
		api_header(&r, "X-Trace-Id", xtrace, sizeof(xtrace));
		assert_string_equal(xtrace, TRACE);
		api_resp_free(&r);
	}
	/* a bad traceparent is ignored: a fresh trace id, each its own */
	prev[0] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char hdr[160];
		const char *extra[] = { hdr, NULL };

		snprintf(hdr, sizeof(hdr), "traceparent: %s", bad[i]);
		api_call_ct(&s, "GET", "/health", NULL, "", NULL, 0, extra, &r);
		assert_int_equal(r.status, 200);
		api_header(&r, "X-Trace-Id", xtrace, sizeof(xtrace));
		if (strlen(xtrace) != 32 || strspn(xtrace,
		    "0123456789abcdef") != 32 || strcmp(xtrace, TRACE) == 0 ||
		    strcmp(xtrace, prev) == 0)
			fail_msg("traceparent %s: X-Trace-Id %s", bad[i],
			    xtrace);
		snprintf(prev, sizeof(prev), "%s", xtrace);
		api_resp_free(&r);
	}
	/* the log lines of the three daemons about this run carry it */
	h_sleep_ms(300);	/* the last lines reach the files */
	n = check_json_log(&s.api, "ork-api", TRACE, run);
	if (n < 1)
		fail_msg("no line of %s has trace_id %s", s.api.log, TRACE);
	n = check_json_log(&s.orch, "ork-orchestrator", TRACE, run);
	if (n < 1)
		fail_msg("no line of %s has trace_id %s", s.orch.log, TRACE);
	n = check_json_log(&s.worker, "ork-worker", TRACE, run);
	/* both tasks of the run: started and finished */
	if (n < 4)
		fail_msg("%d lines of %s have trace_id %s, want 4", n,
		    s.worker.log, TRACE);
	free(job);
}

static void
test_queue_gauges(void **state)
{
	struct api_stack	 s;
	struct api_resp		 r;
	struct expo		 o;
	char			 path[128];
	char			*job;
	double			 age;

	(void)state;
	start_stack(&s, "metrics_queue", 0);	/* no worker: work waits */
	job = api_create_job(&s, "{\"job_name\":\"q\",\"tasks\":[{"
	    "\"extractor_config\":{\"type\":\"noop\"}}]}");
	wait_metric(s.ohealth, "ork_orchestrator_leader", "", 1, &o);
	assert_true(expo_value(&o, "ork_queue_depth", "") == 0);
	expo_free(&o);
	snprintf(path, sizeof(path), "/jobs/%s/run", job);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(api_call(&s, "POST", path, s.admin, NULL, &r),
		    201);
		api_resp_free(&r);
	}
	/* read at most once a second: the new value comes within ~1 s */
	wait_metric(s.ohealth, "ork_queue_depth", "", 3, &o);
	assert_true(expo_value(&o, "ork_queue_depth", "") == 3);
	age = expo_value(&o, "ork_queue_oldest_age_seconds", "");
	assert_true(age >= 0 && age < 60);
	expo_free(&o);
	h_sleep_ms(1500);
	scrape(s.ohealth, &o);
	assert_true(expo_value(&o, "ork_queue_oldest_age_seconds", "") >=
	    age + 1);
	assert_true(expo_value(&o, "ork_runs_triggered_total",
	    "triggered_by=\"manual\"") == 3);
	expo_free(&o);
	free(job);
}

/*
 * The leader's metrics: a job firing every second moves the firing lag,
 * and a worker killed under a running task leaves a lease the reaper
 * finds expired and a retry.
 */
static void
test_leader_metrics(void **state)
{
	static const char *const orch_args[] = { "--lease-ms=3000",
	    "--heartbeat-ms=500", "--reap-interval-ms=200", NULL };
	struct api_stack	 s;
	struct api_resp		 r;
	struct expo		 o;
	char			 path[128], run[H_UUID_LEN + 1] = "";
	char			*job, *slow;
	double			 lag;

	(void)state;
	start_stack_args(&s, "metrics_leader", 1, orch_args);
	job = api_create_job(&s, "{\"job_name\":\"every-second\","
	    "\"schedule\":\"* * * * * *\",\"tasks\":[{"
	    "\"extractor_config\":{\"type\":\"noop\"}}]}");
	/* the scheduler learns of a new job when told, or within 10 s */
	wait_metric_ms(s.ohealth, "ork_scheduler_fire_lag_seconds_count", "",
	    2, &o, 30000);
	lag = expo_value(&o, "ork_scheduler_fire_lag_seconds_sum", "") /
	    expo_value(&o, "ork_scheduler_fire_lag_seconds_count", "");
	if (!(lag >= 0 && lag < 5))
		fail_msg("mean firing lag %g s", lag);
	/* the scheduler makes its runs itself, not through TriggerRun */
	assert_true(expo_zero(&o, "ork_runs_triggered_total",
	    "triggered_by=\"scheduled\"") == 0);
	expo_free(&o);
	snprintf(path, sizeof(path), "/jobs/%s", job);
	assert_int_equal(api_call(&s, "PATCH", path, s.admin,
	    "{\"is_active\":false}", &r), 200);
	api_resp_free(&r);

	slow = api_create_job(&s, "{\"job_name\":\"slow\",\"tasks\":[{"
	    "\"max_attempts\":2,\"extractor_config\":{\"type\":"
	    "\"command\",\"argv\":[\"sleep\",\"30\"]}}]}");
	snprintf(path, sizeof(path), "/jobs/%s/run", slow);
	assert_int_equal(api_call(&s, "POST", path, s.admin, NULL, &r), 201);
	snprintf(run, sizeof(run), "%s", api_str(r.json, "run_id"));
	api_resp_free(&r);
	assert_true(api_wait_run(&s, run, "running", 10000));
	wait_metric(s.whealth, "ork_worker_slots", "state=\"busy\"", 1, &o);
	expo_free(&o);
	h_kill(&s.worker);
	s.has_worker = 0;
	/* lease 3 s, reaper every 200 ms */
	wait_metric_ms(s.ohealth, "ork_lease_expiries_total", "", 1, &o,
	    10000);
	expo_free(&o);
	wait_metric(s.ohealth, "ork_task_retries_total", "", 1, &o);
	expo_free(&o);
	free(job);
	free(slow);
}

/* A client scraping as fast as it can while the daemons stop. */
struct scraper {
	int		 ports[2];
	atomic_int	 stop;
	int		 answered;
};

static void *
scrape_loop(void *arg)
{
	struct scraper *sc = arg;

	while (!atomic_load(&sc->stop)) {
		for (int i = 0; i < 2; i++) {
			char url[128], *body = NULL;

			snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics",
			    sc->ports[i]);
			if (h_http("GET", url, NULL, NULL, &body) == 200)
				sc->answered++;
			free(body);
		}
	}
	return NULL;
}

static void
test_scrape_while_stopping(void **state)
{
	struct api_stack	 s;
	struct scraper		 sc;
	pthread_t		 t;
	int			 api_rc, orch_rc, worker_rc;

	(void)state;
	start_stack(&s, "metrics_stop", 1);
	memset(&sc, 0, sizeof(sc));
	sc.ports[0] = s.port;
	sc.ports[1] = s.ohealth;
	assert_int_equal(pthread_create(&t, NULL, scrape_loop, &sc), 0);
	h_sleep_ms(300);
	worker_rc = h_stop(&s.worker, SIGTERM, 15000);
	api_rc = h_stop(&s.api, SIGTERM, 15000);
	orch_rc = h_stop(&s.orch, SIGTERM, 15000);
	atomic_store(&sc.stop, 1);
	pthread_join(t, NULL);
	s.has_api = s.has_orch = s.has_worker = 0;
	assert_true(sc.answered > 0);
	assert_int_equal(worker_rc, 0);
	assert_int_equal(api_rc, 0);
	assert_int_equal(orch_rc, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parser),
		cmocka_unit_test_teardown(test_metrics_move, api_teardown),
		cmocka_unit_test_teardown(test_trace_in_logs, api_teardown),
		cmocka_unit_test_teardown(test_queue_gauges, api_teardown),
		cmocka_unit_test_teardown(test_leader_metrics, api_teardown),
		cmocka_unit_test_teardown(test_scrape_while_stopping,
		    api_teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
