/*
 * plugin.h - data plugins: extractors that read records from a source
 * and loaders that write them into a destination, in batches.
 *
 * A data task (kinds csv, parquet, http) is run by one executor
 * (exec_load.c) that validates both configurations, opens the loader
 * first (it may find in its ledger that this task run already loaded,
 * and then nothing is read), opens the extractor, moves batches from
 * next_batch to write_batch until the extractor is done, commits the
 * loader and closes both.  Memory stays bounded: one batch holds at most
 * PLUGIN_BATCH_ROWS rows and about PLUGIN_BATCH_BYTES bytes of values.
 *
 * Adding a plugin: one file in plugins/ defining a `const struct
 * extractor_plugin` or `const struct loader_plugin`, and one line in the
 * registry of exec_load.c (its configuration fields are a table in
 * common/taskcfg.c, which the api and the worker both check).
 *
 * Errors: every function returns 0 or a negative ORK_E* code with a
 * message for people in ctx->error, naming the field or the line at
 * fault.  Plugins never put a resolved secret into ctx->error or the log;
 * the executor masks them again before anything leaves the worker.
 */
#ifndef ORK_PLUGIN_H
#define ORK_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "executor.h"

#define PLUGIN_BATCH_ROWS	4096
#define PLUGIN_BATCH_BYTES	(8u * 1024 * 1024)
#define PLUGIN_COLUMNS_MAX	4096
#define PLUGIN_COLUMN_NAME_MAX	63	/* bytes, as PostgreSQL keeps */

/*
 * A batch: the column names, then rows of text values, each value NULL
 * or a byte string (not NUL-terminated, may be empty).  Values are kept
 * as offsets into one byte buffer so that it can grow.
 */
struct batch_cell {
	size_t	off;
	size_t	len;
	int	null;
};

struct batch {
	size_t			 ncols;
	char			**cols;		/* owned; set once per task */
	size_t			 nrows;
	struct batch_cell	*cells;		/* nrows * ncols, row-major */
	size_t			 cells_cap;
	char			*bytes;
	size_t			 nbytes, bytes_cap;
	size_t			 row_cells;	/* values of the row being added */
};

/* batch_init prepares an empty batch without columns. */
void	batch_init(struct batch *b);

/* batch_free releases everything; the batch is empty again. */
void	batch_free(struct batch *b);

/*
 * batch_set_columns copies n names; fails with ORK_EINVAL and a message
 * in err (naming the column) when a name is empty, longer than
 * PLUGIN_COLUMN_NAME_MAX, not UTF-8, holds a NUL or appears twice.
 */
int	batch_set_columns(struct batch *b, const char *const *names,
	    const size_t *lens, size_t n, char *err, size_t errlen);

/* batch_clear drops the rows, keeping columns and memory. */
void	batch_clear(struct batch *b);

/*
 * batch_add_value appends the next value of the row being added (p NULL:
 * a NULL value); batch_end_row closes the row, which must have exactly
 * ncols values (ORK_EINVAL otherwise, and the row is dropped).
 */
int	batch_add_value(struct batch *b, const char *p, size_t len);
int	batch_end_row(struct batch *b);

/* batch_drop_row forgets the values of a row not yet ended. */
void	batch_drop_row(struct batch *b);

/* batch_full says whether the batch reached its row or byte bound. */
int	batch_full(const struct batch *b);

/* batch_value returns value (row, col) and its length, NULL for NULL. */
const char *batch_value(const struct batch *b, size_t row, size_t col,
	    size_t *len);

/*
 * batch_keep_rows keeps the rows whose keep[] is set, in order (their
 * bytes stay where they are until batch_clear).
 */
void	batch_keep_rows(struct batch *b, const unsigned char *keep);

/*
 * Column types (schema.c), in the order of taskcfg_column_types.  A
 * schema is planned for a table the loader creates; a table that exists
 * keeps its own types and is not checked here.
 */
enum schema_type {
	SCHEMA_TEXT,
	SCHEMA_INTEGER,		/* 64 bits */
	SCHEMA_DOUBLE,
	SCHEMA_BOOLEAN,
	SCHEMA_TIMESTAMP	/* with time zone */
};

struct schema {
	size_t			 n;
	enum schema_type	*type;		/* per column */
	unsigned char		*declared;	/* from loader_config.columns */
	int			 widen;		/* on_type_mismatch "widen" */
};

/*
 * schema_plan types the columns of b: those named in cfg's "columns"
 * as declared, the others as the narrowest type all values of b fit
 * (text when none is given).  ORK_EINVAL with ctx->error naming the
 * field when "columns" names a column the source lacks; ORK_ENOMEM.
 */
int	schema_plan(struct schema *s, struct task_ctx *ctx, const cJSON *cfg,
	    const struct batch *b);

/* schema_free releases a schema; a zeroed one is accepted. */
void	schema_free(struct schema *s);

/* schema_fits says whether a value (NULL fits) loads into a type. */
int	schema_fits(enum schema_type type, const char *v, size_t len);

/*
 * schema_parse_double reads a number (digits, one dot, an exponent; at
 * most 63 bytes): 0 when it is finite, else ORK_EINVAL.
 */
int	schema_parse_double(const char *v, size_t len, double *out);

/* schema_widened is the type an inferred column widens to for v. */
enum schema_type schema_widened(enum schema_type type, const char *v,
	    size_t len);

/*
 * schema_parse_timestamp reads an ISO 8601 date or timestamp (a zone
 * optional: none is UTC) into microseconds since 1970 UTC; ORK_EINVAL
 * when v is not one.
 */
int	schema_parse_timestamp(const char *v, size_t len, int64_t *us);

/* schema_type_name is the type's name in loader_config.columns. */
const char *schema_type_name(enum schema_type type);

/*
 * schema_misfit finds the first value of b, from row `from` on, that
 * does not fit its column's type: 1 with *row and *col set, or 0.
 */
int	schema_misfit(const struct schema *s, const struct batch *b,
	    size_t from, size_t *row, size_t *col);

/*
 * schema_mismatch writes the error for a value that does not fit (the
 * column, its type, the row counted from the load's first, the value)
 * and returns ORK_EINVAL.
 */
int	schema_mismatch(const struct schema *s, struct task_ctx *ctx,
	    const struct batch *b, size_t row, size_t col,
	    int64_t rows_before);

/*
 * schema_check checks a batch against the types of a table the load
 * created: while a value does not fit its column, the column is widened
 * (logged; widen(arg, b, col, to) changes the table) when it was inferred
 * and on_type_mismatch is "widen", or the load fails with the column and
 * value named.  rows_before: rows the load wrote before this batch.
 */
int	schema_check(struct schema *s, struct task_ctx *ctx,
	    const struct batch *b, int64_t rows_before,
	    int (*widen)(void *arg, const struct batch *b, size_t col,
	    enum schema_type to), void *arg);

/*
 * plugin_cursor_cmp orders two cursor values (<0, 0, >0): as integers
 * when both are integers, as numbers when both are numbers, as instants
 * when both are ISO 8601 dates or timestamps (no zone: UTC), else byte
 * by byte.
 */
int	plugin_cursor_cmp(const char *a, size_t alen, const char *b,
	    size_t blen);

/*
 * What a loader's open finds in the destination: the ledger row of this
 * task run (an earlier attempt committed) and, for an incremental load,
 * the cursor's committed mark.  "" for a mark means none.
 */
struct ledger {
	int64_t	recorded;	/* rows the earlier attempt loaded, -1: none */
	char	recorded_mark[TASK_CURSOR_MAX + 1];
	char	mark[TASK_CURSOR_MAX + 1];
};

struct extractor_plugin {
	const char	*type;		/* extractor_config.type */
	/* validate checks what the plugin relies on beyond taskcfg's table */
	int		(*validate)(struct task_ctx *ctx, const cJSON *cfg);
	/*
	 * open starts reading; mark (NULL: none) is the cursor's mark of an
	 * incremental load: rows below it may be left out (the executor
	 * filters them in any case)
	 */
	int		(*open)(struct task_ctx *ctx, const cJSON *cfg,
			    const char *mark, void **state);
	/*
	 * next_batch fills b (cleared by the caller; columns set by the
	 * plugin before the first row) and returns 1 while more may follow
	 * or 0 when the source is done (b may still hold rows).
	 */
	int		(*next_batch)(void *state, struct task_ctx *ctx,
			    struct batch *b);
	/* cancel may be called from another thread while a call blocks */
	void		(*cancel)(void *state);
	void		(*close)(void *state);
	/*
	 * local_file (may be NULL) names the format ("parquet") and sets
	 * *path when the source is a local file a loader may read itself;
	 * NULL otherwise.  Only for formats whose reading the loader's
	 * database does exactly as the plugin would.
	 */
	const char	*(*local_file)(const cJSON *cfg, const char **path);
};

struct loader_plugin {
	const char	*type;		/* loader_config.type */
	int		(*validate)(struct task_ctx *ctx, const cJSON *cfg);
	/*
	 * open starts the load's transaction and looks up the task run in
	 * the destination's ledger (led->recorded: the rows an earlier
	 * attempt loaded and committed, or -1 when none did).  With a
	 * cursor_key ("job_id/task_order") it also reads, and holds until
	 * the commit, the cursor's mark of generation ctx->cursor_epoch.
	 */
	int		(*open)(struct task_ctx *ctx, const cJSON *cfg,
			    const char *cursor_key, void **state,
			    struct ledger *led);
	int		(*write_batch)(void *state, struct task_ctx *ctx,
			    const struct batch *b);
	/*
	 * commit makes all rows, the ledger row and the cursor's new mark
	 * (NULL: none) visible at once
	 */
	int		(*commit)(void *state, struct task_ctx *ctx,
			    int64_t rows, const char *mark);
	void		(*cancel)(void *state);
	/* close rolls back whatever was not committed */
	void		(*close)(void *state);
	/*
	 * load_file (may be NULL) loads a local file of the given format
	 * into the open transaction and sets *rows: 0 when it did, 1 when
	 * it cannot (the executor streams batches instead), or an error.
	 */
	int		(*load_file)(void *state, struct task_ctx *ctx,
			    const char *format, const char *path,
			    int64_t *rows);
};

/* The plugins. */
extern const struct extractor_plugin plugin_csv;
extern const struct extractor_plugin plugin_parquet;
extern const struct extractor_plugin plugin_http;
extern const struct extractor_plugin plugin_api;
extern const struct loader_plugin plugin_postgres;
extern const struct loader_plugin plugin_duckdb;

/*
 * plugin_quote_ident writes "name" with inner quotes doubled into out;
 * ORK_EINVAL for an empty name, a NUL or one that does not fit.  For
 * DuckDB, which has no PQescapeIdentifier.
 */
int	plugin_quote_ident(const char *name, size_t len, char *out,
	    size_t outlen);

/*
 * plugin_split_table splits "t" or "s.t" into schema (empty when none)
 * and table, each checked with taskcfg_is_identifier; ORK_EINVAL with a
 * message in ctx->error naming field otherwise.
 */
int	plugin_split_table(struct task_ctx *ctx, const char *field,
	    const char *value, char schema[PLUGIN_COLUMN_NAME_MAX + 1],
	    char table[PLUGIN_COLUMN_NAME_MAX + 1]);

/* plugin_cfg_string returns member name of cfg if it is a string. */
const char *plugin_cfg_string(const cJSON *cfg, const char *name);

/* plugin_array returns v when it is an array, NULL otherwise. */
const cJSON *plugin_array(const cJSON *v);

/* plugin_utf8_valid says whether n bytes are UTF-8 without a NUL. */
int	plugin_utf8_valid(const char *s, size_t n);

/* plugin_logf ships a "system" line of the task's log, secrets masked. */
void	plugin_logf(struct task_ctx *ctx, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* plugin_stopped says whether the task was asked to stop. */
int	plugin_stopped(const struct task_ctx *ctx);

#endif /* ORK_PLUGIN_H */
