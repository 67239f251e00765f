#!/bin/sh
# The documents say what the tree does: the licence (LICENSE and the Debian
# copyright file agree), and the README's cross-build command is one the
# Makefile accepts.  Run from the top of the tree by tests/run.
set -u
fails=0
ok()  { echo "  ok: $*"; }
bad() { echo "  FAIL: $*"; fails=$((fails + 1)); }

echo "the licence: MIT in LICENSE, Expat (DEP-5) in debian/copyright"
grep -q '^MIT License$' LICENSE 2>/dev/null && ok "LICENSE is MIT" || bad "LICENSE missing or not MIT"
grep -q '^Copyright (c) 2026 wxd authors$' LICENSE 2>/dev/null && ok "LICENSE names wxd authors" || bad "LICENSE copyright line"
grep -q '^Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' debian/copyright \
	&& ok "debian/copyright is DEP-5" || bad "debian/copyright format"
grep -q '^License: Expat$' debian/copyright && ok "Files: * License: Expat" || bad "debian/copyright licence"
grep -q '^Copyright: 2026 wxd authors$' debian/copyright && ok "same copyright holders" || bad "debian/copyright holders"
grep -qi 'UNDECIDED\|all rights are reserved' debian/copyright && bad "debian/copyright still undecided" || ok "no undecided licence"
# The licence text in both files is the same text.
a=$(sed -n '/^Permission is hereby granted/,$p' LICENSE | tr -s ' \n' '  ')
b=$(sed -n '/^ Permission is hereby granted/,/^ SOFTWARE\.$/p' debian/copyright | sed 's/^ //; s/^\.$//' | tr -s ' \n' '  ')
[ -n "$a" ] && [ "$a" = "$b" ] && ok "same licence text" || bad "licence texts differ"

echo "the README's cross build works as written"
# A make above us (make test) must not pass its variables to these.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
grep -q '`make CROSS=aarch64-linux-gnu-`' README.md && ok "README says make CROSS=aarch64-linux-gnu-" \
	|| bad "README's cross-build command changed: update this test"
out=$(make -n CROSS=aarch64-linux-gnu- 2>&1); rc=$?
[ $rc -eq 0 ] && ok "make -n CROSS=aarch64-linux-gnu- is accepted" || bad "make CROSS=...: $(printf '%s' "$out" | head -1)"
printf '%s\n' "$out" | grep -q '^aarch64-linux-gnu-gcc .* -o build/aarch64/obj/firmware/wxd_main.o' \
	&& ok "compiles with the cross gcc into build/aarch64" || bad "not a cross build into build/aarch64"
out=$(make -n CROSS=aarch64-linux-gnu- BUILD=build 2>&1) && bad "arm objects allowed into build/" \
	|| ok "arm objects are kept out of the host's build/"

[ $fails -eq 0 ]
