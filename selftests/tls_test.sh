#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# HTTPS end to end: khttpd with --tls-port, the handshake agent
# (khttpd-tlsd) and kTLS.  GET, HEAD, keep-alive, pipelining and 304 over
# TLS; 3 MiB bodies byte for byte from the store and a docroot, with each
# cipher the agent offers; refused clients (TLS 1.2 only, a cipher not
# offered, garbage, plain HTTP); KeyUpdate; the handshake deadline; no
# agent, a stopped agent, an agent killed among handshakes; resets in the
# middle of a large answer; and STOP + rmmod with handshakes pending, with
# the agent holding cancelled ones, and with a slow download under way.
# The counters must add up, kTLS's own (/proc/net/tls_stat) with them, and
# the kernel log stay clean around each check.  Without kTLS (load-tls.sh),
# the agent or a module with "tls" among its features, every check is
# skipped.  Last, uring-httpd --tls-cert (make bench's HTTPS rival): its
# answers byte for byte through kTLS, and the clients it must refuse.
# TAP output.
n=0 failed=0
plan=33
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $*"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }

ko=${KHTTPD_MODULE:-/khttpd/khttpd.ko}
sys=/sys/kernel/khttpd
agent=/khttpd/bin/khttpd-tlsd
cert=/khttpd/tls/cert.pem
key=/khttpd/tls/key.pem
ere=/khttpd/scripts/splat.ere
[ -r "$ere" ] || ere=$(dirname "$0")/../scripts/guest/splat.ere
url=https://127.0.0.1:8443
body='khttpd tls test body'
t=/tmp/tls_test
pidfile=$t/tlsd.pid

echo "TAP version 13"
echo "1..$plan"

why=
if [ ! -x $agent ]; then
	why="no handshake agent $agent"
elif ! /khttpd/scripts/load-tls.sh -q > /tmp/load-tls.out 2>&1; then
	why="kTLS does not load: $(head -n 1 /tmp/load-tls.out)"
elif ! insmod $ko enabled=0 $KHTTPD_EXTRA_PARAMS; then
	why="insmod failed"
elif ! khttpctl version | grep -q '^features:.* tls'; then
	why="the module has no tls feature"
	rmmod khttpd
elif ! command -v openssl > /dev/null; then
	why="no openssl in the guest"
	rmmod khttpd
fi
if [ -n "$why" ]; then
	while [ $n -lt $plan ]; do skip "- tls_test" "$why"; done
	exit 0
fi

# ---- helpers ---------------------------------------------------------------

st() { cat $sys/stats/$1; }
kst() { awk -v k="$1" '$1 == k { print $2 }' /proc/net/tls_stat; }
hc="curl -s --max-time 60 --cacert $cert"
hcurl() { $hc "$@"; }	# ($hc in the background: then $! is curl's own pid)
# is process $1 there, and not a zombie?
alive() { [ -d /proc/$1 ] && ! grep -q '^State:[[:space:]]*Z' /proc/$1/status 2>/dev/null; }
# waitfor COND SECONDS: until the shell condition holds, polling (a bound,
# not a timing assertion)
waitfor() {
	# (untraced: the trace of a failed check shows what it waited for)
	case $- in *x*) set +x; _x=1 ;; *) _x=0 ;; esac
	_i=0 _rc=0
	until eval "$1"; do
		_i=$((_i + 1))
		if [ $_i -gt $(($2 * 10)) ]; then
			echo "# gave up waiting for: $1"
			_rc=1
			break
		fi
		sleep 0.1
	done
	[ $_x = 0 ] || set -x
	return $_rc
}
agent_up() {
	rm -f $pidfile
	$agent --cert $cert --key $key --port 8443 --pidfile $pidfile -v \
		< /dev/null > /dev/null 2>> $t/tlsd.log
	# it forks once ready: the pid file says who
	[ -s $pidfile ] && alive "$(cat $pidfile)"
}
agent_pid() { cat $pidfile; }
agent_down() { # [SIGNAL]
	_p=$(agent_pid)
	kill -"${1:-TERM}" "$_p"
	waitfor "! alive $_p" 30
}
agent_fds() { ls /proc/"$(agent_pid)"/fd | wc -l; }
# under set -e, "! cmd" never fails: nope CMD... fails if CMD succeeds
nope() {
	if "$@"; then echo "# should have failed: $*"; return 1; fi
}
# note the last background job, for reap
note() { echo $! >> $t/pids; }
# silent OUT: a client that connects and sends nothing (its stdin an idle
# FIFO), its output in OUT; $spid is its pid
silent() {
	rm -f "$1.fifo"
	mkfifo "$1.fifo"
	sleep 300 > "$1.fifo" &
	note
	nc 127.0.0.1 8443 < "$1.fifo" > "$1" 2>&1 &
	spid=$!
	note
}
ended() { ! alive "$1"; }
# one byte, in hex, at the start of a file
first_byte() { head -c 1 "$1" | od -An -tx1 | tr -d ' \n'; }
drained() { waitfor '[ "$(st conns_open)" = 0 ]' "${1:-40}"; }
# every client a check started in the background, and the FIFO holders
reap() {
	[ -s $t/pids ] || return 0
	for _p in $(cat $t/pids); do alive "$_p" && kill "$_p"; done
	: > $t/pids
}

# check NAME FUNCTION: FUNCTION runs in a subshell under set -e (and -x, for
# the trace shown on failure); it passes if it succeeds and the kernel
# logged no splat meanwhile
check() {
	_name=$1
	shift
	echo "tls_test: check $((n + 1)) begin" > /dev/kmsg
	(set -ex; "$@") > $t/check.out 2>&1
	_rc=$?
	dmesg | sed -n "/tls_test: check $((n + 1)) begin\$/,\$p" |
		grep -Ef "$ere" > $t/splat
	if [ $_rc -eq 0 ] && [ ! -s $t/splat ]; then
		ok "$_name"
	else
		not_ok "$_name"
		[ $_rc -eq 0 ] || tail -n 40 $t/check.out | sed 's/^/#   /'
		[ ! -s $t/splat ] || sed 's/^/#   splat: /' $t/splat
	fi
	reap
}

# ---- content ----------------------------------------------------------------

rm -rf $t
mkdir -p $t/root
chmod 755 $t $t/root
echo "$body" > $t/small
head -c 3145728 /dev/urandom > $t/big
head -c 3145728 /dev/urandom > $t/root/dbig.bin
# more than TCP and kTLS take at once: an answer still being written
head -c 33554432 /dev/zero > $t/root/huge.bin
chmod 644 $t/root/dbig.bin $t/root/huge.bin
: > $t/tlsd.log
echo "tls_test: begin" > /dev/kmsg

tx0=$(kst TlsTxSw) rx0=$(kst TlsRxSw)
ctx0=$(kst TlsCurrTxSw) crx0=$(kst TlsCurrRxSw)

# ---- one server, a healthy agent ---------------------------------------------

t_start() {
	khttpctl put /small $t/small
	khttpctl put /big $t/big
	khttpctl start --port 8080 --tls-port 8443 --root $t/root --user nobody
	dmesg | sed -n '/tls_test: check 1 begin$/,$p' |
		grep -q 'khttpd: listening on port 8080, HTTPS on port 8443'
	agent_up
}
check "- start with --tls-port and a docroot; the agent comes up" t_start

t_get() {
	e0=$(st tls_established) f0=$(st requests_fast) r0=$(st requests)
	out=$(hcurl -o $t/got -w '%{http_code} %{ssl_verify_result} %{scheme}' $url/small)
	[ "$out" = "200 0 HTTPS" ]
	cmp $t/got $t/small
	[ "$(st tls_established)" = $((e0 + 1)) ]
	[ "$(st requests)" = $((r0 + 1)) ]
	# the fast path never runs on an HTTPS connection
	[ "$(st requests_fast)" = "$f0" ]
}
check "- GET over HTTPS: the body, the certificate verified" t_get

t_head() {
	hcurl -I -o /dev/null -D $t/hdr -w '%{http_code} %{size_download}' $url/small > $t/out
	[ "$(cat $t/out)" = "200 0" ]
	tr -d '\r' < $t/hdr | grep -qx "Content-Length: $(wc -c < $t/small)"
	tr -d '\r' < $t/hdr | grep -q '^ETag: "'
}
check "- HEAD over HTTPS: the head only, with the body's length" t_head

t_plain() {
	[ "$(curl -s --max-time 20 http://127.0.0.1:8080/small)" = "$body" ]
	# and not TLS on the HTTP port
	nope hcurl -o /dev/null https://127.0.0.1:8080/small
}
check "- plain HTTP still answers on its own port, beside HTTPS" t_plain

t_keepalive() {
	h0=$(st tls_handshakes) e0=$(st tls_established)
	hcurl -v -o $t/got1 $url/small -o $t/got2 $url/big 2> $t/err
	cmp $t/got1 $t/small
	cmp $t/got2 $t/big
	grep -q 'Re-using existing connection' $t/err
	[ "$(st tls_handshakes)" = $((h0 + 1)) ]
	[ "$(st tls_established)" = $((e0 + 1)) ]
}
check "- keep-alive: two requests, one connection, one handshake" t_keepalive

t_pipeline() {
	h0=$(st tls_handshakes)
	printf 'GET /small HTTP/1.1\r\nHost: x\r\n\r\nHEAD /small HTTP/1.1\r\nHost: x\r\n\r\nGET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' > $t/req
	timeout 60 openssl s_client -connect 127.0.0.1:8443 -CAfile $cert \
		-quiet -ign_eof < $t/req > $t/out 2> $t/err
	tr -d '\r' < $t/out > $t/resp
	[ "$(grep -c '^HTTP/1.1 200 OK$' $t/resp)" = 3 ]
	# the HEAD's answer carries no body: exactly two bodies, each after a head
	[ "$(grep -cx "$body" $t/resp)" = 2 ]
	[ "$(tail -n 1 $t/resp)" = "$body" ]
	[ "$(st tls_handshakes)" = $((h0 + 1)) ]
}
check "- pipelining: GET, HEAD, GET in one write, three answers in order" t_pipeline

t_close_notify() {
	printf 'GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' > $t/req
	timeout 60 openssl s_client -connect 127.0.0.1:8443 -CAfile $cert \
		-msg -ign_eof < $t/req > $t/out 2>&1
	grep -qx "$body" $t/out
	grep -q '<<< .*Alert.*close_notify' $t/out
	nope grep -qi 'unexpected eof' $t/out
}
check "- Connection: close ends with a close_notify" t_close_notify

big_cipher() { # URLPATH FILE SUITE
	hcurl -v --tls13-ciphers "$3" -o $t/got $url$1 2> $t/err
	cmp $t/got $2
	grep -q "SSL connection using TLSv1.3 / $3" $t/err
}
t_big_aes128() { big_cipher /big $t/big TLS_AES_128_GCM_SHA256; }
check "- 3 MiB from the store byte for byte, AES-128-GCM" t_big_aes128
t_big_aes256() { big_cipher /big $t/big TLS_AES_256_GCM_SHA384; }
check "- 3 MiB from the store byte for byte, AES-256-GCM" t_big_aes256
t_big_chacha() { big_cipher /dbig.bin $t/root/dbig.bin TLS_CHACHA20_POLY1305_SHA256; }
# kTLS takes ChaCha20-Poly1305 only from a kernel that has the AEAD (a
# module in Debian's, loaded by load-tls.sh; the debug kernel has none)
if [ -d /sys/module/chacha20poly1305 ] ||
   grep -q 'rfc7539(chacha20,poly1305)' /proc/crypto; then
	check "- 3 MiB from the docroot byte for byte, ChaCha20-Poly1305" \
		t_big_chacha
else
	skip "- 3 MiB from the docroot byte for byte, ChaCha20-Poly1305" \
		"no rfc7539(chacha20,poly1305) in this kernel"
fi
t_big_docroot() {
	# and twice on one connection, the second from the docroot's cache
	hcurl -o $t/got1 $url/dbig.bin -o $t/got2 $url/dbig.bin
	cmp $t/got1 $t/root/dbig.bin
	cmp $t/got2 $t/root/dbig.bin
}
check "- 3 MiB from the docroot twice on one connection" t_big_docroot

t_304() {
	etag=$(hcurl -I $url/small | tr -d '\r' | sed -n 's/^ETag: //p')
	[ -n "$etag" ]
	out=$(hcurl -H "If-None-Match: $etag" -o $t/got -w '%{http_code} %{size_download}' $url/small)
	[ "$out" = "304 0" ]
	out=$(hcurl -H 'If-None-Match: "other"' -o $t/got -w '%{http_code}' $url/small)
	[ "$out" = 200 ]
	cmp $t/got $t/small
}
check "- If-None-Match: 304 with no body, 200 for another tag" t_304

# refused RUN...: a client run refused by the agent; tls_failed grows by
# one, tls_established does not
refused() {
	fl0=$(st tls_failed) e0=$(st tls_established)
	nope "$@"
	waitfor "[ \$(st tls_failed) -ge $((fl0 + 1)) ]" 30
	[ "$(st tls_failed)" = $((fl0 + 1)) ]
	[ "$(st tls_established)" = "$e0" ]
}
t_tls12() {
	refused sh -c "timeout 60 openssl s_client -connect 127.0.0.1:8443 -tls1_2 < /dev/null > $t/out 2>&1"
	grep -q 'alert handshake failure' $t/out
	refused hcurl -o /dev/null --tlsv1.2 --tls-max 1.2 $url/small
}
check "- a TLS 1.2 only client is refused (openssl, curl)" t_tls12

t_ccm() {
	refused sh -c "timeout 60 openssl s_client -connect 127.0.0.1:8443 -ciphersuites TLS_AES_128_CCM_SHA256 < /dev/null > $t/out 2>&1"
	grep -q 'alert handshake failure' $t/out
	refused hcurl -o /dev/null --tls13-ciphers TLS_AES_128_CCM_8_SHA256 $url/small
}
check "- a cipher the agent does not offer (AES-128-CCM, -CCM8) is refused" t_ccm

# not_clear FILE: nothing came back but, maybe, a TLS alert record
not_clear() {
	nope grep -q 'HTTP' "$1"
	[ ! -s "$1" ] || [ "$(first_byte "$1")" = 15 ]
}
t_garbage() {
	fl0=$(st tls_failed) e0=$(st tls_established)
	# a handshake record holding a ClientHello of junk (fixed: a random
	# length might have the agent wait for more)
	{ printf '\026\003\001\000\100\001\000\000\074'; head -c 60 /dev/zero | tr '\0' Z; } > $t/junk
	timeout 60 nc 127.0.0.1 8443 < $t/junk > $t/out
	not_clear $t/out
	# and random bytes, but for a first byte no record type has
	{ printf '\377'; head -c 299 /dev/urandom; } > $t/junk
	timeout 60 nc 127.0.0.1 8443 < $t/junk > $t/out
	not_clear $t/out
	waitfor "[ \$(st tls_failed) -ge $((fl0 + 2)) ]" 30
	[ "$(st tls_failed)" = $((fl0 + 2)) ]
	[ "$(st tls_established)" = "$e0" ]
}
check "- garbage instead of a ClientHello: closed, no answer, tls_failed" t_garbage

t_plain_to_tls() {
	fl0=$(st tls_failed)
	printf 'GET /small HTTP/1.1\r\nHost: x\r\n\r\n' > $t/req
	timeout 60 nc 127.0.0.1 8443 < $t/req > $t/out
	not_clear $t/out
	nope grep -q "$body" $t/out
	waitfor "[ \$(st tls_failed) -ge $((fl0 + 1)) ]" 30
	rm -f $t/got
	curl -s --max-time 20 -o $t/got http://127.0.0.1:8443/small && exit 1
	not_clear $t/got
	waitfor "[ \$(st tls_failed) -ge $((fl0 + 2)) ]" 30
	[ "$(st tls_failed)" = $((fl0 + 2)) ]
}
check "- plain HTTP to the HTTPS port: closed, nothing in the clear" t_plain_to_tls

# keyupdate k|K: a request answered, then a KeyUpdate; the server must end
# the connection by itself, with a close_notify
keyupdate() {
	rm -f $t/ku.fifo
	mkfifo $t/ku.fifo
	openssl s_client -connect 127.0.0.1:8443 -CAfile $cert -msg \
		< $t/ku.fifo > $t/out 2>&1 &
		note
	sc=$!
	exec 3> $t/ku.fifo
	printf 'GET /small HTTP/1.1\r\nHost: x\r\n\r\n' >&3
	waitfor "grep -qx '$body' $t/out" 60
	echo "$1" >&3
	# it ends while its stdin is still open: the server closed
	waitfor "ended $sc" 60
	exec 3>&-
	grep -q KEYUPDATE $t/out
	grep -q '>>> .*KeyUpdate' $t/out
	grep -q '<<< .*Alert.*close_notify' $t/out
	nope grep -qi 'unexpected eof\|errno=' $t/out
	[ "$(grep -cx "$body" $t/out)" = 1 ]
	# and the server serves on
	[ "$(hcurl $url/small)" = "$body" ]
}
t_ku_k() { keyupdate k; }
check "- a client's KeyUpdate closes cleanly (close_notify)" t_ku_k
t_ku_K() { keyupdate K; }
check "- a KeyUpdate asking for ours closes cleanly too" t_ku_K

t_ledger_a() {
	drained
	h=$(st tls_handshakes) e=$(st tls_established) f=$(st tls_failed)
	to=$(st tls_timed_out) na=$(st tls_no_agent)
	echo "# handshakes $h established $e failed $f timed_out $to no_agent $na"
	[ "$h" -gt 0 ]
	[ "$h" = $((e + f + to)) ]
	[ "$to" = 0 ]
	[ "$na" = 0 ]
	# kTLS set up both ways once per established connection, and no more
	[ $(($(kst TlsTxSw) - tx0)) = "$e" ]
	[ $(($(kst TlsRxSw) - rx0)) = "$e" ]
	[ "$(kst TlsCurrTxSw)" = "$ctx0" ]
	[ "$(kst TlsCurrRxSw)" = "$crx0" ]
	[ "$(kst TlsDecryptError)" = 0 ]
}
check "- so far: handshakes = established + failed, kTLS counted each" t_ledger_a

# ---- the deadline, the agent missing, stopped, killed --------------------------

t_timeout() {
	khttpctl config header_timeout_ms=2000
	to0=$(st tls_timed_out) h0=$(st tls_handshakes) e0=$(st tls_established)
	fl0=$(st tls_failed) fd0=$(agent_fds) tmo0=$(st conns_timed_out)
	silent $t/silent
	p=$spid
	# the agent has it, waiting for a ClientHello that does not come
	waitfor "[ \$(agent_fds) -gt $fd0 ]" 30
	waitfor "ended $p" 60
	[ ! -s $t/silent ] || [ "$(first_byte $t/silent)" = 15 ]
	# Ended once, as timed out: whether the worker's clock cancelled it
	# or the agent, given the same deadline (ta_timeout_ms) from its
	# ACCEPT, said DONE with ETIMEDOUT first.
	to=$(($(st tls_timed_out) - to0)) fl=$(($(st tls_failed) - fl0))
	echo "# tls_timed_out +$to, tls_failed +$fl"
	[ $to = 1 ]
	[ $fl = 0 ]
	# and once among the connections timed out, whoever saw it first
	[ "$(st conns_timed_out)" = $((tmo0 + 1)) ]
	[ "$(st tls_handshakes)" = $((h0 + 1)) ]
	[ "$(st tls_established)" = "$e0" ]
	waitfor "[ \$(agent_fds) -le $fd0 ]" 60
	[ "$(hcurl $url/small)" = "$body" ]
}
check "- a silent client: the handshake deadline closes it" t_timeout

t_timeout_stopped() {
	to0=$(st tls_timed_out) h0=$(st tls_handshakes)
	kill -STOP "$(agent_pid)"
	# the request waits in the upcall, taken by no agent
	hcurl -o /dev/null $url/small && { kill -CONT "$(agent_pid)"; exit 1; }
	ok=1
	waitfor "[ \$(st tls_timed_out) = $((to0 + 1)) ]" 30 || ok=0
	kill -CONT "$(agent_pid)"
	[ $ok = 1 ]
	[ "$(st tls_handshakes)" = $((h0 + 1)) ]
	# the agent, woken, finds nothing left of it, and serves the next
	[ "$(hcurl $url/small)" = "$body" ]
	alive "$(agent_pid)"
}
check "- a stopped agent: the deadline cancels the waiting handshake" t_timeout_stopped

t_no_agent() {
	agent_down TERM
	na0=$(st tls_no_agent) h0=$(st tls_handshakes)
	nope hcurl -o /dev/null $url/small
	timeout 60 openssl s_client -connect 127.0.0.1:8443 < /dev/null > $t/out 2>&1 && exit 1
	# closed without a word
	grep -q 'handshake has read 0 bytes' $t/out
	[ "$(st tls_no_agent)" = $((na0 + 2)) ]
	[ "$(st tls_handshakes)" = "$h0" ]
	[ "$(curl -s --max-time 20 http://127.0.0.1:8080/small)" = "$body" ]
	drained
	agent_up
	[ "$(hcurl $url/small)" = "$body" ]
}
check "- no agent: closed without a word (tls_no_agent), HTTP answers" t_no_agent

t_agent_killed() {
	khttpctl config header_timeout_ms=3000
	h0=$(st tls_handshakes)
	pids=
	for i in 1 2 3 4 5 6 7 8; do
		$hc -o $t/k$i $url/big &
		note
		pids="$pids $!"
	done
	# SIGKILL once the first handshakes are handed over, the rest in flight
	waitfor "[ \$(st tls_handshakes) -gt $h0 ]" 60
	agent_down KILL
	for p in $pids; do waitfor "ended $p" 90; done
	drained 60
	# nothing half sent: a client has the whole body or nothing like it
	for i in 1 2 3 4 5 6 7 8; do
		[ ! -s $t/k$i ] || [ "$(wc -c < $t/k$i)" != 3145728 ] || cmp $t/k$i $t/big
	done
	agent_up
	[ "$(hcurl $url/small)" = "$body" ]
	hcurl -o $t/got $url/big
	cmp $t/got $t/big
}
check "- the agent killed among handshakes: all end, a new agent serves" t_agent_killed

t_reset_big() {
	# curl gives up at the head (Content-Length over --max-filesize) and
	# closes with the answer unread: a reset
	tmo0=$(st conns_timed_out)
	rc=0
	hcurl --max-filesize 100000 -o /dev/null $url/big || rc=$?
	[ $rc = 63 ]
	# reads slowly, then is killed with records unread: a reset in the middle
	for f in big huge.bin; do
		rm -f $t/part
		$hc --max-time 300 --limit-rate 200k -o $t/part $url/$f &
		note
		p=$!
		waitfor "[ -s $t/part ] && [ \$(wc -c < $t/part) -ge 65536 ]" 60
		kill -KILL $p
		wait $p || true
	done
	# by the resets, not by send_timeout_ms
	drained 30
	[ "$(st conns_timed_out)" = "$tmo0" ]
	[ "$(hcurl $url/small)" = "$body" ]
	hcurl -o $t/got $url/big
	cmp $t/got $t/big
}
check "- resets in the middle of 3 and 32 MiB answers: closed, served on" t_reset_big

t_busy() {
	khttpctl config header_timeout_ms=30000
	b0=$(st tls_busy) e0=$(st tls_established)
	# more clients at once than the upcall keeps requests for (3 or 4)
	pids=
	for i in 1 2 3 4 5 6 7 8 9 10; do
		$hc -o $t/b$i $url/small &
		note
		pids="$pids $!"
	done
	for p in $pids; do wait $p; done
	for i in 1 2 3 4 5 6 7 8 9 10; do cmp $t/b$i $t/small; done
	[ "$(st tls_established)" = $((e0 + 10)) ]
	echo "# tls_busy grew by $(($(st tls_busy) - b0))"
}
check "- ten handshakes at once, beyond the upcall's queue: all served" t_busy

t_ledger_b() {
	drained 60
	h=$(st tls_handshakes) e=$(st tls_established) f=$(st tls_failed)
	to=$(st tls_timed_out) na=$(st tls_no_agent) b=$(st tls_busy)
	echo "# handshakes $h established $e failed $f timed_out $to no_agent $na busy $b"
	# each handshake handed over ended once: established, failed or timed
	# out; a connection that waited its turn (tls_busy) may also time out
	# before it was handed over
	[ $((e + f + to)) -ge "$h" ]
	[ $((e + f + to - h)) -le "$b" ]
	[ "$to" -ge 1 ]
	[ "$na" -ge 2 ]
	# kTLS once each way per established connection (or for one the agent
	# set up just before it was killed)
	tx=$(($(kst TlsTxSw) - tx0)) rx=$(($(kst TlsRxSw) - rx0))
	echo "# TlsTxSw +$tx TlsRxSw +$rx"
	[ "$tx" -ge "$e" ] && [ "$tx" -le $((e + 8)) ]
	[ "$rx" = "$tx" ]
	[ "$(kst TlsCurrTxSw)" = "$ctx0" ]
	[ "$(kst TlsCurrRxSw)" = "$crx0" ]
	[ "$(st conns_open)" = 0 ]
	# and in stats the same as in sysfs
	khttpctl --json stats | grep -q "\"tls_handshakes\":$h,\"tls_established\":$e,\"tls_failed\":$f,\"tls_timed_out\":$to,\"tls_no_agent\":$na,\"tls_busy\":$b[,}]"
}
check "- the counters add up, kTLS's with them" t_ledger_b

# ---- STOP and rmmod ------------------------------------------------------------

# STOP, then rmmod, which must end (within two minutes) and succeed.
stop_and_unload() {
	khttpctl stop
	rmmod khttpd &
	rp=$!
	waitfor "ended $rp" 120 && wait $rp
}

t_rmmod_pending() {
	kill -STOP "$(agent_pid)"
	h0=$(st tls_handshakes)
	pids=
	for i in 1 2 3 4 5 6; do
		$hc -o /dev/null $url/small &
		note
		pids="$pids $!"
	done
	# the upcall holds what it can, the rest wait their turn
	waitfor "[ \$(st conns_open) = 6 ]" 60
	waitfor "[ \$(st tls_handshakes) -ge $((h0 + 3)) ]" 60
	ok=1
	stop_and_unload || ok=0
	kill -CONT "$(agent_pid)"
	[ $ok = 1 ]
	[ ! -e /sys/module/khttpd ]
	for p in $pids; do waitfor "ended $p" 60; done
	# the agent, woken, finds nothing left for it
	sleep 1
	alive "$(agent_pid)"
}
check "- STOP and rmmod with handshakes pending (agent stopped)" t_rmmod_pending

start_again() {
	insmod $ko enabled=0 $KHTTPD_EXTRA_PARAMS
	khttpctl put /small $t/small
	khttpctl put /big $t/big
	khttpctl config header_timeout_ms="$1"
	khttpctl start --port 8080 --tls-port 8443 --root $t/root --user nobody
}

t_rmmod_held() {
	start_again 4000
	[ "$(hcurl $url/small)" = "$body" ]
	fd0=$(agent_fds)
	pids=
	for i in 1 2 3; do silent $t/held$i; pids="$pids $spid"; done
	waitfor "[ \$(agent_fds) -ge $((fd0 + 3)) ]" 60
	khttpctl stop
	rmmod khttpd
	# the agent gives up on them after the module is gone: its DONE
	# must not call into it
	waitfor "[ \$(agent_fds) -le $fd0 ]" 60
	for p in $pids; do waitfor "ended $p" 60; done
	alive "$(agent_pid)"
	# and it serves the next module
	start_again 10000
	[ "$(hcurl $url/small)" = "$body" ]
}
check "- rmmod while the agent holds cancelled handshakes; it serves on" t_rmmod_held

t_rmmod_busy() {
	rm -f $t/slow
	$hc --limit-rate 1000k -o $t/slow $url/huge.bin &
	note
	p=$!
	$hc --limit-rate 1000k -o /dev/null $url/huge.bin &
	note
	p2=$!
	waitfor "[ -s $t/slow ] && [ \$(wc -c < $t/slow) -ge 65536 ]" 60
	waitfor '[ "$(st conns_open)" = 2 ]' 30
	stop_and_unload
	[ ! -e /sys/module/khttpd ]
	# the downloads end, short
	waitfor "ended $p" 60
	waitfor "ended $p2" 60
	# cut short: 32 MiB do not fit in the socket's buffers
	nope wait $p
	[ "$(wc -c < $t/slow)" -lt 33554432 ]
}
check "- STOP and rmmod during slow HTTPS downloads" t_rmmod_busy

# ---- the upstream agent -------------------------------------------------------

# ktls-utils' tlshd answers the same netlink requests as khttpd-tlsd; where
# it is installed (the guest gets it when the host has it; Debian 12 does
# not package it), khttpd must serve HTTPS with it instead of ours.  It
# takes the certificate from its config file: khttpd asks for none.
got_small() { [ "$(hcurl $url/small)" = "$body" ]; }
t_tlshd() {
	agent_down TERM
	cat > $t/tlshd.conf <<-EOC
	[debug]
	loglevel=1
	[authenticate.server]
	x509.certificate=$cert
	x509.private_key=$key
	EOC
	tlshd -c $t/tlshd.conf > $t/tlshd.log 2>&1 &
	echo $! > $t/tlshd.pid
	start_again 10000
	tx0=$(kst TlsTxSw) rx0=$(kst TlsRxSw) e0=$(st tls_established)
	# (until tlshd listens, a handshake finds no agent and is closed)
	waitfor got_small 30
	hcurl -o $t/got1 -o $t/got2 -w '%{num_connects}\n' $url/big \
		$url/dbig.bin > $t/nc
	cmp $t/got1 $t/big
	cmp $t/got2 $t/root/dbig.bin
	[ "$(cat $t/nc | tr '\n' ' ')" = "1 0 " ]
	# every connection through kTLS both ways, the handshake counted
	e1=$(st tls_established)
	[ "$e1" -ge $((e0 + 2)) ]
	[ "$(kst TlsTxSw)" = $((tx0 + e1 - e0)) ]
	[ "$(kst TlsRxSw)" = $((rx0 + e1 - e0)) ]
	stop_and_unload
	kill "$(cat $t/tlshd.pid)"
	waitfor "ended $(cat $t/tlshd.pid)" 30
	agent_up
}
if command -v tlshd > /dev/null; then
	check "- ktls-utils' tlshd as the agent: GET, 3 MiB byte for byte, keep-alive" t_tlshd
else
	skip "- ktls-utils' tlshd as the agent" "no tlshd (Debian 12 has no ktls-utils)"
fi

# ---- uring-httpd --tls-cert ---------------------------------------------------

uurl=https://127.0.0.1:8444
t_uring_tls() {
	utx0=$(kst TlsTxSw) urx0=$(kst TlsRxSw)
	uring-httpd --root $t/root --port 8444 --threads 1 --tls-cert $cert \
		--tls-key $key 2> $t/uh.log &
	echo $! > $t/uh.pid
	waitfor "grep -q 'threads, port 8444.* tls=yes' $t/uh.log" 30
	hcurl -o $t/got $uurl/dbig.bin
	cmp $t/got $t/root/dbig.bin
	# two requests on one connection, the certificate verified
	hcurl -o $t/got1 -o $t/got2 -w '%{num_connects}\n' $uurl/dbig.bin \
		$uurl/dbig.bin > $t/nc
	[ "$(cat $t/nc | tr '\n' ' ')" = "1 0 " ]
	cmp $t/got1 $t/root/dbig.bin
	cmp $t/got2 $t/root/dbig.bin
	# two connections, each with kTLS both ways
	[ "$(kst TlsTxSw)" = $((utx0 + 2)) ]
	[ "$(kst TlsRxSw)" = $((urx0 + 2)) ]
}
check "- uring-httpd --tls-cert: 3 MiB byte for byte, keep-alive, kTLS both ways" t_uring_tls

t_uring_refused() {
	alive "$(cat $t/uh.pid)"
	utx0=$(kst TlsTxSw)
	nope hcurl -o /dev/null --tlsv1.2 --tls-max 1.2 $uurl/dbig.bin
	nope hcurl -o /dev/null --tls13-ciphers TLS_AES_128_CCM_8_SHA256 $uurl/dbig.bin
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 30 nc 127.0.0.1 8444 > $t/out 2>&1 || true
	not_clear $t/out
	[ "$(kst TlsTxSw)" = "$utx0" ]
	# and it serves on, then ends on SIGTERM
	[ "$(hcurl $uurl/dbig.bin | wc -c)" = 3145728 ]
	kill "$(cat $t/uh.pid)"
	waitfor "ended $(cat $t/uh.pid)" 30
}
check "- uring-httpd --tls-cert refuses TLS 1.2, other ciphers, plain HTTP" t_uring_refused

t_final() {
	[ ! -e /sys/module/khttpd ]
	waitfor "[ \$(kst TlsCurrTxSw) = $ctx0 ]" 30
	[ "$(kst TlsCurrRxSw)" = "$crx0" ]
	agent_down TERM
	dmesg | sed -n '/tls_test: begin$/,$p' | grep -Ef "$ere" && exit 1
	true
}
check "- after rmmod: no kTLS socket left, the agent ends, the log clean" t_final

# Whatever failed on the way: leave no module and no agent behind, and
# give the guest its memory back (the logs stay).
rm -rf $t/root $t/big $t/got* $t/part $t/slow $t/k[0-9]*
[ -e /sys/module/khttpd ] && { khttpctl stop; rmmod khttpd; }
[ -s $pidfile ] && alive "$(agent_pid)" && kill -CONT "$(agent_pid)" && kill "$(agent_pid)"
[ -s $t/uh.pid ] && alive "$(cat $t/uh.pid)" && kill "$(cat $t/uh.pid)"
if [ $failed -ne 0 ]; then
	echo "# agent log:"
	tail -n 30 $t/tlsd.log | sed 's/^/#   /'
fi
[ $n -eq $plan ] || { echo "not ok - ran $n checks, planned $plan"; failed=1; }
[ $failed -eq 0 ]
