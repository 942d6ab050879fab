#!/usr/bin/env bash
# pg.sh - a throwaway PostgreSQL cluster for make run and make test.
#
#   pg.sh start [NAME]    initdb (first time) and start; prints the URL
#   pg.sh stop [NAME]     stop it (fast shutdown)
#   pg.sh url [NAME]      print the URL of database "ork"
#   pg.sh status [NAME]   exit 0 when running
#   pg.sh destroy [NAME]  stop and delete it
#
# The cluster lives in .pg/NAME (git-ignored; NAME defaults to "run"),
# listens on 127.0.0.1 at a free port (ORK_PG_PORT to choose one) and on a
# unix socket, trusts local connections (superuser "ork", database "ork")
# and runs with durability off: fsync and synchronous commit are not
# needed for a cluster that is thrown away.  initdb refuses to run as
# root, so as root the cluster runs as the unprivileged "postgres" user
# (Debian's postgresql package creates it), or "ork-pg" if that is missing.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-}
name=${2:-run}
[[ $name =~ ^[A-Za-z0-9_-]+$ ]] || { echo "pg: bad cluster name \"$name\"" >&2; exit 2; }
dir=${ORK_PG_DIR:-$top/.pg}/$name
state=$dir/state

pgbin() {
	local b
	b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[[ -n $b && -x $b/initdb ]] || {
		echo "pg: no PostgreSQL server found (run: make deps)" >&2
		exit 1
	}
	echo "$b"
}

# as_owner runs a command as the cluster's owner.
as_owner() {
	if [[ -n ${RUNAS:-} ]]; then
		runuser -u "$RUNAS" -- "$@"
	else
		"$@"
	fi
}

port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

load_state() {
	[[ -f $state ]] || { echo "pg: no cluster in $dir (run: pg.sh start $name)" >&2; exit 1; }
	# shellcheck disable=SC1090
	source "$state"
}

do_init() {
	local bin port data sockdir runas=""
	bin=$(pgbin)
	mkdir -p "$dir"
	data=$dir/data
	if [[ $(id -u) -eq 0 ]]; then
		if id postgres >/dev/null 2>&1; then
			runas=postgres
		else
			id ork-pg >/dev/null 2>&1 ||
			    useradd --system --no-create-home --shell /usr/sbin/nologin ork-pg
			runas=ork-pg
		fi
		mkdir -p "$data"
		chown "$runas" "$data"
		# The repository may sit below a folder the cluster's user
		# cannot enter (e.g. root's home): keep the data elsewhere
		# and leave a link in .pg/.
		if ! runuser -u "$runas" -- test -w "$data"; then
			rmdir "$data"
			local real
			real=$(mktemp -d /tmp/ork-pg-data.XXXXXX)
			chown "$runas" "$real"
			ln -s "$real" "$data"
		fi
	fi
	RUNAS=$runas
	port=${ORK_PG_PORT:-}
	if [[ -z $port ]]; then
		port=55432
		while ! port_free "$port"; do port=$((port + 1)); done
	fi
	# Unix socket paths are limited to 107 bytes: keep it short.
	sockdir=$(mktemp -d /tmp/ork-pg-sock.XXXXXX)
	[[ -n $runas ]] && chown "$runas" "$sockdir"
	as_owner "$bin/initdb" -D "$data" -U ork --auth=trust -E UTF8 --no-sync \
	    --no-locale >"$dir/initdb.log" 2>&1 || {
		echo "pg: initdb failed:" >&2; cat "$dir/initdb.log" >&2; exit 1; }
	cat >>"$data/postgresql.conf" <<CONF
# settings of a throwaway cluster (deploy/pg.sh)
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockdir'
max_connections = 300
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
checkpoint_timeout = 30min
max_wal_size = 4GB
log_min_messages = warning
log_min_error_statement = panic
CONF
	cat >"$state" <<STATE
BIN=$bin
PORT=$port
SOCKDIR=$sockdir
DATA=$data
RUNAS=$runas
STATE
}

do_start() {
	[[ -f $state ]] || do_init
	load_state
	if [[ ! -d $SOCKDIR ]]; then	# /tmp was cleaned since
		mkdir -p "$SOCKDIR"
		[[ -n $RUNAS ]] && chown "$RUNAS" "$SOCKDIR"
	fi
	if ! as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
		# Another cluster may take the port between our check and our
		# start (tests running side by side): move on and try again.
		local tries=0
		while :; do
			if port_free "$PORT" && as_owner "$BIN/pg_ctl" -D "$DATA" \
			    -l "$DATA/server.log" -w -t 60 start >/dev/null 2>&1; then
				break
			fi
			tries=$((tries + 1))
			if ((tries >= 10)) || [[ -n ${ORK_PG_PORT:-} ]]; then
				echo "pg: could not start; log follows" >&2
				tail -n 20 "$DATA/server.log" >&2
				exit 1
			fi
			PORT=$((PORT + 1 + RANDOM % 20))
			sed -i "s/^port = .*/port = $PORT/" "$DATA/postgresql.conf"
			sed -i "s/^PORT=.*/PORT=$PORT/" "$state"
		done
	fi
	if ! "$BIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U ork -d postgres -tAc \
	    "SELECT 1 FROM pg_database WHERE datname = 'ork'" | grep -q 1; then
		"$BIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U ork -d postgres \
		    -c "CREATE DATABASE ork" >/dev/null
	fi
	echo "postgresql://ork@127.0.0.1:$PORT/ork"
}

do_stop() {
	[[ -f $state ]] || return 0
	load_state
	as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1 || return 0
	as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
}

case $cmd in
start)	do_start ;;
stop)	do_stop ;;
url)	load_state; echo "postgresql://ork@127.0.0.1:$PORT/ork" ;;
status)	load_state; as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null ;;
destroy)
	do_stop
	if [[ -f $state ]]; then
		load_state
		[[ -L $DATA ]] && rm -rf "$(readlink "$DATA")"
		rm -rf "$SOCKDIR"
	fi
	rm -rf "$dir" ;;
*)	echo "usage: pg.sh start|stop|url|status|destroy [NAME]" >&2; exit 2 ;;
esac
