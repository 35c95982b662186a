/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khttpd-tlsd: the agent that performs TLS handshakes the kernel asks for
 * through its handshake upcall (net/handshake), then hands the session's
 * keys back to the socket as kTLS.
 */
#ifndef KHTTPD_TLSD_H
#define KHTTPD_TLSD_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include <gnutls/gnutls.h>

#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __aligned(n)	__attribute__((aligned(n)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* --- logging (tlsd.c) ---------------------------------------------------- */
extern int tlsd_verbose;
__printf(2, 3) void tlsd_log(int level, const char *fmt, ...);
#define pr_err(...)	tlsd_log(0, __VA_ARGS__)
#define pr_info(...)	tlsd_log(1, __VA_ARGS__)
#define pr_debug(...)	tlsd_log(2, __VA_ARGS__)

/* --- generic netlink (genl.c) -------------------------------------------- */
struct genl {
	int cmd_fd;		/* requests and their replies */
	int mc_fd;		/* the tlshd group's READY notifications */
	__u32 seq;
	__u16 family;
	__u32 group;
};

/* what one ACCEPT handed us */
struct hs_accept {
	int fd;			/* the socket, installed O_CLOEXEC; -1 if none */
	__u32 msg_type;		/* HS_MSG_TYPE_* */
	__u32 auth_mode;	/* HS_AUTH_* */
	__u32 timeout_ms;	/* 0 when the kernel gave none */
	bool has_cert;		/* key serials for the certificate were given */
	char peername[256];
};

int genl_open(struct genl *nl);
void genl_close(struct genl *nl);
int genl_accept(struct genl *nl, struct hs_accept *acc);
int genl_done(struct genl *nl, int sockfd, int result);
int genl_read_ready(struct genl *nl);

/* --- the TLS session and kTLS (session.c, session.h) -------------------- */
#include "session.h"

#endif /* KHTTPD_TLSD_H */
