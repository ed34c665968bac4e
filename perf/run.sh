#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# perf/run.sh - ringnet's echo benchmark: ringnet-echo against a plain epoll
# echo server (perf/epoll_echo.c), both driven by the same client
# (perf/echo_load.c), on 127.0.0.1 only.
#
#   bash perf/run.sh
#
# For each round (ROUNDS, default 3) and each load - ping-pong of 64 B with 1
# conn, ping-pong of 64 B with 64 conns, a stream of 4 KiB blocks on 16
# conns, each SECS seconds (default 3) - it runs the load against both
# servers, the order alternating from round to round, and reads the server's
# CPU time (utime+stime of /proc/PID/stat, every thread) before and after,
# for CPU µs per request.  Then, in each round, a separate STRACE_SECS run
# (default 1) of each load under `strace -c -f -p PID` counts the server's
# system calls per request; when `perf stat` can count the
# raw_syscalls:sys_enter tracepoint here, another such run counts them that
# way too, without ptrace slowing the server down.  The table at the end
# holds the medians over the rounds and the ratios ringnet/epoll.  The whole
# run takes about 2 minutes.
#
# Environment:
#   ROUNDS, SECS, STRACE_SECS   as above
#   PIN=1                       pin each server to CPU 1 and the client to CPU 0
#   RINGNET_ECHO=PATH           use this ringnet-echo instead of building one
#                               (the default builds the repository's, in
#                               perf/build/ringnet, with the project's default
#                               RelWithDebInfo flags: -O2 -g)
#
# Output: the raw results in perf/build/results.txt (one line per run), the
# strace and perf summaries in perf/build/{strace,perf}-SERVER-LOAD-roundN.txt,
# the table (Markdown) on stdout and in perf/build/table.md, the servers'
# stderr in perf/build/{ringnet,epoll}.log.
# Exit status: 0 on success, 1 when a build, a server or a run fails.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
SECS=${SECS:-3}
STRACE_SECS=${STRACE_SECS:-1}
PIN=${PIN:-0}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
out=$here/build
mkdir -p "$out"
# shellcheck source=perf/lib.sh
. "$here/lib.sh"

need_tools "apt-get install {}" cc cmake strace awk getconf

# ---- build -------------------------------------------------------------------
echo "== building" >&2
cc_plain epoll_echo echo_load
if [[ -z "${RINGNET_ECHO:-}" ]]; then
	build_ringnet "$out/ringnet" ringnet-echo ringnet-echo
	RINGNET_ECHO=$out/ringnet/tools/ringnet-echo
fi
[[ -x "$RINGNET_ECHO" ]] || die "$RINGNET_ECHO is not an executable"

# ---- servers -----------------------------------------------------------------
declare -A pid addr
strace_pid=
pin_cpus # with PIN=1: the servers on CPU 1, the client on CPU 0

cleanup() {
	if [[ -n "$strace_pid" ]]; then
		kill -INT "$strace_pid" 2>/dev/null || true
		wait "$strace_pid" 2>/dev/null || true
	fi
	for s in "${!pid[@]}"; do
		kill -TERM "${pid[$s]}" 2>/dev/null || true
	done
	for s in "${!pid[@]}"; do
		wait "${pid[$s]}" 2>/dev/null || true
	done
}
on_exit cleanup

# start_server NAME COMMAND...: start it on 127.0.0.1:0 and learn its address.
start_server() {
	local name=$1
	shift
	"${on_cpu1[@]}" "$@" 127.0.0.1:0 >"$out/$name.out" 2>"$out/$name.log" &
	pid[$name]=$!
	wait_line "$out/$name.out" '^listening on ' "${pid[$name]}" "$name" 10 "$out/$name.log"
	addr[$name]=$(listen_addr "$out/$name.out")
}

# load MODE-NAME SECONDS ADDRESS: run echo_load for one of the three loads.
load() {
	case $1 in
	pp1) "${on_cpu0[@]}" "$out/echo_load" pingpong -c 1 -s 64 -d "$2" "$3" ;;
	pp64) "${on_cpu0[@]}" "$out/echo_load" pingpong -c 64 -s 64 -d "$2" "$3" ;;
	st16) "${on_cpu0[@]}" "$out/echo_load" stream -c 16 -b 4096 -d "$2" "$3" ;;
	esac
}

results=$out/results.txt
: >"$results"

# measure ROUND SERVER MODE: one timed run, CPU read around it.
measure() {
	local round=$1 s=$2 mode=$3 before after line reqs cpu_us
	before=$(cpu_ticks "${pid[$s]}")
	line=$(load "$mode" "$SECS" "${addr[$s]}") || die "echo_load $mode against $s failed"
	sleep 0.2 # let the server's threads see the conns close
	after=$(cpu_ticks "${pid[$s]}")
	reqs=$(field requests "$line")
	cpu_us=$(per_req_us "$before" "$after" "$reqs")
	echo "round=$round server=$s load=$mode $line cpu_s=$(awk -v b="$before" -v a="$after" -v hz="$hz" 'BEGIN { printf "%.2f", (a - b) / hz }') cpu_us_per_req=$cpu_us" |
		tee -a "$results" >&2
}

# count_syscalls ROUND SERVER MODE TOOL: a short run of the load while TOOL
# counts the server's system calls: strace (`strace -c -f -p`, ptrace: every
# call stops the server, so the server runs slower than in the timed runs) or
# perf (`perf stat -e raw_syscalls:sys_enter -p`, a counter: no stops).
count_syscalls() {
	local round=$1 s=$2 mode=$3 tool=$4 line reqs calls i tracer
	local st=$out/$tool-$s-$mode-round$round.txt
	if [[ "$tool" == strace ]]; then
		strace -c -f -q -o "$st" -p "${pid[$s]}" &
		strace_pid=$!
		for ((i = 0; i < 50; i++)); do # wait until it is attached
			tracer=$(awk '/^TracerPid:/{print $2}' "/proc/${pid[$s]}/status")
			[[ "$tracer" != 0 ]] && break
			sleep 0.1
		done
		[[ "$tracer" != 0 ]] || die "strace did not attach to $s"
	else
		perf stat -e raw_syscalls:sys_enter -x, -o "$st" -p "${pid[$s]}" &
		strace_pid=$!
	fi
	sleep 0.3
	line=$(load "$mode" "$STRACE_SECS" "${addr[$s]}") || die "echo_load $mode against $s under $tool failed"
	sleep 0.2
	kill -INT "$strace_pid"
	wait "$strace_pid" || true
	strace_pid=
	reqs=$(field requests "$line")
	if [[ "$tool" == strace ]]; then
		calls=$(awk '$NF == "total" {print $4}' "$st")
	else
		calls=$(awk -F, '$3 == "raw_syscalls:sys_enter" {print $1}' "$st")
	fi
	[[ "$calls" =~ ^[0-9]+$ ]] || die "no count of system calls in $st"
	echo "round=$round server=$s load=$mode $tool=1 requests=$reqs syscalls=$calls syscalls_per_req=$(awk -v c="$calls" -v n="$reqs" 'BEGIN { printf "%.3f", c / n }')" |
		tee -a "$results" >&2
}

# perf's syscall counter is a cross-check; it is used when it works here.
use_perf=0
if perf_counts_syscalls; then
	use_perf=1
fi

echo "== starting servers" >&2
start_server ringnet "$RINGNET_ECHO"
start_server epoll "$out/epoll_echo"
echo "ringnet-echo ${addr[ringnet]} (pid ${pid[ringnet]}), epoll_echo ${addr[epoll]} (pid ${pid[epoll]})" >&2

# A short warm-up of each, not recorded.
for s in ringnet epoll; do
	load pp64 0.5 "${addr[$s]}" >/dev/null || die "warm-up against $s failed"
done

for ((round = 1; round <= ROUNDS; round++)); do
	if ((round % 2)); then order=(ringnet epoll); else order=(epoll ringnet); fi
	echo "== round $round of $ROUNDS (${order[*]})" >&2
	for mode in pp1 pp64 st16; do
		for s in "${order[@]}"; do
			measure "$round" "$s" "$mode"
		done
	done
	for mode in pp1 pp64 st16; do
		for s in "${order[@]}"; do
			count_syscalls "$round" "$s" "$mode" strace
			if ((use_perf)); then
				count_syscalls "$round" "$s" "$mode" perf
			fi
		done
	done
done

# ---- the table -----------------------------------------------------------------
# median SERVER MODE KEY [TOOL]: the median over the rounds of the timed
# runs, or of the runs under TOOL (strace or perf).
median() {
	local tool=('!strace' '!perf') # the timed runs: under neither
	if [[ "${4:-timed}" != timed ]]; then tool=("$4=1"); fi
	stat_of "$results" median "$3" server="$1" load="$2" "${tool[@]}"
}

row() { # row LABEL MODE KEY FORMAT [TOOL]
	table_row "$1" "$4" 1 1 "ringnet epoll" ringnet/epoll \
		"$(median ringnet "$2" "$3" "${5:-timed}")" "$(median epoll "$2" "$3" "${5:-timed}")"
}

table=$out/table.md
{
	table_head "load, metric (median of $ROUNDS)" ringnet-echo epoll_echo ringnet/epoll
	row "ping-pong 1 conn, requests/s" pp1 rps "%.0f"
	row "ping-pong 1 conn, p50 µs" pp1 p50_us "%.1f"
	row "ping-pong 1 conn, p99 µs" pp1 p99_us "%.1f"
	row "ping-pong 1 conn, server CPU µs/request" pp1 cpu_us_per_req "%.2f"
	row "ping-pong 1 conn, syscalls/request (strace -c)" pp1 syscalls_per_req "%.2f" strace
	if ((use_perf)); then row "ping-pong 1 conn, syscalls/request (perf stat)" pp1 syscalls_per_req "%.2f" perf; fi
	row "ping-pong 64 conns, requests/s" pp64 rps "%.0f"
	row "ping-pong 64 conns, p50 µs" pp64 p50_us "%.1f"
	row "ping-pong 64 conns, p99 µs" pp64 p99_us "%.1f"
	row "ping-pong 64 conns, server CPU µs/request" pp64 cpu_us_per_req "%.2f"
	row "ping-pong 64 conns, syscalls/request (strace -c)" pp64 syscalls_per_req "%.2f" strace
	if ((use_perf)); then row "ping-pong 64 conns, syscalls/request (perf stat)" pp64 syscalls_per_req "%.2f" perf; fi
	row "stream 16 conns, MiB/s" st16 mibps "%.1f"
	row "stream 16 conns, server CPU µs/4 KiB block" st16 cpu_us_per_req "%.2f"
	row "stream 16 conns, syscalls/4 KiB block (strace -c)" st16 syscalls_per_req "%.2f" strace
	if ((use_perf)); then row "stream 16 conns, syscalls/4 KiB block (perf stat)" st16 syscalls_per_req "%.2f" perf; fi
} >"$table"
echo
cat "$table"
for s in ringnet epoll; do
	show_stderr "$s" "$out/$s.log"
done
