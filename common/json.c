/*
 * json.c - JSON from outside input, within limits, and JSON output into
 * a buffer with a hard limit.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"

/* Longest number accepted: cJSON copies numbers into a 64-byte buffer. */
#define JSON_NUMBER_MAX 63
/* Longest key shown in a path. */
#define JSON_PATH_KEY_MAX 64
/* Objects with more members than this are checked for duplicates by sorting. */
#define JSON_DUP_PAIRWISE_MAX 16

void
json_err_set(struct json_err *e, const char *code, const char *field,
    const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	e->code = code;
	snprintf(e->field, sizeof(e->field), "%s", field != NULL ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

void
json_path_key(char *out, size_t len, const char *parent, const char *key)
{
	if (parent == NULL || parent[0] == '\0')
		snprintf(out, len, "%.*s", JSON_PATH_KEY_MAX, key);
	else
		snprintf(out, len, "%s.%.*s", parent, JSON_PATH_KEY_MAX, key);
}

void
json_path_index(char *out, size_t len, const char *parent, size_t index)
{
	snprintf(out, len, "%s[%zu]", parent != NULL ? parent : "", index);
}

/* ---- the scanner ------------------------------------------------- */

struct scan_level {
	int			 is_array;
	size_t			 index;		/* arrays: current element */
	const unsigned char	*key;		/* objects: current key, raw */
	size_t			 keylen;
};

struct scan {
	const unsigned char	*start, *p, *end;
	const struct json_limits *lim;
	struct json_err		*e;
	int			 depth;
	struct scan_level	 stack[JSON_DEPTH_LIMIT];
};

/* scan_path writes the path of the value being scanned. */
static void
scan_path(const struct scan *s, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < s->depth && used + 1 < len; i++) {
		const struct scan_level *l = &s->stack[i];
		int n;

		if (l->is_array)
			n = snprintf(out + used, len - used, "[%zu]", l->index);
		else if (l->key == NULL)
			break;
		else
			n = snprintf(out + used, len - used, "%s%.*s",
			    used > 0 ? "." : "", (int)(l->keylen >
			    JSON_PATH_KEY_MAX ? JSON_PATH_KEY_MAX : l->keylen),
			    (const char *)l->key);
		if (n < 0)
			break;
		used += (size_t)n;
		if (used >= len)
			used = len - 1;
	}
}

static int
scan_fail(struct scan *s, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
scan_fail(struct scan *s, const char *code, const char *fmt, ...)
{
	char		 what[256], path[JSON_PATH_MAX];
	va_list		 ap;
	int		 line = 1, col = 1;

	for (const unsigned char *q = s->start; q < s->p && q < s->end; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else
			col++;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	scan_path(s, path, sizeof(path));
	if (strcmp(code, JSON_CODE_MALFORMED) == 0)
		json_err_set(s->e, code, path, "body is not valid JSON: %s at "
		    "line %d, column %d", what, line, col);
	else
		json_err_set(s->e, code, path, "%s", what);
	return ORK_EINVAL;
}

static void
skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
hex4(const unsigned char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned c = p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/*
 * utf8_len returns the length of the valid UTF-8 sequence at p (at most
 * n bytes available), 0 when it is not valid (overlong, surrogate,
 * beyond U+10FFFF, truncated).
 */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char	c = p[0];
	size_t		need;
	unsigned char	lo = 0x80, hi = 0xBF;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		need = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (n < need)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return need;
}

/* scan_string scans a string starting at its opening quote. */
static int
scan_string(struct scan *s, const unsigned char **text, size_t *textlen)
{
	size_t decoded = 0;

	s->p++;			/* the quote */
	*text = s->p;
	for (;;) {
		unsigned c;

		if (s->p >= s->end)
			return scan_fail(s, JSON_CODE_MALFORMED,
			    "unterminated string");
		c = *s->p;
		if (c == '"')
			break;
		if (c < 0x20)
			return scan_fail(s, JSON_CODE_MALFORMED,
			    "control character in string");
		if (c == '\\') {
			unsigned u, lo;

			if (s->end - s->p < 2)
				return scan_fail(s, JSON_CODE_MALFORMED,
				    "unterminated string");
			c = s->p[1];
			if (strchr("\"\\/bfnrt", (int)c) != NULL && c != 0) {
				s->p += 2;
				decoded++;
			} else if (c == 'u') {
				if (s->end - s->p < 6 || hex4(s->p + 2, &u) != 0)
					return scan_fail(s, JSON_CODE_MALFORMED,
					    "bad \\u escape");
				if (u == 0)
					return scan_fail(s,
					    JSON_CODE_INVALID_VALUE, "strings "
					    "must not contain \\u0000");
				if (u >= 0xDC00 && u <= 0xDFFF)
					return scan_fail(s, JSON_CODE_MALFORMED,
					    "lone low surrogate in \\u escape");
				if (u >= 0xD800 && u <= 0xDBFF) {
					if (s->end - s->p < 12 || s->p[6] != '\\' ||
					    s->p[7] != 'u' ||
					    hex4(s->p + 8, &lo) != 0 ||
					    lo < 0xDC00 || lo > 0xDFFF)
						return scan_fail(s,
						    JSON_CODE_MALFORMED, "high "
						    "surrogate without a low "
						    "surrogate");
					s->p += 12;
					decoded += 4;
				} else {
					s->p += 6;
					decoded += u < 0x80 ? 1 : u < 0x800 ?
					    2 : 3;
				}
			} else
				return scan_fail(s, JSON_CODE_MALFORMED,
				    "bad escape in string");
		} else if (c < 0x80) {
			s->p++;
			decoded++;
		} else {
			size_t n = utf8_len(s->p, (size_t)(s->end - s->p));

			if (n == 0)
				return scan_fail(s, JSON_CODE_INVALID_VALUE,
				    "string is not valid UTF-8");
			s->p += n;
			decoded += n;
		}
		if (decoded > s->lim->max_string)
			return scan_fail(s, JSON_CODE_INVALID_VALUE, "string "
			    "longer than %zu bytes", s->lim->max_string);
	}
	*textlen = (size_t)(s->p - *text);
	s->p++;			/* the closing quote */
	return 0;
}

static int
scan_number(struct scan *s)
{
	const unsigned char *begin = s->p;

	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p >= s->end)
		return scan_fail(s, JSON_CODE_MALFORMED, "bad number");
	if (*s->p == '0')
		s->p++;
	else if (*s->p >= '1' && *s->p <= '9')
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	else
		return scan_fail(s, JSON_CODE_MALFORMED, "bad number");
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return scan_fail(s, JSON_CODE_MALFORMED, "bad number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return scan_fail(s, JSON_CODE_MALFORMED, "bad number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p - begin > JSON_NUMBER_MAX)
		return scan_fail(s, JSON_CODE_INVALID_VALUE, "number longer "
		    "than %d characters", JSON_NUMBER_MAX);
	return 0;
}

static int
scan_literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return scan_fail(s, JSON_CODE_MALFORMED, "unexpected character");
	s->p += n;
	return 0;
}

static int
scan_push(struct scan *s, int is_array)
{
	if (s->depth >= s->lim->max_depth || s->depth >= JSON_DEPTH_LIMIT)
		return scan_fail(s, JSON_CODE_TOO_DEEP, "nested deeper than %d "
		    "levels", s->lim->max_depth);
	s->stack[s->depth].is_array = is_array;
	s->stack[s->depth].index = 0;
	s->stack[s->depth].key = NULL;
	s->stack[s->depth].keylen = 0;
	s->depth++;
	s->p++;
	return 0;
}

int
json_check(const char *buf, size_t len, const struct json_limits *lim,
    struct json_err *e)
{
	struct scan		 s;
	const unsigned char	*text;
	size_t			 textlen;
	int			 rc;

	if (len > lim->max_bytes) {
		json_err_set(e, JSON_CODE_TOO_LARGE, NULL, "body is larger "
		    "than %zu bytes", lim->max_bytes);
		return ORK_ETOOBIG;
	}
	memset(&s, 0, offsetof(struct scan, stack));
	s.start = s.p = (const unsigned char *)buf;
	s.end = s.start + len;
	s.lim = lim;
	s.e = e;
	skip_ws(&s);

value:
	if (s.p >= s.end)
		return scan_fail(&s, JSON_CODE_MALFORMED, s.depth == 0 &&
		    s.p == s.start ? "empty body" : "unexpected end");
	switch (*s.p) {
	case '{':
		if ((rc = scan_push(&s, 0)) != 0)
			return rc;
		skip_ws(&s);
		if (s.p < s.end && *s.p == '}') {
			s.depth--;
			s.p++;
			goto after_value;
		}
		goto key;
	case '[':
		if ((rc = scan_push(&s, 1)) != 0)
			return rc;
		skip_ws(&s);
		if (s.p < s.end && *s.p == ']') {
			s.depth--;
			s.p++;
			goto after_value;
		}
		goto value;
	case '"':
		if ((rc = scan_string(&s, &text, &textlen)) != 0)
			return rc;
		goto after_value;
	case 't':
		rc = scan_literal(&s, "true");
		break;
	case 'f':
		rc = scan_literal(&s, "false");
		break;
	case 'n':
		rc = scan_literal(&s, "null");
		break;
	default:
		if (*s.p == '-' || (*s.p >= '0' && *s.p <= '9'))
			rc = scan_number(&s);
		else
			rc = scan_fail(&s, JSON_CODE_MALFORMED,
			    "unexpected character");
		break;
	}
	if (rc != 0)
		return rc;
	goto after_value;

key:
	if (s.p >= s.end || *s.p != '"')
		return scan_fail(&s, JSON_CODE_MALFORMED, "expected a string "
		    "key");
	if ((rc = scan_string(&s, &text, &textlen)) != 0)
		return rc;
	s.stack[s.depth - 1].key = text;
	s.stack[s.depth - 1].keylen = textlen;
	skip_ws(&s);
	if (s.p >= s.end || *s.p != ':')
		return scan_fail(&s, JSON_CODE_MALFORMED, "expected ':'");
	s.p++;
	skip_ws(&s);
	goto value;

after_value:
	if (s.depth == 0)
		goto done;
	skip_ws(&s);
	if (s.p >= s.end)
		return scan_fail(&s, JSON_CODE_MALFORMED, "unexpected end");
	if (s.stack[s.depth - 1].is_array) {
		if (*s.p == ',') {
			s.p++;
			s.stack[s.depth - 1].index++;
			skip_ws(&s);
			goto value;
		}
		if (*s.p == ']') {
			s.p++;
			s.depth--;
			goto after_value;
		}
		return scan_fail(&s, JSON_CODE_MALFORMED, "expected ',' or ']'");
	}
	if (*s.p == ',') {
		s.p++;
		skip_ws(&s);
		goto key;
	}
	if (*s.p == '}') {
		s.p++;
		s.depth--;
		goto after_value;
	}
	return scan_fail(&s, JSON_CODE_MALFORMED, "expected ',' or '}'");

done:
	skip_ws(&s);
	if (s.p != s.end)
		return scan_fail(&s, JSON_CODE_MALFORMED, "unexpected text "
		    "after the document");
	return 0;
}

/* ---- duplicate keys ---------------------------------------------- */

static int
cmp_names(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

static int
check_duplicates(const cJSON *v, const char *path, struct json_err *e)
{
	char		 sub[JSON_PATH_MAX];
	const cJSON	*c;
	size_t		 n = 0, i;
	int		 rc;

	if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
		return 0;
	for (c = v->child; c != NULL; c = c->next)
		n++;
	if (cJSON_IsObject(v) && n > 1) {
		const cJSON *dup = NULL;

		if (n <= JSON_DUP_PAIRWISE_MAX) {
			for (c = v->child; c != NULL && dup == NULL; c = c->next)
				for (const cJSON *d = c->next; d != NULL;
				    d = d->next)
					if (strcmp(c->string, d->string) == 0) {
						dup = d;
						break;
					}
		} else {
			const cJSON **all = malloc(n * sizeof(*all));

			if (all == NULL) {
				json_err_set(e, JSON_CODE_INVALID_VALUE, path,
				    "out of memory");
				return ORK_ENOMEM;
			}
			i = 0;
			for (c = v->child; c != NULL; c = c->next)
				all[i++] = c;
			qsort(all, n, sizeof(*all), cmp_names);
			for (i = 1; i < n && dup == NULL; i++)
				if (strcmp(all[i - 1]->string,
				    all[i]->string) == 0)
					dup = all[i];
			free(all);
		}
		if (dup != NULL) {
			json_path_key(sub, sizeof(sub), path, dup->string);
			json_err_set(e, JSON_CODE_INVALID_VALUE, sub,
			    "key \"%.64s\" appears more than once",
			    dup->string);
			return ORK_EINVAL;
		}
	}
	i = 0;
	for (c = v->child; c != NULL; c = c->next, i++) {
		if (!cJSON_IsObject(c) && !cJSON_IsArray(c))
			continue;
		if (cJSON_IsObject(v))
			json_path_key(sub, sizeof(sub), path, c->string);
		else
			json_path_index(sub, sizeof(sub), path, i);
		if ((rc = check_duplicates(c, sub, e)) != 0)
			return rc;
	}
	return 0;
}

int
json_parse(const char *buf, size_t len, const struct json_limits *lim,
    cJSON **out, struct json_err *e)
{
	cJSON	*root;
	int	 rc;

	*out = NULL;
	if ((rc = json_check(buf, len, lim, e)) != 0)
		return rc;
	root = cJSON_ParseWithLength(buf, len);
	if (root == NULL) {
		/* The scanner accepted it: only allocation can fail. */
		json_err_set(e, JSON_CODE_INVALID_VALUE, NULL,
		    "out of memory while parsing the body");
		return ORK_ENOMEM;
	}
	if ((rc = check_duplicates(root, "", e)) != 0) {
		cJSON_Delete(root);
		return rc;
	}
	*out = root;
	return 0;
}

/* ---- output ------------------------------------------------------ */

void
json_buf_init(struct json_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
json_buf_free(struct json_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int
json_buf_ok(const struct json_buf *b)
{
	return b->failed;
}

static int
grow(struct json_buf *b, size_t extra)
{
	size_t	 want, cap;
	char	*nd;

	if (b->failed)
		return -1;
	if (extra > b->max || b->len + extra > b->max) {
		b->failed = ORK_ETOOBIG;
		return -1;
	}
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap > 0 ? b->cap : 4096;
	while (cap < want)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	nd = realloc(b->data, cap);
	if (nd == NULL) {
		b->failed = ORK_ENOMEM;
		return -1;
	}
	b->data = nd;
	b->cap = cap;
	b->data[b->len] = '\0';
	return 0;
}

void
json_buf_reserve(struct json_buf *b, size_t n)
{
	(void)grow(b, n);
}

void
json_buf_add(struct json_buf *b, const char *s, size_t n)
{
	/* the common case first: it fits */
	if (b->data == NULL || b->failed || n >= b->cap - b->len) {
		if (grow(b, n) != 0)
			return;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
json_buf_puts(struct json_buf *b, const char *s)
{
	json_buf_add(b, s, strlen(s));
}

void
json_buf_printf(struct json_buf *b, const char *fmt, ...)
{
	va_list	ap;
	char	small[256];
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = ORK_EINVAL;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		json_buf_add(b, small, (size_t)n);
		return;
	}
	if (grow(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
json_buf_strn(struct json_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	json_buf_add(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char	c = (unsigned char)s[i];
		char		esc[6];
		size_t		elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		/* flush the plain run before this byte */
		json_buf_add(b, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"':	esc[1] = '"'; break;
		case '\\':	esc[1] = '\\'; break;
		case '\n':	esc[1] = 'n'; break;
		case '\r':	esc[1] = 'r'; break;
		case '\t':	esc[1] = 't'; break;
		case '\b':	esc[1] = 'b'; break;
		case '\f':	esc[1] = 'f'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
			break;
		}
		json_buf_add(b, esc, elen);
	}
	json_buf_add(b, s + run, n - run);
	json_buf_add(b, "\"", 1);
}

void
json_buf_str(struct json_buf *b, const char *s)
{
	if (s == NULL)
		json_buf_add(b, "null", 4);
	else
		json_buf_strn(b, s, strlen(s));
}

char *
json_buf_take(struct json_buf *b)
{
	char *d;

	if (b->failed) {
		json_buf_free(b);
		return NULL;
	}
	if (b->data == NULL)
		json_buf_add(b, "", 0);
	d = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return b->failed ? NULL : d;
}
