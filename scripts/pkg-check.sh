#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host checks of the packaging, as TAP: make deb and lintian, the packages'
# contents, make install / uninstall into a DESTDIR, the installed unit
# (systemd-analyze verify) and a DKMS build of khttpd-dkms's source against
# the installed 6.12 headers.  Nothing outside a temporary directory is
# written: DKMS gets its own trees (--dkmstree, --sourcetree,
# --installtree) and signing key, and is never asked to install, which
# would run depmod on the system.  Each step's time is printed as a TAP
# comment.  A check is skipped only when its tool is not installed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-$PWD/build}
export BUILD
KVER=$(scripts/kver.sh) || exit 1
VERSION=$(sed -n 's/^#define KHTTPD_RELEASE "\(.*\)"$/\1/p' kmod/ctl.h)
DEB=$BUILD/deb
T=$(mktemp -d /tmp/khttpd-pkg.XXXXXX)
trap 'rm -rf "$T"' EXIT

n=0 t0=$SECONDS step=$SECONDS
failed=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
	fi
}
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}
# The time since the last call, with what it was spent on.
timed() {
	echo "# $1: $((SECONDS - step))s"
	step=$SECONDS
}
# a check of a package that is not there
nopkg() {
	if have dpkg-buildpackage && have dh && have dh_dkms; then
		ok 1 "$1 ($nodeb)"
	else
		skip "$1" "$nodeb"
	fi
}
have() {
	command -v "$1" > /dev/null
}
# Print the lines of $2 (a list) missing from $1 (a list), as TAP comments;
# fail if any is.
contains() {
	local miss
	miss=$(comm -13 <(sort -u "$1") <(sort -u "$2"))
	[ -z "$miss" ] && return 0
	sed 's/^/#   missing: /' <<< "$miss"
	return 1
}

# The man pages the tree has (man/ may not exist yet), as installed paths.
manpages() {
	local m
	for m in man/*.[1-9]; do
		[ -e "$m" ] && echo "$1/share/man/man${m##*.}/${m##*/}"
	done
}

echo "1..16"

# --- the packages.  When make deb fails, the checks of its packages fail
# with it; they are skipped only when the tools to build them are missing.
debs=0 nodeb="no package: make deb failed"
if have dpkg-buildpackage && have dh && have dh_dkms; then
	make -s deb > "$T/deb.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || sed 's/^/# /' "$T/deb.log" | tail -n 20
	deb_ctl=$DEB/khttpd_${VERSION}_amd64.deb
	deb_dkms=$DEB/khttpd-dkms_${VERSION}_all.deb
	[ $rc -eq 0 ] && [ -f "$deb_ctl" ] && [ -f "$deb_dkms" ] && debs=1
	ok $((1 - debs)) "make deb: khttpd_${VERSION}_amd64.deb, khttpd-dkms_${VERSION}_all.deb in $DEB"
else
	nodeb="no dpkg-buildpackage, debhelper or dh-dkms"
	skip "make deb" "$nodeb"
fi
timed "make deb"

if [ $debs = 1 ] && have lintian; then
	# lintian says so when run as root; its findings are what counts
	lintian --fail-on error "$DEB"/khttpd_"${VERSION}"_amd64.changes \
		> "$T/lintian.txt" 2>&1
	rc=$?
	grep -E '^[EW]: ' "$T/lintian.txt" | sed 's/^/# /'
	ok $rc "lintian --fail-on error: no errors (warnings listed above)"
elif [ $debs = 1 ]; then
	skip "lintian" "no lintian"
else
	nopkg "lintian"
fi
timed lintian

if [ $debs = 1 ]; then
	# dpkg-deb -c lists "./path"; directories end in /
	dpkg-deb -c "$deb_ctl" | awk '{ print $6 }' | sed 's|^\.||' > "$T/ctl.list"
	{
		printf '%s\n' /usr/sbin/khttpctl /usr/sbin/uring-httpd \
			/usr/sbin/khttpd-tlsd /lib/systemd/system/khttpd.service \
			/lib/systemd/system/khttpd-tlsd.service \
			/etc/khttpd/khttpd.conf /etc/default/khttpd-tlsd
		# dh_installman/dh_compress gzip them
		manpages /usr | sed 's/$/.gz/'
	} > "$T/ctl.want"
	contains "$T/ctl.list" "$T/ctl.want"
	ok $? "khttpd.deb: the three programs, the unit, the config, the man pages"

	dpkg-deb --ctrl-tarfile "$deb_ctl" | tar -xf - -C "$T" ./conffiles ./postinst
	# dh_installsystemd --no-enable enables only what the admin had
	# enabled ("debian-installed": on upgrade); --no-start invokes nothing
	grep -qx /etc/khttpd/khttpd.conf "$T/conffiles" &&
		grep -qx /etc/default/khttpd-tlsd "$T/conffiles" &&
		grep -q 'deb-systemd-helper debian-installed' "$T/postinst" &&
		! grep -q deb-systemd-invoke "$T/postinst"
	ok $? "khttpd.deb: the config is a conffile; the service is neither enabled nor started"

	src=/usr/src/khttpd-$VERSION
	dpkg-deb -c "$deb_dkms" | awk '{ print $6 }' | sed 's|^\.||' > "$T/dkms.list"
	{
		echo "$src/dkms.conf"
		for f in kmod/Kbuild kmod/*.[ch] engine/*.[ch] uapi/linux/*.h; do
			case $f in *.mod.c) continue ;; esac
			echo "$src/$f"
		done
	} > "$T/dkms.want"
	contains "$T/dkms.list" "$T/dkms.want" &&
		! grep -Eq '\.(o|ko|cmd|mod)$|\.mod\.c$' "$T/dkms.list"
	ok $? "khttpd-dkms.deb: $src/dkms.conf and the module's sources, no objects"

	dpkg-deb -x "$deb_dkms" "$T/pkg"
	grep -qx "PACKAGE_VERSION=\"$VERSION\"" "$T/pkg/$src/dkms.conf" &&
		dpkg-deb -f "$deb_dkms" Depends | grep -qw dkms
	ok $? "khttpd-dkms.deb: dkms.conf is version $VERSION; depends on dkms"
else
	for c in "khttpd.deb contents" "khttpd.deb conffile and unit state" \
		"khttpd-dkms.deb contents" "khttpd-dkms.deb dkms.conf"; do
		nopkg "$c"
	done
fi
timed "package contents"

# --- make install / uninstall into a DESTDIR
root=$T/root
make -s install DESTDIR="$root" PREFIX=/usr > "$T/install.log" 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' "$T/install.log" | tail -n 20
ok $rc "make install DESTDIR=... PREFIX=/usr"
# kbuild compresses the module as the kernel's config says
mod=$(cd "$root" && ls lib/modules/"$KVER"/updates/khttpd.ko* 2> /dev/null)
{
	printf '%s\n' /etc/khttpd/khttpd.conf /lib/systemd/system/khttpd.service \
		/lib/systemd/system/khttpd-tlsd.service /etc/default/khttpd-tlsd \
		/usr/sbin/khttpctl /usr/sbin/khttpd-tlsd /usr/sbin/uring-httpd
	[ -n "$mod" ] && echo "/$mod"
	manpages /usr
} | sort > "$T/install.want"
(cd "$root" && find . ! -type d | sed 's|^\.||' | sort) > "$T/install.list"
[ -n "$mod" ] && diff "$T/install.want" "$T/install.list" | sed 's/^/# /'
[ -n "$mod" ] && cmp -s "$T/install.want" "$T/install.list"
ok $? "make install: the module in updates/, programs, unit, config, man pages and nothing else"

unit=$root/lib/systemd/system/khttpd.service
grep -q 'ExecStart=/usr/sbin/khttpctl apply /etc/khttpd/khttpd.conf' "$unit" &&
	! grep -q @ "$unit"
ok $? "make install: the unit runs /usr/sbin/khttpctl"

# an admin's config is never overwritten
echo "# edited" >> "$root/etc/khttpd/khttpd.conf"
make -s install-user DESTDIR="$root" PREFIX=/usr > "$T/install2.log" 2>&1 &&
	grep -qx '# edited' "$root/etc/khttpd/khttpd.conf"
ok $? "make install again keeps an edited /etc/khttpd/khttpd.conf"

make -s uninstall DESTDIR="$root" PREFIX=/usr > "$T/uninstall.log" 2>&1 &&
	[ "$(cd "$root" && find . ! -type d | sort | tr '\n' ' ')" = \
		"./etc/default/khttpd-tlsd ./etc/khttpd/khttpd.conf " ]
ok $? "make uninstall leaves only the configuration files"
timed "make install, uninstall"

# --- the unit.  Verified as installed, but with its programs' paths moved
# into a DESTDIR that has them (verify checks that they exist).  Its man:
# pages are looked up only when the tree has them all (man/ is new).
if have systemd-analyze; then
	make -s install-user DESTDIR="$root" PREFIX=/usr > "$T/install3.log" 2>&1
	mkdir -p "$T/unit"
	for u in khttpd khttpd-tlsd; do
		sed "s|=/usr/sbin/|=$root/usr/sbin/|" \
			"$root/lib/systemd/system/$u.service" > "$T/unit/$u.service"
	done
	man=no
	if [ -e man/khttpd.4 ] && [ -e man/khttpctl.8 ] && [ -e man/khttpd.conf.5 ]; then
		man=yes
		export MANPATH=$root/usr/share/man
	fi
	systemd-analyze verify --man=$man "$T/unit/khttpd.service" \
		"$T/unit/khttpd-tlsd.service" > "$T/verify.txt" 2>&1
	rc=$?
	sed 's/^/# /' "$T/verify.txt"
	[ -s "$T/verify.txt" ] && rc=1
	ok $rc "systemd-analyze verify khttpd.service khttpd-tlsd.service (--man=$man)"
	unset MANPATH
else
	skip "systemd-analyze verify" "no systemd-analyze"
fi
timed "systemd-analyze verify"

# --- DKMS, from the package's own tree when there is one
if have dkms; then
	src=$T/pkg/usr/src
	if [ $debs != 1 ]; then
		# no package: lay out its tree as debian/rules does
		d=$src/khttpd-$VERSION
		mkdir -p "$d/kmod" "$d/engine" "$d/uapi/linux"
		cp kmod/Kbuild kmod/*.[ch] "$d/kmod/"
		rm -f "$d"/kmod/*.mod.c
		cp engine/*.[ch] "$d/engine/"
		cp uapi/linux/*.h "$d/uapi/linux/"
		sed "s/#MODULE_VERSION#/$VERSION/" dkms.conf > "$d/dkms.conf"
	fi
	before=$(ls -laR /var/lib/dkms /lib/modules/"$KVER"/updates 2> /dev/null)
	mkdir -p "$T/dkms" "$T/inst"
	dk=(--dkmstree "$T/dkms" --sourcetree "$src" --installtree "$T/inst")
	# dkms signs what it builds, with a key it makes in /var/lib/dkms
	# unless told where
	export mok_signing_key=$T/mok.key mok_certificate=$T/mok.pub
	{
		dkms add -m khttpd -v "$VERSION" "${dk[@]}" &&
			dkms build -m khttpd -v "$VERSION" -k "$KVER" "${dk[@]}"
	} > "$T/dkms.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		sed 's/^/# /' "$T/dkms.log" | tail -n 20
		tail -n 20 "$T"/dkms/khttpd/"$VERSION"/build/make.log 2> /dev/null |
			sed 's/^/# /'
	fi
	ok $rc "dkms add, build -k $KVER (private trees)"
	ko=$(ls "$T"/dkms/khttpd/"$VERSION"/"$KVER"/*/module/khttpd.ko* 2> /dev/null |
		head -n 1)
	vm=$([ -n "$ko" ] && modinfo -F vermagic "$ko")
	echo "# vermagic: $vm"
	[ "${vm%% *}" = "$KVER" ]
	ok $? "dkms: khttpd.ko built, vermagic $KVER"
	[ -n "$ko" ] && [ "$(modinfo -F version "$ko")" = "$VERSION" ]
	ok $? "dkms: khttpd.ko is version $VERSION"
	after=$(ls -laR /var/lib/dkms /lib/modules/"$KVER"/updates 2> /dev/null)
	[ "$before" = "$after" ]
	ok $? "dkms: /var/lib/dkms and /lib/modules/$KVER/updates untouched"
else
	for c in "dkms build" "dkms vermagic" "dkms version" "dkms trees"; do
		skip "$c" "no dkms"
	done
fi
timed "dkms build"
echo "# total: $((SECONDS - t0))s"
[ $failed -eq 0 ]
