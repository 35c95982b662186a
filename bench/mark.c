// SPDX-License-Identifier: GPL-2.0
/*
 * khttpd-mark: asks the vcpu_insns QEMU plugin (bench/vcpu_insns.c) for a
 * snapshot of every vCPU's instruction count.  The marker is a NOP, so on
 * a machine without the plugin this program does nothing at all.
 */
int main(void)
{
	__asm__ volatile("nopl 0x5054484b(%%rax)" ::: "memory");
	return 0;
}
