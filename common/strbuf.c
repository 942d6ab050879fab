/*
 * strbuf.c - a growing string with a hard limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "strbuf.h"

void
strbuf_init(struct strbuf *sb, size_t limit)
{
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
	sb->limit = limit;
}

void
strbuf_free(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
}

void
strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf != NULL)
		sb->buf[0] = '\0';
}

static int
grow(struct strbuf *sb, size_t need)
{
	size_t	 cap;
	char	*nb;

	if (need > sb->limit)
		return ORK_ETOOBIG;
	if (need + 1 <= sb->cap)
		return 0;
	cap = sb->cap == 0 ? 256 : sb->cap;
	while (cap < need + 1)
		cap *= 2;
	if (cap > sb->limit + 1)
		cap = sb->limit + 1;
	nb = realloc(sb->buf, cap);
	if (nb == NULL)
		return ORK_ENOMEM;
	sb->buf = nb;
	sb->cap = cap;
	return 0;
}

int
strbuf_add(struct strbuf *sb, const void *p, size_t n)
{
	int rc;

	if (n > sb->limit - sb->len)
		return ORK_ETOOBIG;
	rc = grow(sb, sb->len + n);
	if (rc != 0)
		return rc;
	memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

int
strbuf_puts(struct strbuf *sb, const char *s)
{
	return strbuf_add(sb, s, strlen(s));
}

int
strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list	ap;
	int	n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return ORK_EINVAL;
	if ((size_t)n > sb->limit - sb->len)
		return ORK_ETOOBIG;
	rc = grow(sb, sb->len + (size_t)n);
	if (rc != 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return 0;
}

const char *
strbuf_str(const struct strbuf *sb)
{
	return sb->buf != NULL ? sb->buf : "";
}

int
strbuf_pg_array_text(struct strbuf *sb, const char *elem)
{
	int rc;

	rc = strbuf_puts(sb, sb->len == 0 ? "{" : ",");
	if (rc != 0)
		return rc;
	if (elem == NULL)
		return strbuf_puts(sb, "NULL");
	rc = strbuf_puts(sb, "\"");
	for (const char *p = elem; rc == 0 && *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			rc = strbuf_add(sb, "\\", 1);
		if (rc == 0)
			rc = strbuf_add(sb, p, 1);
	}
	if (rc == 0)
		rc = strbuf_puts(sb, "\"");
	return rc;
}

int
strbuf_pg_array_end(struct strbuf *sb)
{
	return strbuf_puts(sb, sb->len == 0 ? "{}" : "}");
}
