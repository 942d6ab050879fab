/*
 * util.h - small helpers shared by every module: time, randomness,
 * interruptible sleeps, identifiers.
 */
#ifndef ORK_UTIL_H
#define ORK_UTIL_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* UUID_STR_LEN is the length of a textual UUID without its NUL. */
#define UTIL_UUID_LEN 36

/* util_now_us returns the wall clock in Unix microseconds. */
int64_t util_now_us(void);

/* util_mono_ms returns a monotonic clock in milliseconds. */
int64_t util_mono_ms(void);

/* util_rand_below returns a uniform random number in [0, n); 0 if n == 0. */
unsigned util_rand_below(unsigned n);

/* util_rand_bytes fills buf from the kernel's CSPRNG.  Returns 0 or ORK_EIO. */
int util_rand_bytes(void *buf, size_t len);

/*
 * util_sleep_ms_interruptible sleeps ms milliseconds in short slices,
 * returning ORK_ECANCELED as soon as *stop is non-zero (stop may be NULL).
 */
int util_sleep_ms_interruptible(unsigned ms, atomic_int *stop);

/* util_uuid_valid says whether s is a canonical textual UUID. */
int util_uuid_valid(const char *s);

/* util_uuid_new writes a random (version 4) UUID into buf[37]. */
void util_uuid_new(char buf[UTIL_UUID_LEN + 1]);

#endif /* ORK_UTIL_H */
