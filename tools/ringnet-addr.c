/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet-addr - print what Go's net package makes of each address.
 *
 *   ringnet-addr [--network NET] ADDRESS...
 *
 * For each operand: ParseIP (with the classifiers that hold), ParseCIDR,
 * ParseMAC, SplitHostPort and Resolve{TCP,UDP,IP,Unix}Addr for NET (default
 * "tcp").  Each line is the value, or "error: " and Go's exact error text.
 *
 * Exit status: 0 when every operand was accepted by at least one of them,
 * 1 when some operand was accepted by none, 2 for a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringnet/ringnet.h>

#include "tool_common.h"

#define SYNOPSIS "[--network NET] ADDRESS..."
#define ERRBUF 2048

static const char *prog = "ringnet-addr";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s " SYNOPSIS "\n"
		"\n"
		"For each ADDRESS, print what Go's net package makes of it: ParseIP (and\n"
		"the IP classifiers that hold), ParseCIDR, ParseMAC, SplitHostPort, and\n"
		"the Resolve*Addr function for NET.  Each line shows the value or Go's\n"
		"error text.\n"
		"\n"
		"options:\n"
		"  -n, --network NET  network for the resolve line (default \"tcp\"):\n"
		"                     tcp, tcp4, tcp6 (ResolveTCPAddr), udp, udp4, udp6\n"
		"                     (ResolveUDPAddr), ip, ip4, ip6 with an optional\n"
		"                     \":proto\" (ResolveIPAddr), unix, unixgram,\n"
		"                     unixpacket (ResolveUnixAddr)\n"
		"  -h, --help         print this help and exit\n"
		"  -V, --version      print the ringnet version and exit\n"
		"\n"
		"Host names do not resolve yet: they fail with \"no such host\".\n"
		"\n"
		"exit status: 0 if every ADDRESS was accepted by at least one function,\n"
		"1 if some ADDRESS was accepted by none, 2 for a usage error.\n"
		"\n"
		"examples:\n"
		"  %s 192.0.2.1 '[fe80::1%%eth0]:443' 10.0.0.0/8 00:00:5e:00:53:01\n"
		"  %s --network udp6 '[::1]:domain'\n",
		prog, prog, prog);
}

/* Print @s as Go's %q would for printable ASCII; other bytes as \xNN. */
static void print_quoted(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p >= 0x20 && *p < 0x7f)
			putchar(*p);
		else
			printf("\\x%02x", *p);
	}
	putchar('"');
}

static void label(const char *name)
{
	printf("  %-16s", name);
}

static bool show_parse_ip(const char *s)
{
	char buf[ERRBUF];
	rn_ip ip = rn_parse_ip(s);

	label("ParseIP:");
	if (rn_ip_is_nil(ip)) {
		/* ParseIP has no error; UnmarshalText gives Go's text for why. */
		rn_ip tmp = ip;
		if (rn_ip_unmarshal_text(&tmp, s, strlen(s)) < 0)
			printf("error: %s\n", last_error_text(buf, sizeof buf));
		else
			printf("<nil>\n");
		return false;
	}

	rn_ip_string(ip, buf, sizeof buf);
	printf("%s (%s)", buf, rn_ip_is_nil(rn_ip_to4(ip)) ? "IPv6" : "IPv4");

	static const struct {
		const char *name;
		bool (*fn)(rn_ip);
	} classes[] = {
		{"IsUnspecified", rn_ip_is_unspecified},
		{"IsLoopback", rn_ip_is_loopback},
		{"IsPrivate", rn_ip_is_private},
		{"IsMulticast", rn_ip_is_multicast},
		{"IsInterfaceLocalMulticast", rn_ip_is_interface_local_multicast},
		{"IsLinkLocalMulticast", rn_ip_is_link_local_multicast},
		{"IsLinkLocalUnicast", rn_ip_is_link_local_unicast},
		{"IsGlobalUnicast", rn_ip_is_global_unicast},
	};
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (classes[i].fn(ip))
			printf(" %s", classes[i].name);
	rn_ipmask dm = rn_ip_default_mask(ip);
	if (dm.len > 0) {
		rn_ipmask_string(dm, buf, sizeof buf);
		printf(" DefaultMask=%s", buf);
	}
	putchar('\n');
	return true;
}

static bool show_parse_cidr(const char *s)
{
	char buf[ERRBUF], nbuf[RN_IPNET_STRLEN];
	rn_ip ip;
	rn_ipnet net;

	label("ParseCIDR:");
	if (rn_parse_cidr(s, &ip, &net) < 0) {
		printf("error: %s\n", last_error_text(buf, sizeof buf));
		return false;
	}
	rn_ip_string(ip, buf, sizeof buf);
	rn_ipnet_string(&net, nbuf, sizeof nbuf);
	int ones = 0, bits = 0;
	rn_ipmask_size(net.mask, &ones, &bits);
	printf("ip %s net %s (%d of %d bits)\n", buf, nbuf, ones, bits);
	return true;
}

static bool show_parse_mac(const char *s)
{
	char buf[ERRBUF];
	rn_hwaddr hw;

	label("ParseMAC:");
	if (rn_parse_mac(s, &hw) < 0) {
		printf("error: %s\n", last_error_text(buf, sizeof buf));
		return false;
	}
	rn_hwaddr_string(&hw, buf, sizeof buf);
	printf("%s (%u bytes)\n", buf, (unsigned)hw.len);
	return true;
}

static bool show_split_host_port(const char *s)
{
	char buf[ERRBUF];
	size_t n = strlen(s) + 1;
	char *host = malloc(n), *port = malloc(n);
	bool ok = false;

	label("SplitHostPort:");
	if (host == NULL || port == NULL) {
		printf("error: %s\n", strerror(ENOMEM));
	} else if (rn_split_host_port(s, host, n, port, n) < 0) {
		printf("error: %s\n", last_error_text(buf, sizeof buf));
	} else {
		printf("host ");
		print_quoted(host);
		printf(" port ");
		print_quoted(port);
		putchar('\n');
		ok = true;
	}
	free(host);
	free(port);
	return ok;
}

static bool show_resolve(const char *network, const char *s)
{
	char buf[ERRBUF];
	int rc;

	/* Pick the function by the network's family, as Go's callers would. */
	if (strncmp(network, "udp", 3) == 0) {
		rn_udpaddr a;
		label("ResolveUDPAddr:");
		if ((rc = rn_resolve_udp_addr(network, s, &a)) >= 0)
			rn_udpaddr_string(&a, buf, sizeof buf);
	} else if (strncmp(network, "ip", 2) == 0) {
		rn_ipaddr a;
		label("ResolveIPAddr:");
		if ((rc = rn_resolve_ip_addr(network, s, &a)) >= 0)
			rn_ipaddr_string(&a, buf, sizeof buf);
	} else if (strncmp(network, "unix", 4) == 0) {
		rn_unixaddr a;
		label("ResolveUnixAddr:");
		if ((rc = rn_resolve_unix_addr(network, s, &a)) >= 0)
			rn_unixaddr_string(&a, buf, sizeof buf);
	} else {
		/* tcp*, and anything else: ResolveTCPAddr names the bad network. */
		rn_tcpaddr a;
		label("ResolveTCPAddr:");
		if ((rc = rn_resolve_tcp_addr(network, s, &a)) >= 0)
			rn_tcpaddr_string(&a, buf, sizeof buf);
	}
	if (rc < 0) {
		printf("error: %s\n", last_error_text(buf, sizeof buf));
		return false;
	}
	printf("%s\n", buf);
	return true;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"network", required_argument, NULL, 'n'},
		COMMON_LONGOPTS,
	};
	const char *network = "tcp";
	int c;

	while ((c = getopt_long(argc, argv, "n:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			network = optarg;
			break;
		default: /* -h, -V, or an option getopt rejected */
			return common_option(c, usage);
		}
	}
	if (optind >= argc)
		return usage_error("no ADDRESS given", SYNOPSIS);

	int status = 0;
	for (int i = optind; i < argc; i++) {
		const char *s = argv[i];
		bool any = false;

		if (i > optind)
			putchar('\n');
		print_quoted(s);
		putchar('\n');
		any |= show_parse_ip(s);
		any |= show_parse_cidr(s);
		any |= show_parse_mac(s);
		any |= show_split_host_port(s);
		any |= show_resolve(network, s);
		if (!any)
			status = 1;
	}
	if (flush_stdout() < 0)
		return 1;
	return status;
}
