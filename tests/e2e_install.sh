#!/bin/sh
# make install DESTDIR=... lays out the documented tree, keeps an existing
# config, and make uninstall takes back what it put.
set -u
B=${WX_BUILD:-build}
T=$(mktemp -d /tmp/wx-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
ok()  { echo "  ok: $*"; }
bad() { echo "  FAIL: $*"; fails=$((fails + 1)); }
has() { [ -e "$T/root$1" ] && ok "$1" || bad "missing $1"; }

make -s install BUILD="$B" DESTDIR="$T/root" PREFIX=/usr >"$T/log" 2>&1 || { bad "make install: $(tail -3 "$T/log")"; exit 1; }
for f in /usr/bin/wxd /usr/bin/wxd-net /usr/bin/wxctl /etc/wxd/wxd.conf /usr/share/man/man8/wxd.8.gz \
	 /usr/share/man/man8/wxd-net.8.gz \
	 /usr/share/man/man1/wxctl.1.gz /usr/share/man/man5/wxd.conf.5.gz \
	 /usr/share/doc/wxd/wxd.conf.example; do has "$f"; done
find "$T/root" -name wxd.service | grep -q . && ok "unit installed" || bad "no wxd.service"
grep -q "^ExecStart=/usr/bin/wxd" "$(find "$T/root" -name wxd.service | head -1)" && ok "ExecStart names the installed binary" || bad "ExecStart"
grep -q "^ExecStart=/usr/bin/wxd-net " "$(find "$T/root" -name wxd-net.service | head -1)" && ok "wxd-net.service installed, naming the installed binary" || bad "wxd-net.service"
"$T/root/usr/bin/wxd" -c "$T/root/etc/wxd/wxd.conf" --check-config >/dev/null && ok "installed example config is valid" || bad "example config rejected"
echo "; mine" >> "$T/root/etc/wxd/wxd.conf"
make -s install BUILD="$B" DESTDIR="$T/root" PREFIX=/usr >/dev/null 2>&1
grep -q "^; mine" "$T/root/etc/wxd/wxd.conf" && ok "an existing config is kept" || bad "config overwritten"
make -s uninstall BUILD="$B" DESTDIR="$T/root" PREFIX=/usr >/dev/null 2>&1
[ ! -e "$T/root/usr/bin/wxd" ] && [ ! -e "$T/root/usr/bin/wxd-net" ] && ok "uninstall removes the binaries" || bad "wxd left after uninstall"
[ -z "$(find "$T/root" -name 'wxd*.service')" ] && ok "uninstall removes both units" || bad "units left"
[ -e "$T/root/etc/wxd/wxd.conf" ] && ok "uninstall keeps the config" || bad "config removed"
[ $fails -eq 0 ]
