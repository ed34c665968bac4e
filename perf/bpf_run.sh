#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# perf/bpf_run.sh - ringnet's classic BPF benchmark (perf/bpf_bench.c): the
# VM's speed on a corpus of tcpdump filters, and the cost of a filter
# attached to a receiving UDP socket flooded on 127.0.0.1.
#
#   bash perf/bpf_run.sh
#
# VM: the corpus below is compiled with `tcpdump -dd -y RAW 'EXPR'` into
# perf/build/bpf/corpus/*.dd; `bpf_bench vm` parses each (rn_bpf_parse_dd),
# disassembles it, loads it in rn_bpf_vm_new and runs it over a set of 12
# IPv4 packets for VM_SECS seconds (default 1), reporting packets/s and VM
# instructions/s (instructions counted by a separate step-counting pass, see
# bpf_bench.c).
#
# Filters on a socket: `bpf_bench recv FILTER` receives with
# rn_ipv4_packetconn_read_batch of 64 (udp_batch's ringnet receiver) from
# `udp_batch send -m gso` (one thread, 64-datagram UDP_SEGMENT sends of
# numbered datagrams), with FILTER attached by rn_bpf_attach:
#   none    no filter
#   all     ret #65535 (keeps everything)
#   tenth   keeps the datagrams whose sequence number is 0 mod 10
# It warms up for 0.3 s after its first datagram, measures for SECS seconds
# (default 2) and prints received and offered datagrams/s, its CPU per
# datagram, and the sender CPU's time split from /proc/stat (on loopback the
# sender's CPU runs the receive softirq, where the kernel runs the filter).
#
# Each of ROUNDS rounds (default 5) runs the VM pass (the corpus's order
# rotating) and then each receiver once (their order rotating).  The table
# at the end has the medians over the rounds.  A full run takes about
# 2.5 minutes (plus the first build of the library).
#
# With PIN=1 (the default) the VM pass and the receivers run on CPU 1, the
# sender on CPU 0 (as perf/udp_run.sh); PIN=0 lets the scheduler place them
# (and drops the sender-CPU columns).
#
# Environment:
#   ROUNDS, SECS, VM_SECS      as above
#   SIZE                       datagram size (default 64)
#   FILTERS                    default "none all tenth"
#   PIN=0|1                    as above (default 1)
#   RINGNET_BUILD=DIR          link libringnet.a from this CMake build tree
#                              (default: build it in perf/build/ringnet, the
#                              project's RelWithDebInfo flags, -O2 -g)
#
# Output: the raw lines in perf/build/bpf/results.txt, each run's output in
# perf/build/bpf/*.out and *.err, the table (Markdown) on stdout and in
# perf/build/bpf/table.md.
# Exit status: 0 on success, 1 when a build or a run fails.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
SECS=${SECS:-2}
VM_SECS=${VM_SECS:-1}
SIZE=${SIZE:-64}
FILTERS=${FILTERS:-none all tenth}
PIN=${PIN:-1}
WARM=0.3

# The VM corpus: what people capture with, from one-word protocols to
# header arithmetic.  -y RAW: the packets start at the IP header.
CORPUS=(
	'udp'
	'tcp'
	'icmp'
	'port 53'
	'udp port 53'
	'tcp port 80 or tcp port 443'
	'host 127.0.0.1'
	'src net 10.0.0.0/8'
	'dst host 10.0.0.2 and tcp dst port 80'
	'not port 22 and not icmp'
	'udp portrange 1024-65535'
	'len > 100'
	'less 128'
	'greater 1000 and (tcp or udp)'
	'ip[6:2] & 0x1fff != 0'
	'ip[1] & 0xfc == 0xb8'
	'tcp[tcpflags] & tcp-syn != 0'
	'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn'
	'tcp port 443 and tcp[((tcp[12] & 0xf0) >> 2)] = 0x16'
	'udp port 53 and udp[10] & 0x80 != 0'
	'icmp[icmptype] == icmp-echo'
)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
out=$here/build/bpf
mkdir -p "$out"
# shellcheck source=perf/lib.sh
. "$here/lib.sh"

for tool in cc cmake pkg-config awk tcpdump; do
	command -v "$tool" >/dev/null || die "$tool is needed (bash scripts/deps.sh)"
done

# ---- build -------------------------------------------------------------------
echo "== building" >&2
if [[ -z "${RINGNET_BUILD:-}" ]]; then
	RINGNET_BUILD=$here/build/ringnet
	cmake -S "$root" -B "$RINGNET_BUILD" -DRINGNET_TESTS=OFF >"$out/cmake.log" 2>&1 ||
		die "cmake failed: see $out/cmake.log"
	cmake --build "$RINGNET_BUILD" --target ringnet_static -j"$(nproc)" >>"$out/cmake.log" 2>&1 ||
		die "building libringnet.a failed: see $out/cmake.log"
fi
[[ -f "$RINGNET_BUILD/libringnet.a" ]] || die "no libringnet.a in $RINGNET_BUILD"
for p in bpf_bench udp_batch; do
	# shellcheck disable=SC2046 # pkg-config's flags are words
	cc -O2 -g -Wall -Wextra -I"$root/include" -I"$RINGNET_BUILD/include" -o "$out/$p" \
		"$here/$p.c" "$RINGNET_BUILD/libringnet.a" $(pkg-config --libs liburing libbpf) \
		-lpthread || die "cc $p.c failed"
done

# ---- the corpus ------------------------------------------------------------------
corpus=$out/corpus
rm -rf "$corpus"
mkdir -p "$corpus"
files=()
for ((i = 0; i < ${#CORPUS[@]}; i++)); do
	f=$corpus/$(printf 'f%02d' $((i + 1))).dd
	{
		echo "# ${CORPUS[$i]}"
		tcpdump -dd -y RAW "${CORPUS[$i]}"
	} >"$f" 2>"$out/tcpdump.err" || die "tcpdump -dd '${CORPUS[$i]}': $(cat "$out/tcpdump.err")"
	files+=("$f")
done

# ---- runs --------------------------------------------------------------------
recv_cpu=()
send_cpu=()
sender_opt=(-S -1)
if [[ "$PIN" == 1 ]]; then
	recv_cpu=(taskset -c 1)
	send_cpu=(taskset -c 0)
	sender_opt=(-S 0)
fi
recv_pid=
send_pid=

cleanup() {
	for p in $send_pid $recv_pid; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# recv_run FILTER: one receiver against the sender; its result line goes to
# $result.  (Not in a subshell: the EXIT trap must see the pids.)
recv_run() {
	local f=$1 addr i
	local ro=$out/recv-$f.out
	: >"$ro" # before the receiver opens it: the loop below reads it
	"${recv_cpu[@]}" "$out/bpf_bench" recv "$f" -s "$SIZE" -d "$SECS" -w "$WARM" \
		"${sender_opt[@]}" 127.0.0.1:0 >"$ro" 2>"$out/recv-$f.err" &
	recv_pid=$!
	addr=
	for ((i = 0; i < 100; i++)); do
		addr=$(awk '/^listening on /{print $3; exit}' "$ro")
		[[ -n "$addr" ]] && break
		kill -0 "$recv_pid" 2>/dev/null || break
		sleep 0.05
	done
	[[ -n "$addr" ]] || die "recv $f did not say where it listens: $(cat "$out/recv-$f.err")"
	"${send_cpu[@]}" "$out/udp_batch" send -m gso -s "$SIZE" \
		-d "$(awk -v s="$SECS" 'BEGIN { print s + 5 }')" "$addr" \
		>"$out/sender.out" 2>"$out/sender.err" &
	send_pid=$!
	wait "$recv_pid" || die "recv $f failed: $(cat "$out/recv-$f.err")"
	recv_pid=
	kill -TERM "$send_pid" 2>/dev/null || true
	wait "$send_pid" 2>/dev/null || true
	send_pid=
	[[ -s "$out/sender.err" ]] && die "the sender failed: $(cat "$out/sender.err")"
	result=$(grep '^filter=' "$ro") || die "recv $f printed no result: $(cat "$ro" "$out/recv-$f.err")"
}

results=$out/results.txt
: >"$results"
read -r -a filters <<<"$FILTERS"
nfilt=${#filters[@]}
nfiles=${#files[@]}

for ((round = 1; round <= ROUNDS; round++)); do
	# Rotate the orders, so drift in the machine hits every case alike.
	order=()
	for ((i = 0; i < nfiles; i++)); do
		order+=("${files[$(((i + round - 1) % nfiles))]}")
	done
	echo "== round $round of $ROUNDS: VM, ${#order[@]} filters, ${VM_SECS} s each" >&2
	"${recv_cpu[@]}" "$out/bpf_bench" vm -d "$VM_SECS" "${order[@]}" >"$out/vm.out" \
		2>"$out/vm.err" || die "bpf_bench vm failed: $(cat "$out/vm.err")"
	sed "s/^/round=$round /" "$out/vm.out" >>"$results"
	grep '^vm_total=' "$out/vm.out" >&2

	order=()
	for ((i = 0; i < nfilt; i++)); do
		order+=("${filters[$(((i + round - 1) % nfilt))]}")
	done
	echo "== round $round of $ROUNDS: receivers (${order[*]})" >&2
	for f in "${order[@]}"; do
		recv_run "$f"
		echo "round=$round $result" | tee -a "$results" >&2
	done
done

# ---- the tables ------------------------------------------------------------------
# stat SELECTOR VALUE KEY [median|max]: over the lines whose SELECTOR=VALUE
# ("filter=f03", "vm_total=1"), the median (or max) of KEY.  The words of a
# VM line's expr= (last on the line) hold no KEY=VALUE of the keys asked for.
stat() {
	stat_of "$results" "${4:-median}" "$3" "$1=$2"
}

# The median of the numbers on stdin.
median() {
	sort -g | awk '{ v[n++] = $1 } END { print (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2 }'
}

table=$out/table.md
{
	echo "| VM: filter (\`tcpdump -y RAW\`), median of $ROUNDS | insns | insns run/packet | kept of 12 | packets/s (M) | insns/s (M) | ns/packet |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	pps_all=()
	ips_all=()
	for f in "${files[@]}"; do
		id=$(basename "$f" .dd)
		expr=$(head -1 "$f" | sed 's/^# //; s/|/\\|/g')
		pps=$(stat filter "$id" pps)
		ips=$(stat filter "$id" insns_per_s)
		pps_all+=("$pps")
		ips_all+=("$ips")
		# shellcheck disable=SC2016 # the backquotes are Markdown's
		printf '| `%s` | %s | %.2f | %s | %.1f | %.0f | %.1f |\n' "$expr" \
			"$(stat filter "$id" insns)" "$(stat filter "$id" insns_per_pkt)" \
			"$(stat filter "$id" accepted)" "$(awk -v v="$pps" 'BEGIN { print v / 1e6 }')" \
			"$(awk -v v="$ips" 'BEGIN { print v / 1e6 }')" "$(stat filter "$id" ns_per_pkt)"
	done
	printf '| **median of the %d filters** | | | | %.1f | %.0f | |\n' "$nfiles" \
		"$(printf '%s\n' "${pps_all[@]}" | median | awk '{ print $1 / 1e6 }')" \
		"$(printf '%s\n' "${ips_all[@]}" | median | awk '{ print $1 / 1e6 }')"
	printf '| **all filters together** (total instructions / total time) | | | | %.1f | %.0f | |\n' \
		"$(stat vm_total 1 pps | awk '{ print $1 / 1e6 }')" \
		"$(stat vm_total 1 insns_per_s | awk '{ print $1 / 1e6 }')"
	echo

	head="| $SIZE B datagrams, filter on the socket (median of $ROUNDS) |"
	sep="| --- |"
	for f in "${filters[@]}"; do
		head+=" $f |"
		sep+=" ---: |"
	done
	echo "$head"
	echo "$sep"
	row() { # LABEL KEY FORMAT [median|max]
		local line="| $1 |" f
		for f in "${filters[@]}"; do
			line+=" $(awk -v f="$3" -v v="$(stat filter "$f" "$2" "${4:-median}")" \
				'BEGIN { if (v == "-") print v; else printf f, v }') |"
		done
		echo "$line"
	}
	row "received datagrams/s" pps "%.0f"
	row "offered datagrams/s (through the filter)" offered_pps "%.0f"
	row "kept by the filter but lost (queue full), in the ${SECS} s" lost "%.0f"
	row "received that the filter should drop (max)" leaked "%.0f" max
	row "receiver CPU ns/datagram received" cpu_ns_per_pkt "%.0f"
	row "receiver CPU use (of one core)" cpu_util "%.2f"
	row "datagrams per ReadBatch call" pkts_per_call "%.2f"
	if [[ "$PIN" == 1 ]]; then
		row "sender CPU busy" sender_busy "%.2f"
		row "sender CPU in softirq (receive path)" sender_softirq "%.2f"
		row "sender CPU ns/offered datagram" sender_ns_per_offered "%.0f"
		row "softirq ns/offered datagram" softirq_ns_per_offered "%.0f"
	fi
} >"$table"
echo
cat "$table"
