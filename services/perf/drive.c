/*
 * drive.c - what ork-perf asks of ork: jobs made through the API, runs
 * triggered at once or at a rate by a pool of clients (one keep-alive
 * connection each), jobs deleted at the end.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "daemon.h"
#include "err.h"
#include "log.h"
#include "perf.h"
#include "strbuf.h"
#include "util.h"

/* Most bytes of one job definition sent (100 tasks of a command). */
#define JOB_BODY_MAX (64 * 1024)
/* A generated CSV row is at most this long. */
#define CSV_ROW_MAX 256

void
perf_sample(struct perf *p, const char *fmt, ...)
{
	va_list	ap;
	int	i = atomic_fetch_add(&p->nsamples, 1);
	char	line[256];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_warn("%s", line);
	if (i < PERF_SAMPLES_MAX)
		snprintf(p->samples[i], sizeof(p->samples[i]), "%s", line);
}

/* ---- the pool of clients -------------------------------------------- */

struct pool {
	struct perf	*p;
	long		 n, rate;
	perf_item_fn	 fn;
	void		*arg;
	int64_t		 t0_us;
	atomic_long	 next;
	atomic_int	 failed;	/* a client could not start */
};

static void *
pool_client(void *arg)
{
	struct pool		*pl = arg;
	struct perf_http	*h;

	if (perf_http_open(&h, pl->p->cfg.url, pl->p->token) != 0) {
		atomic_store(&pl->failed, 1);
		return NULL;
	}
	for (;;) {
		long i = atomic_fetch_add(&pl->next, 1);

		if (i >= pl->n || atomic_load(&daemon_stop))
			break;
		if (pl->rate > 0) {
			int64_t due = pl->t0_us + i * 1000000 / pl->rate;
			int64_t now = util_now_us();

			if (due > now) {
				struct timespec ts = {
					(time_t)((due - now) / 1000000),
					(long)((due - now) % 1000000) * 1000
				};

				while (nanosleep(&ts, &ts) != 0 &&
				    errno == EINTR)
					;
			}
		}
		(void)pl->fn(pl->p, h, i, pl->arg);
	}
	perf_http_free(h);
	return NULL;
}

/*
 * perf_pool calls fn for every i in [0, n) from cfg.clients threads, each
 * with an HTTP handle of its own; with rate > 0 item i starts no sooner
 * than i / rate seconds after the first.  fn counts its own failures.
 * Returns ORK_ENOMEM or ORK_EIO when the clients could not start.
 */
int
perf_pool(struct perf *p, long n, long rate, perf_item_fn fn, void *arg)
{
	struct pool	 pl;
	pthread_t	*th;
	long		 nth = p->cfg.clients < n ? p->cfg.clients : n;
	long		 started = 0;
	int		 rc = 0;

	if (n <= 0)
		return 0;
	memset(&pl, 0, sizeof(pl));
	pl.p = p;
	pl.n = n;
	pl.rate = rate;
	pl.fn = fn;
	pl.arg = arg;
	pl.t0_us = util_now_us();
	if ((th = calloc((size_t)nth, sizeof(*th))) == NULL)
		return ORK_ENOMEM;
	for (; started < nth; started++) {
		if (pthread_create(&th[started], NULL, pool_client, &pl) != 0) {
			log_error("could not start client thread %ld", started);
			rc = ORK_EIO;
			/* the ones started do every item between them */
			break;
		}
	}
	for (long i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	if (started == 0 || atomic_load(&pl.failed))
		rc = ORK_EIO;
	return rc;
}

/* ---- jobs ----------------------------------------------------------- */

/* tasks_json appends the tasks array of a job to b. */
static int
tasks_json(const struct perf *p, const char *csv_path, struct strbuf *b)
{
	int rc = strbuf_puts(b, "\"tasks\": [");

	for (long t = 0; rc == 0 && t < p->cfg.tasks_per_run; t++) {
		if (t > 0)
			rc = strbuf_puts(b, ", ");
		if (rc != 0)
			break;
		if (p->cfg.mode == PERFCONF_LOAD) {
			cJSON	*path = cJSON_CreateString(csv_path);
			char	*quoted = path != NULL ?
			    cJSON_PrintUnformatted(path) : NULL;

			rc = quoted == NULL ? ORK_ENOMEM : strbuf_printf(b,
			    "{\"extractor_config\": {\"type\": \"csv\", "
			    "\"path\": %s, \"header\": true}, "
			    "\"loader_config\": {\"type\": \"postgres\", "
			    "\"connection\": {\"env\": \"%s\"}, "
			    "\"table_name\": \"%s\", \"mode\": \"replace\"}, "
			    "\"max_attempts\": 1}", quoted,
			    p->cfg.load_connection_env, p->cfg.load_table);
			free(quoted);
			cJSON_Delete(path);
		} else if (p->cfg.task_kind == PERFCONF_COMMAND)
			rc = strbuf_puts(b, "{\"extractor_config\": {\"type\": "
			    "\"command\", \"argv\": [\"/bin/true\"]}}");
		else
			rc = strbuf_puts(b, "{\"extractor_config\": {\"type\": "
			    "\"noop\"}}");
	}
	return rc != 0 ? rc : strbuf_puts(b, "]");
}

/* create_job posts one job; its id lands in p->job_ids[i]. */
static int
create_job(struct perf *p, struct perf_http *h, long i, const char *schedule,
    const char *csv_path)
{
	struct strbuf		 b;
	struct perf_resp	 r;
	const cJSON		*id;
	char			 why[256];
	int			 rc;

	strbuf_init(&b, JOB_BODY_MAX);
	rc = strbuf_printf(&b, "{\"job_name\": \"%s-%ld\", \"description\": "
	    "\"made by ork-perf\", \"max_active_runs\": 1000, ", p->tag, i);
	if (rc == 0 && schedule != NULL)
		rc = strbuf_printf(&b, "\"schedule\": \"%s\", ", schedule);
	if (rc == 0)
		rc = tasks_json(p, csv_path, &b);
	if (rc == 0)
		rc = strbuf_puts(&b, "}");
	if (rc != 0) {
		strbuf_free(&b);
		atomic_fetch_add(&p->err.setup, 1);
		perf_sample(p, "could not build job %ld: %s", i, err_str(rc));
		return rc;
	}
	perf_http_call(h, "POST", "/jobs", strbuf_str(&b), &r);
	strbuf_free(&b);
	id = cJSON_GetObjectItemCaseSensitive(r.json, "job_id");
	if (r.status != 201 || !cJSON_IsString(id) ||
	    strlen(id->valuestring) >= sizeof(p->job_ids[0])) {
		atomic_fetch_add(&p->err.setup, 1);
		perf_sample(p, "could not create job %s-%ld: %s", p->tag, i,
		    perf_resp_error(&r, why, sizeof(why)));
		perf_resp_free(&r);
		return ORK_EIO;
	}
	snprintf(p->job_ids[i], sizeof(p->job_ids[i]), "%s", id->valuestring);
	perf_resp_free(&r);
	return 0;
}

/* A job of the jobs mode: one cron slot, "S M H * * *" in UTC, a day apart. */
static int
create_scheduled(struct perf *p, struct perf_http *h, long i, void *arg)
{
	time_t		slot = (time_t)(p->slot_us[i] / 1000000);
	struct tm	tm;
	char		cron[64];

	(void)arg;
	gmtime_r(&slot, &tm);
	snprintf(cron, sizeof(cron), "%d %d %d * * *", tm.tm_sec, tm.tm_min,
	    tm.tm_hour);
	/* a slot already passed fires tomorrow (no catchup): say so */
	if (util_now_us() + 500000 > p->slot_us[i] &&
	    atomic_fetch_add(&p->err.late, 1) == 0)
		perf_sample(p, "job %ld was made after its slot: raise "
		    "lead_seconds", i);
	return create_job(p, h, i, cron, NULL);
}

/* write_csv makes a CSV of cfg.rows rows at path. */
static int
write_csv(struct perf *p, const char *path)
{
	FILE	*f = fopen(path, "w");
	char	 row[CSV_ROW_MAX];

	if (f == NULL) {
		log_error("could not create %s: %s", path, strerror(errno));
		return ORK_EIO;
	}
	fputs("id,name,amount,active,created\n", f);
	p->csv_bytes = 31;
	for (long i = 1; i <= p->cfg.rows; i++) {
		int n = snprintf(row, sizeof(row), "%ld,\"customer %ld, ltd\","
		    "%ld.%02ld,%s,2024-05-%02ld 09:%02ld:%02ld+00\n", i, i % 9973,
		    i % 100000, i % 100, i % 3 == 0 ? "true" : "false",
		    1 + i % 28, i % 60, (i / 60) % 60);

		if (fputs(row, f) == EOF)
			break;
		p->csv_bytes += n;
	}
	if (ferror(f) || fclose(f) != 0) {
		log_error("could not write %s: %s", path, strerror(errno));
		return ORK_EIO;
	}
	return 0;
}

/* CSV_PATH_MAX holds a directory, a tag and ".csv". */
#define CSV_PATH_MAX (PATH_MAX + 80)

/* generated_csv writes where a generated CSV lives (work_dir/TAG.csv). */
static int
generated_csv(const struct perf *p, char path[CSV_PATH_MAX])
{
	char abs[PATH_MAX];

	if (realpath(p->cfg.work_dir, abs) == NULL) {
		log_error("work_dir %s: %s", p->cfg.work_dir, strerror(errno));
		return ORK_ENOTFOUND;
	}
	snprintf(path, CSV_PATH_MAX, "%s/%.63s.csv", abs, p->tag);
	return 0;
}

/* csv_file says which CSV a load reads; generated ones are made now. */
static int
csv_file(struct perf *p, char path[CSV_PATH_MAX])
{
	char	abs[PATH_MAX];
	int	rc;

	if (p->cfg.csv_path[0] != '\0') {
		struct stat st;

		if (realpath(p->cfg.csv_path, abs) == NULL ||
		    stat(abs, &st) != 0) {
			log_error("csv_path %s: %s", p->cfg.csv_path,
			    strerror(errno));
			return ORK_ENOTFOUND;
		}
		p->csv_bytes = (long long)st.st_size;
		snprintf(path, CSV_PATH_MAX, "%s", abs);
		return 0;
	}
	if ((rc = generated_csv(p, path)) != 0)
		return rc;
	log_info("writing %ld rows to %s", p->cfg.rows, path);
	return write_csv(p, path);
}

/*
 * perf_setup makes the jobs the mode needs: one job for burst, paced and
 * load (with its CSV), cfg.jobs jobs with their slots for jobs.  Returns
 * 0, or a project error when the measure cannot go on.
 */
int
perf_setup(struct perf *p)
{
	struct perf_http	*h;
	char			 csv[CSV_PATH_MAX];
	int			 rc;

	p->njobs = p->cfg.mode == PERFCONF_JOBS ? p->cfg.jobs : 1;
	if ((p->job_ids = calloc((size_t)p->njobs, sizeof(*p->job_ids))) ==
	    NULL)
		return ORK_ENOMEM;
	if (p->cfg.mode == PERFCONF_JOBS) {
		int64_t first;

		if ((p->slot_us = calloc((size_t)p->njobs,
		    sizeof(*p->slot_us))) == NULL)
			return ORK_ENOMEM;
		/* slots on whole seconds, spread evenly over cfg.seconds */
		first = (util_now_us() / 1000000 + p->cfg.lead_seconds) *
		    1000000;
		for (long i = 0; i < p->njobs; i++)
			p->slot_us[i] = first + (int64_t)(i *
			    p->cfg.seconds / p->njobs) * 1000000;
		p->t0_us = util_now_us();
		log_info("creating %ld jobs firing from %ld s to %ld s from now",
		    p->njobs, p->cfg.lead_seconds,
		    p->cfg.lead_seconds + p->cfg.seconds - 1);
		rc = perf_pool(p, p->njobs, 0, create_scheduled, NULL);
		if (rc == 0 && atomic_load(&p->err.setup) == p->njobs)
			rc = ORK_EIO;
		return rc;
	}
	csv[0] = '\0';
	if (p->cfg.mode == PERFCONF_LOAD &&
	    (rc = csv_file(p, csv)) != 0) {
		atomic_fetch_add(&p->err.setup, 1);
		return rc;
	}
	if ((rc = perf_http_open(&h, p->cfg.url, p->token)) != 0)
		return rc;
	rc = create_job(p, h, 0, NULL, csv);
	perf_http_free(h);
	return rc;
}

/* trigger_one asks for run i of job 0 and keeps its id and time. */
static int
trigger_one(struct perf *p, struct perf_http *h, long i, void *arg)
{
	struct perf_resp	 r;
	const cJSON		*id;
	char			 path[128], why[256];
	int64_t			 t0;
	struct timespec		 ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	snprintf(path, sizeof(path), "/jobs/%s/run", p->job_ids[0]);
	perf_http_call(h, "POST", path, "{}", &r);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	id = cJSON_GetObjectItemCaseSensitive(r.json, "run_id");
	if (r.status != 201 || !cJSON_IsString(id) ||
	    strlen(id->valuestring) >= sizeof(p->trig_ids[0])) {
		atomic_fetch_add(&p->err.trigger, 1);
		perf_sample(p, "trigger %ld: %s", i,
		    perf_resp_error(&r, why, sizeof(why)));
		perf_resp_free(&r);
		return ORK_EIO;
	}
	p->ack_us[i] = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - t0;
	snprintf(p->trig_ids[i], sizeof(p->trig_ids[i]), "%s",
	    id->valuestring);
	atomic_fetch_add(&p->triggered, 1);
	perf_resp_free(&r);
	return 0;
}

/*
 * perf_drive triggers the runs of burst, paced and load; jobs fire on
 * their own.  Returns 0 or a project error (the clients did not start).
 */
int
perf_drive(struct perf *p)
{
	long	rate = 0;
	int	rc;

	switch (p->cfg.mode) {
	case PERFCONF_BURST:
		p->ntrig = p->cfg.runs;
		break;
	case PERFCONF_PACED:
		p->ntrig = p->cfg.rate * p->cfg.seconds;
		rate = p->cfg.rate;
		break;
	case PERFCONF_LOAD:
		p->ntrig = 1;
		break;
	default:
		p->trig_end_us = util_now_us();
		return 0;
	}
	p->trig_ids = calloc((size_t)p->ntrig, sizeof(*p->trig_ids));
	p->ack_us = calloc((size_t)p->ntrig, sizeof(*p->ack_us));
	if (p->trig_ids == NULL || p->ack_us == NULL)
		return ORK_ENOMEM;
	for (long i = 0; i < p->ntrig; i++)
		p->ack_us[i] = -1;
	log_info("triggering %ld runs%s", p->ntrig, rate > 0 ?
	    " at a rate" : "");
	p->t0_us = util_now_us();
	rc = perf_pool(p, p->ntrig, rate, trigger_one, NULL);
	p->trig_end_us = util_now_us();
	log_info("%ld runs triggered, %ld refused", atomic_load(&p->triggered),
	    atomic_load(&p->err.trigger));
	return rc;
}

static int
delete_job(struct perf *p, struct perf_http *h, long i, void *arg)
{
	struct perf_resp	r;
	char			path[128], why[256];

	(void)arg;
	if (p->job_ids[i][0] == '\0')
		return 0;
	snprintf(path, sizeof(path), "/jobs/%s", p->job_ids[i]);
	perf_http_call(h, "DELETE", path, NULL, &r);
	if (r.status != 204 && r.status != 200) {
		atomic_fetch_add(&p->err.cleanup, 1);
		perf_sample(p, "could not delete job %s: %s", p->job_ids[i],
		    perf_resp_error(&r, why, sizeof(why)));
	}
	perf_resp_free(&r);
	return 0;
}

/*
 * perf_cleanup deletes the jobs made (and their runs) when cfg.cleanup
 * asks for it, and a CSV it generated.
 */
void
perf_cleanup(struct perf *p)
{
	if (!p->cfg.cleanup || p->job_ids == NULL)
		return;
	log_info("deleting %ld jobs", p->njobs);
	if (perf_pool(p, p->njobs, 0, delete_job, NULL) != 0)
		atomic_fetch_add(&p->err.cleanup, 1);
	if (p->cfg.mode == PERFCONF_LOAD && p->cfg.csv_path[0] == '\0') {
		char path[CSV_PATH_MAX];

		if (generated_csv(p, path) == 0 && unlink(path) != 0 &&
		    errno != ENOENT)
			log_warn("could not remove %s: %s", path,
			    strerror(errno));
	}
}
