/*
 * log.c - one line per event on stderr, as text or JSON.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static char		 log_daemon[64] = "ork";
static enum log_level	 log_threshold = LOGL_INFO;
static enum log_format	 log_fmt = LOG_FORMAT_TEXT;
static int		 log_fd = 2;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

/*
 * Room kept after the message for the id fields and the line's end: a
 * long message is cut, never the ids, and a JSON line always closes.
 */
#define LOG_IDS_ROOM 768

void
log_init(const char *daemon, enum log_level level, enum log_format fmt)
{
	snprintf(log_daemon, sizeof(log_daemon), "%s", daemon);
	log_threshold = level;
	log_fmt = fmt;
}

void
log_set_fd(int fd)
{
	log_fd = fd;
}

int
log_parse_level(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	    i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

int
log_parse_format(const char *name)
{
	if (strcmp(name, "text") == 0)
		return LOG_FORMAT_TEXT;
	if (strcmp(name, "json") == 0)
		return LOG_FORMAT_JSON;
	if (strcmp(name, "auto") == 0)
		return isatty(2) ? LOG_FORMAT_TEXT : LOG_FORMAT_JSON;
	return -1;
}

int
log_enabled(enum log_level level)
{
	return level >= log_threshold;
}

/* A bounded appender: writes what fits, remembers the position. */
struct line {
	char	buf[LOG_LINE_MAX];
	size_t	len;
};

static void
line_add(struct line *l, const char *s, size_t n)
{
	size_t room = sizeof(l->buf) - 1 - l->len;

	if (n > room)
		n = room;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void
line_puts(struct line *l, const char *s)
{
	line_add(l, s, strlen(s));
}

/*
 * line_json_str appends s as the inside of a JSON string, stopping
 * before the line would pass end: an escape is written whole or not at
 * all, so a cut string is still valid JSON.
 */
static void
line_json_str(struct line *l, const char *s, size_t end)
{
	char	esc[8];
	size_t	n;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			n = 2;
		} else if (c == '\n') {
			memcpy(esc, "\\n", 2);
			n = 2;
		} else if (c == '\t') {
			memcpy(esc, "\\t", 2);
			n = 2;
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			n = 6;
		} else {
			esc[0] = (char)c;
			n = 1;
		}
		if (l->len + n > end)
			return;
		line_add(l, esc, n);
	}
}

/* line_text_str appends s with control characters as spaces: one line. */
static void
line_text_str(struct line *l, const char *s, size_t end)
{
	for (; *s != '\0' && l->len < end; s++) {
		char c = (unsigned char)*s < 0x20 ? ' ' : *s;

		line_add(l, &c, 1);
	}
}

static void
line_field(struct line *l, const char *key, const char *val)
{
	if (val == NULL || *val == '\0')
		return;
	/* a field that cannot fit with one byte of value is left out */
	if (l->len + strlen(key) + 8 > sizeof(l->buf) - 4)
		return;
	if (log_fmt == LOG_FORMAT_JSON) {
		line_puts(l, ",\"");
		line_puts(l, key);
		line_puts(l, "\":\"");
		/* the closing quote, brace and newline always fit */
		line_json_str(l, val, sizeof(l->buf) - 4);
		line_puts(l, "\"");
	} else {
		line_puts(l, " ");
		line_puts(l, key);
		line_puts(l, "=");
		line_text_str(l, val, sizeof(l->buf) - 2);
	}
}

void
log_vemit(enum log_level level, const struct log_ids *ids, const char *fmt,
    va_list ap)
{
	struct line	 l;
	char		 msg[LOG_LINE_MAX / 2];
	char		 ts[80], num[32];
	struct timespec	 now;
	struct tm	 tm;
	ssize_t		 w;
	size_t		 off;

	if (!log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
	vsnprintf(msg, sizeof(msg), fmt, ap);

	l.len = 0;
	if (log_fmt == LOG_FORMAT_JSON) {
		line_puts(&l, "{\"time\":\"");
		line_puts(&l, ts);
		line_puts(&l, "\",\"level\":\"");
		line_puts(&l, level_names[level]);
		line_puts(&l, "\",\"daemon\":\"");
		line_json_str(&l, log_daemon, sizeof(l.buf) - LOG_IDS_ROOM);
		line_puts(&l, "\",\"message\":\"");
		line_json_str(&l, msg, sizeof(l.buf) - LOG_IDS_ROOM);
		line_puts(&l, "\"");
	} else {
		line_puts(&l, ts);
		line_puts(&l, " ");
		line_puts(&l, level_names[level]);
		line_puts(&l, " ");
		line_puts(&l, log_daemon);
		line_puts(&l, ": ");
		line_text_str(&l, msg, sizeof(l.buf) - LOG_IDS_ROOM);
	}
	if (ids != NULL) {
		line_field(&l, "job_id", ids->job_id);
		line_field(&l, "run_id", ids->run_id);
		line_field(&l, "task_run_id", ids->task_run_id);
		if (ids->attempt > 0) {
			if (log_fmt == LOG_FORMAT_JSON) {
				snprintf(num, sizeof(num), ",\"attempt\":%u",
				    ids->attempt);
				if (l.len + strlen(num) <= sizeof(l.buf) - 4)
					line_puts(&l, num);
			} else {
				snprintf(num, sizeof(num), "%u", ids->attempt);
				line_field(&l, "attempt", num);
			}
		}
		line_field(&l, "worker_id", ids->worker_id);
		line_field(&l, "trace_id", ids->trace_id);
	}
	/* Room for the closing brace and newline is always kept. */
	if (l.len > sizeof(l.buf) - 3)
		l.len = sizeof(l.buf) - 3;
	if (log_fmt == LOG_FORMAT_JSON)
		l.buf[l.len++] = '}';
	l.buf[l.len++] = '\n';

	for (off = 0; off < l.len; off += (size_t)w) {
		w = write(log_fd, l.buf + off, l.len - off);
		if (w <= 0)
			break;
	}
}

void
log_emit(enum log_level level, const struct log_ids *ids, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(level, ids, fmt, ap);
	va_end(ap);
}
