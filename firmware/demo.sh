#!/bin/sh
# make demo: a simulated day at full speed into demo/wx.db, then a look at
# what it recorded and at the live daemon.  Usage: demo.sh BUILD_DIR
set -e
B=${1:-build}
D=demo
mkdir -p "$D"
rm -f "$D"/wx.db "$D"/wx.db-wal "$D"/wx.db-shm
cat > "$D/wxd.conf" <<CONF
; The demo station: every sensor simulated (wxd --sim enables all five when
; no sensor section is given).  See etc/wxd.conf.example for a real station.
[station]
id = demo
altitude_m = 12
interval_s = 60
database = $D/wx.db
socket = $D/wxd.sock

[web]                         ; the station's page, on this machine only
listen = 127.0.0.1:${DEMO_PORT:-8080}
CONF

echo "== wxd --sim --start -24h --duration 24h --speed 0: the day that ends now,"
echo "   simulated as fast as the machine goes"
t0=$(date +%s.%N)
"$B/wxd" -c "$D/wxd.conf" --sim --start -24h --duration 24h --speed 0
t1=$(date +%s.%N)
echo "   took $(echo "$t1 $t0" | awk '{printf "%.1f", $1 - $2}') s"

echo
echo "== wxctl history: the last 24 h (the first hour, then the day's summary)"
"$B/wxctl" -c "$D/wxd.conf" history > "$D/history.txt"
head -n 8 "$D/history.txt"
echo "   ..."
sed -n '/^[0-9]* records/,$p' "$D/history.txt"

echo
live=${DEMO_SECONDS:-60}
echo "== wxctl read, from wxd running live on simulated sensors (real time, going on"
echo "   from the day above, for ${live} s)"
echo "   The web page: http://127.0.0.1:${DEMO_PORT:-8080}/ (open it in a browser now)"
"$B/wxd" -c "$D/wxd.conf" --sim --speed 1 --duration "${live}s" 2>"$D/wxd.log" &
pid=$!
i=0
while [ ! -S "$D/wxd.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sleep 6	# let every sensor give a first reading
"$B/wxctl" -c "$D/wxd.conf" read
echo
"$B/wxctl" -c "$D/wxd.conf" status
echo
echo "   (the page stays up until wxd stops, ${live} s after it started; DEMO_SECONDS=600 make demo"
echo "   keeps it longer)"
wait $pid
echo
echo "The archive is $D/wx.db (open it with: sqlite3 $D/wx.db 'select * from archive limit 5')."
