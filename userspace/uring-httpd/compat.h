/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What liburing 2.3 (the one uring-httpd is built with) lacks or gets
 * wrong, built by hand in one place.  Each helper names the liburing
 * function that does the same, for when that liburing is the oldest one.
 */
#ifndef _URING_HTTPD_COMPAT_H
#define _URING_HTTPD_COMPAT_H

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <liburing.h>

/*
 * A provided-buffer ring of @entries (a power of two), mapped: liburing
 * 2.3 has no io_uring_setup_buf_ring() (2.4), which maps, registers and
 * initialises one.  NULL if the mapping fails.
 */
static inline struct io_uring_buf_ring *
compat_buf_ring_map(unsigned int entries)
{
	void *br = mmap(NULL, entries * sizeof(struct io_uring_buf),
			PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);

	return br == MAP_FAILED ? NULL : br;
}

static inline void compat_buf_ring_unmap(struct io_uring_buf_ring *br,
					 unsigned int entries)
{
	munmap(br, entries * sizeof(struct io_uring_buf));
}

/* Register @br, of @entries, as buffer group @bgid: 0 or -errno. */
static inline int compat_buf_ring_register(struct io_uring *ring,
					   struct io_uring_buf_ring *br,
					   unsigned int entries, int bgid)
{
	struct io_uring_buf_reg reg = { 0 };

	reg.ring_addr = (uintptr_t)br;
	reg.ring_entries = entries;
	reg.bgid = bgid;
	return io_uring_register_buf_ring(ring, &reg, 0);
}

/* SOCKET_URING_OP_SETSOCKOPT of Linux 6.7; liburing 2.3 predates it */
#define SOCKET_OP_SETSOCKOPT 3

/*
 * A socket command (Linux 6.7), as io_uring_prep_cmd_sock() of liburing
 * 2.5: 2.3 has neither the helper nor the names of the SQE fields it
 * sets, so the fields sharing their unions are set instead.
 */
static inline void compat_prep_cmd_sock(struct io_uring_sqe *sqe, int cmd_op,
					int fd, int level, int optname,
					const void *optval, int optlen)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = cmd_op;
	sqe->addr = (uint32_t)level | (uint64_t)optname << 32;
	sqe->file_index = optlen;		/* optlen */
	sqe->addr3 = (uintptr_t)optval;		/* optval */
}

/*
 * io_uring_prep_accept_direct() into a descriptor slot the kernel picks:
 * liburing 2.3 adds one to the index, so ALLOC - 1 means ALLOC.
 */
static inline void compat_prep_accept_direct_alloc(struct io_uring_sqe *sqe,
						   int fd)
{
	io_uring_prep_accept_direct(sqe, fd, NULL, NULL, 0,
				    IORING_FILE_INDEX_ALLOC - 1);
}

#endif /* _URING_HTTPD_COMPAT_H */
