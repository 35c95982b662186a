/* SPDX-License-Identifier: GPL-2.0 */
/* The control device, /dev/khttpd, and the sysfs files. */
#ifndef _KHTTPD_CTL_H
#define _KHTTPD_CTL_H

#define KHTTPD_RELEASE "0.1.0"

int khttpd_ctl_init(void);
void khttpd_ctl_exit(void);

int khttpd_sysfs_init(void);
void khttpd_sysfs_exit(void);

#endif /* _KHTTPD_CTL_H */
