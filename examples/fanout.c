/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fanout.c - the tutorial's echo server and client (section 15) in one
 * program, with five clients at once: a free port (section 12), an Accept
 * loop that only ln.Close ends, with net.ErrClosed (sections 3 and 14), a
 * sync.WaitGroup for the clients and a channel that carries the Accept
 * loop's error back to main.  The Go it translates:
 *
 *	ln, err := net.Listen("tcp", "127.0.0.1:0")
 *	if err != nil { log.Fatal(err) }
 *	done := make(chan error)
 *	go func() {
 *		for {
 *			c, err := ln.Accept()
 *			if err != nil { done <- err; return }
 *			go func(c net.Conn) { defer c.Close(); io.Copy(c, c) }(c)
 *		}
 *	}()
 *
 *	var wg sync.WaitGroup
 *	replies := make([]string, 5)
 *	for i := range replies {
 *		wg.Add(1)
 *		go func(i int) {
 *			defer wg.Done()
 *			c, err := net.Dial("tcp", ln.Addr().String())
 *			if err != nil { log.Fatal(err) }
 *			defer c.Close()
 *			fmt.Fprintf(c, "hello from client %d", i)
 *			c.(*net.TCPConn).CloseWrite()   // section 11
 *			b, _ := io.ReadAll(c)
 *			replies[i] = string(b)
 *		}(i)
 *	}
 *	wg.Wait()
 *	for i, r := range replies { fmt.Printf("client %d got %q\n", i, r) }
 *	ln.Close()
 *	err = <-done
 *	fmt.Println("accept loop ended:", err, errors.Is(err, net.ErrClosed))
 *
 * Usage: fanout   (everything happens on 127.0.0.1)
 */
#include "example.h"

#define CLIENTS 5

static char addr[RN_ADDR_STRLEN]; /* ln.Addr().String() */
static rn_waitgroup *wg;
static rn_chan *done;
static char replies[CLIENTS][64];

/* go func(c net.Conn) { defer c.Close(); io.Copy(c, c) }(c) */
static void echo(void *c)
{
	rn_copy(c, c);
	rn_conn_free(c);
}

/* The Accept loop's goroutine: its error goes to main through done. */
static void accept_loop(void *ln)
{
	static rn_error err; /* the value sent: Go's error, copied out */
	rn_conn *c;

	while ((c = rn_listener_accept(ln)))
		if (rn_go(echo, c) < 0)
			rn_conn_free(c);
	err = *rn_last_error();
	rn_chan_send(done, &err); /* done <- err: parks until main receives */
}

/* go func(i int) { defer wg.Done(); ... }(i) */
static void client(void *arg)
{
	int i = (int)(intptr_t)arg;
	char msg[32];
	size_t got = 0;
	ssize_t n;

	rn_conn *c = rn_dial("tcp", addr);
	if (!c)
		fatal();
	int len = snprintf(msg, sizeof(msg), "hello from client %d", i);
	if (rn_conn_write(c, msg, (size_t)len) != len || rn_tcpconn_close_write(c) < 0)
		fatal();
	while ((n = rn_conn_read(c, replies[i] + got, sizeof(replies[i]) - 1 - got)) > 0)
		got += (size_t)n; /* io.ReadAll */
	rn_conn_free(c);       /* defer c.Close() */
	rn_waitgroup_done(wg); /* defer wg.Done() */
}

static void go_main(void *arg)
{
	rn_listener *ln = rn_listen("tcp", "127.0.0.1:0");
	char text[512];
	void *v;

	(void)arg;
	if (!ln || !(done = rn_chan_new(0)) || !(wg = rn_waitgroup_new()) ||
	    rn_go(accept_loop, ln) < 0)
		fatal();
	rn_addr la = rn_listener_addr(ln);
	rn_addr_string(&la, addr, sizeof(addr));

	for (int i = 0; i < CLIENTS; i++)
		if (rn_waitgroup_add(wg, 1) < 0 || rn_go(client, (void *)(intptr_t)i) < 0)
			fatal();
	rn_waitgroup_wait(wg);
	for (int i = 0; i < CLIENTS; i++)
		printf("client %d got \"%s\"\n", i, replies[i]);

	rn_listener_close(ln);
	rn_chan_recv(done, &v); /* err = <-done */
	const rn_error *err = v;
	rn_error_string(err, text, sizeof(text));
	printf("accept loop ended: %s %s\n", text, err->code == RN_ECLOSED ? "true" : "false");
	rn_listener_free(ln); /* the Accept loop is past its last Accept */
}

int main(void)
{
	if (rn_go(go_main, NULL) < 0 || rn_run() < 0)
		fatal();
	/* Go's GC by hand, once no task can still be inside a call on them. */
	rn_chan_free(done);
	rn_waitgroup_free(wg);
	return 0;
}
