#!/bin/sh
# Wakeups and CPU of the sampling process in real time: `wxd --sim` at
# speed 1 with 5 Hz of wind (12 km/h at 2.4 km/h per Hz) and contact bounce,
# measured over SECONDS (default 60) after a 10 s warm-up.  Wakeups are the
# voluntary context switches of each thread (/proc/PID/task/*/status), CPU
# the time each thread spent on a CPU (/proc/PID/task/*/schedstat, ns).
# Prints figures with the targets of issue 15 beside them; never passes or
# fails.  WEB=PORT adds a [web] section on 127.0.0.1:PORT, so that wxd also
# runs its network side, whose status reports wake the sampler.
# Usage: [WEB=PORT] bench/wakeups.sh [BUILD [SECONDS]]
B=${1:-build}
S=${2:-60}
WXD=$(cd "$B" && pwd)/wxd
dir=$(mktemp -d /tmp/wxwake.XXXXXX) || exit 1
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
cat > "$dir/wxd.conf" <<EOF
[station]
id = wakeups
database = $dir/wx.db
socket = $dir/wx.sock
[sim]
seed = 1
wind_kmh = 12
bounce = true
EOF
[ -n "${WEB:-}" ] && printf '[web]\nlisten = 127.0.0.1:%s\n' "$WEB" >> "$dir/wxd.conf"
"$WXD" -c "$dir/wxd.conf" --sim --speed 1 --duration $((S + 30))s 2>"$dir/log" &
pid=$!
sleep 10
snap() {
	for t in /proc/$pid/task/*; do
		[ -r "$t/status" ] || continue
		echo "${t##*/} $(sed -n 's/^voluntary_ctxt_switches:[[:space:]]*//p' "$t/status") $(cut -d' ' -f1 "$t/schedstat")"
	done
}
t0=$(date +%s.%N); snap > "$dir/s0"
sleep "$S"
t1=$(date +%s.%N); snap > "$dir/s1"
if ! kill -0 $pid 2>/dev/null; then
	echo "wakeups: wxd stopped early:"; cat "$dir/log"; exit 0
fi
echo "wxd --sim --speed 1, 5 Hz wind with bounce, ${S} s${WEB:+, with the web page (wxd-net running)}:"
awk -v pid=$pid -v dt="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" '
	FNR == NR { c[$1] = $2; ns[$1] = $3; next }
	($1 in c) {
		w = ($2 - c[$1]) / dt; W += w; C += $3 - ns[$1]
		printf "  thread %s%s: %.2f wakeups/s, CPU %.3f s/h\n", $1, $1 == pid ? " (main)" : "", w,
			($3 - ns[$1]) / 1e9 / dt * 3600
	}
	END {
		printf "  wakeups: %.2f/s (target <= 2/s)\n", W
		printf "  CPU: %.3f s per hour (target <= 0.3 s/h, WeeWX 2.2 s/h)\n", C / 1e9 / dt * 3600
	}' "$dir/s0" "$dir/s1"
