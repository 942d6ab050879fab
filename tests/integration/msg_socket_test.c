/*
 * msg_socket_test.c - every message over real nng sockets on loopback:
 * REQ/REP round trips of every type, PUB/SUB of every event, and a
 * garbage frame, an unknown version and an oversized frame answered with
 * an error (or dropped) while the server keeps serving.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/reqrep0/req.h>

#include "err.h"
#include "harness.h"
#include "msg.h"
#include "msg_sample.h"

/* echo answers every request with its own type and body. */
static void
echo(void *arg, void *targ, const struct msg *req, struct msg_reply *rep)
{
	(void)arg;
	(void)targ;
	if (req->type == ORK__MSG_TYPE__MSG_ERROR) {
		/* an Error as request is answered as a handler error */
		msg_reply_error(rep, ORK__ERROR__CODE__INVALID, "field.x",
		    "echoing an error");
		return;
	}
	(void)msg_reply_set(rep, req->type, req->body);
}

static struct msg_server *
start_echo(char *url, size_t len)
{
	struct msg_server	*srv;
	char			 err[256];

	snprintf(url, len, "tcp://127.0.0.1:0");
	assert_int_equal(msg_server_start(url, 3, echo, NULL, NULL, NULL, &srv,
	    err, sizeof(err)), 0);
	snprintf(url, len, "tcp://127.0.0.1:%d", msg_server_port(srv));
	return srv;
}

static void
test_req_rep_every_type(void **state)
{
	struct msg_server	*srv;
	nng_socket		 req;
	char			 url[128], err[256];

	(void)state;
	srv = start_echo(url, sizeof(url));
	assert_int_equal(msg_req_open(&req, url, 1000), 0);
	for (size_t i = 0; i < SAMPLE_NTYPES; i++) {
		Ork__MsgType		 t = sample_types[i];
		ProtobufCMessage	*body = sample_new(msg_descriptor(t));
		struct msg		 reply;
		int			 rc;

		rc = msg_call(req, t, body, "4bf92f3577b34da6a3ce929d0e0e4736",
		    5000, &reply, err, sizeof(err));
		if (t == ORK__MSG_TYPE__MSG_ERROR) {
			assert_int_equal(rc, ORK_EINVAL);
			assert_string_equal(err, "field.x: echoing an error");
		} else {
			if (rc != 0)
				fail_msg("%s: %s", msg_type_name(t), err);
			assert_int_equal(reply.type, t);
			assert_string_equal(reply.trace_id,
			    "4bf92f3577b34da6a3ce929d0e0e4736");
			assert_true(sample_equal(body, reply.body));
			msg_release(&reply);
		}
		sample_free(body);
	}
	nng_close(req);
	msg_server_stop(srv);
}

/* raw_call sends bytes on a plain REQ socket and decodes the answer. */
static void
raw_call(const char *url, const void *buf, size_t len, struct msg *m,
    uint64_t *request_id)
{
	nng_socket		 s;
	nng_msg			*out, *in;
	Ork__Error__Code	 code;
	char			 err[256];

	assert_int_equal(nng_req0_open(&s), 0);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 5000);
	assert_int_equal(nng_dial(s, url, NULL, 0), 0);
	assert_int_equal(nng_msg_alloc(&out, len), 0);
	memcpy(nng_msg_body(out), buf, len);
	assert_int_equal(nng_sendmsg(s, out, 0), 0);
	assert_int_equal(nng_recvmsg(s, &in, 0), 0);
	assert_int_equal(msg_decode(nng_msg_body(in), nng_msg_len(in), m,
	    &code, err, sizeof(err)), 0);
	*request_id = m->request_id;
	nng_msg_free(in);
	nng_close(s);
}

static void
assert_still_serving(nng_socket req)
{
	Ork__Ping	p = ORK__PING__INIT;
	struct msg	reply;
	char		err[256];

	p.from = (char *)(uintptr_t)"test";
	assert_int_equal(msg_call(req, ORK__MSG_TYPE__MSG_PING, &p.base, NULL,
	    5000, &reply, err, sizeof(err)), 0);
	assert_int_equal(reply.type, ORK__MSG_TYPE__MSG_PING);
	msg_release(&reply);
}

static void
test_bad_frames_get_errors(void **state)
{
	static const unsigned char garbage[] = { 0xde, 0xad, 0xbe, 0xef, 0xff,
	    0xff, 0xff };
	struct msg_server	*srv;
	nng_socket		 req;
	struct msg		 m;
	Ork__Envelope		 env = ORK__ENVELOPE__INIT;
	uint8_t			 buf[128];
	uint64_t		 id;
	char			 url[128];
	Ork__Error		*e;

	(void)state;
	srv = start_echo(url, sizeof(url));
	assert_int_equal(msg_req_open(&req, url, 1000), 0);

	raw_call(url, garbage, sizeof(garbage), &m, &id);
	assert_int_equal(m.type, ORK__MSG_TYPE__MSG_ERROR);
	e = (Ork__Error *)m.body;
	assert_int_equal(e->code, ORK__ERROR__CODE__BAD_FRAME);
	msg_release(&m);
	assert_still_serving(req);

	env.version = 42;
	env.type = ORK__MSG_TYPE__MSG_PING;
	env.request_id = 99;
	raw_call(url, buf, ork__envelope__pack(&env, buf), &m, &id);
	assert_int_equal(m.type, ORK__MSG_TYPE__MSG_ERROR);
	e = (Ork__Error *)m.body;
	assert_int_equal(e->code, ORK__ERROR__CODE__BAD_VERSION);
	assert_non_null(strstr(e->message, "version 42 is not supported"));
	assert_int_equal(id, 99);		/* the reply names the request */
	msg_release(&m);

	env.version = MSG_PROTOCOL_VERSION;
	env.type = (Ork__MsgType)4242;
	raw_call(url, buf, ork__envelope__pack(&env, buf), &m, &id);
	e = (Ork__Error *)m.body;
	assert_int_equal(e->code, ORK__ERROR__CODE__BAD_TYPE);
	msg_release(&m);
	assert_still_serving(req);
	nng_close(req);
	msg_server_stop(srv);
}

/*
 * A peer announcing a frame over MSG_MAX_BYTES is dropped and the server
 * keeps serving.  The peer is a plain TCP socket speaking the SP
 * handshake: closing an nng REQ socket whose oversized send the server
 * cut off could hang in nng itself.
 */
static void
test_oversized_frame_dropped(void **state)
{
	static const unsigned char hello[8] = { 0, 'S', 'P', 0, 0, 0x30,
	    0, 0 };		/* SP version 0, protocol REQ (0x30) */
	struct msg_server	*srv;
	struct sockaddr_in	 sa;
	struct timeval		 tv = { 5, 0 };
	unsigned char		 head[8], body[1024];
	uint64_t		 n = MSG_MAX_BYTES + 1024;
	nng_socket		 req;
	char			 url[128];
	ssize_t			 got;
	int			 fd;

	(void)state;
	srv = start_echo(url, sizeof(url));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)msg_server_port(srv));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	assert_int_equal(write(fd, hello, sizeof(hello)), sizeof(hello));
	assert_int_equal(read(fd, head, sizeof(head)), sizeof(head));
	assert_memory_equal(head, "\0SP\0\0\x31\0\0", 8);	/* REP */
	/* the frame's length, big-endian, then a little of it */
	for (int i = 7; i >= 0; i--, n >>= 8)
		head[i] = (unsigned char)(n & 0xff);
	memset(body, 0x41, sizeof(body));
	assert_int_equal(write(fd, head, sizeof(head)), sizeof(head));
	got = write(fd, body, sizeof(body));	/* may meet the close */
	assert_true(got == (ssize_t)sizeof(body) || got < 0);
	/* the server closes the connection instead of reading 4 MiB */
	got = read(fd, body, sizeof(body));
	assert_true(got == 0 || (got < 0 && errno == ECONNRESET));
	close(fd);
	assert_int_equal(msg_req_open(&req, url, 1000), 0);
	assert_still_serving(req);
	nng_close(req);
	msg_server_stop(srv);
}

static void
test_pub_sub_every_event(void **state)
{
	static const Ork__MsgType events[] = {
		ORK__MSG_TYPE__MSG_RUN_CHANGED,
		ORK__MSG_TYPE__MSG_TASK_CHANGED,
		ORK__MSG_TYPE__MSG_WORK_AVAILABLE,
		ORK__MSG_TYPE__MSG_CANCEL_TASK,
	};
	nng_socket	 pub, sub;
	char		 url[128], err[256];
	int		 port;
	struct msg	 m;
	int		 got = 0;

	(void)state;
	assert_int_equal(msg_pub_open(&pub, "tcp://127.0.0.1:0", &port, err,
	    sizeof(err)), 0);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	assert_int_equal(msg_sub_open(&sub, url, events, 4), 0);

	/* PUB drops until the subscription is through: publish until seen. */
	for (int i = 0; i < 200 && !got; i++) {
		Ork__WorkAvailable w = ORK__WORK_AVAILABLE__INIT;

		w.count = 1;
		msg_publish(pub, ORK__MSG_TYPE__MSG_WORK_AVAILABLE, &w.base,
		    NULL);
		if (msg_sub_recv(sub, 20, &m) == 0) {
			got = 1;
			msg_release(&m);
		}
	}
	assert_true(got);
	while (msg_sub_recv(sub, 50, &m) == 0)
		msg_release(&m);

	{
		/* a garbage frame under a valid topic is skipped */
		nng_msg *g;

		assert_int_equal(nng_msg_alloc(&g, 8), 0);
		memcpy(nng_msg_body(g), "run.\xff\xff\xff\xff", 8);
		assert_int_equal(nng_sendmsg(pub, g, 0), 0);
	}
	for (size_t i = 0; i < 4; i++) {
		ProtobufCMessage *body = sample_new(msg_descriptor(events[i]));

		assert_int_equal(msg_publish(pub, events[i], body, "tr"), 0);
		assert_int_equal(msg_sub_recv(sub, 5000, &m), 0);
		assert_int_equal(m.type, events[i]);
		assert_true(sample_equal(body, m.body));
		msg_release(&m);
		sample_free(body);
	}
	/* a request type is not an event */
	{
		Ork__Ping p = ORK__PING__INIT;

		assert_int_equal(msg_publish(pub, ORK__MSG_TYPE__MSG_PING,
		    &p.base, NULL), ORK_EINVAL);
	}
	assert_int_equal(msg_sub_recv(sub, 100, &m), ORK_ETIMEDOUT);
	nng_close(sub);
	nng_close(pub);
}

static void
test_subscription_filters(void **state)
{
	static const Ork__MsgType only_cancel[] = {
		ORK__MSG_TYPE__MSG_CANCEL_TASK };
	nng_socket	 pub, sub;
	char		 url[128], err[256];
	int		 port, got = 0;
	struct msg	 m;

	(void)state;
	assert_int_equal(msg_pub_open(&pub, "tcp://127.0.0.1:0", &port, err,
	    sizeof(err)), 0);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	assert_int_equal(msg_sub_open(&sub, url, only_cancel, 1), 0);
	for (int i = 0; i < 200 && !got; i++) {
		Ork__RunChanged	r = ORK__RUN_CHANGED__INIT;
		Ork__CancelTask	c = ORK__CANCEL_TASK__INIT;

		msg_publish(pub, ORK__MSG_TYPE__MSG_RUN_CHANGED, &r.base, NULL);
		msg_publish(pub, ORK__MSG_TYPE__MSG_CANCEL_TASK, &c.base, NULL);
		while (msg_sub_recv(sub, 20, &m) == 0) {
			assert_int_equal(m.type,
			    ORK__MSG_TYPE__MSG_CANCEL_TASK);
			got++;
			msg_release(&m);
		}
	}
	assert_true(got > 0);
	nng_close(sub);
	nng_close(pub);
}

static void
test_call_times_out_without_server(void **state)
{
	nng_socket	req;
	char		url[64], err[256];
	Ork__Ping	p = ORK__PING__INIT;
	struct msg	reply;

	(void)state;
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", h_free_port());
	assert_int_equal(msg_req_open(&req, url, 100), 0);
	assert_int_equal(msg_call(req, ORK__MSG_TYPE__MSG_PING, &p.base, NULL,
	    300, &reply, err, sizeof(err)), ORK_ETIMEDOUT);
	assert_non_null(strstr(err, "Ping"));
	nng_close(req);
}

/* deferred: answered later from another thread, in reverse order */
static struct msg_deferred	*held[4];
static atomic_int		 nslot;		/* slots taken */
static atomic_int		 nheld;		/* slots filled */

static void
defer_handler(void *arg, void *targ, const struct msg *req,
    struct msg_reply *rep)
{
	struct msg_deferred *d;

	(void)arg;
	(void)targ;
	(void)req;
	d = msg_reply_defer(rep);
	assert_non_null(d);
	held[atomic_fetch_add(&nslot, 1)] = d;
	atomic_fetch_add(&nheld, 1);	/* publishes the slot */
}

struct caller {
	const char	*url;
	int		 rc;
	char		 from[32];
};

static void *
call_one(void *p)
{
	struct caller	*c = p;
	nng_socket	 s;
	Ork__Ping	 ping = ORK__PING__INIT;
	struct msg	 reply;
	char		 err[128];

	if (msg_req_open(&s, c->url, 5000) != 0)
		return NULL;
	ping.from = c->from;
	c->rc = msg_call(s, ORK__MSG_TYPE__MSG_PING, &ping.base, NULL, 5000,
	    &reply, err, sizeof(err));
	if (c->rc == 0) {
		snprintf(c->from, sizeof(c->from), "%s",
		    ((Ork__PingReply *)reply.body)->daemon);
		msg_release(&reply);
	}
	nng_close(s);
	return NULL;
}

static void
test_deferred_answers(void **state)
{
	struct msg_server	*srv;
	struct caller		 c[3];
	pthread_t		 th[3];
	char			 url[64], err[256];

	(void)state;
	atomic_store(&nslot, 0);
	atomic_store(&nheld, 0);
	/* one server thread: it must go on receiving while answers wait */
	assert_int_equal(msg_server_start("tcp://127.0.0.1:0", 1,
	    defer_handler, NULL, NULL, NULL, &srv, err, sizeof(err)), 0);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", msg_server_port(srv));
	for (int i = 0; i < 3; i++) {
		c[i].url = url;
		c[i].rc = -1;
		snprintf(c[i].from, sizeof(c[i].from), "caller-%d", i);
		pthread_create(&th[i], NULL, call_one, &c[i]);
	}
	for (int i = 0; i < 100 && atomic_load(&nheld) < 3; i++)
		h_sleep_ms(20);
	assert_int_equal(atomic_load(&nheld), 3);
	for (int i = 2; i >= 0; i--) {
		Ork__PingReply r = ORK__PING_REPLY__INIT;

		r.daemon = (char *)(uintptr_t)"later";
		assert_int_equal(msg_deferred_reply(held[i],
		    ORK__MSG_TYPE__MSG_PING_REPLY, &r.base), 0);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(c[i].rc, 0);
		assert_string_equal(c[i].from, "later");
	}
	msg_server_stop(srv);
}

static void
test_bad_listen_address(void **state)
{
	struct msg_server	*srv;
	char			 err[256];

	(void)state;
	assert_int_equal(msg_server_start("bogus://x", 1, echo, NULL, NULL,
	    NULL, &srv, err, sizeof(err)), ORK_EINVAL);
	assert_non_null(strstr(err, "is not a socket address"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_rep_every_type),
		cmocka_unit_test(test_bad_frames_get_errors),
		cmocka_unit_test(test_oversized_frame_dropped),
		cmocka_unit_test(test_pub_sub_every_event),
		cmocka_unit_test(test_subscription_filters),
		cmocka_unit_test(test_call_times_out_without_server),
		cmocka_unit_test(test_deferred_answers),
		cmocka_unit_test(test_bad_listen_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
