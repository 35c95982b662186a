// SPDX-License-Identifier: GPL-2.0
/*
 * The server: one worker per online CPU.
 *
 * Each worker has a kthread bound to its CPU and a listening socket in one
 * SO_REUSEPORT group with the others, tagged with SO_INCOMING_CPU so the
 * kernel hands a new connection to the listener of the CPU that processed
 * its SYN.  A connection then lives on that CPU: its packets, its wakeups
 * and its HTTP work stay in one CPU's caches, and workers share nothing.
 * HTTPS has listeners of its own in a group of its own (its port), served
 * by the same workers.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/kthread.h>
#include <linux/net.h>
#include <linux/rcupdate.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/khttpd.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "config.h"
#include "conn.h"
#include "docroot.h"
#include "server.h"
#include "store.h"
#include "timers.h"
#include "tls.h"

/* New connections taken per wakeup before the thread looks at the rest. */
#define KHTTPD_ACCEPT_BUDGET	64

static struct khttpd_worker **khttpd_workers;	/* indexed by CPU */
/* What the running server was started with (GET_STATUS); ctl lock */
static struct khttpd_start khttpd_started;

/*
 * Installed on the listeners, and so inherited by every child socket until
 * we accept it.  On a child it must not look at sk_user_data: tcp_data_ready()
 * picks the function before we take sk_callback_lock, and by then the child
 * may have been accepted and its sk_user_data be a connection.  A child's
 * data is read once it is accepted, so there is nothing to do for it.
 */
static void khttpd_listen_data_ready(struct sock *sk)
{
	struct khttpd_listener *l;

	if (sk->sk_state != TCP_LISTEN)
		return;
	read_lock_bh(&sk->sk_callback_lock);
	l = sk->sk_user_data;
	if (l) {
		set_bit(KHTTPD_WORKER_ACCEPT, &l->worker->flags);
		wake_up_process(l->worker->task);
		l->saved_data_ready(sk);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

/*
 * A child accepted from @l: give it back the callback it would have had
 * without us, so that nothing of the listener's outlives the accept (a
 * refused child is closed with it, a connection chains to it).
 */
static void khttpd_listen_disown(struct khttpd_listener *l, struct sock *sk)
{
	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_data_ready == khttpd_listen_data_ready)
		sk->sk_data_ready = l->saved_data_ready;
	sk->sk_user_data = NULL;
	write_unlock_bh(&sk->sk_callback_lock);
}

static int khttpd_listen(struct khttpd_worker *w, struct khttpd_listener *l,
			 struct sockaddr_storage *addr, int backlog)
{
	int cpu = w->cpu, family = addr->ss_family;
	struct socket *sock;
	struct sock *sk;
	int err;

	err = sock_create_kern(&init_net, family, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (err)
		return err;
	sk = sock->sk;
	sock_set_reuseaddr(sk);
	sock_set_reuseport(sk);
	if (family == AF_INET6)
		err = ip6_sock_set_v6only(sk);
	if (!err)
		err = sock_setsockopt(sock, SOL_SOCKET, SO_INCOMING_CPU,
				      KERNEL_SOCKPTR(&cpu), sizeof(cpu));
	if (!err)
		err = kernel_bind(sock, (struct sockaddr *)addr,
				  family == AF_INET6 ?
				  sizeof(struct sockaddr_in6) :
				  sizeof(struct sockaddr_in));
	if (!err)
		err = kernel_listen(sock, backlog);
	if (err) {
		sock_release(sock);
		return err;
	}

	/*
	 * Listening already: connections queue in the backlog, but nothing
	 * wakes the worker until khttpd_listen_install().
	 */
	l->worker = w;
	l->sock = sock;
	l->saved_data_ready = sk->sk_data_ready;
	return 0;
}

static void khttpd_listen_install(struct khttpd_listener *l)
{
	struct sock *sk = l->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = l;
	sk->sk_data_ready = khttpd_listen_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
}

static void khttpd_unlisten(struct khttpd_listener *l)
{
	struct sock *sk;

	if (!l->sock)
		return;
	sk = l->sock->sk;
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = l->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	sock_release(l->sock);
	l->sock = NULL;
}

static void khttpd_worker_accept(struct khttpd_worker *w)
{
	unsigned int i, idle = 0, l = 0;

	for (i = 0; i < KHTTPD_ACCEPT_BUDGET; i++, l++) {
		struct khttpd_listener *lis;
		struct socket *sock;
		int err;

		/* round-robin over the listeners until all are drained */
		lis = &w->listeners[l % KHTTPD_MAX_LISTENERS];
		if (!lis->sock) {
			if (++idle == KHTTPD_MAX_LISTENERS)
				return;
			continue;
		}
		err = kernel_accept(lis->sock, &sock, O_NONBLOCK);
		if (err == -EAGAIN) {
			if (++idle == KHTTPD_MAX_LISTENERS)
				return;
			continue;
		}
		idle = 0;
		if (err) {
			if (err != -ECONNABORTED)
				pr_warn_ratelimited("cpu %u: accept: %d\n",
						    w->cpu, err);
			continue;
		}
		khttpd_listen_disown(lis, sock->sk);
		if (lis->tls) {
			khttpd_conn_accept_tls(w, sock);
			continue;
		}
		if (!khttpd_conn_admit(w)) {
			khttpd_conn_refuse(w, sock);
			continue;
		}
		if (!khttpd_conn_create(w, sock)) {
			khttpd_conn_unadmit();
			khttpd_conn_refuse(w, sock);
		}
	}
	/* Budget spent: there may be more; come back after the others. */
	set_bit(KHTTPD_WORKER_ACCEPT, &w->flags);
}

const char *khttpd_io_date(struct khttpd_io *io)
{
	time64_t now = ktime_get_real_seconds();

	if (now != io->date_secs) {
		khttpd_http_date(now, io->date);
		io->date_secs = now;
	}
	return io->date;
}

/* Take the settings in effect if they changed since our snapshot. */
static void khttpd_worker_sync_config(struct khttpd_worker *w)
{
	unsigned long tmo[KHTTPD_T_CLASSES];

	if (khttpd_config_gen() == w->cfg_gen)
		return;
	w->cfg_gen = khttpd_config_read(&w->cfg);
	khttpd_config_limits(&w->cfg, &w->limits);
	tmo[KHTTPD_T_HEADER] = msecs_to_jiffies(w->cfg.header_timeout_ms);
	tmo[KHTTPD_T_IDLE] = msecs_to_jiffies(w->cfg.keepalive_timeout_ms);
	tmo[KHTTPD_T_SEND] = msecs_to_jiffies(w->cfg.send_timeout_ms);
	tmo[KHTTPD_T_RETRY] = msecs_to_jiffies(KHTTPD_TLS_RETRY_MS) ?: 1;
	khttpd_timers_set_timeouts(w, tmo);
}

static bool khttpd_worker_idle(struct khttpd_worker *w)
{
	return llist_empty(&w->ready) && !READ_ONCE(w->flags);
}

static int khttpd_worker_fn(void *data)
{
	struct khttpd_worker *w = data;

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (khttpd_worker_idle(w) && !kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);

		if (test_and_clear_bit(KHTTPD_WORKER_CONFIG, &w->flags))
			khttpd_worker_sync_config(w);
		if (test_and_clear_bit(KHTTPD_WORKER_ACCEPT, &w->flags))
			khttpd_worker_accept(w);
		khttpd_conn_run_ready(w);
		if (test_and_clear_bit(KHTTPD_WORKER_TIMER, &w->flags))
			khttpd_timers_expire(w);
		cond_resched();
	}
	return 0;
}

static void khttpd_worker_free_io(struct khttpd_worker *w)
{
	kfree(w->fast.io.bvecs);
	kfree(w->fast.io.scratch);
	kfree(w->io.bvecs);
	kvfree(w->io.scratch);
}

static int khttpd_worker_alloc_io(struct khttpd_worker *w)
{
	int node = cpu_to_node(w->cpu);

	w->io.scratch = kvmalloc_node(KHTTPD_SCRATCH_SIZE, GFP_KERNEL, node);
	w->io.scratch_size = KHTTPD_SCRATCH_SIZE;
	w->io.bvecs = kcalloc_node(KHTTPD_BVECS, sizeof(*w->io.bvecs),
				   GFP_KERNEL, node);
	w->io.cfg = &w->cfg;
	w->io.limits = &w->limits;
	w->io.gfp = GFP_KERNEL;

	w->fast.io.scratch = kmalloc_node(KHTTPD_FAST_SCRATCH, GFP_KERNEL, node);
	w->fast.io.scratch_size = KHTTPD_FAST_SCRATCH;
	w->fast.io.bvecs = kcalloc_node(KHTTPD_BVECS, sizeof(*w->fast.io.bvecs),
					GFP_KERNEL, node);
	w->fast.io.cfg = &w->fast.cfg;
	w->fast.io.limits = &w->fast.limits;
	w->fast.io.gfp = GFP_ATOMIC | __GFP_NOWARN;
	w->fast.cfg_gen = khttpd_config_read(&w->fast.cfg);
	khttpd_config_limits(&w->fast.cfg, &w->fast.limits);

	if (!w->io.scratch || !w->io.bvecs || !w->fast.io.scratch ||
	    !w->fast.io.bvecs) {
		khttpd_worker_free_io(w);
		return -ENOMEM;
	}
	return 0;
}

/* Tear down a worker whose thread has stopped (or never ran). */
static void khttpd_worker_free(struct khttpd_worker *w)
{
	khttpd_timers_shutdown(w);
	khttpd_conn_close_all(w);
	WARN_ON_ONCE(w->nr_conns);
	put_task_struct(w->task);
	khttpd_worker_free_io(w);
	kfree(w);
}

static struct khttpd_worker *khttpd_worker_create(unsigned int cpu)
{
	struct khttpd_worker *w;
	struct task_struct *task;

	w = kzalloc_node(sizeof(*w), GFP_KERNEL, cpu_to_node(cpu));
	if (!w)
		return ERR_PTR(-ENOMEM);
	w->cpu = cpu;
	init_llist_head(&w->ready);
	INIT_LIST_HEAD(&w->conns);
	khttpd_timers_init(w);
	w->cfg_gen = khttpd_config_gen() - 1;	/* take the first snapshot */
	khttpd_worker_sync_config(w);
	if (khttpd_worker_alloc_io(w)) {
		kfree(w);
		return ERR_PTR(-ENOMEM);
	}
	/* Accept whatever queued before the callbacks were installed. */
	set_bit(KHTTPD_WORKER_ACCEPT, &w->flags);

	task = kthread_create_on_cpu(khttpd_worker_fn, w, cpu, "khttpd/%u");
	if (IS_ERR(task)) {
		khttpd_worker_free_io(w);
		kfree(w);
		return ERR_CAST(task);
	}
	/* Callbacks may wake the task after it exits: keep it around. */
	get_task_struct(task);
	w->task = task;
	return w;
}

/*
 * Taking a worker's CPU away moves its thread to another CPU, where it goes
 * on serving; when the CPU comes back, bind the thread to it again.
 * Hotplug callbacks run under the hotplug lock, and start and stop publish
 * the workers under it too, so the array is stable here.
 */
static enum cpuhp_state khttpd_cpuhp_state;

static int khttpd_cpu_online(unsigned int cpu)
{
	struct khttpd_worker **workers = khttpd_workers;

	if (workers && workers[cpu])
		set_cpus_allowed_ptr(workers[cpu]->task, cpumask_of(cpu));
	return 0;
}

int khttpd_server_init(void)
{
	int ret;

	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "net/khttpd:online",
					khttpd_cpu_online, NULL);
	if (ret < 0)
		return ret;
	khttpd_cpuhp_state = ret;
	return 0;
}

void khttpd_server_exit(void)
{
	cpuhp_remove_state_nocalls(khttpd_cpuhp_state);
}

bool khttpd_server_running(void)
{
	return READ_ONCE(khttpd_workers) != NULL;
}

/* Stop and free every worker; the caller holds khttpd_ctl_lock. */
static void khttpd_server_teardown(struct khttpd_worker **workers)
{
	unsigned int cpu, i;

	/* Threads first: after this nothing uses the sockets but us. */
	for_each_possible_cpu(cpu)
		if (workers[cpu])
			kthread_stop(workers[cpu]->task);
	for_each_possible_cpu(cpu)
		for (i = 0; workers[cpu] && i < KHTTPD_MAX_LISTENERS; i++)
			khttpd_unlisten(&workers[cpu]->listeners[i]);
	/*
	 * Closing a listener destroys the children it had not handed out,
	 * which carry our listen callback; wait for any softirq still
	 * running it before the module can go.
	 */
	synchronize_rcu();
	for_each_possible_cpu(cpu)
		if (workers[cpu])
			khttpd_worker_free(workers[cpu]);
	/*
	 * Restoring a connection's callbacks waited for the ones running,
	 * but those may still be returning into our code.
	 */
	synchronize_rcu();
	kfree(workers);
}

int khttpd_server_stop(void)
{
	struct khttpd_worker **workers;

	lockdep_assert_held(&khttpd_ctl_lock);
	workers = khttpd_workers;
	if (!workers)
		return -EALREADY;
	cpus_read_lock();	/* the hotplug callback reads the array */
	WRITE_ONCE(khttpd_workers, NULL);
	cpus_read_unlock();
	/* lookups and reads in flight finish while their workers run */
	khttpd_docroot_drain();
	khttpd_server_teardown(workers);
	khttpd_docroot_stop();
	khttpd_store_clear();
	khttpd_store_quiesce();
	pr_info("stopped\n");
	return 0;
}

/* One listening address of @family, @addr, @port. */
static void khttpd_start_addr(struct sockaddr_storage *ss, int family,
			      const u8 *addr, u16 port)
{
	if (family == AF_INET) {
		struct sockaddr_in *sin = (void *)ss;

		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr, 4);
	} else {
		struct sockaddr_in6 *sin6 = (void *)ss;

		memset(sin6, 0, sizeof(*sin6));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, addr, 16);
	}
}

/*
 * The listening addresses a START asks for, as socket addresses: those
 * of @port, then (@tls[i] set) those of @tls_port if it is not 0.
 */
static int khttpd_start_addrs(const struct khttpd_start *args, u16 port,
			      u16 tls_port,
			      struct sockaddr_storage addrs[], bool tls[],
			      int *n)
{
	u32 flags = args->flags & (KHTTPD_START_IPV4 | KHTTPD_START_IPV6);
	int i, half;

	*n = 0;
	if (args->flags & ~(KHTTPD_START_IPV4 | KHTTPD_START_IPV6 |
			    KHTTPD_START_DOCROOT | KHTTPD_START_NO_SYMLINKS |
			    KHTTPD_START_TLS))
		return -EINVAL;
	if (!flags)
		flags = KHTTPD_START_IPV4;
	if ((flags & KHTTPD_START_IPV6) && !IS_ENABLED(CONFIG_IPV6))
		return -EAFNOSUPPORT;
	if (flags & KHTTPD_START_IPV4)
		khttpd_start_addr(&addrs[(*n)++], AF_INET, args->addr4, port);
	if (flags & KHTTPD_START_IPV6)
		khttpd_start_addr(&addrs[(*n)++], AF_INET6, args->addr6, port);
	half = *n;
	for (i = 0; i < half; i++)
		tls[i] = false;
	for (i = 0; tls_port && i < half; i++) {
		int family = addrs[i].ss_family;

		khttpd_start_addr(&addrs[*n], family, family == AF_INET ?
				  args->addr4 : args->addr6, tls_port);
		tls[(*n)++] = true;
	}
	return 0;
}

/* A worker for @cpu, listening on @addrs; its thread not yet running. */
static int khttpd_server_add(struct khttpd_worker **workers, unsigned int cpu,
			     struct sockaddr_storage addrs[], const bool tls[],
			     int naddr, int backlog)
{
	struct khttpd_worker *w;
	int i, err = 0;

	w = khttpd_worker_create(cpu);
	if (IS_ERR(w))
		return PTR_ERR(w);
	workers[cpu] = w;
	for (i = 0; i < naddr && !err; i++) {
		err = khttpd_listen(w, &w->listeners[i], &addrs[i], backlog);
		w->listeners[i].tls = tls[i];
	}
	return err;
}

/*
 * The caller holds khttpd_ctl_lock; @args is validated except for CPUs.
 *
 * Order matters.  Listening sockets join the reuseport group as they are
 * made, so connections may queue from then on; but nothing serves them
 * until the built-in page is stored and the workers are published (so
 * "enabled" reads 1), and only then are the listen callbacks installed and
 * the threads woken.  The hotplug lock is held throughout, so a CPU cannot
 * go and come back before its worker is published for the online callback
 * to rebind.
 */
int khttpd_server_start(const struct khttpd_start *args)
{
	struct sockaddr_storage addrs[KHTTPD_MAX_LISTENERS];
	bool tls[KHTTPD_MAX_LISTENERS];
	struct khttpd_config cfg;
	struct khttpd_worker **workers;
	bool all = true;
	unsigned int cpu, i;
	int err = 0, naddr, backlog;
	u16 port;

	lockdep_assert_held(&khttpd_ctl_lock);
	if (khttpd_workers)
		return -EALREADY;
	khttpd_config_read(&cfg);
	port = args->port ? args->port : cfg.port;
	backlog = args->backlog ? args->backlog : 1024;
	if (args->backlog > INT_MAX)
		return -EINVAL;
	/* HTTPS on a port of its own, or not at all */
	if ((args->flags & KHTTPD_START_TLS) ?
	    !args->tls_port || args->tls_port == port : args->tls_port)
		return -EINVAL;
	err = khttpd_start_addrs(args, port, args->tls_port, addrs, tls,
				 &naddr);
	if (err)
		return err;
	if (args->tls_port) {
		err = khttpd_tls_probe();
		if (err)
			return err;
	}
	for (i = 0; i < KHTTPD_CPUSET_WORDS; i++)
		all &= !args->cpus[i];

	workers = kcalloc(nr_cpu_ids, sizeof(*workers), GFP_KERNEL);
	if (!workers)
		return -ENOMEM;
	err = khttpd_docroot_start(args);
	if (err) {
		kfree(workers);
		return err;
	}

	cpus_read_lock();
	if (all) {
		for_each_online_cpu(cpu) {
			err = khttpd_server_add(workers, cpu, addrs, tls,
						naddr, backlog);
			if (err)
				break;
		}
	} else {
		for (i = 0; i < KHTTPD_CPUSET_WORDS * 64 && !err; i++) {
			if (!(args->cpus[i / 64] & (1ULL << (i % 64))))
				continue;
			if (i >= nr_cpu_ids || !cpu_online(i))
				err = -EINVAL;
			else
				err = khttpd_server_add(workers, i, addrs,
							tls, naddr, backlog);
		}
	}
	/*
	 * Last of what can fail: a START that fails leaves the store as is.
	 * A docroot has its own "/" (its index.html).
	 */
	if (!err && !(args->flags & KHTTPD_START_DOCROOT))
		err = khttpd_store_put_builtin();
	if (err) {
		cpus_read_unlock();
		khttpd_server_teardown(workers);
		khttpd_docroot_stop();
		khttpd_store_quiesce();
		return err;
	}
	WRITE_ONCE(khttpd_workers, workers);
	for_each_possible_cpu(cpu) {
		if (!workers[cpu])
			continue;
		for (i = 0; i < naddr; i++)
			khttpd_listen_install(&workers[cpu]->listeners[i]);
		wake_up_process(workers[cpu]->task);
	}
	cpus_read_unlock();
	khttpd_started = *args;
	khttpd_started.port = port;
	khttpd_started.backlog = backlog;
	khttpd_started.root_fd = 0;
	if (args->tls_port)
		pr_info("listening on port %u, HTTPS on port %u\n", port,
			args->tls_port);
	else
		pr_info("listening on port %u\n", port);
	return 0;
}

void khttpd_server_status(struct khttpd_status *st)
{
	struct khttpd_worker **workers = khttpd_workers;
	const struct khttpd_start *s = &khttpd_started;
	unsigned int cpu;

	lockdep_assert_held(&khttpd_ctl_lock);
	if (!workers)
		return;
	st->serving = 1;
	st->start_flags = s->flags;
	st->port = s->port;
	st->tls_port = s->tls_port;
	st->backlog = s->backlog;
	memcpy(st->addr4, s->addr4, sizeof(st->addr4));
	memcpy(st->addr6, s->addr6, sizeof(st->addr6));
	st->uid = s->uid;
	st->gid = s->gid;
	for_each_possible_cpu(cpu) {
		if (!workers[cpu] || cpu >= KHTTPD_CPUSET_WORDS * 64)
			continue;
		st->workers++;
		st->cpus[cpu / 64] |= 1ULL << (cpu % 64);
	}
}

/* The settings changed: every worker takes a new snapshot. */
void khttpd_server_config_changed(void)
{
	struct khttpd_worker **workers = khttpd_workers;
	unsigned int cpu;

	lockdep_assert_held(&khttpd_ctl_lock);
	if (!workers)
		return;
	for_each_possible_cpu(cpu) {
		if (!workers[cpu])
			continue;
		set_bit(KHTTPD_WORKER_CONFIG, &workers[cpu]->flags);
		wake_up_process(workers[cpu]->task);
	}
}
