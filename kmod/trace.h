/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints: a request parsed, an answer queued (bytes: its head and
 * body, or the range of the body it sends), a connection closed,
 * so that perf and bpftrace see khttpd as they see TCP.  The connection's
 * address (hashed by %p) ties the three together; the client's address
 * and port come with the request.  Disabled, each costs a static branch.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM khttpd

#if !defined(_KHTTPD_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KHTTPD_TRACE_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/tracepoint.h>
#include <net/sock.h>

#include "http.h"

/* the longest target a request event keeps; the rest is cut */
#define KHTTPD_TRACE_PATH_MAX	255

TRACE_EVENT(khttpd_request,
	TP_PROTO(const void *conn, const struct sock *sk,
		 const struct khttpd_request *req, int parse_status, bool fast),
	TP_ARGS(conn, sk, req, parse_status, fast),
	TP_STRUCT__entry(
		__field(const void *, conn)
		__array(__u8, addr, sizeof(struct sockaddr_in6))
		__field(u8, method)
		__field(u8, version)
		__field(bool, fast)
		__field(int, parse_status)
		/* a refused request may not have been parsed at all */
		__string_len(path, parse_status ? NULL : req->path,
			     !parse_status && req->path ?
			     min_t(u32, req->path_len,
				   KHTTPD_TRACE_PATH_MAX) : 0)
	),
	TP_fast_assign(
		__entry->conn = conn;
		memset(__entry->addr, 0, sizeof(__entry->addr));
		if (sk->sk_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (void *)__entry->addr;

			s6->sin6_family = AF_INET6;
			s6->sin6_port = sk->sk_dport;
			s6->sin6_addr = sk->sk_v6_daddr;
		} else {
			struct sockaddr_in *s4 = (void *)__entry->addr;

			s4->sin_family = AF_INET;
			s4->sin_port = sk->sk_dport;
			s4->sin_addr.s_addr = sk->sk_daddr;
		}
		__entry->method = req->method;
		__entry->version = req->version;
		__entry->fast = fast;
		__entry->parse_status = parse_status;
		__assign_str(path);
	),
	TP_printk("conn=%p client=%pISpc method=%s version=%u.%u path=%s parse_status=%d fast=%d",
		  __entry->conn, __entry->addr,
		  __print_symbolic(__entry->method,
				   { KHTTPD_METHOD_UNKNOWN, "unknown" },
				   { KHTTPD_METHOD_GET, "GET" },
				   { KHTTPD_METHOD_HEAD, "HEAD" },
				   { KHTTPD_METHOD_OTHER, "other" }),
		  __entry->version / 10, __entry->version % 10,
		  __get_str(path), __entry->parse_status, __entry->fast)
);

TRACE_EVENT(khttpd_answer,
	TP_PROTO(const void *conn, u16 status, bool keep_alive, u64 bytes,
		 bool fast),
	TP_ARGS(conn, status, keep_alive, bytes, fast),
	TP_STRUCT__entry(
		__field(const void *, conn)
		__field(u64, bytes)
		__field(u16, status)
		__field(bool, keep_alive)
		__field(bool, fast)
	),
	TP_fast_assign(
		__entry->conn = conn;
		__entry->bytes = bytes;
		__entry->status = status;
		__entry->keep_alive = keep_alive;
		__entry->fast = fast;
	),
	TP_printk("conn=%p status=%u bytes=%llu keep_alive=%d fast=%d",
		  __entry->conn, __entry->status, __entry->bytes,
		  __entry->keep_alive, __entry->fast)
);

TRACE_EVENT(khttpd_close,
	TP_PROTO(const void *conn, bool abort, bool served),
	TP_ARGS(conn, abort, served),
	TP_STRUCT__entry(
		__field(const void *, conn)
		__field(bool, abort)
		__field(bool, served)
	),
	TP_fast_assign(
		__entry->conn = conn;
		__entry->abort = abort;
		__entry->served = served;
	),
	TP_printk("conn=%p abort=%d served=%d", __entry->conn,
		  __entry->abort, __entry->served)
);

#endif /* _KHTTPD_TRACE_H */

/* define_trace.h looks for this file here, not in include/trace/events */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
