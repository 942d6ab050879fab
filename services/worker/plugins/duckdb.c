/*
 * duckdb.c - the duckdb loader: DuckDB's appender inside one transaction,
 * with the exactly-once ledger in the same database file.
 *
 * Config (common/taskcfg.c): db_path, table_name ("t" or "s.t"), mode
 * (append, replace, merge), primary_key (merge), columns (types),
 * on_type_mismatch.
 *
 * The transaction: BEGIN; make sure _ork_loads exists; when it holds
 * this task run, load nothing and report its rows.  An incremental load
 * reads its cursor's mark from _ork_cursors.  Otherwise create the
 * table when missing (typed by schema.c, the primary key when given; a
 * column widened later is altered between two appenders), for replace
 * delete the old rows, append every batch (the appender casts the text
 * to the column's type; into a temporary table for merge, then upsert
 * from it), insert the ledger row with the mark, set the cursor's mark,
 * COMMIT.
 * DuckDB writes nothing of a transaction to its WAL before the commit, so
 * a crash leaves either none of the rows or all of them with the ledger
 * row.  A DuckDB file is opened by one process at a time: two tasks
 * loading into the same file wait for each other only as far as DuckDB's
 * file lock refuses the second (it fails and is retried).
 *
 * Identifiers are quoted by plugin_quote_ident; values are appended or
 * bound, never written into SQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <duckdb.h>

#include "err.h"
#include "../plugin.h"
#include "strbuf.h"
#include "taskcfg.h"

#define DK_SQL_MAX	(1024 * 1024)
#define DK_QUOTED_MAX	(2 * PLUGIN_COLUMN_NAME_MAX + 3)

enum dk_mode { DK_APPEND, DK_REPLACE, DK_MERGE };

struct dk_load {
	struct task_ctx		*ctx;
	duckdb_database		 db;
	duckdb_connection	 con;
	duckdb_appender		 app;
	int			 have_db, have_con, in_txn, prepared;
	enum dk_mode		 mode;
	const cJSON		*primary_key;
	char			 schema[PLUGIN_COLUMN_NAME_MAX + 1];
	char			 table[PLUGIN_COLUMN_NAME_MAX + 1];
	char			 target[2 * DK_QUOTED_MAX + 2];
	struct strbuf		 columns;	/* quoted, comma-separated */
	struct strbuf		 updates;	/* c = excluded.c, ... */
	const cJSON		*cfg;
	struct schema		 types;
	int			 checked;	/* this load created the table */
	int64_t			 rows_written;
	char			 cursor_key[96];	/* "": not incremental */
	unsigned char		*tz;	/* per column: TIMESTAMPTZ */
	size_t			 ntz;
};

/* dk_type is the DuckDB type of a column type. */
static const char *
dk_type(enum schema_type t)
{
	switch (t) {
	case SCHEMA_INTEGER:	return "BIGINT";
	case SCHEMA_DOUBLE:	return "DOUBLE";
	case SCHEMA_BOOLEAN:	return "BOOLEAN";
	case SCHEMA_TIMESTAMP:	return "TIMESTAMPTZ";
	case SCHEMA_TEXT:	break;
	}
	return "VARCHAR";
}

static int
dk_query(struct dk_load *l, const char *sql, const char *what)
{
	duckdb_result	res;
	int		rc = 0;

	if (duckdb_query(l->con, sql, &res) == DuckDBError) {
		snprintf(l->ctx->error, sizeof(l->ctx->error), "duckdb loader: "
		    "could not %s: %s", what, duckdb_result_error(&res));
		rc = ORK_EDB;
	}
	duckdb_destroy_result(&res);
	return rc;
}

static int
quoted(struct strbuf *sb, const char *name)
{
	char q[DK_QUOTED_MAX + 1];

	if (plugin_quote_ident(name, strlen(name), q, sizeof(q)) != 0)
		return ORK_EINVAL;
	return strbuf_puts(sb, q);
}

static int
dk_validate(struct task_ctx *ctx, const cJSON *cfg)
{
	char		 schema[PLUGIN_COLUMN_NAME_MAX + 1];
	char		 table[PLUGIN_COLUMN_NAME_MAX + 1];
	const char	*t = plugin_cfg_string(cfg, "table_name");
	const char	*p = plugin_cfg_string(cfg, "db_path");
	const char	*mode = plugin_cfg_string(cfg, "mode");
	const cJSON	*pk = cJSON_GetObjectItemCaseSensitive(cfg,
	    "primary_key");
	const cJSON	*c;

	if (p == NULL || p[0] == '\0' || strlen(p) > 4096) {
		snprintf(ctx->error, sizeof(ctx->error), "loader_config.db_path: "
		    "a file path of at most 4096 bytes is needed");
		return ORK_EINVAL;
	}
	if (t == NULL) {
		snprintf(ctx->error, sizeof(ctx->error), "loader_config."
		    "table_name: a table name is needed");
		return ORK_EINVAL;
	}
	if (plugin_split_table(ctx, "loader_config.table_name", t, schema,
	    table) != 0)
		return ORK_EINVAL;
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

static void
dk_close(void *state)
{
	struct dk_load *l = state;

	if (l->app != NULL)
		duckdb_appender_destroy(&l->app);
	if (l->in_txn) {
		duckdb_result res;

		(void)duckdb_query(l->con, "ROLLBACK", &res);
		duckdb_destroy_result(&res);
	}
	if (l->have_con)
		duckdb_disconnect(&l->con);
	if (l->have_db)
		duckdb_close(&l->db);
	strbuf_free(&l->columns);
	strbuf_free(&l->updates);
	schema_free(&l->types);
	free(l->tz);
	free(l);
}

/*
 * dk_one runs a statement with up to two text parameters and copies the
 * first value of its first row into out ("" for NULL or no row).
 */
static int
dk_one(struct dk_load *l, const char *sql, const char *p1, const char *p2,
    char *out, size_t outlen, const char *what)
{
	duckdb_prepared_statement	 st = NULL;
	duckdb_result			 res;
	int				 rc = 0;

	memset(&res, 0, sizeof(res));
	out[0] = '\0';
	if (duckdb_prepare(l->con, sql, &st) == DuckDBError ||
	    (p1 != NULL && duckdb_bind_varchar(st, 1, p1) == DuckDBError) ||
	    (p2 != NULL && duckdb_bind_varchar(st, 2, p2) == DuckDBError) ||
	    duckdb_execute_prepared(st, &res) == DuckDBError) {
		snprintf(l->ctx->error, sizeof(l->ctx->error), "duckdb loader: "
		    "could not %s: %s", what, duckdb_prepare_error(st) != NULL ?
		    duckdb_prepare_error(st) : duckdb_result_error(&res));
		rc = ORK_EDB;
	} else if (duckdb_row_count(&res) > 0 &&
	    !duckdb_value_is_null(&res, 0, 0)) {
		char *v = duckdb_value_varchar(&res, 0, 0);

		snprintf(out, outlen, "%s", v != NULL ? v : "");
		duckdb_free(v);
	}
	duckdb_destroy_result(&res);
	if (st != NULL)
		duckdb_destroy_prepare(&st);
	return rc;
}

static int
dk_open(struct task_ctx *ctx, const cJSON *cfg, const char *cursor_key,
    void **state, struct ledger *led)
{
	struct dk_load			*l;
	duckdb_prepared_statement	 st = NULL;
	duckdb_result			 res;
	struct strbuf			 sb;
	const char			*mode;
	char				*err = NULL;
	int				 rc = 0;

	led->recorded = -1;
	led->recorded_mark[0] = led->mark[0] = '\0';
	memset(&res, 0, sizeof(res));
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return ORK_ENOMEM;
	l->ctx = ctx;
	l->cfg = cfg;
	if (cursor_key != NULL)
		snprintf(l->cursor_key, sizeof(l->cursor_key), "%s", cursor_key);
	strbuf_init(&l->columns, DK_SQL_MAX);
	strbuf_init(&l->updates, DK_SQL_MAX);
	strbuf_init(&sb, DK_SQL_MAX);
	mode = plugin_cfg_string(cfg, "mode");
	l->mode = mode == NULL || strcmp(mode, "append") == 0 ? DK_APPEND :
	    strcmp(mode, "replace") == 0 ? DK_REPLACE : DK_MERGE;
	l->primary_key = cJSON_GetObjectItemCaseSensitive(cfg, "primary_key");
	if ((rc = plugin_split_table(ctx, "loader_config.table_name",
	    plugin_cfg_string(cfg, "table_name"), l->schema, l->table)) != 0)
		goto fail;
	if (l->schema[0] != '\0') {
		if ((rc = quoted(&sb, l->schema)) != 0 ||
		    (rc = strbuf_puts(&sb, ".")) != 0)
			goto fail;
	}
	if ((rc = quoted(&sb, l->table)) != 0)
		goto fail;
	snprintf(l->target, sizeof(l->target), "%s", strbuf_str(&sb));
	if (duckdb_open_ext(plugin_cfg_string(cfg, "db_path"), &l->db, NULL,
	    &err) == DuckDBError) {
		snprintf(ctx->error, sizeof(ctx->error), "loader_config.db_path: "
		    "could not open the DuckDB file: %s", err != NULL ? err :
		    "unknown error");
		duckdb_free(err);
		rc = ORK_EIO;
		goto fail;
	}
	l->have_db = 1;
	if (duckdb_connect(l->db, &l->con) == DuckDBError) {
		snprintf(ctx->error, sizeof(ctx->error), "duckdb loader: could "
		    "not connect to the database file");
		rc = ORK_EIO;
		goto fail;
	}
	l->have_con = 1;
	if ((rc = dk_query(l, "BEGIN TRANSACTION", "begin a transaction")) != 0)
		goto fail;
	l->in_txn = 1;
	if ((rc = dk_query(l, "CREATE TABLE IF NOT EXISTS _ork_loads ("
	    "task_run_id UUID PRIMARY KEY, attempt INTEGER NOT NULL, "
	    "\"rows\" BIGINT NOT NULL, loaded_at TIMESTAMPTZ NOT NULL, "
	    "cursor_mark VARCHAR)", "create the ledger table _ork_loads")) != 0 ||
	    (rc = dk_query(l, "ALTER TABLE _ork_loads ADD COLUMN IF NOT EXISTS "
	    "cursor_mark VARCHAR", "add cursor_mark to the ledger")) != 0)
		goto fail;
	if (duckdb_prepare(l->con, "SELECT \"rows\", coalesce(cursor_mark, "
	    "'') FROM _ork_loads WHERE task_run_id = CAST(? AS UUID)", &st) ==
	    DuckDBError ||
	    duckdb_bind_varchar(st, 1, ctx->task_run_id) == DuckDBError ||
	    duckdb_execute_prepared(st, &res) == DuckDBError) {
		snprintf(ctx->error, sizeof(ctx->error), "duckdb loader: could "
		    "not read the ledger: %s", duckdb_prepare_error(st) != NULL ?
		    duckdb_prepare_error(st) : duckdb_result_error(&res));
		duckdb_destroy_result(&res);
		rc = ORK_EDB;
		goto fail;
	}
	if (duckdb_row_count(&res) > 0) {
		char *m = duckdb_value_varchar(&res, 1, 0);

		led->recorded = duckdb_value_int64(&res, 0, 0);
		snprintf(led->recorded_mark, sizeof(led->recorded_mark), "%s",
		    m != NULL ? m : "");
		duckdb_free(m);
	}
	duckdb_destroy_result(&res);
	if (l->cursor_key[0] != '\0' && led->recorded < 0) {
		char epoch[16];

		snprintf(epoch, sizeof(epoch), "%u", ctx->cursor_epoch);
		if ((rc = dk_query(l, "CREATE TABLE IF NOT EXISTS _ork_cursors ("
		    "cursor_key VARCHAR NOT NULL, epoch INTEGER NOT NULL, mark "
		    "VARCHAR, task_run_id UUID, updated_at TIMESTAMPTZ, PRIMARY "
		    "KEY (cursor_key, epoch))", "create the cursor table "
		    "_ork_cursors")) != 0 ||
		    (rc = dk_one(l, "SELECT mark FROM _ork_cursors WHERE "
		    "cursor_key = ? AND epoch = CAST(? AS INTEGER)",
		    l->cursor_key, epoch, led->mark, sizeof(led->mark),
		    "read the cursor's mark")) != 0)
			goto fail;
	}
	if (l->schema[0] != '\0' && led->recorded < 0) {
		strbuf_reset(&sb);
		if ((rc = strbuf_puts(&sb, "CREATE SCHEMA IF NOT EXISTS ")) != 0 ||
		    (rc = quoted(&sb, l->schema)) != 0 ||
		    (rc = dk_query(l, strbuf_str(&sb), "create the schema")) != 0)
			goto fail;
	}
	duckdb_destroy_prepare(&st);
	strbuf_free(&sb);
	*state = l;
	return 0;
fail:
	if (st != NULL)
		duckdb_destroy_prepare(&st);
	strbuf_free(&sb);
	dk_close(l);
	return rc;
}

static int
key_listed(const cJSON *pk, const char *name)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, plugin_array(pk))
		if (cJSON_IsString(c) && strcmp(c->valuestring, name) == 0)
			return 1;
	return 0;
}

/*
 * tz_columns notes which of the appender's columns are TIMESTAMPTZ: the
 * appender's own cast from text drops a value's UTC offset, so those
 * values are parsed here and appended as instants.
 */
static int
tz_columns(struct dk_load *l, const struct batch *b)
{
	idx_t n = duckdb_appender_column_count(l->app);

	free(l->tz);
	l->ntz = 0;
	if ((l->tz = calloc(b->ncols, 1)) == NULL)
		return ORK_ENOMEM;
	l->ntz = b->ncols;
	for (idx_t i = 0; i < n && i < b->ncols; i++) {
		duckdb_logical_type t = duckdb_appender_column_type(l->app, i);

		l->tz[i] = duckdb_get_type_id(t) == DUCKDB_TYPE_TIMESTAMP_TZ;
		duckdb_destroy_logical_type(&t);
	}
	return 0;
}

/* appender_start makes the appender for the target or staging table. */
static int
appender_start(struct dk_load *l, const struct batch *b)
{
	if (l->mode == DK_MERGE) {
		if (duckdb_appender_create_ext(l->con, "temp", "main",
		    "_ork_stage", &l->app) == DuckDBError)
			goto fail;
		return tz_columns(l, b);
	}
	if (duckdb_appender_create(l->con, l->schema[0] != '\0' ?
	    l->schema : NULL, l->table, &l->app) == DuckDBError)
		goto fail;
	for (size_t i = 0; i < b->ncols; i++)
		if (duckdb_appender_add_column(l->app, b->cols[i]) ==
		    DuckDBError)
			goto fail;
	return tz_columns(l, b);
fail:
	snprintf(l->ctx->error, sizeof(l->ctx->error), "duckdb loader: could "
	    "not start appending: %s", l->app != NULL ?
	    duckdb_appender_error(l->app) : "no appender");
	return ORK_EDB;
}

/*
 * prepare creates the table when missing (typed by schema.c; native,
 * when given, holds the types of a file's columns, which win over those
 * inferred) and starts appending, on the first batch.
 */
static int
prepare(struct dk_load *l, const struct batch *b,
    const enum schema_type *native)
{
	struct strbuf	 sb;
	const cJSON	*c;
	char		 n[32];
	int		 rc = 0;

	strbuf_init(&sb, DK_SQL_MAX);
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
	/* a table that exists keeps its types; one made here is typed */
	if ((rc = dk_one(l, "SELECT count(*) FROM duckdb_tables() WHERE "
	    "database_name = current_database() AND lower(schema_name) = "
	    "lower(?) AND lower(table_name) = lower(?)", l->schema[0] != '\0' ?
	    l->schema : "main", l->table, n, sizeof(n), "look the table up"))
	    != 0)
		goto out;
	l->checked = strcmp(n, "0") == 0;
	if (l->checked) {
		if ((rc = schema_plan(&l->types, l->ctx, l->cfg, b)) != 0)
			goto out;
		for (size_t i = 0; native != NULL && i < b->ncols; i++)
			if (!l->types.declared[i])
				l->types.type[i] = native[i];
	}
	if ((rc = strbuf_printf(&sb, "CREATE TABLE IF NOT EXISTS %s (",
	    l->target)) != 0)
		goto out;
	for (size_t i = 0; i < b->ncols; i++) {
		int key = key_listed(l->primary_key, b->cols[i]);

		if ((i > 0 && (rc = strbuf_puts(&l->columns, ", ")) != 0) ||
		    (rc = quoted(&l->columns, b->cols[i])) != 0 ||
		    (i > 0 && (rc = strbuf_puts(&sb, ", ")) != 0) ||
		    (rc = quoted(&sb, b->cols[i])) != 0 ||
		    (rc = strbuf_printf(&sb, " %s%s", l->checked ?
		    dk_type(l->types.type[i]) : "VARCHAR", key ? " NOT NULL" :
		    "")) != 0)
			goto out;
		if (!key && ((l->updates.len > 0 &&
		    (rc = strbuf_puts(&l->updates, ", ")) != 0) ||
		    (rc = quoted(&l->updates, b->cols[i])) != 0 ||
		    (rc = strbuf_puts(&l->updates, " = excluded.")) != 0 ||
		    (rc = quoted(&l->updates, b->cols[i])) != 0))
			goto out;
	}
	if (cJSON_IsArray(l->primary_key)) {
		if ((rc = strbuf_puts(&sb, ", PRIMARY KEY (")) != 0)
			goto out;
		cJSON_ArrayForEach(c, l->primary_key)
			if ((c != l->primary_key->child &&
			    (rc = strbuf_puts(&sb, ", ")) != 0) ||
			    (rc = quoted(&sb, c->valuestring)) != 0)
				goto out;
		if ((rc = strbuf_puts(&sb, ")")) != 0)
			goto out;
	}
	if ((rc = strbuf_puts(&sb, ")")) != 0 ||
	    (rc = dk_query(l, strbuf_str(&sb), "create the table")) != 0)
		goto out;
	if (l->mode == DK_REPLACE) {
		strbuf_reset(&sb);
		if ((rc = strbuf_printf(&sb, "DELETE FROM %s", l->target)) != 0 ||
		    (rc = dk_query(l, strbuf_str(&sb), "delete the old rows"))
		    != 0)
			goto out;
	}
	if (l->mode == DK_MERGE) {
		strbuf_reset(&sb);
		if ((rc = strbuf_printf(&sb, "CREATE TEMPORARY TABLE _ork_stage "
		    "AS SELECT %s FROM %s LIMIT 0", strbuf_str(&l->columns),
		    l->target)) != 0 || (rc = dk_query(l, strbuf_str(&sb),
		    "create the staging table")) != 0)
			goto out;
	}
	if ((rc = appender_start(l, b)) != 0)
		goto out;
	l->prepared = 1;
out:
	if (rc == ORK_ETOOBIG)
		snprintf(l->ctx->error, sizeof(l->ctx->error), "duckdb loader: "
		    "a statement would be longer than %d bytes", DK_SQL_MAX);
	strbuf_free(&sb);
	return rc;
}

/* widen alters a column of the table (and the staging table) to type. */
static int
widen(struct dk_load *l, const struct batch *b, size_t col,
    enum schema_type type)
{
	struct strbuf	sb;
	int		rc = 0;

	if (duckdb_appender_close(l->app) == DuckDBError) {
		snprintf(l->ctx->error, sizeof(l->ctx->error), "duckdb loader: "
		    "could not write the rows: %s",
		    duckdb_appender_error(l->app));
		return ORK_EDB;
	}
	duckdb_appender_destroy(&l->app);
	strbuf_init(&sb, DK_SQL_MAX);
	for (int stage = 0; stage < (l->mode == DK_MERGE ? 2 : 1); stage++) {
		strbuf_reset(&sb);
		if ((rc = strbuf_printf(&sb, "ALTER TABLE %s ALTER ", stage ?
		    "temp.main._ork_stage" : l->target)) != 0 ||
		    (rc = quoted(&sb, b->cols[col])) != 0 ||
		    (rc = strbuf_printf(&sb, " SET DATA TYPE %s",
		    dk_type(type))) != 0 ||
		    (rc = dk_query(l, strbuf_str(&sb), "widen a column")) != 0)
			break;
	}
	strbuf_free(&sb);
	if (rc == 0)
		rc = appender_start(l, b);
	return rc;
}

/* widen_cb is widen as schema_check calls it. */
static int
widen_cb(void *arg, const struct batch *b, size_t col, enum schema_type to)
{
	return widen(arg, b, col, to);
}

static int
dk_write_batch(void *state, struct task_ctx *ctx, const struct batch *b)
{
	struct dk_load	*l = state;
	int		 rc;

	(void)ctx;
	if (!l->prepared && (rc = prepare(l, b, NULL)) != 0)
		return rc;
	if (l->checked && (rc = schema_check(&l->types, l->ctx, b,
	    l->rows_written, widen_cb, l)) != 0)
		return rc;
	l->rows_written += (int64_t)b->nrows;
	for (size_t row = 0; row < b->nrows; row++) {
		for (size_t col = 0; col < b->ncols; col++) {
			size_t		 len;
			const char	*v = batch_value(b, row, col, &len);
			duckdb_state	 s;
			int64_t		 us;

			if (v == NULL)
				s = duckdb_append_null(l->app);
			else if (col < l->ntz && l->tz[col] &&
			    schema_parse_timestamp(v, len, &us) == 0) {
				duckdb_timestamp	ts = { us };
				duckdb_value		dv =
				    duckdb_create_timestamp_tz(ts);

				if (dv == NULL)
					return ORK_ENOMEM;
				s = duckdb_append_value(l->app, dv);
				duckdb_destroy_value(&dv);
			} else
				s = duckdb_append_varchar_length(l->app, v,
				    len);
			if (s == DuckDBError)
				goto fail;
		}
		if (duckdb_appender_end_row(l->app) == DuckDBError)
			goto fail;
	}
	return 0;
fail:
	snprintf(l->ctx->error, sizeof(l->ctx->error), "duckdb loader: could "
	    "not append a row: %s", duckdb_appender_error(l->app));
	return ORK_EDB;
}

static int
dk_commit(void *state, struct task_ctx *ctx, int64_t rows, const char *mark)
{
	struct dk_load			*l = state;
	duckdb_prepared_statement	 st = NULL;
	duckdb_result			 res;
	struct strbuf			 sb, keys;
	const cJSON			*c;
	int				 rc = 0;

	memset(&res, 0, sizeof(res));
	strbuf_init(&sb, DK_SQL_MAX);
	strbuf_init(&keys, DK_SQL_MAX);
	if (l->app != NULL) {
		if (duckdb_appender_close(l->app) == DuckDBError) {
			snprintf(ctx->error, sizeof(ctx->error), "duckdb loader: "
			    "could not write the rows: %s",
			    duckdb_appender_error(l->app));
			rc = ORK_EDB;
			goto out;
		}
		duckdb_appender_destroy(&l->app);
	}
	if (l->prepared && l->mode == DK_MERGE) {
		cJSON_ArrayForEach(c, l->primary_key)
			if ((c != l->primary_key->child &&
			    (rc = strbuf_puts(&keys, ", ")) != 0) ||
			    (rc = quoted(&keys, c->valuestring)) != 0)
				goto out;
		rc = strbuf_printf(&sb, "INSERT INTO %s (%s) SELECT %s FROM "
		    "_ork_stage QUALIFY row_number() OVER (PARTITION BY %s "
		    "ORDER BY rowid DESC) = 1 ON CONFLICT (%s) DO %s%s",
		    l->target, strbuf_str(&l->columns),
		    strbuf_str(&l->columns), strbuf_str(&keys),
		    strbuf_str(&keys), l->updates.len > 0 ? "UPDATE SET " :
		    "NOTHING", strbuf_str(&l->updates));
		if (rc != 0 || (rc = dk_query(l, strbuf_str(&sb), "merge the "
		    "rows on the primary key")) != 0 ||
		    (rc = dk_query(l, "DROP TABLE temp.main._ork_stage",
		    "drop the staging table")) != 0)
			goto out;
	}
	if (duckdb_prepare(l->con, "INSERT INTO _ork_loads (task_run_id, "
	    "attempt, \"rows\", loaded_at, cursor_mark) VALUES (CAST(? AS "
	    "UUID), ?, ?, now(), ?)", &st) == DuckDBError ||
	    duckdb_bind_varchar(st, 1, ctx->task_run_id) == DuckDBError ||
	    duckdb_bind_int64(st, 2, ctx->attempt) == DuckDBError ||
	    duckdb_bind_int64(st, 3, rows) == DuckDBError ||
	    (mark != NULL ? duckdb_bind_varchar(st, 4, mark) :
	    duckdb_bind_null(st, 4)) == DuckDBError ||
	    duckdb_execute_prepared(st, &res) == DuckDBError) {
		snprintf(ctx->error, sizeof(ctx->error), "duckdb loader: could "
		    "not write the ledger row: %s", duckdb_prepare_error(st) !=
		    NULL ? duckdb_prepare_error(st) : duckdb_result_error(&res));
		duckdb_destroy_result(&res);
		rc = ORK_EDB;
		goto out;
	}
	duckdb_destroy_result(&res);
	memset(&res, 0, sizeof(res));
	duckdb_destroy_prepare(&st);
	if (l->cursor_key[0] != '\0' && mark != NULL) {
		if (duckdb_prepare(l->con, "INSERT INTO _ork_cursors VALUES (?, "
		    "?, ?, CAST(? AS UUID), now()) ON CONFLICT (cursor_key, "
		    "epoch) DO UPDATE SET mark = excluded.mark, task_run_id = "
		    "excluded.task_run_id, updated_at = excluded.updated_at",
		    &st) == DuckDBError ||
		    duckdb_bind_varchar(st, 1, l->cursor_key) == DuckDBError ||
		    duckdb_bind_int64(st, 2, ctx->cursor_epoch) == DuckDBError ||
		    duckdb_bind_varchar(st, 3, mark) == DuckDBError ||
		    duckdb_bind_varchar(st, 4, ctx->task_run_id) == DuckDBError ||
		    duckdb_execute_prepared(st, &res) == DuckDBError) {
			snprintf(ctx->error, sizeof(ctx->error), "duckdb loader: "
			    "could not write the cursor's mark: %s",
			    duckdb_prepare_error(st) != NULL ?
			    duckdb_prepare_error(st) :
			    duckdb_result_error(&res));
			duckdb_destroy_result(&res);
			rc = ORK_EDB;
			goto out;
		}
		duckdb_destroy_result(&res);
	}
	if ((rc = dk_query(l, "COMMIT", "commit the load")) != 0)
		goto out;
	l->in_txn = 0;
out:
	if (st != NULL)
		duckdb_destroy_prepare(&st);
	strbuf_free(&sb);
	strbuf_free(&keys);
	return rc;
}

/*
 * dk_load_file reads a local parquet file (or glob) with DuckDB's own
 * reader into the table, inside the load's transaction, with none of
 * the batches.  A table made here takes the file's own types (integers,
 * floating and decimal numbers, booleans, timestamps with zone; the rest
 * text) unless loader_config.columns names others; a table that exists
 * keeps its types and DuckDB casts.  Merge goes through the appender and
 * a staging table as usual (returns 1).
 */
static enum schema_type
native_type(duckdb_type t)
{
	switch (t) {
	case DUCKDB_TYPE_TINYINT:
	case DUCKDB_TYPE_SMALLINT:
	case DUCKDB_TYPE_INTEGER:
	case DUCKDB_TYPE_BIGINT:
	case DUCKDB_TYPE_UTINYINT:
	case DUCKDB_TYPE_USMALLINT:
	case DUCKDB_TYPE_UINTEGER:
		return SCHEMA_INTEGER;
	case DUCKDB_TYPE_FLOAT:
	case DUCKDB_TYPE_DOUBLE:
	case DUCKDB_TYPE_DECIMAL:
		return SCHEMA_DOUBLE;
	case DUCKDB_TYPE_BOOLEAN:
		return SCHEMA_BOOLEAN;
	case DUCKDB_TYPE_TIMESTAMP_TZ:
		return SCHEMA_TIMESTAMP;
	default:
		return SCHEMA_TEXT;
	}
}

static int
dk_load_file(void *state, struct task_ctx *ctx, const char *format,
    const char *path, int64_t *rows)
{
	struct dk_load			*l = state;
	duckdb_prepared_statement	 st = NULL;
	duckdb_result			 res;
	struct batch			 b;
	struct strbuf			 sb;
	const char			*names[PLUGIN_COLUMNS_MAX];
	enum schema_type		*native = NULL;
	char				 err[200];
	idx_t				 n;
	int				 rc = 0;

	if (strcmp(format, "parquet") != 0 || l->mode == DK_MERGE)
		return 1;
	memset(&res, 0, sizeof(res));
	batch_init(&b);
	strbuf_init(&sb, DK_SQL_MAX);
	if (duckdb_prepare(l->con, "SELECT * FROM read_parquet(?) LIMIT 0",
	    &st) == DuckDBError || duckdb_bind_varchar(st, 1, path) ==
	    DuckDBError || duckdb_execute_prepared(st, &res) == DuckDBError) {
		snprintf(ctx->error, sizeof(ctx->error), "extractor_config.path: "
		    "could not read \"%.200s\": %s", path,
		    duckdb_prepare_error(st) != NULL ? duckdb_prepare_error(st) :
		    duckdb_result_error(&res));
		rc = ORK_EINVAL;
		goto out;
	}
	n = duckdb_column_count(&res);
	if (n > PLUGIN_COLUMNS_MAX)
		n = PLUGIN_COLUMNS_MAX + 1;
	for (idx_t i = 0; i < n && i < PLUGIN_COLUMNS_MAX; i++)
		names[i] = duckdb_column_name(&res, i);
	rc = batch_set_columns(&b, names, NULL, (size_t)n, err, sizeof(err));
	if (rc != 0) {
		if (rc == ORK_EINVAL)
			snprintf(ctx->error, sizeof(ctx->error), "the parquet "
			    "file's columns: %s", err);
		goto out;
	}
	if ((native = calloc(b.ncols, sizeof(*native))) == NULL) {
		rc = ORK_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < b.ncols; i++)
		native[i] = native_type(duckdb_column_type(&res, i));
	duckdb_destroy_result(&res);
	memset(&res, 0, sizeof(res));
	duckdb_destroy_prepare(&st);
	/* the table, the old rows gone for replace, as for batches */
	if ((rc = prepare(l, &b, native)) != 0)
		goto out;
	duckdb_appender_destroy(&l->app);
	if ((rc = strbuf_printf(&sb, "INSERT INTO %s (%s) SELECT %s FROM "
	    "read_parquet(?)", l->target, strbuf_str(&l->columns),
	    strbuf_str(&l->columns))) != 0)
		goto out;
	if (duckdb_prepare(l->con, strbuf_str(&sb), &st) == DuckDBError ||
	    duckdb_bind_varchar(st, 1, path) == DuckDBError ||
	    duckdb_execute_prepared(st, &res) == DuckDBError) {
		snprintf(ctx->error, sizeof(ctx->error), "duckdb loader: could "
		    "not load \"%.200s\": %s", path, duckdb_prepare_error(st) !=
		    NULL ? duckdb_prepare_error(st) : duckdb_result_error(&res));
		rc = ORK_EDB;
		goto out;
	}
	*rows = (int64_t)duckdb_rows_changed(&res);
out:
	duckdb_destroy_result(&res);
	if (st != NULL)
		duckdb_destroy_prepare(&st);
	strbuf_free(&sb);
	batch_free(&b);
	free(native);
	return rc;
}

static void
dk_cancel(void *state)
{
	struct dk_load *l = state;

	if (l->have_con)
		duckdb_interrupt(l->con);
}

const struct loader_plugin plugin_duckdb = {
	.type = "duckdb",
	.validate = dk_validate,
	.open = dk_open,
	.write_batch = dk_write_batch,
	.commit = dk_commit,
	.cancel = dk_cancel,
	.close = dk_close,
	.load_file = dk_load_file,
};
