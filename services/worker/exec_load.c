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
 */
#include <pthread.h>
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

static int
load_run(struct task_ctx *ctx)
{
	const struct extractor_plugin	*ex;
	const struct loader_plugin	*lo;
	struct watch			 w;
	struct batch			 b;
	pthread_t			 th;
	void				*es = NULL, *ls = NULL;
	int64_t				 recorded = -1, rows = 0, t0;
	int				 rc, more, watching = 0, wrote = 0;

	batch_init(&b);
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
	if ((rc = lo->open(ctx, ctx->loader, &ls, &recorded)) != 0)
		goto out;
	if (recorded >= 0) {
		ctx->rows_moved = recorded;
		plugin_logf(ctx, "the %s destination's ledger says this task run "
		    "already loaded %lld rows: nothing loaded again", lo->type,
		    (long long)recorded);
		goto out;
	}
	w = (struct watch){ ctx, ex, NULL, lo, ls, PTHREAD_MUTEX_INITIALIZER,
	    0 };
	if (pthread_create(&th, NULL, watch_main, &w) == 0)
		watching = 1;
	/* a local file the destination reads itself: no batches at all */
	if (ex->local_file != NULL && lo->load_file != NULL) {
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
	if ((rc = ex->open(ctx, ctx->extractor, &es)) != 0)
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
	if ((rc = lo->commit(ls, ctx, rows)) != 0)
		goto out;
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
