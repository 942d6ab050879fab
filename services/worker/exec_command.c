/*
 * exec_command.c - the command task: runs a program with arguments and
 * environment from the task config, without a shell unless the config
 * asks for one ("shell": "..."), in a process group of its own so that a
 * cancel or timeout kills everything it started.  stdout and stderr are
 * captured line by line into the task's log; exit code 0 is success.
 *
 * Config:
 *   {"type": "command", "argv": ["prog", "arg", ...]}    or
 *   {"type": "command", "shell": "prog arg | other"}
 *   optional "env": {"NAME": "value" | {"env": "WORKER_VAR"}}, "cwd": "dir"
 *
 * The child's environment is PATH, HOME, LANG and TZ of the worker (when
 * set), the config's env, and ORK_TASK_RUN_ID, ORK_RUN_ID, ORK_JOB_ID,
 * ORK_ATTEMPT: nothing else of the worker's environment leaks into it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "executor.h"
#include "util.h"

#define ARGV_MAX 256
#define ENV_MAX 256
/* How long a process group gets between SIGTERM and SIGKILL. */
#define KILL_GRACE_MS 500
/* After the program exits, how long its output may still drain. */
#define DRAIN_MS 1000

struct stream {
	int		 fd;
	const char	*name;
	char		*buf;
	size_t		 len;
};

struct child {
	char	*argv[ARGV_MAX + 4];
	char	*envp[ENV_MAX + 16];
	int	 nenv;
	char	*owned[ENV_MAX + 16];	/* strings we allocated */
	int	 nowned;
	const char *cwd;
};

static void
child_free(struct child *c)
{
	for (int i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	c->nowned = 0;
}

static int
env_add(struct child *c, const char *name, const char *value)
{
	size_t	 n;
	char	*kv;

	if (c->nenv >= ENV_MAX + 12)
		return ORK_ETOOBIG;
	n = strlen(name) + strlen(value) + 2;
	kv = malloc(n);
	if (kv == NULL)
		return ORK_ENOMEM;
	snprintf(kv, n, "%s=%s", name, value);
	c->owned[c->nowned++] = kv;
	c->envp[c->nenv++] = kv;
	c->envp[c->nenv] = NULL;
	return 0;
}

static int
valid_env_name(const char *s)
{
	if (*s == '\0' || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* prepare builds argv and envp from the config before forking. */
static int
prepare(struct task_ctx *ctx, struct child *c)
{
	static const char *const inherit[] = { "PATH", "HOME", "LANG", "TZ" };
	const cJSON	*argv = cJSON_GetObjectItemCaseSensitive(ctx->extractor,
	    "argv");
	const cJSON	*shell = cJSON_GetObjectItemCaseSensitive(
	    ctx->extractor, "shell");
	const cJSON	*env = cJSON_GetObjectItemCaseSensitive(ctx->extractor,
	    "env");
	const cJSON	*cwd = cJSON_GetObjectItemCaseSensitive(ctx->extractor,
	    "cwd");
	const cJSON	*e;
	char		 num[16];
	int		 n = 0;

	memset(c, 0, sizeof(*c));
	if (cJSON_IsString(shell) && argv == NULL) {
		c->argv[n++] = (char *)(uintptr_t)"/bin/sh";
		c->argv[n++] = (char *)(uintptr_t)"-c";
		c->argv[n++] = shell->valuestring;
	} else if (cJSON_IsArray(argv) && shell == NULL &&
	    cJSON_GetArraySize(argv) >= 1 &&
	    cJSON_GetArraySize(argv) <= ARGV_MAX) {
		cJSON_ArrayForEach(e, argv) {
			if (!cJSON_IsString(e)) {
				snprintf(ctx->error, sizeof(ctx->error),
				    "extractor_config.argv[%d] is not a string",
				    n);
				return ORK_EINVAL;
			}
			c->argv[n++] = e->valuestring;
		}
	} else {
		snprintf(ctx->error, sizeof(ctx->error), "extractor_config "
		    "needs \"argv\" (1-%d strings) or \"shell\" (a string), "
		    "not both", ARGV_MAX);
		return ORK_EINVAL;
	}
	c->argv[n] = NULL;
	for (size_t i = 0; i < sizeof(inherit) / sizeof(inherit[0]); i++) {
		const char *v = getenv(inherit[i]);

		if (v != NULL && env_add(c, inherit[i], v) != 0)
			return ORK_ENOMEM;
	}
	if (env != NULL && !cJSON_IsObject(env)) {
		snprintf(ctx->error, sizeof(ctx->error),
		    "extractor_config.env must be an object");
		return ORK_EINVAL;
	}
	cJSON_ArrayForEach(e, env) {
		char		 field[300];
		const char	*v;

		snprintf(field, sizeof(field), "extractor_config.env.%s",
		    e->string);
		if (!valid_env_name(e->string)) {
			snprintf(ctx->error, sizeof(ctx->error),
			    "%s: not a variable name", field);
			return ORK_EINVAL;
		}
		v = executor_secret(ctx, e, field);
		if (v == NULL)
			return ORK_EINVAL;
		if (env_add(c, e->string, v) != 0) {
			snprintf(ctx->error, sizeof(ctx->error),
			    "extractor_config.env: more than %d variables",
			    ENV_MAX);
			return ORK_ETOOBIG;
		}
	}
	snprintf(num, sizeof(num), "%u", ctx->attempt);
	if (env_add(c, "ORK_TASK_RUN_ID", ctx->task_run_id) != 0 ||
	    env_add(c, "ORK_RUN_ID", ctx->run_id) != 0 ||
	    env_add(c, "ORK_JOB_ID", ctx->job_id) != 0 ||
	    env_add(c, "ORK_ATTEMPT", num) != 0)
		return ORK_ENOMEM;
	if (cwd != NULL && !cJSON_IsString(cwd)) {
		snprintf(ctx->error, sizeof(ctx->error),
		    "extractor_config.cwd must be a string");
		return ORK_EINVAL;
	}
	c->cwd = cwd != NULL ? cwd->valuestring : NULL;
	return 0;
}

/* mask replaces every secret value in line by "***"; returns new length. */
static size_t
mask(const struct task_ctx *ctx, char *line, size_t len)
{
	for (int s = 0; s < ctx->nsecrets; s++) {
		const char	*sec = ctx->secrets[s];
		size_t		 sl = strlen(sec);
		char		*at;

		if (sl == 0)
			continue;
		line[len] = '\0';
		while ((at = strstr(line, sec)) != NULL) {
			size_t tail = len - (size_t)(at - line) - sl;

			memcpy(at, "***", 3);
			memmove(at + 3, at + sl, tail + 1);
			len = len - sl + 3;
		}
	}
	return len;
}

static void
emit(struct task_ctx *ctx, struct stream *s, size_t len)
{
	len = mask(ctx, s->buf, len);
	ctx->log(ctx, s->name, s->buf, len);
}

/* pump reads what is available; returns 0 at EOF, 1 while open. */
static int
pump(struct task_ctx *ctx, struct stream *s)
{
	ssize_t n;

	if (s->fd < 0)
		return 0;
	n = read(s->fd, s->buf + s->len, TASK_LOG_LINE_MAX - s->len);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n == 0) {
		if (s->len > 0)
			emit(ctx, s, s->len);
		s->len = 0;
		close(s->fd);
		s->fd = -1;
		return 0;
	}
	s->len += (size_t)n;
	for (;;) {
		char	*nl = memchr(s->buf, '\n', s->len);
		size_t	 line, rest;

		if (nl == NULL) {
			if (s->len == TASK_LOG_LINE_MAX) {	/* split it */
				emit(ctx, s, s->len);
				s->len = 0;
			}
			return 1;
		}
		line = (size_t)(nl - s->buf);
		rest = s->len - line - 1;
		emit(ctx, s, line > 0 && s->buf[line - 1] == '\r' ? line - 1 :
		    line);
		/* emit may have shortened the line in place: use saved sizes */
		memmove(s->buf, s->buf + line + 1, rest);
		s->len = rest;
	}
}

static void
kill_group(pid_t pgid)
{
	int64_t deadline = util_mono_ms() + KILL_GRACE_MS;

	kill(-pgid, SIGTERM);
	while (util_mono_ms() < deadline) {
		if (kill(-pgid, 0) != 0)
			return;		/* the whole group is gone */
		struct timespec ts = { 0, 20 * 1000000L };

		nanosleep(&ts, NULL);
		(void)waitpid(pgid, NULL, WNOHANG);
	}
	kill(-pgid, SIGKILL);
}

static int
command_run(struct task_ctx *ctx)
{
	struct child	 c;
	struct stream	 out = { -1, "stdout", NULL, 0 };
	struct stream	 err = { -1, "stderr", NULL, 0 };
	int		 po[2] = { -1, -1 }, pe[2] = { -1, -1 };
	int		 status = 0, exited = 0, rc;
	int64_t		 drain_until = 0;
	pid_t		 pid, parent;

	rc = prepare(ctx, &c);
	if (rc != 0)
		goto out;
	out.buf = malloc(TASK_LOG_LINE_MAX + 1);
	err.buf = malloc(TASK_LOG_LINE_MAX + 1);
	if (out.buf == NULL || err.buf == NULL ||
	    pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
		snprintf(ctx->error, sizeof(ctx->error), "could not set up "
		    "the command: %s", strerror(errno));
		rc = ORK_EIO;
		goto out;
	}
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		snprintf(ctx->error, sizeof(ctx->error), "could not start "
		    "%s: %s", c.argv[0], strerror(errno));
		rc = ORK_EIO;
		goto out;
	}
	if (pid == 0) {
		/* child: only async-signal-safe calls until exec */
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		/*
		 * If the worker dies (kill -9), the program dies with it: the
		 * task will run again elsewhere once the lease expires.
		 */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(125);
		{
			/* no input: a command waiting on stdin would hang */
			int nul = open("/dev/null", O_RDONLY);

			if (nul >= 0 && nul != 0) {
				dup2(nul, 0);
				close(nul);
			}
		}
		dup2(po[1], 1);
		dup2(pe[1], 2);
		/*
		 * Nothing else of the worker's: its sockets (orchestrator,
		 * health port) must not live on in the command or its children.
		 */
		if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
			for (int fd = 3; fd < 65536; fd++)
				(void)close(fd);
		if (c.cwd != NULL && chdir(c.cwd) != 0) {
			static const char msg[] = "could not change directory\n";

			if (write(2, msg, sizeof(msg) - 1) < 0)
				_exit(126);
			_exit(126);
		}
		execvpe(c.argv[0], c.argv, c.envp);
		{
			static const char msg[] = "could not execute program\n";

			if (write(2, msg, sizeof(msg) - 1) < 0)
				_exit(127);
		}
		_exit(127);
	}
	setpgid(pid, pid);	/* also here: no race with an early kill */
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	out.fd = po[0];
	err.fd = pe[0];
	po[0] = pe[0] = -1;
	executor_logf(ctx, "started %s (pid %d)", c.argv[0], (int)pid);

	for (;;) {
		struct pollfd	pfd[2];
		int		nfd = 0;

		if (atomic_load(ctx->cancel) != TASK_RUN) {
			kill_group(pid);
			if (!exited)
				waitpid(pid, &status, 0);
			rc = ORK_ECANCELED;
			goto out;
		}
		if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
			exited = 1;
			drain_until = util_mono_ms() + DRAIN_MS;
		}
		if (out.fd < 0 && err.fd < 0 && exited)
			break;
		if (exited && util_mono_ms() > drain_until) {
			/* something the program started holds its output */
			executor_logf(ctx, "output still open %d ms after the "
			    "program exited: stopping its process group",
			    DRAIN_MS);
			kill_group(pid);
			break;
		}
		if (out.fd >= 0) {
			pfd[nfd].fd = out.fd;
			pfd[nfd++].events = POLLIN;
		}
		if (err.fd >= 0) {
			pfd[nfd].fd = err.fd;
			pfd[nfd++].events = POLLIN;
		}
		if (nfd == 0) {
			struct timespec ts = { 0, 20 * 1000000L };

			nanosleep(&ts, NULL);
			continue;
		}
		if (poll(pfd, (nfds_t)nfd, 50) > 0) {
			for (int i = 0; i < nfd; i++) {
				if (pfd[i].revents == 0)
					continue;
				if (pfd[i].fd == out.fd)
					(void)pump(ctx, &out);
				else if (pfd[i].fd == err.fd)
					(void)pump(ctx, &err);
			}
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		executor_logf(ctx, "exited with status 0");
		rc = 0;
	} else if (WIFEXITED(status)) {
		snprintf(ctx->error, sizeof(ctx->error), "%s exited with "
		    "status %d", c.argv[0], WEXITSTATUS(status));
		executor_logf(ctx, "%s", ctx->error);
		rc = ORK_EIO;
	} else {
		snprintf(ctx->error, sizeof(ctx->error), "%s was killed by "
		    "signal %d", c.argv[0], WIFSIGNALED(status) ?
		    WTERMSIG(status) : 0);
		executor_logf(ctx, "%s", ctx->error);
		rc = ORK_EIO;
	}
out:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	if (out.fd >= 0)
		close(out.fd);
	if (err.fd >= 0)
		close(err.fd);
	free(out.buf);
	free(err.buf);
	child_free(&c);
	return rc;
}

const struct executor executor_command = {
	.kind = "command",
	.run = command_run,
	.run_inline = 0,
};
