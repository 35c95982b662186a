/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * khttpd control interface.
 *
 * The device /dev/khttpd (mode 0600) takes every command below in two
 * ways, with the same numbers and the same argument structs:
 *
 *  - ioctl(fd, KHTTPD_CMD_x, &arg);
 *  - io_uring IORING_OP_URING_CMD on that fd with sqe->cmd_op set to
 *    KHTTPD_CMD_x and the SQE's command area holding a struct
 *    khttpd_uring_cmd that points at the same argument struct.  The
 *    arguments are read during the call; the CQE's res is what ioctl would
 *    return (0 or -errno).
 *
 * Every argument struct starts with __u32 size, which the caller sets to
 * sizeof() of the struct as it knows it.  A size smaller than the first
 * version of the struct is -EINVAL; a larger one is accepted if the bytes
 * the kernel does not know are zero (else -E2BIG), so structs can grow, up
 * to KHTTPD_ARG_MAX bytes (larger: -E2BIG).
 * Reserved fields and undefined flag bits must be zero (-EINVAL).  Commands
 * that change anything, and READ_LOG (clients' addresses and requests),
 * need CAP_NET_ADMIN (-EPERM).  A rejected command
 * changes nothing.  Unknown commands: -ENOTTY.
 *
 * KHTTPD_CMD_VERSION (struct khttpd_version, out)
 *	ABI version, feature bits (KHTTPD_F_*), module release string.
 *
 * KHTTPD_CMD_START (struct khttpd_start, in)
 *	Start serving: one listener and one thread per CPU of @cpus (all
 *	online CPUs if empty), on @addr4 (if KHTTPD_START_IPV4) and/or @addr6
 *	(if KHTTPD_START_IPV6; IPv6-only socket), default 0.0.0.0.  @port 0
 *	means the configured port, @backlog 0 means 1024.  If the store has no
 *	"/" and there is no docroot, the built-in page is put there.
 *	With KHTTPD_START_DOCROOT, also serve the directory @root_fd (an
 *	O_PATH or ordinary fd of a directory, resolved in the caller's mount
 *	namespace) for the paths the store has no entry for: every lookup,
 *	permission check and read runs as @uid/@gid with no supplementary
 *	group and no capability; KHTTPD_START_NO_SYMLINKS refuses every
 *	symlink under it.  Errors: -EALREADY (running), -EINVAL (offline or
 *	impossible CPU, bad flags, a uid or gid that does not map), -EBADF,
 *	-ENOTDIR (@root_fd), -EXDEV (a docroot on a filesystem that is not
 *	allowed: proc, sysfs and the other pseudo filesystems), -EADDRINUSE,
 *	-EADDRNOTAVAIL, -ENOMEM.
 *	With KHTTPD_START_TLS, also serve HTTPS on @tls_port (non-zero, not
 *	the plain port; 0 without the flag), on the same addresses and CPUs:
 *	each connection's TLS handshake is done by a userspace agent through
 *	the kernel's handshake upcall (net/handshake, its "tlshd" netlink
 *	group), which hands the socket back with kTLS set up; the agent
 *	loads its own certificate and key.  A connection accepted while no
 *	agent listens is closed unanswered.  -EPROTONOSUPPORT if the kernel
 *	has no kTLS (TCP_ULP "tls" cannot be loaded).
 *
 * KHTTPD_CMD_STOP (no argument: the ioctl argument and arg/arg_len are 0)
 *	Stop serving: close listeners and connections, stop the threads and
 *	empty the store.  -EALREADY if not running.
 *
 * KHTTPD_CMD_PUT (struct khttpd_put, in)
 *	Store a response for URL path @path: the body (@body_len bytes at
 *	@body), Content-Type @type, optional Cache-Control @cache_control,
 *	Last-Modified @mtime (0: now).  The path is the decoded, normalised
 *	form a request target maps to: it starts with '/', has no "." or ".."
 *	segment, no control character.  An existing entry is replaced
 *	atomically: answers in flight finish with the old content.  Errors:
 *	-EINVAL (bad path, type or flags), -ENAMETOOLONG (path over
 *	KHTTPD_PATH_MAX), -EFBIG (body over KHTTPD_BODY_MAX), -ENOSPC (the
 *	memory cap would be exceeded), -EFAULT, -ENOMEM (also when the
 *	machine has less memory available than the entry needs).
 *
 * KHTTPD_CMD_DELETE (struct khttpd_delete, in)
 *	Remove the entry for @path.  -ENOENT if there is none.
 *
 * KHTTPD_CMD_LIST (struct khttpd_list, in/out)
 *	Page through the store: records (struct khttpd_list_entry) are
 *	written to @buf (@buf_len bytes) starting at @cursor (0 for the
 *	first page); @count is set to the number written and @cursor to where
 *	the next page starts, or KHTTPD_LIST_END.  Entries changed during a
 *	listing may be missed or seen twice.  -EINVAL if @buf_len cannot hold
 *	the next record; -EINVAL for a cursor that was never returned.
 *	With KHTTPD_LIST_DOCROOT in @flags, page through the docroot's file
 *	cache instead: the request paths it holds an open file for, with the
 *	file's size and modification time (names cached as 301, 403 or 404
 *	are not listed); nothing when there is no docroot.
 *
 * KHTTPD_CMD_GET_STATS (struct khttpd_stats, in/out)
 *	Counters since the module was loaded, summed over CPUs; with
 *	KHTTPD_STATS_PER_CPU in @flags (KHTTPD_F_STATS_CPU), the counters
 *	of CPU @cpu alone (a possible CPU, else -EINVAL): those from
 *	@requests to @conns_timed_out, from @requests_fast to @tls_busy and
 *	from @service_ns on, and @conns_open as that CPU's accepted -
 *	closed.  @running and the
 *	store's and docroot's sizes are the module's in either case.
 *
 * KHTTPD_CMD_GET_CONFIG (struct khttpd_config, out)
 * KHTTPD_CMD_SET_CONFIG (struct khttpd_config, in)
 *	Timeouts, limits of the HTTP engine, connection cap, memory cap,
 *	zero-copy and the default port, each with the range of its
 *	KHTTPD_CFG_* below.  SET replaces the whole set (get, change, set); a value out of
 *	its range, or a head limit pair over KHTTPD_HEAD_LIMIT, is -EINVAL
 *	and changes nothing.  New values apply to requests from then on (a
 *	changed timeout also to the connections already waiting on it: their
 *	deadline is moved by the difference); the port at the next START.
 *
 * KHTTPD_CMD_GET_STATUS (struct khttpd_status, in/out)
 *	Whether the server is serving and, if so, how it was started: the
 *	START flags, the ports and backlog in effect, the addresses, the
 *	CPUs with a worker, the docroot's reader and the docroot's path.
 *	The path is written, NUL-terminated, to @root_buf when one is given
 *	(@root_buf_len bytes); @root_len is its length without the NUL
 *	either way (0: no docroot).  A buffer too small for it is -ERANGE,
 *	with @root_len set.  Not serving: every field after @serving is 0.
 *
 * KHTTPD_CMD_READ_LOG (struct khttpd_read_log, in/out)
 *	Read the access log (written while the access_log setting is 1):
 *	each CPU keeps its newest KHTTPD_LOG_SLOTS records in a ring, each
 *	numbered from 1 on its CPU.  @cursors[N] is the number of the next
 *	record of CPU N the caller wants (0 is 1: from the first); records
 *	(struct khttpd_log_record) are written to @buf, CPU by CPU, as many
 *	as @buf_len holds, @count is set, and every cursor moves past what
 *	was written.  Records overwritten before the caller got them are
 *	skipped and counted in @missed.  With KHTTPD_LOG_WAIT and nothing
 *	new on any CPU, sleep until there is, at most @timeout_ms (then
 *	@count 0), or until a signal (-EINTR).  A failed read moves no
 *	cursor.  Errors: -ERANGE with
 *	@ncpus set to what it must be at least (the number of possible
 *	CPU ids), -EINVAL (a cursor past the newest record, @buf_len under
 *	KHTTPD_REC_MAX, reserved fields, unknown flags), -EFAULT, -ENOMEM.
 *
 * KHTTPD_CMD_SET_MIME (struct khttpd_mime, in)
 *	Replace the table that gives a docroot file its Content-Type by the
 *	extension of its name (what follows its last '.', compared without
 *	regard to case).  @buf holds @count records, @buf_len bytes in all,
 *	each "ext" NUL "type" NUL: an extension of 1 to KHTTPD_MIME_EXT_MAX
 *	letters, digits, '-', '_' or '+', and a media type (type "/" subtype,
 *	both tokens, then optional "; name=value" parameters) of at most
 *	KHTTPD_TYPE_MAX bytes.  A file whose extension is not in the table is
 *	application/octet-stream.  Until the first SET_MIME, a built-in table
 *	of the common web types applies.  Answers in flight and files already
 *	in the file cache keep their type until they are looked up again.
 *	Errors: -EINVAL (a malformed record, an extension given twice, bytes
 *	left over, @count over KHTTPD_MIME_MAX, @buf_len over
 *	KHTTPD_MIME_BUF_MAX, reserved fields), -EFAULT, -ENOMEM.
 */
#ifndef _UAPI_LINUX_KHTTPD_H
#define _UAPI_LINUX_KHTTPD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KHTTPD_ABI_VERSION	1
#define KHTTPD_IOC_TYPE		0xE4

#define KHTTPD_PATH_MAX		8192	/* longest URL path stored */
#define KHTTPD_TYPE_MAX		255	/* longest Content-Type, Cache-Control */
#define KHTTPD_BODY_MAX		(1ULL << 32)	/* largest stored body */
#define KHTTPD_ARG_MAX		4096	/* largest argument struct accepted */

/* in the SQE command area (sqe->cmd) of IORING_OP_URING_CMD */
struct khttpd_uring_cmd {
	__u64 arg;		/* address of the command's argument struct */
	__u32 arg_len;		/* its size; 0 for commands without one */
	__u32 reserved;
};

/* feature bits of struct khttpd_version */
#define KHTTPD_F_URING_CMD	(1ULL << 0)	/* commands over uring_cmd */
#define KHTTPD_F_IPV6		(1ULL << 1)	/* KHTTPD_START_IPV6 */
#define KHTTPD_F_ZEROCOPY	(1ULL << 2)	/* MSG_SPLICE_PAGES sends */
#define KHTTPD_F_CPUSET		(1ULL << 3)	/* khttpd_start.cpus */
#define KHTTPD_F_FASTPATH	(1ULL << 4)	/* answers in the socket callback */
#define KHTTPD_F_DOCROOT	(1ULL << 5)	/* KHTTPD_START_DOCROOT */
#define KHTTPD_F_MIME		(1ULL << 6)	/* KHTTPD_CMD_SET_MIME */
#define KHTTPD_F_TLS		(1ULL << 7)	/* KHTTPD_START_TLS */
#define KHTTPD_F_STATUS		(1ULL << 8)	/* KHTTPD_CMD_GET_STATUS */
#define KHTTPD_F_STATS_CPU	(1ULL << 9)	/* KHTTPD_STATS_PER_CPU */
#define KHTTPD_F_HIST		(1ULL << 10)	/* khttpd_stats.service_hist */
#define KHTTPD_F_LOG		(1ULL << 11)	/* access_log, KHTTPD_CMD_READ_LOG */

struct khttpd_version {
	__u32 size;
	__u32 abi;		/* KHTTPD_ABI_VERSION */
	__u64 features;		/* KHTTPD_F_* */
	char release[32];	/* NUL-terminated */
	__u64 reserved[4];
};

#define KHTTPD_START_IPV4	(1U << 0)
#define KHTTPD_START_IPV6	(1U << 1)
#define KHTTPD_START_DOCROOT	(1U << 2)	/* serve @root_fd's tree */
#define KHTTPD_START_NO_SYMLINKS (1U << 3)	/* refuse symlinks in it */
#define KHTTPD_START_TLS	(1U << 4)	/* HTTPS on @tls_port too */
#define KHTTPD_CPUSET_WORDS	16	/* up to 1024 CPUs */

struct khttpd_start {
	__u32 size;
	__u32 flags;		/* KHTTPD_START_*; none: IPv4 0.0.0.0 */
	__u16 port;		/* 0: the configured port */
	__u16 tls_port;		/* KHTTPD_START_TLS: HTTPS; else 0 */
	__u32 backlog;		/* 0: 1024 */
	__u8 addr4[4];		/* network byte order */
	__u8 addr6[16];
	__u32 reserved1;
	__u64 cpus[KHTTPD_CPUSET_WORDS];	/* bit N: CPU N; empty: all */
	__s32 root_fd;		/* KHTTPD_START_DOCROOT: the docroot */
	__u32 uid;		/* who reads it (KHTTPD_START_DOCROOT) */
	__u32 gid;
	__u32 reserved2;
	__u64 reserved[2];
};

struct khttpd_put {
	__u32 size;
	__u32 flags;		/* none defined */
	__u64 path;		/* user address of the path, no NUL needed */
	__u64 type;		/* Content-Type */
	__u64 cache_control;	/* Cache-Control, or 0 */
	__u64 body;
	__u64 body_len;
	__u64 mtime;		/* Last-Modified, seconds since 1970; 0: now */
	__u32 path_len;
	__u32 type_len;
	__u32 cache_control_len;
	__u32 reserved0;
	__u64 reserved[4];
};

struct khttpd_delete {
	__u32 size;
	__u32 path_len;
	__u64 path;
	__u64 reserved[2];
};

#define KHTTPD_LIST_END		(~0ULL)

struct khttpd_list {
	__u32 size;
	__u32 count;		/* out: records written */
	__u64 cursor;		/* in: 0 or a returned cursor; out: next */
	__u64 buf;		/* user address of the record buffer */
	__u32 buf_len;
	__u32 flags;		/* KHTTPD_LIST_* */
	__u64 reserved[2];
};

#define KHTTPD_LIST_DOCROOT	(1U << 0)	/* the docroot's file cache */

/* One record of a listing, 8-byte aligned, followed by the next. */
struct khttpd_list_entry {
	__u32 rec_len;		/* bytes of this record */
	__u32 path_len;
	__u64 body_len;
	__u64 mtime;
	char path[];		/* path_len bytes, no NUL */
};

/*
 * Service time: from the read of a request's first byte to the moment the
 * last byte of its answer is handed to TCP.  Bucket 0 counts the answers
 * served in under 2^10 ns, bucket i (1 to KHTTPD_HIST_BUCKETS - 2) those
 * in [2^(i+9), 2^(i+10)) ns, the last one all the longer ones.  An answer
 * is counted once it is all handed over; one cut short by a close is not.
 */
#define KHTTPD_HIST_BUCKETS	32
#define KHTTPD_HIST_SHIFT	10

struct khttpd_stats {
	__u32 size;
	__u32 running;		/* 1 while started */
	__u64 requests;		/* requests answered */
	__u64 responses[5];	/* by class: [0] 1xx ... [4] 5xx */
	__u64 bytes_sent;
	__u64 conns_accepted;
	__u64 conns_closed;
	__u64 conns_open;	/* accepted - closed */
	__u64 conns_refused;	/* over max_conns */
	__u64 conns_timed_out;
	__u64 entries;		/* content store */
	__u64 content_bytes;	/* memory they use, counted against mem_cap */
	__u64 requests_fast;	/* of requests, answered in the socket callback */
	__u64 fast_handoffs;	/* callbacks that left work to the worker */
	__u64 docroot_hits;	/* answers from the docroot's file cache */
	__u64 docroot_lookups;	/* lookups and opens done off the worker */
	__u64 docroot_reads;	/* reads off the worker (cold pages, copies) */
	__u64 docroot_files;	/* names in the file cache now */
	__u64 docroot_busy;	/* 503s: too many lookups waiting */
	__u64 docroot_aborts;	/* answers cut short: the file shrank */
	__u64 docroot_pinned;	/* bytes of page cache hot files pin */
	__u64 tls_handshakes;	/* HTTPS: handshakes handed to the agent */
	__u64 tls_established;	/* of them, done with kTLS set up */
	__u64 tls_failed;	/* of them, failed (or kTLS was not set up) */
	__u64 tls_timed_out;	/* of them, cancelled at header_timeout_ms */
	__u64 tls_no_agent;	/* HTTPS connections closed: no agent */
	__u64 tls_busy;		/* handshakes put off: the upcall's queue full */
	__u32 flags;		/* in: KHTTPD_STATS_* */
	__u32 cpu;		/* in: with KHTTPD_STATS_PER_CPU */
	/* from here on: KHTTPD_F_HIST and KHTTPD_F_LOG */
	__u64 service_ns;	/* sum of the service times of service_hist */
	__u64 log_records;	/* access log records written */
	__u64 log_dropped;	/* overwritten unread, or no memory for them */
	__u64 service_hist[KHTTPD_HIST_BUCKETS];
};

#define KHTTPD_STATS_PER_CPU	(1U << 0)	/* one CPU's counters */

#define KHTTPD_MIME_EXT_MAX	32
#define KHTTPD_MIME_MAX		4096		/* records in a table */
#define KHTTPD_MIME_BUF_MAX	(1U << 20)	/* bytes of a table */

struct khttpd_mime {
	__u32 size;
	__u32 count;		/* records in @buf */
	__u64 buf;		/* user address of the records */
	__u32 buf_len;
	__u32 flags;		/* none defined */
	__u64 reserved[2];
};

struct khttpd_status {
	__u32 size;
	__u32 serving;		/* out: 1 between START and STOP */
	__u32 start_flags;	/* out: the KHTTPD_START_* of that START */
	__u16 port;		/* out: HTTP port */
	__u16 tls_port;		/* out: HTTPS port, or 0 */
	__u32 backlog;		/* out */
	__u8 addr4[4];		/* out: as given to START */
	__u8 addr6[16];
	__u32 uid;		/* out: the docroot's reader */
	__u32 gid;
	__u32 workers;		/* out: how many CPUs serve */
	__u32 root_len;		/* out: length of the docroot's path */
	__u64 root_buf;		/* in: where to write the path, or 0 */
	__u32 root_buf_len;	/* in */
	__u32 reserved0;
	__u64 cpus[KHTTPD_CPUSET_WORDS];	/* out: bit N: a worker on CPU N */
	__u64 reserved[2];
};

#define KHTTPD_LOG_SLOTS	4096	/* records each CPU keeps */
#define KHTTPD_LOG_WAIT		(1U << 0)	/* sleep until a record comes */

struct khttpd_read_log {
	__u32 size;
	__u32 flags;		/* in: KHTTPD_LOG_* */
	__u64 cursors;		/* in/out: user address of __u64[ncpus] */
	__u32 ncpus;		/* in: entries of @cursors; out on -ERANGE */
	__u32 timeout_ms;	/* in: KHTTPD_LOG_WAIT's longest sleep */
	__u64 buf;		/* in: user address of the record buffer */
	__u32 buf_len;		/* in */
	__u32 count;		/* out: records written */
	__u64 missed;		/* out: overwritten before this read got them */
	__u64 reserved[2];
};

/* flags of a log record */
#define KHTTPD_REC_FAST		(1U << 0)	/* answered in the socket callback */
#define KHTTPD_REC_DOCROOT	(1U << 1)	/* a file of the docroot */
#define KHTTPD_REC_TLS		(1U << 2)	/* over HTTPS */
#define KHTTPD_REC_KEEPALIVE	(1U << 3)	/* the connection stayed open */
#define KHTTPD_REC_INCOMPLETE	(1U << 4)	/* closed before all was sent */
#define KHTTPD_REC_CUT		(1U << 5)	/* a string was cut short */

#define KHTTPD_REC_MAX		512	/* bytes of a record, at most */

/*
 * One access log record, 8-byte aligned, followed by the next.  The
 * strings are as the client sent them, each cut to fit the record: the
 * method token, the target (for GET and HEAD the decoded path, then '?'
 * and the raw query if any), Referer and User-Agent.  A request refused
 * before it was parsed (400, 414, 431...) has none.
 */
struct khttpd_log_record {
	__u16 rec_len;		/* bytes of this record */
	__u16 status;
	__u8 version;		/* 10, 11; 0 if refused unparsed */
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 flags;		/* KHTTPD_REC_* */
	__u8 reserved0;
	__u16 cpu;		/* whose ring: @seq counts on it */
	__u16 port;		/* the client's, host byte order */
	__u32 reserved1;
	__u64 seq;		/* from 1, per CPU, with no gap */
	__u64 time_ns;		/* CLOCK_REALTIME at the last byte's hand-over */
	__u64 service_ns;	/* the service time (struct khttpd_stats) */
	__u64 bytes;		/* handed to TCP: head and body */
	__u8 addr[16];		/* the client's; IPv4 in the first 4 bytes */
	__u16 method_len;
	__u16 target_len;
	__u16 referer_len;
	__u16 user_agent_len;
	char data[];		/* the four strings, in that order, no NULs */
};

/* Ranges and defaults of these fields: KHTTPD_CFG_* below. */
struct khttpd_config {
	__u32 size;
	__u32 header_timeout_ms;
	__u32 keepalive_timeout_ms;
	__u32 send_timeout_ms;
	__u32 max_conns;
	__u32 max_request_line;
	__u32 max_header_bytes;
	__u32 max_header_fields;
	__u32 max_body;
	__u32 zerocopy;
	__u16 port;
	__u16 reserved0;
	__u32 fastpath;		/* answer whole requests in the socket callback */
	__u64 mem_cap;
	__u32 docroot_queue;	/* docroot lookups waiting, else 503 */
	__u32 access_log;	/* a record per answer (KHTTPD_CMD_READ_LOG) */
	__u64 reserved[3];
};

/*
 * The range and default of every field of struct khttpd_config, named
 * KHTTPD_CFG_<FIELD>_{MIN,MAX,DEF}.  The file in /sys/kernel/khttpd and the
 * module parameter have the field's name, and every way of setting it
 * (SET_CONFIG, sysfs, insmod, khttpctl) checks MIN <= value <= MAX.  One
 * rule spans two fields: a whole request head must fit the 64 KiB a
 * connection may buffer, so max_request_line + max_header_bytes + 4 (the
 * CRLFs) <= KHTTPD_HEAD_LIMIT.
 */
#define KHTTPD_HEAD_LIMIT		65536
#define KHTTPD_TIMEOUT_MAX_MS		3600000		/* an hour */

#define KHTTPD_CFG_PORT_MIN		1
#define KHTTPD_CFG_PORT_MAX		65535
#define KHTTPD_CFG_PORT_DEF		8080
#define KHTTPD_CFG_HEADER_TIMEOUT_MS_MIN	1
#define KHTTPD_CFG_HEADER_TIMEOUT_MS_MAX	KHTTPD_TIMEOUT_MAX_MS
#define KHTTPD_CFG_HEADER_TIMEOUT_MS_DEF	10000
#define KHTTPD_CFG_KEEPALIVE_TIMEOUT_MS_MIN	1
#define KHTTPD_CFG_KEEPALIVE_TIMEOUT_MS_MAX	KHTTPD_TIMEOUT_MAX_MS
#define KHTTPD_CFG_KEEPALIVE_TIMEOUT_MS_DEF	5000
#define KHTTPD_CFG_SEND_TIMEOUT_MS_MIN	1
#define KHTTPD_CFG_SEND_TIMEOUT_MS_MAX	KHTTPD_TIMEOUT_MAX_MS
#define KHTTPD_CFG_SEND_TIMEOUT_MS_DEF	10000
#define KHTTPD_CFG_MAX_CONNS_MIN	1
#define KHTTPD_CFG_MAX_CONNS_MAX	(1U << 24)
#define KHTTPD_CFG_MAX_CONNS_DEF	10000
#define KHTTPD_CFG_MAX_REQUEST_LINE_MIN	1
#define KHTTPD_CFG_MAX_REQUEST_LINE_MAX	(KHTTPD_HEAD_LIMIT - 5)
#define KHTTPD_CFG_MAX_REQUEST_LINE_DEF	8192
#define KHTTPD_CFG_MAX_HEADER_BYTES_MIN	1
#define KHTTPD_CFG_MAX_HEADER_BYTES_MAX	(KHTTPD_HEAD_LIMIT - 5)
#define KHTTPD_CFG_MAX_HEADER_BYTES_DEF	16384
#define KHTTPD_CFG_MAX_HEADER_FIELDS_MIN	1
#define KHTTPD_CFG_MAX_HEADER_FIELDS_MAX	16384
#define KHTTPD_CFG_MAX_HEADER_FIELDS_DEF	100
#define KHTTPD_CFG_MAX_BODY_MIN		0
#define KHTTPD_CFG_MAX_BODY_MAX		(1U << 30)
#define KHTTPD_CFG_MAX_BODY_DEF		65536
#define KHTTPD_CFG_ZEROCOPY_MIN		0
#define KHTTPD_CFG_ZEROCOPY_MAX		1
#define KHTTPD_CFG_ZEROCOPY_DEF		1
#define KHTTPD_CFG_FASTPATH_MIN		0
#define KHTTPD_CFG_FASTPATH_MAX		1
#define KHTTPD_CFG_FASTPATH_DEF		1
#define KHTTPD_CFG_MEM_CAP_MIN		(1ULL << 20)
#define KHTTPD_CFG_MEM_CAP_MAX		(1ULL << 40)
#define KHTTPD_CFG_MEM_CAP_DEF		(64ULL << 20)
#define KHTTPD_CFG_DOCROOT_QUEUE_MIN	1
#define KHTTPD_CFG_DOCROOT_QUEUE_MAX	(1U << 20)
#define KHTTPD_CFG_DOCROOT_QUEUE_DEF	1024
#define KHTTPD_CFG_ACCESS_LOG_MIN	0
#define KHTTPD_CFG_ACCESS_LOG_MAX	1
#define KHTTPD_CFG_ACCESS_LOG_DEF	0

/* Sizes of the first version of each struct: smaller is -EINVAL. */
#define KHTTPD_VERSION_SIZE_VER0	80
#define KHTTPD_START_SIZE_VER0		200
#define KHTTPD_PUT_SIZE_VER0		104
#define KHTTPD_DELETE_SIZE_VER0		32
#define KHTTPD_LIST_SIZE_VER0		48
#define KHTTPD_STATS_SIZE_VER0		184
#define KHTTPD_CONFIG_SIZE_VER0		88
#define KHTTPD_MIME_SIZE_VER0		40
#define KHTTPD_STATUS_SIZE_VER0		216
#define KHTTPD_READ_LOG_SIZE_VER0	64

#define KHTTPD_CMD_VERSION	_IOWR(KHTTPD_IOC_TYPE, 0x00, struct khttpd_version)
#define KHTTPD_CMD_START	_IOW(KHTTPD_IOC_TYPE, 0x01, struct khttpd_start)
#define KHTTPD_CMD_STOP		_IO(KHTTPD_IOC_TYPE, 0x02)
#define KHTTPD_CMD_PUT		_IOW(KHTTPD_IOC_TYPE, 0x03, struct khttpd_put)
#define KHTTPD_CMD_DELETE	_IOW(KHTTPD_IOC_TYPE, 0x04, struct khttpd_delete)
#define KHTTPD_CMD_LIST		_IOWR(KHTTPD_IOC_TYPE, 0x05, struct khttpd_list)
#define KHTTPD_CMD_GET_STATS	_IOWR(KHTTPD_IOC_TYPE, 0x06, struct khttpd_stats)
#define KHTTPD_CMD_GET_CONFIG	_IOWR(KHTTPD_IOC_TYPE, 0x07, struct khttpd_config)
#define KHTTPD_CMD_SET_CONFIG	_IOW(KHTTPD_IOC_TYPE, 0x08, struct khttpd_config)
#define KHTTPD_CMD_SET_MIME	_IOW(KHTTPD_IOC_TYPE, 0x09, struct khttpd_mime)
#define KHTTPD_CMD_GET_STATUS	_IOWR(KHTTPD_IOC_TYPE, 0x0a, struct khttpd_status)
#define KHTTPD_CMD_READ_LOG	_IOWR(KHTTPD_IOC_TYPE, 0x0b, struct khttpd_read_log)

#endif /* _UAPI_LINUX_KHTTPD_H */
