/*
 * perf.h - ork-perf: drives a running ork through its REST API (and,
 * when given, listens to the orchestrators' events) as a configuration
 * file says, then prints one JSON document of what it measured.
 */
#ifndef ORK_PERF_H
#define ORK_PERF_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>
#include <nng/nng.h>

#include "perfconf.h"

/* Largest response body kept (a page of 500 runs is about 300 KiB). */
#define PERF_BODY_MAX (16 * 1024 * 1024)
/* Deadline of one HTTP request. */
#define PERF_HTTP_TIMEOUT_MS 30000
/* Most daemons watched with --pid. */
#define PERF_DAEMONS_MAX 16
/* Runs per page when listing (the API's most). */
#define PERF_PAGE 500
/* Events the SUB socket holds before dropping (nng's default is small). */
#define PERF_EVENTS_QUEUE 8192
/* Error messages kept for the report. */
#define PERF_SAMPLES_MAX 5
/* Exit codes. */
#define PERF_EXIT_OK 0
#define PERF_EXIT_ERRORS 1	/* measured, but something failed */
#define PERF_EXIT_USAGE 2	/* bad flag or configuration */

/* Run states as counted. */
enum perf_status {
	PERF_QUEUED = 0, PERF_RUNNING, PERF_SUCCESS, PERF_FAILED,
	PERF_CANCELLED, PERF_STATUS_N
};

/* One run as the API recorded it (times in Unix microseconds, 0: none). */
struct perf_run {
	char	run_id[40];
	int	status;
	int	job;		/* index into perf.job_ids */
	int64_t	trigger_us;	/* scheduled_for, else created_at */
	int64_t	created_us;
	int64_t	started_us;
	int64_t	finished_us;
};

/* A daemon watched with --pid. */
struct perf_daemon {
	char	name[32];
	pid_t	pid;
	double	cpu0_s;		/* CPU seconds when the measure began */
	double	cpu_s;		/* ... during the measure */
	double	cpu_total_s;	/* ... since it started */
	long	rss_peak_kib;	/* VmHWM (or a larger sample): the peak RSS */
	long	rss_max_sampled_kib;	/* largest VmRSS seen while measuring */
	int	gone;		/* exited before the end */
};

/* Errors by kind; every one counts in the total. */
struct perf_errors {
	atomic_long	setup;		/* creating or reading jobs */
	atomic_long	trigger;	/* POST /jobs/{id}/run not 201 */
	atomic_long	late;		/* jobs: created after their slot */
	long		failed;		/* runs that failed */
	long		cancelled;	/* runs cancelled */
	long		unfinished;	/* not finished at the timeout */
	long		missing;	/* triggered or scheduled, never listed */
	long		rows;		/* load: rows moved != rows */
	atomic_long	cleanup;	/* deleting jobs */
};

struct perf {
	struct perfconf		 cfg;
	char			 token[PERFCONF_STR_MAX + 1];
	char			 tag[64];	/* job names start with it */

	/* the jobs made */
	char			(*job_ids)[40];
	long			 njobs;
	int64_t			*slot_us;	/* jobs: each job's fire time */

	/* triggers: run ids and acknowledgement times, by index */
	char			(*trig_ids)[40];
	int64_t			*ack_us;
	long			 ntrig;
	atomic_long		 triggered;

	/* what the API recorded, at the end */
	struct perf_run		*runs;
	long			 nruns;

	/* events seen on the SUB socket, by a thread of their own */
	nng_socket		 sub;
	int			 have_sub;
	pthread_t		 events_thread;
	atomic_int		 events_stop;
	atomic_long		 events_seen;
	atomic_long		 events_final;

	/* load mode */
	long			 rows_moved;
	int64_t			 task_us;
	long long		 csv_bytes;

	/* wall clock */
	int64_t			 t0_us;		/* the measure began */
	int64_t			 trig_end_us;	/* the last trigger answered */
	int64_t			 end_us;	/* every run finished */
	int			 timed_out;

	struct perf_daemon	 daemons[PERF_DAEMONS_MAX];
	int			 ndaemons;
	struct perf_errors	 err;
	char			 samples[PERF_SAMPLES_MAX][256];
	atomic_int		 nsamples;
};

/* http.c */
struct perf_http;
struct perf_resp {
	long	 status;	/* -1: no answer */
	char	*body;
	size_t	 len;
	cJSON	*json;		/* NULL unless the body parsed */
	char	 err[256];	/* why there was no answer */
};
int	perf_http_open(struct perf_http **out, const char *base,
	    const char *token);
void	perf_http_free(struct perf_http *h);
long	perf_http_call(struct perf_http *h, const char *method,
	    const char *path, const char *body, struct perf_resp *r);
void	perf_resp_free(struct perf_resp *r);
const char *perf_resp_error(const struct perf_resp *r, char *buf,
	    size_t len);

/* drive.c */
typedef int (*perf_item_fn)(struct perf *p, struct perf_http *h, long i,
    void *arg);
int	perf_pool(struct perf *p, long n, long rate, perf_item_fn fn,
	    void *arg);
int	perf_setup(struct perf *p);
int	perf_drive(struct perf *p);
void	perf_cleanup(struct perf *p);
void	perf_sample(struct perf *p, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* collect.c */
int	perf_events_open(struct perf *p);
void	perf_events_close(struct perf *p);
int	perf_wait(struct perf *p);
int	perf_collect(struct perf *p);
int	perf_time_parse(const char *s, int64_t *us);

/* procstat.c */
int	perf_daemon_add(struct perf *p, const char *spec, char *err,
	    size_t errlen);
int	perf_daemons_begin(struct perf *p);
void	perf_daemons_end(struct perf *p);

/* report.c */
cJSON	*perf_report(struct perf *p);
long	perf_error_total(const struct perf *p);

#endif /* ORK_PERF_H */
