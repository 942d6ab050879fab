/*
 * sha256.h - SHA-256 (FIPS 180-4), for hashing API tokens before they
 * are stored or looked up.
 */
#ifndef ORK_SHA256_H
#define ORK_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct sha256 {
	uint32_t	state[8];
	uint64_t	bytes;		/* message length so far */
	unsigned char	block[64];
	size_t		used;		/* bytes waiting in block */
};

/* sha256_init starts a hash. */
void	sha256_init(struct sha256 *h);

/* sha256_update adds len bytes of message. */
void	sha256_update(struct sha256 *h, const void *data, size_t len);

/* sha256_final writes the digest and wipes the state. */
void	sha256_final(struct sha256 *h, unsigned char out[SHA256_LEN]);

/* sha256 hashes one buffer. */
void	sha256(const void *data, size_t len, unsigned char out[SHA256_LEN]);

/*
 * sha256_equal compares two digests in time that does not depend on
 * where they differ.  Returns 1 when equal.
 */
int	sha256_equal(const unsigned char a[SHA256_LEN],
	    const unsigned char b[SHA256_LEN]);

#endif /* ORK_SHA256_H */
