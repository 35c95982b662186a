/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Talking to /dev/khttpd from userspace: the same commands over io_uring
 * uring_cmd (the default) or ioctl.  Shared by khttpctl and the selftests.
 */
#ifndef _KHTTPD_CTL_CLIENT_H
#define _KHTTPD_CTL_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <liburing.h>
#include <linux/khttpd.h>

#define KHTTPD_CTL_DEVICE "/dev/khttpd"

struct khttpd_ctl {
	int fd;
	bool uring;		/* false: ioctl */
	unsigned int inflight;	/* uring commands submitted, not reaped */
	struct io_uring ring;
};

/*
 * Open @dev; with @use_ioctl false, set up a ring for uring_cmd and fall
 * back to ioctl if this kernel or its settings refuse io_uring.  Returns 0
 * or -errno.
 */
int khttpd_ctl_open(struct khttpd_ctl *c, const char *dev, bool use_ioctl);
void khttpd_ctl_close(struct khttpd_ctl *c);

/*
 * Run one command and wait for it: @arg is its struct (NULL for STOP),
 * @len the struct's size.  Returns 0 or -errno, whichever transport.
 */
int khttpd_ctl_cmd(struct khttpd_ctl *c, unsigned int op, void *arg,
		   uint32_t len);

/*
 * Batches (uring only): queue a command tagged @tag, submit them all with
 * khttpd_ctl_reap(), which waits for one completion.  @arg must stay valid
 * until its completion is reaped.  Return 0 or -errno.
 */
int khttpd_ctl_queue(struct khttpd_ctl *c, unsigned int op, void *arg,
		     uint32_t len, uint64_t tag);
int khttpd_ctl_reap(struct khttpd_ctl *c, uint64_t *tag, int *res);

/*
 * Every setting of struct khttpd_config with its range (the UAPI's
 * KHTTPD_CFG_*), khttpd_n_params of them, and their values in a struct.
 */
struct khttpd_param {
	const char *name;
	size_t off, size;
	__u64 min, max, def;
};

extern const struct khttpd_param khttpd_params[];
extern const size_t khttpd_n_params;

uint64_t khttpd_param_get(const struct khttpd_param *s,
			  const struct khttpd_config *c);
/* (@v truncated to the field, as a careless caller might) */
void khttpd_param_put(const struct khttpd_param *s, struct khttpd_config *c,
		      __u64 v);

#endif /* _KHTTPD_CTL_CLIENT_H */
