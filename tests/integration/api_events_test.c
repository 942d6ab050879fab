/*
 * api_events_test.c - GET /events as a client sees it, with the real
 * orchestrator and worker: the run a client triggered goes queued ->
 * running -> success on its stream; a client that reconnects with
 * Last-Event-ID gets what it missed; filters; an event only in the
 * database (never published) still arrives; streams beyond the limit
 * get 503 and never take the threads requests need.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api_util.h"

/* A raw connection reading a text/event-stream. */
struct sse {
	int	fd;
	int	status;
	char	buf[65536];
	size_t	len;
};

struct sse_event {
	long long	id;
	char		event[16];
	char		data[2048];
};

static int
sse_fill(struct sse *s, int timeout_ms)
{
	struct pollfd	pfd = { s->fd, POLLIN, 0 };
	ssize_t		n;

	if (s->len + 1 >= sizeof(s->buf))
		return -1;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len - 1);
	if (n <= 0)
		return -1;
	s->len += (size_t)n;
	s->buf[s->len] = '\0';
	return 1;
}

static void
sse_consume(struct sse *s, size_t n)
{
	memmove(s->buf, s->buf + n, s->len - n);
	s->len -= n;
	s->buf[s->len] = '\0';
}

/*
 * sse_open connects and sends GET path; returns the HTTP status read
 * from the answer (the stream stays open when it is 200).
 */
static int
sse_open(struct sse *s, const struct api_stack *st, const char *path,
    const char *token, const char *last_id)
{
	struct sockaddr_in	sa;
	char			req[2048];
	char			*end;
	int			n;

	memset(s, 0, sizeof(*s));
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)st->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Accept: text/event-stream\r\n%s%s%s%s%s%s\r\n", path,
	    token != NULL ? "Authorization: Bearer " : "",
	    token != NULL ? token : "", token != NULL ? "\r\n" : "",
	    last_id != NULL ? "Last-Event-ID: " : "",
	    last_id != NULL ? last_id : "", last_id != NULL ? "\r\n" : "");
	assert_int_equal(write(s->fd, req, (size_t)n), n);
	for (int i = 0; i < 100 && (end = strstr(s->buf, "\r\n\r\n")) == NULL;
	    i++)
		if (sse_fill(s, 100) < 0)
			break;
	end = strstr(s->buf, "\r\n\r\n");
	assert_non_null(end);
	assert_int_equal(sscanf(s->buf, "HTTP/1.1 %d", &s->status), 1);
	if (s->status == 200)
		assert_non_null(strstr(s->buf, "text/event-stream"));
	sse_consume(s, (size_t)(end + 4 - s->buf));
	return s->status;
}

static void
sse_close(struct sse *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/*
 * sse_next reads the next event (comments and retry lines skipped).
 * Returns 1, 0 on timeout, -1 when the stream closed.
 */
static int
sse_next(struct sse *s, int timeout_ms, struct sse_event *ev)
{
	for (int waited = 0;;) {
		char *end = strstr(s->buf, "\n\n");

		if (end != NULL) {
			size_t	 n = (size_t)(end + 2 - s->buf);
			char	*line = s->buf;
			int	 any = 0;

			memset(ev, 0, sizeof(*ev));
			*end = '\0';
			while (line != NULL && *line != '\0') {
				char *nl = strchr(line, '\n');

				if (nl != NULL)
					*nl = '\0';
				if (strncmp(line, "id: ", 4) == 0) {
					ev->id = strtoll(line + 4, NULL, 10);
					any = 1;
				} else if (strncmp(line, "event: ", 7) == 0)
					snprintf(ev->event, sizeof(ev->event),
					    "%s", line + 7);
				else if (strncmp(line, "data: ", 6) == 0)
					snprintf(ev->data, sizeof(ev->data),
					    "%s", line + 6);
				line = nl != NULL ? nl + 1 : NULL;
			}
			sse_consume(s, n);
			if (any)
				return 1;
			continue;
		}
		if (waited >= timeout_ms)
			return 0;
		if (sse_fill(s, 100) < 0)
			return -1;
		waited += 100;
	}
}

/* A run's change as seen on a stream: "run:queued", "task:success". */
static void
describe(const struct sse_event *ev, char *out, size_t len, char *run,
    size_t runlen)
{
	cJSON *d = cJSON_Parse(ev->data);

	assert_non_null(d);
	snprintf(out, len, "%s:%s", ev->event, api_str(d, "status"));
	assert_string_equal(api_str(d, "kind"), ev->event);
	assert_int_equal((long long)cJSON_GetObjectItem(d, "event_id")->
	    valuedouble, ev->id);
	snprintf(run, runlen, "%s", api_str(d, "run_id"));
	cJSON_Delete(d);
}

/*
 * collect reads events of run_id until the run's final event, writing
 * them space-separated into seq; returns the id of the first event.
 */
static long long
collect(struct sse *s, const char *run_id, char *seq, size_t len,
    long long *last, int timeout_ms)
{
	struct sse_event	ev;
	long long		first = 0, prev = 0;
	char			what[64], run[64];

	seq[0] = '\0';
	while (sse_next(s, timeout_ms, &ev) == 1) {
		describe(&ev, what, sizeof(what), run, sizeof(run));
		assert_true(ev.id > prev);	/* in id order */
		prev = ev.id;
		if (strcmp(run, run_id) != 0)
			continue;
		if (first == 0)
			first = ev.id;
		*last = ev.id;
		snprintf(seq + strlen(seq), len - strlen(seq), "%s%s",
		    seq[0] != '\0' ? " " : "", what);
		if (strcmp(what, "run:success") == 0 ||
		    strcmp(what, "run:failed") == 0)
			break;
	}
	return first;
}

/* runs_only keeps the run events of a sequence. */
static void
runs_only(const char *seq, char *out, size_t len)
{
	out[0] = '\0';
	while (*seq != '\0') {
		size_t n = strcspn(seq, " ");

		if (strncmp(seq, "run:", 4) == 0)
			snprintf(out + strlen(out), len - strlen(out), "%s%.*s",
			    out[0] != '\0' ? " " : "", (int)n, seq);
		seq += n;
		while (*seq == ' ')
			seq++;
	}
}

/* check_live: what a client sees of a run, whatever tasks emit. */
static void
check_live(const char *seq)
{
	char runs[256];

	runs_only(seq, runs, sizeof(runs));
	assert_string_equal(runs, "run:queued run:running run:success");
	assert_non_null(strstr(seq, "task:success"));
	assert_true(strstr(seq, "task:running") < strstr(seq, "task:success"));
}

/* after_first: the sequence without its first event. */
static const char *
after_first(const char *seq)
{
	const char *sp = strchr(seq, ' ');

	return sp != NULL ? sp + 1 : "";
}

static char *
trigger(const struct api_stack *s, const char *job)
{
	struct api_resp	 r;
	char		 path[128];
	char		*id;

	snprintf(path, sizeof(path), "/jobs/%s/run", job);
	if (api_call(s, "POST", path, s->admin, NULL, &r) != 201)
		fail_msg("trigger: %ld %s", r.status, r.body);
	id = strdup(api_str(r.json, "run_id"));
	api_resp_free(&r);
	return id;
}

static void
test_stream_and_reconnect(void **state)
{
	struct api_stack	 s;
	struct sse		 a, b;
	struct sse_event	 ev;
	char			 seq[1200], seq2[1024], path[256], idbuf[32];
	char			 what[64], run[64];
	char			*job, *other, *run1, *run2;
	long long		 first, last = 0, last2 = 0;

	(void)state;
	api_stack_start(&s, "api_events", API_WITH_ORCH | API_WITH_WORKER,
	    NULL, NULL);
	job = api_create_job(&s, "{\"job_name\":\"ev\",\"tasks\":[{"
	    "\"extractor_config\":{\"type\":\"noop\"}}]}");
	other = api_create_job(&s, "{\"job_name\":\"other\",\"tasks\":[{"
	    "\"extractor_config\":{\"type\":\"noop\"}}]}");

	/* a client sees the run it triggers go queued -> running -> success */
	assert_int_equal(sse_open(&a, &s, "/events", s.admin, NULL), 200);
	run1 = trigger(&s, job);
	first = collect(&a, run1, seq, sizeof(seq), &last, 15000);
	assert_true(first > 0);
	check_live(seq);
	sse_close(&a);

	/* reconnecting after the first event replays the rest, in order */
	snprintf(idbuf, sizeof(idbuf), "%lld", first);
	assert_int_equal(sse_open(&b, &s, "/events", s.admin, idbuf), 200);
	collect(&b, run1, seq2, sizeof(seq2), &last2, 5000);
	assert_string_equal(seq2, after_first(seq));
	assert_int_equal(last2, last);
	sse_close(&b);
	/* ?last_event_id= is the same, for clients that cannot set headers */
	snprintf(path, sizeof(path), "/events?last_event_id=%lld", first);
	assert_int_equal(sse_open(&b, &s, path, s.admin, NULL), 200);
	collect(&b, run1, seq2, sizeof(seq2), &last2, 5000);
	assert_string_equal(seq2, after_first(seq));
	sse_close(&b);

	/* a run that happens while the client is away is not missed */
	assert_int_equal(sse_open(&a, &s, "/events", s.admin, NULL), 200);
	run2 = trigger(&s, other);
	assert_int_equal(sse_next(&a, 15000, &ev), 1);
	describe(&ev, what, sizeof(what), run, sizeof(run));
	assert_string_equal(what, "run:queued");
	assert_string_equal(run, run2);
	sse_close(&a);
	assert_true(api_wait_run(&s, run2, "success", 15000));
	snprintf(idbuf, sizeof(idbuf), "%lld", ev.id);
	assert_int_equal(sse_open(&b, &s, "/events", s.admin, idbuf), 200);
	collect(&b, run2, seq2, sizeof(seq2), &last2, 5000);
	snprintf(seq, sizeof(seq), "run:queued %s", seq2);
	check_live(seq);
	sse_close(&b);

	/* filters: only the events of one job, or of one run */
	snprintf(path, sizeof(path), "/events?job_id=%s&last_event_id=0", job);
	assert_int_equal(sse_open(&b, &s, path, s.admin, NULL), 200);
	while (sse_next(&b, 1500, &ev) == 1)
		assert_non_null(strstr(ev.data, run1));	/* nothing of other */
	assert_true(ev.id == last);
	sse_close(&b);
	/* ids in upper case are the same ids */
	snprintf(path, sizeof(path), "/events?run_id=%s&last_event_id=0", run2);
	for (char *u = strstr(path, "run_id=") + 7; *u != '&'; u++)
		*u = (char)toupper((unsigned char)*u);
	assert_int_equal(sse_open(&b, &s, path, s.admin, NULL), 200);
	collect(&b, run2, seq2, sizeof(seq2), &last2, 5000);
	check_live(seq2);
	sse_close(&b);

	/* refusals */
	assert_int_equal(sse_open(&b, &s, "/events", NULL, NULL), 401);
	sse_close(&b);
	assert_int_equal(sse_open(&b, &s, "/events?job_id=x", s.admin, NULL),
	    400);
	sse_close(&b);
	assert_int_equal(sse_open(&b, &s, "/events", s.admin, "-1"), 400);
	sse_close(&b);
	free(job);
	free(other);
	free(run1);
	free(run2);
}

/* An events row nobody published reaches the stream anyway. */
static void
test_event_only_in_database(void **state)
{
	struct api_stack	 s;
	struct sse		 a;
	struct sse_event	 ev;
	PGconn			*c;
	char			 job[64], run[64], sql[512];
	int			 got = 0;

	(void)state;
	api_stack_start(&s, "api_events_db", 0, NULL, NULL);
	c = h_db_connect(s.db);
	h_db_value(c, "INSERT INTO job_definitions (job_name) VALUES ('q') "
	    "RETURNING job_id", job, sizeof(job));
	snprintf(sql, sizeof(sql), "INSERT INTO job_runs (job_id, "
	    "triggered_by) VALUES ('%s', 'manual') RETURNING run_id", job);
	h_db_value(c, sql, run, sizeof(run));
	assert_int_equal(sse_open(&a, &s, "/events", s.admin, NULL), 200);
	snprintf(sql, sizeof(sql), "INSERT INTO events (kind, job_id, run_id, "
	    "status) VALUES ('run', '%s', '%s', 'queued') RETURNING event_id",
	    job, run);
	{
		char id[32];

		h_db_value(c, sql, id, sizeof(id));
		/* no orchestrator: only the hub's polling can find it */
		while (sse_next(&a, 5000, &ev) == 1)
			if (ev.id == strtoll(id, NULL, 10)) {
				got = 1;
				break;
			}
	}
	assert_true(got);
	assert_non_null(strstr(ev.data, run));
	sse_close(&a);
	PQfinish(c);
}

/* Streams have threads of their own and a limit. */
static void
test_stream_limit(void **state)
{
	const char		*args[] = { "--api-sse-clients=2",
	    "--api-threads=2", NULL };
	struct api_stack	 s;
	struct api_resp		 r;
	struct sse		 a, b, c;

	(void)state;
	api_stack_start(&s, "api_events_limit", 0, args, NULL);
	assert_int_equal(sse_open(&a, &s, "/events", s.admin, NULL), 200);
	assert_int_equal(sse_open(&b, &s, "/events", s.admin, NULL), 200);
	/* requests are still served while both streams are open */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(api_call(&s, "GET", "/jobs", s.admin, NULL,
		    &r), 200);
		api_resp_free(&r);
	}
	assert_int_equal(sse_open(&c, &s, "/events", s.admin, NULL), 503);
	assert_non_null(strstr(c.buf, "too many event streams"));
	sse_close(&c);
	/* the daemon stops promptly with streams open */
	assert_int_equal(h_stop(&s.api, SIGTERM, 3000), 0);
	s.has_api = 0;
	sse_close(&a);
	sse_close(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_stream_and_reconnect,
		    api_teardown),
		cmocka_unit_test_teardown(test_event_only_in_database,
		    api_teardown),
		cmocka_unit_test_teardown(test_stream_limit, api_teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
