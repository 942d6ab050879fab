/*
 * log.h - one line per event on stderr, as text or JSON.
 *
 * A line names the daemon, the level and, when given, the ids it concerns
 * (job, run, task run, attempt, worker, trace).  The level is checked
 * before anything is formatted.  Safe to call from any thread: a line is
 * formatted into a local buffer and written with one write(2).
 */
#ifndef ORK_LOG_H
#define ORK_LOG_H

#include <stdarg.h>

enum log_level {
	LOGL_DEBUG = 0,
	LOGL_INFO = 1,
	LOGL_WARN = 2,
	LOGL_ERROR = 3
};

enum log_format {
	LOG_FORMAT_TEXT = 0,
	LOG_FORMAT_JSON = 1
};

/* The ids a line concerns; any member may be NULL (or 0 for attempt). */
struct log_ids {
	const char	*job_id;
	const char	*run_id;
	const char	*task_run_id;
	const char	*worker_id;
	const char	*trace_id;
	unsigned	 attempt;
};

/* LOG_LINE_MAX bounds one formatted line; longer messages are cut. */
#define LOG_LINE_MAX 4096

/*
 * log_init sets the daemon name (copied) and threshold.  Call once from
 * main before any thread starts.
 */
void log_init(const char *daemon, enum log_level level, enum log_format fmt);

/* log_set_fd redirects output (tests); the default is 2. */
void log_set_fd(int fd);

/* log_parse_level maps "debug".."error" to a level; -1 if unknown. */
int log_parse_level(const char *name);

/* log_parse_format maps "text"/"json"/"auto" (auto: text on a tty). */
int log_parse_format(const char *name);

/* log_enabled says whether a line of this level would be written. */
int log_enabled(enum log_level level);

/* log_emit formats and writes one line; ids may be NULL. */
void log_emit(enum log_level level, const struct log_ids *ids,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void log_vemit(enum log_level level, const struct log_ids *ids,
    const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

#define log_debug(...) do { if (log_enabled(LOGL_DEBUG)) \
	log_emit(LOGL_DEBUG, NULL, __VA_ARGS__); } while (0)
#define log_info(...) do { if (log_enabled(LOGL_INFO)) \
	log_emit(LOGL_INFO, NULL, __VA_ARGS__); } while (0)
#define log_warn(...) do { if (log_enabled(LOGL_WARN)) \
	log_emit(LOGL_WARN, NULL, __VA_ARGS__); } while (0)
#define log_error(...) do { if (log_enabled(LOGL_ERROR)) \
	log_emit(LOGL_ERROR, NULL, __VA_ARGS__); } while (0)

/* The same with ids, e.g. log_ids_info(&ids, "task started"). */
#define log_ids_debug(ids, ...) do { if (log_enabled(LOGL_DEBUG)) \
	log_emit(LOGL_DEBUG, (ids), __VA_ARGS__); } while (0)
#define log_ids_info(ids, ...) do { if (log_enabled(LOGL_INFO)) \
	log_emit(LOGL_INFO, (ids), __VA_ARGS__); } while (0)
#define log_ids_warn(ids, ...) do { if (log_enabled(LOGL_WARN)) \
	log_emit(LOGL_WARN, (ids), __VA_ARGS__); } while (0)
#define log_ids_error(ids, ...) do { if (log_enabled(LOGL_ERROR)) \
	log_emit(LOGL_ERROR, (ids), __VA_ARGS__); } while (0)

#endif /* ORK_LOG_H */
