/*
 * postgres.c - the postgres loader: COPY FROM STDIN in one transaction,
 * with the exactly-once ledger in the destination.
 *
 * Config (common/taskcfg.c): connection (a secret reference, resolved on
 * the worker), table_name ("t" or "s.t"), schema, mode (append, replace,
 * merge), primary_key (merge), columns (types), on_type_mismatch.
 *
 * The transaction: BEGIN; make sure _ork_loads exists; insert this task
 * run's ledger row (ON CONFLICT DO NOTHING).  Inserting first holds the
 * row's key for the whole load, so a second attempt of the same task run
 * waits for the first to end: it finds the ledger row committed (and
 * loads nothing, reporting the recorded rows) or finds it gone (the first
 * rolled back) and loads.  An incremental load then locks its cursor's
 * row in _ork_cursors (so two runs of one task definition load one after
 * the other, the second from the first's mark) and reads the mark.
 * Then: create the table when missing (typed by schema.c, the primary
 * key in merge mode; a column widened later is altered in the same
 * transaction, between two COPYs), for replace delete the old
 * rows (DELETE, not TRUNCATE: readers keep seeing the old rows until the
 * commit, whatever their isolation level), COPY every batch, for merge
 * upsert from a temporary table, set the ledger's row count and mark and
 * the cursor's mark, COMMIT.  A
 * crash anywhere before COMMIT leaves nothing; after it, the ledger.
 *
 * Every identifier is quoted by PQescapeIdentifier; values travel only in
 * COPY data or as parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "err.h"
#include "../plugin.h"
#include "strbuf.h"
#include "taskcfg.h"

#define PG_COPY_CHUNK	(1024 * 1024)	/* bytes sent per PQputCopyData */
#define PG_SQL_MAX	(1024 * 1024)	/* bytes of one statement we build */

enum pg_mode { MODE_APPEND, MODE_REPLACE, MODE_MERGE };

struct pg_load {
	struct task_ctx	*ctx;
	PGconn		*conn;
	PGcancel	*cancel;
	enum pg_mode	 mode;
	const cJSON	*primary_key;
	char		 schema[PLUGIN_COLUMN_NAME_MAX + 1];
	char		 table[PLUGIN_COLUMN_NAME_MAX + 1];
	char		*target;	/* quoted, schema-qualified */
	char		*column_list;	/* quoted, comma-separated */
	int		 in_copy;
	int		 prepared;	/* table set up for the first batch */
	int		 committed;
	struct strbuf	 copy;
	const cJSON	*cfg;
	char		*copy_sql;	/* COPY ... FROM STDIN */
	struct schema	 types;
	int		 checked;	/* this load created the table */
	int64_t		 rows_written;
	char		 cursor_key[96];	/* "": not incremental */
};

/* pg_type is the PostgreSQL type of a column type. */
static const char *
pg_type(enum schema_type t)
{
	switch (t) {
	case SCHEMA_INTEGER:	return "bigint";
	case SCHEMA_DOUBLE:	return "double precision";
	case SCHEMA_BOOLEAN:	return "boolean";
	case SCHEMA_TIMESTAMP:	return "timestamptz";
	case SCHEMA_TEXT:	break;
	}
	return "text";
}

/* pg_fail writes what was attempted and libpq's message into ctx->error. */
static int
pg_fail(struct pg_load *l, const char *what, PGresult *r)
{
	const char	*msg = r != NULL ?
	    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	size_t		 n;

	const char	*where = r != NULL ?
	    PQresultErrorField(r, PG_DIAG_CONTEXT) : NULL;

	if (msg == NULL)
		msg = PQerrorMessage(l->conn);
	/* COPY's context names the line and the column at fault */
	snprintf(l->ctx->error, sizeof(l->ctx->error), "postgres loader: "
	    "could not %s: %s%s%.300s%s", what, msg, where != NULL ? " (" : "",
	    where != NULL ? where : "", where != NULL ? ")" : "");
	n = strlen(l->ctx->error);
	while (n > 0 && l->ctx->error[n - 1] == '\n')
		l->ctx->error[--n] = '\0';
	PQclear(r);
	return PQstatus(l->conn) == CONNECTION_OK ? ORK_EDB : ORK_ECONN;
}

static int
exec_ok(struct pg_load *l, const char *sql, const char *what)
{
	PGresult *r = PQexec(l->conn, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return pg_fail(l, what, r);
	PQclear(r);
	return 0;
}

/* ident appends a quoted identifier (len bytes of name) to sb. */
static int
ident(struct pg_load *l, struct strbuf *sb, const char *name)
{
	char	*q = PQescapeIdentifier(l->conn, name, strlen(name));
	int	 rc;

	if (q == NULL) {
		snprintf(l->ctx->error, sizeof(l->ctx->error), "postgres loader: "
		    "could not quote the name \"%.64s\": %s", name,
		    PQerrorMessage(l->conn));
		return ORK_EINVAL;
	}
	rc = strbuf_puts(sb, q);
	PQfreemem(q);
	return rc;
}

/* quiet drops notices ("relation already exists, skipping"). */
static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int
pg_validate(struct task_ctx *ctx, const cJSON *cfg)
{
	char		 schema[PLUGIN_COLUMN_NAME_MAX + 1];
	char		 table[PLUGIN_COLUMN_NAME_MAX + 1];
	const char	*t = plugin_cfg_string(cfg, "table_name");
	const char	*s = plugin_cfg_string(cfg, "schema");
	const char	*mode = plugin_cfg_string(cfg, "mode");
	const cJSON	*pk = cJSON_GetObjectItemCaseSensitive(cfg,
	    "primary_key");
	const cJSON	*c;
	int		 rc;

	if (t == NULL) {
		snprintf(ctx->error, sizeof(ctx->error), "loader_config."
		    "table_name: a table name is needed");
		return ORK_EINVAL;
	}
	rc = plugin_split_table(ctx, "loader_config.table_name", t, schema,
	    table);
	if (rc != 0)
		return rc;
	if (s != NULL && (!taskcfg_is_identifier(s) || schema[0] != '\0')) {
		snprintf(ctx->error, sizeof(ctx->error), "loader_config.schema: "
		    "an identifier, given only when table_name has no schema");
		return ORK_EINVAL;
	}
	if (mode != NULL && strcmp(mode, "merge") == 0 &&
	    !cJSON_IsArray(pk)) {
		snprintf(ctx->error, sizeof(ctx->error), "loader_config."
		    "primary_key: mode \"merge\" needs the key columns");
		return ORK_EINVAL;
	}
	cJSON_ArrayForEach(c, plugin_array(pk))
		if (!cJSON_IsString(c) || !taskcfg_is_identifier(c->valuestring)) {
			snprintf(ctx->error, sizeof(ctx->error), "loader_config."
			    "primary_key: every key column must be an "
			    "identifier");
			return ORK_EINVAL;
		}
	return 0;
}

/* ledger_upgrade adds the mark column to a ledger made before it. */
static int
ledger_upgrade(struct pg_load *l)
{
	PGresult	*r;
	int		 have;

	r = PQexec(l->conn, "SELECT count(*) FROM pg_attribute WHERE attrelid "
	    "= '_ork_loads'::regclass AND attname = 'cursor_mark' AND NOT "
	    "attisdropped");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_fail(l, "read the ledger's columns", r);
	have = strcmp(PQgetvalue(r, 0, 0), "0") != 0;
	PQclear(r);
	if (have)
		return 0;
	return exec_ok(l, "ALTER TABLE _ork_loads ADD COLUMN IF NOT EXISTS "
	    "cursor_mark text", "add cursor_mark to the ledger");
}

/* cursor_read locks the cursor's row of this generation and reads it. */
static int
cursor_read(struct pg_load *l, struct ledger *led)
{
	const char	*params[2];
	char		 epoch[16];
	PGresult	*r;
	int		 rc;

	if ((rc = exec_ok(l, "CREATE TABLE IF NOT EXISTS _ork_cursors ("
	    "cursor_key text NOT NULL, epoch integer NOT NULL, mark text, "
	    "task_run_id uuid, updated_at timestamptz NOT NULL DEFAULT now(), "
	    "PRIMARY KEY (cursor_key, epoch))", "create the cursor table "
	    "_ork_cursors")) != 0)
		return rc;
	snprintf(epoch, sizeof(epoch), "%u", l->ctx->cursor_epoch);
	params[0] = l->cursor_key;
	params[1] = epoch;
	r = PQexecParams(l->conn, "INSERT INTO _ork_cursors (cursor_key, "
	    "epoch) VALUES ($1, $2::integer) ON CONFLICT DO NOTHING", 2, NULL,
	    params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return pg_fail(l, "write the cursor row", r);
	PQclear(r);
	r = PQexecParams(l->conn, "SELECT coalesce(mark, '') FROM _ork_cursors "
	    "WHERE cursor_key = $1 AND epoch = $2::integer FOR UPDATE", 2, NULL,
	    params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		return pg_fail(l, "read the cursor's mark", r);
	snprintf(led->mark, sizeof(led->mark), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

static int
pg_open(struct task_ctx *ctx, const cJSON *cfg, const char *cursor_key,
    void **state, struct ledger *led)
{
	static const char *const keys[] = { "dbname", "connect_timeout",
	    "application_name", NULL };
	const char	*vals[4];
	const char	*conninfo, *mode, *s;
	const char	*params[2];
	char		 attempt[16];
	struct pg_load	*l;
	struct strbuf	 sb;
	PGresult	*r = NULL;
	int		 rc;

	led->recorded = -1;
	led->recorded_mark[0] = led->mark[0] = '\0';
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return ORK_ENOMEM;
	l->ctx = ctx;
	l->cfg = cfg;
	if (cursor_key != NULL)
		snprintf(l->cursor_key, sizeof(l->cursor_key), "%s", cursor_key);
	strbuf_init(&l->copy, PG_COPY_CHUNK + PLUGIN_BATCH_BYTES);
	strbuf_init(&sb, PG_SQL_MAX);
	mode = plugin_cfg_string(cfg, "mode");
	l->mode = mode == NULL || strcmp(mode, "append") == 0 ? MODE_APPEND :
	    strcmp(mode, "replace") == 0 ? MODE_REPLACE : MODE_MERGE;
	l->primary_key = cJSON_GetObjectItemCaseSensitive(cfg, "primary_key");
	rc = plugin_split_table(ctx, "loader_config.table_name",
	    plugin_cfg_string(cfg, "table_name"), l->schema, l->table);
	if (rc != 0)
		goto fail;
	if ((s = plugin_cfg_string(cfg, "schema")) != NULL)
		snprintf(l->schema, sizeof(l->schema), "%s", s);
	conninfo = executor_secret(ctx, cJSON_GetObjectItemCaseSensitive(cfg,
	    "connection"), "loader_config.connection");
	if (conninfo == NULL) {
		rc = ORK_EINVAL;
		goto fail;
	}
	{
		/* libpq's parse errors quote the string: never show them */
		char			*perr = NULL;
		PQconninfoOption	*opts = PQconninfoParse(conninfo, &perr);

		PQfreemem(perr);
		if (opts == NULL) {
			snprintf(ctx->error, sizeof(ctx->error), "loader_config."
			    "connection: the value is not a PostgreSQL URL or "
			    "key=value string (the value is not shown)");
			rc = ORK_EINVAL;
			goto fail;
		}
		/* the password alone is masked too, should a message echo it */
		for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
			if (strcmp(o->keyword, "password") == 0 &&
			    o->val != NULL && o->val[0] != '\0' &&
			    ctx->nsecrets < TASK_SECRETS_MAX) {
				char *copy = strdup(o->val);

				if (copy != NULL)
					ctx->secrets[ctx->nsecrets++] = copy;
			}
		PQconninfoFree(opts);
	}
	vals[0] = conninfo;
	vals[1] = "15";
	vals[2] = "ork-worker";
	vals[3] = NULL;
	l->conn = PQconnectdbParams(keys, vals, 1);
	if (l->conn == NULL) {
		rc = ORK_ENOMEM;
		goto fail;
	}
	if (PQstatus(l->conn) != CONNECTION_OK) {
		rc = pg_fail(l, "connect to the destination", NULL);
		rc = ORK_ECONN;
		goto fail;
	}
	PQsetNoticeProcessor(l->conn, quiet, NULL);
	l->cancel = PQgetCancel(l->conn);
	if ((rc = exec_ok(l, "BEGIN", "begin a transaction")) != 0 ||
	    (rc = exec_ok(l, "CREATE TABLE IF NOT EXISTS _ork_loads ("
	    "task_run_id uuid PRIMARY KEY, attempt integer NOT NULL, "
	    "rows bigint NOT NULL, loaded_at timestamptz NOT NULL "
	    "DEFAULT now(), cursor_mark text)", "create the ledger table "
	    "_ork_loads")) != 0 || (rc = ledger_upgrade(l)) != 0)
		goto fail;
	snprintf(attempt, sizeof(attempt), "%u", ctx->attempt);
	params[0] = ctx->task_run_id;
	params[1] = attempt;
	r = PQexecParams(l->conn, "INSERT INTO _ork_loads (task_run_id, "
	    "attempt, rows) VALUES ($1, $2::integer, 0) ON CONFLICT "
	    "(task_run_id) DO NOTHING", 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		rc = pg_fail(l, "write the ledger row", r);
		r = NULL;
		goto fail;
	}
	if (strcmp(PQcmdTuples(r), "0") == 0) {
		PQclear(r);
		r = PQexecParams(l->conn, "SELECT rows, coalesce(cursor_mark, "
		    "'') FROM _ork_loads WHERE task_run_id = $1", 1, NULL,
		    params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
			rc = pg_fail(l, "read the ledger row", r);
			r = NULL;
			goto fail;
		}
		led->recorded = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		snprintf(led->recorded_mark, sizeof(led->recorded_mark), "%s",
		    PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	r = NULL;
	if (led->recorded < 0 && l->cursor_key[0] != '\0' &&
	    (rc = cursor_read(l, led)) != 0)
		goto fail;
	if ((rc = ident(l, &sb, l->schema[0] != '\0' ? l->schema :
	    l->table)) != 0)
		goto fail;
	if (l->schema[0] != '\0' && ((rc = strbuf_puts(&sb, ".")) != 0 ||
	    (rc = ident(l, &sb, l->table)) != 0))
		goto fail;
	l->target = strdup(strbuf_str(&sb));
	if (l->target == NULL) {
		rc = ORK_ENOMEM;
		goto fail;
	}
	strbuf_free(&sb);
	*state = l;
	return 0;
fail:
	strbuf_free(&sb);
	PQclear(r);
	if (l->cancel != NULL)
		PQfreeCancel(l->cancel);
	PQfinish(l->conn);
	strbuf_free(&l->copy);
	free(l);
	return rc;
}

/* key_listed says whether column name is one of the primary key's. */
static int
key_listed(const cJSON *pk, const char *name)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, plugin_array(pk))
		if (cJSON_IsString(c) && strcmp(c->valuestring, name) == 0)
			return 1;
	return 0;
}

static int
copy_start(struct pg_load *l)
{
	PGresult *r = PQexec(l->conn, l->copy_sql);

	if (PQresultStatus(r) != PGRES_COPY_IN)
		return pg_fail(l, "start COPY", r);
	PQclear(r);
	l->in_copy = 1;
	return 0;
}

/* copy_end finishes the COPY under way, if any. */
static int
copy_end(struct pg_load *l)
{
	PGresult	*r;
	int		 rc = 0;

	if (!l->in_copy)
		return 0;
	l->in_copy = 0;
	if (PQputCopyEnd(l->conn, NULL) != 1)
		return pg_fail(l, "end COPY", NULL);
	r = PQgetResult(l->conn);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_fail(l, "load the rows with COPY", r);
	else
		PQclear(r);
	while ((r = PQgetResult(l->conn)) != NULL)
		PQclear(r);
	return rc;
}

/* prepare creates the table and starts the COPY, on the first batch. */
static int
prepare(struct pg_load *l, const struct batch *b)
{
	struct strbuf	 sb, cols;
	const cJSON	*c;
	PGresult	*r;
	int		 rc = 0;

	strbuf_init(&sb, PG_SQL_MAX);
	strbuf_init(&cols, PG_SQL_MAX);
	cJSON_ArrayForEach(c, plugin_array(l->primary_key)) {
		size_t i;

		for (i = 0; i < b->ncols; i++)
			if (strcmp(b->cols[i], c->valuestring) == 0)
				break;
		if (i == b->ncols) {
			snprintf(l->ctx->error, sizeof(l->ctx->error),
			    "loader_config.primary_key: the source has no "
			    "column \"%s\"", c->valuestring);
			rc = ORK_EINVAL;
			goto out;
		}
	}
	for (size_t i = 0; i < b->ncols; i++) {
		if ((i > 0 && (rc = strbuf_puts(&cols, ", ")) != 0) ||
		    (rc = ident(l, &cols, b->cols[i])) != 0)
			goto out;
	}
	l->column_list = strdup(strbuf_str(&cols));
	if (l->column_list == NULL) {
		rc = ORK_ENOMEM;
		goto out;
	}
	/* a table that exists keeps its types; one made here is typed */
	{
		const char *params[1] = { l->target };

		r = PQexecParams(l->conn, "SELECT to_regclass($1) IS NULL", 1,
		    NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			rc = pg_fail(l, "look the table up", r);
			goto out;
		}
		l->checked = PQgetvalue(r, 0, 0)[0] == 't';
		PQclear(r);
	}
	if (l->checked && (rc = schema_plan(&l->types, l->ctx, l->cfg, b)) != 0)
		goto out;
	/* CREATE TABLE IF NOT EXISTS target (c type, ..., PRIMARY KEY (k)) */
	if ((rc = strbuf_printf(&sb, "CREATE TABLE IF NOT EXISTS %s (",
	    l->target)) != 0)
		goto out;
	for (size_t i = 0; i < b->ncols; i++) {
		if ((i > 0 && (rc = strbuf_puts(&sb, ", ")) != 0) ||
		    (rc = ident(l, &sb, b->cols[i])) != 0 ||
		    (rc = strbuf_printf(&sb, " %s%s", l->checked ?
		    pg_type(l->types.type[i]) : "text",
		    key_listed(l->primary_key, b->cols[i]) ? " NOT NULL" :
		    "")) != 0)
			goto out;
	}
	if (cJSON_IsArray(l->primary_key)) {
		if ((rc = strbuf_puts(&sb, ", PRIMARY KEY (")) != 0)
			goto out;
		cJSON_ArrayForEach(c, l->primary_key)
			if ((c != l->primary_key->child &&
			    (rc = strbuf_puts(&sb, ", ")) != 0) ||
			    (rc = ident(l, &sb, c->valuestring)) != 0)
				goto out;
		if ((rc = strbuf_puts(&sb, ")")) != 0)
			goto out;
	}
	if ((rc = strbuf_puts(&sb, ")")) != 0 ||
	    (rc = exec_ok(l, strbuf_str(&sb), "create the table")) != 0)
		goto out;
	strbuf_reset(&sb);
	if (l->mode == MODE_REPLACE) {
		if ((rc = strbuf_printf(&sb, "DELETE FROM %s", l->target)) != 0 ||
		    (rc = exec_ok(l, strbuf_str(&sb), "delete the old rows"))
		    != 0)
			goto out;
		strbuf_reset(&sb);
	}
	if (l->mode == MODE_MERGE) {
		if ((rc = strbuf_printf(&sb, "CREATE TEMPORARY TABLE "
		    "_ork_stage ON COMMIT DROP AS SELECT %s FROM %s WITH NO "
		    "DATA", l->column_list, l->target)) != 0 ||
		    (rc = exec_ok(l, strbuf_str(&sb), "create the staging "
		    "table")) != 0)
			goto out;
		strbuf_reset(&sb);
		rc = strbuf_printf(&sb, "COPY _ork_stage (%s) FROM STDIN",
		    l->column_list);
	} else {
		rc = strbuf_printf(&sb, "COPY %s (%s) FROM STDIN", l->target,
		    l->column_list);
	}
	if (rc != 0)
		goto out;
	if ((l->copy_sql = strdup(strbuf_str(&sb))) == NULL) {
		rc = ORK_ENOMEM;
		goto out;
	}
	if ((rc = copy_start(l)) != 0)
		goto out;
	l->prepared = 1;
out:
	if (rc == ORK_ETOOBIG)
		snprintf(l->ctx->error, sizeof(l->ctx->error), "postgres "
		    "loader: a statement would be longer than %d bytes",
		    PG_SQL_MAX);
	strbuf_free(&sb);
	strbuf_free(&cols);
	return rc;
}

static int
flush_copy(struct pg_load *l)
{
	if (l->copy.len == 0)
		return 0;
	if (PQputCopyData(l->conn, l->copy.buf, (int)l->copy.len) != 1)
		return pg_fail(l, "send COPY data", NULL);
	strbuf_reset(&l->copy);
	return 0;
}

/* copy_value appends a value in COPY's text format. */
static int
copy_value(struct strbuf *sb, const char *v, size_t len)
{
	size_t	start = 0;
	int	rc;

	if (v == NULL)
		return strbuf_add(sb, "\\N", 2);
	for (size_t i = 0; i < len; i++) {
		const char *esc;

		switch (v[i]) {
		case '\\': esc = "\\\\"; break;
		case '\t': esc = "\\t"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		default: continue;
		}
		if ((rc = strbuf_add(sb, v + start, i - start)) != 0 ||
		    (rc = strbuf_add(sb, esc, 2)) != 0)
			return rc;
		start = i + 1;
	}
	return strbuf_add(sb, v + start, len - start);
}

/* widen alters a column of the table (and the staging table) to type. */
static int
widen(struct pg_load *l, const char *name, enum schema_type type)
{
	struct strbuf	sb;
	int		rc;

	strbuf_init(&sb, PG_SQL_MAX);
	for (int stage = 0; stage < (l->mode == MODE_MERGE ? 2 : 1); stage++) {
		strbuf_reset(&sb);
		if ((rc = strbuf_printf(&sb, "ALTER TABLE %s ALTER COLUMN ",
		    stage ? "_ork_stage" : l->target)) != 0 ||
		    (rc = ident(l, &sb, name)) != 0 ||
		    (rc = strbuf_printf(&sb, " TYPE %s USING ", pg_type(type)))
		    != 0 || (rc = ident(l, &sb, name)) != 0 ||
		    (rc = strbuf_printf(&sb, "::%s", pg_type(type))) != 0 ||
		    (rc = exec_ok(l, strbuf_str(&sb), "widen a column")) != 0)
			break;
	}
	strbuf_free(&sb);
	return rc;
}

/* widen_cb widens a column between two COPYs, for schema_check. */
static int
widen_cb(void *arg, const struct batch *b, size_t col, enum schema_type to)
{
	struct pg_load	*l = arg;
	int		 rc;

	if ((rc = flush_copy(l)) != 0 || (rc = copy_end(l)) != 0 ||
	    (rc = widen(l, b->cols[col], to)) != 0)
		return rc;
	return copy_start(l);
}

static int
pg_write_batch(void *state, struct task_ctx *ctx, const struct batch *b)
{
	struct pg_load	*l = state;
	int		 rc;

	(void)ctx;
	if (!l->prepared && (rc = prepare(l, b)) != 0)
		return rc;
	if (l->checked && (rc = schema_check(&l->types, l->ctx, b,
	    l->rows_written, widen_cb, l)) != 0)
		return rc;
	l->rows_written += (int64_t)b->nrows;
	for (size_t row = 0; row < b->nrows; row++) {
		for (size_t col = 0; col < b->ncols; col++) {
			size_t		 len;
			const char	*v = batch_value(b, row, col, &len);

			if ((col > 0 && (rc = strbuf_add(&l->copy, "\t", 1))
			    != 0) || (rc = copy_value(&l->copy, v, len)) != 0)
				return rc;
		}
		if ((rc = strbuf_add(&l->copy, "\n", 1)) != 0)
			return rc;
		if (l->copy.len >= PG_COPY_CHUNK && (rc = flush_copy(l)) != 0)
			return rc;
	}
	return flush_copy(l);
}

/* merge upserts the staged rows, the last of equal keys winning. */
static int
merge(struct pg_load *l)
{
	struct strbuf	 sb, keys;
	const cJSON	*c;
	int		 rc, nset = 0;

	strbuf_init(&sb, PG_SQL_MAX);
	strbuf_init(&keys, PG_SQL_MAX);
	cJSON_ArrayForEach(c, l->primary_key)
		if ((c != l->primary_key->child &&
		    (rc = strbuf_puts(&keys, ", ")) != 0) ||
		    (rc = ident(l, &keys, c->valuestring)) != 0)
			goto out;
	if ((rc = strbuf_printf(&sb, "INSERT INTO %s (%s) SELECT DISTINCT ON "
	    "(%s) %s FROM _ork_stage ORDER BY %s, ctid DESC ON CONFLICT (%s) ",
	    l->target, l->column_list, strbuf_str(&keys), l->column_list,
	    strbuf_str(&keys), strbuf_str(&keys))) != 0)
		goto out;
	/* every column outside the key takes the new value */
	{
		PGresult	*r;
		struct strbuf	 q;

		strbuf_init(&q, PG_SQL_MAX);
		rc = strbuf_printf(&q, "SELECT %s FROM _ork_stage LIMIT 0",
		    l->column_list);
		if (rc != 0) {
			strbuf_free(&q);
			goto out;
		}
		r = PQexec(l->conn, strbuf_str(&q));
		strbuf_free(&q);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			rc = pg_fail(l, "read the staged columns", r);
			goto out;
		}
		for (int i = 0; i < PQnfields(r); i++) {
			const char *name = PQfname(r, i);

			if (key_listed(l->primary_key, name))
				continue;
			if ((rc = strbuf_puts(&sb, nset++ == 0 ?
			    "DO UPDATE SET " : ", ")) != 0 ||
			    (rc = ident(l, &sb, name)) != 0 ||
			    (rc = strbuf_puts(&sb, " = EXCLUDED.")) != 0 ||
			    (rc = ident(l, &sb, name)) != 0) {
				PQclear(r);
				goto out;
			}
		}
		PQclear(r);
	}
	if (nset == 0 && (rc = strbuf_puts(&sb, "DO NOTHING")) != 0)
		goto out;
	rc = exec_ok(l, strbuf_str(&sb), "merge the rows on the primary key");
out:
	strbuf_free(&sb);
	strbuf_free(&keys);
	return rc;
}

static int
pg_commit(void *state, struct task_ctx *ctx, int64_t rows, const char *mark)
{
	struct pg_load	*l = state;
	const char	*params[4];
	char		 nrows[32], attempt[16], epoch[16];
	PGresult	*r;
	int		 rc;

	if ((rc = copy_end(l)) != 0)
		return rc;
	if (l->prepared && l->mode == MODE_MERGE && (rc = merge(l)) != 0)
		return rc;
	snprintf(nrows, sizeof(nrows), "%lld", (long long)rows);
	snprintf(attempt, sizeof(attempt), "%u", ctx->attempt);
	params[0] = ctx->task_run_id;
	params[1] = attempt;
	params[2] = nrows;
	params[3] = mark;
	r = PQexecParams(l->conn, "UPDATE _ork_loads SET attempt = "
	    "$2::integer, rows = $3::bigint, loaded_at = now(), cursor_mark = "
	    "$4 WHERE task_run_id = $1", 4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return pg_fail(l, "update the ledger row", r);
	PQclear(r);
	if (l->cursor_key[0] != '\0' && mark != NULL) {
		snprintf(epoch, sizeof(epoch), "%u", ctx->cursor_epoch);
		params[0] = l->cursor_key;
		params[1] = epoch;
		params[2] = mark;
		params[3] = ctx->task_run_id;
		r = PQexecParams(l->conn, "UPDATE _ork_cursors SET mark = $3, "
		    "task_run_id = $4::uuid, updated_at = now() WHERE "
		    "cursor_key = $1 AND epoch = $2::integer", 4, NULL, params,
		    NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			return pg_fail(l, "write the cursor's mark", r);
		PQclear(r);
	}
	if ((rc = exec_ok(l, "COMMIT", "commit the load")) != 0)
		return rc;
	l->committed = 1;
	return 0;
}

static void
pg_cancel(void *state)
{
	struct pg_load	*l = state;
	char		 err[256];

	if (l->cancel != NULL)
		(void)PQcancel(l->cancel, err, sizeof(err));
}

static void
pg_close(void *state)
{
	struct pg_load	*l = state;
	PGresult	*r;

	if (l->in_copy) {
		(void)PQputCopyEnd(l->conn, "load stopped");
		while ((r = PQgetResult(l->conn)) != NULL)
			PQclear(r);
	}
	/* not committed: closing the connection rolls the load back */
	if (l->cancel != NULL)
		PQfreeCancel(l->cancel);
	PQfinish(l->conn);
	strbuf_free(&l->copy);
	free(l->target);
	free(l->column_list);
	free(l->copy_sql);
	schema_free(&l->types);
	free(l);
}

const struct loader_plugin plugin_postgres = {
	.type = "postgres",
	.validate = pg_validate,
	.open = pg_open,
	.write_batch = pg_write_batch,
	.commit = pg_commit,
	.cancel = pg_cancel,
	.close = pg_close,
};
