/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A GnuTLS server session handed over to kTLS: what khttpd-tlsd does for
 * the kernel's sockets and uring-httpd --tls for its own.  The user of
 * session.c provides tlsd_verbose and tlsd_log() (tlsd.h).
 */
#ifndef KHTTPD_TLSD_SESSION_H
#define KHTTPD_TLSD_SESSION_H

#include <gnutls/gnutls.h>

/* Load the certificate and key; NULL @priority: TLS 1.3, kTLS's AEADs. */
int session_global_init(const char *cert, const char *key,
			const char *priority);
void session_global_exit(void);
/* A nonblocking server session on @fd (recv/send with MSG_DONTWAIT). */
int session_new(gnutls_session_t *sp, int fd);
/* The -errno a failed handshake reports. */
int session_status(int gnutls_err);
/* kTLS TX and RX from the session's keys: 0 or -errno, *what the step. */
int session_install_ktls(gnutls_session_t s, int fd, const char **what);
const char *session_describe(gnutls_session_t s, char *buf, size_t len);

#endif /* KHTTPD_TLSD_SESSION_H */
