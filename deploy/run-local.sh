#!/usr/bin/env bash
# run-local.sh - ork on this machine without Docker: a local PostgreSQL
# (deploy/pg.sh, cluster "run"), migrations, then ork-orchestrator,
# ork-worker and ork-api on loopback.  Ctrl-C stops them all; the
# database stays in .pg/run for the next start (pg.sh destroy run to
# drop it).
#
# Ports: ORK_API_PORT (8080), ORK_CONTROL_PORT (7400), ORK_EVENTS_PORT
# (7401), ORK_ORCH_HEALTH_PORT (7402), ORK_WORKER_HEALTH_PORT (7403).
# ORK_AUTH=off turns authentication off (local development only).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/${BUILD:-build}/bin
api_port=${ORK_API_PORT:-8080}
control=tcp://127.0.0.1:${ORK_CONTROL_PORT:-7400}
events=tcp://127.0.0.1:${ORK_EVENTS_PORT:-7401}

url=$("$top/deploy/pg.sh" start run)
export ORK_DATABASE_URL=$url
export ORK_LOG_FORMAT=${ORK_LOG_FORMAT:-text}
"$bin/ork-orchestrator" migrate

pids=()
stop() {
	trap - INT TERM EXIT
	echo "run: stopping"
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait || true
	"$top/deploy/pg.sh" stop run || true
}
trap stop INT TERM EXIT

"$bin/ork-orchestrator" --orchestrator-control="$control" \
    --orchestrator-events="$events" \
    --health-listen="127.0.0.1:${ORK_ORCH_HEALTH_PORT:-7402}" &
pids+=($!)
"$bin/ork-worker" --orchestrator-control="$control" \
    --orchestrator-events="$events" \
    --health-listen="127.0.0.1:${ORK_WORKER_HEALTH_PORT:-7403}" &
pids+=($!)
"$bin/ork-api" --orchestrator-control="$control" \
    --api-listen="127.0.0.1:$api_port" &
pids+=($!)

for _ in $(seq 1 100); do
	"$bin/ork" --url "http://127.0.0.1:$api_port" health >/dev/null 2>&1 && break
	sleep 0.1
done
echo
echo "ork is running: API at http://127.0.0.1:$api_port (database $url)"
if [[ ${ORK_AUTH:-on} == off ]]; then
	echo "authentication is OFF (ORK_AUTH=off): for local development only"
fi
echo "press Ctrl-C to stop"
# Stop everything as soon as one daemon exits.
wait -n "${pids[@]}" || true
