/*
 * metrics.c - the catalog of ork's metrics, their lock-free storage and
 * the Prometheus text rendering.
 *
 * A series' cells: one for a counter (a count) or a gauge (the bits of
 * a double); nbounds + 2 for a histogram (a count per bucket, non-
 * cumulative, then +Inf, then the bits of the sum).  _count is the sum
 * of the bucket counts, so the rendered +Inf bucket always equals it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <civetweb.h>

#include "err.h"
#include "metrics.h"
#include "strbuf.h"
#include "util.h"

#ifndef ORK_VERSION
#define ORK_VERSION "0.0.0"
#endif
#ifndef ORK_GIT_REV
#define ORK_GIT_REV "unknown"
#endif

/* ---- label values and buckets ------------------------------------ */

static const char *const sides[] = { "server", "client", NULL };
/* Requests on the control address; the order of metrics_msg_type_index. */
static const char *const msg_types[] = { "TriggerRun", "CancelRun",
	"RetryRun", "RegisterWorker", "LeaseTasks", "Heartbeat", "ReportTask",
	"TaskLogs", "Ping", "other", NULL };
static const char *const http_statuses[] = { "200", "201", "202", "204",
	"400", "401", "403", "404", "405", "409", "413", "415", "429", "500",
	"502", "503", "504", "other", NULL };
static const char *const triggered_by[] = { "manual", "scheduled",
	"backfill", "other", NULL };
static const char *const run_statuses[] = { "success", "failed",
	"cancelled", "other", NULL };
static const char *const task_statuses[] = { "success", "failed",
	"cancelled", "skipped", "other", NULL };
static const char *const kinds[] = { "noop", "command", "csv", "parquet",
	"http", "other", NULL };
static const char *const outcomes[] = { "success", "failed", "cancelled",
	"timed_out", "handed_back", "lost", NULL };
static const char *const slot_states[] = { "busy", "free", NULL };

/* Request latencies: 0.5 ms to 10 s. */
static const double latency_bounds[] = { 0.0005, 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
/* Trigger to start: 1 ms to 1 min. */
static const double dispatch_bounds[] = { 0.001, 0.0025, 0.005, 0.01,
	0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };
/* Scheduler firing lag: 10 ms to 5 min. */
static const double lag_bounds[] = { 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5,
	10, 30, 60, 300 };
/* Task durations: 10 ms to 6 h. */
static const double duration_bounds[] = { 0.01, 0.05, 0.1, 0.5, 1, 5, 10,
	30, 60, 300, 900, 1800, 3600, 7200, 21600 };

#define NB(a) ((unsigned)(sizeof(a) / sizeof((a)[0])))

/* Route label pairs (metrics_http_routes) and the build info pair. */
static char		 label_text[METRICS_LABEL_TEXT_MAX];
static size_t		 label_used;
static const char	*route_values[METRICS_VALUES_MAX + 1] = {
	"method=\"other\",route=\"unmatched\"", NULL };
static const char	*build_values[2] = { "daemon=\"ork\"", NULL };

/* ---- the catalog ------------------------------------------------- */

#define L1(n, v)	{ { n, v }, { NULL, NULL } }
#define L2(n1, v1, n2, v2)	{ { n1, v1 }, { n2, v2 } }
#define L0		{ { NULL, NULL }, { NULL, NULL } }

struct metric m_build_info = { "ork_build_info",
	"Always 1; the labels name the daemon, its version and revision.",
	METRIC_GAUGE, METRICS_COMMON, L1(NULL, build_values), NULL, 0,
	{ 0, 0 }, 0, 0, NULL };
struct metric m_start_time = { "ork_process_start_time_seconds",
	"When the process started, in Unix seconds.", METRIC_GAUGE,
	METRICS_COMMON, L0, NULL, 0, { 0, 0 }, 0, 0, NULL };
struct metric m_nng_requests = { "ork_nng_requests_total",
	"Requests on the orchestrator's control address, served (side "
	"server) or made (side client), by message type.", METRIC_COUNTER,
	METRICS_COMMON, L2("side", sides, "type", msg_types), NULL, 0,
	{ 0, 0 }, 0, 0, NULL };
struct metric m_nng_errors = { "ork_nng_request_errors_total",
	"Requests answered with an Error (server) or that failed: error "
	"answer, timeout, no connection (client).", METRIC_COUNTER,
	METRICS_COMMON, L2("side", sides, "type", msg_types), NULL, 0,
	{ 0, 0 }, 0, 0, NULL };
struct metric m_nng_duration = { "ork_nng_request_duration_seconds",
	"Time to serve a request (server: decode to answer, deferred answers "
	"included) or to get its answer (client).", METRIC_HISTOGRAM,
	METRICS_COMMON, L2("side", sides, "type", msg_types), latency_bounds,
	NB(latency_bounds), { 0, 0 }, 0, 0, NULL };

struct metric m_http_requests = { "ork_http_requests_total",
	"HTTP requests answered, by route pattern and status.",
	METRIC_COUNTER, METRICS_API, L2(NULL, route_values, "status",
	http_statuses), NULL, 0, { 0, 0 }, 0, 0, NULL };
struct metric m_http_duration = { "ork_http_request_duration_seconds",
	"Time from routing a request to its answer, by route pattern.",
	METRIC_HISTOGRAM, METRICS_API, L1(NULL, route_values),
	latency_bounds, NB(latency_bounds), { 0, 0 }, 0, 0, NULL };
struct metric m_db_pool_in_use = { "ork_db_pool_connections_in_use",
	"Database connections of the pool checked out now.", METRIC_GAUGE,
	METRICS_API, L0, NULL, 0, { 0, 0 }, 0, 0, NULL };
struct metric m_db_pool_size = { "ork_db_pool_connections_max",
	"Most connections the database pool opens.", METRIC_GAUGE,
	METRICS_API, L0, NULL, 0, { 0, 0 }, 0, 0, NULL };

struct metric m_runs_triggered = { "ork_runs_triggered_total",
	"Runs created by TriggerRun requests this replica served, by "
	"trigger (the scheduler's firings count in "
	"ork_scheduler_fire_lag_seconds).",
	METRIC_COUNTER, METRICS_ORCHESTRATOR, L1("triggered_by",
	triggered_by), NULL, 0, { 0, 0 }, 0, 0, NULL };
struct metric m_runs_started = { "ork_runs_started_total",
	"Runs that started running (counted by the leader from the event "
	"log).", METRIC_COUNTER, METRICS_ORCHESTRATOR, L0, NULL, 0, { 0, 0 },
	0, 0, NULL };
struct metric m_runs_finished = { "ork_runs_finished_total",
	"Runs that finished, by status (counted by the leader from the event "
	"log).", METRIC_COUNTER, METRICS_ORCHESTRATOR, L1("status",
	run_statuses), NULL, 0, { 0, 0 }, 0, 0, NULL };
struct metric m_tasks_started = { "ork_tasks_started_total",
	"Task attempts that started running (counted by the leader from the "
	"event log).", METRIC_COUNTER, METRICS_ORCHESTRATOR, L0, NULL, 0,
	{ 0, 0 }, 0, 0, NULL };
struct metric m_tasks_finished = { "ork_tasks_finished_total",
	"Task runs that finished, by status (counted by the leader from the "
	"event log).", METRIC_COUNTER, METRICS_ORCHESTRATOR, L1("status",
	task_statuses), NULL, 0, { 0, 0 }, 0, 0, NULL };
struct metric m_task_retries = { "ork_task_retries_total",
	"Failed attempts put back to wait for a retry (counted by the leader "
	"from the event log).", METRIC_COUNTER, METRICS_ORCHESTRATOR, L0,
	NULL, 0, { 0, 0 }, 0, 0, NULL };
struct metric m_lease_expiries = { "ork_lease_expiries_total",
	"Leases the reaper found expired.", METRIC_COUNTER,
	METRICS_ORCHESTRATOR, L0, NULL, 0, { 0, 0 }, 0, 0, NULL };
struct metric m_queue_depth = { "ork_queue_depth",
	"Task runs ready to be leased now (queued, or retrying and due).",
	METRIC_GAUGE, METRICS_ORCHESTRATOR, L0, NULL, 0, { 0, 0 }, 0, 0,
	NULL };
struct metric m_queue_oldest_age = { "ork_queue_oldest_age_seconds",
	"How long the oldest ready task run has been ready (0 when none).",
	METRIC_GAUGE, METRICS_ORCHESTRATOR, L0, NULL, 0, { 0, 0 }, 0, 0,
	NULL };
struct metric m_leader = { "ork_orchestrator_leader",
	"1 when this replica holds leadership (scheduler and reaper).",
	METRIC_GAUGE, METRICS_ORCHESTRATOR, L0, NULL, 0, { 0, 0 }, 0, 0,
	NULL };
struct metric m_sched_lag = { "ork_scheduler_fire_lag_seconds",
	"Time from a cron slot to the scheduler firing it.", METRIC_HISTOGRAM,
	METRICS_ORCHESTRATOR, L0, lag_bounds, NB(lag_bounds), { 0, 0 }, 0, 0,
	NULL };

struct metric m_worker_tasks = { "ork_worker_tasks_total",
	"Task attempts this worker ran to an end, by kind and outcome.",
	METRIC_COUNTER, METRICS_WORKER, L2("kind", kinds, "outcome",
	outcomes), NULL, 0, { 0, 0 }, 0, 0, NULL };
struct metric m_task_duration = { "ork_task_duration_seconds",
	"Time a task attempt ran on this worker, by kind.", METRIC_HISTOGRAM,
	METRICS_WORKER, L1("kind", kinds), duration_bounds,
	NB(duration_bounds), { 0, 0 }, 0, 0, NULL };
struct metric m_task_rows = { "ork_task_rows_total",
	"Rows moved by task attempts that succeeded, by kind.",
	METRIC_COUNTER, METRICS_WORKER, L1("kind", kinds), NULL, 0, { 0, 0 },
	0, 0, NULL };
struct metric m_dispatch_latency = { "ork_dispatch_latency_seconds",
	"Time from a run's trigger to the start of its first task on a "
	"worker (first attempts of task_order 0).", METRIC_HISTOGRAM,
	METRICS_WORKER, L0, dispatch_bounds, NB(dispatch_bounds), { 0, 0 }, 0,
	0, NULL };
struct metric m_worker_slots = { "ork_worker_slots",
	"Task slots of this worker, busy or free.", METRIC_GAUGE,
	METRICS_WORKER, L1("state", slot_states), NULL, 0, { 0, 0 }, 0, 0,
	NULL };

static struct metric *const catalog[] = {
	&m_build_info, &m_start_time, &m_nng_requests, &m_nng_errors,
	&m_nng_duration, &m_http_requests, &m_http_duration,
	&m_db_pool_in_use, &m_db_pool_size, &m_runs_triggered,
	&m_runs_started, &m_runs_finished, &m_tasks_started,
	&m_tasks_finished, &m_task_retries, &m_lease_expiries,
	&m_queue_depth, &m_queue_oldest_age, &m_leader, &m_sched_lag,
	&m_worker_tasks, &m_task_duration, &m_task_rows, &m_dispatch_latency,
	&m_worker_slots,
};

/* ---- storage ----------------------------------------------------- */

static _Atomic uint64_t	 cells[METRICS_CELLS_MAX];
static unsigned		 cells_used;
static struct metric	*families[METRICS_FAMILIES_MAX];
static atomic_uint	 nfamilies;

struct hook {
	void	(*fn)(void *);
	void	*arg;
};
static struct hook	 hooks[METRICS_HOOKS_MAX];
static atomic_uint	 nhooks;

static uint64_t
dbits(double v)
{
	uint64_t b;

	memcpy(&b, &v, sizeof(b));
	return b;
}

static double
bitsd(uint64_t b)
{
	double v;

	memcpy(&v, &b, sizeof(v));
	return v;
}

static unsigned
count_values(const char *const *v)
{
	unsigned n = 0;

	if (v == NULL)
		return 1;
	while (v[n] != NULL)
		n++;
	return n;
}

int
metrics_register(struct metric *m)
{
	unsigned n, need, nf = atomic_load(&nfamilies);

	if (m->cells != NULL)
		return 0;
	if (m->nbounds > METRICS_BUCKETS_MAX || nf == METRICS_FAMILIES_MAX)
		return ORK_ENOMEM;
	n = 1;
	for (int d = 0; d < METRICS_LABELS_MAX; d++) {
		m->nvalues[d] = count_values(m->labels[d].values);
		if (m->nvalues[d] == 0 || m->nvalues[d] > METRICS_VALUES_MAX)
			return ORK_ENOMEM;
		n *= m->nvalues[d];
	}
	m->stride = m->type == METRIC_HISTOGRAM ? m->nbounds + 2 : 1;
	need = n * m->stride;
	if (need > METRICS_CELLS_MAX - cells_used)
		return ORK_ENOMEM;
	m->nseries = n;
	m->cells = &cells[cells_used];
	cells_used += need;
	if (m->type == METRIC_GAUGE)
		for (unsigned i = 0; i < n; i++)
			atomic_store(&m->cells[i], dbits(0.0));
	families[nf] = m;
	atomic_store(&nfamilies, nf + 1);
	return 0;
}

/* escape writes v with \, " and newline escaped; -1 when it does not fit. */
static int
escape(const char *v, char *out, size_t len)
{
	size_t n = 0;

	for (; *v != '\0'; v++) {
		if (n + 3 > len)
			return -1;
		if (*v == '"' || *v == '\\' || *v == '\n') {
			out[n++] = '\\';
			out[n++] = *v == '\n' ? 'n' : *v;
		} else {
			out[n++] = *v;
		}
	}
	out[n] = '\0';
	return 0;
}

/*
 * label_pair stores a="v1",b="v2" (b may be NULL) in the label text;
 * returns it, or NULL when the text is full.
 */
static const char *
label_pair(const char *a, const char *v1, const char *b, const char *v2)
{
	char	 e1[512], e2[512];
	char	*start = label_text + label_used;
	size_t	 room = sizeof(label_text) - label_used;
	int	 n;

	if (escape(v1, e1, sizeof(e1)) != 0 ||
	    (b != NULL && escape(v2, e2, sizeof(e2)) != 0))
		return NULL;
	if (b != NULL)
		n = snprintf(start, room, "%s=\"%s\",%s=\"%s\"", a, e1, b, e2);
	else
		n = snprintf(start, room, "%s=\"%s\"", a, e1);
	if (n < 0 || (size_t)n >= room)
		return NULL;
	label_used += (size_t)n + 1;
	return start;
}

int
metrics_http_routes(const char *const *methods, const char *const *paths,
    size_t n)
{
	const char *v;

	if (n + 1 > METRICS_VALUES_MAX)
		return ORK_ETOOBIG;
	for (size_t i = 0; i < n; i++) {
		if ((v = label_pair("method", methods[i], "route",
		    paths[i])) == NULL)
			return ORK_ETOOBIG;
		route_values[i] = v;
	}
	route_values[n] = "method=\"other\",route=\"unmatched\"";
	route_values[n + 1] = NULL;
	return 0;
}

int
metrics_init(const char *daemon, unsigned groups)
{
	char	 d[128], ver[128], rev[128];
	char	*start = label_text + label_used;
	size_t	 room = sizeof(label_text) - label_used;
	int	 n, rc;

	if (escape(daemon, d, sizeof(d)) != 0 ||
	    escape(ORK_VERSION, ver, sizeof(ver)) != 0 ||
	    escape(ORK_GIT_REV, rev, sizeof(rev)) != 0)
		return ORK_ENOMEM;
	n = snprintf(start, room, "daemon=\"%s\",version=\"%s\","
	    "revision=\"%s\"", d, ver, rev);
	if (n < 0 || (size_t)n >= room)
		return ORK_ENOMEM;
	label_used += (size_t)n + 1;
	build_values[0] = start;
	for (size_t i = 0; i < sizeof(catalog) / sizeof(catalog[0]); i++) {
		if ((catalog[i]->groups & (groups | METRICS_COMMON)) == 0)
			continue;
		if ((rc = metrics_register(catalog[i])) != 0)
			return rc;
	}
	metrics_set(&m_build_info, 0, 1);
	metrics_set(&m_start_time, 0, (double)util_now_us() / 1e6);
	return 0;
}

int
metrics_on_scrape(void (*fn)(void *arg), void *arg)
{
	unsigned n = atomic_load(&nhooks);

	if (n == METRICS_HOOKS_MAX)
		return ORK_ENOMEM;
	hooks[n].fn = fn;
	hooks[n].arg = arg;
	atomic_store(&nhooks, n + 1);
	return 0;
}

/* ---- updates ----------------------------------------------------- */

unsigned
metrics_series2(const struct metric *m, unsigned i, unsigned j)
{
	if (m->cells == NULL || i >= m->nvalues[0] || j >= m->nvalues[1])
		return (unsigned)-1;
	return i * m->nvalues[1] + j;
}

void
metrics_add(struct metric *m, unsigned series, uint64_t n)
{
	if (m->cells == NULL || series >= m->nseries)
		return;
	atomic_fetch_add_explicit(&m->cells[series], n, memory_order_relaxed);
}

void
metrics_inc(struct metric *m, unsigned series)
{
	metrics_add(m, series, 1);
}

/* add_double adds d to the double whose bits a cell holds. */
static void
add_double(_Atomic uint64_t *cell, double d)
{
	uint64_t old = atomic_load_explicit(cell, memory_order_relaxed);

	while (!atomic_compare_exchange_weak_explicit(cell, &old,
	    dbits(bitsd(old) + d), memory_order_relaxed, memory_order_relaxed))
		;
}

void
metrics_set(struct metric *m, unsigned series, double v)
{
	if (m->cells == NULL || series >= m->nseries)
		return;
	atomic_store_explicit(&m->cells[series], dbits(v),
	    memory_order_relaxed);
}

void
metrics_gauge_add(struct metric *m, unsigned series, double d)
{
	if (m->cells == NULL || series >= m->nseries)
		return;
	add_double(&m->cells[series], d);
}

void
metrics_observe(struct metric *m, unsigned series, double v)
{
	_Atomic uint64_t	*c;
	unsigned		 b = 0;

	if (m->cells == NULL || series >= m->nseries || isnan(v))
		return;
	c = &m->cells[series * m->stride];
	while (b < m->nbounds && v > m->bounds[b])
		b++;
	atomic_fetch_add_explicit(&c[b], 1, memory_order_relaxed);
	add_double(&c[m->nbounds + 1], v);
}

double
metrics_value(const struct metric *m, unsigned series)
{
	uint64_t v;

	if (m->cells == NULL || series >= m->nseries)
		return 0;
	v = atomic_load_explicit(&m->cells[series], memory_order_relaxed);
	return m->type == METRIC_GAUGE ? bitsd(v) : (double)v;
}

double
metrics_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
metrics_nng(int side, int type, int failed, double seconds)
{
	unsigned s = metrics_series2(&m_nng_requests, (unsigned)side,
	    metrics_msg_type_index(type));

	metrics_inc(&m_nng_requests, s);
	if (failed)
		metrics_inc(&m_nng_errors, s);
	metrics_observe(&m_nng_duration, s, seconds);
}

void
metrics_http(unsigned route, int status, double seconds)
{
	metrics_inc(&m_http_requests, metrics_series2(&m_http_requests, route,
	    metrics_status_index(status)));
	metrics_observe(&m_http_duration, route, seconds);
}

void
metrics_lease_expired(unsigned n)
{
	metrics_add(&m_lease_expiries, 0, n);
}

void
metrics_sched_lag(double seconds)
{
	metrics_observe(&m_sched_lag, 0, seconds);
}

int
metrics_index(const struct metric *m, unsigned dim, const char *value)
{
	const char *const	*v;
	int			 other = -1;

	if (dim >= METRICS_LABELS_MAX || (v = m->labels[dim].values) == NULL)
		return -1;
	for (int i = 0; v[i] != NULL; i++) {
		if (value != NULL && strcmp(v[i], value) == 0)
			return i;
		if (strcmp(v[i], "other") == 0)
			other = i;
	}
	return other;
}

unsigned
metrics_status_index(int status)
{
	char	num[16];
	int	i;

	snprintf(num, sizeof(num), "%d", status);
	i = metrics_index(&m_http_requests, 1, num);
	return (unsigned)i;
}

unsigned
metrics_msg_type_index(int type)
{
	switch (type) {
	case 10: return 0;	/* TriggerRun */
	case 12: return 1;	/* CancelRun */
	case 14: return 2;	/* RetryRun */
	case 20: return 3;	/* RegisterWorker */
	case 22: return 4;	/* LeaseTasks */
	case 24: return 5;	/* Heartbeat */
	case 26: return 6;	/* ReportTask */
	case 28: return 7;	/* TaskLogs */
	case 30: return 8;	/* Ping */
	}
	return 9;		/* other */
}

/* ---- rendering --------------------------------------------------- */

static int
put_double(struct strbuf *out, double v)
{
	if (isnan(v))
		return strbuf_puts(out, "NaN");
	if (isinf(v))
		return strbuf_puts(out, v > 0 ? "+Inf" : "-Inf");
	if (v == (double)(int64_t)v && fabs(v) < 9e15)
		return strbuf_printf(out, "%lld", (long long)v);
	return strbuf_printf(out, "%.15g", v);
}

/* put_labels writes {labels} of a series, with le when le is not NULL. */
static int
put_labels(struct strbuf *out, const struct metric *m, unsigned series,
    const char *le)
{
	unsigned	idx[METRICS_LABELS_MAX];
	unsigned	rest = series;
	int		any = 0, rc = 0;

	for (int d = METRICS_LABELS_MAX - 1; d >= 0; d--) {
		idx[d] = rest % m->nvalues[d];
		rest /= m->nvalues[d];
	}
	for (int d = 0; d < METRICS_LABELS_MAX && rc == 0; d++) {
		const struct metric_label *l = &m->labels[d];
		char esc[512];

		if (l->values == NULL)
			continue;
		rc = strbuf_puts(out, any ? "," : "{");
		any = 1;
		if (rc != 0)
			break;
		if (l->name == NULL) {
			rc = strbuf_puts(out, l->values[idx[d]]);
		} else {
			if (escape(l->values[idx[d]], esc, sizeof(esc)) != 0)
				snprintf(esc, sizeof(esc), "other");
			rc = strbuf_printf(out, "%s=\"%s\"", l->name, esc);
		}
	}
	if (rc == 0 && le != NULL)
		rc = strbuf_printf(out, "%sle=\"%s\"", any ? "," : "{", le);
	if (rc == 0 && (any || le != NULL))
		rc = strbuf_puts(out, "}");
	return rc;
}

/* A metric of many series shows only those that moved. */
#define SPARSE_FROM 16

static int
render_one(struct strbuf *out, const struct metric *m)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	int rc;

	rc = strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", m->name,
	    m->help, m->name, types[m->type]);
	for (unsigned s = 0; s < m->nseries && rc == 0; s++) {
		const _Atomic uint64_t	*c = &m->cells[s * m->stride];
		uint64_t		 counts[METRICS_BUCKETS_MAX + 1];
		uint64_t		 total = 0, cum = 0;
		char			 le[32];

		if (m->type != METRIC_HISTOGRAM) {
			uint64_t v = atomic_load_explicit(c,
			    memory_order_relaxed);

			if (m->type == METRIC_COUNTER && v == 0 &&
			    m->nseries > SPARSE_FROM)
				continue;
			rc = strbuf_puts(out, m->name);
			rc = rc != 0 ? rc : put_labels(out, m, s, NULL);
			rc = rc != 0 ? rc : strbuf_puts(out, " ");
			if (rc == 0 && m->type == METRIC_COUNTER)
				rc = strbuf_printf(out, "%llu",
				    (unsigned long long)v);
			else if (rc == 0)
				rc = put_double(out, bitsd(v));
			rc = rc != 0 ? rc : strbuf_puts(out, "\n");
			continue;
		}
		/* one snapshot of the buckets: +Inf and _count agree */
		for (unsigned b = 0; b <= m->nbounds; b++) {
			counts[b] = atomic_load_explicit(&c[b],
			    memory_order_relaxed);
			total += counts[b];
		}
		if (total == 0 && m->nseries > SPARSE_FROM)
			continue;
		for (unsigned b = 0; b <= m->nbounds && rc == 0; b++) {
			cum += counts[b];
			if (b < m->nbounds)
				snprintf(le, sizeof(le), "%.15g", m->bounds[b]);
			else
				snprintf(le, sizeof(le), "+Inf");
			rc = strbuf_printf(out, "%s_bucket", m->name);
			rc = rc != 0 ? rc : put_labels(out, m, s, le);
			rc = rc != 0 ? rc : strbuf_printf(out, " %llu\n",
			    (unsigned long long)cum);
		}
		rc = rc != 0 ? rc : strbuf_printf(out, "%s_sum", m->name);
		rc = rc != 0 ? rc : put_labels(out, m, s, NULL);
		rc = rc != 0 ? rc : strbuf_puts(out, " ");
		rc = rc != 0 ? rc : put_double(out, bitsd(atomic_load_explicit(
		    &c[m->nbounds + 1], memory_order_relaxed)));
		rc = rc != 0 ? rc : strbuf_printf(out, "\n%s_count", m->name);
		rc = rc != 0 ? rc : put_labels(out, m, s, NULL);
		rc = rc != 0 ? rc : strbuf_printf(out, " %llu\n",
		    (unsigned long long)total);
	}
	return rc;
}

int
metrics_render(struct strbuf *out)
{
	unsigned	n = atomic_load(&nhooks), nf;
	int		rc = 0;

	for (unsigned i = 0; i < n; i++)
		hooks[i].fn(hooks[i].arg);
	nf = atomic_load(&nfamilies);
	for (unsigned i = 0; i < nf && rc == 0; i++)
		rc = render_one(out, families[i]);
	return rc;
}

int
metrics_reply(struct mg_connection *c)
{
	struct strbuf	body;
	int		rc;

	strbuf_init(&body, METRICS_RENDER_MAX);
	rc = metrics_render(&body);
	if (rc != 0) {
		static const char msg[] = "could not render the metrics\n";

		strbuf_free(&body);
		mg_printf(c, "HTTP/1.1 500 Internal Server Error\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n"
		    "Content-Length: %zu\r\nCache-Control: no-store\r\n\r\n",
		    sizeof(msg) - 1);
		mg_write(c, msg, sizeof(msg) - 1);
		return 500;
	}
	mg_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n\r\n",
	    METRICS_CONTENT_TYPE, body.len);
	mg_write(c, strbuf_str(&body), body.len);
	strbuf_free(&body);
	return 200;
}
