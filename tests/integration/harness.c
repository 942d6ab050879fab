/*
 * harness.c - shared helpers of the integration tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "harness.h"
#include "msg.h"

extern char **environ;

const char *
h_env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		fail_msg("%s is not set: run the tests through tests/run.sh",
		    name);
	return v;
}

void
h_bin(const char *program, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", h_env("ORK_TEST_BIN"), program);
}

void
h_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

PGconn *
h_db_connect(const char *url)
{
	PGconn *c = PQconnectdb(url);

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("could not connect to %s: %s", url, PQerrorMessage(c));
	return c;
}

void
h_db_value(PGconn *c, const char *sql, char *buf, size_t len)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
		fail_msg("query \"%s\" failed: %s", sql, PQerrorMessage(c));
	snprintf(buf, len, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* url_with_db replaces the database of the admin URL. */
static void
url_with_db(const char *admin, const char *db, char *url, size_t len)
{
	const char *slash = strrchr(admin, '/');

	snprintf(url, len, "%.*s/%s", (int)(slash - admin), admin, db);
}

void
h_db_create(const char *name, int migrated, char *url, size_t len)
{
	const char	*admin = h_env("ORK_TEST_PG_URL");
	PGconn		*c = h_db_connect(admin);
	char		 sql[256], db[80];
	PGresult	*r;

	snprintf(db, sizeof(db), "t_%s", name);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
	    db);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	url_with_db(admin, db, url, len);
	if (migrated) {
		char		 arg[H_URL_MAX + 32];
		const char	*args[] = { "migrate", arg, NULL };
		char		 logname[128];

		snprintf(arg, sizeof(arg), "--database-url=%s", url);
		snprintf(logname, sizeof(logname), "migrate-%s", name);
		if (h_run(logname, "ork-orchestrator", args, NULL, 30000) != 0)
			fail_msg("migrating %s failed", db);
	}
}

int
h_free_port(void)
{
	struct sockaddr_in	sa;
	socklen_t		len = sizeof(sa);
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

void
h_spawn(struct h_proc *p, const char *name, const char *program,
    const char *const *args, const char *const *env)
{
	char	 path[H_PATH_MAX];
	char	*argv[64];
	int	 n = 0, fd;
	pid_t	 pid;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->log, sizeof(p->log), "%s/%s.log", h_env("ORK_TEST_OUT"),
	    name);
	if (strchr(program, '/') != NULL)
		snprintf(path, sizeof(path), "%s", program);
	else
		h_bin(program, path, sizeof(path));
	argv[n++] = path;
	for (; args != NULL && args[n - 1] != NULL && n < 63; n++)
		argv[n] = (char *)(uintptr_t)args[n - 1];
	argv[n] = NULL;

	fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fail_msg("could not create %s: %s", p->log, strerror(errno));
	pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		/* die with the test, whatever happens to it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fd, 1);
		dup2(fd, 2);
		setenv("ORK_LOG_FORMAT", "text", 0);
		for (; env != NULL && *env != NULL; env++)
			putenv((char *)(uintptr_t)*env);
		execv(path, argv);
		fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(fd);
	p->pid = pid;
}

char *
h_read_file(const char *path)
{
	FILE	*f = fopen(path, "rb");
	char	*buf = NULL, *nb;
	size_t	 len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	/* Read to the end: files under /proc report a size of 0. */
	do {
		if (cap - len < 4096) {
			cap = cap * 2 + 8192;
			nb = realloc(buf, cap + 1);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

int
h_log_count(struct h_proc *p, const char *needle)
{
	char		*text = h_read_file(p->log);
	const char	*at;
	int		 count = 0;

	if (text == NULL)
		return 0;
	for (at = text; (at = strstr(at, needle)) != NULL; at++)
		count++;
	free(text);
	return count;
}

int
h_wait_log(struct h_proc *p, const char *needle, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;

	do {
		if (h_log_count(p, needle) > 0)
			return 1;
		if (h_wait_exit(p, 0))
			return h_log_count(p, needle) > 0;
		h_sleep_ms(20);
	} while (now_ms() < deadline);
	return 0;
}

int
h_wait_exit(struct h_proc *p, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;

	if (p->exited)
		return 1;
	for (;;) {
		pid_t r = waitpid(p->pid, &p->status, WNOHANG);

		if (r == p->pid) {
			p->exited = 1;
			return 1;
		}
		if (now_ms() >= deadline)
			return 0;
		h_sleep_ms(10);
	}
}

static int
exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int
h_stop(struct h_proc *p, int sig, int timeout_ms)
{
	if (p->pid <= 0)
		return -1;
	if (!p->exited)
		kill(p->pid, sig);
	if (!h_wait_exit(p, timeout_ms)) {
		h_kill(p);
		return -1;
	}
	return exit_code(p->status);
}

void
h_kill(struct h_proc *p)
{
	if (p->pid <= 0 || p->exited)
		return;
	kill(p->pid, SIGKILL);
	(void)h_wait_exit(p, 5000);
}

long
h_cpu_ms(struct h_proc *p)
{
	char		 path[64], *text, *close;
	unsigned long	 ut = 0, st = 0;
	long		 tick = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)p->pid);
	text = h_read_file(path);
	if (text == NULL)
		return -1;
	/* Fields after the command name, which is in parentheses. */
	close = strrchr(text, ')');
	if (close == NULL || sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u "
	    "%*u %*u %*u %*u %lu %lu", &ut, &st) != 2) {
		free(text);
		return -1;
	}
	free(text);
	return (long)((ut + st) * 1000UL / (unsigned long)tick);
}

struct h_body {
	char	*buf;
	size_t	 len;
};

static size_t
on_body(char *ptr, size_t size, size_t n, void *arg)
{
	struct h_body	*b = arg;
	size_t		 len = size * n;
	char		*nb = realloc(b->buf, b->len + len + 1);

	if (nb == NULL)
		return 0;
	memcpy(nb + b->len, ptr, len);
	b->buf = nb;
	b->len += len;
	b->buf[b->len] = '\0';
	return len;
}

long
h_http(const char *method, const char *url, const char *body,
    const char *const *headers, char **body_out)
{
	CURL			*c = curl_easy_init();
	struct curl_slist	*hl = NULL;
	struct h_body		 b = { NULL, 0 };
	long			 status = -1;

	assert_non_null(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	for (; headers != NULL && *headers != NULL; headers++)
		hl = curl_slist_append(hl, *headers);
	if (hl != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	if (body_out != NULL)
		*body_out = b.buf;
	else
		free(b.buf);
	return status;
}

int
h_run(const char *name, const char *program, const char *const *args,
    const char *const *env, int timeout_ms)
{
	struct h_proc p;

	h_spawn(&p, name, program, args, env);
	if (!h_wait_exit(&p, timeout_ms)) {
		h_kill(&p);
		fail_msg("%s did not finish within %d ms", name, timeout_ms);
	}
	return exit_code(p.status);
}

/* ---- ork stacks ---------------------------------------------------- */

void
h_orch_start(struct h_orch *o, const char *name, const char *db_url,
    const char *const *extra)
{
	char		 a_db[H_URL_MAX + 32], a_c[96], a_e[96], a_h[64];
	const char	*args[32];
	int		 n = 0;

	memset(o, 0, sizeof(*o));
	o->control = h_free_port();
	o->events = h_free_port();
	o->health = h_free_port();
	snprintf(o->control_url, sizeof(o->control_url), "tcp://127.0.0.1:%d",
	    o->control);
	snprintf(o->events_url, sizeof(o->events_url), "tcp://127.0.0.1:%d",
	    o->events);
	snprintf(a_db, sizeof(a_db), "--database-url=%s", db_url);
	snprintf(a_c, sizeof(a_c), "--orchestrator-control=%s", o->control_url);
	snprintf(a_e, sizeof(a_e), "--orchestrator-events=%s", o->events_url);
	snprintf(a_h, sizeof(a_h), "--health-listen=127.0.0.1:%d", o->health);
	args[n++] = a_db;
	args[n++] = a_c;
	args[n++] = a_e;
	args[n++] = a_h;
	args[n++] = "--lease-ms=3000";
	args[n++] = "--heartbeat-ms=500";
	args[n++] = "--reap-interval-ms=200";
	args[n++] = "--log-level=debug";
	for (; extra != NULL && *extra != NULL && n < 31; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	h_spawn(&o->p, name, "ork-orchestrator", args, NULL);
	if (!h_wait_log(&o->p, "ready:", 15000))
		fail_msg("orchestrator %s did not become ready", name);
}

void
h_worker_start(struct h_proc *p, const char *name, const char *control,
    const char *events, const char *const *extra)
{
	char		 a_c[256], a_e[256], a_h[64], a_id[96];
	const char	*args[32];
	int		 n = 0;

	snprintf(a_c, sizeof(a_c), "--orchestrator-control=%s", control);
	snprintf(a_e, sizeof(a_e), "--orchestrator-events=%s", events);
	snprintf(a_h, sizeof(a_h), "--health-listen=127.0.0.1:%d",
	    h_free_port());
	snprintf(a_id, sizeof(a_id), "--worker-id=%s", name);
	args[n++] = a_c;
	args[n++] = a_e;
	args[n++] = a_h;
	args[n++] = a_id;
	args[n++] = "--worker-poll-ms=200";
	args[n++] = "--request-timeout-ms=1000";
	args[n++] = "--log-level=debug";
	for (; extra != NULL && *extra != NULL && n < 31; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	h_spawn(p, name, "ork-worker", args, NULL);
	if (!h_wait_log(p, "ready:", 15000))
		fail_msg("worker %s did not become ready", name);
}

void
h_job_create(PGconn *c, const char *name, const char *const *extractors,
    int ntasks, int max_attempts, int timeout, int base_ms, char *job_id)
{
	const char	*p[6];
	char		 order[16], att[16], to[16], base[16];
	PGresult	*r;

	p[0] = name;
	r = PQexecParams(c, "INSERT INTO job_definitions (job_name) VALUES ($1) "
	    "RETURNING job_id", 1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("could not create job %s: %s", name,
		    PQerrorMessage(c));
	snprintf(job_id, H_UUID_LEN + 1, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	for (int i = 0; i < ntasks; i++) {
		snprintf(order, sizeof(order), "%d", i);
		snprintf(att, sizeof(att), "%d", max_attempts);
		snprintf(to, sizeof(to), "%d", timeout);
		snprintf(base, sizeof(base), "%d", base_ms);
		p[0] = job_id;
		p[1] = order;
		p[2] = extractors[i];
		p[3] = att;
		p[4] = timeout > 0 ? to : NULL;
		p[5] = base;
		r = PQexecParams(c, "INSERT INTO task_definitions (job_id, "
		    "task_order, extractor_config, max_attempts, "
		    "timeout_seconds, retry_base_ms) VALUES ($1, $2::int, "
		    "$3::jsonb, $4::int, $5::int, $6::int)", 6, NULL, p, NULL,
		    NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			fail_msg("could not create task %d: %s", i,
			    PQerrorMessage(c));
		PQclear(r);
	}
}

void
h_trigger(const char *control, const char *job_id, char *run_id)
{
	Ork__TriggerRun	 m = ORK__TRIGGER_RUN__INIT;
	struct msg	 reply;
	nng_socket	 s;
	char		 err[256];
	int		 rc;

	assert_int_equal(msg_req_open(&s, control, 1000), 0);
	m.job_id = (char *)(uintptr_t)job_id;
	m.triggered_by = (char *)(uintptr_t)"manual";
	rc = msg_call(s, ORK__MSG_TYPE__MSG_TRIGGER_RUN, &m.base,
	    "0af7651916cd43dd8448eb211c80319c", 10000, &reply, err,
	    sizeof(err));
	nng_close(s);
	if (rc != 0)
		fail_msg("trigger failed: %s", err);
	snprintf(run_id, H_UUID_LEN + 1, "%s",
	    ((Ork__TriggerRunReply *)reply.body)->run_id);
	msg_release(&reply);
}

int
h_wait_sql(PGconn *c, const char *sql, const char *want, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;

	do {
		PGresult *r = PQexec(c, sql);

		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 &&
		    strcmp(PQgetvalue(r, 0, 0), want) == 0) {
			PQclear(r);
			return 1;
		}
		PQclear(r);
		h_sleep_ms(50);
	} while (now_ms() < deadline);
	return 0;
}

int
h_wait_run(PGconn *c, const char *run_id, char *status, size_t len,
    int timeout_ms)
{
	long		 deadline = now_ms() + timeout_ms;
	const char	*p[1] = { run_id };

	do {
		PGresult *r = PQexecParams(c, "SELECT status FROM job_runs "
		    "WHERE run_id = $1", 1, NULL, p, NULL, NULL, 0);

		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
			const char *s = PQgetvalue(r, 0, 0);

			if (strcmp(s, "success") == 0 ||
			    strcmp(s, "failed") == 0 ||
			    strcmp(s, "cancelled") == 0) {
				snprintf(status, len, "%s", s);
				PQclear(r);
				return 1;
			}
		}
		PQclear(r);
		h_sleep_ms(50);
	} while (now_ms() < deadline);
	return 0;
}

void
h_tmpfile(const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", h_env("ORK_TEST_OUT"), name);
	unlink(path);
}

/* ---- a TCP proxy that can partition ----------------------------------- */

#define PROXY_PAIRS 64

struct h_proxy {
	int		 listen_fd;
	int		 target_port;
	atomic_int	 blocked;
	atomic_int	 stop;
	pthread_t	 thread;
	int		 a[PROXY_PAIRS], b[PROXY_PAIRS];	/* client, server */
};

static int
connect_port(int port)
{
	struct sockaddr_in	sa;
	int			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
proxy_close(struct h_proxy *px, int i)
{
	close(px->a[i]);
	close(px->b[i]);
	px->a[i] = px->b[i] = -1;
}

static void *
proxy_thread(void *arg)
{
	struct h_proxy	*px = arg;
	char		 buf[65536];

	while (!atomic_load(&px->stop)) {
		struct pollfd	pfd[1 + 2 * PROXY_PAIRS];
		int		map[1 + 2 * PROXY_PAIRS];
		int		n = 0, blocked = atomic_load(&px->blocked);

		pfd[n].fd = px->listen_fd;
		pfd[n].events = POLLIN;
		map[n++] = -1;
		for (int i = 0; i < PROXY_PAIRS && !blocked; i++) {
			if (px->a[i] < 0)
				continue;
			pfd[n].fd = px->a[i];
			pfd[n].events = POLLIN;
			map[n++] = i;
			pfd[n].fd = px->b[i];
			pfd[n].events = POLLIN;
			map[n++] = i;
		}
		if (poll(pfd, (nfds_t)n, 50) <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			int c = accept4(px->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			int s = c >= 0 ? connect_port(px->target_port) : -1;
			int placed = 0;

			for (int i = 0; i < PROXY_PAIRS && s >= 0; i++) {
				if (px->a[i] < 0) {
					px->a[i] = c;
					px->b[i] = s;
					placed = 1;
					break;
				}
			}
			if (!placed) {
				if (c >= 0)
					close(c);
				if (s >= 0)
					close(s);
			}
		}
		for (int k = 1; k < n; k++) {
			int	i = map[k], from, to;
			ssize_t	r;

			if (pfd[k].revents == 0 || px->a[i] < 0)
				continue;
			from = pfd[k].fd;
			to = from == px->a[i] ? px->b[i] : px->a[i];
			r = read(from, buf, sizeof(buf));
			if (r <= 0 || write(to, buf, (size_t)r) != r)
				proxy_close(px, i);
		}
	}
	return NULL;
}

struct h_proxy *
h_proxy_start(int target_port, int *listen_port)
{
	struct h_proxy		*px = calloc(1, sizeof(*px));
	struct sockaddr_in	 sa;
	socklen_t		 len = sizeof(sa);

	assert_non_null(px);
	for (int i = 0; i < PROXY_PAIRS; i++)
		px->a[i] = px->b[i] = -1;
	px->target_port = target_port;
	px->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(px->listen_fd, (struct sockaddr *)&sa,
	    sizeof(sa)), 0);
	assert_int_equal(listen(px->listen_fd, 16), 0);
	getsockname(px->listen_fd, (struct sockaddr *)&sa, &len);
	*listen_port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&px->thread, NULL, proxy_thread, px),
	    0);
	return px;
}

void
h_proxy_block(struct h_proxy *px, int blocked)
{
	atomic_store(&px->blocked, blocked);
}

void
h_proxy_stop(struct h_proxy *px)
{
	if (px == NULL)
		return;
	atomic_store(&px->stop, 1);
	pthread_join(px->thread, NULL);
	for (int i = 0; i < PROXY_PAIRS; i++)
		if (px->a[i] >= 0)
			proxy_close(px, i);
	close(px->listen_fd);
	free(px);
}

long
h_env_long(const char *name, long def)
{
	const char	*v = getenv(name);
	char		*end;
	long		 n;

	if (v == NULL || *v == '\0')
		return def;
	n = strtol(v, &end, 10);
	if (*end != '\0' || n <= 0)
		fail_msg("%s: \"%s\" is not a positive number", name, v);
	return n;
}
