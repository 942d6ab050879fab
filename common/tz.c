/*
 * tz.c - TZif (RFC 8536) reader and UTC/wall-clock conversions.
 *
 * A zone is a table of transitions (instants at which the UTC offset
 * changes) plus, for v2+ files, a POSIX TZ rule ("footer") that governs
 * every instant after the last transition.  Everything is computed from
 * that data alone: no tzset, no localtime, no global state.
 *
 * The wall-clock function f(u) = u + offset(u) rises with slope one and
 * jumps at transitions.  tz_local_to_utc and tz_local_latest walk its
 * pieces in a window around the instant of interest; the window is two
 * TZ_OFFSET_MAX wide, so every piece that can matter is seen.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "tz.h"

#define SECS_PER_DAY	INT64_C(86400)
#define TZIF_HEADER_LEN	44
#define TZ_TYPES_MAX	256		/* type indices are one byte */
#define TZ_WALK_MAX	256		/* offset changes examined per call */
#define TZ_RULE_HOURS_MAX 167		/* rule times in v3 footers */
#define TZ_OFFSET_HOURS_MAX 24		/* offsets in POSIX TZ strings */
#define TZ_QUOTE_MAX	40		/* bytes of a name quoted in messages */
/* Transitions beyond this (zic's "big bang" is -2^59) are refused. */
#define TZ_TRANS_LIMIT	(INT64_C(1) << 60)

enum tz_rule_kind {
	TZ_RULE_JULIAN,		/* Jn: 1-365, February 29 never counted */
	TZ_RULE_ZERO_BASED,	/* n: 0-365, February 29 counted */
	TZ_RULE_MONTH		/* Mm.w.d: weekday d of week w of month m */
};

struct tz_rule {
	enum tz_rule_kind kind;
	int		day;	/* J: 1-365, n: 0-365, M: weekday 0-6 */
	int		week;	/* M: 1-5, 5 meaning the last */
	int		month;	/* M: 1-12 */
	int32_t		time;	/* seconds after local midnight */
};

/* The POSIX TZ string at the end of a v2+ file, e.g. CET-1CEST,M3.5.0,... */
struct tz_footer {
	bool		present;
	bool		has_dst;
	int32_t		std_off;	/* UTC offset, east positive */
	int32_t		dst_off;
	struct tz_rule	start;		/* into daylight time, std clock */
	struct tz_rule	end;		/* out of it, daylight clock */
};

struct tz {
	char		name[TZ_NAME_MAX + 1];
	size_t		ntrans;
	int64_t		*trans;		/* strictly ascending */
	uint8_t		*trans_type;	/* index into utoff, one per trans */
	size_t		ntypes;		/* at least one */
	int32_t		utoff[TZ_TYPES_MAX];
	struct tz_footer footer;
};

struct tzif_header {
	char		version;
	uint32_t	isutcnt;
	uint32_t	isstdcnt;
	uint32_t	leapcnt;
	uint32_t	timecnt;
	uint32_t	typecnt;
	uint32_t	charcnt;
};

/* A cursor over a string that is not NUL-terminated. */
struct scan {
	const char	*p;
	const char	*end;
};

static const struct tz utc_zone = { .name = "UTC", .ntypes = 1 };

static void seterr(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* quote copies at most TZ_QUOTE_MAX bytes of s, printable ASCII only. */
static void
quote(char *dst, size_t dstlen, const char *s)
{
	size_t i;

	for (i = 0; i + 1 < dstlen && i < TZ_QUOTE_MAX && s[i] != '\0'; i++)
		dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	dst[i] = '\0';
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t
floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

static bool
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/*
 * Proleptic Gregorian calendar arithmetic after Howard Hinnant's
 * "chrono-Compatible Low-Level Date Algorithms".
 */
int64_t
tz_days_from_civil(int64_t year, int month, int day)
{
	int64_t era, yoe, doy, doe;

	year -= month <= 2;
	era = (year >= 0 ? year : year - 399) / 400;
	yoe = year - era * 400;
	doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
tz_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
	int64_t era, doe, yoe, doy, mp, y, m;

	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	m = mp < 10 ? mp + 3 : mp - 9;
	*year = y + (m <= 2);
	*month = (int)m;
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
}

int
tz_days_in_month(int64_t year, int month)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (month == 2 && is_leap(year))
		return 29;
	return days[month - 1];
}

static int64_t
year_of(int64_t t)
{
	int64_t y;
	int m, d;

	tz_civil_from_days(floor_div(t, SECS_PER_DAY), &y, &m, &d);
	return y;
}

/* rule_utc returns the instant rule r fires in year, local offset off. */
static int64_t
rule_utc(const struct tz_rule *r, int64_t year, int32_t off)
{
	int64_t day, first;
	int dim;

	switch (r->kind) {
	case TZ_RULE_JULIAN:
		day = tz_days_from_civil(year, 1, 1) + r->day - 1;
		if (is_leap(year) && r->day >= 60)
			day++;
		break;
	case TZ_RULE_ZERO_BASED:
		day = tz_days_from_civil(year, 1, 1) + r->day;
		break;
	case TZ_RULE_MONTH:
	default:
		first = tz_days_from_civil(year, r->month, 1);
		dim = tz_days_in_month(year, r->month);
		day = first + floor_mod(r->day - floor_mod(first + 4, 7), 7) +
		    (int64_t)(r->week - 1) * 7;
		if (day >= first + dim)
			day -= 7;
		break;
	}
	return day * SECS_PER_DAY + r->time - off;
}

/*
 * footer_offset returns the offset the footer rule gives at t: that of the
 * latest start or end of daylight time at or before t.  A start and an end
 * at the same instant (permanent daylight time, "J365/25") leave daylight
 * time on.
 */
static int32_t
footer_offset(const struct tz_footer *f, int64_t t)
{
	int64_t y, yy, s, e, best = INT64_MIN;
	int32_t off = f->std_off;

	if (!f->has_dst)
		return f->std_off;
	y = year_of(t);
	for (yy = y - 1; yy <= y + 1; yy++) {
		e = rule_utc(&f->end, yy, f->dst_off);
		s = rule_utc(&f->start, yy, f->std_off);
		if (e <= t && e > best) {
			best = e;
			off = f->std_off;
		}
		if (s <= t && s >= best) {
			best = s;
			off = f->dst_off;
		}
	}
	return off;
}

/* footer_next finds the first instant after t whose offset is not cur. */
static int
footer_next(const struct tz_footer *f, int64_t t, int32_t cur, int64_t *when)
{
	int64_t cand[8], y, c;
	size_t n = 0, i, j;

	if (!f->has_dst)
		return ORK_ENOTFOUND;
	y = year_of(t);
	for (int64_t yy = y - 1; yy <= y + 2; yy++) {
		cand[n++] = rule_utc(&f->start, yy, f->std_off);
		cand[n++] = rule_utc(&f->end, yy, f->dst_off);
	}
	for (i = 1; i < n; i++) {
		c = cand[i];
		for (j = i; j > 0 && cand[j - 1] > c; j--)
			cand[j] = cand[j - 1];
		cand[j] = c;
	}
	for (i = 0; i < n; i++) {
		if (cand[i] > t && footer_offset(f, cand[i]) != cur) {
			*when = cand[i];
			return 0;
		}
	}
	return ORK_ENOTFOUND;
}

static int32_t
offset_at(const struct tz *tz, int64_t t)
{
	size_t lo, hi, mid, n = tz->ntrans;

	if (n == 0)
		return tz->footer.present ? footer_offset(&tz->footer, t) :
		    tz->utoff[0];
	if (t < tz->trans[0])
		return tz->utoff[0];
	if (t >= tz->trans[n - 1] && tz->footer.present)
		return footer_offset(&tz->footer, t);
	/* Last transition at or before t: trans[lo] <= t < trans[hi]. */
	lo = 0;
	hi = n;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->utoff[tz->trans_type[lo]];
}

static int
next_transition(const struct tz *tz, int64_t t, int64_t *when)
{
	int32_t cur = offset_at(tz, t);
	size_t lo, hi, mid, i, n = tz->ntrans;

	if (n > 0 && t < tz->trans[n - 1]) {
		/* First transition after t: trans[lo] <= t < trans[hi]. */
		if (t < tz->trans[0])
			hi = 0;
		else {
			lo = 0;
			hi = n - 1;
			while (hi - lo > 1) {
				mid = lo + (hi - lo) / 2;
				if (tz->trans[mid] <= t)
					lo = mid;
				else
					hi = mid;
			}
		}
		for (i = hi; i < n; i++) {
			if (offset_at(tz, tz->trans[i]) != cur) {
				*when = tz->trans[i];
				return 0;
			}
		}
		t = tz->trans[n - 1];
	}
	if (!tz->footer.present)
		return ORK_ENOTFOUND;
	return footer_next(&tz->footer, t, cur, when);
}

static int
local_to_utc(const struct tz *tz, int64_t local, int64_t *utc)
{
	int64_t u = local - TZ_OFFSET_MAX - 1, t, cand;
	int32_t off;
	int i, rc;

	/* f(u) < local at the start: offsets never exceed TZ_OFFSET_MAX. */
	for (i = 0; i < TZ_WALK_MAX; i++) {
		off = offset_at(tz, u);
		rc = next_transition(tz, u, &t);
		if (rc == ORK_ENOTFOUND)
			t = INT64_MAX;
		else if (rc != 0)
			return rc;
		/*
		 * On [u, t) the wall clock reads v + off.  If it already reads
		 * past local at u, the clocks jumped over local at u.
		 */
		cand = local - off;
		if (cand < u)
			cand = u;
		if (cand < t) {
			*utc = cand;
			return 0;
		}
		u = t;
	}
	return ORK_ERANGE;
}

static int
local_latest(const struct tz *tz, int64_t utc, int64_t *local)
{
	int64_t u = utc - 2 * TZ_OFFSET_MAX - 1, t;
	int64_t best = utc + offset_at(tz, utc);
	int32_t off;
	int i, rc;

	/*
	 * The wall clock peaks just before each transition; peaks before u
	 * are below utc + offset(utc).
	 */
	for (i = 0; i < TZ_WALK_MAX; i++) {
		off = offset_at(tz, u);
		rc = next_transition(tz, u, &t);
		if (rc == ORK_ENOTFOUND || (rc == 0 && t > utc)) {
			*local = best;
			return 0;
		}
		if (rc != 0)
			return rc;
		if (t - 1 + off > best)
			best = t - 1 + off;
		u = t;
	}
	return ORK_ERANGE;
}

static bool
in_range(int64_t t)
{
	return t >= TZ_TIME_MIN && t <= TZ_TIME_MAX;
}

const struct tz *
tz_utc(void)
{
	return &utc_zone;
}

const char *
tz_name(const struct tz *tz)
{
	return tz == NULL ? utc_zone.name : tz->name;
}

int
tz_offset_at(const struct tz *tz, int64_t utc, int32_t *offset)
{
	if (!in_range(utc))
		return ORK_ERANGE;
	*offset = offset_at(tz == NULL ? &utc_zone : tz, utc);
	return 0;
}

int
tz_utc_to_local(const struct tz *tz, int64_t utc, int64_t *local)
{
	if (!in_range(utc))
		return ORK_ERANGE;
	*local = utc + offset_at(tz == NULL ? &utc_zone : tz, utc);
	return 0;
}

int
tz_local_to_utc(const struct tz *tz, int64_t local, int64_t *utc)
{
	if (!in_range(local))
		return ORK_ERANGE;
	return local_to_utc(tz == NULL ? &utc_zone : tz, local, utc);
}

int
tz_local_latest(const struct tz *tz, int64_t utc, int64_t *local)
{
	if (!in_range(utc))
		return ORK_ERANGE;
	return local_latest(tz == NULL ? &utc_zone : tz, utc, local);
}

int
tz_next_transition(const struct tz *tz, int64_t utc, int64_t *when)
{
	if (!in_range(utc))
		return ORK_ERANGE;
	return next_transition(tz == NULL ? &utc_zone : tz, utc, when);
}

/* --- POSIX TZ strings (the TZif footer) --- */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool
scan_char(struct scan *s, char c)
{
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

/* scan_num reads one to three digits with a value of at most max. */
static bool
scan_num(struct scan *s, int max, int *out)
{
	int v = 0, n = 0;

	while (s->p < s->end && is_digit(*s->p) && n < 3) {
		v = v * 10 + (*s->p - '0');
		s->p++;
		n++;
	}
	if (n == 0 || v > max || (s->p < s->end && is_digit(*s->p)))
		return false;
	*out = v;
	return true;
}

/* scan_name reads an abbreviation: three or more letters, or <...>. */
static bool
scan_name(struct scan *s)
{
	const char *start;

	if (scan_char(s, '<')) {
		start = s->p;
		while (s->p < s->end && (is_alpha(*s->p) || is_digit(*s->p) ||
		    *s->p == '+' || *s->p == '-'))
			s->p++;
		return s->p - start >= 3 && scan_char(s, '>');
	}
	start = s->p;
	while (s->p < s->end && is_alpha(*s->p))
		s->p++;
	return s->p - start >= 3;
}

/* scan_hms reads [+-]h[h[h]][:mm[:ss]] with hours at most maxh. */
static bool
scan_hms(struct scan *s, int maxh, int32_t *out)
{
	int sign = 1, h, m = 0, sec = 0;

	if (scan_char(s, '-'))
		sign = -1;
	else
		(void)scan_char(s, '+');
	if (!scan_num(s, maxh, &h))
		return false;
	if (scan_char(s, ':')) {
		if (!scan_num(s, 59, &m))
			return false;
		if (scan_char(s, ':') && !scan_num(s, 59, &sec))
			return false;
	}
	*out = sign * (h * 3600 + m * 60 + sec);
	return true;
}

static bool
scan_rule(struct scan *s, struct tz_rule *r)
{
	memset(r, 0, sizeof(*r));
	if (scan_char(s, 'J')) {
		r->kind = TZ_RULE_JULIAN;
		if (!scan_num(s, 365, &r->day) || r->day < 1)
			return false;
	} else if (scan_char(s, 'M')) {
		r->kind = TZ_RULE_MONTH;
		if (!scan_num(s, 12, &r->month) || r->month < 1 ||
		    !scan_char(s, '.') || !scan_num(s, 5, &r->week) ||
		    r->week < 1 || !scan_char(s, '.') ||
		    !scan_num(s, 6, &r->day))
			return false;
	} else {
		r->kind = TZ_RULE_ZERO_BASED;
		if (!scan_num(s, 365, &r->day))
			return false;
	}
	r->time = 2 * 3600;
	if (scan_char(s, '/') && !scan_hms(s, TZ_RULE_HOURS_MAX, &r->time))
		return false;
	return true;
}

/*
 * parse_footer reads a POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3".
 * POSIX offsets count west positive; they are stored east positive.
 */
static bool
parse_footer(const char *str, size_t len, struct tz_footer *f)
{
	struct scan s = { str, str + len };
	int32_t off;

	memset(f, 0, sizeof(*f));
	if (len == 0)
		return true;
	f->present = true;
	if (!scan_name(&s) || !scan_hms(&s, TZ_OFFSET_HOURS_MAX, &off))
		return false;
	f->std_off = -off;
	if (s.p == s.end)
		return true;
	f->has_dst = true;
	if (!scan_name(&s))
		return false;
	f->dst_off = f->std_off + 3600;
	if (s.p < s.end && *s.p != ',') {
		if (!scan_hms(&s, TZ_OFFSET_HOURS_MAX, &off))
			return false;
		f->dst_off = -off;
	}
	if (s.p == s.end) {
		/* No rule: POSIX leaves it open; use the US one. */
		f->start = (struct tz_rule){ TZ_RULE_MONTH, 0, 2, 3, 7200 };
		f->end = (struct tz_rule){ TZ_RULE_MONTH, 0, 1, 11, 7200 };
		return true;
	}
	return scan_char(&s, ',') && scan_rule(&s, &f->start) &&
	    scan_char(&s, ',') && scan_rule(&s, &f->end) && s.p == s.end;
}

/* --- TZif files --- */

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int32_t
be32s(const unsigned char *p)
{
	uint32_t u = be32(p);

	return (u >> 31) ? -(int32_t)(~u) - 1 : (int32_t)u;
}

static int64_t
be64s(const unsigned char *p)
{
	uint64_t u = (uint64_t)be32(p) << 32 | be32(p + 4);

	return (u >> 63) ? -(int64_t)(~u) - 1 : (int64_t)u;
}

static bool
read_header(const unsigned char *p, size_t avail, struct tzif_header *h)
{
	if (avail < TZIF_HEADER_LEN || memcmp(p, "TZif", 4) != 0)
		return false;
	h->version = (char)p[4];
	if (h->version != '\0' && (h->version < '2' || h->version > '9'))
		return false;
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return true;
}

static size_t
block_len(const struct tzif_header *h, size_t timesize)
{
	return (size_t)h->timecnt * timesize + h->timecnt +
	    (size_t)h->typecnt * 6 + h->charcnt +
	    (size_t)h->leapcnt * (timesize + 4) + h->isstdcnt + h->isutcnt;
}

/* parse_tzif fills tz from a whole TZif file; on error tz may be partial. */
static int
parse_tzif(struct tz *tz, const unsigned char *buf, size_t len,
    const char **why)
{
	const unsigned char *p = buf, *end = buf + len, *nl;
	struct tzif_header h;
	size_t timesize = 4, blen, i;

	*why = "not a TZif file";
	if (!read_header(p, (size_t)(end - p), &h))
		return ORK_EINVAL;
	p += TZIF_HEADER_LEN;
	*why = "truncated file";
	if (h.version != '\0') {
		blen = block_len(&h, 4);
		if ((size_t)(end - p) < blen)
			return ORK_EINVAL;
		p += blen;
		*why = "bad second header";
		if (!read_header(p, (size_t)(end - p), &h))
			return ORK_EINVAL;
		p += TZIF_HEADER_LEN;
		timesize = 8;
	}
	*why = "truncated file";
	blen = block_len(&h, timesize);
	if ((size_t)(end - p) < blen)
		return ORK_EINVAL;
	*why = "leap-second zones are not supported";
	if (h.leapcnt != 0)
		return ORK_EINVAL;
	*why = "bad counts";
	if (h.typecnt == 0 || h.typecnt > TZ_TYPES_MAX ||
	    (h.isstdcnt != 0 && h.isstdcnt != h.typecnt) ||
	    (h.isutcnt != 0 && h.isutcnt != h.typecnt))
		return ORK_EINVAL;

	if (h.timecnt > 0) {
		tz->trans = calloc(h.timecnt, sizeof(*tz->trans));
		tz->trans_type = calloc(h.timecnt, sizeof(*tz->trans_type));
		if (tz->trans == NULL || tz->trans_type == NULL) {
			*why = "out of memory";
			return ORK_ENOMEM;
		}
	}
	tz->ntrans = h.timecnt;
	for (i = 0; i < h.timecnt; i++, p += timesize) {
		tz->trans[i] = timesize == 8 ? be64s(p) : be32s(p);
		*why = "transition time out of range";
		if (tz->trans[i] < -TZ_TRANS_LIMIT ||
		    tz->trans[i] > TZ_TRANS_LIMIT)
			return ORK_EINVAL;
		*why = "transitions out of order";
		if (i > 0 && tz->trans[i] <= tz->trans[i - 1])
			return ORK_EINVAL;
	}
	*why = "bad type index";
	for (i = 0; i < h.timecnt; i++) {
		tz->trans_type[i] = p[i];
		if (p[i] >= h.typecnt)
			return ORK_EINVAL;
	}
	p += h.timecnt;
	*why = "bad time type";
	tz->ntypes = h.typecnt;
	for (i = 0; i < h.typecnt; i++, p += 6) {
		tz->utoff[i] = be32s(p);
		if (tz->utoff[i] < -TZ_OFFSET_MAX ||
		    tz->utoff[i] > TZ_OFFSET_MAX ||
		    p[4] > 1 || (h.charcnt > 0 && p[5] >= h.charcnt))
			return ORK_EINVAL;
	}
	p += h.charcnt + h.isstdcnt + h.isutcnt;

	if (h.version == '\0')
		return 0;
	*why = "missing footer";
	if (p >= end || *p != '\n')
		return ORK_EINVAL;
	p++;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == NULL)
		return ORK_EINVAL;
	*why = "bad footer rule";
	if (!parse_footer((const char *)p, (size_t)(nl - p), &tz->footer))
		return ORK_EINVAL;
	if (tz->footer.std_off < -TZ_OFFSET_MAX ||
	    tz->footer.std_off > TZ_OFFSET_MAX ||
	    tz->footer.dst_off < -TZ_OFFSET_MAX ||
	    tz->footer.dst_off > TZ_OFFSET_MAX)
		return ORK_EINVAL;
	return 0;
}

/* read_file reads a regular file of at most TZ_FILE_MAX bytes. */
static int
read_file(const char *path, unsigned char **out, size_t *outlen)
{
	struct stat st;
	unsigned char *buf;
	size_t cap, len = 0;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return (errno == ENOENT || errno == ENOTDIR) ? ORK_ENOTFOUND :
		    ORK_EIO;
	if (fstat(fd, &st) != 0) {
		rc = ORK_EIO;
		goto out_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = ORK_ENOTFOUND;
		goto out_fd;
	}
	if (st.st_size > TZ_FILE_MAX) {
		rc = ORK_ETOOBIG;
		goto out_fd;
	}
	/* One byte more than the size, to notice a file that grew. */
	cap = (size_t)st.st_size + 1;
	if ((buf = malloc(cap)) == NULL) {
		rc = ORK_ENOMEM;
		goto out_fd;
	}
	for (;;) {
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ORK_EIO;
			goto out_buf;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			rc = ORK_ETOOBIG;
			goto out_buf;
		}
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
	rc = 0;
out_buf:
	free(buf);
out_fd:
	close(fd);
	return rc;
}

static int
check_name(const char *name, char *err, size_t errlen)
{
	char q[TZ_QUOTE_MAX + 1];
	size_t i, len;
	char c;

	if (name == NULL || name[0] == '\0') {
		seterr(err, errlen, "empty time zone name");
		return ORK_EINVAL;
	}
	quote(q, sizeof(q), name);
	len = strnlen(name, TZ_NAME_MAX + 1);
	if (len > TZ_NAME_MAX) {
		seterr(err, errlen, "time zone name \"%s...\" longer than %d "
		    "bytes", q, TZ_NAME_MAX);
		return ORK_ETOOBIG;
	}
	if (name[0] == '/') {
		seterr(err, errlen, "invalid time zone name \"%s\": must not "
		    "start with \"/\"", q);
		return ORK_EINVAL;
	}
	if (strstr(name, "..") != NULL) {
		seterr(err, errlen, "invalid time zone name \"%s\": must not "
		    "contain \"..\"", q);
		return ORK_EINVAL;
	}
	for (i = 0; i < len; i++) {
		c = name[i];
		if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '+' &&
		    c != '-' && c != '/') {
			seterr(err, errlen, "invalid time zone name \"%s\": "
			    "character 0x%02x not allowed", q,
			    (unsigned)(unsigned char)c);
			return ORK_EINVAL;
		}
	}
	return 0;
}

int
tz_load(const char *root, const char *name, struct tz **out, char *err,
    size_t errlen)
{
	char path[4096];
	unsigned char *buf = NULL;
	struct tz *tz;
	const char *why;
	size_t len = 0;
	int n, rc;

	if ((rc = check_name(name, err, errlen)) != 0)
		return rc;
	if ((tz = calloc(1, sizeof(*tz))) == NULL) {
		seterr(err, errlen, "out of memory");
		return ORK_ENOMEM;
	}
	snprintf(tz->name, sizeof(tz->name), "%s", name);
	tz->ntypes = 1;
	if (strcmp(name, "UTC") == 0)
		goto done;

	n = snprintf(path, sizeof(path), "%s/%s",
	    root != NULL ? root : TZ_ZONEINFO_DEFAULT, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		seterr(err, errlen, "time zone \"%s\": path too long", name);
		rc = ORK_ETOOBIG;
		goto out_tz;
	}
	rc = read_file(path, &buf, &len);
	switch (rc) {
	case 0:
		break;
	case ORK_ENOTFOUND:
		seterr(err, errlen, "unknown time zone \"%s\"", name);
		goto out_tz;
	case ORK_ETOOBIG:
		seterr(err, errlen, "time zone \"%s\": file larger than %d "
		    "bytes", name, TZ_FILE_MAX);
		goto out_tz;
	case ORK_ENOMEM:
		seterr(err, errlen, "out of memory");
		goto out_tz;
	default:
		seterr(err, errlen, "time zone \"%s\": could not read zone "
		    "file", name);
		goto out_tz;
	}
	if ((rc = parse_tzif(tz, buf, len, &why)) != 0) {
		seterr(err, errlen, "time zone \"%s\": %s", name, why);
		goto out_buf;
	}
done:
	*out = tz;
	tz = NULL;
out_buf:
	free(buf);
out_tz:
	tz_free(tz);
	return rc;
}

void
tz_free(struct tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->trans_type);
	free(tz->trans);
	free(tz);
}
