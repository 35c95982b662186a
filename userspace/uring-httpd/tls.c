// SPDX-License-Identifier: GPL-2.0
/*
 * uring-httpd --tls-cert: HTTPS as khttpd serves it, for comparison.  The
 * handshake is khttpd-tlsd's (its session.c is built in: the same GnuTLS
 * settings, TLS 1.3 only, no tickets), run by each connection's thread
 * without blocking (conn.c), then the record keys go to kTLS, so that the
 * requests and answers that follow use the same receive, send and splice
 * code as plain HTTP, and the kernel encrypts them as it does khttpd's.
 */
#include <stdarg.h>
#include <stdio.h>

#include "uring-httpd.h"
#include "tlsd.h"

/* session.c's logging: its errors only */
int tlsd_verbose;

void tlsd_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > tlsd_verbose)
		return;
	va_start(ap, fmt);
	fputs("uring-httpd: tls: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void tls_init(void)
{
	if (session_global_init(cfg.tls_cert, cfg.tls_key, NULL))
		die("cannot serve HTTPS with %s and %s", cfg.tls_cert,
		    cfg.tls_key);
}
