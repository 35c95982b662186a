#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: host unit tests, checkpatch, the packaging, the selftests
# in a QEMU guest, then the browser test.  Counts every TAP result and ends
# with one line "N passed, N failed, N skipped"; exits non-zero on any
# failure.  Anything that does not report a result (a guest that panics,
# hangs or never boots) counts as a failure, never as nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-$PWD/build}
LOG=$BUILD/check
mkdir -p "$LOG"

pass=0 fail=0 skip=0

# Add the TAP results in file $1 (top-level "ok"/"not ok" lines only).
tally() {
	local p s f
	p=$(grep -E '^ok ' "$1" | grep -vc '# SKIP')
	s=$(grep -Ec '^ok .*# SKIP' "$1")
	f=$(grep -Ec '^not ok ' "$1")
	pass=$((pass + p)) skip=$((skip + s)) fail=$((fail + f))
	echo "$p passed, $f failed, $s skipped"
}

# The TAP file $2 of a step that exited with status $3, counted under the
# name $1.  A step that died before its last check printed no "not ok" for
# the rest: its exit status is then one failure of its own.
tap_step() {
	echo -n "$1: "
	tally "$2"
	if [ "$3" -ne 0 ] && ! grep -q '^not ok ' "$2"; then
		result "$3" "$1 exited with status $3"
	fi
}

# A step that produces no TAP of its own: one result from its exit status.
result() {
	if [ "$1" -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok - $2"
	else
		fail=$((fail + 1))
		echo "not ok - $2"
	fi
}

echo "== host unit tests"
for t in "$BUILD"/unit/*; do
	[ -x "$t" ] || continue
	"$t" > "$LOG/${t##*/}.tap" 2>&1
	rc=$?
	grep -E '^(not )?ok ' "$LOG/${t##*/}.tap"
	tap_step "${t##*/}" "$LOG/${t##*/}.tap" $rc
done

echo "== fuzzing the HTTP engine (1,000,000 inputs per target)"
for f in "$BUILD"/fuzz/*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	name=${f##*/}
	corpus=$BUILD/fuzz-corpus/$name
	mkdir -p "$corpus"
	cp selftests/unit/"$name".seeds/* "$corpus"/ 2>/dev/null
	"$f" -runs=1000000 -max_len=4096 "$corpus" > "$LOG/$name.log" 2>&1
	rc=$?
	tail -n 1 "$LOG/$name.log"
	result $rc "$name: no crash, leak or engine invariant broken"
done

echo "== checkpatch (errors fail; warnings are listed)"
make -s checkpatch > "$LOG/checkpatch.txt" 2>&1
grep -E '^(ERROR|WARNING)' "$LOG/checkpatch.txt" | head -n 20
! grep -q '^ERROR' "$LOG/checkpatch.txt"
result $? "checkpatch: no errors in kmod/, engine/, uapi/, bench/ and khttpd-tlsd"

echo "== man pages (groff warnings; every --help option and command documented)"
scripts/man-check.sh > "$LOG/man.tap" 2>&1
rc=$?
grep -E '^not ok ' "$LOG/man.tap"
tap_step man-check "$LOG/man.tap" $rc

echo "== packaging: make deb, lintian, make install/uninstall, a DKMS build"
scripts/deps.sh --pkg
start=$SECONDS
scripts/pkg-check.sh > "$LOG/pkg.tap" 2>&1
rc=$?
grep -E '^(not )?ok |^# (W|E): ' "$LOG/pkg.tap"
tap_step "pkg-check.sh ($((SECONDS - start))s)" "$LOG/pkg.tap" $rc

echo "== the bench's instruction counter (QEMU plugin bench/vcpu_insns.c)"
# A loop pinned to vCPU 1, then to vCPU 0: each interval's user-space
# instructions must land on the loop's vCPU, and in user space, with few
# user/kernel transitions (timer ticks, the loop's own exec).  Then 40,000
# syscalls on vCPU 1: at least two transitions each.
scripts/vm --icount --smp 2 --insns "$LOG/insns.txt" -- \
	/khttpd/scripts/insns-check.sh > "$LOG/insns.log" 2>&1
rc=$?
result $rc "insns: guest run with the plugin (vm exit status $rc)"
# MARK <seq> <nvcpus> then user, kernel, transitions of each vCPU
awk '/^MARK/ { n++; for (i = 4; i <= NF; i++) c[n, i - 4] = $i }
	END {
		if (n != 5) { print "insns: " n " snapshots, want 5"; exit 3 }
		# interval k: from snapshot k to k+1; vCPU v: fields 3v, 3v+1, 3v+2
		for (k = 1; k <= 2; k++) {
			on = k == 1 ? 1 : 0; off = 1 - on
			u = c[k + 1, 3 * on] - c[k, 3 * on]
			kern = c[k + 1, 3 * on + 1] - c[k, 3 * on + 1]
			t = c[k + 1, 3 * on + 2] - c[k, 3 * on + 2]
			other = c[k + 1, 3 * off] - c[k, 3 * off]
			printf "insns: loop on vCPU %d: user %d, kernel %d, transitions %d; vCPU %d user %d\n",
				on, u, kern, t, off, other
			if (u < 1e7 || u < 10 * other || u < 4 * kern) b1 = 1
			if (t * 10000 > u) b2 = 1
		}
		t = c[4, 5] - c[3, 5]
		printf "insns: 40000 syscalls on vCPU 1: transitions %d\n", t
		if (t < 80000) b2 = 1
		exit 4 + b1 + 2 * b2
	}' "$LOG/insns.txt"
# 4 plus a bit per failed check; anything else: awk failed, both fail
rc=$?
[ $rc -ge 4 ] && [ $rc -le 7 ] && rc=$((rc - 4)) || rc=3
result $((rc & 1)) "insns: a pinned loop counts on its own vCPU, as user instructions"
result $((rc & 2)) "insns: user/kernel transitions: few in a user loop, two per syscall"

echo "== guest selftests (scripts/vm --smp 2)"
scripts/vm --smp 2 -- /khttpd/scripts/run-selftests.sh 2>&1 |
	tee "$LOG/guest.log"
rc=${PIPESTATUS[0]}
tr -d '\r' < "$LOG/guest.log" > "$LOG/guest.tap"
echo -n "guest: "
tally "$LOG/guest.tap"
if ! grep -q '^guest: [0-9]* passed' "$LOG/guest.tap"; then
	result 1 "guest run completed (vm exit status $rc)"
elif [ $rc -ne 0 ] && ! grep -q '^not ok ' "$LOG/guest.tap"; then
	result $rc "guest run (vm exit status $rc)"
fi

echo "== the browser test: headless Chromium against make serve's guest"
# (selftests/browser/run.sh; no Chromium is a SKIP, so install it)
scripts/deps.sh --browser
start=$SECONDS
selftests/browser/run.sh > "$LOG/browser.tap" 2>&1
rc=$?
grep -E '^(not )?ok ' "$LOG/browser.tap"
tap_step "browser test ($((SECONDS - start))s)" "$LOG/browser.tap" $rc

echo
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
