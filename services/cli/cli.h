/*
 * cli.h - the private header of ork, the command line.
 *
 * A command goes: main.c (global flags, settings from flags, environment
 * and config file, dispatch) -> a command in cmd_*.c (its own flags with
 * args.c) -> requests with client.c -> output with output.c.
 * Every command returns an exit code (CLI_EXIT_*) and has printed one
 * line on stderr saying why when it is not CLI_EXIT_OK.
 */
#ifndef ORK_CLI_H
#define ORK_CLI_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Exit codes. */
#define CLI_EXIT_OK		0
#define CLI_EXIT_FAILED		1	/* failed run, refused request */
#define CLI_EXIT_USAGE		2	/* bad flags, arguments, files */
#define CLI_EXIT_NOT_FOUND	3	/* 404, or no job of that name */
#define CLI_EXIT_AUTH		4	/* 401, 403 */
#define CLI_EXIT_UNREACHABLE	5	/* no answer from the server */

#define CLI_DEFAULT_URL		"http://localhost:8080"

/* Limits on outside input. */
#define CLI_URL_MAX		2048		/* --url, ORK_URL, url = */
#define CLI_TOKEN_MAX		512		/* --token, ORK_TOKEN, token = */
#define CLI_USERNAME_MAX	64		/* as the server's */
#define CLI_PASSWORD_MAX	1024		/* as the server's */
#define CLI_CONF_MAX		(64 * 1024)	/* the config file */
#define CLI_CONF_LINE_MAX	4096		/* one line of it */
#define CLI_BODY_MAX		(16 * 1024 * 1024) /* an answer's body */
#define CLI_FILE_MAX		(1024 * 1024)	/* a job file (the API's) */
#define CLI_SSE_LINE_MAX	(64 * 1024)	/* one line of /events */
#define CLI_PARAMS_MAX		64		/* --param of one run */
#define CLI_PARAM_KEY_MAX	128
#define CLI_PARAM_VALUE_MAX	4096
#define CLI_LIMIT_MAX		500		/* --limit (the API's) */

/* What every command gets: resolved settings and output choices. */
struct cli {
	char		 url[CLI_URL_MAX + 1];	/* no trailing slash */
	char		 token[CLI_TOKEN_MAX + 1];	/* "" when none */
	char		 conf_path[1024];	/* "" when no home is known */
	char		 user[CLI_USERNAME_MAX + 1];	/* of the config file */
	int		 json;		/* --json */
	int		 quiet;		/* --quiet */
	int		 color;		/* stdout a terminal, NO_COLOR unset */
	struct client	*client;
};

/* ---- config.c: the config file ------------------------------------ */

/* What the config file holds; empty strings when absent. */
struct conf {
	char	url[CLI_URL_MAX + 1];
	char	token[CLI_TOKEN_MAX + 1];
	char	user[CLI_USERNAME_MAX + 1];
	int	loose;		/* conf_load: others may read the file */
};

/*
 * conf_parse reads len bytes of config text ("key = value" lines, '#'
 * comments, keys url, token and user) into c.  Returns 0, or -1 with
 * err naming the line ("line 3: unknown key \"x\"").
 */
int	conf_parse(const char *text, size_t len, struct conf *c, char *err,
	    size_t errlen);

/*
 * conf_path writes where the config file lives into buf:
 * $XDG_CONFIG_HOME/ork/config, else $HOME/.config/ork/config.  Returns
 * 0, or -1 when neither variable is set (or the path is too long).
 */
int	conf_path(char *buf, size_t len);

/*
 * conf_load reads and parses the file at path.  Returns 0, 1 when there
 * is no file (c is then empty), or -1 with err saying what is wrong.
 */
int	conf_load(const char *path, struct conf *c, char *err, size_t errlen);

/*
 * conf_save writes c to path atomically (a temporary file of mode 0600
 * in the same folder, synced and renamed over it), creating the folder
 * with mode 0700 when missing.  Returns 0 or -1 with err.
 */
int	conf_save(const char *path, const struct conf *c, char *err,
	    size_t errlen);

/* conf_valid_url says whether s is an http(s) URL the client may use. */
int	conf_valid_url(const char *s);

/* conf_valid_token says whether s may be sent as a bearer token. */
int	conf_valid_token(const char *s);

/* ---- args.c: flags of one command ---------------------------------- */

#define ARGS_POS_MAX	8
#define ARGS_MULTI_MAX	CLI_PARAMS_MAX

/* One flag a command takes. */
struct args_flag {
	const char	*name;		/* "--wait" */
	char		 shortname;	/* 'f', or 0 */
	int		 has_value;	/* takes a value */
	int		 repeat;	/* may be given more than once */
};

/* Flags and positional arguments of one command, after parsing. */
struct args {
	const char	*pos[ARGS_POS_MAX];
	int		 npos;
	const char	*value[16];	/* by index in the flag table */
	int		 seen[16];
	const char	*multi[ARGS_MULTI_MAX];	/* the repeated flag's values */
	int		 nmulti;
};

/*
 * args_parse parses argv (after the command words) against flags (at
 * most 16, ended by a NULL name).  Allows at most maxpos positional
 * arguments and at least minpos.  Returns 0, or CLI_EXIT_USAGE after
 * printing the problem (naming the flag) for command cmd.
 */
int	args_parse(const char *cmd, const struct args_flag *flags, int argc,
	    char **argv, int minpos, int maxpos, struct args *a);

/* args_get returns the value of flag name, or NULL when not given. */
const char *args_get(const struct args_flag *flags, const struct args *a,
	    const char *name);

/* args_has says whether flag name was given. */
int	args_has(const struct args_flag *flags, const struct args *a,
	    const char *name);

/*
 * args_long parses a decimal integer in [min, max] given to flag name.
 * Returns 0, or CLI_EXIT_USAGE after printing why.
 */
int	args_long(const char *flag, const char *s, long min, long max,
	    long *out);

/* ---- client.c: HTTP requests to ork-api ---------------------------- */

struct client;

/* One answer. */
struct client_resp {
	long	 status;
	char	*body;		/* NUL-terminated, may be NULL */
	size_t	 len;
	cJSON	*json;		/* parsed body of a JSON answer, or NULL */
};

/* client_new makes a client of base url with token ("" for none). */
struct client *client_new(const char *url, const char *token);

/* client_free releases c (NULL is fine). */
void	client_free(struct client *c);

/* client_resp_free releases what r holds. */
void	client_resp_free(struct client_resp *r);

/*
 * client_call makes one request (body: JSON text or NULL) and parses
 * the answer.  Returns CLI_EXIT_OK for a 2xx JSON (or empty) answer;
 * otherwise prints one line on stderr and returns the exit code the
 * failure maps to: 404 not found, 401/403 auth, unreachable, others
 * (and malformed or oversized answers) failed; r is then empty.  When
 * ok_status is not 0
 * that status is returned as CLI_EXIT_OK too without a message (r holds
 * it), so a caller can handle it (e.g. 404 when looking for a job).
 */
int	client_call(struct client *c, const char *method, const char *path,
	    const char *body, long ok_status, struct client_resp *r);

/*
 * client_stream makes a GET request and hands each line of the answer
 * to on_line (without its line break); on_line returns 0 to go on, 1
 * to stop.  Lines are at most CLI_SSE_LINE_MAX.  extra_header may be
 * NULL.  Returns CLI_EXIT_OK when on_line stopped it or the server
 * closed the stream, or an exit code after printing why; *status is the
 * HTTP status of the answer (0: none).
 */
int	client_stream(struct client *c, const char *path,
	    const char *extra_header, int (*on_line)(void *, const char *,
	    size_t), void *arg, long *status);

/*
 * client_escape writes s percent-encoded for a query into out.
 * Returns 0, or -1 when it does not fit.
 */
int	client_escape(const char *s, char *out, size_t len);

/* client_quiet stops (on) or restarts the client's messages on stderr. */
void	client_quiet(struct client *c, int on);

/* client_url returns the base URL the client talks to. */
const char *client_url(const struct client *c);

/* ---- output.c: tables, times, colours ------------------------------- */

struct table;

/* table_new starts a table with ncols columns named by the headers. */
struct table *table_new(int ncols, const char *const *headers);

/*
 * table_add appends a row of ncols cells (copied; NULL prints "-").  A
 * table that could not grow drops rows and says so when printed.
 */
void	table_add(struct table *t, const char *const *cells);

/*
 * table_print writes the table to stdout, aligned, and frees it (NULL:
 * out of memory, said on stderr).  With color, the cells of the columns
 * STATUS, STATE and LAST RUN get their status's colour.
 */
void	table_print(struct table *t, int color);

/* out_status_color returns the ANSI colour of a status, or "". */
const char *out_status_color(const char *status);

/*
 * out_reltime writes a time given as RFC 3339 relative to now ("3m
 * ago", "in 2h", "-" for NULL or unparsable) into buf.
 */
void	out_reltime(const char *rfc3339, char *buf, size_t len);

/* out_parse_time parses RFC 3339 (UTC, "Z" or "+00:00") into Unix us. */
int	out_parse_time(const char *s, int64_t *us);

/* out_duration writes the time between two RFC 3339 times ("1m 5s"). */
void	out_duration(const char *from, const char *to, char *buf, size_t len);

/* out_json prints a tree as JSON on one line. */
void	out_json(const cJSON *j);

/* out_str returns a string member, or NULL when absent or not a string. */
const char *out_str(const cJSON *o, const char *name);

/* out_scalar writes a member as text ("-" when null/absent) into buf. */
const char *out_scalar(const cJSON *o, const char *name, char *buf,
	    size_t len);

/* ---- cmd_*.c: the commands ----------------------------------------- */

/* What a command runs: argv starts after its own name. */
typedef int cmd_fn(struct cli *cli, int argc, char **argv);

/* cmd_auth.c */
cmd_fn	cmd_login, cmd_logout;

/*
 * cmd_password reads a password into pw[len] from standard input (one
 * line) or the terminal without echo (asked twice when twice is set).
 * Returns 0, or an exit code after saying why.
 */
int	cmd_password(int from_stdin, int twice, char *pw, size_t len);

/* cmd_jobs.c */
cmd_fn	cmd_jobs;

/*
 * cmd_job_resolve finds a job by id or by name and writes its id into
 * id[37] (and its name into name when not NULL).  Returns an exit code.
 */
int	cmd_job_resolve(struct cli *cli, const char *job, char *id,
	    char *name, size_t namelen);

/*
 * cmd_list_all reads the pages of a list (path has a query already)
 * until max_items items or the last page, into out: the first answer
 * with the items of all pages.  Returns an exit code (out is then
 * empty).
 */
int	cmd_list_all(struct cli *cli, const char *path, int max_items,
	    struct client_resp *out);

/* cmd_runs.c */
cmd_fn	cmd_run, cmd_runs;

/*
 * cmd_check_id checks that s is a UUID for argument what; returns 0 or
 * CLI_EXIT_USAGE after saying so.
 */
int	cmd_check_id(const char *what, const char *s);

/* cmd_follow.c */
cmd_fn	cmd_logs, cmd_watch;

/* cmd_admin.c */
cmd_fn	cmd_status, cmd_users, cmd_tokens;

/* main.c: help of a command name, 0 when known. */
int	main_help(const char *cmd, int to_stderr);

/* A subcommand: its name, another name (or NULL), and what runs it. */
struct cli_sub {
	const char	*name;
	const char	*alias;
	int		(*run)(struct cli *cli, const char *sub, int argc,
			    char **argv);
};

/*
 * cli_dispatch runs the subcommand argv[0] of cmd from subs (ended by a
 * NULL name) with the arguments after it; none or an unknown one is a
 * usage error (help, or a line naming it).
 */
int	cli_dispatch(struct cli *cli, const char *cmd,
	    const struct cli_sub *subs, int argc, char **argv);

#endif /* ORK_CLI_H */
