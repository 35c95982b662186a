#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) the debug kernel of `make check-debug` from linux-source-6.12:
# allnoconfig plus scripts/debug.config.  The tree is kept in
# $BUILD/debug-kernel and rebuilt only when the fragment or the source
# package changes.  Prints the path of the tree (usable as KDIR; its
# arch/x86/boot/bzImage is the guest kernel).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
tar=${KSRC_TAR:-/usr/src/linux-source-6.12.tar.xz}
frag=$top/scripts/debug.config
dir=$BUILD/debug-kernel
key=$( (sha256sum < "$frag"; stat -c '%s %Y' "$tar") | sha256sum | cut -c1-16)

if [ -f "$dir/.built-$key" ]; then
	echo "$dir"
	exit 0
fi
"$top/scripts/deps.sh" --debug
rm -rf "$dir"
mkdir -p "$dir"
echo "debug-kernel: extracting $tar" >&2
tar -xJf "$tar" -C "$dir" --strip-components=1
cd "$dir"
echo "debug-kernel: allnoconfig + $frag" >&2
make -s ARCH=x86_64 KCONFIG_ALLCONFIG="$frag" allnoconfig >&2
# Kconfig silently drops what it cannot satisfy: a checker missing here
# would make every debug run a false assurance, so refuse.
bad=0
while IFS= read -r line; do
	case "$line" in CONFIG_*=*) ;; *) continue ;; esac
	if ! grep -qx "$line" .config; then
		echo "debug-kernel: $line did not take (got: $(grep "^${line%%=*}=" .config || echo unset))" >&2
		bad=1
	fi
done < "$frag"
[ $bad -eq 0 ] || exit 1
echo "debug-kernel: building (several minutes, once)" >&2
make -s ARCH=x86_64 -j"$(nproc)" >&2
touch ".built-$key"
echo "$dir"
