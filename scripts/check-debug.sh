#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-debug`: the guest selftests, the hostile and torture suites
# in full, under a kernel built with KASAN, UBSAN, KFENCE, kmemleak,
# lockdep and the hang detectors (scripts/debug.config), then a kmemleak
# scan that must come back empty.  Ends with "N passed, N failed, N
# skipped" like make check; any splat fails the run (scripts/vm).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-$PWD/build}
LOG=$BUILD/check-debug
mkdir -p "$LOG"

kdir=$(scripts/debug-kernel.sh) || { echo "not ok - building the debug kernel"; exit 1; }

# The module against the debug tree, built from a copy of the sources so
# that the tree's own objects (for the Debian kernel) are left alone.
mod=$BUILD/debug-module
rm -rf "$mod"	# a fresh copy: nothing of an older layout may shadow a header
mkdir -p "$mod"
cp -a kmod engine uapi "$mod"/
rm -f "$mod"/kmod/*.o "$mod"/kmod/.*.cmd "$mod"/engine/*.o "$mod"/engine/.*.cmd
echo "== khttpd.ko for the debug kernel"
make -s -C "$kdir" M="$mod/kmod" modules > "$LOG/module.log" 2>&1 ||
	{ cat "$LOG/module.log"; echo "not ok - building khttpd.ko"; exit 1; }

echo "== guest selftests and hostile suites under the debug kernel"
KHTTPD_VMDIR=$BUILD/vm-debug scripts/vm --smp 2 --mem 2048 --timeout 3000 \
	--kernel "$kdir/arch/x86/boot/bzImage" --module "$mod/kmod/khttpd.ko" \
	-- env KHTTPD_FULL=1 /khttpd/scripts/run-selftests.sh --kmemleak 2>&1 |
	tee "$LOG/guest.log"
rc=${PIPESTATUS[0]}
tr -d '\r' < "$LOG/guest.log" > "$LOG/guest.tap"
pass=$(grep -E '^ok ' "$LOG/guest.tap" | grep -vc '# SKIP')
skip=$(grep -Ec '^ok .*# SKIP' "$LOG/guest.tap")
fail=$(grep -Ec '^not ok ' "$LOG/guest.tap")
if ! grep -q '^guest: [0-9]* passed' "$LOG/guest.tap"; then
	echo "not ok - guest run completed (vm exit status $rc)"
	fail=$((fail + 1))
elif [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
	echo "not ok - guest run (vm exit status $rc)"
	fail=$((fail + 1))
fi
echo
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
