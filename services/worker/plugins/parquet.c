/*
 * parquet.c - the parquet extractor: DuckDB's parquet reader on an
 * in-memory database, every column cast to text, streamed chunk by chunk
 * (DuckDB hands out 2,048 rows at a time; a result is never materialised).
 *
 * Config (common/taskcfg.c): path, a local file or a glob
 * ("data/part-*.parquet").  The path is bound as a parameter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <duckdb.h>

#include "err.h"
#include "../plugin.h"

struct pq_src {
	duckdb_database			 db;
	duckdb_connection		 con;
	duckdb_prepared_statement	 st;
	duckdb_result			 res;
	int				 have_db, have_con, have_res;
	int				 columns_set;
	int				 done;
};

static int
pq_validate(struct task_ctx *ctx, const cJSON *cfg)
{
	const char *p = plugin_cfg_string(cfg, "path");

	if (p == NULL || p[0] == '\0' || strlen(p) > 4096) {
		snprintf(ctx->error, sizeof(ctx->error), "extractor_config.path: "
		    "a file path or glob of at most 4096 bytes is needed");
		return ORK_EINVAL;
	}
	return 0;
}

static void
pq_close(void *state)
{
	struct pq_src *s = state;

	if (s->have_res)
		duckdb_destroy_result(&s->res);
	if (s->st != NULL)
		duckdb_destroy_prepare(&s->st);
	if (s->have_con)
		duckdb_disconnect(&s->con);
	if (s->have_db)
		duckdb_close(&s->db);
	free(s);
}

static int
pq_open(struct task_ctx *ctx, const cJSON *cfg, const char *mark,
    void **state)
{
	struct pq_src	*s;
	const char	*path = plugin_cfg_string(cfg, "path");

	(void)mark;		/* the executor filters the rows */

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ORK_ENOMEM;
	if (duckdb_open(NULL, &s->db) == DuckDBError) {
		snprintf(ctx->error, sizeof(ctx->error), "parquet extractor: "
		    "could not start DuckDB");
		goto fail;
	}
	s->have_db = 1;
	if (duckdb_connect(s->db, &s->con) == DuckDBError) {
		snprintf(ctx->error, sizeof(ctx->error), "parquet extractor: "
		    "could not connect to DuckDB");
		goto fail;
	}
	s->have_con = 1;
	if (duckdb_prepare(s->con, "SELECT COLUMNS(*)::VARCHAR FROM "
	    "read_parquet(?)", &s->st) == DuckDBError ||
	    duckdb_bind_varchar(s->st, 1, path) == DuckDBError) {
		snprintf(ctx->error, sizeof(ctx->error), "extractor_config.path: "
		    "could not read \"%.200s\": %s", path,
		    duckdb_prepare_error(s->st) != NULL ?
		    duckdb_prepare_error(s->st) : "could not bind the path");
		goto fail;
	}
	s->have_res = 1;
	if (duckdb_execute_prepared_streaming(s->st, &s->res) == DuckDBError) {
		snprintf(ctx->error, sizeof(ctx->error), "extractor_config.path: "
		    "could not read \"%.200s\": %s", path,
		    duckdb_result_error(&s->res));
		goto fail;
	}
	*state = s;
	return 0;
fail:
	pq_close(s);
	return ORK_EINVAL;
}

static int
set_columns(struct pq_src *s, struct task_ctx *ctx, struct batch *b)
{
	const char	*names[PLUGIN_COLUMNS_MAX];
	idx_t		 n = duckdb_column_count(&s->res);
	char		 err[200];
	int		 rc;

	if (n > PLUGIN_COLUMNS_MAX)
		n = PLUGIN_COLUMNS_MAX + 1;	/* batch_set_columns refuses */
	for (idx_t i = 0; i < n && i < PLUGIN_COLUMNS_MAX; i++)
		names[i] = duckdb_column_name(&s->res, i);
	rc = batch_set_columns(b, names, NULL, (size_t)n, err, sizeof(err));
	if (rc == ORK_EINVAL)
		snprintf(ctx->error, sizeof(ctx->error), "the parquet file's "
		    "columns: %s", err);
	return rc;
}

static int
pq_next_batch(void *state, struct task_ctx *ctx, struct batch *b)
{
	struct pq_src	*s = state;
	int		 rc;

	if (!s->columns_set) {
		if ((rc = set_columns(s, ctx, b)) != 0)
			return rc;
		s->columns_set = 1;
	}
	while (!s->done && !batch_full(b)) {
		duckdb_data_chunk	chunk = duckdb_fetch_chunk(s->res);
		idx_t			rows;

		if (chunk == NULL) {
			if (duckdb_result_error(&s->res) != NULL) {
				snprintf(ctx->error, sizeof(ctx->error),
				    "parquet extractor: %s",
				    duckdb_result_error(&s->res));
				return ORK_EIO;
			}
			s->done = 1;
			break;
		}
		rows = duckdb_data_chunk_get_size(chunk);
		for (idx_t r = 0; r < rows; r++) {
			for (size_t c = 0; c < b->ncols; c++) {
				duckdb_vector	 v =
				    duckdb_data_chunk_get_vector(chunk, c);
				duckdb_string_t	*d = duckdb_vector_get_data(v);
				uint64_t	*valid =
				    duckdb_vector_get_validity(v);

				if (valid != NULL &&
				    !duckdb_validity_row_is_valid(valid, r))
					rc = batch_add_value(b, NULL, 0);
				else
					rc = batch_add_value(b,
					    duckdb_string_t_data(&d[r]),
					    duckdb_string_t_length(d[r]));
				if (rc != 0) {
					duckdb_destroy_data_chunk(&chunk);
					return rc;
				}
			}
			if ((rc = batch_end_row(b)) != 0) {
				duckdb_destroy_data_chunk(&chunk);
				return rc;
			}
		}
		duckdb_destroy_data_chunk(&chunk);
	}
	return s->done ? 0 : 1;
}

static void
pq_cancel(void *state)
{
	struct pq_src *s = state;

	if (s->have_con)
		duckdb_interrupt(s->con);
}

static const char *
pq_local_file(const cJSON *cfg, const char **path)
{
	*path = plugin_cfg_string(cfg, "path");
	return *path != NULL ? "parquet" : NULL;
}

const struct extractor_plugin plugin_parquet = {
	.type = "parquet",
	.validate = pq_validate,
	.open = pq_open,
	.next_batch = pq_next_batch,
	.cancel = pq_cancel,
	.close = pq_close,
	.local_file = pq_local_file,
};
