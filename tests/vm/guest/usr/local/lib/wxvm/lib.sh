# Helpers of the guest tests (sourced).
fails=0
DB=/var/lib/wxd/wx.db
ok()  { echo "WXVM   ok: $*"; }
bad() { echo "WXVM   FAIL: $*"; fails=$((fails + 1)); }
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
