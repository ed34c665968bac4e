#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# perf/proxy_run.sh - ringnet-proxy against haproxy, both in front of the
# same HTTP/1.1 backend, with wrk driving HTTP/1.1 keep-alive requests, on
# 127.0.0.1 only.
#
#   bash perf/proxy_run.sh
#
# Targets, each driven by the same `wrk -t1 -cCONNS -dSECS --latency`:
#   direct    wrk straight to the backend: the ceiling, no proxy
#   haproxy   Debian's haproxy, mode tcp, one thread (perf/haproxy.cfg)
#   ringnet   tools/ringnet-proxy (tasks, one thread: its default -t 1)
# The backend is perf/go/httpd.go (Go 1.19 net/http, keep-alive, a 64 B
# body).  Both proxies relay TCP: each wrk conn becomes one backend conn, and
# neither parses HTTP.
#
# For each round (ROUNDS, default 3) every target runs once, the order
# rotating from round to round: the proxy starts afresh, a 1 s wrk warm-up,
# then the measured run of SECS seconds (default 10); the proxy's CPU time
# (utime + stime, /proc/PID/stat) is read around it.  The table at the end
# holds the medians: requests/s, p50 and p99 latency (wrk's), the proxy's
# CPU µs per request, and the ratios ringnet/haproxy.  A full run takes
# about 2 minutes.
#
# With PIN=1 (the default) the proxy runs on CPU 1, and wrk and the backend
# share CPU 0: the machines have 2 cores, and the proxies are compared on
# one core each.  The backend is the same for both proxies; `direct` shows
# what CPU 0 does with no proxy in the way.
#
# haproxy and wrk are Debian packages; when they are missing and the script
# runs as root it installs them (apt-get install haproxy wrk), else it says
# what to install.
#
# Environment:
#   ROUNDS, SECS               as above
#   CONNS                      wrk's connections (default 100)
#   TARGETS                    default "direct haproxy ringnet"
#   PIN=0|1                    as above (default 1)
#   RINGNET_BUILD=DIR          use this CMake build tree's tools/ringnet-proxy
#                              instead of building it in perf/build/ringnet
#   GO=PATH                    the Go 1.19 go command (see scripts/go119.sh)
#
# Output: the raw lines in perf/build/proxy/results.txt, wrk's output and
# the programs' stderr in perf/build/proxy/, the table (Markdown) on stdout
# and in perf/build/proxy/table.md.
# Exit status: 0 on success, 1 when a build, an install or a run fails.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
SECS=${SECS:-10}
CONNS=${CONNS:-100}
TARGETS=${TARGETS:-direct haproxy ringnet}
PIN=${PIN:-1}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
out=$here/build/proxy
mkdir -p "$out"
# shellcheck source=perf/lib.sh
. "$here/lib.sh"

need_tools "bash scripts/deps.sh" cc cmake awk getconf taskset

# ---- haproxy and wrk -----------------------------------------------------------
need=()
command -v haproxy >/dev/null || need+=(haproxy)
command -v wrk >/dev/null || need+=(wrk)
if ((${#need[@]})); then
	[[ "$(id -u)" == 0 ]] || die "${need[*]} needed: apt-get install ${need[*]} (as root)"
	echo "== installing ${need[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	{
		apt-get install -y -q --no-install-recommends "${need[@]}" </dev/null ||
			{ apt-get update -q && apt-get install -y -q --no-install-recommends "${need[@]}" </dev/null; }
	} >"$out/apt.log" 2>&1 || die "apt-get install ${need[*]} failed: see $out/apt.log"
fi

# ---- build -------------------------------------------------------------------
echo "== building" >&2
if [[ -z "${RINGNET_BUILD:-}" ]]; then
	RINGNET_BUILD=$here/build/ringnet
	build_ringnet "$RINGNET_BUILD" ringnet-proxy ringnet-proxy
fi
ringnet_proxy=$RINGNET_BUILD/tools/ringnet-proxy
[[ -x "$ringnet_proxy" ]] || die "no tools/ringnet-proxy in $RINGNET_BUILD"
build_go httpd.go httpd "the Go backend"
haproxy -v 2>/dev/null | head -1 >"$out/versions.txt"
wrk -v 2>&1 | head -1 >>"$out/versions.txt" || true

# ---- runs --------------------------------------------------------------------
pin_cpus # the proxy on CPU 1, wrk and the backend on CPU 0
backend_pid=
proxy_pid=

cleanup() {
	# shellcheck disable=SC2086 # each is a pid or nothing
	reap $proxy_pid $backend_pid
}
on_exit cleanup

# free_port: a port below the ephemeral range with nothing listening on it
# (haproxy cannot bind port 0 and say which port it got).
free_port() {
	local p i
	for ((i = 0; i < 100; i++)); do
		p=$((20000 + RANDOM % 10000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}

# wait_listening PORT PID WHAT: until something accepts on 127.0.0.1:PORT.
wait_listening() {
	local i
	for ((i = 0; i < 100; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || die "$3 exited: $(tail -5 "$out/$3.err")"
		sleep 0.1
	done
	die "$3 does not listen on port $1 within 10 s"
}

# start_proxy TARGET: start it in front of the backend; sets $target_addr.
start_proxy() {
	local port
	case $1 in
	direct)
		target_addr=$backend_addr
		return 0
		;;
	haproxy)
		port=$(free_port)
		LISTEN=127.0.0.1:$port UPSTREAM=$backend_addr \
			"${on_cpu1[@]}" haproxy -db -f "$here/haproxy.cfg" \
			>"$out/haproxy.out" 2>>"$out/haproxy.err" &
		proxy_pid=$!
		wait_listening "$port" "$proxy_pid" haproxy
		target_addr=127.0.0.1:$port
		;;
	ringnet)
		"${on_cpu1[@]}" "$ringnet_proxy" 127.0.0.1:0 "$backend_addr" \
			>"$out/ringnet.out" 2>>"$out/ringnet.err" &
		proxy_pid=$!
		wait_line "$out/ringnet.out" '^proxy on ' "$proxy_pid" ringnet 10 "$out/ringnet.err"
		target_addr=$(listen_addr "$out/ringnet.out" '^proxy on ')
		;;
	*) die "unknown target $1" ;;
	esac
}

stop_proxy() {
	if [[ -n "$proxy_pid" ]]; then
		reap "$proxy_pid"
		proxy_pid=
	fi
}

# to_us VALUE: wrk's "1.23ms", "456.00us", "1.01s" in microseconds.
to_us() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) m = 1; else if (v ~ /ms$/) m = 1000; else if (v ~ /m$/) m = 60e6;
		else if (v ~ /s$/) m = 1e6; else m = 1
		sub(/[a-z]+$/, "", v); printf "%.1f", v * m }'
}

# measure ROUND TARGET: warm-up, then one measured wrk run.
measure() {
	local round=$1 t=$2 wo=$out/wrk-$2-round$1.txt before=0 after=0 rps p50 p99 errs reqs cpu
	local busy0 busy1
	start_proxy "$t"
	"${on_cpu0[@]}" wrk -t1 -c"$CONNS" -d1s "http://$target_addr/" >/dev/null 2>&1 ||
		die "the wrk warm-up against $t failed"
	settle 5
	[[ -n "$proxy_pid" ]] && before=$(cpu_ticks "$proxy_pid")
	busy0=$(cpu_busy)
	"${on_cpu0[@]}" wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "http://$target_addr/" >"$wo" 2>&1 ||
		die "wrk against $t failed: see $wo"
	busy1=$(cpu_busy)
	[[ -n "$proxy_pid" ]] && after=$(cpu_ticks "$proxy_pid")
	stop_proxy
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$wo")
	reqs=$(awk '/requests in/ {print $1}' "$wo")
	p50=$(to_us "$(awk '$1 == "50%" {print $2}' "$wo")")
	p99=$(to_us "$(awk '$1 == "99%" {print $2}' "$wo")")
	errs=$(awk '/Non-2xx|Socket errors/ {print}' "$wo" | tr -s ' ' | tr '\n' ';')
	[[ -n "$rps" && -n "$reqs" ]] || die "no result in $wo"
	cpu=$(per_req_us "$before" "$after" "$reqs")
	echo "round=$round target=$t requests=$reqs rps=$rps p50_us=$p50 p99_us=$p99 cpu_us_per_req=$cpu core_us_per_req=$(per_req_us 0 "$(busy_ticks "$busy0" "$busy1" 1)" "$reqs") cpu0_busy_pct=$(busy_pct "$busy0" "$busy1" 0) cpu1_busy_pct=$(busy_pct "$busy0" "$busy1" 1)${errs:+ errors=${errs// /_}}" |
		tee -a "$results" >&2
}

echo "== starting the backend" >&2
: >"$out/backend.out"
"${on_cpu0[@]}" "$out/httpd" 127.0.0.1:0 >"$out/backend.out" 2>"$out/backend.err" &
backend_pid=$!
wait_line "$out/backend.out" '^listening on ' "$backend_pid" backend 10 "$out/backend.err"
backend_addr=$(listen_addr "$out/backend.out")
: >"$out/haproxy.err"
: >"$out/ringnet.err"

results=$out/results.txt
: >"$results"
read -r -a tgts <<<"$TARGETS"
for ((round = 1; round <= ROUNDS; round++)); do
	read -r -a order <<<"$(rotate "$round" "${tgts[@]}")"
	echo "== round $round of $ROUNDS (${order[*]})" >&2
	for t in "${order[@]}"; do
		measure "$round" "$t"
	done
done

# ---- the table -----------------------------------------------------------------
# row LABEL KEY FORMAT [SCALE] [RATIO]: one value per target, then
# ringnet/haproxy (RATIO 0: an empty cell).  `direct` has no proxy: no
# proxy's CPU time.
row() {
	local t vals=()
	for t in "${tgts[@]}"; do
		if [[ "$t" == direct && ("$1" == proxy* || "$1" == "CPU 1 busy µs"*) ]]; then
			vals+=(-)
		else
			vals+=("$(stat_of "$results" median "$2" target="$t")")
		fi
	done
	table_row "$1" "$3" "${4:-1}" "${5:-1}" "${tgts[*]}" ringnet/haproxy "${vals[@]}"
}

table=$out/table.md
{
	table_head "HTTP/1.1 keep-alive, wrk -t1 -c$CONNS -d${SECS}s (median of $ROUNDS)" \
		"${tgts[@]}" ringnet/haproxy
	row "requests/s" rps "%.0f"
	row "p50 latency, ms" p50_us "%.3f" 1000
	row "p99 latency, ms" p99_us "%.3f" 1000
	row "proxy process CPU µs/request" cpu_us_per_req "%.2f"
	row "CPU 1 busy µs/request (proxy + its softirqs)" core_us_per_req "%.2f"
	row "CPU 0 (wrk and backend) busy, %" cpu0_busy_pct "%.0f" 1 0
	row "CPU 1 (proxy) busy, %" cpu1_busy_pct "%.0f" 1 0
} >"$table"
echo
cat "$table"
if grep -q 'errors=' "$results"; then
	echo "proxy_run.sh: some runs had errors or non-2xx answers (see $results)" >&2
fi
# wrk ends its runs by closing conns with requests in flight: the resets
# that the proxies see then are expected, anything else is worth a look.
for f in haproxy ringnet backend; do
	resets=$(grep -c 'connection reset by peer' "$out/$f.err" || true)
	other=$(grep -v -e '^\[NOTICE\]' -e 'connection reset by peer' "$out/$f.err" || true)
	if ((resets > 0)); then
		echo "proxy_run.sh: $f logged $resets resets by peer (wrk closing its conns)" >&2
	fi
	if [[ -n "$other" ]]; then
		echo "proxy_run.sh: $f wrote on stderr (see $out/$f.err):" >&2
		head -5 <<<"$other" >&2
	fi
done
