/*
 * health.h - the small HTTP port of ork-orchestrator and ork-worker:
 * GET /health (alive), GET /ready (ready to serve), for Kubernetes probes,
 * and GET /metrics (Prometheus text, common/metrics.h).
 */
#ifndef ORK_HEALTH_H
#define ORK_HEALTH_H

#include <stddef.h>

struct health;

/*
 * A readiness check: returns 1 when ready, else 0 with a short reason in
 * why.  Called from an HTTP thread: it must be thread-safe and quick.
 */
typedef int (*health_ready_fn)(void *arg, char *why, size_t whylen);

/* health_start serves /health and /ready on listen ("host:port"). */
int health_start(const char *listen, const char *daemon, health_ready_fn ready,
    void *arg, struct health **out, char *err, size_t errlen);

/* health_port returns the bound port. */
int health_port(const struct health *h);

/* health_stop stops the server; NULL accepted. */
void health_stop(struct health *h);

#endif /* ORK_HEALTH_H */
