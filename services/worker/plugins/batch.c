/*
 * batch.c - the batch that extractors fill and loaders drain, and small
 * things every plugin needs (see plugin.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "../plugin.h"
#include "taskcfg.h"

void
batch_init(struct batch *b)
{
	memset(b, 0, sizeof(*b));
}

void
batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->ncols; i++)
		free(b->cols[i]);
	free(b->cols);
	free(b->cells);
	free(b->bytes);
	memset(b, 0, sizeof(*b));
}

int
plugin_utf8_valid(const char *str, size_t n)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 i = 0;

	while (i < n) {
		unsigned char	c = s[i];
		size_t		k;
		unsigned	cp;

		/* eight bytes of ASCII without a NUL at a time */
		while (n - i >= 8) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			/* no high bit; then adding 0x7f sets it unless 0 */
			if ((w & 0x8080808080808080ULL) != 0 ||
			    ((w + 0x7f7f7f7f7f7f7f7fULL) &
			    0x8080808080808080ULL) != 0x8080808080808080ULL)
				break;
			i += 8;
		}
		if (i == n)
			break;
		c = s[i];
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, cp = c & 0x07;
		else
			return 0;
		if (n - i <= k)	/* the sequence runs past the end */
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += k + 1;
	}
	return 1;
}

int
batch_set_columns(struct batch *b, const char *const *names,
    const size_t *lens, size_t n, char *err, size_t errlen)
{
	char	**cols;
	int	  rc = 0;

	if (n == 0 || n > PLUGIN_COLUMNS_MAX) {
		snprintf(err, errlen, "%zu columns: between 1 and %d needed", n,
		    PLUGIN_COLUMNS_MAX);
		return ORK_EINVAL;
	}
	cols = calloc(n, sizeof(*cols));
	if (cols == NULL)
		return ORK_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t len = lens != NULL ? lens[i] : strlen(names[i]);

		if (len == 0 || len > PLUGIN_COLUMN_NAME_MAX ||
		    !plugin_utf8_valid(names[i], len)) {
			snprintf(err, errlen, "column %zu: a name of 1 to %d "
			    "bytes of UTF-8 is needed", i + 1,
			    PLUGIN_COLUMN_NAME_MAX);
			rc = ORK_EINVAL;
			goto fail;
		}
		for (size_t j = 0; j < i; j++)
			if (strlen(cols[j]) == len &&
			    memcmp(cols[j], names[i], len) == 0) {
				snprintf(err, errlen, "column %zu: \"%s\" "
				    "appears twice", i + 1, cols[j]);
				rc = ORK_EINVAL;
				goto fail;
			}
		cols[i] = strndup(names[i], len);
		if (cols[i] == NULL) {
			rc = ORK_ENOMEM;
			goto fail;
		}
	}
	for (size_t i = 0; i < b->ncols; i++)
		free(b->cols[i]);
	free(b->cols);
	b->cols = cols;
	b->ncols = n;
	batch_clear(b);
	return 0;
fail:
	for (size_t i = 0; i < n; i++)
		free(cols[i]);
	free(cols);
	return rc;
}

void
batch_clear(struct batch *b)
{
	b->nrows = 0;
	b->nbytes = 0;
	b->row_cells = 0;
}

int
batch_add_value(struct batch *b, const char *p, size_t len)
{
	size_t			 at = b->nrows * b->ncols + b->row_cells;
	struct batch_cell	*c;

	if (b->row_cells >= b->ncols) {
		b->row_cells++;		/* counted: batch_end_row refuses */
		return 0;
	}
	if (at >= b->cells_cap) {
		size_t			 cap = b->cells_cap == 0 ? 1024 :
		    b->cells_cap * 2;
		struct batch_cell	*nc = realloc(b->cells, cap *
		    sizeof(*nc));

		if (nc == NULL)
			return ORK_ENOMEM;
		b->cells = nc;
		b->cells_cap = cap;
	}
	c = &b->cells[at];
	c->off = b->nbytes;
	c->len = p == NULL ? 0 : len;
	c->null = p == NULL;
	if (p != NULL && len > 0) {
		if (b->nbytes + len > b->bytes_cap) {
			size_t	 cap = b->bytes_cap == 0 ? 65536 : b->bytes_cap;
			char	*nb;

			while (cap < b->nbytes + len)
				cap *= 2;
			nb = realloc(b->bytes, cap);
			if (nb == NULL)
				return ORK_ENOMEM;
			b->bytes = nb;
			b->bytes_cap = cap;
		}
		memcpy(b->bytes + b->nbytes, p, len);
		b->nbytes += len;
	}
	b->row_cells++;
	return 0;
}

void
batch_drop_row(struct batch *b)
{
	if (b->row_cells > 0 && b->ncols > 0) {
		size_t first = b->nrows * b->ncols;

		if (first < b->cells_cap)
			b->nbytes = b->cells[first].off;
	}
	b->row_cells = 0;
}

int
batch_end_row(struct batch *b)
{
	if (b->row_cells != b->ncols) {
		batch_drop_row(b);
		return ORK_EINVAL;
	}
	b->nrows++;
	b->row_cells = 0;
	return 0;
}

int
batch_full(const struct batch *b)
{
	return b->nrows >= PLUGIN_BATCH_ROWS || b->nbytes >= PLUGIN_BATCH_BYTES;
}

const char *
batch_value(const struct batch *b, size_t row, size_t col, size_t *len)
{
	const struct batch_cell *c = &b->cells[row * b->ncols + col];

	*len = c->len;
	if (c->null)
		return NULL;
	return c->len == 0 ? "" : b->bytes + c->off;
}

int
plugin_quote_ident(const char *name, size_t len, char *out, size_t outlen)
{
	size_t n = 0;

	if (len == 0 || outlen < 3)
		return ORK_EINVAL;
	out[n++] = '"';
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '\0')
			return ORK_EINVAL;
		if (n + 3 >= outlen)
			return ORK_EINVAL;
		if (name[i] == '"')
			out[n++] = '"';
		out[n++] = name[i];
	}
	out[n++] = '"';
	out[n] = '\0';
	return 0;
}

int
plugin_split_table(struct task_ctx *ctx, const char *field,
    const char *value, char schema[PLUGIN_COLUMN_NAME_MAX + 1],
    char table[PLUGIN_COLUMN_NAME_MAX + 1])
{
	const char	*dot = strchr(value, '.');
	size_t		 sl;

	schema[0] = '\0';
	if (dot != NULL) {
		sl = (size_t)(dot - value);
		if (sl == 0 || sl > PLUGIN_COLUMN_NAME_MAX)
			goto bad;
		memcpy(schema, value, sl);
		schema[sl] = '\0';
		if (!taskcfg_is_identifier(schema))
			goto bad;
		value = dot + 1;
	}
	if (strlen(value) > PLUGIN_COLUMN_NAME_MAX ||
	    !taskcfg_is_identifier(value))
		goto bad;
	snprintf(table, PLUGIN_COLUMN_NAME_MAX + 1, "%s", value);
	return 0;
bad:
	snprintf(ctx->error, sizeof(ctx->error), "%s: not a table name "
	    "(an identifier or schema.identifier: letters, digits and _, not "
	    "starting with a digit, at most %d bytes each)", field,
	    PLUGIN_COLUMN_NAME_MAX);
	return ORK_EINVAL;
}

const char *
plugin_cfg_string(const cJSON *cfg, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *
plugin_array(const cJSON *v)
{
	return cJSON_IsArray(v) ? v : NULL;
}

int
plugin_stopped(const struct task_ctx *ctx)
{
	return atomic_load(ctx->cancel) != TASK_RUN;
}

void
batch_keep_rows(struct batch *b, const unsigned char *keep)
{
	size_t kept = 0;

	for (size_t row = 0; row < b->nrows; row++) {
		if (!keep[row])
			continue;
		if (kept != row)
			memmove(&b->cells[kept * b->ncols],
			    &b->cells[row * b->ncols],
			    b->ncols * sizeof(*b->cells));
		kept++;
	}
	b->nrows = kept;
}
