#!/usr/bin/env bash
# run.sh NAME - run one benchmark against a throwaway PostgreSQL and print
# its JSON.  Benchmarks are not tests: they measure; README.md keeps the
# figures and the command.
#
#   make bench-dispatch    orchestrator + 2 workers: tasks/s and latencies,
#                          beside a bare PostgreSQL queue
#   make bench-api         ork-api over 100,000 jobs and 1,000,000 runs:
#                          GET /runs?limit=50 and GET /jobs/{id} with wrk
#   make bench-load        CSV/Parquet into PostgreSQL and DuckDB through
#                          ork, beside psql's \copy and DuckDB's own readers
#                          (ORK_BENCH_LOAD_ROWS, default 1,000,000)
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
build=${BUILD:-build}
name=${1:-}
out=$top/tests/out/bench

# shellcheck source=tests/cluster.sh
source tests/cluster.sh

case $name in
dispatch)
	ork_cluster_start bench "$out" || exit 1
	"$build/tests/bench/dispatch_bench" >"$out/dispatch.tap" 2>&1
	rc=$?
	grep '^{' "$out/dispatch.tap" || { cat "$out/dispatch.tap"; exit 1; }
	exit $rc
	;;
api)
	ork_cluster_start bench-api "$out" || exit 1
	"$build/tests/bench/api_bench" >"$out/api.tap" 2>&1
	rc=$?
	grep '^{' "$out/api.tap" || { cat "$out/api.tap"; exit 1; }
	exit $rc
	;;
load)
	ork_cluster_start bench-load "$out" || exit 1
	"$build/tests/bench/load_bench" >"$out/load.tap" 2>&1
	rc=$?
	grep '^{' "$out/load.tap" || { cat "$out/load.tap"; exit 1; }
	exit $rc
	;;
*)
	echo "usage: tests/bench/run.sh dispatch|api|load" >&2
	exit 2
	;;
esac
