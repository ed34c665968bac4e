#!/usr/bin/env bash
# Install the Debian 12 packages ringnet needs to build and test, only those
# that are missing.  Runs as root (or through sudo when it is there);
# non-interactive; `apt-get update` only when something must be installed.
#
#   bash scripts/deps.sh          # build and test packages
#   bash scripts/deps.sh --build  # only what building the library needs
set -euo pipefail

build_pkgs=(cmake pkg-config gcc libc6-dev make liburing-dev libbpf-dev check libcjson-dev)
# clang + its runtime: sanitizers and libFuzzer; golang-1.19-go: the Go 1.19
# oracle test; binutils: objdump/nm for the install test;
# golang-golang-x-net-dev: golang.org/x/net for perf/udp_run.sh's Go receiver;
# tcpdump: its -dd/-ddd output is what the BPF text tests compare with;
# iputils-ping: the reference tests/install/ping.sh holds ringnet-ping against.
test_pkgs=(clang libclang-rt-14-dev golang-1.19-go binutils golang-golang-x-net-dev tcpdump
  iputils-ping)

pkgs=("${build_pkgs[@]}")
case ${1:-} in
  --build) ;;
  "") pkgs+=("${test_pkgs[@]}") ;;
  *) echo "usage: bash scripts/deps.sh [--build]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "deps: all ${#pkgs[@]} packages present"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "deps: missing ${missing[*]}; run this script as root to install them" >&2
    exit 1
  fi
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
