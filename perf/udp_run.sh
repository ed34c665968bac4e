#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# perf/udp_run.sh - ringnet's batched-UDP benchmark: six receivers of the
# same datagram flood on 127.0.0.1, the same sender for all of them.
#
#   bash perf/udp_run.sh
#
# Receivers (perf/udp_batch.c, perf/go/ipv4batch.go):
#   recvfrom   a blocking recvfrom() loop
#   mmsg       recvmmsg(MSG_WAITFORONE), batch 64
#   uring      a reference, not a ringnet API: liburing's multishot RECVMSG
#              into a provided-buffer ring, each datagram copied out into
#              its own buffer as ReadBatch leaves it, up to 64 per call
#   ringnet    rn_ipv4_packetconn_read_batch, batch 64, from a plain thread
#   ringnet-task  the same from a task: ReadBatch takes what the socket's
#              multishot RECVMSG queued in the thread's datagram buffer ring
#   go         golang.org/x/net/ipv4 PacketConn.ReadBatch, batch 64 (Go 1.19,
#              Debian's golang-golang-x-net-dev, built in GOPATH mode offline)
# Sender: `udp_batch send -m gso`, one thread, a connected socket handing the
# kernel 64 datagrams at a time as one UDP_SEGMENT send (see udp_batch.c).
#
# For each datagram size (64 B and 1200 B) and each of ROUNDS rounds (default
# 5) every receiver runs once, the order rotating from round to round: the
# receiver starts on 127.0.0.1:0, the sender floods it, the receiver warms up
# for 0.3 s after its first datagram and then measures for SECS seconds
# (default 2) and prints its line; the sender is stopped.  Then, when
# `perf stat` can count the raw_syscalls:sys_enter tracepoint here, one more
# short run (COUNT_SECS, default 1) of each receiver under
# `perf stat -e raw_syscalls:sys_enter,context-switches` counts its system
# calls and context switches per datagram (whole process, set-up included).
# The table at the end has the medians over the rounds and the ratios
# of both ringnet receivers to mmsg and go.  A full run takes about 3 minutes (plus the
# first build of the library).
#
# With PIN=1 (the default) every receiver runs on CPU 1 and the sender on
# CPU 0: the machines have 2 cores, the sender needs one to itself to keep
# the receivers' sockets full, and a receiver confined to one core is
# compared per core (the Go runtime then runs with GOMAXPROCS=1).  A second
# sender thread would have to share a core with the receiver or the first
# sender, so there is one; UDP_SEGMENT makes it fast enough that the
# receivers' queues overflow (lost > 0): the receivers, not the sender, set
# the rate.  PIN=0 lets the scheduler place them.
#
# Environment:
#   ROUNDS, SECS, COUNT_SECS   as above
#   SIZES                      datagram sizes (default "64 1200")
#   RECEIVERS                  default "recvfrom mmsg uring ringnet ringnet-task go"
#   PIN=0|1                    as above (default 1)
#   RINGNET_BUILD=DIR          link libringnet.a from this CMake build tree
#                              (default: build it in perf/build/ringnet, the
#                              project's RelWithDebInfo flags, -O2 -g)
#   GO=PATH                    the Go 1.19 go command (see scripts/go119.sh)
#
# Output: the raw lines in perf/build/udp/results.txt, perf's counts in
# perf/build/udp/perf-RECEIVER-SIZE.txt, the receivers' and the sender's
# output in perf/build/udp/*.out and *.err, the table (Markdown) on stdout
# and in perf/build/udp/table.md.
# Exit status: 0 on success, 1 when a build or a run fails.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
SECS=${SECS:-2}
COUNT_SECS=${COUNT_SECS:-1}
SIZES=${SIZES:-64 1200}
RECEIVERS=${RECEIVERS:-recvfrom mmsg uring ringnet ringnet-task go}
PIN=${PIN:-1}
WARM=0.3

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
out=$here/build/udp
mkdir -p "$out"
# shellcheck source=perf/lib.sh
. "$here/lib.sh"

need_tools "bash scripts/deps.sh" cc cmake pkg-config awk

# ---- build -------------------------------------------------------------------
echo "== building" >&2
if [[ -z "${RINGNET_BUILD:-}" ]]; then
	RINGNET_BUILD=$here/build/ringnet
	build_ringnet "$RINGNET_BUILD" libringnet.a ringnet_static
fi
[[ -f "$RINGNET_BUILD/libringnet.a" ]] || die "no libringnet.a in $RINGNET_BUILD"
cc_ringnet udp_batch

if [[ " $RECEIVERS " == *" go "* ]]; then
	gocode=/usr/share/gocode
	[[ -d $gocode/src/golang.org/x/net/ipv4 ]] ||
		die "golang.org/x/net is needed: apt-get install golang-golang-x-net-dev (bash scripts/deps.sh)"
	# GOPATH mode, x/net from the Debian package: no module proxy, no network.
	build_go ipv4batch.go ipv4batch "the Go receiver" "$gocode"
fi

# ---- runs --------------------------------------------------------------------
pin_cpus # the receivers on CPU 1, the sender on CPU 0
recv_pid=
send_pid=

cleanup() {
	# shellcheck disable=SC2086 # each is a pid or nothing
	reap $send_pid $recv_pid
}
on_exit cleanup

# receiver_cmd RECEIVER SIZE SECONDS: the command line of one receiver.
receiver_cmd() {
	local args=(-s "$2" -d "$3" -w "$WARM" 127.0.0.1:0)
	case $1 in
	go) echo "$out/ipv4batch ${args[*]}" ;;
	*) echo "$out/udp_batch recv $1 ${args[*]}" ;;
	esac
}

# one_run RECEIVER SIZE SECONDS [PREFIX...]: run one receiver (under PREFIX,
# e.g. perf stat) against the sender; its result line goes to $result.
# (Not in a subshell: the EXIT trap must see the pids.)
one_run() {
	local r=$1 size=$2 secs=$3 addr
	shift 3
	local ro=$out/$r-$size.out
	: >"$ro" # before the receiver opens it: wait_line reads it
	# shellcheck disable=SC2046 # the command is words
	"${on_cpu1[@]}" "$@" $(receiver_cmd "$r" "$size" "$secs") >"$ro" 2>"$out/$r-$size.err" &
	recv_pid=$!
	wait_line "$ro" '^listening on ' "$recv_pid" "$r" 5 "$out/$r-$size.err"
	addr=$(listen_addr "$ro")
	"${on_cpu0[@]}" "$out/udp_batch" send -m gso -s "$size" \
		-d "$(awk -v s="$secs" 'BEGIN { print s + 5 }')" "$addr" \
		>"$out/sender.out" 2>"$out/sender.err" &
	send_pid=$!
	wait "$recv_pid" || die "$r failed: $(cat "$out/$r-$size.err")"
	recv_pid=
	reap "$send_pid"
	send_pid=
	[[ -s "$out/sender.err" ]] && die "the sender failed: $(cat "$out/sender.err")"
	result=$(grep '^mode=' "$ro") || die "$r printed no result: $(cat "$ro" "$out/$r-$size.err")"
}

results=$out/results.txt
: >"$results"
read -r -a recvs <<<"$RECEIVERS"

for size in $SIZES; do
	for ((round = 1; round <= ROUNDS; round++)); do
		read -r -a order <<<"$(rotate "$round" "${recvs[@]}")"
		echo "== $size B, round $round of $ROUNDS (${order[*]})" >&2
		for r in "${order[@]}"; do
			one_run "$r" "$size" "$SECS"
			echo "round=$round $result" | tee -a "$results" >&2
		done
	done
done

# perf's counters: whole-process system calls and context switches per datagram.
use_perf=0
if perf_counts_syscalls; then
	use_perf=1
fi
if ((use_perf)); then
	for size in $SIZES; do
		for r in "${recvs[@]}"; do
			pf=$out/perf-$r-$size.txt
			one_run "$r" "$size" "$COUNT_SECS" perf stat -x, -o "$pf" \
				-e raw_syscalls:sys_enter,context-switches --
			pkts=$(field total_packets "$result")
			calls=$(awk -F, '$3 == "raw_syscalls:sys_enter" {print $1}' "$pf")
			cs=$(awk -F, '$3 == "context-switches" {print $1}' "$pf")
			[[ "$calls" =~ ^[0-9]+$ && "$cs" =~ ^[0-9]+$ ]] || die "no counts in $pf"
			echo "perf=1 mode=$r size=$size total_packets=$pkts syscalls=$calls ctxsw=$cs syscalls_per_pkt=$(awk -v c="$calls" -v n="$pkts" 'BEGIN { printf "%.4f", c / n }') ctxsw_per_pkt=$(awk -v c="$cs" -v n="$pkts" 'BEGIN { printf "%.5f", c / n }')" |
				tee -a "$results" >&2
		done
	done
fi

# ---- the table -----------------------------------------------------------------
# stat RECEIVER SIZE KEY [median|max] [timed|perf]: over the matching lines.
stat() {
	local kind='!perf' # the timed runs: not under perf
	if [[ "${5:-timed}" == perf ]]; then kind=perf=1; fi
	stat_of "$results" "${4:-median}" "$3" mode="$1" size="$2" "$kind"
}

# row LABEL SIZE KEY FORMAT RATIOS [median|max] [timed|perf]: RATIOS 1 adds
# the ratios of both ringnet receivers to mmsg and go, 0 leaves those cells empty.
row() {
	local r vals=()
	for r in "${recvs[@]}"; do
		vals+=("$(stat "$r" "$2" "$3" "${6:-median}" "${7:-timed}")")
	done
	table_row "$1" "$4" 1 "$5" "${recvs[*]}" "$pairs" "${vals[@]}"
}

pairs="ringnet/mmsg ringnet/go ringnet-task/mmsg ringnet-task/go"
table=$out/table.md
{
	for size in $SIZES; do
		# shellcheck disable=SC2086 # the pairs are words
		table_head "$size B datagrams (median of $ROUNDS)" "${recvs[@]}" $pairs
		row "received datagrams/s" "$size" pps "%.0f" 1
		row "receiver CPU ns/datagram (process)" "$size" cpu_ns_per_pkt "%.0f" 1
		row "receiving thread CPU ns/datagram" "$size" thread_ns_per_pkt "%.0f" 1
		row "sent datagrams/s (offered)" "$size" offered_pps "%.0f" 0
		row "datagrams lost (receive queue full)" "$size" lost "%.0f" 0
		row "datagrams per receive call" "$size" pkts_per_call "%.2f" 0
		row "allocations per receive call (max of $ROUNDS)" "$size" allocs_per_call "%.3f" 0 max
		if ((use_perf)); then
			row "system calls/datagram (perf stat)" "$size" syscalls_per_pkt "%.4f" 1 median perf
			row "context switches/datagram (perf stat)" "$size" ctxsw_per_pkt "%.5f" 0 median perf
		fi
		echo
	done
} >"$table"
echo
cat "$table"
