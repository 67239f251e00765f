/* wxctl probe: check the wiring of every configured device and say what to
 * fix.
 *
 * One line per check, grouped per sensor, in the order the sensor table
 * lists them:
 *     bme280     /dev/i2c-1: ok (I2C bus present)
 *     bme280     /dev/i2c-1 address 0x76: FAIL: no reply; a BME280 (chip id 0x60) answers at 0x77: set address = 0x77 in [bme280]
 * "ok", "FAIL: <what is wrong>: <the fix>", or "info: ..." for lines that
 * are not checks (the system clock, an RTC on a BYO station).  The last line
 * sums up.  The chips are reached through the drivers' own open and read
 * functions; hardware/troubleshooting.md explains each message. */
#ifndef WX_PROBE_H
#define WX_PROBE_H

#include <stdio.h>

#include "firmware/core/config.h"

/* Is the system clock synchronised?  1 yes, 0 no, -errno when unknown. */
typedef int (*wx_probe_clock_fn)(void);

struct wx_probe_env {
	/* Where the kernel's sysfs is mounted, for class/rtc/rtc0; NULL = "/sys". */
	const char *sysfs_root;
	/* Watch each GPIO line this long for closures (spin the cups, tip the
	 * bucket); 0 = do not watch. */
	int watch_ms;
	/* NULL = wx_probe_clock_synced(), the daemon's own rule. */
	wx_probe_clock_fn clock_synced;
};

/* Probe every enabled device of cfg, writing the lines to out (flushed
 * before each GPIO watch, so a person sees the prompt).  env may be NULL
 * (the defaults: "/sys", no watching, wx_probe_clock_synced).  Returns the number of
 * failed checks: 0 when everything configured answers (information lines
 * never count); a config without any sensor counts as one failure. */
int wx_probe_run(const struct wx_config *cfg, const struct wx_probe_env *env, FILE *out);

/* Whether wxd would trust the clock now (wx_clock_synchronised(): the
 * kernel's adjtimex() says NTP synchronised it, or a battery-backed RTC
 * agrees): 1 or 0, -ENOMEM when it cannot ask. */
int wx_probe_clock_synced(void);

#endif
