/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/etctables.c - the services and protocols tables.
 *
 * Each file is read once per process under pthread_once and never changes
 * afterwards, so lookups take no lock.  This is the one kind of process-wide
 * state the address layer keeps; Go keeps the same (readServicesOnce,
 * readProtocolsOnce) and, like Go, later edits of the files are not seen.
 */
#include "api/etctables.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/parse.h"

/* One name of one line: it points into the table's copy of the file. */
struct entry {
	const char *name;
	const char *net; /* services: "tcp", "udp", ...; protocols: unused */
	int number;	 /* port or protocol number */
};

struct table {
	char *text;	/* the file, NUL-split into words */
	struct entry *e;
	size_t n;
};

static struct table services, protocols;
static pthread_once_t services_once = PTHREAD_ONCE_INIT;
static pthread_once_t protocols_once = PTHREAD_ONCE_INIT;

static const struct entry builtin_services[] = {
	{ "domain", "udp", 53 },
	{ "ftp", "tcp", 21 },	 { "ftps", "tcp", 990 },  { "gopher", "tcp", 70 },
	{ "http", "tcp", 80 },	 { "https", "tcp", 443 }, { "imap2", "tcp", 143 },
	{ "imap3", "tcp", 220 }, { "imaps", "tcp", 993 }, { "pop3", "tcp", 110 },
	{ "pop3s", "tcp", 995 }, { "smtp", "tcp", 25 },	  { "ssh", "tcp", 22 },
	{ "telnet", "tcp", 23 },
};

static const struct entry builtin_protocols[] = {
	{ "icmp", NULL, 1 }, { "igmp", NULL, 2 },      { "tcp", NULL, 6 },
	{ "udp", NULL, 17 }, { "ipv6-icmp", NULL, 58 },
};

/* Read a whole file (capped at 4 MiB, far beyond any real services file). */
static char *read_file(const char *path)
{
	size_t cap = 16384, len = 0;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	while (buf) {
		ssize_t r;

		if (len == cap) {
			char *nb;

			if (cap >= (4u << 20))
				break;
			nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			free(buf);
			buf = NULL;
			break;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/*
 * Split a line in place into words (Go's getFields: space, \r, \t, \n), after
 * cutting a '#' comment.  Returns the number of words stored (at most max).
 */
static size_t fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *hash = strchr(line, '#');

	if (hash)
		*hash = '\0';
	for (char *p = line; *p && n < max;) {
		while (*p == ' ' || *p == '\r' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		f[n++] = p;
		while (*p && *p != ' ' && *p != '\r' && *p != '\t')
			p++;
	}
	return n;
}

/* Call add(fields) for every line of text; lines are cut at '\n' in place. */
static void each_line(char *text, void (*add)(char **f, size_t n, struct table *t),
		      struct table *t)
{
	char *f[64];

	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		add(f, fields(line, f, 64), t);
		line = nl ? nl + 1 : NULL;
	}
}

static bool push(struct table *t, size_t *cap, const char *name, const char *net, int number)
{
	if (t->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		struct entry *ne = realloc(t->e, nc * sizeof(*ne));

		if (!ne)
			return false;
		t->e = ne;
		*cap = nc;
	}
	t->e[t->n++] = (struct entry){ name, net, number };
	return true;
}

static size_t services_cap, protocols_cap;

static void add_service(char **f, size_t n, struct table *t)
{
	int port;
	size_t j;
	const char *portnet;

	if (n < 2)
		return;
	portnet = f[1]; /* "80/tcp" */
	if (!rni_dtoi(portnet, strlen(portnet), &port, &j) || port <= 0 || portnet[j] != '/')
		return;
	for (size_t i = 0; i < n; i++)
		if (i != 1 && !push(t, &services_cap, f[i], portnet + j + 1, port))
			return;
}

static void add_protocol(char **f, size_t n, struct table *t)
{
	int proto;
	size_t used;

	if (n < 2 || !rni_dtoi(f[1], strlen(f[1]), &proto, &used))
		return;
	for (size_t i = 0; i < n; i++)
		if (i != 1 && !push(t, &protocols_cap, f[i], NULL, proto))
			return;
}

static void load_services(void)
{
	services.text = read_file("/etc/services");
	if (services.text)
		each_line(services.text, add_service, &services);
}

static void load_protocols(void)
{
	protocols.text = read_file("/etc/protocols");
	if (protocols.text)
		each_line(protocols.text, add_protocol, &protocols);
}

bool rni_service_port(const char *net, const char *name, int *port)
{
	pthread_once(&services_once, load_services);
	/* Later lines override earlier ones, and the file overrides Go's table. */
	for (size_t i = services.n; i-- > 0;) {
		const struct entry *e = &services.e[i];
		if (strcmp(e->name, name) == 0 && strcmp(e->net, net) == 0) {
			*port = e->number;
			return true;
		}
	}
	for (size_t i = 0; i < sizeof(builtin_services) / sizeof(builtin_services[0]); i++) {
		const struct entry *e = &builtin_services[i];
		if (strcmp(e->name, name) == 0 && strcmp(e->net, net) == 0) {
			*port = e->number;
			return true;
		}
	}
	return false;
}

bool rni_protocol_number(const char *name, int *proto)
{
	/* Go's table wins, then the first line that names the protocol. */
	for (size_t i = 0; i < sizeof(builtin_protocols) / sizeof(builtin_protocols[0]); i++) {
		if (strcmp(builtin_protocols[i].name, name) == 0) {
			*proto = builtin_protocols[i].number;
			return true;
		}
	}
	pthread_once(&protocols_once, load_protocols);
	for (size_t i = 0; i < protocols.n; i++) {
		if (strcmp(protocols.e[i].name, name) == 0) {
			*proto = protocols.e[i].number;
			return true;
		}
	}
	return false;
}
