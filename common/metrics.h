/*
 * metrics.h - counters, gauges and histograms served as Prometheus text
 * (exposition format 0.0.4) at GET /metrics.
 *
 * Every metric of ork is declared here and defined in metrics.c (the
 * catalog docs/observability.md describes).  Its labels take a fixed,
 * bounded set of values known at start-up, so every series has a cell
 * in static storage, allocated once when a daemon registers the metrics
 * it serves (metrics_init, before any thread starts).  Updating a series
 * is one or two C11 atomic operations: no lock, no allocation.  Label
 * values are chosen by index: metrics_series2(m, i, j) for two labels,
 * the index itself for one.  An index out of range, or a metric this
 * daemon did not register, is ignored.
 *
 * Rendering reads the cells at scrape time, after running the scrape
 * hooks (gauges read from elsewhere: a database query, a pool).
 */
#ifndef ORK_METRICS_H
#define ORK_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct mg_connection;
struct strbuf;

/* Limits: labels per metric, values per label, metrics, buckets, cells. */
#define METRICS_LABELS_MAX	2
#define METRICS_VALUES_MAX	128
#define METRICS_FAMILIES_MAX	64
#define METRICS_BUCKETS_MAX	16
#define METRICS_CELLS_MAX	32768
#define METRICS_HOOKS_MAX	8
/* Longest answer to a scrape. */
#define METRICS_RENDER_MAX	(4 * 1024 * 1024)
/* Bytes of pre-rendered label text (route labels, build info). */
#define METRICS_LABEL_TEXT_MAX	16384

enum metric_type {
	METRIC_COUNTER = 0,
	METRIC_GAUGE = 1,
	METRIC_HISTOGRAM = 2
};

/* Which daemons serve a metric (metrics_init's groups). */
#define METRICS_COMMON		0x1
#define METRICS_API		0x2
#define METRICS_ORCHESTRATOR	0x4
#define METRICS_WORKER		0x8

/*
 * One label dimension: a name and its NULL-terminated values.  A NULL
 * name means the values are already rendered label pairs
 * (method="GET",route="/jobs") built by metrics.c.
 */
struct metric_label {
	const char		*name;
	const char *const	*values;
};

struct metric {
	const char		*name;
	const char		*help;
	enum metric_type	 type;
	unsigned		 groups;
	struct metric_label	 labels[METRICS_LABELS_MAX];
	const double		*bounds;	/* histograms: increasing */
	unsigned		 nbounds;
	/* filled by registration */
	unsigned		 nvalues[METRICS_LABELS_MAX];
	unsigned		 nseries;
	unsigned		 stride;	/* cells per series */
	_Atomic uint64_t	*cells;		/* NULL: not served here */
};

/* ---- the catalog ------------------------------------------------- */

/* every daemon */
extern struct metric m_build_info;
extern struct metric m_start_time;
extern struct metric m_nng_requests;		/* {side, type} */
extern struct metric m_nng_errors;		/* {side, type} */
extern struct metric m_nng_duration;		/* {side, type} */

/* ork-api */
extern struct metric m_http_requests;		/* {route, status} */
extern struct metric m_http_duration;		/* {route} */
extern struct metric m_db_pool_in_use;
extern struct metric m_db_pool_size;

/* ork-orchestrator */
extern struct metric m_runs_triggered;		/* {triggered_by} */
extern struct metric m_runs_started;
extern struct metric m_runs_finished;		/* {status} */
extern struct metric m_tasks_started;
extern struct metric m_tasks_finished;		/* {status} */
extern struct metric m_task_retries;
extern struct metric m_lease_expiries;
extern struct metric m_queue_depth;
extern struct metric m_queue_oldest_age;
extern struct metric m_leader;
extern struct metric m_sched_lag;

/* ork-worker */
extern struct metric m_worker_tasks;		/* {kind, outcome} */
extern struct metric m_task_duration;		/* {kind} */
extern struct metric m_task_rows;		/* {kind} */
extern struct metric m_dispatch_latency;
extern struct metric m_worker_slots;		/* {state} */

/* Label value indexes of the catalog's fixed label sets. */
enum metrics_side { METRICS_SIDE_SERVER = 0, METRICS_SIDE_CLIENT = 1 };
enum metrics_slot { METRICS_SLOT_BUSY = 0, METRICS_SLOT_FREE = 1 };

/* ---- start-up ---------------------------------------------------- */

/*
 * metrics_init registers the common metrics and those of groups for the
 * daemon named (its build info).  Call once from main before threads
 * start.  Returns 0, or ORK_ENOMEM when the static storage is too small
 * (a programmer error: raise METRICS_CELLS_MAX).
 */
int metrics_init(const char *daemon, unsigned groups);

/*
 * metrics_register registers one metric (metrics_init does the
 * catalog's; tests register their own).  Registering twice is a no-op.
 */
int metrics_register(struct metric *m);

/*
 * metrics_http_routes gives the http metrics their route label values:
 * n routes, each a method and a path pattern ("/jobs/{job_id}"), plus
 * one more for requests that matched none (index n).  Call before
 * metrics_init.  Returns ORK_ETOOBIG when they do not fit.
 */
int metrics_http_routes(const char *const *methods,
    const char *const *paths, size_t n);

/*
 * metrics_on_scrape adds a hook run before every rendering (from an
 * HTTP thread; several scrapes may run at once): it sets gauges read
 * from elsewhere.  arg must outlive the server that serves /metrics.
 */
int metrics_on_scrape(void (*fn)(void *arg), void *arg);

/* ---- updates (lock-free) ----------------------------------------- */

/* metrics_series2 returns the series index of label values i and j. */
unsigned metrics_series2(const struct metric *m, unsigned i, unsigned j);

/* metrics_add adds n to a counter's series. */
void metrics_add(struct metric *m, unsigned series, uint64_t n);

/* metrics_inc adds 1 to a counter's series. */
void metrics_inc(struct metric *m, unsigned series);

/* metrics_set sets a gauge's series. */
void metrics_set(struct metric *m, unsigned series, double v);

/* metrics_gauge_add adds d (may be negative) to a gauge's series. */
void metrics_gauge_add(struct metric *m, unsigned series, double d);

/* metrics_observe records one value (seconds, rows) in a histogram. */
void metrics_observe(struct metric *m, unsigned series, double v);

/* metrics_now returns a monotonic clock in seconds, for durations. */
double metrics_now(void);

/*
 * metrics_nng counts one request of a message type on a side
 * (enum metrics_side), failed or not, that took seconds.
 */
void metrics_nng(int side, int type, int failed, double seconds);

/*
 * metrics_http counts one HTTP answer: route is the index given to
 * metrics_http_routes (n for none), status the answer's.
 */
void metrics_http(unsigned route, int status, double seconds);

/* metrics_value reads a counter or gauge series (tests). */
double metrics_value(const struct metric *m, unsigned series);

/*
 * metrics_lease_expired counts leases the reaper found expired: for the
 * leader's loop, which knows how many ork_reap requeued or failed.
 */
void metrics_lease_expired(unsigned n);

/*
 * metrics_sched_lag records how late the scheduler fired a cron slot
 * (seconds after the slot): for the scheduler, once per firing.  The
 * same as metrics_observe(&m_sched_lag, 0, seconds).
 */
void metrics_sched_lag(double seconds);

/*
 * metrics_index returns the index of value among a metric label's
 * values, or the index of "other" when it has one, else -1.
 */
int metrics_index(const struct metric *m, unsigned dim, const char *value);

/* metrics_status_index maps an HTTP status to m_http_requests' label. */
unsigned metrics_status_index(int status);

/* metrics_msg_type_index maps a message type to the nng metrics' label. */
unsigned metrics_msg_type_index(int type);

/* ---- rendering --------------------------------------------------- */

/*
 * metrics_render appends every registered metric to out.  Returns 0 or
 * ORK_ETOOBIG / ORK_ENOMEM.
 */
int metrics_render(struct strbuf *out);

/*
 * metrics_reply answers an HTTP request with the rendering (200), or 500
 * when it could not be built.  Returns the status.
 */
int metrics_reply(struct mg_connection *c);

/* The content type of the exposition format. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif /* ORK_METRICS_H */
