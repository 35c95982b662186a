#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# scripts/check-system.sh --smoke: the harness alone, without khttpd's
# packages.  Proves the guest booted the kernel we build for, with systemd
# as PID 1, reached multi-user.target with this run's check disk mounted,
# and holds what the package test needs offline.
. /mnt/check/tap.sh
kver=$(cat /mnt/check/kver)

t "the kernel is $kver" test "$(uname -r)" = "$kver"
t "systemd is PID 1" sh -c 'readlink /proc/1/exe | grep -q systemd'
t "multi-user.target is active" systemctl is-active multi-user.target
t "the check disk is mounted read-only at /mnt/check" \
	sh -c 'findmnt -n -o OPTIONS /mnt/check | grep -qw ro'
t "no unit failed" sh -c '
	f=$(systemctl list-units --state=failed --plain --no-legend)
	[ -z "$f" ] || { echo "$f"; false; }'
t "linux-headers-$kver and dkms are installed" \
	dpkg-query -W "linux-headers-$kver" dkms build-essential curl libgnutls30
t "the headers build a module: gcc runs" sh -c 'echo "int main(void){return 0;}" |
	gcc -x c -o /tmp/true - && /tmp/true'
plan
