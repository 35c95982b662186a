// SPDX-License-Identifier: GPL-2.0
/*
 * khttpd-tlsd: a long-lived agent for the kernel's TLS handshake upcall.
 *
 *   khttpd-tlsd --cert FILE --key FILE [--port P]... [--cpu N]...
 *               [--timeout MS] [--max N] [--priority STRING]
 *               [--pidfile FILE] [-f|--foreground] [-v]...
 *
 * A kernel socket's owner calls tls_server_hello_x509(); net/handshake
 * queues the request and multicasts READY on the "tlshd" group of its
 * generic netlink family.  We ACCEPT requests until the kernel has none
 * left, each one handing us the socket as a new fd, run the TLS 1.3
 * server handshake on it with GnuTLS (many at once, nonblocking, in one
 * epoll loop), install the session's keys with kTLS (TCP_ULP "tls",
 * TLS_TX, TLS_RX), report DONE with status 0 or a positive errno, and
 * close our fd; the socket stays its owner's.
 *
 * The request queue is shared by every user of the upcall (nfsd, nvmet):
 * with --port, requests for sockets on other local ports are answered
 * DONE with EACCES (there is no giving a request back).  Client handshakes
 * and other than x509 authentication get EOPNOTSUPP, a handshake past its
 * deadline ETIMEDOUT, one the peer broke ECONNRESET, a failed negotiation
 * EACCES (after the TLS alert), and a kTLS setup failure its errno.
 *
 * Unless -f, it forks once set up (certificate loaded, family found, group
 * joined), so a caller that waits for it may submit requests at once.
 * SIGTERM or SIGINT: fail what is under way (ECANCELED) and exit 0.
 * SIGUSR1, and exit at -v: the handshake counters on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include "handshake_uapi.h"
#include "tlsd.h"

#define MAX_PORTS		32
#define DEFAULT_TIMEOUT_MS	10000
#define DEFAULT_MAX		1024
#define MAX_EVENTS		64

int tlsd_verbose;
/* read through a signalfd, blocked otherwise */
static sigset_t agent_signals;

void tlsd_log(int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (level > tlsd_verbose)
		return;
	n = snprintf(buf, sizeof(buf), "khttpd-tlsd: ");
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	/* one write a line: lines of concurrent writers do not interleave */
	if (write(STDERR_FILENO, buf, strlen(buf)) < 0)
		return;
}

enum src_kind { SRC_NETLINK, SRC_SIGNAL, SRC_HANDSHAKE };

/* what an epoll event's data.ptr points at */
struct src {
	enum src_kind kind;
};

struct hs {
	struct src src;		/* first: epoll's data.ptr */
	struct hs *prev, *next;
	int fd;
	gnutls_session_t s;
	__u32 events;		/* what epoll waits for on fd */
	__u64 start_ms, deadline_ms;
	char peer[INET6_ADDRSTRLEN + 8];
	unsigned int port;	/* local */
};

struct agent {
	struct genl nl;
	int ep, sigfd;
	struct src nl_src, sig_src;
	struct hs list;		/* head of the handshakes under way */
	unsigned int nr_hs, max_hs;
	bool backlog;		/* stopped accepting at max_hs */
	bool want_accept;
	unsigned int ports[MAX_PORTS], nr_ports;
	unsigned int timeout_ms;
	unsigned long ok, failed, refused;
};

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void print_counters(struct agent *a)
{
	pr_err("handshakes: %lu ok, %lu failed, %lu refused, %u under way\n",
	       a->ok, a->failed, a->refused, a->nr_hs);
}

/* "addr:port" of a socket address; returns the port or -1 */
static int addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	int port;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		port = ntohs(sin->sin_port);
		snprintf(buf, len, "%s:%d", ip, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		port = ntohs(sin6->sin6_port);
		snprintf(buf, len, "[%s]:%d", ip, port);
	} else {
		snprintf(buf, len, "family %d", ss->ss_family);
		port = -1;
	}
	return port;
}

static bool port_ours(struct agent *a, int port)
{
	unsigned int i;

	if (!a->nr_ports)
		return port >= 0;
	for (i = 0; i < a->nr_ports; i++)
		if ((int)a->ports[i] == port)
			return true;
	return false;
}

/* Answer DONE for a socket we will not work on, and let it go. */
static void refuse(struct agent *a, int fd, int result, const char *why)
{
	int err = genl_done(&a->nl, fd, result);

	if (err)
		pr_err("DONE for a refused request: %s\n", strerror(-err));
	close(fd);
	a->refused++;
	pr_info("refused a request (%s): %s\n", why, strerror(-result));
}

/* result: 0 when the socket is set up for kTLS, or -errno */
static void hs_finish(struct agent *a, struct hs *h, int result,
		      const char *why)
{
	char desc[128] = "";
	int err;

	epoll_ctl(a->ep, EPOLL_CTL_DEL, h->fd, NULL);
	if (!result && tlsd_verbose >= 1)
		session_describe(h->s, desc, sizeof(desc));
	gnutls_deinit(h->s);
	err = genl_done(&a->nl, h->fd, result);
	if (err)
		pr_err("%s: DONE: %s\n", h->peer, strerror(-err));
	/*
	 * Our reference only: the socket's owner holds its own.  epoll was
	 * told first, above: it forgets an fd only when the last reference
	 * to its file goes, and that is not ours.
	 */
	close(h->fd);

	h->prev->next = h->next;
	h->next->prev = h->prev;
	a->nr_hs--;
	if (!result && !err) {
		a->ok++;
		pr_info("%s -> :%u ok %s, %llu ms\n", h->peer, h->port, desc,
			(unsigned long long)(now_ms() - h->start_ms));
	} else {
		a->failed++;
		pr_info("%s -> :%u failed: %s (%s), %llu ms\n", h->peer,
			h->port, why ? why : "DONE", strerror(err ? -err : -result),
			(unsigned long long)(now_ms() - h->start_ms));
	}
	free(h);
	if (a->backlog)
		a->want_accept = true;
}

static void hs_established(struct agent *a, struct hs *h)
{
	const char *what;
	char buf[160];
	int err;

	err = session_install_ktls(h->s, h->fd, &what);
	if (err)
		snprintf(buf, sizeof(buf), "kTLS: %s", what);
	hs_finish(a, h, err, err ? buf : NULL);
}

static void hs_step(struct agent *a, struct hs *h)
{
	int i, ret = GNUTLS_E_INTERNAL_ERROR;

	for (i = 0; i < 16; i++) {
		ret = gnutls_handshake(h->s);
		if (ret == GNUTLS_E_SUCCESS) {
			hs_established(a, h);
			return;
		}
		if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED) {
			struct epoll_event ev = { .data.ptr = h };

			ev.events = gnutls_record_get_direction(h->s) ?
				    EPOLLOUT : EPOLLIN;
			if (ev.events != h->events &&
			    !epoll_ctl(a->ep, EPOLL_CTL_MOD, h->fd, &ev))
				h->events = ev.events;
			return;
		}
		if (gnutls_error_is_fatal(ret))
			break;
		pr_debug("%s: %s\n", h->peer, gnutls_strerror(ret));
	}
	/* best effort, nonblocking: a peer that stopped reading gets none */
	gnutls_alert_send_appropriate(h->s, ret);
	hs_finish(a, h, session_status(ret), gnutls_strerror(ret));
}

/*
 * Nothing sent yet: the next step, on a whole ClientHello, is the costly
 * one (key exchange, signature); later steps are cheap.
 */
static bool hs_fresh(struct hs *h)
{
	return (int)gnutls_handshake_get_last_out(h->s) == -1;
}

static void hs_start(struct agent *a, struct hs_accept *acc)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct epoll_event ev;
	char local[64];
	struct hs *h;
	int port, ret;

	if (acc->msg_type != HS_MSG_TYPE_SERVERHELLO) {
		refuse(a, acc->fd, -EOPNOTSUPP, "not a server handshake");
		return;
	}
	if (acc->auth_mode != HS_AUTH_X509) {
		refuse(a, acc->fd, -EOPNOTSUPP, "not x509 authentication");
		return;
	}
	if (getsockname(acc->fd, (struct sockaddr *)&ss, &len) < 0) {
		refuse(a, acc->fd, -errno, "getsockname");
		return;
	}
	port = addr_str(&ss, local, sizeof(local));
	if (!port_ours(a, port)) {
		char why[64];

		snprintf(why, sizeof(why), "local port %d is not ours", port);
		refuse(a, acc->fd, -EACCES, why);
		return;
	}

	h = calloc(1, sizeof(*h));
	if (!h) {
		refuse(a, acc->fd, -ENOMEM, "no memory");
		return;
	}
	ret = session_new(&h->s, acc->fd);
	if (ret < 0) {
		free(h);
		refuse(a, acc->fd, -ENOMEM, gnutls_strerror(ret));
		return;
	}
	h->src.kind = SRC_HANDSHAKE;
	h->fd = acc->fd;
	h->port = port;
	h->start_ms = now_ms();
	h->deadline_ms = h->start_ms +
		(acc->timeout_ms ? acc->timeout_ms : a->timeout_ms);
	len = sizeof(ss);
	if (getpeername(h->fd, (struct sockaddr *)&ss, &len) < 0)
		snprintf(h->peer, sizeof(h->peer), "(fd %d)", h->fd);
	else
		addr_str(&ss, h->peer, sizeof(h->peer));
	if (acc->has_cert)
		pr_debug("%s: ignoring the request's key serials\n", h->peer);
	pr_debug("%s -> :%d accepted, timeout %u ms%s%s\n", h->peer, port,
		 acc->timeout_ms, acc->peername[0] ? ", peername " : "",
		 acc->peername);

	ev.events = EPOLLIN;
	ev.data.ptr = h;
	if (epoll_ctl(a->ep, EPOLL_CTL_ADD, h->fd, &ev) < 0) {
		int err = -errno;

		gnutls_deinit(h->s);
		free(h);
		refuse(a, acc->fd, err, "epoll");
		return;
	}
	h->events = EPOLLIN;
	h->next = &a->list;
	h->prev = a->list.prev;
	a->list.prev->next = h;
	a->list.prev = h;
	a->nr_hs++;
	/* a ClientHello already waiting is reported by epoll_wait() */
}

/* ACCEPT until the kernel has no more requests (or we are full) */
static void accept_all(struct agent *a)
{
	a->want_accept = false;
	for (;;) {
		struct hs_accept acc;
		int err;

		if (a->nr_hs >= a->max_hs) {
			a->backlog = true;
			return;
		}
		a->backlog = false;
		err = genl_accept(&a->nl, &acc);
		if (err) {
			if (acc.fd >= 0) {
				/* a reply without its ACK: give it back failed */
				genl_done(&a->nl, acc.fd, -EIO);
				close(acc.fd);
			}
			if (err != -EAGAIN)
				pr_err("ACCEPT: %s\n", strerror(-err));
			return;
		}
		hs_start(a, &acc);
	}
}

static void expire(struct agent *a, __u64 now)
{
	struct hs *h, *next;

	for (h = a->list.next; h != &a->list; h = next) {
		next = h->next;
		if (now >= h->deadline_ms)
			hs_finish(a, h, -ETIMEDOUT, "deadline");
	}
}

static int next_timeout(struct agent *a, __u64 now)
{
	__u64 first = UINT64_MAX;
	struct hs *h;

	for (h = a->list.next; h != &a->list; h = h->next)
		if (h->deadline_ms < first)
			first = h->deadline_ms;
	if (first == UINT64_MAX)
		return -1;
	if (first <= now)
		return 0;
	return first - now > 60000 ? 60000 : (int)(first - now);
}

/* Returns true to stop. */
static bool on_signal(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			print_counters(a);
			continue;
		}
		pr_info("signal %u: stopping\n", si.ssi_signo);
		return true;
	}
	return false;
}

static int run(struct agent *a)
{
	struct epoll_event ev[MAX_EVENTS];
	bool stop = false, more = false;
	int i, n, err;

	a->sigfd = signalfd(-1, &agent_signals, SFD_NONBLOCK | SFD_CLOEXEC);
	a->ep = epoll_create1(EPOLL_CLOEXEC);
	if (a->sigfd < 0 || a->ep < 0) {
		pr_err("signalfd/epoll: %s\n", strerror(errno));
		return 1;
	}
	a->nl_src.kind = SRC_NETLINK;
	a->sig_src.kind = SRC_SIGNAL;
	ev[0].events = EPOLLIN;
	ev[0].data.ptr = &a->nl_src;
	ev[1].events = EPOLLIN;
	ev[1].data.ptr = &a->sig_src;
	if (epoll_ctl(a->ep, EPOLL_CTL_ADD, a->nl.mc_fd, &ev[0]) < 0 ||
	    epoll_ctl(a->ep, EPOLL_CTL_ADD, a->sigfd, &ev[1]) < 0) {
		pr_err("epoll: %s\n", strerror(errno));
		return 1;
	}

	/* requests queued before we joined */
	accept_all(a);
	while (!stop) {
		unsigned int nr_fresh = 0;
		struct hs *h, *fresh = NULL;

		n = epoll_wait(a->ep, ev, MAX_EVENTS,
			       more ? 0 : next_timeout(a, now_ms()));
		if (n < 0 && errno != EINTR) {
			pr_err("epoll_wait: %s\n", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			struct src *s = ev[i].data.ptr;

			switch (s->kind) {
			case SRC_NETLINK:
				err = genl_read_ready(&a->nl);
				if (err < 0)
					pr_err("netlink: %s\n", strerror(-err));
				a->want_accept = true;
				break;
			case SRC_SIGNAL:
				stop |= on_signal(a);
				break;
			case SRC_HANDSHAKE:
				h = (struct hs *)s;
				if (!hs_fresh(h)) {
					hs_step(a, h);
					break;
				}
				nr_fresh++;
				if (!fresh || h->deadline_ms < fresh->deadline_ms)
					fresh = h;
				break;
			}
		}
		/*
		 * One costly step a round, after all the cheap ones: under
		 * load the handshakes under way finish before new ones start,
		 * rather than all of them missing their deadlines together.
		 * The fresh ones left are still ready: epoll reports them
		 * again at once.
		 */
		if (fresh)
			hs_step(a, fresh);
		more = nr_fresh > 1;
		expire(a, now_ms());
		if (a->want_accept && !stop)
			accept_all(a);
	}

	while (a->list.next != &a->list)
		hs_finish(a, a->list.next, -ECANCELED, "agent stopping");
	return 0;
}

static void print_help(FILE *f)
{
	fprintf(f,
"khttpd-tlsd --cert FILE --key FILE [options]\n"
"  --cert FILE       PEM certificate (chain), served to every client\n"
"  --key FILE        its PEM private key\n"
"  --port P          handshake only sockets on local port P (repeatable;\n"
"                    default: any); others get DONE with EACCES\n"
"  --cpu N           run on CPU N (repeatable)\n"
"  --timeout MS      deadline when the kernel gives none (default %d)\n"
"  --max N           handshakes at once (default %d)\n"
"  --priority STR    GnuTLS priority string (TLS 1.3 and kTLS ciphers)\n"
"  --pidfile FILE    write the agent's pid there\n"
"  -f, --foreground  do not fork once set up\n"
"  -v, --verbose     more on stderr: -v each handshake and the counters,\n"
"                    -vv netlink, -vvv GnuTLS's log\n",
		DEFAULT_TIMEOUT_MS, DEFAULT_MAX);
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return !errno && end != s && !*end && *v <= max;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "port", required_argument, NULL, 'p' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "timeout", required_argument, NULL, 't' },
		{ "max", required_argument, NULL, 'm' },
		{ "priority", required_argument, NULL, 'P' },
		{ "pidfile", required_argument, NULL, 'i' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cert = NULL, *key = NULL, *priority = NULL, *pidfile = NULL;
	static struct agent a;
	bool foreground = false, pin = false;
	struct rlimit rl;
	unsigned long v;
	cpu_set_t cpus;
	int c, rc;

	a.list.next = a.list.prev = &a.list;
	a.timeout_ms = DEFAULT_TIMEOUT_MS;
	a.max_hs = DEFAULT_MAX;
	CPU_ZERO(&cpus);
	while ((c = getopt_long(argc, argv, "fvh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'p':
			if (!parse_uint(optarg, 65535, &v) || !v ||
			    a.nr_ports == MAX_PORTS)
				goto bad;
			a.ports[a.nr_ports++] = v;
			break;
		case 'C':
			if (!parse_uint(optarg, CPU_SETSIZE - 1, &v))
				goto bad;
			CPU_SET(v, &cpus);
			pin = true;
			break;
		case 't':
			if (!parse_uint(optarg, 3600000, &v) || !v)
				goto bad;
			a.timeout_ms = v;
			break;
		case 'm':
			if (!parse_uint(optarg, 1 << 20, &v) || !v)
				goto bad;
			a.max_hs = v;
			break;
		case 'P':
			priority = optarg;
			break;
		case 'i':
			pidfile = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'v':
			tlsd_verbose++;
			break;
		case 'h':
			print_help(stdout);
			return 0;
		default:
			print_help(stderr);
			return 2;
		}
	}
	if (optind != argc || !cert || !key) {
		print_help(stderr);
		return 2;
	}

	signal(SIGPIPE, SIG_IGN);
	/* each handshake holds an fd; let --max be reachable */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (pin && sched_setaffinity(0, sizeof(cpus), &cpus) < 0) {
		pr_err("sched_setaffinity: %s\n", strerror(errno));
		return 1;
	}
	if (session_global_init(cert, key, priority))
		return 1;
	if (genl_open(&a.nl)) {
		session_global_exit();
		return 1;
	}
	/* blocked before the fork: none is lost to a default action */
	sigemptyset(&agent_signals);
	sigaddset(&agent_signals, SIGTERM);
	sigaddset(&agent_signals, SIGINT);
	sigaddset(&agent_signals, SIGUSR1);
	sigprocmask(SIG_BLOCK, &agent_signals, NULL);

	if (!foreground) {
		pid_t pid = fork();

		if (pid < 0) {
			pr_err("fork: %s\n", strerror(errno));
			return 1;
		}
		if (pid > 0) {
			if (pidfile) {
				FILE *f = fopen(pidfile, "w");

				if (!f || fprintf(f, "%d\n", pid) < 0 ||
				    fclose(f)) {
					pr_err("%s: %s\n", pidfile,
					       strerror(errno));
					kill(pid, SIGTERM);
					return 1;
				}
			}
			/* the group is joined: READYs queue for the child */
			_exit(0);
		}
		setsid();
		c = open("/dev/null", O_RDWR);
		if (c >= 0) {
			dup2(c, STDIN_FILENO);
			if (c > STDERR_FILENO)
				close(c);
		}
		if (chdir("/") < 0)
			pr_debug("chdir /: %s\n", strerror(errno));
	} else if (pidfile) {
		FILE *f = fopen(pidfile, "w");

		if (f) {
			fprintf(f, "%d\n", getpid());
			fclose(f);
		}
	}

	if (a.nr_ports)
		pr_info("ready, %u port(s), pid %d\n", a.nr_ports, getpid());
	else
		pr_info("ready, every port, pid %d\n", getpid());
	rc = run(&a);
	if (tlsd_verbose >= 1)
		print_counters(&a);
	genl_close(&a.nl);
	session_global_exit();
	return rc;

bad:
	fprintf(stderr, "khttpd-tlsd: bad value for --%s: %s\n",
		c == 'p' ? "port" : c == 'C' ? "cpu" : c == 't' ? "timeout" :
		"max", optarg);
	return 2;
}
