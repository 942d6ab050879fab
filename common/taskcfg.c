/*
 * taskcfg.c - job definitions and task configurations, checked against
 * one table of extractor and loader types.
 *
 * Order of the checks, so that the first problem reported is the most
 * useful one: the shape of the document, then per task the extractor's
 * type, the secret rule over the whole configuration, missing required
 * fields, every member in order (unknown ones are refused), rules across
 * fields; then the same for the loader.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cron.h"
#include "err.h"
#include "taskcfg.h"
#include "tz.h"

const char *const taskcfg_kinds[] = { "noop", "command", "http", "csv",
    "parquet", NULL };

/* What a field's value must be. */
enum field_kind {
	FK_ANY,		/* any JSON value */
	FK_STRING,	/* non-empty string of at most max bytes (0: any) */
	FK_BOOL,
	FK_INT,		/* integer in [min, max] */
	FK_RATE,	/* number in (0, max] */
	FK_ENUM,	/* one of choices */
	FK_CHAR,	/* one character, not a line break */
	FK_URL,		/* http or https URL */
	FK_PATH_OR_URL,	/* local path, or http(s) URL */
	FK_IDENT,	/* SQL identifier */
	FK_TABLE,	/* identifier or schema.identifier */
	FK_IDENT_LIST,	/* 1..max identifiers, no duplicates */
	FK_ARGV,	/* 1..max strings, the first not empty */
	FK_STRING_LIST,	/* 1..max non-empty strings */
	FK_COLUMNS,	/* 1..max {"name": ..., "type": one of choices} */
	FK_SCALAR,	/* a string (at most max bytes) or a number */
	FK_SECRET,	/* {"env": "NAME"} */
	FK_HEADERS,	/* header name -> string or reference */
	FK_PARAMS,	/* query parameter -> string or reference */
	FK_ENV,		/* variable name -> string or reference */
	FK_OBJECT	/* object with members of its own */
};

struct field;
typedef int (*object_check_fn)(const cJSON *obj, const char *path,
    struct json_err *e);

struct field {
	const char		*name;
	enum field_kind		 kind;
	int			 required;
	long			 min, max;
	const char *const	*choices;
	const struct field	*members;	/* FK_OBJECT */
	object_check_fn		 check;		/* FK_OBJECT: after members */
};

/* What a configuration type is. */
struct config_type {
	const char		*name;		/* as users write it */
	const char		*kind;		/* what workers advertise */
	int			 needs_loader;
	const struct field	*fields;
	object_check_fn		 check;
};

static const char *const http_methods[] = { "GET", "POST", NULL };
static const char *const on_error_choices[] = { "fail", "skip", NULL };
static const char *const mode_choices[] = { "append", "replace", "merge",
    NULL };
static const char *const auth_types[] = { "bearer", "basic", "header",
    "query", NULL };
static const char *const pagination_types[] = { "none", "page", "offset",
    "cursor", "link", "next_url", NULL };
static const char *const overlap_choices[] = { "queue", "skip", NULL };
static const char *const mismatch_choices[] = { "widen", "fail", NULL };

/* The column types of a loader's "columns" (and of inference). */
const char *const taskcfg_column_types[] = { "text", "integer", "double",
    "boolean", "timestamp", NULL };

/* Words that make a key name a secret's (after '-' became '_'). */
static const char *const secret_words[] = { "password", "passwd", "token",
    "secret", "api_key", "apikey", "private_key", "connection",
    "authorization", NULL };

#define F_END { NULL, FK_ANY, 0, 0, 0, NULL, NULL, NULL }
#define F_TYPE { "type", FK_ANY, 1, 0, 0, NULL, NULL, NULL }
/* incremental loads: the extractor's cursor */
#define F_CURSOR \
	{ "cursor_field", FK_STRING, 0, 0, TASKCFG_IDENT_MAX, NULL, NULL, \
	    NULL }, \
	{ "initial_value", FK_SCALAR, 0, 0, TASKCFG_CURSOR_MAX, NULL, NULL, \
	    NULL }
/* the loader's column types */
#define F_SCHEMA \
	{ "columns", FK_COLUMNS, 0, 1, TASKCFG_COLUMNS_MAX, \
	    taskcfg_column_types, NULL, NULL }, \
	{ "on_type_mismatch", FK_ENUM, 0, 0, 0, mismatch_choices, NULL, NULL }

static int check_command(const cJSON *, const char *, struct json_err *);
static int check_auth(const cJSON *, const char *, struct json_err *);
static int check_pagination(const cJSON *, const char *, struct json_err *);
static int check_merge_key(const cJSON *, const char *, struct json_err *);
static int check_postgres(const cJSON *, const char *, struct json_err *);
static int check_cursor(const cJSON *, const char *, struct json_err *);

static const struct field noop_fields[] = {
	F_TYPE,
	F_END
};

static const struct field command_fields[] = {
	F_TYPE,
	{ "argv", FK_ARGV, 0, 1, TASKCFG_ARGV_MAX, NULL, NULL, NULL },
	{ "shell", FK_STRING, 0, 0, 0, NULL, NULL, NULL },
	{ "env", FK_ENV, 0, 0, TASKCFG_ENV_MAX, NULL, NULL, NULL },
	{ "cwd", FK_STRING, 0, 0, 4096, NULL, NULL, NULL },
	F_END
};

static const struct field auth_fields[] = {
	{ "type", FK_ENUM, 1, 0, 0, auth_types, NULL, NULL },
	{ "token", FK_SECRET, 0, 0, 0, NULL, NULL, NULL },
	{ "username", FK_STRING, 0, 0, 1024, NULL, NULL, NULL },
	{ "password", FK_SECRET, 0, 0, 0, NULL, NULL, NULL },
	{ "name", FK_STRING, 0, 0, 256, NULL, NULL, NULL },
	{ "value", FK_SECRET, 0, 0, 0, NULL, NULL, NULL },
	F_END
};

static const struct field pagination_fields[] = {
	{ "type", FK_ENUM, 1, 0, 0, pagination_types, NULL, NULL },
	{ "param", FK_STRING, 0, 0, 256, NULL, NULL, NULL },
	{ "size_param", FK_STRING, 0, 0, 256, NULL, NULL, NULL },
	{ "page_size", FK_INT, 0, 1, 100000, NULL, NULL, NULL },
	{ "start", FK_INT, 0, 0, 1000000000, NULL, NULL, NULL },
	{ "cursor_path", FK_STRING, 0, 0, 1024, NULL, NULL, NULL },
	{ "next_url_path", FK_STRING, 0, 0, 1024, NULL, NULL, NULL },
	{ "max_pages", FK_INT, 0, 1, 1000000, NULL, NULL, NULL },
	F_END
};

static const struct field http_fields[] = {
	F_TYPE,
	{ "url", FK_URL, 1, 0, 0, NULL, NULL, NULL },
	{ "method", FK_ENUM, 0, 0, 0, http_methods, NULL, NULL },
	{ "headers", FK_HEADERS, 0, 0, TASKCFG_HEADERS_MAX, NULL, NULL, NULL },
	{ "params", FK_PARAMS, 0, 0, TASKCFG_HEADERS_MAX, NULL, NULL, NULL },
	{ "body", FK_ANY, 0, 0, 0, NULL, NULL, NULL },
	{ "auth", FK_OBJECT, 0, 0, 0, NULL, auth_fields, check_auth },
	{ "records_path", FK_STRING, 0, 0, 1024, NULL, NULL, NULL },
	{ "pagination", FK_OBJECT, 0, 0, 0, NULL, pagination_fields,
	    check_pagination },
	{ "timeout_seconds", FK_INT, 0, 1, 3600, NULL, NULL, NULL },
	{ "verify_tls", FK_BOOL, 0, 0, 0, NULL, NULL, NULL },
	{ "max_requests_per_second", FK_RATE, 0, 0, 10000, NULL, NULL, NULL },
	{ "flatten", FK_BOOL, 0, 0, 0, NULL, NULL, NULL },
	F_CURSOR,
	{ "cursor_param", FK_STRING, 0, 0, 256, NULL, NULL, NULL },
	F_END
};

static const struct field csv_fields[] = {
	F_TYPE,
	{ "path", FK_PATH_OR_URL, 1, 0, 0, NULL, NULL, NULL },
	{ "delimiter", FK_CHAR, 0, 0, 0, NULL, NULL, NULL },
	{ "quote", FK_CHAR, 0, 0, 0, NULL, NULL, NULL },
	{ "escape", FK_CHAR, 0, 0, 0, NULL, NULL, NULL },
	{ "header", FK_BOOL, 0, 0, 0, NULL, NULL, NULL },
	{ "columns", FK_STRING_LIST, 0, 1, TASKCFG_COLUMNS_MAX, NULL, NULL,
	    NULL },
	{ "on_error", FK_ENUM, 0, 0, 0, on_error_choices, NULL, NULL },
	{ "gzip", FK_BOOL, 0, 0, 0, NULL, NULL, NULL },
	F_CURSOR,
	F_END
};

static const struct field parquet_fields[] = {
	F_TYPE,
	{ "path", FK_STRING, 1, 0, 4096, NULL, NULL, NULL },
	F_CURSOR,
	F_END
};

static const struct field duckdb_fields[] = {
	F_TYPE,
	{ "db_path", FK_STRING, 1, 0, 4096, NULL, NULL, NULL },
	{ "table_name", FK_TABLE, 1, 0, 0, NULL, NULL, NULL },
	{ "mode", FK_ENUM, 0, 0, 0, mode_choices, NULL, NULL },
	{ "primary_key", FK_IDENT_LIST, 0, 1, TASKCFG_KEY_COLUMNS_MAX, NULL,
	    NULL, NULL },
	F_SCHEMA,
	F_END
};

static const struct field postgres_fields[] = {
	F_TYPE,
	{ "connection", FK_SECRET, 1, 0, 0, NULL, NULL, NULL },
	{ "table_name", FK_TABLE, 1, 0, 0, NULL, NULL, NULL },
	{ "schema", FK_IDENT, 0, 0, 0, NULL, NULL, NULL },
	{ "mode", FK_ENUM, 0, 0, 0, mode_choices, NULL, NULL },
	{ "primary_key", FK_IDENT_LIST, 0, 1, TASKCFG_KEY_COLUMNS_MAX, NULL,
	    NULL, NULL },
	F_SCHEMA,
	F_END
};

static const struct config_type extractor_types[] = {
	{ "noop", "noop", 0, noop_fields, NULL },
	{ "command", "command", 0, command_fields, check_command },
	{ "http", "http", 1, http_fields, check_cursor },
	{ "api", "http", 1, http_fields, check_cursor },
	{ "csv", "csv", 1, csv_fields, check_cursor },
	{ "parquet", "parquet", 1, parquet_fields, check_cursor },
	{ NULL, NULL, 0, NULL, NULL }
};

static const struct config_type loader_types[] = {
	{ "duckdb", NULL, 0, duckdb_fields, check_merge_key },
	{ "postgres", NULL, 0, postgres_fields, check_postgres },
	{ NULL, NULL, 0, NULL, NULL }
};

static const char extractor_names[] = "noop, command, http (or api), csv, "
    "parquet";
static const char loader_names[] = "duckdb, postgres";

/* ---- small checks ------------------------------------------------ */

static int
fail(struct json_err *e, const char *code, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
fail(struct json_err *e, const char *code, const char *path,
    const char *fmt, ...)
{
	char	msg[JSON_MESSAGE_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_err_set(e, code, path, "%s", msg);
	return ORK_EINVAL;
}

/* is_null_or_absent: optional members given as null count as absent. */
static int
is_null_or_absent(const cJSON *v)
{
	return v == NULL || cJSON_IsNull(v);
}

static const char *
json_type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "something else";
}

/* get_int reads an integral number; 0 on success. */
static int
get_int(const cJSON *v, long *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!isfinite(d) || d != floor(d) || d < -9.0e15 || d > 9.0e15)
		return -1;
	*out = (long)d;
	return 0;
}

int
taskcfg_is_identifier(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > TASKCFG_IDENT_MAX)
		return 0;
	if (!(isalpha((unsigned char)s[0]) || s[0] == '_') ||
	    (unsigned char)s[0] >= 0x80)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 || !(isalnum(c) || c == '_'))
			return 0;
	}
	return 1;
}

static int
is_env_name(const char *s, int upper_only)
{
	size_t n = strlen(s);

	if (n == 0 || n > TASKCFG_SECRET_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int ok = (c >= 'A' && c <= 'Z') || c == '_' ||
		    (i > 0 && c >= '0' && c <= '9') ||
		    (!upper_only && c >= 'a' && c <= 'z');

		if (!ok)
			return 0;
	}
	return 1;
}

int
taskcfg_is_secret_name(const char *key)
{
	char	low[256];
	size_t	i;

	for (i = 0; key[i] != '\0' && i + 1 < sizeof(low); i++) {
		unsigned char c = (unsigned char)key[i];

		low[i] = c == '-' || c == ' ' || c == '.' ? '_' :
		    (char)tolower(c);
	}
	low[i] = '\0';
	for (const char *const *w = secret_words; *w != NULL; w++)
		if (strstr(low, *w) != NULL)
			return 1;
	return 0;
}

int
taskcfg_is_secret_ref(const cJSON *v)
{
	const cJSON *env;

	if (!cJSON_IsObject(v) || v->child == NULL || v->child->next != NULL)
		return 0;
	env = v->child;
	return strcmp(env->string, "env") == 0 && cJSON_IsString(env) &&
	    is_env_name(env->valuestring, 1);
}

const char *
taskcfg_resolve_secret(const cJSON *v)
{
	if (!taskcfg_is_secret_ref(v))
		return NULL;
	return getenv(v->child->valuestring);
}

static const char ref_hint[] = "pass a reference {\"env\": \"NAME\"} and "
    "set the environment variable NAME on the workers";

/*
 * check_ref checks a value that must be a reference: a malformed
 * reference is an invalid value, anything else a secret in clear.
 */
static int
check_ref(const cJSON *v, const char *path, const char *what,
    struct json_err *e)
{
	const cJSON *env;

	if (taskcfg_is_secret_ref(v))
		return 0;
	env = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, "env") :
	    NULL;
	if (env != NULL) {
		if (v->child->next != NULL)
			return fail(e, TASKCFG_E_INVALID_VALUE, path, "a secret "
			    "reference has only the key \"env\"");
		if (!cJSON_IsString(env))
			return fail(e, TASKCFG_E_INVALID_TYPE, path, "\"env\" "
			    "of a secret reference must be a string");
		return fail(e, TASKCFG_E_INVALID_VALUE, path, "\"%.64s\" is "
		    "not an environment variable name: use A-Z, 0-9 and _, "
		    "not starting with a digit, at most %d characters",
		    env->valuestring, TASKCFG_SECRET_NAME_MAX);
	}
	return fail(e, TASKCFG_E_SECRET_IN_CLEAR, path, "%s must not be given "
	    "in clear: %s", what, ref_hint);
}

int
taskcfg_check_secrets(const cJSON *v, const char *path, struct json_err *e)
{
	char		 sub[JSON_PATH_MAX], what[128];
	const cJSON	*c;
	size_t		 i = 0;
	int		 rc;

	if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
		return 0;
	for (c = v->child; c != NULL; c = c->next, i++) {
		if (cJSON_IsObject(v)) {
			json_path_key(sub, sizeof(sub), path, c->string);
			if (taskcfg_is_secret_name(c->string)) {
				snprintf(what, sizeof(what), "\"%.64s\" looks "
				    "like a secret and", c->string);
				if ((rc = check_ref(c, sub, what, e)) != 0)
					return rc;
				continue;
			}
		} else
			json_path_index(sub, sizeof(sub), path, i);
		if ((rc = taskcfg_check_secrets(c, sub, e)) != 0)
			return rc;
	}
	return 0;
}

/* check_url: http(s), a host, no blanks, no credentials in clear. */
static int
check_url(const char *s, const char *path, struct json_err *e)
{
	const char	*rest, *auth_end, *at, *q;
	size_t		 n = strlen(s);

	if (n > TASKCFG_URL_MAX)
		return fail(e, TASKCFG_E_INVALID_VALUE, path, "URL longer "
		    "than %d bytes", TASKCFG_URL_MAX);
	if (strncasecmp(s, "http://", 7) == 0)
		rest = s + 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		rest = s + 8;
	else
		return fail(e, TASKCFG_E_INVALID_VALUE, path, "\"%.64s\" is "
		    "not an http or https URL", s);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return fail(e, TASKCFG_E_INVALID_VALUE, path, "URL "
			    "contains a blank or control character (encode "
			    "it as %%20)");
	auth_end = rest + strcspn(rest, "/?#");
	at = memchr(rest, '@', (size_t)(auth_end - rest));
	if (at != NULL) {
		if (memchr(rest, ':', (size_t)(at - rest)) != NULL)
			return fail(e, TASKCFG_E_SECRET_IN_CLEAR, path, "the URL "
			    "carries a password: use \"auth\": {\"type\": "
			    "\"basic\", \"username\": \"...\", \"password\": "
			    "{\"env\": \"NAME\"}} and set NAME on the workers");
		rest = at + 1;
	}
	if (rest == auth_end || *rest == ':')
		return fail(e, TASKCFG_E_INVALID_VALUE, path, "URL has no host");
	q = strchr(auth_end, '?');
	while (q != NULL) {
		char	name[128];
		size_t	len;

		q++;
		len = strcspn(q, "=&#");
		snprintf(name, sizeof(name), "%.*s", (int)(len < sizeof(name) ?
		    len : sizeof(name) - 1), q);
		if (taskcfg_is_secret_name(name))
			return fail(e, TASKCFG_E_SECRET_IN_CLEAR, path, "query "
			    "parameter \"%s\" looks like a secret: use "
			    "\"auth\": {\"type\": \"query\", \"name\": \"%s\", "
			    "\"value\": {\"env\": \"NAME\"}} and set NAME on "
			    "the workers", name, name);
		q += strcspn(q, "&#");
		if (*q != '&')
			break;
	}
	return 0;
}

/* utf8_chars counts the characters of a valid UTF-8 string. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static int
is_header_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 256)
		return 0;
	for (; *s != '\0'; s++)
		if (!(isalnum((unsigned char)*s) ||
		    strchr("!#$%&'*+-.^_`|~", *s) != NULL) ||
		    (unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* check_map: an object of name -> string or reference. */
static int
check_map(const cJSON *v, const struct field *f, const char *path,
    struct json_err *e)
{
	char		 sub[JSON_PATH_MAX];
	const cJSON	*c;
	int		 n = 0, rc;

	if (!cJSON_IsObject(v))
		return fail(e, TASKCFG_E_INVALID_TYPE, path, "must be an "
		    "object, not %s", json_type_name(v));
	for (c = v->child; c != NULL; c = c->next) {
		json_path_key(sub, sizeof(sub), path, c->string);
		if (++n > f->max)
			return fail(e, TASKCFG_E_INVALID_VALUE, path, "at most "
			    "%ld entries", f->max);
		if (f->kind == FK_HEADERS && !is_header_name(c->string))
			return fail(e, TASKCFG_E_INVALID_VALUE, sub, "\"%.64s\" "
			    "is not an HTTP header name", c->string);
		if (f->kind == FK_ENV && !is_env_name(c->string, 0))
			return fail(e, TASKCFG_E_INVALID_VALUE, sub, "\"%.64s\" "
			    "is not an environment variable name", c->string);
		if (f->kind == FK_PARAMS && c->string[0] == '\0')
			return fail(e, TASKCFG_E_INVALID_VALUE, sub, "empty "
			    "parameter name");
		if (cJSON_IsString(c))
			continue;
		if (cJSON_IsObject(c)) {
			if ((rc = check_ref(c, sub, "this value", e)) != 0)
				return rc;
			continue;
		}
		return fail(e, TASKCFG_E_INVALID_TYPE, sub, "must be a string "
		    "or a reference {\"env\": \"NAME\"}, not %s",
		    json_type_name(c));
	}
	return 0;
}

static int check_object(const cJSON *obj, const struct field *fields,
    const char *path, const char *what, struct json_err *e);

/*
 * check_columns: a loader's column types, [{"name": "id", "type":
 * "integer"}, ...]; names as a source gives them (1 to TASKCFG_IDENT_MAX
 * bytes, no control characters, each once).
 */
static int
check_columns(const cJSON *v, const struct field *f, const char *path,
    struct json_err *e)
{
	const struct field col_fields[] = {
		{ "name", FK_STRING, 1, 0, TASKCFG_IDENT_MAX, NULL, NULL,
		    NULL },
		{ "type", FK_ENUM, 1, 0, 0, f->choices, NULL, NULL },
		F_END
	};
	char		 sub[JSON_PATH_MAX], name_path[JSON_PATH_MAX];
	const cJSON	*c;
	long		 n = 0;
	int		 rc;

	if (!cJSON_IsArray(v))
		return fail(e, TASKCFG_E_INVALID_TYPE, path, "must be an array "
		    "of {\"name\": ..., \"type\": ...}, not %s",
		    json_type_name(v));
	for (c = v->child; c != NULL; c = c->next, n++) {
		const char *name;

		json_path_index(sub, sizeof(sub), path, (size_t)n);
		if (n >= f->max)
			return fail(e, TASKCFG_E_INVALID_VALUE, path, "at most "
			    "%ld columns", f->max);
		if (!cJSON_IsObject(c))
			return fail(e, TASKCFG_E_INVALID_TYPE, sub, "must be an "
			    "object {\"name\": ..., \"type\": ...}, not %s",
			    json_type_name(c));
		if ((rc = check_object(c, col_fields, sub, "a column", e)) != 0)
			return rc;
		name = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
		json_path_key(name_path, sizeof(name_path), sub, "name");
		for (const char *p = name; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return fail(e, TASKCFG_E_INVALID_VALUE,
				    name_path, "must not contain control "
				    "characters");
		for (const cJSON *d = v->child; d != c; d = d->next)
			if (strcmp(cJSON_GetObjectItemCaseSensitive(d,
			    "name")->valuestring, name) == 0)
				return fail(e, TASKCFG_E_INVALID_VALUE,
				    name_path, "\"%.64s\" appears twice", name);
	}
	if (n < f->min)
		return fail(e, TASKCFG_E_INVALID_VALUE, path, "needs at least "
		    "%ld column%s", f->min, f->min == 1 ? "" : "s");
	return 0;
}

static int
check_list(const cJSON *v, const struct field *f, const char *path,
    struct json_err *e)
{
	char		 sub[JSON_PATH_MAX];
	const cJSON	*c;
	long		 n = 0;

	if (!cJSON_IsArray(v))
		return fail(e, TASKCFG_E_INVALID_TYPE, path, "must be an array, "
		    "not %s", json_type_name(v));
	for (c = v->child; c != NULL; c = c->next, n++) {
		json_path_index(sub, sizeof(sub), path, (size_t)n);
		if (n >= f->max)
			return fail(e, TASKCFG_E_INVALID_VALUE, path, "at most "
			    "%ld items", f->max);
		if (!cJSON_IsString(c))
			return fail(e, TASKCFG_E_INVALID_TYPE, sub, "must be a "
			    "string, not %s", json_type_name(c));
		switch (f->kind) {
		case FK_IDENT_LIST:
			if (!taskcfg_is_identifier(c->valuestring))
				return fail(e, TASKCFG_E_INVALID_VALUE, sub,
				    "\"%.64s\" is not an identifier (letters, "
				    "digits and _, not starting with a digit, "
				    "at most %d)", c->valuestring,
				    TASKCFG_IDENT_MAX);
			for (const cJSON *d = v->child; d != c; d = d->next)
				if (strcasecmp(d->valuestring,
				    c->valuestring) == 0)
					return fail(e, TASKCFG_E_INVALID_VALUE,
					    sub, "\"%s\" appears twice",
					    c->valuestring);
			break;
		case FK_ARGV:
			if (n == 0 && c->valuestring[0] == '\0')
				return fail(e, TASKCFG_E_INVALID_VALUE, sub,
				    "the program name must not be empty");
			break;
		default:
			if (c->valuestring[0] == '\0')
				return fail(e, TASKCFG_E_INVALID_VALUE, sub,
				    "must not be empty");
			break;
		}
	}
	if (n < f->min)
		return fail(e, TASKCFG_E_INVALID_VALUE, path, "needs at least "
		    "%ld item%s", f->min, f->min == 1 ? "" : "s");
	return 0;
}

static int
check_value(const cJSON *v, const struct field *f, const char *path,
    struct json_err *e)
{
	long n;

	switch (f->kind) {
	case FK_ANY:
		return 0;
	case FK_BOOL:
		if (!cJSON_IsBool(v))
			return fail(e, TASKCFG_E_INVALID_TYPE, path, "must be "
			    "true or false, not %s", json_type_name(v));
		return 0;
	case FK_INT:
		if (!cJSON_IsNumber(v))
			return fail(e, TASKCFG_E_INVALID_TYPE, path, "must be an "
			    "integer, not %s", json_type_name(v));
		if (get_int(v, &n) != 0 || n < f->min || n > f->max)
			return fail(e, TASKCFG_E_INVALID_VALUE, path, "must be "
			    "an integer from %ld to %ld", f->min, f->max);
		return 0;
	case FK_RATE:
		if (!cJSON_IsNumber(v))
			return fail(e, TASKCFG_E_INVALID_TYPE, path, "must be a "
			    "number, not %s", json_type_name(v));
		if (!(v->valuedouble > 0) || v->valuedouble > (double)f->max)
			return fail(e, TASKCFG_E_INVALID_VALUE, path, "must be "
			    "more than 0 and at most %ld", f->max);
		return 0;
	case FK_SECRET:
		return check_ref(v, path, "this value", e);
	case FK_HEADERS:
	case FK_PARAMS:
	case FK_ENV:
		return check_map(v, f, path, e);
	case FK_IDENT_LIST:
	case FK_ARGV:
	case FK_STRING_LIST:
		return check_list(v, f, path, e);
	case FK_COLUMNS:
		return check_columns(v, f, path, e);
	case FK_SCALAR:
		if (cJSON_IsNumber(v)) {
			if (!isfinite(v->valuedouble))
				return fail(e, TASKCFG_E_INVALID_VALUE, path,
				    "must be a finite number");
			return 0;
		}
		if (!cJSON_IsString(v))
			return fail(e, TASKCFG_E_INVALID_TYPE, path, "must be a "
			    "string or a number, not %s", json_type_name(v));
		if (strlen(v->valuestring) > (size_t)f->max)
			return fail(e, TASKCFG_E_INVALID_VALUE, path, "longer "
			    "than %ld bytes", f->max);
		return 0;
	case FK_OBJECT:
		if (!cJSON_IsObject(v))
			return fail(e, TASKCFG_E_INVALID_TYPE, path, "must be an "
			    "object, not %s", json_type_name(v));
		return check_object(v, f->members, path, f->name, e);
	default:
		break;
	}

	/* The rest are strings. */
	if (!cJSON_IsString(v))
		return fail(e, TASKCFG_E_INVALID_TYPE, path, "must be a string, "
		    "not %s", json_type_name(v));
	if (v->valuestring[0] == '\0')
		return fail(e, TASKCFG_E_INVALID_VALUE, path, "must not be "
		    "empty");
	switch (f->kind) {
	case FK_STRING:
		if (f->max > 0 && strlen(v->valuestring) > (size_t)f->max)
			return fail(e, TASKCFG_E_INVALID_VALUE, path, "longer "
			    "than %ld bytes", f->max);
		return 0;
	case FK_ENUM:
		for (const char *const *c = f->choices; *c != NULL; c++)
			if (strcmp(*c, v->valuestring) == 0)
				return 0;
		{
			char	list[256];
			size_t	used = 0;

			list[0] = '\0';
			for (const char *const *c = f->choices; *c != NULL &&
			    used < sizeof(list); c++)
				used += (size_t)snprintf(list + used,
				    sizeof(list) - used, "%s%s", used > 0 ?
				    ", " : "", *c);
			return fail(e, TASKCFG_E_INVALID_VALUE, path, "\"%.64s\" "
			    "is not one of %s", v->valuestring, list);
		}
	case FK_CHAR:
		if (utf8_chars(v->valuestring) != 1 ||
		    strchr("\r\n", v->valuestring[0]) != NULL)
			return fail(e, TASKCFG_E_INVALID_VALUE, path, "must be "
			    "exactly one character, not a line break");
		return 0;
	case FK_URL:
		return check_url(v->valuestring, path, e);
	case FK_PATH_OR_URL:
		if (strncasecmp(v->valuestring, "http://", 7) == 0 ||
		    strncasecmp(v->valuestring, "https://", 8) == 0)
			return check_url(v->valuestring, path, e);
		if (strstr(v->valuestring, "://") != NULL)
			return fail(e, TASKCFG_E_INVALID_VALUE, path, "must be "
			    "a local path or an http(s) URL");
		if (strlen(v->valuestring) > 4096)
			return fail(e, TASKCFG_E_INVALID_VALUE, path, "longer "
			    "than 4096 bytes");
		return 0;
	case FK_IDENT:
		if (!taskcfg_is_identifier(v->valuestring))
			return fail(e, TASKCFG_E_INVALID_VALUE, path, "\"%.64s\" "
			    "is not an identifier (letters, digits and _, not "
			    "starting with a digit, at most %d)",
			    v->valuestring, TASKCFG_IDENT_MAX);
		return 0;
	case FK_TABLE: {
		char		 part[TASKCFG_IDENT_MAX + 2];
		const char	*dot = strchr(v->valuestring, '.');
		int		 ok;

		if (dot == NULL)
			ok = taskcfg_is_identifier(v->valuestring);
		else if ((size_t)(dot - v->valuestring) >= sizeof(part))
			ok = 0;
		else {
			snprintf(part, sizeof(part), "%.*s",
			    (int)(dot - v->valuestring), v->valuestring);
			ok = taskcfg_is_identifier(part) &&
			    taskcfg_is_identifier(dot + 1);
		}
		if (!ok)
			return fail(e, TASKCFG_E_INVALID_VALUE, path, "\"%.64s\" "
			    "is not a table name: an identifier (letters, "
			    "digits and _, not starting with a digit, at most "
			    "%d), optionally schema.table", v->valuestring,
			    TASKCFG_IDENT_MAX);
		return 0;
	}
	default:
		return fail(e, TASKCFG_E_INVALID_VALUE, path, "cannot be "
		    "checked");
	}
}

/*
 * check_object: required members present, every member known and
 * valid, in the order given.  `what` names the object in messages.
 */
static int
check_object(const cJSON *obj, const struct field *fields, const char *path,
    const char *what, struct json_err *e)
{
	char			 sub[JSON_PATH_MAX];
	const struct field	*f;
	const cJSON		*c;
	int			 rc;

	for (f = fields; f->name != NULL; f++) {
		if (!f->required)
			continue;
		c = cJSON_GetObjectItemCaseSensitive(obj, f->name);
		if (is_null_or_absent(c)) {
			json_path_key(sub, sizeof(sub), path, f->name);
			return fail(e, TASKCFG_E_MISSING_FIELD, sub, "%s needs "
			    "\"%s\"", what, f->name);
		}
	}
	for (c = obj->child; c != NULL; c = c->next) {
		json_path_key(sub, sizeof(sub), path, c->string);
		for (f = fields; f->name != NULL; f++)
			if (strcmp(f->name, c->string) == 0)
				break;
		if (f->name == NULL)
			return fail(e, TASKCFG_E_UNKNOWN_FIELD, sub, "%s has no "
			    "field \"%.64s\"", what, c->string);
		if (cJSON_IsNull(c) && !f->required)
			continue;
		if ((rc = check_value(c, f, sub, e)) != 0)
			return rc;
	}
	for (f = fields; f->name != NULL; f++) {
		if (f->kind != FK_OBJECT || f->check == NULL)
			continue;
		c = cJSON_GetObjectItemCaseSensitive(obj, f->name);
		if (is_null_or_absent(c))
			continue;
		json_path_key(sub, sizeof(sub), path, f->name);
		if ((rc = f->check(c, sub, e)) != 0)
			return rc;
	}
	return 0;
}

/* ---- rules across fields ----------------------------------------- */

static int
has(const cJSON *obj, const char *name)
{
	return !is_null_or_absent(cJSON_GetObjectItemCaseSensitive(obj, name));
}

static int
check_command(const cJSON *cfg, const char *path, struct json_err *e)
{
	int argv = has(cfg, "argv"), shell = has(cfg, "shell");

	if (argv && shell)
		return fail(e, TASKCFG_E_INVALID_VALUE, path, "give either "
		    "\"argv\" (a program and its arguments) or \"shell\" (a "
		    "command line for /bin/sh -c), not both");
	if (!argv && !shell) {
		char sub[JSON_PATH_MAX];

		json_path_key(sub, sizeof(sub), path, "argv");
		return fail(e, TASKCFG_E_MISSING_FIELD, sub, "a command task "
		    "needs \"argv\" (a program and its arguments) or, "
		    "explicitly, \"shell\" (a command line for /bin/sh -c)");
	}
	return 0;
}

/* need: member name of obj is required when the type is t. */
static int
need(const cJSON *obj, const char *path, const char *name,
    const char *what, const char *t, struct json_err *e)
{
	char sub[JSON_PATH_MAX];

	if (has(obj, name))
		return 0;
	json_path_key(sub, sizeof(sub), path, name);
	return fail(e, TASKCFG_E_MISSING_FIELD, sub, "%s of type \"%s\" needs "
	    "\"%s\"", what, t, name);
}

/* unused: member name of obj means nothing with type t. */
static int
unused(const cJSON *obj, const char *path, const char *name,
    const char *what, const char *t, struct json_err *e)
{
	char sub[JSON_PATH_MAX];

	if (!has(obj, name))
		return 0;
	json_path_key(sub, sizeof(sub), path, name);
	return fail(e, TASKCFG_E_INVALID_VALUE, sub, "%s of type \"%s\" does "
	    "not use \"%s\"", what, t, name);
}

static int
check_auth(const cJSON *auth, const char *path, struct json_err *e)
{
	static const char *const all[] = { "token", "username", "password",
	    "name", "value", NULL };
	const char		*t;
	const char *const	*uses;
	static const char *const bearer[] = { "token", NULL };
	static const char *const basic[] = { "username", "password", NULL };
	static const char *const named[] = { "name", "value", NULL };
	int			 rc;

	t = cJSON_GetObjectItemCaseSensitive(auth, "type")->valuestring;
	if (strcmp(t, "bearer") == 0)
		uses = bearer;
	else if (strcmp(t, "basic") == 0)
		uses = basic;
	else
		uses = named;
	for (const char *const *u = uses; *u != NULL; u++)
		if ((rc = need(auth, path, *u, "auth", t, e)) != 0)
			return rc;
	for (const char *const *a = all; *a != NULL; a++) {
		int used = 0;

		for (const char *const *u = uses; *u != NULL; u++)
			used |= strcmp(*u, *a) == 0;
		if (!used && (rc = unused(auth, path, *a, "auth", t, e)) != 0)
			return rc;
	}
	return 0;
}

static int
check_pagination(const cJSON *p, const char *path, struct json_err *e)
{
	const char	*t;
	int		 rc;

	t = cJSON_GetObjectItemCaseSensitive(p, "type")->valuestring;
	if (strcmp(t, "offset") == 0)
		return need(p, path, "page_size", "pagination", t, e);
	if (strcmp(t, "cursor") == 0) {
		if ((rc = need(p, path, "param", "pagination", t, e)) != 0)
			return rc;
		return need(p, path, "cursor_path", "pagination", t, e);
	}
	if (strcmp(t, "next_url") == 0)
		return need(p, path, "next_url_path", "pagination", t, e);
	return 0;
}

/* check_cursor: initial_value and cursor_param need a cursor_field. */
static int
check_cursor(const cJSON *cfg, const char *path, struct json_err *e)
{
	static const char *const needs[] = { "initial_value", "cursor_param",
	    NULL };

	if (has(cfg, "cursor_field"))
		return 0;
	for (const char *const *n = needs; *n != NULL; n++)
		if (has(cfg, *n)) {
			char sub[JSON_PATH_MAX];

			json_path_key(sub, sizeof(sub), path, *n);
			return fail(e, TASKCFG_E_INVALID_VALUE, sub, "\"%s\" "
			    "means nothing without \"cursor_field\"", *n);
		}
	return 0;
}

/*
 * check_incremental: an extractor with a cursor_field reads the rows at
 * the old mark again (>=), so its loader must merge them on a key.
 */
static int
check_incremental(const cJSON *extractor, const cJSON *loader,
    const char *lpath, struct json_err *e)
{
	const cJSON	*mode = cJSON_GetObjectItemCaseSensitive(loader, "mode");
	char		 sub[JSON_PATH_MAX];

	if (!has(extractor, "cursor_field"))
		return 0;
	if (cJSON_IsString(mode) && strcmp(mode->valuestring, "merge") == 0)
		return 0;
	json_path_key(sub, sizeof(sub), lpath, "mode");
	return fail(e, TASKCFG_E_INVALID_VALUE, sub, "an incremental load "
	    "(extractor_config.cursor_field) needs mode \"merge\" and a "
	    "\"primary_key\": rows at the old mark are read again and "
	    "merged on the key");
}

static int
check_merge_key(const cJSON *cfg, const char *path, struct json_err *e)
{
	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(cfg, "mode");

	if (cJSON_IsString(mode) && strcmp(mode->valuestring, "merge") == 0 &&
	    !has(cfg, "primary_key")) {
		char sub[JSON_PATH_MAX];

		json_path_key(sub, sizeof(sub), path, "primary_key");
		return fail(e, TASKCFG_E_MISSING_FIELD, sub, "mode \"merge\" "
		    "needs \"primary_key\", the columns rows are matched on");
	}
	return 0;
}

static int
check_postgres(const cJSON *cfg, const char *path, struct json_err *e)
{
	const cJSON *table = cJSON_GetObjectItemCaseSensitive(cfg,
	    "table_name");

	if (has(cfg, "schema") && strchr(table->valuestring, '.') != NULL) {
		char sub[JSON_PATH_MAX];

		json_path_key(sub, sizeof(sub), path, "schema");
		return fail(e, TASKCFG_E_INVALID_VALUE, sub, "give the schema "
		    "either in \"schema\" or in \"table_name\", not both");
	}
	return check_merge_key(cfg, path, e);
}

/* ---- configurations ---------------------------------------------- */

static const struct config_type *
find_type(const struct config_type *types, const char *name)
{
	for (; types->name != NULL; types++)
		if (strcmp(types->name, name) == 0)
			return types;
	return NULL;
}

/* check_config: one extractor or loader configuration. */
static int
check_config(const cJSON *cfg, const struct config_type *types,
    const char *names, const char *role, const char *path,
    const struct config_type **out, struct json_err *e)
{
	const struct config_type	*t;
	const cJSON			*type;
	char				 sub[JSON_PATH_MAX], what[64];
	int				 rc;

	if (!cJSON_IsObject(cfg))
		return fail(e, TASKCFG_E_INVALID_TYPE, path, "must be an "
		    "object, not %s", json_type_name(cfg));
	json_path_key(sub, sizeof(sub), path, "type");
	type = cJSON_GetObjectItemCaseSensitive(cfg, "type");
	if (is_null_or_absent(type))
		return fail(e, TASKCFG_E_MISSING_FIELD, sub, "the %s needs a "
		    "\"type\": one of %s", role, names);
	if (!cJSON_IsString(type))
		return fail(e, TASKCFG_E_INVALID_TYPE, sub, "must be a string, "
		    "not %s", json_type_name(type));
	t = find_type(types, type->valuestring);
	if (t == NULL)
		return fail(e, TASKCFG_E_UNKNOWN_TYPE, sub, "unknown %s type "
		    "\"%.64s\": one of %s", role, type->valuestring, names);
	if ((rc = taskcfg_check_secrets(cfg, path, e)) != 0)
		return rc;
	snprintf(what, sizeof(what), "a %s %s", t->name, role);
	if ((rc = check_object(cfg, t->fields, path, what, e)) != 0)
		return rc;
	if (t->check != NULL && (rc = t->check(cfg, path, e)) != 0)
		return rc;
	*out = t;
	return 0;
}

int
taskcfg_check_configs(const cJSON *extractor, const cJSON *loader,
    const char *path, char kind[TASKCFG_KIND_MAX], struct json_err *e)
{
	const struct config_type	*et, *lt;
	char				 epath[JSON_PATH_MAX];
	char				 lpath[JSON_PATH_MAX];
	int				 rc;

	json_path_key(epath, sizeof(epath), path, "extractor_config");
	json_path_key(lpath, sizeof(lpath), path, "loader_config");
	if (is_null_or_absent(extractor))
		return fail(e, TASKCFG_E_MISSING_FIELD, epath, "a task needs "
		    "an \"extractor_config\" with a \"type\": one of %s",
		    extractor_names);
	rc = check_config(extractor, extractor_types, extractor_names,
	    "extractor", epath, &et, e);
	if (rc != 0)
		return rc;
	if (!et->needs_loader) {
		if (!is_null_or_absent(loader) && !(cJSON_IsObject(loader) &&
		    loader->child == NULL))
			return fail(e, TASKCFG_E_INVALID_VALUE, lpath, "a %s "
			    "task takes no loader: leave \"loader_config\" "
			    "out (or give null or {})", et->name);
	} else {
		if (is_null_or_absent(loader))
			return fail(e, TASKCFG_E_MISSING_FIELD, lpath, "a %s "
			    "task needs a \"loader_config\" with a \"type\": "
			    "one of %s", et->name, loader_names);
		rc = check_config(loader, loader_types, loader_names,
		    "loader", lpath, &lt, e);
		if (rc != 0)
			return rc;
		if ((rc = check_incremental(extractor, loader, lpath, e)) != 0)
			return rc;
	}
	snprintf(kind, TASKCFG_KIND_MAX, "%s", et->kind);
	return 0;
}

static const struct json_limits body_limits = {
	TASKCFG_BODY_MAX, TASKCFG_DEPTH_MAX, TASKCFG_STRING_MAX
};

int
taskcfg_check_config_text(const char *extractor_json, const char *loader_json,
    char kind[TASKCFG_KIND_MAX], struct json_err *e)
{
	cJSON	*x = NULL, *l = NULL;
	int	 rc;

	rc = json_parse(extractor_json, strlen(extractor_json), &body_limits,
	    &x, e);
	if (rc != 0) {
		snprintf(e->field, sizeof(e->field), "extractor_config");
		return rc;
	}
	if (loader_json != NULL && loader_json[0] != '\0') {
		rc = json_parse(loader_json, strlen(loader_json), &body_limits,
		    &l, e);
		if (rc != 0) {
			snprintf(e->field, sizeof(e->field), "loader_config");
			goto free_x;
		}
	}
	rc = taskcfg_check_configs(x, l, "", kind, e);
	cJSON_Delete(l);
free_x:
	cJSON_Delete(x);
	return rc;
}

/* ---- tasks and jobs ---------------------------------------------- */

/* check_name: a job or task name: 1..TASKCFG_NAME_MAX characters, no
 * control characters, no spaces at either end. */
static int
check_name(const cJSON *v, const char *path, struct json_err *e)
{
	const char	*s;
	size_t		 n;

	if (!cJSON_IsString(v))
		return fail(e, TASKCFG_E_INVALID_TYPE, path, "must be a string, "
		    "not %s", json_type_name(v));
	s = v->valuestring;
	n = strlen(s);
	if (n == 0)
		return fail(e, TASKCFG_E_INVALID_VALUE, path, "must not be "
		    "empty");
	if (utf8_chars(s) > TASKCFG_NAME_MAX)
		return fail(e, TASKCFG_E_INVALID_VALUE, path, "longer than %d "
		    "characters", TASKCFG_NAME_MAX);
	if (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]))
		return fail(e, TASKCFG_E_INVALID_VALUE, path, "must not begin "
		    "or end with a space");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(e, TASKCFG_E_INVALID_VALUE, path, "must not "
			    "contain control characters");
	return 0;
}

/* member_int reads an optional integer member in [min, max]. */
static int
member_int(const cJSON *obj, const char *name, const char *path, long min,
    long max, long def, long *out, struct json_err *e)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, name);
	char		 sub[JSON_PATH_MAX];
	long		 n;

	*out = def;
	if (is_null_or_absent(v))
		return 0;
	json_path_key(sub, sizeof(sub), path, name);
	if (!cJSON_IsNumber(v))
		return fail(e, TASKCFG_E_INVALID_TYPE, sub, "must be an "
		    "integer, not %s", json_type_name(v));
	if (get_int(v, &n) != 0 || n < min || n > max)
		return fail(e, TASKCFG_E_INVALID_VALUE, sub, "must be an "
		    "integer from %ld to %ld", min, max);
	*out = n;
	return 0;
}

static int
member_bool(const cJSON *obj, const char *name, const char *path, int def,
    int *out, struct json_err *e)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, name);
	char		 sub[JSON_PATH_MAX];

	*out = def;
	if (is_null_or_absent(v))
		return 0;
	json_path_key(sub, sizeof(sub), path, name);
	if (!cJSON_IsBool(v))
		return fail(e, TASKCFG_E_INVALID_TYPE, sub, "must be true or "
		    "false, not %s", json_type_name(v));
	*out = cJSON_IsTrue(v);
	return 0;
}

/* only_known: every member of obj is in known or ignored. */
static int
only_known(const cJSON *obj, const char *const *known,
    const char *const *ignored, const char *path, const char *what,
    struct json_err *e)
{
	char sub[JSON_PATH_MAX];

	for (const cJSON *c = obj->child; c != NULL; c = c->next) {
		int found = 0;

		for (const char *const *k = known; *k != NULL && !found; k++)
			found = strcmp(*k, c->string) == 0;
		for (const char *const *k = ignored; *k != NULL && !found; k++)
			found = strcmp(*k, c->string) == 0;
		if (!found) {
			json_path_key(sub, sizeof(sub), path, c->string);
			return fail(e, TASKCFG_E_UNKNOWN_FIELD, sub, "%s has no "
			    "field \"%.64s\"", what, c->string);
		}
	}
	return 0;
}

void
taskcfg_task_clear(struct taskcfg_task *t)
{
	free(t->task_name);
	free(t->extractor_json);
	free(t->loader_json);
	memset(t, 0, sizeof(*t));
}

int
taskcfg_check_task(const cJSON *task, const char *path,
    struct taskcfg_task *out, struct json_err *e)
{
	static const char *const known[] = { "task_name", "extractor_config",
	    "loader_config", "max_attempts", "timeout_seconds", "retry", NULL };
	static const char *const ignored[] = { "task_id", "task_order",
	    "kind", "created_at", "updated_at", "cursor_mark", NULL };
	static const char *const retry_known[] = { "base_ms", "cap_ms", NULL };
	static const char *const none[] = { NULL };
	const cJSON	*name, *x, *l, *retry;
	char		 sub[JSON_PATH_MAX];
	long		 attempts, timeout, base, cap;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(task))
		return fail(e, TASKCFG_E_INVALID_TYPE, path, "a task must be an "
		    "object, not %s", json_type_name(task));
	if ((rc = only_known(task, known, ignored, path, "a task", e)) != 0)
		return rc;
	name = cJSON_GetObjectItemCaseSensitive(task, "task_name");
	if (!is_null_or_absent(name)) {
		json_path_key(sub, sizeof(sub), path, "task_name");
		if ((rc = check_name(name, sub, e)) != 0)
			return rc;
	}
	x = cJSON_GetObjectItemCaseSensitive(task, "extractor_config");
	l = cJSON_GetObjectItemCaseSensitive(task, "loader_config");
	if ((rc = taskcfg_check_configs(x, l, path, out->kind, e)) != 0)
		return rc;
	if ((rc = member_int(task, "max_attempts", path, TASKCFG_ATTEMPTS_MIN,
	    TASKCFG_ATTEMPTS_MAX, TASKCFG_ATTEMPTS_DEFAULT, &attempts, e)) != 0)
		return rc;
	if ((rc = member_int(task, "timeout_seconds", path, 1,
	    TASKCFG_TIMEOUT_MAX, 0, &timeout, e)) != 0)
		return rc;
	base = TASKCFG_RETRY_BASE_DEFAULT;
	cap = TASKCFG_RETRY_CAP_DEFAULT;
	retry = cJSON_GetObjectItemCaseSensitive(task, "retry");
	json_path_key(sub, sizeof(sub), path, "retry");
	if (!is_null_or_absent(retry)) {
		if (!cJSON_IsObject(retry))
			return fail(e, TASKCFG_E_INVALID_TYPE, sub, "must be an "
			    "object {\"base_ms\": ..., \"cap_ms\": ...}, not "
			    "%s", json_type_name(retry));
		if ((rc = only_known(retry, retry_known, none, sub, "retry",
		    e)) != 0)
			return rc;
		if ((rc = member_int(retry, "base_ms", sub, 0,
		    TASKCFG_RETRY_BASE_MAX, TASKCFG_RETRY_BASE_DEFAULT, &base,
		    e)) != 0)
			return rc;
		/* The default cap never falls below the base. */
		if ((rc = member_int(retry, "cap_ms", sub, base,
		    TASKCFG_RETRY_CAP_MAX, base > TASKCFG_RETRY_CAP_DEFAULT ?
		    base : TASKCFG_RETRY_CAP_DEFAULT, &cap, e)) != 0)
			return rc;
	}
	out->max_attempts = (int)attempts;
	out->timeout_seconds = (int)timeout;
	out->retry_base_ms = (int)base;
	out->retry_cap_ms = (int)cap;
	if (!is_null_or_absent(name) &&
	    (out->task_name = strdup(name->valuestring)) == NULL)
		goto nomem;
	out->extractor_json = cJSON_PrintUnformatted(x);
	out->loader_json = is_null_or_absent(l) ? strdup("{}") :
	    cJSON_PrintUnformatted(l);
	if (out->extractor_json == NULL || out->loader_json == NULL)
		goto nomem;
	return 0;
nomem:
	taskcfg_task_clear(out);
	json_err_set(e, TASKCFG_E_INVALID_VALUE, path, "out of memory");
	return ORK_ENOMEM;
}

void
taskcfg_job_free(struct taskcfg_job *job)
{
	if (job == NULL)
		return;
	for (size_t i = 0; i < job->ntasks; i++)
		taskcfg_task_clear(&job->tasks[i]);
	free(job->tasks);
	free(job->job_name);
	free(job->description);
	free(job->schedule);
	free(job);
}

static int
job_schedule(const cJSON *root, const char *zoneinfo,
    struct taskcfg_job *job, struct json_err *e)
{
	const cJSON	*v;
	struct cron	*c;
	struct tz	*tz;
	char		 why[256];
	int		 rc;

	v = cJSON_GetObjectItemCaseSensitive(root, "schedule");
	if (!is_null_or_absent(v)) {
		if (!cJSON_IsString(v))
			return fail(e, TASKCFG_E_INVALID_TYPE, "schedule", "must "
			    "be a cron expression or null, not %s",
			    json_type_name(v));
		if (strlen(v->valuestring) > CRON_SPEC_MAX)
			return fail(e, TASKCFG_E_INVALID_VALUE, "schedule",
			    "longer than %d bytes", CRON_SPEC_MAX);
		rc = cron_parse(v->valuestring, &c, why, sizeof(why));
		if (rc == ORK_ENOMEM)
			return rc;
		if (rc != 0)
			return fail(e, TASKCFG_E_INVALID_VALUE, "schedule",
			    "\"%.64s\" is not a schedule: %s (5 fields: minute "
			    "hour day-of-month month day-of-week, or 6 with "
			    "seconds first)", v->valuestring, why);
		cron_free(c);
		if ((job->schedule = strdup(v->valuestring)) == NULL)
			return ORK_ENOMEM;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "timezone");
	snprintf(job->timezone, sizeof(job->timezone), "UTC");
	if (is_null_or_absent(v))
		return 0;
	if (!cJSON_IsString(v))
		return fail(e, TASKCFG_E_INVALID_TYPE, "timezone", "must be an "
		    "IANA time zone name such as \"Europe/Berlin\", not %s",
		    json_type_name(v));
	if (strlen(v->valuestring) > TASKCFG_TZ_MAX)
		return fail(e, TASKCFG_E_INVALID_VALUE, "timezone", "longer "
		    "than %d bytes", TASKCFG_TZ_MAX);
	rc = tz_load(zoneinfo, v->valuestring, &tz, why, sizeof(why));
	if (rc == ORK_ENOMEM)
		return rc;
	if (rc == ORK_ENOTFOUND)
		return fail(e, TASKCFG_E_INVALID_VALUE, "timezone", "unknown "
		    "time zone \"%.64s\" (an IANA name such as "
		    "\"Europe/Berlin\")", v->valuestring);
	if (rc != 0)
		return fail(e, TASKCFG_E_INVALID_VALUE, "timezone", "\"%.64s\" "
		    "is not a time zone: %s", v->valuestring, why);
	tz_free(tz);
	snprintf(job->timezone, sizeof(job->timezone), "%s", v->valuestring);
	return 0;
}

static int
job_fields(const cJSON *root, const char *zoneinfo, struct taskcfg_job *job,
    struct json_err *e)
{
	const cJSON	*v;
	long		 n;
	int		 rc;

	v = cJSON_GetObjectItemCaseSensitive(root, "job_name");
	if (is_null_or_absent(v))
		return fail(e, TASKCFG_E_MISSING_FIELD, "job_name", "a job needs "
		    "a \"job_name\"");
	if ((rc = check_name(v, "job_name", e)) != 0)
		return rc;
	if ((job->job_name = strdup(v->valuestring)) == NULL)
		return ORK_ENOMEM;
	v = cJSON_GetObjectItemCaseSensitive(root, "description");
	if (!is_null_or_absent(v)) {
		if (!cJSON_IsString(v))
			return fail(e, TASKCFG_E_INVALID_TYPE, "description",
			    "must be a string or null, not %s",
			    json_type_name(v));
		if ((job->description = strdup(v->valuestring)) == NULL)
			return ORK_ENOMEM;
	}
	if ((rc = job_schedule(root, zoneinfo, job, e)) != 0)
		return rc;
	if ((rc = member_bool(root, "is_active", "", 1, &job->is_active,
	    e)) != 0)
		return rc;
	if ((rc = member_bool(root, "catchup", "", 0, &job->catchup, e)) != 0)
		return rc;
	if ((rc = member_int(root, "max_active_runs", "", 1,
	    TASKCFG_ACTIVE_RUNS_MAX, 1, &n, e)) != 0)
		return rc;
	job->max_active_runs = (int)n;
	snprintf(job->overlap, sizeof(job->overlap), "queue");
	v = cJSON_GetObjectItemCaseSensitive(root, "overlap");
	if (!is_null_or_absent(v)) {
		static const struct field f = { "overlap", FK_ENUM, 0, 0, 0,
		    overlap_choices, NULL, NULL };

		if ((rc = check_value(v, &f, "overlap", e)) != 0)
			return rc;
		snprintf(job->overlap, sizeof(job->overlap), "%s",
		    v->valuestring);
	}
	return 0;
}

static int
job_tasks(const cJSON *root, struct taskcfg_job *job, struct json_err *e)
{
	const cJSON	*tasks, *t;
	char		 path[JSON_PATH_MAX];
	size_t		 n, i;
	int		 rc;

	tasks = cJSON_GetObjectItemCaseSensitive(root, "tasks");
	if (is_null_or_absent(tasks))
		return fail(e, TASKCFG_E_MISSING_FIELD, "tasks", "a job needs "
		    "\"tasks\": an array of 1 to %d tasks", TASKCFG_TASKS_MAX);
	if (!cJSON_IsArray(tasks))
		return fail(e, TASKCFG_E_INVALID_TYPE, "tasks", "must be an "
		    "array, not %s", json_type_name(tasks));
	n = (size_t)cJSON_GetArraySize(tasks);
	if (n == 0 || n > TASKCFG_TASKS_MAX)
		return fail(e, TASKCFG_E_INVALID_VALUE, "tasks", "a job has 1 "
		    "to %d tasks, not %zu", TASKCFG_TASKS_MAX, n);
	job->tasks = calloc(n, sizeof(*job->tasks));
	if (job->tasks == NULL)
		return ORK_ENOMEM;
	i = 0;
	for (t = tasks->child; t != NULL; t = t->next, i++) {
		json_path_index(path, sizeof(path), "tasks", i);
		rc = taskcfg_check_task(t, path, &job->tasks[i], e);
		if (rc != 0)
			return rc;
		job->ntasks = i + 1;
	}
	return 0;
}

int
taskcfg_job_from_json(const cJSON *root, const char *zoneinfo,
    unsigned flags, struct taskcfg_job **out, struct json_err *e)
{
	static const char *const known[] = { "job_name", "description",
	    "schedule", "timezone", "is_active", "catchup", "max_active_runs",
	    "overlap", "tasks", NULL };
	static const char *const ignored[] = { "job_id", "created_at",
	    "updated_at", "next_fire_at", "last_run", "task_count", NULL };
	struct taskcfg_job	*job;
	int			 rc;

	*out = NULL;
	if (!cJSON_IsObject(root))
		return fail(e, TASKCFG_E_INVALID_TYPE, "", "a job must be a JSON "
		    "object, not %s", json_type_name(root));
	if ((rc = only_known(root, known, ignored, "", "a job", e)) != 0)
		return rc;
	job = calloc(1, sizeof(*job));
	if (job == NULL)
		return ORK_ENOMEM;
	rc = job_fields(root, zoneinfo, job, e);
	if (rc == 0 && !(flags & TASKCFG_JOB_NO_TASKS))
		rc = job_tasks(root, job, e);
	if (rc != 0) {
		if (rc == ORK_ENOMEM)
			json_err_set(e, TASKCFG_E_INVALID_VALUE, NULL,
			    "out of memory");
		taskcfg_job_free(job);
		return rc;
	}
	*out = job;
	return 0;
}

int
taskcfg_parse_job(const char *body, size_t len, const char *zoneinfo,
    unsigned flags, struct taskcfg_job **out, struct json_err *e)
{
	cJSON	*root;
	int	 rc;

	*out = NULL;
	if ((rc = json_parse(body, len, &body_limits, &root, e)) != 0)
		return rc;
	rc = taskcfg_job_from_json(root, zoneinfo, flags, out, e);
	cJSON_Delete(root);
	return rc;
}
