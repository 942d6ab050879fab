/*
 * collect.c - waiting until every run finished and reading what the API
 * recorded of them.  Events on the SUB socket (when given) only say when
 * to look: the times measured are the state store's, read through the
 * API at the end, never the moment a message arrived here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>

#include "daemon.h"
#include "err.h"
#include "log.h"
#include "msg.h"
#include "perf.h"
#include "util.h"

/* Runs kept beyond those asked for (a hard limit on the listing). */
#define RUNS_SLACK 1024

static const char *const status_names[PERF_STATUS_N] = {
	"queued", "running", "success", "failed", "cancelled"
};

/* Job ids in order, so an id from an event or a page is found quickly. */
static long	*by_id;
static struct perf *by_id_p;

static int
cmp_job(const void *a, const void *b)
{
	return strcmp(by_id_p->job_ids[*(const long *)a],
	    by_id_p->job_ids[*(const long *)b]);
}

static int
index_jobs(struct perf *p)
{
	if (by_id != NULL)
		return 0;
	if ((by_id = calloc((size_t)p->njobs, sizeof(*by_id))) == NULL)
		return ORK_ENOMEM;
	for (long i = 0; i < p->njobs; i++)
		by_id[i] = i;
	by_id_p = p;
	qsort(by_id, (size_t)p->njobs, sizeof(*by_id), cmp_job);
	return 0;
}

/* job_index returns the index of a job made here, -1 for another's. */
static long
job_index(const struct perf *p, const char *id)
{
	long lo = 0, hi = p->njobs - 1;

	while (lo <= hi) {
		long	mid = lo + (hi - lo) / 2;
		int	c = strcmp(p->job_ids[by_id[mid]], id);

		if (c == 0)
			return by_id[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/*
 * perf_time_parse reads an RFC 3339 time in UTC as the API writes it
 * ("2024-05-01T09:00:00.000000Z", fraction optional) into Unix
 * microseconds.  Returns 0 or ORK_EINVAL.
 */
int
perf_time_parse(const char *s, int64_t *us)
{
	struct tm	tm;
	int		f[6], frac = 0, digits = 0, n = 0;
	const char	*sep = "--T::";
	const char	*q = s;
	time_t		t;

	memset(&tm, 0, sizeof(tm));
	for (int i = 0; i < 6; i++) {
		int want = i == 0 ? 4 : 2;

		f[i] = 0;
		for (int d = 0; d < want; d++, q++) {
			if (*q < '0' || *q > '9')
				return ORK_EINVAL;
			f[i] = f[i] * 10 + (*q - '0');
		}
		if (i < 5 && *q++ != sep[i])
			return ORK_EINVAL;
	}
	if (*q == '.') {
		for (q++; *q >= '0' && *q <= '9'; q++, n++)
			if (digits < 6) {
				frac = frac * 10 + (*q - '0');
				digits++;
			}
		if (n == 0)
			return ORK_EINVAL;
		for (; digits < 6; digits++)
			frac *= 10;
	}
	if (strcmp(q, "Z") != 0 || f[1] < 1 || f[1] > 12 || f[2] < 1 ||
	    f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 60)
		return ORK_EINVAL;
	tm.tm_year = f[0] - 1900;
	tm.tm_mon = f[1] - 1;
	tm.tm_mday = f[2];
	tm.tm_hour = f[3];
	tm.tm_min = f[4];
	tm.tm_sec = f[5];
	t = timegm(&tm);
	*us = (int64_t)t * 1000000 + frac;
	return 0;
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

/* list_path writes the path of a page of this measure's runs. */
static void
list_path(const struct perf *p, const char *status, const char *cursor,
    long limit, char *buf, size_t len)
{
	char since[64];
	int  n;

	if (p->cfg.mode == PERFCONF_JOBS) {
		format_time(p->t0_us, since, sizeof(since));
		n = snprintf(buf, len, "/runs?since=%s&limit=%ld", since,
		    limit);
	} else
		n = snprintf(buf, len, "/jobs/%s/runs?limit=%ld",
		    p->job_ids[0], limit);
	if (status != NULL && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "&status=%s", status);
	if (cursor != NULL && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "&cursor=%s", cursor);
}

/* any_active says whether a run of this measure is queued or running. */
static int
any_active(struct perf *p, struct perf_http *h)
{
	for (int s = PERF_QUEUED; s <= PERF_RUNNING; s++) {
		struct perf_resp	 r;
		const cJSON		*items;
		char			 path[512], why[256];
		int			 found;

		list_path(p, status_names[s], NULL, 1, path, sizeof(path));
		perf_http_call(h, "GET", path, NULL, &r);
		items = cJSON_GetObjectItemCaseSensitive(r.json, "items");
		if (r.status != 200 || !cJSON_IsArray(items)) {
			log_warn("could not list runs: %s",
			    perf_resp_error(&r, why, sizeof(why)));
			perf_resp_free(&r);
			return 1;	/* look again later */
		}
		found = cJSON_GetArraySize(items) > 0;
		perf_resp_free(&r);
		if (found)
			return 1;
	}
	return 0;
}

static int64_t
item_time(const cJSON *item, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(item, name);
	int64_t		 us;

	if (!cJSON_IsString(v) || perf_time_parse(v->valuestring, &us) != 0)
		return 0;
	return us;
}

/* add_run keeps one listed run of this measure. */
static int
add_run(struct perf *p, const cJSON *item, long *cap)
{
	const cJSON	*id = cJSON_GetObjectItemCaseSensitive(item, "run_id");
	const cJSON	*job = cJSON_GetObjectItemCaseSensitive(item, "job_id");
	const cJSON	*st = cJSON_GetObjectItemCaseSensitive(item, "status");
	struct perf_run	*run;
	long		 j;

	if (!cJSON_IsString(id) || !cJSON_IsString(job) || !cJSON_IsString(st)
	    || strlen(id->valuestring) >= sizeof(run->run_id))
		return ORK_EPROTO;
	if ((j = job_index(p, job->valuestring)) < 0)
		return 0;	/* someone else's run */
	if (p->nruns == *cap) {
		long		 most = p->njobs + p->ntrig + RUNS_SLACK;
		long		 ncap = *cap == 0 ? 1024 : *cap * 2;
		struct perf_run	*nr;

		if (*cap >= most) {
			log_error("more than %ld runs listed: not the runs of "
			    "this measure alone", most);
			return ORK_ETOOBIG;
		}
		if (ncap > most)
			ncap = most;
		if ((nr = realloc(p->runs, (size_t)ncap * sizeof(*nr))) == NULL)
			return ORK_ENOMEM;
		p->runs = nr;
		*cap = ncap;
	}
	run = &p->runs[p->nruns++];
	memset(run, 0, sizeof(*run));
	snprintf(run->run_id, sizeof(run->run_id), "%s", id->valuestring);
	run->job = (int)j;
	run->status = -1;
	for (int s = 0; s < PERF_STATUS_N; s++)
		if (strcmp(st->valuestring, status_names[s]) == 0)
			run->status = s;
	run->created_us = item_time(item, "created_at");
	run->started_us = item_time(item, "started_at");
	run->finished_us = item_time(item, "finished_at");
	run->trigger_us = item_time(item, "scheduled_for");
	if (run->trigger_us == 0)
		run->trigger_us = run->created_us;
	return 0;
}

/*
 * list_runs reads every run of this measure, page by page, into p->runs.
 * Returns 0 or a project error (the API did not answer a page).
 */
static int
list_runs(struct perf *p, struct perf_http *h)
{
	char	cursor[512] = "";
	long	cap = 0, pages = 0;

	free(p->runs);
	p->runs = NULL;
	p->nruns = 0;
	for (;;) {
		struct perf_resp	 r;
		const cJSON		*items, *item, *next;
		char			 path[1024], why[256];
		int			 rc = 0;

		list_path(p, NULL, cursor[0] != '\0' ? cursor : NULL,
		    PERF_PAGE, path, sizeof(path));
		perf_http_call(h, "GET", path, NULL, &r);
		items = cJSON_GetObjectItemCaseSensitive(r.json, "items");
		if (r.status != 200 || !cJSON_IsArray(items)) {
			log_error("could not list runs: %s",
			    perf_resp_error(&r, why, sizeof(why)));
			perf_resp_free(&r);
			return ORK_EIO;
		}
		cJSON_ArrayForEach(item, items)
			if (rc == 0)
				rc = add_run(p, item, &cap);
		next = cJSON_GetObjectItemCaseSensitive(r.json, "next_cursor");
		if (cJSON_IsString(next) && strlen(next->valuestring) <
		    sizeof(cursor))
			snprintf(cursor, sizeof(cursor), "%s",
			    next->valuestring);
		else
			cursor[0] = '\0';
		perf_resp_free(&r);
		if (rc != 0) {
			log_error("could not read a page of runs: %s",
			    err_str(rc));
			return rc;
		}
		pages++;
		if (cursor[0] == '\0')
			break;
	}
	log_debug("%ld runs in %ld pages", p->nruns, pages);
	return 0;
}

static long
finished(const struct perf *p)
{
	long n = 0;

	for (long i = 0; i < p->nruns; i++)
		n += p->runs[i].status >= PERF_SUCCESS;
	return n;
}

/* expected returns how many runs this measure waits for. */
static long
expected(const struct perf *p)
{
	long n = 0;

	if (p->cfg.mode != PERFCONF_JOBS)
		return atomic_load(&p->triggered);
	for (long i = 0; i < p->njobs; i++)
		n += p->job_ids[i][0] != '\0';
	return n;
}

/* on_event counts the run changes of this measure in a Changes frame. */
static void
on_event(struct perf *p, const struct msg *m)
{
	const Ork__Changes *c;

	if (m->type != ORK__MSG_TYPE__MSG_CHANGES || m->body == NULL)
		return;
	c = (const Ork__Changes *)(const void *)m->body;
	atomic_fetch_add(&p->events_seen, (long)c->n_runs);
	for (size_t i = 0; i < c->n_runs; i++) {
		const Ork__RunChanged *rc = c->runs[i];

		if (rc->job_id == NULL || job_index(p, rc->job_id) < 0)
			continue;
		if (strcmp(rc->status, "success") == 0 ||
		    strcmp(rc->status, "failed") == 0 ||
		    strcmp(rc->status, "cancelled") == 0)
			atomic_fetch_add(&p->events_final, 1);
	}
}

static void *
listen_events(void *arg)
{
	struct perf	*p = arg;
	struct msg	 m;
	int		 rc;

	while (!atomic_load(&p->events_stop)) {
		rc = msg_sub_recv(p->sub, 100, &m);
		if (rc == ORK_ECLOSED)
			break;
		if (rc == 0) {
			on_event(p, &m);
			msg_release(&m);
		}
	}
	return NULL;
}

/*
 * perf_events_open subscribes to the run changes of cfg.events (when
 * given) before the runs are triggered, and counts them on a thread of
 * its own as they come.  Call it once the jobs are made.  Returns 0 or a
 * project error.
 */
int
perf_events_open(struct perf *p)
{
	const Ork__MsgType	types[] = { ORK__MSG_TYPE__MSG_CHANGES };
	int			rc, nrv;

	if (p->cfg.events[0] == '\0')
		return 0;
	if ((rc = index_jobs(p)) != 0)
		return rc;
	if ((rc = msg_sub_open(&p->sub, p->cfg.events, types, 1)) != 0) {
		log_error("could not subscribe to %s: %s", p->cfg.events,
		    err_str(rc));
		return rc;
	}
	if ((nrv = nng_socket_set_int(p->sub, NNG_OPT_RECVBUF,
	    PERF_EVENTS_QUEUE)) != 0)
		log_warn("could not queue %d events: %s", PERF_EVENTS_QUEUE,
		    nng_strerror(nrv));
	atomic_store(&p->events_stop, 0);
	if (pthread_create(&p->events_thread, NULL, listen_events, p) != 0) {
		log_error("could not start the events thread");
		nng_close(p->sub);
		return ORK_EIO;
	}
	p->have_sub = 1;
	return 0;
}

/* perf_events_close stops counting events and closes the socket. */
void
perf_events_close(struct perf *p)
{
	if (p->have_sub) {
		atomic_store(&p->events_stop, 1);
		pthread_join(p->events_thread, NULL);
		nng_close(p->sub);
		p->have_sub = 0;
	}
	free(by_id);
	by_id = NULL;
}

/*
 * perf_wait waits until every run this measure asked for (or scheduled)
 * finished, cfg.timeout seconds at most, and leaves what the API recorded
 * in p->runs.  Returns 0 (also on a timeout: p->timed_out says so) or a
 * project error.
 */
int
perf_wait(struct perf *p)
{
	struct perf_http	*h = NULL;
	int			 have_sub = p->have_sub, rc;
	int64_t			 deadline, last_check = 0, last_log = 0;
	int64_t			 after = 0;
	long			 want = expected(p);

	if ((rc = index_jobs(p)) != 0)
		goto out;
	if ((rc = perf_http_open(&h, p->cfg.url, p->token)) != 0)
		goto out;
	if (p->cfg.mode == PERFCONF_JOBS && p->slot_us != NULL)
		after = p->slot_us[p->njobs - 1] + 1000000;
	deadline = util_now_us() + p->cfg.timeout * 1000000;
	log_info("waiting for %ld runs", want);
	for (;;) {
		int64_t now, interval;
		long	seen = atomic_load(&p->events_seen);
		int	quiet;		/* no event for poll_ms */

		if (atomic_load(&daemon_stop)) {
			log_warn("interrupted: reporting what finished");
			break;
		}
		(void)util_sleep_ms_interruptible((unsigned)p->cfg.poll_ms,
		    &daemon_stop);
		quiet = atomic_load(&p->events_seen) == seen;
		now = util_now_us();
		if (now > deadline) {
			p->timed_out = 1;
			log_warn("timeout: not every run finished within %ld s",
			    p->cfg.timeout);
			break;
		}
		if (now < after)
			continue;
		/*
		 * Look every poll_ms; while events still come and do not yet
		 * add up to every run, less often (PUB/SUB may drop some, so
		 * a quiet socket is a reason to look too).
		 */
		interval = p->cfg.poll_ms * 1000;
		if (have_sub && !quiet && atomic_load(&p->events_final) < want)
			interval *= 5;
		if (now - last_check < interval)
			continue;
		last_check = now;
		if (now - last_log > 5000000) {
			log_info("%ld of %ld runs finished by the events seen",
			    atomic_load(&p->events_final), want);
			last_log = now;
		}
		if (any_active(p, h))
			continue;
		if ((rc = list_runs(p, h)) != 0)
			continue;
		if (finished(p) >= want) {
			p->end_us = now;
			break;
		}
		/* jobs: a slot not yet fired; look less often */
		last_check = now + 4 * interval;
	}
	if (p->end_us == 0)
		p->end_us = util_now_us();
	rc = list_runs(p, h);
out:
	perf_http_free(h);
	return rc;
}

/*
 * perf_collect reads what the load mode measures of its one task (rows
 * moved, its own time).  Returns 0 or a project error.
 */
int
perf_collect(struct perf *p)
{
	struct perf_http	*h;
	struct perf_resp	 r;
	const cJSON		*items, *t, *rows;
	char			 path[128], why[256];
	int			 rc = 0;

	if (p->cfg.mode != PERFCONF_LOAD || p->nruns == 0)
		return 0;
	if ((rc = perf_http_open(&h, p->cfg.url, p->token)) != 0)
		return rc;
	snprintf(path, sizeof(path), "/runs/%s/tasks", p->runs[0].run_id);
	perf_http_call(h, "GET", path, NULL, &r);
	items = cJSON_GetObjectItemCaseSensitive(r.json, "items");
	t = cJSON_GetArrayItem(items, 0);
	if (r.status != 200 || t == NULL) {
		log_error("could not read the tasks of run %s: %s",
		    p->runs[0].run_id, perf_resp_error(&r, why, sizeof(why)));
		rc = ORK_EIO;
		goto out;
	}
	rows = cJSON_GetObjectItemCaseSensitive(t, "rows_moved");
	p->rows_moved = cJSON_IsNumber(rows) ? (long)rows->valuedouble : 0;
	if (item_time(t, "finished_at") > 0 && item_time(t, "started_at") > 0)
		p->task_us = item_time(t, "finished_at") -
		    item_time(t, "started_at");
	if (p->rows_moved != p->cfg.rows) {
		p->err.rows++;
		perf_sample(p, "load moved %ld rows, not %ld", p->rows_moved,
		    p->cfg.rows);
	}
out:
	perf_resp_free(&r);
	perf_http_free(h);
	return rc;
}
