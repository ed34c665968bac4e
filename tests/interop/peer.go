// SPDX-License-Identifier: BSD-3-Clause
//
// peer.go - the Go 1.19 peer of ringnet's interoperability test
// (test_interop.c): real Go net endpoints on the other side of ringnet
// connections, and Go's own error texts for situations the C side
// reproduces with ringnet.
//
//	peer tcp-echo-server ADDR    prints "listening on ADDR", then for each conn
//	                             echoes until EOF, CloseWrite, prints "echoed N"
//	peer udp-echo-server ADDR    prints "listening on ADDR", echoes datagrams
//	peer unix-echo-server PATH   as tcp-echo-server on a Unix stream socket
//	peer tcp-client ADDR N       sends N pattern bytes, CloseWrite, reads the
//	                             echo to EOF and checks it; prints
//	                             "connected LOCAL->REMOTE" and "received N"
//	peer udp-client ADDR N       N datagrams of assorted sizes, each checked;
//	                             prints "local ADDR" and "received N"
//	peer errors CASE [ARG]       one line: CASE TIMEOUT LOCAL REMOTE TEXT
//	                             (tab-separated; "-" for no address)
//
// Servers exit when stdin reaches EOF (the test closes it), every mode after
// a bounded time.  Exit status: 0 ok, 1 a check failed, 2 usage, 3 time limit.
//
// The byte pattern (shared with test_interop.c and peer.py): byte i of a
// stream is base[i % 65521] ^ (i / 65521 & 0xff), base[j] = (j*2654435761 mod
// 2^32) >> 24.  Datagram k of a UDP run has size udpSizes[k % len] and holds
// the pattern from offset k*7919.
//
// Build: go build -o interop_peer peer.go   (no module, CGO_ENABLED=0)
package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const (
	patPrime  = 65521
	timeLimit = 60 * time.Second
)

var udpSizes = []int{1, 2, 100, 512, 1400, 1472, 4096, 8192, 16384, 32768, 65507}

var base = func() []byte {
	b := make([]byte, patPrime)
	for j := range b {
		b[j] = byte(uint32(j) * 2654435761 >> 24)
	}
	return b
}()

func pattern(off int64, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		k := off + int64(i)
		p[i] = base[k%patPrime] ^ byte(k/patPrime)
	}
	return p
}

var outMu sync.Mutex

func say(format string, args ...interface{}) {
	outMu.Lock()
	defer outMu.Unlock()
	fmt.Printf(format+"\n", args...)
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "peer.go: "+format+"\n", args...)
	os.Exit(1)
}

// stopping is set once stdin has reached EOF: errors after it are expected.
var stopping atomic.Bool

// exitOnStdinEOF: the test closes our stdin when it is done with us.
func exitOnStdinEOF(cleanup func()) {
	go func() {
		io.Copy(io.Discard, os.Stdin)
		stopping.Store(true)
		if cleanup != nil {
			cleanup()
		}
		os.Exit(0)
	}()
}

func echo(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeLimit))
	buf := make([]byte, 32*1024)
	var total int64
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				fmt.Fprintf(os.Stderr, "peer.go: echo write: %v\n", werr)
				return
			}
			total += int64(n)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "peer.go: echo read: %v\n", err)
			return
		}
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		if err := cw.CloseWrite(); err != nil {
			fmt.Fprintf(os.Stderr, "peer.go: CloseWrite: %v\n", err)
		}
	}
	say("echoed %d", total)
}

func streamEchoServer(network, addr string) {
	ln, err := net.Listen(network, addr)
	if err != nil {
		fail("%v", err)
	}
	exitOnStdinEOF(func() { ln.Close() })
	say("listening on %s", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			if stopping.Load() {
				select {} // exitOnStdinEOF is exiting
			}
			fail("%v", err)
		}
		go echo(c)
	}
}

func udpEchoServer(addr string) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		fail("%v", err)
	}
	exitOnStdinEOF(nil)
	say("listening on %s", pc.LocalAddr())
	buf := make([]byte, 65536)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			fail("%v", err)
		}
		if _, err := pc.WriteTo(buf[:n], from); err != nil {
			fail("%v", err)
		}
	}
}

func tcpClient(addr string, total int64) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		fail("%v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeLimit))
	say("connected %s->%s", c.LocalAddr(), c.RemoteAddr())
	werr := make(chan error, 1)
	go func() {
		var off int64
		for off < total {
			n := int64(1 + (off*131)%65536)
			if n > total-off {
				n = total - off
			}
			if _, err := c.Write(pattern(off, int(n))); err != nil {
				werr <- err
				return
			}
			off += n
		}
		werr <- c.(*net.TCPConn).CloseWrite()
	}()
	buf := make([]byte, 48*1024)
	var got int64
	for {
		n, err := c.Read(buf)
		if n > 0 {
			want := pattern(got, n)
			for i := 0; i < n; i++ {
				if buf[i] != want[i] {
					fail("echo differs at byte %d: got %#02x, want %#02x", got+int64(i), buf[i], want[i])
				}
			}
			got += int64(n)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			fail("read after %d bytes: %v", got, err)
		}
	}
	if err := <-werr; err != nil {
		fail("write: %v", err)
	}
	if got != total {
		fail("received %d bytes, want %d", got, total)
	}
	say("received %d", got)
}

func udpClient(addr string, count int) {
	c, err := net.Dial("udp", addr)
	if err != nil {
		fail("%v", err)
	}
	defer c.Close()
	say("local %s", c.LocalAddr())
	buf := make([]byte, 65536)
	for k := 0; k < count; k++ {
		want := pattern(int64(k)*7919, udpSizes[k%len(udpSizes)])
		ok := false
		for try := 0; try < 3 && !ok; try++ {
			if _, err := c.Write(want); err != nil {
				fail("datagram %d: %v", k, err)
			}
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			n, err := c.Read(buf)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if err != nil {
				fail("datagram %d: %v", k, err)
			}
			if n != len(want) || string(buf[:n]) != string(want) {
				fail("datagram %d: echo of %d bytes differs (want %d)", k, n, len(want))
			}
			ok = true
		}
		if !ok {
			fail("datagram %d: no echo after 3 tries", k)
		}
	}
	say("received %d", count)
}

// ---- error texts ------------------------------------------------------------

type result struct {
	err           error
	local, remote string
}

func addrText(a net.Addr) string {
	if a == nil {
		return "-"
	}
	return a.String()
}

func connResult(c net.Conn, err error) result {
	return result{err, addrText(c.LocalAddr()), addrText(c.RemoteAddr())}
}

// goServer: a Go listener whose one accepted conn is handed to fn once the
// returned dialed channel is closed (so the dial has completed before fn acts).
func goServer(network, addr string, fn func(net.Conn)) (net.Listener, chan struct{}) {
	ln, err := net.Listen(network, addr)
	if err != nil {
		fail("%v", err)
	}
	dialed := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		<-dialed
		fn(c)
	}()
	return ln, dialed
}

func mustDial(network, addr string) net.Conn {
	c, err := net.Dial(network, addr)
	if err != nil {
		fail("%v", err)
	}
	return c
}

func errorCase(name, arg string) result {
	buf := make([]byte, 64)
	switch name {
	case "dial-refused": // ARG: a bound TCP port nobody listens on
		_, err := net.Dial("tcp", arg)
		return result{err, "-", "-"}
	case "dial-bad-port":
		_, err := net.Dial("tcp", "127.0.0.1:99999")
		return result{err, "-", "-"}
	case "dial-missing-port":
		_, err := net.Dial("tcp", "127.0.0.1")
		return result{err, "-", "-"}
	case "dial-unknown-network":
		_, err := net.Dial("tcpx", "127.0.0.1:1")
		return result{err, "-", "-"}
	case "dial-refused-localhost": // ARG: a bound TCP port nobody listens on
		_, port, _ := net.SplitHostPort(arg)
		_, err := net.Dial("tcp", net.JoinHostPort("localhost", port))
		return result{err, "-", "-"}
	case "dial-tcp6-ipv4-address":
		_, err := net.Dial("tcp6", "127.0.0.1:1")
		return result{err, "-", "-"}
	case "dial-unix-empty":
		_, err := net.Dial("unix", "")
		return result{err, "-", "-"}
	case "dial-unix-regular-file": // ARG: a regular file
		_, err := net.Dial("unix", arg)
		return result{err, "-", "-"}
	case "dial-unix-too-long": // ARG: a path longer than sun_path
		_, err := net.Dial("unix", arg)
		return result{err, "-", "-"}
	case "listen-unix-too-long":
		_, err := net.Listen("unix", arg)
		return result{err, "-", "-"}
	case "listen-unix-no-dir": // ARG: a path in a directory that does not exist
		_, err := net.Listen("unix", arg)
		return result{err, "-", "-"}
	case "listen-in-use": // ARG: a TCP address with a listener on it
		_, err := net.Listen("tcp", arg)
		return result{err, "-", "-"}
	case "listen-udp-in-use": // ARG: a bound UDP address
		_, err := net.ListenPacket("udp", arg)
		return result{err, "-", "-"}
	case "dial-unix-missing": // ARG: a path that does not exist
		_, err := net.Dial("unix", arg)
		return result{err, "-", "-"}
	case "listen-unix-in-use": // ARG: a path with a Unix listener on it
		_, err := net.Listen("unix", arg)
		return result{err, "-", "-"}
	case "read-deadline": // ARG: a TCP listener that never answers
		c := mustDial("tcp", arg)
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, err := c.Read(buf)
		return connResult(c, err)
	case "read-deadline-past":
		c := mustDial("tcp", arg)
		c.SetReadDeadline(time.Now().Add(-time.Second))
		_, err := c.Read(buf)
		return connResult(c, err)
	case "write-deadline-past":
		c := mustDial("tcp", arg)
		c.SetWriteDeadline(time.Now().Add(-time.Second))
		_, err := c.Write([]byte("x"))
		return connResult(c, err)
	case "write-after-close-write":
		c := mustDial("tcp", arg)
		c.(*net.TCPConn).CloseWrite()
		_, err := c.Write([]byte("x"))
		return connResult(c, err)
	case "read-after-close":
		c := mustDial("tcp", arg)
		c.Close()
		_, err := c.Read(buf)
		return connResult(c, err)
	case "write-after-close":
		c := mustDial("tcp", arg)
		c.Close()
		_, err := c.Write([]byte("x"))
		return connResult(c, err)
	case "close-twice":
		c := mustDial("tcp", arg)
		c.Close()
		err := c.Close()
		return connResult(c, err)
	case "set-deadline-after-close":
		c := mustDial("tcp", arg)
		c.Close()
		err := c.SetDeadline(time.Now())
		return connResult(c, err)
	case "close-write-after-close":
		c := mustDial("tcp", arg)
		c.Close()
		err := c.(*net.TCPConn).CloseWrite()
		return connResult(c, err)
	case "write-after-peer-close": // the peer closes; write until the RST has come back
		ln, dialed := goServer("tcp", "127.0.0.1:0", func(c net.Conn) { c.Close() })
		defer ln.Close()
		c := mustDial("tcp", ln.Addr().String())
		close(dialed)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(buf); n != 0 || err != io.EOF {
			fail("read before write: %d, %v", n, err)
		}
		var err error
		for i := 0; i < 200 && err == nil; i++ {
			_, err = c.Write([]byte("x"))
			if err == nil {
				time.Sleep(5 * time.Millisecond)
			}
		}
		return connResult(c, err)
	case "read-after-peer-reset": // the peer closes with SO_LINGER 0
		ln, dialed := goServer("tcp", "127.0.0.1:0", func(c net.Conn) {
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		})
		defer ln.Close()
		c := mustDial("tcp", ln.Addr().String())
		close(dialed)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := c.Read(buf)
		return connResult(c, err)
	case "accept-deadline":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fail("%v", err)
		}
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(50 * time.Millisecond))
		_, err = ln.Accept()
		return result{err, ln.Addr().String(), "-"}
	case "accept-after-close":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fail("%v", err)
		}
		ln.Close()
		_, err = ln.Accept()
		return result{err, ln.Addr().String(), "-"}
	case "listener-close-twice":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fail("%v", err)
		}
		ln.Close()
		err = ln.Close()
		return result{err, ln.Addr().String(), "-"}
	case "udp-read-from-after-close":
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			fail("%v", err)
		}
		pc.Close()
		_, _, err = pc.ReadFrom(buf)
		return result{err, pc.LocalAddr().String(), "-"}
	case "udp-write-to-after-close": // ARG: the destination, a bound UDP address
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			fail("%v", err)
		}
		to, err := net.ResolveUDPAddr("udp", arg)
		if err != nil {
			fail("%v", err)
		}
		pc.Close()
		_, err = pc.WriteTo([]byte("x"), to)
		return result{err, pc.LocalAddr().String(), "-"}
	case "udp-write-deadline-past": // ARG: a bound UDP address
		c := mustDial("udp", arg)
		c.SetWriteDeadline(time.Now().Add(-time.Second))
		_, err := c.Write([]byte("x"))
		return connResult(c, err)
	case "udp-read-deadline":
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			fail("%v", err)
		}
		pc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, _, err = pc.ReadFrom(buf)
		return result{err, pc.LocalAddr().String(), "-"}
	case "udp-dialed-read-deadline": // ARG: a bound UDP address that never answers
		c := mustDial("udp", arg)
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, err := c.Read(buf)
		return connResult(c, err)
	case "udp-refused": // ARG: a UDP port nobody is bound to
		c := mustDial("udp", arg)
		if _, err := c.Write([]byte("x")); err != nil {
			return connResult(c, err)
		}
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err := c.Read(buf)
		return connResult(c, err)
	case "udp-write-to-connected": // ARG: a bound UDP address
		c := mustDial("udp", arg)
		_, err := c.(*net.UDPConn).WriteTo([]byte("x"), c.RemoteAddr())
		return connResult(c, err)
	case "unix-read-deadline": // ARG: a Unix listener that never answers
		c := mustDial("unix", arg)
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, err := c.Read(buf)
		return connResult(c, err)
	case "unix-write-after-peer-close": // ARG: a path for our own listener
		ln, dialed := goServer("unix", arg, func(c net.Conn) { c.Close() })
		defer ln.Close()
		c := mustDial("unix", arg)
		close(dialed)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(buf); n != 0 || err != io.EOF {
			fail("read before write: %d, %v", n, err)
		}
		_, err := c.Write([]byte("x"))
		return connResult(c, err)
	}
	fmt.Fprintf(os.Stderr, "peer.go: unknown error case %q\n", name)
	os.Exit(2)
	return result{}
}

func printError(name, arg string) {
	r := errorCase(name, arg)
	text, timeout := "<nil>", false
	if r.err != nil {
		text = r.err.Error()
		var ne net.Error
		timeout = errors.As(r.err, &ne) && ne.Timeout()
	}
	say("%s\t%t\t%s\t%s\t%s", name, timeout, r.local, r.remote, text)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: peer tcp-echo-server|udp-echo-server|unix-echo-server ADDR")
	fmt.Fprintln(os.Stderr, "       peer tcp-client|udp-client ADDR N")
	fmt.Fprintln(os.Stderr, "       peer errors CASE [ARG]")
	os.Exit(2)
}

func main() {
	// Never outlive the test, whatever happens to it.
	time.AfterFunc(timeLimit, func() {
		fmt.Fprintln(os.Stderr, "peer.go: time limit reached")
		os.Exit(3)
	})
	if len(os.Args) < 3 {
		usage()
	}
	mode, addr := os.Args[1], os.Args[2]
	count := func() int64 {
		if len(os.Args) != 4 {
			usage()
		}
		n, err := strconv.ParseInt(os.Args[3], 10, 64)
		if err != nil || n < 0 {
			usage()
		}
		return n
	}
	switch mode {
	case "tcp-echo-server":
		streamEchoServer("tcp", addr)
	case "unix-echo-server":
		streamEchoServer("unix", addr)
	case "udp-echo-server":
		udpEchoServer(addr)
	case "tcp-client":
		tcpClient(addr, count())
	case "udp-client":
		udpClient(addr, int(count()))
	case "errors":
		arg := ""
		if len(os.Args) > 3 {
			arg = os.Args[3]
		}
		printError(addr, arg)
	default:
		usage()
	}
}
