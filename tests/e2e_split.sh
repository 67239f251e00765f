#!/bin/sh
# End to end, the two sides (issue 16 item 0): wxd samples and writes the
# archive with no network library; wxd-net, its child here, uploads to a
# real mosquitto on 127.0.0.1 with the archive read-only.  The sampler keeps
# counting while the network side is stopped (SIGSTOP) or killed, wxd
# restarts it and it sends the backlog; wxctl status shows both sides and
# says when the network side is not running or has not reported for 30 s;
# SIGTERM stops both in time.
set -u
B=${WX_BUILD:-build}
T=$(mktemp -d /tmp/wx-split.XXXXXX)
MP=
cleanup() {
	pkill -KILL -f "$T/" 2>/dev/null
	[ -n "$MP" ] && kill "$MP" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok()   { echo "  ok: $*"; }
bad()  { echo "  FAIL: $*"; fails=$((fails + 1)); }
check() { if [ "$1" = "$2" ]; then ok "$3 ($1)"; else bad "$3: got '$1', want '$2'"; fi; }
q() { sqlite3 "$1" "$2"; }
status() { "$B/tests/tool_wxsock" "$T/wx.sock" status; }
json() {	# json KEY.PATH: a number or string out of the status answer
	status | python3 -c "import json,sys
o=json.load(sys.stdin)
for k in sys.argv[1].split('.'): o=o.get(k, {}) if isinstance(o, dict) else {}
print(str(o).lower() if isinstance(o, bool) else o)" "$1"
}
wait_for() {	# wait_for SECONDS COMMAND...: until COMMAND succeeds
	n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}
netpid() { pgrep -P "$pid" -f wxd-net | head -1; }
records() { q "$T/wx.db" 'select count(*) from archive'; }
uploaded_to() {	# uploaded_to TS: the mqtt cursor (as status shows it) reached TS
	c=$(json uploads.mqtt.cursor_ts)
	[ -n "$c" ] && [ "$c" != "{}" ] && [ "${c%.*}" -ge "$1" ]
}
uploaded_all() {	# ... the record that is newest now (more keep coming)
	newest=$(q "$T/wx.db" 'select coalesce(max(ts), 1) from archive')
	wait_for "$1" uploaded_to "$newest"
}

command -v /usr/sbin/mosquitto >/dev/null || { echo "SKIPPED: mosquitto not installed"; exit 77; }

echo "wxd links no network library, wxd-net and wxctl as they need"
libs=$(ldd "$B/wxd")
case $libs in *curl*|*mosquitto*|*gnutls*|*krb5*|*ssl*) bad "wxd links: $libs" ;; *) ok "ldd wxd: no curl, mosquitto, gnutls, krb5, ssl" ;; esac
case $(ldd "$B/wxctl") in *curl*|*mosquitto*) bad "wxctl links a network library" ;; *) ok "ldd wxctl: no network library" ;; esac
case $(ldd "$B/wxd-net") in *mosquitto*) ok "wxd-net links libmosquitto" ;; *) bad "wxd-net: no libmosquitto?" ;; esac

# A broker on a free loopback port: the tests' shared fixture
# (tests/support/broker.c) through tests/tool_broker.
"$B/tests/tool_broker" >"$T/broker.port" 2>"$T/m.log" &
MP=$!
wait_for 10 test -s "$T/broker.port"
port=$(head -1 "$T/broker.port")
[ -n "$port" ] || { echo "  FAIL: no mosquitto could listen: $(cat "$T/m.log")"; exit 1; }

printf '[station]\nid = split\ndatabase = %s\nsocket = %s\n[mqtt]\nhost = 127.0.0.1\nport = %s\n' \
	"$T/wx.db" "$T/wx.sock" "$port" > "$T/wx.conf"
echo "one wxd --sim runs both sides"
"$B/wxd" -c "$T/wx.conf" --sim --speed 30 --duration 2h 2>"$T/wxd.log" &
pid=$!
wait_for 10 test -S "$T/wx.sock" || bad "no socket"
wait_for 10 test -n "$(netpid)" && ok "wxd started wxd-net as its child" || bad "no child: $(cat "$T/wxd.log")"
np=$(netpid)
uploaded_all 15 && ok "records reach the broker (status uploads.mqtt.cursor_ts = newest record)" ||
	bad "not uploaded: $(status)"
check "$(json network.status)" running "status: network side running"
check "$(json uploads.mqtt.connected)" true "status: uploads.mqtt.connected from the network side"
"$B/wxctl" -c "$T/wx.conf" status > "$T/st.txt"; check $? 0 "wxctl status exits 0"
grep -q "network side: running" "$T/st.txt" && ok "wxctl status shows the network side" || bad "$(cat "$T/st.txt")"

echo "the network side cannot write the archive and holds no device"
rw=0; ro=0
for fd in /proc/"$np"/fd/*; do
	l=$(readlink "$fd") || continue
	case $l in
	"$T/wx.db"|"$T/wx.db-wal"|"$T/wx.db-shm")
		fl=$(sed -n 's/^flags:[[:space:]]*//p' /proc/"$np"/fdinfo/"${fd##*/}")
		if [ $((0$fl & 3)) -eq 0 ]; then ro=$((ro + 1)); else rw=$((rw + 1)); echo "    $l flags $fl"; fi ;;
	/dev/null|/dev/urandom|/dev/pts/*) ;;
	/dev/*) bad "wxd-net holds device $l" ;;
	esac
done
[ $ro -gt 0 ] && [ $rw -eq 0 ] && ok "every archive descriptor of wxd-net is O_RDONLY ($ro)" ||
	bad "archive descriptors: $ro read-only, $rw writable"
[ -f "$T/wx.db.uploads" ] && ok "its progress is in its own state file wx.db.uploads" || bad "no state file"
check "$(q "$T/wx.db" 'select count(*) from upload_cursor')" 0 "nothing written to the archive's old cursor table"

echo "SIGSTOP of the network side: the sampler keeps counting, status stays prompt"
n0=$(records)
kill -STOP "$np"
sleep 6
n1=$(records)
[ "$n1" -ge $((n0 + 2)) ] && ok "records went on ($n0 -> $n1)" || bad "records stalled: $n0 -> $n1"
t0=$(date +%s%N); status >/dev/null; t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -lt 1000 ] && ok "status answered in $(((t1 - t0) / 1000000)) ms" || bad "status slow"
# Silent for longer than its reports may lapse (30 s): alive but stuck.
net_is() { [ "$(json network.status)" = "$1" ]; }
wait_for 40 net_is "not responding"
check "$(json network.status)" "not responding" "after 30 s without a report: network side"
check "$(json network.running)" false "network.running"
"$B/wxctl" -c "$T/wx.conf" status > "$T/st.txt" 2>&1
grep -q "network side: NOT running (not responding" "$T/st.txt" && ok "wxctl status says it is not responding" ||
	bad "wxctl status: $(grep 'network side' "$T/st.txt")"
kill -CONT "$np"
wait_for 10 net_is running && ok "after SIGCONT it reports again (running)" ||
	bad "after SIGCONT: $(json network.status)"
uploaded_all 15 && ok "after SIGCONT the backlog is uploaded" || bad "backlog: $(status)"

echo "SIGKILL of the network side: restarted by wxd, backlog sent"
kill -KILL "$np"
n0=$(records)
wait_for 10 sh -c "[ -n \"\$(pgrep -P $pid -f wxd-net)\" ] && [ \"\$(pgrep -P $pid -f wxd-net)\" != $np ]" &&
	ok "a new wxd-net runs" || bad "not restarted: $(cat "$T/wxd.log")"
grep -q "network side .* killed by signal 9: restarting in 1 s" "$T/wxd.log" && ok "one line in the log" ||
	bad "log: $(cat "$T/wxd.log")"
[ "$(records)" -ge "$n0" ] && ok "the sampler kept counting" || bad "records"
uploaded_all 15 && ok "the new one uploaded the backlog from its state file" || bad "backlog: $(status)"
np=$(netpid)

echo "SIGTERM of wxd stops both within the contract's bounds"
t0=$(date +%s)
kill -TERM "$pid"
wait "$pid"; check $? 0 "wxd exits 0"
t1=$(date +%s)
[ $((t1 - t0)) -le 12 ] && ok "stopped in $((t1 - t0)) s" || bad "took $((t1 - t0)) s"
kill -0 "$np" 2>/dev/null && bad "wxd-net still runs" || ok "wxd-net stopped too"
grep -q "wxd-net: signal 15: stopping" "$T/wxd.log" && ok "wxd-net was told with SIGTERM" || bad "log: $(cat "$T/wxd.log")"

echo "status says when the network side is not running (no wxd-net beside wxd)"
mkdir "$T/alone"
cp "$B/wxd" "$T/alone/wxd"
"$T/alone/wxd" -c "$T/wx.conf" --sim --speed 1 --duration 1h 2>"$T/alone.log" &
pid=$!
wait_for 10 test -S "$T/wx.sock" || bad "no socket"
sleep 1
check "$(json network.status)" "not running" "status: network.status"
check "$(json network.running)" false "status: network.running"
out=$("$B/wxctl" -c "$T/wx.conf" status); rc=$?
check $rc 1 "wxctl status exits 1"
case $out in *"network side: NOT running"*) ok "and says so" ;; *) bad "status: $out" ;; esac
grep -q "cannot start" "$T/alone.log" && ok "wxd logs that it cannot start it" || bad "log: $(cat "$T/alone.log")"
kill -TERM "$pid"; wait "$pid"

echo "no upload section: no network side at all"
printf '[station]\nid = plain\ndatabase = %s\nsocket = %s\n' "$T/p.db" "$T/p.sock" > "$T/p.conf"
"$B/wxd" -c "$T/p.conf" --sim --speed 1 --duration 1h 2>"$T/p.log" &
pid=$!
wait_for 10 test -S "$T/p.sock"
sleep 1
check "$(pgrep -P "$pid" | wc -l)" 0 "wxd starts no child"
"$B/wxd-net" -c "$T/p.conf" 2>/dev/null; check $? 0 "wxd-net alone exits 0 at once"
kill -TERM "$pid"; wait "$pid"

[ $fails -eq 0 ] && echo "all split checks passed" || echo "$fails split checks failed"
[ $fails -eq 0 ]
