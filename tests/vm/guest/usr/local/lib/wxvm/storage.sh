#!/bin/bash
# VM test "storage": the archive on a disk of its own (/dev/vdb, formatted on
# the host as ext4 without a journal, see tests/vm/run) through a
# device-mapper device whose table is switched under the running station
# while the anemometer turns at 80 Hz with 1-3 ms of bounce:
#   c. dm-delay: every write 250 ms late (an SD card at its worst);
#   d. a sqlite3 process holding a write transaction (BEGIN IMMEDIATE);
#   e. dm "error": every read and write of the disk fails (EIO), then works.
# Not one pulse lost (every record exact, as in "pulses"), edges_lost 0,
# records held in memory (pending_records) and all written afterwards.
# No journal: with one, ext4 aborts it on the first failed write and the
# file system stays read-only until unmounted, which would test ext4.
. /usr/local/lib/wxvm/lib.sh
WAIT_DELAY=30 WAIT_LOCK=120 WAIT_ERR=120

size=$(blockdev --getsz /dev/vdb) || { bad "no second disk"; finish; }
modprobe dm-delay || bad "dm-delay does not load"
table() {	# linear | delay | error: switch the archive's device, I/O in flight kept
	local t
	case $1 in
	linear) t="0 $size linear /dev/vdb 0" ;;
	delay) t="0 $size delay /dev/vdb 0 0 /dev/vdb 0 250" ;;
	error) t="0 $size error" ;;
	esac
	dmsetup suspend --nolockfs --noflush wxarch && dmsetup load wxarch --table "$t" && dmsetup resume wxarch
}
dmsetup create wxarch --table "0 $size linear /dev/vdb 0" || { bad "dmsetup create failed"; finish; }
systemctl stop wxd
mode=$(stat -c %a /var/lib/wxd)
rm -rf /var/lib/wxd/*
mount -o errors=continue /dev/mapper/wxarch /var/lib/wxd || { bad "cannot mount the archive disk"; finish; }
chown wxd:wxd /var/lib/wxd; chmod $mode /var/lib/wxd
gpio_station
systemctl start wxd
wait_for 30 active || bad "wxd not active"
wait_for 20 sh -c 'wxctl status --json | tr -d " \n" | grep -q "\"anemometer\":{\"status\":\"ok\""' || bad "anemometer not ok"
wait_for 25 sh -c "[ -s $DB ] && [ \$(sqlite3 -cmd '.timeout 3000' $DB 'select count(*) from archive') -ge 1 ]" ||
	bad "no record on the dm disk"
findmnt -no SOURCE /var/lib/wxd | grep -q wxarch && ok "archive on /dev/mapper/wxarch ($((size / 2048)) MiB, ext4 without journal)"
st() { wxctl status --json 2>/dev/null | tr -d ' \n'; }
storage_status() { st | grep -o '"storage":{[^}]*}'; }

# 80 Hz for the whole test; the phases follow the injector's intervals.
n_iv=$(( (WAIT_DELAY + WAIT_LOCK + WAIT_ERR) / 10 + 6 ))
LOG=/run/wxvm-storage.log
PLAN=$(for i in $(seq $n_iv); do printf '80 '; done)
wxvm-pulse $WPULL $RPULL $PLAN > $LOG 2> /run/wxvm-storage.err &
inj=$!
wait_for 15 grep -q '^START' $LOG || { bad "wxvm-pulse did not start: $(cat /run/wxvm-storage.err)"; finish; }
start=$(sed -n 's/^START //p' $LOG)
until_t() { while [ "$(date +%s)" -lt "$1" ]; do sleep 0.2; done; }

phase() {	# NAME FROM TO: records with FROM < ts <= TO exact
	local n nbad
	wait_for 30 sh -c "[ \$(sqlite3 -cmd '.timeout 3000' $DB 'select count(*) from archive where ts = $3') = 1 ]"
	check_pulses $LOG "$start" "$3" "$PLAN" > /run/wxvm-check
	n=$(awk -F'[ |]' -v a=$2 -v b=$3 '$2 > a && $2 <= b' /run/wxvm-check | wc -l)
	nbad=$(awk -F'[ |]' -v a=$2 -v b=$3 '$2 > a && $2 <= b && $1 != "ok"' /run/wxvm-check | wc -l)
	[ "$n" -ge 1 ] && [ "$nbad" = 0 ] &&
		ok "$1: $n records exact ($(awk -F'[ |]' -v a=$2 -v b=$3 '$2 > a && $2 <= b { split($6, w, "/"); W += w[1]; A += w[2] } END { print W " closures injected, " A " archived" }' /run/wxvm-check))" ||
		{ bad "$1: $nbad of $n records wrong"; why_bad /run/wxvm-check; }
}
# For each wrong record: the injector's closures in its interval that came
# closest together (wxd's plausibility window is 9.6 ms), and its skips.
why_bad() {
	awk '$1 == "BAD" { print $2 }' "$1" | while read -r t; do
		note "  record $t: $(awk -v a=$((t - 10)) -v b=$t '
			$1 == "W" && $2 > a && $2 <= b { if (p) { g = ($2 - p) * 1000; if (g < 15) c = c sprintf(" %.2f@%.3f", g, $2) } p = $2 }
			$1 == "SKIP" && $3 > a && $3 <= b { k++ }
			END { print "closure gaps under 15 ms (ms@time):" (c ? c : " none") ", " k + 0 " skipped" }' $LOG)"
	done
}

# c. 250 ms a write.  How long from an interval's end to its record
# being durable (wxctl status's last_record_ts), and a 4 kB O_DSYNC write
# on that disk beside it.
table delay && ok "dm-delay: 250 ms a write"
until_t $start
worst=0 last=$(st | jget last_record_ts)
while [ "$(date +%s)" -lt $((start + WAIT_DELAY + 5)) ]; do
	cur=$(st | jget last_record_ts)
	if [ -n "$cur" ] && [ "$cur" != "$last" ]; then
		lag=$(awk -v t="$cur" -v n="$(date +%s.%N)" 'BEGIN { printf "%.2f", n - t }')
		awk -v a=$lag -v b=$worst 'BEGIN { exit !(a > b) }' && worst=$lag
		last=$cur
	fi
	sleep 0.1
done
probe=$( { for i in 1 2 3 4 5; do
	t0=$(date +%s%N); dd if=/dev/zero of=/var/lib/wxd/probe bs=4k count=1 oflag=dsync conv=notrunc 2>/dev/null
	echo $(( ($(date +%s%N) - t0) / 1000000 )); done; } | sort -n | tail -1)
rm -f /var/lib/wxd/probe
t_c=$(( ($(date +%s) / 10) * 10 ))	# records up to here: phase c
note "figure: slow storage (dm-delay 250 ms a write): worst interval end to record durable ${worst} s; a 4 kB O_DSYNC write up to ${probe} ms"
table linear && ok "dm-delay off"
phase "80 Hz under dm-delay" "$start" "$t_c"
part slowdisk

# d. The archive locked by someone else.
t_lock=$(date +%s)
(echo 'BEGIN IMMEDIATE;'; sleep $WAIT_LOCK; echo 'COMMIT;') |
	sqlite3 -cmd '.timeout 5000' $DB &
locker=$!
sleep 5
sqlite3 $DB 'begin immediate; rollback;' 2>&1 | grep -q locked && ok "sqlite3 holds a write transaction on the archive" ||
	bad "the archive is not locked by the sqlite3 process"
sleep $((WAIT_LOCK - 15))
p=$(storage_status | jget pending_records)
[ "${p:-0}" -ge $((WAIT_LOCK / 10 - 3)) ] && ok "locked $((WAIT_LOCK - 10)) s: $p records held in memory ($(storage_status | jget error))" ||
	bad "locked: pending_records ${p:-?} (want >= $((WAIT_LOCK / 10 - 3))): $(storage_status)"
wait $locker
wait_for 40 sh -c '[ "$(wxctl status --json | tr -d " \n" | grep -o "\"pending_records\":[0-9]*" | cut -d: -f2)" = 0 ]' &&
	ok "lock gone: all held records written ($(( $(date +%s) - t_lock - WAIT_LOCK )) s after the commit)" ||
	bad "lock gone, still $(storage_status | jget pending_records) pending"
t_d=$(( ($(date +%s) / 10) * 10 ))
phase "80 Hz with the archive locked" "$t_c" "$t_d"
part locked

# e. The disk fails (EIO), then comes back.
t_err=$(date +%s)
table error && ok "dm error: the archive's disk fails every I/O"
sleep $((WAIT_ERR - 10))
s=$(storage_status)
p=$(echo "$s" | jget pending_records)
err=$(wxctl status --json | grep -o '"error": *"[^"]*"' | head -1 | cut -d'"' -f4)
# Every record of the failure held: one per interval, none taken as
# stored because a read found its failed commit in the page cache.
echo "$s" | grep -q '"status":"error"' && [ "${p:-0}" -ge $((WAIT_ERR / 10 - 3)) ] &&
	ok "failing disk for $((WAIT_ERR - 10)) s: status error '$err', $p records held" ||
	bad "failing disk for $((WAIT_ERR - 10)) s: want >= $((WAIT_ERR / 10 - 3)) records held: $s"
echo "$err" | grep -q 'disk .*failed' && ! echo "$err" | grep -q 'move it aside' &&
	ok "the error says the disk failed, names it, and moves nothing aside" ||
	bad "the error does not say the disk failed: '$err'"
jl() { journalctl -b -u wxd -o cat --no-pager --since @$t_err; }
jl | grep -q 'keeping records in memory' &&
	ok "the log says: $(jl | grep 'keeping records in memory' | head -1 | cut -c1-240)" ||
	bad "nothing about the disk in the log: $(jl | tail -2 | tr '\n' ' ')"
sleep 10
table linear && ok "disk back after $(( $(date +%s) - t_err )) s"
t_back=$(date +%s)
pend0() { [ "$(wxctl status --json | tr -d ' \n' | grep -o '"pending_records":[0-9]*' | cut -d: -f2)" = 0 ]; }
wait_for 60 pend0 && note "figure: failing disk: $p records held after $((WAIT_ERR - 10)) s, all written $(( $(date +%s) - t_back )) s after the disk came back" ||
	bad "disk back 60 s ago, still $(storage_status | jget pending_records) pending"
wait $inj
end=$(sed -n 's/^END //p' $LOG)
wait_for 60 sh -c "[ \$(sqlite3 -cmd '.timeout 3000' $DB 'select count(*) from archive where ts = $end') = 1 ] &&
	[ \"\$(wxctl status --json | tr -d ' \n' | grep -o '\"pending_records\":[0-9]*' | cut -d: -f2)\" = 0 ]" ||
	bad "records not all written after the disk came back: $(storage_status)"
note "storage: $(storage_status | jget status), lost_records $(storage_status | jget lost_records)"
jl | grep -q 'writing again' && ok "the log says: $(jl | grep -m1 'disk works again' | cut -c1-160) / $(jl | grep -m1 'writing again')" ||
	bad "no 'writing again' in the log after the disk came back"
jl | grep -q 'already stored' && bad "a held record was taken as stored: $(jl | grep -m1 'already stored')"
jl | grep -q 'move it aside' && bad "the log says to move the archive aside: $(jl | grep -m1 'move it aside')"

# Every record exact, as wxd's connection sees the archive.
check_pulses $LOG "$start" "$end" "$PLAN" > /run/wxvm-check
sed 's/^/WXVM     /' /run/wxvm-check
l=$(st | grep -o '"anemometer":{[^}]*}' | jget edges_lost)
note "figure: storage 80 Hz through delay/lock/EIO: $(awk '{ split($6, w, "/"); W += w[1]; A += w[2] } END { print W " injected, " A " archived" }' /run/wxvm-check), edges_lost $l"
[ "$(wc -l < /run/wxvm-check)" = "$n_iv" ] || bad "$(wc -l < /run/wxvm-check) records, want $n_iv"
[ "$l" = 0 ] && ok "edges_lost 0" || bad "edges_lost $l"
phase "80 Hz with the disk failing, then back" "$t_d" "$end"
# Durable, not only in the page cache: pages whose writeback failed while
# the disk failed are dropped and read back from the disk.
before=$(q "select * from archive where ts > $start and ts <= $end order by ts" | md5sum)
sync; echo 3 > /proc/sys/vm/drop_caches
c=$(q "pragma integrity_check" 2>&1)
[ "$c" = ok ] && ok "after the page cache is dropped: integrity_check ok" ||
	bad "after the page cache is dropped, the archive on disk: $c (wxd said every record was written)"
n=$(q "select count(*) from archive where ts > $start and ts <= $end" 2>&1)
[ "$n" = "$n_iv" ] && ok "after the page cache is dropped: $n records on disk" || bad "after the page cache is dropped: '$n' records (want $n_iv)"
[ "$(q "select * from archive where ts > $start and ts <= $end order by ts" | md5sum)" = "$before" ] &&
	ok "after the page cache is dropped: every record as wxd wrote it" ||
	bad "after the page cache is dropped the records differ from what wxd read before"
check_pulses $LOG "$start" "$end" "$PLAN" > /run/wxvm-check2
n=$(grep -c '^ok' /run/wxvm-check2)
[ "$n" = "$n_iv" ] && ok "read back from the disk: $n records exact" || bad "read back from the disk: $n of $n_iv records exact"
part diskfail
finish
