/*
 * api.h - ork-api's private header.
 *
 * A request goes: civetweb thread -> router.c (route, authentication,
 * role, path ids, body) -> a handler in jobs.c, runs.c, auth.c,
 * events.c or openapi.c -> an answer written with http.c.  Handlers
 * take database connections from the pool (sql.c) and ask the
 * orchestrator to change run state (orch.c).
 */
#ifndef ORK_API_H
#define ORK_API_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>
#include <nng/nng.h>

#include "dbpool.h"
#include "httpd.h"
#include "json.h"
#include "util.h"

/* Lists: how many items a page has by default and at most. */
#define API_LIMIT_DEFAULT	50
#define API_LIMIT_MAX		500
/* Log lines: the same for GET /tasks/{id}/logs. */
#define API_LOG_LIMIT_DEFAULT	500
#define API_LOG_LIMIT_MAX	5000
/* Largest request body (also TASKCFG_BODY_MAX). */
#define API_BODY_MAX		(1024 * 1024)
/* Largest answer built in memory. */
#define API_REPLY_MAX		(64 * 1024 * 1024)
/* How long a request waits for a free database connection. */
#define API_DB_WAIT_MS		5000
/* Longest path parameter, query value and header value we look at. */
#define API_PARAM_MAX		256
/* A trace id: 32 hex digits. */
#define API_TRACE_LEN		32
/* A username: bytes. */
#define API_USERNAME_MAX	64

/* Roles, each allowed what the ones below it are. */
enum api_role {
	ROLE_NONE = 0,		/* public routes only */
	ROLE_VIEWER = 1,	/* read */
	ROLE_OPERATOR = 2,	/* trigger, cancel, retry */
	ROLE_ADMIN = 3		/* definitions, users, tokens */
};

/* Configuration, filled from the option table in main.c. */
struct api_config {
	char	*database_url;
	char	*listen;
	char	*control;
	char	*events;
	char	*zoneinfo;
	char	*admin_user;
	char	*admin_password;
	long	 threads;
	long	 db_pool;
	long	 sse_clients;
	long	 request_timeout_ms;
	int	 auth;
	int	 log_level;
	int	 log_format;
};

struct auth;
struct events;
struct names;

/* What the daemon's threads share. */
struct api {
	const struct api_config	*cfg;
	struct dbpool		*pool;
	nng_socket		 orch;		/* REQ to the orchestrator */
	struct httpd		*http;
	struct auth		*auth;
	struct events		*events;
	struct names		*names;		/* job names for run lists */
	atomic_int		 stopping;	/* set before httpd_stop */
};

/* Who makes a request. */
struct principal {
	enum api_role	role;
	char		user_id[UTIL_UUID_LEN + 1];	/* "" when auth is off */
	char		username[API_USERNAME_MAX + 1];
	char		token_id[UTIL_UUID_LEN + 1];	/* "" when auth is off */
	char		token_kind[8];			/* session | api */
};

struct route;

/* One request being served. */
struct req {
	struct api			*a;
	struct mg_connection		*c;
	const struct mg_request_info	*ri;
	const struct route		*route;
	char				 id[UTIL_UUID_LEN + 1];	/* path id */
	struct principal		 who;
	char				 trace[API_TRACE_LEN + 1];
	char				*body;		/* NUL-terminated */
	size_t				 body_len;
	int				 status;	/* what was answered */
};

typedef int (*route_fn)(struct req *r);

/* Route flags. */
#define ROUTE_BODY		0x1	/* a JSON body is required */
#define ROUTE_BODY_OPTIONAL	0x2	/* a JSON body may be given */
#define ROUTE_STREAM		0x4	/* answers with a stream (SSE) */
#define ROUTE_METRICS		0x8	/* answers with Prometheus text */

/* One route; the table in router.c also feeds the OpenAPI document. */
struct route {
	const char	*method;
	const char	*path;		/* "/jobs/{job_id}/runs" */
	enum api_role	 role;		/* least role; ROLE_NONE: public */
	route_fn	 fn;
	unsigned	 flags;
	const char	*op;		/* operationId */
	const char	*summary;
	const char	*tag;
	const char	*query;		/* query parameters, space-separated */
	const char	*request;	/* schema of the body, or NULL */
	int		 ok;		/* status of success */
	const char	*response;	/* schema of the answer, or NULL */
};

/* A position in a list, from the opaque cursor of the previous page. */
struct page {
	int	limit;
	int	has_cursor;
	int64_t	at_us;				/* created_at, Unix us */
	char	id[UTIL_UUID_LEN + 1];
};

/* main.c */
extern const char *const api_role_names[];	/* by enum api_role */
int	api_role_parse(const char *name);

/* router.c */
void	router_install(struct api *a);
const struct route *router_routes(size_t *n);

/* http.c */
int	http_reply(struct req *r, int status, const char *headers,
	    const char *json);
int	http_reply_buf(struct req *r, int status, const char *headers,
	    struct json_buf *b);
int	http_error(struct req *r, int status, const char *code,
	    const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
int	http_error_h(struct req *r, int status, const char *headers,
	    const char *code, const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
int	http_json_error(struct req *r, int err, const struct json_err *e);
int	http_fail(struct req *r, int err, const char *what);
int	http_read_body(struct req *r, int optional);
int	http_query(struct req *r, const char *name, char *buf, size_t len);
int	http_query_uuid(struct req *r, const char *name,
	    char out[UTIL_UUID_LEN + 1], int *present);
int	http_page(struct req *r, int def, int max, struct page *pg);
void	http_cursor(struct json_buf *b, int64_t at_us, const char *id);
int	http_parse_body(struct req *r, cJSON **out);
const char *http_trace(struct req *r);
const char *http_header(struct req *r, const char *name);

/* sql.c */
struct sql_stmt {
	const char	*name;		/* unique: "runs_list_3" */
	const char	*text;
	int		 nparams;
	int		 binary;	/* results in binary format */
};

/* How a column of a binary result becomes JSON. */
enum sql_kind {
	SQL_UUID,	/* uuid: "0b7a..." */
	SQL_TEXT,	/* text, varchar: a string */
	SQL_TIME,	/* timestamptz: "2024-05-01T09:00:00.000000Z" */
	SQL_INT,	/* int2, int4, int8 */
	SQL_BOOL,
	SQL_JSON,	/* json or jsonb: as it is */
	SQL_OBJ,	/* opens "name": { ... } (takes no column) */
	SQL_OBJ_OR_NULL,/* the same, null when its first column is NULL */
	SQL_END		/* closes the object (takes no column) */
};

/* One member of an object written from consecutive columns. */
struct sql_field {
	const char	*name;
	size_t		 len;		/* strlen(name) */
	enum sql_kind	 kind;
};
#define SQL_F(name, kind)	{ name, sizeof(name) - 1, kind }
#define SQL_F_END		{ NULL, 0, SQL_END }

#define SQL_NFIELDS(f) ((int)(sizeof(f) / sizeof((f)[0])))
void	sql_init(int slots);
int	sql_get(struct api *a, int timeout_ms, PGconn **out, char *msg,
	    size_t msglen);
void	sql_put(struct api *a, PGconn *c);
int	sql_conn(struct req *r, PGconn **out);
void	sql_release(struct req *r, PGconn *c);
PGresult *sql_run(PGconn *c, const struct sql_stmt *s,
	    const char *const *values, int *err, char *msg, size_t msglen);
PGresult *sql_exec(PGconn *c, const char *sql, int n,
	    const char *const *values, int *err, char *msg, size_t msglen);
PGresult *sql_exec_binary(PGconn *c, const char *sql, int n,
	    const char *const *values, int *err, char *msg, size_t msglen);
int	sql_fields(struct json_buf *b, const PGresult *res, int row, int col,
	    const struct sql_field *f, int nf);
void	sql_object(struct json_buf *b, const PGresult *res, int row, int col,
	    const struct sql_field *f, int nf);
int64_t	sql_time_us(const PGresult *res, int row, int col);
void	sql_uuid(const PGresult *res, int row, int col,
	    char out[UTIL_UUID_LEN + 1]);
int64_t	sql_int(const PGresult *res, int row, int col);
void	sql_json_time(struct json_buf *b, int64_t unix_us);
/* Longest text of a list statement. */
#define SQL_LIST_TEXT_MAX 2048
/* The statements of one list: one per combination of its filters. */
struct sql_list {
	const char		*name;		/* "runs_list" */
	const char		*select;	/* inner SELECT ... WHERE true */
	const char		*created;	/* "r.created_at" */
	const char		*id;		/* "r.run_id" */
	const char *const	*filters;	/* " AND r.job_id = $?::uuid" */
	int			 nfilters;	/* at most 4 */
	struct sql_stmt		 stmts[16];
	char			 texts[16][SQL_LIST_TEXT_MAX];
	char			 names[16][32];
};
void	sql_list_build(struct sql_list *l);
int	sql_begin(PGconn *c);
int	sql_commit(PGconn *c, char *msg, size_t msglen);
void	sql_rollback(PGconn *c);
void	sql_forget(PGconn *c);

/* text.c */
void	text_b64url_encode(const unsigned char *in, size_t n, char *out,
	    size_t outlen);
int	text_b64url_decode(const char *in, unsigned char *out, size_t outlen,
	    size_t *n);
int	text_rfc3339_valid(const char *s);
int	text_parse_long(const char *s, long min, long max, long *out);
void	text_hex(const unsigned char *in, size_t n, char *out);

/* auth.c */
int	auth_new(struct api *a, struct auth **out);
void	auth_free(struct auth *au);
int	auth_bootstrap(struct api *a);
int	auth_create_user_cli(const struct api_config *cfg, const char *name,
	    const char *role);
int	auth_authenticate(struct req *r);
int	auth_login(struct req *r);
int	auth_logout(struct req *r);
int	auth_me(struct req *r);
int	auth_tokens_list(struct req *r);
int	auth_tokens_create(struct req *r);
int	auth_tokens_revoke(struct req *r);
int	auth_users_list(struct req *r);
int	auth_users_create(struct req *r);
int	auth_users_get(struct req *r);
int	auth_users_update(struct req *r);
int	auth_users_delete(struct req *r);

/* jobs.c */
int	jobs_list(struct req *r);
int	jobs_create(struct req *r);
int	jobs_get(struct req *r);
int	jobs_replace(struct req *r);
int	jobs_patch(struct req *r);
int	jobs_delete(struct req *r);
int	jobs_trigger(struct req *r);
int	jobs_reset_cursors(struct req *r);
int	jobs_runs(struct req *r);

/* backfill.c */
int	jobs_backfill(struct req *r);

/* runs.c */
int	runs_list(struct req *r);
int	runs_get(struct req *r);
int	runs_tasks(struct req *r);
int	runs_cancel(struct req *r);
int	runs_retry(struct req *r);
int	runs_list_for_job(struct req *r, const char *job_id);
int	runs_fetch(PGconn *c, const char *run_id, struct json_buf *b,
	    char *msg, size_t msglen);
int	tasks_get(struct req *r);
int	tasks_logs(struct req *r);

/* orch.c */
int	orch_trigger(struct req *r, const char *job_id, const char *params,
	    char run_id[UTIL_UUID_LEN + 1], char *msg, size_t msglen);
int	orch_cancel(struct req *r, const char *run_id, const char *reason,
	    char *status, size_t statuslen, char *msg, size_t msglen);
int	orch_retry(struct req *r, const char *run_id, char *status,
	    size_t statuslen, unsigned *requeued, char *msg, size_t msglen);
int	orch_backfill(struct req *r, const char *job_id, int64_t *slots_us,
	    size_t n, int rerun, unsigned counts[3], char *msg, size_t msglen);
int	orch_reply_error(struct req *r, int err, const char *msg);

/* events.c */
int	events_start(struct api *a, struct events **out, char *err,
	    size_t errlen);
void	events_stop(struct events *ev);
void	events_free(struct events *ev);
int	events_stream(struct req *r);
int	events_clients(struct events *ev);

/* names.c */
int	names_new(struct names **out);
void	names_free(struct names *n);
void	names_lock(struct names *n);
void	names_unlock(struct names *n);
int	names_get_locked(struct names *n, const unsigned char id[16],
	    int64_t now_ms, char *out, size_t outlen);
void	names_put(struct names *n, const unsigned char id[16],
	    const char *name, size_t len);
void	names_forget(struct names *n, const char *job_id);

/* openapi.c */
int	openapi_get(struct req *r);

/* system.c */
int	health_get(struct req *r);
int	ready_get(struct req *r);
int	workers_list(struct req *r);

/* ui.c: the web page, embedded by deploy/embed-web.sh */
struct ui_file {
	const char		*path;	/* "/" or "/ui/NAME" */
	const char		*type;	/* Content-Type */
	const char		*etag;	/* strong, with its quotes */
	const unsigned char	*data;
	size_t			 len;
};
extern const struct ui_file ui_files[];	/* generated; NULL-ended */
extern const size_t ui_files_count;
int	ui_wants(const char *path);
int	ui_serve(struct req *r, const char *path);

#endif /* ORK_API_H */
