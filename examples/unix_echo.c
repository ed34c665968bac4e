/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * unix_echo.c - the tutorial's Unix sockets (section 6): an echo server on
 * a socket file and a client that dials it, in one program.  The Go it
 * translates (the tutorial's server and client, filled in):
 *
 *	// Server.
 *	ln, err := net.Listen("unix", "/tmp/app.sock")
 *	if err != nil { return err }
 *	var wg sync.WaitGroup
 *	wg.Add(1)
 *	go func() {
 *		defer wg.Done()
 *		for {
 *			c, err := ln.Accept()
 *			if err != nil { return }   // net.ErrClosed: ln.Close ran
 *			go func(c net.Conn) { defer c.Close(); io.Copy(c, c) }(c)
 *		}
 *	}()
 *	_, err = net.Listen("unix", "/tmp/app.sock")   // the gotcha
 *	fmt.Println("second listen:", err)
 *
 *	// Client.
 *	c, err := net.Dial("unix", "/tmp/app.sock")
 *	if err != nil { return err }
 *	fmt.Fprintf(c, "hello over unix\n")
 *	c.(*net.UnixConn).CloseWrite()
 *	reply, err := io.ReadAll(c)
 *	fmt.Printf("%s -> %s: %s", c.LocalAddr(), c.RemoteAddr(), reply)
 *	c.Close()
 *
 *	// The server's "defer ln.Close(); defer os.Remove(path)", in order.
 *	ln.Close()
 *	wg.Wait()   // C frees ln: the Accept loop must have returned
 *	os.Remove("/tmp/app.sock")
 *	_, err = os.Stat("/tmp/app.sock")
 *	fmt.Println("socket file left behind:", err == nil)
 *
 * As in Go, a listener made by Listen removes its socket file on Close, so
 * the os.Remove is belt and braces; the program checks that no file is left.
 *
 * Usage: unix_echo [PATH]   (default /tmp/app.sock; "@name" is abstract)
 */
#include <unistd.h>

#include "example.h"

static rn_waitgroup *wg;

/* go func(c net.Conn) { defer c.Close(); io.Copy(c, c) }(c) */
static void echo(void *c)
{
	rn_copy(c, c);
	rn_conn_free(c);
}

/* The Accept loop's goroutine: it ends when main closes ln. */
static void accept_loop(void *ln)
{
	rn_conn *c;

	while ((c = rn_listener_accept(ln)))
		if (rn_go(echo, c) < 0)
			rn_conn_free(c);
	rn_waitgroup_done(wg); /* defer wg.Done() */
}

static void go_main(void *arg)
{
	const char *path = arg;
	char reply[256], local[RN_ADDR_STRLEN], remote[RN_ADDR_STRLEN];
	size_t got = 0;
	ssize_t n;

	rn_listener *ln = rn_listen("unix", path);
	if (!ln || !(wg = rn_waitgroup_new()) || rn_waitgroup_add(wg, 1) < 0 ||
	    rn_go(accept_loop, ln) < 0)
		fatal();
	rn_listener *ln2 = rn_listen("unix", path); /* the gotcha: the name is taken */
	printf("second listen: %s\n", ln2 ? "<nil>" : errstr());
	rn_listener_free(ln2);

	rn_conn *c = rn_dial("unix", path);
	if (!c)
		fatal();
	if (rn_conn_write(c, "hello over unix\n", 16) != 16 || rn_unixconn_close_write(c) < 0)
		fatal();
	while ((n = rn_conn_read(c, reply + got, sizeof(reply) - 1 - got)) > 0) /* io.ReadAll */
		got += (size_t)n;
	if (n < 0)
		fatal();
	reply[got] = '\0';
	rn_addr la = rn_conn_local_addr(c), ra = rn_conn_remote_addr(c);
	rn_addr_string(&la, local, sizeof(local));
	rn_addr_string(&ra, remote, sizeof(remote));
	printf("%s -> %s: %s", local, remote, reply);
	rn_conn_free(c);

	rn_listener_close(ln); /* wakes accept_loop with net.ErrClosed */
	rn_waitgroup_wait(wg);
	rn_listener_free(ln);
	if (path[0] != '@') /* an abstract name has no file */
		unlink(path);
	printf("socket file left behind: %s\n", access(path, F_OK) == 0 ? "true" : "false");
}

int main(int argc, char **argv)
{
	static char default_address[] = "/tmp/app.sock";

	if (rn_go(go_main, argc > 1 ? argv[1] : default_address) < 0 || rn_run() < 0)
		fatal();
	rn_waitgroup_free(wg); /* once no task can be inside a call on it */
	return 0;
}
