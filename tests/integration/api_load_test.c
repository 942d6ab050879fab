/*
 * api_load_test.c - 64 clients for 30 s of mixed reads and writes on
 * ork-api (with the orchestrator and a worker running the triggered
 * runs): no answer may be an error, and ork-api's database connections,
 * as PostgreSQL counts them, never exceed its pool.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "api_util.h"

#define LOAD_CLIENTS	64
#define LOAD_SECONDS	30
#define LOAD_POOL	4
#define LOAD_JOBS	32	/* jobs the readers pick from */

struct shared {
	struct api_stack	*s;
	char			 jobs[LOAD_JOBS][64];
	char			 runs[256][64];
	atomic_int		 nruns;
	atomic_long		 requests;
	atomic_long		 errors;
	atomic_int		 stop;
	atomic_int		 max_conns;
	pthread_mutex_t		 lock;
	char			 first_error[512];
};

struct client {
	struct shared	*sh;
	int		 id;
	unsigned	 seed;
};

static void
note(struct shared *sh, const char *what, const struct api_resp *r)
{
	atomic_fetch_add(&sh->requests, 1);
	if (r->status >= 200 && r->status < 300)
		return;
	atomic_fetch_add(&sh->errors, 1);
	pthread_mutex_lock(&sh->lock);
	if (sh->first_error[0] == '\0')
		snprintf(sh->first_error, sizeof(sh->first_error), "%s: %ld %s",
		    what, r->status, r->body != NULL ? r->body : "");
	pthread_mutex_unlock(&sh->lock);
}

static void *
client_main(void *arg)
{
	struct client	*cl = arg;
	struct shared	*sh = cl->sh;
	CURL		*h = curl_easy_init();
	int		 made = 0;

	while (!atomic_load(&sh->stop)) {
		struct api_resp	 r;
		char		 path[256], body[512];
		unsigned	 dice = (unsigned)rand_r(&cl->seed) % 100;
		const char	*job = sh->jobs[(unsigned)rand_r(&cl->seed) %
		    LOAD_JOBS];
		int		 nruns = atomic_load(&sh->nruns);

		if (dice < 35) {
			api_call_on(h, sh->s, "GET", "/runs?limit=50",
			    sh->s->admin, NULL, NULL, 0, NULL, &r);
			note(sh, "GET /runs", &r);
		} else if (dice < 50) {
			snprintf(path, sizeof(path), "/jobs/%s", job);
			api_call_on(h, sh->s, "GET", path, sh->s->admin, NULL,
			    NULL, 0, NULL, &r);
			note(sh, "GET /jobs/{id}", &r);
		} else if (dice < 58) {
			api_call_on(h, sh->s, "GET", "/jobs?limit=20",
			    sh->s->admin, NULL, NULL, 0, NULL, &r);
			note(sh, "GET /jobs", &r);
		} else if (dice < 68) {
			snprintf(path, sizeof(path), "/jobs/%s/run", job);
			api_call_on(h, sh->s, "POST", path, sh->s->admin, NULL,
			    NULL, 0, NULL, &r);
			note(sh, "POST /jobs/{id}/run", &r);
			if (r.status == 201) {
				int i = atomic_fetch_add(&sh->nruns, 1);

				if (i < 256) {
					pthread_mutex_lock(&sh->lock);
					snprintf(sh->runs[i], sizeof(sh->runs[i]),
					    "%s", api_str(r.json, "run_id"));
					pthread_mutex_unlock(&sh->lock);
				}
			}
		} else if (dice < 80 && nruns > 0) {
			char run[64];

			pthread_mutex_lock(&sh->lock);
			snprintf(run, sizeof(run), "%s", sh->runs[(unsigned)
			    rand_r(&cl->seed) % (unsigned)(nruns < 256 ? nruns :
			    256)]);
			pthread_mutex_unlock(&sh->lock);
			snprintf(path, sizeof(path), dice < 74 ? "/runs/%s" :
			    "/runs/%s/tasks", run);
			api_call_on(h, sh->s, "GET", path, sh->s->admin, NULL,
			    NULL, 0, NULL, &r);
			note(sh, "GET /runs/{id}", &r);
		} else if (dice < 88) {
			snprintf(path, sizeof(path), "/jobs/%s", job);
			snprintf(body, sizeof(body), "{\"description\":\"by %d\"}",
			    cl->id);
			api_call_on(h, sh->s, "PATCH", path, sh->s->admin,
			    NULL, body, strlen(body), NULL, &r);
			note(sh, "PATCH /jobs/{id}", &r);
		} else {
			/*
			 * create a job of one's own, replace it, delete it; its
			 * schedule must not fire meanwhile (a queued run makes
			 * DELETE a 409), so once a year
			 */
			char id[64];

			snprintf(body, sizeof(body), "{\"job_name\":\"c%d-%d\","
			    "\"schedule\":\"0 0 1 1 *\",\"tasks\":[{"
			    "\"extractor_config\":{\"type\":\"command\","
			    "\"argv\":[\"/bin/true\"]}}]}", cl->id, made++);
			api_call_on(h, sh->s, "POST", "/jobs", sh->s->admin,
			    NULL, body, strlen(body), NULL, &r);
			note(sh, "POST /jobs", &r);
			snprintf(id, sizeof(id), "%s", api_str(r.json,
			    "job_id"));
			api_resp_free(&r);
			snprintf(path, sizeof(path), "/jobs/%s", id);
			api_call_on(h, sh->s, "PUT", path, sh->s->admin, NULL,
			    body, strlen(body), NULL, &r);
			note(sh, "PUT /jobs/{id}", &r);
			api_resp_free(&r);
			api_call_on(h, sh->s, "DELETE", path, sh->s->admin,
			    NULL, NULL, 0, NULL, &r);
			note(sh, "DELETE /jobs/{id}", &r);
		}
		api_resp_free(&r);
	}
	curl_easy_cleanup(h);
	return NULL;
}

/* watch samples ork-api's connections as PostgreSQL sees them. */
static void *
watch_main(void *arg)
{
	struct shared	*sh = arg;
	PGconn		*c = PQconnectdb(sh->s->db);

	while (!atomic_load(&sh->stop) && PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, "SELECT count(*) FROM "
		    "pg_stat_activity WHERE application_name = 'ork-api' AND "
		    "datname = current_database()");

		if (PQresultStatus(r) == PGRES_TUPLES_OK) {
			int n = atoi(PQgetvalue(r, 0, 0));

			if (n > atomic_load(&sh->max_conns))
				atomic_store(&sh->max_conns, n);
		}
		PQclear(r);
		h_sleep_ms(50);
	}
	PQfinish(c);
	return NULL;
}

static void
test_64_clients(void **state)
{
	char			 pool_arg[32];
	const char		*args[] = { pool_arg, NULL };
	struct api_stack	 s;
	static struct shared	 sh;
	struct client		 cl[LOAD_CLIENTS];
	pthread_t		 t[LOAD_CLIENTS], w;
	struct api_resp		 r;
	char			 val[32];
	PGconn			*c;

	(void)state;
	snprintf(pool_arg, sizeof(pool_arg), "--api-db-pool=%d", LOAD_POOL);
	api_stack_start(&s, "api_load", API_WITH_ORCH | API_WITH_WORKER, args,
	    NULL);
	memset(&sh, 0, sizeof(sh));
	sh.s = &s;
	pthread_mutex_init(&sh.lock, NULL);
	for (int i = 0; i < LOAD_JOBS; i++) {
		char body[256], *id;

		snprintf(body, sizeof(body), "{\"job_name\":\"load-%d\","
		    "\"tasks\":[{\"extractor_config\":{\"type\":\"noop\"}},"
		    "{\"extractor_config\":{\"type\":\"noop\"}}]}", i);
		id = api_create_job(&s, body);
		snprintf(sh.jobs[i], sizeof(sh.jobs[i]), "%s", id);
		free(id);
	}

	assert_int_equal(pthread_create(&w, NULL, watch_main, &sh), 0);
	for (int i = 0; i < LOAD_CLIENTS; i++) {
		cl[i].sh = &sh;
		cl[i].id = i;
		cl[i].seed = (unsigned)(i * 7919 + 1);
		assert_int_equal(pthread_create(&t[i], NULL, client_main,
		    &cl[i]), 0);
	}
	h_sleep_ms(LOAD_SECONDS * 1000);
	atomic_store(&sh.stop, 1);
	for (int i = 0; i < LOAD_CLIENTS; i++)
		pthread_join(t[i], NULL);
	pthread_join(w, NULL);

	print_message("# %ld requests in %d s by %d clients (%ld/s), %ld "
	    "errors, %d runs triggered, at most %d database connections\n",
	    atomic_load(&sh.requests), LOAD_SECONDS, LOAD_CLIENTS,
	    atomic_load(&sh.requests) / LOAD_SECONDS, atomic_load(&sh.errors),
	    atomic_load(&sh.nruns), atomic_load(&sh.max_conns));
	if (atomic_load(&sh.errors) != 0)
		fail_msg("%ld error answers; first: %s", atomic_load(&sh.errors),
		    sh.first_error);
	assert_true(atomic_load(&sh.requests) > LOAD_CLIENTS * 10);
	assert_true(atomic_load(&sh.max_conns) >= 1);
	assert_true(atomic_load(&sh.max_conns) <= LOAD_POOL);

	/* still healthy, nothing leaked: the pool's connections are idle */
	assert_int_equal(api_call(&s, "GET", "/ready", NULL, NULL, &r), 200);
	api_resp_free(&r);
	c = h_db_connect(s.db);
	for (int i = 0; i < 20; i++) {
		/* the event hub reads the table now and then: look again */
		h_db_value(c, "SELECT count(*) FROM pg_stat_activity WHERE "
		    "application_name = 'ork-api' AND datname = "
		    "current_database() AND state <> 'idle'", val, sizeof(val));
		if (strcmp(val, "0") == 0)
			break;
		h_sleep_ms(50);
	}
	assert_string_equal(val, "0");
	PQfinish(c);
	pthread_mutex_destroy(&sh.lock);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_64_clients, api_teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
