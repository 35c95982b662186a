#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# khttpctl end to end, once per transport (uring_cmd, then --ioctl): load a
# directory tree and fetch every file back over HTTP, put/rm/ls, config,
# stats, mime, stop/start.  TAP output.
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $*"; }
check() { # check NAME COMMAND...: a test passes if COMMAND succeeds
	name=$1; shift
	if "$@" > /tmp/check.out 2>&1; then ok "$name"; else
		not_ok "$name"; sed 's/^/#   /' /tmp/check.out; fi
}
fetch() { curl -s --max-time 10 -o "$2" -w '%{http_code} %{content_type}' "http://127.0.0.1:${3:-8080}$1"; }

echo "TAP version 13"
echo "1..41"

# a small site: html, css, png (binary), nested text, an odd name
site=/tmp/site
rm -rf $site
mkdir -p $site/css $site/img $site/a/b
echo '<h1>home</h1>' > $site/index.html
echo 'body { color: red }' > $site/css/main.css
head -c 70000 /dev/urandom > $site/img/logo.png
seq 1 5000 > $site/a/b/numbers.txt
echo 'spaced' > "$site/a/with space.txt"

# a mime.types with comments, repeats, a bad type (line 6) and two bad
# extensions (line 7): 6 extensions of 5 types load
cat > /tmp/mime.types <<'END'
# type  extensions
text/html html htm HTML

text/css css   # a comment after the extensions
text/html;charset=utf-8 xhtml
bad type here
text/plain txt bad.ext b@d
application/x-other html
application/x#y xy #z
END

for mode in uring_cmd ioctl; do
	ctl="khttpctl"
	[ $mode = ioctl ] && ctl="khttpctl --ioctl"
	insmod /khttpd/khttpd.ko port=8080 || { not_ok "$mode: insmod"; continue; }

	check "$mode: version names the transport" \
		sh -c "$ctl version | grep -q 'transport $mode'"
	check "$mode: load a tree" sh -c "$ctl load $site --prefix /s | grep -q 'loaded 6 files'"
	check "$mode: files come back byte for byte with their types" sh -c '
		set -e
		for f in index.html css/main.css img/logo.png a/b/numbers.txt; do
			out=$(curl -s -o /tmp/got -w "%{http_code} %{content_type}" \
				"http://127.0.0.1:8080/s/$f")
			cmp -s /tmp/got '"$site"'/$f
			case $f in
			*.html) [ "$out" = "200 text/html" ] ;;
			*.css) [ "$out" = "200 text/css" ] ;;
			*.png) [ "$out" = "200 image/png" ] ;;
			*.txt) [ "$out" = "200 text/plain" ] ;;
			esac
		done'
	check "$mode: index.html answers for its directory" sh -c "
		[ \"\$(curl -s http://127.0.0.1:8080/s/)\" = '<h1>home</h1>' ]"
	check "$mode: a name with a space, percent-encoded in the request" sh -c "
		[ \"\$(curl -s 'http://127.0.0.1:8080/s/a/with%20space.txt')\" = spaced ]"
	check "$mode: ls lists what was loaded" sh -c "
		$ctl ls > /tmp/ls && grep -q ' /s/img/logo.png\$' /tmp/ls &&
		grep -q '^ *70000 ' /tmp/ls && [ \$(wc -l < /tmp/ls) -eq 7 ]"
	check "$mode: ls --json" sh -c "$ctl --json ls | grep -q '\"path\":\"/s/css/main.css\",\"size\":20'"
	check "$mode: put with type and cache-control" sh -c "
		$ctl put /p /etc/passwd --type text/x-test --cache-control no-cache &&
		curl -si http://127.0.0.1:8080/p | tr -d '\r' > /tmp/p &&
		grep -q '^Content-Type: text/x-test\$' /tmp/p &&
		grep -q '^Cache-Control: no-cache\$' /tmp/p && grep -q '^root:' /tmp/p"
	check "$mode: rm, then 404; rm again names the step and the error" sh -c "
		$ctl rm /p && [ \$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/p) = 404 ] &&
		! $ctl rm /p 2> /tmp/err && grep -q 'DELETE: No such file' /tmp/err"
	check "$mode: config set and get, seen in sysfs" sh -c "
		$ctl config keepalive_timeout_ms=3000 max_conns=77 &&
		[ \"\$($ctl config keepalive_timeout_ms)\" = 'keepalive_timeout_ms   3000' ] &&
		[ \$(cat /sys/kernel/khttpd/max_conns) = 77 ]"
	check "$mode: config refuses bad keys and values, changing nothing" sh -c "
		! $ctl config nosuch=1 2>/dev/null && ! $ctl config max_conns=0 2>/dev/null &&
		! $ctl config max_conns=abc 2>/dev/null && [ \$(cat /sys/kernel/khttpd/max_conns) = 77 ]"
	check "$mode: mime loads a file, warning about the lines it skips" sh -c "
		$ctl mime /tmp/mime.types > /tmp/out 2> /tmp/err &&
		grep -qx 'loaded 6 extensions of 5 types; 3 skipped, 2 repeated' /tmp/out &&
		grep -q \"mime.types:6: skipping type 'bad'\" /tmp/err &&
		grep -q \"mime.types:7: skipping extension 'bad.ext': only what follows\" /tmp/err &&
		grep -q \"mime.types:7: skipping extension 'b@d': not 1 to 32 letters\" /tmp/err &&
		[ \$(wc -l < /tmp/err) = 3 ]"
	check "$mode: mime --json" sh -c "
		$ctl --json mime /tmp/mime.types 2>/dev/null |
		grep -qx '{\"extensions\":6,\"types\":5,\"skipped\":3,\"repeated\":2,\"bytes\":106}'"
	check "$mode: mime of a missing file fails and names it" sh -c "
		! $ctl mime /tmp/no-such.types 2> /tmp/err &&
		grep -q 'no-such.types: No such file' /tmp/err"
	check "$mode: stats --json counts the requests" sh -c "
		$ctl --json stats | grep -q '\"requests\":[1-9]'"
	check "$mode: stats --prometheus: every counter, summed per CPU" sh -c '
		set -e
		'"$ctl"' stats --prometheus > /tmp/prom
		'"$ctl"' stats --prometheus --per-cpu > /tmp/promc
		'"$ctl"' --json stats --per-cpu > /tmp/jsonc
		grep -q "^# TYPE khttpd_requests_total counter\$" /tmp/prom
		grep -q "^# TYPE khttpd_conns_open gauge\$" /tmp/prom
		grep -q "^khttpd_running 1\$" /tmp/prom
		grep -q "^khttpd_responses_total{class=\"2xx\"} [1-9]" /tmp/prom
		# the sample lines: a name, optional labels, a number
		! grep -v "^#" /tmp/prom | grep -Ev "^khttpd_[a-z_0-9]+(\{[a-z]+=\"[^\"]+\"(,[a-z]+=\"[^\"]+\")*\})? [0-9]+(\.[0-9]+)?\$"
		# one cpu label per possible CPU, adding up to the sum
		total=$(awk "/^khttpd_requests_total /{print \$2}" /tmp/prom)
		sum=$(awk "/^khttpd_requests_total\{cpu=/{s+=\$2} END{print s}" /tmp/promc)
		[ "$total" = "$sum" ]
		n=$(grep -c "^khttpd_requests_total{cpu=" /tmp/promc)
		[ "$n" = "$(ls -d /sys/devices/system/cpu/cpu[0-9]* | wc -l)" ]
		[ "$(grep -c "^{\"cpu\":" /tmp/jsonc)" = "$n" ]
		'
	check "$mode: stats --prometheus: the service-time histogram" sh -c '
		set -e
		grep -q "^# TYPE khttpd_service_seconds histogram\$" /tmp/prom
		inf=$(awk "/^khttpd_service_seconds_bucket\{le=\"\+Inf\"\} /{print \$2}" /tmp/prom)
		cnt=$(awk "/^khttpd_service_seconds_count /{print \$2}" /tmp/prom)
		[ "$inf" = "$cnt" ] && [ "$cnt" -ge 1 ]
		# cumulative: no bucket holds less than the one before
		awk -F"} " "/^khttpd_service_seconds_bucket\{le/{ if (\$2 < last) exit 1; last = \$2 }" /tmp/prom
		[ "$(grep -c "^khttpd_service_seconds_bucket{le=" /tmp/prom)" = 32 ]
		grep -q "^khttpd_service_seconds_count{cpu=\"0\"} " /tmp/promc
		'
	check "$mode: log prints each answer, Combined and JSON" sh -c '
		set -e
		'"$ctl"' log 2> /tmp/logerr > /dev/null
		grep -q "access_log is 0" /tmp/logerr
		'"$ctl"' config access_log=1
		curl -s -A "ctl test" -e http://ref/ -o /dev/null "http://127.0.0.1:8080/s/index.html?q=1"
		'"$ctl"' log > /tmp/log
		grep -q "^127.0.0.1 - - \[.*\] \"GET /s/index.html?q=1 HTTP/1.1\" 200 [0-9]* \"http://ref/\" \"ctl test\" [0-9]*\.[0-9]* [a-z]*/store\$" /tmp/log
		'"$ctl"' --json log > /tmp/logj
		grep -q "\"target\":\"/s/index.html?q=1\",\"version\":\"1.1\",\"status\":200," /tmp/logj
		grep -q "\"user_agent\":\"ctl test\"" /tmp/logj
		'
	check "$mode: log --follow prints records as they come" sh -c '
		'"$ctl"' log --follow > /tmp/follow 2>&1 &
		pid=$!
		sleep 1
		curl -s -o /dev/null http://127.0.0.1:8080/s/follow-me
		for i in 1 2 3 4 5 6 7 8 9 10; do
			grep -q "GET /s/follow-me HTTP/1.1\" 404" /tmp/follow && break
			sleep 1
		done
		kill $pid
		grep -q "GET /s/follow-me HTTP/1.1\" 404" /tmp/follow'
	check "$mode: stop, then start on another port and CPU set" sh -c "
		$ctl stop && ! curl -s http://127.0.0.1:8080/ > /dev/null &&
		$ctl start --port 8082 --cpus 0 && curl -s http://127.0.0.1:8082/ | grep -q Hello &&
		[ \$(grep -l '^khttpd/' /proc/[0-9]*/comm | wc -l) = 1 ]"
	rmmod khttpd || not_ok "$mode: rmmod"
done

check "--help lists every command, option and default" sh -c "
	khttpctl --help > /tmp/help &&
	for w in version start stop put rm ls stats config load mime apply show-config log --follow --addr --port --cpus \
		--backlog --type --cache-control --watch --per-cpu --prometheus --prefix --ioctl --json --device \
		'default: all online CPUs' 'default 0.0.0.0' /dev/khttpd; do
		grep -q -- \"\$w\" /tmp/help || { echo missing \$w; exit 1; }
	done"
[ $n -eq 41 ] || { echo "not ok - ran $n checks, planned 41"; failed=1; }
[ $failed -eq 0 ]
