/*
 * text.c - small encodings the api needs: base64url (cursors, tokens),
 * hex, RFC 3339 times, integers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "err.h"

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * text_b64url_encode writes in as unpadded base64url into out (outlen
 * must hold 4 * ceil(n / 3) + 1 bytes; shorter output is cut).
 */
void
text_b64url_encode(const unsigned char *in, size_t n, char *out,
    size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < outlen; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		size_t	 k = n - i >= 3 ? 4 : n - i + 1;

		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		for (size_t j = 0; j < k && o + 1 < outlen; j++)
			out[o++] = b64url[(v >> (18 - 6 * j)) & 63];
	}
	if (outlen > 0)
		out[o] = '\0';
}

static int
b64val(int c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64url, c)) == NULL)
		return -1;
	return (int)(p - b64url);
}

/*
 * text_b64url_decode decodes unpadded base64url into out; *n gets the
 * length.  Returns ORK_EINVAL for bad characters or length, ORK_ETOOBIG
 * when out is too small.
 */
int
text_b64url_decode(const char *in, unsigned char *out, size_t outlen,
    size_t *n)
{
	size_t len = strlen(in), o = 0;

	if (len % 4 == 1)
		return ORK_EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		unsigned v = 0;
		size_t	 k = len - i >= 4 ? 4 : len - i;

		for (size_t j = 0; j < 4; j++) {
			int d = j < k ? b64val(in[i + j]) : 0;

			if (d < 0)
				return ORK_EINVAL;
			v = v << 6 | (unsigned)d;
		}
		for (size_t j = 0; j + 1 < k; j++) {
			if (o >= outlen)
				return ORK_ETOOBIG;
			out[o++] = (unsigned char)(v >> (16 - 8 * j));
		}
	}
	*n = o;
	return 0;
}

/* text_hex writes n bytes as 2n lower-case hex digits and a NUL. */
void
text_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * text_rfc3339_valid says whether s is a date-time as RFC 3339 writes
 * it: 2024-05-01T09:00:00Z, with optional fraction and a Z or +hh:mm
 * offset (a space instead of the T and a lower-case t/z are accepted).
 */
int
text_rfc3339_valid(const char *s)
{
	size_t	n = strlen(s), i = 19;
	int	mon, day, hour, min, sec;

	if (n < 20 || n > 40)
		return 0;
	if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't' &&
	    s[10] != ' ') || !digits(s + 11, 2) || s[13] != ':' ||
	    !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
		return 0;
	mon = (s[5] - '0') * 10 + s[6] - '0';
	day = (s[8] - '0') * 10 + s[9] - '0';
	hour = (s[11] - '0') * 10 + s[12] - '0';
	min = (s[14] - '0') * 10 + s[15] - '0';
	sec = (s[17] - '0') * 10 + s[18] - '0';
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 ||
	    min > 59 || sec > 60)
		return 0;
	if (s[i] == '.') {
		size_t f = ++i;

		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == f || i - f > 9)
			return 0;
	}
	if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == '\0')
		return 1;
	if ((s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2) &&
	    s[i + 3] == ':' && digits(s + i + 4, 2) && s[i + 6] == '\0')
		return 1;
	return 0;
}

/*
 * text_parse_long parses a whole decimal integer in [min, max].
 * Returns 0, ORK_EINVAL (not a number) or ORK_ERANGE.
 */
int
text_parse_long(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	if (*s == '\0' || *s == ' ' || *s == '+')
		return ORK_EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0')
		return ORK_EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return ORK_ERANGE;
	*out = v;
	return 0;
}
