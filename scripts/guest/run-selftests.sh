#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make check`: run every selftest binary, stream its TAP
# output, and end with one summary line.  Each binary checks the kernel log
# around each of its tests itself (khttpd_util.h); this runner adds a check
# around the whole binary, so a splat that lands between tests still fails.
set -o pipefail 2>/dev/null || true

dir=${1:-/khttpd/selftests}
pass=0 fail=0 skip=0

splat() {
	# Everything the kernel logged after our marker that looks like a splat.
	dmesg | sed -n "/khttpd-runner: begin $1\$/,\$p" |
		grep -E 'WARNING:|BUG:|Oops|general protection fault|detected stalls|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|unreferenced object|UBSAN:|KASAN:|sleeping function called|scheduling while atomic'
}

for t in "$dir"/*; do
	[ -x "$t" ] || continue
	name=${t##*/}
	echo "khttpd-runner: begin $name" > /dev/kmsg
	echo "# running $name"
	"$t" 2>&1 | tee /tmp/"$name".tap
	rc=$?
	p=$(grep -E '^ok ' /tmp/"$name".tap | grep -vc '# SKIP')
	s=$(grep -E '^ok .*# SKIP' -c /tmp/"$name".tap)
	f=$(grep -Ec '^not ok ' /tmp/"$name".tap)
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		f=$((f + 1))
	fi
	if splat "$name" >/tmp/splat; then
		echo "not ok - $name: kernel log shows a splat:"
		sed 's/^/#   /' /tmp/splat
		f=$((f + 1))
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
done

echo "guest: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
