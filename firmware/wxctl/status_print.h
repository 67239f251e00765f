/* The daemon's "status" answer (docs/contract.md "Live socket") printed for
 * people, as `wxctl status` shows it. */
#ifndef WX_STATUS_PRINT_H
#define WX_STATUS_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "firmware/core/status.h"

/* Print status o to out.  What it lacks (wx_status_from_json() left out a
 * missing or mistyped key) prints as empty, zero or "never".  Nothing is
 * allocated. */
void wx_status_print(FILE *out, const struct wx_status *o);

/* Is anything in status o in error, so that `wxctl status` exits
 * 1 (docs/contract.md "Exit codes")?  True when any sensor's status is "error"
 * ("starting" is not), storage.status is "error", clock_synchronized is
 * false (records are being held back), or an upload's last error is newer
 * than its last success (last_error_at > last_success).  When true, why
 * (may be NULL) gets the first such thing, like "sensor bme280". */
bool wx_status_in_error(const struct wx_status *o, char *why, size_t whylen);

#endif
