// SPDX-License-Identifier: GPL-2.0
/*
 * The two transports to /dev/khttpd.  liburing 2.3 has no helper for
 * IORING_OP_URING_CMD, so the SQE is filled in here by hand.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ctl_client.h"

int khttpd_ctl_open(struct khttpd_ctl *c, const char *dev, bool use_ioctl)
{
	memset(c, 0, sizeof(*c));
	c->fd = open(dev ? dev : KHTTPD_CTL_DEVICE, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	if (use_ioctl)
		return 0;
	/* io_uring may be missing or disabled (kernel.io_uring_disabled) */
	if (io_uring_queue_init(64, &c->ring, 0) == 0)
		c->uring = true;
	return 0;
}

void khttpd_ctl_close(struct khttpd_ctl *c)
{
	if (c->uring)
		io_uring_queue_exit(&c->ring);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->uring = false;
}

int khttpd_ctl_queue(struct khttpd_ctl *c, unsigned int op, void *arg,
		     uint32_t len, uint64_t tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&c->ring);
	struct khttpd_uring_cmd *uc;

	if (!sqe) {
		/* the submission queue is full: push what is there */
		if (io_uring_submit(&c->ring) < 0)
			return -EBUSY;
		sqe = io_uring_get_sqe(&c->ring);
		if (!sqe)
			return -EBUSY;
	}
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = c->fd;
	sqe->cmd_op = op;
	sqe->user_data = tag;
	uc = (struct khttpd_uring_cmd *)sqe->cmd;
	uc->arg = (uintptr_t)arg;
	uc->arg_len = arg ? len : 0;
	c->inflight++;
	return 0;
}

int khttpd_ctl_reap(struct khttpd_ctl *c, uint64_t *tag, int *res)
{
	struct io_uring_cqe *cqe;
	int ret;

	if (!c->inflight)
		return -ENOENT;
	ret = io_uring_submit_and_wait(&c->ring, 1);
	if (ret < 0)
		return ret;
	ret = io_uring_wait_cqe(&c->ring, &cqe);
	if (ret < 0)
		return ret;
	*tag = cqe->user_data;
	*res = cqe->res;
	io_uring_cqe_seen(&c->ring, cqe);
	c->inflight--;
	return 0;
}

int khttpd_ctl_cmd(struct khttpd_ctl *c, unsigned int op, void *arg,
		   uint32_t len)
{
	uint64_t tag;
	int ret, res;

	if (!c->uring)
		return ioctl(c->fd, op, arg) < 0 ? -errno : 0;
	ret = khttpd_ctl_queue(c, op, arg, len, 0);
	if (!ret)
		ret = khttpd_ctl_reap(c, &tag, &res);
	return ret ? ret : res;
}

#define CFG(name, NAME) { #name, offsetof(struct khttpd_config, name), \
			  sizeof(((struct khttpd_config *)0)->name), \
			  KHTTPD_CFG_##NAME##_MIN, KHTTPD_CFG_##NAME##_MAX, \
			  KHTTPD_CFG_##NAME##_DEF }
const struct khttpd_param khttpd_params[] = {
	CFG(port, PORT),
	CFG(header_timeout_ms, HEADER_TIMEOUT_MS),
	CFG(keepalive_timeout_ms, KEEPALIVE_TIMEOUT_MS),
	CFG(send_timeout_ms, SEND_TIMEOUT_MS),
	CFG(max_conns, MAX_CONNS),
	CFG(max_request_line, MAX_REQUEST_LINE),
	CFG(max_header_bytes, MAX_HEADER_BYTES),
	CFG(max_header_fields, MAX_HEADER_FIELDS),
	CFG(max_body, MAX_BODY),
	CFG(zerocopy, ZEROCOPY),
	CFG(fastpath, FASTPATH),
	CFG(mem_cap, MEM_CAP),
	CFG(docroot_queue, DOCROOT_QUEUE),
	CFG(access_log, ACCESS_LOG),
};
#undef CFG
const size_t khttpd_n_params =
	sizeof(khttpd_params) / sizeof(khttpd_params[0]);

uint64_t khttpd_param_get(const struct khttpd_param *s,
			  const struct khttpd_config *c)
{
	const void *p = (const char *)c + s->off;

	if (s->size == 2)
		return *(const __u16 *)p;
	if (s->size == 4)
		return *(const __u32 *)p;
	return *(const __u64 *)p;
}

void khttpd_param_put(const struct khttpd_param *s, struct khttpd_config *c,
		      __u64 v)
{
	void *p = (char *)c + s->off;

	if (s->size == 2)
		*(__u16 *)p = v;
	else if (s->size == 4)
		*(__u32 *)p = v;
	else
		*(__u64 *)p = v;
}
