#!/bin/sh
# End to end: the web page of a running `wxd --sim` in Debian's chromium
# (headless), and hostile clients while wxd --sim --speed 60 runs.  The page
# is served by wxd itself when its [web] hook is in, else by the web module
# beside it (tests/tool_webserve: what the network side of wxd runs), the
# same code against the same archive and live socket.  Screenshots go to
# $WX_BUILD/web-*.png.  Loopback only.  Run by tests/run with WX_BUILD set.
set -u
B=${WX_BUILD:-build}
T=$(mktemp -d /tmp/wx-e2e-web.XXXXXX)
pids=""
trap 'for p in $pids; do kill -KILL $p 2>/dev/null; done; rm -rf "$T"' EXIT
fails=0
ok()   { echo "  ok: $*"; }
bad()  { echo "  FAIL: $*"; fails=$((fails + 1)); }
check() { if [ "$1" = "$2" ]; then ok "$3 ($1)"; else bad "$3: got '$1', want '$2'"; fi; }
command -v chromium >/dev/null || { echo "chromium is not installed (make deps)"; exit 77; }
command -v curl >/dev/null || { echo "curl is not installed (make deps)"; exit 77; }
[ -x "$B/tests/tool_webserve" ] || { echo "$B/tests/tool_webserve missing (make check-tests)"; exit 1; }

port=$("$B/tests/tool_webserve" --free-port)
U=http://127.0.0.1:$port
cat > "$T/wx.conf" <<CONF
[station]
id = e2e-web
database = $T/wx.db
socket = $T/wx.sock
[web]
listen = 127.0.0.1:$port
CONF
echo "three simulated days, then the station live at --speed 60 with its page"
"$B/wxd" -c "$T/wx.conf" --sim --speed 0 --start -3d --duration 3d 2>"$T/day.log"; check $? 0 "wxd fills three days"
"$B/wxd" -c "$T/wx.conf" --sim --speed 60 2>"$T/wxd.log" &
pids="$pids $!"; wxd=$!
i=0; while ! curl -s -o /dev/null "$U/" && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
if curl -s -o /dev/null "$U/"; then
	ok "wxd serves the page itself"
else
	"$B/tests/tool_webserve" "$T/wx.conf" > "$T/web.out" 2>"$T/web.err" &
	pids="$pids $!"; web=$!
	i=0; while ! grep -q listening "$T/web.out" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	grep -q "listening on $port" "$T/web.out" && ok "the web module serves beside wxd (no daemon hook yet)" || bad "no server: $(cat "$T/web.err")"
fi
i=0; while ! curl -sf "$U/api/current" | grep -q '"temperature_c":[0-9-]' && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done

echo "the API"
check "$(curl -s -o /dev/null -w '%{http_code}' "$U/api/current")" 200 "/api/current"
cur=$(curl -s "$U/api/current")
case $cur in '{"ts":'*'"station":"e2e-web"'*'"temperature_c":'[0-9-]*'"age_s":'*) ok "current has the keys of wxctl read --json" ;; *) bad "current: $cur" ;; esac
"$B/wxctl" -c "$T/wx.conf" read --json > "$T/read.json"
keys() { sed 's/,"age_s".*//' | tr ',' '\n' | sed 's/:.*//' | tr -d '{"' | tr '\n' ' '; }
check "$(echo "$cur" | keys)" "$(keys < "$T/read.json")" "the same keys in the same order as wxctl read --json"
st=$(curl -s "$U/api/status")
case $st in *'"sensors":{"bme280":{"status":"ok"'*) ok "status shows sensor health" ;; *) bad "status: $st" ;; esac
n=$(curl -s "$U/api/history?since=-1d&step=3600" | grep -c '"ts":')
[ "$n" -ge 23 ] && [ "$n" -le 25 ] && ok "a day in hourly steps ($n)" || bad "hourly steps: $n"
since=$(sqlite3 "$T/wx.db" 'select min(ts) from archive')
curl -s "$U/api/history.csv?since=$since&until=$((since + 3540))" > "$T/web.csv"
"$B/wxctl" -c "$T/wx.conf" history --since "$since" --until $((since + 3540)) --format csv > "$T/wxctl.csv"
cmp -s "$T/web.csv" "$T/wxctl.csv" && ok "the CSV download is wxctl history --format csv (60 rows)" || bad "csv differs: $(diff "$T/web.csv" "$T/wxctl.csv" | head -3)"
check "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$U/api/current")" 405 "POST is refused"
check "$(curl -s -o /dev/null -w '%{http_code}' "$U/etc/passwd")" 404 "no path outside the page"

echo "the page in chromium (headless)"
shoot() {	# shoot NAME WIDTH HEIGHT URL [flags...]
	name=$1 w=$2 h=$3 url=$4; shift 4
	prof=$(mktemp -d "$T/chrome.XXXXXX")
	timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$prof" --window-size="$w,$h" --virtual-time-budget=15000 \
		--enable-logging=stderr --v=0 "$@" "$url" > "$T/$name.out" 2>"$T/$name.log"
}
shoot dom 1280 2400 "$U/" --dump-dom
dom=$T/dom.out
grep -q 'data-ready="1"' "$dom" && ok "the page loaded everything" || bad "the page never finished loading: $(grep -o 'class="problem"[^<]*<' "$dom")"
grep -q 'data-errors=' "$dom" && bad "script errors on the page" || ok "no script errors"
grep -E 'CONSOLE|Uncaught' "$T/dom.log" | grep -iv 'favicon' | grep -qi 'error\|uncaught' && bad "console: $(grep -i 'CONSOLE' "$T/dom.log" | head -3)" || ok "no console errors"
n=$(grep -o '<div class="value">-\{0,1\}[0-9][0-9.]*<span class="unit">' "$dom" | wc -l)
[ "$n" -ge 12 ] && ok "current readings and today's extremes show numbers ($n)" || bad "numbers on the page: $n"
grep -o 'data-key="[a-z_]*"><div class="label">[^<]*</div><div class="value">[0-9-]' "$dom" | grep -q temperature_c && ok "the temperature shows a number" || bad "no temperature"
for c in temperature_c humidity_pct sea_level_pressure_hpa wind_speed_kmh wind_direction_deg rain_mm ground_temperature_c; do
	chart=$(sed 's/<div class="chart"/\n&/g' "$dom" | grep "data-chart=\"$c\"")
	pts=$(echo "$chart" | grep -o 'data-points="[0-9]*"' | tr -dc '0-9\n' | sort -n | head -1)
	nser=$(echo "$chart" | grep -o 'data-points="[0-9]*"' | wc -l)
	[ "${pts:-0}" -gt 0 ] && ok "chart $c draws $nser series with data (fewest points: $pts)" || bad "chart $c: no data"
done
grep -q 'No records in this month\|<td>[A-Z][a-z]*, [A-Z]' "$dom" && grep -q '<tfoot><tr><td>Month</td>' "$dom" && ok "the month's daily table" || bad "no daily table"
grep -q '<span class="dot ok"></span>bme280: ok' "$dom" && ok "station health lists the sensors" || bad "no health"
grep -q 'id="csv-link"[^>]*href="api/history.csv?since=[0-9-]*&amp;until=[0-9-]*"' "$dom" && ok "a CSV download link for the chosen days" || bad "no CSV link"
grep -q '°C' "$dom" && ! grep -q '°F' "$dom" && ok "metric by default" || bad "units: metric expected"
shoot us 1280 2400 "$U/#units=us&range=7d" --dump-dom
grep -q '°F' "$T/us.out" && grep -q 'mph' "$T/us.out" && grep -q 'inHg' "$T/us.out" && ok "the units switch shows °F, mph and inHg" || bad "US units not shown"
grep -q '<button type="button" data-range="7d" aria-selected="true">' "$T/us.out" && ok "the 7-day range is chosen" || bad "range 7d not chosen"
shoot desktop 1280 2000 "$U/" --screenshot="$T/web-desktop.png"
shoot phone 390 1600 "$U/#range=30d" --screenshot="$T/web-phone.png"
shoot dark 1280 1400 "$U/#range=1y" --force-dark-mode --blink-settings=preferredColorScheme=0 --screenshot="$T/web-dark.png"
for s in desktop phone dark; do
	if [ -s "$T/web-$s.png" ]; then cp "$T/web-$s.png" "$B/web-$s.png"; ok "screenshot $B/web-$s.png"; else bad "no screenshot $s"; fi
done

echo "hostile clients while wxd --sim --speed 60 runs: every record still written"
n0=$(sqlite3 "$T/wx.db" 'select count(*) from archive')
m0=$(sqlite3 "$T/wx.db" 'select max(ts) from archive')
"$B/tests/tool_webserve" --idle "$port" 20 > "$T/idle.out" &
idle=$!
head -c 10485760 /dev/zero | curl -s -o /dev/null --max-time 20 -X GET -H 'Content-Type: application/octet-stream' --data-binary @- "$U/api/current" &
big=$!
i=0; okn=0
while [ $i -lt 1000 ]; do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/api/station")" = 200 ] && okn=$((okn + 1))
	i=$((i + 1))
done
check "$okn" 1000 "1000 quick requests answered"
t=$(date +%s%N)
check "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$U/api/current")" 200 "the page still answers"
echo "  (answered in $((($(date +%s%N) - t) / 1000000)) ms)"
wait $big
wait $idle
case $(cat "$T/idle.out") in "closed by the server after "*) ok "a silent client: $(cat "$T/idle.out")" ;; *) bad "silent client: $(cat "$T/idle.out")" ;; esac
sleep 3
n1=$(sqlite3 "$T/wx.db" 'select count(*) from archive')
[ "$n1" -gt "$n0" ] && ok "records kept coming ($n0 -> $n1)" || bad "no record written meanwhile ($n0 -> $n1)"
check "$(sqlite3 "$T/wx.db" "select count(*) = (max(ts)-min(ts))/60+1 from archive where ts >= $m0")" 1 "no record missing meanwhile"
kill -TERM $wxd; wait $wxd; check $? 0 "wxd stops cleanly"
[ $fails -eq 0 ]
