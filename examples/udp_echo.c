/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp_echo.c - the tutorial's UDP server (section 5): no Listen and no
 * Accept, one socket that reads datagrams from anyone and answers each
 * sender.  The Go it translates:
 *
 *	addr, err := net.ResolveUDPAddr("udp", ":9000")
 *	if err != nil { return err }
 *	pc, err := net.ListenUDP("udp", addr)
 *	if err != nil { return err }
 *	defer pc.Close()
 *	log.Printf("listening on %s", pc.LocalAddr())   // added, for tests
 *
 *	buf := make([]byte, 1500)
 *	for {
 *		n, src, err := pc.ReadFromUDP(buf)
 *		if err != nil { return err }
 *		log.Printf("got %d bytes from %s: %q", n, src, buf[:n])
 *		if _, err := pc.WriteToUDP([]byte("ack\n"), src); err != nil {
 *			return err
 *		}
 *	}
 *
 * ListenUDP is ListenPacket in ringnet.  As in echo_server.c, SIGINT or
 * SIGTERM closes pc, and ReadFromUDP then fails with net.ErrClosed: the
 * program's clean end.
 *
 * Usage: udp_echo [ADDRESS]   (default :9000)
 */
#include "example.h"

/* %q for bytes: Go's strconv.Quote, except that non-ASCII bytes are always \x escapes. */
static const char *quote(const unsigned char *p, size_t n, char *out, size_t size)
{
	size_t o = 0;

	out[o++] = '"';
	for (size_t i = 0; i < n && o + 6 < size; i++) {
		const char *esc = p[i] == '\n' ? "\\n" : p[i] == '\t' ? "\\t" : p[i] == '\r' ? "\\r" :
				  p[i] == '"' ? "\\\"" : p[i] == '\\' ? "\\\\" : NULL;
		if (esc)
			o += (size_t)snprintf(out + o, size - o, "%s", esc);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			out[o++] = (char)p[i];
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", p[i]);
	}
	snprintf(out + o, size - o, "\"");
	return out;
}

static rn_chan *sig;

/* go func() { <-sig; pc.Close() }() */
static void close_on_signal(void *pc)
{
	void *v;

	if (rn_chan_recv(sig, &v) == 1)
		rn_conn_close(pc);
}

static void go_main(void *address)
{
	char text[RN_ADDR_STRLEN], q[6 * 1500 + 3];
	unsigned char buf[1500];
	rn_udpaddr addr, src;

	if (rn_resolve_udp_addr("udp", address, &addr) < 0)
		fatal();
	rn_udpaddr_string(&addr, text, sizeof(text));
	rn_conn *pc = rn_listen_packet("udp", text);
	if (!pc)
		fatal();
	rn_addr la = rn_conn_local_addr(pc);
	rn_addr_string(&la, text, sizeof(text));
	fprintf(stderr, "listening on %s\n", text);
	if (rn_go(close_on_signal, pc) < 0)
		fatal();

	for (;;) {
		ssize_t n = rn_udpconn_read_from_udp(pc, buf, sizeof(buf), &src);
		if (n < 0)
			break;
		rn_udpaddr_string(&src, text, sizeof(text));
		fprintf(stderr, "got %zd bytes from %s: %s\n", n, text,
			quote(buf, (size_t)n, q, sizeof(q)));
		if (rn_udpconn_write_to_udp(pc, "ack\n", 4, &src) < 0)
			break;
	}
	if (rn_last_error()->code != RN_ECLOSED)
		fatal();
	rn_conn_free(pc); /* defer pc.Close() */
}

int main(int argc, char **argv)
{
	static char default_address[] = ":9000";

	sig = signal_notify();
	if (rn_go(go_main, argc > 1 ? argv[1] : default_address) < 0 || rn_run() < 0)
		fatal();
	signal_stop(sig);
	return 0;
}
