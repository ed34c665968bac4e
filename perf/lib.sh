# SPDX-License-Identifier: BSD-3-Clause
#
# perf/lib.sh - the shell functions that perf/run.sh, perf/task_run.sh,
# perf/proxy_run.sh and perf/udp_run.sh share: building the library and the
# small C and Go programs, pinning, reading CPU time, waiting for quiet CPUs
# and for a program's "listening on" line, medians over the result lines, and
# the Markdown table's rows.
#
#   here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)   # perf/
#   root=$(dirname "$here")                              # the repository
#   out=$here/build/NAME                                 # the script's output
#   . "$here/lib.sh"
#
# The functions read those three variables, and PIN (pin_cpus) and
# RINGNET_BUILD (cc_ringnet); sourcing it sets hz (clock ticks per second).
# Result lines are words KEY=VALUE, one run per line; stat_of picks lines by
# their words and takes the median (or the maximum) of one KEY over them.
# Errors end the script through die, which names the script.
#
# shellcheck shell=bash
# shellcheck disable=SC2154 # here, root and out are the script's
# shellcheck disable=SC2034 # hz, on_cpu0 and on_cpu1 are for the scripts

: "${here:?} ${root:?} ${out:?}" # set before sourcing this
hz=$(getconf CLK_TCK)

# die MESSAGE...: say "SCRIPT: MESSAGE" on stderr and exit 1.
die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# need_tools HINT TOOL...: die unless every TOOL is on PATH; the message is
# "TOOL is needed (HINT)", with {} in HINT standing for TOOL.
need_tools() {
	local hint=$1 tool
	shift
	for tool; do
		command -v "$tool" >/dev/null || die "$tool is needed (${hint//\{\}/$tool})"
	done
}

# build_ringnet DIR WHAT TARGET...: configure the repository in DIR (the
# project's default RelWithDebInfo flags, -O2 -g) and build TARGETs; the log
# goes to $out/cmake.log, WHAT names the targets when it fails.
build_ringnet() {
	local dir=$1 what=$2
	shift 2
	cmake -S "$root" -B "$dir" -DRINGNET_TESTS=OFF >"$out/cmake.log" 2>&1 ||
		die "cmake failed: see $out/cmake.log"
	cmake --build "$dir" --target "$@" -j"$(nproc)" >>"$out/cmake.log" 2>&1 ||
		die "building $what failed: see $out/cmake.log"
}

# cc_plain PROG...: compile perf/PROG.c, which needs nothing but libc, to $out/PROG.
cc_plain() {
	local prog
	for prog; do
		cc -O2 -Wall -Wextra -o "$out/$prog" "$here/$prog.c" || die "cc $prog.c failed"
	done
}

# cc_ringnet PROG: compile perf/PROG.c to $out/PROG against the libringnet.a
# of $RINGNET_BUILD and its dependencies.
cc_ringnet() {
	# shellcheck disable=SC2046 # pkg-config's flags are words
	cc -O2 -g -Wall -Wextra -I"$root/include" -I"$RINGNET_BUILD/include" -o "$out/$1" \
		"$here/$1.c" "$RINGNET_BUILD/libringnet.a" $(pkg-config --libs liburing libbpf) \
		-lpthread || die "cc $1.c failed"
}

# build_go SOURCE OUTPUT WHAT [GOPATH_DIR]: build perf/go/SOURCE to
# $out/OUTPUT with Go 1.19 (scripts/go119.sh) in a private environment under
# $out/go, GOPATH_DIR added to its GOPATH; the log, with `go version` at its
# end, goes to $out/go.log, WHAT names the program when it fails.
build_go() {
	(
		# shellcheck source=scripts/go119.sh
		. "$root/scripts/go119.sh"
		go119_find || exit 1
		go119_env "$out/go"
		if [[ -n "${4:-}" ]]; then
			export GOPATH="$GOPATH:$4"
		fi
		# shellcheck disable=SC2154 # go119_find sets $go
		cd "$here/go" && "$go" build -o "$out/$2" "$1" && "$go" version
	) >"$out/go.log" 2>&1 || die "building $3 failed: see $out/go.log"
}

# pin_cpus: with PIN=1, on_cpu0 and on_cpu1 become the command prefixes that
# run a program on CPU 0 or CPU 1 (taskset); else they are empty.
pin_cpus() {
	on_cpu0=()
	on_cpu1=()
	if [[ "${PIN:-0}" == 1 ]]; then
		on_cpu0=(taskset -c 0)
		on_cpu1=(taskset -c 1)
	fi
}

# reap PID...: stop each PID (SIGTERM) and wait for it; no PID, nothing.
reap() {
	local p
	for p; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# on_exit FUNCTION: run FUNCTION when the script exits, and exit (130) on
# SIGINT and SIGTERM, so that it runs then too.
on_exit() {
	# shellcheck disable=SC2064 # FUNCTION is known now
	trap "$1" EXIT
	trap 'exit 130' INT TERM
}

# cpu_ticks PID: the process's CPU time so far, in clock ticks: utime + stime
# of every thread (/proc/PID/stat).
cpu_ticks() {
	local stat
	stat=$(<"/proc/$1/stat")
	stat=${stat##*) } # past "PID (COMM) ": field 3 (state) is now field 1
	awk '{print $12 + $13}' <<<"$stat"
}

# per_req_us BEFORE AFTER N: the clock ticks from BEFORE to AFTER in µs per
# one of N requests (%.3f).
per_req_us() {
	awk -v b="$1" -v a="$2" -v hz="$hz" -v n="$3" 'BEGIN { printf "%.3f", (a - b) * 1e6 / hz / n }'
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

# settle SECONDS: wait (at most SECONDS) until both CPUs were under 25 % busy
# for 0.2 s, so that other work on the shared machine ends before a run.
settle() {
	local i b0 b1
	for ((i = 0; i < $1 * 5; i++)); do
		b0=$(cpu_busy)
		sleep 0.2
		b1=$(cpu_busy)
		if (($(busy_pct "$b0" "$b1" 0) < 25 && $(busy_pct "$b0" "$b1" 1) < 25)); then
			return 0
		fi
	done
	echo "$(basename "$0"): the CPUs are still busy (other work on the machine?); going on" >&2
}

# wait_line FILE PATTERN PID WHAT SECONDS ERRFILE: wait (at most SECONDS)
# until FILE has a line matching PATTERN; die when PID exits first (showing
# the ends of FILE and ERRFILE) or the time is up.
wait_line() {
	local i
	for ((i = 0; i < $5 * 10; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || die "$4 exited: $(tail -5 "$1" "$6" 2>/dev/null)"
		sleep 0.1
	done
	die "$4: no \"$2\" within $5 s"
}

# listen_addr FILE [PATTERN]: the third word of FILE's first line matching
# PATTERN (default "^listening on "): the address a program said it took.
listen_addr() {
	awk -v p="${2:-^listening on }" '$0 ~ p {print $3; exit}' "$1"
}

# field KEY LINE: the value of KEY=VALUE in a result line.
field() {
	awk -v k="$1" '{for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] }}' <<<"$2"
}

# rotate ROUND NAME...: the NAMEs rotated left by ROUND - 1, so that from
# round to round each runs in every place and drift in the machine hits all
# alike.
rotate() {
	local round=$1
	shift
	local names=("$@") order=() i
	for ((i = 0; i < $#; i++)); do
		order+=("${names[$(((i + round - 1) % $#))]}")
	done
	echo "${order[*]}"
}

# perf_counts_syscalls: whether `perf stat` counts the
# raw_syscalls:sys_enter tracepoint here (a probe, in $out/perf-probe.txt).
perf_counts_syscalls() {
	command -v perf >/dev/null &&
		perf stat -e raw_syscalls:sys_enter -x, -o "$out/perf-probe.txt" -- true 2>/dev/null &&
		grep -q '^[0-9]*,.*raw_syscalls:sys_enter' "$out/perf-probe.txt"
}

# stat_of FILE median|max KEY FILTER...: the median (or the maximum) of KEY's
# values over FILE's lines that pass every FILTER: K=V (the line has the word
# K=V) or !K (it has no word K=...); "-" when no line does.
stat_of() {
	local file=$1 how=$2 key=$3
	shift 3
	awk -v k="$key" -v how="$how" -v filters="$*" '
		BEGIN { nf = split(filters, f, " ") }
		{
			split("", word); split("", has); v = ""
			for (i = 1; i <= NF; i++) {
				split($i, kv, "=")
				word[kv[1] "=" kv[2]] = 1; has[kv[1]] = 1
				if (kv[1] == k) v = kv[2]
			}
			ok = 1
			for (j = 1; j <= nf; j++) {
				if (substr(f[j], 1, 1) == "!") { if (substr(f[j], 2) in has) ok = 0 }
				else if (!(f[j] in word)) ok = 0
			}
			if (ok && v != "") vals[n++] = v + 0
		}
		END {
			if (n == 0) { print "-"; exit }
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++)
				if (vals[j] < vals[i]) { t = vals[i]; vals[i] = vals[j]; vals[j] = t }
			if (how == "max") print vals[n - 1]
			else print (n % 2) ? vals[int(n / 2)] : (vals[n / 2 - 1] + vals[n / 2]) / 2
		}' "$file"
}

# table_head TITLE COLUMN...: a Markdown table's head: TITLE over the
# labels, then a right-aligned column per COLUMN.
table_head() {
	local head="| $1 |" sep="| --- |" c
	shift
	for c; do
		head+=" $c |"
		sep+=" ---: |"
	done
	echo "$head"
	echo "$sep"
}

# table_row LABEL FORMAT SCALE RATIOS NAMES PAIRS VALUE...: a Markdown table
# row: LABEL, each VALUE ("-": none) divided by SCALE in printf FORMAT, then
# a cell per PAIR "A/B" of NAMES (the VALUEs' names, in order), the ratio of
# their values (%.2f), "-" when either is missing or B is 0; with RATIOS 0
# those cells stay empty.
table_row() {
	printf '%s\n' "${@:7}" | awk -v l="$1" -v f="$2" -v sc="$3" -v ratios="$4" \
		-v names="$5" -v pairs="$6" '
		{ v[NR] = $1 }
		END {
			n = split(names, nm, " ")
			printf "| %s |", l
			for (i = 1; i <= n; i++) {
				val[nm[i]] = v[i]
				if (v[i] == "-") printf " - |"; else printf " " f " |", v[i] / sc
			}
			np = split(pairs, pr, " ")
			for (j = 1; j <= np; j++) {
				split(pr[j], ab, "/"); a = val[ab[1]]; b = val[ab[2]]
				if (!ratios) printf " |"
				else if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) printf " - |"
				else printf " %.2f |", a / b
			}
			printf "\n"
		}'
}

# show_stderr NAME FILE: when FILE (NAME's stderr) is not empty, say so and
# show its first lines.
show_stderr() {
	if [[ -s "$2" ]]; then
		echo "$(basename "$0"): $1 wrote on stderr (see $2):" >&2
		head -5 "$2" >&2
	fi
}
