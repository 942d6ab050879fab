/*
 * report.c - the one JSON document ork-perf prints: throughput, latency
 * percentiles, errors, and each daemon's memory and CPU.  Every member is
 * always present (null when nothing was measured), so a reader can rely
 * on the shape.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "daemon.h"
#include "perf.h"

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* add_num adds a number, or null when it is not finite. */
static void
add_num(cJSON *o, const char *name, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

/* round3 keeps three decimals, enough for milliseconds of microseconds. */
static double
round3(double v)
{
	return round(v * 1000.0) / 1000.0;
}

/*
 * percentiles adds {count, p50, p90, p99, max} in milliseconds of n
 * durations in microseconds (sorted in place); nearest-rank percentiles.
 */
static void
percentiles(cJSON *parent, const char *name, int64_t *us, long n)
{
	cJSON		*o = cJSON_AddObjectToObject(parent, name);
	const double	 qs[] = { 0.50, 0.90, 0.99 };
	const char	*names[] = { "p50", "p90", "p99" };

	if (o == NULL)
		return;
	cJSON_AddNumberToObject(o, "count", (double)n);
	if (n > 0)
		qsort(us, (size_t)n, sizeof(*us), cmp_i64);
	for (int i = 0; i < 3; i++) {
		long rank = (long)ceil(qs[i] * (double)n);

		if (n == 0)
			cJSON_AddNullToObject(o, names[i]);
		else
			cJSON_AddNumberToObject(o, names[i],
			    round3((double)us[rank > 0 ? rank - 1 : 0] / 1000.0));
	}
	if (n == 0)
		cJSON_AddNullToObject(o, "max");
	else
		cJSON_AddNumberToObject(o, "max",
		    round3((double)us[n - 1] / 1000.0));
}

static void
format_time(int64_t us, char *buf, size_t len)
{
	time_t		t = (time_t)(us / 1000000);
	struct tm	tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)(us % 1000000));
}

static long
daemons_gone(const struct perf *p)
{
	long n = 0;

	for (int i = 0; i < p->ndaemons; i++)
		n += p->daemons[i].gone;
	return n;
}

/* perf_error_total adds up every kind of error. */
long
perf_error_total(const struct perf *p)
{
	return atomic_load(&p->err.setup) + atomic_load(&p->err.trigger) +
	    atomic_load(&p->err.late) + p->err.failed + p->err.cancelled +
	    p->err.unfinished + p->err.missing + p->err.rows +
	    atomic_load(&p->err.cleanup) + daemons_gone(p);
}

static void
add_latencies(cJSON *root, const struct perf *p)
{
	cJSON	*lat = cJSON_AddObjectToObject(root, "latency_ms");
	int64_t	*ack, *start, *done;
	long	 na = 0, ns = 0, nd = 0;

	ack = calloc((size_t)(p->ntrig > 0 ? p->ntrig : 1), sizeof(*ack));
	start = calloc((size_t)(p->nruns > 0 ? p->nruns : 1), sizeof(*start));
	done = calloc((size_t)(p->nruns > 0 ? p->nruns : 1), sizeof(*done));
	if (lat == NULL || ack == NULL || start == NULL || done == NULL)
		goto out;
	for (long i = 0; i < p->ntrig; i++)
		if (p->ack_us[i] >= 0)
			ack[na++] = p->ack_us[i];
	for (long i = 0; i < p->nruns; i++) {
		const struct perf_run *r = &p->runs[i];

		if (r->trigger_us == 0)
			continue;
		if (r->started_us != 0)
			start[ns++] = r->started_us - r->trigger_us;
		if (r->finished_us != 0 && r->status >= PERF_SUCCESS)
			done[nd++] = r->finished_us - r->trigger_us;
	}
	percentiles(lat, "trigger_ack", ack, na);
	percentiles(lat, "trigger_to_start", start, ns);
	percentiles(lat, "trigger_to_finished", done, nd);
out:
	free(ack);
	free(start);
	free(done);
}

static void
add_runs_and_throughput(cJSON *root, struct perf *p)
{
	cJSON	*runs = cJSON_AddObjectToObject(root, "runs");
	cJSON	*tp = cJSON_AddObjectToObject(root, "throughput");
	long	 count[PERF_STATUS_N] = { 0 }, fin, want = 0;
	int64_t	 first = 0, last = 0;
	double	 window, trig_window;

	if (runs == NULL || tp == NULL)
		return;
	for (long i = 0; i < p->nruns; i++) {
		const struct perf_run *r = &p->runs[i];

		if (r->status >= 0)
			count[r->status]++;
		if (r->trigger_us != 0 && (first == 0 || r->trigger_us < first))
			first = r->trigger_us;
		if (r->finished_us > last)
			last = r->finished_us;
	}
	fin = count[PERF_SUCCESS] + count[PERF_FAILED] + count[PERF_CANCELLED];
	if (p->cfg.mode == PERFCONF_JOBS)
		for (long i = 0; i < p->njobs; i++)
			want += p->job_ids[i][0] != '\0';
	else
		want = p->ntrig;
	p->err.failed = count[PERF_FAILED];
	p->err.cancelled = count[PERF_CANCELLED];
	p->err.unfinished = count[PERF_QUEUED] + count[PERF_RUNNING];
	if (p->cfg.mode == PERFCONF_JOBS)
		p->err.missing = want > p->nruns ? want - p->nruns : 0;
	else
		p->err.missing = atomic_load(&p->triggered) > p->nruns ?
		    atomic_load(&p->triggered) - p->nruns : 0;
	cJSON_AddNumberToObject(runs, "requested", (double)want);
	cJSON_AddNumberToObject(runs, "triggered", p->cfg.mode ==
	    PERFCONF_JOBS ? (double)p->nruns : (double)atomic_load(
	    &p->triggered));
	cJSON_AddNumberToObject(runs, "listed", (double)p->nruns);
	cJSON_AddNumberToObject(runs, "finished", (double)fin);
	cJSON_AddNumberToObject(runs, "success", (double)count[PERF_SUCCESS]);
	cJSON_AddNumberToObject(runs, "failed", (double)count[PERF_FAILED]);
	cJSON_AddNumberToObject(runs, "cancelled",
	    (double)count[PERF_CANCELLED]);
	cJSON_AddNumberToObject(runs, "unfinished",
	    (double)(p->err.unfinished + p->err.missing));
	cJSON_AddNumberToObject(runs, "tasks_per_run",
	    (double)p->cfg.tasks_per_run);

	window = first != 0 && last > first ? (double)(last - first) / 1e6 :
	    NAN;
	trig_window = p->trig_end_us > p->t0_us ?
	    (double)(p->trig_end_us - p->t0_us) / 1e6 : NAN;
	add_num(tp, "window_s", round3(window));
	add_num(tp, "runs_per_s", round3((double)fin / window));
	add_num(tp, "tasks_per_s", round3((double)(fin *
	    p->cfg.tasks_per_run) / window));
	add_num(tp, "triggers_per_s", p->ntrig > 0 ?
	    round3((double)atomic_load(&p->triggered) / trig_window) : NAN);
}

static void
add_errors(cJSON *root, const struct perf *p)
{
	cJSON	*e = cJSON_AddObjectToObject(root, "errors");
	cJSON	*s = cJSON_AddArrayToObject(root, "error_samples");
	int	 n = atomic_load(&p->nsamples);

	if (e == NULL || s == NULL)
		return;
	cJSON_AddNumberToObject(e, "setup", (double)atomic_load(&p->err.setup));
	cJSON_AddNumberToObject(e, "trigger",
	    (double)atomic_load(&p->err.trigger));
	cJSON_AddNumberToObject(e, "late", (double)atomic_load(&p->err.late));
	cJSON_AddNumberToObject(e, "failed", (double)p->err.failed);
	cJSON_AddNumberToObject(e, "cancelled", (double)p->err.cancelled);
	cJSON_AddNumberToObject(e, "unfinished", (double)p->err.unfinished);
	cJSON_AddNumberToObject(e, "missing", (double)p->err.missing);
	cJSON_AddNumberToObject(e, "rows", (double)p->err.rows);
	cJSON_AddNumberToObject(e, "cleanup",
	    (double)atomic_load(&p->err.cleanup));
	cJSON_AddNumberToObject(e, "daemons_gone", (double)daemons_gone(p));
	cJSON_AddNumberToObject(e, "total", (double)perf_error_total(p));
	for (int i = 0; i < n && i < PERF_SAMPLES_MAX; i++)
		cJSON_AddItemToArray(s, cJSON_CreateString(p->samples[i]));
}

static void
add_daemons(cJSON *root, const struct perf *p)
{
	cJSON		*ds = cJSON_AddObjectToObject(root, "daemons");
	cJSON		*self = cJSON_AddObjectToObject(root, "self");
	struct rusage	 ru;

	if (ds == NULL || self == NULL)
		return;
	for (int i = 0; i < p->ndaemons; i++) {
		const struct perf_daemon	*d = &p->daemons[i];
		cJSON				*o;

		if ((o = cJSON_AddObjectToObject(ds, d->name)) == NULL)
			continue;
		cJSON_AddNumberToObject(o, "pid", (double)d->pid);
		cJSON_AddBoolToObject(o, "exited", d->gone);
		add_num(o, "peak_rss_kib", d->gone ? NAN :
		    (double)d->rss_peak_kib);
		add_num(o, "max_rss_sampled_kib", d->gone ? NAN :
		    (double)d->rss_max_sampled_kib);
		add_num(o, "cpu_seconds", d->gone ? NAN : round3(d->cpu_s));
		add_num(o, "cpu_seconds_total", d->gone ? NAN :
		    round3(d->cpu_total_s));
	}
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		cJSON_AddNumberToObject(self, "peak_rss_kib",
		    (double)ru.ru_maxrss);
		cJSON_AddNumberToObject(self, "cpu_seconds", round3(
		    (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec /
		    1e6 + (double)ru.ru_stime.tv_sec +
		    (double)ru.ru_stime.tv_usec / 1e6));
	}
}

/*
 * perf_report builds the document (the caller frees it with
 * cJSON_Delete); it also settles the error counts read from the runs.
 * Returns NULL when out of memory.
 */
cJSON *
perf_report(struct perf *p)
{
	cJSON	*root = cJSON_CreateObject(), *set, *ev, *load;
	char	 when[64], value[PERFCONF_STR_MAX + 1];
	const char *name;
	int	 type;

	if (root == NULL)
		return NULL;
	cJSON_AddStringToObject(root, "tool", "ork-perf");
	cJSON_AddStringToObject(root, "version", daemon_version_string());
	cJSON_AddStringToObject(root, "config", p->cfg.name);
	cJSON_AddStringToObject(root, "mode", perfconf_mode_name(p->cfg.mode));
	if ((set = cJSON_AddObjectToObject(root, "settings")) != NULL)
		for (size_t i = 0; perfconf_key(&p->cfg, i, &name, value,
		    sizeof(value), &type); i++) {
			if (type == PERFCONF_NUMBER)
				cJSON_AddNumberToObject(set, name,
				    strtod(value, NULL));
			else if (type == PERFCONF_BOOLEAN)
				cJSON_AddBoolToObject(set, name,
				    strcmp(value, "true") == 0);
			else
				cJSON_AddStringToObject(set, name, value);
		}
	format_time(p->t0_us, when, sizeof(when));
	cJSON_AddStringToObject(root, "started_at", when);
	add_num(root, "duration_s", round3((double)(p->end_us - p->t0_us) /
	    1e6));
	cJSON_AddBoolToObject(root, "timed_out", p->timed_out);
	add_runs_and_throughput(root, p);
	add_latencies(root, p);
	add_errors(root, p);
	if ((ev = cJSON_AddObjectToObject(root, "events")) != NULL) {
		cJSON_AddBoolToObject(ev, "subscribed",
		    p->cfg.events[0] != '\0');
		cJSON_AddNumberToObject(ev, "seen", (double)atomic_load(&p->events_seen));
		cJSON_AddNumberToObject(ev, "runs_finished",
		    (double)atomic_load(&p->events_final));
	}
	add_daemons(root, p);
	if (p->cfg.mode == PERFCONF_LOAD) {
		if ((load = cJSON_AddObjectToObject(root, "load")) != NULL) {
			double s = (double)p->task_us / 1e6;

			cJSON_AddNumberToObject(load, "rows",
			    (double)p->cfg.rows);
			cJSON_AddNumberToObject(load, "rows_moved",
			    (double)p->rows_moved);
			cJSON_AddNumberToObject(load, "csv_bytes",
			    (double)p->csv_bytes);
			add_num(load, "task_seconds", p->task_us > 0 ?
			    round3(s) : NAN);
			add_num(load, "rows_per_s", p->task_us > 0 ?
			    round3((double)p->rows_moved / s) : NAN);
		}
	} else
		cJSON_AddNullToObject(root, "load");
	return root;
}
