/*
 * output.c - what people read: aligned tables, relative times ("3m
 * ago"), colours for statuses (only on a terminal, never with NO_COLOR),
 * and JSON for scripts.
 *
 * Text from the server is printed as given, except control characters,
 * which become '?' in tables: a job name must not move the cursor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "util.h"

/* A table keeps at most this many columns. */
#define TABLE_COLS_MAX	12
/* A cell shows at most this many bytes (longer ones end in "..."). */
#define TABLE_CELL_MAX	120

#define COLOR_RESET	"\033[0m"

struct table {
	int	  ncols;
	size_t	  nrows, cap;
	char	**cells;	/* (nrows + 1) * ncols, the header first */
	int	  oom;
};

static char *
cell_dup(const char *s)
{
	size_t	 n = s == NULL ? 1 : strlen(s);
	char	*d;
	int	 cut = n > TABLE_CELL_MAX;

	if (s == NULL)
		return strdup("-");
	if (cut)
		n = TABLE_CELL_MAX - 3;
	d = malloc(n + 4);
	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		d[i] = ch < ' ' || ch == 0x7f ? '?' : (char)ch;
	}
	if (cut)
		memcpy(d + n, "...", 3), n += 3;
	d[n] = '\0';
	return d;
}

struct table *
table_new(int ncols, const char *const *headers)
{
	struct table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->ncols = ncols > TABLE_COLS_MAX ? TABLE_COLS_MAX : ncols;
	table_add(t, headers);
	return t;
}

void
table_add(struct table *t, const char *const *cells)
{
	size_t	 rows = t->nrows + 1;

	if (t->oom)
		return;
	if (rows > t->cap) {
		size_t	 cap = t->cap == 0 ? 16 : t->cap * 2;
		char	**nc = realloc(t->cells, cap * (size_t)t->ncols *
		    sizeof(*nc));

		if (nc == NULL) {
			t->oom = 1;
			return;
		}
		t->cells = nc;
		t->cap = cap;
	}
	for (int i = 0; i < t->ncols; i++)
		t->cells[t->nrows * (size_t)t->ncols + (size_t)i] =
		    cell_dup(cells[i]);
	t->nrows = rows;
}

/* width in characters of UTF-8 text (continuation bytes take no room). */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static int
is_status_header(const char *h)
{
	return strcmp(h, "STATUS") == 0 || strcmp(h, "LAST RUN") == 0 ||
	    strcmp(h, "STATE") == 0;
}

void
table_print(struct table *t, int color)
{
	size_t	w[TABLE_COLS_MAX] = { 0 };

	if (t == NULL) {
		fprintf(stderr, "ork: out of memory\n");
		return;
	}
	if (t->oom)
		fprintf(stderr, "ork: out of memory: rows left out\n");
	for (size_t r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * (size_t)t->ncols +
			    (size_t)c];
			size_t n = s != NULL ? width(s) : 0;

			if (n > w[c])
				w[c] = n;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * (size_t)t->ncols +
			    (size_t)c];
			const char *col = "";

			if (s == NULL)
				s = "?";
			if (color && r > 0 && is_status_header(t->cells[c]))
				col = out_status_color(s);
			fputs(col, stdout);
			fputs(s, stdout);
			if (col[0] != '\0')
				fputs(COLOR_RESET, stdout);
			if (c + 1 < t->ncols)
				printf("%*s", (int)(w[c] - width(s) + 2), "");
		}
		putchar('\n');
	}
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

const char *
out_status_color(const char *status)
{
	static const struct {
		const char	*prefix;
		const char	*color;
	} colors[] = {
		{ "success", "\033[32m" }, { "active", "\033[32m" },
		{ "ok", "\033[32m" }, { "ready", "\033[32m" },
		{ "failed", "\033[31m" }, { "lost", "\033[31m" },
		{ "not ready", "\033[31m" }, { "running", "\033[33m" },
		{ "retrying", "\033[33m" }, { "queued", "\033[36m" },
		{ "pending", "\033[36m" }, { "cancelled", "\033[35m" },
		{ "paused", "\033[35m" }, { "skipped", "\033[2m" },
	};

	for (size_t i = 0; i < sizeof(colors) / sizeof(colors[0]); i++)
		if (strncmp(status, colors[i].prefix,
		    strlen(colors[i].prefix)) == 0)
			return colors[i].color;
	return "";
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
out_parse_time(const char *s, int64_t *us)
{
	struct tm	tm;
	int		y, mo, d, h, mi, sec, frac = 0, scale = 1000000;
	const char	*p;
	time_t		t;

	if (s == NULL || strlen(s) < 20 || digits(s, 4, &y) != 0 ||
	    s[4] != '-' || digits(s + 5, 2, &mo) != 0 || s[7] != '-' ||
	    digits(s + 8, 2, &d) != 0 || (s[10] != 'T' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) != 0 || s[13] != ':' ||
	    digits(s + 14, 2, &mi) != 0 || s[16] != ':' ||
	    digits(s + 17, 2, &sec) != 0)
		return -1;
	p = s + 19;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0 &&
	    strcmp(p, "+00") != 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*us = (int64_t)t * 1000000 + frac;
	return 0;
}

static void
span(int64_t secs, char *buf, size_t len)
{
	if (secs < 60)
		snprintf(buf, len, "%llds", (long long)secs);
	else if (secs < 3600)
		snprintf(buf, len, "%lldm", (long long)(secs / 60));
	else if (secs < 86400)
		snprintf(buf, len, "%lldh", (long long)(secs / 3600));
	else
		snprintf(buf, len, "%lldd", (long long)(secs / 86400));
}

void
out_reltime(const char *rfc3339, char *buf, size_t len)
{
	int64_t	 at, now = util_now_us(), d;
	char	 s[32];

	if (rfc3339 == NULL || out_parse_time(rfc3339, &at) != 0) {
		snprintf(buf, len, "-");
		return;
	}
	d = (now - at) / 1000000;
	if (d >= 0) {
		span(d, s, sizeof(s));
		snprintf(buf, len, "%s ago", s);
	} else {
		span(-d, s, sizeof(s));
		snprintf(buf, len, "in %s", s);
	}
}

void
out_duration(const char *from, const char *to, char *buf, size_t len)
{
	int64_t	a, b, s;

	if (from == NULL || out_parse_time(from, &a) != 0) {
		snprintf(buf, len, "-");
		return;
	}
	if (to == NULL || out_parse_time(to, &b) != 0)
		b = util_now_us();
	s = (b - a) / 1000000;
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm %llds", (long long)(s / 60),
		    (long long)(s % 60));
	else
		snprintf(buf, len, "%lldh %lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
}

void
out_json(const cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);

	if (s == NULL) {
		fprintf(stderr, "ork: out of memory\n");
		return;
	}
	puts(s);
	free(s);
}

const char *
out_str(const cJSON *o, const char *name)
{
	const cJSON *v = o != NULL ? cJSON_GetObjectItemCaseSensitive(o, name) :
	    NULL;

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *
out_scalar(const cJSON *o, const char *name, char *buf, size_t len)
{
	const cJSON *v = o != NULL ? cJSON_GetObjectItemCaseSensitive(o, name) :
	    NULL;

	if (cJSON_IsString(v))
		snprintf(buf, len, "%s", v->valuestring);
	else if (cJSON_IsNumber(v))
		snprintf(buf, len, "%.0f", v->valuedouble);
	else if (cJSON_IsBool(v))
		snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "true" : "false");
	else
		snprintf(buf, len, "-");
	return buf;
}
