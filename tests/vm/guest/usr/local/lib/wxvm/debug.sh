#!/bin/bash
# Not a test: `bash tests/vm/run build/vm debug` shows the station after
# 35 s (journal, status, archive) on the serial console, for debugging.
. /usr/local/lib/wxvm/lib.sh
sleep 35
{ systemctl status wxd --no-pager; journalctl -b -u wxd --no-pager | tail -30; wxctl status; wxctl read --json
  q "select * from archive order by ts"; } 2>&1 | sed 's/^/WXVM   /'
finish
