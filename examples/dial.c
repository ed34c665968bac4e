/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dial.c - the tutorial's "dialing a TCP server in five lines" (section 2):
 * Dial, write an HTTP/1.0 request, copy the reply to stdout.  The Go it
 * translates:
 *
 *	conn, err := net.Dial("tcp", "example.com:80")
 *	if err != nil {
 *		return err
 *	}
 *	defer conn.Close()
 *	fmt.Fprintf(conn, "GET / HTTP/1.0\r\nHost: example.com\r\n\r\n")
 *	conn.(*net.TCPConn).CloseWrite()   // section 11, see below
 *	_, err = io.Copy(os.Stdout, conn)
 *
 * The address is an argument (try it against echo_server, or any local HTTP
 * server).  One line is added from section 11: CloseWrite once the request
 * is sent.  An HTTP/1.0 server closes after its reply anyway, but an echo
 * server only stops when it reads our end of stream.
 *
 * No task here: outside a task every ringnet call simply blocks the thread,
 * which is what Go's main goroutine looks like from the inside.
 *
 * Usage: dial HOST:PORT
 */
#include "example.h"

int main(int argc, char **argv)
{
	char host[256], req[512], buf[32 * 1024];
	ssize_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: dial HOST:PORT\n");
		return 2;
	}
	if (rn_split_host_port(argv[1], host, sizeof(host), NULL, 0) < 0)
		fatal();

	rn_conn *conn = rn_dial("tcp", argv[1]);
	if (!conn)
		fatal(); /* "dial tcp 127.0.0.1:1: connect: connection refused" */

	/* fmt.Fprintf(conn, ...): format, then one Write of all the bytes. */
	int len = snprintf(req, sizeof(req), "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", host);
	if (rn_conn_write(conn, req, (size_t)len) != len || rn_tcpconn_close_write(conn) < 0)
		fatal();

	/*
	 * io.Copy(os.Stdout, conn).  rn_copy moves bytes between two conns;
	 * stdout is a file, so this is the loop io.Copy runs: Read until end of
	 * stream (0, Go's io.EOF, which io.Copy does not report as an error).
	 */
	while ((n = rn_conn_read(conn, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	if (n < 0)
		fatal();
	rn_conn_free(conn); /* defer conn.Close() */
	return fflush(stdout) == 0 ? 0 : 1;
}
