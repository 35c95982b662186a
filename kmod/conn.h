/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One client connection: its socket callbacks and its I/O.  The
 * connection itself is private to conn.c; its worker accepts it, runs it
 * when its socket wakes it, expires it and closes what is left at stop.
 */
#ifndef _KHTTPD_CONN_H
#define _KHTTPD_CONN_H

#include <linux/types.h>

struct khttpd_timeout;
struct khttpd_worker;
struct socket;

#define KHTTPD_RX_MAX		65536	/* largest request head kept */

int khttpd_conn_init(void);
void khttpd_conn_exit(void);

/* accepting: admit (or refuse, with a 503), then create */
bool khttpd_conn_admit(struct khttpd_worker *w);
void khttpd_conn_unadmit(void);
void khttpd_conn_refuse(struct khttpd_worker *w, struct socket *sock);
bool khttpd_conn_create(struct khttpd_worker *w, struct socket *sock);
/*
 * An HTTPS connection: admitted (or closed), its handshake handed to the
 * agent (tls.h).  Takes @sock over whatever happens.
 */
void khttpd_conn_accept_tls(struct khttpd_worker *w, struct socket *sock);

/* the worker's loop: connections whose socket woke them, in order */
void khttpd_conn_run_ready(struct khttpd_worker *w);
/* the deadline of @t (a connection's) passed; @abort resets it */
void khttpd_conn_expire(struct khttpd_timeout *t, bool abort);
/* stop: close every connection of @w, its thread stopped */
void khttpd_conn_close_all(struct khttpd_worker *w);

#endif /* _KHTTPD_CONN_H */
