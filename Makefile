# SPDX-License-Identifier: GPL-2.0
#
# khttpd: build the module, the userspace tools and the tests, and run them.
#
#   make            build everything (installs build dependencies first)
#   make check      all tests: host unit tests, checkpatch, guest selftests
#   make check-debug  the guest suites in full under a KASAN/lockdep/kmemleak
#                   kernel built from linux-source-6.12 (cached in $(BUILD))
#   make run        boot a guest, load khttpd, show it answering
#   make shell      interactive guest shell with khttpd loaded
#   make serve      serve ROOT= (default: the demo site, site/) from a guest
#                   on http://127.0.0.1:8080/ and https://127.0.0.1:8443/
#                   (SERVE_PORT=, SERVE_TLS_PORT=) until Ctrl-C
#   make check-browser  headless Chromium against make serve's guest (make
#                   check runs it too)
#   make bench      khttpd vs uring-httpd vs nginx (QUICK=1: a short run)
#   make install    module, programs, man pages, unit, config (DESTDIR=,
#                   PREFIX=, default /usr/local); make uninstall undoes it
#   make deb        the khttpd and khttpd-dkms packages, in $(BUILD)/deb
#   make check-system  khttpd's .debs installed and run on a Debian 12
#                   guest with systemd (image built once, cached in $(BUILD))
#
# KDIR may point at another kernel tree; BUILD is where outputs go.

BUILD	?= $(CURDIR)/build
KVER	?= $(shell scripts/kver.sh)
KDIR	?= /usr/src/linux-headers-$(KVER)
KSRC_TAR ?= /usr/src/linux-source-6.12.tar.xz

CC	?= gcc
CFLAGS	?= -O2 -g
WARN	:= -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	   -Wno-sign-compare -Wno-format-truncation
# kselftest_harness.h assigns a local after setjmp() and reads it after
# longjmp(): optimised, a failed ASSERT skips the fixture's teardown.
TEST_CFLAGS := -O0 -g
KSELFTEST := $(BUILD)/ksrc/tools/testing/selftests
CHECKPATCH := $(BUILD)/ksrc/scripts/checkpatch.pl

ENGINE_SRC := engine/http.c engine/http_resp.c
ENGINE_HDR := engine/http.h engine/http_shim.h

SELFTESTS := $(patsubst selftests/%.c,$(BUILD)/selftests/%,\
		$(wildcard selftests/*_test.c)) \
	     $(patsubst selftests/%,$(BUILD)/selftests/%,\
		$(wildcard selftests/*_test.sh))
UNITTESTS := $(patsubst selftests/unit/%.c,$(BUILD)/unit/%,\
		$(wildcard selftests/unit/*_test.c))
FUZZERS := $(patsubst selftests/unit/%.c,$(BUILD)/fuzz/%,\
		$(wildcard selftests/unit/*_fuzz.c))

export BUILD

.PHONY: all deps deps-serve module userspace selftests unittests fuzzers fuzz check run \
	shell bench benchtools checkpatch clean check-debug tls \
	install install-module install-user uninstall uninstall-module \
	uninstall-user deb \
	check-system check-system-smoke serve site netmod check-browser

all: module userspace selftests unittests fuzzers tls

# Userspace programs are static: the guest has busybox and little else.
# (khttpd-tlsd and uring-httpd are not: see below.)
USERSPACE := $(BUILD)/userspace/khttpctl $(BUILD)/userspace/uring-httpd \
	     $(BUILD)/userspace/khttpd-tlsd
CTL_SRC := userspace/ctl_client.c userspace/ctl_client.h uapi/linux/khttpd.h
SITE_SRC := userspace/site.c userspace/site.h
CONF_SRC := userspace/conf.c userspace/conf.h
LOG_SRC := userspace/accesslog.c userspace/accesslog.h

userspace: $(USERSPACE)

# uring-httpd --tls-cert runs khttpd-tlsd's GnuTLS session code, so it too
# links GnuTLS (and with it libc) dynamically; liburing stays static.
URING_SRC := $(wildcard userspace/uring-httpd/*.c) userspace/khttpd-tlsd/session.c
URING_HDR := $(wildcard userspace/uring-httpd/*.h) userspace/khttpd-tlsd/session.h \
	     userspace/khttpd-tlsd/tlsd.h
$(BUILD)/userspace/uring-httpd: $(URING_SRC) $(URING_HDR) $(ENGINE_SRC) \
		$(ENGINE_HDR) | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -Iuapi -Iengine -Iuserspace/khttpd-tlsd -o $@ \
		$(URING_SRC) $(ENGINE_SRC) -Wl,-Bstatic -luring -Wl,-Bdynamic \
		$$(pkg-config --cflags --libs gnutls) -lpthread

# The TLS handshake agent links GnuTLS dynamically: Debian has no static
# p11-kit or libunistring.  scripts/vm puts its libraries in the guest (the
# "libs" line of scripts/initramfs.list).
TLSD_SRC := $(wildcard userspace/khttpd-tlsd/*.c)
TLSD_HDR := $(wildcard userspace/khttpd-tlsd/*.h)
$(BUILD)/userspace/khttpd-tlsd: $(TLSD_SRC) $(TLSD_HDR) | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -o $@ $(TLSD_SRC) \
		$$(pkg-config --cflags --libs gnutls)

# CTL_STATIC= links it dynamically, as the Debian package does: glibc and
# liburing security updates then reach it.
CTL_STATIC ?= -static
$(BUILD)/userspace/khttpctl: userspace/khttpctl.c $(CTL_SRC) $(SITE_SRC) \
		$(CONF_SRC) $(LOG_SRC) | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) $(CTL_STATIC) -Iuapi -Iuserspace -o $@ $< \
		userspace/ctl_client.c userspace/site.c userspace/conf.c \
		userspace/accesslog.c -luring

# NO_DEPS=1: a package build, whose build dependencies are debian/control's
# (and which must not install kernel headers or QEMU).
deps:
	@$(if $(NO_DEPS),true,scripts/deps.sh)

# The module is built in kmod/ (Kbuild's M=; the engine's objects land in
# engine/), then copied to $(BUILD)/kmod where the guest image picks it up.
module: deps
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod modules
	@install -D -m 644 kmod/khttpd.ko $(BUILD)/kmod/khttpd.ko

# kselftest_harness.h and checkpatch.pl come from the kernel source package
# of our target, extracted at build time (never committed).
$(BUILD)/ksrc/.stamp: | deps
	@mkdir -p $(BUILD)/ksrc
	@echo "  EXTRACT kselftest headers, checkpatch from $(KSRC_TAR)"
	@tar -xJf $(KSRC_TAR) -C $(BUILD)/ksrc --strip-components=1 \
		--wildcards '*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h' \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	@touch $@

# docroot_test serves from ext4 (on a loop device) and overlayfs, which
# Debian builds as xz-compressed modules, ext4 with modules of its own.
# They are copied decompressed (busybox and the debug kernel need not
# decompress) with "order": every one after what it needs, as modules.dep
# of the target kernel says, so that the guest can load them one by one.
# crc32c_generic: ext4 and jbd2 ask the crypto API for crc32c at mount.
FSMODS := crc32c_generic ext4 loop overlay
FSMOD_ORDER := $(BUILD)/fsmod/order
# HTTPS: kTLS (tls) and the AEADs it asks the crypto API for, which the
# guest cannot autoload: gcm(aes) from aesni-intel (AES-128/256-GCM; TCG's
# -cpu max has AES-NI), rfc7539(chacha20,poly1305) from the template and
# the x86 chacha20 and poly1305.  scripts/guest/load-tls.sh loads them.
TLSMODS := tls aesni-intel chacha-x86_64 poly1305-x86_64 chacha20poly1305
TLSMOD_ORDER := $(BUILD)/tlsmod/order
# make serve: the guest's virtio NIC and disk (virtio-pci is built in, the
# drivers are modules; virtio_net brings failover and net_failover).
NETMODS := virtio_net virtio_blk
NETMOD_ORDER := $(BUILD)/netmod/order
$(FSMOD_ORDER): MODS := $(FSMODS)
$(TLSMOD_ORDER): MODS := $(TLSMODS)
$(NETMOD_ORDER): MODS := $(NETMODS)
$(FSMOD_ORDER) $(TLSMOD_ORDER) $(NETMOD_ORDER): /lib/modules/$(KVER)/modules.dep
	@rm -rf $(@D)
	@mkdir -p $(@D)
	@set -e; d=/lib/modules/$(KVER); : > $@.tmp; \
	for m in $(MODS); do \
		l=$$(grep -E "(^|/)$$m\.ko(\.xz)?:" $$d/modules.dep); \
		[ -n "$$l" ] || { echo "no module $$m in $$d" >&2; exit 1; }; \
		for p in $$(echo "$${l#*:}" | tr ' ' '\n' | tac) $${l%%:*}; do \
			n=$${p##*/}; n=$${n%.xz}; \
			! grep -qx "$$n" $@.tmp || continue; \
			case $$p in \
			*.xz) xz -dc $$d/$$p > $(@D)/$$n ;; \
			*) cp $$d/$$p $(@D)/$$n ;; \
			esac; \
			echo "$$n" >> $@.tmp; \
		done; \
	done; \
	mv $@.tmp $@

selftests: $(SELFTESTS) $(FSMOD_ORDER)

# HTTPS in the guest: the modules above and a test certificate, made here
# and never committed (ECDSA P-256, self-signed, for localhost and
# 127.0.0.1; written under temporary names, so a failed run leaves none).
TLS_CERT := $(BUILD)/tls/cert.pem $(BUILD)/tls/key.pem
tls: $(TLS_CERT) $(TLSMOD_ORDER)

$(TLS_CERT) &: | deps
	@mkdir -p $(@D)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-nodes -days 3650 -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
		-keyout $(@D)/key.pem.tmp -out $(@D)/cert.pem.tmp 2> /dev/null
	@mv $(@D)/key.pem.tmp $(@D)/key.pem
	@mv $(@D)/cert.pem.tmp $(@D)/cert.pem

# Guest binaries are static: the guest has busybox and little else.  The
# helpers are linked into each (not *_test.c: they are no tests).
SELFTEST_LIB := selftests/khttpd_util.c selftests/khttpd_ctl_util.c
SELFTEST_HDR := selftests/khttpd_util.h selftests/khttpd_ctl_util.h
$(BUILD)/selftests/%: selftests/%.c $(SELFTEST_LIB) $(SELFTEST_HDR) $(CTL_SRC) \
		$(BUILD)/ksrc/.stamp
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(WARN) -D_GNU_SOURCE -static -I$(KSELFTEST) \
		-Iselftests -Iuapi -Iuserspace -o $@ $< $(SELFTEST_LIB) \
		userspace/ctl_client.c -luring -lpthread

$(BUILD)/selftests/%.sh: selftests/%.sh
	@mkdir -p $(@D)
	install -m 755 $< $@

unittests: $(UNITTESTS)

$(BUILD)/unit/%: selftests/unit/%.c $(ENGINE_SRC) $(ENGINE_HDR) $(BUILD)/ksrc/.stamp
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(WARN) -fsanitize=address,undefined \
		-fno-sanitize-recover=all -I$(KSELFTEST) -Iengine -Iuapi \
		-DKHTTPD_WORD_MEMCHR \
		-o $@ $< $(ENGINE_SRC)

# mime_test compiles the module's table code itself
$(BUILD)/unit/mime_test: kmod/mime.c kmod/mime.h

# conf_test: khttpctl's parser of khttpd.conf, with the settings table
$(BUILD)/unit/conf_test: selftests/unit/conf_test.c $(CONF_SRC) $(CTL_SRC) \
		$(BUILD)/ksrc/.stamp
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(WARN) -fsanitize=address,undefined \
		-fno-sanitize-recover=all -I$(KSELFTEST) -Iuapi -Iuserspace \
		-o $@ $< userspace/conf.c userspace/ctl_client.c -luring

# accesslog_test: khttpctl log's formatting of records
$(BUILD)/unit/accesslog_test: selftests/unit/accesslog_test.c $(LOG_SRC) \
		$(BUILD)/ksrc/.stamp
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(WARN) -fsanitize=address,undefined \
		-fno-sanitize-recover=all -I$(KSELFTEST) -Iuapi -Iuserspace \
		-o $@ $< userspace/accesslog.c

fuzzers: $(FUZZERS)

# libFuzzer targets of the engine; `make fuzz FUZZ_SECONDS=600` for a long run.
# The unit tests and fuzzers build the kernel's word-at-a-time memchr.
$(BUILD)/fuzz/%: selftests/unit/%.c $(ENGINE_SRC) $(ENGINE_HDR) | deps
	@mkdir -p $(@D)
	clang -O1 -g -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -Iengine -DKHTTPD_WORD_MEMCHR \
		-o $@ $< $(ENGINE_SRC)

FUZZ_SECONDS ?= 60
fuzz: fuzzers
	@for f in $(FUZZERS); do \
		c=$(BUILD)/fuzz-corpus/$${f##*/}; mkdir -p $$c; \
		cp selftests/unit/$${f##*/}.seeds/* $$c/; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 $$c || exit 1; \
	done

check: all benchtools netmod site
	@scripts/check.sh

check-debug: all
	@scripts/check-debug.sh

# The packages under test are make deb's, built first from this tree, never
# stale ones.  SYSTEM_FLAGS passes options to scripts/check-system.sh
# (--timeout SEC, --debs DIR).
check-system:
	@scripts/deps.sh --system
	@$(MAKE) deb
	@scripts/check-system.sh $(SYSTEM_FLAGS)

# The harness alone: boot, systemd, the check disk and the token.
check-system-smoke:
	@scripts/deps.sh --system
	@scripts/check-system.sh --smoke $(SYSTEM_FLAGS)

checkpatch: $(BUILD)/ksrc/.stamp
	@perl $(CHECKPATCH) --no-tree --quiet --show-types -f \
		$(filter-out %.mod.c,$(wildcard kmod/*.c)) kmod/*.h \
		engine/*.c engine/*.h \
		$(wildcard uapi/linux/*.h) bench/*.c
	@# userspace has no compiler_attributes.h: tlsd.h defines its own
	@perl $(CHECKPATCH) --no-tree --quiet --show-types -f \
		--ignore PREFER_DEFINED_ATTRIBUTE_MACRO \
		userspace/khttpd-tlsd/*.c userspace/khttpd-tlsd/*.h

run: all
	scripts/vm --smp 2 -- /khttpd/scripts/demo.sh

# khttpd vs uring-httpd vs nginx in one deterministic guest, over HTTP and
# then over HTTPS; QUICK=1 for a short HTTP subset, BENCH_MODES to choose
# (quick, full, docroot, tls).  Results in bench/results/, summarised in
# BENCHMARKS.md.
BENCH_MODES ?= $(if $(QUICK),quick,full) tls
bench:
	@scripts/deps.sh --bench
	@$(MAKE) all benchtools
	@for m in $(BENCH_MODES); do scripts/bench.sh $$m || exit 1; done

# The bench's instruction counter: a QEMU TCG plugin (built against the
# plugin header of Debian's QEMU source, fetched and never committed) and
# the guest program whose marker instruction asks it for a snapshot.
# ss reads the server's per-connection TCP counters through sock_diag:
# Debian builds inet_diag and tcp_diag as (xz-compressed) modules.
DIAG_KOS := $(BUILD)/bench/inet_diag.ko $(BUILD)/bench/tcp_diag.ko
BENCHTOOLS := $(BUILD)/bench/vcpu_insns.so $(BUILD)/bench/khttpd-mark $(DIAG_KOS)
benchtools: $(BENCHTOOLS)

$(BUILD)/bench/%_diag.ko: /lib/modules/$(KVER)/kernel/net/ipv4/%_diag.ko.xz
	@mkdir -p $(@D)
	xz -dc $< > $@

$(BUILD)/qemu-plugin/qemu-plugin.h: | deps
	@scripts/qemu-plugin-header.sh $(@D)

$(BUILD)/bench/vcpu_insns.so: bench/vcpu_insns.c $(BUILD)/qemu-plugin/qemu-plugin.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -fPIC -shared -I$(BUILD)/qemu-plugin -o $@ $<

$(BUILD)/bench/khttpd-mark: bench/mark.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -static -o $@ $<

shell: all
	scripts/vm --smp 2 -i -- /khttpd/scripts/shell.sh

# make serve: a directory (ROOT=, default the demo site) served by khttpd
# in a guest, for a browser on this machine, until Ctrl-C (scripts/serve).
# The demo site is site/ with a picture and a video made here, never
# committed: demo-media draws them, vpxenc encodes the video as WebM.
SERVE_PORT ?= 8080
SERVE_TLS_PORT ?= 8443
SITE := $(BUILD)/site
SITE_FILES := $(patsubst site/%,$(SITE)/%,$(wildcard site/*)) \
	      $(SITE)/picture.png $(SITE)/clip.webm
site: $(SITE_FILES)
netmod: $(NETMOD_ORDER)

serve: module userspace tls $(FSMOD_ORDER) $(NETMOD_ORDER) site
	@scripts/serve --port $(SERVE_PORT) --tls-port $(SERVE_TLS_PORT) \
		$(if $(ROOT),--root "$(ROOT)")

# The browser test alone: make serve's guest, on free ports, and Debian's
# Chromium, headless, against it (selftests/browser/run.sh)
check-browser: module userspace tls $(FSMOD_ORDER) $(NETMOD_ORDER) site
	@scripts/deps.sh --browser
	@selftests/browser/run.sh

$(BUILD)/demo-media: scripts/demo-media.c | deps-serve
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -o $@ $<

$(SITE)/%: site/%
	@mkdir -p $(@D)
	install -m 644 $< $@

$(SITE)/picture.png: $(BUILD)/demo-media
	@mkdir -p $(@D)
	$(BUILD)/demo-media png $@.tmp
	@chmod 644 $@.tmp && mv $@.tmp $@

# VP8, 4 s at 25 fps, a keyframe a second: a few hundred KiB.  (The raw
# frames go through a file, 11 MiB, so that a failure of either shows.)
$(SITE)/clip.webm: $(BUILD)/demo-media
	@mkdir -p $(@D)
	$(BUILD)/demo-media y4m > $@.y4m
	vpxenc --quiet --codec=vp8 --good --cpu-used=4 --end-usage=cbr \
		--target-bitrate=600 --kf-max-dist=25 --threads=1 \
		-o $@.tmp.webm $@.y4m
	@rm $@.y4m
	@chmod 644 $@.tmp.webm && mv $@.tmp.webm $@

deps-serve:
	@$(if $(NO_DEPS),true,scripts/deps.sh --serve)

# The release, in one place: KHTTPD_RELEASE in kmod/ctl.h, the module's
# MODULE_VERSION and what KHTTPD_CMD_VERSION reports.  debian/rules
# refuses a debian/changelog that says otherwise; dkms.conf's version is
# filled in from the changelog.
VERSION := $(shell sed -n 's/^\#define KHTTPD_RELEASE "\(.*\)"$$/\1/p' kmod/ctl.h)

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
# The unit: for PREFIX=/usr where Debian 12 keeps packaged units (as the
# package does); for /usr/local in /usr/local/lib/systemd/system, which
# systemd searches for units installed locally, so that a local install
# stays under /usr/local, where Debian users look for one (dpkg never
# writes there), and /etc/systemd/system stays the admin's (systemctl
# enable and edit write there).  systemd searches no other PREFIX: the
# unit goes to /etc/systemd/system then.
UNITDIR	?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(if \
		$(filter /usr/local,$(PREFIX)),/usr/local/lib/systemd/system,\
		/etc/systemd/system))
CONFDIR	:= /etc/khttpd
UNITS	:= khttpd.service khttpd-tlsd.service
MANPAGES := $(wildcard man/*.[1-9])
# kbuild compresses modules as the kernel's config says (xz for Debian's)
MODFILES := $(foreach z,.ko .ko.xz .ko.gz .ko.zst,\
		$(DESTDIR)/lib/modules/$(KVER)/updates/khttpd$(z))

install: install-module install-user
uninstall: uninstall-module uninstall-user

# Debian's headers carry no module signing key (Debian signs its modules
# when it builds the kernel): signing at install can only fail, noisily.
# With DESTDIR the modules.dep to update is not this system's: the package
# or image that DESTDIR becomes runs depmod.
install-module: module
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=updates CONFIG_MODULE_SIG_ALL= modules_install
	$(if $(DESTDIR),,depmod -a $(KVER))

uninstall-module:
	rm -f $(MODFILES)
	$(if $(DESTDIR),,depmod -a $(KVER))

# The config is an example to edit: never overwrite one that is there
# (install -b would still replace it), and leave it on uninstall.
install-user: userspace
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CONFDIR) \
		$(DESTDIR)/etc/default
	install -m 755 $(USERSPACE) $(DESTDIR)$(SBINDIR)/
	@set -e; for u in $(UNITS); do \
		f=$(DESTDIR)$(UNITDIR)/$$u; \
		echo "install dist/$$u.in as $$f"; \
		sed 's|@SBINDIR@|$(SBINDIR)|g' dist/$$u.in > $$f.tmp; \
		chmod 644 $$f.tmp; mv $$f.tmp $$f; \
	done
	[ -e $(DESTDIR)$(CONFDIR)/khttpd.conf ] || \
		install -m 644 dist/khttpd.conf $(DESTDIR)$(CONFDIR)/khttpd.conf
	[ -e $(DESTDIR)/etc/default/khttpd-tlsd ] || \
		install -m 644 dist/khttpd-tlsd.default $(DESTDIR)/etc/default/khttpd-tlsd
	@set -e; for m in $(MANPAGES); do \
		d=$(DESTDIR)$(MANDIR)/man$${m##*.}; \
		echo "install -m 644 $$m $$d/"; \
		install -d $$d; install -m 644 $$m $$d/; \
	done

uninstall-user:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(USERSPACE))) \
		$(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS))
	@set -e; for m in $(MANPAGES); do \
		f=$(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; \
		echo "rm -f $$f"; rm -f $$f; \
	done

# The packages are built from a copy of the tree's sources (tracked and
# new files, not what .gitignore ignores): no module objects of a
# `make module` in kmod/ reach khttpd-dkms, and dpkg-buildpackage, which
# writes its .debs to the parent of the tree, writes them to $(BUILD)/deb.
# The package build is a make of its own: none of this make's variables
# (MAKEFLAGS, BUILD) reach it.
DEB_DIR := $(BUILD)/deb
deb:
	@$(if $(NO_DEPS),true,scripts/deps.sh --pkg)
	@rm -rf $(DEB_DIR)
	@mkdir -p $(DEB_DIR)/khttpd-$(VERSION)
	@git ls-files -z -c -o --exclude-standard | \
		xargs -0 sh -c 'for f; do [ -e "$$f" ] && echo "$$f"; done' sh | \
		tar -cf - -T - | tar -xf - -C $(DEB_DIR)/khttpd-$(VERSION)
	cd $(DEB_DIR)/khttpd-$(VERSION) && \
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD \
		dpkg-buildpackage -b -us -uc > ../build.log 2>&1 || \
		{ tail -n 30 ../build.log; exit 1; }
	@rm -rf $(DEB_DIR)/khttpd-$(VERSION)
	@ls $(DEB_DIR)/*.deb

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod clean 2>/dev/null
	rm -rf $(BUILD)
