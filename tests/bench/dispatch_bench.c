/*
 * dispatch_bench.c - how fast ork dispatches work, end to end.
 *
 * One orchestrator and two workers on loopback with the local PostgreSQL.
 * A burst of N runs of one noop task each is triggered through the
 * orchestrator (one TriggerRun per run, ORK_BENCH_CLIENTS of them in
 * flight); then a paced load of R runs/s.  Latencies come from the state store's own timestamps: trigger
 * (job_runs.created_at) to task start (task_runs.started_at) and to run
 * finished (job_runs.finished_at).
 *
 * Side by side, the reference: a bare PostgreSQL job queue with none of
 * ork's hops (one INSERT per job; two consumers each claiming one job with
 * FOR UPDATE SKIP LOCKED and marking it done), on the same cluster.
 *
 * Prints one JSON object.  Sizes: ORK_BENCH_BURST (20000),
 * ORK_BENCH_RATE (200 runs/s), ORK_BENCH_PACED_SECONDS (10),
 * ORK_BENCH_CLIENTS (64), ORK_BENCH_WORKER_SLOTS (256).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"
#include "msg.h"
#include "util.h"

struct burst {
	const char	*control;
	const char	*job;
	atomic_long	 next;
	long		 total;
	long		 rate;		/* 0: as fast as possible */
	int64_t		 t0_ms;
	atomic_long	 errors;
	Ork__TriggerRun	 m;		/* the request (burst) */
};

static void *
client(void *arg)
{
	struct burst	*b = arg;
	nng_socket	 s;
	Ork__TriggerRun	 m = ORK__TRIGGER_RUN__INIT;

	if (msg_req_open(&s, b->control, 5000) != 0) {
		atomic_fetch_add(&b->errors, 1);
		return NULL;
	}
	m.job_id = (char *)(uintptr_t)b->job;
	m.triggered_by = (char *)(uintptr_t)"manual";
	for (;;) {
		long		i = atomic_fetch_add(&b->next, 1);
		struct msg	reply;
		char		err[256];

		if (i >= b->total)
			break;
		if (b->rate > 0) {
			int64_t due = b->t0_ms + i * 1000 / b->rate;
			int64_t now = util_mono_ms();

			if (due > now)
				h_sleep_ms((int)(due - now));
		}
		if (msg_call(s, ORK__MSG_TYPE__MSG_TRIGGER_RUN, &m.base, NULL,
		    10000, &reply, err, sizeof(err)) != 0) {
			atomic_fetch_add(&b->errors, 1);
			continue;
		}
		msg_release(&reply);
	}
	nng_close(s);
	return NULL;
}

/*
 * The burst's load generator keeps nclients TriggerRuns in flight on one
 * REQ socket, each context sending the next request from the completion
 * of its last (nng callbacks).  Blocking client threads, one request
 * each, spent more of the two cores than the orchestrator did, and the
 * system under test runs on the same two cores.
 */
struct inflight {
	pthread_mutex_t	 lock;
	pthread_cond_t	 idle;
	int		 active;	/* slots still sending */
};

struct slot {
	struct burst	*b;
	struct inflight	*inf;
	nng_ctx		 ctx;
	nng_aio		*aio;
	int		 sending;
};

static void slot_next(struct slot *s);

static void
slot_done(void *arg)
{
	struct slot	*s = arg;
	int		 rv = nng_aio_result(s->aio);

	if (s->sending) {
		s->sending = 0;
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(s->aio));
			atomic_fetch_add(&s->b->errors, 1);
			slot_next(s);
			return;
		}
		nng_ctx_recv(s->ctx, s->aio);
		return;
	}
	if (rv != 0) {
		atomic_fetch_add(&s->b->errors, 1);
	} else {
		nng_msg			*rep = nng_aio_get_msg(s->aio);
		struct msg		 m;
		Ork__Error__Code	 code;
		char			 why[256];

		if (msg_decode(nng_msg_body(rep), nng_msg_len(rep), &m, &code,
		    why, sizeof(why)) != 0)
			atomic_fetch_add(&s->b->errors, 1);
		else {
			if (m.type != ORK__MSG_TYPE__MSG_TRIGGER_RUN_REPLY)
				atomic_fetch_add(&s->b->errors, 1);
			msg_release(&m);
		}
		nng_msg_free(rep);
	}
	slot_next(s);
}

/* slot_next sends the burst's next request on s, or retires s. */
static void
slot_next(struct slot *s)
{
	struct burst	*b = s->b;
	long		 i = atomic_fetch_add(&b->next, 1);
	nng_msg		*req;

	if (i < b->total && msg_encode(ORK__MSG_TYPE__MSG_TRIGGER_RUN,
	    &b->m.base, (uint64_t)i + 1, NULL, NULL, &req) == 0) {
		s->sending = 1;
		nng_aio_set_msg(s->aio, req);
		nng_ctx_send(s->ctx, s->aio);
		return;
	}
	if (i < b->total)
		atomic_fetch_add(&b->errors, 1);
	pthread_mutex_lock(&s->inf->lock);
	if (--s->inf->active == 0)
		pthread_cond_signal(&s->inf->idle);
	pthread_mutex_unlock(&s->inf->lock);
}

/* burst_async sends b's runs with nslots requests in flight. */
static void
burst_async(struct burst *b, int nslots)
{
	struct inflight	 inf;
	struct slot	 slots[64];
	nng_socket	 sock;
	int		 n = 0;

	if (msg_req_open(&sock, b->control, 5000) != 0) {
		atomic_fetch_add(&b->errors, b->total);
		return;
	}
	pthread_mutex_init(&inf.lock, NULL);
	pthread_cond_init(&inf.idle, NULL);
	inf.active = 0;
	for (int i = 0; i < nslots; i++) {
		slots[n].b = b;
		slots[n].inf = &inf;
		slots[n].sending = 0;
		if (nng_ctx_open(&slots[n].ctx, sock) != 0)
			break;
		if (nng_aio_alloc(&slots[n].aio, slot_done, &slots[n]) != 0) {
			nng_ctx_close(slots[n].ctx);
			break;
		}
		nng_aio_set_timeout(slots[n].aio, 10000);
		n++;
	}
	if (n == 0)
		atomic_fetch_add(&b->errors, b->total);
	pthread_mutex_lock(&inf.lock);
	inf.active = n;
	pthread_mutex_unlock(&inf.lock);
	for (int i = 0; i < n; i++)
		slot_next(&slots[i]);
	pthread_mutex_lock(&inf.lock);
	while (inf.active > 0)
		pthread_cond_wait(&inf.idle, &inf.lock);
	pthread_mutex_unlock(&inf.lock);
	for (int i = 0; i < n; i++) {
		nng_aio_free(slots[i].aio);
		nng_ctx_close(slots[i].ctx);
	}
	nng_close(sock);
	pthread_cond_destroy(&inf.idle);
	pthread_mutex_destroy(&inf.lock);
}

/*
 * trigger sends total runs: as fast as they are answered with nclients
 * in flight, or paced at rate runs/s from nclients threads; returns
 * errors.
 */
static long
trigger(const char *control, const char *job, long total, long rate,
    int nclients)
{
	struct burst	b;
	pthread_t	th[64];

	memset(&b, 0, sizeof(b));
	b.control = control;
	b.job = job;
	b.total = total;
	b.rate = rate;
	b.t0_ms = util_mono_ms();
	ork__trigger_run__init(&b.m);
	b.m.job_id = (char *)(uintptr_t)job;
	b.m.triggered_by = (char *)(uintptr_t)"manual";
	if (rate == 0) {
		burst_async(&b, nclients);
		return atomic_load(&b.errors);
	}
	for (int i = 0; i < nclients; i++)
		pthread_create(&th[i], NULL, client, &b);
	for (int i = 0; i < nclients; i++)
		pthread_join(th[i], NULL);
	return atomic_load(&b.errors);
}

static double
num(PGconn *c, const char *sql, const char *job)
{
	const char	*p[1] = { job };
	PGresult	*r = PQexecParams(c, sql, job != NULL ? 1 : 0, NULL, p,
	    NULL, NULL, 0);
	double		 v;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	v = PQgetisnull(r, 0, 0) ? -1 : strtod(PQgetvalue(r, 0, 0), NULL);
	PQclear(r);
	return v;
}

/*
 * wait_all_done waits for total runs of job to succeed.  It looks at the
 * newest 100 runs first and counts them all only once those are done:
 * the count reads every run, and the benchmark's own queries compete for
 * the cores with what it measures (the figures come from the runs' own
 * timestamps, not from when this notices).
 */
static void
wait_all_done(PGconn *c, const char *job, long total)
{
	long newest = total < 100 ? total : 100;

	for (int i = 0; i < 3000; i++) {
		if ((long)num(c, "SELECT count(*) FROM (SELECT status FROM "
		    "job_runs WHERE job_id = $1 ORDER BY created_at DESC, "
		    "run_id DESC LIMIT 100) x WHERE status = 'success'",
		    job) >= newest &&
		    (long)num(c, "SELECT count(*) FROM job_runs WHERE job_id = "
		    "$1 AND status = 'success'", job) >= total)
			return;
		h_sleep_ms(200);
	}
	fail_msg("runs did not finish");
}

struct stats {
	double	per_s;
	double	start_p50, start_p99, done_p50, done_p99;
};

static void
measure(PGconn *c, const char *job, struct stats *s)
{
	s->per_s = num(c, "SELECT count(*) / extract(epoch FROM max(finished_at) "
	    "- min(created_at)) FROM job_runs WHERE job_id = $1", job);
	s->start_p50 = num(c, "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER "
	    "BY extract(epoch FROM t.started_at - j.created_at) * 1000) FROM "
	    "job_runs j JOIN task_runs t USING (run_id) WHERE j.job_id = $1",
	    job);
	s->start_p99 = num(c, "SELECT percentile_cont(0.99) WITHIN GROUP (ORDER "
	    "BY extract(epoch FROM t.started_at - j.created_at) * 1000) FROM "
	    "job_runs j JOIN task_runs t USING (run_id) WHERE j.job_id = $1",
	    job);
	s->done_p50 = num(c, "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER "
	    "BY extract(epoch FROM finished_at - created_at) * 1000) FROM "
	    "job_runs WHERE job_id = $1", job);
	s->done_p99 = num(c, "SELECT percentile_cont(0.99) WITHIN GROUP (ORDER "
	    "BY extract(epoch FROM finished_at - created_at) * 1000) FROM "
	    "job_runs WHERE job_id = $1", job);
}

/* ---- the reference: a bare PostgreSQL queue ------------------------- */

struct queue_arg {
	const char	*url;
	long		 total;
	atomic_long	*done;
};

static void *
queue_producer(void *arg)
{
	struct queue_arg	*q = arg;
	PGconn			*c = PQconnectdb(q->url);

	PQclear(PQprepare(c, "ins", "INSERT INTO bench_queue (payload) "
	    "VALUES ('{}')", 0, NULL));
	for (long i = 0; i < q->total; i++)
		PQclear(PQexecPrepared(c, "ins", 0, NULL, NULL, NULL, 0));
	PQfinish(c);
	return NULL;
}

static void *
queue_consumer(void *arg)
{
	struct queue_arg	*q = arg;
	PGconn			*c = PQconnectdb(q->url);

	PQclear(PQprepare(c, "claim", "UPDATE bench_queue SET status = "
	    "'running', started_at = now() WHERE id = (SELECT id FROM "
	    "bench_queue WHERE status = 'queued' ORDER BY id LIMIT 1 FOR "
	    "UPDATE SKIP LOCKED) RETURNING id", 0, NULL));
	PQclear(PQprepare(c, "finish", "UPDATE bench_queue SET status = "
	    "'done', finished_at = now() WHERE id = $1", 1, NULL));
	while (atomic_load(q->done) < q->total) {
		PGresult	*r = PQexecPrepared(c, "claim", 0, NULL, NULL,
		    NULL, 0);
		const char	*p[1];

		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) == 0) {
			PQclear(r);
			h_sleep_ms(1);
			continue;
		}
		p[0] = PQgetvalue(r, 0, 0);
		PQclear(PQexecPrepared(c, "finish", 1, p, NULL, NULL, 0));
		PQclear(r);
		atomic_fetch_add(q->done, 1);
	}
	PQfinish(c);
	return NULL;
}

static double
bare_queue(const char *url, long total, double *p99_ms)
{
	PGconn			*c = h_db_connect(url);
	pthread_t		 prod, cons[2];
	atomic_long		 done = 0;
	struct queue_arg	 q = { url, total, &done };
	double			 per_s;

	PQclear(PQexec(c, "CREATE TABLE bench_queue (id bigserial PRIMARY KEY, "
	    "payload jsonb NOT NULL, status text NOT NULL DEFAULT 'queued', "
	    "created_at timestamptz NOT NULL DEFAULT now(), started_at "
	    "timestamptz, finished_at timestamptz)"));
	PQclear(PQexec(c, "CREATE INDEX ON bench_queue (id) WHERE status = "
	    "'queued'"));
	pthread_create(&cons[0], NULL, queue_consumer, &q);
	pthread_create(&cons[1], NULL, queue_consumer, &q);
	pthread_create(&prod, NULL, queue_producer, &q);
	pthread_join(prod, NULL);
	pthread_join(cons[0], NULL);
	pthread_join(cons[1], NULL);
	per_s = num(c, "SELECT count(*) / extract(epoch FROM max(finished_at) "
	    "- min(created_at)) FROM bench_queue", NULL);
	*p99_ms = num(c, "SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY "
	    "extract(epoch FROM started_at - created_at) * 1000) FROM "
	    "bench_queue", NULL);
	PQfinish(c);
	return per_s;
}

static void
bench(void **state)
{
	static struct h_orch	 o;
	static struct h_proc	 w1, w2;
	long			 burst = h_env_long("ORK_BENCH_BURST", 20000);
	long			 rate = h_env_long("ORK_BENCH_RATE", 200);
	long			 secs = h_env_long("ORK_BENCH_PACED_SECONDS", 10);
	long			 clients = h_env_long("ORK_BENCH_CLIENTS", 64);
	long			 slots = h_env_long("ORK_BENCH_WORKER_SLOTS", 256);
	const char		*noop[1] = { "{\"type\": \"noop\"}" };
	const char		*orch_extra[] = { "--log-level=info",
	    "--lease-ms=15000", "--heartbeat-ms=3000", "--reap-interval-ms=500",
	    NULL };
	char			 wslots[64], db[H_URL_MAX], qdb[H_URL_MAX];
	char			 job1[40], job2[40];
	const char		*worker_extra[] = { wslots, "--log-level=info",
	    "--worker-poll-ms=1000", "--request-timeout-ms=10000", NULL };
	struct stats		 sb, sp;
	long			 err1, err2;
	double			 ref, ref_p99, trig_per_s;
	int64_t			 t0;
	PGconn			*c;

	(void)state;
	if (clients > 64)
		clients = 64;
	snprintf(wslots, sizeof(wslots), "--worker-concurrency=%ld", slots);
	h_db_create("bench_dispatch", 1, db, sizeof(db));
	c = h_db_connect(db);
	h_orch_start(&o, "bench-orchestrator", db, orch_extra);
	h_worker_start(&w1, "bench-w1", o.control_url, o.events_url,
	    worker_extra);
	h_worker_start(&w2, "bench-w2", o.control_url, o.events_url,
	    worker_extra);
	h_job_create(c, "burst", noop, 1, 3, 0, 1000, job1);
	h_job_create(c, "paced", noop, 1, 3, 0, 1000, job2);

	t0 = util_mono_ms();
	err1 = trigger(o.control_url, job1, burst, 0, (int)clients);
	trig_per_s = (double)burst * 1000.0 / (double)(util_mono_ms() - t0 + 1);
	wait_all_done(c, job1, burst - err1);
	measure(c, job1, &sb);

	err2 = trigger(o.control_url, job2, rate * secs, rate, (int)clients);
	wait_all_done(c, job2, rate * secs - err2);
	measure(c, job2, &sp);

	h_stop(&w1, SIGTERM, 10000);
	h_stop(&w2, SIGTERM, 10000);
	h_stop(&o.p, SIGTERM, 10000);
	PQfinish(c);

	h_db_create("bench_queue", 0, qdb, sizeof(qdb));
	ref = bare_queue(qdb, burst, &ref_p99);

	printf("{\"benchmark\": \"dispatch\", "
	    "\"setup\": {\"orchestrators\": 1, \"workers\": 2, "
	    "\"worker_slots\": %ld, \"clients\": %ld}, "
	    "\"burst\": {\"runs\": %ld, \"errors\": %ld, \"tasks_per_s\": %.0f, "
	    "\"triggers_acknowledged_per_s\": %.0f, "
	    "\"trigger_to_start_ms\": {\"p50\": %.2f, \"p99\": %.2f}, "
	    "\"trigger_to_finished_ms\": {\"p50\": %.2f, \"p99\": %.2f}}, "
	    "\"paced\": {\"runs_per_s\": %ld, \"runs\": %ld, \"errors\": %ld, "
	    "\"trigger_to_start_ms\": {\"p50\": %.2f, \"p99\": %.2f}, "
	    "\"trigger_to_finished_ms\": {\"p50\": %.2f, \"p99\": %.2f}}, "
	    "\"reference_bare_queue\": {\"jobs\": %ld, \"jobs_per_s\": %.0f, "
	    "\"insert_to_claim_p99_ms\": %.2f}}\n",
	    slots, clients, burst, err1, sb.per_s, trig_per_s, sb.start_p50, sb.start_p99,
	    sb.done_p50, sb.done_p99, rate, rate * secs, err2, sp.start_p50,
	    sp.start_p99, sp.done_p50, sp.done_p99, burst, ref, ref_p99);
	fflush(stdout);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bench),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
