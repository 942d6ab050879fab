/*
 * csv.c - a streaming CSV reader with hard limits (see csv.h).
 *
 * A byte-at-a-time state machine over a 64 KiB read buffer, which takes
 * the plain bytes of a field in one run.  The record being read lives in
 * one buffer that never grows past record_max; fields are offsets into
 * it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "err.h"

#define READ_CHUNK (64 * 1024)

enum state {
	S_FIELD_START,	/* at the start of a field */
	S_UNQUOTED,	/* inside a field without quotes */
	S_QUOTED,	/* inside quotes */
	S_QUOTE_SEEN,	/* a quote inside quotes: the end, or a doubled one */
	S_ESCAPED	/* the escape character inside quotes */
};

struct csv {
	struct csv_options o;
	csv_read_fn	 read;
	void		*arg;
	char		*in;		/* read buffer */
	size_t		 in_len, in_pos;
	int		 at_eof;	/* the read function said end */
	int		 done;		/* no more records */
	int		 read_err;	/* the read function's error */
	int		 bom_checked;
	uint64_t	 line;		/* physical line being read (1-based) */
	char		*rec;		/* the record's bytes */
	size_t		 rec_len, rec_cap;
	size_t		*off, *len;
	unsigned char	*null;
	size_t		 nfields, fields_cap;
	char		 error[CSV_ERROR_MAX];
	/* per byte: SPECIAL_PLAIN and SPECIAL_QUOTED, where a run stops */
	unsigned char	 special[256];
};

#define SPECIAL_PLAIN	1	/* the delimiter, CR, LF */
#define SPECIAL_QUOTED	2	/* the quote, the escape, LF */

struct csv *
csv_new(const struct csv_options *o, csv_read_fn fn, void *arg)
{
	struct csv *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->o = *o;
	if (c->o.delimiter == 0)
		c->o.delimiter = ',';
	if (c->o.quote == 0)
		c->o.quote = '"';
	if (c->o.escape == 0)
		c->o.escape = c->o.quote;
	if (c->o.record_max == 0)
		c->o.record_max = CSV_RECORD_MAX_DEFAULT;
	if (c->o.fields_max == 0)
		c->o.fields_max = CSV_FIELDS_MAX_DEFAULT;
	if (c->o.delimiter == c->o.quote || c->o.delimiter == '\n' ||
	    c->o.delimiter == '\r' || c->o.quote == '\n' ||
	    c->o.quote == '\r' || c->o.escape == '\n' ||
	    c->o.escape == '\r' || c->o.escape == c->o.delimiter) {
		free(c);
		return NULL;
	}
	c->special[(unsigned char)c->o.delimiter] |= SPECIAL_PLAIN;
	c->special['\r'] |= SPECIAL_PLAIN;
	c->special['\n'] |= SPECIAL_PLAIN | SPECIAL_QUOTED;
	c->special[(unsigned char)c->o.quote] |= SPECIAL_QUOTED;
	c->special[(unsigned char)c->o.escape] |= SPECIAL_QUOTED;
	c->read = fn;
	c->arg = arg;
	c->line = 1;
	c->in = malloc(READ_CHUNK);
	if (c->in == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void
csv_free(struct csv *c)
{
	if (c == NULL)
		return;
	free(c->in);
	free(c->rec);
	free(c->off);
	free(c->len);
	free(c->null);
	free(c);
}

const char *
csv_error(const struct csv *c)
{
	return c->error;
}

uint64_t
csv_line(const struct csv *c)
{
	return c->line;
}

/* fill reads more input; returns 1 when bytes are there, 0 at the end. */
static int
fill(struct csv *c)
{
	size_t	got;
	int	rc;

	while (c->in_pos >= c->in_len) {
		if (c->at_eof)
			return 0;
		c->in_pos = c->in_len = 0;
		rc = c->read(c->arg, c->in, READ_CHUNK, &got);
		if (rc != 0) {
			c->read_err = rc;
			c->at_eof = 1;
			snprintf(c->error, sizeof(c->error), "could not read "
			    "the input near line %llu: %s",
			    (unsigned long long)c->line, err_str(rc));
			return 0;
		}
		if (got == 0) {
			c->at_eof = 1;
			return 0;
		}
		c->in_len = got > READ_CHUNK ? READ_CHUNK : got;
	}
	return 1;
}

/* next_byte returns the next byte or -1 at the end of the input. */
static int
next_byte(struct csv *c)
{
	if (c->in_pos >= c->in_len && !fill(c))
		return -1;
	return (unsigned char)c->in[c->in_pos++];
}

/* peek_byte returns the next byte without taking it, -1 at the end. */
static int
peek_byte(struct csv *c)
{
	if (c->in_pos >= c->in_len && !fill(c))
		return -1;
	return (unsigned char)c->in[c->in_pos];
}

/* skip_bom drops a UTF-8 byte order mark at the start of the input. */
static void
skip_bom(struct csv *c)
{
	static const unsigned char bom[3] = { 0xef, 0xbb, 0xbf };

	c->bom_checked = 1;
	/* the first read may be short: gather three bytes if there are */
	while (c->in_len - c->in_pos < 3 && !c->at_eof) {
		size_t	have = c->in_len - c->in_pos, got;
		int	rc;

		memmove(c->in, c->in + c->in_pos, have);
		c->in_pos = 0;
		c->in_len = have;
		rc = c->read(c->arg, c->in + have, READ_CHUNK - have, &got);
		if (rc != 0) {
			c->read_err = rc;
			c->at_eof = 1;
			snprintf(c->error, sizeof(c->error), "could not read "
			    "the input: %s", err_str(rc));
			return;
		}
		if (got == 0)
			c->at_eof = 1;
		c->in_len = have + (got > READ_CHUNK - have ? READ_CHUNK - have :
		    got);
	}
	if (c->in_len - c->in_pos >= 3 &&
	    memcmp(c->in + c->in_pos, bom, 3) == 0)
		c->in_pos += 3;
}

/*
 * rec_room makes room in the record for n more bytes (rec_len + n is at
 * most record_max): the buffer doubles from 1 KiB, up to record_max.
 */
static int
rec_room(struct csv *c, size_t n)
{
	size_t	 cap = c->rec_cap == 0 ? 1024 : c->rec_cap;
	char	*r;

	if (c->rec_len + n <= c->rec_cap)
		return 0;
	while (cap < c->rec_len + n)
		cap *= 2;
	if (cap > c->o.record_max)
		cap = c->o.record_max;
	r = realloc(c->rec, cap);
	if (r == NULL)
		return ORK_ENOMEM;
	c->rec = r;
	c->rec_cap = cap;
	return 0;
}

static int
add_byte(struct csv *c, char ch)
{
	int rc;

	if (c->rec_len >= c->o.record_max)
		return ORK_ETOOBIG;
	if ((rc = rec_room(c, 1)) != 0)
		return rc;
	c->rec[c->rec_len++] = ch;
	return 0;
}

/*
 * add_run takes the bytes of the read buffer up to the next one that
 * matters in the state (in quotes: a quote, the escape or a line feed;
 * outside: the delimiter or a line break) into the record at once,
 * stopping at record_max for add_byte to refuse the next.
 */
static int
add_run(struct csv *c, int quoted)
{
	const char	*p = c->in + c->in_pos, *q = p;
	const char	*end = c->in + c->in_len;
	unsigned char	 stop = quoted ? SPECIAL_QUOTED : SPECIAL_PLAIN;
	size_t		 n;
	int		 rc;

	while (q < end && (c->special[(unsigned char)*q] & stop) == 0)
		q++;
	n = (size_t)(q - p);
	if (n > c->o.record_max - c->rec_len)
		n = c->o.record_max - c->rec_len;
	if (n == 0)
		return 0;
	if ((rc = rec_room(c, n)) != 0)
		return rc;
	memcpy(c->rec + c->rec_len, p, n);
	c->rec_len += n;
	c->in_pos += n;
	return 0;
}

static int
end_field(struct csv *c, size_t start, int quoted)
{
	if (c->nfields >= c->o.fields_max)
		return ORK_ETOOBIG;
	if (c->nfields == c->fields_cap) {
		size_t		 cap = c->fields_cap == 0 ? 16 : c->fields_cap * 2;
		size_t		*off, *len;
		unsigned char	*null;

		if (cap > c->o.fields_max)
			cap = c->o.fields_max;
		off = realloc(c->off, cap * sizeof(*off));
		if (off == NULL)
			return ORK_ENOMEM;
		c->off = off;
		len = realloc(c->len, cap * sizeof(*len));
		if (len == NULL)
			return ORK_ENOMEM;
		c->len = len;
		null = realloc(c->null, cap);
		if (null == NULL)
			return ORK_ENOMEM;
		c->null = null;
		c->fields_cap = cap;
	}
	c->off[c->nfields] = start;
	c->len[c->nfields] = c->rec_len - start;
	c->null[c->nfields] = !quoted && c->rec_len == start;
	c->nfields++;
	return 0;
}

/* skip_line drops input up to and including the next line feed. */
static void
skip_line(struct csv *c)
{
	int ch;

	while ((ch = next_byte(c)) >= 0)
		if (ch == '\n') {
			c->line++;
			return;
		}
}

/*
 * is_line_end says whether ch ends a line, taking the LF of a CRLF.
 * A CR not followed by LF is data.
 */
static int
is_line_end(struct csv *c, int ch)
{
	if (ch == '\n')
		return 1;
	if (ch == '\r' && peek_byte(c) == '\n') {
		c->in_pos++;
		return 1;
	}
	return 0;
}

static void
fill_record(const struct csv *c, struct csv_record *r, uint64_t line)
{
	r->nfields = c->nfields;
	r->data = c->rec;
	r->off = c->off;
	r->len = c->len;
	r->null = c->null;
	r->line = line;
}

int
csv_next(struct csv *c, struct csv_record *r)
{
	enum state	 st = S_FIELD_START;
	size_t		 start = 0;
	uint64_t	 line;
	int		 quoted = 0, ch, rc = 0, eol = 0;
	const char	*what = "";

	if (c->done)
		return c->read_err != 0 ? c->read_err : 0;
	if (!c->bom_checked)
		skip_bom(c);
	c->rec_len = 0;
	c->nfields = 0;
	c->error[0] = '\0';
	line = c->line;
	for (;;) {
		ch = next_byte(c);
		if (ch < 0) {
			c->done = 1;
			if (c->read_err != 0)
				return c->read_err;
			if (st == S_QUOTED || st == S_ESCAPED) {
				snprintf(c->error, sizeof(c->error), "line %llu: "
				    "quoted field %zu is not closed before the "
				    "end of the input", (unsigned long long)line,
				    c->nfields + 1);
				return ORK_EINVAL;
			}
			if (st == S_FIELD_START && c->nfields == 0)
				return 0;	/* nothing after the last line */
			if (st == S_FIELD_START) {	/* "a,b," at the end */
				start = c->rec_len;
				quoted = 0;
			}
			if ((rc = end_field(c, start, quoted)) != 0)
				goto bad;
			fill_record(c, r, line);
			return 1;
		}
		switch (st) {
		case S_FIELD_START:
			start = c->rec_len;
			quoted = 0;
			if (ch == c->o.quote) {
				quoted = 1;
				st = S_QUOTED;
				break;
			}
			if (ch == c->o.delimiter) {
				if ((rc = end_field(c, start, 0)) != 0)
					goto bad;
				break;
			}
			if (is_line_end(c, ch)) {
				c->line++;
				eol = 1;
				if (c->nfields == 0) {	/* a blank line */
					line = c->line;
					eol = 0;
					break;
				}
				if ((rc = end_field(c, start, 0)) != 0)
					goto bad;
				fill_record(c, r, line);
				return 1;
			}
			if ((rc = add_byte(c, (char)ch)) != 0 ||
			    (rc = add_run(c, 0)) != 0)
				goto bad;
			st = S_UNQUOTED;
			break;
		case S_UNQUOTED:
			if (ch == c->o.delimiter) {
				if ((rc = end_field(c, start, 0)) != 0)
					goto bad;
				st = S_FIELD_START;
				break;
			}
			if (is_line_end(c, ch)) {
				c->line++;
				eol = 1;
				if ((rc = end_field(c, start, 0)) != 0)
					goto bad;
				fill_record(c, r, line);
				return 1;
			}
			if ((rc = add_byte(c, (char)ch)) != 0 ||
			    (rc = add_run(c, 0)) != 0)
				goto bad;
			break;
		case S_QUOTED:
			if (ch == '\n')
				c->line++;
			if (ch == c->o.quote) {
				st = S_QUOTE_SEEN;
				break;
			}
			if (ch == c->o.escape) {	/* escape != quote here */
				st = S_ESCAPED;
				break;
			}
			if ((rc = add_byte(c, (char)ch)) != 0 ||
			    (rc = add_run(c, 1)) != 0)
				goto bad;
			break;
		case S_ESCAPED:
			if (ch == '\n')
				c->line++;
			if ((rc = add_byte(c, (char)ch)) != 0)
				goto bad;
			st = S_QUOTED;
			break;
		case S_QUOTE_SEEN:
			if (ch == c->o.quote && c->o.escape == c->o.quote) {
				if ((rc = add_byte(c, (char)ch)) != 0)
					goto bad;
				st = S_QUOTED;
				break;
			}
			if (ch == c->o.delimiter) {
				if ((rc = end_field(c, start, 1)) != 0)
					goto bad;
				st = S_FIELD_START;
				break;
			}
			if (is_line_end(c, ch)) {
				c->line++;
				eol = 1;
				if ((rc = end_field(c, start, 1)) != 0)
					goto bad;
				fill_record(c, r, line);
				return 1;
			}
			rc = ORK_EINVAL;
			what = "a character follows the closing quote of field";
			goto bad;
		}
	}
bad:
	if (rc == ORK_ENOMEM) {
		c->done = 1;
		snprintf(c->error, sizeof(c->error), "out of memory reading "
		    "line %llu", (unsigned long long)line);
		return rc;
	}
	if (rc == ORK_ETOOBIG && c->nfields >= c->o.fields_max)
		snprintf(c->error, sizeof(c->error), "line %llu: more than %zu "
		    "fields", (unsigned long long)line, c->o.fields_max);
	else if (rc == ORK_ETOOBIG)
		snprintf(c->error, sizeof(c->error), "line %llu: record longer "
		    "than %zu bytes", (unsigned long long)line,
		    c->o.record_max);
	else
		snprintf(c->error, sizeof(c->error), "line %llu: %s %zu",
		    (unsigned long long)line, what, c->nfields + 1);
	/* a line end that ended the bad record was already taken */
	if (!eol)
		skip_line(c);
	if (c->at_eof && c->in_pos >= c->in_len)
		c->done = 1;
	return rc;
}
