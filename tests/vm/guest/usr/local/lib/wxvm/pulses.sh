#!/bin/bash
# VM test "pulses": the anemometer and the rain gauge on gpio-sim through the
# installed service (sandbox, udev rule), with libgpiod 1.6 as packaged, or
# (WXVM_GPIOD=2, test "pulses2") the wxd built against trixie's libgpiod 2.x
# under /opt/wxd-gpiod2.  wxvm-pulse injects closures with 1-3 ms of bounce
# at 0.5-80 Hz and a rain burst, one rate per 10-s interval; every record's
# wind_pulses, rain_tips and wind_gust_kmh must equal what was injected in
# its interval, computed here from the injector's CLOCK_REALTIME log the way
# firmware/windrain.c does (250 ms bins, the best 12 in a row, x 2.4 / 3).
# Then 70 s at 5 Hz (exact too), and 60 s at 5 Hz with the default 60-s
# interval: wxd's wakeups per thread (voluntary context switches),
# printed beside issue 15's target.
. /usr/local/lib/wxvm/lib.sh
V=${WXVM_GPIOD:-1}
PLAN=${WXVM_PLAN:-"0.5 1 2 4 8 20 40 80 8/1 0"}

gpio_station
if [ "$V" = 2 ]; then
	mkdir -p /etc/systemd/system/wxd.service.d
	printf '[Service]\nExecStart=\nExecStart=/opt/wxd-gpiod2/wxd -c /etc/wxd/wxd.conf\n' \
		> /etc/systemd/system/wxd.service.d/gpiod2.conf
	systemctl daemon-reload
fi

# A line held by another program: the clear error, on the real kernel.
gpiomon $chip 0 > /dev/null 2>&1 &
holder=$!
sleep 1
systemctl restart wxd
wait_for 30 active || bad "wxd not active after restart: $(systemctl status wxd --no-pager 2>&1 | tail -3)"
ver=$(grep -o "libgpiod.so.[0-9]*" /proc/$(mainpid)/maps | sort -u | head -1)
[ "$ver" = "libgpiod.so.$((V == 2 ? 3 : 2))" ] && ok "wxd ($(readlink /proc/$(mainpid)/exe)) uses $ver (libgpiod $V.x)" ||
	bad "wxd uses '$ver', want libgpiod $V.x"
anem() { status_json | grep -o '"anemometer":{[^}]*}'; }
wait_for 20 sh -c 'wxctl status --json | tr -d " \n" | grep -q "\"anemometer\":{\"status\":\"error\""'
e=$(wxctl status --json | grep -o '"error": *"anemometer[^"]*"' | cut -d'"' -f4)
echo "$e" | grep -q 'line busy (another program holds it)' &&
	ok "line held by gpiomon: status error '$e'" || bad "line held by gpiomon: status $(anem)"
journalctl -b -u wxd -o cat --no-pager | grep -q 'line busy' && ok "the log says line busy too" ||
	bad "no 'line busy' in the journal"
kill $holder; wait $holder 2>/dev/null
wait_for 40 sh -c 'wxctl status --json | tr -d " \n" | grep -q "\"anemometer\":{\"status\":\"ok\""' &&
	ok "gpiomon gone: the anemometer opens without a restart" || bad "anemometer after gpiomon left: $(anem)"
wait_for 20 sh -c 'wxctl status --json | tr -d " \n" | grep -q "\"rain\":{\"status\":\"ok\""' || bad "rain not ok: $(status_json | grep -o '"rain":{[^}]*}')"

# The rates, one per interval.
LOG=/run/wxvm-pulses.log
wxvm-pulse $WPULL $RPULL $PLAN > $LOG
start=$(sed -n 's/^START //p' $LOG) end=$(sed -n 's/^END //p' $LOG)
note "injected $(grep -c '^W ' $LOG) wind closures, $(grep -c '^R ' $LOG) rain tips from $start to $end ($(grep -c '^SKIP' $LOG) skipped as late)"
wait_for 40 sh -c "[ \$(sqlite3 -cmd '.timeout 3000' $DB 'select count(*) from archive where ts = $end') = 1 ]" ||
	bad "no record for $end"
lost80=$(anem | jget edges_lost)
check_pulses "$LOG" "$start" "$end" "$PLAN" > /run/wxvm-check
n=$(wc -l < /run/wxvm-check) nbad=$(grep -c '^BAD' /run/wxvm-check)
sed 's/^/WXVM     /' /run/wxvm-check
nint=$(echo $PLAN | wc -w)
[ "$n" = "$nint" ] && [ "$nbad" = 0 ] &&
	ok "libgpiod $V: all $n records exact: $(awk '{ split($6, w, "/"); W += w[1]; split($8, r, "/"); R += r[1] } END { printf "%d of %d wind closures, %d of %d tips", W, W, R, R }' /run/wxvm-check)" ||
	bad "libgpiod $V: $nbad of $n records wrong (want $nint records)"
note "figure: pulses libgpiod $V: $(awk '{ printf "%s Hz %s, ", $3, $6 }' /run/wxvm-check)rain $(awk '{ split($8, r, "/"); R += r[1]; A += r[2] } END { print R "/" A }' /run/wxvm-check) (injected/archived)"
note "figure: edges_lost libgpiod $V after 80 Hz with bounce: $lost80 (rejected as bounce: $(anem | jget edges_rejected))"
[ "${lost80:-x}" = 0 ] && ok "edges_lost 0 after 80 Hz with bounce" || bad "edges_lost $lost80 after 80 Hz"

# 5 Hz with bounce for 70 s: every record exact.
wxvm-pulse $WPULL $RPULL 5 5 5 5 5 5 5 > /run/wxvm-5hz.log
s5=$(sed -n 's/^START //p' /run/wxvm-5hz.log) e5=$(sed -n 's/^END //p' /run/wxvm-5hz.log)
# The last interval's record comes a moment after the injector ends.
wait_for 40 sh -c "[ \$(sqlite3 -cmd '.timeout 3000' $DB 'select count(*) from archive where ts = $e5') = 1 ]" ||
	bad "no record for $e5"
check_pulses /run/wxvm-5hz.log "$s5" "$e5" "5 5 5 5 5 5 5" > /run/wxvm-check5
[ "$(grep -c '^ok' /run/wxvm-check5)" = 7 ] && ok "5 Hz: 7 records exact ($(awk '{ split($6, w, "/"); W += w[1] } END { print W }' /run/wxvm-check5) closures)" ||
	{ bad "5 Hz: records not exact"; sed 's/^/WXVM     /' /run/wxvm-check5; }

# Wakeups at 5 Hz with bounce, on a station sampled as by default (interval
# 60 s: a sample every 5 s; this machine's 10 s interval samples every 2 s):
# voluntary context switches per thread over 60 s, with both libgpiod
# versions (both ask the kernel for 1024 events and read in batches).
sed -i 's/^interval_s = 10$/interval_s = 60/' /etc/wxd/wxd.conf
systemctl restart wxd
wait_for 30 active || bad "wxd not active with interval_s = 60"
wait_for 20 sh -c 'wxctl status --json | tr -d " \n" | grep -q "\"anemometer\":{\"status\":\"ok\""'
pid=$(mainpid)
snap() { for t in /proc/$pid/task/*; do echo "$([ ${t##*/} = $pid ] && echo main || echo thread) ${t##*/} $(sed -n 's/^voluntary_ctxt_switches:\s*//p' $t/status)"; done; }
wxvm-pulse $WPULL $RPULL 5 5 5 5 5 5 5 5 > /run/wxvm-5hzw.log &
inj=$!
wait_for 15 grep -q '^W ' /run/wxvm-5hzw.log; sleep 5
t0=$(date +%s.%N); snap > /run/wxvm-cs0
sleep 60
t1=$(date +%s.%N); snap > /run/wxvm-cs1
wait $inj
sed -i 's/^interval_s = 60$/interval_s = 10/' /etc/wxd/wxd.conf
per=$(awk -v dt="$(awk -v a=$t0 -v b=$t1 'BEGIN { print b - a }')" 'FNR == NR { c[$2] = $3; next }
	($2 in c) { d = ($3 - c[$2]) / dt; T += d; printf "%s %s %.2f/s, ", $1, $2, d } END { printf "total %.2f/s (target <= 2/s)", T }' /run/wxvm-cs0 /run/wxvm-cs1)
note "figure: wakeups libgpiod $V at 5 Hz with bounce, interval 60 s, per thread: $per"
edges=$(anem | jget edges_lost)
[ "${edges:-x}" = 0 ] && ok "edges_lost 0 after the wakeups run" || bad "edges_lost $edges after the wakeups run"
finish
