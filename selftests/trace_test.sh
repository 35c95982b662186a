#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# khttpd's tracepoints (kmod/trace.h): with events/khttpd enabled, a
# request yields khttpd_request (the client's address and port, method,
# version, path, and which path answered), its answer khttpd_answer
# (status, bytes, keep-alive), its connection's end khttpd_close,
# all three with the same connection.  Skipped where the kernel has no
# tracefs.  TAP.
n=0 failed=0
plan=3
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $*"; }
skip_all() { while [ $n -lt $plan ]; do n=$((n + 1)); echo "ok $n - trace_test # SKIP $1"; done; exit 0; }

ko=${KHTTPD_MODULE:-/khttpd/khttpd.ko}
tr=/sys/kernel/tracing
t=/tmp/trace_test

echo "TAP version 13"
echo "1..$plan"
[ -d $tr/events ] || mount -t tracefs nodev $tr 2> /dev/null
[ -d $tr/events ] || skip_all "no tracefs in this kernel"
rm -rf $t
mkdir -p $t
echo 'traced' > $t/page
insmod $ko port=8080 $KHTTPD_EXTRA_PARAMS || { not_ok "- insmod"; exit 1; }
if [ ! -d $tr/events/khttpd ]; then
	rmmod khttpd
	skip_all "no khttpd events (kernel without tracepoints)"
fi
khttpctl put /page $t/page

# (not in an if: there, set -e would be ignored inside the subshell)
check() { # check NAME FUNCTION
	_name=$1
	shift
	(set -ex; "$@") > $t/check.out 2>&1
	if [ $? -eq 0 ]; then ok "$_name"; else
		not_ok "$_name"; tail -n 30 $t/check.out | sed 's/^/#   /'; fi
}

: > $tr/trace
echo 1 > $tr/events/khttpd/enable
# two requests on one connection (the second from the fast path, or the
# worker with fastpath=0), then a 404 on another that asks to close
curl -s -o /dev/null -o /dev/null http://127.0.0.1:8080/page \
	http://127.0.0.1:8080/page
curl -s -o /dev/null -H 'Connection: close' http://127.0.0.1:8080/nothing
sleep 0.5
echo 0 > $tr/events/khttpd/enable
cat $tr/trace > $t/trace

t_request() {
	grep -c 'khttpd_request: .*client=127.0.0.1:[0-9]* method=GET version=1.1 path=/page ' $t/trace |
		grep -qx 2
	grep -q 'khttpd_request: .* path=/nothing parse_status=0' $t/trace
}
check "- khttpd_request: client, method, version, path" t_request

t_answer() {
	# both answers of /page the same size: a head and its 7-byte body
	grep 'khttpd_answer: .* status=200 bytes=[0-9]* keep_alive=1' $t/trace |
		sed 's/.*bytes=\([0-9]*\).*/\1/' > $t/sizes
	[ "$(wc -l < $t/sizes)" = 2 ]
	[ "$(sort -u $t/sizes | wc -l)" = 1 ]
	[ "$(head -n 1 $t/sizes)" -gt 7 ]
	grep -q 'khttpd_answer: .* status=404 bytes=[1-9][0-9]* keep_alive=0' $t/trace
}
check "- khttpd_answer: status, bytes, keep-alive" t_answer

t_same_conn() {
	cat $t/trace
	# the first connection: its two requests, two answers, then its end
	conn=$(sed -n 's/.*khttpd_request: conn=\([^ ]*\) .*path=\/page .*/\1/p' $t/trace | sort -u)
	[ "$(echo "$conn" | wc -l)" = 1 ]
	# (up to its close: a later connection may reuse its memory)
	grep -E "khttpd_(request|answer|close): conn=$conn " $t/trace |
		sed 's/.*\(khttpd_[a-z]*\):.*/\1/' |
		sed '/khttpd_close/q' | tr '\n' ' ' > $t/seq
	[ "$(cat $t/seq)" = "khttpd_request khttpd_answer khttpd_request khttpd_answer khttpd_close " ]
	grep -q "khttpd_close: conn=$conn abort=0 served=1" $t/trace
}
check "- one connection ties the three together, closed in order" t_same_conn

khttpctl stop
rmmod khttpd
[ $n -eq $plan ] || { echo "not ok - ran $n checks, planned $plan"; failed=1; }
[ $failed -eq 0 ]
