/*
 * sql.c - database access of the request handlers: connections from
 * the pool, prepared statements, results mapped to project errors.
 *
 * The hot reads run as prepared statements.  Which statements a pooled
 * connection has prepared is remembered here, keyed by the connection
 * and its server process id (a connection the pool replaced looks new).
 * Should that record be wrong either way, the server says so (statement
 * missing, or already there) and the statement is prepared again or
 * taken as prepared: prepared statements run outside transactions only,
 * so a failed attempt aborts nothing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "db.h"
#include "err.h"
#include "log.h"

/* Connections and statements per connection remembered. */
#define SQL_CONNS_MAX	512
#define SQL_STMTS_MAX	96

struct prepared {
	const PGconn		*conn;
	int			 pid;
	int			 n;
	const struct sql_stmt	*stmts[SQL_STMTS_MAX];
};

static pthread_mutex_t	 prepared_lock = PTHREAD_MUTEX_INITIALIZER;
static struct prepared	 prepared[SQL_CONNS_MAX];
static unsigned		 prepared_next;

/* find_prepared returns the record of c, making one if needed. */
static struct prepared *
find_prepared(const PGconn *c)
{
	struct prepared	*p = NULL;
	int		 pid = PQbackendPID(c);

	pthread_mutex_lock(&prepared_lock);
	for (int i = 0; i < SQL_CONNS_MAX; i++)
		if (prepared[i].conn == c) {
			p = &prepared[i];
			if (p->pid != pid) {
				p->pid = pid;
				p->n = 0;
			}
			goto out;
		}
	for (int i = 0; i < SQL_CONNS_MAX; i++)
		if (prepared[i].conn == NULL) {
			p = &prepared[i];
			break;
		}
	if (p == NULL)
		p = &prepared[prepared_next++ % SQL_CONNS_MAX];
	p->conn = c;
	p->pid = pid;
	p->n = 0;
out:
	pthread_mutex_unlock(&prepared_lock);
	return p;
}

/* sql_forget drops what is remembered of a connection about to close. */
void
sql_forget(PGconn *c)
{
	pthread_mutex_lock(&prepared_lock);
	for (int i = 0; i < SQL_CONNS_MAX; i++)
		if (prepared[i].conn == c) {
			prepared[i].conn = NULL;
			prepared[i].n = 0;
		}
	pthread_mutex_unlock(&prepared_lock);
}

/*
 * sql_conn checks out a connection for a request.  Answers 503 itself
 * and returns that status when none can be had; 0 otherwise.
 */
int
sql_conn(struct req *r, PGconn **out)
{
	char	err[256];
	int	rc;

	rc = dbpool_get(r->a->pool, API_DB_WAIT_MS, out, err, sizeof(err));
	if (rc == ORK_ETIMEDOUT)
		return http_error_h(r, 503, "Retry-After: 1\r\n", "unavailable",
		    NULL, "every database connection is busy; try again");
	if (rc != 0)
		return http_error_h(r, 503, "Retry-After: 5\r\n", "unavailable",
		    NULL, "the database is unreachable");
	return 0;
}

/* sql_release returns a connection; a broken one is forgotten first. */
void
sql_release(struct req *r, PGconn *c)
{
	if (c == NULL)
		return;
	if (PQstatus(c) != CONNECTION_OK ||
	    PQtransactionStatus(c) != PQTRANS_IDLE)
		sql_forget(c);
	dbpool_put(r->a->pool, c);
}

static int
result_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

static int
sqlstate_is(const PGresult *res, const char *state)
{
	const char *s = res != NULL ? PQresultErrorField(res,
	    PG_DIAG_SQLSTATE) : NULL;

	return s != NULL && strcmp(s, state) == 0;
}

/*
 * take maps a result: on success returns it (caller clears it), on
 * failure clears it, sets *err and msg, returns NULL.
 */
static PGresult *
take(PGconn *c, PGresult *res, int *err, char *msg, size_t msglen)
{
	if (res != NULL && result_ok(res)) {
		*err = 0;
		return res;
	}
	*err = db_result_error(c, res, msg, msglen);
	if (*err == 0)
		*err = ORK_EDB;
	PQclear(res);
	return NULL;
}

static int
prepare(PGconn *c, const struct sql_stmt *s)
{
	PGresult	*res;
	int		 ok;

	res = PQprepare(c, s->name, s->text, s->nparams, NULL);
	ok = result_ok(res) || sqlstate_is(res, "42P05");
	if (!ok)
		log_error("could not prepare statement %s: %s", s->name,
		    PQresultErrorMessage(res));
	PQclear(res);
	return ok ? 0 : -1;
}

/*
 * sql_run runs a prepared statement (preparing it on this connection
 * first if needed) with text parameters (NULL values are SQL NULL).
 * Returns the result, which the caller clears, or NULL with *err a
 * project error (ORK_EEXIST for a unique violation, ORK_ECONN when the
 * connection broke, ...) and the server's message in msg.
 */
PGresult *
sql_run(PGconn *c, const struct sql_stmt *s, const char *const *values,
    int *err, char *msg, size_t msglen)
{
	struct prepared	*p = find_prepared(c);
	PGresult	*res;
	int		 known = 0;

	for (int i = 0; i < p->n; i++)
		if (p->stmts[i] == s) {
			known = 1;
			break;
		}
	if (!known) {
		if (prepare(c, s) != 0)
			goto fallback;
		if (p->n < SQL_STMTS_MAX)
			p->stmts[p->n++] = s;
	}
	res = PQexecPrepared(c, s->name, s->nparams, values, NULL, NULL, 0);
	if (sqlstate_is(res, "26000") && PQtransactionStatus(c) ==
	    PQTRANS_IDLE) {
		/* not prepared after all: the record was stale */
		PQclear(res);
		if (prepare(c, s) != 0)
			goto fallback;
		res = PQexecPrepared(c, s->name, s->nparams, values, NULL,
		    NULL, 0);
	}
	return take(c, res, err, msg, msglen);
fallback:
	return sql_exec(c, s->text, s->nparams, values, err, msg, msglen);
}

/* sql_exec runs a statement with text parameters, unprepared. */
PGresult *
sql_exec(PGconn *c, const char *sql, int n, const char *const *values,
    int *err, char *msg, size_t msglen)
{
	PGresult *res;

	res = PQexecParams(c, sql, n, NULL, values, NULL, NULL, 0);
	return take(c, res, err, msg, msglen);
}

/* sql_begin starts a transaction; 0 or a project error. */
int
sql_begin(PGconn *c)
{
	return db_exec(c, "BEGIN", NULL, 0);
}

/* sql_commit commits; 0 or a project error with the reason in msg. */
int
sql_commit(PGconn *c, char *msg, size_t msglen)
{
	return db_exec(c, "COMMIT", msg, msglen);
}

/* sql_rollback rolls back whatever is open; errors are ignored. */
void
sql_rollback(PGconn *c)
{
	if (PQtransactionStatus(c) != PQTRANS_IDLE)
		(void)db_exec(c, "ROLLBACK", NULL, 0);
}
