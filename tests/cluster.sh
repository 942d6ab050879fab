# cluster.sh - sourced by tests/run.sh and tests/bench/run.sh: start a
# throwaway PostgreSQL cluster named $1, export what test programs read,
# and destroy the cluster when the calling script exits.
#
#   ORK_TEST_PG_URL  URL of the cluster's "postgres" database
#   ORK_TEST_BIN     the daemons' folder
#   ORK_TEST_OUT     where logs and artifacts go
#   ORK_TEST_ROOT    the repository

ork_cluster_start() {
	local cluster=$1 out=$2 url
	ORK_CLUSTER=$cluster
	trap 'deploy/pg.sh destroy "$ORK_CLUSTER" >/dev/null 2>&1 || true' EXIT
	trap 'exit 130' INT TERM
	deploy/pg.sh destroy "$cluster" >/dev/null 2>&1 || true
	url=$(deploy/pg.sh start "$cluster") || {
		echo "could not start PostgreSQL" >&2
		return 1
	}
	mkdir -p "$out"
	export ORK_TEST_PG_URL=${url%/*}/postgres
	export ORK_TEST_BIN=$PWD/${BUILD:-build}/bin
	export ORK_TEST_OUT=$out
	export ORK_TEST_ROOT=$PWD
}
