#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# khttpd.conf end to end: "khttpctl apply FILE" and "khttpctl show-config"
# against the module, as khttpd.service runs them.  A file with mistakes
# changes nothing and names every mistake by its line; a good file starts
# the server with its settings, store content and docroot; applying again
# keeps a connection open unless how to listen changed, takes new
# settings, removes content the file no longer loads, and a setting left
# out returns to its default; show-config prints what runs, in a form
# apply takes back unchanged.  The kernel log must stay clean.  TAP.
n=0 failed=0
plan=9
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $*"; }

ko=${KHTTPD_MODULE:-/khttpd/khttpd.ko}
ere=/khttpd/scripts/splat.ere
[ -r "$ere" ] || ere=$(dirname "$0")/../scripts/guest/splat.ere
t=/tmp/apply_test
sys=/sys/kernel/khttpd

echo "TAP version 13"
echo "1..$plan"

check() {
	_name=$1
	shift
	echo "apply_test: check $((n + 1)) begin" > /dev/kmsg
	(set -ex; "$@") > $t/check.out 2>&1
	_rc=$?
	dmesg | sed -n "/apply_test: check $((n + 1)) begin\$/,\$p" |
		grep -Ef "$ere" > $t/splat
	if [ $_rc -eq 0 ] && [ ! -s $t/splat ]; then
		ok "$_name"
	else
		not_ok "$_name"
		[ $_rc -eq 0 ] || tail -n 40 $t/check.out | sed 's/^/#   /'
		[ ! -s $t/splat ] || sed 's/^/#   splat: /' $t/splat
	fi
}
nope() {
	if "$@"; then echo "# should have failed: $*"; return 1; fi
}
code() { curl -s --max-time 10 -o "${3:-/dev/null}" -w '%{http_code}' "http://127.0.0.1:${2:-8090}$1"; }

rm -rf $t
mkdir -p $t/site/css $t/more $t/root
chmod 755 $t $t/root
echo '<h1>from the store</h1>' > $t/site/index.html
echo 'body { color: red }' > $t/site/css/main.css
echo 'more' > $t/more/extra.txt
head -c 100000 /dev/urandom > $t/root/file.bin
chmod 644 $t/root/file.bin
echo "apply_test: begin" > /dev/kmsg
insmod $ko enabled=0 || { while [ $n -lt $plan ]; do not_ok "- insmod"; done; exit 1; }

cat > $t/good.conf <<END
# the test's configuration
listen = 127.0.0.1
port = 8090
backlog = 128
root = $t/root
user = nobody
load = $t/site /s
load = $t/more
keepalive_timeout_ms = 30000
max_body = 4096
END

t_bad() {
	cat > $t/bad.conf <<-END
	port = 8091
	# a comment

	max_body = lots
	colour = blue
	port = 8092
	root = $t/nonexistent
	listen = 1.2.3.4.5
	END
	c0=$(cat $sys/max_body)
	nope khttpctl apply $t/bad.conf 2> $t/err
	cat $t/err
	grep -q "bad.conf:4: max_body must be" $t/err
	grep -q "bad.conf:5: unknown key 'colour'" $t/err
	grep -q "bad.conf:6: port given twice (first on line 1)" $t/err
	grep -q "bad.conf:7: root '$t/nonexistent': No such file" $t/err
	grep -q "bad.conf:8: listen '1.2.3.4.5'" $t/err
	grep -q "5 errors, nothing changed" $t/err
	# nothing changed: not serving, settings and store as they were
	[ "$(cat $sys/enabled)" = 0 ]
	[ "$(cat $sys/port)" = 8080 ]
	[ "$(cat $sys/max_body)" = "$c0" ]
	[ "$(cat $sys/stats/entries)" = 0 ]
	nope khttpctl apply $t/no-such.conf
}
check "- a bad file: every error by its line, nothing changed" t_bad

t_good() {
	khttpctl apply $t/good.conf | tee $t/out
	grep -q "started on port 8090; loaded 4 files" $t/out
	[ "$(cat $sys/enabled)" = 1 ]
	[ "$(cat $sys/keepalive_timeout_ms)" = 30000 ]
	[ "$(cat $sys/max_body)" = 4096 ]
	[ "$(cat $sys/header_timeout_ms)" = 10000 ]
	# the store, at its prefixes, and the docroot behind it
	[ "$(code /s/css/main.css 8090 $t/got)" = 200 ]
	cmp $t/got $t/site/css/main.css
	[ "$(code /s/ 8090 $t/got)" = 200 ]
	cmp $t/got $t/site/index.html
	[ "$(code /extra.txt)" = 200 ]
	[ "$(code /file.bin 8090 $t/got)" = 200 ]
	cmp $t/got $t/root/file.bin
	# on 127.0.0.1 only, and not on the module's old port
	nope curl -s --max-time 5 -o /dev/null http://127.0.0.1:8080/
}
check "- a good file: started with its settings, content and docroot" t_good

t_show() {
	khttpctl show-config > $t/shown.conf
	cat $t/shown.conf
	grep -qx 'listen = 127.0.0.1' $t/shown.conf
	grep -qx 'port = 8090' $t/shown.conf
	grep -qx 'backlog = 128' $t/shown.conf
	grep -qx "root = $t/root" $t/shown.conf
	grep -qx 'user = 65534:65534' $t/shown.conf
	grep -qx 'keepalive_timeout_ms = 30000' $t/shown.conf
	grep -qx 'max_body = 4096' $t/shown.conf
	grep -qx 'header_timeout_ms = 10000' $t/shown.conf
	grep -q '^# the store holds 4 entries' $t/shown.conf
	# every setting named
	for f in port header_timeout_ms keepalive_timeout_ms send_timeout_ms \
		max_conns max_request_line max_header_bytes max_header_fields \
		max_body zerocopy fastpath mem_cap docroot_queue access_log; do
		grep -q "^$f = $(cat $sys/$f)\$" $t/shown.conf
	done
}
check "- show-config prints what runs" t_show

# a kept-alive connection that must survive a reload without a restart:
# a FIFO feeds nc one request now and one later
held_open() {
	rm -f $t/fifo
	mkfifo $t/fifo
	nc 127.0.0.1 8090 < $t/fifo > $t/held.out &
	ncpid=$!
	exec 7> $t/fifo
	printf 'GET /extra.txt HTTP/1.1\r\nHost: x\r\n\r\n' >&7
	i=0
	until grep -q '^more' $t/held.out; do
		i=$((i + 1)); [ $i -lt 100 ] || return 1; sleep 0.1
	done
}
held_still() {
	printf 'GET /file.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&7
	exec 7>&-
	wait $ncpid
	# both answered on the one connection, the second from the docroot
	[ "$(grep -c '^HTTP/1.1 200' $t/held.out)" = 2 ]
	grep -q '^Content-Length: 100000' $t/held.out
}

t_roundtrip() {
	held_open
	khttpctl apply $t/shown.conf | tee $t/out
	grep -q "kept serving on port 8090; loaded 0 files, 0 bytes; 0 failed; 4 removed" $t/out
	# show-config keeps no load lines: the store is emptied, the server
	# not restarted, the connection still served
	held_still
	[ "$(cat $sys/stats/entries)" = 0 ]
	khttpctl show-config | grep -v '^# the store' > $t/shown2.conf
	grep -v '^# the store' $t/shown.conf | diff - $t/shown2.conf
}
check "- show-config's output applied: the same, no restart, loads gone" t_roundtrip

t_reload() {
	khttpctl apply $t/good.conf
	held_open
	# a changed setting and one load line less: no restart
	sed -e 's/^keepalive_timeout_ms = .*/keepalive_timeout_ms = 20000/' \
		-e '/^load = .*more$/d' -e '/^max_body/d' $t/good.conf > $t/next.conf
	khttpctl apply $t/next.conf | tee $t/out
	grep -q "kept serving on port 8090; loaded 3 files" $t/out
	grep -q "; 1 removed" $t/out
	held_still
	[ "$(cat $sys/keepalive_timeout_ms)" = 20000 ]
	# left out: back to its default
	[ "$(cat $sys/max_body)" = 65536 ]
	[ "$(code /extra.txt)" = 404 ]
	[ "$(code /s/css/main.css)" = 200 ]
}
check "- reload: new settings, content pruned, defaults back, no restart" t_reload

t_restart() {
	sed -e 's/^port = .*/port = 8091/' -e '/^root/d' -e '/^user/d' \
		$t/good.conf > $t/moved.conf
	khttpctl apply $t/moved.conf | tee $t/out
	grep -q "restarted on port 8091; loaded 4 files" $t/out
	nope curl -s --max-time 5 -o /dev/null http://127.0.0.1:8090/
	[ "$(code /s/css/main.css 8091)" = 200 ]
	[ "$(code /extra.txt 8091)" = 200 ]
	# no docroot now
	[ "$(code /file.bin 8091)" = 404 ]
	! khttpctl show-config | grep -q '^root'
}
check "- a new port or docroot: restarted, served there" t_restart

t_cpus_v6() {
	cat > $t/v6.conf <<-END
	listen = ::1
	listen = 127.0.0.1
	port = 8092
	cpus = 0
	load = $t/site
	END
	khttpctl apply $t/v6.conf
	[ "$(curl -s -g --max-time 5 -o /dev/null -w '%{http_code}' 'http://[::1]:8092/css/main.css')" = 200 ]
	[ "$(code /css/main.css 8092)" = 200 ]
	khttpctl show-config > $t/v6.out
	grep -qx 'listen = ::1' $t/v6.out
	grep -qx 'cpus = 0' $t/v6.out
	grep -l '^khttpd/' /proc/[0-9]*/comm > $t/threads 2> /dev/null || true
	cat $t/threads
	[ "$(wc -l < $t/threads)" = 1 ]
	# again: nothing to restart
	khttpctl apply $t/v6.conf | grep -q 'kept serving on port 8092'
}
check "- IPv6 and a CPU set from the file" t_cpus_v6

t_stop() {
	khttpctl stop
	khttpctl show-config > $t/stopped.out
	grep -q '^# not serving' $t/stopped.out
	! grep -q '^listen' $t/stopped.out
	# and apply starts it again
	khttpctl apply $t/good.conf | grep -q 'started on port 8090'
	[ "$(code /extra.txt)" = 200 ]
}
check "- stopped: show-config says so, apply starts again" t_stop

t_final() {
	khttpctl stop
	rmmod khttpd
	dmesg | sed -n '/apply_test: begin$/,$p' | grep -Ef "$ere" && exit 1
	true
}
check "- rmmod, the log clean" t_final

[ -e /sys/module/khttpd ] && { khttpctl stop; rmmod khttpd; }
rm -rf $t/root $t/site $t/more
[ $n -eq $plan ] || { echo "not ok - ran $n checks, planned $plan"; failed=1; }
[ $failed -eq 0 ]
