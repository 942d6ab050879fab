#!/usr/bin/env bash
# perf.sh - make bench: ork-perf end to end on the small configurations
# (perf-configs/noop-burst.conf and steady-200.conf) against daemons this
# script starts on loopback: a throwaway PostgreSQL, ork-orchestrator,
# two ork-workers (256 slots each, as make bench-dispatch) and ork-api
# with a first admin.  Writes one JSON document, {"benchmark": "perf",
# "setup": ..., "results": [one ork-perf report per config]}, to
# tests/out/bench/perf.json and stdout; logs go beside it.
#
#   ORK_BENCH_PERF_RUNS     runs of noop-burst (default: the config's 10,000)
#   ORK_BENCH_PERF_SECONDS  seconds of steady-200 (default: the config's 60)
#
#   tests/bench/perf.sh CONFIG [FLAGS...]   one config of perf-configs/
#       instead, with more ork-perf flags (e.g. wide-jobs --set jobs=5000);
#       its report is tests/out/bench/perf-CONFIG.json.  The workers get
#       ORK_PERF_DW_URL (the bench database), which load-csv loads into.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
build=${BUILD:-build}
bin=$top/$build/bin
out=$top/tests/out/bench
result=$out/perf.json
password=bench-perf-admin-1
slots=256

# shellcheck source=tests/cluster.sh
source tests/cluster.sh
ork_cluster_start bench-perf "$out" || exit 1

# free_port prints a TCP port of 127.0.0.1 nobody listens on now, below
# the kernel's ephemeral range (where outgoing connections take theirs).
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 12000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

pids=()
stop_daemons() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
}
# stop the daemons before cluster.sh's EXIT trap drops the cluster
trap 'stop_daemons; deploy/pg.sh destroy "$ORK_CLUSTER" >/dev/null 2>&1 || true' EXIT

# wait_log FILE NEEDLE: up to 20 s for a daemon to say it is ready.
wait_log() {
	for _ in $(seq 1 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "perf bench: no \"$2\" in $1:" >&2
	tail -n 20 "$1" >&2
	return 1
}

db=${ORK_TEST_PG_URL%/*}/bench_perf
PGOPTIONS='-c client_min_messages=warning' psql -q -X "$ORK_TEST_PG_URL" -c 'DROP DATABASE IF EXISTS bench_perf' \
    -c 'CREATE DATABASE bench_perf' >/dev/null || exit 1
"$bin/ork-orchestrator" migrate --database-url="$db" \
    >"$out/perf-migrate.log" 2>&1 || { cat "$out/perf-migrate.log" >&2; exit 1; }

control=tcp://127.0.0.1:$(free_port) || exit 1
events=tcp://127.0.0.1:$(free_port) || exit 1
api_port=$(free_port) || exit 1
export ORK_LOG_FORMAT=text ORK_LOG_LEVEL=info

"$bin/ork-orchestrator" --database-url="$db" \
    --orchestrator-control="$control" --orchestrator-events="$events" \
    --health-listen="127.0.0.1:$(free_port)" --orchestrator-threads=64 \
    >"$out/perf-orchestrator.log" 2>&1 &
orch=$!
pids+=("$orch")
wait_log "$out/perf-orchestrator.log" "ready:" || exit 1
workers=()
for w in 1 2; do
	ORK_PERF_DW_URL=$db "$bin/ork-worker" --orchestrator-control="$control" \
	    --orchestrator-events="$events" \
	    --health-listen="127.0.0.1:$(free_port)" --worker-id="bench-w$w" \
	    --worker-concurrency=$slots --request-timeout-ms=10000 \
	    >"$out/perf-worker$w.log" 2>&1 &
	workers+=($!)
	pids+=($!)
	wait_log "$out/perf-worker$w.log" "ready:" || exit 1
done
ORK_ADMIN_PASSWORD=$password "$bin/ork-api" --database-url="$db" \
    --orchestrator-control="$control" --orchestrator-events="$events" \
    --api-listen="127.0.0.1:$api_port" >"$out/perf-api.log" 2>&1 &
api=$!
pids+=("$api")
wait_log "$out/perf-api.log" "ready:" || exit 1

url=http://127.0.0.1:$api_port
ORK_TOKEN=$(curl -sf "$url/auth/login" -H 'Content-Type: application/json' \
    -d "{\"username\": \"admin\", \"password\": \"$password\"}" |
    sed -nE 's/.*"token" *: *"([^"]+)".*/\1/p')
[[ -n $ORK_TOKEN ]] || { echo "perf bench: could not log in" >&2; exit 1; }
export ORK_TOKEN

common=(--set "url=$url" --set "events=$events" --pid "api=$api"
    --pid "orchestrator=$orch" --pid "worker1=${workers[0]}"
    --pid "worker2=${workers[1]}")
rc=0
# run_perf CONFIG FLAGS...: one ork-perf report into $out/perf-CONFIG.json
run_perf() {
	local config=$1
	shift
	"$bin/ork-perf" "${common[@]}" "$@" --output "$out/perf-$config.json" \
	    "perf-configs/$config.conf" 2>"$out/perf-$config.log"
	local st=$?
	if ((st != 0)); then
		echo "perf bench: ork-perf $config exited $st (see $out/perf-$config.log)" >&2
		tail -n 5 "$out/perf-$config.log" >&2
		rc=1
	fi
	[[ -s $out/perf-$config.json ]]
}

if (($# > 0)); then
	config=$1
	shift
	run_perf "$config" "$@" || exit 1
	stop_daemons
	cat "$out/perf-$config.json"
	exit $rc
fi
burst=()
[[ -n ${ORK_BENCH_PERF_RUNS:-} ]] && burst=(--set "runs=$ORK_BENCH_PERF_RUNS")
paced=()
[[ -n ${ORK_BENCH_PERF_SECONDS:-} ]] && paced=(--set "seconds=$ORK_BENCH_PERF_SECONDS")
run_perf noop-burst "${burst[@]}" || exit 1
run_perf steady-200 "${paced[@]}" || exit 1
stop_daemons

{
	printf '{"benchmark": "perf", "setup": {"orchestrators": 1, '
	printf '"orchestrator_threads": 64, "workers": 2, "worker_slots": %d, ' "$slots"
	printf '"api": 1, "cores": %d, "loadavg_at_end": "%s"}, "results": [\n' \
	    "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
	cat "$out/perf-noop-burst.json"
	printf ',\n'
	cat "$out/perf-steady-200.json"
	printf ']}\n'
} >"$result"
cat "$result"
exit $rc
