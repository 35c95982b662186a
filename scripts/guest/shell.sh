#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make shell`: an interactive guest shell with khttpd loaded on port 8080.
insmod /khttpd/khttpd.ko port=8080 && echo "khttpd loaded: curl -i http://127.0.0.1:8080/"
echo "module: /khttpd/khttpd.ko  tests: /khttpd/selftests  leave: poweroff -f (or Ctrl-A x)"
exec sh
