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
# thread, epoll and go read into a 32 KiB buffer per connection and write back
# what they read; tasks echoes out of the leased receive buffer (the conn's
# multishot receive fills the thread's buffer ring; no buffer per conn).
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
# shellcheck source=perf/lib.sh
. "$here/lib.sh"

need_tools "bash scripts/deps.sh" cc cmake pkg-config awk getconf taskset
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)

# ---- build -------------------------------------------------------------------
echo "== building" >&2
if [[ -z "${RINGNET_BUILD:-}" ]]; then
	RINGNET_BUILD=$here/build/ringnet
	build_ringnet "$RINGNET_BUILD" ringnet ringnet_static ringnet-echo
fi
[[ -f "$RINGNET_BUILD/libringnet.a" ]] || die "no libringnet.a in $RINGNET_BUILD"
ringnet_echo=$RINGNET_BUILD/tools/ringnet-echo
[[ -x "$ringnet_echo" ]] || die "no tools/ringnet-echo in $RINGNET_BUILD"
cc_plain epoll_echo echo_load
cc_ringnet thread_echo
if [[ " $SERVERS " == *" go "* ]]; then
	build_go echo.go go_echo "the Go server"
fi

# ---- runs --------------------------------------------------------------------
pin_cpus # the server on CPU 1, the client on CPU 0
srv_pid=
cli_pid=

cleanup() {
	# shellcheck disable=SC2086 # each is a pid or nothing
	reap $cli_pid $srv_pid
}
on_exit cleanup

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

status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# cell ROUND SERVER N: one fresh server, its idle memory, then the ping-pong.
cell() {
	local round=$1 s=$2 want=$3 n so=$out/$2.out co=$out/client.out
	local addr rss0 rss1 threads before after line reqs busy0 busy1 core
	n=$(conns_for "$s" "$want")
	# Up to 15 s: thread_echo's rings are torn down by the kernel after it
	# exits, which keeps both CPUs busy for about 8 s after 10,000 conns (1 s
	# after 1,000), and the machine is shared.
	settle 15
	: >"$so"
	# shellcheck disable=SC2046 # the command is words
	"${on_cpu1[@]}" $(server_cmd "$s") 127.0.0.1:0 >"$so" 2>>"$out/$s.err" &
	srv_pid=$!
	wait_line "$so" '^listening on ' "$srv_pid" "$s" 60 "$out/$s.err"
	addr=$(listen_addr "$so")
	sleep 0.2
	rss0=$(status_kb "$srv_pid" VmRSS)

	: >"$co"
	"${on_cpu0[@]}" "$out/echo_load" pingpong -i -c "$n" -s "$SIZE" -d "$SECS" "$addr" \
		>"$co" 2>"$out/client.err" &
	cli_pid=$!
	wait_line "$co" '^idle conns=' "$cli_pid" "echo_load against $s" 60 "$out/client.err"
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
	reap "$srv_pid"
	srv_pid=

	line=$(grep '^mode=' "$co") || die "echo_load printed no result against $s"
	reqs=$(field requests "$line")
	core=$(busy_ticks "$busy0" "$busy1" 1)
	echo "round=$round server=$s want=$want $line rss0_kb=$rss0 rss_kb=$rss1 threads=$threads" \
		"idle_b_per_conn=$(awk -v a="$rss0" -v b="$rss1" -v n="$n" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }')" \
		"cpu_us_per_req=$(per_req_us "$before" "$after" "$reqs")" \
		"core_us_per_req=$(per_req_us 0 "$core" "$reqs")" \
		"kreq_per_core=$(awk -v t="$core" -v hz="$hz" -v n="$reqs" 'BEGIN { printf "%.1f", (t > 0 ? n / (t / hz) / 1000 : 0) }')" \
		"cpu0_busy_pct=$(busy_pct "$busy0" "$busy1" 0) cpu1_busy_pct=$(busy_pct "$busy0" "$busy1" 1)" |
		tee -a "$results" >&2
}

results=$out/results.txt
: >"$results"
read -r -a srvs <<<"$SERVERS"
for s in "${srvs[@]}"; do
	server_cmd "$s" >/dev/null
	: >"$out/$s.err"
done
echo "== open files limit $nofile; $ROUNDS rounds of ${srvs[*]} at $CONNS conns" >&2
for ((round = 1; round <= ROUNDS; round++)); do
	read -r -a order <<<"$(rotate "$round" "${srvs[@]}")"
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
	stat_of "$results" median "$3" server="$1" want="$2"
}

# row LABEL WANT KEY FORMAT [SCALE] [RATIOS]: one value per server (divided
# by SCALE), then tasks/thread, tasks/epoll, tasks/go (RATIOS 0: empty cells).
row() {
	local s vals=()
	for s in "${srvs[@]}"; do
		vals+=("$(stat "$s" "$2" "$3")")
	done
	table_row "$1" "$4" "${5:-1}" "${6:-1}" "${srvs[*]}" "tasks/thread tasks/epoll tasks/go" \
		"${vals[@]}"
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
		table_head "$want conns, 64 B ping-pong (median of $ROUNDS)" "${srvs[@]}" \
			tasks/thread tasks/epoll tasks/go
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
	show_stderr "$s" "$out/$s.err"
done
