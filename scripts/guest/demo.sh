#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make run`: load khttpd, fetch / with curl, then a short wrk run.
set -e
insmod /khttpd/khttpd.ko port=8080
echo "== khttpd threads"
ps | grep '\[khttpd/' | grep -v grep
echo "== curl -i http://127.0.0.1:8080/"
curl -si http://127.0.0.1:8080/
echo
echo "== wrk -t2 -c64 -d5s http://127.0.0.1:8080/  (TCG guest: figures are slow and noisy; see make bench)"
wrk -t2 -c64 -d5s http://127.0.0.1:8080/
rmmod khttpd
dmesg | grep khttpd
