#!/usr/bin/env bash
# install_smoke: install the current build into a temporary prefix and use
# it as a user would, through pkg-config and through find_package(ringnet).
#
#   smoke.sh BUILD_DIR SOURCE_DIR C_COMPILER [EXTRA_CFLAGS]
#
# EXTRA_CFLAGS carries the sanitizer flags of a sanitizer build, which every
# program linked against that build needs too.
set -euo pipefail

build=$1
src=$2
cc=$3
extra=${4:-}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ringnet-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

fail() { echo "install_smoke: FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" ||
  { cat "$tmp/install.log"; fail "cmake --install"; }

# ---- what was installed ------------------------------------------------------
pc=$(find "$prefix" -name ringnet.pc -print -quit)
[ -n "$pc" ] || fail "no ringnet.pc installed"
libdir=$(dirname "$(dirname "$pc")")
for f in "$prefix/include/ringnet/ringnet.h" "$prefix/include/ringnet/version.h" \
         "$prefix/include/ringnet/net.h" "$libdir/libringnet.a" "$libdir/libringnet.so" \
         "$libdir/cmake/ringnet/ringnetConfig.cmake" \
         "$libdir/cmake/ringnet/ringnetConfigVersion.cmake" \
         "$prefix/bin/ringnet-addr"; do
  [ -e "$f" ] || fail "missing ${f#"$prefix"/}"
done
for h in "$src"/../../include/ringnet/*.h; do
  [ -e "$prefix/include/ringnet/$(basename "$h")" ] || fail "header $(basename "$h") not installed"
done
soname=$(objdump -p "$libdir/libringnet.so" | awk '$1 == "SONAME" { print $2 }')
case $soname in
  libringnet.so.[0-9]*) echo "SONAME $soname" ;;
  *) fail "libringnet.so has SONAME '$soname'" ;;
esac
[ -e "$libdir/$soname" ] || fail "$soname not installed"
# Only the public rn_* API is exported from the shared library.
leaked=$(nm -D --defined-only "$libdir/libringnet.so" | awk '$2 ~ /[TDBR]/ && $3 !~ /^rn_/ { print $3 }' |
         grep -vE '^(_init|_fini|_edata|_end|__bss_start|RINGNET_0)$' || true)
[ -z "$leaked" ] || fail "non-rn_ symbols exported: $leaked"

# ---- a user's program --------------------------------------------------------
cat >"$tmp/hello.c" <<'C'
#include <stdio.h>
#include <ringnet/ringnet.h>

int main(void)
{
	char buf[RN_IP_STRLEN], err[256];
	rn_tcpaddr a;
	rn_ip ip = rn_parse_ip("127.0.0.1");

	rn_ip_string(ip, buf, sizeof buf);
	puts(buf);
	if (rn_resolve_tcp_addr("tcp", "127.0.0.1", &a) < 0) {
		rn_error_string(NULL, err, sizeof err);
		puts(err);
	}
	return rn_ip_is_loopback(ip) ? 0 : 1;
}
C
printf '127.0.0.1\naddress 127.0.0.1: missing port in address\n' >"$tmp/want"

check_run() { # NAME COMMAND...
  local name=$1; shift
  "$@" >"$tmp/got" || fail "$name exited $?"
  diff -u "$tmp/want" "$tmp/got" || fail "$name printed the wrong text"
  echo "ok $name"
}

export PKG_CONFIG_PATH="$libdir/pkgconfig"
step "pkg-config --cflags --libs ringnet: $(pkg-config --cflags --libs ringnet)"
[ "$(pkg-config --modversion ringnet)" = "$(sed -n 's/^#define RINGNET_VERSION_STRING "\(.*\)"/\1/p' "$prefix/include/ringnet/version.h")" ] ||
  fail "ringnet.pc and version.h disagree on the version"
# shellcheck disable=SC2046,SC2086 # word splitting of flags is intended
"$cc" $extra -Wall -Werror -o "$tmp/hello_pc" "$tmp/hello.c" $(pkg-config --cflags --libs ringnet)
check_run "pkg-config shared" env LD_LIBRARY_PATH="$libdir" "$tmp/hello_pc"

step "pkg-config --static: $(pkg-config --static --libs ringnet)"
# shellcheck disable=SC2046,SC2086
"$cc" $extra -Wall -Werror -o "$tmp/hello_pc_static" "$tmp/hello.c" \
  $(pkg-config --cflags ringnet) \
  $(pkg-config --static --libs ringnet | sed 's/-lringnet\b/-l:libringnet.a/')
check_run "pkg-config static" "$tmp/hello_pc_static"

# ---- a user's CMake project --------------------------------------------------
mkdir -p "$tmp/proj"
cp "$tmp/hello.c" "$tmp/proj/hello.c"
cat >"$tmp/proj/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(ringnet_consumer LANGUAGES C)
find_package(ringnet 0.1 REQUIRED)
add_executable(hello_shared hello.c)
target_link_libraries(hello_shared PRIVATE ringnet::ringnet)
add_executable(hello_static hello.c)
target_link_libraries(hello_static PRIVATE ringnet::ringnet_static)
CMAKE
step "find_package(ringnet) project"
cmake -S "$tmp/proj" -B "$tmp/proj/build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$extra" >"$tmp/cmake.log" 2>&1 ||
  { cat "$tmp/cmake.log"; fail "configuring a find_package(ringnet) project"; }
cmake --build "$tmp/proj/build" >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; fail "building a find_package(ringnet) project"; }
check_run "find_package ringnet::ringnet" "$tmp/proj/build/hello_shared"
check_run "find_package ringnet::ringnet_static" "$tmp/proj/build/hello_static"

# ---- the installed tool finds its library without help -----------------------
"$prefix/bin/ringnet-addr" 192.0.2.1 >"$tmp/tool.out" || fail "installed ringnet-addr exited $?"
grep -q 'ParseIP: *192\.0\.2\.1' "$tmp/tool.out" || { cat "$tmp/tool.out"; fail "installed ringnet-addr output"; }
echo "ok installed ringnet-addr"

echo "install_smoke: all checks passed"
