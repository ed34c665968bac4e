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

die() {
	echo "proxy_run.sh: $*" >&2
	exit 1
}

for tool in cc cmake awk getconf taskset; do
	command -v "$tool" >/dev/null || die "$tool is needed (bash scripts/deps.sh)"
done

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
	cmake -S "$root" -B "$RINGNET_BUILD" -DRINGNET_TESTS=OFF >"$out/cmake.log" 2>&1 ||
		die "cmake failed: see $out/cmake.log"
	cmake --build "$RINGNET_BUILD" --target ringnet-proxy -j"$(nproc)" >>"$out/cmake.log" 2>&1 ||
		die "building ringnet-proxy failed: see $out/cmake.log"
fi
ringnet_proxy=$RINGNET_BUILD/tools/ringnet-proxy
[[ -x "$ringnet_proxy" ]] || die "no tools/ringnet-proxy in $RINGNET_BUILD"
(
	# shellcheck source=scripts/go119.sh
	. "$root/scripts/go119.sh"
	go119_find || exit 1
	go119_env "$out/go"
	# shellcheck disable=SC2154 # go119_find sets $go
	cd "$here/go" && "$go" build -o "$out/httpd" httpd.go && "$go" version
) >"$out/go.log" 2>&1 || die "building the Go backend failed: see $out/go.log"
haproxy -v 2>/dev/null | head -1 >"$out/versions.txt"
wrk -v 2>&1 | head -1 >>"$out/versions.txt" || true

# ---- runs --------------------------------------------------------------------
proxy_cpu=()
side_cpu=()
if [[ "$PIN" == 1 ]]; then
	proxy_cpu=(taskset -c 1)
	side_cpu=(taskset -c 0)
fi
hz=$(getconf CLK_TCK)
backend_pid=
proxy_pid=

cleanup() {
	for p in $proxy_pid $backend_pid; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cpu_ticks() {
	local stat
	stat=$(<"/proc/$1/stat")
	stat=${stat##*) }
	awk '{print $12 + $13}' <<<"$stat"
}

# cpu_busy: "BUSY0 TOTAL0 BUSY1 TOTAL1", clock ticks of CPUs 0 and 1 so far
# (/proc/stat; iowait counts as idle: a thread waiting in io_uring_enter
# shows up there).
cpu_busy() {
	awk '$1 == "cpu0" || $1 == "cpu1" {
		busy = $2 + $3 + $4 + $7 + $8 + $9; total = busy + $5 + $6
		printf "%d %d ", busy, total }' /proc/stat
}

# busy_pct BEFORE AFTER CPU: how busy CPU (0 or 1) was between two cpu_busy.
busy_pct() {
	awk -v b="$1" -v a="$2" -v c="$3" 'BEGIN {
		split(b, x, " "); split(a, y, " "); i = 2 * c + 1
		d = y[i + 1] - x[i + 1]; printf "%.0f", (d > 0 ? 100 * (y[i] - x[i]) / d : 0) }'
}

# settle: wait (at most 5 s) until both CPUs were under 25 % busy for 0.2 s,
# so a burst of other work on the shared machine ends before a run starts.
settle() {
	local i b0 b1
	for ((i = 0; i < 25; i++)); do
		b0=$(cpu_busy)
		sleep 0.2
		b1=$(cpu_busy)
		if (($(busy_pct "$b0" "$b1" 0) < 25 && $(busy_pct "$b0" "$b1" 1) < 25)); then
			return 0
		fi
	done
	echo "$(basename "$0"): the CPUs are still busy (other work on the machine?); going on" >&2
}

# wait_line FILE PATTERN PID WHAT: until FILE has a line matching PATTERN.
wait_line() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || die "$4 exited: $(tail -5 "$1" "$out/$4.err" 2>/dev/null)"
		sleep 0.1
	done
	die "$4: no \"$2\" within 10 s"
}

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
			"${proxy_cpu[@]}" haproxy -db -f "$here/haproxy.cfg" \
			>"$out/haproxy.out" 2>>"$out/haproxy.err" &
		proxy_pid=$!
		wait_listening "$port" "$proxy_pid" haproxy
		target_addr=127.0.0.1:$port
		;;
	ringnet)
		"${proxy_cpu[@]}" "$ringnet_proxy" 127.0.0.1:0 "$backend_addr" \
			>"$out/ringnet.out" 2>>"$out/ringnet.err" &
		proxy_pid=$!
		wait_line "$out/ringnet.out" '^proxy on ' "$proxy_pid" ringnet
		target_addr=$(awk '/^proxy on /{print $3; exit}' "$out/ringnet.out")
		;;
	*) die "unknown target $1" ;;
	esac
}

stop_proxy() {
	if [[ -n "$proxy_pid" ]]; then
		kill -TERM "$proxy_pid" 2>/dev/null || true
		wait "$proxy_pid" 2>/dev/null || true
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
	"${side_cpu[@]}" wrk -t1 -c"$CONNS" -d1s "http://$target_addr/" >/dev/null 2>&1 ||
		die "the wrk warm-up against $t failed"
	settle
	[[ -n "$proxy_pid" ]] && before=$(cpu_ticks "$proxy_pid")
	busy0=$(cpu_busy)
	"${side_cpu[@]}" wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "http://$target_addr/" >"$wo" 2>&1 ||
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
	cpu=$(awk -v b="$before" -v a="$after" -v hz="$hz" -v n="$reqs" \
		'BEGIN { printf "%.3f", (a - b) * 1e6 / hz / n }')
	echo "round=$round target=$t requests=$reqs rps=$rps p50_us=$p50 p99_us=$p99 cpu_us_per_req=$cpu core_us_per_req=$(awk -v b="$busy0" -v a="$busy1" -v hz="$hz" -v n="$reqs" 'BEGIN {
		split(b, x, " "); split(a, y, " "); printf "%.3f", (y[3] - x[3]) * 1e6 / hz / n }') cpu0_busy_pct=$(busy_pct "$busy0" "$busy1" 0) cpu1_busy_pct=$(busy_pct "$busy0" "$busy1" 1)${errs:+ errors=${errs// /_}}" |
		tee -a "$results" >&2
}

echo "== starting the backend" >&2
: >"$out/backend.out"
"${side_cpu[@]}" "$out/httpd" 127.0.0.1:0 >"$out/backend.out" 2>"$out/backend.err" &
backend_pid=$!
wait_line "$out/backend.out" '^listening on ' "$backend_pid" backend
backend_addr=$(awk '/^listening on /{print $3; exit}' "$out/backend.out")
: >"$out/haproxy.err"
: >"$out/ringnet.err"

results=$out/results.txt
: >"$results"
read -r -a tgts <<<"$TARGETS"
ntgt=${#tgts[@]}
for ((round = 1; round <= ROUNDS; round++)); do
	order=()
	for ((i = 0; i < ntgt; i++)); do
		order+=("${tgts[$(((i + round - 1) % ntgt))]}")
	done
	echo "== round $round of $ROUNDS (${order[*]})" >&2
	for t in "${order[@]}"; do
		measure "$round" "$t"
	done
done

# ---- the table -----------------------------------------------------------------
stat() {
	awk -v t="$1" -v k="$2" '
		{
			ok = 0; v = ""
			for (i = 1; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] == "target" && kv[2] == t) ok = 1
				if (kv[1] == k) v = kv[2]
			}
			if (ok && v != "") vals[n++] = v + 0
		}
		END {
			if (n == 0) { print "-"; exit }
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++)
				if (vals[j] < vals[i]) { t = vals[i]; vals[i] = vals[j]; vals[j] = t }
			print (n % 2) ? vals[int(n / 2)] : (vals[n / 2 - 1] + vals[n / 2]) / 2
		}' "$results"
}

# row LABEL KEY FORMAT [SCALE] [RATIO]: one value per target, then
# ringnet/haproxy (RATIO 0: an empty cell).
row() {
	local t vals=()
	for t in "${tgts[@]}"; do
		vals+=("$(stat "$t" "$2")")
	done
	printf '%s\n' "${vals[@]}" | awk -v l="$1" -v f="$3" -v sc="${4:-1}" -v ratio="${5:-1}" \
		-v names="${tgts[*]}" '
		{ v[NR] = $1 }
		END {
			n = split(names, nm, " ")
			printf "| %s |", l
			for (i = 1; i <= n; i++) {
				val[nm[i]] = v[i]
				if (v[i] == "-" || (nm[i] == "direct" && l ~ /^(proxy|CPU 1 busy µs)/)) printf " - |"
				else printf " " f " |", v[i] / sc
			}
			a = val["ringnet"]; b = val["haproxy"]
			if (!ratio) printf " |\n"
			else if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) printf " - |\n"
			else printf " %.2f |\n", a / b
		}'
}

table=$out/table.md
{
	head="| HTTP/1.1 keep-alive, wrk -t1 -c$CONNS -d${SECS}s (median of $ROUNDS) |"
	sep="| --- |"
	for t in "${tgts[@]}"; do
		head+=" $t |"
		sep+=" ---: |"
	done
	echo "$head ringnet/haproxy |"
	echo "$sep ---: |"
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
