/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/dial.c - Dial, DialTimeout, Listen and ListenPacket: parse the
 * network, resolve the address, and hand over to the protocol's half
 * (tcpsock.c, udpsock.c), as Go's dial.go does.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/conn.h"
#include "api/errors.h"
#include "api/resolve.h"

enum proto { P_TCP, P_UDP, P_UNIX, P_IP, P_OTHER };

static enum proto proto_of(const char *afnet)
{
	if (!strncmp(afnet, "tcp", 3))
		return P_TCP;
	if (!strncmp(afnet, "udp", 3))
		return P_UDP;
	if (!strncmp(afnet, "unix", 4))
		return P_UNIX;
	if (!strncmp(afnet, "ip", 2))
		return P_IP;
	return P_OTHER;
}

/* Go's resolveAddrList checks; records the error and returns < 0 on failure. */
static int check(const char *op, const char *network, const char *address, enum proto *p)
{
	rn_network nw;
	int rc;

	if (!network || !address)
		return rni_err_einval("NULL network or address");
	rc = rn_parse_network(network, true, &nw);
	if (rc < 0)
		return rc;
	if (!strcmp(op, "dial") && !address[0])
		return rni_err_sentinel(RN_EMISSINGADDR);
	*p = proto_of(nw.afnet);
	return 0;
}

/* The earliest of the Dialer's timeout and deadline and the context's deadline. */
static int64_t dial_deadline(const rn_dialer *d, rn_ctx *ctx)
{
	int64_t dl = d->timeout > 0 ? rn_time_add(rn_now(), d->timeout) : 0;
	int64_t cd = rn_ctx_deadline(ctx);

	if (d->deadline && (!dl || d->deadline < dl))
		dl = d->deadline;
	if (cd && (!dl || cd < dl))
		dl = cd;
	return dl;
}

/* Go's resolveAddrList hint check: a local address must match the network. */
static int check_local(const rn_addr *la, enum proto p)
{
	char text[RN_UNIX_NAME_MAX + RN_ADDR_STRLEN];

	if (la->kind == RN_ADDR_NONE || (p == P_TCP && la->kind == RN_ADDR_TCP) ||
	    (p == P_UDP && la->kind == RN_ADDR_UDP) || (p == P_UNIX && la->kind == RN_ADDR_UNIX) ||
	    (p == P_IP && la->kind == RN_ADDR_IP))
		return 0;
	rn_addr_string(la, text, sizeof(text));
	return rni_err_addr("mismatched local address type", text);
}

/*
 * Go's partialDeadline: share the time left among the addresses still to try,
 * but give each at least 2 s (or all that is left).  0 means none; -1 that
 * the time is up.
 */
static int64_t partial_deadline(int64_t deadline, int remaining)
{
	const int64_t sane_minimum = 2 * RN_SECOND;
	int64_t now = rn_now(), left, each;

	if (!deadline)
		return 0;
	left = deadline - now;
	if (left <= 0)
		return -1;
	each = left / remaining;
	if (each < sane_minimum)
		each = left < sane_minimum ? left : sane_minimum;
	return now + each;
}

/* Dial one resolved address of an IP network (tcp, udp, ip). */
static rn_conn *dial_one(enum proto p, const char *network, const rn_addr *ra, const rni_dial *o)
{
	switch (p) {
	case P_TCP:
		return rni_dial_tcp(network, &ra->u.tcp, o);
	case P_UDP:
		return rni_dial_udp(network, &ra->u.udp, o);
	default:
		return rni_dial_ip(network, &ra->u.ip, o);
	}
}

/* Go's dialSerial: each address in turn under its share of the deadline. */
static rn_conn *dial_serial(enum proto p, const char *network, const rni_addrs *as, int port,
			    const rni_dial *o)
{
	const rn_addr *src = o->d->local_addr.kind == RN_ADDR_NONE ? NULL : &o->d->local_addr;
	rn_error first;
	bool have_first = false;

	for (int i = 0; i < as->n; i++) {
		rni_dial one = *o;
		rn_addr ra;
		rn_conn *c;
		int rc;

		memset(&ra, 0, sizeof(ra));
		ra.kind = p == P_TCP ? RN_ADDR_TCP : p == P_UDP ? RN_ADDR_UDP : RN_ADDR_IP;
		if (p == P_IP) {
			ra.u.ip.ip = as->ip[i];
			memcpy(ra.u.ip.zone, as->zone[i], RN_ZONE_MAX);
		} else {
			ra.u.tcp.ip = as->ip[i]; /* tcp and udp addresses share one layout */
			ra.u.tcp.port = port;
			memcpy(ra.u.tcp.zone, as->zone[i], RN_ZONE_MAX);
		}
		rc = rn_ctx_err(o->ctx);
		if (rc) {
			/* Go's mapErr: a cancel is "operation was canceled", a deadline a timeout. */
			rni_err_sentinel(rc == RN_ECANCELED ? RN_EOPCANCELED : RN_ETIMEOUT);
			rni_err_op("dial", network, src, &ra);
			break;
		}
		one.deadline = partial_deadline(o->deadline, as->n - i);
		if (one.deadline < 0) {
			rni_err_sentinel(RN_ETIMEOUT);
			rni_err_op("dial", network, src, &ra);
			break;
		}
		c = dial_one(p, network, &ra, &one);
		if (c)
			return c;
		if (!have_first) {
			first = *rn_last_error();
			have_first = true;
		}
	}
	if (have_first)
		*rni_err_slot() = first; /* Go reports the first address's error */
	return NULL;
}

/*
 * Go's dialParallel ("Happy Eyeballs", RFC 6555): the primaries are dialed
 * at once, the fallbacks (the other family) after the fallback delay or as
 * soon as the primaries have all failed.  The first conn wins; the loser is
 * cancelled through its context and closes whatever it still gets.  When
 * both fail, the primaries' error is the one reported.
 *
 * Each racer is a thread (with its own engine ring, started on first use):
 * a blocking dial can only be raced by another thread until tasks exist.
 */
struct race {
	pthread_mutex_t mu;
	rne_cond cv;	/* the dialing call waits here, thread or task */
	int refs;		/* the dialer and each racer still running */
	bool returned;		/* the dialer has its answer: losers close their conns */
};

struct racer {
	struct race *race;
	enum proto p;
	char network[16];	/* a copy: a loser may outlive the caller's string */
	rni_addrs as;
	int port;
	rni_dial o;		/* o.ctx: the racer's own, cancelled when it loses */
	rn_dialer d;		/* a copy: the racer may outlive the caller's */
	rn_conn *c;
	rn_error err;
	bool started, done;
};

static void race_put(struct race *r)
{
	bool last;

	pthread_mutex_lock(&r->mu);
	last = --r->refs == 0;
	pthread_mutex_unlock(&r->mu);
	if (last) {
		pthread_mutex_destroy(&r->mu);
		free(r);
	}
}

static rn_conn *dial_serial(enum proto p, const char *network, const rni_addrs *as, int port,
			    const rni_dial *o);

static void *racer_main(void *arg)
{
	struct racer *x = arg;
	struct race *r = x->race;
	rn_conn *c = dial_serial(x->p, x->network, &x->as, x->port, &x->o);

	pthread_mutex_lock(&r->mu);
	if (r->returned) {
		/* Lost the race: nobody will take this conn or read this racer. */
		pthread_mutex_unlock(&r->mu);
		rn_conn_free(c);
		rn_ctx_free(x->o.ctx);
		free(x);
		race_put(r);
		return NULL;
	}
	x->c = c;
	if (!c)
		x->err = *rn_last_error();
	x->done = true;
	rne_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	race_put(r);
	return NULL;
}

/* Start @x's thread; on failure it is done with the error recorded. */
static void racer_start(struct racer *x)
{
	pthread_attr_t at;
	pthread_t t;
	int rc;

	x->started = true;
	x->race->refs++;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &at, racer_main, x);
	pthread_attr_destroy(&at);
	if (rc != 0) {
		x->race->refs--;
		rni_err_errno(rc, "pthread_create");
		x->err = *rn_last_error();
		x->done = true;
	}
}

static struct racer *racer_new(struct race *r, enum proto p, const char *network, int port,
			       const rni_dial *o)
{
	struct racer *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->race = r;
	x->p = p;
	snprintf(x->network, sizeof(x->network), "%s", network);
	x->port = port;
	x->d = *o->d;
	x->o = *o;
	x->o.d = &x->d;
	x->o.ctx = rn_ctx_with_cancel(o->ctx);
	if (!x->o.ctx) {
		free(x);
		return NULL;
	}
	return x;
}

static rn_conn *dial_parallel(enum proto p, const char *network, const rni_addrs *prim,
			      const rni_addrs *fall, int port, const rni_dial *o)
{
	rn_duration delay = o->d->fallback_delay > 0 ? o->d->fallback_delay : 300 * RN_MILLISECOND;
	struct race *r = calloc(1, sizeof(*r));
	struct racer *x[2] = { NULL, NULL };
	int64_t at; /* when the fallbacks start (rn_time) */
	rn_conn *won = NULL;
	rn_error err;

	if (r) {
		pthread_mutex_init(&r->mu, NULL);
		rne_cond_init(&r->cv);
		r->refs = 1;
		x[0] = racer_new(r, p, network, port, o);
		x[1] = racer_new(r, p, network, port, o);
	}
	if (!r || !x[0] || !x[1]) {
		if (x[0])
			rn_ctx_free(x[0]->o.ctx);
		if (x[1])
			rn_ctx_free(x[1]->o.ctx);
		free(x[0]);
		free(x[1]);
		if (r)
			race_put(r);
		return dial_serial(p, network, prim, port, o); /* out of memory: no race */
	}
	x[0]->as = *prim;
	x[1]->as = *fall;
	at = rn_now() + delay;
	pthread_mutex_lock(&r->mu);
	racer_start(x[0]);
	for (;;) {
		bool timed_out = false;

		if ((x[0]->done && x[0]->c) || (x[1]->done && x[1]->c)) {
			int w = x[0]->done && x[0]->c ? 0 : 1;

			won = x[w]->c;
			x[w]->c = NULL;
			break;
		}
		if (x[0]->done && x[1]->done) {
			err = x[0]->err; /* Go reports the primaries' error */
			break;
		}
		if (!x[1]->started && x[0]->done) {
			racer_start(x[1]); /* the primaries failed: fall back now */
			continue;
		}
		if (!x[1]->started)
			timed_out = !rne_cond_wait_until(&r->cv, &r->mu, at);
		else
			rne_cond_wait(&r->cv, &r->mu);
		if (timed_out && !x[1]->started)
			racer_start(x[1]);
	}
	r->returned = true;
	/* Racers still running see `returned` and clean up after themselves. */
	for (int i = 0; i < 2; i++) {
		if (x[i]->started && !x[i]->done) {
			rn_ctx_cancel(x[i]->o.ctx);
			continue;
		}
		rn_ctx_free(x[i]->o.ctx);
		free(x[i]);
	}
	pthread_mutex_unlock(&r->mu);
	race_put(r);
	if (!won)
		*rni_err_slot() = err;
	return won;
}

/* Go's addrList.partition(isIPv4): the first address's family, then the rest. */
static void partition(const rni_addrs *as, rni_addrs *prim, rni_addrs *fall)
{
	bool v4 = as->n > 0 && rn_ip_to4(as->ip[0]).len == 4;

	prim->n = fall->n = 0;
	for (int i = 0; i < as->n; i++) {
		rni_addrs *to = (rn_ip_to4(as->ip[i]).len == 4) == v4 ? prim : fall;

		to->ip[to->n] = as->ip[i];
		memcpy(to->zone[to->n], as->zone[i], RN_ZONE_MAX);
		to->n++;
	}
}

rn_conn *rn_dialer_dial_context(const rn_dialer *d, rn_ctx *ctx, const char *network,
				const char *address)
{
	static const rn_dialer zero;
	enum proto p = P_OTHER;
	rn_network nw;
	rni_addrs as;
	rni_dial o;
	int rc, port = 0;

	o.d = d ? d : &zero;
	o.ctx = ctx;
	o.deadline = dial_deadline(o.d, ctx);
	rc = check("dial", network, address, &p);
	if (rc == 0)
		rc = check_local(&o.d->local_addr, p);
	if (rc == 0 && p == P_UNIX) {
		rn_unixaddr ra;

		rc = rn_resolve_unix_addr(network, address, &ra);
		if (rc == 0)
			return rni_dial_unix(network, &ra, &o);
	} else if (rc == 0) {
		rn_parse_network(network, true, &nw);
		rc = rni_internet_addrs(p == P_IP ? nw.afnet : network, address, &as, &port);
		if (rc == 0 && o.d->fallback_delay >= 0 && !strcmp(network, "tcp")) {
			rni_addrs prim, fall;

			partition(&as, &prim, &fall);
			if (fall.n > 0)
				return dial_parallel(p, network, &prim, &fall, port, &o);
		}
		if (rc == 0)
			return dial_serial(p, network, &as, port, &o);
	}
	rni_err_op("dial", network ? network : "", NULL, NULL);
	return NULL;
}

rn_conn *rn_dialer_dial(const rn_dialer *d, const char *network, const char *address)
{
	return rn_dialer_dial_context(d, NULL, network, address);
}

rn_conn *rn_dial_timeout(const char *network, const char *address, rn_duration timeout)
{
	rn_dialer d;

	memset(&d, 0, sizeof(d));
	d.timeout = timeout;
	return rn_dialer_dial_context(&d, NULL, network, address);
}

rn_conn *rn_dial(const char *network, const char *address)
{
	return rn_dialer_dial_context(NULL, NULL, network, address);
}

/*
 * Resolve a listen address for either protocol; a Listen on a packet network
 * or a ListenPacket on a stream one fails as Go's does, with "unexpected
 * address type".
 */
static int resolve_listen(const char *network, const char *address, enum proto want,
			  rn_addr *la)
{
	enum proto p = P_OTHER;
	int rc = check("listen", network, address, &p);

	if (rc < 0)
		return rni_err_op("listen", network ? network : "", NULL, NULL);
	switch (p) {
	case P_TCP:
		la->kind = RN_ADDR_TCP;
		rc = rn_resolve_tcp_addr(network, address, &la->u.tcp);
		break;
	case P_UDP:
		la->kind = RN_ADDR_UDP;
		rc = rn_resolve_udp_addr(network, address, &la->u.udp);
		break;
	case P_IP:
		la->kind = RN_ADDR_IP;
		rc = rn_resolve_ip_addr(network, address, &la->u.ip);
		break;
	default:
		la->kind = RN_ADDR_UNIX;
		rc = rn_resolve_unix_addr(network, address, &la->u.un);
		break;
	}
	if (rc < 0)
		return rni_err_op("listen", network, NULL, NULL);
	/*
	 * Go: Listen takes TCP and Unix addresses, ListenPacket UDP and Unix
	 * ones (a Unix network of the wrong kind fails later, in the kernel).
	 */
	if (want == P_TCP ? (p == P_UDP || p == P_IP) : p == P_TCP) {
		rni_err_addr("unexpected address type", address);
		return rni_err_op("listen", network, NULL, la);
	}
	return 0;
}

rn_listener *rn_listen_config_listen(const rn_listen_config *lc, rn_ctx *ctx,
				     const char *network, const char *address)
{
	static const rn_listen_config zero;
	rn_addr la;

	if (resolve_listen(network, address, P_TCP, &la) < 0)
		return NULL;
	if (rn_ctx_err(ctx)) {
		rni_err_sentinel(rn_ctx_err(ctx) == RN_ECANCELED ? RN_EOPCANCELED : RN_ETIMEOUT);
		rni_err_op("listen", network, NULL, &la);
		return NULL;
	}
	if (la.kind == RN_ADDR_UNIX)
		return rni_listen_unix(network, &la.u.un);
	return rni_listen_tcp(network, &la.u.tcp, lc ? lc : &zero);
}

rn_conn *rn_listen_config_listen_packet(const rn_listen_config *lc, rn_ctx *ctx,
					const char *network, const char *address)
{
	static const rn_listen_config zero;
	rn_addr la;

	if (resolve_listen(network, address, P_UDP, &la) < 0)
		return NULL;
	if (rn_ctx_err(ctx)) {
		rni_err_sentinel(rn_ctx_err(ctx) == RN_ECANCELED ? RN_EOPCANCELED : RN_ETIMEOUT);
		rni_err_op("listen", network, NULL, &la);
		return NULL;
	}
	if (la.kind == RN_ADDR_UNIX)
		return rni_listen_unixgram(network, &la.u.un);
	if (la.kind == RN_ADDR_IP)
		return rni_listen_ip(network, &la.u.ip, lc ? lc : &zero);
	return rni_listen_udp(network, &la.u.udp, lc ? lc : &zero);
}

rn_listener *rn_listen(const char *network, const char *address)
{
	return rn_listen_config_listen(NULL, NULL, network, address);
}

rn_conn *rn_listen_packet(const char *network, const char *address)
{
	return rn_listen_config_listen_packet(NULL, NULL, network, address);
}
