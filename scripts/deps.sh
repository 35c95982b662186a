#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything khttpd needs to build and test, from Debian's archive.
# Idempotent: when every package is already present it only runs dpkg-query
# and returns in well under a second, so every make target can call it.
#
# The kernel is Debian's 6.12 flavour (the "linux-headers-6.12-amd64"
# meta-package pulls in the matching linux-image).  linux-source-6.12 is the
# same version's source: the build extracts kselftest_harness.h and
# checkpatch.pl from it, and the debug kernel is built from it.
set -euo pipefail

PKGS=(
	linux-headers-6.12-amd64	# module build; pulls in the vmlinuz we boot
	linux-source-6.12		# kselftest headers, checkpatch, debug kernel
	build-essential
	clang				# libFuzzer targets
	libclang-rt-14-dev
	qemu-system-x86
	busybox-static
	cpio
	liburing-dev
	libgnutls28-dev			# khttpd-tlsd: the TLS handshake agent
	openssl				# its test certificate; the guest's TLS client
	wrk
	curl
	media-types			# /etc/mime.types for khttpctl
	xz-utils
	groff-base			# man-check.sh renders the man pages
	bsdextrautils			# ... and reads them through col
)
# Extra groups of packages needed only by some targets.
case "${1:-}" in
--bench) PKGS+=(nginx-light h2o linux-perf gnuplot-nox python3) ;;
--debug) PKGS+=(flex bison bc libelf-dev libssl-dev) ;;	# a kernel build
# make deb, scripts/pkg-check.sh: the packages' tools, and DKMS itself
--pkg) PKGS+=(debhelper dh-dkms dkms dpkg-dev fakeroot lintian) ;;
# make check-system: debootstrap builds the Debian guest image, mke2fs -d
# its file systems without a loop mount, qemu-img its qcow2 and overlays.
--system) PKGS+=(debootstrap qemu-utils e2fsprogs) ;;
# make serve: mkfs.ext4 -d makes the disk image of the site, vpxenc the
# demo site's video.  The browser test (selftests/browser/) adds Chromium,
# and Node.js to drive it (a nodejs package from elsewhere, as a machine
# image may have, counts: dpkg knows it by that name).
--serve) PKGS+=(e2fsprogs vpx-tools) ;;
--browser) PKGS+=(e2fsprogs vpx-tools chromium nodejs) ;;
esac

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
