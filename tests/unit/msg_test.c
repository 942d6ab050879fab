/*
 * msg_test.c - envelopes in memory: every type round-trips; garbage,
 * unknown versions and types, and oversized frames are rejected with the
 * right Error code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "msg.h"
#include "msg_sample.h"

static void
test_every_type_round_trips(void **state)
{
	(void)state;
	for (size_t i = 0; i < SAMPLE_NTYPES; i++) {
		Ork__MsgType		 t = sample_types[i];
		ProtobufCMessage	*body = sample_new(msg_descriptor(t));
		nng_msg			*frame;
		struct msg		 m;
		Ork__Error__Code	 code;
		char			 err[256];
		const char		*topic = msg_topic(t);
		size_t			 off = topic != NULL ? MSG_TOPIC_LEN : 0;

		assert_int_equal(msg_encode(t, body, 42 + i, "trace-1", topic,
		    &frame), 0);
		if (topic != NULL)
			assert_memory_equal(nng_msg_body(frame), topic,
			    MSG_TOPIC_LEN);
		assert_int_equal(msg_decode((char *)nng_msg_body(frame) + off,
		    nng_msg_len(frame) - off, &m, &code, err, sizeof(err)), 0);
		assert_int_equal(m.type, t);
		assert_int_equal(m.version, MSG_PROTOCOL_VERSION);
		assert_int_equal(m.request_id, 42 + i);
		assert_string_equal(m.trace_id, "trace-1");
		assert_true(m.sent_at_us > 0);
		assert_true(sample_equal(body, m.body));
		msg_release(&m);
		msg_release(&m);	/* twice is harmless */
		nng_msg_free(frame);
		sample_free(body);
	}
}

static void
test_encode_rejects_mismatched_body(void **state)
{
	Ork__Ping	 p = ORK__PING__INIT;
	nng_msg		*frame = NULL;

	(void)state;
	assert_int_equal(msg_encode(ORK__MSG_TYPE__MSG_CANCEL_RUN, &p.base, 1,
	    NULL, NULL, &frame), ORK_EINVAL);
	assert_null(frame);
	assert_int_equal(msg_encode((Ork__MsgType)999, &p.base, 1, NULL, NULL,
	    &frame), ORK_EINVAL);
}

static void
test_garbage_is_bad_frame(void **state)
{
	static const unsigned char garbage[] = { 0xff, 0xff, 0xff, 0xff, 0xff,
	    0x0f, 0x12, 0x99 };
	struct msg		 m;
	Ork__Error__Code	 code;
	char			 err[256];

	(void)state;
	assert_int_equal(msg_decode(garbage, sizeof(garbage), &m, &code, err,
	    sizeof(err)), ORK_EPROTO);
	assert_int_equal(code, ORK__ERROR__CODE__BAD_FRAME);
	assert_non_null(strstr(err, "not an envelope"));
	assert_null(m.body);
}

/* pack_envelope builds an envelope by hand. */
static size_t
pack_envelope(uint32_t version, int type, const uint8_t *body, size_t blen,
    uint8_t *buf)
{
	Ork__Envelope env = ORK__ENVELOPE__INIT;

	env.version = version;
	env.type = (Ork__MsgType)type;
	env.request_id = 7;
	env.body.data = (uint8_t *)(uintptr_t)body;
	env.body.len = blen;
	return ork__envelope__pack(&env, buf);
}

static void
test_unknown_version(void **state)
{
	uint8_t			 buf[256];
	size_t			 n;
	struct msg		 m;
	Ork__Error__Code	 code;
	char			 err[256];

	(void)state;
	n = pack_envelope(99, ORK__MSG_TYPE__MSG_PING, NULL, 0, buf);
	assert_int_equal(msg_decode(buf, n, &m, &code, err, sizeof(err)),
	    ORK_EVERSION);
	assert_int_equal(code, ORK__ERROR__CODE__BAD_VERSION);
	assert_int_equal(m.request_id, 7);	/* so the reply can echo it */
	assert_non_null(strstr(err, "version 99"));
}

static void
test_unknown_type_and_bad_body(void **state)
{
	static const uint8_t bad_body[] = { 0x0a, 0x40, 'x' };	/* len 64, 1 byte */
	uint8_t			 buf[256];
	size_t			 n;
	struct msg		 m;
	Ork__Error__Code	 code;
	char			 err[256];

	(void)state;
	n = pack_envelope(MSG_PROTOCOL_VERSION, 777, NULL, 0, buf);
	assert_int_equal(msg_decode(buf, n, &m, &code, err, sizeof(err)),
	    ORK_EPROTO);
	assert_int_equal(code, ORK__ERROR__CODE__BAD_TYPE);

	n = pack_envelope(MSG_PROTOCOL_VERSION, ORK__MSG_TYPE__MSG_TRIGGER_RUN,
	    bad_body, sizeof(bad_body), buf);
	assert_int_equal(msg_decode(buf, n, &m, &code, err, sizeof(err)),
	    ORK_EPROTO);
	assert_int_equal(code, ORK__ERROR__CODE__BAD_FRAME);
	assert_non_null(strstr(err, "TriggerRun"));
}

static void
test_oversized_frame(void **state)
{
	uint8_t			*big = calloc(1, MSG_MAX_BYTES + 1);
	struct msg		 m;
	Ork__Error__Code	 code;
	char			 err[256];

	(void)state;
	assert_non_null(big);
	assert_int_equal(msg_decode(big, MSG_MAX_BYTES + 1, &m, &code, err,
	    sizeof(err)), ORK_ETOOBIG);
	assert_int_equal(code, ORK__ERROR__CODE__BAD_FRAME);
	free(big);
}

static void
test_empty_frame_is_empty_envelope(void **state)
{
	struct msg		 m;
	Ork__Error__Code	 code;
	char			 err[256];

	(void)state;
	/* Zero bytes decode as an envelope of version 0: refused. */
	assert_int_equal(msg_decode("", 0, &m, &code, err, sizeof(err)),
	    ORK_EVERSION);
}

static void
test_names_and_topics(void **state)
{
	(void)state;
	assert_string_equal(msg_type_name(ORK__MSG_TYPE__MSG_LEASE_TASKS),
	    "LeaseTasks");
	assert_string_equal(msg_type_name((Ork__MsgType)12345), "unknown");
	assert_null(msg_topic(ORK__MSG_TYPE__MSG_PING));
	assert_string_equal(msg_topic(ORK__MSG_TYPE__MSG_CANCEL_TASK), "cnl.");
	/* topics are distinct */
	assert_string_not_equal(msg_topic(ORK__MSG_TYPE__MSG_RUN_CHANGED),
	    msg_topic(ORK__MSG_TYPE__MSG_TASK_CHANGED));
}

/* With ORK_WRITE_CORPUS=DIR, write every sample frame as a fuzz seed. */
static void
write_corpus(const char *dir)
{
	for (size_t i = 0; i < SAMPLE_NTYPES; i++) {
		Ork__MsgType		 t = sample_types[i];
		ProtobufCMessage	*body = sample_new(msg_descriptor(t));
		nng_msg			*frame;
		char			 path[512];
		FILE			*f;

		if (msg_encode(t, body, i, "00f067aa0ba902b7", NULL,
		    &frame) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir,
			    msg_type_name(t));
			f = fopen(path, "wb");
			if (f != NULL) {
				fwrite(nng_msg_body(frame), 1,
				    nng_msg_len(frame), f);
				fclose(f);
			}
			nng_msg_free(frame);
		}
		sample_free(body);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type_round_trips),
		cmocka_unit_test(test_encode_rejects_mismatched_body),
		cmocka_unit_test(test_garbage_is_bad_frame),
		cmocka_unit_test(test_unknown_version),
		cmocka_unit_test(test_unknown_type_and_bad_body),
		cmocka_unit_test(test_oversized_frame),
		cmocka_unit_test(test_empty_frame_is_empty_envelope),
		cmocka_unit_test(test_names_and_topics),
	};

	if (getenv("ORK_WRITE_CORPUS") != NULL)
		write_corpus(getenv("ORK_WRITE_CORPUS"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
