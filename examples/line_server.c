/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * line_server.c - the tutorial's "simplest working server" (section 4): a
 * line protocol, one task per client.  The Go it translates:
 *
 *	func main() {
 *		ln, err := net.Listen("tcp", ":8080")
 *		if err != nil { log.Fatal(err) }
 *		log.Printf("listening on %s", ln.Addr())
 *		for {
 *			c, err := ln.Accept()
 *			if err != nil { log.Fatal(err) }
 *			go serve(c)
 *		}
 *	}
 *
 *	func serve(c net.Conn) {
 *		defer c.Close()
 *		s := bufio.NewScanner(c)
 *		for s.Scan() {
 *			line := strings.TrimSpace(s.Text())
 *			fmt.Fprintf(c, "you said: %s\n", line)
 *		}
 *	}
 *
 * C has no bufio, so a small Scanner over rn_conn_read comes first.  As in
 * echo_server.c, SIGINT or SIGTERM closes the listener and the program ends
 * once the clients have gone.
 *
 * Usage: line_server [ADDRESS]   (default :8080)
 */
#include <ctype.h>
#include <string.h>

#include "example.h"

/* bufio.Scanner with ScanLines: lines up to 4 KiB, without their "\n" or "\r\n". */
struct scanner {
	rn_conn *c;
	size_t start, len; /* the line returned last ends at start; data ends at len */
	char buf[4096];
};

/* s.Scan() and s.Text() in one: the next line, or NULL at the end or on an error. */
static char *scan(struct scanner *s)
{
	char *nl;
	ssize_t n = 1;

	s->len -= s->start;
	memmove(s->buf, s->buf + s->start, s->len); /* keep what follows the last line */
	s->start = 0;
	while (!(nl = memchr(s->buf, '\n', s->len)) && n > 0 && s->len < sizeof(s->buf) - 1)
		if ((n = rn_conn_read(s->c, s->buf + s->len, sizeof(s->buf) - 1 - s->len)) > 0)
			s->len += (size_t)n;
	if (!nl && (n != 0 || s->len == 0))
		return NULL; /* an error, a line too long (bufio.ErrTooLong), or the end */
	/* The line ends at its "\n", or at end of stream for a last line without one. */
	size_t end = nl ? (size_t)(nl - s->buf) : s->len;
	s->start = nl ? end + 1 : end;
	s->buf[end] = '\0';
	if (end > 0 && s->buf[end - 1] == '\r')
		s->buf[end - 1] = '\0';
	return s->buf;
}

/* strings.TrimSpace (ASCII). */
static char *trim_space(char *p)
{
	size_t n = strlen(p);

	while (n > 0 && isspace((unsigned char)p[n - 1]))
		p[--n] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* func serve(c net.Conn): one task per client; 8 KiB of its 64 KiB stack. */
static void serve(void *arg)
{
	struct scanner s = { .c = arg };
	char out[sizeof(s.buf) + 16], *line;

	while ((line = scan(&s))) {
		int n = snprintf(out, sizeof(out), "you said: %s\n", trim_space(line));
		if (rn_conn_write(s.c, out, (size_t)n) != n)
			break;
	}
	rn_conn_free(s.c); /* defer c.Close() */
}

static rn_chan *sig;

/* go func() { <-sig; ln.Close() }() */
static void close_on_signal(void *ln)
{
	void *v;

	if (rn_chan_recv(sig, &v) == 1)
		rn_listener_close(ln);
}

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
		rn_conn *c = rn_listener_accept(ln);

		if (!c)
			break;
		if (rn_go(serve, c) < 0)
			rn_conn_free(c);
	}
	if (rn_last_error()->code != RN_ECLOSED)
		fatal();
	rn_listener_free(ln);
}

int main(int argc, char **argv)
{
	static char default_address[] = ":8080";

	sig = signal_notify();
	if (rn_go(go_main, argc > 1 ? argv[1] : default_address) < 0 || rn_run() < 0)
		fatal();
	signal_stop(sig);
	return 0;
}
