/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * oracle_ringnet.c - the ringnet side of the differential test against Go.
 *
 * Reads the test lines oracle.go reads and prints the same canonical line
 * per input, computed with ringnet's C API.  See oracle.go for the protocol:
 * "FUNC<TAB>arg..." in, "field<TAB>field..." out, every field escaped
 * ('\' is "\\", bytes outside 0x20..0x7e are "\xHH").
 *
 * Arguments holding a NUL byte cannot reach a C string API; such lines print
 * "SKIP<TAB>NUL byte" (the generator does not produce them).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringnet/net.h>

#define MAXARGS 8

/* ---- output --------------------------------------------------------------- */

static bool first_field = true;

static void put_esc(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\')
			fputs("\\\\", stdout);
		else if (c >= 0x20 && c < 0x7f)
			putchar(c);
		else
			printf("\\x%02x", c);
	}
}

static void field(const char *s)
{
	if (!first_field)
		putchar('\t');
	first_field = false;
	put_esc(s, strlen(s));
}

static void field_int(int v)
{
	char b[32];
	snprintf(b, sizeof b, "%d", v);
	field(b);
}

static void field_hex(const uint8_t *b, size_t n)
{
	char s[2 * 64 + 1];
	if (n == 0) {
		field("nil");
		return;
	}
	for (size_t i = 0; i < n && i < 64; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	field(s);
}

static void end_line(void)
{
	putchar('\n');
	first_field = true;
}

/* Go's %T of the recorded error. */
static const char *go_type(const rn_error *e)
{
	if (e->op_error)
		return "*net.OpError";
	switch (e->kind) {
	case RN_ERR_ADDR:
		return "*net.AddrError";
	case RN_ERR_PARSE:
		return "*net.ParseError";
	case RN_ERR_DNS:
		return "*net.DNSError";
	case RN_ERR_UNKNOWN_NETWORK:
		return "net.UnknownNetworkError";
	case RN_ERR_INVALID_ADDR:
		return "net.InvalidAddrError";
	case RN_ERR_ERRNO:
		return e->syscall[0] ? "*os.SyscallError" : "syscall.Errno";
	case RN_ERR_NONE:
		return "ringnet:no-error-recorded";
	case RN_ERR_SENTINEL:
		return "ringnet:sentinel";
	case RN_ERR_TEXT:
		return "ringnet:text";
	}
	return "ringnet:unknown-kind";
}

/* The code a public call should return for an error of this kind. */
static bool code_fits_kind(int code, const rn_error *e)
{
	if (e->code != code)
		return false;
	switch (e->kind) {
	case RN_ERR_ADDR:
		return code == RN_EADDR;
	case RN_ERR_PARSE:
		return code == RN_EPARSE;
	case RN_ERR_UNKNOWN_NETWORK:
		return code == RN_EUNKNOWNNET;
	case RN_ERR_INVALID_ADDR:
		return code == RN_EINVALIDADDR;
	case RN_ERR_DNS:
		return code == RN_EDNS_NOTFOUND || code == RN_EDNS_TIMEOUT ||
		       code == RN_EDNS_TEMPORARY || code == RN_EDNS;
	default:
		return true;
	}
}

/* "err<TAB>type<TAB>Error()" for the failure a call just returned. */
static void err_line(int code)
{
	const rn_error *e = rn_last_error();
	int n = rn_error_string(NULL, NULL, 0);
	char *buf;

	field("err");
	field(go_type(e));
	if (n < 0) {
		field("ringnet:rn_error_string failed");
		return;
	}
	buf = malloc((size_t)n + 1);
	if (!buf)
		abort();
	if (rn_error_string(NULL, buf, (size_t)n + 1) != n || strlen(buf) != (size_t)n)
		field("ringnet:rn_error_string length mismatch");
	else
		field(buf);
	free(buf);
	if (!code_fits_kind(code, e)) {
		char b[64];
		snprintf(b, sizeof b, "ringnet:BADCODE(%d)", code);
		field(b);
	}
}

/*
 * Whether a Resolve call would look its host up by name (the Go side's
 * wouldLookup, with ringnet's literal rules): such inputs are not compared.
 */
static bool is_literal(const char *host)
{
	size_t n = strlen(host);
	char *h;
	bool lit;

	for (size_t i = 0; i < n; i++) {
		if (host[i] == '.')
			return rn_parse_ip(host).len != 0;
		if (host[i] == ':') {
			const char *pct = strrchr(host, '%');
			h = strndup(host, pct && pct > host ? (size_t)(pct - host) : n);
			if (!h)
				abort();
			lit = rn_parse_ip(h).len != 0;
			free(h);
			return lit;
		}
	}
	return false;
}

static bool would_look_up(const char *fn, const char *network, const char *address)
{
	if (!strcmp(fn, "ResolveTCPAddr") || !strcmp(fn, "ResolveUDPAddr")) {
		bool tcp = fn[7] == 'T';
		size_t n = strlen(address) + 1;
		char *host, *port;
		bool r = false;

		if (!address[0])
			return false;
		if (network[0] && strcmp(network, tcp ? "tcp" : "udp") &&
		    strcmp(network, tcp ? "tcp4" : "udp4") && strcmp(network, tcp ? "tcp6" : "udp6"))
			return false;
		host = malloc(n);
		port = malloc(n);
		if (!host || !port)
			abort();
		if (rn_split_host_port(address, host, n, port, n) == 0 &&
		    rn_lookup_port(network[0] ? network : (tcp ? "tcp" : "udp"), port) >= 0)
			r = host[0] && !is_literal(host);
		free(host);
		free(port);
		return r;
	}
	if (!strcmp(fn, "ResolveIPAddr")) {
		rn_ipaddr ia;

		if (rn_resolve_ip_addr(network, "", &ia) < 0)
			return false; /* the network is refused before any lookup */
		return address[0] && !is_literal(address);
	}
	return false;
}

/* ---- input ---------------------------------------------------------------- */

typedef struct arg {
	char *s; /* NUL-terminated */
	size_t n;
} arg;

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Unescape s[0..n) in place; returns the new length or -1. */
static long unesc(char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			s[o++] = s[i];
			continue;
		}
		if (i + 1 < n && s[i + 1] == '\\') {
			s[o++] = '\\';
			i++;
			continue;
		}
		if (i + 3 < n && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
			s[o++] = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
			i += 3;
			continue;
		}
		return -1;
	}
	s[o] = '\0';
	return (long)o;
}

/* Hex text to bytes; "" and "nil" are empty.  Returns the length or -1. */
static int unhex(const arg *a, uint8_t *out, size_t max)
{
	if (a->n == 0 || strcmp(a->s, "nil") == 0)
		return 0;
	if (a->n % 2 || a->n / 2 > max)
		return -1;
	for (size_t i = 0; i < a->n / 2; i++) {
		int h = hexval(a->s[2 * i]), l = hexval(a->s[2 * i + 1]);
		if (h < 0 || l < 0)
			return -1;
		out[i] = (uint8_t)(h * 16 + l);
	}
	return (int)(a->n / 2);
}

static bool arg_ip(const arg *a, rn_ip *ip)
{
	uint8_t b[RN_IPV6LEN];
	int n = unhex(a, b, sizeof b);
	return n >= 0 && rn_ip_from_bytes(ip, b, (size_t)n) == 0;
}

static bool arg_mask(const arg *a, rn_ipmask *m)
{
	uint8_t b[RN_IPV6LEN];
	int n = unhex(a, b, sizeof b);
	return n >= 0 && rn_ipmask_from_bytes(m, b, (size_t)n) == 0;
}

/* ---- the functions -------------------------------------------------------- */

static void field_ip(rn_ip ip)
{
	char s[RN_IP_STRLEN];
	rn_ip_string(ip, s, sizeof s);
	field(s);
}

static void field_mask_string(rn_ipmask m)
{
	char s[2 * RN_IPV6LEN + 8];
	rn_ipmask_string(m, s, sizeof s);
	field(s);
}

static void ip_info(rn_ip ip)
{
	char s[RN_IP_STRLEN + 8], t[16 + RN_IP_STRLEN];
	char fl[9];
	int r;

	field_hex(ip.b, ip.len);
	field_ip(ip);
	r = rn_ip_marshal_text(ip, s, sizeof s);
	if (r < 0) {
		char e[512];
		rn_error_string(NULL, e, sizeof e);
		if (!first_field)
			putchar('\t');
		first_field = false;
		fputs("mterr:", stdout);
		put_esc(e, strlen(e));
	} else {
		snprintf(t, sizeof t, "mt:%s", s);
		field(t);
	}
	fl[0] = rn_ip_is_unspecified(ip) ? '1' : '0';
	fl[1] = rn_ip_is_loopback(ip) ? '1' : '0';
	fl[2] = rn_ip_is_private(ip) ? '1' : '0';
	fl[3] = rn_ip_is_multicast(ip) ? '1' : '0';
	fl[4] = rn_ip_is_interface_local_multicast(ip) ? '1' : '0';
	fl[5] = rn_ip_is_link_local_multicast(ip) ? '1' : '0';
	fl[6] = rn_ip_is_link_local_unicast(ip) ? '1' : '0';
	fl[7] = rn_ip_is_global_unicast(ip) ? '1' : '0';
	fl[8] = '\0';
	field(fl);
	rn_ip v4 = rn_ip_to4(ip), v16 = rn_ip_to16(ip);
	field_hex(v4.b, v4.len);
	field_hex(v16.b, v16.len);
	field_mask_string(rn_ip_default_mask(ip));
}

static bool has_nul(const arg *a, int na)
{
	for (int i = 0; i < na; i++)
		if (strlen(a[i].s) != a[i].n)
			return true;
	return false;
}

static void run(const char *fn, arg *a, int na)
{
	static char empty[1];
	arg none = {empty, 0};
#define A(i) ((i) < na ? &a[i] : &none)
#define S(i) (A(i)->s)

	if (has_nul(a, na)) {
		field("SKIP");
		field("NUL byte");
		return;
	}
	if (!strcmp(fn, "ParseIP")) {
		rn_ip ip = rn_parse_ip(S(0));
		if (ip.len == 0)
			field("nil");
		else
			ip_info(ip);
	} else if (!strcmp(fn, "UnmarshalIP")) {
		rn_ip ip = {0};
		int r = rn_ip_unmarshal_text(&ip, S(0), A(0)->n);
		if (r < 0) {
			err_line(r);
		} else {
			field_hex(ip.b, ip.len);
			field_ip(ip);
		}
	} else if (!strcmp(fn, "IP")) {
		rn_ip ip;
		if (!arg_ip(A(0), &ip))
			field("badarg");
		else
			ip_info(ip);
	} else if (!strcmp(fn, "IPEqual")) {
		rn_ip x, y;
		if (!arg_ip(A(0), &x) || !arg_ip(A(1), &y))
			field("badarg");
		else
			field(rn_ip_equal(x, y) ? "1" : "0");
	} else if (!strcmp(fn, "IPMask")) {
		rn_ip x;
		rn_ipmask m;
		if (!arg_ip(A(0), &x) || !arg_mask(A(1), &m)) {
			field("badarg");
		} else {
			rn_ip r = rn_ip_mask(x, m);
			field_hex(r.b, r.len);
		}
	} else if (!strcmp(fn, "ParseCIDR")) {
		rn_ip ip;
		rn_ipnet n;
		char s[RN_IPNET_STRLEN];
		int r = rn_parse_cidr(S(0), &ip, &n);
		if (r < 0) {
			err_line(r);
		} else {
			field_hex(ip.b, ip.len);
			field_ip(ip);
			field_hex(n.ip.b, n.ip.len);
			field_hex(n.mask.b, n.mask.len);
			rn_ipnet_string(&n, s, sizeof s);
			field(s);
			field(rn_ipnet_network(&n));
		}
	} else if (!strcmp(fn, "SplitHostPort")) {
		size_t sz = A(0)->n + 1;
		char *h = malloc(sz), *p = malloc(sz);
		if (!h || !p)
			abort();
		int r = rn_split_host_port(S(0), h, sz, p, sz);
		if (r < 0) {
			err_line(r);
		} else {
			field(h);
			field(p);
		}
		free(h);
		free(p);
	} else if (!strcmp(fn, "JoinHostPort")) {
		int n = rn_join_host_port(S(0), S(1), NULL, 0);
		if (n < 0) {
			field("ringnet:JoinHostPort failed");
		} else {
			char *b = malloc((size_t)n + 1);
			if (!b)
				abort();
			if (rn_join_host_port(S(0), S(1), b, (size_t)n + 1) != n)
				field("ringnet:JoinHostPort length mismatch");
			else
				field(b);
			free(b);
		}
	} else if (!strcmp(fn, "ParseMAC")) {
		rn_hwaddr hw;
		char s[RN_HWADDR_STRLEN];
		int r = rn_parse_mac(S(0), &hw);
		if (r < 0) {
			err_line(r);
		} else {
			field_hex(hw.b, hw.len);
			rn_hwaddr_string(&hw, s, sizeof s);
			field(s);
		}
	} else if (!strcmp(fn, "CIDRMask")) {
		rn_ipmask m = rn_cidr_mask(atoi(S(0)), atoi(S(1)));
		field_hex(m.b, m.len);
		field_mask_string(m);
	} else if (!strcmp(fn, "MaskSize")) {
		rn_ipmask m;
		int ones = -99, bits = -99;
		if (!arg_mask(A(0), &m)) {
			field("badarg");
		} else {
			rn_ipmask_size(m, &ones, &bits);
			field_int(ones);
			field_int(bits);
			field_mask_string(m);
		}
	} else if (!strcmp(fn, "IPNet")) {
		rn_ipnet n;
		rn_ip z;
		char s[RN_IPNET_STRLEN];
		if (!arg_ip(A(0), &n.ip) || !arg_mask(A(1), &n.mask) || !arg_ip(A(2), &z)) {
			field("badarg");
		} else {
			rn_ipnet_string(&n, s, sizeof s);
			field(s);
			field(rn_ipnet_network(&n));
			field(rn_ipnet_contains(&n, z) ? "1" : "0");
		}
	} else if (!strcmp(fn, "IPNetNil")) {
		char s[RN_IPNET_STRLEN];
		rn_ipnet_string(NULL, s, sizeof s);
		field(s);
		field(rn_ipnet_network(NULL));
	} else if (!strcmp(fn, "LookupPort")) {
		int r = rn_lookup_port(S(0), S(1));
		if (r < 0)
			err_line(r);
		else
			field_int(r);
	} else if (would_look_up(fn, S(0), S(1))) {
		/*
		 * A host name: the Go side does not look names up (its answer
		 * would depend on DNS), so neither do we; say what a failed
		 * lookup says, which is what the comparison expects.
		 */
		size_t n = strlen(S(1)) + 1;
		char *host = malloc(n), *port = malloc(n), *text = malloc(n + 32);
		const char *h = S(1);

		if (!host || !port || !text)
			abort();
		if (fn[7] != 'I' && rn_split_host_port(S(1), host, n, port, n) == 0)
			h = host;
		snprintf(text, n + 32, "lookup %s: no such host", h);
		field("err");
		field("*net.DNSError");
		field(text);
		free(host);
		free(port);
		free(text);
	} else if (!strcmp(fn, "ResolveTCPAddr") || !strcmp(fn, "ResolveUDPAddr")) {
		char s[RN_ADDR_STRLEN], ap[RN_ADDR_STRLEN];
		rn_tcpaddr t;
		rn_udpaddr u;
		bool tcp = fn[7] == 'T';
		int r = tcp ? rn_resolve_tcp_addr(S(0), S(1), &t) : rn_resolve_udp_addr(S(0), S(1), &u);
		if (r < 0) {
			err_line(r);
		} else if (tcp) {
			rn_tcpaddr_string(&t, s, sizeof s);
			field(s);
			field(rn_tcpaddr_network(&t));
			field_hex(t.ip.b, t.ip.len);
			field_int(t.port);
			field(t.zone);
			rn_addrport_string(rn_tcpaddr_addr_port(&t), ap, sizeof ap);
			field(ap);
		} else {
			rn_udpaddr_string(&u, s, sizeof s);
			field(s);
			field(rn_udpaddr_network(&u));
			field_hex(u.ip.b, u.ip.len);
			field_int(u.port);
			field(u.zone);
			rn_addrport_string(rn_udpaddr_addr_port(&u), ap, sizeof ap);
			field(ap);
		}
	} else if (!strcmp(fn, "ResolveIPAddr")) {
		char s[RN_ADDR_STRLEN];
		rn_ipaddr ia;
		int r = rn_resolve_ip_addr(S(0), S(1), &ia);
		if (r < 0) {
			err_line(r);
		} else {
			rn_ipaddr_string(&ia, s, sizeof s);
			field(s);
			field(rn_ipaddr_network(&ia));
			field_hex(ia.ip.b, ia.ip.len);
			field(ia.zone);
		}
	} else if (!strcmp(fn, "ResolveUnixAddr")) {
		char s[RN_UNIX_NAME_MAX + 8];
		rn_unixaddr ua;
		int r = rn_resolve_unix_addr(S(0), S(1), &ua);
		if (r < 0) {
			err_line(r);
		} else {
			rn_unixaddr_string(&ua, s, sizeof s);
			field(s);
			field(rn_unixaddr_network(&ua));
		}
	} else {
		field("unknown-func");
	}
#undef A
#undef S
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, stdin)) > 0) {
		arg a[MAXARGS];
		int na = 0;
		bool bad = false;
		char *fn, *p, *tab;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		fn = line;
		p = strchr(line, '\t');
		if (p) {
			*p++ = '\0';
			while (p && na < MAXARGS) {
				tab = strchr(p, '\t');
				if (tab)
					*tab = '\0';
				long n = unesc(p, strlen(p));
				if (n < 0)
					bad = true;
				a[na].s = p;
				a[na].n = n < 0 ? 0 : (size_t)n;
				na++;
				p = tab ? tab + 1 : NULL;
			}
		}
		if (bad)
			field("badline");
		else
			run(fn, a, na);
		end_line();
	}
	free(line);
	return ferror(stdout) ? 1 : 0;
}
