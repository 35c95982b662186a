#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-system: khttpd's Debian packages on a real Debian 12 system.
# Boots the cached image of scripts/system-image.sh (Debian's kernel, systemd
# as init) on a throwaway qcow2 overlay, with a second disk holding this
# run's packages, the in-guest test and a random token; the guest's
# khttpd-check.service runs the test, whose TAP comes back on the serial
# console, and prints the token.  Ends with "N passed, N failed, N skipped".
#
#   scripts/check-system.sh [--smoke] [--debs DIR] [--timeout SEC]
#                           [--smp N] [--mem MB]
#
# --smoke boots and checks the harness only (scripts/system-guest/smoke.sh):
# no packages needed.  --debs: where khttpd-dkms_*.deb and khttpd_*.deb are
# ($BUILD/deb, where make deb puts them).
#
# Fail closed, as scripts/vm: no token line (the guest did not boot, did not
# reach the test, panicked, hung), a wrong one, a timeout, a kernel splat,
# a not-ok, or fewer results than the guest's plan all make the exit status
# non-zero, whatever else the log says.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
guest=$top/scripts/system-guest
smoke=0 debs=$BUILD/deb timeout=1800 smp=2 mem=2048

usage() {
	sed -n '11,16p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--smoke) smoke=1; shift ;;
	--debs) debs=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	-h|--help) usage ;;
	*) echo "check-system: unknown option $1" >&2; usage ;;
	esac
done

# Before minutes of image build and boot: the packages must be there.
if [ $smoke -eq 0 ]; then
	dkms_deb=$(ls "$debs"/khttpd-dkms_*.deb 2> /dev/null | tail -n 1)
	ctl_deb=$(ls "$debs"/khttpd_*.deb 2> /dev/null | tail -n 1)
	if [ -z "$dkms_deb" ] || [ -z "$ctl_deb" ]; then
		echo "check-system: no packages in $debs: run make deb" >&2
		echo "0 passed, 1 failed, 0 skipped"
		exit 1
	fi
fi

kver=$("$top/scripts/kver.sh") || exit 2
t0=$(date +%s)
img=$("$top/scripts/system-image.sh") || { echo "check-system: no image" >&2; exit 1; }
t1=$(date +%s)
echo "check-system: image $img ($((t1 - t0)) s)"

vmdir=${KHTTPD_VMDIR:-$BUILD/system-run}
rm -rf "$vmdir"
mkdir -p "$vmdir/check"

# --- this run's disk: the test, its helpers, the packages, the token -----
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
echo "$token" > "$vmdir/check/token"
echo "$kver" > "$vmdir/check/kver"
install -m 644 "$guest/tap.sh" "$vmdir/check/tap.sh"
if [ $smoke -eq 1 ]; then
	install -m 755 "$guest/smoke.sh" "$vmdir/check/run.sh"
else
	install -m 755 "$guest/run.sh" "$vmdir/check/run.sh"
	mkdir -p "$vmdir/check/debs"
	# copies: the test never touches the tree the packages were built in
	cp "$dkms_deb" "$ctl_deb" "$vmdir/check/debs/"
fi
size=$(( $(du -sm "$vmdir/check" | cut -f1) + 16 ))
mke2fs -q -t ext4 -L khttpd-check -d "$vmdir/check" "$vmdir/check.img" "${size}M" > /dev/null ||
	exit 1
# The run writes to an overlay: the cached image stays as it was built.
qemu-img create -q -f qcow2 -F qcow2 -b "$img/root.qcow2" "$vmdir/overlay.qcow2" ||
	exit 1

# --- boot ------------------------------------------------------------------
# As scripts/vm: any WARN, oops or lockup panics, and a panic ends QEMU
# (-no-reboot), so a broken kernel cannot hide behind a token it printed
# first.  systemd's status lines stay off the console the TAP is on.
append="root=/dev/vda rw console=ttyS0 loglevel=5 printk.time=1"
append+=" panic_on_warn=1 oops=panic panic=-1 softlockup_panic=1"
append+=" hung_task_panic=1 reboot=t fsck.mode=skip systemd.firstboot=off"
append+=" systemd.show_status=false ${KHTTPD_VM_APPEND:-}"
qemu=(qemu-system-x86_64 -M q35 -cpu max -accel tcg -smp "$smp" -m "$mem"
      -nodefaults -nographic -no-reboot
      -kernel "$img/vmlinuz" -initrd "$img/initrd.img" -append "$append"
      -drive "file=$vmdir/overlay.qcow2,if=virtio,format=qcow2"
      -drive "file=$vmdir/check.img,if=virtio,format=raw,readonly=on"
      -serial stdio)
log=$vmdir/last.log
t2=$(date +%s)
timeout -k 10 "$timeout" "${qemu[@]}" < /dev/null |
	sed -u -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\x1bc//g' | tee "$log"
status=${PIPESTATUS[0]}
t3=$(date +%s)
done_at=$(grep -a -n "^KHTTPD-VM-DONE $token rc=" "$log" | cut -d: -f1)
echo "check-system: guest ran $((t3 - t2)) s"

# --- verdict ---------------------------------------------------------------
pass=$(grep -aE '^ok ' "$log" | grep -avc '# SKIP')
skip=$(grep -aEc '^ok .*# SKIP' "$log")
fail=$(grep -aEc '^not ok ' "$log")
why=()
if [ "$status" -eq 124 ]; then
	why+=("guest timed out after $timeout s")
fi
done_line=$(grep -a "^KHTTPD-VM-DONE $token rc=[0-9]*$" "$log" || true)
if [ -z "$done_line" ]; then
	why+=("no completion token (no boot, no test run, panic or hang)")
elif [ "${done_line##*rc=}" -ne 0 ]; then
	why+=("run.sh exited with status ${done_line##*rc=}")
fi
if grep -a '^KHTTPD-VM-DONE ' "$log" | grep -avq "^KHTTPD-VM-DONE $token "; then
	why+=("a completion line with a wrong token")
fi
splat="^\\[ *[0-9]+\\.[0-9]+\\] (.*($(cat "$top/scripts/guest/splat.ere")))"
if grep -aEq "$splat" "$log"; then
	why+=("the kernel logged a splat: $(grep -aE "$splat" "$log" | head -n 1)")
fi
planned=$(grep -aE '^1\.\.[0-9]+$' "$log" | tail -n 1 | cut -d. -f3)
if [ -z "$planned" ]; then
	why+=("no TAP plan: the test did not run to its end")
elif [ "$planned" -ne $((pass + fail + skip)) ]; then
	why+=("$((pass + fail + skip)) results, $planned planned")
fi
[ -n "$done_at" ] && echo "check-system: token at line $done_at of $log"
for w in ${why[@]+"${why[@]}"}; do
	echo "check-system: $w; log: $log" >&2
done
if [ ${#why[@]} -gt 0 ] && [ "$fail" -eq 0 ]; then
	fail=1
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ ${#why[@]} -eq 0 ]
