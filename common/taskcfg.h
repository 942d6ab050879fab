/*
 * taskcfg.h - job definitions and task configurations: what a job body
 * may say, checked by one table of extractor and loader types.
 *
 * ork-api checks every job it stores with this module, and ork-worker
 * checks every task it runs with the same code, so a configuration the
 * api accepted is one the worker understands.  A problem is reported as
 * a json_err: a code (TASKCFG_E_*), the path of the offending field
 * ("tasks[0].loader_config.table_name") and a message for people.
 *
 * Secrets: a key whose name looks like a secret (password, token,
 * connection, ...; see docs/api.md) must hold a reference
 * {"env": "NAME"}, never the value.  References are stored as they are;
 * only the worker resolves them (taskcfg_resolve_secret).
 */
#ifndef ORK_TASKCFG_H
#define ORK_TASKCFG_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "json.h"

/* Limits of a job body. */
#define TASKCFG_BODY_MAX	(1024 * 1024)	/* bytes */
#define TASKCFG_TASKS_MAX	100
#define TASKCFG_DEPTH_MAX	32
#define TASKCFG_STRING_MAX	(64 * 1024)	/* bytes of one string */
#define TASKCFG_NAME_MAX	255		/* characters of a name */
#define TASKCFG_TZ_MAX		64		/* bytes of a zone name */
#define TASKCFG_KIND_MAX	16		/* bytes of a kind, with NUL */

/* Limits inside task configurations. */
#define TASKCFG_ARGV_MAX	256
#define TASKCFG_ENV_MAX		256
#define TASKCFG_HEADERS_MAX	128
#define TASKCFG_COLUMNS_MAX	4096
#define TASKCFG_KEY_COLUMNS_MAX	32
#define TASKCFG_IDENT_MAX	63		/* identifier bytes */
#define TASKCFG_SECRET_NAME_MAX	128		/* env variable name bytes */
#define TASKCFG_URL_MAX		8192
#define TASKCFG_CURSOR_MAX	1024		/* bytes of a cursor value */

/* Per-task settings: bounds and defaults. */
#define TASKCFG_ATTEMPTS_MIN		1
#define TASKCFG_ATTEMPTS_MAX		100
#define TASKCFG_ATTEMPTS_DEFAULT	3
#define TASKCFG_TIMEOUT_MAX		604800		/* seconds: a week */
#define TASKCFG_RETRY_BASE_MAX		3600000		/* ms */
#define TASKCFG_RETRY_BASE_DEFAULT	1000
#define TASKCFG_RETRY_CAP_MAX		86400000	/* ms */
#define TASKCFG_RETRY_CAP_DEFAULT	300000
#define TASKCFG_ACTIVE_RUNS_MAX		1000

/* Codes of the problems this module reports. */
#define TASKCFG_E_UNKNOWN_TYPE		"unknown_type"
#define TASKCFG_E_MISSING_FIELD		"missing_field"
#define TASKCFG_E_INVALID_TYPE		"invalid_type"
#define TASKCFG_E_INVALID_VALUE		"invalid_value"
#define TASKCFG_E_UNKNOWN_FIELD		"unknown_field"
#define TASKCFG_E_SECRET_IN_CLEAR	"secret_in_clear"

/* Flags of taskcfg_job_from_json. */
#define TASKCFG_JOB_NO_TASKS	0x1	/* "tasks" is not required, ignored */

/* One task of a job, checked and with its defaults filled in. */
struct taskcfg_task {
	char	*task_name;		/* NULL when not given */
	char	 kind[TASKCFG_KIND_MAX];	/* what a worker must run */
	char	*extractor_json;	/* compact JSON, as given */
	char	*loader_json;		/* compact JSON; "{}" when none */
	int	 max_attempts;
	int	 timeout_seconds;	/* 0: none */
	int	 retry_base_ms;
	int	 retry_cap_ms;
};

/* A job definition, checked and with its defaults filled in. */
struct taskcfg_job {
	char			*job_name;
	char			*description;	/* NULL: none */
	char			*schedule;	/* NULL: runs only on demand */
	char			 timezone[TASKCFG_TZ_MAX + 1];
	int			 is_active;
	int			 catchup;
	int			 max_active_runs;
	char			 overlap[8];	/* "queue" or "skip" */
	size_t			 ntasks;
	struct taskcfg_task	*tasks;
};

/* The kinds workers run, NULL-terminated ("api" is a name of "http"). */
extern const char *const taskcfg_kinds[];

/*
 * The column types a loader's "columns" may name, NULL-terminated, in
 * the order of enum schema_type (services/worker/plugins/schema.c).
 */
extern const char *const taskcfg_column_types[];

/*
 * taskcfg_parse_job parses and checks a job body of len bytes (JSON
 * limits above; zone names are looked up under zoneinfo, NULL for the
 * system's).  On success *out is a job the caller frees with
 * taskcfg_job_free.  Returns ORK_ETOOBIG for a body over
 * TASKCFG_BODY_MAX, ORK_EINVAL with e filled for anything wrong in it,
 * or ORK_ENOMEM.
 */
int	taskcfg_parse_job(const char *body, size_t len, const char *zoneinfo,
	    unsigned flags, struct taskcfg_job **out, struct json_err *e);

/* taskcfg_job_from_json is taskcfg_parse_job for a parsed document. */
int	taskcfg_job_from_json(const cJSON *root, const char *zoneinfo,
	    unsigned flags, struct taskcfg_job **out, struct json_err *e);

/* taskcfg_job_free releases a job; NULL accepted. */
void	taskcfg_job_free(struct taskcfg_job *job);

/*
 * taskcfg_check_task checks one task object found at path ("tasks[0]")
 * and fills out, whose strings the caller frees with
 * taskcfg_task_clear (also after a failure).  Returns 0, ORK_EINVAL
 * with e filled, or ORK_ENOMEM.
 */
int	taskcfg_check_task(const cJSON *task, const char *path,
	    struct taskcfg_task *out, struct json_err *e);

/* taskcfg_task_clear frees the strings of a task and zeroes it. */
void	taskcfg_task_clear(struct taskcfg_task *t);

/*
 * taskcfg_check_configs checks an extractor configuration and its
 * loader configuration (loader may be NULL) found under path ("" or
 * "tasks[0]") and writes the task's kind.  Returns 0 or ORK_EINVAL with
 * e filled.
 */
int	taskcfg_check_configs(const cJSON *extractor, const cJSON *loader,
	    const char *path, char kind[TASKCFG_KIND_MAX], struct json_err *e);

/*
 * taskcfg_check_config_text is taskcfg_check_configs for configurations
 * as JSON text (loader_json may be NULL or ""), as a worker receives
 * them in a lease.
 */
int	taskcfg_check_config_text(const char *extractor_json,
	    const char *loader_json, char kind[TASKCFG_KIND_MAX],
	    struct json_err *e);

/*
 * taskcfg_check_secrets applies the secret rule to any JSON value found
 * at path (run parameters, for instance): every key named like a secret
 * must hold a reference.  Returns 0 or ORK_EINVAL with e filled.
 */
int	taskcfg_check_secrets(const cJSON *v, const char *path,
	    struct json_err *e);

/* taskcfg_is_secret_name says whether a key must hold a reference. */
int	taskcfg_is_secret_name(const char *key);

/* taskcfg_is_secret_ref says whether v is a valid {"env": "NAME"}. */
int	taskcfg_is_secret_ref(const cJSON *v);

/*
 * taskcfg_resolve_secret returns the value a reference stands for (the
 * worker's environment variable NAME), or NULL when v is not a reference
 * or the variable is not set.  The string belongs to the environment.
 */
const char *taskcfg_resolve_secret(const cJSON *v);

/* taskcfg_is_identifier says whether s is a SQL identifier we accept. */
int	taskcfg_is_identifier(const char *s);

#endif /* ORK_TASKCFG_H */
