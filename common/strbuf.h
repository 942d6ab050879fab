/*
 * strbuf.h - a growing string with a hard limit (curl's dynbuf).
 *
 * Appends past the limit fail with ORK_ETOOBIG and leave the buffer as it
 * was; the string is always NUL-terminated.  Also builds PostgreSQL array
 * literals for passing lists as one parameter.
 */
#ifndef ORK_STRBUF_H
#define ORK_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char	*buf;		/* NULL until the first append */
	size_t	 len;
	size_t	 cap;
	size_t	 limit;		/* most bytes, NUL excluded */
};

/* strbuf_init prepares an empty buffer that may grow to limit bytes. */
void strbuf_init(struct strbuf *sb, size_t limit);

/* strbuf_free releases the memory; the buffer is empty again. */
void strbuf_free(struct strbuf *sb);

/* strbuf_reset empties the buffer, keeping its memory. */
void strbuf_reset(struct strbuf *sb);

/* strbuf_add appends n bytes.  ORK_ETOOBIG / ORK_ENOMEM on failure. */
int strbuf_add(struct strbuf *sb, const void *p, size_t n);

/* strbuf_puts appends a string. */
int strbuf_puts(struct strbuf *sb, const char *s);

/* strbuf_printf appends formatted text. */
int strbuf_printf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* strbuf_str returns the string ("" when empty); owned by sb. */
const char *strbuf_str(const struct strbuf *sb);

/*
 * strbuf_pg_array_text appends one element to a PostgreSQL array literal
 * being built ("{" is added before the first, call strbuf_pg_array_end
 * after the last), quoting it so any text survives; NULL adds NULL.
 */
int strbuf_pg_array_text(struct strbuf *sb, const char *elem);

/* strbuf_pg_array_end closes the literal ("{}" when nothing was added). */
int strbuf_pg_array_end(struct strbuf *sb);

#endif /* ORK_STRBUF_H */
