#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make check`: run every selftest binary, stream its TAP
# output, and end with one summary line.  Each binary checks the kernel log
# around each of its tests itself (khttpd_util.c); this runner adds a check
# around the whole binary, so a splat that lands between tests still fails.
set -o pipefail 2>/dev/null || true

kmemleak=0
if [ "${1:-}" = --kmemleak ]; then
	kmemleak=1
	shift
fi
dir=${1:-/khttpd/selftests}
pass=0 fail=0 skip=0

# With --kmemleak (the debug kernel): forget what boot left behind, and
# after the last test require that nothing is left unreferenced.
km=/sys/kernel/debug/kmemleak
if [ $kmemleak -eq 1 ] && ! echo clear > $km; then
	echo "not ok - kmemleak is not available"
	fail=$((fail + 1))
	kmemleak=0
fi

splat() {
	# Everything the kernel logged after our marker that looks like a splat.
	dmesg | sed -n "/khttpd-runner: begin $1\$/,\$p" |
		grep -Ef "$(dirname "$0")/splat.ere"
}

# Run selftest $1 (a path) with the harness arguments after it, under the
# name $label and with $extra as KHTTPD_EXTRA_PARAMS (khttpd_util.h).
run_one() {
	local t=$1 name p s f rc
	shift
	name=${t##*/}$label
	echo "khttpd-runner: begin $name" > /dev/kmsg
	echo "# running $name"
	KHTTPD_EXTRA_PARAMS=$extra "$t" "$@" 2>&1 | tee "/tmp/$name.tap"
	rc=$?
	p=$(grep -E '^ok ' "/tmp/$name.tap" | grep -vc '# SKIP')
	s=$(grep -E '^ok .*# SKIP' -c "/tmp/$name.tap")
	f=$(grep -Ec '^not ok ' "/tmp/$name.tap")
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		f=$((f + 1))
	fi
	# A test killed by its timeout skips its teardown: say so, and unload
	# so that one failure does not fail every binary after it.
	if [ -e /sys/module/khttpd ]; then
		echo "not ok - $name left khttpd loaded"
		f=$((f + 1))
		rmmod khttpd || echo "# rmmod khttpd failed"
	fi
	if splat "$name" >/tmp/splat; then
		echo "not ok - $name: kernel log shows a splat:"
		sed 's/^/#   /' /tmp/splat
		f=$((f + 1))
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

label='' extra=''
for t in "$dir"/*; do
	[ -x "$t" ] || continue
	run_one "$t"
done

# The HTTP conformance and hostile suites again with the fast path (answers
# in the socket callback) off, so that both ways of answering are held to
# them, and with the access log on, so that every hostile request goes
# through its records too.  khttpd_load() refuses a module without the
# settings: then these fail rather than pass without them.  http_test's
# uring-httpd variant has no fast path: it ran above.
label=' (fastpath=0 access_log=1)' extra='fastpath=0 access_log=1'
run_one "$dir/http_test" -v khttpd
# the bounded hostile suite: under make check-debug the full one ran
# above, and the full again would take CI past its time budget
full=${KHTTPD_FULL:-0}
export KHTTPD_FULL=0
run_one "$dir/hostile_test"
KHTTPD_FULL=$full
label='' extra=''

if [ $kmemleak -eq 1 ]; then
	rmmod khttpd 2>/dev/null
	# an object is reported once unreferenced for 5 s, over two scans
	echo scan > $km; sleep 6; echo scan > $km; sleep 1; echo scan > $km
	if [ -s $km ] || grep -q . $km; then
		echo "not ok - kmemleak: unreferenced objects after the tests"
		sed 's/^/#   /' $km | head -n 60
		fail=$((fail + 1))
	else
		echo "ok - kmemleak: nothing leaked"
		pass=$((pass + 1))
	fi
fi

echo "guest: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
