#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Lifecycle torture: cycles of insmod, load content, start, wrk load,
# stop/start through khttpctl and sysfs under that load, a CPU taken
# offline and back where the guest allows, and rmmod in the middle of the
# load.  Every rmmod must finish promptly, a worker whose CPU comes back
# must be bound to it again, and afterwards the module's own
# accounting (connections, content bytes: it logs "khttpd: leak" on unload
# otherwise) must be back to zero, the kernel log clean, and unreclaimable
# slab back to where it was after the first cycle, within 2 MiB.
#
# make check: 10 cycles; KHTTPD_FULL=1 (make check-debug): 50.  TAP output.
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $*"; }

cycles=10
[ "${KHTTPD_FULL:-0}" = 1 ] && cycles=50
ko=${KHTTPD_MODULE:-/khttpd/khttpd.ko}
sys=/sys/kernel/khttpd
hot=/sys/devices/system/cpu/cpu1/online

echo "TAP version 13"
echo "1..8"

site=/tmp/torture-site
rm -rf $site
mkdir -p $site/d
echo 'Hello, torture' > $site/index.html
head -c 1048576 /dev/urandom > $site/d/1m.bin
head -c 20000 /dev/urandom > $site/d/20k.bin

affinity() { # thread name -> its allowed CPU list
	for c in /proc/[0-9]*/comm; do
		[ "$(cat $c 2>/dev/null)" = "$1" ] &&
			awk '/^Cpus_allowed_list:/ { print $2 }' ${c%comm}status
	done
}
sunreclaim() { awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo; }
echo "khttpd-torture: begin" > /dev/kmsg

rmmod_slow=0 cycle_fail=0 served=0 hotplugged=0 unbound=0
base=
i=1
while [ $i -le $cycles ]; do
	if ! insmod $ko enabled=0 port=8080; then
		cycle_fail=$((cycle_fail + 1)); echo "# cycle $i: insmod failed"; break
	fi
	khttpctl load $site > /dev/null || { cycle_fail=$((cycle_fail + 1)); echo "# cycle $i: load failed"; }
	# alternate the two ways of starting
	if [ $((i % 2)) = 0 ]; then echo 1 > $sys/enabled; else khttpctl start > /dev/null; fi ||
		{ cycle_fail=$((cycle_fail + 1)); echo "# cycle $i: start failed"; }
	curl -s --max-time 10 http://127.0.0.1:8080/ | grep -q 'Hello, torture' &&
		served=$((served + 1))
	path=/d/20k.bin
	[ $((i % 3)) = 0 ] && path=/d/1m.bin
	wrk -t2 -c16 -d3s http://127.0.0.1:8080$path > /dev/null 2>&1 &
	wrk=$!
	sleep 1
	# stop and start again under load, both ways
	if [ $((i % 3)) = 1 ]; then
		khttpctl stop > /dev/null && khttpctl start > /dev/null ||
			{ cycle_fail=$((cycle_fail + 1)); echo "# cycle $i: khttpctl stop/start failed"; }
		echo 0 > $sys/enabled && echo 1 > $sys/enabled ||
			{ cycle_fail=$((cycle_fail + 1)); echo "# cycle $i: sysfs stop/start failed"; }
	fi
	# a CPU going away and coming back under load
	if [ $((i % 5)) = 2 ] && [ -w $hot ]; then
		echo 0 > $hot && sleep 0.3 && echo 1 > $hot && hotplugged=$((hotplugged + 1))
		# its worker must be bound to it again
		[ "$(affinity khttpd/1)" = 1 ] || { unbound=$((unbound + 1));
			echo "# cycle $i: khttpd/1 allowed on CPUs '$(affinity khttpd/1)'"; }
	fi
	# rmmod with the load still running: must not take long
	t0=$(date +%s)
	if ! timeout 60 rmmod khttpd; then
		cycle_fail=$((cycle_fail + 1)); echo "# cycle $i: rmmod failed"
	fi
	[ $(($(date +%s) - t0)) -gt 10 ] && rmmod_slow=$((rmmod_slow + 1))
	wait $wrk
	[ $i = 1 ] && base=$(sunreclaim)
	i=$((i + 1))
done

[ $cycle_fail = 0 ] && ok "$cycles cycles of insmod, load, start, load, rmmod" ||
	not_ok "$cycles cycles: $cycle_fail steps failed"
[ $served = $cycles ] && ok "served after every start" ||
	not_ok "served in only $served of $cycles cycles"
[ $rmmod_slow = 0 ] && ok "every rmmod under load took 10 s or less" ||
	not_ok "$rmmod_slow rmmods took longer than 10 s"
if [ -e /sys/module/khttpd ]; then
	not_ok "module still loaded after the last rmmod"
else
	ok "module gone after the last rmmod"
fi
if [ -w $hot ]; then
	[ $hotplugged -gt 0 ] && ok "CPU 1 offline and online under load ($hotplugged times)" ||
		not_ok "CPU 1 hotplug failed"
	[ $hotplugged -gt 0 ] && [ $unbound = 0 ] &&
		ok "khttpd/1 bound to CPU 1 again after every online" ||
		not_ok "khttpd/1 not bound to CPU 1 after $unbound of $hotplugged onlines"
else
	echo "ok $((n + 1)) # SKIP CPU 1 cannot go offline in this guest"; n=$((n + 1))
	echo "ok $((n + 1)) # SKIP CPU 1 cannot go offline in this guest"; n=$((n + 1))
fi
if dmesg | sed -n '/khttpd-torture: begin/,$p' | grep -q 'khttpd: leak'; then
	not_ok "the module's accounting is not back to zero:"
	dmesg | grep 'khttpd: leak' | head -n 5 | sed 's/^/#   /'
else
	ok "the module's accounting is back to zero after every unload"
fi
# TIME_WAIT sockets of the last cycles hold some slab for a minute
now=$(sunreclaim)
if [ -n "$base" ] && [ "$now" -le $((base + 2048)) ]; then
	ok "unreclaimable slab back to its baseline ($base kB -> $now kB)"
else
	not_ok "unreclaimable slab grew: $base kB -> $now kB"
fi
[ $failed = 0 ]
