#!/bin/sh
# The interval schedule on the real clock.  A simulated clock computes wall
# time exactly, so it cannot show what two real clocks read apart do to the
# schedule: wxd runs here on the host's CLOCK_REALTIME and CLOCK_MONOTONIC
# (WXD_SIM_REAL_CLOCK=1: simulated devices, real clock) for about two
# minutes at interval_s = 10, with adjtimex() reporting the clock as
# synchronised (an LD_PRELOAD shim, tests/shim/synced.c).  A poller notes
# when each record appears.  Checks: every record but the first covers
# 10 s, ends on a multiple of 10 s, follows the previous by exactly 10 s and
# was never labelled later than the moment it was written; and a burst of
# wind straddling a boundary keeps its full 3-second gust.
set -u
B=${WX_BUILD:-build}
T=$(mktemp -d /tmp/wx-realclock.XXXXXX)
trap 'pkill -KILL -f "$T/" 2>/dev/null; rm -rf "$T"' EXIT
fails=0
ok()   { echo "  ok: $*"; }
bad()  { echo "  FAIL: $*"; fails=$((fails + 1)); }
check() { if [ "$1" = "$2" ]; then ok "$3 ($1)"; else bad "$3: got '$1', want '$2'"; fi; }
q() { sqlite3 "$T/rc.db" "$1" 2>/dev/null; }
now() { date +%s.%N; }

[ -f "$B/tests/synced.so" ] || { echo "FAIL: $B/tests/synced.so not built"; exit 1; }
cat > "$T/rc.conf" <<EOF
[station]
id = realclock
interval_s = 10
database = $T/rc.db
socket = $T/rc.sock
[bme280]
[anemometer]
[sim]
wind_kmh = 24
bounce = false
EOF

echo "two minutes on the real clock at interval_s = 10"
WXD_SIM_REAL_CLOCK=1 LD_PRELOAD="$(cd "$B/tests" && pwd)/synced.so" \
	ASAN_OPTIONS=verify_asan_link_order=0 \
	"$B/wxd" -c "$T/rc.conf" --sim --duration 125s 2>"$T/rc.log" &
pid=$!
i=0; while [ ! -S "$T/rc.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
grep -q "(simulated)" "$T/rc.log" || { bad "wxd did not start: $(cat "$T/rc.log")"; exit 1; }
"$B/tests/tool_wxsock" "$T/rc.sock" status | grep -q '"clock_synchronized":true' \
	&& ok "the shim reports the clock synchronised" || bad "clock not synchronised under the shim"

# Note when each record appears (ts and the wall time it was first seen).
: > "$T/seen"
burst=0 last=0
while kill -0 $pid 2>/dev/null; do
	ts=$(q 'select coalesce(max(ts), 0) from archive')
	t=$(now)	# after the query: the record was written before this moment
	if [ -n "$ts" ] && [ "$ts" != "$last" ] && [ "$ts" != 0 ]; then
		echo "$ts $t" >> "$T/seen"; last=$ts
	fi
	# About 40 s in, a 72 km/h burst from 2 s before a boundary to 2 s after.
	if [ $burst = 0 ] && [ "$(wc -l < "$T/seen")" -ge 4 ]; then
		b=$(( ($(date +%s) / 10 + 2) * 10 ))
		sleep "$(awk -v b="$b" -v t="$(now)" 'BEGIN { d = b - 2 - t; printf "%.3f", (d > 0 ? d : 0) }')"
		"$B/tests/tool_wxsock" "$T/rc.sock" "sim gust 72 4" >/dev/null || bad "sim gust"
		echo "  burst sent at $(now) for the boundary $b"
		burst=$b
	fi
	sleep 0.2
done
wait $pid; check $? 0 "wxd exits 0 after --duration"

n=$(q 'select count(*) from archive')
[ "$n" -ge 11 ] && ok "$n records in 125 s" || bad "only $n records in 125 s"
check "$(q 'select count(*) from archive where ts > (select min(ts) from archive) and interval_s != 10')" 0 \
	"every record but the first covers 10 s"
check "$(q 'select count(*) from archive where ts % 10 != 0')" 0 "every record ends on a multiple of 10 s"
check "$(q 'select count(*) from archive a where ts > (select min(ts) from archive)
	and not exists (select 1 from archive b where b.ts = a.ts - 10)')" 0 "each follows the previous by exactly 10 s"
check "$(q 'select count(*) from archive where interval_s <= 0')" 0 "no zero-length record"
late=$(awk '$1 > $2 { print $1 " seen at " $2 }' "$T/seen")
[ -z "$late" ] && ok "no record labelled later than the moment it was written ($(wc -l < "$T/seen") seen)" \
	|| bad "records from the future: $late"
if [ "$burst" -gt 0 ]; then
	g=$(q "select wind_gust_kmh from archive where ts = $burst + 10")
	before=$(q "select wind_gust_kmh from archive where ts = $burst")
	echo "  burst across $burst: gust $before km/h before the boundary, $g km/h after"
	[ -n "$g" ] && awk -v g="$g" 'BEGIN { exit !(g >= 71 && g <= 73) }' \
		&& ok "the burst straddling the boundary keeps its full 72 km/h gust ($g)" \
		|| { bad "gust after the boundary: '$g', want 72 +- 1"; q 'select ts, interval_s, wind_pulses, wind_gust_kmh from archive'; }
else
	bad "the burst was never sent"
fi
[ $fails -eq 0 ] || { echo "log:"; cat "$T/rc.log"; }
exit $((fails > 0))
