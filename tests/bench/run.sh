#!/usr/bin/env bash
# run.sh NAME - run one benchmark against a throwaway PostgreSQL and print
# its JSON.  Benchmarks are not tests: they measure; README.md keeps the
# figures and the command.
#
#   make bench-dispatch    orchestrator + 2 workers: tasks/s and latencies,
#                          beside a bare PostgreSQL queue, on a durable
#                          cluster (ORK_BENCH_DURABLE=0: durability off)
#   make bench-api         ork-api over 100,000 jobs and 1,000,000 runs:
#                          GET /runs?limit=50 and GET /jobs/{id} with wrk
#   make bench-load        CSV/Parquet into PostgreSQL and DuckDB through
#                          ork, beside psql's \copy and DuckDB's own readers
#                          (ORK_BENCH_LOAD_ROWS, default 1,000,000)
#   make bench-scheduler   100,000 scheduled jobs: the leader's idle cost,
#                          then firing lag with schedules spread over a
#                          minute (ORK_BENCH_JOBS, ORK_BENCH_SECONDS)
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
build=${BUILD:-build}
name=${1:-}
out=$top/tests/out/bench

# shellcheck source=tests/cluster.sh
source tests/cluster.sh

case $name in
dispatch | api | load | scheduler) ;;
*)
	echo "usage: tests/bench/run.sh dispatch|api|load|scheduler" >&2
	exit 2
	;;
esac
ork_cluster_start "bench-$name" "$out" || exit 1
# The dispatch benchmark runs on a durable cluster (ORK_BENCH_DURABLE=0:
# as the tests run it, with fsync and synchronous commit off): its
# reference commits every job's changes one by one, as a queue that must
# not lose acknowledged work does, and ork promises the same.
if [[ $name == dispatch && ${ORK_BENCH_DURABLE:-1} == 1 ]]; then
	psql -X -q "$ORK_TEST_PG_URL" -c "ALTER SYSTEM SET fsync = on" \
	    -c "ALTER SYSTEM SET synchronous_commit = on" \
	    -c "ALTER SYSTEM SET full_page_writes = on" \
	    -c "SELECT pg_reload_conf()" >/dev/null || exit 1
	sleep 1
fi
"$build/tests/bench/${name}_bench" >"$out/$name.tap" 2>&1
rc=$?
grep '^{' "$out/$name.tap" || { cat "$out/$name.tap"; exit 1; }
exit $rc
