/*
 * db.h - PostgreSQL connections through libpq.
 *
 * A thin layer: connecting with retry and backoff, the schema check every
 * daemon makes at start, and the mapping of libpq errors to project
 * errors.  Callers use the PGconn directly for queries.
 */
#ifndef ORK_DB_H
#define ORK_DB_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>

#include <libpq-fe.h>

/* Backoff between connection attempts. */
#define DB_RETRY_MIN_MS 250
#define DB_RETRY_MAX_MS 5000
/* Seconds libpq waits for one connection attempt. */
#define DB_CONNECT_TIMEOUT_STR "5"

/*
 * db_connect makes one connection attempt.  On success *out owns the
 * connection (PQfinish it).  On failure err holds libpq's reason on one
 * line and ORK_ECONN is returned.
 */
int db_connect(const char *url, const char *application, PGconn **out,
    char *err, size_t errlen);

/*
 * db_connect_retry calls db_connect until it succeeds or *stop becomes
 * non-zero, logging each failure with the reason and the wait, waiting
 * with exponential backoff and jitter between DB_RETRY_MIN_MS and
 * DB_RETRY_MAX_MS.  Returns 0 or ORK_ECANCELED.
 */
int db_connect_retry(const char *url, const char *application,
    atomic_int *stop, PGconn **out);

/*
 * db_exec runs a command that returns no rows.  Returns 0, or a project
 * error with the server's message in err (err may be NULL).
 */
int db_exec(PGconn *conn, const char *sql, char *err, size_t errlen);

/*
 * db_result_error maps a failed result to a project error code
 * (unique violation -> ORK_EEXIST, connection loss -> ORK_ECONN, ...)
 * and copies its message into err when err is not NULL.
 */
int db_result_error(PGconn *conn, const PGresult *res, char *err,
    size_t errlen);

/*
 * db_schema_version reads the newest applied migration into *version
 * (0 when the schema table is missing).  Returns 0 or ORK_EDB.
 */
int db_schema_version(PGconn *conn, int *version, char *err, size_t errlen);

/*
 * db_schema_check fails with ORK_ESCHEMA and a message saying what to do
 * unless the database is at exactly the schema this build knows.
 */
int db_schema_check(PGconn *conn, char *err, size_t errlen);

/* db_redact_url copies url with any password replaced by "***". */
void db_redact_url(const char *url, char *buf, size_t len);

#endif /* ORK_DB_H */
