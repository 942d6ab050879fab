/*
 * exec_load.c - the data tasks (kinds csv, parquet, http): an extractor
 * plugin streams batches into a loader plugin (plugin.h).
 *
 * When the extractor reads a local file in a format the loader's database
 * reads itself (parquet into DuckDB), the loader loads the file directly
 * inside the same transaction and no batch is made.
 *
 * The loader opens first: when its ledger says this task run already
 * loaded (an earlier attempt committed, then its worker died before the
 * report arrived), the task succeeds with the recorded rows and reads
 * nothing.  A small thread watches ctx->cancel while a plugin call
 * blocks and asks both plugins to stop; every stop leaves the loader's
 * transaction rolled back.
 *
 * Incremental loads (extractor_config.cursor_field): the loader reads
 * the cursor's committed mark from the destination (or the extractor's
 * initial_value stands for it), the extractor gets it (http sends it as
 * cursor_param), and the executor keeps only rows whose cursor is at or
 * above the mark (>=: rows at the mark come again and are merged on the
 * primary key) and tracks the highest cursor it loads, which the loader
 * commits with the rows and the ledger row.  A row without a cursor
 * value is loaded only while there is no mark yet.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "plugin.h"
#include "util.h"

/* The registries: one line per plugin. */
static const struct extractor_plugin *const extractors[] = {
	&plugin_csv,
	&plugin_parquet,
	&plugin_http,
	&plugin_api,
};

static const struct loader_plugin *const loaders[] = {
	&plugin_postgres,
	&plugin_duckdb,
};

/* The cursor of an incremental load. */
struct cursor {
	const char	*field;		/* NULL: not incremental */
	char		 key[96];	/* job_id/task_order */
	const char	*from;		/* the old mark, NULL: none */
	char		 from_buf[TASK_CURSOR_MAX + 1];
	long		 col;		/* in the batch, -1: not found yet */
	char		 max[TASK_CURSOR_MAX + 1];	/* "" until a row */
	int64_t		 dropped;	/* rows below the mark or without */
	unsigned char	*keep;		/* per row of a batch */
	size_t		 keep_cap;
};

struct watch {
	struct task_ctx			*ctx;
	const struct extractor_plugin	*ex;
	void				*es;
	const struct loader_plugin	*lo;
	void				*ls;
	pthread_mutex_t			 mu;
	int				 done;
};

static const struct extractor_plugin *
find_extractor(const char *type)
{
	if (type == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(extractors) / sizeof(extractors[0]); i++)
		if (strcmp(extractors[i]->type, type) == 0)
			return extractors[i];
	return NULL;
}

static const struct loader_plugin *
find_loader(const char *type)
{
	if (type == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(loaders) / sizeof(loaders[0]); i++)
		if (strcmp(loaders[i]->type, type) == 0)
			return loaders[i];
	return NULL;
}

/* mask replaces every resolved secret value in s (a C string) by ***. */
static void
mask(const struct task_ctx *ctx, char *s)
{
	for (int i = 0; i < ctx->nsecrets; i++) {
		const char	*sec = ctx->secrets[i];
		size_t		 sl = strlen(sec);
		char		*at;

		char		*from = s;

		if (sl == 0)
			continue;
		/* search on after each mask: a secret like "*" must end */
		while ((at = strstr(from, sec)) != NULL) {
			size_t keep = sl < 3 ? sl : 3;

			memcpy(at, "***", keep);
			if (sl > 3)
				memmove(at + 3, at + sl, strlen(at + sl) + 1);
			from = at + keep;
		}
	}
}

/* plugin_logf ships a "system" line of the task's log, secrets masked. */
void
plugin_logf(struct task_ctx *ctx, const char *fmt, ...)
{
	char	line[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	mask(ctx, line);
	ctx->log(ctx, "system", line, strlen(line));
}

static void *
watch_main(void *arg)
{
	struct watch	*w = arg;
	int		 told = 0;

	for (;;) {
		struct timespec ts = { 0, 50 * 1000000L };

		pthread_mutex_lock(&w->mu);
		if (w->done) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		if (!told && plugin_stopped(w->ctx)) {
			told = 1;
			if (w->ex->cancel != NULL && w->es != NULL)
				w->ex->cancel(w->es);
			if (w->lo->cancel != NULL && w->ls != NULL)
				w->lo->cancel(w->ls);
		}
		pthread_mutex_unlock(&w->mu);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* cursor_start sets up the cursor of an incremental load, if any. */
static void
cursor_start(struct cursor *c, struct task_ctx *ctx)
{
	const cJSON *init = cJSON_GetObjectItemCaseSensitive(ctx->extractor,
	    "initial_value");

	memset(c, 0, sizeof(*c));
	c->col = -1;
	c->field = plugin_cfg_string(ctx->extractor, "cursor_field");
	if (c->field == NULL)
		return;
	snprintf(c->key, sizeof(c->key), "%s/%u", ctx->job_id,
	    ctx->task_order);
	if (cJSON_IsString(init) && init->valuestring[0] != '\0') {
		snprintf(c->from_buf, sizeof(c->from_buf), "%s",
		    init->valuestring);
		c->from = c->from_buf;
	} else if (cJSON_IsNumber(init)) {
		double d = init->valuedouble;

		/* the range first: a cast of a larger double is undefined */
		if (fabs(d) < 9007199254740992.0 && d == (double)(long long)d)
			snprintf(c->from_buf, sizeof(c->from_buf), "%lld",
			    (long long)d);
		else
			snprintf(c->from_buf, sizeof(c->from_buf), "%.17g", d);
		c->from = c->from_buf;
	}
}

/*
 * cursor_filter drops the rows of b below the mark (and, once there is
 * a mark, those without a cursor value) and raises the highest cursor.
 */
static int
cursor_filter(struct cursor *c, struct task_ctx *ctx, struct batch *b)
{
	size_t	from_len = c->from != NULL ? strlen(c->from) : 0;
	size_t	max_len = strlen(c->max);
	size_t	kept = 0;

	if (c->col < 0) {
		for (size_t i = 0; i < b->ncols; i++)
			if (strcmp(b->cols[i], c->field) == 0)
				c->col = (long)i;
		if (c->col < 0) {
			snprintf(ctx->error, sizeof(ctx->error), "extractor_config."
			    "cursor_field: the source has no column \"%.64s\"",
			    c->field);
			return ORK_EINVAL;
		}
	}
	if (b->nrows > c->keep_cap) {
		unsigned char *k = realloc(c->keep, b->nrows);

		if (k == NULL)
			return ORK_ENOMEM;
		c->keep = k;
		c->keep_cap = b->nrows;
	}
	for (size_t row = 0; row < b->nrows; row++) {
		size_t		 len;
		const char	*v = batch_value(b, row, (size_t)c->col, &len);

		if (v == NULL || len == 0) {
			c->keep[row] = c->from == NULL;
		} else if (c->from != NULL &&
		    plugin_cursor_cmp(v, len, c->from, from_len) < 0) {
			c->keep[row] = 0;
		} else {
			c->keep[row] = 1;
			if (len > TASK_CURSOR_MAX) {
				snprintf(ctx->error, sizeof(ctx->error),
				    "extractor_config.cursor_field: a value of "
				    "column \"%.64s\" is longer than %d bytes",
				    c->field, TASK_CURSOR_MAX);
				return ORK_ETOOBIG;
			}
			if (max_len == 0 ||
			    plugin_cursor_cmp(v, len, c->max, max_len) > 0) {
				memcpy(c->max, v, len);
				c->max[len] = '\0';
				max_len = len;
			}
		}
		kept += c->keep[row];
	}
	c->dropped += (int64_t)(b->nrows - kept);
	if (kept < b->nrows)
		batch_keep_rows(b, c->keep);
	return 0;
}

static int
load_run(struct task_ctx *ctx)
{
	const struct extractor_plugin	*ex;
	const struct loader_plugin	*lo;
	struct watch			 w;
	struct batch			 b;
	struct cursor			 cur;
	struct ledger			 led;
	pthread_t			 th;
	void				*es = NULL, *ls = NULL;
	int64_t				 recorded = -1, rows = 0, t0;
	int				 rc, more, watching = 0, wrote = 0;

	batch_init(&b);
	cursor_start(&cur, ctx);
	memset(&led, 0, sizeof(led));
	t0 = util_mono_ms();
	ex = find_extractor(plugin_cfg_string(ctx->extractor, "type"));
	lo = find_loader(plugin_cfg_string(ctx->loader, "type"));
	if (ex == NULL || lo == NULL) {
		snprintf(ctx->error, sizeof(ctx->error), "%s.type: this worker "
		    "has no such %s", ex == NULL ? "extractor_config" :
		    "loader_config", ex == NULL ? "extractor" : "loader");
		rc = ORK_EINVAL;
		goto out;
	}
	if ((rc = ex->validate(ctx, ctx->extractor)) != 0 ||
	    (rc = lo->validate(ctx, ctx->loader)) != 0)
		goto out;
	if ((rc = lo->open(ctx, ctx->loader, cur.field != NULL ? cur.key :
	    NULL, &ls, &led)) != 0)
		goto out;
	recorded = led.recorded;
	if (recorded >= 0) {
		ctx->rows_moved = recorded;
		snprintf(ctx->cursor_mark, sizeof(ctx->cursor_mark), "%s",
		    led.recorded_mark);
		plugin_logf(ctx, "the %s destination's ledger says this task run "
		    "already loaded %lld rows: nothing loaded again", lo->type,
		    (long long)recorded);
		goto out;
	}
	w = (struct watch){ ctx, ex, NULL, lo, ls, PTHREAD_MUTEX_INITIALIZER,
	    0 };
	if (pthread_create(&th, NULL, watch_main, &w) == 0)
		watching = 1;
	if (cur.field != NULL) {
		if (led.mark[0] != '\0') {
			snprintf(cur.from_buf, sizeof(cur.from_buf), "%s",
			    led.mark);
			cur.from = cur.from_buf;
		}
		if (cur.from != NULL)
			plugin_logf(ctx, "incremental load: rows where %s >= "
			    "%.200s (%s)", cur.field, cur.from, led.mark[0] !=
			    '\0' ? "the committed mark" : "initial_value");
		else
			plugin_logf(ctx, "incremental load: no mark yet, every "
			    "row of the source");
	}
	/* a local file the destination reads itself: no batches at all */
	if (cur.field == NULL && ex->local_file != NULL &&
	    lo->load_file != NULL) {
		const char	*path;
		const char	*format = ex->local_file(ctx->extractor, &path);

		if (format != NULL) {
			rc = lo->load_file(ls, ctx, format, path, &rows);
			if (rc < 0)
				goto out;
			if (rc == 0)
				goto commit;
		}
	}
	if ((rc = ex->open(ctx, ctx->extractor, cur.from, &es)) != 0)
		goto out;
	pthread_mutex_lock(&w.mu);
	w.es = es;
	pthread_mutex_unlock(&w.mu);
	do {
		if (plugin_stopped(ctx)) {
			rc = ORK_ECANCELED;
			goto out;
		}
		batch_clear(&b);
		more = ex->next_batch(es, ctx, &b);
		if (more < 0) {
			rc = more;
			goto out;
		}
		if (cur.field != NULL && b.ncols > 0 &&
		    (rc = cursor_filter(&cur, ctx, &b)) != 0)
			goto out;
		if (b.ncols > 0 && (b.nrows > 0 || !wrote)) {
			if ((rc = lo->write_batch(ls, ctx, &b)) != 0)
				goto out;
			wrote = 1;
			rows += (int64_t)b.nrows;
		}
	} while (more == 1);
commit:
	if (plugin_stopped(ctx)) {
		rc = ORK_ECANCELED;
		goto out;
	}
	{
		const char *mark = cur.max[0] != '\0' ? cur.max : cur.from;

		if ((rc = lo->commit(ls, ctx, rows, mark)) != 0)
			goto out;
		if (mark != NULL)
			snprintf(ctx->cursor_mark, sizeof(ctx->cursor_mark), "%s",
			    mark);
		if (cur.field != NULL)
			plugin_logf(ctx, "incremental load: %lld rows left out "
			    "below the mark or without a cursor; the mark is "
			    "now %.200s", (long long)cur.dropped, mark != NULL ?
			    mark : "(none)");
	}
	ctx->rows_moved = rows;
	plugin_logf(ctx, "loaded %lld rows from %s into %s in %lld ms",
	    (long long)rows, ex->type, lo->type,
	    (long long)(util_mono_ms() - t0));
out:
	if (watching) {
		pthread_mutex_lock(&w.mu);
		w.done = 1;
		pthread_mutex_unlock(&w.mu);
		pthread_join(th, NULL);
		pthread_mutex_destroy(&w.mu);
	}
	if (es != NULL)
		ex->close(es);
	if (ls != NULL)
		lo->close(ls);
	batch_free(&b);
	free(cur.keep);
	if (rc != 0 && plugin_stopped(ctx))
		rc = ORK_ECANCELED;
	if (rc != 0 && rc != ORK_ECANCELED && ctx->error[0] == '\0')
		snprintf(ctx->error, sizeof(ctx->error), "the load failed: %s",
		    err_str(rc));
	mask(ctx, ctx->error);
	if (rc != 0 && rc != ORK_ECANCELED)
		plugin_logf(ctx, "%s", ctx->error);
	return rc;
}

const struct executor executor_csv = {
	.kind = "csv",
	.run = load_run,
	.run_inline = 0,
};

const struct executor executor_http = {
	.kind = "http",
	.run = load_run,
	.run_inline = 0,
};

const struct executor executor_parquet = {
	.kind = "parquet",
	.run = load_run,
	.run_inline = 0,
};
