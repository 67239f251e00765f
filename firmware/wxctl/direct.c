#include "firmware/wxctl/direct.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "drivers/pulse.h"
#include "drivers/sensor.h"
#include "firmware/core/clock.h"
#include "firmware/core/log.h"
#include "firmware/windrain.h"

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * WX_NS_PER_S + ts.tv_nsec;
}

/* Count debounced closures on the anemometer's line for window_ms. */
static int count_wind(const struct wx_config *cfg, const struct wx_sensor_driver *drv,
		      struct wx_edgebus *bus, int window_ms, double *kmh)
{
	struct wx_debounce deb;
	int64_t end = mono_ns() + (int64_t)window_ms * WX_NS_PER_MS, ts[256];
	uint64_t pulses = 0;

	drv->debounce(cfg, &deb);
	for (;;) {
		int64_t left = end - mono_ns();
		struct pollfd p = { .fd = bus->fd, .events = POLLIN };
		int n;

		if (left <= 0)
			break;
		poll(&p, bus->fd >= 0 ? 1 : 0, (int)(left / WX_NS_PER_MS) + 1);
		while ((n = bus->read(bus, mono_ns(), ts, 256)) > 0) {
			/* Edges stamped after the window belong to no one. */
			size_t kept = 0;

			for (int i = 0; i < n; i++)
				if (ts[i] <= end)
					ts[kept++] = ts[i];
			pulses += wx_pulse_debounce(&deb, ts, kept);
			if (n < 256)
				break;
		}
		if (n < 0)
			return n;
	}
	*kmh = wx_wind_kmh(pulses, window_ms / 1000.0, WX_ANEMOMETER_CONFIG(cfg)->kmh_per_hz);
	return 0;
}

int wx_direct_read(const struct wx_config *cfg, int window_ms, struct wx_record *r)
{
	struct wx_sensor_env env = { .cfg = cfg };
	int failed = 0, enabled = 0;

	wx_record_init(r, time(NULL));
	for (int i = 0; wx_sensor_drivers[i]; i++) {
		const struct wx_sensor_driver *d = wx_sensor_drivers[i];
		char err[WX_ERR_LEN] = "";
		void *dev;
		int rc = 0;

		if (!wx_sensor_enabled(cfg, d))
			continue;
		enabled++;
		if (strcmp(d->name, "rain") == 0)
			continue;
		dev = d->open(&env, err, sizeof(err));
		if (!dev) {
			wx_log_warnx("%s", err[0] ? err : d->name);
			failed++;
			continue;
		}
		if (d->kind == WX_SENSOR_SAMPLED) {
			rc = d->sample(dev, r, err, sizeof(err));
		} else {
			double kmh = 0;
			struct wx_edgebus *bus = d->edges(dev);

			rc = count_wind(cfg, d, bus, window_ms, &kmh);
			if (rc == 0)
				wx_record_set(r, WX_WIND_SPEED_KMH, kmh);
			else
				snprintf(err, sizeof(err), "%s %s: %s", d->name, bus->where,
					 strerror(-rc));
		}
		if (rc) {
			wx_log_warnx("%s", err[0] ? err : d->name);
			failed++;
		}
		d->close(dev);
	}
	wx_record_derive(r, cfg->station.altitude_m);
	if (!enabled) {
		char kit[256];

		wx_sensor_kit_sections(WX_KIT_BYO, kit, sizeof(kit));
		wx_log_warnx("%s: no sensor is configured (add %s)", cfg->path, kit);
		return 1;
	}
	return failed;
}
