/* wxctl probe: one line per check, grouped per sensor (see probe.h).
 *
 * Each sensor is checked from the outside in: the device node or directory
 * (present, a device of the right kind, ours to open), then the chip at its
 * address through the driver's own open and read functions, then one
 * reading.  A check that fails stops that sensor's later checks, which
 * would only fail the same way.  When a chip does not answer where the
 * config says, the other addresses it could have are tried, and what
 * answers there is named, so the line can say which key to change.
 *
 * The checks are the drivers' own (each row's .probe in the sensor table,
 * helpers in drivers/probekit.c); this file walks the table and adds the
 * clocks. */
#include "firmware/wxctl/probe.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "drivers/probekit.h"
#include "drivers/sensor.h"
#include "firmware/core/clock.h"

struct probe {
	struct wx_probe kit;	/* what the drivers' checks see */
	struct wx_probe_env env;
};

/* ---- clocks ---------------------------------------------------------------- */

#define RTC_OVERLAY "dtoverlay=i2c-rtc,pcf8523 in " WX_PROBE_BOOT_CONFIG ", then reboot"

static void check_rtc(struct probe *p)
{
	bool hat = p->kit.cfg->station.profile == WX_PROFILE_ORACLE_HAT;
	char dir[WX_PATH_LEN + 32], path[WX_PATH_LEN + 48], name[128] = "";
	struct stat st;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/class/rtc/rtc0", p->env.sysfs_root);
	if (stat(dir, &st) < 0) {
		if (hat)
			wx_probe_fail(&p->kit, "rtc", dir, "no RTC: the HAT's PCF8523 needs " RTC_OVERLAY
			     " (hardware/oracle-hat.md)");
		else
			wx_probe_info(&p->kit, "rtc", dir, "none (optional: without one and without network, "
			     "records wait for NTP; see hardware/README.md, \"Clock at boot\")");
		return;
	}
	snprintf(path, sizeof(path), "%s/name", dir);
	if ((f = fopen(path, "r"))) {
		if (fgets(name, sizeof(name), f))
			name[strcspn(name, "\n")] = '\0';
		fclose(f);
	}
	if (hat)
		wx_probe_ok(&p->kit, "rtc", dir, "present: %s", name[0] ? name : "unnamed");
	else
		wx_probe_info(&p->kit, "rtc", dir, "present: %s", name[0] ? name : "unnamed");
}

int wx_probe_clock_synced(void)
{
	/* The daemon's own rule (firmware/core/clock.c), so that probe says what
	 * wxd will do: NTP, or a battery-backed RTC that agrees. */
	struct wx_clock *c = wx_clock_real();
	int synced;

	if (!c)
		return -ENOMEM;
	synced = wx_clock_synchronised(c);
	wx_clock_free(c);
	return synced;
}

static void check_clock(struct probe *p)
{
	int s = p->env.clock_synced();

	if (s > 0)
		wx_probe_info(&p->kit, "clock", "system clock", "synchronised");
	else if (s == 0)
		wx_probe_info(&p->kit, "clock", "system clock", "not synchronised: wxd holds archive records until "
		     "it is (hardware/README.md, \"Clock at boot\"; timedatectl shows the state)");
	else
		wx_probe_info(&p->kit, "clock", "system clock", "unknown (%s)", strerror(-s));
}

/* ---- the table ------------------------------------------------------------- */

int wx_probe_run(const struct wx_config *cfg, const struct wx_probe_env *env, FILE *out)
{
	struct probe p = { .kit = { .out = out, .cfg = cfg } };
	char kit[256];
	int enabled = 0;

	if (env)
		p.env = *env;
	if (!p.env.sysfs_root)
		p.env.sysfs_root = "/sys";
	if (!p.env.clock_synced)
		p.env.clock_synced = wx_probe_clock_synced;
	p.kit.watch_ms = p.env.watch_ms;
	for (size_t i = 0; wx_sensor_drivers[i]; i++) {
		const struct wx_sensor_driver *d = wx_sensor_drivers[i];

		if (!wx_sensor_enabled(cfg, d))
			continue;
		enabled++;
		if (d->probe)
			d->probe(&p.kit);
	}
	if (!enabled) {
		wx_sensor_kit_sections(WX_KIT_BYO, kit, sizeof(kit));
		wx_probe_fail(&p.kit, "probe", cfg->path, "no sensor is configured: add %s "
			      "(wxd.conf(5))", kit);
	}
	check_rtc(&p);
	check_clock(&p);
	if (p.kit.failed)
		fprintf(out, "%-10s %d of %d checks failed\n", "probe", p.kit.failed, p.kit.checks);
	else
		fprintf(out, "%-10s all %d checks ok\n", "probe", p.kit.checks);
	fflush(out);
	return p.kit.failed;
}
