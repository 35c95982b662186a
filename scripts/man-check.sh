#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# man-check.sh: check the man pages in man/, printing TAP.
#
#  - Every page formats without a single warning
#    (groff -ww -man -Tutf8 -z).
#  - For khttpctl, uring-httpd and khttpd-tlsd: every long option
#    (--name) and short option (-x) that the program's --help prints has
#    an entry in its page (a line that starts with it, or with it after
#    other options and commas: "-h, --help"), and every command that
#    khttpctl --help lists is an entry of the COMMANDS section of
#    khttpctl(8).
#  - Every setting of uapi/linux/khttpd.h (KHTTPD_CFG_<NAME>_DEF) is named
#    in khttpd.conf(5) and khttpd(4).
#
# Pages are compared as rendered (groff -Tascii | col -bx, hyphenation
# off), since the source spells '-' as '\-'.  The programs are run from
# ${BUILD:-build}/userspace/ (make -s userspace builds them).
#
# Usage: scripts/man-check.sh   (exit status 0 if every test passed)

set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=${BUILD:-build}
MAN="man"
PAGES=(khttpctl.8 khttpd.conf.5 uring-httpd.8 khttpd-tlsd.8 khttpd.4)
PROGS=(khttpctl uring-httpd khttpd-tlsd)

results=()
failed=0

# result OK|FAIL DESCRIPTION [DIAGNOSTIC...]
result() {
	local status=$1 desc=$2 line

	shift 2
	if [ "$status" = OK ]; then
		results+=("ok %d - $desc")
	else
		results+=("not ok %d - $desc")
		for line in "$@"; do
			results+=("#   $line")
		done
		failed=$((failed + 1))
	fi
}

# The page as text: no hyphenation, long lines, no overstrike, no tabs.
render() {
	groff -man -Tascii -rHY=0 -rLL=1000n "$1" 2>/dev/null | col -bx
}

# Whether the text on stdin has WORD (a setting) standing on its own.
has_word() {
	grep -qE -- "(^|[^A-Za-z0-9_-])$1([^A-Za-z0-9_-]|\$)"
}

# Whether the text on stdin has an entry for OPTION: a line that starts
# with it, maybe after other options ("-h, --help").
has_entry() {
	grep -qE -- "^ +([^ ]+, )*$1([^A-Za-z0-9_-]|\$)"
}

for page in "${PAGES[@]}"; do
	f=$MAN/$page
	if [ ! -f "$f" ]; then
		result FAIL "$page exists" "no file $f"
		continue
	fi
	out=$(groff -ww -man -Tutf8 -z "$f" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then
		result OK "$page formats without warnings"
	else
		mapfile -t diag <<<"$out"
		result FAIL "$page formats without warnings" "groff exit $rc" \
			"${diag[@]}"
	fi
done

for prog in "${PROGS[@]}"; do
	bin=$BUILD/userspace/$prog
	page=$MAN/$prog.8
	help=$("$bin" --help 2>&1)
	rc=$?
	if [ $rc -ne 0 ] || [ -z "$help" ]; then
		result FAIL "$prog --help runs" \
			"$bin --help: exit $rc (build it with make -s userspace)"
		continue
	fi
	result OK "$prog --help runs"
	text=$(render "$page")
	opts=$(grep -oE -- '--[a-z][a-z0-9-]*' <<<"$help"
	       grep -oE -- ' -[a-zA-Z]\b' <<<"$help" | sed 's/^ //')
	mapfile -t opts < <(sort -u <<<"$opts")
	for opt in "${opts[@]}"; do
		if has_entry "$opt" <<<"$text"; then
			result OK "$prog.8 documents $opt"
		else
			result FAIL "$prog.8 documents $opt" \
				"$prog --help prints $opt; $page has no entry for it"
		fi
	done
	[ "$prog" = khttpctl ] || continue
	# "  name ..." lines of the "commands:" paragraph
	cmds=$(sed -n '/^commands:/,/^$/p' <<<"$help" |
	       grep -oE '^  [a-z][a-z0-9-]*' | sed 's/^ *//')
	if [ -z "$cmds" ]; then
		result FAIL "khttpctl --help lists commands" \
			"no commands: paragraph in khttpctl --help"
		continue
	fi
	section=$(awk '/^COMMANDS/ { on = 1; next } /^[A-Z]/ { on = 0 } on' \
		  <<<"$text")
	for cmd in $cmds; do
		if grep -qE "^ {7}$cmd( |\$)" <<<"$section"; then
			result OK "khttpctl.8 documents the command $cmd"
		else
			result FAIL "khttpctl.8 documents the command $cmd" \
				"no entry for $cmd in the COMMANDS section of $page"
		fi
	done
done

settings=$(grep -oE 'KHTTPD_CFG_[A-Z0-9_]+_DEF' uapi/linux/khttpd.h |
	   sed 's/^KHTTPD_CFG_//; s/_DEF$//' | tr '[:upper:]' '[:lower:]')
for page in khttpd.conf.5 khttpd.4; do
	text=$(render "$MAN/$page")
	for s in $settings; do
		if has_word "$s" <<<"$text"; then
			result OK "$page documents the setting $s"
		else
			result FAIL "$page documents the setting $s" \
				"uapi/linux/khttpd.h has $s; $MAN/$page does not"
		fi
	done
done

n=0
for line in "${results[@]}"; do
	[[ $line == "#"* ]] || n=$((n + 1))
done
echo "1..$n"
i=0
for line in "${results[@]}"; do
	if [[ $line == "#"* ]]; then
		printf '%s\n' "$line"
	else
		i=$((i + 1))
		# shellcheck disable=SC2059 # the format is ours
		printf "$line\n" "$i"
	fi
done
[ $failed -eq 0 ]
