#!/bin/bash
# VM test "clock": booted a day behind (QEMU -rtc base=yesterday), no NTP
# client, no RTC device (rtc_cmos kept out, as on a Pi without a battery
# clock).  wxd must hold its records in memory, say so, and give each its
# true time once the clock is set and marked synchronised.
. /usr/local/lib/wxvm/lib.sh
offset=$(sed -n 's/.*wxvm\.offset=\([0-9]*\).*/\1/p' /proc/cmdline)
[ -n "$offset" ] || { bad "no wxvm.offset on the kernel command line"; finish; }

wait_for 30 active || bad "wxd not active"
[ ! -e /sys/class/rtc/rtc0 ] && ok "no RTC to vouch for the clock" || bad "an RTC exists: $(ls /sys/class/rtc)"
note "guest clock $(date -u '+%F %T') (a day behind)"
sleep 25
st=$(status_json)
[ "$(echo "$st" | jget clock_synchronized)" = false ] && ok "status: clock_synchronized false" ||
	bad "status says clock_synchronized $(echo "$st" | jget clock_synchronized)"
wxctl status 2>/dev/null | grep -q 'NOT synchronised (records are held' && ok "wxctl status: $(wxctl status 2>/dev/null | grep -m1 'clock:')" ||
	bad "wxctl status does not say records are held"
n=$(q "select count(*) from archive")
held=$(echo "$st" | jget pending_records)
[ "$n" = 0 ] && [ "${held:-0}" -ge 2 ] && ok "nothing archived, $held records waiting in memory" ||
	bad "archive has $n records, $held waiting (want 0 archived, >= 2 waiting)"

# Where wxd started, in true time.
mono_start=$(systemctl show -p ExecMainStartTimestampMonotonic --value wxd)
up_us=$(awk '{ printf "%d", $1 * 1000000 }' /proc/uptime)
t_set=$(( $(date +%s) + offset ))
t_start=$(( t_set - (up_us - mono_start) / 1000000 ))
# Play the NTP client: step the clock, clear STA_UNSYNC.
check "clock set to $(date -u -d @$t_set '+%F %T') and marked synchronised" wxvm-sync "$t_set"
wait_for 20 sh -c 'wxctl status --json | tr -d " \n" | grep -q "\"clock_synchronized\":true"' &&
	ok "status: clock_synchronized true" || bad "wxd does not see the clock synchronised"
wait_for 30 sh -c "[ \$(sqlite3 -cmd '.timeout 3000' $DB 'select count(*) from archive where ts <= $t_set') -ge ${held:-1} ]" || true
sleep 12
now=$(date +%s)
rows=$(q "select ts || ' ' || interval_s from archive order by ts")
note "records: $(echo $rows | tr '\n' ' ' | cut -c1-400)"
total=$(q "select count(*) from archive where interval_s > 0")
labelled=$(q "select count(*) from archive where ts >= $((t_start - 1)) and ts <= $((t_set + 10))")
future=$(q "select count(*) from archive where ts > $now")
# A held record is labelled with the boundary nearest its true end (the
# schedule was aimed at the wrong clock's boundaries): at most half an
# interval off.
old=$(q "select count(*) from archive where ts < $((t_start - 5))")
want=$(( (now - t_start) / 10 - 1 ))
[ "$total" -ge "$want" ] && ok "$total records with an interval since wxd started $((now - t_start)) s ago (want >= $want): none lost" ||
	bad "$total records with an interval since wxd started $((now - t_start)) s ago, want >= $want"
[ "$labelled" -ge "${held:-1}" ] && ok "the $held held records got times between wxd's start and the clock set" ||
	bad "only $labelled records between wxd's start and the clock set (+10 s), $held were held"
[ "$old" = 0 ] && ok "none stamped before wxd started ($(date -u -d @$t_start +%T), half an interval allowed)" || bad "$old records stamped before wxd started"
[ "$future" = 0 ] && ok "none in the future" || bad "$future records in the future (newest $(q 'select max(ts) from archive'), now $now; the interval schedule, issue 10 item 1?)"
# Labels one interval apart throughout; the one interval that realigns the
# schedule to the set clock's boundaries may cover 5 to 15 s: it begins
# when the interval in progress at the set ends, so it is one of the first
# two records after the set.
realign="select ts from archive where ts > $t_set order by ts limit 2"
steps=$(q "select count(*) from archive a join archive b on b.ts = (select min(ts) from archive where ts > a.ts)
	where b.ts - a.ts != 10 or (b.interval_s != 10 and not (b.ts in ($realign) and b.interval_s between 5 and 15))")
long=$(q "select count(*) from archive where ts in ($realign) and interval_s != 10")
[ "$long" -le 1 ] || bad "$long realigning intervals after the clock set, want at most 1"
zero=$(q "select count(*) from archive where interval_s <= 0")
[ "$steps" = 0 ] && [ "$zero" = 0 ] && ok "every record follows the previous by 10 s (one realigning interval of 5-15 s)" ||
	bad "$steps records do not follow the previous by exactly 10 s, $zero with interval_s <= 0"
finish
