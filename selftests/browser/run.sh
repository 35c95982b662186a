#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The browser test, on the host: make serve's guest (scripts/serve, the demo
# site, on two free ports of 127.0.0.1) and Debian's headless Chromium
# against it (browser_test.mjs): the page, its stylesheet, picture and
# video over HTTP and HTTPS, the video through Range requests, a reload
# and a revisit answered 304, screenshots checked for what the page
# paints.  Then, on the guest's side, that the requests came in over its
# virtio NIC and not over loopback, and that the guest stops cleanly.
# TAP output.  No Chromium or Node.js: one SKIP (scripts/deps.sh --browser
# installs both).
#
#   selftests/browser/run.sh        (make check-browser; make check runs it)
#
# Screenshots, the guest's console and Chromium's findings are left in
# $BUILD/browser.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$top/build}
export BUILD
out=$BUILD/browser
site=$BUILD/site
chromium=${CHROMIUM:-/usr/bin/chromium}
mkdir -p "$out"

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
finish() { echo "1..$n"; [ $failed -eq 0 ]; exit; }

echo "TAP version 13"
why=
if [ ! -x "$chromium" ]; then
	why="no $chromium (scripts/deps.sh --browser)"
elif ! command -v node > /dev/null; then
	why="no node (scripts/deps.sh --browser)"
fi
if [ -n "$why" ]; then
	n=$((n + 1))
	echo "ok $n - browser test # SKIP $why"
	finish
fi
for f in "$site/index.html" "$site/clip.webm" "$BUILD/netmod/order" "$BUILD/tls/cert.pem"; do
	[ -e "$f" ] || { not_ok "browser test: no $f (make netmod site tls)"; finish; }
done

# Two ports nothing listens on (one a CI machine's 8080 may not be)
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		[ "$p" != "${1:-}" ] || continue
		(exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null || break
	done
	echo "$p"
}
port=$(free_port)
tls_port=$(free_port "$port")
http=http://127.0.0.1:$port/
https=https://127.0.0.1:$tls_port/

# ---- the guest ---------------------------------------------------------------

log=$out/serve.log
start=$SECONDS
KHTTPD_VMDIR=$BUILD/browser/vm "$top/scripts/serve" --port "$port" \
	--tls-port "$tls_port" > "$log" 2>&1 &
vm=$!
stop_vm() {
	[ -n "$vm" ] || return 0
	kill -TERM "$vm" 2> /dev/null
	wait "$vm"
	vm_rc=$?
	vm=
}
trap 'stop_vm' EXIT

# Until it says it is ready, or ends; a bound for a slow machine (TCG), not
# an assertion on the time
i=0
while ! grep -q '^serve: ready' "$log"; do
	if ! kill -0 "$vm" 2> /dev/null || [ $i -ge 600 ]; then
		not_ok "make serve's guest comes up (see $log)"
		tail -n 20 "$log" | sed 's/^/#   /'
		finish
	fi
	i=$((i + 1))
	sleep 1
done
echo "# the guest was ready $((SECONDS - start)) s after the start"
code=$(curl -s -o /dev/null --max-time 30 -w '%{http_code}' "$http")
if [ "$code" = 200 ]; then
	ok "make serve's guest answers $http through QEMU's port forward"
else
	not_ok "make serve's guest answers $http through QEMU's port forward (got $code)"
fi

# ---- the browser -------------------------------------------------------------

node "$top/selftests/browser/browser_test.mjs" --chromium "$chromium" \
	--http "$http" --https "$https" --cert "$BUILD/tls/cert.pem" \
	--site "$site" --out "$out" > "$out/browser.out" 2>&1
node_rc=$?
# (renumbered into ours)
while IFS= read -r line; do
	case $line in
	'ok - '*) ok "${line#ok - }" ;;
	'not ok - '*) not_ok "${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
done < "$out/browser.out"
if [ $node_rc -ne 0 ] && ! grep -q '^not ok ' "$out/browser.out"; then
	not_ok "browser_test.mjs exited with status $node_rc"
fi
echo "# screenshots: $out/screenshot.png, $out/screenshot-https.png"

# ---- the guest's side ----------------------------------------------------------

# The guest prints its counters every 2 s when they change: wait for the
# line that has the browser's answers in it (khttpd counted the guest's two
# checks and our curl too), then require that they came in over eth0, the
# virtio NIC, and that nothing came over loopback.
answers=$(sed -n 's/^# answers on the wire: //p' "$out/browser.out")
want=$(( ${answers:-0} + 3 ))
stats=
i=0
while [ $i -lt 30 ]; do
	stats=$(grep '^serve: stats: ' "$log" | tail -n 1)
	got=$(echo "$stats" | sed -n 's/^serve: stats: \([0-9]*\) requests.*/\1/p')
	[ "${got:-0}" -ge $want ] && break
	i=$((i + 1))
	sleep 1
done
echo "# ${stats:-no stats line}"
eth0=$(echo "$stats" | sed -n 's/.*eth0 in \([0-9]*\),.*/\1/p')
lo=$(echo "$stats" | sed -n 's/.*lo in \([0-9]*\)$/\1/p')
stored=$(echo "$stats" | sed -n 's/.* \([0-9]*\) stored entries,.*/\1/p')
if [ -n "$answers" ] && [ "${got:-0}" -ge $want ] && [ "${eth0:-0}" -ge "$answers" ] &&
   [ "$lo" = 0 ]; then
	ok "the guest: khttpd counted the browser's $answers requests, which came in over eth0 (virtio-net), none over loopback"
else
	not_ok "the guest: khttpd counted the browser's ${answers:-?} requests, which came in over eth0 (virtio-net), none over loopback"
fi
# nothing was stored: every answer was the docroot's, from the disk
if [ "$stored" = 0 ]; then
	ok "the guest: khttpd's store stayed empty, every answer came from the docroot"
else
	not_ok "the guest: khttpd's store stayed empty, every answer came from the docroot (${stored:-?} entries)"
fi

# SIGTERM, as Ctrl-C: scripts/vm stops QEMU and dies of the same signal, or
# exits 125 if the kernel logged a splat meanwhile
stop_vm
if [ "$vm_rc" -eq 143 ]; then
	ok "the guest stops on SIGTERM, with no kernel splat logged"
else
	not_ok "the guest stops on SIGTERM, with no kernel splat logged (scripts/vm exit $vm_rc)"
	tail -n 10 "$log" | sed 's/^/#   /'
fi
echo "# $((SECONDS - start)) s in all"
finish
