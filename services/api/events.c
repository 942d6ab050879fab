/*
 * events.c - GET /events: server-sent events of run and task changes.
 *
 * One hub thread per process subscribes to the orchestrators' event
 * address.  An event on it is only a hint: the hub then reads the rows
 * after the last id it has from the events table (the orchestrator
 * writes one row in the same transaction as each change), in id order,
 * into a ring that every stream reads from.  It also reads the table
 * when it has heard nothing for EVENTS_POLL_MS, so an event PUB/SUB
 * dropped is late, never lost.
 *
 * Ids are handed out before commit, so id 11 can commit before id 10,
 * and a transaction that rolls back leaves a hole.  When the hub sees a
 * hole it waits up to EVENTS_GAP_WAIT_MS for the missing id before it
 * moves on: events reach streams in id order, so a stream's last id
 * (Last-Event-ID) is a true position.
 *
 * A stream that connects with Last-Event-ID (or ?last_event_id=)
 * first gets the rows after that id from the table, page by page, then
 * follows the ring.  A stream that falls behind the ring does the same.
 *
 * civetweb serves a connection on one thread for as long as it lasts.
 * Streams get threads of their own (ork-api starts ORK_API_THREADS +
 * ORK_API_SSE_CLIENTS threads, and refuses streams beyond
 * ORK_API_SSE_CLIENTS with 503), so open streams never take the
 * threads that serve requests.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "err.h"
#include "log.h"
#include "msg.h"

#define EVENTS_RING		4096	/* events kept for streams */
#define EVENTS_POLL_MS		1000	/* quiet: read the table this often */
#define EVENTS_GAP_WAIT_MS	2000	/* wait this long for a missing id */
#define EVENTS_GAP_POLL_MS	50	/* read this often meanwhile */
#define EVENTS_BATCH		1000	/* rows read by the hub at once */
#define EVENTS_REPLAY_PAGE	500	/* rows read by a stream at once */
#define EVENTS_KEEPALIVE_MS	15000	/* comment line on a quiet stream */
#define EVENTS_WAIT_MS		500	/* a stream checks for stop this often */
#define EVENTS_COPY		64	/* events a stream takes per lock */
#define EVENTS_DATA_MAX		512	/* bytes of one event's JSON */

struct event {
	int64_t	id;
	char	kind[8];
	char	job_id[UTIL_UUID_LEN + 1];
	char	run_id[UTIL_UUID_LEN + 1];
	char	data[EVENTS_DATA_MAX];
};

struct events {
	struct api	*a;
	nng_socket	 sub;
	pthread_t	 hub;
	int		 hub_started;
	pthread_mutex_t	 lock;
	pthread_cond_t	 changed;
	struct event	*ring;		/* EVENTS_RING slots */
	uint64_t	 head;		/* events ever appended */
	int64_t		 watermark;	/* ids <= this are in order behind us */
	int64_t		 floor;		/* the ring holds (floor, watermark] */
	int		 clients;
	int		 stop;
	int64_t		 gap_since_ms;	/* 0: no hole being waited for */
};

#define EVENT_COLUMNS \
	"event_id, kind, job_id, run_id, task_run_id, status, attempt, " \
	"created_at"

/* The data of an event, from EVENT_COLUMNS. */
static const struct sql_field event_fields[] = {
	SQL_F("event_id", SQL_INT), SQL_F("kind", SQL_TEXT), SQL_F("job_id", SQL_UUID),
	SQL_F("run_id", SQL_UUID), SQL_F("task_run_id", SQL_UUID),
	SQL_F("status", SQL_TEXT), SQL_F("attempt", SQL_INT), SQL_F("at", SQL_TIME),
};

static const struct sql_stmt hub_stmt = {
	"events_hub",
	"SELECT " EVENT_COLUMNS " FROM events WHERE event_id > $1::int8 "
	"ORDER BY event_id LIMIT 1000",
	1, 1
};

/*
 * Replays: $1 after, $2 up to, then the filters a stream has ($3 job
 * or run, $4 run when both).
 */
static const struct sql_stmt replay_stmts[4] = {
	{ "events_replay_0", "SELECT " EVENT_COLUMNS " FROM events WHERE "
	    "event_id > $1::int8 AND event_id <= $2::int8 ORDER BY event_id "
	    "LIMIT 500", 2, 1 },
	{ "events_replay_1", "SELECT " EVENT_COLUMNS " FROM events WHERE "
	    "job_id = $3::uuid AND event_id > $1::int8 AND event_id <= $2::int8 "
	    "ORDER BY event_id LIMIT 500", 3, 1 },
	{ "events_replay_2", "SELECT " EVENT_COLUMNS " FROM events WHERE "
	    "run_id = $3::uuid AND event_id > $1::int8 AND event_id <= $2::int8 "
	    "ORDER BY event_id LIMIT 500", 3, 1 },
	{ "events_replay_3", "SELECT " EVENT_COLUMNS " FROM events WHERE "
	    "job_id = $3::uuid AND run_id = $4::uuid AND event_id > $1::int8 "
	    "AND event_id <= $2::int8 ORDER BY event_id LIMIT 500", 4, 1 },
};

static void
row_event(const PGresult *res, int i, struct event *ev)
{
	struct json_buf b;

	ev->id = sql_int(res, i, 0);
	snprintf(ev->kind, sizeof(ev->kind), "%.*s", PQgetlength(res, i, 1),
	    PQgetvalue(res, i, 1));
	sql_uuid(res, i, 2, ev->job_id);
	sql_uuid(res, i, 3, ev->run_id);
	json_buf_init(&b, sizeof(ev->data) - 1);
	sql_object(&b, res, i, 0, event_fields, SQL_NFIELDS(event_fields));
	snprintf(ev->data, sizeof(ev->data), "%s", json_buf_ok(&b) == 0 &&
	    b.data != NULL ? b.data : "{}");
	json_buf_free(&b);
}

static void
append(struct events *ev, const struct event *e)
{
	struct event *slot = &ev->ring[ev->head % EVENTS_RING];

	if (ev->head >= EVENTS_RING)
		ev->floor = slot->id;	/* the event this one replaces */
	*slot = *e;
	ev->head++;
	ev->watermark = e->id;
}

/*
 * hub_read reads the rows after the watermark into the ring.  Returns 1
 * while a hole is being waited for, 0 otherwise.
 */
static int
hub_read(struct events *ev)
{
	PGconn		*c;
	PGresult	*res;
	char		 after[32], msg[256];
	const char	*values[1] = { after };
	int		 err, rows, waiting = 0;

	if (sql_get(ev->a, EVENTS_POLL_MS, &c, msg, sizeof(msg)) != 0) {
		log_debug("events: no database connection: %s", msg);
		return 0;
	}
	do {
		pthread_mutex_lock(&ev->lock);
		snprintf(after, sizeof(after), "%lld",
		    (long long)ev->watermark);
		pthread_mutex_unlock(&ev->lock);
		res = sql_run(c, &hub_stmt, values, &err, msg, sizeof(msg));
		if (res == NULL) {
			log_warn("events: could not read the events table: %s",
			    msg);
			break;
		}
		rows = PQntuples(res);
		pthread_mutex_lock(&ev->lock);
		for (int i = 0; i < rows; i++) {
			struct event e;

			row_event(res, i, &e);
			if (e.id > ev->watermark + 1) {
				int64_t now = util_mono_ms();

				if (ev->gap_since_ms == 0)
					ev->gap_since_ms = now;
				if (now - ev->gap_since_ms < EVENTS_GAP_WAIT_MS) {
					waiting = 1;
					rows = i;	/* stop here */
					break;
				}
				log_debug("events: ids %lld to %lld never "
				    "committed", (long long)ev->watermark + 1,
				    (long long)e.id - 1);
			}
			ev->gap_since_ms = 0;
			append(ev, &e);
		}
		if (rows > 0)
			pthread_cond_broadcast(&ev->changed);
		pthread_mutex_unlock(&ev->lock);
		PQclear(res);
	} while (!waiting && rows == EVENTS_BATCH);
	sql_put(ev->a, c);
	return waiting;
}

static int
hub_start_position(struct events *ev)
{
	PGconn		*c;
	PGresult	*res;
	char		 msg[256];
	int		 err;

	if (sql_get(ev->a, API_DB_WAIT_MS, &c, msg, sizeof(msg)) != 0)
		return ORK_ECONN;
	res = sql_exec(c, "SELECT coalesce(max(event_id), 0) FROM events", 0,
	    NULL, &err, msg, sizeof(msg));	/* text */
	sql_put(ev->a, c);
	if (res == NULL)
		return err;
	pthread_mutex_lock(&ev->lock);
	ev->watermark = ev->floor = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	pthread_mutex_unlock(&ev->lock);
	PQclear(res);
	return 0;
}

static int
stopping(struct events *ev)
{
	int s;

	pthread_mutex_lock(&ev->lock);
	s = ev->stop;
	pthread_mutex_unlock(&ev->lock);
	return s;
}

static void *
hub_main(void *arg)
{
	struct events	*ev = arg;
	int		 waiting = 0;

	while (!stopping(ev)) {
		struct msg	m;
		int		rc, n = 0;

		rc = msg_sub_recv(ev->sub, waiting ? EVENTS_GAP_POLL_MS :
		    EVENTS_POLL_MS, &m);
		if (rc == ORK_ECLOSED)
			break;
		/* take whatever else is queued: one read serves them all */
		while (rc == 0 && n++ < EVENTS_BATCH) {
			msg_release(&m);
			rc = msg_sub_recv(ev->sub, 0, &m);
		}
		if (rc == 0)
			msg_release(&m);
		waiting = hub_read(ev);
	}
	return NULL;
}

/*
 * events_start subscribes to the orchestrators' events and starts the
 * hub.  Returns 0 or a project error with the reason in err.
 */
int
events_start(struct api *a, struct events **out, char *err, size_t errlen)
{
	static const Ork__MsgType types[] = { ORK__MSG_TYPE__MSG_CHANGES };
	struct events		*ev;
	pthread_condattr_t	 ca;
	int			 rc;

	*out = NULL;
	ev = calloc(1, sizeof(*ev));
	if (ev == NULL || (ev->ring = calloc(EVENTS_RING,
	    sizeof(*ev->ring))) == NULL) {
		free(ev);
		snprintf(err, errlen, "out of memory");
		return ORK_ENOMEM;
	}
	ev->a = a;
	pthread_mutex_init(&ev->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ev->changed, &ca);
	pthread_condattr_destroy(&ca);
	rc = msg_sub_open(&ev->sub, a->cfg->events, types, 1);
	if (rc != 0) {
		snprintf(err, errlen, "could not subscribe to %s: %s",
		    a->cfg->events, err_str(rc));
		goto fail;
	}
	if ((rc = hub_start_position(ev)) != 0) {
		snprintf(err, errlen, "could not read the last event id: %s",
		    err_str(rc));
		nng_close(ev->sub);
		goto fail;
	}
	if (pthread_create(&ev->hub, NULL, hub_main, ev) != 0) {
		snprintf(err, errlen, "could not start the event thread");
		nng_close(ev->sub);
		rc = ORK_ENOMEM;
		goto fail;
	}
	ev->hub_started = 1;
	*out = ev;
	return 0;
fail:
	pthread_cond_destroy(&ev->changed);
	pthread_mutex_destroy(&ev->lock);
	free(ev->ring);
	free(ev);
	return rc;
}

/*
 * events_stop ends every stream's wait and stops the hub; streams then
 * return within EVENTS_WAIT_MS.  ev stays valid until events_free.
 */
void
events_stop(struct events *ev)
{
	if (ev == NULL)
		return;
	pthread_mutex_lock(&ev->lock);
	ev->stop = 1;
	pthread_cond_broadcast(&ev->changed);
	pthread_mutex_unlock(&ev->lock);
	if (ev->hub_started) {
		nng_close(ev->sub);
		pthread_join(ev->hub, NULL);
		ev->hub_started = 0;
	}
}

/* events_free releases ev once no stream runs (after httpd_stop). */
void
events_free(struct events *ev)
{
	if (ev == NULL)
		return;
	events_stop(ev);
	pthread_cond_destroy(&ev->changed);
	pthread_mutex_destroy(&ev->lock);
	free(ev->ring);
	free(ev);
}

/* events_clients returns how many streams are open. */
int
events_clients(struct events *ev)
{
	int n;

	pthread_mutex_lock(&ev->lock);
	n = ev->clients;
	pthread_mutex_unlock(&ev->lock);
	return n;
}

/* One open stream. */
struct stream {
	struct req	*r;
	struct events	*ev;
	char		 job_id[UTIL_UUID_LEN + 1];
	char		 run_id[UTIL_UUID_LEN + 1];
	int64_t		 pos;		/* last id looked at */
	uint64_t	 next;		/* ring sequence to read */
	int64_t		 wrote_ms;
	int		 failed;
};

static void
send_text(struct stream *s, const char *text, size_t n)
{
	if (s->failed)
		return;
	if (mg_write(s->r->c, text, n) <= 0)
		s->failed = 1;
	s->wrote_ms = util_mono_ms();
}

static void
send_event(struct stream *s, const struct event *e)
{
	char frame[EVENTS_DATA_MAX + 96];
	int  n;

	if ((s->job_id[0] != '\0' && strcmp(s->job_id, e->job_id) != 0) ||
	    (s->run_id[0] != '\0' && strcmp(s->run_id, e->run_id) != 0))
		return;
	n = snprintf(frame, sizeof(frame), "id: %lld\nevent: %s\ndata: %s\n\n",
	    (long long)e->id, e->kind, e->data);
	if (n > 0 && (size_t)n < sizeof(frame))
		send_text(s, frame, (size_t)n);
}

/*
 * replay sends the rows after s->pos up to the ring's floor from the
 * table, page by page.  Returns 0, or -1 when the stream should end.
 */
static int
replay(struct stream *s)
{
	struct events	*ev = s->ev;
	int		 variant = (s->job_id[0] != '\0') |
	    (s->run_id[0] != '\0') << 1;

	for (;;) {
		PGconn		*c;
		PGresult	*res;
		char		 after[32], upto[32], msg[256];
		const char	*values[4];
		int64_t		 floor;
		int		 err, rows;

		pthread_mutex_lock(&ev->lock);
		floor = ev->floor;
		pthread_mutex_unlock(&ev->lock);
		if (s->pos >= floor)
			return 0;
		snprintf(after, sizeof(after), "%lld", (long long)s->pos);
		snprintf(upto, sizeof(upto), "%lld", (long long)floor);
		values[0] = after;
		values[1] = upto;
		values[2] = variant == 2 ? s->run_id : s->job_id;
		values[3] = s->run_id;
		if (sql_get(ev->a, API_DB_WAIT_MS, &c, msg,
		    sizeof(msg)) != 0) {
			log_warn("events: cannot replay: %s", msg);
			return -1;
		}
		res = sql_run(c, &replay_stmts[variant], values, &err, msg,
		    sizeof(msg));
		sql_put(ev->a, c);
		if (res == NULL) {
			log_warn("events: cannot replay: %s", msg);
			return -1;
		}
		rows = PQntuples(res);
		for (int i = 0; i < rows && !s->failed; i++) {
			struct event e;

			row_event(res, i, &e);
			send_event(s, &e);
			s->pos = e.id;
		}
		PQclear(res);
		if (s->failed)
			return -1;
		if (rows < EVENTS_REPLAY_PAGE)
			s->pos = floor;
	}
}

/* seek sets s->next to the first ring event after s->pos (lock held). */
static void
seek(struct stream *s)
{
	struct events	*ev = s->ev;
	uint64_t	 seq = ev->head > EVENTS_RING ? ev->head - EVENTS_RING : 0;

	while (seq < ev->head && ev->ring[seq % EVENTS_RING].id <= s->pos)
		seq++;
	s->next = seq;
}

/*
 * follow sends ring events as they come until the client goes away or
 * the server stops.
 */
static void
follow(struct stream *s)
{
	struct events	*ev = s->ev;
	struct event	*batch;

	batch = malloc(EVENTS_COPY * sizeof(*batch));
	if (batch == NULL)
		return;
	pthread_mutex_lock(&ev->lock);
	seek(s);
	while (!ev->stop && !s->failed) {
		struct timespec	ts;
		int		n = 0;

		if (s->next == ev->head) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += (long)EVENTS_WAIT_MS * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&ev->changed, &ev->lock, &ts);
		}
		if (ev->stop)
			break;
		if (ev->head > EVENTS_RING && s->next < ev->head - EVENTS_RING) {
			/* fell behind the ring: the table has the rest */
			pthread_mutex_unlock(&ev->lock);
			if (replay(s) != 0) {
				pthread_mutex_lock(&ev->lock);
				break;
			}
			pthread_mutex_lock(&ev->lock);
			seek(s);
			continue;
		}
		while (s->next < ev->head && n < EVENTS_COPY)
			batch[n++] = ev->ring[s->next++ % EVENTS_RING];
		pthread_mutex_unlock(&ev->lock);
		for (int i = 0; i < n && !s->failed; i++) {
			send_event(s, &batch[i]);
			s->pos = batch[i].id;
		}
		if (!s->failed && util_mono_ms() - s->wrote_ms >=
		    EVENTS_KEEPALIVE_MS)
			send_text(s, ": keep-alive\n\n", 14);
		pthread_mutex_lock(&ev->lock);
	}
	pthread_mutex_unlock(&ev->lock);
	free(batch);
}

/*
 * GET /events?job_id=&run_id=&last_event_id=: a text/event-stream of
 * "run" and "task" events; each has the id of its events row.
 */
int
events_stream(struct req *r)
{
	struct events	*ev = r->a->events;
	struct stream	 s;
	const char	*last;
	char		 buf[API_PARAM_MAX];
	long		 from = -1;
	int		 rc, present, full;

	memset(&s, 0, sizeof(s));
	s.r = r;
	s.ev = ev;
	if ((rc = http_query_uuid(r, "job_id", s.job_id, &present)) != 0 ||
	    (rc = http_query_uuid(r, "run_id", s.run_id, &present)) != 0)
		return rc;
	last = http_header(r, "Last-Event-ID");
	if (last == NULL) {
		if ((rc = http_query(r, "last_event_id", buf, sizeof(buf))) < 0)
			return -rc;
		if (rc > 0)
			last = buf;
	}
	if (last != NULL && last[0] != '\0' &&
	    text_parse_long(last, 0, INT64_MAX, &from) != 0)
		return http_error(r, 400, "invalid_value", "last_event_id",
		    "Last-Event-ID must be an event id (an integer >= 0)");
	pthread_mutex_lock(&ev->lock);
	full = ev->clients >= r->a->cfg->sse_clients;
	if (!full)
		ev->clients++;
	s.pos = ev->watermark;
	pthread_mutex_unlock(&ev->lock);
	if (full)
		return http_error_h(r, 503, "Retry-After: 5\r\n", "unavailable",
		    NULL, "too many event streams are open (%ld)",
		    r->a->cfg->sse_clients);
	r->status = 200;
	mg_printf(r->c, "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/event-stream\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Accel-Buffering: no\r\n"
	    "X-Trace-Id: %s\r\n"
	    "Connection: close\r\n\r\n"
	    "retry: 2000\n: connected\n\n", http_trace(r));
	s.wrote_ms = util_mono_ms();
	if (log_enabled(LOGL_DEBUG)) {
		struct log_ids ids = { .job_id = s.job_id, .run_id = s.run_id,
		    .trace_id = http_trace(r) };

		log_ids_debug(&ids, "event stream opened (after %ld)", from);
	}
	if (from >= 0) {
		s.pos = from;
		if (replay(&s) == 0)
			follow(&s);
	} else
		follow(&s);
	pthread_mutex_lock(&ev->lock);
	ev->clients--;
	pthread_mutex_unlock(&ev->lock);
	log_debug("event stream closed");
	return 200;
}
