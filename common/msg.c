/*
 * msg.c - typed protobuf messages over nng sockets.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "config.h"
#include "err.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "util.h"

struct msg_type_info {
	Ork__MsgType				 type;
	const char				*name;
	const ProtobufCMessageDescriptor	*desc;
	const char				*topic;	/* events only */
};

#define D(x) (&ork__##x##__descriptor)
static const struct msg_type_info type_table[] = {
	{ ORK__MSG_TYPE__MSG_ERROR, "Error", D(error), NULL },
	{ ORK__MSG_TYPE__MSG_TRIGGER_RUN, "TriggerRun", D(trigger_run), NULL },
	{ ORK__MSG_TYPE__MSG_TRIGGER_RUN_REPLY, "TriggerRunReply",
	    D(trigger_run_reply), NULL },
	{ ORK__MSG_TYPE__MSG_CANCEL_RUN, "CancelRun", D(cancel_run), NULL },
	{ ORK__MSG_TYPE__MSG_CANCEL_RUN_REPLY, "CancelRunReply",
	    D(cancel_run_reply), NULL },
	{ ORK__MSG_TYPE__MSG_RETRY_RUN, "RetryRun", D(retry_run), NULL },
	{ ORK__MSG_TYPE__MSG_RETRY_RUN_REPLY, "RetryRunReply",
	    D(retry_run_reply), NULL },
	{ ORK__MSG_TYPE__MSG_BACKFILL_RUNS, "BackfillRuns", D(backfill_runs),
	    NULL },
	{ ORK__MSG_TYPE__MSG_BACKFILL_RUNS_REPLY, "BackfillRunsReply",
	    D(backfill_runs_reply), NULL },
	{ ORK__MSG_TYPE__MSG_REGISTER_WORKER, "RegisterWorker",
	    D(register_worker), NULL },
	{ ORK__MSG_TYPE__MSG_REGISTER_WORKER_REPLY, "RegisterWorkerReply",
	    D(register_worker_reply), NULL },
	{ ORK__MSG_TYPE__MSG_LEASE_TASKS, "LeaseTasks", D(lease_tasks), NULL },
	{ ORK__MSG_TYPE__MSG_LEASE_TASKS_REPLY, "LeaseTasksReply",
	    D(lease_tasks_reply), NULL },
	{ ORK__MSG_TYPE__MSG_HEARTBEAT, "Heartbeat", D(heartbeat), NULL },
	{ ORK__MSG_TYPE__MSG_HEARTBEAT_REPLY, "HeartbeatReply",
	    D(heartbeat_reply), NULL },
	{ ORK__MSG_TYPE__MSG_REPORT_TASK, "ReportTask", D(report_task), NULL },
	{ ORK__MSG_TYPE__MSG_REPORT_TASK_REPLY, "ReportTaskReply",
	    D(report_task_reply), NULL },
	{ ORK__MSG_TYPE__MSG_TASK_LOGS, "TaskLogs", D(task_logs), NULL },
	{ ORK__MSG_TYPE__MSG_TASK_LOGS_REPLY, "TaskLogsReply",
	    D(task_logs_reply), NULL },
	{ ORK__MSG_TYPE__MSG_PING, "Ping", D(ping), NULL },
	{ ORK__MSG_TYPE__MSG_PING_REPLY, "PingReply", D(ping_reply), NULL },
	{ ORK__MSG_TYPE__MSG_RUN_CHANGED, "RunChanged", D(run_changed), "run." },
	{ ORK__MSG_TYPE__MSG_TASK_CHANGED, "TaskChanged", D(task_changed),
	    "tsk." },
	{ ORK__MSG_TYPE__MSG_WORK_AVAILABLE, "WorkAvailable",
	    D(work_available), "wrk." },
	{ ORK__MSG_TYPE__MSG_CANCEL_TASK, "CancelTask", D(cancel_task),
	    "cnl." },
	{ ORK__MSG_TYPE__MSG_CHANGES, "Changes", D(changes), "chg." },
};
#undef D

static const struct msg_type_info *
type_info(Ork__MsgType type)
{
	for (size_t i = 0; i < sizeof(type_table) / sizeof(type_table[0]);
	    i++)
		if (type_table[i].type == type)
			return &type_table[i];
	return NULL;
}

const ProtobufCMessageDescriptor *
msg_descriptor(Ork__MsgType type)
{
	const struct msg_type_info *t = type_info(type);

	return t != NULL ? t->desc : NULL;
}

const char *
msg_type_name(Ork__MsgType type)
{
	const struct msg_type_info *t = type_info(type);

	return t != NULL ? t->name : "unknown";
}

const char *
msg_topic(Ork__MsgType type)
{
	const struct msg_type_info *t = type_info(type);

	return t != NULL ? t->topic : NULL;
}

int
msg_nng_err(int rv)
{
	switch (rv) {
	case 0:			return 0;
	case NNG_ENOMEM:	return ORK_ENOMEM;
	case NNG_ETIMEDOUT:	return ORK_ETIMEDOUT;
	case NNG_ECLOSED:	return ORK_ECLOSED;
	case NNG_EINVAL:
	case NNG_EADDRINVAL:	return ORK_EINVAL;
	case NNG_EMSGSIZE:	return ORK_ETOOBIG;
	case NNG_ECANCELED:	return ORK_ECANCELED;
	case NNG_ECONNREFUSED:
	case NNG_ECONNRESET:
	case NNG_ECONNSHUT:
	case NNG_EADDRINUSE:
	case NNG_EUNREACHABLE:	return ORK_ECONN;
	case NNG_EPROTO:	return ORK_EPROTO;
	}
	return ORK_EIO;
}

int
msg_error_to_err(Ork__Error__Code code)
{
	switch (code) {
	case ORK__ERROR__CODE__BAD_FRAME:	return ORK_EPROTO;
	case ORK__ERROR__CODE__BAD_VERSION:	return ORK_EVERSION;
	case ORK__ERROR__CODE__BAD_TYPE:	return ORK_EPROTO;
	case ORK__ERROR__CODE__INVALID:		return ORK_EINVAL;
	case ORK__ERROR__CODE__NOT_FOUND:	return ORK_ENOTFOUND;
	case ORK__ERROR__CODE__CONFLICT:	return ORK_ESTATE;
	case ORK__ERROR__CODE__UNAVAILABLE:	return ORK_ECONN;
	default:				return ORK_EINTERNAL;
	}
}

int
msg_encode(Ork__MsgType type, const ProtobufCMessage *body,
    uint64_t request_id, const char *trace_id, const char *topic,
    nng_msg **out)
{
	Ork__Envelope	 env = ORK__ENVELOPE__INIT;
	uint8_t		*bodybuf = NULL;
	size_t		 bodylen, envlen, off;
	nng_msg		*m = NULL;
	int		 rc;

	*out = NULL;
	if (msg_descriptor(type) == NULL || body == NULL ||
	    body->descriptor != msg_descriptor(type))
		return ORK_EINVAL;
	bodylen = protobuf_c_message_get_packed_size(body);
	if (bodylen > MSG_MAX_BYTES)
		return ORK_ETOOBIG;
	bodybuf = malloc(bodylen > 0 ? bodylen : 1);
	if (bodybuf == NULL)
		return ORK_ENOMEM;
	protobuf_c_message_pack(body, bodybuf);

	env.version = MSG_PROTOCOL_VERSION;
	env.type = type;
	env.request_id = request_id;
	env.trace_id = (char *)(uintptr_t)(trace_id != NULL ? trace_id : "");
	env.body.data = bodybuf;
	env.body.len = bodylen;
	env.sent_at_us = util_now_us();
	envlen = ork__envelope__get_packed_size(&env);
	off = topic != NULL ? MSG_TOPIC_LEN : 0;
	if (envlen + off > MSG_MAX_BYTES) {
		rc = ORK_ETOOBIG;
		goto out;
	}
	rc = msg_nng_err(nng_msg_alloc(&m, envlen + off));
	if (rc != 0)
		goto out;
	if (topic != NULL)
		memcpy(nng_msg_body(m), topic, MSG_TOPIC_LEN);
	ork__envelope__pack(&env, (uint8_t *)nng_msg_body(m) + off);
	*out = m;
out:
	free(bodybuf);
	return rc;
}

int
msg_decode(const void *buf, size_t len, struct msg *m, Ork__Error__Code *code,
    char *err, size_t errlen)
{
	Ork__Envelope				*env;
	const ProtobufCMessageDescriptor	*desc;
	int					 rc = 0;

	memset(m, 0, sizeof(*m));
	*code = ORK__ERROR__CODE__UNSPECIFIED;
	if (len > MSG_MAX_BYTES) {
		*code = ORK__ERROR__CODE__BAD_FRAME;
		snprintf(err, errlen, "frame of %zu bytes exceeds the limit of "
		    "%d", len, MSG_MAX_BYTES);
		return ORK_ETOOBIG;
	}
	env = ork__envelope__unpack(NULL, len, buf);
	if (env == NULL) {
		*code = ORK__ERROR__CODE__BAD_FRAME;
		snprintf(err, errlen, "frame of %zu bytes is not an envelope",
		    len);
		return ORK_EPROTO;
	}
	m->request_id = env->request_id;
	m->version = env->version;
	m->type = env->type;
	m->sent_at_us = env->sent_at_us;
	snprintf(m->trace_id, sizeof(m->trace_id), "%s",
	    env->trace_id != NULL ? env->trace_id : "");
	if (env->version != MSG_PROTOCOL_VERSION) {
		*code = ORK__ERROR__CODE__BAD_VERSION;
		snprintf(err, errlen, "protocol version %u is not supported "
		    "(this build speaks %d)", env->version,
		    MSG_PROTOCOL_VERSION);
		rc = ORK_EVERSION;
		goto out;
	}
	desc = msg_descriptor(env->type);
	if (desc == NULL) {
		*code = ORK__ERROR__CODE__BAD_TYPE;
		snprintf(err, errlen, "unknown message type %d",
		    (int)env->type);
		rc = ORK_EPROTO;
		goto out;
	}
	m->body = protobuf_c_message_unpack(desc, NULL, env->body.len,
	    env->body.data);
	if (m->body == NULL) {
		*code = ORK__ERROR__CODE__BAD_FRAME;
		snprintf(err, errlen, "body of %s does not decode",
		    msg_type_name(env->type));
		rc = ORK_EPROTO;
		goto out;
	}
out:
	ork__envelope__free_unpacked(env, NULL);
	return rc;
}

void
msg_release(struct msg *m)
{
	if (m->body != NULL)
		protobuf_c_message_free_unpacked(m->body, NULL);
	m->body = NULL;
}

/* ---- REQ side ---------------------------------------------------- */

/* dial_all dials every address of a comma-separated list. */
static int
dial_all(nng_socket s, const char *urls)
{
	char		 one[512];
	const char	*p = urls, *comma;
	size_t		 n;
	int		 rv;

	do {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n == 0 || n >= sizeof(one))
			return ORK_EINVAL;
		memcpy(one, p, n);
		one[n] = '\0';
		rv = nng_dial(s, one, NULL, NNG_FLAG_NONBLOCK);
		if (rv != 0)
			return msg_nng_err(rv);
		p = comma != NULL ? comma + 1 : NULL;
	} while (p != NULL);
	return 0;
}

int
msg_req_open(nng_socket *s, const char *urls, int resend_ms)
{
	int rc;

	rc = msg_nng_err(nng_req0_open(s));
	if (rc != 0)
		return rc;
	nng_socket_set_size(*s, NNG_OPT_RECVMAXSZ, MSG_MAX_BYTES);
	nng_socket_set_ms(*s, NNG_OPT_REQ_RESENDTIME, resend_ms);
	nng_socket_set_ms(*s, NNG_OPT_RECONNMINT, 50);
	nng_socket_set_ms(*s, NNG_OPT_RECONNMAXT, 1000);
	rc = dial_all(*s, urls);
	if (rc != 0)
		nng_close(*s);
	return rc;
}

/*
 * next_request_id numbers requests from a random start, so that ids of
 * two processes (two api replicas, say) do not meet.
 */
static uint64_t
next_request_id(void)
{
	static _Atomic uint64_t	counter;
	uint64_t		start, zero = 0;

	if (atomic_load(&counter) == 0) {
		if (util_rand_bytes(&start, sizeof(start)) != 0 || start == 0)
			start = (uint64_t)util_now_us();
		start &= 0x7fffffffffffffffULL;	/* room to count up */
		(void)atomic_compare_exchange_strong(&counter, &zero, start);
	}
	return atomic_fetch_add(&counter, 1) + 1;
}

int
msg_call(nng_socket s, Ork__MsgType type, const ProtobufCMessage *body,
    const char *trace_id, int timeout_ms, struct msg *reply, char *err,
    size_t errlen)
{
	nng_ctx			 ctx;
	nng_aio			*aio = NULL;
	nng_msg			*req = NULL, *rep = NULL;
	Ork__Error__Code	 code;
	uint64_t		 id = next_request_id();
	double			 t0 = metrics_now();
	int			 rc;

	memset(reply, 0, sizeof(*reply));
	rc = msg_nng_err(nng_ctx_open(&ctx, s));
	if (rc != 0) {
		snprintf(err, errlen, "could not open a request context: %s",
		    err_str(rc));
		return rc;
	}
	rc = msg_nng_err(nng_aio_alloc(&aio, NULL, NULL));
	if (rc != 0)
		goto close_ctx;
	rc = msg_encode(type, body, id, trace_id, NULL, &req);
	if (rc != 0) {
		snprintf(err, errlen, "could not encode %s: %s",
		    msg_type_name(type), err_str(rc));
		goto free_aio;
	}
	nng_aio_set_timeout(aio, timeout_ms);
	nng_aio_set_msg(aio, req);
	nng_ctx_send(ctx, aio);
	nng_aio_wait(aio);
	rc = msg_nng_err(nng_aio_result(aio));
	if (rc != 0) {
		nng_msg_free(req);
		snprintf(err, errlen, "could not send %s: %s",
		    msg_type_name(type), err_str(rc));
		goto free_aio;
	}
	nng_ctx_recv(ctx, aio);
	nng_aio_wait(aio);
	rc = msg_nng_err(nng_aio_result(aio));
	if (rc != 0) {
		snprintf(err, errlen, "no reply to %s: %s",
		    msg_type_name(type), err_str(rc));
		goto free_aio;
	}
	rep = nng_aio_get_msg(aio);
	rc = msg_decode(nng_msg_body(rep), nng_msg_len(rep), reply, &code,
	    err, errlen);
	nng_msg_free(rep);
	if (rc != 0)
		goto free_aio;
	if (reply->type == ORK__MSG_TYPE__MSG_ERROR) {
		Ork__Error *e = (Ork__Error *)reply->body;

		if (e->field != NULL && *e->field != '\0')
			snprintf(err, errlen, "%s: %s", e->field, e->message);
		else
			snprintf(err, errlen, "%s", e->message);
		rc = msg_error_to_err(e->code);
		msg_release(reply);
	}
free_aio:
	nng_aio_free(aio);
close_ctx:
	nng_ctx_close(ctx);
	metrics_nng(METRICS_SIDE_CLIENT, type, rc != 0, metrics_now() - t0);
	return rc;
}

/* ---- REP side ---------------------------------------------------- */

struct msg_reply {
	Ork__MsgType		 req_type;
	uint64_t		 request_id;
	const char		*trace_id;
	nng_msg			*out;
	struct msg_server	*srv;
	nng_ctx			*ctx;		/* the serving thread's */
	int			 deferred;
	int			 failed;	/* the answer is an Error */
	double			 t0;		/* metrics_now at receipt */
};

struct msg_deferred {
	struct msg_server	*srv;
	nng_ctx			 ctx;
	nng_aio			*aio;		/* the answer's send */
	int			 failed;	/* the answer is an Error */
	uint64_t		 request_id;
	char			 trace_id[MSG_TRACE_MAX + 1];
	Ork__MsgType		 req_type;	/* for the metrics */
	double			 t0;
};

int
msg_reply_set(struct msg_reply *rep, Ork__MsgType type,
    const ProtobufCMessage *body)
{
	int rc;

	if (rep->out != NULL) {
		nng_msg_free(rep->out);
		rep->out = NULL;
	}
	rep->failed = type == ORK__MSG_TYPE__MSG_ERROR;
	rc = msg_encode(type, body, rep->request_id, rep->trace_id, NULL,
	    &rep->out);
	if (rc != 0)
		log_error("could not encode reply %s: %s", msg_type_name(type),
		    err_str(rc));
	return rc;
}

/* Longest Error message sent. */
#define ERROR_TEXT_MAX 1024

/* error_body fills e (whose message is text) for an Error answer. */
static void
error_body(Ork__Error *e, char text[ERROR_TEXT_MAX], Ork__Error__Code code,
    const char *field, const char *fmt, va_list ap)
{
	ork__error__init(e);
	vsnprintf(text, ERROR_TEXT_MAX, fmt, ap);
	e->code = code;
	e->message = text;
	e->field = (char *)(uintptr_t)(field != NULL ? field : "");
}

void
msg_reply_error(struct msg_reply *rep, Ork__Error__Code code,
    const char *field, const char *fmt, ...)
{
	Ork__Error	 e;
	char		 text[ERROR_TEXT_MAX];
	va_list		 ap;

	va_start(ap, fmt);
	error_body(&e, text, code, field, fmt, ap);
	va_end(ap);
	(void)msg_reply_set(rep, ORK__MSG_TYPE__MSG_ERROR, &e.base);
}

/* How long msg_server_stop waits for deferred answers still out. */
#define SERVER_DEFERRED_WAIT_MS 5000

/* How often a server thread waiting for a request checks for a stop. */
#define SERVER_POLL_MS 100

struct msg_server {
	nng_socket	 sock;
	atomic_int	 stopping;
	atomic_int	 deferred;	/* answers still out */
	nng_listener	 listener;
	int		 port;
	int		 nthreads;
	pthread_t	*threads;
	msg_handler_fn	 handler;
	void		*arg;
	int		(*thread_init)(void *, void **);
	void		(*thread_fini)(void *, void *);
};

struct msg_deferred *
msg_reply_defer(struct msg_reply *rep)
{
	struct msg_deferred	*d;
	nng_ctx			 fresh;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	if (nng_ctx_open(&fresh, rep->srv->sock) != 0) {
		free(d);
		return NULL;
	}
	d->srv = rep->srv;
	d->ctx = *rep->ctx;
	d->request_id = rep->request_id;
	d->req_type = rep->req_type;
	d->t0 = rep->t0;
	snprintf(d->trace_id, sizeof(d->trace_id), "%s",
	    rep->trace_id != NULL ? rep->trace_id : "");
	*rep->ctx = fresh;
	rep->deferred = 1;
	atomic_fetch_add(&rep->srv->deferred, 1);
	return d;
}

static void deferred_end(struct msg_deferred *, int);

/*
 * deferred_done ends a deferred answer when its send completes (on an nng
 * thread): the answer is counted and d is freed.
 */
static void
deferred_done(void *arg)
{
	struct msg_deferred	*d = arg;
	int			 rc = msg_nng_err(nng_aio_result(d->aio));

	if (rc != 0)
		nng_msg_free(nng_aio_get_msg(d->aio));
	deferred_end(d, rc);
}

/*
 * deferred_end counts a deferred answer in the metrics, closes its
 * context and frees d.
 */
static void
deferred_end(struct msg_deferred *d, int rc)
{
	struct msg_server	*srv = d->srv;

	metrics_nng(METRICS_SIDE_SERVER, d->req_type, rc != 0 || d->failed,
	    metrics_now() - d->t0);
	if (d->aio != NULL)
		nng_aio_reap(d->aio);
	nng_ctx_close(d->ctx);
	free(d);
	atomic_fetch_sub(&srv->deferred, 1);
}

/*
 * deferred_send sends out (or nothing) on d's context without waiting:
 * the thread answering many requests at once (a batch of triggers)
 * never waits for a send, and the send's completion frees d.
 */
static int
deferred_send(struct msg_deferred *d, nng_msg *out)
{
	if (out == NULL) {
		deferred_end(d, ORK_ENOMEM);
		return ORK_ENOMEM;
	}
	if (nng_aio_alloc(&d->aio, deferred_done, d) != 0) {
		d->aio = NULL;
		nng_msg_free(out);
		deferred_end(d, ORK_ENOMEM);
		return ORK_ENOMEM;
	}
	nng_aio_set_msg(d->aio, out);
	nng_ctx_send(d->ctx, d->aio);
	return 0;
}

int
msg_deferred_reply(struct msg_deferred *d, Ork__MsgType type,
    const ProtobufCMessage *body)
{
	nng_msg	*out = NULL;
	int	 rc;

	rc = msg_encode(type, body, d->request_id, d->trace_id, NULL, &out);
	if (rc != 0)
		log_error("could not encode reply %s: %s", msg_type_name(type),
		    err_str(rc));
	d->failed = type == ORK__MSG_TYPE__MSG_ERROR;
	return deferred_send(d, out);
}

void
msg_deferred_error(struct msg_deferred *d, Ork__Error__Code code,
    const char *field, const char *fmt, ...)
{
	Ork__Error	 e;
	char		 text[ERROR_TEXT_MAX];
	va_list		 ap;

	va_start(ap, fmt);
	error_body(&e, text, code, field, fmt, ap);
	va_end(ap);
	(void)msg_deferred_reply(d, ORK__MSG_TYPE__MSG_ERROR, &e.base);
}

/* serve_one decodes a request, runs the handler and packs the answer. */
static void
serve_one(struct msg_server *srv, void *targ, nng_msg *in,
    struct msg_reply *rep)
{
	struct msg		 req;
	Ork__Error__Code	 code;
	char			 why[512];
	int			 rc;

	rep->t0 = metrics_now();
	rc = msg_decode(nng_msg_body(in), nng_msg_len(in), &req, &code, why,
	    sizeof(why));
	rep->request_id = req.request_id;
	rep->trace_id = req.trace_id;
	if (rc != 0) {
		log_warn("rejected a request: %s", why);
		msg_reply_error(rep, code, NULL, "%s", why);
		metrics_nng(METRICS_SIDE_SERVER, 0, 1, metrics_now() - rep->t0);
		return;
	}
	rep->req_type = req.type;
	srv->handler(srv->arg, targ, &req, rep);
	if (rep->out == NULL && !rep->deferred)
		msg_reply_error(rep, ORK__ERROR__CODE__INTERNAL, NULL,
		    "no reply to %s", msg_type_name(req.type));
	if (!rep->deferred)
		metrics_nng(METRICS_SIDE_SERVER, req.type, rep->failed,
		    metrics_now() - rep->t0);
	msg_release(&req);
}

static void *
server_thread(void *p)
{
	struct msg_server	*srv = p;
	void			*targ = NULL;
	nng_ctx			 ctx;
	nng_aio			*aio = NULL;

	if (srv->thread_init != NULL && srv->thread_init(srv->arg, &targ) != 0)
		return NULL;
	if (nng_ctx_open(&ctx, srv->sock) != 0)
		goto fini;
	if (nng_aio_alloc(&aio, NULL, NULL) != 0)
		goto close_ctx;
	/*
	 * The socket is closed only after every thread left this loop: a
	 * context must not be used once its socket is gone.
	 */
	while (!atomic_load(&srv->stopping)) {
		struct msg_reply	 rep;
		nng_msg			*in;
		int			 rv;

		nng_aio_set_timeout(aio, SERVER_POLL_MS);
		nng_ctx_recv(ctx, aio);
		nng_aio_wait(aio);
		rv = nng_aio_result(aio);
		if (rv == NNG_ECLOSED)
			break;
		if (rv != 0)
			continue;
		in = nng_aio_get_msg(aio);
		memset(&rep, 0, sizeof(rep));
		rep.srv = srv;
		rep.ctx = &ctx;
		serve_one(srv, targ, in, &rep);
		nng_msg_free(in);
		if (rep.out == NULL)
			continue;
		nng_aio_set_timeout(aio, NNG_DURATION_DEFAULT);
		nng_aio_set_msg(aio, rep.out);
		nng_ctx_send(ctx, aio);
		nng_aio_wait(aio);
		rv = nng_aio_result(aio);
		if (rv != 0) {
			nng_msg_free(rep.out);
			if (rv == NNG_ECLOSED)
				break;
		}
	}
	nng_aio_free(aio);
close_ctx:
	nng_ctx_close(ctx);
fini:
	if (srv->thread_fini != NULL)
		srv->thread_fini(srv->arg, targ);
	return NULL;
}

/* listen_on binds a listener and reports the TCP port it got. */
static int
listen_on(nng_socket s, const char *url, nng_listener *l, int *port,
    char *err, size_t errlen)
{
	int rv;

	if (config_check_nng_url(url, err, errlen) != 0)
		return ORK_EINVAL;
	rv = nng_listen(s, url, l, 0);
	if (rv != 0) {
		snprintf(err, errlen, "could not listen on %s: %s", url,
		    nng_strerror(rv));
		return msg_nng_err(rv) == ORK_EINVAL ? ORK_EINVAL : ORK_ECONN;
	}
	*port = 0;
	if (strncmp(url, "tcp://", 6) == 0)
		(void)nng_listener_get_int(*l, NNG_OPT_TCP_BOUND_PORT, port);
	return 0;
}

int
msg_server_start(const char *url, int nthreads, msg_handler_fn handler,
    void *arg, int (*thread_init)(void *, void **),
    void (*thread_fini)(void *, void *), struct msg_server **out, char *err,
    size_t errlen)
{
	struct msg_server	*srv;
	int			 rc, i;

	*out = NULL;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return ORK_ENOMEM;
	srv->threads = calloc((size_t)nthreads, sizeof(pthread_t));
	if (srv->threads == NULL) {
		rc = ORK_ENOMEM;
		goto free_srv;
	}
	srv->handler = handler;
	srv->arg = arg;
	srv->thread_init = thread_init;
	srv->thread_fini = thread_fini;
	rc = msg_nng_err(nng_rep0_open(&srv->sock));
	if (rc != 0) {
		snprintf(err, errlen, "could not open a reply socket: %s",
		    err_str(rc));
		goto free_threads;
	}
	nng_socket_set_size(srv->sock, NNG_OPT_RECVMAXSZ, MSG_MAX_BYTES);
	rc = listen_on(srv->sock, url, &srv->listener, &srv->port, err, errlen);
	if (rc != 0)
		goto close_sock;
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&srv->threads[i], NULL, server_thread,
		    srv) != 0)
			break;
	}
	srv->nthreads = i;
	if (i == 0) {
		snprintf(err, errlen, "could not start server threads");
		rc = ORK_ENOMEM;
		goto close_sock;
	}
	*out = srv;
	return 0;
close_sock:
	nng_close(srv->sock);
free_threads:
	free(srv->threads);
free_srv:
	free(srv);
	return rc;
}

int
msg_server_port(const struct msg_server *srv)
{
	return srv->port;
}

void
msg_server_stop(struct msg_server *srv)
{
	if (srv == NULL)
		return;
	atomic_store(&srv->stopping, 1);
	for (int i = 0; i < srv->nthreads; i++)
		pthread_join(srv->threads[i], NULL);
	for (int waited = 0; atomic_load(&srv->deferred) > 0 &&
	    waited < SERVER_DEFERRED_WAIT_MS; waited += 10)
		util_sleep_ms_interruptible(10, NULL);
	nng_close(srv->sock);
	free(srv->threads);
	free(srv);
}

/* ---- PUB/SUB ----------------------------------------------------- */

int
msg_pub_open(nng_socket *s, const char *url, int *port, char *err,
    size_t errlen)
{
	nng_listener	l;
	int		rc;

	rc = msg_nng_err(nng_pub0_open(s));
	if (rc != 0) {
		snprintf(err, errlen, "could not open a publish socket: %s",
		    err_str(rc));
		return rc;
	}
	rc = listen_on(*s, url, &l, port, err, errlen);
	if (rc != 0)
		nng_close(*s);
	return rc;
}

int
msg_publish(nng_socket s, Ork__MsgType type, const ProtobufCMessage *body,
    const char *trace_id)
{
	const char	*topic = msg_topic(type);
	nng_msg		*m;
	int		 rc;

	if (topic == NULL)
		return ORK_EINVAL;
	rc = msg_encode(type, body, 0, trace_id, topic, &m);
	if (rc != 0)
		return rc;
	rc = msg_nng_err(nng_sendmsg(s, m, 0));
	if (rc != 0)
		nng_msg_free(m);
	return rc;
}

int
msg_sub_open(nng_socket *s, const char *urls, const Ork__MsgType *types,
    size_t n)
{
	int rc;

	rc = msg_nng_err(nng_sub0_open(s));
	if (rc != 0)
		return rc;
	nng_socket_set_size(*s, NNG_OPT_RECVMAXSZ, MSG_MAX_BYTES);
	nng_socket_set_ms(*s, NNG_OPT_RECONNMINT, 50);
	nng_socket_set_ms(*s, NNG_OPT_RECONNMAXT, 1000);
	for (size_t i = 0; i < n; i++) {
		const char *topic = msg_topic(types[i]);

		if (topic == NULL) {
			rc = ORK_EINVAL;
			goto fail;
		}
		rc = msg_nng_err(nng_socket_set(*s, NNG_OPT_SUB_SUBSCRIBE,
		    topic, MSG_TOPIC_LEN));
		if (rc != 0)
			goto fail;
	}
	rc = dial_all(*s, urls);
	if (rc != 0)
		goto fail;
	return 0;
fail:
	nng_close(*s);
	return rc;
}

int
msg_sub_recv(nng_socket s, int timeout_ms, struct msg *m)
{
	Ork__Error__Code	 code;
	char			 why[256];
	int64_t			 deadline = util_mono_ms() + timeout_ms;

	memset(m, 0, sizeof(*m));
	for (;;) {
		nng_msg	*in;
		int	 rv, left = (int)(deadline - util_mono_ms());

		if (left < 0)
			left = 0;
		nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, left);
		rv = nng_recvmsg(s, &in, 0);
		if (rv != 0)
			return msg_nng_err(rv);
		if (nng_msg_len(in) < MSG_TOPIC_LEN ||
		    msg_decode((const char *)nng_msg_body(in) + MSG_TOPIC_LEN,
		    nng_msg_len(in) - MSG_TOPIC_LEN, m, &code, why,
		    sizeof(why)) != 0) {
			log_warn("dropped an event frame of %zu bytes: %s",
			    nng_msg_len(in), nng_msg_len(in) < MSG_TOPIC_LEN ?
			    "shorter than its topic" : why);
			nng_msg_free(in);
			continue;
		}
		nng_msg_free(in);
		return 0;
	}
}
