/*
 * perfconf.h - the configuration files of ork-perf (perf-configs/).
 *
 * A file is lines of "key = value"; blank lines and lines whose first
 * non-blank character is '#' are ignored, and an unquoted value ends at
 * a blank followed by '#'.  A value may be written in double quotes to
 * keep blanks or a '#' (no escapes).  Every key is in one table (name,
 * type, bounds, default); an unknown key, a key given twice, a line
 * without '=' or a value out of bounds is refused with the source and
 * the line named: "noop-burst.conf:3: unknown key 'rnus'".  Flags of
 * ork-perf set the same keys ("--set runs=200"), after the file.
 */
#ifndef ORK_PERFCONF_H
#define ORK_PERFCONF_H

#include <stddef.h>

/* A file larger than this is refused (configs are a few lines). */
#define PERFCONF_FILE_MAX (64 * 1024)
/* Longest line, newline excluded. */
#define PERFCONF_LINE_MAX 1024
/* Longest string value, NUL excluded. */
#define PERFCONF_STR_MAX 511

enum perfconf_mode {
	PERFCONF_BURST = 0,	/* runs triggered at once, by clients */
	PERFCONF_PACED,		/* rate runs/s for seconds */
	PERFCONF_JOBS,		/* jobs with schedules spread over seconds */
	PERFCONF_LOAD		/* one CSV -> postgres job of rows rows */
};

enum perfconf_kind {
	PERFCONF_NOOP = 0,	/* the built-in task that completes at once */
	PERFCONF_COMMAND	/* a command task running /bin/true */
};

struct perfconf {
	int	mode;			/* enum perfconf_mode; -1 until set */
	char	name[PERFCONF_STR_MAX + 1];	/* label of the results */
	char	url[PERFCONF_STR_MAX + 1];	/* ork-api base URL */
	char	token[PERFCONF_STR_MAX + 1];	/* bearer token ("": none) */
	char	events[PERFCONF_STR_MAX + 1];	/* nng events address(es) */
	long	runs;			/* burst: runs triggered */
	long	rate;			/* paced: runs per second */
	long	seconds;		/* paced: duration; jobs: spread */
	long	jobs;			/* jobs: jobs defined */
	long	lead_seconds;		/* jobs: first slot after the start */
	long	tasks_per_run;		/* tasks of each job */
	int	task_kind;		/* enum perfconf_kind */
	long	clients;		/* HTTP connections used at once */
	long	rows;			/* load: CSV rows */
	char	csv_path[PERFCONF_STR_MAX + 1];	/* load: "" generates one */
	char	work_dir[PERFCONF_STR_MAX + 1];	/* load: generated CSV */
	char	load_connection_env[PERFCONF_STR_MAX + 1];
	char	load_table[PERFCONF_STR_MAX + 1];
	long	timeout;		/* seconds to wait for every run */
	long	poll_ms;		/* completion checks at most this often */
	int	cleanup;		/* delete the jobs made, at the end */
	unsigned long long given;	/* bit i: key i was set by the file */
};

/* perfconf_init sets every key to its default (mode: unset). */
void perfconf_init(struct perfconf *c);

/*
 * perfconf_parse reads a file's text (len bytes, need not end in NUL)
 * into c, over what c holds; source names it in messages.  Returns 0,
 * ORK_ETOOBIG (text over PERFCONF_FILE_MAX) or ORK_EINVAL, with one line
 * "source:line: reason" in err.  On failure c may hold keys of earlier
 * lines.
 */
int perfconf_parse(struct perfconf *c, const char *text, size_t len,
    const char *source, char *err, size_t errlen);

/*
 * perfconf_load reads the file at path with perfconf_parse.  Returns
 * ORK_ENOTFOUND or ORK_EIO when it cannot be read, else as
 * perfconf_parse; err says why.
 */
int perfconf_load(struct perfconf *c, const char *path, char *err,
    size_t errlen);

/*
 * perfconf_set applies one "key=value" (a flag of ork-perf), which may
 * override a key of the file.  Returns 0 or ORK_EINVAL with
 * "source: reason" in err.
 */
int perfconf_set(struct perfconf *c, const char *assignment,
    const char *source, char *err, size_t errlen);

/*
 * perfconf_check checks what keys mean together (a mode is given, the
 * mode's sizes fit).  Returns 0 or ORK_EINVAL with the reason in err.
 */
int perfconf_check(const struct perfconf *c, char *err, size_t errlen);

/* perfconf_mode_name returns "burst", "paced", "jobs" or "load". */
const char *perfconf_mode_name(int mode);

/* perfconf_kind_name returns "noop" or "command". */
const char *perfconf_kind_name(int kind);

/* What a key's value is, for a report. */
enum perfconf_type {
	PERFCONF_TEXT = 0,
	PERFCONF_NUMBER,
	PERFCONF_BOOLEAN	/* buf holds "true" or "false" */
};

/*
 * perfconf_key describes key i of the table for a report: its name, its
 * value as text in buf (a token is shown as "(set)" or ""), and its type
 * (enum perfconf_type).  Returns 1 while i is a key, 0 past the last.
 */
int perfconf_key(const struct perfconf *c, size_t i, const char **name,
    char *buf, size_t len, int *type);

#endif /* ORK_PERFCONF_H */
