/*
 * tz.h - IANA time zones read from TZif files, without the C library's
 * process-wide TZ state.
 *
 * A loaded zone is immutable: any number of threads may use one struct tz
 * at the same time.  Nothing here reads the environment or calls
 * tzset/localtime; the caller decides where the tz database lives (the
 * daemons read ORK_ZONEINFO once at start and pass it as `root`).
 *
 * Times are int64_t seconds.  "utc" values are Unix time; "local" values
 * are the wall-clock time of the zone counted the same way, i.e.
 * local = utc + offset.  Every function taking a struct tz accepts NULL,
 * meaning UTC.
 */
#ifndef ORK_TZ_H
#define ORK_TZ_H

#include <stddef.h>
#include <stdint.h>

/* Longest zone name accepted; the longest IANA name has 32 bytes. */
#define TZ_NAME_MAX		64
/* Largest TZif file read. */
#define TZ_FILE_MAX		(256 * 1024)
/* Where tz_load looks when root is NULL. */
#define TZ_ZONEINFO_DEFAULT	"/usr/share/zoneinfo"
/* Largest UTC offset accepted from zone data, either sign (RFC 8536). */
#define TZ_OFFSET_MAX		(26 * 3600)
/* Range of instants the conversions accept: years 1 to 9999. */
#define TZ_TIME_MIN	INT64_C(-62135596800)	/* 0001-01-01T00:00:00 */
#define TZ_TIME_MAX	INT64_C(253402300799)	/* 9999-12-31T23:59:59 */

struct tz;

/*
 * tz_load reads the zone `name` (e.g. "Europe/Berlin") from the TZif file
 * root/name; root NULL means TZ_ZONEINFO_DEFAULT.  The name "UTC" needs no
 * file.  Names must be at most TZ_NAME_MAX bytes of [A-Za-z0-9_+-/], must
 * not start with '/' nor contain "..".  On success *out is a new zone the
 * caller owns and releases with tz_free.  On failure *out is untouched, a
 * message is written to err (if errlen > 0) and the result is ORK_EINVAL
 * (bad name or bad file contents), ORK_ETOOBIG (name or file too long),
 * ORK_ENOTFOUND (no such zone), ORK_EIO (could not read) or ORK_ENOMEM.
 */
int	tz_load(const char *root, const char *name, struct tz **out,
	    char *err, size_t errlen);

/* tz_free releases a zone from tz_load; accepts NULL. */
void	tz_free(struct tz *tz);

/*
 * tz_utc returns a shared, static UTC zone; never pass it to tz_free.
 * Passing NULL to the functions below means the same.
 */
const struct tz *tz_utc(void);

/* tz_name returns the zone's name ("UTC" for NULL), owned by the zone. */
const char *tz_name(const struct tz *tz);

/*
 * tz_offset_at stores in *offset the zone's UTC offset in seconds (east
 * positive) at the instant utc.  Returns ORK_ERANGE if utc is outside
 * TZ_TIME_MIN..TZ_TIME_MAX.
 */
int	tz_offset_at(const struct tz *tz, int64_t utc, int32_t *offset);

/*
 * tz_utc_to_local stores in *local the wall-clock time shown at utc.
 * Returns ORK_ERANGE if utc is outside TZ_TIME_MIN..TZ_TIME_MAX.
 */
int	tz_utc_to_local(const struct tz *tz, int64_t utc, int64_t *local);

/*
 * tz_local_to_utc stores in *utc the earliest instant whose wall-clock
 * time is at or after `local`.  For a time that exists once this is that
 * instant; for a time shown twice (clocks set back) it is the first
 * occurrence; for a time skipped by a gap (clocks set forward) it is the
 * first instant after the gap.  Returns ORK_ERANGE if local is outside
 * TZ_TIME_MIN..TZ_TIME_MAX or the zone data changes offset implausibly
 * often.
 */
int	tz_local_to_utc(const struct tz *tz, int64_t local, int64_t *utc);

/*
 * tz_local_latest stores in *local the latest wall-clock time shown at
 * any instant up to and including utc.  It differs from utc + offset only
 * while a repeated hour is shown the second time, where it is the end of
 * the first showing.  Errors as tz_local_to_utc.
 */
int	tz_local_latest(const struct tz *tz, int64_t utc, int64_t *local);

/*
 * tz_next_transition stores in *when the first instant after utc at which
 * the zone's UTC offset changes.  Returns ORK_ENOTFOUND if it never
 * changes again, ORK_ERANGE if utc is out of range.
 */
int	tz_next_transition(const struct tz *tz, int64_t utc, int64_t *when);

/*
 * tz_days_from_civil returns the number of days from 1970-01-01 to the
 * proleptic Gregorian date year-month-day (month 1-12, day 1-31).
 */
int64_t	tz_days_from_civil(int64_t year, int month, int day);

/* tz_civil_from_days is the inverse of tz_days_from_civil. */
void	tz_civil_from_days(int64_t days, int64_t *year, int *month, int *day);

/* tz_days_in_month returns 28-31 for month 1-12 of year. */
int	tz_days_in_month(int64_t year, int month);

#endif /* ORK_TZ_H */
