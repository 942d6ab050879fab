#!/usr/bin/env bash
# deps.sh - install what ork needs on Debian 12, idempotently.
#
# Packages come from Debian (one apt-get update, then one apt-get install
# of what is missing); DuckDB's C library, which Debian lacks, is fetched
# by deploy/fetch-deps.sh into .deps/.  Quick when everything is present.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)

packages=(
	# build
	gcc make pkg-config ca-certificates git
	libpq-dev libnng-dev libcivetweb-dev libcjson-dev libcurl4-openssl-dev
	libprotobuf-c-dev protobuf-c-compiler libargon2-dev uuid-dev zlib1g-dev
	# tests: cmocka, a local PostgreSQL server, fuzzing with clang
	libcmocka-dev postgresql clang libclang-rt-14-dev
	procps iproute2 curl
	# the web page test: a real browser, driven by playwright-core from npm
	chromium
	# fetching DuckDB and helm from npm, checking deployment files
	unzip openssl python3 python3-yaml docker-compose
	# benchmarks
	wrk
)

missing=()
# npm may come with a nodejs from elsewhere (which conflicts with Debian's
# npm package): only ask Debian for it when there is none.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if ((${#missing[@]} > 0)); then
	echo "deps: installing ${missing[*]}"
	if [[ $(id -u) -ne 0 ]]; then
		if command -v sudo >/dev/null 2>&1; then
			sudo=(sudo)
		else
			echo "deps: not root and no sudo: install these packages:" \
			    "${missing[*]}" >&2
			exit 1
		fi
	else
		sudo=()
	fi
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -qq
	"${sudo[@]}" apt-get install -y -qq --no-install-recommends \
	    "${missing[@]}" >/dev/null
	echo "deps: installed ${#missing[@]} packages"
else
	echo "deps: all ${#packages[@]} Debian packages present"
fi

if [[ -x $top/deploy/fetch-deps.sh ]]; then
	"$top/deploy/fetch-deps.sh" duckdb playwright
fi
