#!/bin/sh
# End to end for Oracle Weather Station owners: a station with profile =
# oracle-hat runs on the HAT's simulated chips and fills the archive, and
# old WEATHER_MEASUREMENT rows come in with wxctl import.
set -u
B=${WX_BUILD:-build}
T=$(mktemp -d /tmp/wx-oracle.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
ok()   { echo "  ok: $*"; }
bad()  { echo "  FAIL: $*"; fails=$((fails + 1)); }
check() { if [ "$1" = "$2" ]; then ok "$3 ($1)"; else bad "$3: got '$1', want '$2'"; fi; }
q() { sqlite3 "$T/wx.db" "$1"; }

printf '[station]\nid = oracle\nprofile = oracle-hat\ndatabase = %s\nsocket = %s\n' \
	"$T/wx.db" "$T/wxd.sock" > "$T/wxd.conf"

echo "a simulated oracle-hat station fills the archive"
"$B/wxd" -c "$T/wxd.conf" --sim --speed 0 --duration 6h 2>"$T/log"; check $? 0 "wxd exits 0"
check "$(q 'select count(*) from archive')" 360 "records"
check "$(q 'select count(*) from archive where temperature_c is null or humidity_pct is null
	or pressure_hpa is null or dew_point_c is null or ground_temperature_c is null
	or wind_speed_kmh is null or rain_mm is null or air_quality_pct is null')" 0 "HTU21D, BMP180, DS18B20, air quality, wind and rain in every record"
check "$(q 'select count(*) from archive where wind_direction_deg is null and wind_pulses > 0')" 0 "MCP3427 vane direction whenever there was wind"
check "$(q 'select count(*) from archive where air_quality_pct not between 0 and 100
	or humidity_pct not between 0 and 100 or pressure_hpa not between 950 and 1050')" 0 "values plausible"
grep -q "6 sensors\|7 sensors" "$T/log" && ok "the HAT's sensors were opened" || bad "sensors: $(cat "$T/log")"

echo "old WEATHER_MEASUREMENT rows are imported, sentinels become NULL"
cat > "$T/old.csv" <<CSV
ID,REMOTE_ID,AMBIENT_TEMPERATURE,GROUND_TEMPERATURE,AIR_QUALITY,AIR_PRESSURE,HUMIDITY,WIND_DIRECTION,WIND_SPEED,WIND_GUST_SPEED,RAINFALL,CREATED
1,,12.50,-255.00,55.10,1012.30,81.00,225.00,5.40,9.10,0.00,2017-03-01 10:00:00
2,,12.60,9.50,55.00,1012.20,80.50,225.00,6.30,10.20,0.28,2017-03-01 10:05:00
3,,bogus,9.50,55.00,1012.20,80.50,225.00,6.30,10.20,0.28,2017-03-01 10:10:00
CSV
TZ=UTC "$B/wxctl" -c "$T/wxd.conf" import --layout oracle "$T/old.csv" >"$T/out" 2>"$T/err"
check $? 1 "exit 1 when a line was rejected"
grep -q "old.csv:4: " "$T/err" && ok "bad line named by file and line" || bad "stderr: $(cat "$T/err")"
grep -q "2 records imported" "$T/out" && ok "two rows imported" || bad "stdout: $(cat "$T/out")"
check "$(q 'select ground_temperature_c is null, temperature_c, dew_point_c is not null from archive where ts = 1488362400')" "1|12.5|1" "-255 became NULL, dew point derived"
TZ=UTC "$B/wxctl" -c "$T/wxd.conf" import --layout oracle "$T/old.csv" >"$T/out" 2>/dev/null
grep -q "0 records imported, 2 already in the archive" "$T/out" && ok "a second import keeps what is stored" || bad "stdout: $(cat "$T/out")"

[ $fails -eq 0 ]
