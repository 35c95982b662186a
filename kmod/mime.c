// SPDX-License-Identifier: GPL-2.0
/*
 * Content types of docroot files by extension.  (A placeholder until the
 * table and its control command land: everything is octet-stream.)
 */
#include <linux/string.h>
#include <linux/khttpd.h>

#include "mime.h"

static const char khttpd_mime_default[] = "application/octet-stream";

int khttpd_mime_init(void)
{
	return 0;
}

void khttpd_mime_exit(void)
{
}

int khttpd_mime_set_user(const struct khttpd_mime *m)
{
	return -ENOTTY;
}

size_t khttpd_mime_type(const char *name, size_t len, char *out)
{
	memcpy(out, khttpd_mime_default, sizeof(khttpd_mime_default));
	return sizeof(khttpd_mime_default) - 1;
}
