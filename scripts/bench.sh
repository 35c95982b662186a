#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: khttpd, uring-httpd, nginx and h2o measured side by side in one
# guest whose time counts instructions (--icount), so that figures repeat
# whatever the host is doing.  QEMU runs our vcpu_insns plugin
# (bench/vcpu_insns.c), so each point also has every vCPU's instruction
# count: what the server's own vCPUs spent, and an exact profile of the
# server's vCPU per kernel symbol.  Results go to bench/results/
# (CSV, markdown, PNG charts); scripts/bench_report.py writes them.
#
#   scripts/bench.sh [quick|full|docroot|tls]
#
# docroot runs only the docroot points (khttpd's docroot beside its store,
# uring-httpd, nginx and h2o, over a tree on ext4 in the guest; see
# scripts/guest/bench.sh), about half an hour; BENCH_SECS and BENCH_REPS
# (default 5 and 2) change its length.  tls runs only the HTTPS points
# (khttpd, uring-httpd and nginx, each with kTLS), with the same two.  BENCH_SERVERS, BENCH_SCENARIOS and
# BENCH_PROFILE narrow a run (scripts/guest/bench.sh); BENCH_OUT sends its
# results elsewhere than bench/results, so that a narrow run made while
# developing does not overwrite the published ones.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-full}
case $mode in quick|full|docroot|tls) ;; *) echo "usage: $0 [quick|full|docroot|tls]" >&2; exit 2 ;; esac
BUILD=${BUILD:-$PWD/build}
out=${BENCH_OUT:-bench/results}
mkdir -p "$out"
log=$BUILD/bench-$mode.log
insns=$BUILD/bench-$mode.insns
rm -f "$insns"

# Server on vCPU 0, wrk on the rest; the scaling points use 0-1 and 0-3.
smp=6
[ "$mode" = full ] && smp=8
echo "bench: $mode run, $smp vCPUs under -icount; progress below, log in $log"
start=$(date +%s)
KHTTPD_VMDIR=$BUILD/vm-bench scripts/vm --icount --smp $smp --mem 2048 --timeout 10800 \
	--insns "$insns" -- \
	env BENCH_SECS="${BENCH_SECS:-}" BENCH_REPS="${BENCH_REPS:-}" \
	${BENCH_SERVERS:+BENCH_SERVERS="$BENCH_SERVERS"} \
	${BENCH_SCENARIOS:+BENCH_SCENARIOS="$BENCH_SCENARIOS"} \
	${BENCH_PROFILE:+BENCH_PROFILE="$BENCH_PROFILE"} \
	/khttpd/scripts/bench.sh "$mode" 2>&1 | tee "$log" |
	grep --line-buffered -E '^# |RESULT' |
	while IFS= read -r line; do
		printf '[%4ds] %s\n' $(( $(date +%s) - start )) "$line"
	done
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
	echo "bench: the guest run failed ($status); see $log" >&2
	exit 1
fi
# one snapshot per mark the guest made, and one more at QEMU's exit
want=$(sed -n 's/^# bench: done, \([0-9]*\) marks.*/\1/p' "$log")
have=$(grep -c '^MARK ' "$insns" || true)
if [ -z "$want" ] || [ "$have" -ne $((want + 1)) ]; then
	echo "bench: the guest made ${want:-?} marks, the plugin saw $((have - 1))" >&2
	exit 1
fi
grep '^RESULT,' "$log" > "$out/raw-$mode.csv"
grep '^SIDE,' "$log" > "$out/side-$mode.csv" || true
grep '^FAST,' "$log" > "$out/fast-$mode.csv" || true
grep '^NOTAVAIL,' "$log" | sort -u > "$out/notavail-$mode.csv" || true
grep '^FAILED,' "$log" > "$out/failed-$mode.csv" || true
grep '^TLS,' "$log" > "$out/tls-$mode.csv" || true
# The profile windows' PROF lines (a block address each) and the guest's
# kernel symbols stay in $BUILD: the report keeps their per-symbol sums.
grep -v '^PROF ' "$insns" > "$out/insns-$mode.txt"
syms=$BUILD/bench-$mode.syms
grep -aE '^(KSYM|KMOD) |^PROFWIN,' "$log" > "$syms" || true
grep -E '^# (kernel|docroot|tls)' "$log" > "$out/meta-$mode.txt" || true
echo "vcpus $smp" >> "$out/meta-$mode.txt"
python3 scripts/bench_report.py "$mode" "$out" "$insns" "$syms"
echo "bench: results in $out/results-$mode.md and $out/*.png"
