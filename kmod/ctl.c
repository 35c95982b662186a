// SPDX-License-Identifier: GPL-2.0
/*
 * The control device, /dev/khttpd: one dispatcher behind ioctl and
 * io_uring uring_cmd, for the commands of include/uapi/linux/khttpd.h.
 *
 * Arguments are read with copy_struct_from_user(), so a caller built
 * against a newer, larger struct works as long as it leaves the fields we
 * do not know zero.  Every argument is checked before anything changes.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/io_uring/cmd.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <linux/khttpd.h>

#include "config.h"
#include "ctl.h"
#include "docroot.h"
#include "log.h"
#include "mime.h"
#include "server.h"
#include "stats.h"
#include "store.h"

/* Command numbers without the size bits: the struct's size field rules. */
#define KHTTPD_CMD_KEY(cmd)	((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

union khttpd_ctl_arg {
	struct khttpd_version version;
	struct khttpd_start start;
	struct khttpd_put put;
	struct khttpd_delete del;
	struct khttpd_list list;
	struct khttpd_stats stats;
	struct khttpd_config config;
	struct khttpd_mime mime;
	struct khttpd_status status;
	struct khttpd_read_log log;
};

struct khttpd_ctl_cmd {
	unsigned int cmd;
	size_t ksize;		/* the struct as this module knows it */
	size_t minsize;		/* its first version */
	/* needs CAP_NET_ADMIN: it changes something, or reads clients' data */
	bool privileged;
	bool may_sleep;		/* not done inline under IO_URING_F_NONBLOCK */
};

static const struct khttpd_ctl_cmd khttpd_ctl_cmds[] = {
#define C(cmd, type, ver0, privileged, may_sleep) \
	{ cmd, sizeof(struct type), ver0, privileged, may_sleep }
	C(KHTTPD_CMD_VERSION, khttpd_version, KHTTPD_VERSION_SIZE_VER0,
	  false, false),
	C(KHTTPD_CMD_START, khttpd_start, KHTTPD_START_SIZE_VER0, true, true),
	{ KHTTPD_CMD_STOP, 0, 0, true, true },
	C(KHTTPD_CMD_PUT, khttpd_put, KHTTPD_PUT_SIZE_VER0, true, true),
	C(KHTTPD_CMD_DELETE, khttpd_delete, KHTTPD_DELETE_SIZE_VER0, true, true),
	C(KHTTPD_CMD_LIST, khttpd_list, KHTTPD_LIST_SIZE_VER0, false, true),
	C(KHTTPD_CMD_GET_STATS, khttpd_stats, KHTTPD_STATS_SIZE_VER0,
	  false, false),
	C(KHTTPD_CMD_GET_CONFIG, khttpd_config, KHTTPD_CONFIG_SIZE_VER0,
	  false, false),
	C(KHTTPD_CMD_SET_CONFIG, khttpd_config, KHTTPD_CONFIG_SIZE_VER0,
	  true, true),
	/* copies up to a MiB from the caller, and allocates as much */
	C(KHTTPD_CMD_SET_MIME, khttpd_mime, KHTTPD_MIME_SIZE_VER0, true, true),
	C(KHTTPD_CMD_GET_STATUS, khttpd_status, KHTTPD_STATUS_SIZE_VER0,
	  false, true),
	/* who asked for what: privileged; may wait for records */
	C(KHTTPD_CMD_READ_LOG, khttpd_read_log, KHTTPD_READ_LOG_SIZE_VER0,
	  true, true),
#undef C
};

static const struct khttpd_ctl_cmd *khttpd_ctl_find(unsigned int cmd)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(khttpd_ctl_cmds); i++)
		if (KHTTPD_CMD_KEY(khttpd_ctl_cmds[i].cmd) == KHTTPD_CMD_KEY(cmd))
			return &khttpd_ctl_cmds[i];
	return NULL;
}

static int khttpd_ctl_set_config(const struct khttpd_config *c)
{
	int err;

	mutex_lock(&khttpd_ctl_lock);
	err = khttpd_config_set(c);
	mutex_unlock(&khttpd_ctl_lock);
	return err;
}

static int khttpd_ctl_start(const struct khttpd_start *s)
{
	int err;

	if (s->reserved1 || s->reserved2 ||
	    memchr_inv(s->reserved, 0, sizeof(s->reserved)))
		return -EINVAL;
	mutex_lock(&khttpd_ctl_lock);
	err = khttpd_server_start(s);
	mutex_unlock(&khttpd_ctl_lock);
	return err;
}

static int khttpd_ctl_stop(void)
{
	int err;

	mutex_lock(&khttpd_ctl_lock);
	err = khttpd_server_stop();
	mutex_unlock(&khttpd_ctl_lock);
	return err;
}

static_assert(sizeof(struct khttpd_status) == KHTTPD_STATUS_SIZE_VER0);

/* GET_STATUS: @st holds the caller's in fields, becomes the answer. */
static int khttpd_ctl_status(struct khttpd_status *st)
{
	u64 buf = st->root_buf;
	u32 buf_len = st->root_buf_len;
	char *path;
	int len;

	if (st->serving || st->start_flags || st->port || st->tls_port ||
	    st->backlog || memchr_inv(st->addr4, 0, sizeof(st->addr4)) ||
	    memchr_inv(st->addr6, 0, sizeof(st->addr6)) || st->uid ||
	    st->gid || st->workers || st->root_len || st->reserved0 ||
	    memchr_inv(st->cpus, 0, sizeof(st->cpus)) ||
	    memchr_inv(st->reserved, 0, sizeof(st->reserved)) ||
	    (!buf && buf_len))
		return -EINVAL;
	path = __getname();
	if (!path)
		return -ENOMEM;
	mutex_lock(&khttpd_ctl_lock);
	khttpd_server_status(st);
	len = khttpd_docroot_path(path, PATH_MAX);
	mutex_unlock(&khttpd_ctl_lock);
	st->root_buf = buf;
	st->root_buf_len = buf_len;
	if (len < 0)
		goto out;
	st->root_len = len;
	if (!buf)
		len = 0;
	else if (len >= buf_len)
		len = -ERANGE;
	else if (copy_to_user(u64_to_user_ptr(buf), path, len + 1))
		len = -EFAULT;
	else
		len = 0;
out:
	__putname(path);
	return len;
}

/*
 * Run command @cmd with its argument struct at @uarg.  @ulen is the length
 * the caller says the struct has (uring_cmd), or 0 to take it from the
 * struct's size field alone (ioctl).
 */
static long khttpd_ctl_dispatch(unsigned int cmd, void __user *uarg, u32 ulen)
{
	const struct khttpd_ctl_cmd *c = khttpd_ctl_find(cmd);
	union khttpd_ctl_arg a;
	u32 usize = 0;
	long ret;

	if (_IOC_TYPE(cmd) != KHTTPD_IOC_TYPE || !c)
		return -ENOTTY;
	if (c->privileged && !capable(CAP_NET_ADMIN))
		return -EPERM;
	if (c->ksize) {
		if (get_user(usize, (u32 __user *)uarg))
			return -EFAULT;
		if (usize < c->minsize || (ulen && ulen != usize))
			return -EINVAL;
		/* else zeros would be searched for in gigabytes of memory */
		if (usize > KHTTPD_ARG_MAX)
			return -E2BIG;
		ret = copy_struct_from_user(&a, c->ksize, uarg, usize);
		if (ret)
			return ret;
	} else if (ulen || uarg) {
		return -EINVAL;		/* no argument expected */
	}

	switch (KHTTPD_CMD_KEY(cmd)) {
	case KHTTPD_CMD_KEY(KHTTPD_CMD_VERSION):
		memset(&a.version, 0, sizeof(a.version));
		a.version.abi = KHTTPD_ABI_VERSION;
		a.version.features = KHTTPD_F_URING_CMD | KHTTPD_F_ZEROCOPY |
				     KHTTPD_F_CPUSET | KHTTPD_F_FASTPATH |
				     KHTTPD_F_DOCROOT | KHTTPD_F_MIME |
				     KHTTPD_F_STATUS | KHTTPD_F_STATS_CPU |
				     KHTTPD_F_HIST | KHTTPD_F_LOG;
		if (IS_ENABLED(CONFIG_NET_HANDSHAKE))
			a.version.features |= KHTTPD_F_TLS;
		if (IS_ENABLED(CONFIG_IPV6))
			a.version.features |= KHTTPD_F_IPV6;
		strscpy(a.version.release, KHTTPD_RELEASE,
			sizeof(a.version.release));
		ret = 0;
		break;
	case KHTTPD_CMD_KEY(KHTTPD_CMD_START):
		return khttpd_ctl_start(&a.start);
	case KHTTPD_CMD_KEY(KHTTPD_CMD_STOP):
		return khttpd_ctl_stop();
	case KHTTPD_CMD_KEY(KHTTPD_CMD_PUT):
		return khttpd_store_put_user(&a.put);
	case KHTTPD_CMD_KEY(KHTTPD_CMD_DELETE):
		if (memchr_inv(a.del.reserved, 0, sizeof(a.del.reserved)))
			return -EINVAL;
		return khttpd_store_delete_user(u64_to_user_ptr(a.del.path),
						a.del.path_len);
	case KHTTPD_CMD_KEY(KHTTPD_CMD_LIST):
		ret = a.list.flags == KHTTPD_LIST_DOCROOT ?
		      khttpd_docroot_list(&a.list) : khttpd_store_list(&a.list);
		if (ret)
			return ret;
		break;
	case KHTTPD_CMD_KEY(KHTTPD_CMD_GET_STATS):
		ret = khttpd_stats_read(&a.stats);
		if (ret)
			return ret;
		break;
	case KHTTPD_CMD_KEY(KHTTPD_CMD_GET_CONFIG):
		khttpd_config_read(&a.config);
		ret = 0;
		break;
	case KHTTPD_CMD_KEY(KHTTPD_CMD_SET_CONFIG):
		return khttpd_ctl_set_config(&a.config);
	case KHTTPD_CMD_KEY(KHTTPD_CMD_GET_STATUS):
		ret = khttpd_ctl_status(&a.status);
		/* -ERANGE: the caller learns the length it needs */
		if (ret && ret != -ERANGE)
			return ret;
		break;
	case KHTTPD_CMD_KEY(KHTTPD_CMD_READ_LOG):
		ret = khttpd_log_read(&a.log);
		/* -ERANGE: the caller learns how many cursors it needs */
		if (ret && ret != -ERANGE)
			return ret;
		break;
	case KHTTPD_CMD_KEY(KHTTPD_CMD_SET_MIME):
		/* builds the table unlocked; mime.c serialises the swap */
		return khttpd_mime_set_user(&a.mime);
	default:
		return -ENOTTY;
	}

	/*
	 * Output: as much of the struct as the caller has room for, and
	 * that length in its size field (every struct starts with it).
	 */
	usize = min_t(u32, usize, c->ksize);
	a.version.size = usize;
	if (copy_to_user(uarg, &a, usize))
		return -EFAULT;
	return ret;
}

static long khttpd_ctl_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	return khttpd_ctl_dispatch(cmd, (void __user *)arg, 0);
}

/*
 * uring_cmd: the same commands, the argument's address in the SQE.  Under
 * IO_URING_F_NONBLOCK, commands that may sleep return -EAGAIN and io_uring
 * runs them again from a worker thread that may block.
 */
static int khttpd_ctl_uring_cmd(struct io_uring_cmd *ioucmd,
				unsigned int issue_flags)
{
	const struct khttpd_uring_cmd *uc = io_uring_sqe_cmd(ioucmd->sqe);
	const struct khttpd_ctl_cmd *c = khttpd_ctl_find(ioucmd->cmd_op);
	u64 arg = READ_ONCE(uc->arg);
	u32 len = READ_ONCE(uc->arg_len);

	if (READ_ONCE(uc->reserved))
		return -EINVAL;
	if (c && c->may_sleep && (issue_flags & IO_URING_F_NONBLOCK))
		return -EAGAIN;
	if (c && c->ksize && !len)
		return -EINVAL;
	return khttpd_ctl_dispatch(ioucmd->cmd_op, u64_to_user_ptr(arg), len);
}

static const struct file_operations khttpd_ctl_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = khttpd_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.uring_cmd = khttpd_ctl_uring_cmd,
	.llseek = noop_llseek,
};

static struct miscdevice khttpd_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "khttpd",
	.fops = &khttpd_ctl_fops,
	.mode = 0600,
};

int khttpd_ctl_init(void)
{
	return misc_register(&khttpd_ctl_dev);
}

void khttpd_ctl_exit(void)
{
	misc_deregister(&khttpd_ctl_dev);
}
