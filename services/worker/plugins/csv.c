/*
 * csv.c - the csv extractor: a local file, plain or gzip (zlib reads
 * both), parsed by common/csv.c into batches of text values.
 *
 * Config (common/taskcfg.c): path, delimiter, quote, escape, header
 * (default true), columns (names; with a header they replace its names,
 * without one they are required), on_error "fail" (default: the task
 * fails naming the line) or "skip" (bad rows are counted and logged).
 * A bad row is one the reader refuses (quotes, limits), one whose number
 * of fields differs from the number of columns, or one that is not
 * UTF-8.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "csv.h"
#include "err.h"
#include "../plugin.h"

#define CSV_GZ_BUFFER (256 * 1024)

struct csv_src {
	gzFile		 gz;
	struct csv	*reader;
	int		 skip_bad;
	int		 header;
	const cJSON	*columns;
	int		 columns_set;
	uint64_t	 skipped;
	char		 first_bad[256];
	char		 path[4096];
};

static int
gz_read(void *arg, char *buf, size_t len, size_t *got)
{
	struct csv_src	*s = arg;
	int		 n;

	if (len > (1u << 30))
		len = 1u << 30;
	n = gzread(s->gz, buf, (unsigned)len);
	if (n < 0) {
		*got = 0;
		return ORK_EIO;
	}
	*got = (size_t)n;
	return 0;
}

/* one_char reads an optional one-character option. */
static char
one_char(const cJSON *cfg, const char *name, char dflt)
{
	const char *v = plugin_cfg_string(cfg, name);

	return v != NULL && v[0] != '\0' ? v[0] : dflt;
}

static int
csv_validate(struct task_ctx *ctx, const cJSON *cfg)
{
	const cJSON	*header = cJSON_GetObjectItemCaseSensitive(cfg, "header");
	const cJSON	*cols = cJSON_GetObjectItemCaseSensitive(cfg, "columns");
	const char	*path = plugin_cfg_string(cfg, "path");
	char		 d = one_char(cfg, "delimiter", ','),
			 q = one_char(cfg, "quote", '"'),
			 e = one_char(cfg, "escape", q);

	if (path == NULL || path[0] == '\0') {
		snprintf(ctx->error, sizeof(ctx->error), "extractor_config.path: "
		    "a file path is needed");
		return ORK_EINVAL;
	}
	if (strncmp(path, "http://", 7) == 0 ||
	    strncmp(path, "https://", 8) == 0) {
		snprintf(ctx->error, sizeof(ctx->error), "extractor_config.path: "
		    "reading CSV from a URL is not supported by this worker; "
		    "give a local file");
		return ORK_EINVAL;
	}
	if (cJSON_IsFalse(header) && !cJSON_IsArray(cols)) {
		snprintf(ctx->error, sizeof(ctx->error), "extractor_config."
		    "columns: needed when \"header\" is false");
		return ORK_EINVAL;
	}
	if (d == q || d == e || d == '\n' || d == '\r' || q == '\n' ||
	    q == '\r' || e == '\n' || e == '\r') {
		snprintf(ctx->error, sizeof(ctx->error), "extractor_config: "
		    "delimiter, quote and escape must differ and not be line "
		    "breaks");
		return ORK_EINVAL;
	}
	return 0;
}

static int
csv_open(struct task_ctx *ctx, const cJSON *cfg, void **state)
{
	struct csv_options	 o = { 0 };
	struct csv_src		*s;
	const cJSON		*header, *on_error;
	int			 rc;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ORK_ENOMEM;
	snprintf(s->path, sizeof(s->path), "%s", plugin_cfg_string(cfg,
	    "path"));
	header = cJSON_GetObjectItemCaseSensitive(cfg, "header");
	s->header = !cJSON_IsFalse(header);
	on_error = cJSON_GetObjectItemCaseSensitive(cfg, "on_error");
	s->skip_bad = cJSON_IsString(on_error) &&
	    strcmp(on_error->valuestring, "skip") == 0;
	s->columns = cJSON_GetObjectItemCaseSensitive(cfg, "columns");
	if (!cJSON_IsArray(s->columns))
		s->columns = NULL;
	o.delimiter = one_char(cfg, "delimiter", ',');
	o.quote = one_char(cfg, "quote", '"');
	o.escape = one_char(cfg, "escape", o.quote);
	s->gz = gzopen(s->path, "rb");
	if (s->gz == NULL) {
		snprintf(ctx->error, sizeof(ctx->error), "extractor_config.path: "
		    "could not open \"%.200s\": %s", s->path, errno != 0 ?
		    strerror(errno) : "out of memory");
		rc = errno == ENOENT ? ORK_ENOTFOUND : ORK_EIO;
		goto fail;
	}
	gzbuffer(s->gz, CSV_GZ_BUFFER);
	s->reader = csv_new(&o, gz_read, s);
	if (s->reader == NULL) {
		rc = ORK_ENOMEM;
		goto fail;
	}
	*state = s;
	return 0;
fail:
	if (s->gz != NULL)
		gzclose(s->gz);
	free(s);
	return rc;
}

/* set_columns takes the names from the config or the header record. */
static int
set_columns(struct csv_src *s, struct task_ctx *ctx, struct batch *b,
    const struct csv_record *r)
{
	const char	*names[PLUGIN_COLUMNS_MAX];
	size_t		 lens[PLUGIN_COLUMNS_MAX], n = 0;
	char		 err[200];
	const cJSON	*c;
	int		 rc;

	if (s->columns != NULL) {
		cJSON_ArrayForEach(c, s->columns) {
			if (n == PLUGIN_COLUMNS_MAX || !cJSON_IsString(c))
				break;
			names[n] = c->valuestring;
			lens[n++] = strlen(c->valuestring);
		}
	} else {
		for (size_t i = 0; i < r->nfields && n < PLUGIN_COLUMNS_MAX;
		    i++) {
			names[n] = r->null[i] ? "" : r->data + r->off[i];
			lens[n++] = r->len[i];
		}
		if (r->nfields > PLUGIN_COLUMNS_MAX)
			n = r->nfields;
	}
	rc = batch_set_columns(b, names, lens, n, err, sizeof(err));
	if (rc == ORK_EINVAL)
		snprintf(ctx->error, sizeof(ctx->error), "%s: %s",
		    s->columns != NULL ? "extractor_config.columns" :
		    "the header row of the CSV file", err);
	return rc;
}

/* bad_row fails the task or counts the row, by on_error. */
static int
bad_row(struct csv_src *s, struct task_ctx *ctx, const char *msg)
{
	if (!s->skip_bad) {
		snprintf(ctx->error, sizeof(ctx->error), "%.200s: %s", s->path,
		    msg);
		return ORK_EINVAL;
	}
	if (s->skipped++ == 0)
		snprintf(s->first_bad, sizeof(s->first_bad), "%s", msg);
	return 0;
}

static int
csv_next_batch(void *state, struct task_ctx *ctx, struct batch *b)
{
	struct csv_src		*s = state;
	struct csv_record	 r;
	char			 msg[300];
	int			 rc;

	while (!batch_full(b)) {
		rc = csv_next(s->reader, &r);
		if (rc == 0)
			break;
		if (rc < 0 && rc != ORK_EINVAL && rc != ORK_ETOOBIG) {
			snprintf(ctx->error, sizeof(ctx->error), "%.200s: %s",
			    s->path, csv_error(s->reader));
			return rc;
		}
		if (rc < 0) {
			if ((rc = bad_row(s, ctx, csv_error(s->reader))) != 0)
				return rc;
			continue;
		}
		if (!s->columns_set) {
			if ((rc = set_columns(s, ctx, b, &r)) != 0)
				return rc;
			s->columns_set = 1;
			if (s->header)
				continue;
		}
		if (r.nfields != b->ncols) {
			snprintf(msg, sizeof(msg), "line %llu: %zu fields where "
			    "%zu columns are expected",
			    (unsigned long long)r.line, r.nfields, b->ncols);
			if ((rc = bad_row(s, ctx, msg)) != 0)
				return rc;
			continue;
		}
		for (size_t i = 0; i < r.nfields; i++) {
			const char *v = r.data + r.off[i];

			if (!r.null[i] && !plugin_utf8_valid(v, r.len[i])) {
				batch_drop_row(b);
				snprintf(msg, sizeof(msg), "line %llu: field %zu "
				    "is not UTF-8", (unsigned long long)r.line,
				    i + 1);
				if ((rc = bad_row(s, ctx, msg)) != 0)
					return rc;
				goto next;
			}
			if ((rc = batch_add_value(b, r.null[i] ? NULL : v,
			    r.len[i])) != 0)
				return rc;
		}
		if ((rc = batch_end_row(b)) != 0)
			return rc;
next:
		;
	}
	if (batch_full(b))
		return 1;
	/* the end: a file with a header only still names the columns */
	if (!s->columns_set && s->columns != NULL) {
		if ((rc = set_columns(s, ctx, b, NULL)) != 0)
			return rc;
		s->columns_set = 1;
	}
	if (s->skipped > 0)
		plugin_logf(ctx, "skipped %llu bad rows of %.200s (the first: "
		    "%s)", (unsigned long long)s->skipped, s->path,
		    s->first_bad);
	return 0;
}

static void
csv_close(void *state)
{
	struct csv_src *s = state;

	csv_free(s->reader);
	if (s->gz != NULL)
		gzclose(s->gz);
	free(s);
}

const struct extractor_plugin plugin_csv = {
	.type = "csv",
	.validate = csv_validate,
	.open = csv_open,
	.next_batch = csv_next_batch,
	.cancel = NULL,
	.close = csv_close,
};
