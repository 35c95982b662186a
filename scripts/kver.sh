#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the release of the Debian 6.12 kernel we build for and boot (the
# newest one whose headers are installed), e.g. 6.12.117+deb12-amd64.
# Everything that needs the kernel version asks this script.
set -eu
rel=$(ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null |
	sed 's|.*/linux-headers-||' | grep -v -e cloud -e rt- | sort -V | tail -n 1)
if [ -z "$rel" ]; then
	echo "kver: no linux-headers-6.12.*-amd64 installed (run scripts/deps.sh)" >&2
	exit 1
fi
echo "$rel"
