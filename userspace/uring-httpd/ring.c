// SPDX-License-Identifier: GPL-2.0
/*
 * uring-httpd's rings: what this kernel's io_uring supports (probe()),
 * each thread's ring and listener (worker_setup()) and its event loop
 * (worker_main()): one io_uring_enter per turn submits everything, waits
 * for a completion or the next deadline, and hands the completions to
 * conn.c.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "uring-httpd.h"
#include "compat.h"

/* What the kernel turned out to support (set once, before threads run). */
struct features has;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* A free SQE, submitting what is queued if there is none. */
struct io_uring_sqe *get_sqe(struct worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe) {
		io_uring_submit(&w->ring);
		sqe = io_uring_get_sqe(&w->ring);
		if (!sqe)
			die("submission queue full");
	}
	return sqe;
}

/*
 * A listener for a thread on @cpu.  main() binds them all before the
 * threads start, so that --user can drop privileges after the bind and
 * before any ring (or io-wq worker) exists.
 */
int listen_socket(int cpu)
{
	int one = 1, fd;
	int family = cfg.v6 && !cfg.v4 ? AF_INET6 : AF_INET;
	struct sockaddr_storage ss = { 0 };
	socklen_t len;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		die("SO_REUSEPORT: %s", strerror(errno));
	if (cpu >= 0)
		setsockopt(fd, SOL_SOCKET, SO_INCOMING_CPU, &cpu, sizeof(cpu));
	/* accepted sockets inherit it: no setsockopt per connection */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)&ss;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(cfg.port);
		s6->sin6_addr = cfg.addr6;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(cfg.port);
		s4->sin_addr = cfg.addr4;
		len = sizeof(*s4);
	}
	if (bind(fd, (struct sockaddr *)&ss, len))
		die("bind port %u: %s", cfg.port, strerror(errno));
	if (listen(fd, cfg.backlog))
		die("listen: %s", strerror(errno));
	return fd;
}

static int ring_setup(struct io_uring *ring, bool probe_only)
{
	struct io_uring_params p = { 0 };
	int ret;

	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
	p.cq_entries = 16384;
	if (!cfg.no_defer) {
		p.flags |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
		ret = io_uring_queue_init_params(2048, ring, &p);
		if (!ret) {
			if (probe_only)
				has.defer = true;
			return 0;
		}
		p.flags &= ~(IORING_SETUP_SINGLE_ISSUER |
			     IORING_SETUP_DEFER_TASKRUN);
	}
	p.flags |= IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
	ret = io_uring_queue_init_params(2048, ring, &p);
	if (ret) {
		p.flags &= ~(IORING_SETUP_COOP_TASKRUN |
			     IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL);
		ret = io_uring_queue_init_params(2048, ring, &p);
	}
	return ret;
}

/*
 * Direct descriptors per ring: a connection each, up to what
 * RLIMIT_NOFILE allows (the kernel holds a sparse table to it).
 */
static unsigned int direct_slots(void)
{
	struct rlimit rl;
	unsigned int n = cfg.max_conns + 64;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < n)
		n = rl.rlim_cur;
	return n;
}

static void worker_setup(struct worker *w)
{
	struct io_uring_sqe *sqe;
	int ret;

	if (ring_setup(&w->ring, false))
		die("io_uring_queue_init failed");
	if (has.regring && io_uring_register_ring_fd(&w->ring) < 0)
		has.regring = false;	/* the same on every thread */
	if (w->cpu >= 0) {
		cpu_set_t set;

		/*
		 * io-wq workers (the splices) run on this thread's CPU too:
		 * all of the server's work stays on the server's CPUs.
		 */
		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		io_uring_register_iowq_aff(&w->ring, sizeof(set), &set);
	}
	if (has.direct && io_uring_register_files_sparse(&w->ring, direct_slots()))
		die("registering %u direct descriptors failed", direct_slots());
	if (has.bufring) {
		int i;

		/* liburing 2.3 has no io_uring_setup_buf_ring: by hand */
		w->br = compat_buf_ring_map(BUF_COUNT);
		w->bufs = malloc((size_t)BUF_COUNT * BUF_SIZE);
		if (!w->br || !w->bufs)
			die("out of memory for buffers");
		ret = compat_buf_ring_register(&w->ring, w->br, BUF_COUNT, BGID);
		if (ret)
			die("io_uring_register_buf_ring: %s", strerror(-ret));
		io_uring_buf_ring_init(w->br);
		for (i = 0; i < BUF_COUNT; i++)
			io_uring_buf_ring_add(w->br, w->bufs + (size_t)i * BUF_SIZE,
					      BUF_SIZE, i,
					      io_uring_buf_ring_mask(BUF_COUNT), i);
		io_uring_buf_ring_advance(w->br, BUF_COUNT);
	}
	if (cfg.root)
		w->dc = docroot_cache_new();
	ret = eventfd(0, EFD_CLOEXEC);
	if (ret < 0)
		die("eventfd: %s", strerror(errno));
	__atomic_store_n(&w->wake_fd, ret, __ATOMIC_RELEASE);
	sqe = get_sqe(w);
	io_uring_prep_read(sqe, w->wake_fd, &w->wake_buf, sizeof(w->wake_buf), 0);
	io_uring_sqe_set_data64(sqe, UD(w, OP_WAKE));
	arm_accept(w);
	__atomic_add_fetch(&ready, 1, __ATOMIC_RELEASE);
}

void *worker_main(void *arg)
{
	struct worker *w = arg;

	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	/* the ring is created by the thread that uses it (SINGLE_ISSUER) */
	worker_setup(w);
	while (!w->stop) {
		struct __kernel_timespec ts, *tsp = NULL;
		struct io_uring_cqe *cqe;
		uint64_t next;
		unsigned int head, n = 0;
		int ret;

		w->now_ms = mono_ms();
		expire(w);
		next = next_deadline(w);
		if (next != UINT64_MAX) {
			uint64_t ms = next > w->now_ms ? next - w->now_ms : 0;

			ts.tv_sec = ms / 1000;
			ts.tv_nsec = (ms % 1000) * 1000000;
			tsp = &ts;
		}
		if (!w->accept_armed)
			arm_accept(w);
		/* one io_uring_enter: submit everything, wait for one */
		ret = io_uring_submit_and_wait_timeout(&w->ring, &cqe, 1, tsp, NULL);
		if (ret < 0 && ret != -ETIME && ret != -EINTR)
			die("io_uring_submit_and_wait: %s", strerror(-ret));
		w->now_ms = mono_ms();
		io_uring_for_each_cqe(&w->ring, head, cqe) {
			on_cqe(w, cqe);
			n++;
		}
		io_uring_cq_advance(&w->ring, n);
	}
	/*
	 * The pending accept holds the listener, and a ring is torn down
	 * asynchronously after exit: stop listening now, so that a server
	 * started next on this port gets every new connection.
	 */
	shutdown(w->listen_fd, SHUT_RDWR);
	close(w->listen_fd);
	io_uring_queue_exit(&w->ring);
	return NULL;
}

/* What this kernel supports, decided once for every thread. */
void probe(void)
{
	struct io_uring_probe *pr;
	struct io_uring ring;

	if (ring_setup(&ring, true))
		die("io_uring is not available");
	pr = io_uring_get_probe_ring(&ring);
	if (!pr)
		die("io_uring probe failed");
	has.regring = !cfg.no_regring;
	/* multishot accept/recv and buffer rings: 5.19/6.0, no opcode of
	 * their own to probe; IORING_OP_SEND_ZC marks 6.0+, SENDMSG_ZC 6.1 */
	has.multishot_accept = !cfg.no_multishot &&
			       io_uring_opcode_supported(pr, IORING_OP_SEND_ZC);
	has.multishot_recv = has.multishot_accept;
	has.zc = !cfg.no_zc && io_uring_opcode_supported(pr, IORING_OP_SENDMSG_ZC);
	has.splice = !cfg.no_splice && io_uring_opcode_supported(pr, IORING_OP_SPLICE);
	/* docroot bodies are always spliced: --no-splice is for the store */
	if (cfg.root && (!io_uring_opcode_supported(pr, IORING_OP_SPLICE) ||
			 !io_uring_opcode_supported(pr, IORING_OP_OPENAT2)))
		die("--root needs IORING_OP_OPENAT2 and IORING_OP_SPLICE (5.7)");
	has.direct = !cfg.no_direct;
	has.sockopt = has.direct && io_uring_opcode_supported(pr, IORING_OP_URING_CMD);
	if (!cfg.no_bufring) {
		struct io_uring_buf_ring *br = compat_buf_ring_map(8);

		has.bufring = br && !compat_buf_ring_register(&ring, br, 8, BGID);
		if (br)
			compat_buf_ring_unmap(br, 8);
	}
	if (has.direct && io_uring_register_files_sparse(&ring, 8))
		has.direct = has.sockopt = false;
	io_uring_free_probe(pr);
	io_uring_queue_exit(&ring);
}
