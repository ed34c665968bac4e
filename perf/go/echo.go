// SPDX-License-Identifier: BSD-3-Clause

// echo is the Go server of ringnet's task benchmark (perf/task_run.sh): the
// usual goroutine-per-connection TCP echo, net.Listen and a loop of Accept,
// each conn's goroutine reading into its own buffer and writing back what it
// read until the peer closes.
//
//	echo [-b BUFSIZE] ADDRESS
//
// It prints "listening on ADDR" once ready.  The buffer is 32 KiB per conn
// (-b), as ringnet-echo's and perf/epoll_echo.c's.  Go's listener sets
// TCP_NODELAY on every accepted conn, as ringnet and epoll_echo do.
// An explicit Read/Write loop rather than io.Copy(c, c): on Linux io.Copy
// between TCP conns goes through TCPConn.ReadFrom, which splices through a
// pipe, and the benchmark compares plain reads and writes.
//
// SIGTERM ends it (the default action).  Build it with the Go 1.19 of
// scripts/go119.sh: GO111MODULE=off /usr/lib/go-1.19/bin/go build -o echo echo.go
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"time"
)

func serve(c net.Conn, size int) {
	defer c.Close()
	buf := make([]byte, size)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // io.EOF: the peer is done
		}
	}
}

func main() {
	size := flag.Int("b", 32*1024, "read buffer per conn, in bytes")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: echo [-b BUFSIZE] ADDRESS\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *size < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", flag.Arg(0))
	if err != nil {
		fmt.Fprintf(os.Stderr, "echo: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	delay := time.Duration(0)
	for {
		c, err := ln.Accept()
		if err != nil {
			// Out of descriptors and the like: back off as net/http does.
			fmt.Fprintf(os.Stderr, "echo: %v\n", err)
			if delay == 0 {
				delay = 5 * time.Millisecond
			} else if delay *= 2; delay > time.Second {
				delay = time.Second
			}
			time.Sleep(delay)
			continue
		}
		delay = 0
		go serve(c, *size)
	}
}
