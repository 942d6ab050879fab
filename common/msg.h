/*
 * msg.h - typed protobuf messages over nng sockets.
 *
 * Every frame is an ork.Envelope (proto/ork.proto) whose body is the
 * message named by its type.  This module packs and unpacks envelopes,
 * makes deadline-bound requests on REQ sockets, serves REP sockets from a
 * pool of threads, and publishes/receives events on PUB/SUB sockets with
 * a four-byte topic in front of the envelope.  A frame that fails to
 * decode, is too large, or carries an unknown version or type is answered
 * with an Error reply on REP sockets and dropped (and logged) elsewhere;
 * it never crashes the receiver.
 */
#ifndef ORK_MSG_H
#define ORK_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

#include "ork.pb-c.h"

/* The protocol version this build speaks. */
#define MSG_PROTOCOL_VERSION 1
/* No frame is larger (enforced by nng on receive and by msg_decode). */
#define MSG_MAX_BYTES (4 * 1024 * 1024)
/* Longest trace id kept (W3C trace ids are 32 hex digits). */
#define MSG_TRACE_MAX 64
/* Topic prefix length of PUB frames. */
#define MSG_TOPIC_LEN 4

/* A decoded message.  body is owned; msg_release frees it. */
struct msg {
	Ork__MsgType		 type;
	uint32_t		 version;
	uint64_t		 request_id;
	int64_t			 sent_at_us;
	char			 trace_id[MSG_TRACE_MAX + 1];
	ProtobufCMessage	*body;
};

/*
 * msg_descriptor returns the body descriptor of a message type, NULL for
 * an unknown type.
 */
const ProtobufCMessageDescriptor *msg_descriptor(Ork__MsgType type);

/* msg_type_name returns a short name for logs ("TriggerRun"). */
const char *msg_type_name(Ork__MsgType type);

/* msg_topic returns the 4-byte PUB topic of an event type, NULL if none. */
const char *msg_topic(Ork__MsgType type);

/*
 * msg_encode packs body (whose descriptor must match type) into a new
 * nng message, prefixed with topic when topic is not NULL.  On success
 * *out is owned by the caller (or by nng once sent).
 */
int msg_encode(Ork__MsgType type, const ProtobufCMessage *body,
    uint64_t request_id, const char *trace_id, const char *topic,
    nng_msg **out);

/*
 * msg_decode unpacks one frame (after any topic).  On failure *code says
 * which Error code a reply should carry and err says why; m is left
 * empty.  version and type are checked; on ORK_EVERSION/ORK_EPROTO the
 * request id is still filled in when the envelope itself decoded.
 */
int msg_decode(const void *buf, size_t len, struct msg *m,
    Ork__Error__Code *code, char *err, size_t errlen);

/* msg_release frees a decoded body; m may be zeroed or already released. */
void msg_release(struct msg *m);

/*
 * msg_error_to_err maps an Error reply's code to a project error.
 */
int msg_error_to_err(Ork__Error__Code code);

/* ---- REQ side ---------------------------------------------------- */

/*
 * msg_req_open opens a REQ socket dialing each address of a
 * comma-separated list (non-blocking: dials retry in the background),
 * with receive limit MSG_MAX_BYTES and the given resend time.
 */
int msg_req_open(nng_socket *s, const char *urls, int resend_ms);

/*
 * msg_call sends one request on its own context and waits for the reply
 * up to timeout_ms.  On success reply holds the decoded answer, which is
 * never an Error: an Error reply becomes the return code (see
 * msg_error_to_err) with its message in err.  Returns ORK_ETIMEDOUT when
 * no answer came in time.
 */
int msg_call(nng_socket s, Ork__MsgType type, const ProtobufCMessage *body,
    const char *trace_id, int timeout_ms, struct msg *reply, char *err,
    size_t errlen);

/* ---- REP side ---------------------------------------------------- */

struct msg_reply;

/*
 * A handler answers one request: it calls msg_reply_set or
 * msg_reply_error exactly once (a handler that calls neither gets an
 * INTERNAL error reply).  It runs on one of the server's threads; state
 * kept per thread is reached through msg_server_thread_arg.
 */
typedef void (*msg_handler_fn)(void *arg, void *thread_arg,
    const struct msg *req, struct msg_reply *rep);

/* msg_reply_set packs body as the reply.  body stays the caller's. */
int msg_reply_set(struct msg_reply *rep, Ork__MsgType type,
    const ProtobufCMessage *body);

/* msg_reply_error sets an Error reply; field may be NULL. */
void msg_reply_error(struct msg_reply *rep, Ork__Error__Code code,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * msg_reply_defer lets a handler answer later, from any thread: it takes
 * the request's context into the returned handle and gives the server
 * thread a fresh one, so the thread serves other requests meanwhile.  The
 * handler then sets no reply.  Returns NULL when no context could be
 * opened; the handler must answer now.  Every handle must be answered once
 * with msg_deferred_reply or msg_deferred_error, which free it.
 */
struct msg_deferred;
struct msg_deferred *msg_reply_defer(struct msg_reply *rep);

/*
 * msg_deferred_reply starts sending body as the answer and returns without
 * waiting for the send; d is freed when it completes.  Returns an error
 * only when the answer could not be made (d is freed then too).
 */
int msg_deferred_reply(struct msg_deferred *d, Ork__MsgType type,
    const ProtobufCMessage *body);

/* msg_deferred_error sends an Error as the answer and frees d. */
void msg_deferred_error(struct msg_deferred *d, Ork__Error__Code code,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

struct msg_server;

/*
 * msg_server_start listens with a REP socket on url and serves it with
 * nthreads threads; thread_init (may be NULL) runs first on each thread
 * to create its thread_arg (e.g. a database connection), thread_fini
 * releases it.  Returns ORK_EINVAL for a bad URL, ORK_ECONN when the
 * address cannot be bound.
 */
int msg_server_start(const char *url, int nthreads, msg_handler_fn handler,
    void *arg, int (*thread_init)(void *arg, void **thread_arg),
    void (*thread_fini)(void *arg, void *thread_arg),
    struct msg_server **out, char *err, size_t errlen);

/* msg_server_port returns the bound TCP port (for tcp://host:0). */
int msg_server_port(const struct msg_server *srv);

/*
 * msg_server_stop joins the threads, waits a little for deferred answers
 * still out, closes the socket and frees srv.
 */
void msg_server_stop(struct msg_server *srv);

/* ---- PUB/SUB ----------------------------------------------------- */

/* msg_pub_open listens with a PUB socket on url; *port gets the port. */
int msg_pub_open(nng_socket *s, const char *url, int *port, char *err,
    size_t errlen);

/* msg_publish sends one event; best effort (PUB drops when slow). */
int msg_publish(nng_socket s, Ork__MsgType type, const ProtobufCMessage *body,
    const char *trace_id);

/*
 * msg_sub_open dials each address of a comma-separated list with a SUB
 * socket subscribed to the given event types (count n).
 */
int msg_sub_open(nng_socket *s, const char *urls, const Ork__MsgType *types,
    size_t n);

/*
 * msg_sub_recv waits up to timeout_ms for one event.  Frames that fail to
 * decode are logged and skipped.  Returns 0, ORK_ETIMEDOUT or ORK_ECLOSED.
 */
int msg_sub_recv(nng_socket s, int timeout_ms, struct msg *m);

/* msg_nng_err maps an nng error to a project error. */
int msg_nng_err(int nng_rv);

#endif /* ORK_MSG_H */
