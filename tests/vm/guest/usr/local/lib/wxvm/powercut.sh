#!/bin/bash
# VM test "powercut", guest half: after each boot, report the archive's
# integrity and every record (for the host's checks), then report each new
# record as soon as it can be read back, until the host cuts the power
# (SIGKILL of QEMU).  Never ends by itself.
. /usr/local/lib/wxvm/lib.sh
wait_for 60 active || echo "WXVM PC error wxd not active: $(systemctl is-active wxd)"
mono_start=$(systemctl show -p ExecMainStartTimestampMonotonic --value wxd)
up_us=$(awk '{ printf "%d", $1 * 1000000 }' /proc/uptime)
echo "WXVM PC wxd_start $(( $(date +%s) - (up_us - mono_start) / 1000000 ))"
echo "WXVM PC integrity $(q 'pragma integrity_check' 2>&1 | tr '\n' ' ')"
q "select ts, interval_s from archive order by ts" | tr '|' ' ' | sed 's/^/WXVM PC rec /'
echo "WXVM PC listed"
last=$(q "select ifnull(max(ts), 0) from archive")
while :; do
	for ts in $(q "select ts from archive where ts > $last order by ts"); do
		echo "WXVM PC new $ts"
		last=$ts
	done
	sleep 0.3
done
