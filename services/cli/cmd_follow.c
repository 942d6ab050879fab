/*
 * cmd_follow.c - what follows a live system: ork logs TASK [--follow]
 * (pages of GET /tasks/{id}/logs, then its follow_cursor polled) and
 * ork watch (GET /events, server-sent events, one line per change).
 *
 * An event's data is outside input: parsed within limits, and a line
 * that is not what we expect is skipped with a note, never a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "json.h"
#include "util.h"

/* How often --follow asks for new lines. */
#define FOLLOW_POLL_MS		1000
/* Log lines asked for per page (the API's most). */
#define LOGS_PAGE		5000
/* Job names kept by ork watch. */
#define WATCH_NAMES_MAX		256
/* Reconnections of ork watch in a row before it gives up. */
#define WATCH_RETRIES_MAX	30
#define WATCH_RETRY_MS		1000

static int
task_finished(const char *st)
{
	return st != NULL && (strcmp(st, "success") == 0 ||
	    strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0 ||
	    strcmp(st, "skipped") == 0);
}

/* clock_of writes the local time of day of an RFC 3339 time. */
static void
clock_of(const char *at, char *buf, size_t len)
{
	int64_t		us;
	time_t		t;
	struct tm	tm;

	if (at == NULL || out_parse_time(at, &us) != 0) {
		snprintf(buf, len, "--:--:--");
		return;
	}
	t = (time_t)(us / 1000000);
	if (localtime_r(&t, &tm) == NULL || strftime(buf, len, "%H:%M:%S",
	    &tm) == 0)
		snprintf(buf, len, "--:--:--");
}

static void
print_lines(struct cli *cli, const cJSON *page)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(page,
	    "items")) {
		const char	*line = out_str(it, "line");
		const char	*stream = out_str(it, "stream");
		char		 clock[16];

		if (line == NULL)
			continue;
		if (cli->quiet) {
			printf("%s\n", line);
			continue;
		}
		clock_of(out_str(it, "logged_at"), clock, sizeof(clock));
		printf("%s %-6s %s\n", clock, stream != NULL ? stream : "?",
		    line);
	}
	fflush(stdout);
}

static const struct args_flag logs_flags[] = {
	{ "--follow", 'f', 0, 0 },
	{ "--attempt", 0, 1, 0 },
	{ NULL, 0, 0, 0 }
};

int
cmd_logs(struct cli *cli, int argc, char **argv)
{
	struct args		 a;
	struct client_resp	 r, t;
	const char		*att, *next;
	char			 base[160], path[2048], cursor[1024] = "";
	char			 esc[1100], tpath[128];
	long			 attempt = 0;
	int			 rc, follow, ended = 0;

	if ((rc = args_parse("logs", logs_flags, argc, argv, 1, 1, &a)) != 0)
		return rc;
	if ((rc = cmd_check_id("TASK", a.pos[0])) != 0)
		return rc;
	follow = args_has(logs_flags, &a, "--follow");
	if ((att = args_get(logs_flags, &a, "--attempt")) != NULL &&
	    (rc = args_long("--attempt", att, 1, 100, &attempt)) != 0)
		return rc;
	snprintf(base, sizeof(base), "/tasks/%s/logs?limit=%d", a.pos[0],
	    LOGS_PAGE);
	if (attempt > 0)
		snprintf(base + strlen(base), sizeof(base) - strlen(base),
		    "&attempt=%ld", attempt);
	snprintf(tpath, sizeof(tpath), "/tasks/%s", a.pos[0]);
	for (;;) {
		if (cursor[0] != '\0') {
			if (client_escape(cursor, esc, sizeof(esc)) != 0) {
				fprintf(stderr, "ork: %s sent a cursor too "
				    "long\n", cli->url);
				return CLI_EXIT_FAILED;
			}
			snprintf(path, sizeof(path), "%s&cursor=%s", base, esc);
		} else
			snprintf(path, sizeof(path), "%s", base);
		if ((rc = client_call(cli->client, "GET", path, NULL, 0, &r)) !=
		    0)
			return rc;
		if (cli->json) {
			printf("%s\n", r.body);
			fflush(stdout);
		} else
			print_lines(cli, r.json);
		if ((next = out_str(r.json, "next_cursor")) != NULL &&
		    strlen(next) < sizeof(cursor)) {
			snprintf(cursor, sizeof(cursor), "%s", next);
			client_resp_free(&r);
			continue;
		}
		if (!follow || ended) {
			client_resp_free(&r);
			return CLI_EXIT_OK;
		}
		next = out_str(r.json, "follow_cursor");
		if (next != NULL && strlen(next) < sizeof(cursor))
			snprintf(cursor, sizeof(cursor), "%s", next);
		client_resp_free(&r);
		/* One more page after the task ended: its last lines. */
		if ((rc = client_call(cli->client, "GET", tpath, NULL, 0, &t)) !=
		    0)
			return rc;
		ended = task_finished(out_str(t.json, "status"));
		client_resp_free(&t);
		if (!ended)
			util_sleep_ms_interruptible(FOLLOW_POLL_MS, NULL);
	}
}

/* ---- ork watch -------------------------------------------------------- */

struct watch {
	struct cli	*cli;
	struct client	*aux;		/* lookups while the stream runs */
	const char	*run_id;	/* NULL: everything */
	char		 event[32];
	char		*data;		/* the event's data lines */
	size_t		 datalen;
	long long	 last_id;
	int		 result;	/* exit code once the run ended */
	int		 reconnecting;	/* since the stream was lost */
	int		 failed;	/* an event over the limit */
	int		 announced;	/* "watching" was said */
	int		 ended;
	struct {
		char	id[UTIL_UUID_LEN + 1];
		char	name[128];
	} names[WATCH_NAMES_MAX];
	int		 nnames;
};

static const char *
job_name(struct watch *w, const char *job_id)
{
	struct client_resp	 r;
	char			 path[128];
	int			 i;

	if (job_id == NULL || !util_uuid_valid(job_id))
		return "?";
	for (i = 0; i < w->nnames; i++)
		if (strcmp(w->names[i].id, job_id) == 0)
			return w->names[i].name;
	i = w->nnames < WATCH_NAMES_MAX ? w->nnames++ : WATCH_NAMES_MAX - 1;
	snprintf(w->names[i].id, sizeof(w->names[i].id), "%s", job_id);
	snprintf(w->names[i].name, sizeof(w->names[i].name), "?");
	snprintf(path, sizeof(path), "/jobs/%s", job_id);
	/* a deleted job keeps "?"; a failure was said on stderr */
	if (client_call(w->aux, "GET", path, NULL, 404, &r) == 0 &&
	    out_str(r.json, "job_name") != NULL)
		snprintf(w->names[i].name, sizeof(w->names[i].name), "%s",
		    out_str(r.json, "job_name"));
	client_resp_free(&r);
	return w->names[i].name;
}

/* run_end notes that the watched run ended with status st. */
static void
run_end(struct watch *w, const char *st)
{
	w->ended = 1;
	w->result = strcmp(st, "success") == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
	if (w->result != CLI_EXIT_OK)
		fprintf(stderr, "ork: run %s %s\n", w->run_id, st);
}

static void
dispatch(struct watch *w)
{
	struct json_limits	 lim = { CLI_SSE_LINE_MAX, 8, 4096 };
	struct json_err		 e;
	struct cli		*cli = w->cli;
	cJSON			*ev;
	const char		*kind, *st, *run;
	char			 clock[16], att[16];

	if (w->datalen == 0)
		return;
	if (json_parse(w->data, w->datalen, &lim, &ev, &e) != 0) {
		fprintf(stderr, "ork: skipped an event that is not valid JSON: "
		    "%s\n", e.message);
		return;
	}
	kind = out_str(ev, "kind");
	st = out_str(ev, "status");
	run = out_str(ev, "run_id");
	if (kind == NULL || st == NULL || run == NULL) {
		fprintf(stderr, "ork: skipped an event without kind, status or "
		    "run_id\n");
		cJSON_Delete(ev);
		return;
	}
	if (cli->json)
		printf("%.*s\n", (int)w->datalen, w->data);
	else if (cli->quiet)
		printf("%s\n", strcmp(kind, "task") == 0 && out_str(ev,
		    "task_run_id") ? out_str(ev, "task_run_id") : run);
	else {
		clock_of(out_str(ev, "at"), clock, sizeof(clock));
		if (strcmp(kind, "task") == 0)
			printf("%s task %s  %s  %s%s%s  attempt %s  (run %s)\n",
			    clock, out_str(ev, "task_run_id") ? out_str(ev,
			    "task_run_id") : "?", job_name(w, out_str(ev,
			    "job_id")), cli->color ? out_status_color(st) : "",
			    st, cli->color ? "\033[0m" : "",
			    out_scalar(ev, "attempt", att, sizeof(att)), run);
		else
			printf("%s run  %s  %s  %s%s%s\n", clock, run,
			    job_name(w, out_str(ev, "job_id")),
			    cli->color ? out_status_color(st) : "", st,
			    cli->color ? "\033[0m" : "");
	}
	fflush(stdout);
	if (w->run_id != NULL && strcmp(kind, "run") == 0 &&
	    strcmp(run, w->run_id) == 0 && (strcmp(st, "success") == 0 ||
	    strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0))
		run_end(w, st);
	cJSON_Delete(ev);
}

/* check_run asks whether the watched run ended (its events may be gone). */
static void
check_run(struct watch *w)
{
	struct client_resp	 r;
	char			 path[128];
	const char		*st;

	snprintf(path, sizeof(path), "/runs/%s", w->run_id);
	if (client_call(w->aux, "GET", path, NULL, 0, &r) != 0)
		return;
	st = out_str(r.json, "status");
	if (st != NULL && (strcmp(st, "success") == 0 ||
	    strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0)) {
		if (!w->cli->json && !w->cli->quiet)
			printf("run %s %s\n", w->run_id, st);
		run_end(w, st);
	}
	client_resp_free(&r);
}

static int
on_line(void *arg, const char *line, size_t len)
{
	struct watch	*w = arg;
	char		*end;

	if (w->reconnecting) {
		fprintf(stderr, "ork: reconnected\n");
		w->reconnecting = 0;
		client_quiet(w->cli->client, 0);
	}
	if (!w->announced) {	/* on stderr: stdout stays the events' */
		w->announced = 1;
		if (w->run_id == NULL && !w->cli->json && !w->cli->quiet)
			fprintf(stderr, "ork: watching the events of %s "
			    "(interrupt to stop)\n", w->cli->url);
	}
	if (len == 0) {			/* the end of an event */
		dispatch(w);
		w->datalen = 0;
		w->event[0] = '\0';
		return w->ended;
	}
	if (line[0] == ':') {		/* a comment: the stream is quiet */
		if (w->run_id != NULL && strncmp(line, ": connected", 11) != 0)
			check_run(w);
		return w->ended;
	}
	if (strncmp(line, "id:", 3) == 0) {
		long long id = strtoll(line + 3, &end, 10);

		if (*end == '\0' && id > 0)
			w->last_id = id;
	} else if (strncmp(line, "event:", 6) == 0)
		snprintf(w->event, sizeof(w->event), "%s", line + 6);
	else if (strncmp(line, "data:", 5) == 0) {
		const char *d = line + 5;
		size_t	    n = len - 5;

		if (*d == ' ')
			d++, n--;
		if (w->datalen + n + 1 > CLI_SSE_LINE_MAX) {
			fprintf(stderr, "ork: an event larger than %d bytes\n",
			    CLI_SSE_LINE_MAX);
			w->failed = 1;	/* it would come again: stop */
			return 1;
		}
		if (w->datalen > 0)
			w->data[w->datalen++] = '\n';
		memcpy(w->data + w->datalen, d, n);
		w->datalen += n;
	}
	return 0;
}

static const struct args_flag watch_flags[] = {
	{ "--job", 'j', 1, 0 },
	{ NULL, 0, 0, 0 }
};

int
cmd_watch(struct cli *cli, int argc, char **argv)
{
	struct args		 a;
	struct watch		*w;
	struct client_resp	 r;
	const char		*job;
	char			 path[256], id[UTIL_UUID_LEN + 1], hdr[64];
	long			 status;
	int			 rc, tries = 0, ever = 0;

	if ((rc = args_parse("watch", watch_flags, argc, argv, 0, 1, &a)) != 0)
		return rc;
	job = args_get(watch_flags, &a, "--job");
	if (a.npos == 1 && job != NULL) {
		fprintf(stderr, "ork watch: a RUN or --job, not both\n");
		return CLI_EXIT_USAGE;
	}
	if (a.npos == 1) {
		if ((rc = cmd_check_id("RUN", a.pos[0])) != 0)
			return rc;
		snprintf(path, sizeof(path), "/runs/%s", a.pos[0]);
		if ((rc = client_call(cli->client, "GET", path, NULL, 0, &r)) !=
		    0)
			return rc;
		client_resp_free(&r);
		/* from the run's first event: nothing is missed */
		snprintf(path, sizeof(path), "/events?run_id=%s&last_event_id=0",
		    a.pos[0]);
	} else if (job != NULL) {
		if ((rc = cmd_job_resolve(cli, job, id, NULL, 0)) != 0)
			return rc;
		snprintf(path, sizeof(path), "/events?job_id=%s", id);
	} else
		snprintf(path, sizeof(path), "/events");
	w = calloc(1, sizeof(*w));
	if (w == NULL || (w->data = malloc(CLI_SSE_LINE_MAX + 1)) == NULL ||
	    (w->aux = client_new(cli->url, cli->token)) == NULL) {
		if (w != NULL)
			free(w->data);
		free(w);
		fprintf(stderr, "ork: out of memory\n");
		return CLI_EXIT_FAILED;
	}
	w->cli = cli;
	w->run_id = a.npos == 1 ? a.pos[0] : NULL;
	for (;;) {
		hdr[0] = '\0';
		if (w->last_id > 0)
			snprintf(hdr, sizeof(hdr), "Last-Event-ID: %lld",
			    w->last_id);
		w->datalen = 0;
		rc = client_stream(cli->client, path, hdr[0] ? hdr : NULL,
		    on_line, w, &status);
		if (w->ended) {
			rc = w->result;
			break;
		}
		if (w->failed) {
			rc = CLI_EXIT_FAILED;
			break;
		}
		if (status == 200) {
			ever = 1;
			tries = 0;
		}
		/*
		 * Refusals end it; a lost connection, or a server busy or
		 * restarting (5xx), is tried again.
		 */
		if (!ever || (rc != CLI_EXIT_OK && rc != CLI_EXIT_UNREACHABLE &&
		    status < 500)) {
			if (tries > 0)	/* the client was quiet */
				fprintf(stderr, "ork: %s refused the event "
				    "stream again (status %ld)\n", cli->url,
				    status);
			break;
		}
		if (++tries > WATCH_RETRIES_MAX) {
			fprintf(stderr, "ork: gave up reconnecting to %s after %d "
			    "attempts\n", cli->url, WATCH_RETRIES_MAX);
			break;
		}
		if (tries == 1)
			fprintf(stderr, "ork: the event stream ended; "
			    "reconnecting\n");
		w->reconnecting = 1;
		/* said once; the last failure is said when it gives up */
		client_quiet(cli->client, tries < WATCH_RETRIES_MAX);
		util_sleep_ms_interruptible(WATCH_RETRY_MS, NULL);
	}
	client_free(w->aux);
	free(w->data);
	free(w);
	return rc;
}
