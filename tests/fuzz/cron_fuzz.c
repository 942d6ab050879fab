/*
 * cron_fuzz.c - libFuzzer target for the cron parser and next-fire
 * calculator.
 *
 * Every input is parsed; a rejected one must come with a message, an
 * accepted one must fire strictly later each time, in UTC and in
 * Europe/Berlin (read from ORK_ZONEINFO or the system tz database; UTC
 * twice if it cannot be loaded), and must never run out of firings
 * before the last years the calculator handles.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "err.h"
#include "tz.h"

#define FUZZ_CHAIN	4	/* firings followed from each start */
/* Starts later than this may rightly find nothing before year 10000. */
#define FUZZ_LATE	(TZ_TIME_MAX - (int64_t)(CRON_HORIZON_YEARS + 1) * \
			    366 * 86400)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct tz *
fuzz_zone(void)
{
	static struct tz *berlin;
	static int loaded;

	if (!loaded) {
		loaded = 1;
		if (tz_load(getenv("ORK_ZONEINFO"), "Europe/Berlin", &berlin,
		    NULL, 0) != 0)
			berlin = NULL;
	}
	return berlin;
}

static void
check_chain(const struct cron *c, const struct tz *tz, int64_t after)
{
	int64_t next;
	int i, rc;

	for (i = 0; i < FUZZ_CHAIN; i++) {
		rc = cron_next(c, tz, after, &next);
		if (rc == ORK_ENOTFOUND && after > FUZZ_LATE)
			return;
		if (rc != 0 || next <= after)
			abort();
		if (next > TZ_TIME_MAX)
			return;
		after = next;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t starts[] = {
		0,
		INT64_C(1774744200),		/* 2026-03-29T00:30:00Z */
		INT64_C(1792888200),		/* 2026-10-25T00:30:00Z */
		INT64_C(4107456000),		/* 2100-02-28T00:00:00Z */
		TZ_TIME_MIN,
		TZ_TIME_MAX - 86400,
	};
	const struct tz *zones[2];
	struct cron *c = NULL;
	char spec[CRON_SPEC_MAX * 2], err[256];
	uint64_t h = 1469598103934665603u;
	size_t i, n = size < sizeof(spec) - 1 ? size : sizeof(spec) - 1;
	int rc;

	memcpy(spec, data, n);
	spec[n] = '\0';
	err[0] = '\0';
	rc = cron_parse(spec, &c, err, sizeof(err));
	if (rc != 0) {
		if (c != NULL || err[0] == '\0' ||
		    err[strlen(err) - 1] == '.')
			abort();
		return 0;
	}
	zones[0] = NULL;
	zones[1] = fuzz_zone();
	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)spec[i]) * 1099511628211u;
	for (i = 0; i < 2; i++) {
		for (size_t j = 0; j < sizeof(starts) / sizeof(starts[0]); j++)
			check_chain(c, zones[i], starts[j]);
		/* One start between 1970 and 2242 picked by the input. */
		check_chain(c, zones[i], (int64_t)(h % (UINT64_C(1) << 33)));
	}
	cron_free(c);
	return 0;
}
