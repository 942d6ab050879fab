/*
 * duckdb.c - the duckdb loader: DuckDB's appender inside one transaction,
 * with the exactly-once ledger in the same database file.
 *
 * Config (common/taskcfg.c): db_path, table_name ("t" or "s.t"), mode
 * (append, replace, merge), primary_key (merge).
 *
 * The transaction: BEGIN; make sure _ork_loads exists; when it holds
 * this task run, load nothing and report its rows.  Otherwise create the
 * table when missing (VARCHAR columns, the primary key when given), for
 * replace delete the old rows, append every batch (into a temporary
 * table for merge, then upsert from it), insert the ledger row, COMMIT.
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
};

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
	free(l);
}

static int
dk_open(struct task_ctx *ctx, const cJSON *cfg, void **state,
    int64_t *recorded)
{
	struct dk_load			*l;
	duckdb_prepared_statement	 st = NULL;
	duckdb_result			 res;
	struct strbuf			 sb;
	const char			*mode;
	char				*err = NULL;
	int				 rc = 0;

	*recorded = -1;
	memset(&res, 0, sizeof(res));
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return ORK_ENOMEM;
	l->ctx = ctx;
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
	    "\"rows\" BIGINT NOT NULL, loaded_at TIMESTAMPTZ NOT NULL)",
	    "create the ledger table _ork_loads")) != 0)
		goto fail;
	if (duckdb_prepare(l->con, "SELECT \"rows\" FROM _ork_loads WHERE "
	    "task_run_id = CAST(? AS UUID)", &st) == DuckDBError ||
	    duckdb_bind_varchar(st, 1, ctx->task_run_id) == DuckDBError ||
	    duckdb_execute_prepared(st, &res) == DuckDBError) {
		snprintf(ctx->error, sizeof(ctx->error), "duckdb loader: could "
		    "not read the ledger: %s", duckdb_prepare_error(st) != NULL ?
		    duckdb_prepare_error(st) : duckdb_result_error(&res));
		duckdb_destroy_result(&res);
		rc = ORK_EDB;
		goto fail;
	}
	if (duckdb_row_count(&res) > 0)
		*recorded = duckdb_value_int64(&res, 0, 0);
	duckdb_destroy_result(&res);
	if (l->schema[0] != '\0' && *recorded < 0) {
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

static int
prepare(struct dk_load *l, const struct batch *b)
{
	struct strbuf	 sb;
	const cJSON	*c;
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
	if ((rc = strbuf_printf(&sb, "CREATE TABLE IF NOT EXISTS %s (",
	    l->target)) != 0)
		goto out;
	for (size_t i = 0; i < b->ncols; i++) {
		int key = key_listed(l->primary_key, b->cols[i]);

		if ((i > 0 && (rc = strbuf_puts(&l->columns, ", ")) != 0) ||
		    (rc = quoted(&l->columns, b->cols[i])) != 0 ||
		    (i > 0 && (rc = strbuf_puts(&sb, ", ")) != 0) ||
		    (rc = quoted(&sb, b->cols[i])) != 0 ||
		    (rc = strbuf_puts(&sb, key ? " VARCHAR NOT NULL" :
		    " VARCHAR")) != 0)
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
		if (duckdb_appender_create_ext(l->con, "temp", "main",
		    "_ork_stage", &l->app) == DuckDBError)
			goto app_fail;
	} else if (duckdb_appender_create(l->con, l->schema[0] != '\0' ?
	    l->schema : NULL, l->table, &l->app) == DuckDBError) {
		goto app_fail;
	}
	if (l->mode != DK_MERGE) {
		for (size_t i = 0; i < b->ncols; i++)
			if (duckdb_appender_add_column(l->app, b->cols[i]) ==
			    DuckDBError)
				goto app_fail;
	}
	l->prepared = 1;
	goto out;
app_fail:
	snprintf(l->ctx->error, sizeof(l->ctx->error), "duckdb loader: could "
	    "not start appending: %s", l->app != NULL ?
	    duckdb_appender_error(l->app) : "no appender");
	rc = ORK_EDB;
out:
	if (rc == ORK_ETOOBIG)
		snprintf(l->ctx->error, sizeof(l->ctx->error), "duckdb loader: "
		    "a statement would be longer than %d bytes", DK_SQL_MAX);
	strbuf_free(&sb);
	return rc;
}

static int
dk_write_batch(void *state, struct task_ctx *ctx, const struct batch *b)
{
	struct dk_load	*l = state;
	int		 rc;

	(void)ctx;
	if (!l->prepared && (rc = prepare(l, b)) != 0)
		return rc;
	for (size_t row = 0; row < b->nrows; row++) {
		for (size_t col = 0; col < b->ncols; col++) {
			size_t		 len;
			const char	*v = batch_value(b, row, col, &len);
			duckdb_state	 s = v == NULL ?
			    duckdb_append_null(l->app) :
			    duckdb_append_varchar_length(l->app, v, len);

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
dk_commit(void *state, struct task_ctx *ctx, int64_t rows)
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
	if (duckdb_prepare(l->con, "INSERT INTO _ork_loads VALUES (CAST(? AS "
	    "UUID), ?, ?, now())", &st) == DuckDBError ||
	    duckdb_bind_varchar(st, 1, ctx->task_run_id) == DuckDBError ||
	    duckdb_bind_int64(st, 2, ctx->attempt) == DuckDBError ||
	    duckdb_bind_int64(st, 3, rows) == DuckDBError ||
	    duckdb_execute_prepared(st, &res) == DuckDBError) {
		snprintf(ctx->error, sizeof(ctx->error), "duckdb loader: could "
		    "not write the ledger row: %s", duckdb_prepare_error(st) !=
		    NULL ? duckdb_prepare_error(st) : duckdb_result_error(&res));
		duckdb_destroy_result(&res);
		rc = ORK_EDB;
		goto out;
	}
	duckdb_destroy_result(&res);
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
 * reader into the table, inside the load's transaction: the same text
 * the parquet extractor would make (every column cast to VARCHAR), with
 * none of the batches.  Merge goes through the appender and a staging
 * table as usual (returns 1).
 */
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
	duckdb_destroy_result(&res);
	memset(&res, 0, sizeof(res));
	duckdb_destroy_prepare(&st);
	/* the table, the old rows gone for replace, as for batches */
	if ((rc = prepare(l, &b)) != 0)
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
