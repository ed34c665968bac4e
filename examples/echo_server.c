/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * echo_server.c - the tutorial's TCP echo server (sections 3 and 15):
 * Listen, an Accept loop that hands every conn to its own task, and a
 * handler that echoes with io.Copy.  The Go it translates:
 *
 *	func main() {
 *		ln, err := net.Listen("tcp", "127.0.0.1:9000")
 *		if err != nil { log.Fatal(err) }
 *		defer ln.Close()
 *		log.Printf("listening on %s", ln.Addr())
 *
 *		// Not in the tutorial: a signal closes ln, for a clean stop.
 *		sig := make(chan os.Signal, 1)
 *		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
 *		go func() { <-sig; ln.Close() }()
 *
 *		for {
 *			conn, err := ln.Accept()
 *			if errors.Is(err, net.ErrClosed) { return }  // the shutdown signal
 *			if err != nil { log.Fatal(err) }
 *			go handle(conn)
 *		}
 *	}
 *
 *	func handle(c net.Conn) {
 *		defer c.Close()
 *		io.Copy(c, c) // echo
 *	}
 *
 * Go's main is a goroutine; here it is a task too, so that Accept parks it
 * and the thread runs the handlers meanwhile.  One difference: Go's process
 * ends when main returns, while rn_run() waits for every task, so a stop
 * lets the connections still open finish first.
 *
 * Usage: echo_server [ADDRESS]   (default 127.0.0.1:9000; port 0 picks one)
 */
#include "example.h"

static rn_chan *sig;

/* func handle(c net.Conn): one task per connection. */
static void handle(void *arg)
{
	rn_conn *c = arg;

	rn_copy(c, c);   /* io.Copy(c, c): until the client's end of stream */
	rn_conn_free(c); /* defer c.Close(): Free closes and releases */
}

/* go func() { <-sig; ln.Close() }() */
static void close_on_signal(void *ln)
{
	void *v;

	if (rn_chan_recv(sig, &v) == 1)
		rn_listener_close(ln); /* wakes the parked Accept with net.ErrClosed */
}

/* func main, as a task. */
static void go_main(void *address)
{
	char text[RN_ADDR_STRLEN];
	rn_listener *ln = rn_listen("tcp", address);

	if (!ln)
		fatal();
	rn_addr a = rn_listener_addr(ln);
	rn_addr_string(&a, text, sizeof(text));
	fprintf(stderr, "listening on %s\n", text);

	if (rn_go(close_on_signal, ln) < 0)
		fatal();
	for (;;) {
		rn_conn *conn = rn_listener_accept(ln);

		if (!conn)
			break;
		if (rn_go(handle, conn) < 0)
			rn_conn_free(conn); /* no memory for a task (where Go would crash) */
	}
	if (rn_last_error()->code != RN_ECLOSED)
		fatal();
	rn_listener_free(ln); /* defer ln.Close() */
}

int main(int argc, char **argv)
{
	static char default_address[] = "127.0.0.1:9000";

	sig = signal_notify();
	if (rn_go(go_main, argc > 1 ? argv[1] : default_address) < 0 || rn_run() < 0)
		fatal();
	signal_stop(sig);
	return 0;
}
