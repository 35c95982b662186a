/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khttpd's settings: one table (khttpd_params[], with the ranges of the
 * UAPI's KHTTPD_CFG_*) that SET_CONFIG, sysfs and the module parameters
 * all validate through, and the settings in effect, read as one
 * consistent snapshot.
 */
#ifndef _KHTTPD_CONFIG_H
#define _KHTTPD_CONFIG_H

#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/khttpd.h>

#include "http.h"

/* Serialises START, STOP and settings changes, from every interface. */
extern struct mutex khttpd_ctl_lock;

/* One setting: its field of struct khttpd_config and its range. */
struct khttpd_param {
	const char *name;
	const char *unit;
	u16 off;		/* in struct khttpd_config */
	u8 size;		/* 2, 4 or 8 bytes */
	u64 min, max, def;
};

/* Rows of khttpd_params[], in struct khttpd_config's order. */
enum {
	KHTTPD_P_PORT,
	KHTTPD_P_HEADER_TIMEOUT_MS,
	KHTTPD_P_KEEPALIVE_TIMEOUT_MS,
	KHTTPD_P_SEND_TIMEOUT_MS,
	KHTTPD_P_MAX_CONNS,
	KHTTPD_P_MAX_REQUEST_LINE,
	KHTTPD_P_MAX_HEADER_BYTES,
	KHTTPD_P_MAX_HEADER_FIELDS,
	KHTTPD_P_MAX_BODY,
	KHTTPD_P_ZEROCOPY,
	KHTTPD_P_FASTPATH,
	KHTTPD_P_MEM_CAP,
	KHTTPD_P_DOCROOT_QUEUE,
	KHTTPD_P_ACCESS_LOG,
	KHTTPD_P_COUNT
};

extern const struct khttpd_param khttpd_params[KHTTPD_P_COUNT];

u64 khttpd_param_get(const struct khttpd_param *p,
		     const struct khttpd_config *c);
int khttpd_param_set(const struct khttpd_param *p, struct khttpd_config *c,
		     u64 v);

int khttpd_config_check(const struct khttpd_config *c);
unsigned int khttpd_config_read(struct khttpd_config *c);
unsigned int khttpd_config_gen(void);
int khttpd_config_set(const struct khttpd_config *c);
void khttpd_config_limits(const struct khttpd_config *c,
			  struct khttpd_limits *l);
int khttpd_config_init(void);

#endif /* _KHTTPD_CONFIG_H */
