/*
 * json.h - JSON from outside input, within limits, and JSON output into
 * a buffer with a hard limit.
 *
 * json_parse checks a document with its own scanner before cJSON sees
 * it: size, nesting depth, string length, UTF-8, escapes, NUL characters
 * and duplicate object keys are refused with a message that names where
 * the problem is (a path like "tasks[0].extractor_config.url").  cJSON
 * then only ever parses text known to be valid, so it never fails on
 * input (and never writes its process-wide error pointer).
 */
#ifndef ORK_JSON_H
#define ORK_JSON_H

#include <stdarg.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* Longest path kept in an error ("tasks[12].loader_config.table_name"). */
#define JSON_PATH_MAX 256
/* Longest message kept in an error. */
#define JSON_MESSAGE_MAX 512
/* Deepest nesting json_check can be asked to allow. */
#define JSON_DEPTH_LIMIT 256

/* What a document may be. */
struct json_limits {
	size_t	max_bytes;	/* whole document */
	int	max_depth;	/* arrays/objects inside each other */
	size_t	max_string;	/* bytes of one decoded string or key */
};

/*
 * A problem found in a document: a short machine code (a static string
 * such as "malformed_json"), the path of the offending value ("" for the
 * document itself) and a lower-case message for people.
 */
struct json_err {
	const char	*code;
	char		 field[JSON_PATH_MAX];
	char		 message[JSON_MESSAGE_MAX];
};

/* Codes json_check and json_parse use. */
#define JSON_CODE_MALFORMED	"malformed_json"
#define JSON_CODE_TOO_LARGE	"too_large"
#define JSON_CODE_TOO_DEEP	"too_deep"
#define JSON_CODE_INVALID_VALUE	"invalid_value"

/*
 * json_check scans len bytes (not NUL-terminated) as one JSON document.
 * Returns 0, ORK_ETOOBIG when the document exceeds max_bytes, or
 * ORK_EINVAL for anything else wrong; e says what and where.
 */
int	json_check(const char *buf, size_t len, const struct json_limits *lim,
	    struct json_err *e);

/*
 * json_parse checks the document (json_check), parses it with cJSON and
 * refuses objects with a duplicate key.  On success *out is a tree the
 * caller releases with cJSON_Delete.  Errors as json_check, plus
 * ORK_ENOMEM.
 */
int	json_parse(const char *buf, size_t len, const struct json_limits *lim,
	    cJSON **out, struct json_err *e);

/* json_err_set fills e (code is kept as a pointer: pass a static string). */
void	json_err_set(struct json_err *e, const char *code, const char *field,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * json_path_key / json_path_index write the path of a member of the
 * value at `parent` into out: "a.b", "a[3]" ("" parent gives "b").
 */
void	json_path_key(char *out, size_t len, const char *parent,
	    const char *key);
void	json_path_index(char *out, size_t len, const char *parent,
	    size_t index);

/* ---- output ------------------------------------------------------ */

/*
 * A growing buffer of JSON text with a hard limit.  An append that
 * would pass the limit or fails to allocate marks the buffer failed and
 * is dropped; later appends are ignored, so callers check once, at the
 * end, with json_buf_ok.
 */
struct json_buf {
	char	*data;		/* NUL-terminated while not failed */
	size_t	 len;
	size_t	 cap;
	size_t	 max;
	int	 failed;	/* ORK_ETOOBIG or ORK_ENOMEM once failed */
};

/* json_buf_init starts an empty buffer that may grow to max bytes. */
void	json_buf_init(struct json_buf *b, size_t max);

/* json_buf_free releases the text; b may be reused after json_buf_init. */
void	json_buf_free(struct json_buf *b);

/* json_buf_ok returns 0 or the error that made the buffer fail. */
int	json_buf_ok(const struct json_buf *b);

/*
 * json_buf_reserve makes room for n more bytes at once (a hint: a
 * buffer that cannot grow so far fails later, on the append).
 */
void	json_buf_reserve(struct json_buf *b, size_t n);

/* json_buf_add appends n bytes of text as they are. */
void	json_buf_add(struct json_buf *b, const char *s, size_t n);

/* json_buf_puts appends a NUL-terminated text as it is. */
void	json_buf_puts(struct json_buf *b, const char *s);

/* json_buf_printf appends formatted text as it is. */
void	json_buf_printf(struct json_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * json_buf_str appends s as a quoted JSON string, escaping what JSON
 * requires; NULL appends null.
 */
void	json_buf_str(struct json_buf *b, const char *s);

/* json_buf_strn is json_buf_str for n bytes that need no terminator. */
void	json_buf_strn(struct json_buf *b, const char *s, size_t n);

/*
 * json_buf_take returns the text, which the caller now owns and frees,
 * and leaves b empty; NULL when the buffer failed.
 */
char	*json_buf_take(struct json_buf *b);

#endif /* ORK_JSON_H */
