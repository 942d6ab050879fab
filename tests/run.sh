#!/usr/bin/env bash
# run.sh - run every test suite against a throwaway PostgreSQL.
#
# Starts its own cluster (deploy/pg.sh), runs the unit tests, the fuzz
# corpora as regressions and the integration tests, stops the cluster
# also when a test fails or the run is interrupted, and ends with one
# line: "N passed, M failed".  Tests speak TAP (cmocka's TAP output).
#
#   BUILD=build tests/run.sh [FILTER]   FILTER: run only matching programs
#   ORK_TEST_CLUSTER=NAME tests/run.sh   a cluster and tests/out/NAME of its own
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
build=${BUILD:-build}
filter=${1:-}
# ORK_TEST_CLUSTER: name of the cluster and of the output folder, so that
# two runs on one machine do not share (and destroy) one cluster.
cluster=${ORK_TEST_CLUSTER:-test-$(basename "$build")}
out=$top/tests/out/${ORK_TEST_CLUSTER:-$(basename "$build")}
# Per-program limit: a hung test fails instead of hanging the run.
limit=${ORK_TEST_TIMEOUT:-600}

passed=0
failed=0
failures=()

# shellcheck source=tests/cluster.sh
source tests/cluster.sh
ork_cluster_start "$cluster" "$out" || exit 1
export CMOCKA_MESSAGE_OUTPUT=TAP
# Sanitizers: fail on the first report, keep going in children.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# detect_deadlocks=0: the worker forks commands, and the allocator DuckDB
# brings locks more mutexes before fork than TSan's deadlock detector holds.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:detect_deadlocks=0:suppressions=$top/tests/tsan.supp}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/lsan.supp}

# run_tap PROGRAM: run one TAP-speaking program, count its results.
run_tap() {
	local prog=$1 name log rc ok notok
	name=$(basename "$prog")
	log=$out/$name.tap
	timeout --kill-after=10 "$limit" "$prog" >"$log" 2>&1
	rc=$?
	ok=$(grep -cE '^ok [0-9]+' "$log")
	notok=$(grep -cE '^not ok [0-9]+' "$log")
	plan=$(sed -nE 's/^1\.\.([0-9]+)$/\1/p' "$log" | head -n 1)
	# a program that stopped before all its tests ran has failed
	if [[ -n $plan ]] && ((ok + notok < plan && rc == 0)); then
		rc=1
	fi
	passed=$((passed + ok))
	failed=$((failed + notok))
	if ((notok > 0)); then
		failures+=("$name: $(grep -E '^not ok' "$log" | head -n 5 | tr '\n' ';')")
	fi
	if ((rc != 0 && notok == 0)); then
		failed=$((failed + 1))
		failures+=("$name: exited with status $rc (see $log)")
	fi
	printf '%-34s %3d passed %3d failed\n' "$name" "$ok" "$notok"
	if ((notok > 0 || rc != 0)); then
		grep -E '^(not ok|#)' "$log" | head -n 20 | sed 's/^/    /'
	fi
}

# run_regress PROGRAM: replay one fuzz corpus; one test per corpus.
run_regress() {
	local prog=$1 name corpus log
	name=$(basename "$prog" _regress)
	corpus=tests/fuzz/corpus/$name
	log=$out/fuzz-$name.log
	if timeout --kill-after=10 "$limit" "$prog" "$corpus" >"$log" 2>&1; then
		passed=$((passed + 1))
		printf '%-34s %3d passed %3d failed\n' "fuzz-$name" 1 0
	else
		failed=$((failed + 1))
		failures+=("fuzz-$name: corpus replay failed (see $log)")
		printf '%-34s %3d passed %3d failed\n' "fuzz-$name" 0 1
		tail -n 20 "$log" | sed 's/^/    /'
	fi
}

matches() { [[ -z $filter || $1 == *$filter* ]]; }

echo "== unit"
for t in "$build"/tests/unit/*_test; do
	[[ -x $t ]] && matches "$t" && run_tap "$t"
done
echo "== fuzz corpora"
for t in "$build"/tests/fuzz/*_regress; do
	[[ -x $t ]] && matches "$t" && run_regress "$t"
done
echo "== integration"
for t in "$build"/tests/integration/*_test; do
	[[ -x $t ]] && matches "$t" && run_tap "$t"
done

echo "== deployment"
if matches lint-deploy; then
	log=$out/lint-deploy.log
	deploy/lint-deploy.sh >"$log" 2>&1
	rc=$?
	summary=$(grep -E '^lint-deploy: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	ok=$(sed -E 's/^lint-deploy: ([0-9]+) passed.*/\1/' <<<"$summary")
	notok=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$summary")
	ok=${ok:-0}
	notok=${notok:-0}
	passed=$((passed + ok))
	failed=$((failed + notok))
	if ((rc != 0 && notok == 0)); then
		failed=$((failed + 1))
	fi
	if ((rc != 0)); then
		failures+=("lint-deploy: see $log")
		grep -vE '^ok ' "$log" | tail -n 20 | sed 's/^/    /'
	fi
	printf '%-34s %3d passed %3d failed\n' lint-deploy "$ok" "$notok"
fi

if ((${#failures[@]} > 0)); then
	echo "== failures"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
((failed == 0))
