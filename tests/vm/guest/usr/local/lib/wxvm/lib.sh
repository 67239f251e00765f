# Helpers of the guest tests (sourced).
fails=0
DB=/var/lib/wxd/wx.db
ok()  { echo "WXVM   ok: $*"; }
bad() { echo "WXVM   FAIL: $*"; fails=$((fails + 1)); part_bad=${part_bad:-$*}; }
# part NAME: one boot, several tests: NAME passes if nothing failed since
# the previous part; the host counts each "WXVM PART" line as a test.
part_fails=0 part_bad=
part() {
	if [ $fails -eq $part_fails ]; then echo "WXVM PART $1 PASS"; else echo "WXVM PART $1 FAIL: $part_bad"; fi
	part_fails=$fails part_bad=
}
note() { echo "WXVM   $*"; }
# check DESCRIPTION COMMAND...: ok or FAIL with the command's last output.
check() {
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$d"; else bad "$d: $(printf '%s' "$out" | tail -3 | tr '\n' ' ')"; fi
}
# wait_for SECONDS COMMAND...: until the command succeeds.
wait_for() {
	local end=$(($(date +%s) + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge $end ] && return 1
		sleep 0.5
	done
}
q() { sqlite3 -cmd '.timeout 5000' "$DB" "$@"; }
mainpid() { systemctl show -p MainPID --value wxd; }
active() { [ "$(systemctl is-active wxd)" = active ]; }
# One key of `wxctl status --json` / `read --json` (flat match, first hit).
status_json() { wxctl status --json 2>/dev/null | tr -d ' \n'; }
jget() { grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2- | tr -d '"'; }
# |a - b| <= tol
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= t) }'; }
# On failure: what wxd said, for the report.
diag() {
	{ journalctl -b -u wxd -o short-monotonic --no-pager | tail -15; timeout 5 wxctl status;
	  q "select ts, interval_s, temperature_c from archive order by ts desc limit 8"; } 2>&1 |
		sed 's/^/WXVM   | /'
}
finish() { [ $fails -eq 0 ] || diag; [ $fails -eq 0 ]; exit; }
# check_pulses LOG START END PLAN: one line per record in (START, END], "ok"
# or "BAD", with injected/archived wind pulses, rain tips and gust.  LOG is
# wxvm-pulse's ("W|R SECONDS" per closure).  The gust as firmware/windrain.c
# makes it: 250 ms bins counted from the interval boundaries (multiples of
# 10 s), the best 12 in a row among the windows ending in the interval
# (the previous interval's last bins carried in), x kmh_per_hz (2.4) / 3.
# Times are taken relative to START (mawk turns big array keys into %.6g).
check_pulses() {
	q "select ts, ifnull(wind_pulses,'null'), ifnull(rain_tips,'null'), ifnull(wind_gust_kmh,'null')
	   from archive where ts > $2 and ts <= $3 order by ts" |
	awk -v plan="$4" -v start="$2" '
	FNR == NR { t = $2 - start
		    if ($1 == "W") { w[int(t / 10)]++; b[int(t * 4)]++ }
		    if ($1 == "R") r[int(t / 10)]++; next }
	{ split($0, f, "|"); e = f[1] - start; i = e / 10 - 1; split(plan, p, " ")
	  best = 0
	  for (k = e * 4 - 40; k < e * 4; k++) { s = 0; for (j = k - 11; j <= k; j++) s += b[j]; if (s > best) best = s }
	  g = best * 2.4 / 3
	  ok = f[2] == w[i] + 0 && f[3] == r[i] + 0 && f[4] - g < 0.006 && g - f[4] < 0.006
	  printf "%s %s %s Hz: wind %d/%s rain %d/%s gust %.2f/%s\n", ok ? "ok" : "BAD", f[1], p[i + 1] == "" ? "-" : p[i + 1],
		w[i], f[2], r[i], f[3], g, f[4] }' "$1" -
}
# gpio_station: a gpio-sim bank of two lines (the udev rule gives it to
# group gpio), both pulled up (switch open), named as the anemometer (line
# 0) and the rain gauge (line 1) in wxd.conf; sets chip, WPULL and RPULL
# (the sysfs "pull" files wxvm-pulse writes).  wxd must be restarted.
gpio_station() {
	local g=/sys/kernel/config/gpio-sim/wx dev
	modprobe gpio-sim || { bad "gpio-sim does not load"; finish; }
	mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
	mkdir -p $g/bank0 && echo 2 > $g/bank0/num_lines && echo 1 > $g/live
	chip=$(cat $g/bank0/chip_name) dev=$(cat $g/dev_name)
	wait_for 5 sh -c "ls -l /dev/$chip | grep -q ' root gpio '" && ok "gpio-sim bank: /dev/$chip root:gpio, 2 lines" ||
		bad "gpio-sim: /dev/$chip is $(ls -l /dev/$chip 2>&1)"
	WPULL=/sys/devices/platform/$dev/$chip/sim_gpio0/pull
	RPULL=/sys/devices/platform/$dev/$chip/sim_gpio1/pull
	echo pull-up > $WPULL; echo pull-up > $RPULL
	printf '\n[anemometer]\nchip = %s\nline = 0\n\n[rain]\nchip = %s\nline = 1\n' $chip $chip >> /etc/wxd/wxd.conf
}
