#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make serve` (scripts/serve): the virtio NIC on QEMU's
# user-mode network, the site's disk mounted read-only, and khttpd serving
# it as its docroot on port 80, and on 443 over HTTPS where kTLS and the
# handshake agent are there.  Then it waits to be killed, printing
# khttpd's counters when they change.
#
#   serve.sh HTTP-URL HTTPS-URL
#
# The URLs are where the host forwards ports 80 and 443 from, to print.
# Prints "serve: ready" once both answer, and exits non-zero if something
# fails to come up (scripts/vm then ends the guest and says so).
set -eu
http_url=${1:-http://127.0.0.1:8080/}
https_url=${2:-https://127.0.0.1:8443/}
www=/srv/www
tls=/khttpd/tls
sys=/sys/kernel/khttpd

die() { echo "serve: $*" >&2; exit 1; }

# Modules by their order file (each after what it needs), skipping the
# loaded ones; there is no /lib/modules in the guest to modprobe from.
load_order() { # dir
	while read -r ko; do
		name=$(echo "${ko%.ko}" | tr - _)
		grep -q "^$name " /proc/modules || insmod "$1/$ko" ||
			die "insmod $1/$ko failed"
	done < "$1/order"
}
[ -r /khttpd/netmod/order ] || die "no /khttpd/netmod (run make netmod)"
load_order /khttpd/netmod
load_order /khttpd/fsmod

# The NIC: QEMU's user-mode network has the guest at 10.0.2.15 behind a
# gateway at 10.0.2.2 (nothing is reachable through it: restrict=on).  The
# driver's probe may finish after insmod returns.
i=0
while [ ! -e /sys/class/net/eth0 ]; do
	i=$((i + 1))
	[ $i -le 100 ] || die "no eth0 (scripts/vm --hostfwd gives the NIC)"
	sleep 0.1
done
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2

# The site: the first virtio disk, ext4, read-only.
i=0
while [ ! -b /dev/vda ]; do
	i=$((i + 1))
	[ $i -le 100 ] || die "no /dev/vda (scripts/vm --disk gives the disk)"
	sleep 0.1
done
mkdir -p $www
mount -t ext4 -o ro,noatime /dev/vda $www || die "cannot mount /dev/vda"
[ -e $www/index.html ] || echo "serve: warning: no index.html: / answers 404"
# khttpd reads as nobody, who needs o+r on files and o+x on directories
# (lost+found, mkfs's own, is closed to others and served by no one)
locked=$(find $www -path $www/lost+found -prune -o ! -perm -004 -print -o \
	-type d ! -perm -001 -print | wc -l)
[ "$locked" = 0 ] || echo "serve: warning: $locked files or directories" \
	"are closed to others: khttpd reads as nobody, and answers 403"

insmod /khttpd/khttpd.ko enabled=0 || die "insmod khttpd failed"
# /etc/mime.types, where the host has one, on top of the built-in types
# (its notes on the lines it skips are in /tmp/mime.log)
[ ! -r /etc/mime.types ] || khttpctl mime > /tmp/mime.log 2>&1 ||
	echo "serve: warning: khttpctl mime failed: built-in types only"

tls_port=
if [ -x /khttpd/bin/khttpd-tlsd ] && [ -r $tls/cert.pem ] &&
   /khttpd/scripts/load-tls.sh -q > /tmp/load-tls.out 2>&1 &&
   khttpctl version | grep -q '^features:.* tls'; then
	tls_port=443
else
	echo "serve: no HTTPS: $(head -n 1 /tmp/load-tls.out 2> /dev/null)"
fi
khttpctl start --port 80 ${tls_port:+--tls-port $tls_port} --root $www \
	--user nobody || die "khttpctl start failed"
if [ -n "$tls_port" ]; then
	# it forks once it is ready to take handshakes
	khttpd-tlsd --cert $tls/cert.pem --key $tls/key.pem --port 443 \
		--pidfile /run/khttpd-tlsd.pid < /dev/null > /dev/null \
		2> /tmp/tlsd.log || die "khttpd-tlsd failed: $(cat /tmp/tlsd.log)"
fi

# Both answer from here, to the guest's own address (which is loopback's
# traffic, so the counters printed below start after these)
curl -s -o /dev/null --max-time 30 http://10.0.2.15/ ||
	die "khttpd does not answer on port 80"
[ -z "$tls_port" ] || curl -s -o /dev/null --max-time 30 --cacert $tls/cert.pem \
	--resolve localhost:443:10.0.2.15 https://localhost/ ||
	die "khttpd does not answer on port 443"

echo "serve: ready: $www ($(df -h $www | awk 'NR == 2 { print $2 }') ext4 on /dev/vda)"
echo "serve:   $http_url"
[ -z "$tls_port" ] || echo "serve:   $https_url  (self-signed test certificate)"
echo "serve: Ctrl-C stops the guest"

# What khttpd served, and through which interface: every 2 s when it
# changed.  The store stays empty (everything is the docroot's); "eth0
# in" is what came in over the virtio NIC, "lo in" over loopback (packets).
rx() { cat /sys/class/net/$1/statistics/rx_packets; }
lo0=$(rx lo) eth0=$(rx eth0) last=
while :; do
	now="$(cat $sys/stats/requests) requests"
	now="$now ($(cat $sys/stats/tls_established) TLS connections),"
	now="$now $(cat $sys/stats/entries) stored entries,"
	now="$now $(cat $sys/stats/docroot_hits) docroot hits,"
	now="$now $(cat $sys/stats/bytes_sent) bytes sent;"
	now="$now eth0 in $(($(rx eth0) - eth0)), lo in $(($(rx lo) - lo0))"
	[ "$now" = "$last" ] || echo "serve: stats: $now"
	last=$now
	sleep 2
done
