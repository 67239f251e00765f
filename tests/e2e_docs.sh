#!/bin/sh
# The documents say what the tree does: the licence (LICENSE and the Debian
# copyright file agree), the README's cross-build command is one the
# Makefile accepts, and docs/contract.md names every configuration key and
# every key of the live socket's answers that the code has.  Run from the
# top of the tree by tests/run.
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

echo "docs/contract.md names every key the code uses"
contract=docs/contract.md
src="firmware drivers db uploader web"
# Config keys: the schema as the programs see it (tests/tool_schema walks
# wx_config_schema_key(): the fixed sections and every driver row's), against
# the [section] / key = lines of the contract's INI block.
code_keys=$("${WX_BUILD:-build}/tests/tool_schema" | sort -u)
doc_keys=$(sed -n '/^## Configuration/,/^## /p' "$contract" 2>/dev/null | awk '
	/^\[[a-z0-9_]+\]/ { sec = substr($1, 2, length($1) - 2); next }
	sec != "" && /^[a-z0-9_]+ =/ { print sec "." $1 }' | sort -u)
n=$(printf '%s\n' "$code_keys" | grep -c .)
# The schema has some 80 rows: far fewer means the pattern lost them.
[ "$n" -ge 60 ] && ok "$n config keys in the schema" \
	|| bad "found only $n schema keys: update this test's pattern"
missing=$(printf '%s\n' "$code_keys" | grep . | while read -r k; do
	printf '%s\n' "$doc_keys" | grep -qxF "$k" || printf '%s ' "$k"; done)
[ -z "$missing" ] && ok "every config key is in $contract \"Configuration\"" \
	|| bad "config keys not in $contract: $missing"
extra=$(printf '%s\n' "$doc_keys" | grep . | while read -r k; do
	printf '%s\n' "$code_keys" | grep -qxF "$k" || printf '%s ' "$k"; done)
[ -z "$extra" ] && ok "every key $contract lists is in the schema" \
	|| bad "$contract lists keys the schema lacks: $extra"

# JSON keys: the readings (the quantity table's keys) and every key the
# live socket's read/status answers and the web API add (cJSON_Add*ToObject
# with a literal key, or a row of status.c's field table).  uploader/mqtt.c's are Home Assistant's discovery
# schema, not ours.
q_keys=$(grep -rhoE --include='*.c' '\[WX_[A-Z0-9_]+\] = \{ "[a-z0-9_]+"' $src \
	| sed -E 's/.*"(.*)"/\1/' | sort -u)
n=$(printf '%s\n' "$q_keys" | grep -c .)
[ "$n" -ge 15 ] && ok "$n readings in the quantity table" \
	|| bad "found only $n readings: update this test's pattern"
j_keys=$(grep -rhoE --include='*.c' --exclude=mqtt.c \
	'cJSON_Add[A-Za-z]+ToObject\([^,()]+, "[A-Za-z0-9_]+"' $src \
	| sed -E 's/.*"(.*)"/\1/' | sort -u)
# ... and the status type's field rows (firmware/core/status.c: FS/FI/FB/FD/FH/FO).
j_keys=$(printf '%s\n%s\n' "$j_keys" "$(grep -rhoE --include='*.c' \
	'\bF[SIBDHO]\(([a-z_ ]+, )?"[a-z0-9_]+"' $src | sed -E 's/.*"(.*)"/\1/')" | grep . | sort -u)
n=$(printf '%s\n' "$j_keys" | grep -c .)
[ "$n" -ge 40 ] && ok "$n JSON keys in the answers" \
	|| bad "found only $n JSON keys: update this test's pattern"
missing=$(printf '%s\n%s\n' "$q_keys" "$j_keys" | grep . | sort -u | while read -r k; do
	grep -qF "\`$k\`" "$contract" 2>/dev/null || printf '%s ' "$k"; done)
[ -z "$missing" ] && ok "every reading and answer key is in $contract" \
	|| bad "JSON keys not in $contract: $missing"
# Comments cite the contract that is in the tree, not one outside it.
stale=$(grep -rln 'DESIGN\.md' $src tests/*.c tests/*.sh systemd fuzz hardware 2>/dev/null \
	| grep -v '^tests/e2e_docs.sh$' | tr '\n' ' ')
[ -z "$stale" ] && ok "comments cite docs/contract.md" \
	|| bad "comments still cite DESIGN.md: $stale"

[ $fails -eq 0 ]
