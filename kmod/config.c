// SPDX-License-Identifier: GPL-2.0
/*
 * Settings.  Every setting is a row of khttpd_params[] (name, field,
 * range and default from the UAPI's KHTTPD_CFG_*), and every way of changing one goes through
 * khttpd_param_set() and khttpd_config_check(): SET_CONFIG, the files in
 * /sys/kernel/khttpd and the module parameters.  So no interface can store
 * a value another one would refuse, and no value is without a maximum.
 *
 * The settings in effect are one struct under a seqlock: a reader always
 * gets a set that was validated as a whole (two limits from two different
 * SETs could together break the 64 KiB head rule).  Workers keep their own
 * snapshot and take a new one when the generation count moves.
 */
#include <linux/kstrtox.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/seqlock.h>
#include <linux/string.h>

#include "config.h"
#include "conn.h"
#include "log.h"
#include "server.h"

DEFINE_MUTEX(khttpd_ctl_lock);

/* Field f, with the range and default of KHTTPD_CFG_F_* (UAPI). */
#define KHTTPD_PARAM(f, F, u)						\
	[KHTTPD_P_##F] = {						\
		.name = #f, .unit = u,					\
		.off = offsetof(struct khttpd_config, f),		\
		.size = sizeof_field(struct khttpd_config, f),		\
		.min = KHTTPD_CFG_##F##_MIN,				\
		.max = KHTTPD_CFG_##F##_MAX,				\
		.def = KHTTPD_CFG_##F##_DEF,				\
	}

const struct khttpd_param khttpd_params[KHTTPD_P_COUNT] = {
	KHTTPD_PARAM(port, PORT, ""),
	KHTTPD_PARAM(header_timeout_ms, HEADER_TIMEOUT_MS, "ms"),
	KHTTPD_PARAM(keepalive_timeout_ms, KEEPALIVE_TIMEOUT_MS, "ms"),
	KHTTPD_PARAM(send_timeout_ms, SEND_TIMEOUT_MS, "ms"),
	KHTTPD_PARAM(max_conns, MAX_CONNS, "connections"),
	KHTTPD_PARAM(max_request_line, MAX_REQUEST_LINE, "bytes"),
	KHTTPD_PARAM(max_header_bytes, MAX_HEADER_BYTES, "bytes"),
	KHTTPD_PARAM(max_header_fields, MAX_HEADER_FIELDS, "fields"),
	KHTTPD_PARAM(max_body, MAX_BODY, "bytes"),
	KHTTPD_PARAM(zerocopy, ZEROCOPY, "0 or 1"),
	KHTTPD_PARAM(fastpath, FASTPATH, "0 or 1"),
	KHTTPD_PARAM(mem_cap, MEM_CAP, "bytes"),
	KHTTPD_PARAM(docroot_queue, DOCROOT_QUEUE, "lookups"),
	KHTTPD_PARAM(access_log, ACCESS_LOG, "0 or 1"),
};

/* Written under khttpd_ctl_lock and the seqlock; read under the seqlock. */
static struct khttpd_config khttpd_config_cur = {
	.size = sizeof(struct khttpd_config),
	.port = KHTTPD_CFG_PORT_DEF,
	.header_timeout_ms = KHTTPD_CFG_HEADER_TIMEOUT_MS_DEF,
	.keepalive_timeout_ms = KHTTPD_CFG_KEEPALIVE_TIMEOUT_MS_DEF,
	.send_timeout_ms = KHTTPD_CFG_SEND_TIMEOUT_MS_DEF,
	.max_conns = KHTTPD_CFG_MAX_CONNS_DEF,
	.max_request_line = KHTTPD_CFG_MAX_REQUEST_LINE_DEF,
	.max_header_bytes = KHTTPD_CFG_MAX_HEADER_BYTES_DEF,
	.max_header_fields = KHTTPD_CFG_MAX_HEADER_FIELDS_DEF,
	.max_body = KHTTPD_CFG_MAX_BODY_DEF,
	.zerocopy = KHTTPD_CFG_ZEROCOPY_DEF,
	.fastpath = KHTTPD_CFG_FASTPATH_DEF,
	.mem_cap = KHTTPD_CFG_MEM_CAP_DEF,
	.docroot_queue = KHTTPD_CFG_DOCROOT_QUEUE_DEF,
	.access_log = KHTTPD_CFG_ACCESS_LOG_DEF,
};
static DEFINE_SEQLOCK(khttpd_config_seq);
static unsigned int khttpd_config_generation;

u64 khttpd_param_get(const struct khttpd_param *p,
		     const struct khttpd_config *c)
{
	const void *v = (const void *)c + p->off;

	switch (p->size) {
	case 2:
		return *(const u16 *)v;
	case 4:
		return *(const u32 *)v;
	default:
		return *(const u64 *)v;
	}
}

/* Store @v in @c's field of @p if it is in @p's range; else -EINVAL. */
int khttpd_param_set(const struct khttpd_param *p, struct khttpd_config *c,
		     u64 v)
{
	void *f = (void *)c + p->off;

	if (v < p->min || v > p->max)
		return -EINVAL;
	switch (p->size) {
	case 2:
		*(u16 *)f = v;
		break;
	case 4:
		*(u32 *)f = v;
		break;
	default:
		*(u64 *)f = v;
		break;
	}
	return 0;
}

/* The whole of @c: every field in range, the head rule, reserved zero. */
int khttpd_config_check(const struct khttpd_config *c)
{
	unsigned int i;
	u32 head;

	if (c->reserved0 ||
	    memchr_inv(c->reserved, 0, sizeof(c->reserved)))
		return -EINVAL;
	for (i = 0; i < KHTTPD_P_COUNT; i++) {
		u64 v = khttpd_param_get(&khttpd_params[i], c);

		if (v < khttpd_params[i].min || v > khttpd_params[i].max)
			return -EINVAL;
	}
	if (check_add_overflow(c->max_request_line, c->max_header_bytes,
			       &head) ||
	    check_add_overflow(head, 4U, &head) || head > KHTTPD_HEAD_LIMIT)
		return -EINVAL;
	return 0;
}

/* A consistent copy of the settings in effect; returns its generation. */
unsigned int khttpd_config_read(struct khttpd_config *c)
{
	unsigned int seq, gen;

	do {
		seq = read_seqbegin(&khttpd_config_seq);
		*c = khttpd_config_cur;
		gen = khttpd_config_generation;
	} while (read_seqretry(&khttpd_config_seq, seq));
	return gen;
}

/* Moves whenever the settings change: a cheap test for a new snapshot. */
unsigned int khttpd_config_gen(void)
{
	return READ_ONCE(khttpd_config_generation);
}

/* Check @c as a whole, then make it the settings in effect. */
int khttpd_config_set(const struct khttpd_config *c)
{
	int err;

	lockdep_assert_held(&khttpd_ctl_lock);
	err = khttpd_config_check(c);
	if (err)
		return err;
	/* the rings first: a record must find them */
	if (c->access_log) {
		err = khttpd_log_enable();
		if (err)
			return err;
	}
	/* _bh: a reader in softirq must never spin on a writer it interrupted */
	write_seqlock_bh(&khttpd_config_seq);
	khttpd_config_cur = *c;
	khttpd_config_cur.size = sizeof(khttpd_config_cur);
	WRITE_ONCE(khttpd_config_generation, khttpd_config_generation + 1);
	write_sequnlock_bh(&khttpd_config_seq);
	khttpd_server_config_changed();
	return 0;
}

void khttpd_config_limits(const struct khttpd_config *c,
			  struct khttpd_limits *l)
{
	l->max_request_line = c->max_request_line;
	l->max_header_bytes = c->max_header_bytes;
	l->max_header_fields = c->max_header_fields;
	l->max_body = c->max_body;
}

/*
 * Module parameters: the initial settings, parsed before khttpd_init() and
 * so before anything reads them.  Each is range-checked here; the rule
 * across two fields is checked once all are in (khttpd_config_init()).
 */
static int khttpd_param_op_set(const char *val, const struct kernel_param *kp)
{
	const struct khttpd_param *p = kp->arg;
	bool b;
	u64 v;

	/* a 0..1 setting takes what a bool parameter takes (Y, n, none) */
	if (p->max == 1 && !kstrtobool(val ? val : "1", &b))
		v = b;
	else if (!val || kstrtou64(val, 10, &v))
		return -EINVAL;
	return khttpd_param_set(p, &khttpd_config_cur, v);
}

static int khttpd_param_op_get(char *buf, const struct kernel_param *kp)
{
	struct khttpd_config c;

	khttpd_config_read(&c);
	return scnprintf(buf, PAGE_SIZE, "%llu\n", khttpd_param_get(kp->arg, &c));
}

static const struct kernel_param_ops khttpd_param_ops = {
	.set = khttpd_param_op_set,
	.get = khttpd_param_op_get,
};

/* The module parameters, one per row of the table. */
#define KHTTPD_MODULE_PARAM(f, F, desc)					\
	module_param_cb(f, &khttpd_param_ops,				\
			(void *)&khttpd_params[KHTTPD_P_##F], 0444);	\
	MODULE_PARM_DESC(f, desc)

KHTTPD_MODULE_PARAM(port, PORT, "TCP port (default 8080)");
KHTTPD_MODULE_PARAM(header_timeout_ms, HEADER_TIMEOUT_MS,
		    "a request head must arrive within (default 10000)");
KHTTPD_MODULE_PARAM(keepalive_timeout_ms, KEEPALIVE_TIMEOUT_MS,
		    "idle keep-alive connections close after (default 5000)");
KHTTPD_MODULE_PARAM(send_timeout_ms, SEND_TIMEOUT_MS,
		    "a client that reads nothing for this long is reset (default 10000)");
KHTTPD_MODULE_PARAM(max_conns, MAX_CONNS,
		    "open connections beyond this get 503 (default 10000)");
KHTTPD_MODULE_PARAM(max_request_line, MAX_REQUEST_LINE,
		    "longest request line, else 414 (default 8192)");
KHTTPD_MODULE_PARAM(max_header_bytes, MAX_HEADER_BYTES,
		    "largest header section, else 431 (default 16384)");
KHTTPD_MODULE_PARAM(max_header_fields, MAX_HEADER_FIELDS,
		    "most header fields, else 431 (default 100)");
KHTTPD_MODULE_PARAM(max_body, MAX_BODY,
		    "largest request body read and discarded, else 413 (default 65536)");
KHTTPD_MODULE_PARAM(zerocopy, ZEROCOPY,
		    "send stored content by page reference (default 1)");
KHTTPD_MODULE_PARAM(fastpath, FASTPATH,
		    "answer whole requests in the socket callback (default 1)");
KHTTPD_MODULE_PARAM(mem_cap, MEM_CAP,
		    "bytes of memory stored content may use (default 64 MiB)");
KHTTPD_MODULE_PARAM(docroot_queue, DOCROOT_QUEUE,
		    "docroot lookups waiting at most, else 503 (default 1024)");
KHTTPD_MODULE_PARAM(access_log, ACCESS_LOG,
		    "a record per answer, for khttpctl log (default 0)");

static_assert(KHTTPD_HEAD_LIMIT == KHTTPD_RX_MAX);

int khttpd_config_init(void)
{
	if (khttpd_config_check(&khttpd_config_cur)) {
		pr_err("max_request_line + max_header_bytes + 4 must not exceed %u\n",
		       KHTTPD_HEAD_LIMIT);
		return -EINVAL;
	}
	if (khttpd_config_cur.access_log)
		return khttpd_log_enable();
	return 0;
}
