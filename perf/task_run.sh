#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# perf/task_run.sh - ringnet's task benchmark: four TCP echo servers at 1,000
# and 10,000 connections, driven by the same client (perf/echo_load.c), on
# 127.0.0.1 only.
#
#   bash perf/task_run.sh
#
# Servers:
#   tasks    tools/ringnet-echo: one thread, a task per connection (rn_go, rn_run)
#   thread   perf/thread_echo.c: the engine without tasks, a thread (and so a
#            ring) per connection - ringnet-echo's data path before tasks
#   epoll    perf/epoll_echo.c: one thread, level-triggered epoll, in C
#   go       perf/go/echo.go: a goroutine per connection (Go 1.19)
# All read into a 32 KiB buffer per connection and write back what they read.
#
# For each round (ROUNDS, default 5), each number of connections N (CONNS,
# default "1000 10000") and each server, the order of the servers rotating
# from round to round, one cell:
#   1. the server starts afresh on 127.0.0.1:0 (on CPU 1 with PIN=1) and its
#      VmRSS is read from /proc/PID/status (RSS with 0 conns);
#   2. `echo_load pingpong -i -c N` (on CPU 0) opens N conns, makes one 64 B
#      exchange on each and leaves them idle; VmRSS is read again 0.5 s later:
#      memory per idle conn = (RSS with N idle conns - RSS with 0) / N;
#   3. the same conns run the 64 B ping-pong for SECS seconds (default 3):
#      requests/s, p50 and p99 latency, the server's CPU time (utime +
#      stime of every thread, /proc/PID/stat) per request, and how busy
#      CPUs 0 and 1 were (/proc/stat).  CPU 1's busy time per request is
#      the server's whole cost, the softirq work of its sends included,
#      which the process's own CPU time leaves out; on a quiet machine its
#      inverse is the rate one core could serve when the client is the
#      bottleneck (as one client thread is here at 10,000 conns);
#   4. the client closes its conns and the server is stopped.
# The table at the end holds the medians over the rounds, with the ratios
# tasks/thread, tasks/epoll and tasks/go, and the issue's aims checked.
# A full run takes about 3½ minutes on a quiet machine (plus the first build
# of the library; more when cells wait for the CPUs to settle).
#
# Open files: every process here is limited to the hard RLIMIT_NOFILE (20000
# on the project's machines, where root lacks CAP_SYS_RESOURCE to raise it).
# thread_echo needs two descriptors per conn (the socket and its thread's
# ring); when 2N + 64 does not fit, its cell runs with as many conns as fit
# and the table says how many.
#
# Environment:
#   ROUNDS, SECS, CONNS        as above
#   SERVERS                    default "tasks thread epoll go"
#   PIN=0|1                    server on CPU 1, client on CPU 0 (default 1)
#   RINGNET_BUILD=DIR          use this CMake build tree's libringnet.a and
#                              tools/ringnet-echo instead of building them in
#                              perf/build/ringnet (the project's RelWithDebInfo
#                              flags, -O2 -g)
#   GO=PATH                    the Go 1.19 go command (see scripts/go119.sh)
#
# Output: the raw lines in perf/build/task/results.txt, the servers' and the
# client's output in perf/build/task/*.out and *.err, the table (Markdown)
# on stdout and in perf/build/task/table.md.
# Exit status: 0 on success, 1 when a build, a server or a run fails.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
SECS=${SECS:-3}
CONNS=${CONNS:-1000 10000}
SERVERS=${SERVERS:-tasks thread epoll go}
PIN=${PIN:-1}
SIZE=64

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
out=$here/build/task
mkdir -p "$out"

die() {
	echo "task_run.sh: $*" >&2
	exit 1
}

for tool in cc cmake pkg-config awk getconf taskset; do
	command -v "$tool" >/dev/null || die "$tool is needed (bash scripts/deps.sh)"
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)

# ---- build -------------------------------------------------------------------
echo "== building" >&2
if [[ -z "${RINGNET_BUILD:-}" ]]; then
	RINGNET_BUILD=$here/build/ringnet
	cmake -S "$root" -B "$RINGNET_BUILD" -DRINGNET_TESTS=OFF >"$out/cmake.log" 2>&1 ||
		die "cmake failed: see $out/cmake.log"
	cmake --build "$RINGNET_BUILD" --target ringnet_static ringnet-echo -j"$(nproc)" \
		>>"$out/cmake.log" 2>&1 || die "building ringnet failed: see $out/cmake.log"
fi
[[ -f "$RINGNET_BUILD/libringnet.a" ]] || die "no libringnet.a in $RINGNET_BUILD"
ringnet_echo=$RINGNET_BUILD/tools/ringnet-echo
[[ -x "$ringnet_echo" ]] || die "no tools/ringnet-echo in $RINGNET_BUILD"
for prog in epoll_echo echo_load; do
	cc -O2 -Wall -Wextra -o "$out/$prog" "$here/$prog.c" || die "cc $prog.c failed"
done
# shellcheck disable=SC2046 # pkg-config's flags are words
cc -O2 -g -Wall -Wextra -I"$root/include" -I"$RINGNET_BUILD/include" -o "$out/thread_echo" \
	"$here/thread_echo.c" "$RINGNET_BUILD/libringnet.a" $(pkg-config --libs liburing libbpf) \
	-lpthread || die "cc thread_echo.c failed"
if [[ " $SERVERS " == *" go "* ]]; then
	(
		# shellcheck source=scripts/go119.sh
		. "$root/scripts/go119.sh"
		go119_find || exit 1
		go119_env "$out/go"
		# shellcheck disable=SC2154 # go119_find sets $go
		cd "$here/go" && "$go" build -o "$out/go_echo" echo.go && "$go" version
	) >"$out/go.log" 2>&1 || die "building the Go server failed: see $out/go.log"
fi

# ---- runs --------------------------------------------------------------------
server_cpu=()
client_cpu=()
if [[ "$PIN" == 1 ]]; then
	server_cpu=(taskset -c 1)
	client_cpu=(taskset -c 0)
fi
hz=$(getconf CLK_TCK)
srv_pid=
cli_pid=

cleanup() {
	for p in $cli_pid $srv_pid; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

server_cmd() {
	case $1 in
	tasks) echo "$ringnet_echo" ;;
	thread) echo "$out/thread_echo" ;;
	epoll) echo "$out/epoll_echo" ;;
	go) echo "$out/go_echo" ;;
	*) die "unknown server $1" ;;
	esac
}

# conns_for SERVER N: the conns SERVER can hold under the open-files limit.
conns_for() {
	local n=$2 per=1
	[[ "$1" == thread ]] && per=2
	if ((per * n + 64 > nofile)); then
		n=$(((nofile - 64) / per))
	fi
	echo "$n"
}

# cpu_busy: "BUSY0 TOTAL0 BUSY1 TOTAL1", clock ticks of CPUs 0 and 1 so far
# (/proc/stat; iowait counts as idle: a thread waiting in io_uring_enter
# shows up there).
cpu_busy() {
	awk '$1 == "cpu0" || $1 == "cpu1" {
		busy = $2 + $3 + $4 + $7 + $8 + $9; total = busy + $5 + $6
		printf "%d %d ", busy, total }' /proc/stat
}

# busy_ticks BEFORE AFTER CPU: CPU's busy clock ticks between two cpu_busy.
busy_ticks() {
	awk -v b="$1" -v a="$2" -v c="$3" 'BEGIN {
		split(b, x, " "); split(a, y, " "); print y[2 * c + 1] - x[2 * c + 1] }'
}

# busy_pct BEFORE AFTER CPU: how busy CPU (0 or 1) was between two cpu_busy.
busy_pct() {
	awk -v b="$1" -v a="$2" -v c="$3" 'BEGIN {
		split(b, x, " "); split(a, y, " "); i = 2 * c + 1
		d = y[i + 1] - x[i + 1]; printf "%.0f", (d > 0 ? 100 * (y[i] - x[i]) / d : 0) }'
}

# settle: wait (at most 15 s) until both CPUs were under 25 % busy for 0.2 s:
# thread_echo's rings are torn down by the kernel after it exits, which
# keeps both CPUs busy for about 8 s after 10,000 conns (1 s after 1,000),
# and the machine is shared.
settle() {
	local i b0 b1
	for ((i = 0; i < 75; i++)); do
		b0=$(cpu_busy)
		sleep 0.2
		b1=$(cpu_busy)
		if (($(busy_pct "$b0" "$b1" 0) < 25 && $(busy_pct "$b0" "$b1" 1) < 25)); then
			return 0
		fi
	done
	echo "$(basename "$0"): the CPUs are still busy (other work on the machine?); going on" >&2
}

status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

cpu_ticks() {
	local stat
	stat=$(<"/proc/$1/stat")
	stat=${stat##*) }
	awk '{print $12 + $13}' <<<"$stat"
}

# wait_for FILE PATTERN PID WHAT: until FILE has a line matching PATTERN.
wait_for() {
	local i
	for ((i = 0; i < 600; i++)); do
		grep -q "$2" "$1" && return 0
		kill -0 "$3" 2>/dev/null || die "$4 exited: $(tail -3 "$1" "${1%.out}.err")"
		sleep 0.1
	done
	die "$4: no \"$2\" within 60 s"
}

# cell ROUND SERVER N: one fresh server, its idle memory, then the ping-pong.
cell() {
	local round=$1 s=$2 want=$3 n so=$out/$2.out co=$out/client.out
	local addr rss0 rss1 threads before after line reqs busy0 busy1 core
	n=$(conns_for "$s" "$want")
	settle
	: >"$so"
	# shellcheck disable=SC2046 # the command is words
	"${server_cpu[@]}" $(server_cmd "$s") 127.0.0.1:0 >"$so" 2>>"$out/$s.err" &
	srv_pid=$!
	wait_for "$so" '^listening on ' "$srv_pid" "$s"
	addr=$(awk '/^listening on /{print $3; exit}' "$so")
	sleep 0.2
	rss0=$(status_kb "$srv_pid" VmRSS)

	: >"$co"
	"${client_cpu[@]}" "$out/echo_load" pingpong -i -c "$n" -s "$SIZE" -d "$SECS" "$addr" \
		>"$co" 2>"$out/client.err" &
	cli_pid=$!
	wait_for "$co" '^idle conns=' "$cli_pid" "echo_load against $s"
	sleep 0.5
	rss1=$(status_kb "$srv_pid" VmRSS)
	threads=$(status_kb "$srv_pid" Threads)

	before=$(cpu_ticks "$srv_pid")
	busy0=$(cpu_busy)
	kill -USR1 "$cli_pid"
	wait "$cli_pid" || die "echo_load against $s ($n conns) failed: $(cat "$out/client.err")"
	cli_pid=
	busy1=$(cpu_busy)
	after=$(cpu_ticks "$srv_pid")
	kill -TERM "$srv_pid" 2>/dev/null || true
	wait "$srv_pid" 2>/dev/null || true
	srv_pid=

	line=$(grep '^mode=' "$co") || die "echo_load printed no result against $s"
	reqs=$(awk '{for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "requests") print kv[2] }}' <<<"$line")
	core=$(busy_ticks "$busy0" "$busy1" 1)
	echo "round=$round server=$s want=$want $line rss0_kb=$rss0 rss_kb=$rss1 threads=$threads" \
		"idle_b_per_conn=$(awk -v a="$rss0" -v b="$rss1" -v n="$n" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }')" \
		"cpu_us_per_req=$(awk -v b="$before" -v a="$after" -v hz="$hz" -v n="$reqs" 'BEGIN { printf "%.3f", (a - b) * 1e6 / hz / n }')" \
		"core_us_per_req=$(awk -v t="$core" -v hz="$hz" -v n="$reqs" 'BEGIN { printf "%.3f", t * 1e6 / hz / n }')" \
		"kreq_per_core=$(awk -v t="$core" -v hz="$hz" -v n="$reqs" 'BEGIN { printf "%.1f", (t > 0 ? n / (t / hz) / 1000 : 0) }')" \
		"cpu0_busy_pct=$(busy_pct "$busy0" "$busy1" 0) cpu1_busy_pct=$(busy_pct "$busy0" "$busy1" 1)" |
		tee -a "$results" >&2
}

results=$out/results.txt
: >"$results"
read -r -a srvs <<<"$SERVERS"
nsrv=${#srvs[@]}
for s in "${srvs[@]}"; do
	server_cmd "$s" >/dev/null
	: >"$out/$s.err"
done
echo "== open files limit $nofile; $ROUNDS rounds of ${srvs[*]} at $CONNS conns" >&2
for ((round = 1; round <= ROUNDS; round++)); do
	order=()
	for ((i = 0; i < nsrv; i++)); do
		order+=("${srvs[$(((i + round - 1) % nsrv))]}")
	done
	for want in $CONNS; do
		echo "== round $round of $ROUNDS, $want conns (${order[*]})" >&2
		for s in "${order[@]}"; do
			cell "$round" "$s" "$want"
		done
	done
done

# ---- the table -----------------------------------------------------------------
# stat SERVER WANT KEY: the median over the rounds.
stat() {
	awk -v s="$1" -v w="$2" -v k="$3" '
		{
			ok = 0; v = ""
			for (i = 1; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] == "server" && kv[2] == s) ok++
				if (kv[1] == "want" && kv[2] == w) ok++
				if (kv[1] == k) v = kv[2]
			}
			if (ok == 2 && v != "") vals[n++] = v + 0
		}
		END {
			if (n == 0) { print "-"; exit }
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++)
				if (vals[j] < vals[i]) { t = vals[i]; vals[i] = vals[j]; vals[j] = t }
			print (n % 2) ? vals[int(n / 2)] : (vals[n / 2 - 1] + vals[n / 2]) / 2
		}' "$results"
}

# row LABEL WANT KEY FORMAT [SCALE] [RATIOS]: one value per server (divided
# by SCALE), then tasks/thread, tasks/epoll, tasks/go (RATIOS 0: empty cells).
row() {
	local s vals=()
	for s in "${srvs[@]}"; do
		vals+=("$(stat "$s" "$2" "$3")")
	done
	printf '%s\n' "${vals[@]}" | awk -v l="$1" -v f="$4" -v sc="${5:-1}" -v ratios="${6:-1}" \
		-v names="${srvs[*]}" '
		{ v[NR] = $1 }
		END {
			n = split(names, nm, " ")
			printf "| %s |", l
			for (i = 1; i <= n; i++) {
				val[nm[i]] = v[i]
				if (v[i] == "-") printf " - |"; else printf " " f " |", v[i] / sc
			}
			split("thread epoll go", den, " ")
			for (j = 1; j <= 3; j++) {
				a = val["tasks"]; b = val[den[j]]
				if (!ratios) printf " |"
				else if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) printf " - |"
				else printf " %.2f |", a / b
			}
			printf "\n"
		}'
}

# ratio A B WANT KEY: median of A / median of B.
ratio() {
	local a b
	a=$(stat "$1" "$3" "$4")
	b=$(stat "$2" "$3" "$4")
	awk -v a="$a" -v b="$b" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}

# aim TEXT VALUE OP LIMIT: one line of the aims' check.
aim() {
	local verdict
	verdict=$(awk -v v="$2" -v op="$3" -v lim="$4" 'BEGIN {
		if (v == "-") { print "not measured"; exit }
		ok = (op == ">=") ? (v + 0 >= lim + 0) : (v + 0 < lim + 0)
		print ok ? "met" : "NOT met" }')
	echo "- $1: $2 (aim $3 $4): $verdict"
}

table=$out/table.md
{
	for want in $CONNS; do
		head="| $want conns, 64 B ping-pong (median of $ROUNDS) |"
		sep="| --- |"
		for s in "${srvs[@]}"; do
			head+=" $s |"
			sep+=" ---: |"
		done
		echo "$head tasks/thread | tasks/epoll | tasks/go |"
		echo "$sep ---: | ---: | ---: |"
		row "connections held" "$want" conns "%.0f" 1 0
		row "requests/s" "$want" rps "%.0f"
		row "p50 latency, ms" "$want" p50_us "%.2f" 1000
		row "p99 latency, ms" "$want" p99_us "%.2f" 1000
		row "server process CPU µs/request" "$want" cpu_us_per_req "%.2f"
		row "CPU 1 busy µs/request (server + its softirqs)" "$want" core_us_per_req "%.2f"
		row "requests/s per server core (1 / the above), k" "$want" kreq_per_core "%.1f"
		row "CPU 0 (client) busy, %" "$want" cpu0_busy_pct "%.0f" 1 0
		row "CPU 1 (server) busy, %" "$want" cpu1_busy_pct "%.0f" 1 0
		row "RSS per idle conn, KiB" "$want" idle_b_per_conn "%.1f" 1024
		row "RSS with 0 conns, MiB" "$want" rss0_kb "%.1f" 1024
		row "server threads with the conns open" "$want" threads "%.0f" 1 0
		echo
	done
	echo "Aims (medians):"
	for want in $CONNS; do
		aim "$want conns: requests/s tasks/thread" "$(ratio tasks thread "$want" rps)" ">=" 0.90
		aim "$want conns: requests/s tasks/go" "$(ratio tasks go "$want" rps)" ">=" 1.50
		aim "$want conns: requests/s per server core tasks/go" "$(ratio tasks go "$want" kreq_per_core)" ">=" 1.50
		aim "$want conns: RSS per idle conn tasks/go" "$(ratio tasks go "$want" idle_b_per_conn)" "<" 1.00
	done
} >"$table"
echo
cat "$table"
for s in "${srvs[@]}"; do
	if [[ -s "$out/$s.err" ]]; then
		echo "task_run.sh: $s wrote on stderr (see $out/$s.err):" >&2
		head -5 "$out/$s.err" >&2
	fi
done
