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
 * column widened later is altered between two writers), for replace
 * delete the old rows, append every batch (into a temporary table for
 * merge, then upsert from it), insert the ledger row with the mark, set
 * the cursor's mark, COMMIT.
 *
 * Writing: a batch becomes DuckDB data chunks of typed column vectors.
 * Values of BIGINT, DOUBLE, BOOLEAN and TIMESTAMPTZ columns are parsed
 * here (the appender's own cast from text drops a timestamp's UTC
 * offset); a column of another type goes as text and DuckDB casts it.
 * While the next batch is read and converted, a thread of the load runs
 * INSERT INTO t SELECT * FROM _ork_feed(), a table function handing out
 * the queued chunks (at most DK_QUEUE_CHUNKS wait) to DuckDB's threads,
 * which write and compress the rows side by side, in no particular
 * order (the connection turns preserve_insertion_order off).  A chunk
 * with a value this parser refuses goes through the appender, which
 * casts it from text.  Merge keeps the order of the rows (the last of a
 * key wins): its thread appends the chunks to the staging table in
 * turn.  Every other use of the connection first ends the writing
 * (writer_drain).
 * DuckDB writes nothing of a transaction to its WAL before the commit, so
 * a crash leaves either none of the rows or all of them with the ledger
 * row.  A DuckDB file is opened by one process at a time: two tasks
 * loading into the same file wait for each other only as far as DuckDB's
 * file lock refuses the second (it fails and is retried).
 *
 * Identifiers are quoted by plugin_quote_ident; values travel in data
 * chunks or are bound, never written into SQL.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <duckdb.h>

#include "err.h"
#include "../plugin.h"
#include "strbuf.h"
#include "taskcfg.h"

#define DK_SQL_MAX	(1024 * 1024)
#define DK_QUOTED_MAX	(2 * PLUGIN_COLUMN_NAME_MAX + 3)
#define DK_QUEUE_CHUNKS	8

/* The thread that writes the chunks, and the chunks waiting for it. */
struct dk_writer {
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 have_sync, started;
	duckdb_data_chunk	 chunk[DK_QUEUE_CHUNKS];
	size_t			 head, n;
	int			 end;	/* no more chunks will come */
	int			 stop;	/* the load stopped: write no more */
	int			 rc;	/* the first failure */
	char			 error[TASK_ERROR_MAX];
};

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
	/* per column of the appender: its type, the chunk's vector type */
	duckdb_type		*target_type;
	duckdb_logical_type	*vector_type;
	size_t			 ncolumns;
	duckdb_logical_type	 varchar;
	idx_t			 chunk_rows;	/* duckdb_vector_size() */
	int			 feed;	/* INSERT from _ork_feed, not appender */
	struct strbuf		 insert;	/* that INSERT */
	struct dk_writer	 w;
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

/*
 * writer_take waits for the next queued chunk: 1 with *ch set, 0 when
 * the queue is empty and ended, -1 when the load stopped.
 */
static int
writer_take(struct dk_writer *w, duckdb_data_chunk *ch)
{
	int r = 1;

	pthread_mutex_lock(&w->mu);
	while (w->n == 0 && !w->end && !w->stop)
		pthread_cond_wait(&w->cv, &w->mu);
	if (w->stop)
		r = -1;
	else if (w->n == 0)
		r = 0;
	else {
		*ch = w->chunk[w->head];
		w->head = (w->head + 1) % DK_QUEUE_CHUNKS;
		w->n--;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return r;
}

/* writer_fail records the writer's first failure and wakes the loader. */
static void
writer_fail(struct dk_writer *w, const char *what, const char *why)
{
	pthread_mutex_lock(&w->mu);
	if (w->rc == 0) {
		w->rc = ORK_EDB;
		snprintf(w->error, sizeof(w->error), "duckdb loader: could not "
		    "%s: %s", what, why != NULL ? why : "unknown error");
	}
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/*
 * feed_bind, feed_init and feed_next make the table function _ork_feed
 * that the feed's INSERT reads: the queued chunks, each handed out once,
 * to as many of DuckDB's threads as ask.
 */
static void
feed_bind(duckdb_bind_info info)
{
	struct dk_load *l = duckdb_bind_get_extra_info(info);

	for (size_t i = 0; i < l->ncolumns; i++) {
		char name[32];

		snprintf(name, sizeof(name), "c%zu", i);
		duckdb_bind_add_result_column(info, name, l->vector_type[i]);
	}
}

static void
feed_init(duckdb_init_info info)
{
	duckdb_init_set_max_threads(info, DK_QUEUE_CHUNKS);
}

static void
feed_next(duckdb_function_info info, duckdb_data_chunk out)
{
	struct dk_load		*l = duckdb_function_get_extra_info(info);
	duckdb_data_chunk	 ch;
	int			 r = writer_take(&l->w, &ch);

	if (r < 0) {
		duckdb_function_set_error(info, "the load stopped");
		return;
	}
	if (r == 0) {
		duckdb_data_chunk_set_size(out, 0);
		return;
	}
	for (size_t i = 0; i < l->ncolumns; i++)
		duckdb_vector_reference_vector(duckdb_data_chunk_get_vector(out,
		    i), duckdb_data_chunk_get_vector(ch, i));
	duckdb_data_chunk_set_size(out, duckdb_data_chunk_get_size(ch));
	duckdb_destroy_data_chunk(&ch);
}

/* feed_register makes _ork_feed known to the connection. */
static int
feed_register(struct dk_load *l)
{
	duckdb_table_function	f = duckdb_create_table_function();
	duckdb_state		st;

	if (f == NULL)
		return ORK_ENOMEM;
	duckdb_table_function_set_name(f, "_ork_feed");
	duckdb_table_function_set_extra_info(f, l, NULL);
	duckdb_table_function_set_bind(f, feed_bind);
	duckdb_table_function_set_init(f, feed_init);
	duckdb_table_function_set_function(f, feed_next);
	st = duckdb_register_table_function(l->con, f);
	duckdb_destroy_table_function(&f);
	if (st == DuckDBError) {
		snprintf(l->ctx->error, sizeof(l->ctx->error), "duckdb loader: "
		    "could not register the table function _ork_feed");
		return ORK_EDB;
	}
	return 0;
}

/*
 * writer_main moves the queued chunks into the table until the queue
 * ends: as one INSERT ... SELECT from _ork_feed (DuckDB's threads share
 * the writing and compressing of the rows), or for merge through the
 * appender into the staging table, in order.  After a failure, or once
 * told to stop, the rest is dropped.
 */
static void *
writer_main(void *arg)
{
	struct dk_load		*l = arg;
	struct dk_writer	*w = &l->w;
	duckdb_data_chunk	 ch;
	int			 r;

	if (l->feed) {
		duckdb_result res;

		if (duckdb_query(l->con, strbuf_str(&l->insert), &res) ==
		    DuckDBError)
			writer_fail(w, "insert the rows",
			    duckdb_result_error(&res));
		duckdb_destroy_result(&res);
		return NULL;
	}
	while ((r = writer_take(w, &ch)) > 0) {
		if (w->rc == 0 && duckdb_append_data_chunk(l->app, ch) ==
		    DuckDBError)
			writer_fail(w, "append the rows",
			    duckdb_appender_error(l->app));
		duckdb_destroy_data_chunk(&ch);
	}
	return NULL;
}

/* writer_failed copies the writer's failure into ctx->error, if any. */
static int
writer_failed(struct dk_load *l)
{
	if (l->w.rc != 0)
		snprintf(l->ctx->error, sizeof(l->ctx->error), "%s",
		    l->w.error);
	return l->w.rc;
}

/*
 * writer_push queues a chunk for the writer (starting it first),
 * waiting while DK_QUEUE_CHUNKS wait.  The writer owns the chunk from
 * now on, also when this fails (with the writer's failure).
 */
static int
writer_push(struct dk_load *l, duckdb_data_chunk ch)
{
	struct dk_writer	*w = &l->w;
	int			 rc;

	if (!w->started) {
		if (pthread_create(&w->thread, NULL, writer_main, l) != 0) {
			duckdb_destroy_data_chunk(&ch);
			snprintf(l->ctx->error, sizeof(l->ctx->error), "duckdb "
			    "loader: could not start the writing thread");
			return ORK_ENOMEM;
		}
		w->started = 1;
	}
	pthread_mutex_lock(&w->mu);
	while (w->n == DK_QUEUE_CHUNKS && w->rc == 0)
		pthread_cond_wait(&w->cv, &w->mu);
	if ((rc = writer_failed(l)) != 0)
		duckdb_destroy_data_chunk(&ch);
	else {
		w->chunk[(w->head + w->n) % DK_QUEUE_CHUNKS] = ch;
		w->n++;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

/*
 * writer_end ends the queue (stop: dropping what waits) and waits for
 * the writer, so that the connection and the appender are free again;
 * a later writer_push starts another.
 */
static void
writer_end(struct dk_load *l, int stop)
{
	struct dk_writer	*w = &l->w;
	duckdb_data_chunk	 ch;

	if (!w->started)
		return;
	pthread_mutex_lock(&w->mu);
	w->end = 1;
	w->stop = stop;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	while (w->n > 0) {
		ch = w->chunk[w->head];
		w->head = (w->head + 1) % DK_QUEUE_CHUNKS;
		w->n--;
		duckdb_destroy_data_chunk(&ch);
	}
	w->started = w->end = w->stop = 0;
}

/* writer_drain writes every queued chunk; returns the writer's failure. */
static int
writer_drain(struct dk_load *l)
{
	writer_end(l, 0);
	return writer_failed(l);
}

/* types_free releases the column types of the appender. */
static void
types_free(struct dk_load *l)
{
	for (size_t i = 0; i < l->ncolumns && l->vector_type != NULL; i++)
		if (l->vector_type[i] != NULL && l->vector_type[i] !=
		    l->varchar)
			duckdb_destroy_logical_type(&l->vector_type[i]);
	free(l->vector_type);
	free(l->target_type);
	l->vector_type = NULL;
	l->target_type = NULL;
	l->ncolumns = 0;
}

static void
dk_close(void *state)
{
	struct dk_load *l = state;

	writer_end(l, 1);
	if (l->w.have_sync) {
		pthread_cond_destroy(&l->w.cv);
		pthread_mutex_destroy(&l->w.mu);
	}
	types_free(l);
	if (l->varchar != NULL)
		duckdb_destroy_logical_type(&l->varchar);
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
	strbuf_free(&l->insert);
	schema_free(&l->types);
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
	strbuf_init(&l->insert, DK_SQL_MAX);
	strbuf_init(&sb, DK_SQL_MAX);
	if (pthread_mutex_init(&l->w.mu, NULL) != 0) {
		rc = ORK_ENOMEM;
		goto fail;
	}
	if (pthread_cond_init(&l->w.cv, NULL) != 0) {
		pthread_mutex_destroy(&l->w.mu);
		rc = ORK_ENOMEM;
		goto fail;
	}
	l->w.have_sync = 1;
	l->chunk_rows = duckdb_vector_size();
	if ((l->varchar = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR)) ==
	    NULL) {
		rc = ORK_ENOMEM;
		goto fail;
	}
	mode = plugin_cfg_string(cfg, "mode");
	l->mode = mode == NULL || strcmp(mode, "append") == 0 ? DK_APPEND :
	    strcmp(mode, "replace") == 0 ? DK_REPLACE : DK_MERGE;
	l->primary_key = cJSON_GetObjectItemCaseSensitive(cfg, "primary_key");
	l->feed = l->mode != DK_MERGE;
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
	/* rows of a bulk load need no order: DuckDB's threads share it */
	if ((rc = feed_register(l)) != 0 ||
	    (rc = dk_query(l, "SET preserve_insertion_order = false", "set "
	    "preserve_insertion_order")) != 0)
		goto fail;
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
 * column_types notes the type of each of the appender's columns and the
 * type its chunk vectors take: the same for the types parsed here
 * (parse_value), text for the others.
 */
static int
column_types(struct dk_load *l, const struct batch *b)
{
	idx_t n = duckdb_appender_column_count(l->app);

	types_free(l);
	if (n != b->ncols) {
		snprintf(l->ctx->error, sizeof(l->ctx->error), "duckdb loader: "
		    "the appender has %llu columns for %zu of the source",
		    (unsigned long long)n, b->ncols);
		return ORK_EDB;
	}
	l->target_type = calloc(b->ncols, sizeof(*l->target_type));
	l->vector_type = calloc(b->ncols, sizeof(*l->vector_type));
	if (l->target_type == NULL || l->vector_type == NULL) {
		free(l->target_type);
		free(l->vector_type);
		l->target_type = NULL;
		l->vector_type = NULL;
		return ORK_ENOMEM;
	}
	l->ncolumns = b->ncols;
	for (size_t i = 0; i < b->ncols; i++) {
		duckdb_logical_type	t = duckdb_appender_column_type(l->app, i);
		duckdb_type		id = duckdb_get_type_id(t);

		duckdb_destroy_logical_type(&t);
		switch (id) {
		case DUCKDB_TYPE_BIGINT:
		case DUCKDB_TYPE_DOUBLE:
		case DUCKDB_TYPE_BOOLEAN:
		case DUCKDB_TYPE_TIMESTAMP_TZ:
			l->target_type[i] = id;
			l->vector_type[i] = duckdb_create_logical_type(id);
			if (l->vector_type[i] == NULL)
				return ORK_ENOMEM;
			break;
		default:
			l->target_type[i] = DUCKDB_TYPE_VARCHAR;
			l->vector_type[i] = l->varchar;
			break;
		}
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
		return column_types(l, b);
	}
	if (duckdb_appender_create(l->con, l->schema[0] != '\0' ?
	    l->schema : NULL, l->table, &l->app) == DuckDBError)
		goto fail;
	for (size_t i = 0; i < b->ncols; i++)
		if (duckdb_appender_add_column(l->app, b->cols[i]) ==
		    DuckDBError)
			goto fail;
	return column_types(l, b);
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
	if (l->feed && (rc = strbuf_printf(&l->insert, "INSERT INTO %s (%s) "
	    "SELECT * FROM _ork_feed()", l->target, strbuf_str(&l->columns)))
	    != 0)
		goto out;
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
	int		rc;

	if ((rc = writer_drain(l)) != 0)
		return rc;
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

/* to_int64 reads what schema_fits takes for an integer. */
static int
to_int64(const char *v, size_t len, int64_t *out)
{
	uint64_t	x = 0, limit = INT64_MAX;
	size_t		i = 0;
	int		neg = 0;

	if (len > 0 && (v[0] == '+' || v[0] == '-')) {
		neg = v[0] == '-';
		i++;
	}
	if (i == len)
		return ORK_EINVAL;
	if (neg)
		limit++;
	for (; i < len; i++) {
		unsigned d = (unsigned)((unsigned char)v[i] - '0');

		if (d > 9 || x > (limit - d) / 10)
			return ORK_EINVAL;
		x = x * 10 + d;
	}
	if (!neg)
		*out = (int64_t)x;
	else if (x == (uint64_t)INT64_MAX + 1)
		*out = INT64_MIN;
	else
		*out = -(int64_t)x;
	return 0;
}

/*
 * to_double reads what schema_fits takes for a double (not too long).
 * [+-]digits[.digits] of at most 15 digits is one exact integer divided
 * by an exact power of ten, which IEEE rounds as strtod would.
 */
static int
to_double(const char *v, size_t len, double *out)
{
	static const double	 p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6,
	    1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
	int64_t			 m = 0;
	size_t			 i = 0, ndigits = 0, frac = 0;
	int			 neg = 0, dot = 0;

	if (len > 0 && (v[0] == '+' || v[0] == '-'))
		neg = v[i++] == '-';
	for (; i < len && ndigits <= 15; i++) {
		if (v[i] >= '0' && v[i] <= '9') {
			m = m * 10 + (v[i] - '0');
			ndigits++;
			frac += dot;
		} else if (v[i] == '.' && !dot)
			dot = 1;
		else
			break;
	}
	if (i == len && ndigits > 0 && ndigits <= 15) {
		*out = (double)m / p10[frac];
		if (neg)
			*out = -*out;
		return 0;
	}
	return schema_parse_double(v, len, out);
}

/*
 * put_column writes rows [from, from + n) of column col of b into vector
 * vec of type t: 0, or ORK_EINVAL when a value does not parse as t.
 */
static int
put_column(duckdb_vector vec, duckdb_type t, const struct batch *b,
    size_t col, size_t from, size_t n)
{
	void		*data = duckdb_vector_get_data(vec);
	uint64_t	*valid = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct batch_cell	*c = &b->cells[(from + i) * b->ncols +
		    col];
		const char		*v = c->len == 0 ? "" : b->bytes + c->off;
		size_t			 len = c->len;
		int64_t			 us;

		if (c->null) {
			if (valid == NULL) {
				duckdb_vector_ensure_validity_writable(vec);
				valid = duckdb_vector_get_validity(vec);
			}
			duckdb_validity_set_row_invalid(valid, i);
			continue;
		}
		switch (t) {
		case DUCKDB_TYPE_BIGINT:
			if (to_int64(v, len, &((int64_t *)data)[i]) != 0)
				return ORK_EINVAL;
			break;
		case DUCKDB_TYPE_DOUBLE:
			if (to_double(v, len, &((double *)data)[i]) != 0)
				return ORK_EINVAL;
			break;
		case DUCKDB_TYPE_BOOLEAN:
			if (len == 4 && strncasecmp(v, "true", 4) == 0)
				((bool *)data)[i] = true;
			else if (len == 5 && strncasecmp(v, "false", 5) == 0)
				((bool *)data)[i] = false;
			else
				return ORK_EINVAL;
			break;
		case DUCKDB_TYPE_TIMESTAMP_TZ:
			if (schema_parse_timestamp(v, len, &us) != 0)
				return ORK_EINVAL;
			((duckdb_timestamp *)data)[i].micros = us;
			break;
		default:
			duckdb_vector_assign_string_element_len(vec, i, v, len);
			break;
		}
	}
	return 0;
}

/*
 * make_chunk converts rows [from, from + n) of b into a data chunk.  A
 * column with a value that does not parse as its type goes as text in
 * this chunk (DuckDB casts it or names the value it cannot).
 */
static int
make_chunk(struct dk_load *l, const struct batch *b, size_t from, size_t n,
    duckdb_data_chunk *out, int *as_text)
{
	duckdb_logical_type	*types = l->vector_type;
	duckdb_data_chunk	 ch;
	size_t			 col;

	for (;;) {
		ch = duckdb_create_data_chunk(types, b->ncols);
		if (ch == NULL)
			return ORK_ENOMEM;
		for (col = 0; col < b->ncols; col++) {
			duckdb_type t = types[col] == l->varchar ?
			    DUCKDB_TYPE_VARCHAR : l->target_type[col];

			if (put_column(duckdb_data_chunk_get_vector(ch, col), t,
			    b, col, from, n) != 0)
				break;
		}
		if (col == b->ncols)
			break;
		/* rare: this chunk again, with that column as text */
		duckdb_destroy_data_chunk(&ch);
		if (types == l->vector_type) {
			types = calloc(b->ncols, sizeof(*types));
			if (types == NULL)
				return ORK_ENOMEM;
			memcpy(types, l->vector_type, b->ncols *
			    sizeof(*types));
		}
		types[col] = l->varchar;
	}
	*as_text = types != l->vector_type;
	if (types != l->vector_type)
		free(types);
	duckdb_data_chunk_set_size(ch, n);
	*out = ch;
	return 0;
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
	for (size_t from = 0; from < b->nrows; from += l->chunk_rows) {
		duckdb_data_chunk	ch;
		size_t			n = b->nrows - from < l->chunk_rows ?
		    b->nrows - from : l->chunk_rows;
		int			as_text;

		if ((rc = make_chunk(l, b, from, n, &ch, &as_text)) != 0)
			return rc;
		if (!as_text || !l->feed) {
			if ((rc = writer_push(l, ch)) != 0)
				return rc;
			continue;
		}
		/* _ork_feed's types do not fit: the appender casts this one */
		rc = writer_drain(l);
		if (rc == 0 && duckdb_append_data_chunk(l->app, ch) ==
		    DuckDBError) {
			snprintf(l->ctx->error, sizeof(l->ctx->error), "duckdb "
			    "loader: could not append the rows: %s",
			    duckdb_appender_error(l->app));
			rc = ORK_EDB;
		}
		duckdb_destroy_data_chunk(&ch);
		if (rc != 0)
			return rc;
	}
	return 0;
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
	if ((rc = writer_drain(l)) != 0)
		goto out;
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
