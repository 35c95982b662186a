/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HTTPS: kTLS with the kernel's TLS handshake upcall (net/handshake).
 *
 * An accepted HTTPS connection gets a file and is handed, callbacks back
 * to the socket's defaults, to a userspace agent (tls_server_hello_x509()),
 * which does the handshake, sets up kTLS on the socket and says done.
 * From then on the connection is served as a plain one, except that it is
 * read and written through kTLS (recvmsg and sendmsg, which take the
 * socket themselves: the worker holds no socket lock around them), never
 * by the fast path, and that it ends with close_notify once kTLS has
 * handed everything it holds to TCP.  conn.c runs the connection's life;
 * this file has what touches net/handshake and kTLS.
 *
 * Only net/handshake's symbols are used (built in); of kTLS only what
 * include/net/tls.h has inline, so khttpd.ko loads without tls.ko and
 * START with HTTPS checks for it (khttpd_tls_probe()).
 */
#ifndef _KHTTPD_TLS_H
#define _KHTTPD_TLS_H

#include <linux/errno.h>
#include <linux/types.h>

struct khttpd_conn;
struct khttpd_worker;
struct msghdr;
struct sock;

/* How often a connection waiting on the upcall's queue or kTLS looks again */
#define KHTTPD_TLS_RETRY_MS	10

#if IS_ENABLED(CONFIG_NET_HANDSHAKE)
/* START: 0 if kTLS is there (loading tls.ko if it may), else -errno. */
int khttpd_tls_probe(void);

/*
 * Hand @c's handshake to the agent, with @timeout_ms for its deadline.
 * 0: its done will run (unless khttpd_tls_cancel() wins); -EAGAIN: the
 * upcall's queue is full, try again; -ESRCH: no agent; another -errno.
 */
int khttpd_tls_submit(struct khttpd_conn *c, unsigned int timeout_ms);
/* Cancel @c's handshake: false if its done runs (or ran) instead. */
bool khttpd_tls_cancel(struct khttpd_conn *c);
/* Stop: wait until no done of @w's connections can run any more. */
void khttpd_tls_wait(struct khttpd_worker *w);

/* After a successful done: did the agent set up kTLS both ways? */
bool khttpd_tls_engaged(struct sock *sk);

/*
 * Receive application data through kTLS: bytes, 0 at the end (also a
 * close_notify, or a KeyUpdate this kernel cannot follow), -EAGAIN, or an
 * error (a fatal alert, another record type).
 */
int khttpd_tls_recv(struct khttpd_conn *c, char *buf, size_t cap);
/* Send @msg through kTLS: bytes taken, or -errno (-EAGAIN when full). */
int khttpd_tls_send(struct khttpd_conn *c, struct msghdr *msg);
/* Does kTLS hold input not read yet (a record, or part of one)? */
bool khttpd_tls_readable(struct sock *sk);

/*
 * Closing: get what kTLS holds to TCP, then our close_notify.  0 once
 * there is nothing more to wait for; -EAGAIN to come back at write space
 * (or after KHTTPD_TLS_RETRY_MS).  *@progress: TCP took bytes since the
 * last call.
 */
int khttpd_tls_bye(struct khttpd_conn *c, bool *progress);

#else
/*
 * A kernel without the handshake upcall (it is built in only with one of
 * its users: SUNRPC or NVMe/TCP): START refuses a TLS port, and no
 * connection ever is an HTTPS one, so nothing else here is called.
 */
static inline int khttpd_tls_probe(void)
{
	return -EPROTONOSUPPORT;
}

static inline int khttpd_tls_submit(struct khttpd_conn *c,
				    unsigned int timeout_ms)
{
	return -EPROTONOSUPPORT;
}

static inline bool khttpd_tls_cancel(struct khttpd_conn *c)
{
	return false;
}

static inline void khttpd_tls_wait(struct khttpd_worker *w)
{
}

static inline bool khttpd_tls_engaged(struct sock *sk)
{
	return false;
}

static inline int khttpd_tls_recv(struct khttpd_conn *c, char *buf,
				  size_t cap)
{
	return -EPROTONOSUPPORT;
}

static inline int khttpd_tls_send(struct khttpd_conn *c, struct msghdr *msg)
{
	return -EPROTONOSUPPORT;
}

static inline bool khttpd_tls_readable(struct sock *sk)
{
	return false;
}

static inline int khttpd_tls_bye(struct khttpd_conn *c, bool *progress)
{
	return 0;
}
#endif

#endif /* _KHTTPD_TLS_H */
