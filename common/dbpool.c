/*
 * dbpool.c - a fixed-size pool of PostgreSQL connections.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "dbpool.h"
#include "err.h"
#include "metrics.h"

struct dbpool {
	pthread_mutex_t	 lock;
	pthread_cond_t	 freed;
	char		*url;
	char		*application;
	int		 size;		/* most connections */
	int		 open;		/* connections that exist */
	int		 nidle;
	PGconn		**idle;		/* size slots */
};

int
dbpool_new(const char *url, const char *application, int size,
    struct dbpool **out)
{
	struct dbpool		*p;
	pthread_condattr_t	 ca;

	*out = NULL;
	if (size < 1)
		return ORK_EINVAL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return ORK_ENOMEM;
	p->url = strdup(url);
	p->application = strdup(application);
	p->idle = calloc((size_t)size, sizeof(PGconn *));
	if (p->url == NULL || p->application == NULL || p->idle == NULL) {
		free(p->url);
		free(p->application);
		free(p->idle);
		free(p);
		return ORK_ENOMEM;
	}
	p->size = size;
	metrics_gauge_add(&m_db_pool_size, 0, size);
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->freed, &ca);
	pthread_condattr_destroy(&ca);
	*out = p;
	return 0;
}

void
dbpool_free(struct dbpool *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->nidle; i++)
		PQfinish(p->idle[i]);
	metrics_gauge_add(&m_db_pool_size, 0, -p->size);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->freed);
	free(p->idle);
	free(p->url);
	free(p->application);
	free(p);
}

int
dbpool_get(struct dbpool *p, int timeout_ms, PGconn **out, char *err,
    size_t errlen)
{
	struct timespec	 deadline;
	PGconn		*conn;
	int		 rc;

	*out = NULL;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->lock);
	while (p->nidle == 0 && p->open >= p->size) {
		if (pthread_cond_timedwait(&p->freed, &p->lock, &deadline) ==
		    ETIMEDOUT && p->nidle == 0 && p->open >= p->size) {
			pthread_mutex_unlock(&p->lock);
			return ORK_ETIMEDOUT;
		}
	}
	if (p->nidle > 0) {
		*out = p->idle[--p->nidle];
		pthread_mutex_unlock(&p->lock);
		metrics_gauge_add(&m_db_pool_in_use, 0, 1);
		return 0;
	}
	p->open++;		/* reserve the slot while connecting */
	pthread_mutex_unlock(&p->lock);

	rc = db_connect(p->url, p->application, &conn, err, errlen);
	if (rc != 0) {
		pthread_mutex_lock(&p->lock);
		p->open--;
		pthread_cond_signal(&p->freed);
		pthread_mutex_unlock(&p->lock);
		return rc;
	}
	*out = conn;
	metrics_gauge_add(&m_db_pool_in_use, 0, 1);
	return 0;
}

void
dbpool_put(struct dbpool *p, PGconn *conn)
{
	if (conn == NULL)
		return;
	metrics_gauge_add(&m_db_pool_in_use, 0, -1);
	/* A connection left inside a transaction or broken is not reused. */
	if (PQstatus(conn) != CONNECTION_OK ||
	    PQtransactionStatus(conn) != PQTRANS_IDLE) {
		PQfinish(conn);
		conn = NULL;
	}
	pthread_mutex_lock(&p->lock);
	if (conn != NULL)
		p->idle[p->nidle++] = conn;
	else
		p->open--;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

int
dbpool_open_count(struct dbpool *p)
{
	int n;

	pthread_mutex_lock(&p->lock);
	n = p->open;
	pthread_mutex_unlock(&p->lock);
	return n;
}
