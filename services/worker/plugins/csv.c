/*
 * csv.c - the csv extractor: a local file, plain or gzip (zlib reads
 * both), or an http(s) URL streamed through libcurl (gzip when "gzip" is
 * true or the path ends in .gz; a Content-Encoding is undone by curl),
 * parsed by common/csv.c into batches of text values.  A URL is read as
 * the parser asks for bytes: at most CSV_NET_BUFFER bytes wait in memory,
 * the transfer pauses while the buffer is full.
 *
 * Config (common/taskcfg.c): path, delimiter, quote, escape, header
 * (default true), columns (names; with a header they replace its names,
 * without one they are required), on_error "fail" (default: the task
 * fails naming the line) or "skip" (bad rows are counted and logged).
 * A bad row is one the reader refuses (quotes, limits), one whose number
 * of fields differs from the number of columns, or one that is not
 * UTF-8.
 *
 * A thread of the extractor reads and parses ahead: while the loader
 * writes one batch, the next is filled (CSV_AHEAD batches at most, so
 * memory stays bounded).  It has a copy of the task's context of its own
 * for its messages; next_batch hands over its batches, errors and end.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <zlib.h>

#include "csv.h"
#include "err.h"
#include "../plugin.h"

#define CSV_GZ_BUFFER (256 * 1024)
#define CSV_NET_BUFFER (1024 * 1024)
#define CSV_AHEAD 2	/* batches read ahead */

/* A CSV file behind an http(s) URL. */
struct csv_url {
	CURLM		*multi;
	CURL		*easy;
	char		*net;		/* bytes received, not yet parsed */
	size_t		 len, pos;
	int		 paused, finished, added;
	CURLcode	 result;
	int		 gz, z_ready, z_end;
	z_stream	 z;
};

/* The batches the reading thread fills, taken by next_batch in turn. */
struct csv_ahead {
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 have_sync, started;
	struct batch	 slot[CSV_AHEAD];
	int		 ready[CSV_AHEAD];	/* filled, not taken yet */
	int		 more[CSV_AHEAD];	/* fill_batch's return */
	size_t		 next_fill, next_take;
	struct batch	*names;		/* the slot the columns came in */
	atomic_int	 stop;
};

struct csv_src {
	struct task_ctx	*ctx;		/* the reading thread's own copy */
	struct task_ctx	 own;
	struct csv_ahead ahead;
	gzFile		 gz;
	struct csv_url	*url;
	char		 read_error[256];
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

static size_t
url_write(char *p, size_t size, size_t n, void *arg)
{
	struct csv_url	*u = arg;
	size_t		 len = size * n;

	if (u->pos > 0 && u->pos == u->len)
		u->pos = u->len = 0;
	if (u->len + len > CSV_NET_BUFFER && u->pos > 0) {
		memmove(u->net, u->net + u->pos, u->len - u->pos);
		u->len -= u->pos;
		u->pos = 0;
	}
	if (u->len + len > CSV_NET_BUFFER) {
		u->paused = 1;
		return CURL_WRITEFUNC_PAUSE;	/* curl hands it over again */
	}
	memcpy(u->net + u->len, p, len);
	u->len += len;
	return len;
}

static int
url_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c,
    curl_off_t d)
{
	struct csv_src *s = arg;

	(void)a, (void)b, (void)c, (void)d;
	return plugin_stopped(s->ctx) || atomic_load(&s->ahead.stop);
}

/* url_take moves what is buffered (inflated when gzip) into buf. */
static int
url_take(struct csv_src *s, char *buf, size_t len, size_t *got)
{
	struct csv_url *u = s->url;

	*got = 0;
	if (!u->gz) {
		size_t n = u->len - u->pos < len ? u->len - u->pos : len;

		memcpy(buf, u->net + u->pos, n);
		u->pos += n;
		*got = n;
		return 0;
	}
	if (u->z_end)
		return 0;
	u->z.next_in = (Bytef *)(u->net + u->pos);
	u->z.avail_in = (uInt)(u->len - u->pos);
	u->z.next_out = (Bytef *)buf;
	u->z.avail_out = (uInt)(len > (1u << 30) ? 1u << 30 : len);
	{
		int zr = inflate(&u->z, Z_NO_FLUSH);

		if (zr == Z_STREAM_END)
			u->z_end = 1;
		else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			snprintf(s->read_error, sizeof(s->read_error), "the "
			    "gzip data is damaged: %s", u->z.msg != NULL ?
			    u->z.msg : "inflate failed");
			return ORK_EIO;
		}
	}
	u->pos = u->len - u->z.avail_in;
	*got = (size_t)((char *)u->z.next_out - buf);
	return 0;
}

static int
url_read(void *arg, char *buf, size_t len, size_t *got)
{
	struct csv_src	*s = arg;
	struct csv_url	*u = s->url;
	int		 rc, running;

	for (;;) {
		if ((rc = url_take(s, buf, len, got)) != 0 || *got > 0)
			return rc;
		if (u->gz && u->z_end)
			return 0;
		if (u->finished) {
			if (u->result == CURLE_HTTP_RETURNED_ERROR) {
				long status = 0;

				curl_easy_getinfo(u->easy, CURLINFO_RESPONSE_CODE,
				    &status);
				snprintf(s->read_error, sizeof(s->read_error),
				    "the server answered %ld", status);
				return ORK_EIO;
			}
			if (u->result != CURLE_OK) {
				snprintf(s->read_error, sizeof(s->read_error),
				    "%s", curl_easy_strerror(u->result));
				return ORK_EIO;
			}
			if (u->gz && !u->z_end) {
				snprintf(s->read_error, sizeof(s->read_error),
				    "the gzip data ends early");
				return ORK_EIO;
			}
			return 0;
		}
		if (plugin_stopped(s->ctx) || atomic_load(&s->ahead.stop))
			return ORK_ECANCELED;
		if (u->paused) {
			u->paused = 0;
			curl_easy_pause(u->easy, CURLPAUSE_CONT);
		}
		curl_multi_perform(u->multi, &running);
		if (running == 0) {
			CURLMsg	*m;
			int	 left;

			while ((m = curl_multi_info_read(u->multi, &left)) !=
			    NULL)
				if (m->msg == CURLMSG_DONE)
					u->result = m->data.result;
			u->finished = 1;
			continue;
		}
		if (u->len == u->pos && !u->paused)
			curl_multi_poll(u->multi, NULL, 0, 100, NULL);
	}
}

static void
url_close(struct csv_url *u)
{
	if (u == NULL)
		return;
	if (u->added)
		curl_multi_remove_handle(u->multi, u->easy);
	if (u->easy != NULL)
		curl_easy_cleanup(u->easy);
	if (u->multi != NULL)
		curl_multi_cleanup(u->multi);
	if (u->z_ready)
		inflateEnd(&u->z);
	free(u->net);
	free(u);
}

static int
url_open(struct csv_src *s, int gzip)
{
	struct csv_url *u;

	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return ORK_ENOMEM;
	s->url = u;
	u->gz = gzip;
	u->net = malloc(CSV_NET_BUFFER);
	u->multi = curl_multi_init();
	u->easy = curl_easy_init();
	if (u->net == NULL || u->multi == NULL || u->easy == NULL)
		return ORK_ENOMEM;
	if (gzip) {
		if (inflateInit2(&u->z, 16 + MAX_WBITS) != Z_OK)
			return ORK_ENOMEM;
		u->z_ready = 1;
	}
	curl_easy_setopt(u->easy, CURLOPT_URL, s->path);
	curl_easy_setopt(u->easy, CURLOPT_WRITEFUNCTION, url_write);
	curl_easy_setopt(u->easy, CURLOPT_WRITEDATA, u);
	curl_easy_setopt(u->easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(u->easy, CURLOPT_XFERINFOFUNCTION, url_progress);
	curl_easy_setopt(u->easy, CURLOPT_XFERINFODATA, s);
	curl_easy_setopt(u->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(u->easy, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(u->easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(u->easy, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(u->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(u->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(u->easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(u->easy, CURLOPT_USERAGENT, "ork-worker");
	curl_easy_setopt(u->easy, CURLOPT_CONNECTTIMEOUT, 15L);
	/* a transfer that stalls for a minute fails */
	curl_easy_setopt(u->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(u->easy, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(u->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(u->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (curl_multi_add_handle(u->multi, u->easy) != CURLM_OK)
		return ORK_ENOMEM;
	u->added = 1;
	return 0;
}

/* is_url says whether a path is an http(s) URL. */
static int
is_url(const char *p)
{
	return strncasecmp(p, "http://", 7) == 0 ||
	    strncasecmp(p, "https://", 8) == 0;
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
	if (strlen(path) >= 4096) {
		snprintf(ctx->error, sizeof(ctx->error), "extractor_config.path: "
		    "longer than 4095 bytes");
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

static void
csv_close(void *state)
{
	struct csv_src		*s = state;
	struct csv_ahead	*a = &s->ahead;

	if (a->started) {
		atomic_store(&a->stop, 1);
		pthread_mutex_lock(&a->mu);
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->thread, NULL);
	}
	if (a->have_sync) {
		pthread_cond_destroy(&a->cv);
		pthread_mutex_destroy(&a->mu);
	}
	for (size_t i = 0; i < CSV_AHEAD; i++)
		batch_free(&a->slot[i]);
	csv_free(s->reader);
	if (s->gz != NULL)
		gzclose(s->gz);
	url_close(s->url);
	free(s);
}

static int
csv_open(struct task_ctx *ctx, const cJSON *cfg, const char *mark,
    void **state)
{
	struct csv_options	 o = { 0 };
	struct csv_src		*s;
	const cJSON		*header, *on_error;
	int			 rc;

	(void)mark;		/* the executor filters the rows */
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ORK_ENOMEM;
	s->own = *ctx;
	s->own.error[0] = '\0';
	s->ctx = &s->own;
	if (pthread_mutex_init(&s->ahead.mu, NULL) != 0) {
		free(s);
		return ORK_ENOMEM;
	}
	if (pthread_cond_init(&s->ahead.cv, NULL) != 0) {
		pthread_mutex_destroy(&s->ahead.mu);
		free(s);
		return ORK_ENOMEM;
	}
	s->ahead.have_sync = 1;
	for (size_t i = 0; i < CSV_AHEAD; i++)
		batch_init(&s->ahead.slot[i]);
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
	if (is_url(s->path)) {
		size_t		 pl = strlen(s->path);
		const cJSON	*gz = cJSON_GetObjectItemCaseSensitive(cfg, "gzip");

		rc = url_open(s, cJSON_IsTrue(gz) || (!cJSON_IsFalse(gz) &&
		    pl > 3 && strcmp(s->path + pl - 3, ".gz") == 0));
		if (rc != 0)
			goto fail;
		s->reader = csv_new(&o, url_read, s);
		if (s->reader == NULL) {
			rc = ORK_ENOMEM;
			goto fail;
		}
		*state = s;
		return 0;
	}
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
	csv_close(s);
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

/*
 * plain_ascii says whether n bytes are ASCII without a NUL, and so UTF-8
 * in any split into fields; eight bytes at a time.
 */
static int
plain_ascii(const char *s, size_t n)
{
	size_t i = 0;

	for (; n - i >= 8; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		/* no high bit; then adding 0x7f sets it unless 0 */
		if ((w & 0x8080808080808080ULL) != 0 ||
		    ((w + 0x7f7f7f7f7f7f7f7fULL) & 0x8080808080808080ULL) !=
		    0x8080808080808080ULL)
			return 0;
	}
	for (; i < n; i++)
		if (s[i] == 0 || (s[i] & 0x80) != 0)
			return 0;
	return 1;
}

/*
 * fill_batch parses records into b until it is full (1) or the input
 * ends (0), or fails with a message in ctx->error; on the reading
 * thread.
 */
static int
fill_batch(struct csv_src *s, struct task_ctx *ctx, struct batch *b)
{
	struct csv_record	 r;
	char			 msg[300];
	int			 rc, ascii;

	while (!batch_full(b)) {
		rc = csv_next(s->reader, &r);
		if (rc == 0)
			break;
		if (rc < 0 && rc != ORK_EINVAL && rc != ORK_ETOOBIG) {
			snprintf(ctx->error, sizeof(ctx->error), "%.200s: %s",
			    s->path, s->read_error[0] != '\0' ? s->read_error :
			    csv_error(s->reader));
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
		ascii = plain_ascii(r.data, r.off[r.nfields - 1] +
		    r.len[r.nfields - 1]);
		for (size_t i = 0; i < r.nfields; i++) {
			const char *v = r.data + r.off[i];

			if (!ascii && !r.null[i] &&
			    !plugin_utf8_valid(v, r.len[i])) {
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
	return 0;
}


/* reader_main fills the slots in turn until the input ends or fails. */
static void *
reader_main(void *arg)
{
	struct csv_src		*s = arg;
	struct csv_ahead	*a = &s->ahead;
	int			 more;

	do {
		struct batch	*b = &a->slot[a->next_fill];

		pthread_mutex_lock(&a->mu);
		while (a->ready[a->next_fill] && !atomic_load(&a->stop))
			pthread_cond_wait(&a->cv, &a->mu);
		pthread_mutex_unlock(&a->mu);
		if (atomic_load(&a->stop))
			break;
		batch_clear(b);
		more = 0;
		/* each slot names the columns, once they are known */
		if (b->ncols == 0 && a->names != NULL) {
			char err[200];

			more = batch_set_columns(b, (const char *const *)
			    a->names->cols, NULL, a->names->ncols, err,
			    sizeof(err));
		}
		if (more == 0)
			more = fill_batch(s, s->ctx, b);
		if (a->names == NULL && b->ncols > 0)
			a->names = b;
		pthread_mutex_lock(&a->mu);
		a->more[a->next_fill] = more;
		a->ready[a->next_fill] = 1;
		a->next_fill = (a->next_fill + 1) % CSV_AHEAD;
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
	} while (more == 1);
	return NULL;
}

/* rows_swap exchanges the rows of two batches, not their columns. */
static void
rows_swap(struct batch *x, struct batch *y)
{
	struct batch t = *x;

	x->nrows = y->nrows;
	x->cells = y->cells;
	x->cells_cap = y->cells_cap;
	x->bytes = y->bytes;
	x->nbytes = y->nbytes;
	x->bytes_cap = y->bytes_cap;
	x->row_cells = y->row_cells;
	y->nrows = t.nrows;
	y->cells = t.cells;
	y->cells_cap = t.cells_cap;
	y->bytes = t.bytes;
	y->nbytes = t.nbytes;
	y->bytes_cap = t.bytes_cap;
	y->row_cells = t.row_cells;
}

static int
csv_next_batch(void *state, struct task_ctx *ctx, struct batch *b)
{
	struct csv_src		*s = state;
	struct csv_ahead	*a = &s->ahead;
	struct batch		*slot = &a->slot[a->next_take];
	char			 err[200];
	int			 more, rc;

	if (!a->started) {
		if (pthread_create(&a->thread, NULL, reader_main, s) != 0) {
			snprintf(ctx->error, sizeof(ctx->error), "csv extractor: "
			    "could not start the reading thread");
			return ORK_ENOMEM;
		}
		a->started = 1;
	}
	pthread_mutex_lock(&a->mu);
	while (!a->ready[a->next_take])
		pthread_cond_wait(&a->cv, &a->mu);
	more = a->more[a->next_take];
	pthread_mutex_unlock(&a->mu);
	if (more < 0) {
		snprintf(ctx->error, sizeof(ctx->error), "%s", s->ctx->error);
		return more;
	}
	if (b->ncols == 0 && slot->ncols > 0 &&
	    (rc = batch_set_columns(b, (const char *const *)slot->cols, NULL,
	    slot->ncols, err, sizeof(err))) != 0)
		return rc;
	rows_swap(b, slot);
	pthread_mutex_lock(&a->mu);
	a->ready[a->next_take] = 0;
	a->next_take = (a->next_take + 1) % CSV_AHEAD;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	if (more == 0 && s->skipped > 0)
		plugin_logf(ctx, "skipped %llu bad rows of %.200s (the first: "
		    "%s)", (unsigned long long)s->skipped, s->path,
		    s->first_bad);
	return more;
}

const struct extractor_plugin plugin_csv = {
	.type = "csv",
	.validate = csv_validate,
	.open = csv_open,
	.next_batch = csv_next_batch,
	.cancel = NULL,
	.close = csv_close,
};
