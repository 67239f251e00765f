#!/bin/sh
# End to end, the command lines: help without a config, wxctl status's exit
# status, history's CSV time column, wxd --sim --start, and the checks that
# keep the socket off the archive.  Run by tests/run with WX_BUILD set.
set -u
B=${WX_BUILD:-build}
T=$(mktemp -d /tmp/wx-cli.XXXXXX)
pids=""
trap 'for p in $pids; do kill -KILL $p 2>/dev/null; done; rm -rf "$T"' EXIT
fails=0
ok()   { echo "  ok: $*"; }
bad()  { echo "  FAIL: $*"; fails=$((fails + 1)); }
check() { if [ "$1" = "$2" ]; then ok "$3 ($1)"; else bad "$3: got '$1', want '$2'"; fi; }
q() { sqlite3 "$1" "$2"; }
conf() {	# conf NAME [extra ini lines...]
	f="$T/$1.conf"; n=$1; shift
	printf '[station]\nid = cli\ndatabase = %s\nsocket = %s\n' "$T/$n.db" "$T/$n.sock" > "$f"
	for l in "$@"; do printf '%s\n' "$l" >> "$f"; done
	echo "$f"
}
wait_sock() { i=0; while [ ! -S "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; }

echo "--help and help print usage and exit 0 without reading the config"
for args in "--help" "help" "help read" "read --help" "history --help" "status -h" \
	    "probe --help" "import --help"; do
	# shellcheck disable=SC2086
	out=$("$B/wxctl" -c "$T/none.conf" $args 2>&1); rc=$?
	case "$rc:$out" in 0:usage:*) ok "wxctl $args" ;; *) bad "wxctl $args: rc $rc: $out" ;; esac
done
out=$("$B/wxctl" -c "$T/none.conf" read --help)
case $out in "usage: wxctl [-c FILE] read [--json] [--direct]"*) ok "read --help is read's usage" ;; *) bad "read --help: $out" ;; esac
"$B/wxctl" help frobnicate >/dev/null 2>&1; check $? 2 "help for an unknown command is a usage error"
out=$("$B/wxd" -c "$T/none.conf" --help); rc=$?
case "$rc:$out" in 0:usage:*--start*) ok "wxd --help" ;; *) bad "wxd --help: rc $rc" ;; esac

echo "wxd --sim --start WHEN starts station time there"
c=$(conf start)
"$B/wxd" -c "$c" --sim --start 2026-03-01T00:00:00Z --duration 1h --speed 0 2>/dev/null; check $? 0 "wxd exits 0"
check "$(q "$T/start.db" 'select count(*), min(ts), max(ts) from archive')" "60|1772323260|1772326800" "60 records from 2026-03-01 00:01Z"
c3=$(conf day)
now=$(date +%s)
"$B/wxd" -c "$c3" --sim --start -24h --duration 24h --speed 0 2>/dev/null; check $? 0 "--start -24h exits 0"
check "$(q "$T/day.db" "select count(*), max(ts) <= $((now + 1)), max(ts) > $((now - 120)) from archive")" "1440|1|1" "a day that ends now, not in the future"
"$B/wxd" -c "$c" --start -24h >/dev/null 2>&1; check $? 2 "--start without --sim is a usage error"
"$B/wxd" -c "$c" --sim --start yesterday >/dev/null 2>&1; check $? 2 "a bad --start is a usage error"

echo "history --format csv: time_local (ISO 8601 with offset) right after ts"
out=$(TZ=Europe/Paris "$B/wxctl" -c "$c" history --since 1772323200 --until 1772323320 --format csv 2>/dev/null)
check "$(printf '%s\n' "$out" | head -1 | cut -d, -f1-4)" "ts,time_local,interval_s,temperature_c" "header"
check "$(printf '%s\n' "$out" | sed -n 2p | cut -d, -f1-3)" "1772323260,2026-03-01T01:01:00+01:00,60" "first row, Paris winter time"
c2=$(conf summer)
"$B/wxd" -c "$c2" --sim --start 2026-07-01T12:00:00Z --duration 2m --speed 0 2>/dev/null
check "$(TZ=America/St_Johns "$B/wxctl" -c "$c2" history --since 1782907200 --format csv | sed -n 2p | cut -d, -f2)" \
	"2026-07-01T09:31:00-02:30" "a half-hour zone in summer time"

echo "wxctl status exits 1 while anything is in error"
c=$(conf status)
"$B/wxd" -c "$c" --sim --speed 1 --duration 60s 2>"$T/status.log" &
pid=$!; pids="$pids $pid"
wait_sock "$T/status.sock"
sleep 6		# every sensor has given a first reading
"$B/wxctl" -c "$c" status >/dev/null; check $? 0 "healthy: exit 0"
"$B/wxctl" -c "$c" status --json >/dev/null; check $? 0 "healthy, --json: exit 0"
"$B/tests/tool_wxsock" "$T/status.sock" "sim fault bme280 gone" >/dev/null
sleep 7		# the next sample of the BME280 fails
out=$("$B/wxctl" -c "$c" status); rc=$?
check $rc 1 "a sensor in error: exit 1"
case $out in *"bme280       ERROR"*) ok "and the table still prints" ;; *) bad "status: $out" ;; esac
"$B/wxctl" -c "$c" status --json >/dev/null; check $? 1 "--json too"
"$B/tests/tool_wxsock" "$T/status.sock" "sim fault bme280 none" >/dev/null
"$B/tests/tool_wxsock" "$T/status.sock" "sim clock unsync" >/dev/null
sleep 6
"$B/wxctl" -c "$c" status >/dev/null; check $? 1 "clock not synchronised: exit 1"
"$B/tests/tool_wxsock" "$T/status.sock" "sim clock sync" >/dev/null
sleep 1
"$B/wxctl" -c "$c" status >/dev/null; check $? 0 "all well again: exit 0"
kill -TERM $pid; wait $pid
"$B/wxctl" -c "$c" status >/dev/null 2>&1; check $? 1 "no daemon: exit 1"

echo "the socket never replaces the archive"
c=$(conf same)
printf '[station]\nid = cli\ndatabase = %s\nsocket = %s\n' "$T/same.db" "$T/same.db" > "$c"
err=$("$B/wxd" -c "$c" --check-config 2>&1); check $? 78 "--check-config: socket = database exits 78"
check "$err" "$c:4: [station] socket and database are the same file ($T/same.db): wxd would replace the archive with its socket; give them different paths" "one line naming file and line"
"$B/wxctl" -c "$c" read >/dev/null 2>&1; check $? 78 "wxctl refuses it too"
c=$(conf other)
"$B/wxd" -c "$c" --sim --duration 2m --speed 0 2>/dev/null
n=$(q "$T/other.db" 'select count(*) from archive')
# The same file under another name: the check compares files, not strings.
ln -s "$T/other.db" "$T/link.db"
printf '[station]\nid = cli\ndatabase = %s\nsocket = %s\n' "$T/other.db" "$T/link.db" > "$T/link.conf"
"$B/wxd" -c "$T/link.conf" --sim --duration 1m --speed 0 >/dev/null 2>&1; check $? 78 "a symlink to the database is refused"
check "$(q "$T/other.db" 'select count(*) from archive')" "$n" "the archive is untouched"
printf '[mqtt]\npassword_file = %s\n' "$T/missing.pw" >> "$c"
err=$("$B/wxd" -c "$c" --check-config 2>&1); check $? 78 "a missing password_file exits 78"
check "$err" "$c:6: [mqtt] password_file: $T/missing.pw: cannot read secret: No such file or directory" "naming file and line"

[ $fails -eq 0 ]
