/*
 * tz_test.c - time zones: offsets at known instants, wall-clock to UTC
 * across gaps and repeats, zone names, and TZif files built by hand.
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
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "tz.h"

/* Where the TZif files built by the tests are written. */
static char scratch[256];

/* iso converts "2026-03-29T01:00:00Z" to Unix time; also wall-clock times. */
static int64_t
iso(const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, sec;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &sec) != 6)
		fail_msg("bad test time \"%s\"", s);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return (int64_t)timegm(&tm);
}

static struct tz *
zone_at(const char *root, const char *name)
{
	struct tz *tz = NULL;
	char err[256];

	if (tz_load(root, name, &tz, err, sizeof(err)) != 0)
		fail_msg("could not load zone %s: %s", name, err);
	return tz;
}

static struct tz *
zone(const char *name)
{
	return zone_at(getenv("ORK_ZONEINFO"), name);
}

static int32_t
offset(const struct tz *tz, int64_t t)
{
	int32_t off = 0;

	assert_int_equal(tz_offset_at(tz, t, &off), 0);
	return off;
}

static void
test_offsets(void **state)
{
	static const struct {
		const char	*zone;
		const char	*at;
		int32_t		offset;
	} cases[] = {
		{ "Europe/Berlin", "2026-01-15T12:00:00Z", 3600 },
		{ "Europe/Berlin", "2026-07-15T12:00:00Z", 7200 },
		{ "Europe/Berlin", "2026-03-29T00:59:59Z", 3600 },
		{ "Europe/Berlin", "2026-03-29T01:00:00Z", 7200 },
		{ "Europe/Berlin", "2026-10-25T00:59:59Z", 7200 },
		{ "Europe/Berlin", "2026-10-25T01:00:00Z", 3600 },
		{ "Europe/Berlin", "1945-06-01T12:00:00Z", 10800 },
		{ "Europe/Berlin", "1900-01-01T00:00:00Z", 3600 },
		/* Before the first transition: local mean time, +0:53:28. */
		{ "Europe/Berlin", "1800-01-01T00:00:00Z", 3208 },
		/* After the table: the footer rule. */
		{ "Europe/Berlin", "2100-03-28T00:59:59Z", 3600 },
		{ "Europe/Berlin", "2100-03-28T01:00:00Z", 7200 },
		{ "Europe/Berlin", "2100-10-31T00:59:59Z", 7200 },
		{ "Europe/Berlin", "2100-10-31T01:00:00Z", 3600 },
		{ "America/New_York", "1970-01-01T00:00:00Z", -18000 },
		{ "America/New_York", "2026-03-08T06:59:59Z", -18000 },
		{ "America/New_York", "2026-03-08T07:00:00Z", -14400 },
		{ "America/New_York", "2026-11-01T05:59:59Z", -14400 },
		{ "America/New_York", "2026-11-01T06:00:00Z", -18000 },
		{ "America/New_York", "2200-07-04T12:00:00Z", -14400 },
		{ "America/St_Johns", "2026-01-15T00:00:00Z", -12600 },
		{ "America/Sao_Paulo", "2026-01-15T00:00:00Z", -10800 },
		/* Greenland's rules change at -01:00 and 00:00 local. */
		{ "America/Nuuk", "2026-01-01T00:00:00Z", -7200 },
		{ "America/Nuuk", "2026-07-01T00:00:00Z", -3600 },
		{ "Asia/Kolkata", "2026-01-01T00:00:00Z", 19800 },
		{ "Asia/Kathmandu", "2026-01-01T00:00:00Z", 20700 },
		{ "Pacific/Kiritimati", "2026-01-01T00:00:00Z", 50400 },
		{ "Australia/Sydney", "2026-01-15T00:00:00Z", 39600 },
		{ "Australia/Sydney", "2026-07-15T00:00:00Z", 36000 },
		{ "Australia/Lord_Howe", "2026-01-15T00:00:00Z", 39600 },
		{ "Australia/Lord_Howe", "2026-07-15T00:00:00Z", 37800 },
		{ "Etc/GMT+5", "2026-01-15T00:00:00Z", -18000 },
		{ "Etc/UTC", "2026-01-15T00:00:00Z", 0 },
		{ "UTC", "2026-01-15T00:00:00Z", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tz *tz = zone(cases[i].zone);
		int32_t got = offset(tz, iso(cases[i].at));

		if (got != cases[i].offset)
			fail_msg("%s at %s: got %d, want %d", cases[i].zone,
			    cases[i].at, got, cases[i].offset);
		assert_string_equal(tz_name(tz), cases[i].zone);
		tz_free(tz);
	}
}

static void
test_utc(void **state)
{
	int64_t t = iso("2026-03-29T01:00:00Z"), v;
	struct tz *tz;

	(void)state;
	assert_int_equal(offset(NULL, t), 0);
	assert_int_equal(offset(tz_utc(), t), 0);
	assert_string_equal(tz_name(NULL), "UTC");
	assert_string_equal(tz_name(tz_utc()), "UTC");
	assert_int_equal(tz_local_to_utc(NULL, t, &v), 0);
	assert_int_equal(v, t);
	assert_int_equal(tz_utc_to_local(tz_utc(), t, &v), 0);
	assert_int_equal(v, t);
	assert_int_equal(tz_next_transition(NULL, t, &v), ORK_ENOTFOUND);
	/* UTC needs no zone file. */
	tz = zone_at("/nonexistent", "UTC");
	assert_int_equal(offset(tz, t), 0);
	tz_free(tz);
	tz_free(NULL);
}

static void
test_local_to_utc(void **state)
{
	static const struct {
		const char	*zone;
		const char	*local;		/* wall-clock time */
		const char	*utc;
	} cases[] = {
		{ "Europe/Berlin", "2026-03-29T01:59:59Z",
		    "2026-03-29T00:59:59Z" },
		{ "Europe/Berlin", "2026-03-29T02:00:00Z",
		    "2026-03-29T01:00:00Z" },
		{ "Europe/Berlin", "2026-03-29T02:30:00Z",
		    "2026-03-29T01:00:00Z" },
		{ "Europe/Berlin", "2026-03-29T02:59:59Z",
		    "2026-03-29T01:00:00Z" },
		{ "Europe/Berlin", "2026-03-29T03:00:00Z",
		    "2026-03-29T01:00:00Z" },
		{ "Europe/Berlin", "2026-03-29T03:00:01Z",
		    "2026-03-29T01:00:01Z" },
		{ "Europe/Berlin", "2026-10-25T01:59:59Z",
		    "2026-10-24T23:59:59Z" },
		{ "Europe/Berlin", "2026-10-25T02:00:00Z",
		    "2026-10-25T00:00:00Z" },
		{ "Europe/Berlin", "2026-10-25T02:30:00Z",
		    "2026-10-25T00:30:00Z" },
		{ "Europe/Berlin", "2026-10-25T02:59:59Z",
		    "2026-10-25T00:59:59Z" },
		{ "Europe/Berlin", "2026-10-25T03:00:00Z",
		    "2026-10-25T02:00:00Z" },
		{ "Europe/Berlin", "2026-07-01T12:00:00Z",
		    "2026-07-01T10:00:00Z" },
		{ "America/New_York", "2026-03-08T02:30:00Z",
		    "2026-03-08T07:00:00Z" },
		{ "America/New_York", "2026-11-01T01:30:00Z",
		    "2026-11-01T05:30:00Z" },
		{ "America/New_York", "2026-11-01T02:00:00Z",
		    "2026-11-01T07:00:00Z" },
		{ "Australia/Lord_Howe", "2026-10-04T02:15:00Z",
		    "2026-10-03T15:30:00Z" },
		{ "Australia/Lord_Howe", "2026-04-05T01:45:00Z",
		    "2026-04-04T14:45:00Z" },
	};
	int64_t utc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tz *tz = zone(cases[i].zone);

		assert_int_equal(tz_local_to_utc(tz, iso(cases[i].local), &utc),
		    0);
		if (utc != iso(cases[i].utc))
			fail_msg("%s local %s: got %lld, want %s",
			    cases[i].zone, cases[i].local, (long long)utc,
			    cases[i].utc);
		tz_free(tz);
	}
}

static void
test_local_latest(void **state)
{
	struct tz *tz = zone("Europe/Berlin");
	int64_t local;

	(void)state;
	/* Second showing of 02:30: the clock already showed 02:59:59. */
	assert_int_equal(tz_local_latest(tz, iso("2026-10-25T01:30:00Z"),
	    &local), 0);
	assert_int_equal(local, iso("2026-10-25T02:59:59Z"));
	assert_int_equal(tz_utc_to_local(tz, iso("2026-10-25T01:30:00Z"),
	    &local), 0);
	assert_int_equal(local, iso("2026-10-25T02:30:00Z"));
	assert_int_equal(tz_local_latest(tz, iso("2026-10-25T00:30:00Z"),
	    &local), 0);
	assert_int_equal(local, iso("2026-10-25T02:30:00Z"));
	assert_int_equal(tz_local_latest(tz, iso("2026-10-25T01:59:59Z"),
	    &local), 0);
	assert_int_equal(local, iso("2026-10-25T02:59:59Z"));
	assert_int_equal(tz_local_latest(tz, iso("2026-10-25T02:00:00Z"),
	    &local), 0);
	assert_int_equal(local, iso("2026-10-25T03:00:00Z"));
	assert_int_equal(tz_local_latest(tz, iso("2026-03-29T01:00:00Z"),
	    &local), 0);
	assert_int_equal(local, iso("2026-03-29T03:00:00Z"));
	tz_free(tz);
}

static void
test_transitions(void **state)
{
	struct tz *berlin = zone("Europe/Berlin");
	struct tz *kolkata = zone("Asia/Kolkata");
	int64_t t;

	(void)state;
	assert_int_equal(tz_next_transition(berlin,
	    iso("2026-01-01T00:00:00Z"), &t), 0);
	assert_int_equal(t, iso("2026-03-29T01:00:00Z"));
	assert_int_equal(tz_next_transition(berlin, t, &t), 0);
	assert_int_equal(t, iso("2026-10-25T01:00:00Z"));
	assert_int_equal(tz_next_transition(berlin, t, &t), 0);
	assert_int_equal(t, iso("2027-03-28T01:00:00Z"));
	assert_int_equal(tz_next_transition(berlin,
	    iso("2100-01-01T00:00:00Z"), &t), 0);
	assert_int_equal(t, iso("2100-03-28T01:00:00Z"));
	assert_int_equal(tz_next_transition(kolkata,
	    iso("2026-01-01T00:00:00Z"), &t), ORK_ENOTFOUND);
	tz_free(kolkata);
	tz_free(berlin);
}

static void
test_ranges(void **state)
{
	struct tz *tz = zone("Europe/Berlin");
	int32_t off;
	int64_t v;

	(void)state;
	assert_int_equal(tz_offset_at(tz, TZ_TIME_MAX + 1, &off), ORK_ERANGE);
	assert_int_equal(tz_offset_at(tz, TZ_TIME_MIN - 1, &off), ORK_ERANGE);
	assert_int_equal(tz_utc_to_local(tz, INT64_MAX, &v), ORK_ERANGE);
	assert_int_equal(tz_local_to_utc(tz, INT64_MIN, &v), ORK_ERANGE);
	assert_int_equal(tz_local_latest(tz, INT64_MAX, &v), ORK_ERANGE);
	assert_int_equal(tz_next_transition(tz, INT64_MAX, &v), ORK_ERANGE);
	assert_int_equal(tz_offset_at(tz, TZ_TIME_MAX, &off), 0);
	assert_int_equal(off, 3600);
	assert_int_equal(tz_offset_at(tz, TZ_TIME_MIN, &off), 0);
	assert_int_equal(off, 3208);
	assert_int_equal(tz_local_to_utc(tz, TZ_TIME_MAX, &v), 0);
	assert_int_equal(v, TZ_TIME_MAX - 3600);
	tz_free(tz);
}

static void
test_calendar(void **state)
{
	int64_t days, y;
	int m, d;
	struct tm tm;
	time_t t;

	(void)state;
	assert_int_equal(tz_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(tz_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(tz_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(tz_days_in_month(2026, 2), 28);
	assert_int_equal(tz_days_in_month(2028, 2), 29);
	assert_int_equal(tz_days_in_month(2100, 2), 28);
	assert_int_equal(tz_days_in_month(2000, 2), 29);
	assert_int_equal(tz_days_in_month(2026, 4), 30);
	assert_int_equal(tz_days_in_month(2026, 12), 31);
	/* Against the C library, every 37 days from year 1 to 9999. */
	for (days = -719162; days <= 2932896; days += 37) {
		t = (time_t)(days * 86400);
		assert_non_null(gmtime_r(&t, &tm));
		tz_civil_from_days(days, &y, &m, &d);
		assert_int_equal(y, tm.tm_year + 1900);
		assert_int_equal(m, tm.tm_mon + 1);
		assert_int_equal(d, tm.tm_mday);
		assert_int_equal(tz_days_from_civil(y, m, d), days);
	}
}

static void
test_bad_names(void **state)
{
	static const struct {
		const char	*name;
		int		rc;
		const char	*msg;
	} cases[] = {
		{ "", ORK_EINVAL, "empty time zone name" },
		{ NULL, ORK_EINVAL, "empty time zone name" },
		{ "../etc/passwd", ORK_EINVAL, "invalid time zone name "
		    "\"../etc/passwd\": must not contain \"..\"" },
		{ "Europe/../../etc/passwd", ORK_EINVAL, "invalid time zone "
		    "name \"Europe/../../etc/passwd\": must not contain "
		    "\"..\"" },
		{ "/etc/passwd", ORK_EINVAL, "invalid time zone name "
		    "\"/etc/passwd\": must not start with \"/\"" },
		{ "Europe/Berlin;rm", ORK_EINVAL, "invalid time zone name "
		    "\"Europe/Berlin;rm\": character 0x3b not allowed" },
		{ "Europe Berlin", ORK_EINVAL, "invalid time zone name "
		    "\"Europe Berlin\": character 0x20 not allowed" },
		{ "Europe\\Berlin", ORK_EINVAL, "invalid time zone name "
		    "\"Europe\\Berlin\": character 0x5c not allowed" },
		{ "./UTC", ORK_EINVAL, "invalid time zone name \"./UTC\": "
		    "character 0x2e not allowed" },
		{ "Europe/Berl\xc3\xadn", ORK_EINVAL, "invalid time zone name "
		    "\"Europe/Berl??n\": character 0xc3 not allowed" },
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAA", ORK_ETOOBIG, "time zone name \"AAAAAAAAAAAAAAAA"
		    "AAAAAAAAAAAAAAAAAAAAAAAA...\" longer than 64 bytes" },
		{ "Foo/Bar", ORK_ENOTFOUND, "unknown time zone \"Foo/Bar\"" },
		{ "Europe", ORK_ENOTFOUND, "unknown time zone \"Europe\"" },
		{ "Europe/Berlin/", ORK_ENOTFOUND,
		    "unknown time zone \"Europe/Berlin/\"" },
		{ "utc", ORK_ENOTFOUND, "unknown time zone \"utc\"" },
	};
	struct tz *tz;
	char err[256];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tz = (struct tz *)&err;		/* must stay untouched */
		memset(err, 0, sizeof(err));
		rc = tz_load(getenv("ORK_ZONEINFO"), cases[i].name, &tz, err,
		    sizeof(err));
		if (rc != cases[i].rc || strcmp(err, cases[i].msg) != 0)
			fail_msg("\"%s\": got %d \"%s\", want %d \"%s\"",
			    cases[i].name ? cases[i].name : "(null)", rc, err,
			    cases[i].rc, cases[i].msg);
		assert_ptr_equal(tz, (struct tz *)&err);
	}
	/* The longest name allowed is only looked up. */
	assert_int_equal(tz_load(NULL, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &tz, NULL, 0), ORK_ENOTFOUND);
}

/* --- TZif files built by hand --- */

struct tzif {
	char		version;	/* '\0', '2', '3' */
	size_t		ntrans;
	int64_t		trans[4];
	uint8_t		idx[4];
	size_t		ntypes;
	int32_t		utoff[4];
	uint32_t	leapcnt;
	const char	*footer;	/* NULL: none written */
};

static size_t
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return 4;
}

static size_t
put_block(unsigned char *p, const struct tzif *z, size_t timesize)
{
	size_t n = 0, i;

	memcpy(p, "TZif", 4);
	p[4] = (unsigned char)z->version;
	memset(p + 5, 0, 15);
	n = 20;
	n += put32(p + n, 0);				/* isutcnt */
	n += put32(p + n, 0);				/* isstdcnt */
	n += put32(p + n, z->leapcnt);
	n += put32(p + n, (uint32_t)z->ntrans);
	n += put32(p + n, (uint32_t)z->ntypes);
	n += put32(p + n, 4);				/* charcnt */
	for (i = 0; i < z->ntrans; i++) {
		if (timesize == 8)
			n += put32(p + n,
			    (uint32_t)((uint64_t)z->trans[i] >> 32));
		n += put32(p + n, (uint32_t)(uint64_t)z->trans[i]);
	}
	for (i = 0; i < z->ntrans; i++)
		p[n++] = z->idx[i];
	for (i = 0; i < z->ntypes; i++) {
		n += put32(p + n, (uint32_t)z->utoff[i]);
		p[n++] = 0;
		p[n++] = 0;
	}
	memcpy(p + n, "ZZZ", 4);
	n += 4;
	memset(p + n, 0, z->leapcnt * (timesize + 4));
	n += z->leapcnt * (timesize + 4);
	return n;
}

/* write_tzif writes z as scratch/name, cut to len bytes if len > 0. */
static void
write_tzif(const char *name, const struct tzif *z, size_t cut)
{
	unsigned char buf[1024];
	char path[512];
	size_t n;
	FILE *f;

	n = put_block(buf, z, 4);
	if (z->version != '\0') {
		n += put_block(buf + n, z, 8);
		if (z->footer != NULL)
			n += (size_t)snprintf((char *)buf + n, sizeof(buf) - n,
			    "\n%s\n", z->footer);
	}
	if (cut > 0)
		n = cut;
	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(buf, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void
remove_tzif(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	unlink(path);
}

static void
test_tzif_v1(void **state)
{
	struct tzif z = { .version = '\0', .ntrans = 2,
	    .trans = { 1000000000, 2000000000 }, .idx = { 1, 0 },
	    .ntypes = 2, .utoff = { -3600, 5400 } };
	struct tz *tz;

	(void)state;
	write_tzif("v1", &z, 0);
	tz = zone_at(scratch, "v1");
	assert_int_equal(offset(tz, 999999999), -3600);
	assert_int_equal(offset(tz, 1000000000), 5400);
	assert_int_equal(offset(tz, 1999999999), 5400);
	/* No footer: the last type holds for ever. */
	assert_int_equal(offset(tz, 2000000000), -3600);
	assert_int_equal(offset(tz, TZ_TIME_MAX), -3600);
	tz_free(tz);
	remove_tzif("v1");
}

static void
test_tzif_footers(void **state)
{
	static const struct {
		const char	*footer;
		const char	*at;
		int32_t		offset;
	} cases[] = {
		{ "<+0130>-1:30", "2030-01-01T00:00:00Z", 5400 },
		{ "ABC-3:00:30", "2030-01-01T00:00:00Z", 10830 },
		/* US rules when a daylight name has none. */
		{ "EST5EDT", "2030-03-10T06:59:59Z", -18000 },
		{ "EST5EDT", "2030-03-10T07:00:00Z", -14400 },
		{ "EST5EDT", "2030-11-03T05:59:59Z", -14400 },
		{ "EST5EDT", "2030-11-03T06:00:00Z", -18000 },
		{ "EST5EDT4,M3.2.0/2:00:00,M11.1.0/2", "2030-07-01T00:00:00Z",
		    -14400 },
		/* Jn never counts February 29; n does. */
		{ "AAA0BBB,J60/0,J300/0", "2028-02-29T23:59:59Z", 0 },
		{ "AAA0BBB,J60/0,J300/0", "2028-03-01T00:00:00Z", 3600 },
		{ "AAA0BBB,59/0,300/0", "2028-02-28T23:59:59Z", 0 },
		{ "AAA0BBB,59/0,300/0", "2028-02-29T00:00:00Z", 3600 },
		{ "AAA0BBB,59/0,300/0", "2027-03-01T00:00:00Z", 3600 },
		{ "AAA0BBB,59/0,300/0", "2027-02-28T23:59:59Z", 0 },
		/* Southern hemisphere: daylight time spans the new year. */
		{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2030-01-01T00:00:00Z",
		    39600 },
		{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2030-07-01T00:00:00Z",
		    36000 },
		/* Negative and past-midnight rule times (version 3). */
		{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2030-03-31T00:59:59Z",
		    -7200 },
		{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2030-03-31T01:00:00Z",
		    -3600 },
		/* Permanent daylight time. */
		{ "EST5EDT,0/0,J365/25", "2030-01-01T04:59:59Z", -14400 },
		{ "EST5EDT,0/0,J365/25", "2030-01-01T05:00:00Z", -14400 },
		{ "EST5EDT,0/0,J365/25", "2030-07-01T00:00:00Z", -14400 },
		{ "EST5EDT,0/0,J365/25", "2030-12-31T23:00:00Z", -14400 },
		/* An empty footer: the last type. */
		{ "", "2030-01-01T00:00:00Z", 7200 },
	};
	struct tzif z = { .version = '3', .ntrans = 1,
	    .trans = { 1000000000 }, .idx = { 1 }, .ntypes = 2,
	    .utoff = { 3600, 7200 } };
	struct tz *tz;
	int64_t when;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		z.footer = cases[i].footer;
		write_tzif("footer", &z, 0);
		tz = zone_at(scratch, "footer");
		assert_int_equal(offset(tz, 999999999), 3600);
		if (offset(tz, iso(cases[i].at)) != cases[i].offset)
			fail_msg("\"%s\" at %s: got %d, want %d",
			    cases[i].footer, cases[i].at,
			    offset(tz, iso(cases[i].at)), cases[i].offset);
		if (strcmp(cases[i].footer, "EST5EDT,0/0,J365/25") == 0)
			assert_int_equal(tz_next_transition(tz,
			    iso("2030-01-01T00:00:00Z"), &when),
			    ORK_ENOTFOUND);
		tz_free(tz);
	}
	remove_tzif("footer");
}

static void
test_tzif_bad(void **state)
{
	static const struct {
		struct tzif	z;
		size_t		cut;
		char		magic;
		const char	*msg;
	} cases[] = {
		{ { '2', 1, { 0 }, { 0 }, 1, { 0 }, 0, "UTC0" }, 0, 'X',
		    "not a TZif file" },
		{ { '2', 1, { 0 }, { 0 }, 1, { 0 }, 0, "UTC0" }, 50, 0,
		    "truncated file" },
		{ { '2', 1, { 0 }, { 0 }, 1, { 0 }, 0, "UTC0" }, 80, 0,
		    "bad second header" },
		{ { '2', 1, { 0 }, { 0 }, 1, { 0 }, 0, "UTC0" }, 110, 0,
		    "truncated file" },
		{ { '2', 1, { 0 }, { 0 }, 1, { 0 }, 0, "UTC0" }, 20, 0,
		    "not a TZif file" },
		{ { '2', 1, { 0 }, { 1 }, 1, { 0 }, 0, "UTC0" }, 0, 0,
		    "bad type index" },
		{ { '2', 2, { 5, 5 }, { 0, 0 }, 1, { 0 }, 0, "UTC0" }, 0, 0,
		    "transitions out of order" },
		{ { '2', 1, { INT64_C(1) << 61 }, { 0 }, 1, { 0 }, 0, "UTC0" },
		    0, 0, "transition time out of range" },
		{ { '2', 0, { 0 }, { 0 }, 0, { 0 }, 0, "UTC0" }, 0, 0,
		    "bad counts" },
		{ { '2', 0, { 0 }, { 0 }, 1, { 100000 }, 0, "UTC0" }, 0, 0,
		    "bad time type" },
		{ { '2', 0, { 0 }, { 0 }, 1, { 0 }, 1, "UTC0" }, 0, 0,
		    "leap-second zones are not supported" },
		{ { '2', 0, { 0 }, { 0 }, 1, { 0 }, 0, NULL }, 0, 0,
		    "missing footer" },
		{ { '2', 0, { 0 }, { 0 }, 1, { 0 }, 0, "CET-1CEST,M3.5.0" }, 0,
		    0, "bad footer rule" },
		{ { '2', 0, { 0 }, { 0 }, 1, { 0 }, 0, "CE-1" }, 0, 0,
		    "bad footer rule" },
		{ { '2', 0, { 0 }, { 0 }, 1, { 0 }, 0, "CET-25" }, 0, 0,
		    "bad footer rule" },
		{ { '2', 0, { 0 }, { 0 }, 1, { 0 }, 0, "CET-1CEST,M13.5.0,"
		    "M10.5.0" }, 0, 0, "bad footer rule" },
		{ { '2', 0, { 0 }, { 0 }, 1, { 0 }, 0, "CET-1CEST,M3.5.0/168,"
		    "M10.5.0" }, 0, 0, "bad footer rule" },
		{ { '2', 0, { 0 }, { 0 }, 1, { 0 }, 0, "CET-1CEST,J0,J365" },
		    0, 0, "bad footer rule" },
		{ { '2', 0, { 0 }, { 0 }, 1, { 0 }, 0, "CET-1 " }, 0, 0,
		    "bad footer rule" },
	};
	char err[256], want[256];
	struct tz *tz;
	char path[512];
	FILE *f;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_tzif("bad", &cases[i].z, cases[i].cut);
		if (cases[i].magic != 0) {
			snprintf(path, sizeof(path), "%s/bad", scratch);
			assert_non_null(f = fopen(path, "r+b"));
			assert_int_equal(fputc(cases[i].magic, f),
			    cases[i].magic);
			assert_int_equal(fclose(f), 0);
		}
		rc = tz_load(scratch, "bad", &tz, err, sizeof(err));
		snprintf(want, sizeof(want), "time zone \"bad\": %s",
		    cases[i].msg);
		if (rc != ORK_EINVAL || strcmp(err, want) != 0)
			fail_msg("case %zu: got %d \"%s\", want \"%s\"", i, rc,
			    err, want);
	}
	remove_tzif("bad");

	/* Too large to be a zone. */
	snprintf(path, sizeof(path), "%s/big", scratch);
	assert_non_null(f = fopen(path, "wb"));
	for (i = 0; i <= TZ_FILE_MAX; i++)
		fputc('x', f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(tz_load(scratch, "big", &tz, err, sizeof(err)),
	    ORK_ETOOBIG);
	assert_string_equal(err, "time zone \"big\": file larger than 262144 "
	    "bytes");
	remove_tzif("big");
}

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(scratch, sizeof(scratch), "%s/tz_test.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	return mkdtemp(scratch) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return rmdir(scratch);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_utc),
		cmocka_unit_test(test_local_to_utc),
		cmocka_unit_test(test_local_latest),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_calendar),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_tzif_v1),
		cmocka_unit_test(test_tzif_footers),
		cmocka_unit_test(test_tzif_bad),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
