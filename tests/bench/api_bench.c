/*
 * api_bench.c - how fast ork-api answers its two hottest reads over a
 * realistic history: ORK_BENCH_JOBS jobs (100,000) with a task each and
 * ORK_BENCH_RUNS runs (1,000,000), generated in the database with
 * generate_series.  For GET /runs?limit=50 and GET /jobs/{id} (random
 * ids), with a bearer token:
 *
 *   most     wrk, closed loop, ORK_BENCH_CONNECTIONS (16) connections,
 *            ORK_BENCH_SECONDS (15) after a warm-up: the most it serves;
 *   at rate  a paced client offering ORK_BENCH_RATE (5,000) requests/s
 *            over 32 keep-alive connections, latency counted from when
 *            each request was due: the latency at that rate.
 *
 * A deep page (GET /runs?limit=50&cursor=..., a tenth of the runs down)
 * is timed too, to show that a page costs the same wherever it is.
 * Everything (PostgreSQL, ork-api, the clients) shares this machine's
 * cores; the JSON printed says how many.  ork-api runs with
 * ORK_BENCH_API_THREADS (16) threads and ORK_BENCH_DB_POOL (4) database
 * connections: with PostgreSQL on the same two cores, more backends only
 * contend for them (8 serve the same rate with a longer tail).  Target: 5,000 requests/s with
 * a p99 under 20 ms for both routes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "api_util.h"
#include "util.h"

#define BENCH_PASSWORD "bench-password-1"

struct wrk_result {
	double	rps;
	double	p50_ms, p90_ms, p99_ms, max_ms;
	long	requests;
	long	errors;		/* non-2xx answers and socket errors */
};

/* to_ms reads a wrk duration ("812.00us", "1.20ms", "2.01s"). */
static double
to_ms(const char *s)
{
	char	*end;
	double	 v = strtod(s, &end);

	if (strncmp(end, "us", 2) == 0)
		return v / 1000.0;
	if (strncmp(end, "ms", 2) == 0)
		return v;
	if (strncmp(end, "s", 1) == 0)
		return v * 1000.0;
	if (strncmp(end, "m", 1) == 0)
		return v * 60000.0;
	return v;
}

static void
parse_wrk(const char *out, struct wrk_result *w)
{
	const char	*p;
	long		 a, b, c, d;

	memset(w, 0, sizeof(*w));
	if ((p = strstr(out, "Requests/sec:")) != NULL)
		w->rps = strtod(p + 13, NULL);
	if ((p = strstr(out, " 50%")) != NULL)
		w->p50_ms = to_ms(p + 4 + strspn(p + 4, " "));
	if ((p = strstr(out, " 90%")) != NULL)
		w->p90_ms = to_ms(p + 4 + strspn(p + 4, " "));
	if ((p = strstr(out, " 99%")) != NULL)
		w->p99_ms = to_ms(p + 4 + strspn(p + 4, " "));
	if ((p = strstr(out, "Latency")) != NULL) {
		char avg[32], sd[32], max[32];

		if (sscanf(p, "Latency %31s %31s %31s", avg, sd, max) == 3)
			w->max_ms = to_ms(max);
	}
	if ((p = strstr(out, " requests in ")) != NULL) {
		while (p > out && p[-1] >= '0' && p[-1] <= '9')
			p--;
		w->requests = strtol(p, NULL, 10);
	}
	if ((p = strstr(out, "Non-2xx or 3xx responses:")) != NULL)
		w->errors += strtol(p + 26, NULL, 10);
	if ((p = strstr(out, "Socket errors:")) != NULL &&
	    sscanf(p, "Socket errors: connect %ld, read %ld, write %ld, "
	    "timeout %ld", &a, &b, &c, &d) == 4)
		w->errors += a + b + c + d;
}

/* run_wrk runs wrk against url (with a Lua script or not). */
static void
run_wrk(const char *name, const char *url, const char *script,
    const char *token, long seconds, long conns, struct wrk_result *w)
{
	char		 d[32], c[32], hdr[256], log[H_PATH_MAX];
	const char	*args[16];
	char		*out;
	int		 n = 0;

	snprintf(d, sizeof(d), "%lds", seconds);
	snprintf(c, sizeof(c), "-c%ld", conns);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", token);
	args[n++] = "-t2";
	args[n++] = c;
	args[n++] = "-d";
	args[n++] = d;
	args[n++] = "--latency";
	args[n++] = "-H";
	args[n++] = hdr;
	if (script != NULL) {
		args[n++] = "-s";
		args[n++] = script;
	}
	args[n++] = url;
	args[n] = NULL;
	if (h_run(name, "/usr/bin/wrk", args, NULL, (int)(seconds + 60) *
	    1000) != 0)
		fail_msg("wrk failed (see %s.log)", name);
	snprintf(log, sizeof(log), "%s/%s.log", h_env("ORK_TEST_OUT"), name);
	out = h_read_file(log);
	assert_non_null(out);
	parse_wrk(out, w);
	free(out);
	if (w->rps <= 0)
		fail_msg("could not read wrk's output (see %s)", log);
}


/*
 * The paced client: a fixed offered rate, so the latency measured is
 * the latency at that rate (not at saturation).  PACE_CLIENTS keep-alive
 * connections, shared by PACE_THREADS threads waiting in epoll, each
 * connection sending on a schedule of rate / PACE_CLIENTS per second.  A
 * request's latency runs from when it was due, so a connection that
 * falls behind counts the wait too (no coordinated omission).
 */
#define PACE_CLIENTS	32
#define PACE_THREADS	2
#define PACE_MAX	(1 << 20)	/* latencies kept */
#define PACE_QUEUE	4096		/* requests due on one connection */
#define PACE_BUF	(1 << 20)

struct pace {
	int		 port;
	const char	*token;
	const char	*path;		/* fixed path, or NULL: jobs */
	char		(*jobs)[40];
	int		 njobs;
	double		 rate;
	int64_t		 t0_us, t1_us;
	atomic_long	 n;
	atomic_long	 errors;
	double		*lat_ms;
};

struct pace_conn {
	int	 fd;
	int	 busy;
	int64_t	 next_due;		/* the next request's schedule */
	int64_t	 inflight;		/* due time of the one on the wire */
	int64_t	 queue[PACE_QUEUE];	/* due, not sent yet */
	int	 qhead, qlen;
	char	*buf;
	size_t	 have, need;
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
pace_connect(int port)
{
	struct sockaddr_in	sa;
	int			fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
pace_note(struct pace *p, int64_t due, int ok)
{
	long i = atomic_fetch_add(&p->n, 1);

	if (!ok)
		atomic_fetch_add(&p->errors, 1);
	if (i < PACE_MAX)
		p->lat_ms[i] = (double)(now_us() - due) / 1000.0;
}

/* pace_send puts the next due request of c on the wire. */
static void
pace_send(struct pace *p, struct pace_conn *c, unsigned *seed)
{
	char	req[512];
	int	n;

	if (p->path != NULL)
		n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n"
		    "Authorization: Bearer %s\r\n\r\n", p->path, p->token);
	else
		n = snprintf(req, sizeof(req), "GET /jobs/%s HTTP/1.1\r\nHost: "
		    "x\r\nAuthorization: Bearer %s\r\n\r\n",
		    p->jobs[rand_r(seed) % (unsigned)p->njobs], p->token);
	c->inflight = c->queue[c->qhead];
	c->qhead = (c->qhead + 1) % PACE_QUEUE;
	c->qlen--;
	c->busy = 1;
	c->have = c->need = 0;
	if (write(c->fd, req, (size_t)n) != n) {
		pace_note(p, c->inflight, 0);
		c->busy = 0;
	}
}

/* pace_read takes what arrived on c; returns 1 when an answer is whole. */
static int
pace_read(struct pace_conn *c, int *ok)
{
	ssize_t	 n = read(c->fd, c->buf + c->have, PACE_BUF - c->have - 1);
	char	*end;

	if (n <= 0) {
		*ok = 0;
		return 1;
	}
	c->have += (size_t)n;
	c->buf[c->have] = '\0';
	if (c->need == 0 && (end = strstr(c->buf, "\r\n\r\n")) != NULL) {
		const char *cl = strcasestr(c->buf, "Content-Length:");

		if (cl == NULL || cl > end) {
			*ok = 0;
			return 1;
		}
		c->need = (size_t)(end + 4 - c->buf) + (size_t)strtoul(cl + 15,
		    NULL, 10);
	}
	if (c->need == 0 || c->have < c->need)
		return 0;
	*ok = strncmp(c->buf, "HTTP/1.1 200", 12) == 0;
	return 1;
}

static void *
pace_thread(void *arg)
{
	struct pace		*p = arg;
	struct pace_conn	*conns;
	double			 every = 1e6 * PACE_CLIENTS / p->rate;
	unsigned		 seed = (unsigned)(uintptr_t)&seed;
	int			 per = PACE_CLIENTS / PACE_THREADS, ep;

	conns = calloc((size_t)per, sizeof(*conns));
	ep = epoll_create1(0);
	if (conns == NULL || ep < 0)
		return NULL;
	for (int i = 0; i < per; i++) {
		struct epoll_event ev = { EPOLLIN, { .u32 = (uint32_t)i } };

		conns[i].fd = pace_connect(p->port);
		conns[i].buf = malloc(PACE_BUF);
		conns[i].next_due = p->t0_us + (int64_t)(every *
		    (rand_r(&seed) % 1000) / 1000);
		if (conns[i].fd >= 0)
			epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
	}
	for (;;) {
		struct epoll_event	evs[64];
		struct timespec		ts;
		int64_t			now = now_us(), wake = INT64_MAX;
		int			n, pending = 0;

		for (int i = 0; i < per; i++) {
			struct pace_conn *c = &conns[i];

			while (c->next_due <= now && c->next_due < p->t1_us &&
			    c->qlen < PACE_QUEUE) {
				c->queue[(c->qhead + c->qlen) % PACE_QUEUE] =
				    c->next_due;
				c->qlen++;
				c->next_due += (int64_t)every;
			}
			if (c->fd < 0) {
				/* no connection: what is due fails */
				for (; c->qlen > 0; c->qlen--)
					pace_note(p, c->queue[c->qhead++ %
					    PACE_QUEUE], 0);
			} else if (!c->busy && c->qlen > 0)
				pace_send(p, c, &seed);
			if (c->next_due < p->t1_us && c->next_due < wake)
				wake = c->next_due;
			pending |= c->busy || c->qlen > 0 ||
			    c->next_due < p->t1_us;
		}
		if (!pending)
			break;
		if (wake == INT64_MAX || wake < now)
			wake = now + 1000;
		ts.tv_sec = (wake - now) / 1000000;
		ts.tv_nsec = (long)((wake - now) % 1000000) * 1000;
		n = epoll_pwait2(ep, evs, 64, &ts, NULL);
		for (int k = 0; k < n; k++) {
			struct pace_conn	*c = &conns[evs[k].data.u32];
			int			 ok;

			if (!c->busy || !pace_read(c, &ok))
				continue;
			pace_note(p, c->inflight, ok);
			c->busy = 0;
			if (!ok) {
				/* start over on a new connection */
				struct epoll_event ev = { EPOLLIN,
				    { .u32 = evs[k].data.u32 } };

				close(c->fd);
				c->fd = pace_connect(p->port);
				if (c->fd >= 0)
					epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
			}
		}
	}
	for (int i = 0; i < per; i++) {
		if (conns[i].fd >= 0)
			close(conns[i].fd);
		free(conns[i].buf);
	}
	free(conns);
	close(ep);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* paced offers rate requests/s for secs and fills w with what it saw. */
static void
paced(struct pace *p, double rate, long secs, struct wrk_result *w)
{
	pthread_t	t[PACE_THREADS];
	long		n;

	p->rate = rate;
	atomic_store(&p->n, 0);
	atomic_store(&p->errors, 0);
	p->lat_ms = malloc(PACE_MAX * sizeof(double));
	assert_non_null(p->lat_ms);
	p->t0_us = now_us() + 100000;
	p->t1_us = p->t0_us + secs * 1000000;
	for (int i = 0; i < PACE_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, pace_thread, p), 0);
	for (int i = 0; i < PACE_THREADS; i++)
		pthread_join(t[i], NULL);
	n = atomic_load(&p->n);
	if (n > PACE_MAX)
		n = PACE_MAX;
	memset(w, 0, sizeof(*w));
	w->requests = n;
	w->errors = atomic_load(&p->errors);
	w->rps = (double)n / (double)secs;
	if (n > 0) {
		qsort(p->lat_ms, (size_t)n, sizeof(double), cmp_double);
		w->p50_ms = p->lat_ms[n / 2];
		w->p90_ms = p->lat_ms[n * 9 / 10];
		w->p99_ms = p->lat_ms[n * 99 / 100];
		w->max_ms = p->lat_ms[n - 1];
	}
	free(p->lat_ms);
	p->lat_ms = NULL;
}

static char *
login(const char *base)
{
	char		 url[256], *body = NULL, *tok;
	const char	*hdr[] = { "Content-Type: application/json", NULL };
	cJSON		*j;

	snprintf(url, sizeof(url), "%s/auth/login", base);
	if (h_http("POST", url, "{\"username\":\"admin\",\"password\":\""
	    BENCH_PASSWORD "\"}", hdr, &body) != 200)
		fail_msg("login failed: %s", body != NULL ? body : "");
	j = cJSON_Parse(body);
	tok = strdup(cJSON_GetObjectItem(j, "token")->valuestring);
	cJSON_Delete(j);
	free(body);
	return tok;
}

/* deep_page times GET /runs pages at a cursor far down the list. */
static double
deep_page(PGconn *c, const char *base, const char *token, long down)
{
	char		 sql[256], at[32], id[64], raw[128], enc[256], url[512];
	char		 auth[300];
	const char	*hdr[] = { auth, NULL };
	int64_t		 t0;
	int		 n = 50;

	snprintf(sql, sizeof(sql), "SELECT (extract(epoch FROM created_at) * "
	    "1000000)::int8 FROM job_runs ORDER BY created_at DESC, run_id "
	    "DESC OFFSET %ld LIMIT 1", down);
	h_db_value(c, sql, at, sizeof(at));
	snprintf(sql, sizeof(sql), "SELECT run_id FROM job_runs ORDER BY "
	    "created_at DESC, run_id DESC OFFSET %ld LIMIT 1", down);
	h_db_value(c, sql, id, sizeof(id));
	snprintf(raw, sizeof(raw), "%s,%s", at, id);
	{
		/* base64url, as the server's cursors are */
		static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_";
		size_t len = strlen(raw), o = 0;

		for (size_t i = 0; i < len; i += 3) {
			unsigned v = (unsigned)(unsigned char)raw[i] << 16;
			size_t	 k = len - i >= 3 ? 4 : len - i + 1;

			if (i + 1 < len)
				v |= (unsigned)(unsigned char)raw[i + 1] << 8;
			if (i + 2 < len)
				v |= (unsigned char)raw[i + 2];
			for (size_t j = 0; j < k; j++)
				enc[o++] = b64[(v >> (18 - 6 * j)) & 63];
		}
		enc[o] = '\0';
	}
	snprintf(url, sizeof(url), "%s/runs?limit=50&cursor=%s", base, enc);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	if (h_http("GET", url, NULL, hdr, NULL) != 200)
		fail_msg("deep page failed");
	t0 = util_mono_ms();
	for (int i = 0; i < n; i++)
		(void)h_http("GET", url, NULL, hdr, NULL);
	return (double)(util_mono_ms() - t0) / n;
}

static void
print_route(const char *route, const struct wrk_result *most,
    const struct wrk_result *at, long rate)
{
	printf("\"%s\": {\"most\": {\"requests_per_s\": %.0f, \"p50_ms\": "
	    "%.2f, \"p99_ms\": %.2f, \"errors\": %ld}, \"at_%ld_per_s\": "
	    "{\"requests_per_s\": %.0f, \"p50_ms\": %.2f, \"p90_ms\": %.2f, "
	    "\"p99_ms\": %.2f, \"max_ms\": %.2f, \"errors\": %ld}}", route,
	    most->rps, most->p50_ms, most->p99_ms, most->errors, rate, at->rps,
	    at->p50_ms, at->p90_ms, at->p99_ms, at->max_ms, at->errors);
}

/* met: the route serves the rate, and at that rate the p99 is < 20 ms. */
static int
met(const struct wrk_result *most, const struct wrk_result *at, long rate)
{
	return most->rps >= (double)rate && at->rps >= 0.99 * (double)rate &&
	    at->p99_ms < 20.0 && most->errors == 0 && at->errors == 0;
}

static void
bench(void **state)
{
	long		 jobs = h_env_long("ORK_BENCH_JOBS", 100000);
	long		 runs = h_env_long("ORK_BENCH_RUNS", 1000000);
	long		 secs = h_env_long("ORK_BENCH_SECONDS", 15);
	long		 conns = h_env_long("ORK_BENCH_CONNECTIONS", 16);
	long		 threads = h_env_long("ORK_BENCH_API_THREADS", 16);
	long		 pool = h_env_long("ORK_BENCH_DB_POOL", 4);
	long		 rate = h_env_long("ORK_BENCH_RATE", 5000);
	char		 db[H_URL_MAX], a_db[H_URL_MAX + 32], a_listen[64];
	char		 a_threads[64], a_pool[64], a_orch[64], a_events[64];
	char		 base[64], url[256], script[H_PATH_MAX], sql[1024];
	struct h_proc	 api;
	struct wrk_result wr, wj, pr, pj;
	struct pace	 pace;
	PGconn		*c;
	PGresult	*res;
	FILE		*f;
	char		*token;
	int64_t		 t0;
	double		 gen_s, deep_ms;
	int		 port = h_free_port();
	long		 cores = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	memset(&pace, 0, sizeof(pace));
	h_db_create("bench_api", 1, db, sizeof(db));
	c = h_db_connect(db);

	/* the history, straight into the tables */
	t0 = util_mono_ms();
	snprintf(sql, sizeof(sql), "INSERT INTO job_definitions (job_name, "
	    "schedule, created_at) SELECT 'job-' || g, CASE WHEN g %% 3 = 0 "
	    "THEN '0 * * * *' END, now() - (%ld - g) * interval '1 minute' "
	    "FROM generate_series(1, %ld) g", jobs, jobs);
	api_sql(c, sql);
	api_sql(c, "INSERT INTO task_definitions (job_id, task_order, "
	    "extractor_config, loader_config) SELECT job_id, 0, "
	    "'{\"type\":\"http\",\"url\":\"https://api.example.com/v1/sales\"}',"
	    " '{\"type\":\"duckdb\",\"db_path\":\"w.db\",\"table_name\":"
	    "\"sales\"}' FROM job_definitions");
	snprintf(sql, sizeof(sql), "INSERT INTO job_runs (job_id, status, "
	    "triggered_by, scheduled_for, started_at, finished_at, "
	    "error_message, created_at, updated_at) SELECT j.job_id, CASE WHEN "
	    "g %% 20 = 0 THEN 'failed' ELSE 'success' END, 'scheduled', t, "
	    "t + interval '1 second', t + interval '5 seconds', CASE WHEN "
	    "g %% 20 = 0 THEN 'exit status 1' END, t, t + interval '5 seconds' "
	    "FROM generate_series(1, %ld) g JOIN (SELECT job_id, row_number() "
	    "OVER (ORDER BY created_at) AS n FROM job_definitions) j ON j.n = "
	    "1 + g %% %ld CROSS JOIN LATERAL (SELECT now() - (%ld - g) * "
	    "interval '1 second' AS t) x", runs, jobs, runs);
	api_sql(c, sql);
	api_sql(c, "VACUUM ANALYZE");
	gen_s = (double)(util_mono_ms() - t0) / 1000.0;

	/* ork-api, no orchestrator needed for reads */
	snprintf(a_db, sizeof(a_db), "--database-url=%s", db);
	snprintf(a_listen, sizeof(a_listen), "--api-listen=127.0.0.1:%d", port);
	snprintf(a_threads, sizeof(a_threads), "--api-threads=%ld", threads);
	snprintf(a_pool, sizeof(a_pool), "--api-db-pool=%ld", pool);
	snprintf(a_orch, sizeof(a_orch), "--orchestrator-control=tcp://"
	    "127.0.0.1:%d", h_free_port());
	snprintf(a_events, sizeof(a_events), "--orchestrator-events=tcp://"
	    "127.0.0.1:%d", h_free_port());
	{
		const char *args[] = { a_db, a_listen, a_threads, a_pool,
		    a_orch, a_events, "--log-level=warn", NULL };
		const char *env[] = { "ORK_ADMIN_PASSWORD=" BENCH_PASSWORD,
		    NULL };

		h_spawn(&api, "bench-api", "ork-api", args, env);
	}
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	for (int i = 0; i < 200; i++) {
		snprintf(url, sizeof(url), "%s/health", base);
		if (h_http("GET", url, NULL, NULL, NULL) == 200)
			break;
		h_sleep_ms(50);
	}
	token = login(base);

	/* 1,000 random job ids for GET /jobs/{id} */
	snprintf(script, sizeof(script), "%s/bench-api-jobs.lua",
	    h_env("ORK_TEST_OUT"));
	f = fopen(script, "w");
	assert_non_null(f);
	res = PQexec(c, "SELECT job_id FROM job_definitions ORDER BY random() "
	    "LIMIT 1000");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	pace.njobs = PQntuples(res);
	pace.jobs = calloc((size_t)pace.njobs, sizeof(*pace.jobs));
	assert_non_null(pace.jobs);
	fprintf(f, "local ids = {\n");
	for (int i = 0; i < pace.njobs; i++) {
		fprintf(f, "\"%s\",\n", PQgetvalue(res, i, 0));
		snprintf(pace.jobs[i], sizeof(pace.jobs[i]), "%s",
		    PQgetvalue(res, i, 0));
	}
	fprintf(f, "}\nlocal n = #ids\nrequest = function()\n"
	    "  return wrk.format(\"GET\", \"/jobs/\" .. ids[math.random(n)])\n"
	    "end\n");
	PQclear(res);
	fclose(f);
	pace.port = port;
	pace.token = token;

	/* warm up; the most each route serves (wrk: closed loop) ... */
	snprintf(url, sizeof(url), "%s/runs?limit=50", base);
	run_wrk("bench-api-warm-runs", url, NULL, token, 3, conns, &wr);
	run_wrk("bench-api-runs", url, NULL, token, secs, conns, &wr);
	run_wrk("bench-api-warm-jobs", base, script, token, 3, conns, &wj);
	run_wrk("bench-api-jobs", base, script, token, secs, conns, &wj);
	/* ... and its latency at the target rate (paced: open loop) */
	pace.path = "/runs?limit=50";
	paced(&pace, (double)rate, secs, &pr);
	pace.path = NULL;
	paced(&pace, (double)rate, secs, &pj);
	deep_ms = deep_page(c, base, token, runs / 10);

	printf("{\"benchmark\": \"api\", \"cores\": %ld, \"jobs\": %ld, "
	    "\"runs\": %ld, \"generate_s\": %.1f, \"setup\": {\"api_threads\": "
	    "%ld, \"db_pool\": %ld, \"wrk_connections\": %ld, "
	    "\"paced_clients\": %d, \"seconds\": %ld}, ", cores, jobs, runs,
	    gen_s, threads, pool, conns, PACE_CLIENTS, secs);
	print_route("GET /runs?limit=50", &wr, &pr, rate);
	printf(", ");
	print_route("GET /jobs/{id}", &wj, &pj, rate);
	printf(", \"GET /runs?limit=50 at %ld runs down, one client\": "
	    "{\"mean_ms\": %.2f}, \"target\": {\"requests_per_s\": %ld, "
	    "\"p99_ms\": 20}, \"met\": %s}\n", runs / 10, deep_ms, rate,
	    met(&wr, &pr, rate) && met(&wj, &pj, rate) ? "true" : "false");
	fflush(stdout);
	free(token);
	free(pace.jobs);
	assert_int_equal(wr.errors + wj.errors + pr.errors + pj.errors, 0);
	h_stop(&api, SIGTERM, 5000);
	PQfinish(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bench),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
