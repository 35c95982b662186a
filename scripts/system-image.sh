#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) and print the path of make check-system's guest: a Debian 12
# (bookworm) system made with debootstrap from the archive this host's apt
# uses, holding scripts/system-guest/packages, with systemd as init and
# Debian's kernel $KVER (scripts/kver.sh) and its initramfs.
#
#   scripts/system-image.sh        print DIR; DIR/root.qcow2, DIR/vmlinuz,
#                                  DIR/initrd.img (builds DIR if missing)
#
# DIR is $BUILD/system/bookworm-<hash>; the hash covers the package list
# (with the kernel's version filled in), the files this script puts in the
# image and its IMAGE_REV, so a change to any of them makes a new image and
# an unchanged tree reuses the old one.  Runs boot qcow2 overlays of
# root.qcow2 and never write to it.  Older images are left for `make
# clean`.  Needs root (debootstrap, chroot) and debootstrap.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
guest=$top/scripts/system-guest
KVER=$("$top/scripts/kver.sh")
# The guest's headers must be the host's: DKMS in the guest builds what
# make module builds here.
KPKG=$(dpkg-query -W -f='${Version}' "linux-headers-$KVER")
SUITE=bookworm
# Bump when a change here changes what the image holds (the list and the
# guest files are hashed as they are): the hash then names a new image.
IMAGE_REV=1

# The host's Debian mirror (the only one reachable): the first deb.debian.org
# style URI of its sources that serves $SUITE, deb822 or one-line format.
mirror() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk -v s="$SUITE" '
			/^URIs:/ { u = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s && u != "") { print u; exit } }
			/^deb / { for (i = 2; i < NF; i++) if ($i ~ /^[a-z]+:\/\// && $(i + 1) == s) { print $i; exit } }
		' "$f"
	done | head -n 1
}
MIRROR=${KHTTPD_MIRROR:-$(mirror)}
[ -n "$MIRROR" ] || { echo "system-image: no $SUITE mirror in /etc/apt" >&2; exit 2; }
# Security updates (where Debian's newest 6.12 lives) are at the mirror's
# sibling debian-security, as in Debian's default sources.
SECURITY=${KHTTPD_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}

# The list, comments dropped, the kernel filled in: what is hashed and
# installed.
pkgs=$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$guest/packages" |
	sed -e "s/\$KVER/$KVER/g" -e "s/\$KPKG/$KPKG/g")
hash=$({ echo "$SUITE $IMAGE_REV"; echo "$pkgs"; cat "$guest/khttpd-check" \
	"$guest/khttpd-check.service"; } | sha256sum | cut -c1-16)
dir=$BUILD/system/$SUITE-$hash

if [ -s "$dir/root.qcow2" ] && [ -s "$dir/vmlinuz" ] && [ -s "$dir/initrd.img" ]; then
	echo "$dir"
	exit 0
fi

[ "$(id -u)" -eq 0 ] || { echo "system-image: debootstrap needs root" >&2; exit 2; }
command -v debootstrap > /dev/null ||
	{ echo "system-image: no debootstrap (scripts/deps.sh --system)" >&2; exit 2; }

echo "system-image: building $dir from $MIRROR (takes minutes)" >&2
tmp=$dir.tmp
rootfs=$tmp/rootfs
umount_all() {
	local m
	for m in dev/pts dev proc sys; do
		mountpoint -q "$rootfs/$m" 2> /dev/null && umount -l "$rootfs/$m"
	done
	return 0
}
trap 'umount_all' EXIT
umount_all
rm -rf "$tmp"
mkdir -p "$rootfs"

# minbase: apt and dpkg only; the list adds the rest.  The log stays in
# $tmp (and moves to $dir) for when the archive misbehaves.
log=$tmp/build.log
debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" > "$log" 2>&1 ||
	{ tail -n 20 "$log" >&2; echo "system-image: debootstrap failed; log: $log" >&2; exit 1; }

cat > "$rootfs/etc/apt/sources.list" <<EOS
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY $SUITE-security main
EOS
# Nothing starts services inside the chroot.
printf '#!/bin/sh\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"
chmod 755 "$rootfs/usr/sbin/policy-rc.d"
mount -t proc proc "$rootfs/proc"
mount -t sysfs sysfs "$rootfs/sys"
mount --bind /dev "$rootfs/dev"
mount --bind /dev/pts "$rootfs/dev/pts"

# shellcheck disable=SC2086  # $pkgs is one package a word
chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 sh -ec '
	apt-get update -q
	apt-get install -y -q --no-install-recommends '"$(echo $pkgs)"'
	apt-get clean
' >> "$log" 2>&1 ||
	{ tail -n 20 "$log" >&2; echo "system-image: package install failed; log: $log" >&2; exit 1; }
umount_all
rm -f "$rootfs/usr/sbin/policy-rc.d"
# The guest is offline: no package lists, so apt in the guest resolves
# against what is installed and fails at once on anything missing rather
# than trying the network.
rm -rf "$rootfs"/var/lib/apt/lists/*

[ -s "$rootfs/boot/vmlinuz-$KVER" ] && [ -s "$rootfs/boot/initrd.img-$KVER" ] ||
	{ echo "system-image: no kernel or initramfs for $KVER in the image" >&2; exit 1; }

# --- the system's configuration -----------------------------------------
echo khttpd-check > "$rootfs/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 khttpd-check\n::1 localhost\n' > "$rootfs/etc/hosts"
cat > "$rootfs/etc/fstab" <<'EOS'
/dev/vda		/		ext4	rw,errors=remount-ro	0 0
# the run's check disk (scripts/check-system.sh): its run.sh and token
LABEL=khttpd-check	/mnt/check	ext4	ro,nofail,x-systemd.device-timeout=30s	0 0
EOS
mkdir -p "$rootfs/mnt/check"
# A machine id of its own, so that this is no first boot: systemd-firstboot
# would otherwise prompt on the console.
rm -f "$rootfs/etc/machine-id"
chroot "$rootfs" systemd-machine-id-setup > /dev/null 2>&1
# No login prompt on the serial console: the TAP goes there.
ln -sf /dev/null "$rootfs/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$rootfs/etc/systemd/system/getty@tty1.service"
install -m 755 "$guest/khttpd-check" "$rootfs/usr/local/sbin/khttpd-check"
install -m 644 "$guest/khttpd-check.service" "$rootfs/etc/systemd/system/"
chroot "$rootfs" systemctl enable khttpd-check.service > /dev/null 2>&1

cp "$rootfs/boot/vmlinuz-$KVER" "$tmp/vmlinuz"
cp "$rootfs/boot/initrd.img-$KVER" "$tmp/initrd.img"

# The root file system: ext4 made from the tree (no loop mount), with room
# for DKMS's build and the packages under test; a sparse raw file turned
# into qcow2.
used=$(du -sm "$rootfs" | cut -f1)
# (stdout is the image's path alone: mke2fs's chatter goes to the log)
mke2fs -q -t ext4 -L khttpd-root -d "$rootfs" "$tmp/root.raw" \
	"$((used + used / 2 + 1024))M" >> "$log"
qemu-img convert -O qcow2 "$tmp/root.raw" "$tmp/root.qcow2"
rm -rf "$tmp/root.raw" "$rootfs"
printf '%s\n' "$pkgs" > "$tmp/packages"
rm -rf "$dir"
mv "$tmp" "$dir"
echo "$dir"
