/*
 * harness.h - what integration tests share: a fresh database per test,
 * the real daemons started as child processes with their output in a
 * log file, free ports, HTTP requests.
 *
 * The runner (tests/run.sh) exports ORK_TEST_PG_URL (a URL of the test
 * cluster's "postgres" database), ORK_TEST_BIN (the daemons' folder) and
 * ORK_TEST_OUT (where logs go).
 */
#ifndef ORK_HARNESS_H
#define ORK_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

#include <libpq-fe.h>

#define H_PATH_MAX 1024
#define H_URL_MAX 512
#define H_UUID_LEN 36

struct h_proc {
	pid_t	pid;
	char	name[64];
	char	log[H_PATH_MAX];
	int	exited;
	int	status;		/* waitpid status once exited */
};

/* h_env returns a required environment variable or aborts the test. */
const char *h_env(const char *name);

/* h_bin writes the path of a built program (e.g. "ork-api") into buf. */
void h_bin(const char *program, char *buf, size_t len);

/*
 * h_db_create drops and creates database "t_<name>" and writes its URL
 * into url.  When migrated is set, runs "ork-orchestrator migrate" on it.
 */
void h_db_create(const char *name, int migrated, char *url, size_t len);

/* h_db_connect connects to url or fails the test. */
PGconn *h_db_connect(const char *url);

/* h_db_value runs a one-row one-column query and copies the value. */
void h_db_value(PGconn *c, const char *sql, char *buf, size_t len);

/* h_free_port returns a TCP port on 127.0.0.1 nobody listens on now. */
int h_free_port(void);

/*
 * h_spawn starts program with argv (argv[0] is set for you; NULL-ended
 * list after it) and the extra environment entries env ("K=V", NULL-
 * ended; may be NULL), output into ORK_TEST_OUT/<name>.log.
 */
void h_spawn(struct h_proc *p, const char *name, const char *program,
    const char *const *args, const char *const *env);

/* h_wait_log waits until the log contains needle; 1 found, 0 timeout. */
int h_wait_log(struct h_proc *p, const char *needle, int timeout_ms);

/* h_log_count counts the lines of the log containing needle. */
int h_log_count(struct h_proc *p, const char *needle);

/*
 * h_wait_exit waits up to timeout_ms for the process to exit; returns 1
 * and fills p->status when it did, 0 otherwise.
 */
int h_wait_exit(struct h_proc *p, int timeout_ms);

/*
 * h_stop sends sig and waits up to timeout_ms; returns the exit code
 * (0-255), 128+signal when killed by a signal, or -1 on timeout (the
 * process is then killed with SIGKILL).
 */
int h_stop(struct h_proc *p, int sig, int timeout_ms);

/* h_kill kills the process with SIGKILL and reaps it (cleanup). */
void h_kill(struct h_proc *p);

/* h_cpu_ms returns the user+system CPU time the process used so far. */
long h_cpu_ms(struct h_proc *p);

/*
 * h_http performs a request; body_out (may be NULL) gets a malloc'd body.
 * Returns the HTTP status, or -1 when the server could not be reached.
 */
long h_http(const char *method, const char *url, const char *body,
    const char *const *headers, char **body_out);

/* h_run runs a command to completion, output into the log; returns exit code. */
int h_run(const char *name, const char *program, const char *const *args,
    const char *const *env, int timeout_ms);

/* h_read_file returns a malloc'd, NUL-terminated copy of a file. */
char *h_read_file(const char *path);

/* h_sleep_ms sleeps. */
void h_sleep_ms(int ms);

/*
 * h_env_long reads a positive whole number from the environment (a
 * benchmark's size), def when unset; anything else fails the program.
 */
long h_env_long(const char *name, long def);

#endif /* ORK_HARNESS_H */

/* ---- ork stacks: orchestrators, workers, jobs, runs ---------------- */

struct h_orch {
	struct h_proc	p;
	int		control, events, health;
	char		control_url[64];
	char		events_url[64];
};

/*
 * h_orch_start starts an orchestrator on fresh ports with test timings
 * (lease 3 s, heartbeat 500 ms, reaper every 200 ms) plus extra args
 * (NULL-ended, may be NULL), and waits until it is ready.
 */
void h_orch_start(struct h_orch *o, const char *name, const char *db_url,
    const char *const *extra);

/*
 * h_worker_start starts a worker dialing the given (comma-separated)
 * addresses with extra args, and waits until it registered.
 */
void h_worker_start(struct h_proc *p, const char *name, const char *control,
    const char *events, const char *const *extra);

/*
 * h_job_create defines a job with ntasks tasks whose extractor configs are
 * given as JSON; each task gets max_attempts, timeout (0: none) and a
 * retry base of base_ms.  Writes the new job id into job_id[37].
 */
void h_job_create(PGconn *c, const char *name, const char *const *extractors,
    int ntasks, int max_attempts, int timeout, int base_ms, char *job_id);

/* h_trigger asks the orchestrator for a manual run; writes run_id[37]. */
void h_trigger(const char *control, const char *job_id, char *run_id);

/*
 * h_wait_run waits until the run reaches a finished status (success,
 * failed or cancelled) and copies it into status; 0 on timeout.
 */
int h_wait_run(PGconn *c, const char *run_id, char *status, size_t len,
    int timeout_ms);

/* h_wait_sql waits until a one-value query returns want; 0 on timeout. */
int h_wait_sql(PGconn *c, const char *sql, const char *want, int timeout_ms);

/* h_tmpfile writes the path of a fresh file under ORK_TEST_OUT. */
void h_tmpfile(const char *name, char *path, size_t len);

/*
 * A TCP proxy on loopback in front of a port, whose traffic can be held
 * (a network partition: connections stay open, nothing gets through).
 */
struct h_proxy;

/* h_proxy_start listens on a free port and forwards to target_port. */
struct h_proxy *h_proxy_start(int target_port, int *listen_port);

/* h_proxy_block holds (1) or releases (0) all traffic. */
void h_proxy_block(struct h_proxy *px, int blocked);

/* h_proxy_stop closes everything. */
void h_proxy_stop(struct h_proxy *px);
