#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Put the TCG plugin API header (qemu-plugin.h) of the installed QEMU in
# DESTDIR, for bench/vcpu_insns.c.  Debian ships QEMU with plugin support
# but not the header, so it comes from the source package of the same
# release, fetched from the same archive as every other dependency: the
# deb-src entries are made from this machine's own apt sources, in a
# private apt state under DESTDIR (the system's apt setup is not touched).
# The header is extracted, never committed; the sources are then deleted.
#
#   scripts/qemu-plugin-header.sh DESTDIR
set -euo pipefail
dest=${1:?usage: $0 DESTDIR}
[ -e "$dest/qemu-plugin.h" ] && exit 0
apt=$dest/apt
rm -rf "$apt"
mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/archives/partial"

# deb-src twins of the configured archives (deb822 and one-line formats)
for f in /etc/apt/sources.list.d/*.sources; do
	[ -e "$f" ] || continue
	sed -E 's/^Types:.*/Types: deb-src/' "$f" > "$apt/sources.list.d/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -e "$f" ] || continue
	sed -nE 's/^deb[[:space:]]/deb-src /p' "$f"
done > "$apt/sources.list"

opts=(-q -o "Dir::Etc::SourceList=$apt/sources.list"
      -o "Dir::Etc::SourceParts=$apt/sources.list.d"
      -o "Dir::State::Lists=$apt/lists"
      -o "Dir::Cache::Archives=$apt/archives"
      -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
      -o "APT::Sandbox::User=root")
echo "  FETCH qemu source package (for qemu-plugin.h)" >&2
apt-get "${opts[@]}" update > "$apt/update.log" 2>&1 ||
	{ cat "$apt/update.log" >&2; exit 1; }
# The source version of the installed binary package; its API header is
# what the plugin must be built against.
ver=$(dpkg-query -W -f='${source:Version}' qemu-system-x86)
cd "$apt"
apt-get "${opts[@]}" source --download-only "qemu=${ver#*:}" > source.log 2>&1 ||
	apt-get "${opts[@]}" source --download-only qemu >> source.log 2>&1 ||
	{ cat source.log >&2; exit 1; }
tar -xJf qemu_*.orig.tar.* --no-same-owner --wildcards --strip-components=3 \
	-C "$dest" '*/include/qemu/qemu-plugin.h'
cd /
rm -rf "$apt"
[ -e "$dest/qemu-plugin.h" ]
