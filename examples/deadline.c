/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * deadline.c - the tutorial's deadlines (section 9): a Read that gives up
 * when the peer stays silent, with Go's "i/o timeout" error.  The Go it
 * translates, around the tutorial's snippet:
 *
 *	ln, _ := net.Listen("tcp", "127.0.0.1:0")
 *	go func() {   // a slow peer: it answers after 300ms
 *		c, _ := ln.Accept()
 *		defer c.Close()
 *		time.Sleep(300 * time.Millisecond)
 *		fmt.Fprint(c, "late reply")
 *	}()
 *	c, err := net.DialTimeout("tcp", ln.Addr().String(), 3*time.Second)
 *	if err != nil { log.Fatal(err) }
 *	defer c.Close()
 *	buf := make([]byte, 64)
 *
 *	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
 *	_, err = c.Read(buf)
 *	if ne, ok := err.(net.Error); ok && ne.Timeout() {
 *		fmt.Println("read 1:", err)   // the peer was idle
 *	}
 *	_, err = c.Read(buf)   // a deadline is absolute: it does not reset
 *	fmt.Println("read 2:", err)
 *	c.SetReadDeadline(time.Time{})   // the zero time clears it
 *	n, err := c.Read(buf)
 *	fmt.Printf("read 3: %q\n", buf[:n])
 *
 * Usage: deadline   (everything happens on 127.0.0.1)
 */
#include "example.h"

/* The slow peer's goroutine. */
static void slow_peer(void *ln)
{
	rn_conn *c = rn_listener_accept(ln);

	if (!c)
		fatal();
	rn_sleep(300 * RN_MILLISECOND); /* parks this task only */
	rn_conn_write(c, "late reply", 10);
	rn_conn_free(c); /* defer c.Close() */
}

/* Read into @buf; print what happened, with the time it took. */
static void read_and_print(rn_conn *c, const char *what, char *buf, size_t size)
{
	rn_time start = rn_now();
	ssize_t n = rn_conn_read(c, buf, size);
	long ms = (long)((rn_now() - start) / RN_MILLISECOND);

	if (n < 0 && rn_error_timeout(NULL)) /* err.(net.Error).Timeout() */
		printf("%s: %s (Timeout() = true, after %ld ms)\n", what, errstr(), ms);
	else if (n < 0)
		printf("%s: unexpected error: %s\n", what, errstr());
	else
		printf("%s: \"%.*s\" (after %ld ms)\n", what, (int)n, buf, ms);
}

static void go_main(void *arg)
{
	char addr[RN_ADDR_STRLEN], buf[64];
	rn_listener *ln = rn_listen("tcp", "127.0.0.1:0");

	(void)arg;
	if (!ln || rn_go(slow_peer, ln) < 0)
		fatal();
	rn_addr la = rn_listener_addr(ln);
	rn_addr_string(&la, addr, sizeof(addr));
	rn_conn *c = rn_dial_timeout("tcp", addr, 3 * RN_SECOND);
	if (!c)
		fatal();

	rn_conn_set_read_deadline(c, rn_time_add(rn_now(), 100 * RN_MILLISECOND));
	read_and_print(c, "read 1 (deadline in 100ms)", buf, sizeof(buf));
	read_and_print(c, "read 2 (same deadline, now past)", buf, sizeof(buf));
	rn_conn_set_read_deadline(c, 0); /* time.Time{} */
	read_and_print(c, "read 3 (no deadline)", buf, sizeof(buf));

	rn_conn_free(c);      /* defer c.Close() */
	rn_listener_free(ln); /* slow_peer is done with it: its Accept returned */
}

int main(void)
{
	if (rn_go(go_main, NULL) < 0 || rn_run() < 0)
		fatal();
	return 0;
}
