#!/bin/sh
# End to end: the real wxd and wxctl binaries on simulated hardware, a real
# SQLite file and the real socket.  Run by tests/run with WX_BUILD set to the
# build directory (plain or sanitizer).  Prints one line per check.
set -u
B=${WX_BUILD:-build}
T=$(mktemp -d /tmp/wx-e2e.XXXXXX)
trap 'pkill -KILL -f "$T/" 2>/dev/null; rm -rf "$T"' EXIT
fails=0
ok()   { echo "  ok: $*"; }
bad()  { echo "  FAIL: $*"; fails=$((fails + 1)); }
check() { if [ "$1" = "$2" ]; then ok "$3 ($1)"; else bad "$3: got '$1', want '$2'"; fi; }
q() { sqlite3 "$1" "$2"; }
conf() {	# conf NAME [extra ini lines...]
	f="$T/$1.conf"; shift
	printf '[station]\nid = e2e\ndatabase = %s\nsocket = %s\n' "$T/$(basename "$f" .conf).db" \
		"$T/$(basename "$f" .conf).sock" > "$f"
	for l in "$@"; do printf '%s\n' "$l" >> "$f"; done
	echo "$f"
}

echo "a simulated day writes exactly 1440 plausible records"
c=$(conf day)
"$B/wxd" -c "$c" --sim --speed 0 --duration 24h 2>"$T/day.log"; check $? 0 "wxd exits 0"
db=$T/day.db
check "$(q "$db" 'select count(*) from archive')" 1440 "records"
check "$(q "$db" 'select (max(ts)-min(ts))/60+1 from archive')" 1440 "no gaps"
check "$(q "$db" 'select count(*) from archive where ts % 60 != 0 or interval_s != 60')" 0 "aligned to the minute"
check "$(q "$db" "select count(*) from archive where temperature_c is null or humidity_pct is null
	or pressure_hpa is null or sea_level_pressure_hpa is null or dew_point_c is null
	or ground_temperature_c is null or wind_speed_kmh is null or wind_gust_kmh is null
	or rain_mm is null or wind_pulses is null or rain_tips is null")" 0 "every key present"
check "$(q "$db" 'select count(*) from archive where air_quality_pct is not null')" 0 "air quality null on a BYO station"
check "$(q "$db" 'select count(*) from archive where temperature_c not between -10 and 35
	or humidity_pct not between 5 and 100 or pressure_hpa not between 950 and 1050
	or dew_point_c > temperature_c + 0.01 or wind_speed_kmh not between 0 and 80
	or wind_direction_deg not between 0 and 360')" 0 "values plausible"
check "$(q "$db" 'select count(*) from archive where wind_gust_kmh < wind_speed_kmh')" 0 "gust >= mean"
check "$(q "$db" 'select count(*) from archive where wind_direction_deg is null and wind_pulses > 0')" 0 "direction given whenever there was wind"

echo "constant wind 20 km/h reads 20 km/h within 2 %; 6 mm/h of rain gives 144 mm within one tip"
c=$(conf const '[sim]' 'wind_kmh = 20' 'rain_mm_h = 6')
"$B/wxd" -c "$c" --sim --speed 0 --duration 24h 2>/dev/null; check $? 0 "wxd exits 0"
check "$(q "$T/const.db" 'select count(*) from archive where abs(wind_speed_kmh - 20) > 0.4')" 0 "every record 20 km/h +- 2 %"
check "$(q "$T/const.db" 'select abs(sum(rain_mm) - 144) <= 0.2794 from archive')" 1 "rain within one tip of 144 mm"

echo "a resumed simulation continues after the newest record"
"$B/wxd" -c "$c" --sim --speed 0 --duration 1h 2>/dev/null
check "$(q "$T/const.db" 'select count(*), (max(ts)-min(ts))/60+1 from archive')" "1500|1500" "1500 contiguous records"

echo "kill -9 during writes loses nothing but the interval in progress"
c=$(conf crash)
"$B/wxd" -c "$c" --sim --speed 0 --duration 30d 2>/dev/null &
pid=$!
sleep 2
kill -KILL $pid; wait $pid 2>/dev/null
n=$(q "$T/crash.db" 'select count(*) from archive')
check "$(q "$T/crash.db" 'pragma integrity_check')" ok "integrity_check after kill -9"
check "$(q "$T/crash.db" 'select (max(ts)-min(ts))/60+1 from archive')" "$n" "no gap in $n records"
"$B/wxd" -c "$c" --sim --speed 0 --duration 2h 2>/dev/null; check $? 0 "restart exits 0"
check "$(q "$T/crash.db" 'select count(*), (max(ts)-min(ts))/60+1 from archive')" "$((n + 120))|$((n + 120))" "resumed without duplicates or gaps"

echo "the live socket answers while the daemon is busy, and SIGTERM stops it cleanly"
c=$(conf busy)
"$B/wxd" -c "$c" --sim --speed 0 --duration 30d 2>"$T/busy.log" &
pid=$!
i=0; while [ ! -S "$T/busy.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
out=$("$B/wxctl" -c "$c" read --json); rc=$?
check $rc 0 "wxctl read exits 0"
case $out in *'"station":"e2e"'*'"temperature_c":'[0-9-]*'"rain_today_mm":'*) ok "read has the contract's keys" ;; *) bad "read: $out" ;; esac
out=$("$B/wxctl" -c "$c" status --json); rc=$?
check $rc 0 "wxctl status exits 0"
case $out in *'"bme280":{"status":"ok"'*) ok "status shows sensor health" ;; *) bad "status: $out" ;; esac
"$B/wxctl" -c "$c" status >/dev/null; check $? 0 "status table"
kill -TERM $pid; wait $pid; check $? 0 "exit code after SIGTERM"
check "$(q "$T/busy.db" 'select count(*) = (max(ts)-min(ts))/60+1 from archive')" 1 "no half interval written"
[ -e "$T/busy.sock" ] && bad "socket left behind" || ok "socket removed"

echo "a 100 Hz pulse stream with bounce is counted exactly while the ground probe takes 750 ms"
c=$(conf hz '[sim]' 'wind_kmh = 240' 'bounce = true')
sed -i 's/^id = e2e/id = e2e\ninterval_s = 10/' "$c"
"$B/wxd" -c "$c" --sim --speed 1 --duration 20s 2>"$T/hz.log" &
pid=$!
sleep 12
st=$("$B/wxctl" -c "$c" status --json)
wait $pid; check $? 0 "wxd exits 0"
case $st in *'"anemometer":{"status":"ok"'*'"edges_lost":0,'*) ok "no edge lost from the kernel FIFO" ;; *) bad "status: $st" ;; esac
check "$(q "$T/hz.db" 'select count(*) from archive where wind_pulses between 999 and 1001')" 2 "1000 pulses in each 10 s record"
check "$(q "$T/hz.db" 'select count(*) from archive where ground_temperature_c is not null')" 2 "ground probe read meanwhile"

echo "the live reading's rain today and rain rate (6 mm/h for 12 minutes)"
c=$(conf rate '[rain]' '[sim]' 'rain_mm_h = 6')
"$B/wxd" -c "$c" --sim --speed 60 --start 2026-06-01T12:00:00 --duration 15m 2>/dev/null &
pid=$!
sleep 12
out=$("$B/wxctl" -c "$c" read --json)
kill -TERM $pid; wait $pid
rate=$(printf '%s' "$out" | sed -n 's/.*"rain_rate_mm_h":\([0-9.]*\).*/\1/p')
today=$(printf '%s' "$out" | sed -n 's/.*"rain_today_mm":\([0-9.]*\).*/\1/p')
awk -v r="$rate" 'BEGIN { exit !(r >= 5 && r <= 7) }' && ok "rain rate over the last 10 minutes ($rate mm/h)" || bad "rain rate: $out"
awk -v r="$today" 'BEGIN { exit !(r >= 0.8 && r <= 1.7) }' && ok "rain today ($today mm)" || bad "rain today: $out"

echo "wxctl read --direct on a real 1-wire sysfs tree and a path that is no I2C bus"
mkdir -p "$T/w1/28-0316a27949ff" "$T/w1/w1_bus_master1"
printf '72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n' > "$T/w1/28-0316a27949ff/w1_slave"
: > "$T/not-i2c"
printf '[station]\nid = direct\nsocket = %s\n[ds18b20]\nw1_dir = %s\n[bme280]\nbus = %s\n' \
	"$T/none.sock" "$T/w1" "$T/not-i2c" > "$T/direct.conf"
out=$("$B/wxctl" -c "$T/direct.conf" read --direct --json 2>"$T/direct.err"); rc=$?
check $rc 1 "exit 1: one enabled sensor failed"
case $out in '{"ts":'*'"station":"direct","temperature_c":null,"humidity_pct":null,"pressure_hpa":null,'*'"ground_temperature_c":23.13,'*'"rain_today_mm":null,"rain_rate_mm_h":null,"air_quality_pct":null}') ok "JSON: ground probe read, BME280 null" ;; *) bad "json: $out" ;; esac
check "$(wc -l < "$T/direct.err")" 1 "one stderr line"
grep -q "^wxctl: bme280 $T/not-i2c address 0x76: " "$T/direct.err" && ok "it names the device and address" || bad "stderr: $(cat "$T/direct.err")"
out=$("$B/wxctl" -c "$T/direct.conf" read 2>&1)
case $out in *"wxd is not answering"*"reading the sensors directly"*"Ground temperature"*"23.1 °C"*) ok "without a daemon, read falls back to the hardware and says so" ;; *) bad "read: $out" ;; esac

echo "configuration and usage errors"
printf '[rain]\nmm_per_tip = 0,2794\n' > "$T/bad.conf"
err=$("$B/wxd" -c "$T/bad.conf" --check-config 2>&1); check $? 78 "bad config exits 78"
check "$err" "$T/bad.conf:2: [rain] mm_per_tip: \"0,2794\" is not a number" "message names file and line"
"$B/wxd" -c "$T/bad.conf" --speed 0 >/dev/null 2>&1; check $? 2 "--speed without --sim is a usage error"
"$B/wxd" --sim --duration 5x >/dev/null 2>&1; check $? 2 "bad span is a usage error"
"$B/wxctl" -c "$T/bad.conf" read >/dev/null 2>&1; check $? 78 "wxctl exits 78 on a bad config"
"$B/wxctl" frobnicate >/dev/null 2>&1; check $? 2 "unknown command exits 2"
"$B/wxd" --version | grep -q '^wxd [0-9]' && ok "wxd --version" || bad "wxd --version"
"$B/wxctl" --version | grep -q '^wxctl [0-9]' && ok "wxctl --version" || bad "wxctl --version"

echo "history formats"
c=$T/day.conf
since=$(q "$T/day.db" 'select min(ts) from archive')
check "$("$B/wxctl" -c "$c" history --since "$since" --until $((since + 3540)) --format csv | wc -l)" 61 "csv: header and 60 rows"
"$B/wxctl" -c "$c" history --since "$since" --until $((since + 3540)) --format csv | head -1 | grep -q '^ts,time_local,interval_s,temperature_c,humidity_pct,pressure_hpa' && ok "csv header uses the contract's keys" || bad "csv header"
check "$("$B/wxctl" -c "$c" history --since "$since" --until $((since + 3540)) --format json | grep -c '"ts":')" 60 "json: 60 objects"
"$B/wxctl" -c "$c" history --since "$since" --until $((since + 3540)) --format csv --layout oracle | head -1 | grep -q '^ID,REMOTE_ID,AMBIENT_TEMPERATURE' && ok "oracle layout header" || bad "oracle layout"
"$B/wxctl" -c "$c" history --since "$since" --until $((since + 86400)) | grep -q '^1440 records' && ok "table summary counts 1440" || bad "table summary"
"$B/wxctl" -c "$c" history --since yesterday >/dev/null 2>&1; check $? 2 "bad --since is a usage error"

[ $fails -eq 0 ]
