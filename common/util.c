/*
 * util.c - small helpers shared by every module.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <uuid/uuid.h>

#include "err.h"
#include "util.h"

int64_t
util_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
util_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
util_rand_bytes(void *buf, size_t len)
{
	unsigned char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ORK_EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A per-thread xorshift generator, seeded from the kernel. */
static _Thread_local uint64_t rand_state;

unsigned
util_rand_below(unsigned n)
{
	uint64_t x;

	if (n == 0)
		return 0;
	if (rand_state == 0) {
		if (util_rand_bytes(&rand_state, sizeof(rand_state)) != 0 ||
		    rand_state == 0)
			rand_state = (uint64_t)util_now_us() | 1;
	}
	x = rand_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rand_state = x;
	return (unsigned)(x % n);
}

int
util_sleep_ms_interruptible(unsigned ms, atomic_int *stop)
{
	const unsigned	slice = 50;
	struct timespec	ts;

	while (ms > 0) {
		unsigned now = ms < slice ? ms : slice;

		if (stop != NULL && *stop)
			return ORK_ECANCELED;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)now * 1000000L;
		nanosleep(&ts, NULL);
		ms -= now;
	}
	return stop != NULL && *stop ? ORK_ECANCELED : 0;
}

int
util_uuid_valid(const char *s)
{
	for (int i = 0; i < UTIL_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return s[UTIL_UUID_LEN] == '\0';
}

void
util_uuid_new(char buf[UTIL_UUID_LEN + 1])
{
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, buf);
}
