// SPDX-License-Identifier: BSD-3-Clause

// httpd is the backend of ringnet's proxy benchmark (perf/proxy_run.sh): a
// net/http server that answers every request with the same small body, with
// HTTP/1.1 keep-alive (net/http's default), so the proxies in front of it
// carry long-lived conns with one small request and one small response at a
// time on each.
//
//	httpd [-s BODYSIZE] ADDRESS
//
// It prints "listening on ADDR" once ready.  The body is BODYSIZE bytes
// (default 64) with a Content-Length, so no chunking.  SIGTERM ends it.
// Build it with the Go 1.19 of scripts/go119.sh:
// GO111MODULE=off /usr/lib/go-1.19/bin/go build -o httpd httpd.go
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
)

func main() {
	size := flag.Int("s", 64, "response body size, in bytes")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: httpd [-s BODYSIZE] ADDRESS\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *size < 0 {
		flag.Usage()
		os.Exit(2)
	}
	body := bytes.Repeat([]byte("x"), *size)
	if *size > 0 {
		body[*size-1] = '\n'
	}
	length := strconv.Itoa(len(body))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"text/plain"}
		h["Content-Length"] = []string{length}
		w.Write(body)
	})
	ln, err := net.Listen("tcp", flag.Arg(0))
	if err != nil {
		fmt.Fprintf(os.Stderr, "httpd: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	if err := http.Serve(ln, handler); err != nil {
		fmt.Fprintf(os.Stderr, "httpd: %v\n", err)
		os.Exit(1)
	}
}
