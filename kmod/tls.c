// SPDX-License-Identifier: GPL-2.0
/*
 * HTTPS: the handshake upcall and kTLS (see tls.h).
 *
 * The handshake.  tls_server_hello_x509() queues a request that the agent
 * takes with its netlink ACCEPT (getting a descriptor of the socket's
 * file) and ends with DONE, whose syscall runs our done callback.  The
 * callback runs in the agent's context, so it only records the status and
 * queues the connection to its worker, which does the rest.  It holds a
 * reference on the connection, and counts in the worker's tls_dones,
 * from the submission until it has run, or until khttpd_tls_cancel() won
 * the race with it: tls_handshake_cancel() true means it never runs,
 * false that it runs or ran.  Stopping cancels every handshake still
 * under way and waits for the count to drop to zero, so a done never runs
 * after its worker, or the module, is gone.  During the handshake none of
 * our callbacks is on the socket: the request may outlive the connection
 * (a cancelled request the agent still holds), and data is the agent's to
 * read.
 *
 * Reading.  kTLS gives one record type per recvmsg, in a control message;
 * without room for one, a record other than application data fails every
 * read with -EIO and stays where it is.  Alerts end the connection: a
 * close_notify like the end of the stream, the others as errors.  A
 * handshake record after the handshake is a KeyUpdate (a client sends no
 * other), which 6.12's kTLS cannot follow (it takes no new keys for
 * TLS_RX): every record after it would fail to decrypt, so it ends the
 * stream too, and we close cleanly.
 *
 * Closing.  sendmsg counts bytes as sent once kTLS has them, even when TCP
 * refused the record (it then waits in kTLS's tx_list, or half-sent in
 * partially_sent_record, for a work item kTLS schedules at write space);
 * and releasing the socket frees whatever kTLS still holds after one more
 * nonblocking try.  So a connection closing in order waits, bounded by
 * send_timeout_ms, until kTLS holds nothing, queues its close_notify (the
 * handshake layer's tls_handshake_close(), once there is room for it:
 * else it would be lost without a word), and waits until that is in TCP
 * too; only then may it be released (or shut down for lingering).
 */
#include <linux/atomic.h>
#include <linux/net.h>
#include <linux/rcupdate.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>
#include <net/handshake.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/tls.h>
#include <net/tls_prot.h>

#include "conn_priv.h"
#include "server.h"
#include "tls.h"

/*
 * Is kTLS there?  Setting the "tls" ULP loads tls.ko if need be (the
 * caller has CAP_NET_ADMIN, and the system a modprobe), and on a socket
 * that is not connected kTLS itself refuses with -ENOTCONN: that answer
 * says it is loaded, without leaving anything set up.
 */
int khttpd_tls_probe(void)
{
	char ulp[] = "tls";
	struct socket *sock;
	int err;

	err = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (err)
		return err;
	err = sock->ops->setsockopt(sock, SOL_TCP, TCP_ULP,
				    KERNEL_SOCKPTR(ulp), sizeof(ulp) - 1);
	sock_release(sock);
	if (err == -ENOTCONN || !err)
		return 0;
	if (err == -ENOENT) {
		pr_warn("HTTPS needs kTLS: the tls module is not loaded\n");
		return -EPROTONOSUPPORT;
	}
	return err;
}

/* A done that will not run: give back what it held. */
static void khttpd_tls_done_gone(struct khttpd_conn *c)
{
	/* the connection's owner holds one too: never the last */
	refcount_dec(&c->ref);
	atomic_dec(&c->worker->tls_dones);
}

/* In the agent's DONE syscall (or the upcall's own failure paths). */
static void khttpd_tls_done(void *data, int status, key_serial_t peerid)
{
	struct khttpd_conn *c = data;
	struct khttpd_worker *w = c->worker;

	c->tls_status = status;
	/* pairs with smp_load_acquire() in khttpd_conn_process_tls() */
	smp_store_release(&c->tls_done, true);
	khttpd_conn_queue(c);
	khttpd_conn_put(c);
	/*
	 * Stop frees @w once the count is zero, and the module may go after
	 * its synchronize_rcu(): being in an RCU read section until we are
	 * out of the count's wakeup keeps our code here that long.
	 * wake_up_var() only hashes the address.
	 */
	rcu_read_lock();
	if (atomic_dec_and_test(&w->tls_dones))
		wake_up_var(&w->tls_dones);
	rcu_read_unlock();
}

int khttpd_tls_submit(struct khttpd_conn *c, unsigned int timeout_ms)
{
	struct tls_handshake_args args = {
		.ta_sock = c->sock,
		.ta_done = khttpd_tls_done,
		.ta_data = c,
		/* only passed on: the worker's own clock cancels it */
		.ta_timeout_ms = timeout_ms,
		/* the agent has its certificate and key from files */
		.ta_keyring = TLS_NO_KEYRING,
		.ta_my_cert = TLS_NO_CERT,
		.ta_my_privkey = TLS_NO_PRIVKEY,
	};
	int err;

	c->tls_done = false;
	refcount_inc(&c->ref);
	atomic_inc(&c->worker->tls_dones);
	err = tls_server_hello_x509(&args, GFP_KERNEL);
	if (err)
		khttpd_tls_done_gone(c);
	return err;
}

bool khttpd_tls_cancel(struct khttpd_conn *c)
{
	if (!tls_handshake_cancel(c->sock->sk))
		return false;
	khttpd_tls_done_gone(c);
	return true;
}

/*
 * The dones that still run were called already (the agent's DONE is in
 * them): a short wait.  The last one's return into our code is covered
 * by the synchronize_rcu() of the server's teardown, after this.
 */
void khttpd_tls_wait(struct khttpd_worker *w)
{
	wait_var_event(&w->tls_dones, !atomic_read(&w->tls_dones));
}

bool khttpd_tls_engaged(struct sock *sk)
{
	const struct tcp_ulp_ops *ulp;
	struct tls_context *ctx;
	bool on;

	lock_sock(sk);
	ulp = inet_csk(sk)->icsk_ulp_ops;
	ctx = tls_get_ctx(sk);
	on = ulp && !strcmp(ulp->name, "tls") && ctx &&
	     ctx->tx_conf != TLS_BASE && ctx->rx_conf != TLS_BASE;
	release_sock(sk);
	return on;
}

/* An alert record of @n bytes at @buf: 0 to read on, else the end. */
static int khttpd_tls_alert(struct khttpd_conn *c, char *buf, int n)
{
	struct kvec v = { .iov_base = buf, .iov_len = n };
	struct msghdr msg = {};
	u8 level, desc;

	if (n != 2) {
		c->tls_quiet = true;
		return -EPROTO;
	}
	iov_iter_kvec(&msg.msg_iter, ITER_DEST, &v, 1, n);
	tls_alert_recv(c->sock->sk, &msg, &level, &desc);
	if (desc == TLS_ALERT_DESC_CLOSE_NOTIFY)
		return 1;
	/* TLS 1.3: user_canceled is followed by a close_notify */
	if (desc == TLS_ALERT_DESC_USER_CANCELED &&
	    level == TLS_ALERT_LEVEL_WARNING)
		return 0;
	/* every other alert is an error: the peer is gone */
	c->tls_quiet = true;
	return -ECONNRESET;
}

/*
 * Records other than data a read may pass over in one call: a peer's
 * user_canceled warnings, each followed by a close_notify from a real
 * client.  More in a row is a peer keeping the worker busy: close.
 */
#define KHTTPD_TLS_SKIP_MAX	16

int khttpd_tls_recv(struct khttpd_conn *c, char *buf, size_t cap)
{
	struct kvec v = { .iov_base = buf, .iov_len = cap };
	int n, ret, skipped = 0;

	for (;;) {
		union {
			struct cmsghdr cmsg;
			u8 buf[CMSG_SPACE(sizeof(u8))];
		} u = {};
		struct msghdr msg = {
			.msg_control = &u,
			.msg_controllen = sizeof(u),
		};

		n = kernel_recvmsg(c->sock, &msg, &v, 1, cap, MSG_DONTWAIT);
		if (n <= 0)
			return n;
		switch (tls_get_record_type(c->sock->sk, &u.cmsg)) {
		case TLS_RECORD_TYPE_DATA:
			return n;
		case TLS_RECORD_TYPE_ALERT:
			ret = khttpd_tls_alert(c, buf, n);
			if (ret)
				return ret < 0 ? ret : 0;
			if (++skipped > KHTTPD_TLS_SKIP_MAX) {
				c->tls_quiet = true;
				return -EPROTO;
			}
			break;
		case TLS_RECORD_TYPE_HANDSHAKE:
			/* a KeyUpdate: nothing after it can be read */
			return 0;
		default:
			c->tls_quiet = true;
			return -EPROTO;
		}
	}
}

int khttpd_tls_send(struct khttpd_conn *c, struct msghdr *msg)
{
	return sock_sendmsg(c->sock, msg);
}

bool khttpd_tls_readable(struct sock *sk)
{
	return sk_is_readable(sk);
}

/* Does kTLS hold bytes TCP has not taken?  The socket lock held. */
static bool khttpd_tls_tx_held(struct sock *sk)
{
	struct tls_context *ctx = tls_get_ctx(sk);

	if (!ctx)
		return false;
	if (ctx->partially_sent_record || ctx->pending_open_record_frags)
		return true;
	return ctx->tx_conf == TLS_SW &&
	       !list_empty(&tls_sw_ctx_tx(ctx)->tx_list);
}

/*
 * Our close_notify, a warning alert record through kTLS, without waiting.
 * The handshake layer's tls_handshake_close() sends the same record but
 * says nothing of whether it went: kTLS's work item can fill the buffer
 * between our look and the send, and the alert would be lost.  Returns
 * 0 once kTLS has it, -EAGAIN to try again on write space, or the error.
 */
static int khttpd_tls_close_notify(struct socket *sock)
{
	u8 alert[2] = { TLS_ALERT_LEVEL_WARNING, TLS_ALERT_DESC_CLOSE_NOTIFY };
	union {
		struct cmsghdr cmsg;
		u8 buf[CMSG_SPACE(sizeof(u8))];
	} u = {};
	struct kvec v = { .iov_base = alert, .iov_len = sizeof(alert) };
	struct msghdr msg = {
		.msg_control = &u,
		.msg_controllen = sizeof(u),
		.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL,
	};
	int ret;

	u.cmsg.cmsg_level = SOL_TLS;
	u.cmsg.cmsg_type = TLS_SET_RECORD_TYPE;
	u.cmsg.cmsg_len = CMSG_LEN(sizeof(u8));
	*(u8 *)CMSG_DATA(&u.cmsg) = TLS_RECORD_TYPE_ALERT;
	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, &v, 1, sizeof(alert));
	ret = sock_sendmsg(sock, &msg);
	if (ret == sizeof(alert))
		return 0;
	return ret < 0 ? ret : -EAGAIN;
}

int khttpd_tls_bye(struct khttpd_conn *c, bool *progress)
{
	struct socket *sock = c->sock;
	struct sock *sk = sock->sk;
	struct tls_context *ctx = tls_get_ctx(sk);
	bool gone, held, room;
	u32 seq;

	while (!c->tls_quiet) {
		/*
		 * kTLS pushes what it holds from its work item, which write
		 * space schedules (before ours runs): have it done now.
		 */
		if (ctx && ctx->tx_conf == TLS_SW)
			flush_delayed_work(&tls_sw_ctx_tx(ctx)->tx_work.work);
		lock_sock(sk);
		gone = sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN) ||
		       !((1 << sk->sk_state) & (TCPF_ESTABLISHED |
						TCPF_CLOSE_WAIT));
		held = khttpd_tls_tx_held(sk);
		room = sk_stream_memory_free(sk);
		/* TCP calls write_space only for a socket that found it full */
		if (!gone && (held || !room))
			set_bit(SOCK_NOSPACE, &sock->flags);
		seq = tcp_sk(sk)->write_seq;
		release_sock(sk);
		if (seq != c->tls_seq)
			*progress = true;
		c->tls_seq = seq;
		if (gone)
			break;		/* nothing can go out any more */
		if (!c->tls_notified) {
			int ret;

			if (!room)
				return -EAGAIN;
			/* queued behind what kTLS holds, in order */
			ret = khttpd_tls_close_notify(sock);
			if (ret == -EAGAIN) {
				set_bit(SOCK_NOSPACE, &sock->flags);
				return -EAGAIN;
			}
			if (ret)
				break;	/* the socket failed: nothing goes */
			c->tls_notified = true;
			continue;
		}
		if (held)
			return -EAGAIN;
		break;
	}
	c->tls_bye_done = true;
	return 0;
}
