// SPDX-License-Identifier: BSD-3-Clause

// ipv4batch is the Go receiver of ringnet's batched-UDP benchmark
// (perf/udp_run.sh): golang.org/x/net/ipv4's PacketConn.ReadBatch on a
// net.ListenPacket("udp4", ADDRESS) conn, measured exactly as perf/udp_batch.c
// measures its C receivers, and driven by the same sender (udp_batch send).
//
//	ipv4batch [-s SIZE] [-b BATCH] [-d SECONDS] [-w SECONDS] [-r RCVBUF] ADDRESS
//
// It prints "listening on ADDR", waits for the first datagram, receives for
// the warm-up (-w, default 0.3 s), then for -d SECONDS (default 2) and prints
// one line with the keys udp_batch prints (mode=go ...).  cpu_ns_per_pkt is
// the whole process's CPU time (CLOCK_PROCESS_CPUTIME_ID: the receiving
// goroutine's thread, the runtime's other threads, the garbage collector)
// per packet; there is no thread_ns_per_pkt, as a goroutine may move
// between threads.  allocs is runtime.MemStats.Mallocs across the window
// (heap objects allocated by anything in the process).
//
// Build it in GOPATH mode against Debian's golang-golang-x-net-dev, with no
// network: GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off \
// /usr/lib/go-1.19/bin/go build -o ipv4batch perf/go/ipv4batch.go
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/net/ipv4"
)

const (
	rxBuf     = 2048 // per message, as udp_batch's receivers
	msgTrunc  = 0x20 // MSG_TRUNC
	rxTimeout = 6 * time.Second
)

// processCPU is CLOCK_PROCESS_CPUTIME_ID in nanoseconds.
func processCPU() int64 {
	var ts syscall.Timespec
	const clockProcessCPUTimeID = 2
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockProcessCPUTimeID,
		uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "ipv4batch: "+format+"\n", args...)
	os.Exit(1)
}

type rx struct {
	size                    int
	pkts, bad, calls, total uint64
	firstSeq, lastSeq       uint64
	haveSeq                 bool
	pc                      *ipv4.PacketConn
	ms                      []ipv4.Message
	renew                   time.Time
}

// read is one ReadBatch and the per-datagram check udp_batch makes.
func (r *rx) read(now time.Time) {
	if now.After(r.renew) {
		r.renew = now.Add(time.Second)
		if err := r.pc.SetReadDeadline(now.Add(rxTimeout)); err != nil {
			fail("%v", err)
		}
	}
	n, err := r.pc.ReadBatch(r.ms, 0)
	r.calls++
	if err != nil {
		fail("%v", err)
	}
	for i := 0; i < n; i++ {
		m := &r.ms[i]
		r.total++
		if m.N != r.size || m.Flags&msgTrunc != 0 {
			r.bad++
			continue
		}
		seq := binary.LittleEndian.Uint64(m.Buffers[0])
		if !r.haveSeq {
			r.firstSeq, r.haveSeq = seq, true
		}
		r.lastSeq = seq
		r.pkts++
	}
}

func main() {
	size := flag.Int("s", 64, "datagram size to expect")
	batch := flag.Int("b", 64, "messages per ReadBatch")
	secs := flag.Float64("d", 2, "seconds to measure")
	warm := flag.Float64("w", 0.3, "seconds of warm-up")
	rcvbuf := flag.Int("r", 4<<20, "SO_RCVBUF")
	flag.Parse()
	if flag.NArg() != 1 || *batch < 1 || *batch > 1024 || *size < 8 || *size > rxBuf {
		fmt.Fprintln(os.Stderr, "usage: ipv4batch [-s SIZE] [-b BATCH] [-d SECONDS] [-w SECONDS] [-r RCVBUF] ADDRESS")
		os.Exit(2)
	}

	c, err := net.ListenPacket("udp4", flag.Arg(0))
	if err != nil {
		fail("%v", err)
	}
	if err := c.(*net.UDPConn).SetReadBuffer(*rcvbuf); err != nil {
		fail("%v", err)
	}
	r := &rx{size: *size, pc: ipv4.NewPacketConn(c), ms: make([]ipv4.Message, *batch)}
	bufs := make([]byte, *batch*rxBuf)
	for i := range r.ms {
		r.ms[i].Buffers = [][]byte{bufs[i*rxBuf : (i+1)*rxBuf]}
	}
	fmt.Printf("listening on %v\n", c.LocalAddr())

	r.read(time.Now())
	t := time.Now()
	for end := t.Add(time.Duration(*warm * 1e9)); t.Before(end); t = time.Now() {
		r.read(t)
	}
	r.pkts, r.bad, r.calls, r.haveSeq = 0, 0, 0, false
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := processCPU()
	t0 := time.Now()
	t = t0
	for end := t0.Add(time.Duration(*secs * 1e9)); t.Before(end); t = time.Now() {
		r.read(t)
	}
	t1 := t
	cpu1 := processCPU()
	runtime.ReadMemStats(&ms1)

	s := t1.Sub(t0).Seconds()
	var offered, lost uint64
	if r.haveSeq {
		offered = r.lastSeq - r.firstSeq + 1
	}
	if offered > r.pkts {
		lost = offered - r.pkts
	}
	n := r.pkts
	if n == 0 {
		n = 1
	}
	calls := r.calls
	if calls == 0 {
		calls = 1
	}
	allocs := ms1.Mallocs - ms0.Mallocs
	fmt.Printf("mode=go size=%d batch=%d packets=%d seconds=%.3f pps=%.0f offered_pps=%.0f "+
		"lost=%d bad=%d calls=%d pkts_per_call=%.2f cpu_ns_per_pkt=%.1f "+
		"allocs=%d allocs_per_call=%.3f total_packets=%d\n",
		*size, *batch, r.pkts, s, float64(r.pkts)/s, float64(offered)/s,
		lost, r.bad, r.calls, float64(r.pkts+r.bad)/float64(calls),
		float64(cpu1-cpu0)/float64(n), allocs, float64(allocs)/float64(calls), r.total)
	c.Close()
}
