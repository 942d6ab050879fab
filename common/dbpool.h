/*
 * dbpool.h - a fixed-size pool of PostgreSQL connections.
 *
 * Connections are opened lazily, up to the pool's size, and checked out
 * by one thread at a time.  A connection that comes back broken is closed
 * and replaced on the next checkout, so a database restart heals itself.
 */
#ifndef ORK_DBPOOL_H
#define ORK_DBPOOL_H

#include <stddef.h>

#include <libpq-fe.h>

struct dbpool;

/* dbpool_new makes a pool of at most size connections to url (copied). */
int dbpool_new(const char *url, const char *application, int size,
    struct dbpool **out);

/* dbpool_free closes every connection; all must have been returned. */
void dbpool_free(struct dbpool *p);

/*
 * dbpool_get checks out a connection, waiting up to timeout_ms for one to
 * be free.  Returns ORK_ETIMEDOUT when none freed up, ORK_ECONN (reason in
 * err) when a new connection could not be made.
 */
int dbpool_get(struct dbpool *p, int timeout_ms, PGconn **out, char *err,
    size_t errlen);

/* dbpool_put returns a connection; a broken one is closed. */
void dbpool_put(struct dbpool *p, PGconn *conn);

/* dbpool_open_count returns how many connections are open now. */
int dbpool_open_count(struct dbpool *p);

#endif /* ORK_DBPOOL_H */
