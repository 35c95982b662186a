// SPDX-License-Identifier: GPL-2.0
/*
 * khttpd-tlsd: the kernel's "handshake" generic netlink family on raw
 * netlink sockets (no libnl).
 *
 * Two sockets: one joined to the family's "tlshd" multicast group, which
 * the main loop polls for READY notifications, and one for ACCEPT and DONE,
 * whose replies the kernel queues before the sendmsg() that carried the
 * request returns (both run as the family's doit handlers in that call).
 * Every request asks for an ACK, so each one ends with an NLMSG_ERROR
 * carrying 0 or the handler's -errno.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "handshake_uapi.h"
#include "tlsd.h"

#define GENL_BUF_SIZE	16384

/* a request: room for the headers and a few small attributes */
struct genl_req {
	struct nlmsghdr nlh;
	struct genlmsghdr gh;
	char attrs[256];
};

/* replies are parsed by one of these, called for each non-error message */
typedef int (*genl_parse_t)(const struct nlmsghdr *nlh, void *arg);

static void req_init(struct genl_req *r, __u16 type, __u8 cmd, __u8 version)
{
	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nlh.nlmsg_type = type;
	r->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	r->gh.cmd = cmd;
	r->gh.version = version;
}

static void req_put(struct genl_req *r, __u16 type, const void *data,
		    size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r +
					     NLMSG_ALIGN(r->nlh.nlmsg_len));

	/* callers put a handful of attributes of known small size */
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nlh.nlmsg_len = NLMSG_ALIGN(r->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void req_put_u32(struct genl_req *r, __u16 type, __u32 v)
{
	req_put(r, type, &v, sizeof(v));
}

/* Walk the attributes in [p, p + len); calls fn(type, data, len, arg). */
typedef void (*attr_fn_t)(__u16 type, const void *data, size_t len,
			  void *arg);

static void attrs_walk(const void *p, size_t len, attr_fn_t fn, void *arg)
{
	const struct nlattr *a = p;

	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		size_t step = NLA_ALIGN(a->nla_len);

		fn(a->nla_type & NLA_TYPE_MASK, (const char *)a + NLA_HDRLEN,
		   a->nla_len - NLA_HDRLEN, arg);
		if (step >= len)
			break;
		len -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
}

static void genl_msg_attrs(const struct nlmsghdr *nlh, attr_fn_t fn,
			   void *arg)
{
	size_t hdr = NLMSG_LENGTH(GENL_HDRLEN);

	if (nlh->nlmsg_len < hdr)
		return;
	attrs_walk((const char *)nlh + NLMSG_ALIGN(hdr),
		   nlh->nlmsg_len - NLMSG_ALIGN(hdr), fn, arg);
}

static bool get_u32(const void *data, size_t len, __u32 *v)
{
	if (len < sizeof(*v))
		return false;
	memcpy(v, data, sizeof(*v));
	return true;
}

/*
 * Send r on the command socket and read until its ACK.  Returns 0 or a
 * negative errno: the handler's, or one of our own.
 */
static int genl_call(struct genl *nl, struct genl_req *r, genl_parse_t parse,
		     void *arg)
{
	static char buf[GENL_BUF_SIZE] __aligned(8);
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	__u32 seq = ++nl->seq;
	ssize_t n;

	r->nlh.nlmsg_seq = seq;
	do {
		n = sendto(nl->cmd_fd, r, r->nlh.nlmsg_len, 0,
			   (struct sockaddr *)&kernel, sizeof(kernel));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;

	for (;;) {
		struct sockaddr_nl from;
		socklen_t flen = sizeof(from);
		struct nlmsghdr *nlh;
		size_t len;

		n = recvfrom(nl->cmd_fd, buf, sizeof(buf), 0,
			     (struct sockaddr *)&from, &flen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN here is SO_RCVTIMEO running out */
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		if (from.nl_pid != 0)
			continue;
		len = n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;	/* a late reply to a request we gave up on */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EPROTO;
				return e->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (parse) {
				int err = parse(nlh, arg);

				if (err)
					return err;
			}
		}
	}
}

/* --- resolving the family ------------------------------------------------ */

struct family_info {
	__u16 id;
	__u32 group;
	bool have_id, have_group;
};

struct grp_info {
	const char *name;
	size_t name_len;
	__u32 id;
	bool have_id;
};

static void grp_attr(__u16 type, const void *data, size_t len, void *arg)
{
	struct grp_info *g = arg;

	if (type == CTRL_ATTR_MCAST_GRP_NAME) {
		g->name = data;
		g->name_len = strnlen(data, len);
	} else if (type == CTRL_ATTR_MCAST_GRP_ID) {
		g->have_id = get_u32(data, len, &g->id);
	}
}

/* each entry of CTRL_ATTR_MCAST_GROUPS is a nest indexed 1, 2, ... */
static void grp_entry(__u16 type, const void *data, size_t len, void *arg)
{
	struct family_info *fi = arg;
	struct grp_info g = { 0 };

	(void)type;
	attrs_walk(data, len, grp_attr, &g);
	if (g.name && g.have_id && g.name_len == strlen(HS_MCGRP_TLSHD) &&
	    !memcmp(g.name, HS_MCGRP_TLSHD, g.name_len)) {
		fi->group = g.id;
		fi->have_group = true;
	}
}

static void family_attr(__u16 type, const void *data, size_t len, void *arg)
{
	struct family_info *fi = arg;

	if (type == CTRL_ATTR_FAMILY_ID && len >= sizeof(__u16)) {
		memcpy(&fi->id, data, sizeof(__u16));
		fi->have_id = true;
	} else if (type == CTRL_ATTR_MCAST_GROUPS) {
		attrs_walk(data, len, grp_entry, fi);
	}
}

static int family_parse(const struct nlmsghdr *nlh, void *arg)
{
	if (nlh->nlmsg_type == GENL_ID_CTRL)
		genl_msg_attrs(nlh, family_attr, arg);
	return 0;
}

static int nl_socket(void)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int genl_open(struct genl *nl)
{
	struct timeval tv = { .tv_sec = 5 };
	struct family_info fi = { 0 };
	struct genl_req r;
	int one = 1, err;

	memset(nl, 0, sizeof(*nl));
	nl->mc_fd = -1;
	nl->cmd_fd = nl_socket();
	if (nl->cmd_fd < 0)
		return nl->cmd_fd;
	/* replies come within the request's sendmsg(): never wait long */
	setsockopt(nl->cmd_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* error ACKs without the request echoed back */
	setsockopt(nl->cmd_fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));

	req_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	req_put(&r, CTRL_ATTR_FAMILY_NAME, HS_FAMILY_NAME,
		sizeof(HS_FAMILY_NAME));
	err = genl_call(nl, &r, family_parse, &fi);
	if (err) {
		pr_err("no \"%s\" generic netlink family: %s%s\n",
		       HS_FAMILY_NAME, strerror(-err),
		       err == -ENOENT ? " (a kernel without CONFIG_NET_HANDSHAKE?)" : "");
		goto fail;
	}
	if (!fi.have_id || !fi.have_group) {
		pr_err("the %s family has no \"%s\" multicast group\n",
		       HS_FAMILY_NAME, HS_MCGRP_TLSHD);
		err = -ENOENT;
		goto fail;
	}
	nl->family = fi.id;
	nl->group = fi.group;

	nl->mc_fd = nl_socket();
	if (nl->mc_fd < 0) {
		err = nl->mc_fd;
		goto fail;
	}
	if (setsockopt(nl->mc_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &nl->group, sizeof(nl->group)) < 0) {
		err = -errno;
		pr_err("joining the %s group: %s\n", HS_MCGRP_TLSHD,
		       strerror(errno));
		goto fail;
	}
	pr_debug("family %s id %u, group %s id %u\n", HS_FAMILY_NAME,
		 nl->family, HS_MCGRP_TLSHD, nl->group);
	return 0;

fail:
	genl_close(nl);
	return err;
}

void genl_close(struct genl *nl)
{
	if (nl->cmd_fd >= 0)
		close(nl->cmd_fd);
	if (nl->mc_fd >= 0)
		close(nl->mc_fd);
	nl->cmd_fd = -1;
	nl->mc_fd = -1;
}

/* --- ACCEPT and DONE ----------------------------------------------------- */

static void accept_attr(__u16 type, const void *data, size_t len, void *arg)
{
	struct hs_accept *acc = arg;
	__u32 v;

	switch (type) {
	case HS_A_ACCEPT_SOCKFD:
		if (get_u32(data, len, &v))
			acc->fd = (int)v;
		break;
	case HS_A_ACCEPT_MESSAGE_TYPE:
		get_u32(data, len, &acc->msg_type);
		break;
	case HS_A_ACCEPT_TIMEOUT:
		get_u32(data, len, &acc->timeout_ms);
		break;
	case HS_A_ACCEPT_AUTH_MODE:
		get_u32(data, len, &acc->auth_mode);
		break;
	case HS_A_ACCEPT_CERTIFICATE:
		acc->has_cert = true;
		break;
	case HS_A_ACCEPT_PEERNAME:
		len = strnlen(data, len);
		if (len >= sizeof(acc->peername))
			len = sizeof(acc->peername) - 1;
		memcpy(acc->peername, data, len);
		acc->peername[len] = '\0';
		break;
	}
}

struct accept_ctx {
	__u16 family;
	struct hs_accept *acc;
};

static int accept_parse(const struct nlmsghdr *nlh, void *arg)
{
	struct accept_ctx *c = arg;

	if (nlh->nlmsg_type == c->family)
		genl_msg_attrs(nlh, accept_attr, c->acc);
	return 0;
}

/*
 * Ask for the next queued TLS request.  Returns 0 with acc->fd the socket
 * (ours to close), -EAGAIN when the kernel has none, or another -errno.
 * A socket can come with an error too (a reply without its ACK): the
 * caller closes acc->fd whenever it is >= 0.
 */
int genl_accept(struct genl *nl, struct hs_accept *acc)
{
	struct accept_ctx c = { .family = nl->family, .acc = acc };
	struct genl_req r;
	int err;

	memset(acc, 0, sizeof(*acc));
	acc->fd = -1;
	req_init(&r, nl->family, HS_CMD_ACCEPT, HS_FAMILY_VERSION);
	req_put_u32(&r, HS_A_ACCEPT_HANDLER_CLASS, HS_HANDLER_CLASS_TLSHD);
	err = genl_call(nl, &r, accept_parse, &c);
	if (!err && acc->fd < 0)
		err = -EPROTO;
	return err;
}

/*
 * Report the end of the handshake on sockfd: result 0 or -errno.  DONE
 * carries it as a positive errno, which the kernel negates again for the
 * socket's owner.  Returns 0 or -errno.
 */
int genl_done(struct genl *nl, int sockfd, int result)
{
	__u32 status = result < 0 ? -result : 0;
	struct genl_req r;

	if (result > 0 || status > HS_DONE_STATUS_MAX)
		status = EIO;
	req_init(&r, nl->family, HS_CMD_DONE, HS_FAMILY_VERSION);
	req_put_u32(&r, HS_A_DONE_STATUS, status);
	req_put_u32(&r, HS_A_DONE_SOCKFD, (__u32)sockfd);
	return genl_call(nl, &r, NULL, NULL);
}

/*
 * Drain the multicast socket.  Returns 1 if a READY for our class came (or
 * notifications were lost: the caller should ACCEPT either way), 0 if not,
 * or -errno.
 */
int genl_read_ready(struct genl *nl)
{
	static char buf[GENL_BUF_SIZE] __aligned(8);
	int ready = 0;

	for (;;) {
		struct nlmsghdr *nlh;
		ssize_t n;
		size_t len;

		n = recv(nl->mc_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return ready;
			if (errno == ENOBUFS) {
				/* the socket overflowed: some READYs are lost */
				ready = 1;
				continue;
			}
			return -errno;
		}
		len = n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			const struct genlmsghdr *gh = NLMSG_DATA(nlh);

			if (nlh->nlmsg_type != nl->family ||
			    nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
				continue;
			if (gh->cmd == HS_CMD_READY)
				ready = 1;
		}
	}
}
