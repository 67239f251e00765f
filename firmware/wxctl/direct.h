/* wxctl read --direct: every enabled sensor read once, without the daemon. */
#ifndef WX_DIRECT_H
#define WX_DIRECT_H

#include "firmware/core/config.h"
#include "firmware/core/record.h"

/* Read the BME280, ground probe and vane at once, and the anemometer over
 * window_ms; rain stays null (a tip count needs time).  Derived values are
 * filled in.  Each sensor that fails is logged as one line naming it.
 * Returns how many enabled sensors failed (1 when none is enabled). */
int wx_direct_read(const struct wx_config *cfg, int window_ms, struct wx_record *r);

#endif
