/*
 * cron_test.c - cron schedule parsing and next fire times.
 *
 * Expected fire times are written by hand as ISO 8601 instants.  The
 * random tests compare cron_next with a model that checks every minute
 * (or second) of a window one by one.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE		/* timegm, in tests only */
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cron.h"
#include "err.h"
#include "tz.h"

#define MAX_FIRES	8

/* iso converts "2026-03-29T01:00:00Z" (or a +hh:mm offset) to Unix time. */
static int64_t
iso(const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, n = 0;
	char sign = 'Z';

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%d-%d-%dT%d:%d:%d%n", &y, &mo, &d, &h, &mi, &sec,
	    &n) != 6)
		fail_msg("bad test time \"%s\"", s);
	sign = s[n];
	if (sign == '+' || sign == '-') {
		if (sscanf(s + n + 1, "%d:%d", &oh, &om) != 2)
			fail_msg("bad test offset \"%s\"", s);
	} else if (sign != 'Z')
		fail_msg("test time without zone \"%s\"", s);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return (int64_t)timegm(&tm) -
	    (sign == '-' ? -1 : sign == '+' ? 1 : 0) * (oh * 3600 + om * 60);
}

/* fmt writes t as an ISO instant into buf for failure messages. */
static const char *
fmt(char *buf, size_t len, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, len, "%lld", (long long)t);
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static struct tz *
zone(const char *name)
{
	struct tz *tz = NULL;
	char err[256];

	if (name == NULL)
		return NULL;
	if (tz_load(getenv("ORK_ZONEINFO"), name, &tz, err, sizeof(err)) != 0)
		fail_msg("could not load zone %s: %s", name, err);
	return tz;
}

static struct cron *
parse_ok(const char *spec)
{
	struct cron *c = NULL;
	char err[256];

	if (cron_parse(spec, &c, err, sizeof(err)) != 0)
		fail_msg("\"%s\" rejected: %s", spec, err);
	return c;
}

/* --- next fire times, written by hand --- */

struct next_case {
	const char	*spec;
	const char	*zone;		/* NULL: UTC */
	const char	*after;
	const char	*fires[MAX_FIRES];	/* successive, NULL-ended */
};

static void
run_next_cases(const struct next_case *cases, size_t n)
{
	char a[64], b[64];
	int64_t t, next;
	size_t i, j;
	int rc;

	for (i = 0; i < n; i++) {
		struct cron *c = parse_ok(cases[i].spec);
		struct tz *tz = zone(cases[i].zone);

		t = iso(cases[i].after);
		for (j = 0; j < MAX_FIRES && cases[i].fires[j] != NULL; j++) {
			rc = cron_next(c, tz, t, &next);
			if (rc != 0)
				fail_msg("\"%s\" in %s after %s: error %d",
				    cases[i].spec, tz_name(tz),
				    fmt(a, sizeof(a), t), rc);
			if (next != iso(cases[i].fires[j]))
				fail_msg("\"%s\" in %s after %s: got %s, "
				    "want %s", cases[i].spec, tz_name(tz),
				    fmt(a, sizeof(a), t),
				    fmt(b, sizeof(b), next),
				    cases[i].fires[j]);
			t = next;
		}
		tz_free(tz);
		cron_free(c);
	}
}

#define RUN(cases) run_next_cases(cases, sizeof(cases) / sizeof(cases[0]))

static void
test_syntax(void **state)
{
	static const struct next_case cases[] = {
		{ "* * * * *", NULL, "2026-05-05T10:20:30Z",
		    { "2026-05-05T10:21:00Z", "2026-05-05T10:22:00Z" } },
		{ "*/15 * * * *", NULL, "2026-05-05T10:20:00Z",
		    { "2026-05-05T10:30:00Z", "2026-05-05T10:45:00Z",
		    "2026-05-05T11:00:00Z" } },
		{ "10-50/10 * * * *", NULL, "2026-05-05T10:45:00Z",
		    { "2026-05-05T10:50:00Z", "2026-05-05T11:10:00Z",
		    "2026-05-05T11:20:00Z" } },
		{ "5/10 * * * *", NULL, "2026-05-05T10:50:00Z",
		    { "2026-05-05T10:55:00Z", "2026-05-05T11:05:00Z",
		    "2026-05-05T11:15:00Z" } },
		{ "0,30 9-10 * * *", NULL, "2026-05-05T00:00:00Z",
		    { "2026-05-05T09:00:00Z", "2026-05-05T09:30:00Z",
		    "2026-05-05T10:00:00Z", "2026-05-05T10:30:00Z",
		    "2026-05-06T09:00:00Z" } },
		{ "1,2,5-6 0 * * *", NULL, "2026-05-05T00:01:00Z",
		    { "2026-05-05T00:02:00Z", "2026-05-05T00:05:00Z",
		    "2026-05-05T00:06:00Z", "2026-05-06T00:01:00Z" } },
		{ "15 14 1 * *", NULL, "2026-05-05T00:00:00Z",
		    { "2026-06-01T14:15:00Z", "2026-07-01T14:15:00Z" } },
		{ "0 22 * * 1-5", NULL, "2026-05-08T23:00:00Z",
		    { "2026-05-11T22:00:00Z", "2026-05-12T22:00:00Z" } },
		{ "0 0 1 JAN,jul *", NULL, "2026-05-05T00:00:00Z",
		    { "2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z" } },
		{ "0 0 1 jan-Mar *", NULL, "2026-02-15T00:00:00Z",
		    { "2026-03-01T00:00:00Z", "2027-01-01T00:00:00Z",
		    "2027-02-01T00:00:00Z" } },
		{ "0 0 1 */4 *", NULL, "2026-02-15T00:00:00Z",
		    { "2026-05-01T00:00:00Z", "2026-09-01T00:00:00Z",
		    "2027-01-01T00:00:00Z" } },
		/* 2026-05-05 is a Tuesday. */
		{ "0 0 * * sun", NULL, "2026-05-05T00:00:00Z",
		    { "2026-05-10T00:00:00Z", "2026-05-17T00:00:00Z" } },
		{ "0 0 * * 0", NULL, "2026-05-05T00:00:00Z",
		    { "2026-05-10T00:00:00Z", "2026-05-17T00:00:00Z" } },
		{ "0 0 * * 7", NULL, "2026-05-05T00:00:00Z",
		    { "2026-05-10T00:00:00Z", "2026-05-17T00:00:00Z" } },
		{ "0 0 * * Sat,SUN", NULL, "2026-05-05T00:00:00Z",
		    { "2026-05-09T00:00:00Z", "2026-05-10T00:00:00Z",
		    "2026-05-16T00:00:00Z" } },
		{ "0 0 * * 5-7", NULL, "2026-05-05T00:00:00Z",
		    { "2026-05-08T00:00:00Z", "2026-05-09T00:00:00Z",
		    "2026-05-10T00:00:00Z", "2026-05-15T00:00:00Z" } },
		{ "0 0 * * fri-sun", NULL, "2026-05-05T00:00:00Z",
		    { "2026-05-08T00:00:00Z", "2026-05-09T00:00:00Z",
		    "2026-05-10T00:00:00Z", "2026-05-15T00:00:00Z" } },
		{ "0 0 * * MON-SUN", NULL, "2026-05-05T00:00:00Z",
		    { "2026-05-06T00:00:00Z", "2026-05-07T00:00:00Z" } },
		{ "0 12 * * */2", NULL, "2026-05-05T12:00:00Z",
		    { "2026-05-07T12:00:00Z", "2026-05-09T12:00:00Z",
		    "2026-05-10T12:00:00Z", "2026-05-12T12:00:00Z" } },
		{ "0 0 1 1 *", NULL, "2026-12-31T23:59:59Z",
		    { "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z" } },
		{ "  0  0\t* * *  ", NULL, "2026-05-05T10:00:00Z",
		    { "2026-05-06T00:00:00Z" } },
		{ "0 0 * * *\n", NULL, "2026-05-05T10:00:00Z",
		    { "2026-05-06T00:00:00Z" } },
		{ "00 000 01 01 *", NULL, "2026-05-05T10:00:00Z",
		    { "2027-01-01T00:00:00Z" } },
	};

	(void)state;
	RUN(cases);
}

static void
test_macros(void **state)
{
	static const struct next_case cases[] = {
		{ "@yearly", NULL, "2026-05-05T10:20:00Z",
		    { "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z" } },
		{ "@annually", NULL, "2026-05-05T10:20:00Z",
		    { "2027-01-01T00:00:00Z" } },
		{ "@monthly", NULL, "2026-05-05T10:20:00Z",
		    { "2026-06-01T00:00:00Z", "2026-07-01T00:00:00Z" } },
		{ "@weekly", NULL, "2026-05-05T10:20:00Z",
		    { "2026-05-10T00:00:00Z", "2026-05-17T00:00:00Z" } },
		{ "@daily", NULL, "2026-05-05T10:20:00Z",
		    { "2026-05-06T00:00:00Z", "2026-05-07T00:00:00Z" } },
		{ "@midnight", NULL, "2026-05-05T10:20:00Z",
		    { "2026-05-06T00:00:00Z" } },
		{ "@hourly", NULL, "2026-05-05T10:20:00Z",
		    { "2026-05-05T11:00:00Z", "2026-05-05T12:00:00Z" } },
		{ "  @DAILY  ", NULL, "2026-05-05T10:20:00Z",
		    { "2026-05-06T00:00:00Z" } },
		{ "@daily", "Europe/Berlin", "2026-05-05T10:20:00Z",
		    { "2026-05-05T22:00:00Z", "2026-05-06T22:00:00Z" } },
	};

	(void)state;
	RUN(cases);
}

static void
test_seconds(void **state)
{
	static const struct next_case cases[] = {
		{ "0 0 9 * * *", NULL, "2026-05-05T10:00:00Z",
		    { "2026-05-06T09:00:00Z", "2026-05-07T09:00:00Z" } },
		{ "0 0 9 * * *", "Europe/Berlin", "2026-01-05T10:00:00Z",
		    { "2026-01-06T08:00:00Z" } },
		{ "*/10 * * * * *", NULL, "2026-05-05T10:20:31Z",
		    { "2026-05-05T10:20:40Z", "2026-05-05T10:20:50Z",
		    "2026-05-05T10:21:00Z" } },
		{ "30 15 10 1 1 *", NULL, "2026-05-05T00:00:00Z",
		    { "2027-01-01T10:15:30Z", "2028-01-01T10:15:30Z" } },
		{ "59 59 23 31 12 *", NULL, "2026-12-31T23:59:59Z",
		    { "2027-12-31T23:59:59Z" } },
		{ "0-2,58 0 0 * * *", NULL, "2026-05-05T23:00:00Z",
		    { "2026-05-06T00:00:00Z", "2026-05-06T00:00:01Z",
		    "2026-05-06T00:00:02Z", "2026-05-06T00:00:58Z",
		    "2026-05-07T00:00:00Z" } },
		{ "* * * * * *", NULL, "2026-05-05T23:59:59Z",
		    { "2026-05-06T00:00:00Z", "2026-05-06T00:00:01Z" } },
	};

	(void)state;
	RUN(cases);
}

static void
test_every(void **state)
{
	static const struct next_case cases[] = {
		/* Aligned to the epoch: 1000 -> 1080 -> 1170. */
		{ "@every 90s", NULL, "1970-01-01T00:16:40Z",
		    { "1970-01-01T00:18:00Z", "1970-01-01T00:19:30Z" } },
		{ "@every 1h30m", NULL, "2026-01-01T00:00:00Z",
		    { "2026-01-01T01:30:00Z", "2026-01-01T03:00:00Z" } },
		{ "@every 1H30M", NULL, "2026-01-01T00:00:00Z",
		    { "2026-01-01T01:30:00Z" } },
		{ "@every 45m30s", NULL, "1970-01-01T00:00:00Z",
		    { "1970-01-01T00:45:30Z", "1970-01-01T01:31:00Z" } },
		{ "@every 2h", NULL, "2026-01-01T00:59:59Z",
		    { "2026-01-01T02:00:00Z", "2026-01-01T04:00:00Z" } },
		{ "@every 1s", NULL, "2026-01-01T00:59:59Z",
		    { "2026-01-01T01:00:00Z", "2026-01-01T01:00:01Z" } },
		{ "@every 1h0m0s", NULL, "2026-01-01T00:59:59Z",
		    { "2026-01-01T01:00:00Z" } },
		{ "@every 8784h", NULL, "1970-01-01T00:00:00Z",
		    { "1971-01-02T00:00:00Z" } },
		{ "@every 90s", NULL, "1969-12-31T23:59:59Z",
		    { "1970-01-01T00:00:00Z" } },
		{ "@every 90s", NULL, "1969-12-31T23:58:29Z",
		    { "1969-12-31T23:58:30Z" } },
		/* The zone does not matter, not even across a gap. */
		{ "@every 15m", "Europe/Berlin", "2026-03-29T00:50:00Z",
		    { "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z" } },
		{ "@every 15m", "Europe/Berlin", "2026-10-25T00:50:00Z",
		    { "2026-10-25T01:00:00Z", "2026-10-25T01:15:00Z" } },
	};

	(void)state;
	RUN(cases);
}

static void
test_month_ends(void **state)
{
	static const struct next_case cases[] = {
		{ "0 0 31 * *", NULL, "2026-01-31T00:00:00Z",
		    { "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z",
		    "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z",
		    "2026-10-31T00:00:00Z", "2026-12-31T00:00:00Z",
		    "2027-01-31T00:00:00Z" } },
		{ "0 0 30 * *", NULL, "2026-01-30T00:00:00Z",
		    { "2026-03-30T00:00:00Z", "2026-04-30T00:00:00Z" } },
		{ "0 0 29 2 *", NULL, "2026-03-01T00:00:00Z",
		    { "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z" } },
		/* 2100 is not a leap year; 2400 is. */
		{ "0 0 29 2 *", NULL, "2096-03-01T00:00:00Z",
		    { "2104-02-29T00:00:00Z" } },
		{ "0 0 29 2 *", NULL, "2399-03-01T00:00:00Z",
		    { "2400-02-29T00:00:00Z" } },
		{ "0 0 28-31 2 *", NULL, "2027-02-27T00:00:00Z",
		    { "2027-02-28T00:00:00Z", "2028-02-28T00:00:00Z",
		    "2028-02-29T00:00:00Z", "2029-02-28T00:00:00Z" } },
		{ "0 0 31 4,5 *", NULL, "2026-01-01T00:00:00Z",
		    { "2026-05-31T00:00:00Z", "2027-05-31T00:00:00Z" } },
		{ "59 23 31 12 *", NULL, "2026-01-01T00:00:00Z",
		    { "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z" } },
	};

	(void)state;
	RUN(cases);
}

static void
test_vixie_day_rule(void **state)
{
	static const struct next_case cases[] = {
		/* Both restricted: the 13th or any Friday (13th is a Tue). */
		{ "0 0 13 * FRI", NULL, "2026-01-10T00:00:00Z",
		    { "2026-01-13T00:00:00Z", "2026-01-16T00:00:00Z",
		    "2026-01-23T00:00:00Z", "2026-01-30T00:00:00Z",
		    "2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z" } },
		{ "0 0 13 * *", NULL, "2026-01-10T00:00:00Z",
		    { "2026-01-13T00:00:00Z", "2026-02-13T00:00:00Z" } },
		{ "0 0 * * FRI", NULL, "2026-01-10T00:00:00Z",
		    { "2026-01-16T00:00:00Z", "2026-01-23T00:00:00Z" } },
		/* A stepped '*' is restricted: odd days or Fridays. */
		{ "0 0 */2 * FRI", NULL, "2026-01-01T00:00:00Z",
		    { "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z",
		    "2026-01-05T00:00:00Z", "2026-01-07T00:00:00Z",
		    "2026-01-09T00:00:00Z", "2026-01-11T00:00:00Z" } },
		/* Day 30 never exists in February, Mondays do. */
		{ "0 0 30 2 MON", NULL, "2026-02-20T00:00:00Z",
		    { "2026-02-23T00:00:00Z", "2027-02-01T00:00:00Z" } },
		{ "0 0 1 * MON", NULL, "2026-05-20T00:00:00Z",
		    { "2026-05-25T00:00:00Z", "2026-06-01T00:00:00Z",
		    "2026-06-08T00:00:00Z" } },
	};

	(void)state;
	RUN(cases);
}

static void
test_dst_berlin(void **state)
{
	/*
	 * Clocks go 02:00 CET -> 03:00 CEST at 2026-03-29T01:00Z and
	 * 03:00 CEST -> 02:00 CET at 2026-10-25T01:00Z.
	 */
	static const struct next_case cases[] = {
		{ "30 2 * * *", "Europe/Berlin", "2026-03-28T00:00:00Z",
		    { "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z",
		    "2026-03-30T00:30:00Z" } },
		{ "30 2 * * *", "Europe/Berlin", "2026-10-24T00:00:00Z",
		    { "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z",
		    "2026-10-26T01:30:00Z" } },
		{ "*/15 * * * *", "Europe/Berlin", "2026-03-29T00:30:00Z",
		    { "2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z",
		    "2026-03-29T01:15:00Z" } },
		{ "*/15 * * * *", "Europe/Berlin", "2026-10-25T00:30:00Z",
		    { "2026-10-25T00:45:00Z", "2026-10-25T02:00:00Z",
		    "2026-10-25T02:15:00Z" } },
		/* After = 02:10 CET, the second showing of 02:10. */
		{ "*/15 * * * *", "Europe/Berlin", "2026-10-25T01:10:00Z",
		    { "2026-10-25T02:00:00Z" } },
		{ "0,30 2 * * *", "Europe/Berlin", "2026-03-28T23:00:00Z",
		    { "2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z" } },
		{ "0 3 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z",
		    { "2026-03-29T01:00:00Z", "2026-03-30T01:00:00Z" } },
		{ "0 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z",
		    { "2026-10-25T00:00:00Z", "2026-10-26T01:00:00Z" } },
		{ "0 9 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z",
		    { "2026-03-29T07:00:00Z" } },
		{ "30 2 29 3 *", "Europe/Berlin", "2026-01-01T00:00:00Z",
		    { "2026-03-29T01:00:00Z", "2027-03-29T00:30:00Z" } },
		{ "15 30 2 * * *", "Europe/Berlin", "2026-03-28T23:00:00Z",
		    { "2026-03-29T01:00:00Z", "2026-03-30T00:30:15Z" } },
		/* Past the zone's table: the footer rule decides. */
		{ "30 2 * * *", "Europe/Berlin", "2100-03-27T00:00:00Z",
		    { "2100-03-27T01:30:00Z", "2100-03-28T01:00:00Z",
		    "2100-03-29T00:30:00Z" } },
		{ "30 2 * * *", "Europe/Berlin", "2100-10-30T00:00:00Z",
		    { "2100-10-30T00:30:00Z", "2100-10-31T00:30:00Z",
		    "2100-11-01T01:30:00Z" } },
	};

	(void)state;
	RUN(cases);
}

static void
test_dst_new_york(void **state)
{
	/*
	 * Clocks go 02:00 EST -> 03:00 EDT at 2026-03-08T07:00Z and
	 * 02:00 EDT -> 01:00 EST at 2026-11-01T06:00Z.
	 */
	static const struct next_case cases[] = {
		{ "30 2 * * *", "America/New_York", "2026-03-07T00:00:00Z",
		    { "2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z",
		    "2026-03-09T06:30:00Z" } },
		{ "30 1 * * *", "America/New_York", "2026-10-31T00:00:00Z",
		    { "2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z",
		    "2026-11-02T06:30:00Z" } },
		{ "30 2 * * *", "America/New_York", "2026-10-31T12:00:00Z",
		    { "2026-11-01T07:30:00Z", "2026-11-02T07:30:00Z" } },
		{ "*/20 * * * *", "America/New_York", "2026-03-08T06:40:00Z",
		    { "2026-03-08T07:00:00Z", "2026-03-08T07:20:00Z" } },
		{ "*/20 * * * *", "America/New_York", "2026-11-01T05:20:00Z",
		    { "2026-11-01T05:40:00Z", "2026-11-01T07:00:00Z",
		    "2026-11-01T07:20:00Z" } },
		{ "0 * * * *", "America/New_York", "2026-11-01T04:30:00Z",
		    { "2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z",
		    "2026-11-01T08:00:00Z" } },
		{ "0 0 * * *", "America/New_York", "2026-03-07T12:00:00Z",
		    { "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z" } },
	};

	(void)state;
	RUN(cases);
}

static void
test_dst_south(void **state)
{
	static const struct next_case cases[] = {
		/* Sydney: back at 03:00 on 2026-04-05, on at 02:00 on 10-04. */
		{ "30 2 * * *", "Australia/Sydney", "2026-04-03T12:00:00Z",
		    { "2026-04-03T15:30:00Z", "2026-04-04T15:30:00Z",
		    "2026-04-05T16:30:00Z" } },
		{ "30 2 * * *", "Australia/Sydney", "2026-10-02T12:00:00Z",
		    { "2026-10-02T16:30:00Z", "2026-10-03T16:00:00Z",
		    "2026-10-04T15:30:00Z" } },
		/* Lord Howe moves by half an hour: 02:00 -> 02:30. */
		{ "15 2 * * *", "Australia/Lord_Howe", "2026-10-02T12:00:00Z",
		    { "2026-10-02T15:45:00Z", "2026-10-03T15:30:00Z",
		    "2026-10-04T15:15:00Z" } },
	};

	(void)state;
	RUN(cases);
}

/* --- rejections --- */

struct bad_case {
	const char	*spec;
	int		rc;
	const char	*msg;
};

static void
test_reject(void **state)
{
	static const struct bad_case cases[] = {
		{ "", ORK_EINVAL, "empty schedule" },
		{ "   ", ORK_EINVAL, "empty schedule" },
		{ "* * * *", ORK_EINVAL, "expected 5 or 6 fields, got 4" },
		{ "* * * * * * *", ORK_EINVAL,
		    "expected 5 or 6 fields, got 7" },
		{ "0 25 * * *", ORK_ERANGE,
		    "hour: value 25 out of range 0-23" },
		{ "60 * * * *", ORK_ERANGE,
		    "minute: value 60 out of range 0-59" },
		{ "60 0 0 * * *", ORK_ERANGE,
		    "second: value 60 out of range 0-59" },
		{ "0 0 0 * *", ORK_ERANGE,
		    "day-of-month: value 0 out of range 1-31" },
		{ "0 0 32 * *", ORK_ERANGE,
		    "day-of-month: value 32 out of range 1-31" },
		{ "0 0 * 13 *", ORK_ERANGE,
		    "month: value 13 out of range 1-12" },
		{ "0 0 * 0 *", ORK_ERANGE, "month: value 0 out of range 1-12" },
		{ "0 0 * * 8", ORK_ERANGE,
		    "day-of-week: value 8 out of range 0-7" },
		{ "99999999999 * * * *", ORK_ERANGE,
		    "minute: value 99999999999 out of range 0-59" },
		{ "0 0 * * FOO", ORK_EINVAL,
		    "day-of-week: unknown name \"FOO\"" },
		{ "0 0 * * MONDAY", ORK_EINVAL,
		    "day-of-week: unknown name \"MONDAY\"" },
		{ "0 0 * FOO *", ORK_EINVAL, "month: unknown name \"FOO\"" },
		{ "0 0 * * JAN", ORK_EINVAL,
		    "day-of-week: unknown name \"JAN\"" },
		{ "0 MON * * *", ORK_EINVAL, "hour: invalid value \"MON\"" },
		{ "1.5 * * * *", ORK_EINVAL, "minute: invalid value \"1.5\"" },
		{ "*5 * * * *", ORK_EINVAL, "minute: invalid value \"*5\"" },
		{ "+5 * * * *", ORK_EINVAL, "minute: invalid value \"+5\"" },
		{ "1-2-3 * * * *", ORK_EINVAL,
		    "minute: invalid value \"2-3\"" },
		{ "-5 * * * *", ORK_EINVAL, "minute: missing value" },
		{ "5- * * * *", ORK_EINVAL, "minute: missing value" },
		{ "*/0 * * * *", ORK_ERANGE,
		    "minute: step 0 out of range 1-60" },
		{ "*/61 * * * *", ORK_ERANGE,
		    "minute: step 61 out of range 1-60" },
		{ "0 */25 * * *", ORK_ERANGE,
		    "hour: step 25 out of range 1-24" },
		{ "0 0 * * */8", ORK_ERANGE,
		    "day-of-week: step 8 out of range 1-7" },
		{ "*/x * * * *", ORK_EINVAL, "minute: invalid step \"x\"" },
		{ "1/ * * * *", ORK_EINVAL, "minute: invalid step \"\"" },
		{ "*/2/3 * * * *", ORK_EINVAL, "minute: invalid step \"2/3\"" },
		{ "5-2 * * * *", ORK_ERANGE,
		    "minute: range 5-2 has its start after its end" },
		{ "0 0 * DEC-JAN *", ORK_ERANGE,
		    "month: range DEC-JAN has its start after its end" },
		{ "1,,2 * * * *", ORK_EINVAL, "minute: empty list item" },
		{ ",1 * * * *", ORK_EINVAL, "minute: empty list item" },
		{ "0 0 1, * *", ORK_EINVAL, "day-of-month: empty list item" },
		{ "0 0 * * \xff", ORK_EINVAL,
		    "day-of-week: invalid value \"?\"" },
		{ "0 0 30 2 *", ORK_ERANGE,
		    "day-of-month: never matches in the given months" },
		{ "0 0 31 4 *", ORK_ERANGE,
		    "day-of-month: never matches in the given months" },
		{ "0 0 30,31 2 *", ORK_ERANGE,
		    "day-of-month: never matches in the given months" },
		{ "0 0 31 2,4,6,9,11 *", ORK_ERANGE,
		    "day-of-month: never matches in the given months" },
		{ "0 0 0 31 4 *", ORK_ERANGE,
		    "day-of-month: never matches in the given months" },
		{ "@every", ORK_EINVAL, "@every: missing interval" },
		{ "@every 0s", ORK_ERANGE,
		    "@every: interval \"0s\" out of range 1s-8784h" },
		{ "@every 0h0m0s", ORK_ERANGE,
		    "@every: interval \"0h0m0s\" out of range 1s-8784h" },
		{ "@every 8784h1s", ORK_ERANGE,
		    "@every: interval \"8784h1s\" out of range 1s-8784h" },
		{ "@every 99999999999999s", ORK_ERANGE,
		    "@every: interval \"99999999999999s\" out of range "
		    "1s-8784h" },
		{ "@every 1m1h", ORK_EINVAL,
		    "@every: invalid interval \"1m1h\": expected numbers "
		    "with units h, m, s in that order, e.g. 1h30m" },
		{ "@every 10", ORK_EINVAL, "@every: invalid interval \"10\": "
		    "expected numbers with units h, m, s in that order, "
		    "e.g. 1h30m" },
		{ "@every 1d", ORK_EINVAL, "@every: invalid interval \"1d\": "
		    "expected numbers with units h, m, s in that order, "
		    "e.g. 1h30m" },
		{ "@every 5m extra", ORK_EINVAL,
		    "@every: unexpected text after interval" },
		{ "@reboot", ORK_EINVAL, "unknown macro \"@reboot\"" },
		{ "@", ORK_EINVAL, "unknown macro \"@\"" },
		{ "@daily 0", ORK_EINVAL,
		    "@daily: unexpected text after macro" },
	};
	struct cron *c;
	char err[256];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = (struct cron *)&err;	/* must stay untouched */
		memset(err, 0, sizeof(err));
		rc = cron_parse(cases[i].spec, &c, err, sizeof(err));
		if (rc != cases[i].rc || strcmp(err, cases[i].msg) != 0)
			fail_msg("\"%s\": got %d \"%s\", want %d \"%s\"",
			    cases[i].spec, rc, err, cases[i].rc,
			    cases[i].msg);
		assert_ptr_equal(c, (struct cron *)&err);
		/* No message buffer is fine too. */
		assert_int_equal(cron_parse(cases[i].spec, &c, NULL, 0),
		    cases[i].rc);
	}
}

static void
test_length_limit(void **state)
{
	char spec[CRON_SPEC_MAX + 2], err[64];
	struct cron *c = NULL;
	int64_t next;

	(void)state;
	/* Exactly the limit: a valid schedule padded with blanks. */
	memset(spec, ' ', sizeof(spec));
	memcpy(spec, "0 0 * * *", 9);
	spec[CRON_SPEC_MAX] = '\0';
	assert_int_equal(cron_parse(spec, &c, err, sizeof(err)), 0);
	assert_int_equal(cron_next(c, NULL, iso("2026-01-01T10:00:00Z"),
	    &next), 0);
	assert_int_equal(next, iso("2026-01-02T00:00:00Z"));
	cron_free(c);

	spec[CRON_SPEC_MAX] = ' ';
	spec[CRON_SPEC_MAX + 1] = '\0';
	assert_int_equal(cron_parse(spec, &c, err, sizeof(err)),
	    ORK_ETOOBIG);
	assert_string_equal(err, "schedule longer than 256 bytes");

	/* A small message buffer truncates without overflowing. */
	assert_int_equal(cron_parse("0 25 * * *", &c, err, 8), ORK_ERANGE);
	assert_string_equal(err, "hour: v");
	assert_int_equal(cron_parse(NULL, &c, err, sizeof(err)), ORK_EINVAL);
	cron_free(NULL);
}

static void
test_limits(void **state)
{
	struct cron *c = parse_ok("0 0 1 1 *");
	struct cron *leap = parse_ok("0 0 29 2 *");
	struct tz *ny;
	int64_t next = 0;

	(void)state;
	assert_int_equal(cron_next(c, NULL, TZ_TIME_MAX + 1, &next),
	    ORK_ERANGE);
	assert_int_equal(cron_next(c, NULL, TZ_TIME_MIN - 1, &next),
	    ORK_ERANGE);
	assert_int_equal(cron_next(c, NULL, iso("9999-06-01T00:00:00Z"),
	    &next), ORK_ENOTFOUND);
	assert_int_equal(cron_next(c, NULL, iso("9998-06-01T00:00:00Z"),
	    &next), 0);
	assert_int_equal(next, iso("9999-01-01T00:00:00Z"));
	assert_int_equal(cron_next(c, NULL, TZ_TIME_MIN, &next), 0);
	assert_int_equal(next, iso("0002-01-01T00:00:00Z"));
	assert_int_equal(cron_next(leap, NULL, iso("9996-03-01T00:00:00Z"),
	    &next), ORK_ENOTFOUND);
	/* New York's local mean time, -4:56:02, reaches back to year 0. */
	ny = zone("America/New_York");
	assert_int_equal(cron_next(c, ny, TZ_TIME_MIN, &next), 0);
	assert_int_equal(next, iso("0001-01-01T04:56:02Z"));
	assert_int_equal(cron_next(c, ny, iso("9998-06-01T00:00:00Z"),
	    &next), 0);
	assert_int_equal(next, iso("9999-01-01T05:00:00Z"));
	assert_int_equal(cron_next(c, ny, next, &next), ORK_ENOTFOUND);
	tz_free(ny);
	cron_free(leap);
	cron_free(c);
}

/* --- random schedules against a minute-by-minute model --- */

struct model {
	uint64_t	bits[6];	/* second .. day-of-week */
	bool		dom_star;
	bool		dow_star;
};

static const struct {
	int	min;
	int	max;
} ranges[6] = { { 0, 59 }, { 0, 59 }, { 0, 23 }, { 1, 31 }, { 1, 12 },
    { 0, 6 } };

static uint32_t
rnd(uint32_t *seed, uint32_t n)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 8) % n;
}

/* put_value appends v, sometimes as a name or Sunday as 7 (if seven). */
static void
put_value(uint32_t *seed, int f, int v, bool seven, char *buf, size_t len)
{
	static const char *const months[] = { "jan", "FEB", "Mar", "apr",
	    "MAY", "jun", "Jul", "aug", "SEP", "oct", "Nov", "DEC" };
	static const char *const days[] = { "SUN", "mon", "Tue", "wed",
	    "THU", "fri", "Sat" };
	size_t n = strlen(buf);

	if (f == 4 && rnd(seed, 3) == 0)
		snprintf(buf + n, len - n, "%s", months[v - 1]);
	else if (f == 5 && rnd(seed, 3) == 0)
		snprintf(buf + n, len - n, "%s", days[v]);
	else if (f == 5 && v == 0 && seven && rnd(seed, 2) == 0)
		snprintf(buf + n, len - n, "7");
	else
		snprintf(buf + n, len - n, "%d", v);
}

/* gen_field writes a random field f into buf and its values into m. */
static void
gen_field(uint32_t *seed, int f, struct model *m, char *buf, size_t len)
{
	int lo = ranges[f].min, hi = ranges[f].max, width = hi - lo + 1;
	int a, b, k, v, i, count;
	size_t n;

	buf[0] = '\0';
	switch (rnd(seed, (f >= 3) ? 9 : 6)) {
	case 0:
	case 6:
	case 7:
	case 8:
		snprintf(buf, len, "*");
		for (v = lo; v <= hi; v++)
			m->bits[f] |= UINT64_C(1) << v;
		if (f == 3)
			m->dom_star = true;
		if (f == 5)
			m->dow_star = true;
		return;
	case 1:
		k = 1 + (int)rnd(seed, (uint32_t)width);
		snprintf(buf, len, "*/%d", k);
		for (v = lo; v <= hi; v += k)
			m->bits[f] |= UINT64_C(1) << v;
		return;
	case 2:
	case 3:
		a = lo + (int)rnd(seed, (uint32_t)width);
		b = a + (int)rnd(seed, (uint32_t)(hi - a + 1));
		k = rnd(seed, 2) ? 1 + (int)rnd(seed, (uint32_t)width) : 1;
		put_value(seed, f, a, false, buf, len);
		n = strlen(buf);
		snprintf(buf + n, len - n, "-");
		put_value(seed, f, b, false, buf, len);
		if (k > 1 || rnd(seed, 4) == 0) {
			n = strlen(buf);
			snprintf(buf + n, len - n, "/%d", k);
		}
		for (v = a; v <= b; v += k)
			m->bits[f] |= UINT64_C(1) << v;
		return;
	case 4:
		a = lo + (int)rnd(seed, (uint32_t)width);
		k = 1 + (int)rnd(seed, (uint32_t)width);
		snprintf(buf, len, "%d/%d", a, k);
		for (v = a; v <= hi; v += k)
			m->bits[f] |= UINT64_C(1) << v;
		return;
	default:
		count = 1 + (int)rnd(seed, 3);
		for (i = 0; i < count; i++) {
			v = lo + (int)rnd(seed, (uint32_t)width);
			if (i > 0) {
				n = strlen(buf);
				snprintf(buf + n, len - n, ",");
			}
			put_value(seed, f, v, true, buf, len);
			m->bits[f] |= UINT64_C(1) << v;
		}
		return;
	}
}

static bool
model_fires(const struct model *m, int64_t local)
{
	struct tm tm;
	time_t t = (time_t)local;
	bool dom, dow;

	gmtime_r(&t, &tm);
	if (!(m->bits[0] >> tm.tm_sec & 1) || !(m->bits[1] >> tm.tm_min & 1) ||
	    !(m->bits[2] >> tm.tm_hour & 1) ||
	    !(m->bits[4] >> (tm.tm_mon + 1) & 1))
		return false;
	dom = m->bits[3] >> tm.tm_mday & 1;
	dow = m->bits[5] >> tm.tm_wday & 1;
	if (!m->dom_star && !m->dow_star)
		return dom || dow;
	return dom && dow;
}

static bool
model_can_fire(const struct model *m)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int mo, d;

	if (!m->dow_star || m->dom_star)
		return true;
	for (mo = 1; mo <= 12; mo++)
		for (d = 1; d <= mdays[mo - 1]; d++)
			if ((m->bits[4] >> mo & 1) && (m->bits[3] >> d & 1))
				return true;
	return false;
}

static int32_t
off_at(const struct tz *tz, int64_t t)
{
	int32_t off;

	assert_int_equal(tz_offset_at(tz, t, &off), 0);
	return off;
}

/*
 * check_window compares cron_next with the model on (w0, w1].  A firing
 * happens at instant u when some matching wall-clock time lies between the
 * latest one shown before u (exclusive) and the one shown at u: once per
 * wall-clock time, at the first instant after a gap.
 */
static void
check_window(const char *spec, const struct model *m, const struct tz *tz,
    int64_t w0, int64_t w1, int64_t step)
{
	int64_t *want, u, v, local, high, t, next;
	char a[64], b[64], w[64];
	size_t n = 0, i = 0;
	struct cron *c = parse_ok(spec);
	int rc;

	want = calloc((size_t)((w1 - w0) / step + 1), sizeof(*want));
	assert_non_null(want);

	high = INT64_MIN;
	for (u = w0 - 2 * 86400; u <= w0; u += step)
		if (u + off_at(tz, u) > high)
			high = u + off_at(tz, u);
	for (u = w0 + step; u <= w1; u += step) {
		local = u + off_at(tz, u);
		for (v = (high / step + 1) * step; v <= local; v += step) {
			if (model_fires(m, v)) {
				want[n++] = u;
				break;
			}
		}
		if (local > high)
			high = local;
	}
	for (t = w0;; t = next) {
		rc = cron_next(c, tz, t, &next);
		if (rc != 0)
			fail_msg("\"%s\" in %s after %s: error %d", spec,
			    tz_name(tz), fmt(a, sizeof(a), t), rc);
		if (next > w1 || i == n)
			break;
		if (next != want[i])
			fail_msg("\"%s\" in %s after %s: got %s, want %s", spec,
			    tz_name(tz), fmt(a, sizeof(a), t),
			    fmt(b, sizeof(b), next),
			    fmt(w, sizeof(w), want[i]));
		i++;
	}
	if (i != n || next <= w1)
		fail_msg("\"%s\" in %s: %zu firings in window, want %zu (%s)",
		    spec, tz_name(tz), i, n, fmt(a, sizeof(a), next));
	free(want);
	cron_free(c);
}

/* random_spec builds a schedule of 5 or 6 fields; false if it never fires. */
static bool
random_spec(uint32_t *seed, bool seconds, struct model *m, char *spec,
    size_t len)
{
	char field[128];
	struct cron *c = NULL;
	char err[256];
	size_t n;
	int f, rc;

	memset(m, 0, sizeof(*m));
	spec[0] = '\0';
	if (!seconds)
		m->bits[0] = 1;
	for (f = seconds ? 0 : 1; f < 6; f++) {
		gen_field(seed, f, m, field, sizeof(field));
		n = strlen(spec);
		snprintf(spec + n, len - n, "%s%s", f > (seconds ? 0 : 1) ?
		    " " : "", field);
	}
	rc = cron_parse(spec, &c, err, sizeof(err));
	cron_free(c);
	if (!model_can_fire(m)) {
		if (rc != ORK_ERANGE || strcmp(err, "day-of-month: never "
		    "matches in the given months") != 0)
			fail_msg("\"%s\" never fires but got %d %s", spec, rc,
			    rc ? err : "");
		return false;
	}
	if (rc != 0)
		fail_msg("\"%s\" rejected: %s", spec, err);
	return true;
}

static void
test_random_utc(void **state)
{
	struct model m;
	char spec[512];
	uint32_t seed = 20260329;
	int64_t w0;
	int i, done = 0;

	(void)state;
	for (i = 0; i < 400; i++) {
		if (!random_spec(&seed, false, &m, spec, sizeof(spec)))
			continue;
		/* Eight days from somewhere in 2028-02-20 .. 03-05. */
		w0 = iso("2028-02-20T00:00:00Z") +
		    (int64_t)rnd(&seed, 15 * 24) * 3600;
		check_window(spec, &m, NULL, w0, w0 + 8 * 86400, 60);
		done++;
	}
	for (i = 0; i < 150; i++) {
		if (!random_spec(&seed, true, &m, spec, sizeof(spec)))
			continue;
		check_window(spec, &m, NULL, iso("2026-12-31T22:00:00Z"),
		    iso("2027-01-01T02:00:00Z"), 1);
		done++;
	}
	assert_true(done > 450);
}

static void
test_random_zones(void **state)
{
	static const struct {
		const char	*zone;
		const char	*at;	/* an offset change */
	} windows[] = {
		{ "Europe/Berlin", "2026-03-29T01:00:00Z" },
		{ "Europe/Berlin", "2026-10-25T01:00:00Z" },
		{ "Europe/Berlin", "2041-03-31T01:00:00Z" },
		{ "Europe/Berlin", "2041-10-27T01:00:00Z" },
		{ "America/New_York", "2026-03-08T07:00:00Z" },
		{ "America/New_York", "2026-11-01T06:00:00Z" },
		{ "Australia/Sydney", "2026-04-04T16:00:00Z" },
		{ "Australia/Sydney", "2026-10-03T16:00:00Z" },
		{ "Australia/Lord_Howe", "2026-10-03T15:30:00Z" },
		{ "Australia/Lord_Howe", "2026-04-04T15:00:00Z" },
	};
	struct model m;
	char spec[512];
	uint32_t seed = 20261025;
	size_t w;
	int i;

	(void)state;
	for (w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
		struct tz *tz = zone(windows[w].zone);
		int64_t at = iso(windows[w].at);

		/* The window list names real offset changes. */
		assert_true(off_at(tz, at - 1) != off_at(tz, at));
		for (i = 0; i < 40; i++) {
			if (!random_spec(&seed, false, &m, spec, sizeof(spec)))
				continue;
			check_window(spec, &m, tz, at - 86400 -
			    (int64_t)rnd(&seed, 24) * 3600, at + 86400, 60);
		}
		/* Fixed forms that touch the changed hour. */
		memset(&m, 0, sizeof(m));
		m.bits[0] = 1;
		m.bits[1] = UINT64_C(1) << 0 | UINT64_C(1) << 15 |
		    UINT64_C(1) << 30 | UINT64_C(1) << 45;
		m.bits[2] = (UINT64_C(1) << 24) - 1;
		m.bits[3] = ((UINT64_C(1) << 32) - 1) & ~UINT64_C(1);
		m.bits[4] = ((UINT64_C(1) << 13) - 1) & ~UINT64_C(1);
		m.bits[5] = (UINT64_C(1) << 7) - 1;
		m.dom_star = m.dow_star = true;
		check_window("*/15 * * * *", &m, tz, at - 86400, at + 86400,
		    60);
		m.bits[1] = UINT64_C(1) << 30;
		m.bits[2] = UINT64_C(1) << 1 | UINT64_C(1) << 2;
		check_window("30 1,2 * * *", &m, tz, at - 3 * 86400,
		    at + 3 * 86400, 60);
		tz_free(tz);
	}
}


/* --- due slots after downtime (misfires, catch-up) --- */

static void
test_due(void **state)
{
	struct cron	*c = parse_ok("*/10 * * * * *");
	struct cron	*daily = parse_ok("0 0 9 * * *");
	struct cron	*firsts = parse_ok("0 * * 1 * *");
	struct tz	*berlin = zone("Europe/Berlin");
	int64_t		 slots[100], next;
	size_t		 n;

	(void)state;
	/* not due yet: nothing, next unchanged */
	assert_int_equal(cron_due(c, NULL, iso("2026-01-01T00:01:00Z"),
	    iso("2026-01-01T00:00:59Z"), 0, 0, slots, 100, &n, &next), 0);
	assert_int_equal(n, 0);
	assert_int_equal(next, iso("2026-01-01T00:01:00Z"));
	/* due exactly now: that slot */
	assert_int_equal(cron_due(c, NULL, iso("2026-01-01T00:01:00Z"),
	    iso("2026-01-01T00:01:00Z"), 0, 0, slots, 100, &n, &next), 0);
	assert_int_equal(n, 1);
	assert_int_equal(slots[0], iso("2026-01-01T00:01:00Z"));
	assert_int_equal(next, iso("2026-01-01T00:01:10Z"));
	/* down for 5 slots, no catch-up: only the latest */
	assert_int_equal(cron_due(c, NULL, iso("2026-01-01T00:01:00Z"),
	    iso("2026-01-01T00:01:45Z"), 0, 0, slots, 100, &n, &next), 0);
	assert_int_equal(n, 1);
	assert_int_equal(slots[0], iso("2026-01-01T00:01:40Z"));
	assert_int_equal(next, iso("2026-01-01T00:01:50Z"));
	/* the same with catch-up: all five, oldest first */
	assert_int_equal(cron_due(c, NULL, iso("2026-01-01T00:01:00Z"),
	    iso("2026-01-01T00:01:45Z"), 1, 0, slots, 100, &n, &next), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(slots[i], iso("2026-01-01T00:01:00Z") +
		    (int64_t)i * 10);
	assert_int_equal(next, iso("2026-01-01T00:01:50Z"));
	/* catch-up cut short by max: the rest stays due */
	assert_int_equal(cron_due(c, NULL, iso("2026-01-01T00:01:00Z"),
	    iso("2026-01-01T00:01:45Z"), 1, 0, slots, 3, &n, &next), 0);
	assert_int_equal(n, 3);
	assert_int_equal(next, iso("2026-01-01T00:01:30Z"));
	/* down for a year, no catch-up: found without a year of steps */
	assert_int_equal(cron_due(c, NULL, iso("2025-01-01T00:00:00Z"),
	    iso("2026-01-01T12:00:05Z"), 0, 0, slots, 100, &n, &next), 0);
	assert_int_equal(n, 1);
	assert_int_equal(slots[0], iso("2026-01-01T12:00:00Z"));
	assert_int_equal(next, iso("2026-01-01T12:00:10Z"));
	/* a schedule that fired last weeks ago: the larger windows find it */
	assert_int_equal(cron_due(firsts, NULL, iso("2025-11-01T00:00:00Z"),
	    iso("2026-01-20T00:00:00Z"), 0, 0, slots, 100, &n, &next), 0);
	assert_int_equal(n, 1);
	assert_int_equal(slots[0], iso("2026-01-01T23:59:00Z"));
	assert_int_equal(next, iso("2026-02-01T00:00:00Z"));
	/* in a zone: 09:00 Berlin, three days missed, catch-up */
	assert_int_equal(cron_due(daily, berlin, iso("2026-07-01T09:00:00+02:00"),
	    iso("2026-07-03T10:00:00+02:00"), 1, 0, slots, 100, &n, &next), 0);
	assert_int_equal(n, 3);
	assert_int_equal(slots[2], iso("2026-07-03T09:00:00+02:00"));
	assert_int_equal(next, iso("2026-07-04T09:00:00+02:00"));
	/* without catch-up, slots late by less than the grace still fire */
	assert_int_equal(cron_due(c, NULL, iso("2026-01-01T00:01:00Z"),
	    iso("2026-01-01T00:01:45Z"), 0, 25, slots, 100, &n, &next), 0);
	assert_int_equal(n, 3);
	assert_int_equal(slots[0], iso("2026-01-01T00:01:20Z"));
	assert_int_equal(slots[2], iso("2026-01-01T00:01:40Z"));
	assert_int_equal(next, iso("2026-01-01T00:01:50Z"));
	/* all late by less than the grace: all fire */
	assert_int_equal(cron_due(c, NULL, iso("2026-01-01T00:01:00Z"),
	    iso("2026-01-01T00:01:45Z"), 0, 60, slots, 100, &n, &next), 0);
	assert_int_equal(n, 5);
	/* none within the grace: the latest misfire fires once */
	assert_int_equal(cron_due(c, NULL, iso("2026-01-01T00:01:00Z"),
	    iso("2026-01-01T00:01:45Z"), 0, 4, slots, 100, &n, &next), 0);
	assert_int_equal(n, 1);
	assert_int_equal(slots[0], iso("2026-01-01T00:01:40Z"));
	tz_free(berlin);
	cron_free(firsts);
	cron_free(daily);
	cron_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_macros),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_every),
		cmocka_unit_test(test_month_ends),
		cmocka_unit_test(test_vixie_day_rule),
		cmocka_unit_test(test_dst_berlin),
		cmocka_unit_test(test_dst_new_york),
		cmocka_unit_test(test_dst_south),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_random_utc),
		cmocka_unit_test(test_random_zones),
		cmocka_unit_test(test_due),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
