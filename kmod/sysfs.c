// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/khttpd: the settings as writable files, "enabled" to start
 * and stop with defaults, and the counters under stats/.  A write is
 * checked through the settings table, as SET_CONFIG is: a bad value is
 * -EINVAL and changes nothing.
 */
#include <linux/kobject.h>
#include <linux/kstrtox.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/khttpd.h>

#include "config.h"
#include "ctl.h"
#include "server.h"
#include "stats.h"

static struct kobject *khttpd_kobj;

struct khttpd_config_attr {
	struct kobj_attribute attr;
	const struct khttpd_param *param;
};

static ssize_t khttpd_config_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	const struct khttpd_config_attr *k =
		container_of(attr, struct khttpd_config_attr, attr);
	struct khttpd_config c;

	khttpd_config_read(&c);
	return sysfs_emit(buf, "%llu\n", khttpd_param_get(k->param, &c));
}

static ssize_t khttpd_config_store(struct kobject *kobj,
				 struct kobj_attribute *attr, const char *buf,
				 size_t count)
{
	const struct khttpd_config_attr *k =
		container_of(attr, struct khttpd_config_attr, attr);
	struct khttpd_config c;
	int err;
	u64 v;

	if (kstrtou64(buf, 10, &v))
		return -EINVAL;
	mutex_lock(&khttpd_ctl_lock);
	khttpd_config_read(&c);
	err = khttpd_param_set(k->param, &c, v);
	if (!err)
		err = khttpd_config_set(&c);
	mutex_unlock(&khttpd_ctl_lock);
	return err ? err : count;
}

/* One file per row of the settings table. */
#define CONFIG_ATTR(f, F)							\
	static struct khttpd_config_attr khttpd_config_attr_##f = {			\
		.attr = __ATTR(f, 0644, khttpd_config_show,		\
			       khttpd_config_store),			\
		.param = &khttpd_params[KHTTPD_P_##F],			\
	}

CONFIG_ATTR(port, PORT);
CONFIG_ATTR(header_timeout_ms, HEADER_TIMEOUT_MS);
CONFIG_ATTR(keepalive_timeout_ms, KEEPALIVE_TIMEOUT_MS);
CONFIG_ATTR(send_timeout_ms, SEND_TIMEOUT_MS);
CONFIG_ATTR(max_conns, MAX_CONNS);
CONFIG_ATTR(max_request_line, MAX_REQUEST_LINE);
CONFIG_ATTR(max_header_bytes, MAX_HEADER_BYTES);
CONFIG_ATTR(max_header_fields, MAX_HEADER_FIELDS);
CONFIG_ATTR(max_body, MAX_BODY);
CONFIG_ATTR(zerocopy, ZEROCOPY);
CONFIG_ATTR(fastpath, FASTPATH);
CONFIG_ATTR(mem_cap, MEM_CAP);
CONFIG_ATTR(docroot_queue, DOCROOT_QUEUE);
CONFIG_ATTR(access_log, ACCESS_LOG);

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", khttpd_server_running());
}

/* 1 starts with the defaults (all CPUs, 0.0.0.0, the port setting). */
static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	struct khttpd_start args = { .size = sizeof(args) };
	bool on;
	int err = 0;

	if (kstrtobool(buf, &on))
		return -EINVAL;
	mutex_lock(&khttpd_ctl_lock);
	if (on && !khttpd_server_running())
		err = khttpd_server_start(&args);
	else if (!on && khttpd_server_running())
		err = khttpd_server_stop();
	mutex_unlock(&khttpd_ctl_lock);
	return err ? err : count;
}

static struct kobj_attribute khttpd_enabled_attr = __ATTR_RW(enabled);

static struct attribute *khttpd_config_attrs[] = {
	&khttpd_enabled_attr.attr,
	&khttpd_config_attr_port.attr.attr,
	&khttpd_config_attr_header_timeout_ms.attr.attr,
	&khttpd_config_attr_keepalive_timeout_ms.attr.attr,
	&khttpd_config_attr_send_timeout_ms.attr.attr,
	&khttpd_config_attr_max_conns.attr.attr,
	&khttpd_config_attr_max_request_line.attr.attr,
	&khttpd_config_attr_max_header_bytes.attr.attr,
	&khttpd_config_attr_max_header_fields.attr.attr,
	&khttpd_config_attr_max_body.attr.attr,
	&khttpd_config_attr_zerocopy.attr.attr,
	&khttpd_config_attr_fastpath.attr.attr,
	&khttpd_config_attr_mem_cap.attr.attr,
	&khttpd_config_attr_docroot_queue.attr.attr,
	&khttpd_config_attr_access_log.attr.attr,
	NULL,
};

static const struct attribute_group khttpd_config_group = {
	.attrs = khttpd_config_attrs,
};

struct khttpd_stat_attr {
	struct kobj_attribute attr;
	size_t off;		/* of a __u64 in struct khttpd_stats */
};

static ssize_t khttpd_stat_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	const struct khttpd_stat_attr *a = container_of(attr,
		struct khttpd_stat_attr, attr);
	struct khttpd_stats st = {};

	khttpd_stats_read(&st);
	return sysfs_emit(buf, "%llu\n", *(u64 *)((void *)&st + a->off));
}

#define STAT(_name, field) \
	static struct khttpd_stat_attr khttpd_stat_##_name = { \
		.attr = __ATTR(_name, 0444, khttpd_stat_show, NULL), \
		.off = offsetof(struct khttpd_stats, field), \
	}

STAT(requests, requests);
STAT(responses_1xx, responses[0]);
STAT(responses_2xx, responses[1]);
STAT(responses_3xx, responses[2]);
STAT(responses_4xx, responses[3]);
STAT(responses_5xx, responses[4]);
STAT(bytes_sent, bytes_sent);
STAT(conns_accepted, conns_accepted);
STAT(conns_closed, conns_closed);
STAT(conns_open, conns_open);
STAT(conns_refused, conns_refused);
STAT(conns_timed_out, conns_timed_out);
STAT(entries, entries);
STAT(content_bytes, content_bytes);
STAT(requests_fast, requests_fast);
STAT(fast_handoffs, fast_handoffs);
STAT(docroot_hits, docroot_hits);
STAT(docroot_lookups, docroot_lookups);
STAT(docroot_reads, docroot_reads);
STAT(docroot_files, docroot_files);
STAT(docroot_busy, docroot_busy);
STAT(docroot_aborts, docroot_aborts);
STAT(docroot_pinned, docroot_pinned);
STAT(tls_handshakes, tls_handshakes);
STAT(tls_established, tls_established);
STAT(tls_failed, tls_failed);
STAT(tls_timed_out, tls_timed_out);
STAT(tls_no_agent, tls_no_agent);
STAT(tls_busy, tls_busy);
STAT(service_ns, service_ns);
STAT(log_records, log_records);
STAT(log_dropped, log_dropped);

static struct attribute *khttpd_stat_attrs[] = {
	&khttpd_stat_requests.attr.attr,
	&khttpd_stat_responses_1xx.attr.attr,
	&khttpd_stat_responses_2xx.attr.attr,
	&khttpd_stat_responses_3xx.attr.attr,
	&khttpd_stat_responses_4xx.attr.attr,
	&khttpd_stat_responses_5xx.attr.attr,
	&khttpd_stat_bytes_sent.attr.attr,
	&khttpd_stat_conns_accepted.attr.attr,
	&khttpd_stat_conns_closed.attr.attr,
	&khttpd_stat_conns_open.attr.attr,
	&khttpd_stat_conns_refused.attr.attr,
	&khttpd_stat_conns_timed_out.attr.attr,
	&khttpd_stat_entries.attr.attr,
	&khttpd_stat_content_bytes.attr.attr,
	&khttpd_stat_requests_fast.attr.attr,
	&khttpd_stat_fast_handoffs.attr.attr,
	&khttpd_stat_docroot_hits.attr.attr,
	&khttpd_stat_docroot_lookups.attr.attr,
	&khttpd_stat_docroot_reads.attr.attr,
	&khttpd_stat_docroot_files.attr.attr,
	&khttpd_stat_docroot_busy.attr.attr,
	&khttpd_stat_docroot_aborts.attr.attr,
	&khttpd_stat_docroot_pinned.attr.attr,
	&khttpd_stat_tls_handshakes.attr.attr,
	&khttpd_stat_tls_established.attr.attr,
	&khttpd_stat_tls_failed.attr.attr,
	&khttpd_stat_tls_timed_out.attr.attr,
	&khttpd_stat_tls_no_agent.attr.attr,
	&khttpd_stat_tls_busy.attr.attr,
	&khttpd_stat_service_ns.attr.attr,
	&khttpd_stat_log_records.attr.attr,
	&khttpd_stat_log_dropped.attr.attr,
	NULL,
};

static const struct attribute_group khttpd_stat_group = {
	.name = "stats",
	.attrs = khttpd_stat_attrs,
};

static const struct attribute_group *khttpd_groups[] = {
	&khttpd_config_group,
	&khttpd_stat_group,
	NULL,
};

int khttpd_sysfs_init(void)
{
	int err;

	khttpd_kobj = kobject_create_and_add("khttpd", kernel_kobj);
	if (!khttpd_kobj)
		return -ENOMEM;
	err = sysfs_create_groups(khttpd_kobj, khttpd_groups);
	if (err) {
		kobject_put(khttpd_kobj);
		khttpd_kobj = NULL;
	}
	return err;
}

void khttpd_sysfs_exit(void)
{
	sysfs_remove_groups(khttpd_kobj, khttpd_groups);
	kobject_put(khttpd_kobj);
}
