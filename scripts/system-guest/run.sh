#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make check-system, in the guest: install khttpd's packages from the check
# disk as a user would (offline: everything they depend on is in the image),
# so that DKMS builds the module here, then drive the service with systemd
# and check what each step does.  TAP on stdout (the serial console).
. /mnt/check/tap.sh
export DEBIAN_FRONTEND=noninteractive
conf=/etc/khttpd/khttpd.conf
kver=$(uname -r)

# The packages come from the host's `make deb`; without them nothing here
# means anything, so say so and stop.
set -- /mnt/check/debs/khttpd-dkms_*.deb
dkms_deb=$1
set -- /mnt/check/debs/khttpd_*.deb
ctl_deb=$1
if [ ! -f "$dkms_deb" ] || [ ! -f "$ctl_deb" ]; then
	not_ok "no packages: run make deb"
	plan
	exit 1
fi

# apt reads local packages as the _apt user: from a copy it can read.
mkdir -p /tmp/debs
cp "$dkms_deb" "$ctl_deb" /tmp/debs/
chmod 644 /tmp/debs/*.deb
cd /tmp/debs || exit 1
t "apt install khttpd-dkms and khttpd, offline" \
	apt install -y ./khttpd-dkms_*.deb ./khttpd_*.deb
t "DKMS built and installed khttpd.ko for $kver" sh -c '
	dkms status khttpd
	dkms status khttpd -k "$1" | grep -q ": installed"
	modinfo -n khttpd | grep -q "^/lib/modules/$1/updates/dkms/"' sh "$kver"
cd /tmp || exit 1

# A page of our own (with a random line: no stale page can pass for it).
mark=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
mkdir -p /var/www/check
printf '<p>khttpd check %s</p>\n' "$mark" > /var/www/check/index.html
# Edit the shipped file, as an admin would: our port, our page.
setconf() {
	# setconf KEY VALUE: replace the key's line (commented out or not)
	if grep -Eq "^#?$1 = " "$conf"; then
		sed -i -E "0,/^#?$1 = .*/s||$1 = $2|" "$conf"
	else
		echo "$1 = $2" >> "$conf"
	fi
}
setconf port 8080
setconf load /var/www/check
setconf access_log 1
t "edit $conf: port = 8080, load = /var/www/check, access_log = 1" sh -c '
	grep -qx "port = 8080" "$1" && grep -qx "load = /var/www/check" "$1" &&
	grep -qx "access_log = 1" "$1"
	' sh "$conf"

get() { curl -fsS --max-time 20 "http://127.0.0.1:$1$2"; }

t "systemctl start khttpd" systemctl start khttpd
t "khttpd.service is active" systemctl is-active khttpd
t "curl gets the page from port 8080" sh -c '
	body=$(curl -fsS --max-time 20 http://127.0.0.1:8080/index.html) &&
	echo "$body" && [ "$body" = "<p>khttpd check $1</p>" ]' sh "$mark"
# the user agent carries the mark: the line can only be this request's
t "khttpctl log shows the request" sh -c '
	curl -fsS --max-time 20 -A "check-$1" -o /dev/null http://127.0.0.1:8080/index.html &&
	khttpctl log > /tmp/access.log && cat /tmp/access.log &&
	grep -q "^127\.0\.0\.1 - - \[.*\] \"GET /index.html HTTP/1.1\" 200 [0-9]* \"-\" \"check-$1\" " /tmp/access.log &&
	khttpctl --json log | grep -q "\"user_agent\":\"check-$1\""' sh "$mark"
t "khttpctl show-config shows port 8080" sh -c '
	khttpctl show-config && khttpctl show-config | grep -qx "port = 8080"'

# A change that needs a restart (the port) and one that does not (a new
# file): both must be in effect after the reload.
setconf port 8081
printf 'second %s\n' "$mark" > /var/www/check/second.txt
t "systemctl reload khttpd" systemctl reload khttpd
t "after reload: port 8081 serves the new file" sh -c '
	body=$(curl -fsS --max-time 20 http://127.0.0.1:8081/second.txt) &&
	echo "$body" && [ "$body" = "second $1" ]' sh "$mark"
t "after reload: port 8080 is closed" sh -c '
	! curl -sS --max-time 20 http://127.0.0.1:8080/index.html'
t "after reload: show-config shows port 8081" sh -c '
	khttpctl show-config | grep -qx "port = 8081"'

t "systemctl stop khttpd" systemctl stop khttpd
t "stop unloaded the module (no /sys/module/khttpd)" sh -c '
	! test -e /sys/module/khttpd'
t "nothing listens on 8081 after stop" sh -c '
	! curl -sS --max-time 20 http://127.0.0.1:8081/second.txt'

# Errors of this boot that come from khttpd: the module (kernel messages
# start with its name), khttpctl, the unit.  The rest is shown, not failed
# on: Debian's own boot under TCG is not what is tested.
# (-o cat for the match: the host name, khttpd-check, must not match.)
journalctl -b -p err --no-pager -o short-monotonic 2>&1 | sed -e 's/^/# journal error: /'
journalctl -b -p err --no-pager -o cat > /tmp/err.log 2>&1
t "journalctl -b -p err: no error from khttpd or khttpd.service" sh -c '
	grep -i khttp /tmp/err.log | grep -v "khttpd-check\.service" > /tmp/k.log
	cat /tmp/k.log; ! test -s /tmp/k.log'
# --man=no: the image has no man-db, and verify would fail every
# Documentation=man: line on that; whether the pages are there is the
# next test's question.
t "systemd-analyze verify khttpd.service" sh -c '
	out=$(systemd-analyze verify --man=no khttpd.service 2>&1); rc=$?
	echo "$out"; [ $rc -eq 0 ] && [ -z "$out" ]'
t "the unit's Documentation= pages are installed" sh -c '
	for p in man4/khttpd.4 man8/khttpctl.8 man5/khttpd.conf.5; do
		ls /usr/share/man/$p* || { echo "no $p"; exit 1; }
	done'
t "khttpd.service unit is not failed" sh -c '! systemctl is-failed -q khttpd'
plan
