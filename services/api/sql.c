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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "tz.h"

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
 * The gate: connections are handed out first come, first served.  The
 * pool itself wakes any waiter and lets a newcomer take a connection
 * before a woken one, so under load a request could wait until it gave
 * up (503) while later ones passed it; here a freed slot goes to the
 * longest waiter.
 */
struct waiter {
	pthread_cond_t	 cond;
	int		 granted;
	struct waiter	*next;
};

static pthread_mutex_t	 gate_lock = PTHREAD_MUTEX_INITIALIZER;
static int		 gate_free;
static struct waiter	*gate_head, *gate_tail;

/* sql_init sets how many connections the gate hands out at once. */
void
sql_init(int slots)
{
	pthread_mutex_lock(&gate_lock);
	gate_free = slots;
	pthread_mutex_unlock(&gate_lock);
}

static int
gate_enter(int timeout_ms)
{
	struct waiter		 w;
	struct waiter		**pp;
	struct timespec		 deadline;
	pthread_condattr_t	 ca;
	int			 rc = 0;

	pthread_mutex_lock(&gate_lock);
	if (gate_free > 0 && gate_head == NULL) {
		gate_free--;
		pthread_mutex_unlock(&gate_lock);
		return 0;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w.cond, &ca);
	pthread_condattr_destroy(&ca);
	w.granted = 0;
	w.next = NULL;
	if (gate_tail != NULL)
		gate_tail->next = &w;
	else
		gate_head = &w;
	gate_tail = &w;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	while (!w.granted) {
		if (pthread_cond_timedwait(&w.cond, &gate_lock, &deadline) != 0 &&
		    !w.granted) {
			/* gave up: leave the queue */
			struct waiter *prev = NULL;

			for (pp = &gate_head; *pp != NULL; pp = &(*pp)->next) {
				if (*pp == &w) {
					*pp = w.next;
					break;
				}
				prev = *pp;
			}
			if (gate_tail == &w)
				gate_tail = prev;
			rc = ORK_ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&gate_lock);
	pthread_cond_destroy(&w.cond);
	return rc;
}

static void
gate_leave(void)
{
	struct waiter *w;

	pthread_mutex_lock(&gate_lock);
	if ((w = gate_head) != NULL) {
		/* the slot passes to the longest waiter */
		gate_head = w->next;
		if (gate_head == NULL)
			gate_tail = NULL;
		w->granted = 1;
		pthread_cond_signal(&w->cond);
	} else
		gate_free++;
	pthread_mutex_unlock(&gate_lock);
}

/*
 * sql_get checks out a connection through the gate, waiting up to
 * timeout_ms.  Returns 0, ORK_ETIMEDOUT, or ORK_ECONN with the reason in
 * msg.  Give it back with sql_put.
 */
int
sql_get(struct api *a, int timeout_ms, PGconn **out, char *msg, size_t msglen)
{
	int rc;

	*out = NULL;
	if ((rc = gate_enter(timeout_ms)) != 0) {
		snprintf(msg, msglen, "every database connection is busy");
		return rc;
	}
	rc = dbpool_get(a->pool, timeout_ms, out, msg, msglen);
	if (rc != 0)
		gate_leave();
	return rc;
}

/* sql_put returns a connection from sql_get; a broken one is closed. */
void
sql_put(struct api *a, PGconn *c)
{
	if (c == NULL)
		return;
	if (PQstatus(c) != CONNECTION_OK ||
	    PQtransactionStatus(c) != PQTRANS_IDLE)
		sql_forget(c);
	dbpool_put(a->pool, c);
	gate_leave();
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

	rc = sql_get(r->a, API_DB_WAIT_MS, out, err, sizeof(err));
	if (rc == ORK_ETIMEDOUT)
		return http_error_h(r, 503, "Retry-After: 1\r\n", "unavailable",
		    NULL, "every database connection is busy; try again");
	if (rc != 0)
		return http_error_h(r, 503, "Retry-After: 5\r\n", "unavailable",
		    NULL, "the database is unreachable");
	return 0;
}

/* sql_release returns a request's connection (sql_put). */
void
sql_release(struct req *r, PGconn *c)
{
	sql_put(r->a, c);
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
	res = PQexecPrepared(c, s->name, s->nparams, values, NULL, NULL,
	    s->binary);
	if (sqlstate_is(res, "26000") && PQtransactionStatus(c) ==
	    PQTRANS_IDLE) {
		/* not prepared after all: the record was stale */
		PQclear(res);
		if (prepare(c, s) != 0)
			goto fallback;
		res = PQexecPrepared(c, s->name, s->nparams, values, NULL,
		    NULL, s->binary);
	}
	return take(c, res, err, msg, msglen);
fallback:
	res = PQexecParams(c, s->text, s->nparams, NULL, values, NULL, NULL,
	    s->binary);
	return take(c, res, err, msg, msglen);
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

/* sql_exec_binary is sql_exec with results in binary format. */
PGresult *
sql_exec_binary(PGconn *c, const char *sql, int n, const char *const *values,
    int *err, char *msg, size_t msglen)
{
	PGresult *res;

	res = PQexecParams(c, sql, n, NULL, values, NULL, NULL, 1);
	return take(c, res, err, msg, msglen);
}

/* ---- binary results to JSON -------------------------------------- */

/* Microseconds from the Unix epoch to PostgreSQL's (2000-01-01). */
#define PG_EPOCH_US	INT64_C(946684800000000)
#define PG_JSONOID	114
#define PG_JSONBOID	3802

static uint64_t
be(const char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | (unsigned char)p[i];
	return v;
}

/* sql_int reads an int2, int4 or int8 column of a binary result. */
int64_t
sql_int(const PGresult *res, int row, int col)
{
	const char	*p = PQgetvalue(res, row, col);
	int		 n = PQgetlength(res, row, col);

	if (n == 2)
		return (int16_t)be(p, 2);
	if (n == 4)
		return (int32_t)be(p, 4);
	if (n == 8)
		return (int64_t)be(p, 8);
	return 0;
}

/* sql_time_us reads a timestamptz of a binary result as Unix us. */
int64_t
sql_time_us(const PGresult *res, int row, int col)
{
	if (PQgetlength(res, row, col) != 8)
		return 0;
	return (int64_t)be(PQgetvalue(res, row, col), 8) + PG_EPOCH_US;
}

/* sql_uuid writes a uuid column of a binary result as text. */
void
sql_uuid(const PGresult *res, int row, int col, char out[UTIL_UUID_LEN + 1])
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)PQgetvalue(res, row,
	    col);
	size_t			 o = 0;

	if (PQgetlength(res, row, col) != 16) {
		out[0] = '\0';
		return;
	}
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[p[i] >> 4];
		out[o++] = hex[p[i] & 15];
	}
	out[o] = '\0';
}

/* room makes sure n more bytes fit: 0, or -1 when the buffer failed. */
static int
room(struct json_buf *b, size_t n)
{
	if (b->data != NULL && !b->failed && n < b->cap - b->len)
		return 0;
	json_buf_reserve(b, n);
	return json_buf_ok(b) != 0 || b->data == NULL ? -1 : 0;
}

/* put copies into room already made (see room). */
static void
put(struct json_buf *b, const char *s, size_t n)
{
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

/* Two decimal digits of 0..99. */
static const char two[] =
    "000102030405060708091011121314151617181920212223242526272829"
    "303132333435363738394041424344454647484950515253545556575859"
    "606162636465666768697071727374757677787980818283848586878889"
    "90919293949596979899";

static char *
digits2(char *p, int v)
{
	memcpy(p, two + 2 * v, 2);
	return p + 2;
}

/* The date part of the last day converted, per thread: "YYYY-MM-DDT. */
static _Thread_local int64_t	last_days = INT64_MIN;
static _Thread_local char	last_date[12];

/*
 * time_text writes Unix us as a quoted RFC 3339 UTC time into p (30
 * bytes) and returns the end, or NULL outside years 0 to 9999.  It is
 * hot: no printf, and the times of one answer mostly fall on a few days.
 */
static char *
time_text(char *p, int64_t us)
{
	int64_t	secs = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
	int64_t	days, year;
	int	frac = (int)(us - secs * 1000000), sod, month, day;

	days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	sod = (int)(secs - days * 86400);
	if (days != last_days) {
		char *d = last_date;

		tz_civil_from_days(days, &year, &month, &day);
		if (year < 0 || year > 9999)
			return NULL;
		*d++ = '"';
		d = digits2(d, (int)(year / 100));
		d = digits2(d, (int)(year % 100));
		*d++ = '-';
		d = digits2(d, month);
		*d++ = '-';
		d = digits2(d, day);
		*d = 'T';
		last_days = days;
	}
	memcpy(p, last_date, 12);
	p += 12;
	p = digits2(p, sod / 3600);
	*p++ = ':';
	p = digits2(p, sod / 60 % 60);
	*p++ = ':';
	p = digits2(p, sod % 60);
	*p++ = '.';
	p = digits2(p, frac / 10000);
	p = digits2(p, frac / 100 % 100);
	p = digits2(p, frac % 100);
	*p++ = 'Z';
	*p++ = '"';
	return p;
}

/* sql_json_time writes Unix us as a quoted RFC 3339 UTC time. */
void
sql_json_time(struct json_buf *b, int64_t us)
{
	char out[40], *end = time_text(out, us);

	if (end == NULL)
		json_buf_add(b, "null", 4);
	else
		json_buf_add(b, out, (size_t)(end - out));
}

/* int_text writes a decimal integer into p (21 bytes); returns the end. */
static char *
int_text(char *p, int64_t v)
{
	char	 tmp[24], *t = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--t = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--t = '-';
	memcpy(p, t, (size_t)(tmp + sizeof(tmp) - t));
	return p + (tmp + sizeof(tmp) - t);
}

/* uuid_text writes 16 bytes as a quoted UUID into p (38 bytes). */
static char *
uuid_text(char *p, const unsigned char *u)
{
	static const char hex[] = "0123456789abcdef";

	*p++ = '"';
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[u[i] >> 4];
		*p++ = hex[u[i] & 15];
	}
	*p++ = '"';
	return p;
}

static void
value(struct json_buf *b, const PGresult *res, int row, int col,
    enum sql_kind kind)
{
	const char	*p;
	char		*end;
	int		 n;

	if (PQgetisnull(res, row, col)) {
		json_buf_add(b, "null", 4);
		return;
	}
	p = PQgetvalue(res, row, col);
	n = PQgetlength(res, row, col);
	switch (kind) {
	case SQL_TEXT:
		json_buf_strn(b, p, (size_t)n);
		return;
	case SQL_JSON:
		/* jsonb goes out as a version byte and its text */
		if (PQftype(res, col) == PG_JSONBOID && n > 0)
			json_buf_add(b, p + 1, (size_t)n - 1);
		else
			json_buf_add(b, p, (size_t)n);
		return;
	default:
		break;
	}
	if (room(b, 48) != 0)
		return;
	end = b->data + b->len;
	switch (kind) {
	case SQL_UUID:
		end = n == 16 ? uuid_text(end, (const unsigned char *)p) : NULL;
		break;
	case SQL_TIME:
		end = n == 8 ? time_text(end, sql_time_us(res, row, col)) : NULL;
		break;
	case SQL_INT:
		end = int_text(end, sql_int(res, row, col));
		break;
	case SQL_BOOL:
		if (n == 1 && p[0]) {
			memcpy(end, "true", 4);
			end += 4;
		} else {
			memcpy(end, "false", 5);
			end += 5;
		}
		break;
	default:
		end = NULL;
		break;
	}
	if (end == NULL)
		put(b, "null", 4);
	else
		b->len = (size_t)(end - b->data);
}

/*
 * sql_fields appends members "name":value from the columns of row
 * starting at col, one per field (SQL_OBJ* and SQL_END take none), and
 * returns the next column.  The caller writes the braces around them.
 */
int
sql_fields(struct json_buf *b, const PGresult *res, int row, int col,
    const struct sql_field *f, int nf)
{
	int first = 1;

	for (int i = 0; i < nf; i++) {
		if (room(b, f[i].len + 8) != 0)
			return col;
		if (f[i].kind == SQL_END) {
			put(b, "}", 1);
			first = 0;
			continue;
		}
		if (!first)
			put(b, ",", 1);
		first = 0;
		put(b, "\"", 1);
		put(b, f[i].name, f[i].len);
		put(b, "\":", 2);
		if (f[i].kind == SQL_OBJ_OR_NULL && PQgetisnull(res, row, col)) {
			int depth = 1;

			put(b, "null", 4);
			/* skip the object's members and their columns */
			while (depth > 0 && ++i < nf) {
				if (f[i].kind == SQL_END)
					depth--;
				else if (f[i].kind == SQL_OBJ ||
				    f[i].kind == SQL_OBJ_OR_NULL)
					depth++;
				else
					col++;
			}
			continue;
		}
		if (f[i].kind == SQL_OBJ || f[i].kind == SQL_OBJ_OR_NULL) {
			put(b, "{", 1);
			first = 1;
			continue;
		}
		value(b, res, row, col++, f[i].kind);
	}
	if (room(b, 1) == 0)
		b->data[b->len] = '\0';
	return col;
}

/* sql_object appends {fields} of one row starting at column col. */
void
sql_object(struct json_buf *b, const PGresult *res, int row, int col,
    const struct sql_field *f, int nf)
{
	json_buf_add(b, "{", 1);
	(void)sql_fields(b, res, row, col, f, nf);
	json_buf_add(b, "}", 1);
}

/*
 * sql_list_build writes the statements of a list, one per combination
 * of its filters (bit i of the index: filters[i] is in), newest first
 * by (created, id); bit 0 is the cursor.  Parameters: $1 the page size
 * plus one, then the cursor's ($2 created_at in Unix us, $3 id) when
 * there is one, then one per filter present, in order.  Every list
 * statement is planned once for all calls (plan_cache_mode, main.c),
 * and a LIMIT given as a parameter would be planned as if a tenth of
 * the table were wanted; so the inner query has the largest LIMIT a
 * page can have, which keeps the keyset index scan, and the outer one
 * stops it after $1 rows (a scan only reads the rows asked of it; the
 * subquery's order is kept, nothing above it reorders).
 */
void
sql_list_build(struct sql_list *l)
{
	int combos = 1 << (l->nfilters + 1);

	for (int m = 0; m < combos && m < 16; m++) {
		char	*t = l->texts[m];
		size_t	 len = sizeof(l->texts[m]), used;
		int	 p = 2;


		used = (size_t)snprintf(t, len, "SELECT * FROM (%s", l->select);
		if (m & 1) {
			used += (size_t)snprintf(t + used, len - used,
			    " AND (%s, %s) < (timestamptz 'epoch' + "
			    "$%d::int8 * interval '1 microsecond', $%d::uuid)",
			    l->created, l->id, p, p + 1);
			p += 2;
		}
		for (int f = 0; f < l->nfilters; f++) {
			const char	*q;
			int		 at;

			if (!(m & (2 << f)))
				continue;
			/* "$?" in a filter is its parameter's number */
			q = strstr(l->filters[f], "$?");
			at = q != NULL ? (int)(q - l->filters[f]) : 0;
			used += (size_t)snprintf(t + used, len - used,
			    "%.*s$%d%s", at, l->filters[f], p++, q != NULL ?
			    q + 2 : "");
		}
		snprintf(t + used, len - used, " ORDER BY %s DESC, %s DESC "
		    "LIMIT %d) page LIMIT $1::int", l->created, l->id,
		    API_LIMIT_MAX + 1);
		snprintf(l->names[m], sizeof(l->names[m]), "%s_%d", l->name, m);
		l->stmts[m].name = l->names[m];
		l->stmts[m].text = t;
		l->stmts[m].nparams = p - 1;
		l->stmts[m].binary = 1;
	}
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
