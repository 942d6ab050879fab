/*
 * envelope_fuzz.c - every frame a socket receives goes through
 * msg_decode: it must reject garbage without crashing, and what it accepts
 * must encode again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg		 m;
	Ork__Error__Code	 code;
	char			 err[256];
	nng_msg			*out;

	if (msg_decode(data, size, &m, &code, err, sizeof(err)) != 0) {
		if (code == ORK__ERROR__CODE__UNSPECIFIED || err[0] == '\0')
			abort();	/* every rejection says why */
		return 0;
	}
	if (m.body == NULL || msg_descriptor(m.type) == NULL)
		abort();
	if (msg_encode(m.type, m.body, m.request_id, m.trace_id, NULL,
	    &out) == 0)
		nng_msg_free(out);
	msg_release(&m);
	return 0;
}
