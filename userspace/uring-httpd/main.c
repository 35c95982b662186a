// SPDX-License-Identifier: GPL-2.0
/*
 * uring-httpd: the userspace io_uring HTTP server khttpd is measured
 * against.  It answers with the same HTTP engine (engine/http.c and
 * engine/http_resp.c) from the same kind of prebuilt responses, so the two
 * servers differ only in where they run.  It has to be as fast as
 * userspace can be on this kernel, or every comparison is a lie.
 *
 * One thread per CPU (--threads, --cpus), pinned, each with its own ring
 * and its own SO_REUSEPORT listener (SO_INCOMING_CPU), sharing nothing on
 * the hot path.  Techniques, each probed at start with a fallback, and the
 * kernel that brought them:
 *
 *   IORING_SETUP_SINGLE_ISSUER + DEFER_TASKRUN  6.1  (else COOP_TASKRUN
 *                                                     + TASKRUN_FLAG, 5.19)
 *   registered ring fd                          5.18
 *   multishot accept into direct descriptors    5.19 (else accept -> fds)
 *   multishot recv from a provided buffer ring  6.0 / 5.19
 *                                                    (else one recv each)
 *   IORING_OP_SPLICE of large bodies from the   5.7  (else sendmsg of
 *     content memfd through a pipe, io-wq           5.1   the mapped body)
 *     pinned to the thread's CPU (IOWQ_AFF)
 *   IORING_OP_SENDMSG_ZC for large bodies       6.1  (else sendmsg; off
 *                                                    by default: slower
 *                                                    over loopback)
 *   socket setsockopt via uring_cmd (SO_LINGER
 *     on a direct descriptor, to reset)         6.7
 *   io_uring_submit_and_wait_timeout: one
 *     io_uring_enter per loop, timers included  5.11
 *
 * With --root, files are looked up with IORING_OP_OPENAT2 beneath the
 * root (docroot.c: no escape, no mount crossed), kept open in a per-thread
 * cache, and their bodies spliced from the file itself, as sendfile()
 * would; privileges can be dropped (--user) once the listeners are bound.
 *
 * Every prebuilt response lives in one memfd, mapped read-only.  Small
 * answers are copied whole into a per-connection buffer and sent with one
 * IORING_OP_SEND; larger ones go as a sendmsg of iovecs pointing into the
 * mapping; bodies of --splice-min bytes or more are spliced from the memfd
 * into a per-connection pipe and on to the socket, the sendfile() of
 * io_uring, so that the kernel sends the page-cache pages themselves
 * instead of copying them.  Timeouts (header, keep-alive, send)
 * use three deadline-ordered lists per thread, like the module, and the
 * wait's own timeout.  SIGINT/SIGTERM stop every thread at once through an
 * eventfd each ring reads.
 *
 * This file: the settings, the command line, and starting and stopping
 * the threads; the rest is laid out in uring-httpd.h.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/resource.h>
#include <unistd.h>

#include "uring-httpd.h"

/* Bodies this large or larger are spliced (see cfg.splice_min). */
#define SPLICE_MIN_DEFAULT	16384

/* ---- settings ------------------------------------------------------------ */

/* Port, timeouts, limits: the module's defaults (KHTTPD_CFG_*_DEF). */
struct settings cfg = {
	.port = KHTTPD_CFG_PORT_DEF,
	.backlog = 1024,
	.header_timeout_ms = KHTTPD_CFG_HEADER_TIMEOUT_MS_DEF,
	.keepalive_timeout_ms = KHTTPD_CFG_KEEPALIVE_TIMEOUT_MS_DEF,
	.send_timeout_ms = KHTTPD_CFG_SEND_TIMEOUT_MS_DEF,
	.max_conns = KHTTPD_CFG_MAX_CONNS_DEF,
	.limits = {
		.max_request_line = KHTTPD_CFG_MAX_REQUEST_LINE_DEF,
		.max_header_bytes = KHTTPD_CFG_MAX_HEADER_BYTES_DEF,
		.max_header_fields = KHTTPD_CFG_MAX_HEADER_FIELDS_DEF,
		.max_body = KHTTPD_CFG_MAX_BODY_DEF,
	},
	/*
	 * Zero-copy sends measured slower here: over loopback the receiver
	 * copies zero-copy frags anyway (skb_orphan_frags_rx), so the
	 * notification round trip is pure cost.  Off by default; a real NIC
	 * may want --zc-min 65536.
	 */
	.zc_min = 0,
	/*
	 * io_uring runs every splice on an io-wq worker (it may block), so a
	 * splice costs two thread hand-offs: worth it for large bodies only.
	 * Measured under make bench (server vCPU instructions per request,
	 * copy -> splice): 16 KiB 49.7k -> 31.5k, 1 MiB 2364k -> 396k; an
	 * earlier run saw 13 B bodies cost more spliced.
	 */
	.splice_min = SPLICE_MIN_DEFAULT,
	.root_fd = -1,
	.mime_types = "/etc/mime.types",
	/* as nginx's open_file_cache: per worker, re-checked after 1 s */
	.cache_entries = 4096,
	.cache_valid_ms = 1000,
};

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("uring-httpd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static struct worker *workers;
unsigned int ready;		/* threads listening; atomic */

/* ---- command line -------------------------------------------------------- */

static void usage(void)
{
	printf(
"usage: uring-httpd [OPTION]...\n"
"\n"
"A userspace io_uring HTTP/1.1 server with khttpd's HTTP engine, for\n"
"comparison with the in-kernel server. Serves --root, or a built-in page.\n"
"\n"
"  --port P                 TCP port (default %d)\n"
"  --addr A                 IPv4 or IPv6 address to listen on (default 0.0.0.0)\n"
"  --root DIR               serve the regular files under DIR, looked up per\n"
"                           request (no symlink or mount leads out of it)\n"
"  --no-symlinks            refuse every symlink under --root\n"
"  --mime-types FILE        Content-Type by extension (default /etc/mime.types;\n"
"                           without it, a built-in table of web types)\n"
"  --open-file-cache N      cached lookups per thread (default 4096)\n"
"  --open-file-cache-valid-ms MS\n"
"                           a cached lookup is re-checked after (default 1000)\n"
"  --user USER|UID[:GID]    run as this user once the port is bound\n"
"  --threads N              worker threads (default: one per CPU of --cpus)\n"
"  --cpus LIST              pin threads to these CPUs, e.g. 0-3,6 (default: all)\n"
"  --backlog N              listen backlog per thread (default 1024)\n"
"  --header-timeout-ms MS   a request head must arrive within (default %d)\n"
"  --keepalive-timeout-ms MS  idle keep-alive connections close after (default %d)\n"
"  --send-timeout-ms MS     a client that reads nothing is reset after (default %d)\n"
"  --max-conns N            beyond this many connections: 503 (default %d)\n"
"  --max-request-line N     longer request line: 414 (default %d)\n"
"  --max-header-bytes N     larger header section: 431 (default %d)\n"
"  --max-header-fields N    more header fields: 431 (default %d)\n"
"  --max-body N             larger request body: 413 (default %d)\n"
"  --zc-min N               send bodies of N bytes or more zero-copy; 0: never\n"
"                           (default 0: over loopback it measured slower)\n"
"  --tls-cert FILE          serve HTTPS: TLS 1.3 by GnuTLS, then kTLS for the\n"
"                           records (needs tls.ko); the certificate chain, PEM\n"
"  --tls-key FILE           its private key, PEM (read before --user applies)\n"
"  --splice-min N           splice bodies of N bytes or more from memory to\n"
"                           the socket; 0: never (default %d); --root files\n"
"                           are always spliced, whatever their size\n"
"  --no-defer-taskrun, --no-multishot, --no-buf-ring, --no-direct, --no-zc,\n"
"  --no-registered-ring, --no-splice\n"
"                           switch a technique off (to test the fallbacks)\n"
"  -h, --help               this text\n",
	       KHTTPD_CFG_PORT_DEF, KHTTPD_CFG_HEADER_TIMEOUT_MS_DEF,
	       KHTTPD_CFG_KEEPALIVE_TIMEOUT_MS_DEF,
	       KHTTPD_CFG_SEND_TIMEOUT_MS_DEF, KHTTPD_CFG_MAX_CONNS_DEF,
	       KHTTPD_CFG_MAX_REQUEST_LINE_DEF, KHTTPD_CFG_MAX_HEADER_BYTES_DEF,
	       KHTTPD_CFG_MAX_HEADER_FIELDS_DEF, KHTTPD_CFG_MAX_BODY_DEF,
	       SPLICE_MIN_DEFAULT);
}

static unsigned long num(const char *s, const char *what, unsigned long min,
			 unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "uring-httpd: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void parse_cpus(const char *list)
{
	const char *p = list;

	CPU_ZERO(&cfg.cpus);
	while (*p) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b;

		if (end == p)
			die("bad CPU list '%s'", list);
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p || b < a)
				die("bad CPU list '%s'", list);
		}
		for (; a <= b && a < CPU_SETSIZE; a++)
			CPU_SET(a, &cfg.cpus);
		p = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			die("bad CPU list '%s'", list);
	}
	cfg.have_cpus = true;
}

static void parse_args(int argc, char **argv)
{
	enum {
		O_PORT = 256, O_ADDR, O_ROOT, O_THREADS, O_CPUS, O_BACKLOG,
		O_HT, O_KT, O_ST, O_MC, O_MRL, O_MHB, O_MHF, O_MB, O_ZC,
		O_NODEFER, O_NOMS, O_NOBR, O_NODIRECT, O_NOZC, O_NOREG,
		O_SPLICE, O_NOSPLICE, O_NOSYM, O_MIME, O_USER, O_OFC, O_OFCV,
		O_TLSCERT, O_TLSKEY,
	};
	static const struct option opts[] = {
		{ "port", required_argument, NULL, O_PORT },
		{ "addr", required_argument, NULL, O_ADDR },
		{ "root", required_argument, NULL, O_ROOT },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "cpus", required_argument, NULL, O_CPUS },
		{ "backlog", required_argument, NULL, O_BACKLOG },
		{ "header-timeout-ms", required_argument, NULL, O_HT },
		{ "keepalive-timeout-ms", required_argument, NULL, O_KT },
		{ "send-timeout-ms", required_argument, NULL, O_ST },
		{ "max-conns", required_argument, NULL, O_MC },
		{ "max-request-line", required_argument, NULL, O_MRL },
		{ "max-header-bytes", required_argument, NULL, O_MHB },
		{ "max-header-fields", required_argument, NULL, O_MHF },
		{ "max-body", required_argument, NULL, O_MB },
		{ "zc-min", required_argument, NULL, O_ZC },
		{ "no-defer-taskrun", no_argument, NULL, O_NODEFER },
		{ "no-multishot", no_argument, NULL, O_NOMS },
		{ "no-buf-ring", no_argument, NULL, O_NOBR },
		{ "no-direct", no_argument, NULL, O_NODIRECT },
		{ "no-zc", no_argument, NULL, O_NOZC },
		{ "no-registered-ring", no_argument, NULL, O_NOREG },
		{ "splice-min", required_argument, NULL, O_SPLICE },
		{ "no-splice", no_argument, NULL, O_NOSPLICE },
		{ "no-symlinks", no_argument, NULL, O_NOSYM },
		{ "mime-types", required_argument, NULL, O_MIME },
		{ "user", required_argument, NULL, O_USER },
		{ "open-file-cache", required_argument, NULL, O_OFC },
		{ "open-file-cache-valid-ms", required_argument, NULL, O_OFCV },
		{ "tls-cert", required_argument, NULL, O_TLSCERT },
		{ "tls-key", required_argument, NULL, O_TLSKEY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const unsigned long hour = 3600000;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case O_PORT: cfg.port = num(optarg, "port", 1, 65535); break;
		case O_ADDR:
			if (inet_pton(AF_INET, optarg, &cfg.addr4) == 1)
				cfg.v4 = true;
			else if (inet_pton(AF_INET6, optarg, &cfg.addr6) == 1)
				cfg.v6 = true;
			else
				die("bad address '%s'", optarg);
			break;
		case O_ROOT: cfg.root = optarg; break;
		case O_THREADS: cfg.nthreads = num(optarg, "thread count", 1, 1024); break;
		case O_CPUS: parse_cpus(optarg); break;
		case O_BACKLOG: cfg.backlog = num(optarg, "backlog", 1, INT_MAX); break;
		case O_HT: cfg.header_timeout_ms = num(optarg, "timeout", 1, hour); break;
		case O_KT: cfg.keepalive_timeout_ms = num(optarg, "timeout", 1, hour); break;
		case O_ST: cfg.send_timeout_ms = num(optarg, "timeout", 1, hour); break;
		case O_MC: cfg.max_conns = num(optarg, "max-conns", 1, 1 << 20); break;
		case O_MRL: cfg.limits.max_request_line = num(optarg, "limit", 1, 32768); break;
		case O_MHB: cfg.limits.max_header_bytes = num(optarg, "limit", 1, 32768); break;
		case O_MHF: cfg.limits.max_header_fields = num(optarg, "limit", 1, 10000); break;
		case O_MB: cfg.limits.max_body = num(optarg, "limit", 0, UINT32_MAX); break;
		case O_ZC: cfg.zc_min = num(optarg, "size", 0, SIZE_MAX); break;
		case O_NODEFER: cfg.no_defer = true; break;
		case O_NOMS: cfg.no_multishot = true; break;
		case O_NOBR: cfg.no_bufring = true; break;
		case O_NODIRECT: cfg.no_direct = true; break;
		case O_NOZC: cfg.no_zc = true; break;
		case O_NOREG: cfg.no_regring = true; break;
		case O_SPLICE: cfg.splice_min = num(optarg, "size", 0, SIZE_MAX); break;
		case O_NOSPLICE: cfg.no_splice = true; break;
		case O_NOSYM: cfg.no_symlinks = true; break;
		case O_MIME: cfg.mime_types = optarg; break;
		case O_USER: cfg.user = optarg; break;
		case O_OFC: cfg.cache_entries = num(optarg, "cache size", 1, 1 << 20); break;
		case O_OFCV: cfg.cache_valid_ms = num(optarg, "interval", 0, hour); break;
		case O_TLSCERT: cfg.tls_cert = optarg; break;
		case O_TLSKEY: cfg.tls_key = optarg; break;
		case 'h': usage(); exit(0);
		default: fprintf(stderr, "see uring-httpd --help\n"); exit(2);
		}
	}
	if (optind != argc)
		die("unexpected argument '%s'", argv[optind]);
	if (cfg.v4 && cfg.v6)
		die("one --addr family at a time");
	if (!cfg.v4 && !cfg.v6)
		cfg.v4 = true;	/* 0.0.0.0 */
	if (!cfg.tls_cert != !cfg.tls_key)
		die("--tls-cert and --tls-key go together");
	if (cfg.tls_cert) {
		/*
		 * GnuTLS and the kTLS setsockopts need a real descriptor,
		 * and kTLS refuses MSG_ZEROCOPY sends.
		 */
		cfg.no_direct = true;
		cfg.no_zc = true;
	}
}

/* ---- privileges ---------------------------------------------------------- */

/*
 * --user's uid and gid: a name from /etc/passwd (read here: the binary is
 * static, without NSS), or a number with an optional ":gid" (the user's
 * group from /etc/passwd when it has an entry, else the same number).
 */
static void resolve_user(const char *spec, uid_t *uid, gid_t *gid)
{
	char line[1024], *end;
	unsigned long u, g;
	bool numeric, found = false;
	FILE *f;

	errno = 0;
	u = strtoul(spec, &end, 10);
	numeric = end != spec && (!*end || *end == ':') && !errno &&
		  u < UINT32_MAX;
	if (numeric && *end == ':') {
		g = num(end + 1, "gid", 0, UINT32_MAX - 1);
		*uid = u;
		*gid = g;
		return;
	}
	f = fopen("/etc/passwd", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *save, *name = strtok_r(line, ":", &save);
		char *uid_s, *gid_s;

		if (!name || !strtok_r(NULL, ":", &save))
			continue;
		uid_s = strtok_r(NULL, ":", &save);
		gid_s = strtok_r(NULL, ":", &save);
		if (!uid_s || !gid_s)
			continue;
		if (numeric ? strtoul(uid_s, NULL, 10) == u : !strcmp(name, spec)) {
			*uid = strtoul(uid_s, NULL, 10);
			*gid = strtoul(gid_s, NULL, 10);
			found = true;
			break;
		}
	}
	if (f)
		fclose(f);
	if (found)
		return;
	if (!numeric)
		die("no user '%s' in /etc/passwd", spec);
	*uid = u;
	*gid = u;
}

/*
 * Become --user, as nginx's workers do: after the bind (a port below
 * 1024 needs privilege) and the docroot's open, before any ring exists,
 * so that no io-wq worker ever runs with the old credentials.  Every
 * file is then opened with the user's rights only: no supplementary
 * group, no capability left.
 */
static void drop_privileges(void)
{
	uid_t uid;
	gid_t gid;

	resolve_user(cfg.user, &uid, &gid);
	if (setgroups(0, NULL) && errno != EPERM)
		die("setgroups: %s", strerror(errno));
	if (setgid(gid))
		die("setgid %u: %s", (unsigned int)gid, strerror(errno));
	if (setuid(uid))
		die("setuid %u: %s", (unsigned int)uid, strerror(errno));
	if (uid && !setuid(0))
		die("could get root back after dropping it");
	if (getgroups(0, NULL) > 0 && gid)
		die("supplementary groups left after dropping privileges");
}

int main(int argc, char **argv)
{
	cpu_set_t avail;
	sigset_t sigs;
	int i, sig, cpu = 0;

	struct rlimit rl;

	parse_args(argc, argv);
	/* as many descriptors as we may: a connection each */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (!cfg.have_cpus) {
		if (sched_getaffinity(0, sizeof(avail), &avail))
			die("sched_getaffinity: %s", strerror(errno));
		cfg.cpus = avail;
	}
	if (!cfg.nthreads)
		cfg.nthreads = CPU_COUNT(&cfg.cpus);
	probe();
	if (cfg.root)
		docroot_init();
	load_content();
	if (cfg.tls_cert)
		tls_init();

	/* signals go to this thread only, through sigwait */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	workers = aligned_alloc(16, cfg.nthreads * sizeof(*workers));
	if (!workers)
		die("out of memory");
	memset(workers, 0, cfg.nthreads * sizeof(*workers));
	for (i = 0; i < cfg.nthreads; i++) {
		while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &cfg.cpus))
			cpu++;
		workers[i].id = i;
		workers[i].cpu = cpu < CPU_SETSIZE ? cpu : -1;
		workers[i].listen_fd = listen_socket(workers[i].cpu);
		cpu++;
	}
	if (cfg.user)
		drop_privileges();
	for (i = 0; i < cfg.nthreads; i++)
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]))
			die("pthread_create failed");
	/* the line below means "listening": tests wait for it */
	while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < (unsigned int)cfg.nthreads)
		usleep(1000);
	fprintf(stderr, "uring-httpd: %d threads, port %u: defer_taskrun=%s "
		"registered_ring=%s multishot_accept=%s multishot_recv=%s "
		"buf_ring=%s direct_fds=%s send_zc=%s (>= %zu bytes) "
		"splice=%s (>= %zu bytes) sockopt_cmd=%s tls=%s\n", cfg.nthreads, cfg.port,
		has.defer ? "yes" : "no", has.regring ? "yes" : "no",
		has.multishot_accept ? "yes" : "no",
		has.multishot_recv ? "yes" : "no", has.bufring ? "yes" : "no",
		has.direct ? "yes" : "no", has.zc && cfg.zc_min ? "yes" : "no",
		cfg.zc_min, has.splice && cfg.splice_min ? "yes" : "no",
		cfg.splice_min, has.sockopt ? "yes" : "no",
		cfg.tls_cert ? "yes" : "no");

	sigwait(&sigs, &sig);
	for (i = 0; i < cfg.nthreads; i++) {
		uint64_t one = 1;

		/* each ring has a read of its eventfd pending */
		while (!__atomic_load_n(&workers[i].wake_fd, __ATOMIC_ACQUIRE))
			usleep(1000);
		if (write(workers[i].wake_fd, &one, sizeof(one)) < 0)
			die("waking thread %d: %s", i, strerror(errno));
	}
	for (i = 0; i < cfg.nthreads; i++)
		pthread_join(workers[i].thread, NULL);
	return 0;
}
