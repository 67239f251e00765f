# VM test "powercut", host half (sourced by tests/vm/run): one disk, booted
# VM_POWERCUTS + 1 times; each boot but the last ends with QEMU killed by
# SIGKILL at a random moment 5-18 s after the guest listed the archive,
# while wxd writes a record every 10 s.  The disk has no host cache
# (cache=none), so what the guest saw written is in the file.  Checks:
#   - after every boot PRAGMA integrity_check is "ok";
#   - every record the guest read back before a cut is still there;
#   - in the end, while wxd ran (from its start plus one interval to a few
#     seconds before the cut) every interval has its record: the only gaps
#     are the downtime and the interval in progress at each cut.
SLACK_S=3

test_powercut() {
	local disk=$RUN/powercut.img log i rc t_cut secs errs=0 why="" boots=0 nseen=0
	local -a starts=() cuts=()
	local -A seen=()
	fresh_disk "$disk"
	for ((i = 0; i <= POWERCUTS; i++)); do
		log=$RUN/powercut.$i.log
		vm_start powercut "$disk" "$log" ""
		wait_line "$log" '^WXVM PC listed' "$BOOT_TIMEOUT"; rc=$?
		if [ $rc -ne 0 ]; then
			vm_kill
			why="boot $i: $(boot_failure "$log" $rc)"; errs=$((errs + 1)); break
		fi
		boots=$((boots + 1))
		tr -d '\r' < "$log" > "$log.txt"
		starts+=("$(sed -n 's/^WXVM PC wxd_start //p' "$log.txt")")
		local integ missing=0 ts
		integ=$(sed -n 's/^WXVM PC integrity //p' "$log.txt")
		if [ "$integ" != "ok " ] && [ "$integ" != ok ]; then
			errs=$((errs + 1)); why="boot $i: integrity_check: $integ"; echo "  boot $i: integrity_check: $integ"
		fi
		for ts in "${!seen[@]}"; do
			grep -q "^WXVM PC rec $ts " "$log.txt" || { missing=$((missing + 1)); echo "  boot $i: record $ts read back before the cut is gone"; }
		done
		if [ $missing -gt 0 ]; then errs=$((errs + 1)); why="boot $i: $missing records written before the cut are gone"; fi
		[ $i -eq "$POWERCUTS" ] && { vm_kill; break; }
		# 5-18 s: a cut at a random moment of the interval, with about
		# one record read back before it on average.
		secs=$(( 5 + RANDOM % 14 ))
		sleep "$secs"
		t_cut=$(date +%s)
		vm_kill
		cuts+=("$t_cut")
		tr -d '\r' < "$log" | sed -n 's/^WXVM PC new //p' > "$log.new"
		while read -r ts; do seen[$ts]=1; nseen=$((nseen + 1)); done < "$log.new"
		echo "  cut $((i + 1)): ${secs} s after the listing, $(wc -l < "$log.new") new records read back, integrity ${integ:-?}"
	done
	# Every interval while wxd ran has its record.
	local lost=0 s c e first
	if [ $boots -gt "$POWERCUTS" ]; then
		for ((i = 0; i < ${#cuts[@]}; i++)); do
			s=${starts[$i]} c=${cuts[$i]}
			first=$(( (s / INTERVAL_S + 2) * INTERVAL_S ))
			for ((e = first; e <= c - SLACK_S; e += INTERVAL_S)); do
				grep -q "^WXVM PC rec $e " "$log.txt" ||
					{ lost=$((lost + 1)); echo "  session $i (wxd from $s, cut at $c): no record for $e"; }
			done
		done
		[ $lost -gt 0 ] && { errs=$((errs + 1)); why="$lost intervals missing outside the downtime (${why:-})"; }
		echo "  $(grep -c '^WXVM PC rec' "$log.txt") records after $((boots - 1)) cuts; $nseen read back before cuts, $lost intervals missing besides downtime"
		[ "$nseen" -ge $((POWERCUTS / 2)) ] || { errs=$((errs + 1)); why="only $nseen records written during the run: too few to prove anything"; }
	fi
	if [ $errs -eq 0 ]; then
		result powercut PASS "$((boots - 1)) power cuts, integrity ok, no record lost"
	else
		result powercut FAIL "$why"
	fi
	rm -f "$disk"
}
