#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Load kTLS and the AEADs it uses, in the guest: the modules `make tls`
# puts in /khttpd/tlsmod, one by one in the order of its "order" file (each
# after those it needs).  The guest cannot autoload them: it has no
# /lib/modules.  Modules already loaded are skipped.  Then check that kTLS
# answers (/proc/net/tls_stat) and say which drivers serve gcm(aes) and
# rfc7539(chacha20,poly1305).
#
#   load-tls.sh [-q] [DIR]
set -eu
quiet=0
[ "${1:-}" = -q ] && { quiet=1; shift; }
dir=${1:-/khttpd/tlsmod}
[ -r "$dir/order" ] || { echo "load-tls: no $dir/order (run make)" >&2; exit 1; }

# /proc/crypto: "name : X" then "driver : Y"; the highest priority wins
driver() {
	awk -v n="$1" '$1 == "name" { cur = $3 }
		$1 == "driver" && cur == n { print $3; exit }' /proc/crypto
}

# A kernel with kTLS and AES-GCM built in (the debug kernel) needs none,
# and could load none of them: they are Debian's kernel's.
if [ -r /proc/net/tls_stat ] && [ -n "$(driver 'gcm(aes)')" ]; then
	dir=
fi

[ -z "$dir" ] || while read -r ko; do
	name=$(echo "${ko%.ko}" | tr - _)
	grep -q "^$name " /proc/modules && continue
	if ! insmod "$dir/$ko"; then
		echo "load-tls: insmod $ko failed" >&2
		exit 1
	fi
done < "$dir/order"

[ -r /proc/net/tls_stat ] || { echo "load-tls: no /proc/net/tls_stat" >&2; exit 1; }
grep -qw aes /proc/cpuinfo || echo "load-tls: warning: the CPU has no AES-NI" >&2

for alg in 'gcm(aes)' 'rfc7539(chacha20,poly1305)'; do
	d=$(driver "$alg")
	# the template instantiates at first use: only gcm(aes) must be there
	[ -n "$d" ] || [ "$alg" != 'gcm(aes)' ] ||
		{ echo "load-tls: no gcm(aes) in /proc/crypto" >&2; exit 1; }
	[ $quiet -eq 1 ] || echo "load-tls: $alg: ${d:-(at first use)}"
done
exit 0
