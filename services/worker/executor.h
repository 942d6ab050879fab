/*
 * executor.h - how ork-worker runs one task of a given kind.
 *
 * An executor runs on its own thread (or, for quick kinds like noop, on
 * the dispatcher's), with everything it needs in a task_ctx.  It must
 * watch ctx->cancel and return ORK_ECANCELED soon after it becomes
 * non-zero; the dispatcher sets it when the run is cancelled, the task's
 * timeout passes, the lease cannot be renewed or the worker shuts down.
 *
 * Adding a kind: one file defining a `const struct executor`, and one
 * line in the registry of executor.c.
 */
#ifndef ORK_EXECUTOR_H
#define ORK_EXECUTOR_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Why a task is being stopped (task_ctx.cancel). */
enum task_stop {
	TASK_RUN = 0,		/* keep going */
	TASK_STOP_CANCEL = 1,	/* run cancelled: report cancelled */
	TASK_STOP_TIMEOUT = 2,	/* timeout passed: report timed_out */
	TASK_STOP_LOST = 3,	/* lease not renewed: report nothing */
	TASK_STOP_SHUTDOWN = 4	/* worker stopping: hand the task back */
};

/* Limits of one task's captured output. */
#define TASK_LOG_LINE_MAX 65536
#define TASK_ERROR_MAX 1024
/* Most secret values masked in one task's output. */
#define TASK_SECRETS_MAX 32
/* Bytes of an incremental load's cursor mark. */
#define TASK_CURSOR_MAX 1024

struct task_ctx;

/* log_fn ships one line of output (without its newline). */
typedef void (*task_log_fn)(struct task_ctx *ctx, const char *stream,
    const char *line, size_t len);

struct task_ctx {
	/* in */
	const char	*task_run_id;
	const char	*run_id;
	const char	*job_id;
	const char	*trace_id;
	const char	*kind;
	unsigned	 attempt;
	const cJSON	*extractor;	/* parsed extractor_config */
	const cJSON	*loader;	/* parsed loader_config */
	unsigned	 timeout_seconds;	/* 0: none */
	unsigned	 task_order;
	unsigned	 cursor_epoch;	/* generation of the cursor (resets) */
	atomic_int	*cancel;	/* enum task_stop */
	task_log_fn	 log;
	void		*log_arg;
	/* secret values resolved for this task, masked in its output */
	char		*secrets[TASK_SECRETS_MAX];
	int		 nsecrets;
	/* out */
	int64_t		 rows_moved;
	char		 error[TASK_ERROR_MAX];
	/* the cursor mark committed with the rows, "" for none */
	char		 cursor_mark[TASK_CURSOR_MAX + 1];
};

struct executor {
	const char	*kind;
	/*
	 * run returns 0 when the task succeeded, ORK_ECANCELED when it
	 * stopped because ctx->cancel was set, any other error with a
	 * message in ctx->error when it failed.
	 */
	int		(*run)(struct task_ctx *ctx);
	/* run_inline: quick enough to run on the dispatcher's thread */
	int		 run_inline;
};

/* executor_find returns the executor of a kind, NULL if none. */
const struct executor *executor_find(const char *kind);

/* executor_kinds fills kinds with every kind this worker runs. */
size_t executor_kinds(const char **kinds, size_t max);

/*
 * executor_secret resolves a config value that may be a secret reference
 * {"env": "NAME"} from the worker's environment, remembering the value so
 * it is masked in the task's output.  Returns the value (owned by ctx or
 * by the JSON), NULL with ctx->error set when the variable is missing.
 */
const char *executor_secret(struct task_ctx *ctx, const cJSON *value,
    const char *field);

/* executor_logf ships a formatted "system" line of the task's log. */
void executor_logf(struct task_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The executors. */
extern const struct executor executor_noop;
extern const struct executor executor_command;
extern const struct executor executor_csv;
extern const struct executor executor_parquet;
extern const struct executor executor_http;

#endif /* ORK_EXECUTOR_H */
