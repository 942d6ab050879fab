/*
 * control.c - the orchestrator's REQ/REP control address.
 *
 * Each server thread owns one database connection (its thread_arg),
 * opened lazily and reopened after a failure.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "orchestrator.h"

struct control_thread {
	PGconn	*conn;
};

int
control_thread_init(void *arg, void **thread_arg)
{
	struct control_thread *t;

	(void)arg;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return ORK_ENOMEM;
	*thread_arg = t;
	return 0;
}

void
control_thread_fini(void *arg, void *thread_arg)
{
	struct control_thread *t = thread_arg;

	(void)arg;
	if (t == NULL)
		return;
	if (t->conn != NULL)
		PQfinish(t->conn);
	free(t);
}

static void
handle_ping(struct orch *o, const struct msg *req, struct msg_reply *rep)
{
	Ork__PingReply r = ORK__PING_REPLY__INIT;

	(void)req;
	r.daemon = (char *)(uintptr_t)"ork-orchestrator";
	r.version = (char *)(uintptr_t)ORK_VERSION;
	r.leader = atomic_load(&o->leader) != 0;
	r.database_ok = atomic_load(&o->db_ok) != 0;
	(void)msg_reply_set(rep, ORK__MSG_TYPE__MSG_PING_REPLY, &r.base);
}

void
control_handle(void *arg, void *thread_arg, const struct msg *req,
    struct msg_reply *rep)
{
	struct orch *o = arg;

	(void)thread_arg;
	switch (req->type) {
	case ORK__MSG_TYPE__MSG_PING:
		handle_ping(o, req, rep);
		return;
	default:
		msg_reply_error(rep, ORK__ERROR__CODE__BAD_TYPE, NULL,
		    "%s is not a request this orchestrator serves",
		    msg_type_name(req->type));
		return;
	}
}
