/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The constants of the kernel's "handshake" generic netlink family, as
 * Documentation/netlink/specs/handshake.yaml of Linux 6.12 declares them.
 * <linux/handshake.h> is not in Debian 12's linux-libc-dev (6.1), so the
 * agent carries these few numbers itself.  Values count from the spec: an
 * enum's entries from its value-start, attributes and commands from 1.
 */
#ifndef KHTTPD_TLSD_HANDSHAKE_UAPI_H
#define KHTTPD_TLSD_HANDSHAKE_UAPI_H

#define HS_FAMILY_NAME		"handshake"
#define HS_FAMILY_VERSION	1
#define HS_MCGRP_TLSHD		"tlshd"

/* enum handler-class */
#define HS_HANDLER_CLASS_TLSHD	1

/* enum msg-type: what the agent is asked to send first */
#define HS_MSG_TYPE_CLIENTHELLO	1
#define HS_MSG_TYPE_SERVERHELLO	2

/* enum auth */
#define HS_AUTH_UNAUTH		1
#define HS_AUTH_PSK		2
#define HS_AUTH_X509		3

/* attribute-set x509 (nested in accept's certificate) */
#define HS_A_X509_CERT		1	/* s32 key serial */
#define HS_A_X509_PRIVKEY	2	/* s32 key serial */

/* attribute-set accept */
#define HS_A_ACCEPT_SOCKFD		1	/* s32 */
#define HS_A_ACCEPT_HANDLER_CLASS	2	/* u32 */
#define HS_A_ACCEPT_MESSAGE_TYPE	3	/* u32 */
#define HS_A_ACCEPT_TIMEOUT		4	/* u32, milliseconds */
#define HS_A_ACCEPT_AUTH_MODE		5	/* u32 */
#define HS_A_ACCEPT_PEER_IDENTITY	6	/* u32, multi */
#define HS_A_ACCEPT_CERTIFICATE		7	/* nest x509, multi */
#define HS_A_ACCEPT_PEERNAME		8	/* string */

/* attribute-set done */
#define HS_A_DONE_STATUS	1	/* u32: 0 or a positive errno */
#define HS_A_DONE_SOCKFD	2	/* s32 */
#define HS_A_DONE_REMOTE_AUTH	3	/* u32, multi */

/* the spec's max-errno: the largest status DONE accepts */
#define HS_DONE_STATUS_MAX	4095

/* operations */
#define HS_CMD_READY		1	/* notification on the tlshd group */
#define HS_CMD_ACCEPT		2
#define HS_CMD_DONE		3

#endif /* KHTTPD_TLSD_HANDSHAKE_UAPI_H */
