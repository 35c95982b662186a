// SPDX-License-Identifier: GPL-2.0
/*
 * khttpd-mark: asks the vcpu_insns QEMU plugin (bench/vcpu_insns.c) for a
 * snapshot of every vCPU's instruction count.  The marker is a NOP, so on
 * a machine without the plugin this program does nothing at all.
 *
 *   khttpd-mark              a snapshot (a MARK line)
 *   khttpd-mark prof-start   arm the vCPU this runs on for a profile
 *   khttpd-mark prof-stop    close the profile window (any vCPU)
 *
 * prof-start counts from its marker on: pin it (taskset) to the vCPU to
 * profile, once per vCPU.  What it costs after the marker, its exit, is
 * in the window: tens of thousands of instructions.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		__asm__ volatile("nopl 0x5054484b(%%rax)" ::: "memory");
	else if (!strcmp(argv[1], "prof-start"))
		__asm__ volatile("nopl 0x2b465250(%%rax)" ::: "memory");
	else if (!strcmp(argv[1], "prof-stop"))
		__asm__ volatile("nopl 0x2d465250(%%rax)" ::: "memory");
	else
		goto usage;
	return 0;
usage:
	fprintf(stderr, "usage: khttpd-mark [prof-start|prof-stop]\n");
	return 2;
}
