/*
 * cron.c - cron schedule parser and next-fire calculator.
 *
 * A field schedule is one bit set per field.  cron_next finds the next
 * matching wall-clock time field by field (month, day, hour, minute,
 * second), never second by second, then maps it to an instant with the
 * zone's gap and repeat rules.  The search is bounded by
 * CRON_HORIZON_YEARS, and cron_parse rejects the schedules that could
 * never fire, so a valid schedule always fires within the horizon.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "err.h"
#include "tz.h"

#define SECS_PER_DAY	INT64_C(86400)
#define CRON_QUOTE_MAX	32	/* bytes of a token quoted in messages */
#define CRON_DIGITS_MAX	4	/* longer numbers are out of range anyway */
#define CRON_EVERY_DIGITS_MAX 9

enum cron_field {
	F_SECOND,
	F_MINUTE,
	F_HOUR,
	F_DOM,
	F_MONTH,
	F_DOW,
	F_COUNT
};

struct field_desc {
	const char	*name;		/* as in messages */
	int		min;		/* smallest value written */
	int		max;		/* largest value written */
	int		star_max;	/* top of '*' and 'n/step' */
	const char *const *names;	/* three-letter names, or NULL */
	int		names_base;	/* value of names[0] */
};

static const char *const month_names[] = {
	"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
	"JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL
};

static const char *const dow_names[] = {
	"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL
};

static const struct field_desc fields[F_COUNT] = {
	[F_SECOND] = { "second", 0, 59, 59, NULL, 0 },
	[F_MINUTE] = { "minute", 0, 59, 59, NULL, 0 },
	[F_HOUR] = { "hour", 0, 23, 23, NULL, 0 },
	[F_DOM] = { "day-of-month", 1, 31, 31, NULL, 0 },
	[F_MONTH] = { "month", 1, 12, 12, month_names, 1 },
	/* 0 and 7 are both Sunday; 7 is folded into 0 after parsing. */
	[F_DOW] = { "day-of-week", 0, 7, 6, dow_names, 0 },
};

static const struct {
	const char	*name;
	const char	*fields;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

struct cron {
	int64_t		every;		/* @every seconds; 0 for fields */
	uint64_t	bits[F_COUNT];	/* bit v set: value v matches */
	bool		dom_star;	/* day-of-month written as '*' */
	bool		dow_star;	/* day-of-week written as '*' */
};

/* A piece of the spec: not NUL-terminated. */
struct token {
	const char	*s;
	size_t		len;
};

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

/* quote copies at most CRON_QUOTE_MAX bytes of t, printable ASCII only. */
static const char *
quote(char *dst, size_t dstlen, struct token t)
{
	size_t i;

	for (i = 0; i + 1 < dstlen && i < CRON_QUOTE_MAX && i < t.len; i++)
		dst[i] = (t.s[i] >= 0x20 && t.s[i] < 0x7f) ? t.s[i] : '?';
	dst[i] = '\0';
	return dst;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

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

static char
to_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static bool
token_is(struct token t, const char *word)
{
	size_t i;

	for (i = 0; i < t.len; i++)
		if (word[i] == '\0' || to_upper(t.s[i]) != to_upper(word[i]))
			return false;
	return word[i] == '\0';
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/*
 * parse_value reads one number or name of field fd.  *sunday is set when
 * the token is the name SUN, which may close a range as 7.
 */
static int
parse_value(const struct field_desc *fd, struct token t, int *out,
    bool *sunday, char *err, size_t errlen)
{
	char q[CRON_QUOTE_MAX + 1];
	size_t i, digits = 0, letters = 0;
	int v = 0;

	*sunday = false;
	if (t.len == 0) {
		seterr(err, errlen, "%s: missing value", fd->name);
		return ORK_EINVAL;
	}
	for (i = 0; i < t.len; i++) {
		digits += is_digit(t.s[i]);
		letters += is_alpha(t.s[i]);
	}
	if (digits == t.len) {
		for (i = 0; i < t.len && i < CRON_DIGITS_MAX; i++)
			v = v * 10 + (t.s[i] - '0');
		if (t.len > CRON_DIGITS_MAX || v < fd->min || v > fd->max) {
			seterr(err, errlen, "%s: value %s out of range %d-%d",
			    fd->name, quote(q, sizeof(q), t), fd->min, fd->max);
			return ORK_ERANGE;
		}
		*out = v;
		return 0;
	}
	if (letters == t.len && fd->names != NULL) {
		for (i = 0; fd->names[i] != NULL; i++) {
			if (token_is(t, fd->names[i])) {
				*out = fd->names_base + (int)i;
				*sunday = fd->names == dow_names && i == 0;
				return 0;
			}
		}
		seterr(err, errlen, "%s: unknown name \"%s\"", fd->name,
		    quote(q, sizeof(q), t));
		return ORK_EINVAL;
	}
	seterr(err, errlen, "%s: invalid value \"%s\"", fd->name,
	    quote(q, sizeof(q), t));
	return ORK_EINVAL;
}

/* parse_item reads '*', 'a', 'a-b', each optionally followed by '/step'. */
static int
parse_item(const struct field_desc *fd, struct token item, uint64_t *bits,
    char *err, size_t errlen)
{
	char q[CRON_QUOTE_MAX + 1];
	struct token range = item, step_tok, lo_tok, hi_tok;
	const char *slash, *dash;
	int lo, hi, step = 1, width = fd->star_max - fd->min + 1, v;
	bool has_step = false, sunday;
	size_t i;
	int rc;

	if ((slash = memchr(item.s, '/', item.len)) != NULL) {
		has_step = true;
		range.len = (size_t)(slash - item.s);
		step_tok.s = slash + 1;
		step_tok.len = item.len - range.len - 1;
		for (i = 0; i < step_tok.len; i++)
			if (!is_digit(step_tok.s[i]))
				break;
		if (step_tok.len == 0 || i < step_tok.len) {
			seterr(err, errlen, "%s: invalid step \"%s\"", fd->name,
			    quote(q, sizeof(q), step_tok));
			return ORK_EINVAL;
		}
		step = 0;
		for (i = 0; i < step_tok.len && i < CRON_DIGITS_MAX; i++)
			step = step * 10 + (step_tok.s[i] - '0');
		if (step_tok.len > CRON_DIGITS_MAX || step < 1 ||
		    step > width) {
			seterr(err, errlen, "%s: step %s out of range 1-%d",
			    fd->name, quote(q, sizeof(q), step_tok), width);
			return ORK_ERANGE;
		}
	}

	if (range.len == 1 && range.s[0] == '*') {
		lo = fd->min;
		hi = fd->star_max;
	} else if ((dash = memchr(range.s, '-', range.len)) != NULL) {
		lo_tok.s = range.s;
		lo_tok.len = (size_t)(dash - range.s);
		hi_tok.s = dash + 1;
		hi_tok.len = range.len - lo_tok.len - 1;
		if ((rc = parse_value(fd, lo_tok, &lo, &sunday, err,
		    errlen)) != 0)
			return rc;
		if ((rc = parse_value(fd, hi_tok, &hi, &sunday, err,
		    errlen)) != 0)
			return rc;
		if (sunday && lo > 0)
			hi = 7;
		if (lo > hi) {
			seterr(err, errlen, "%s: range %s has its start after "
			    "its end", fd->name, quote(q, sizeof(q), range));
			return ORK_ERANGE;
		}
	} else {
		if ((rc = parse_value(fd, range, &lo, &sunday, err,
		    errlen)) != 0)
			return rc;
		/* 'a/step' means a to the top of the field. */
		hi = (has_step && lo < fd->star_max) ? fd->star_max : lo;
	}
	for (v = lo; v <= hi; v += step)
		*bits |= UINT64_C(1) << v;
	return 0;
}

/* parse_field reads a comma-separated list of items. */
static int
parse_field(enum cron_field f, struct token field, struct cron *c,
    char *err, size_t errlen)
{
	const struct field_desc *fd = &fields[f];
	struct token item;
	const char *p = field.s, *end = field.s + field.len, *comma;
	int rc;

	for (;;) {
		comma = memchr(p, ',', (size_t)(end - p));
		item.s = p;
		item.len = (size_t)((comma != NULL ? comma : end) - p);
		if (item.len == 0) {
			seterr(err, errlen, "%s: empty list item", fd->name);
			return ORK_EINVAL;
		}
		if ((rc = parse_item(fd, item, &c->bits[f], err, errlen)) != 0)
			return rc;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (f == F_DOW && (c->bits[f] & (UINT64_C(1) << 7)) != 0)
		c->bits[f] = (c->bits[f] & ~(UINT64_C(1) << 7)) | 1;
	if (f == F_DOM)
		c->dom_star = field.len == 1 && field.s[0] == '*';
	if (f == F_DOW)
		c->dow_star = field.len == 1 && field.s[0] == '*';
	return 0;
}

/*
 * check_fires rejects a day-of-month that no chosen month has.  Only the
 * day-of-month alone can make a schedule empty: a restricted day-of-week
 * matches a day every week.
 */
static int
check_fires(const struct cron *c, char *err, size_t errlen)
{
	uint64_t days;
	int m;

	if (c->dom_star || !c->dow_star)
		return 0;
	for (m = 1; m <= 12; m++) {
		if ((c->bits[F_MONTH] & (UINT64_C(1) << m)) == 0)
			continue;
		/* Days 1 to the month's length in a leap year. */
		days = ((UINT64_C(1) << (tz_days_in_month(2000, m) + 1)) - 1) &
		    ~UINT64_C(1);
		if ((c->bits[F_DOM] & days) != 0)
			return 0;
	}
	seterr(err, errlen, "day-of-month: never matches in the given months");
	return ORK_ERANGE;
}

static int
parse_fields(const char *spec, struct cron *c, char *err, size_t errlen)
{
	struct token tok[6];
	const char *p = spec;
	size_t n = 0, first;
	int rc;

	while (*p != '\0') {
		while (is_space(*p))
			p++;
		if (*p == '\0')
			break;
		if (n < 6) {
			tok[n].s = p;
			while (*p != '\0' && !is_space(*p))
				p++;
			tok[n].len = (size_t)(p - tok[n].s);
		} else {
			while (*p != '\0' && !is_space(*p))
				p++;
		}
		n++;
	}
	if (n != 5 && n != 6) {
		seterr(err, errlen, "expected 5 or 6 fields, got %zu", n);
		return ORK_EINVAL;
	}
	if (n == 5)
		c->bits[F_SECOND] = 1;
	first = n == 5 ? F_MINUTE : F_SECOND;
	for (size_t i = 0; i < n; i++) {
		rc = parse_field((enum cron_field)(first + i), tok[i], c, err,
		    errlen);
		if (rc != 0)
			return rc;
	}
	return check_fires(c, err, errlen);
}

/* parse_every reads an interval such as 90s, 15m or 1h30m. */
static int
parse_every(const char *p, struct cron *c, char *err, size_t errlen)
{
	static const char units[] = "hms";
	static const int64_t unit_secs[] = { 3600, 60, 1 };
	char q[CRON_QUOTE_MAX + 1];
	struct token t;
	int64_t total = 0, v;
	size_t i = 0, digits;
	int last = -1, u;

	while (is_space(*p))
		p++;
	t.s = p;
	while (*p != '\0' && !is_space(*p))
		p++;
	t.len = (size_t)(p - t.s);
	while (is_space(*p))
		p++;
	if (t.len == 0) {
		seterr(err, errlen, "@every: missing interval");
		return ORK_EINVAL;
	}
	if (*p != '\0') {
		seterr(err, errlen, "@every: unexpected text after interval");
		return ORK_EINVAL;
	}
	while (i < t.len) {
		v = 0;
		for (digits = 0; i < t.len && is_digit(t.s[i]); i++, digits++)
			if (digits < CRON_EVERY_DIGITS_MAX)
				v = v * 10 + (t.s[i] - '0');
		if (digits == 0 || i == t.len)
			goto bad;
		for (u = 0; u < 3; u++)
			if (to_upper(t.s[i]) == to_upper(units[u]))
				break;
		if (u == 3 || u <= last)
			goto bad;
		last = u;
		i++;
		if (digits > CRON_EVERY_DIGITS_MAX)
			total = CRON_EVERY_MAX + 1;
		else
			total += v * unit_secs[u];
	}
	if (total < CRON_EVERY_MIN || total > CRON_EVERY_MAX) {
		seterr(err, errlen, "@every: interval \"%s\" out of range "
		    "%ds-%dh", quote(q, sizeof(q), t), CRON_EVERY_MIN,
		    CRON_EVERY_MAX / 3600);
		return ORK_ERANGE;
	}
	c->every = total;
	return 0;
bad:
	seterr(err, errlen, "@every: invalid interval \"%s\": expected "
	    "numbers with units h, m, s in that order, e.g. 1h30m",
	    quote(q, sizeof(q), t));
	return ORK_EINVAL;
}

static int
parse_macro(const char *p, struct cron *c, char *err, size_t errlen)
{
	char q[CRON_QUOTE_MAX + 1];
	struct token word = { p, 0 };
	const char *rest;
	size_t i;

	while (p[word.len] != '\0' && !is_space(p[word.len]))
		word.len++;
	rest = p + word.len;
	if (token_is(word, "@every"))
		return parse_every(rest, c, err, errlen);
	for (i = 0; i < sizeof(macros) / sizeof(macros[0]); i++) {
		if (!token_is(word, macros[i].name))
			continue;
		while (is_space(*rest))
			rest++;
		if (*rest != '\0') {
			seterr(err, errlen, "%s: unexpected text after macro",
			    macros[i].name);
			return ORK_EINVAL;
		}
		return parse_fields(macros[i].fields, c, err, errlen);
	}
	seterr(err, errlen, "unknown macro \"%s\"", quote(q, sizeof(q), word));
	return ORK_EINVAL;
}

int
cron_parse(const char *spec, struct cron **out, char *err, size_t errlen)
{
	struct cron c, *copy;
	const char *p;
	int rc;

	memset(&c, 0, sizeof(c));
	if (spec == NULL)
		spec = "";
	if (strnlen(spec, CRON_SPEC_MAX + 1) > CRON_SPEC_MAX) {
		seterr(err, errlen, "schedule longer than %d bytes",
		    CRON_SPEC_MAX);
		return ORK_ETOOBIG;
	}
	for (p = spec; is_space(*p); p++)
		;
	if (*p == '\0') {
		seterr(err, errlen, "empty schedule");
		return ORK_EINVAL;
	}
	if (*p == '@')
		rc = parse_macro(p, &c, err, errlen);
	else
		rc = parse_fields(p, &c, err, errlen);
	if (rc != 0)
		return rc;
	if ((copy = malloc(sizeof(*copy))) == NULL) {
		seterr(err, errlen, "out of memory");
		return ORK_ENOMEM;
	}
	*copy = c;
	*out = copy;
	return 0;
}

void
cron_free(struct cron *c)
{
	free(c);
}

static bool
has(const struct cron *c, enum cron_field f, int v)
{
	return (c->bits[f] & (UINT64_C(1) << v)) != 0;
}

/* next_value returns the first value >= from in field f, or -1. */
static int
next_value(const struct cron *c, enum cron_field f, int from)
{
	int v;

	for (v = from; v <= fields[f].star_max; v++)
		if (has(c, f, v))
			return v;
	return -1;
}

/*
 * day_matches applies Vixie cron's rule: when both day fields are
 * restricted a day matches if either does, otherwise both must.
 */
static bool
day_matches(const struct cron *c, int64_t y, int m, int d)
{
	int64_t days = tz_days_from_civil(y, m, d);
	int wday = (int)(days + 4 - floor_div(days + 4, 7) * 7);
	bool dom = has(c, F_DOM, d), dow = has(c, F_DOW, wday);

	if (!c->dom_star && !c->dow_star)
		return dom || dow;
	return dom && dow;
}

/*
 * next_local finds the first wall-clock time at or after start (counted
 * like Unix seconds) that the fields match, jumping a field at a time.
 * Every pass of the loop moves forward, and the year is bounded.
 */
static int
next_local(const struct cron *c, int64_t start, int64_t *out)
{
	int64_t days = floor_div(start, SECS_PER_DAY), secs, y, ylimit;
	int mo, d, h, mi, s, v;

	secs = start - days * SECS_PER_DAY;
	tz_civil_from_days(days, &y, &mo, &d);
	h = (int)(secs / 3600);
	mi = (int)(secs / 60 % 60);
	s = (int)(secs % 60);
	ylimit = y + CRON_HORIZON_YEARS;
	if (ylimit > 9999)
		ylimit = 9999;

	for (;;) {
		if (y > ylimit)
			return ORK_ENOTFOUND;
		if (!has(c, F_MONTH, mo)) {
			if ((v = next_value(c, F_MONTH, mo + 1)) < 0) {
				y++;
				v = next_value(c, F_MONTH, 1);
			}
			mo = v;
			d = 1;
			h = mi = s = 0;
			continue;
		}
		if (d > tz_days_in_month(y, mo)) {
			if (++mo > 12) {
				mo = 1;
				y++;
			}
			d = 1;
			h = mi = s = 0;
			continue;
		}
		if (!day_matches(c, y, mo, d) ||
		    (v = next_value(c, F_HOUR, h)) < 0) {
			d++;
			h = mi = s = 0;
			continue;
		}
		if (v != h) {
			h = v;
			mi = s = 0;
		}
		if ((v = next_value(c, F_MINUTE, mi)) < 0) {
			mi = s = 0;
			if (++h > 23) {
				h = 0;
				d++;
			}
			continue;
		}
		if (v != mi) {
			mi = v;
			s = 0;
		}
		if ((v = next_value(c, F_SECOND, s)) < 0) {
			s = 0;
			if (++mi > 59) {
				mi = 0;
				if (++h > 23) {
					h = 0;
					d++;
				}
			}
			continue;
		}
		s = v;
		break;
	}
	*out = tz_days_from_civil(y, mo, d) * SECS_PER_DAY + h * 3600 +
	    mi * 60 + s;
	return 0;
}

int
cron_next(const struct cron *c, const struct tz *tz, int64_t after,
    int64_t *next)
{
	int64_t local, fire, t;
	int rc;

	if (after < TZ_TIME_MIN || after > TZ_TIME_MAX)
		return ORK_ERANGE;
	if (c->every > 0) {
		/* Aligned to the epoch: the next multiple of the interval. */
		t = (floor_div(after, c->every) + 1) * c->every;
		if (t > TZ_TIME_MAX)
			return ORK_ENOTFOUND;
		*next = t;
		return 0;
	}
	/*
	 * Every wall-clock time up to the latest one shown so far has had
	 * its firing (or was skipped as a second showing), so search after
	 * it; then take the first instant showing that time or later.
	 */
	if ((rc = tz_local_latest(tz, after, &local)) != 0)
		return rc;
	/* West of UTC, year 1 begins in local year 0: skip that bit. */
	if (local < TZ_TIME_MIN)
		local = TZ_TIME_MIN - 1;
	if ((rc = next_local(c, local + 1, &fire)) != 0)
		return rc;
	if ((rc = tz_local_to_utc(tz, fire, &t)) != 0)
		return rc;
	if (t > TZ_TIME_MAX)
		return ORK_ENOTFOUND;
	if (t <= after)
		return ORK_EINTERNAL;
	*next = t;
	return 0;
}

/*
 * next_or_never is cron_next with "never fires again" as INT64_MAX rather
 * than an error.
 */
static int
next_or_never(const struct cron *c, const struct tz *tz, int64_t after,
    int64_t *next)
{
	int rc = cron_next(c, tz, after, next);

	if (rc == ORK_ENOTFOUND) {
		*next = INT64_MAX;
		return 0;
	}
	return rc;
}

/* list_from lists fire times from t up to now, at most max. */
static int
list_from(const struct cron *c, const struct tz *tz, int64_t t, int64_t now,
    int64_t *slots, size_t max, size_t *n, int64_t *next)
{
	int rc;

	for (long steps = 0; t <= now && *n < max; steps++) {
		if (steps >= CRON_DUE_STEPS_MAX)
			return ORK_ERANGE;
		slots[(*n)++] = t;
		if ((rc = next_or_never(c, tz, t, &t)) != 0)
			return rc;
	}
	*next = t;
	return 0;
}

int
cron_due(const struct cron *c, const struct tz *tz, int64_t due, int64_t now,
    int catchup, int64_t grace, int64_t *slots, size_t max, size_t *n,
    int64_t *next)
{
	/* Windows probed for a late fire time when a misfire is long. */
	static const int64_t windows[] = { 3600, 86400, 31 * 86400,
	    366 * 86400 };
	int64_t	 last, t;
	long	 steps = 0;
	int	 rc;

	*n = 0;
	*next = due;
	if (due > now || max == 0)
		return 0;
	if (catchup || due >= now - grace)
		return list_from(c, tz, due, now, slots, max, n, next);
	/* late by less than grace: fired, not misfires */
	if ((rc = next_or_never(c, tz, now - grace - 1, &t)) != 0)
		return rc;
	if (t <= now)
		return list_from(c, tz, t, now, slots, max, n, next);
	/*
	 * Only the latest fire time counts: start from a fire time near now
	 * rather than stepping through a long downtime one time at a time.
	 */
	last = due;
	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		if (now - due <= windows[i])
			break;
		if ((rc = next_or_never(c, tz, now - windows[i], &t)) != 0)
			return rc;
		if (t <= now) {
			last = t;
			break;
		}
	}
	for (;;) {
		if (steps++ >= CRON_DUE_STEPS_MAX)
			return ORK_ERANGE;
		if ((rc = next_or_never(c, tz, last, &t)) != 0)
			return rc;
		if (t > now)
			break;
		last = t;
	}
	slots[(*n)++] = last;
	*next = t;
	return 0;
}
