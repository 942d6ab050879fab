/*
 * csv.h - a streaming CSV reader for outside input (RFC 4180 and the
 * usual variations).
 *
 * The reader pulls bytes through a read function, so the same code reads
 * a plain file, a gzip stream or a buffer in memory, and hands out one
 * record at a time: memory is bounded by the record limit whatever the
 * size of the input.
 *
 * What it accepts: fields separated by a delimiter; records ended by LF or
 * CRLF (or the end of the input: a missing final newline is fine); fields
 * enclosed in quotes may hold delimiters, quotes (doubled, or preceded by
 * the escape character when one other than the quote is set) and line
 * breaks; a UTF-8 byte order mark at the very start is skipped; lines
 * without a single byte are skipped.  An unquoted empty field is NULL, a
 * quoted one ("") is the empty string, as in PostgreSQL's CSV format.
 *
 * Limits: a record may hold at most fields_max fields and record_max
 * bytes; going over either is an error of that record.  After a record
 * error the reader skips to the end of the physical line and may be asked
 * for the next record (on_error "skip"); an unterminated quote at the end
 * of the input ends the input.
 */
#ifndef ORK_CSV_H
#define ORK_CSV_H

#include <stddef.h>
#include <stdint.h>

#define CSV_RECORD_MAX_DEFAULT	(16u * 1024 * 1024)	/* bytes */
#define CSV_FIELDS_MAX_DEFAULT	4096
#define CSV_ERROR_MAX		256

/*
 * A read function fills buf with up to len bytes and sets *got; *got = 0
 * means the end of the input.  Returns 0, or a negative ORK_E* code that
 * the reader passes on.
 */
typedef int (*csv_read_fn)(void *arg, char *buf, size_t len, size_t *got);

struct csv_options {
	char	delimiter;	/* ',' when 0 */
	char	quote;		/* '"' when 0 */
	char	escape;		/* 0 or == quote: quotes are doubled */
	size_t	record_max;	/* CSV_RECORD_MAX_DEFAULT when 0 */
	size_t	fields_max;	/* CSV_FIELDS_MAX_DEFAULT when 0 */
};

/*
 * One record: field i is bytes [data + off[i], + len[i]) (not
 * NUL-terminated), NULL when null[i].  Everything belongs to the reader
 * and is valid until the next csv_next.
 */
struct csv_record {
	size_t		 nfields;
	const char	*data;
	const size_t	*off;
	const size_t	*len;
	const unsigned char *null;
	uint64_t	 line;		/* physical line the record starts on */
};

struct csv;

/*
 * csv_new makes a reader pulling from fn(arg); the options are copied.
 * Returns NULL when out of memory or when an option is invalid (equal
 * delimiter and quote, a line break as either).
 */
struct csv *csv_new(const struct csv_options *o, csv_read_fn fn, void *arg);

/* csv_free releases a reader; NULL accepted. */
void csv_free(struct csv *c);

/*
 * csv_next reads the next record into *r.  Returns 1 when it read one,
 * 0 at the end of the input, ORK_EINVAL or ORK_ETOOBIG for a record that
 * is malformed or over a limit (csv_error says what, with its line; the
 * next call continues after that line), or the read function's error
 * (then the reader is done).
 */
int csv_next(struct csv *c, struct csv_record *r);

/* csv_error returns the message of the last error ("" when none). */
const char *csv_error(const struct csv *c);

/* csv_line returns the number of physical lines read so far. */
uint64_t csv_line(const struct csv *c);

#endif /* ORK_CSV_H */
