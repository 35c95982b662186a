#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make bench`: khttpd (also with fastpath=0), uring-httpd,
# nginx and h2o over the same content and the same wrk load, in one boot.
# The servers run on the first vCPUs, wrk on the others.  Prints one
# RESULT line per point, one SIDE line per point (syscalls and TCP
# segments, counted in a short second run of the point: see side_point),
# a profile per server (KSYM, KMOD and PROFWIN lines: see profile()) and
# NOTAVAIL for a server this build cannot run; scripts/bench.sh turns them
# into the report.
#
#   bench.sh quick|full|docroot|tls
#
# docroot: only the docroot points, over a tree on ext4 on a loop device
# (see docroot_setup): khttpd serving it with --root (khttpd-dr), khttpd
# serving its hot files from the store (khttpd), uring-httpd --root, nginx
# and h2o on the same tree.  BENCH_SECS and BENCH_REPS change its length.
#
# tls: HTTPS on port 8443, TLS 1.3 with TLS_AES_128_GCM_SHA256 and X25519,
# the test certificate (ECDSA P-256), no tickets, records by kTLS in every
# server: khttpd (--tls-port, khttpd-tlsd on the server's vCPU: its CPU is
# the server's), uring-httpd --tls-cert and nginx (ssl_conf_command
# Options KTLS, sendfile); wrk over HTTPS.  Each point checks in
# /proc/net/tls_stat that kTLS took every connection (see tls_check).
#
# For development, BENCH_SERVERS and BENCH_SCENARIOS narrow a run,
# BENCH_SCALING adds scaling points (e.g. "0-1 0-3") to a quick run,
# BENCH_PROFILE=0 skips the profiles, BENCH_RFS=0 leaves loopback
# without flow steering and UH_FLAGS adds
# uring-httpd options, e.g.
#   scripts/vm --icount --smp 6 -- env BENCH_SERVERS=uring-httpd \
#	BENCH_SCENARIOS=file1m:/1m.bin:16:1:0 UH_FLAGS=--no-splice \
#	/khttpd/scripts/bench.sh quick
set -u
mode=${1:-quick}
ncpu=$(nproc)
# where every server listens and every client goes
port=8080 scheme=http
[ "$mode" = tls ] && port=8443 scheme=https
url=$scheme://127.0.0.1:$port
tlsdir=/khttpd/tls
WRK_LUA=/khttpd/scripts/wrk.lua
export WRK_LUA

# --- content: the same files for every server ---------------------------
# The quick and full points: a tmpfs tree, which khttpd serves from its
# store (khttpctl load) and the others as their docroot.
www=/tmp/www
mkdir -p $www
printf 'Hello, World!' > $www/index.html
head -c 16384 /dev/urandom > $www/16k.bin
head -c 1048576 /dev/urandom > $www/1m.bin

# The docroot points: a tree on ext4 on a loop device over an image in
# the guest's RAM (/tmp is tmpfs), not tmpfs, so that the servers go
# through a disk filesystem's lookups and page cache: the three files
# above, and DR_SET distinct 4 KiB files s/0000.bin... for the working set.
# Mounted noatime (no journal writes from reads), the image's inode tables
# and journal written out at mkfs (no ext4lazyinit thread during the
# points), written back and read once more after a drop_caches, so every
# file is clean and hot in the page cache before the first point.
DR_IMG=/tmp/docroot.img DR_MNT=/tmp/docroot DR_SET=10000
drwww=$DR_MNT/www
docroot_setup() {
	while read -r m; do
		insmod /khttpd/fsmod/$m 2> /dev/null
	done < /khttpd/fsmod/order
	grep -qw ext4 /proc/filesystems || { echo "# docroot: no ext4" >&2; return 1; }
	[ -e /dev/loop-control ] || { echo "# docroot: no loop devices" >&2; return 1; }
	truncate -s 256M $DR_IMG &&
	mkfs.ext4 -q -F -N 16384 -E lazy_itable_init=0,lazy_journal_init=0,nodiscard \
		$DR_IMG > /dev/null &&
	mkdir -p $DR_MNT && mount -t ext4 -o loop,noatime $DR_IMG $DR_MNT || return 1
	mkdir -p $drwww/s && cp $www/index.html $www/16k.bin $www/1m.bin $drwww/ || return 1
	# DR_SET files of 4096 bytes, each its own (its number first)
	awk -v d=$drwww/s -v n=$DR_SET 'BEGIN { s = "";
		for (i = 0; i < 4086; i++) s = s sprintf("%c", 97 + i % 26);
		for (i = 0; i < n; i++) { f = sprintf("%s/%04d.bin", d, i);
			printf "%010d%s", i, s > f; close(f) } }' || return 1
	[ "$(ls $drwww/s | wc -l)" = $DR_SET ] || return 1
	chmod -R a+rX $drwww
	sync
	echo 3 > /proc/sys/vm/drop_caches
	cat $drwww/*.bin $drwww/s/*.bin > /dev/null || return 1
	echo "# docroot: $(grep " $DR_MNT " /proc/mounts), $(ls $drwww/s | wc -l) set files"
}

# Receive flow steering on loopback: a packet's receive path runs on the
# vCPU of the socket that reads it (the server's for requests, wrk's for
# responses), as with a NIC on each side.  Without it, loopback runs the
# receive path on the sending vCPU: the server's vCPU would pay for wrk's
# receive of every response, and wrk's for the server's of every request.
rfs() { # on|off
	rfs_n=0 rfs_mask=0
	if [ "$1" = on ] && [ "${BENCH_RFS:-1}" = 1 ]; then
		rfs_n=32768 rfs_mask=$(printf '%x' $(( (1 << ncpu) - 1 )))
	fi
	echo $rfs_n > /proc/sys/net/core/rps_sock_flow_entries
	echo $rfs_mask > /sys/class/net/lo/queues/rx-0/rps_cpus
	echo $rfs_n > /sys/class/net/lo/queues/rx-0/rps_flow_cnt
}
rfs on
# ss's per-connection counters come through sock_diag (modules here)
for m in inet_diag tcp_diag; do
	[ -e /khttpd/mod/$m.ko ] && insmod /khttpd/mod/$m.ko
done
# perf's tracepoints (the syscall count of side points)
[ -d /sys/kernel/tracing/events ] ||
	mount -t tracefs tracefs /sys/kernel/tracing 2> /dev/null

# cpu list "0-1" -> count
cpus_count() { case $1 in *-*) echo $(( ${1#*-} - ${1%-*} + 1 ));; *) echo 1;; esac; }

# khttpd-fp0 is khttpd loaded with fastpath=0 (no answer from the socket
# callback).  A module without that parameter logs it as unknown and
# loads anyway: then the variant is not available (status 2), not failed.
# khttpd-log is khttpd with access_log=1 and its reader, `khttpctl log
# --follow` into a file on tmpfs, on the server's vCPUs: what logging
# costs, the module's records and the reader's lines, is the server's.
start_server() { # server cpus
	case $1 in
	khttpd|khttpd-fp0|khttpd-dr|khttpd-log)
		args=
		[ "$1" = khttpd-fp0 ] && args=fastpath=0
		[ "$1" = khttpd-log ] && args=access_log=1
		unknown=$(dmesg | grep -c "khttpd: unknown parameter 'fastpath'")
		insmod /khttpd/khttpd.ko enabled=0 max_conns=100000 $args || return 1
		if [ "$(dmesg | grep -c "khttpd: unknown parameter 'fastpath'")" != "$unknown" ]; then
			rmmod khttpd
			echo "NOTAVAIL,$1,the module has no fastpath parameter"
			return 2
		fi
		f=/sys/kernel/khttpd/fastpath
		if [ "$1" = khttpd-fp0 ] && [ -r $f ] && [ "$(cat $f)" != 0 ]; then
			echo "# khttpd-fp0: $f reads $(cat $f)" >&2
			rmmod khttpd
			return 1
		fi
		if [ "$mode" = tls ]; then
			# the agent on the server's vCPUs, as its CPU is the server's
			agent_cpus=$(echo "$2" | awk -F- '{ for (i = $1; i <= ($2 == "" ? $1 : $2); i++)
				printf " --cpu %d", i }')
			khttpctl load $www > /dev/null &&
			khttpctl start --cpus "$2" --tls-port $port &&
			khttpd-tlsd --cert $tlsdir/cert.pem --key $tlsdir/key.pem \
				--port $port $agent_cpus --pidfile /tmp/tlsd.pid \
				< /dev/null > /dev/null 2> /tmp/tlsd.log || return 1
		elif [ "$mode" != docroot ]; then
			khttpctl load $www > /dev/null && khttpctl start --cpus "$2"
		elif [ "$1" = khttpd-dr ]; then
			# the tree from the page cache, no store entries
			khttpctl mime > /dev/null &&
			khttpctl start --cpus "$2" --root $drwww --user nobody
		else
			# the hot files from the store, copied from the tree
			rm -rf /tmp/hot && mkdir /tmp/hot &&
			cp $drwww/index.html $drwww/16k.bin $drwww/1m.bin /tmp/hot/ &&
			khttpctl load /tmp/hot > /dev/null && khttpctl start --cpus "$2"
		fi || return 1
		if [ "$1" = khttpd-log ]; then
			taskset -c "$2" khttpctl log --follow > /tmp/access.log 2>&1 &
			echo $! > /tmp/logreader.pid
		fi ;;
	uring-httpd)
		rm -f /tmp/uh.log
		# In the docroot points its open-file cache holds as much as
		# nginx's (20000 names, valid 60 s): the defaults (4096 per
		# thread, 1 s) would not hold the working set.
		uhroot=$www uhcache=
		[ "$mode" = docroot ] && uhroot=$drwww \
			uhcache="--open-file-cache 20000 --open-file-cache-valid-ms 60000"
		uhtls=
		[ "$mode" = tls ] && uhtls="--port $port --tls-cert $tlsdir/cert.pem \
			--tls-key $tlsdir/key.pem"
		uring-httpd --root $uhroot --cpus "$2" --max-conns 100000 $uhcache $uhtls ${UH_FLAGS:-} \
			2> /tmp/uh.log &
		echo $! > /tmp/uh.pid
		i=0
		while ! grep -q 'threads, port' /tmp/uh.log 2>/dev/null; do
			i=$((i + 1)); [ $i -gt 500 ] && return 1; usleep 10000
		done ;;
	nginx)
		n=$(cpus_count "$2")
		# one worker per server CPU, each pinned: masks 1, 10, 100...
		mask=$(awk -v n="$n" -v f="${2%-*}" 'BEGIN { for (i = 0; i < n; i++) {
			m = "1"; for (j = 0; j < f + i; j++) m = m "0"; printf " %s", m } }')
		mkdir -p /tmp/nginx
		# docroot points: an open-file cache that holds the working set
		ngroot=$www ngcache=1000
		[ "$mode" = docroot ] && ngroot=$drwww ngcache=20000
		# HTTPS: kTLS for the records (OpenSSL 3.0 takes TX only under
		# TLS 1.3: it decrypts requests itself), sendfile through it
		nglisten="$port reuseport backlog=1024" ngtls=
		[ "$mode" = tls ] && nglisten="$port ssl reuseport backlog=1024" ngtls="
		ssl_certificate $tlsdir/cert.pem;
		ssl_certificate_key $tlsdir/key.pem;
		ssl_protocols TLSv1.3;
		ssl_ecdh_curve X25519;
		ssl_session_tickets off;
		ssl_session_cache off;
		ssl_conf_command Options KTLS;
		ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;"
		cat > /tmp/nginx.conf <<EOC
user nobody nogroup;
worker_processes $n;
worker_cpu_affinity$mask;
pid /tmp/nginx.pid;
error_log /tmp/nginx/error.log error;
events { worker_connections 65536; multi_accept on; }
http {
	include /etc/nginx/mime.types;
	access_log off;
	sendfile on;
	tcp_nopush on;
	tcp_nodelay on;
	keepalive_requests 1000000;
	keepalive_timeout 5s;
	open_file_cache max=$ngcache inactive=60s;
	open_file_cache_valid 60s;
	client_body_temp_path /tmp/nginx/body;
	proxy_temp_path /tmp/nginx/proxy;
	fastcgi_temp_path /tmp/nginx/fastcgi;
	uwsgi_temp_path /tmp/nginx/uwsgi;
	scgi_temp_path /tmp/nginx/scgi;
	server {
		listen $nglisten;$ngtls
		root $ngroot;
		index index.html;
	}
}
EOC
		nginx -c /tmp/nginx.conf || return 1 ;;
	h2o)
		# As h2o's users tune it for static files: a thread per server
		# CPU (2.2 has no affinity setting: the process is pinned to the
		# server CPUs), keep-alive, no access log (none configured), no
		# compression, no HTTP/2 upgrade, file.dir on the docroot (tmpfs;
		# the ext4 tree in the docroot points).
		# The crash handler is cat: its default is a perl script.
		mkdir -p /tmp/h2o && chown nobody /tmp/h2o
		cat > /tmp/h2o.conf <<EOC
user: nobody
num-threads: $(cpus_count "$2")
max-connections: 100000
http1-request-timeout: 10
http1-upgrade-to-http2: OFF
compress: OFF
file.send-compressed: OFF
crash-handler: /bin/cat
listen:
  port: 8080
hosts:
  default:
    paths:
      /:
        file.dir: $([ "$mode" = docroot ] && echo $drwww || echo $www)
EOC
		rm -f /tmp/h2o.log
		taskset -c "$2" h2o -c /tmp/h2o.conf 2> /tmp/h2o.log &
		echo $! > /tmp/h2o.pid
		i=0
		while ! grep -q 'ready to serve' /tmp/h2o.log 2>/dev/null; do
			i=$((i + 1)); [ $i -gt 500 ] && { cat /tmp/h2o.log >&2; return 1; }
			usleep 10000
		done ;;
	esac
	# warm: connections, caches, the first second's Date
	curl -sk -o /dev/null $url/ || return 1
}

stop_server() {
	case $1 in
	khttpd|khttpd-fp0|khttpd-dr|khttpd-log)
		if [ -s /tmp/logreader.pid ]; then
			p=$(cat /tmp/logreader.pid)
			kill "$p"
			while [ -d /proc/$p ]; do usleep 10000; done
			rm -f /tmp/logreader.pid
			# LOG,lines written,records the module wrote,dropped
			echo "LOG,$(wc -l < /tmp/access.log),$(cat /sys/kernel/khttpd/stats/log_records),$(cat /sys/kernel/khttpd/stats/log_dropped)"
		fi
		if [ -s /tmp/tlsd.pid ]; then
			p=$(cat /tmp/tlsd.pid)
			kill "$p"
			while [ -d /proc/$p ]; do usleep 10000; done
			rm -f /tmp/tlsd.pid
		fi
		rmmod khttpd ;;
	uring-httpd) kill "$(cat /tmp/uh.pid)"; wait "$(cat /tmp/uh.pid)" 2>/dev/null ;;
	nginx) kill "$(cat /tmp/nginx.pid)"; while [ -e /tmp/nginx.pid ]; do usleep 10000; done ;;
	h2o) kill "$(cat /tmp/h2o.pid)"; wait "$(cat /tmp/h2o.pid)" 2>/dev/null ;;
	esac
}

# The server's processes, or khttpd's kthreads (khttpd/N)
srv_pids() { # server
	case $1 in
	khttpd|khttpd-fp0|khttpd-dr|khttpd-log|nginx)
		for d in /proc/[0-9]*; do
			read -r comm < $d/comm 2> /dev/null || continue
			case $1:$comm in
			khttpd*:khttpd/*|khttpd*:khttpd-tlsd|khttpd-log:khttpctl|nginx:nginx) echo ${d#/proc/} ;;
			esac
		done ;;
	uring-httpd) cat /tmp/uh.pid ;;
	h2o) cat /tmp/h2o.pid ;;
	esac
}

# Every thread of the server: "tid voluntary nonvoluntary" context switches
srv_switches() { # server
	for p in $(srv_pids "$1"); do
		cat /proc/$p/task/*/status 2> /dev/null
	done | awk '/^Pid:/ { t = $2 } /^voluntary_ctxt/ { v = $2 }
		/^nonvoluntary_ctxt/ { print t, v, $2 }'
}

# Counts of CPUs first..last: tasks switched in (/proc/schedstat pcount:
# switches to a task other than idle), hardware and IPI interrupts (every
# row of /proc/interrupts), NET_RX, NET_TX and TIMER softirqs.
cpu_counts() { # first last
	awk -v a="$1" -v b="$2" '
	FILENAME == "/proc/schedstat" && /^cpu[0-9]/ {
		n = substr($1, 4) + 0; if (n >= a && n <= b) pc += $10 }
	FILENAME == "/proc/interrupts" {
		if (FNR == 1) { nc = NF; next }
		if (NF < nc + 1) next	# ERR, MIS: one total
		for (i = a; i <= b; i++) irq += $(i + 2) }
	FILENAME == "/proc/softirqs" {
		for (i = a; i <= b; i++) {
			if ($1 == "NET_RX:") rx += $(i + 2)
			if ($1 == "NET_TX:") tx += $(i + 2)
			if ($1 == "TIMER:") tm += $(i + 2) } }
	END { printf "%d %d %d %d %d\n", pc, irq, rx, tx, tm }' \
		/proc/schedstat /proc/interrupts /proc/softirqs
}

# TCP counters of the server's side of each connection: "peer segs_out
# data_segs_out segs_in data_segs_in bytes_received", from ss -tin.
ss_server() {
	ss -tinH state established "( sport = :$port )" | awk -v p=":$port" '
	index($0, p " ") || index($0, p "\t") { peer = $NF; next }
	peer != "" { so = dso = si = dsi = br = 0
		for (i = 1; i <= NF; i++) {
			split($i, kv, ":")
			if (kv[1] == "segs_out") so = kv[2]
			if (kv[1] == "data_segs_out") dso = kv[2]
			if (kv[1] == "segs_in") si = kv[2]
			if (kv[1] == "data_segs_in") dsi = kv[2]
			if (kv[1] == "bytes_received") br = kv[2] }
		print peer, so, dso, si, dsi, br; peer = "" }'
}

# khttpd's own counters, where the module has them: requests, requests
# answered in the socket callback, connections it handed to the worker
khttpd_stats() {
	d=/sys/kernel/khttpd/stats
	[ -r $d/requests_fast ] && echo "$(cat $d/requests) $(cat $d/requests_fast) $(cat $d/fast_handoffs)"
}

# kTLS's counters: "TlsTxSw TlsRxSw", sockets that got kTLS in software
# for sending and for receiving (there is no NIC offload here)
tls_stat() {
	[ "$mode" = tls ] || return 0
	awk '$1 == "TlsTxSw" { t = $2 } $1 == "TlsRxSw" { r = $2 }
		END { print t + 0, r + 0 }' /proc/net/tls_stat
}

# After an HTTPS point: every connection wrk made must have had kTLS TX
# (and RX, but for nginx: OpenSSL 3.0 has no TLS 1.3 kTLS RX).  wrk made
# one connection per request with Connection: close, else $conns / its
# threads, rounded down, per thread (64 over 5 threads: 60).  Prints
# TLS,scenario,server,conns,server_cpus,rep,connections,tx,rx (the
# counters' growth), and FAILED where kTLS did not carry them all.
tls_check() { # counters-before wrk-summary
	set -- $1 $(tls_stat) "$(echo "$2" | cut -d, -f2)"
	conns_made=$((conns / threads * threads))
	[ "$close" = 1 ] && conns_made=${5:-0}
	dtx=$(($3 - $1)) drx=$(($4 - $2))
	echo "TLS,$sc,$srv,$conns,$cpus,$rep,$conns_made,$dtx,$drx"
	want_rx=$conns_made
	[ "$srv" = nginx ] && want_rx=0
	if [ "$dtx" -lt "$conns_made" ] || [ "$drx" -lt "$want_rx" ]; then
		echo "FAILED,$srv,$rep,$sc,kTLS took $dtx TX and $drx RX of $conns_made connections"
	fi
}

# Segments the network namespace sent and received (both ends: loopback)
snmp_segs() {
	awk '$1 == "Tcp:" { if (!h) { for (i = 2; i <= NF; i++) f[$i] = i; h = 1 }
		else print $f["OutSegs"], $f["InSegs"] }' /proc/net/snmp
}

# Sum of the /proc/stat fields of CPUs first..last: user system softirq
cpu_ticks() { # first last
	awk -v a="$1" -v b="$2" '/^cpu[0-9]/ { n = substr($1, 4) + 0;
		if (n >= a && n <= b) { u += $2 + $3; s += $4 + $7; q += $8 } }
		END { print u, s, q }' /proc/stat
}

# A snapshot of every vCPU's instruction count, when QEMU runs the
# vcpu_insns plugin (make bench passes it); numbered in order.  It runs on
# the last vCPU, a wrk one, to keep its own cost off the server's.
marks=0
mark() {
	taskset -c $((ncpu - 1)) khttpd-mark
	marks=$((marks + 1))
}

# One point: RESULT,scenario,server,conns,server_cpus,rep,rps,p50,p90,p99,p999,
# errors,busy%,user_us/req,sys_us/req,softirq_us/req,requests,mark0,mark1,
# then counts over the point (not per request): the server threads'
# context switches, and on the server CPUs tasks switched in, interrupts,
# NET_RX, NET_TX and TIMER softirqs; last the bytes wrk received (the
# report checks them against the body each request should have had)
run_point() { # scenario server conns path pipeline close cpus rep secs
	sc=$1 srv=$2 conns=$3 path=$4 pipe=$5 close=$6 cpus=$7 rep=$8 secs=$9
	first=${cpus%-*} last=${cpus#*-}
	wfirst=$((last + 1)) wlast=$((ncpu - 1))
	threads=$((wlast - wfirst + 1))
	[ "$threads" -gt "$conns" ] && threads=$conns
	set -- $(cpu_ticks "$first" "$last")
	u0=$1 s0=$2 q0=$3
	srv_switches "$srv" > /tmp/sw0
	c0=$(cpu_counts "$first" "$last")
	k0=$(khttpd_stats)
	t0=$(tls_stat)
	mark
	m0=$marks
	out=$(WRK_PATH=$path WRK_PIPELINE=$pipe WRK_CLOSE=$close taskset -c $wfirst-$wlast \
		wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s -s $lua \
		$url 2>&1 | grep '^WRK,')
	mark
	# no summary from wrk (its script failed, it crashed): the point failed
	[ -n "$out" ] || echo "FAILED,$srv,$rep,$sc,wrk gave no summary"
	[ "$mode" = tls ] && tls_check "$t0" "$out"
	# FAST,scenario,server,conns,server_cpus,rep,requests,requests_fast,
	# fast_handoffs: khttpd's counters over the point
	case $srv in khttpd*)
		set -- $(khttpd_stats) $k0
		[ $# = 6 ] && echo "FAST,$sc,$srv,$conns,$cpus,$rep,$(($1 - $4)),$(($2 - $5)),$(($3 - $6))" ;;
	esac
	set -- $(cpu_counts "$first" "$last") $c0
	cnt="$(($1 - $6)),$(($2 - $7)),$(($3 - $8)),$(($4 - $9)),$(($5 - ${10}))"
	srv_switches "$srv" > /tmp/sw1
	# threads alive at both ends (an io-wq worker that exits is lost)
	sw=$(awk 'NR == FNR { v[$1] = $2; n[$1] = $3; next }
		$1 in v { s += $2 - v[$1] + $3 - n[$1] } END { print s + 0 }' /tmp/sw0 /tmp/sw1)
	set -- $(cpu_ticks "$first" "$last")
	du=$(($1 - u0)) ds=$(($2 - s0)) dq=$(($3 - q0))
	# Busy share against elapsed time, not against busy + idle: the
	# nohz idle time counts softirq work done from the idle loop too.
	echo "$out" | awk -F, -v sc="$sc" -v srv="$srv" -v c="$conns" -v cpus="$cpus" \
		-v rep="$rep" -v du="$du" -v ds="$ds" -v dq="$dq" \
		-v n="$(cpus_count "$cpus")" -v m0="$m0" -v m1="$marks" \
		-v sw="$sw" -v cnt="$cnt" '{
		req = $2; secs = $3 / 1e6;
		busy = secs ? (du + ds + dq) / (secs * 100 * n) * 100 : 0;
		per = req ? 10000 / req : 0;	# one tick = 10000 us
		printf "RESULT,%s,%s,%d,%s,%d,%.0f,%d,%d,%d,%d,%d,%.1f,%.2f,%.2f,%.2f,%d,%d,%d,%d,%s,%.0f\n",
			sc, srv, c, cpus, rep, req / secs, $6, $7, $8, $9, $4 + $5,
			busy, du * per, ds * per, dq * per, req, m0, m1, sw, cnt, $10 }'
}

# The point once more, briefly, for what counting would perturb:
#   SIDE,scenario,server,conns,server_cpus,rep,requests,syscalls,ss_requests,
#   segs_out,data_segs_out,segs_in,data_segs_in,ns_out_segs,ns_in_segs
# syscalls: raw_syscalls:sys_enter counted by perf on the server's
# processes (or khttpd's kthreads), whose tracepoint would add to every
# syscall in a measured point; "-" if perf could not count.  Segments: ss
# samples the server's side of every connection twice, a third and nine
# tenths into the run; connections alive at both give the deltas, and the
# requests between as the bytes they received over one request's length
# (wrk's requests are all alike).  Connections that live less than that
# (Connection: close) are not seen: ss_requests is then 0.  ns_*: the
# namespace's Tcp OutSegs and InSegs over the run, both ends together.
side_point() { # as run_point
	sc=$1 srv=$2 conns=$3 path=$4 pipe=$5 close=$6 cpus=$7 rep=$8
	last=${cpus#*-}
	wfirst=$((last + 1)) wlast=$((ncpu - 1))
	threads=$((wlast - wfirst + 1))
	[ "$threads" -gt "$conns" ] && threads=$conns
	hdr=
	[ "$close" = 1 ] && hdr='Connection: close\r\n'
	# a Range header (a random one: as long as most of them)
	[ -n "$WRK_RANGE" ] && hdr="${hdr}Range: $WRK_RANGE\r\n"
	[ -n "$WRK_RANGE_LEN" ] && hdr="${hdr}Range: bytes=100000-165535\r\n"
	# one request's length (wrk.format: the request line, Host, ours)
	reqlen=$(printf "GET %s HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n$hdr\r\n" "$path" | wc -c)
	# HTTPS: wrk writes each request as one TLS 1.3 record, whose header,
	# content type and AES-GCM tag add 22 bytes
	[ "$mode" = tls ] && reqlen=$((reqlen + 22))
	pids=$(srv_pids "$srv" | tr '\n' , | sed 's/,$//')
	ms=$((side_secs * 1000))
	( usleep $((ms * 333)); ss_server > /tmp/ss0
	  usleep $((ms * 567)); ss_server > /tmp/ss1 ) &
	sampler=$!
	set -- $(snmp_segs)
	no0=$1 ni0=$2
	out=$(WRK_PATH=$path WRK_PIPELINE=$pipe WRK_CLOSE=$close taskset -c $((ncpu - 1)) \
		perf stat -x, -o /tmp/perf-stat -e raw_syscalls:sys_enter -p "$pids" -- \
		taskset -c $wfirst-$wlast wrk -t"$threads" -c"$conns" -d"${side_secs}s" \
		--timeout 10s -s $lua $url 2>&1 | grep '^WRK,')
	set -- $(snmp_segs)
	no=$(($1 - no0)) ni=$(($2 - ni0))
	wait $sampler
	sys=$(awk -F, '$3 ~ /raw_syscalls:sys_enter/ && $1 ~ /^[0-9]+$/ { print $1 }' /tmp/perf-stat)
	segs=$(awk -v len="$reqlen" 'NR == FNR { for (i = 2; i <= 6; i++) a[$1, i] = $i; next }
		($1, 2) in a { for (i = 2; i <= 6; i++) d[i] += $i - a[$1, i] }
		END { printf "%d,%d,%d,%d,%d", d[6] / len, d[2], d[3], d[4], d[5] }' /tmp/ss0 /tmp/ss1)
	echo "$out" | awk -F, -v p="SIDE,$sc,$srv,$conns,$cpus,$rep" -v sys="${sys:--}" \
		-v segs="$segs" -v ns="$no,$ni" '{ print p "," $2 "," sys "," segs "," ns }'
}

# The profile: exact instruction counts of the server's vCPU, per block
# start address, from the vcpu_insns plugin (bench/vcpu_insns.c), over the
# keep-alive 13 B load (the docroot points: their 16 KiB and 1 MiB loads),
# with flow steering on as in the measured points.
# (perf's cpu-clock sampling is skewed under TCG: with flow steering its
# samples pile up on handle_softirqs, and without it khttpd's answers
# from the socket callback never run on the server's vCPU.)  The host
# maps addresses to symbols: the kernel's text symbols once per boot,
#   KSYM <addr> <name>
# and, per window, the modules' (khttpd.ko moves from one load to the next)
#   KMOD <win> <addr> <name> [module]
# then PROFWIN,server,win,mark0,mark1,requests,load: the plugin's window
# <win> inside the marks mark0..mark1, wrk's requests in it, and the
# scenario whose load it ran.
kallsyms() { # prefix: core (KSYM) or module (KMOD <win>) text symbols
	# A module's lines have a fourth field, [module].  The __pfx_ symbols
	# (half of them) name the padding before each function, which runs
	# only with call-depth tracking: left out, to halve the log.
	nf=3
	[ "$1" = KSYM ] || nf=4
	awk -v p="$1" -v nf=$nf 'NF == nf && ($2 == "t" || $2 == "T") &&
		substr($3, 1, 6) != "__pfx_" {
		if (nf == 3) print p, $1, $3; else print p, $1, $3, $4 }' /proc/kallsyms
}
prof_windows=0
profile() { # server [scenario path conns]
	psc=${2:-ka13} ppath=${3:-/} pconns=${4:-64}
	if [ "$prof_windows" = 0 ]; then
		echo 0 > /proc/sys/kernel/kptr_restrict
		kallsyms KSYM
	fi
	prof_windows=$((prof_windows + 1))
	kallsyms "KMOD $prof_windows"
	mark
	m0=$marks
	taskset -c 0 khttpd-mark prof-start
	out=$(WRK_PATH=$ppath WRK_PIPELINE=1 WRK_CLOSE=0 WRK_RANGE= taskset -c 1-$((ncpu - 1)) \
		wrk -t$((ncpu - 1)) -c$pconns -d2s -s $WRK_LUA $url 2>&1 |
		grep '^WRK,')
	taskset -c $((ncpu - 1)) khttpd-mark prof-stop
	mark
	echo "$out" | awk -F, -v p="PROFWIN,$1,$prof_windows,$m0,$marks" \
		-v l="$psc" '{ print p "," $2 "," l }'
}

servers=${BENCH_SERVERS:-khttpd khttpd-fp0 uring-httpd nginx h2o}
side_secs=1
if [ "$mode" = tls ]; then
	secs=${BENCH_SECS:-5} reps=${BENCH_REPS:-2}
	servers=${BENCH_SERVERS:-khttpd uring-httpd nginx}
	scenarios="tka13:/:64:1:0 tka16k:/16k.bin:64:1:0 tfile1m:/1m.bin:16:1:0 tchurn:/:64:1:1"
	scenarios=${BENCH_SCENARIOS:-$scenarios}
	sweep= scaling=
	# wrk and curl (OpenSSL): TLS 1.3, one cipher and group; the
	# servers send no tickets, so every connection is a full handshake
	cat > /tmp/openssl-bench.cnf <<EOC
openssl_conf = oc
[oc]
ssl_conf = sc
[sc]
system_default = sd
[sd]
MinProtocol = TLSv1.3
MaxProtocol = TLSv1.3
Ciphersuites = TLS_AES_128_GCM_SHA256
Groups = X25519
EOC
	export OPENSSL_CONF=/tmp/openssl-bench.cnf
	/khttpd/scripts/load-tls.sh -q || { echo "# tls: kTLS does not load" >&2; exit 1; }
	echo "# tls: $(grep -c . /proc/net/tls_stat) kTLS counters; gcm(aes) by" \
		"$(awk '$1 == "name" { n = $3 } $1 == "driver" && n == "gcm(aes)" { print $3; exit }' /proc/crypto)"
elif [ "$mode" = docroot ]; then
	# khttpd: its store (the hot files only: no dr10k); khttpd-dr: --root
	secs=${BENCH_SECS:-5} reps=${BENCH_REPS:-2}
	servers=${BENCH_SERVERS:-khttpd khttpd-dr uring-httpd nginx h2o}
	scenarios="dr16k:/16k.bin:64:1:0 dr1m:/1m.bin:16:1:0 dr10k:/s/0000.bin:64:1:0 rng4k:/1m.bin:64:1:0 rng64k:/1m.bin:64:1:0"
	scenarios=${BENCH_SCENARIOS:-$scenarios}
	sweep= scaling=
elif [ "$mode" = quick ]; then
	secs=2 reps=1
	scenarios="ka13:/:64:1:0 ka16k:/16k.bin:64:1:0 file1m:/1m.bin:16:1:0 pipe16:/:64:16:0 churn:/:64:1:1"
	sweep="" scaling=${BENCH_SCALING:-}
	scenarios=${BENCH_SCENARIOS:-$scenarios}
else
	secs=5 reps=3
	scenarios="ka13:/:64:1:0 ka16k:/16k.bin:64:1:0 file1m:/1m.bin:16:1:0 pipe16:/:64:16:0 churn:/:64:1:1"
	sweep="8 256 1024"
	scaling="0-1 0-3"
fi
# A point a server does not run: khttpd's store holds only the hot files
skip() { # server scenario
	[ "$mode" = docroot ] && [ "$1" = khttpd ] && [ "$2" = dr10k ]
}
nsrv=$(echo $servers | wc -w)
npoints=0
for s in $scenarios $sweep $scaling; do
	for srv in $servers; do
		skip $srv ${s%%:*} || npoints=$((npoints + reps))
	done
done
echo "# bench: $mode, $ncpu vCPUs, $npoints points of ${secs}s, server on vCPU 0"
echo "# kernel $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"

# The wrk script of a scenario, and its settings (exported: wrk's Lua
# reads them): lua, WRK_RANGE (a static Range), WRK_SET (a random file of
# the set per request), WRK_RANGE_LEN and _SIZE (a random range per request)
wrk_for() { # scenario
	lua=$WRK_LUA WRK_RANGE= WRK_SET= WRK_RANGE_LEN= WRK_RANGE_SIZE=
	case $1 in
	dr10k) lua=/khttpd/scripts/wrk-docroot.lua WRK_SET=$DR_SET ;;
	rng4k) WRK_RANGE=bytes=0-4095 ;;
	rng64k) lua=/khttpd/scripts/wrk-docroot.lua WRK_RANGE_LEN=65536 WRK_RANGE_SIZE=1048576 ;;
	esac
	export WRK_RANGE WRK_SET WRK_RANGE_LEN WRK_RANGE_SIZE
}
wrk_for none

done_pts=0
point() { # as run_point
	done_pts=$((done_pts + 1))
	echo "# [$done_pts/$npoints] $1 $2 c=$3 cpus=$7 rep=$8" >&2
	wrk_for "$1"
	# The working set: a second of the same load first, unmeasured, so
	# that every server's caches have seen the set (the page cache has)
	if [ "$1" = dr10k ]; then
		WRK_PATH=$4 WRK_PIPELINE=1 WRK_CLOSE=0 taskset -c 1-$((ncpu - 1)) \
			wrk -t$((ncpu - 1)) -c"$3" -d1s --timeout 10s -s $lua \
			$url > /dev/null 2>&1
	fi
	run_point "$@"
	side_point "$@"
	wrk_for none
}

# The docroot points' answers, checked byte for byte against the files
# before a server is measured (a server that answers otherwise has its
# points reported as failed, never as figures)
dr_get() { # path status file [range]
	if [ -n "${4:-}" ]; then
		code=$(curl -sk -o /tmp/chk -w '%{http_code}' -H "Range: bytes=$4" \
			"$url$1")
	else
		code=$(curl -sk -o /tmp/chk -w '%{http_code}' "$url$1")
	fi
	[ "$code" = "$2" ] && cmp -s /tmp/chk "$3" ||
		{ echo "# $srv: $1 ${4:+bytes=$4 }gave $code, not $2 with $3's bytes" >&2; return 1; }
}
dr_check() { # server
	head -c 4096 $drwww/1m.bin > /tmp/want-r4k
	tail -c +100001 $drwww/1m.bin | head -c 65536 > /tmp/want-r64k
	dr_get / 200 $drwww/index.html && dr_get /16k.bin 200 $drwww/16k.bin &&
	dr_get /1m.bin 200 $drwww/1m.bin && dr_get /1m.bin 206 /tmp/want-r4k 0-4095 &&
	dr_get /1m.bin 206 /tmp/want-r64k 100000-165535 || return 1
	[ "$1" = khttpd ] && return 0
	dr_get /s/0000.bin 200 $drwww/s/0000.bin && dr_get /s/1234.bin 200 $drwww/s/1234.bin &&
	dr_get /s/9999.bin 200 $drwww/s/9999.bin
}

if [ "$mode" = docroot ]; then
	docroot_setup || { echo "# docroot: setting up the ext4 tree failed" >&2; exit 1; }
	# khttpd's docroot work items (lookups, cold reads) run on an unbound
	# workqueue: kept on the server's vCPU, so that their instructions
	# count as the server's and not as wrk's
	wq=/sys/devices/virtual/workqueue/cpumask
	echo 1 > $wq || { echo "# docroot: cannot set $wq" >&2; exit 1; }
	echo "# docroot: unbound workqueues on vCPU 0 ($wq $(cat $wq))"
fi

# Repetitions interleave the servers, so that drift hits all alike.
for rep in $(seq 1 $reps); do
	for srv in $servers; do
		start_server $srv 0
		case $? in
		0) ;;
		2) continue ;;	# not available: said so on NOTAVAIL
		*) echo "# $srv failed to start" >&2
		   echo "FAILED,$srv,$rep,all,failed to start"; continue ;;
		esac
		if [ "$mode" = tls ] && ! { dr_get / 200 $www/index.html &&
		     dr_get /16k.bin 200 $www/16k.bin && dr_get /1m.bin 200 $www/1m.bin; }; then
			echo "FAILED,$srv,$rep,all,HTTPS answers differ from the files"
			stop_server $srv
			continue
		fi
		if [ "$mode" = docroot ] && ! dr_check $srv; then
			echo "FAILED,$srv,$rep,all,answers differ from the files"
			stop_server $srv
			continue
		fi
		for s in $scenarios; do
			IFS=: read -r sc path conns pipe close <<EOS
$s
EOS
			skip $srv $sc && continue
			point "$sc" $srv "$conns" "$path" "$pipe" "$close" 0 "$rep" "$secs"
		done
		for c in $sweep; do
			point sweep $srv "$c" / 1 0 0 "$rep" "$secs"
		done
		if [ "$rep" = 1 ] && [ $srv != khttpd-fp0 ] && [ "${BENCH_PROFILE:-1}" = 1 ]; then
			if [ "$mode" = tls ]; then
				profile $srv tka13 / 64
			elif [ "$mode" != docroot ]; then
				profile $srv
			else
				# the 1 MiB answer of every server; khttpd's
				# store and docroot also at 16 KiB (the 10% target)
				profile $srv dr1m /1m.bin 16
				case $srv in khttpd|khttpd-dr)
					profile $srv dr16k /16k.bin 64 ;;
				esac
			fi
		fi
		stop_server $srv
		for cpus in $scaling; do
			start_server $srv "$cpus" || continue
			point scaling $srv 64 / 1 0 "$cpus" "$rep" "$secs"
			stop_server $srv
		done
	done
done
echo "# bench: done, $marks marks"
