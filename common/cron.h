/*
 * cron.h - cron schedules: parsing and next fire time.
 *
 * A schedule is 5 fields (minute hour day-of-month month day-of-week),
 * 6 fields (a seconds field first), a macro (@daily, ...) or an interval
 * (@every 1h30m).  The syntax and the daylight-saving rules are described
 * in docs/cron.md.  A parsed schedule is immutable and may be shared
 * between threads.
 */
#ifndef ORK_CRON_H
#define ORK_CRON_H

#include <stddef.h>
#include <stdint.h>

/* Longest schedule string accepted, in bytes. */
#define CRON_SPEC_MAX		256
/* How far ahead cron_next searches; covers Feb 29 from 2096 to 2104. */
#define CRON_HORIZON_YEARS	8
/* Bounds of @every intervals, in seconds. */
#define CRON_EVERY_MIN		1
#define CRON_EVERY_MAX		(366 * 86400)

struct cron;
struct tz;

/*
 * cron_parse parses spec (NUL-terminated, at most CRON_SPEC_MAX bytes) into
 * a new schedule stored in *out, which the caller owns and releases with
 * cron_free.  On failure *out is untouched, a lower-case message naming
 * the offending field is written to err (if errlen > 0), e.g.
 * "hour: value 25 out of range 0-23", and the result is ORK_EINVAL (bad
 * syntax), ORK_ERANGE (a value, step or interval out of its range, or a
 * schedule that can never fire), ORK_ETOOBIG (spec too long) or
 * ORK_ENOMEM.
 */
int	cron_parse(const char *spec, struct cron **out, char *err,
	    size_t errlen);

/* cron_free releases a schedule from cron_parse; accepts NULL. */
void	cron_free(struct cron *c);

/*
 * cron_next stores in *next the first fire time strictly after `after`
 * (both Unix seconds), with the fields read as wall-clock time in zone tz
 * (NULL means UTC; @every intervals ignore the zone).  A wall-clock time
 * skipped by a daylight-saving gap fires at the first instant after the
 * gap; one shown twice fires at its first showing only.  Returns
 * ORK_ENOTFOUND if nothing fires within CRON_HORIZON_YEARS or before the
 * year 10000, ORK_ERANGE if after is outside TZ_TIME_MIN..TZ_TIME_MAX or
 * the zone's data changes offset implausibly often.
 */
int	cron_next(const struct cron *c, const struct tz *tz, int64_t after,
	    int64_t *next);

/*
 * cron_due lists the fire times that are due at `now` for a schedule whose
 * first unfired time is `due` (Unix seconds; nothing is due when due >
 * now), oldest first, at most max of them.  With catchup, every fire time
 * from due up to now.  Without, the fire times of the last `grace` seconds
 * (now - grace <= t <= now: late, not missed), or when there are none the
 * latest fire time before them; older ones are misfires, dropped.  slots
 * receives *n times; *next is the
 * first fire time not listed (it may be <= now when max cut a catch-up
 * short), or INT64_MAX when the schedule never fires again.  Bounded: at
 * most CRON_DUE_STEPS_MAX calls of cron_next, else ORK_ERANGE.  Other
 * errors as cron_next.
 */
#define CRON_DUE_STEPS_MAX	1000000
int	cron_due(const struct cron *c, const struct tz *tz, int64_t due,
	    int64_t now, int catchup, int64_t grace, int64_t *slots, size_t max,
	    size_t *n, int64_t *next);

#endif /* ORK_CRON_H */
