/*
 * schema.c - the column types of a table a loader creates, and the order
 * of cursor values (see plugin.h).
 *
 * Types: a loader that creates its table gives each column the type
 * named for it in loader_config.columns, or else the narrowest type that
 * every non-NULL value of the first batch fits: integer (64 bits),
 * double, boolean (true/false), timestamp with zone (ISO 8601 with "Z"
 * or an offset), text.  The syntax accepted here is a subset of what
 * both PostgreSQL and DuckDB read for the type, so a value that fits
 * loads.  Later batches are checked against the types (schema_misfit):
 * an inferred column widens (integer to double, anything to text) or the
 * load fails, by on_type_mismatch; a declared column never widens.
 *
 * Cursors: two cursor values compare as integers when both are, as
 * numbers when both are, as instants when both are ISO 8601 dates or
 * timestamps, and byte by byte otherwise.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "../plugin.h"
#include "taskcfg.h"

#define NUM_TEXT_MAX	64	/* bytes of a number we parse */

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* int_syntax: [+-]digits; sets where the digits start. */
static int
int_syntax(const char *v, size_t len, size_t *digits)
{
	size_t i = 0;

	if (len > 0 && (v[0] == '+' || v[0] == '-'))
		i++;
	if (i == len)
		return 0;
	*digits = i;
	for (; i < len; i++)
		if (!is_digit(v[i]))
			return 0;
	return 1;
}

/* fits_integer: int_syntax within 64 bits (checked without strtoll). */
static int
fits_integer(const char *v, size_t len)
{
	static const char	max[] = "9223372036854775807";
	size_t			d, n;

	if (!int_syntax(v, len, &d))
		return 0;
	while (d + 1 < len && v[d] == '0')	/* leading zeros */
		d++;
	n = len - d;
	if (n != sizeof(max) - 1)
		return n < sizeof(max) - 1;
	/* 19 digits: at most max, or max + 1 when negative */
	if (v[0] == '-' && memcmp(v + d, "9223372036854775808", n) == 0)
		return 1;
	return memcmp(v + d, max, n) <= 0;
}

/* num_syntax: [+-](digits[.digits]|.digits)[(e|E)[+-]digits] */
static int
num_syntax(const char *v, size_t len)
{
	size_t	i = 0, before = 0, after = 0;

	if (i < len && (v[i] == '+' || v[i] == '-'))
		i++;
	while (i < len && is_digit(v[i]))
		i++, before++;
	if (i < len && v[i] == '.') {
		i++;
		while (i < len && is_digit(v[i]))
			i++, after++;
	}
	if (before + after == 0)
		return 0;
	if (i < len && (v[i] == 'e' || v[i] == 'E')) {
		size_t exp = 0;

		i++;
		if (i < len && (v[i] == '+' || v[i] == '-'))
			i++;
		while (i < len && is_digit(v[i]))
			i++, exp++;
		if (exp == 0)
			return 0;
	}
	return i == len;
}

int
schema_parse_double(const char *v, size_t len, double *out)
{
	char	buf[NUM_TEXT_MAX];
	char	*end;

	if (len >= sizeof(buf) || !num_syntax(v, len))
		return ORK_EINVAL;
	memcpy(buf, v, len);
	buf[len] = '\0';
	*out = strtod(buf, &end);
	if (*end != '\0' || !isfinite(*out))
		return ORK_EINVAL;
	return 0;
}

/*
 * fits_double: num_syntax, and finite; without an exponent fewer than
 * 300 digits cannot overflow, so strtod runs only for the rest.
 */
static int
fits_double(const char *v, size_t len)
{
	double d;

	if (len < 300 && memchr(v, 'e', len) == NULL &&
	    memchr(v, 'E', len) == NULL)
		return num_syntax(v, len);
	return schema_parse_double(v, len, &d) == 0;
}

static int
fits_boolean(const char *v, size_t len)
{
	return (len == 4 && strncasecmp(v, "true", 4) == 0) ||
	    (len == 5 && strncasecmp(v, "false", 5) == 0);
}

/* digits reads n digits at v + *i into *out. */
static int
digits(const char *v, size_t len, size_t *i, int n, long *out)
{
	long x = 0;

	for (int k = 0; k < n; k++, (*i)++) {
		if (*i >= len || !is_digit(v[*i]))
			return 0;
		x = x * 10 + (v[*i] - '0');
	}
	*out = x;
	return 1;
}

/* days_from_civil: days since 1970-01-01 of a proleptic Gregorian date. */
static long long
days_from_civil(long y, long m, long d)
{
	long		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (long long)era * 146097 + (long long)doe - 719468;
}

/*
 * parse_time reads YYYY-MM-DD, optionally followed by [T ]HH:MM[:SS[.f]]
 * and a zone (Z, +HH, +HHMM, +HH:MM); sets the instant in microseconds
 * (no zone: as if UTC) and whether a time and a zone were given.
 */
static int
parse_time(const char *v, size_t len, long long *us, int *has_time,
    int *has_zone)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	long	y, mo, d, h = 0, mi = 0, s = 0, frac = 0, zh = 0, zm = 0;
	size_t	i = 0;
	int	sign = 1;

	*has_time = *has_zone = 0;
	if (!digits(v, len, &i, 4, &y) || i >= len || v[i++] != '-' ||
	    !digits(v, len, &i, 2, &mo) || i >= len || v[i++] != '-' ||
	    !digits(v, len, &i, 2, &d))
		return ORK_EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 &&
	    y % 400 != 0))))
		return ORK_EINVAL;
	if (i < len && (v[i] == 'T' || v[i] == ' ')) {
		i++;
		if (!digits(v, len, &i, 2, &h) || i >= len || v[i++] != ':' ||
		    !digits(v, len, &i, 2, &mi))
			return ORK_EINVAL;
		if (i < len && v[i] == ':') {
			i++;
			if (!digits(v, len, &i, 2, &s))
				return ORK_EINVAL;
			if (i < len && v[i] == '.') {
				int n = 0;

				i++;
				while (i < len && is_digit(v[i]) && n < 6)
					frac = frac * 10 + (v[i++] - '0'), n++;
				if (n == 0 || (i < len && is_digit(v[i])))
					return ORK_EINVAL;
				for (; n < 6; n++)
					frac *= 10;
			}
		}
		if (h > 23 || mi > 59 || s > 59)
			return ORK_EINVAL;
		*has_time = 1;
		if (i < len && (v[i] == 'Z' || v[i] == 'z')) {
			i++;
			*has_zone = 1;
		} else if (i < len && (v[i] == '+' || v[i] == '-')) {
			sign = v[i++] == '-' ? -1 : 1;
			if (!digits(v, len, &i, 2, &zh))
				return ORK_EINVAL;
			if (i < len && v[i] == ':')
				i++;
			if (i < len && !digits(v, len, &i, 2, &zm))
				return ORK_EINVAL;
			if (zh > 15 || zm > 59)
				return ORK_EINVAL;
			*has_zone = 1;
		}
	}
	if (i != len)
		return ORK_EINVAL;
	*us = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s -
	    sign * (zh * 3600 + zm * 60)) * 1000000LL) + frac;
	return 0;
}

int
schema_parse_timestamp(const char *v, size_t len, int64_t *us)
{
	long long	t;
	int		has_time, has_zone;

	if (parse_time(v, len, &t, &has_time, &has_zone) != 0)
		return ORK_EINVAL;
	*us = (int64_t)t;
	return 0;
}

static int
fits_timestamp(const char *v, size_t len)
{
	long long	us;
	int		t, z;

	return parse_time(v, len, &us, &t, &z) == 0 && t && z;
}

int
schema_fits(enum schema_type type, const char *v, size_t len)
{
	if (v == NULL)
		return 1;
	switch (type) {
	case SCHEMA_INTEGER:
		return fits_integer(v, len);
	case SCHEMA_DOUBLE:
		return fits_double(v, len);
	case SCHEMA_BOOLEAN:
		return fits_boolean(v, len);
	case SCHEMA_TIMESTAMP:
		return fits_timestamp(v, len);
	case SCHEMA_TEXT:
		break;
	}
	return 1;
}

/* narrowest: the narrowest type a value fits. */
static enum schema_type
narrowest(const char *v, size_t len)
{
	if (fits_integer(v, len))
		return SCHEMA_INTEGER;
	if (fits_double(v, len))
		return SCHEMA_DOUBLE;
	if (fits_boolean(v, len))
		return SCHEMA_BOOLEAN;
	if (fits_timestamp(v, len))
		return SCHEMA_TIMESTAMP;
	return SCHEMA_TEXT;
}

enum schema_type
schema_widened(enum schema_type type, const char *v, size_t len)
{
	if (type == SCHEMA_INTEGER && fits_double(v, len))
		return SCHEMA_DOUBLE;
	return SCHEMA_TEXT;
}

const char *
schema_type_name(enum schema_type type)
{
	return taskcfg_column_types[type];
}

void
schema_free(struct schema *s)
{
	free(s->type);
	free(s->declared);
	memset(s, 0, sizeof(*s));
}

int
schema_plan(struct schema *s, struct task_ctx *ctx, const cJSON *cfg,
    const struct batch *b)
{
	const cJSON	*cols = cJSON_GetObjectItemCaseSensitive(cfg, "columns");
	const char	*mm = plugin_cfg_string(cfg, "on_type_mismatch");
	const cJSON	*c;
	size_t		 k = 0;

	memset(s, 0, sizeof(*s));
	s->n = b->ncols;
	s->widen = mm == NULL || strcmp(mm, "widen") == 0;
	s->type = calloc(b->ncols, sizeof(*s->type));
	s->declared = calloc(b->ncols, sizeof(*s->declared));
	if (s->type == NULL || s->declared == NULL) {
		schema_free(s);
		return ORK_ENOMEM;
	}
	for (size_t col = 0; col < b->ncols; col++) {
		int seen = 0;

		s->type[col] = SCHEMA_TEXT;
		for (size_t row = 0; row < b->nrows; row++) {
			size_t			 len;
			const char		*v = batch_value(b, row, col, &len);
			enum schema_type	 t;

			if (v == NULL)
				continue;
			t = narrowest(v, len);
			if (!seen)
				s->type[col] = t;
			else if (t != s->type[col])
				s->type[col] = (t == SCHEMA_INTEGER &&
				    s->type[col] == SCHEMA_DOUBLE) ||
				    (t == SCHEMA_DOUBLE &&
				    s->type[col] == SCHEMA_INTEGER) ?
				    SCHEMA_DOUBLE : SCHEMA_TEXT;
			seen = 1;
			if (s->type[col] == SCHEMA_TEXT)
				break;
		}
	}
	cJSON_ArrayForEach(c, plugin_array(cols)) {
		const char	*name = plugin_cfg_string(c, "name");
		const char	*type = plugin_cfg_string(c, "type");
		size_t		 col;
		int		 t;

		if (name == NULL || type == NULL)
			continue;
		for (col = 0; col < b->ncols; col++)
			if (strcmp(b->cols[col], name) == 0)
				break;
		if (col == b->ncols) {
			snprintf(ctx->error, sizeof(ctx->error), "loader_config."
			    "columns[%zu].name: the source has no column "
			    "\"%.64s\"", k, name);
			schema_free(s);
			return ORK_EINVAL;
		}
		for (t = 0; taskcfg_column_types[t] != NULL; t++)
			if (strcmp(taskcfg_column_types[t], type) == 0)
				break;
		if (taskcfg_column_types[t] == NULL) {
			snprintf(ctx->error, sizeof(ctx->error), "loader_config."
			    "columns[%zu].type: \"%.64s\" is not a column type",
			    k, type);
			schema_free(s);
			return ORK_EINVAL;
		}
		s->type[col] = (enum schema_type)t;
		s->declared[col] = 1;
		k++;
	}
	return 0;
}

int
schema_misfit(const struct schema *s, const struct batch *b, size_t from,
    size_t *row, size_t *col)
{
	for (size_t c = 0; c < b->ncols && c < s->n; c++) {
		if (s->type[c] == SCHEMA_TEXT)
			continue;
		for (size_t r = from; r < b->nrows; r++) {
			size_t		 len;
			const char	*v = batch_value(b, r, c, &len);

			if (!schema_fits(s->type[c], v, len)) {
				*row = r;
				*col = c;
				return 1;
			}
		}
	}
	return 0;
}

int
schema_mismatch(const struct schema *s, struct task_ctx *ctx,
    const struct batch *b, size_t row, size_t col, int64_t rows_before)
{
	size_t		 len;
	const char	*v = batch_value(b, row, col, &len);
	char		 shown[80];

	snprintf(shown, sizeof(shown), "%.*s%s", (int)(len > 64 ? 64 : len),
	    v != NULL ? v : "", len > 64 ? "..." : "");
	if (s->declared[col])
		snprintf(ctx->error, sizeof(ctx->error), "loader_config.columns: "
		    "column \"%s\" is declared %s, but row %lld holds \"%s\"",
		    b->cols[col], schema_type_name(s->type[col]),
		    (long long)(rows_before + (int64_t)row + 1), shown);
	else
		snprintf(ctx->error, sizeof(ctx->error), "loader_config."
		    "on_type_mismatch is \"fail\": column \"%s\" was inferred "
		    "as %s from the first batch, but row %lld holds \"%s\"",
		    b->cols[col], schema_type_name(s->type[col]),
		    (long long)(rows_before + (int64_t)row + 1), shown);
	return ORK_EINVAL;
}

int
plugin_cursor_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t		 da, db;
	double		 x, y;
	long long	 ta, tb;
	int		 t, z;

	if (int_syntax(a, alen, &da) && int_syntax(b, blen, &db)) {
		int na = a[0] == '-', nb = b[0] == '-', r;

		/* leading zeros do not count */
		while (da + 1 < alen && a[da] == '0')
			da++;
		while (db + 1 < blen && b[db] == '0')
			db++;
		if (alen - da == 1 && a[da] == '0')
			na = 0;
		if (blen - db == 1 && b[db] == '0')
			nb = 0;
		if (na != nb)
			return na ? -1 : 1;
		if (alen - da != blen - db)
			r = alen - da < blen - db ? -1 : 1;
		else
			r = memcmp(a + da, b + db, alen - da);
		r = r < 0 ? -1 : r > 0;
		return na ? -r : r;
	}
	if (schema_parse_double(a, alen, &x) == 0 &&
	    schema_parse_double(b, blen, &y) == 0)
		return x < y ? -1 : x > y;
	if (parse_time(a, alen, &ta, &t, &z) == 0 &&
	    parse_time(b, blen, &tb, &t, &z) == 0)
		return ta < tb ? -1 : ta > tb;
	{
		int r = memcmp(a, b, alen < blen ? alen : blen);

		if (r != 0)
			return r < 0 ? -1 : 1;
		return alen < blen ? -1 : alen > blen;
	}
}

int
schema_check(struct schema *s, struct task_ctx *ctx, const struct batch *b,
    int64_t rows_before, int (*widen)(void *arg, const struct batch *b,
    size_t col, enum schema_type to), void *arg)
{
	size_t	row, col;
	int	rc;

	while (schema_misfit(s, b, 0, &row, &col)) {
		size_t			 len;
		const char		*v = batch_value(b, row, col, &len);
		enum schema_type	 to;

		if (s->declared[col] || !s->widen)
			return schema_mismatch(s, ctx, b, row, col,
			    rows_before);
		to = schema_widened(s->type[col], v, len);
		plugin_logf(ctx, "column \"%s\" widened from %s to %s at "
		    "row %lld", b->cols[col], schema_type_name(s->type[col]),
		    schema_type_name(to),
		    (long long)(rows_before + (int64_t)row + 1));
		if ((rc = widen(arg, b, col, to)) != 0)
			return rc;
		s->type[col] = to;
	}
	return 0;
}
