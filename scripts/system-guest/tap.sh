# SPDX-License-Identifier: GPL-2.0
#
# TAP helpers of the in-guest scripts (sourced; POSIX sh: the guest's
# /bin/sh is dash).  Each test's output goes to $TAPLOG and, when it fails,
# to the console as "# " comments, so that a failure explains itself in the
# host's log.
n=0 failed=0
TAPLOG=/tmp/tap.log
: > "$TAPLOG"

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)) failed=$((failed + 1)); echo "not ok $n - $1"; }

# t DESCRIPTION COMMAND...: one result from COMMAND's exit status.
t() {
	_d=$1
	shift
	echo "## $_d" >> "$TAPLOG"
	if "$@" > /tmp/tap.out 2>&1; then
		ok "$_d"
	else
		not_ok "$_d"
		sed -e 's/^/# /' /tmp/tap.out | tail -n 40
	fi
	cat /tmp/tap.out >> "$TAPLOG"
}

# The plan last: the host checks that it matches the results it counted.
# Its status, the script's: non-zero when any test failed.
plan() { echo "1..$n"; [ $failed -eq 0 ]; }
