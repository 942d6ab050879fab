/*
 * metrics_test.c - the metrics module: text rendering, histogram
 * buckets, label escaping, the catalog, and increments from many threads
 * at once losing nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"
#include "strbuf.h"

static const char *const colours[] = { "red", "gre\"en", "other", NULL };
static const char *const sizes[] = { "s", "m", NULL };
static const double bounds[] = { 0.1, 1, 10 };

static struct metric t_counter = { "t_things_total", "Things.",
	METRIC_COUNTER, 0, { { "colour", colours }, { NULL, NULL } }, NULL, 0,
	{ 0, 0 }, 0, 0, NULL };
static struct metric t_gauge = { "t_level", "A level.", METRIC_GAUGE, 0,
	{ { NULL, NULL }, { NULL, NULL } }, NULL, 0, { 0, 0 }, 0, 0, NULL };
static struct metric t_hist = { "t_wait_seconds", "Waits.",
	METRIC_HISTOGRAM, 0, { { "size", sizes }, { NULL, NULL } }, bounds, 3,
	{ 0, 0 }, 0, 0, NULL };
static struct metric t_two = { "t_pairs_total", "Pairs.", METRIC_COUNTER,
	0, { { "colour", colours }, { "size", sizes } }, NULL, 0, { 0, 0 }, 0,
	0, NULL };
static struct metric t_unregistered = { "t_never_total", "Never.",
	METRIC_COUNTER, 0, { { NULL, NULL }, { NULL, NULL } }, NULL, 0,
	{ 0, 0 }, 0, 0, NULL };

static char *
render(void)
{
	struct strbuf	sb;
	char		*copy;

	strbuf_init(&sb, METRICS_RENDER_MAX);
	assert_int_equal(metrics_render(&sb), 0);
	copy = strdup(strbuf_str(&sb));
	assert_non_null(copy);
	strbuf_free(&sb);
	return copy;
}

static int
setup(void **state)
{
	static const char *const methods[] = { "GET", "POST" };
	static const char *const paths[] = { "/jobs", "/jobs/{job_id}/run" };

	(void)state;
	if (metrics_http_routes(methods, paths, 2) != 0 ||
	    metrics_init("ork-test", METRICS_API) != 0 ||
	    metrics_register(&t_counter) != 0 ||
	    metrics_register(&t_gauge) != 0 ||
	    metrics_register(&t_hist) != 0 ||
	    metrics_register(&t_two) != 0)
		return -1;
	return 0;
}

static void
test_counter_and_gauge(void **state)
{
	char *text;

	(void)state;
	metrics_inc(&t_counter, 0);
	metrics_add(&t_counter, 1, 41);
	metrics_add(&t_counter, 7, 1);		/* out of range: ignored */
	metrics_inc(&t_unregistered, 0);	/* not registered: ignored */
	metrics_set(&t_gauge, 0, 2.5);
	metrics_gauge_add(&t_gauge, 0, -1);
	assert_true(metrics_value(&t_gauge, 0) == 1.5);
	text = render();
	assert_non_null(strstr(text, "# HELP t_things_total Things.\n"
	    "# TYPE t_things_total counter\n"
	    "t_things_total{colour=\"red\"} 1\n"
	    "t_things_total{colour=\"gre\\\"en\"} 41\n"
	    "t_things_total{colour=\"other\"} 0\n"));
	assert_non_null(strstr(text, "# TYPE t_level gauge\nt_level 1.5\n"));
	assert_null(strstr(text, "t_never_total"));
	free(text);
}

static void
test_histogram(void **state)
{
	char *text;

	(void)state;
	metrics_observe(&t_hist, 1, 0.05);
	metrics_observe(&t_hist, 1, 0.1);	/* le is inclusive */
	metrics_observe(&t_hist, 1, 5);
	metrics_observe(&t_hist, 1, 100);
	text = render();
	assert_non_null(strstr(text, "# TYPE t_wait_seconds histogram\n"
	    "t_wait_seconds_bucket{size=\"s\",le=\"0.1\"} 0\n"));
	assert_non_null(strstr(text,
	    "t_wait_seconds_bucket{size=\"m\",le=\"0.1\"} 2\n"
	    "t_wait_seconds_bucket{size=\"m\",le=\"1\"} 2\n"
	    "t_wait_seconds_bucket{size=\"m\",le=\"10\"} 3\n"
	    "t_wait_seconds_bucket{size=\"m\",le=\"+Inf\"} 4\n"
	    "t_wait_seconds_sum{size=\"m\"} 105.15\n"
	    "t_wait_seconds_count{size=\"m\"} 4\n"));
	free(text);
}

static void
test_two_labels_and_catalog(void **state)
{
	char		*text;
	unsigned	 s;

	(void)state;
	s = metrics_series2(&t_two, 2, 1);
	assert_int_equal(s, 5);
	metrics_inc(&t_two, s);
	assert_int_equal(metrics_series2(&t_two, 3, 0), (unsigned)-1);
	assert_int_equal(metrics_index(&t_counter, 0, "red"), 0);
	assert_int_equal(metrics_index(&t_counter, 0, "blue"), 2);
	/* route labels and statuses of the http metrics */
	metrics_inc(&m_http_requests, metrics_series2(&m_http_requests, 1,
	    metrics_status_index(201)));
	metrics_inc(&m_http_requests, metrics_series2(&m_http_requests, 2,
	    metrics_status_index(299)));
	metrics_observe(&m_http_duration, 1, 0.003);
	text = render();
	assert_non_null(strstr(text, "t_pairs_total{colour=\"other\","
	    "size=\"m\"} 1\n"));
	assert_non_null(strstr(text, "ork_build_info{daemon=\"ork-test\","
	    "version=\""));
	assert_non_null(strstr(text, "# TYPE ork_process_start_time_seconds "
	    "gauge\n"));
	assert_non_null(strstr(text, "ork_http_requests_total{method=\"POST\","
	    "route=\"/jobs/{job_id}/run\",status=\"201\"} 1\n"));
	assert_non_null(strstr(text, "ork_http_requests_total{method="
	    "\"other\",route=\"unmatched\",status=\"other\"} 1\n"));
	assert_non_null(strstr(text, "ork_http_request_duration_seconds_bucket"
	    "{method=\"POST\",route=\"/jobs/{job_id}/run\",le=\"0.005\"} 1\n"));
	/* metrics of other daemons are not served */
	assert_null(strstr(text, "ork_worker_slots"));
	assert_null(strstr(text, "ork_queue_depth"));
	free(text);
}

#define THREADS 8
#define PER_THREAD 200000

static void *
hammer(void *arg)
{
	(void)arg;
	for (int i = 0; i < PER_THREAD; i++) {
		metrics_inc(&t_counter, 2);
		metrics_gauge_add(&t_gauge, 0, 1);
		metrics_observe(&t_hist, 0, (i % 2) ? 0.5 : 50);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t	t[THREADS];
	double		before = metrics_value(&t_gauge, 0);
	char		*text, want[128];

	(void)state;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
	/* a scrape while they count must not disturb them */
	free(render());
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	assert_true(metrics_value(&t_counter, 2) == (double)THREADS *
	    PER_THREAD);
	assert_true(metrics_value(&t_gauge, 0) - before == (double)THREADS *
	    PER_THREAD);
	text = render();
	snprintf(want, sizeof(want), "t_wait_seconds_bucket{size=\"s\","
	    "le=\"1\"} %d\n", THREADS * PER_THREAD / 2);
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want), "t_wait_seconds_count{size=\"s\"} %d\n",
	    THREADS * PER_THREAD);
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want), "t_wait_seconds_sum{size=\"s\"} %d\n",
	    THREADS * PER_THREAD / 2 * 50 + THREADS * PER_THREAD / 4);
	assert_non_null(strstr(text, want));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_and_gauge),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_two_labels_and_catalog),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
