/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/hosts.c - host names: /etc/hosts as Go parses it, then getaddrinfo.
 *
 * The hosts file is read at each lookup (it is small, and this keeps no
 * process state); Go caches it for five seconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/errors.h"
#include "api/parse.h"
#include "api/resolve.h"
#include "engine/task.h"

#define HOSTS_PATH "/etc/hosts"

static void add(rni_addrs *out, rn_ip ip, const char *zone)
{
	if (out->n >= RNI_MAX_ADDRS)
		return;
	out->ip[out->n] = ip;
	snprintf(out->zone[out->n], RN_ZONE_MAX, "%s", zone ? zone : "");
	out->n++;
}

/* Compare a hosts-file name with @host as Go does: ASCII case, trailing dot. */
static bool same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* The addresses /etc/hosts gives @host, in file order. */
static void hosts_lookup(const char *host, rni_addrs *out)
{
	char line[1024];
	FILE *f = fopen(HOSTS_PATH, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok, *hash = strchr(line, '#');
		char zone[RN_ZONE_MAX];
		bool too_long;
		rn_ip ip;

		if (hash)
			*hash = '\0';
		tok = strtok_r(line, " \t\r\n", &save);
		if (!tok)
			continue;
		/* Go's parseLiteralIP: IPv4, or IPv6 with an optional zone. */
		ip = rni_parse_ipv4(tok, strlen(tok));
		zone[0] = '\0';
		if (!ip.len && strchr(tok, ':'))
			ip = rni_parse_ip_zone(tok, zone, &too_long);
		if (!ip.len)
			continue;
		while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL)
			if (same_name(tok, host))
				add(out, ip, zone);
	}
	fclose(f);
}

/* RFC 6761 6.4: names under .invalid never resolve; answer without a query. */
static bool is_invalid_tld(const char *host)
{
	size_t n = strlen(host);

	if (n && host[n - 1] == '.')
		n--;
	return (n == 7 && !strncasecmp(host, "invalid", 7)) ||
	       (n > 8 && !strncasecmp(host + n - 8, ".invalid", 8));
}

/*
 * getaddrinfo blocks, and may want more stack than a task has: a task hands
 * it to a short-lived thread and parks until that thread unparks it, so
 * the other tasks of its thread keep running meanwhile.
 */
typedef struct gai_job {
	const char *host;
	const struct addrinfo *hints;
	struct addrinfo *res;
	int rc, err;
	rne_parker done;
} gai_job;

static void *gai_thread(void *arg)
{
	gai_job *j = arg;

	j->rc = getaddrinfo(j->host, NULL, j->hints, &j->res);
	j->err = errno;
	rne_parker_unpark(&j->done); /* the last touch of *j */
	return NULL;
}

static int run_getaddrinfo(const char *host, const struct addrinfo *hints, struct addrinfo **res)
{
	gai_job j = { host, hints, NULL, 0, 0, { 0 } };
	pthread_attr_t at;
	pthread_t t;
	int rc;

	if (rne_task_current()) {
		rne_parker_init(&j.done);
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&t, &at, gai_thread, &j);
		pthread_attr_destroy(&at);
		if (rc == 0) {
			rne_parker_park(&j.done);
			*res = j.res;
			errno = j.err;
			return j.rc;
		}
	}
	return getaddrinfo(host, NULL, hints, res); /* a thread, or no thread to spare */
}

/* Go's cgo lookup: getaddrinfo with the network's family. */
static int gai_lookup(const char *afnet, const char *host, rni_addrs *out)
{
	struct addrinfo hints, *res = NULL;
	int version = rni_ip_version(afnet), rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = version == '4' ? AF_INET : version == '6' ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_CANONNAME | AI_V4MAPPED | AI_ALL;
	rc = run_getaddrinfo(host, &hints, &res);
	if (rc != 0) {
		if (rc == EAI_NONAME)
			return rni_err_dns(RN_EDNS_NOTFOUND, "no such host", host, NULL);
		if (rc == EAI_SYSTEM)
			return rni_err_dns(RN_EDNS, rni_errno_text(errno ? errno : EMFILE), host, NULL);
		return rni_err_dns(rc == EAI_AGAIN ? RN_EDNS_TEMPORARY : RN_EDNS, gai_strerror(rc), host,
				   NULL);
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		rn_ipaddr a;

		if (rn_ipaddr_from_sockaddr(&a, ai->ai_addr, ai->ai_addrlen) == 0)
			add(out, a.ip, a.zone);
	}
	freeaddrinfo(res);
	if (out->n == 0)
		return rni_err_dns(RN_EDNS_NOTFOUND, "no such host", host, NULL);
	return 0;
}

int rni_lookup_host(const char *afnet, const char *host, rni_addrs *out)
{
	char zone[RN_ZONE_MAX];
	bool too_long;
	rn_ip ip;

	out->n = 0;
	if (!host[0])
		return rni_err_dns(RN_EDNS_NOTFOUND, "no such host", host, NULL);
	ip = rni_parse_ip_zone(host, zone, &too_long);
	if (ip.len) {
		if (too_long)
			return rni_err_addr("IPv6 zone too long", host);
		add(out, ip, zone);
		return 0;
	}
	if (is_invalid_tld(host))
		return rni_err_dns(RN_EDNS_NOTFOUND, "no such host", host, NULL);
	hosts_lookup(host, out);
	if (out->n)
		return 0;
	return gai_lookup(afnet, host, out);
}
