// SPDX-License-Identifier: GPL-2.0
/*
 * A QEMU TCG plugin for `make bench`: instructions executed per vCPU,
 * split into kernel and user by the address they ran at, and how many
 * times each vCPU crossed between the two.
 *
 * Under -icount every vCPU advances one shared clock, so the guest's own
 * per-CPU time says how long a CPU had work, not how much of the work was
 * its own.  Counting the instructions each vCPU retires gives that: the
 * server CPUs' cost per request in absolute terms, and how much a server
 * spread over N vCPUs could answer if each had a core of its own.
 *
 * The guest asks for a snapshot by executing one marker instruction
 * (bench/mark.c), a NOP no compiler emits: "nopl 0x5054484b(%rax)".  Each
 * marker appends a line to the output file:
 *
 *   MARK <seq> <nvcpus> <user0> <kernel0> <trans0> <user1> <kernel1> <trans1> ...
 *
 * Counts are per translation block, taken when a block starts: a block
 * left early by an interrupt or fault still counts whole, an error far
 * below the thousands of instructions a request costs.
 *
 * <transN> counts the user/kernel transitions of vCPU N: each block that
 * runs in the other half of the address space than the block that ran
 * before it on the same vCPU.  A syscall, a fault or an interrupt taken in
 * user space makes two (in and back out); an interrupt taken in the
 * kernel makes none.  These are the crossings real hardware pays for
 * (entry, exit, mitigations), whatever TCG makes them cost here.
 *
 *   qemu-system-x86_64 -plugin vcpu_insns.so,out=FILE ...
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* nopl 0x5054484b(%rax): the displacement reads "KHTP" in memory */
static const unsigned char khttpd_mark_insn[] = {
	0x0f, 0x1f, 0x80, 0x4b, 0x48, 0x54, 0x50
};

/* x86-64: the kernel runs in the upper half of the address space */
#define KHTTPD_KERNEL_HALF	(1ULL << 63)

struct khttpd_vcpu_count {
	uint64_t insns[2];	/* [0] user, [1] kernel */
	uint64_t transitions;	/* blocks in the other half than the last */
	uint64_t kernel;	/* the half the last block ran in: 0 or 1 */
	char pad[32];		/* one cache line per vCPU under MTTCG */
};

static struct khttpd_vcpu_count *khttpd_counts;
static int khttpd_nvcpus;
static FILE *khttpd_out;
static uint64_t khttpd_marks;

/*
 * A block's userdata is its length with the kernel flag in bit 0, so the
 * hot callback needs no memory of its own.  Each vCPU's state is its own
 * (a vCPU runs on one thread at a time): no lock, no branch on the half.
 */
static void khttpd_tb_exec(unsigned int vcpu, void *udata)
{
	uintptr_t v = (uintptr_t)udata;
	uint64_t kernel = v & 1;
	struct khttpd_vcpu_count *c;

	if (vcpu >= (unsigned int)khttpd_nvcpus)
		return;
	c = &khttpd_counts[vcpu];
	c->insns[kernel] += v >> 1;
	c->transitions += c->kernel ^ kernel;
	c->kernel = kernel;
}

static void khttpd_mark_exec(unsigned int vcpu, void *udata)
{
	int i;

	fprintf(khttpd_out, "MARK %" PRIu64 " %d", ++khttpd_marks,
		khttpd_nvcpus);
	for (i = 0; i < khttpd_nvcpus; i++)
		fprintf(khttpd_out, " %" PRIu64 " %" PRIu64 " %" PRIu64,
			khttpd_counts[i].insns[0], khttpd_counts[i].insns[1],
			khttpd_counts[i].transitions);
	fputc('\n', khttpd_out);
	fflush(khttpd_out);
}

static void khttpd_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);
	int kernel = !!(qemu_plugin_tb_vaddr(tb) & KHTTPD_KERNEL_HALF);

	qemu_plugin_register_vcpu_tb_exec_cb(tb, khttpd_tb_exec,
					     QEMU_PLUGIN_CB_NO_REGS,
					     (void *)(uintptr_t)(n << 1 | kernel));
	if (kernel)
		return;
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (qemu_plugin_insn_size(insn) == sizeof(khttpd_mark_insn) &&
		    !memcmp(qemu_plugin_insn_data(insn), khttpd_mark_insn,
			    sizeof(khttpd_mark_insn)))
			qemu_plugin_register_vcpu_insn_exec_cb(insn,
					khttpd_mark_exec, QEMU_PLUGIN_CB_NO_REGS,
					NULL);
	}
}

static void khttpd_exit(qemu_plugin_id_t id, void *p)
{
	khttpd_mark_exec(0, NULL);
	fclose(khttpd_out);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	const char *path = NULL;
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			path = argv[i] + 4;
		} else {
			fprintf(stderr, "vcpu_insns: unknown argument %s\n",
				argv[i]);
			return -1;
		}
	}
	if (!info->system_emulation || !path) {
		fprintf(stderr, "vcpu_insns: system emulation and out=FILE needed\n");
		return -1;
	}
	khttpd_nvcpus = info->system.max_vcpus;
	khttpd_counts = calloc(khttpd_nvcpus, sizeof(*khttpd_counts));
	khttpd_out = fopen(path, "w");
	if (!khttpd_counts || !khttpd_out) {
		perror("vcpu_insns");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, khttpd_tb_trans);
	qemu_plugin_register_atexit_cb(id, khttpd_exit, NULL);
	return 0;
}
