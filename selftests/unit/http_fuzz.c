// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the HTTP engine.  The input is a byte stream sent
 * on one connection, cut into pieces where the first byte says; every
 * request the parser returns is answered, and what the engine promises is
 * checked: it never consumes more than it was given, and a path it hands
 * out starts with '/', holds no NUL or control byte and no "." or ".."
 * segment.  ASan and UBSan catch the rest.
 */
#include <stdio.h>
#include <stdlib.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const struct khttpd_resource res = { "\"abc\"", 5, 1000 };
	struct khttpd_limits lim = {
		.max_request_line = 256,
		.max_header_bytes = 512,
		.max_header_fields = 8,
		.max_body = 64,
	};
	struct khttpd_parser p = { 0 };
	size_t step, fed = 0, len = 0;
	char *buf;

	if (!size)
		return 0;
	step = data[0] % 16 + 1;	/* piece size */
	data++;
	size--;
	buf = malloc(size + 1);
	while (fed < size) {
		size_t n = size - fed < step ? size - fed : step;

		memcpy(buf + len, data + fed, n);
		fed += n;
		len += n;
		for (;;) {
			struct khttpd_request req;
			struct khttpd_answer a;
			size_t used;
			int ret;

			ret = khttpd_http_parse(&p, buf, len, &lim, &req, &used);
			if (used > len)
				abort();
			if (ret == KHTTPD_PARSE_REQUEST) {
				if (req.method == KHTTPD_METHOD_GET ||
				    req.method == KHTTPD_METHOD_HEAD)
					if (!khttpd_http_path_ok(req.path,
								 req.path_len))
						abort();
				khttpd_http_answer(&req, 0, &res, &a);
				if (a.status != 200 && a.status != 304 &&
				    a.status != 405 && a.status != 501)
					abort();
			}
			memmove(buf, buf + used, len - used);
			len -= used;
			if (ret < 0) {
				khttpd_http_answer(NULL, -ret, NULL, &a);
				if (a.keep_alive)
					abort();
				free(buf);
				return 0;
			}
			if (ret == KHTTPD_PARSE_MORE)
				break;
		}
	}
	free(buf);
	/* the date parser gets the raw bytes too */
	{
		u64 t;

		khttpd_http_parse_date((const char *)data, size, &t);
	}
	return 0;
}
