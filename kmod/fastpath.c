// SPDX-License-Identifier: GPL-2.0
/*
 * Answering in the socket callback.
 *
 * A keep-alive request that arrives whole, on a connection with nothing
 * else pending, is answered from data_ready itself: in softirq, with the
 * socket's bh lock held, before the packet's processing returns.  That
 * saves the worker's wakeup, its two context switches and three passes of
 * taking and releasing the socket per request; the answer also carries
 * the ACK of the request, as before.
 *
 * The rules of that context: nothing sleeps (GFP_ATOMIC, and the socket's
 * own page fragment rather than the interrupted task's, set at accept),
 * MSG_DONTWAIT | MSG_NOSIGNAL always, never lock_sock() or anything that
 * takes the socket lock or the write side of sk_callback_lock (whose read
 * side we are under).  Reading peeks the receive queue and consumes only
 * what was answered (tcp_read_done()); sending is tcp_sendmsg_locked(),
 * as espintcp does from the same place.
 *
 * Only on the worker's CPU: there the flow's packets, its worker and its
 * answers share a CPU, the fast path's buffers are that CPU's (softirqs
 * do not nest) and receive flow steering keeps the flow there, since we
 * record it as recvmsg would.  Anything else is left, unconsumed and in
 * order, to the worker: a socket a thread owns (the worker in the middle
 * of its step), a connection with anything pending, a partial request, a
 * request with a body, a refusal, an answer that closes the connection or
 * does not fit the send buffer.  A short send leaves the rest queued on the
 * connection for the worker, which sends it before anything else.
 * Never on an HTTPS connection (tls.h).
 */
#include <linux/lockdep.h>
#include <linux/skbuff.h>
#include <linux/smp.h>
#include <net/rps.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "config.h"
#include "conn_priv.h"
#include "server.h"
#include "stats.h"
#include "store.h"
#include "timers.h"
#include "trace.h"

/* Requests answered per callback, at most: then the worker takes over. */
#define KHTTPD_FAST_BUDGET	16

/*
 * May the callback answer on @c now?  The socket must be established and
 * whole, and the connection idle: nothing to send,
 * nothing kept of a partial request, no request begun, not closing.
 */
static bool khttpd_fast_allowed(struct khttpd_conn *c, struct sock *sk)
{
	return sk->sk_state == TCP_ESTABLISHED && !sk->sk_err &&
	       !READ_ONCE(sk->sk_shutdown) && !tcp_sk(sk)->urg_data &&
	       !c->tx_count && !c->rx_len && !c->closing && !c->lingering &&
	       !c->peer_closed && !c->waiting &&
	       !khttpd_http_parser_busy(&c->parser) &&
	       sk_stream_memory_free(sk);
}

/*
 * Copy what the receive queue holds, up to @cap bytes, without consuming
 * it.  Returns the bytes copied, or -1 if the queue holds anything but
 * plain data (a SYN or FIN flag, an offset out of the ordinary): the
 * worker's tcp_read_sock() knows what to do with those.
 */
static int khttpd_fast_peek(struct sock *sk, char *buf, size_t cap)
{
	u32 seq = tcp_sk(sk)->copied_seq;
	struct sk_buff *skb;
	size_t n = 0;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		u32 off = seq - TCP_SKB_CB(skb)->seq;
		size_t len;

		if ((TCP_SKB_CB(skb)->tcp_flags & (TCPHDR_SYN | TCPHDR_FIN)) ||
		    off >= skb->len)
			return -1;
		len = min_t(size_t, skb->len - off, cap - n);
		if (skb_copy_bits(skb, off, buf + n, len))
			return -1;
		n += len;
		seq += len;
		if (n == cap)
			break;
	}
	return n;
}

/* Take the settings in effect if they changed since our snapshot. */
static void khttpd_fast_sync_config(struct khttpd_fast *f)
{
	if (khttpd_config_gen() == f->cfg_gen)
		return;
	f->cfg_gen = khttpd_config_read(&f->cfg);
	khttpd_config_limits(&f->cfg, &f->limits);
}

/*
 * Answer the request at the start of @buf if the fast path may: a whole
 * GET or HEAD without a body whose answer keeps the connection and fits
 * in @room bytes of send buffer.  Sets *@used to the bytes it took.
 */
static bool khttpd_fast_one(struct khttpd_conn *c, struct khttpd_fast *f,
			    char *buf, size_t len, u64 t0, s64 *room,
			    size_t *used)
{
	struct khttpd_request req;
	struct khttpd_range range;
	struct khttpd_answer a;
	struct khttpd_entry *e;
	u64 off, blen, need;

	if (khttpd_http_parse(&c->parser, buf, len, &f->limits, &req,
			      used) != KHTTPD_PARSE_REQUEST ||
	    req.body_len || khttpd_http_parser_busy(&c->parser))
		return false;
	e = khttpd_conn_pick(&req, 0, true, &a, &range, &off, &blen);
	if (IS_ERR(e))
		return false;	/* a docroot lookup, or a redirect to build */
	/* what it takes of the send buffer, at most: a 206's fields too */
	need = blen + KHTTPD_HEAD_MAX;
	if (a.status == 206 || a.status == 416)
		need += KHTTPD_ANSWER_FIELDS_MAX;
	if (!a.keep_alive || (s64)need > *room) {
		khttpd_entry_put(e);
		return false;
	}
	/* here, not before: a request handed to the worker is its to trace */
	trace_khttpd_request(c, c->sock->sk, &req, 0, true);
	if (!khttpd_conn_queue_answer(c, &f->io, &req, 0, t0, req.version, &a,
				      &range, e, off, blen))
		return false;
	*room -= need;
	return true;
}

/*
 * Answer the whole requests at the start of @buf that the fast path may,
 * in order, queueing their answers on @c.  Returns the bytes they took.
 * The parser is left as it was before the first request not answered, so
 * the worker parses that one from its start.
 */
static size_t khttpd_fast_consume(struct khttpd_conn *c, struct sock *sk,
				  struct khttpd_fast *f, char *buf,
				  size_t len, u64 t0, unsigned int *answered)
{
	s64 room = sk_stream_wspace(sk);
	size_t done = 0, used;

	while (done < len && *answered < KHTTPD_FAST_BUDGET &&
	       c->tx_count + 2 <= KHTTPD_TX_SLOTS) {
		struct khttpd_parser before = c->parser;

		if (!khttpd_fast_one(c, f, buf + done, len - done, t0, &room,
				     &used)) {
			c->parser = before;
			break;
		}
		done += used;
		(*answered)++;
	}
	return done;
}

bool khttpd_fast_answer(struct khttpd_conn *c, struct sock *sk)
{
	struct khttpd_worker *w = c->worker;
	struct khttpd_fast *f = &w->fast;
	unsigned int answered = 0;
	bool sent = false, done;
	size_t used;
	int len, err;

	/*
	 * Owned: the worker is in its step, or this is its release_sock()
	 * running the backlog (preemptible, without the bh lock).  Else
	 * this is softirq with the bh lock: the hold we need.
	 */
	if (sock_owned_by_user_nocheck(sk))
		return false;
	/*
	 * HTTPS: what the receive queue holds is ciphertext, and sending
	 * goes through kTLS, which takes the socket lock: the worker's.
	 */
	if (c->tls)
		return false;
	lockdep_assert_held(&sk->sk_lock.slock);
	if (w->cpu != smp_processor_id() || f->busy)
		return false;
	khttpd_fast_sync_config(f);
	if (!f->cfg.fastpath || !khttpd_fast_allowed(c, sk))
		return false;

	f->busy = true;
	len = khttpd_fast_peek(sk, f->io.scratch, f->io.scratch_size);
	if (len <= 0) {
		f->busy = false;
		return !len;	/* nothing at all to read: nothing to do */
	}
	/*
	 * Bytes an earlier look left to the worker came first; else these
	 * came now, as TCP's receive that called us read its clock.
	 */
	if (!c->rx_peeked)
		c->rx_time = READ_ONCE(tcp_sk(sk)->tcp_clock_cache);
	used = khttpd_fast_consume(c, sk, f, f->io.scratch, len, c->rx_time,
				   &answered);
	/* what is left was read now, as far as its service time goes */
	c->rx_peeked = used < len;
	if (answered) {
		/* sent first, so that the answer carries the ACK */
		err = khttpd_conn_flush(c, &f->io, &sent);
		tcp_read_done(sk, used);
		/* as recvmsg does: steer the flow's packets to this CPU */
		sock_rps_record_flow(sk);
		khttpd_stat_add(requests_fast, answered);
		khttpd_timeout_set(w, &c->timeout, KHTTPD_T_IDLE, true);
	} else {
		err = 0;
	}
	/* everything answered and sent, and nothing more to read */
	done = !err && used == len && len < f->io.scratch_size;
	if (!done)
		khttpd_stat_inc(fast_handoffs);
	f->busy = false;
	return done;
}
