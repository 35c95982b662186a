// SPDX-License-Identifier: GPL-2.0
/*
 * A QEMU TCG plugin for `make bench`: instructions executed per vCPU,
 * split into kernel and user by the address they ran at, and how many
 * times each vCPU crossed between the two; and, in windows the guest
 * opens, an exact profile: the instructions of every block by its address.
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
 * The profile: sampling a TCG guest (perf's cpu-clock) charges time to
 * wherever the emulated timer happens to land, which piles it on softirq
 * exits; counting every block's instructions has no such skew.  Two more
 * markers, NOPs no compiler emits either, open and close a window:
 *
 *   "nopl 0x2b465250(%rax)" ("PRF+")  arms the vCPU that executes it
 *   "nopl 0x2d465250(%rax)" ("PRF-")  closes the window, on any vCPU
 *
 * While a vCPU is armed, each block it runs adds its length to a counter
 * of that vCPU in the block's entry, kept per start address (kernel) or in
 * one entry for all of user space, whose addresses mean nothing without
 * the process.  Arming writes the vCPU's counts as MARK has them, closing
 * writes, for each armed vCPU, its blocks' counts summed per address, then
 * its counts again, and disarms it:
 *
 *   PROFON <win> <vcpu> <user> <kernel>
 *   PROF <win> <vcpu> <hexaddr>|user <insns>
 *   PROFOFF <win> <vcpu> <user> <kernel>
 *
 * <win> numbers the closes from 1 (a close with no vCPU armed writes
 * nothing but still takes a number).  The PROF lines of a vCPU add up to
 * its PROFOFF counts less its PROFON ones, exactly: the same callback
 * counts both.
 *
 *   qemu-system-x86_64 -plugin vcpu_insns.so,out=FILE ...
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* nopl 0x5054484b(%rax): the displacement reads "KHTP" in memory */
static const unsigned char khttpd_mark_insn[] = {
	0x0f, 0x1f, 0x80, 0x4b, 0x48, 0x54, 0x50
};

/* nopl 0x2b465250(%rax), "PRF+", and nopl 0x2d465250(%rax), "PRF-" */
static const unsigned char khttpd_prof_on_insn[] = {
	0x0f, 0x1f, 0x80, 0x50, 0x52, 0x46, 0x2b
};

static const unsigned char khttpd_prof_off_insn[] = {
	0x0f, 0x1f, 0x80, 0x50, 0x52, 0x46, 0x2d
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* x86-64: the kernel runs in the upper half of the address space */
#define KHTTPD_KERNEL_HALF	(1ULL << 63)

struct khttpd_vcpu_count {
	uint64_t insns[2];	/* [0] user, [1] kernel */
	uint64_t transitions;	/* blocks in the other half than the last */
	uint64_t kernel;	/* the half the last block ran in: 0 or 1 */
	uint64_t armed;		/* in a profile window: count per block */
	char pad[24];		/* one cache line per vCPU under MTTCG */
};

/*
 * One per start address and length: a block at one address can be
 * translated again shorter (icount ends a block at an I/O instruction),
 * and the length is the entry's, not the counter's.  User-space blocks
 * share one entry per length, at address 0.  Entries are made at
 * translation time and never freed: their number is bounded by the
 * kernel code the guest runs, tens of thousands of blocks.
 */
struct khttpd_tb {
	uint64_t vaddr;
	uint32_t n;		/* instructions */
	uint32_t kernel;	/* 0 or 1: the index into insns[] */
	struct khttpd_tb *next;	/* in the hash chain */
	uint64_t count[];	/* per vCPU, while armed */
};

#define KHTTPD_TB_HASH_BITS	16
static struct khttpd_tb *khttpd_tb_hash[1 << KHTTPD_TB_HASH_BITS];
/* translation runs on every vCPU's thread under MTTCG: chains change */
static pthread_mutex_t khttpd_tb_lock = PTHREAD_MUTEX_INITIALIZER;

static struct khttpd_vcpu_count *khttpd_counts;
static int khttpd_nvcpus;
static FILE *khttpd_out;
static uint64_t khttpd_marks;
static uint64_t khttpd_windows;	/* closes so far */
/* the file is written from whichever vCPU runs a marker */
static pthread_mutex_t khttpd_out_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * A block's userdata is its entry.  Each vCPU's state is its own (a vCPU
 * runs on one thread at a time): no lock, no branch on the half.  Outside
 * a window the entry is read, never written.
 */
static void khttpd_tb_exec(unsigned int vcpu, void *udata)
{
	struct khttpd_tb *tb = udata;
	uint64_t kernel = tb->kernel;
	struct khttpd_vcpu_count *c;

	if (vcpu >= (unsigned int)khttpd_nvcpus)
		return;
	c = &khttpd_counts[vcpu];
	c->insns[kernel] += tb->n;
	c->transitions += c->kernel ^ kernel;
	c->kernel = kernel;
	if (__atomic_load_n(&c->armed, __ATOMIC_RELAXED))
		tb->count[vcpu] += tb->n;
}

static void khttpd_mark_exec(unsigned int vcpu, void *udata)
{
	int i;

	pthread_mutex_lock(&khttpd_out_lock);
	fprintf(khttpd_out, "MARK %" PRIu64 " %d", ++khttpd_marks,
		khttpd_nvcpus);
	for (i = 0; i < khttpd_nvcpus; i++)
		fprintf(khttpd_out, " %" PRIu64 " %" PRIu64 " %" PRIu64,
			khttpd_counts[i].insns[0], khttpd_counts[i].insns[1],
			khttpd_counts[i].transitions);
	fputc('\n', khttpd_out);
	fflush(khttpd_out);
	pthread_mutex_unlock(&khttpd_out_lock);
}

static void khttpd_prof_on_exec(unsigned int vcpu, void *udata)
{
	struct khttpd_vcpu_count *c;

	if (vcpu >= (unsigned int)khttpd_nvcpus)
		return;
	c = &khttpd_counts[vcpu];
	if (__atomic_load_n(&c->armed, __ATOMIC_RELAXED))
		return;		/* armed twice: the first one counts */
	pthread_mutex_lock(&khttpd_out_lock);
	fprintf(khttpd_out, "PROFON %" PRIu64 " %u %" PRIu64 " %" PRIu64 "\n",
		khttpd_windows + 1, vcpu, c->insns[0], c->insns[1]);
	fflush(khttpd_out);
	pthread_mutex_unlock(&khttpd_out_lock);
	__atomic_store_n(&c->armed, 1, __ATOMIC_RELAXED);
}

/*
 * Entries of one address are on one chain (the hash is of the address):
 * the first of them on the chain sums them all and prints the line.
 */
static void khttpd_prof_dump(uint64_t win, int vcpu)
{
	struct khttpd_tb *e, *f;
	uint64_t sum;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(khttpd_tb_hash); i++) {
		for (e = khttpd_tb_hash[i]; e; e = e->next) {
			for (f = khttpd_tb_hash[i]; f != e; f = f->next)
				if (f->vaddr == e->vaddr)
					break;
			if (f != e)
				continue;	/* summed with an earlier one */
			sum = 0;
			for (f = e; f; f = f->next) {
				if (f->vaddr != e->vaddr)
					continue;
				sum += f->count[vcpu];
				f->count[vcpu] = 0;
			}
			if (!sum)
				continue;
			if (e->vaddr)
				fprintf(khttpd_out, "PROF %" PRIu64 " %d %" PRIx64
					" %" PRIu64 "\n", win, vcpu, e->vaddr, sum);
			else
				fprintf(khttpd_out, "PROF %" PRIu64 " %d user %"
					PRIu64 "\n", win, vcpu, sum);
		}
	}
}

/*
 * Under MTTCG an armed vCPU may still be inside its callback when it is
 * disarmed here: a block or two can land in the next window, not lost.
 */
static void khttpd_prof_off_exec(unsigned int vcpu, void *udata)
{
	uint64_t win;
	int i;

	pthread_mutex_lock(&khttpd_tb_lock);
	pthread_mutex_lock(&khttpd_out_lock);
	win = ++khttpd_windows;
	for (i = 0; i < khttpd_nvcpus; i++) {
		struct khttpd_vcpu_count *c = &khttpd_counts[i];

		if (!__atomic_load_n(&c->armed, __ATOMIC_RELAXED))
			continue;
		__atomic_store_n(&c->armed, 0, __ATOMIC_RELAXED);
		khttpd_prof_dump(win, i);
		fprintf(khttpd_out, "PROFOFF %" PRIu64 " %d %" PRIu64 " %"
			PRIu64 "\n", win, i, c->insns[0], c->insns[1]);
	}
	fflush(khttpd_out);
	pthread_mutex_unlock(&khttpd_out_lock);
	pthread_mutex_unlock(&khttpd_tb_lock);
}

static struct khttpd_tb *khttpd_tb_get(uint64_t vaddr, uint32_t n,
				       uint32_t kernel)
{
	/* Fibonacci hashing: kernel addresses differ in their low bits */
	size_t h = (vaddr * 0x9e3779b97f4a7c15ULL) >> (64 - KHTTPD_TB_HASH_BITS);
	struct khttpd_tb *e;

	pthread_mutex_lock(&khttpd_tb_lock);
	for (e = khttpd_tb_hash[h]; e; e = e->next)
		if (e->vaddr == vaddr && e->n == n)
			goto out;
	e = calloc(1, sizeof(*e) + khttpd_nvcpus * sizeof(e->count[0]));
	if (!e) {
		/* nowhere to count: QEMU cannot go on without userdata */
		perror("vcpu_insns");
		abort();
	}
	e->vaddr = vaddr;
	e->n = n;
	e->kernel = kernel;
	e->next = khttpd_tb_hash[h];
	khttpd_tb_hash[h] = e;
out:
	pthread_mutex_unlock(&khttpd_tb_lock);
	return e;
}

static int khttpd_insn_is(struct qemu_plugin_insn *insn,
			  const unsigned char *code)
{
	/* all three markers are 7 bytes long */
	return qemu_plugin_insn_size(insn) == sizeof(khttpd_mark_insn) &&
	       !memcmp(qemu_plugin_insn_data(insn), code,
		       sizeof(khttpd_mark_insn));
}

static void khttpd_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	int kernel = !!(vaddr & KHTTPD_KERNEL_HALF);

	qemu_plugin_register_vcpu_tb_exec_cb(tb, khttpd_tb_exec,
					     QEMU_PLUGIN_CB_NO_REGS,
					     khttpd_tb_get(kernel ? vaddr : 0,
							   n, kernel));
	if (kernel)
		return;
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		qemu_plugin_vcpu_udata_cb_t cb = NULL;

		if (khttpd_insn_is(insn, khttpd_mark_insn))
			cb = khttpd_mark_exec;
		else if (khttpd_insn_is(insn, khttpd_prof_on_insn))
			cb = khttpd_prof_on_exec;
		else if (khttpd_insn_is(insn, khttpd_prof_off_insn))
			cb = khttpd_prof_off_exec;
		if (cb)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, cb,
					QEMU_PLUGIN_CB_NO_REGS, NULL);
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
