#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of make check's test of the bench's instruction counter: the
# same user-space loop pinned to vCPU 1, then to vCPU 0, then a loop of
# 40,000 syscalls (dd: a read and a write per byte) on vCPU 1, between
# marks.  scripts/check.sh reads the counts the vcpu_insns plugin wrote.
spin() { # cpu
	taskset -c "$1" sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i + 1)); done'
}
khttpd-mark
spin 1
khttpd-mark
spin 0
khttpd-mark
taskset -c 1 dd if=/dev/zero of=/dev/null bs=1 count=20000 2> /dev/null
khttpd-mark
