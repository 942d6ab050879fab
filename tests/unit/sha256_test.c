/*
 * sha256_test.c - SHA-256 against the FIPS 180-4 / NIST example
 * vectors, in one piece and fed in odd-sized parts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sha256.h"

static void
hex(const unsigned char *d, char out[2 * SHA256_LEN + 1])
{
	for (int i = 0; i < SHA256_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void
check(const char *msg, size_t len, const char *want)
{
	unsigned char	d[SHA256_LEN];
	char		got[2 * SHA256_LEN + 1];

	sha256(msg, len, d);
	hex(d, got);
	assert_string_equal(got, want);
	/* the same, fed one to 67 bytes at a time */
	for (size_t step = 1; step < 68; step += 11) {
		struct sha256 h;

		sha256_init(&h);
		for (size_t off = 0; off < len; off += step)
			sha256_update(&h, msg + off, len - off < step ?
			    len - off : step);
		sha256_final(&h, d);
		hex(d, got);
		assert_string_equal(got, want);
	}
}

static void
test_vectors(void **state)
{
	(void)state;
	check("", 0, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	check("abc", 3, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1");
	check("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
	    "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112,
	    "cf5b16a778af8380036ce59e7b049237"
	    "0b249b11e8f07a51afac45037afee9d1");
}

static void
test_million_a(void **state)
{
	char *a = malloc(1000000);

	(void)state;
	assert_non_null(a);
	memset(a, 'a', 1000000);
	check(a, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0");
	free(a);
}

/* Lengths around the 55/56/64-byte padding edges. */
static void
test_padding_edges(void **state)
{
	unsigned char	d1[SHA256_LEN], d2[SHA256_LEN];
	char		buf[130];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	/* one call and byte-by-byte agree at every length up to 129 */
	for (size_t n = 0; n < sizeof(buf); n++) {
		struct sha256 h;

		sha256(buf, n, d1);
		sha256_init(&h);
		for (size_t i = 0; i < n; i++)
			sha256_update(&h, buf + i, 1);
		sha256_final(&h, d2);
		assert_memory_equal(d1, d2, SHA256_LEN);
	}
}

static void
test_equal(void **state)
{
	unsigned char a[SHA256_LEN], b[SHA256_LEN];

	(void)state;
	sha256("abc", 3, a);
	sha256("abc", 3, b);
	assert_true(sha256_equal(a, b));
	b[31] ^= 1;
	assert_false(sha256_equal(a, b));
	b[31] ^= 1;
	b[0] ^= 0x80;
	assert_false(sha256_equal(a, b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_padding_edges),
		cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
