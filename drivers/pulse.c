/* Anemometer and tipping-bucket rain gauge: pulse counting.
 *
 * The sensors are the reed switches of the usual weather-station kit
 * (Argent Data Systems / SparkFun "Weather Meters", SEN-15901 datasheet):
 * the cup anemometer closes its switch twice a turn, one closure per second
 * being 2.4 km/h; the rain bucket closes it once per tip of 0.2794 mm.  Each
 * closure pulls the GPIO line low against the pull-up: a falling edge.
 *
 * The debounce and plausibility filter is drivers/debounce.c; turning
 * counted closures into km/h, mm and gusts is firmware/windrain.c.  Here:
 * the plausibility caps, `wxctl probe`'s check of the lines, and the two
 * driver rows.
 */
#include "drivers/pulse.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "drivers/sensor.h"
#include "drivers/gpio_msg.h"
#include "drivers/probekit.h"

double wx_pulse_wind_max_hz(double kmh_per_hz)
{
	return kmh_per_hz > 0 ? WX_PULSE_WIND_MAX_KMH / kmh_per_hz : 0;
}

double wx_pulse_rain_max_hz(double mm_per_tip)
{
	return mm_per_tip > 0 ? WX_PULSE_RAIN_MAX_MM_H / mm_per_tip / 3600.0 : 0;
}

/* ---- wxctl probe ------------------------------------------------------ */

/* Now on CLOCK_MONOTONIC, the clock the GPIO transport stamps edges with. */
static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Count closures on bus for the watch window while a person works the
 * sensor; an information line, since still air is not a fault. */
static void watch_line(struct wx_probe *p, const char *section, const struct wx_pulse_config *c,
		       struct wx_edgebus *bus)
{
	bool wind = strcmp(section, "anemometer") == 0;
	int64_t end = mono_ns() + (int64_t)p->watch_ms * 1000000LL, ts[64];
	unsigned long long edges = 0, closures = 0;
	struct wx_debounce deb;
	int n = 0;

	wx_sensor_driver_find(section)->debounce(p->cfg, &deb);
	fprintf(p->out, "%-10s %s: watching for %.1f s: %s now\n", section, bus->where,
		p->watch_ms / 1000.0, wind ? "spin the cups" : "tip the bucket");
	fflush(p->out);
	for (int64_t left; (left = end - mono_ns()) > 0;) {
		struct pollfd pfd = { .fd = bus->fd, .events = POLLIN };

		poll(&pfd, bus->fd >= 0 ? 1 : 0, (int)(left / 1000000) + 1);
		while ((n = bus->read(bus, mono_ns(), ts, 64)) > 0) {
			edges += (unsigned)n;
			closures += wx_pulse_debounce(&deb, ts, (size_t)n);
		}
		if (n < 0)
			break;
	}
	if (n < 0)
		wx_probe_fail(p, section, bus->where, "reading edges: %s", strerror(-n));
	else if (closures == 0)
		wx_probe_info(p, section, bus->where, "no closures in %.1f s: if you %s, the reed switch is "
		     "not between GPIO%d and GND (RJ11: the middle two wires)",
		     p->watch_ms / 1000.0, wind ? "spun the cups" : "tipped the bucket", c->line);
	else
		wx_probe_info(p, section, bus->where, "%llu closures in %.1f s (%llu edges before debounce)",
		     closures, p->watch_ms / 1000.0, edges);
}

static void check_pulse(struct wx_probe *p, const char *section, const struct wx_pulse_config *c)
{
	char path[WX_PATH_LEN + 16], err[WX_PROBE_ERR_LEN] = "", subject[WX_PATH_LEN + 16];
	struct wx_edgebus *bus;

	/* As the GPIO transport resolves it: "gpiochip0" and "0" -> /dev/gpiochip0. */
	wx_gpio_chip_path(c->chip, path, sizeof(path));
	if (!wx_probe_node(p, section, c->chip, path, WX_PROBE_NODE_GPIO))
		return;
	bus = wx_gpio_open(c->chip, c->line, err, sizeof(err));
	if (!bus && errno == EBUSY) {
		snprintf(subject, sizeof(subject), "%s line %d", c->chip, c->line);
		wx_probe_fail(p, section, subject, "line busy (another program holds it): `gpioinfo %s` names "
		     "it; if it is wxd, stop it first (sudo systemctl stop wxd)", c->chip);
		return;
	}
	if (!bus) {
		wx_probe_fail_from(p, section, err);
		return;
	}
	wx_probe_ok(p, section, bus->where, "line free");
	if (p->watch_ms > 0)
		watch_line(p, section, c, bus);
	bus->close(bus);
}

static void check_anemometer(struct wx_probe *p)
{
	check_pulse(p, "anemometer", WX_ANEMOMETER_CONFIG(p->cfg));
}

static void check_rain(struct wx_probe *p)
{
	check_pulse(p, "rain", WX_RAIN_CONFIG(p->cfg));
}

/* ---- the two drivers ---------------------------------------------------- */

/* The device is the edge bus itself: counting state lives with the caller. */

static void *anemometer_open(const struct wx_sensor_env *env, char *err, size_t errlen)
{
	const struct wx_pulse_config *p = WX_ANEMOMETER_CONFIG(env->cfg);

	return wx_bus_edges(env, "anemometer", p->chip, p->line, err, errlen);
}

static void *rain_open(const struct wx_sensor_env *env, char *err, size_t errlen)
{
	const struct wx_pulse_config *p = WX_RAIN_CONFIG(env->cfg);

	return wx_bus_edges(env, "rain", p->chip, p->line, err, errlen);
}

static struct wx_edgebus *pulse_edges(void *dev) { return dev; }

static void pulse_close(void *dev)
{
	struct wx_edgebus *bus = dev;

	if (bus)
		bus->close(bus);
}

static void anemometer_debounce(const struct wx_config *cfg, struct wx_debounce *d)
{
	const struct wx_pulse_config *c = WX_ANEMOMETER_CONFIG(cfg);

	wx_pulse_debounce_init(d, c->debounce_ms, wx_pulse_wind_max_hz(c->kmh_per_hz));
}

static void rain_debounce(const struct wx_config *cfg, struct wx_debounce *d)
{
	const struct wx_pulse_config *c = WX_RAIN_CONFIG(cfg);

	wx_pulse_debounce_init(d, c->debounce_ms, wx_pulse_rain_max_hz(c->mm_per_tip));
}

/* ---- the config sections ------------------------------------------------- */

#define K struct wx_pulse_config
static const struct wx_config_key anemometer_keys[] = {
	WX_CONFIG_NUM(K, "enabled", WX_CFG_BOOL, enabled, 0, 0),
	WX_CONFIG_STR(K, "chip", WX_CFG_STR, chip),
	WX_CONFIG_NUM(K, "line", WX_CFG_INT, line, 0, 1023),
	WX_CONFIG_NUM(K, "kmh_per_hz", WX_CFG_DOUBLE, kmh_per_hz, 0.01, 100),
	WX_CONFIG_NUM(K, "debounce_ms", WX_CFG_DOUBLE, debounce_ms, 0, 100),
};
#undef K

static void anemometer_defaults(void *data, enum wx_profile profile)
{
	struct wx_pulse_config *c = data;

	if (profile == WX_PROFILE_ORACLE_HAT) {
		c->line = 5;	/* BCM 5, as the kit's interrupt_daemon.py has it */
		return;
	}
	snprintf(c->chip, sizeof(c->chip), "gpiochip0");
	c->line = 5;
	c->kmh_per_hz = 2.4;
	c->debounce_ms = 2;
}

static const struct wx_config_section anemometer_section =
	WX_CONFIG_SENSOR_SECTION(struct wx_pulse_config, anemometer_keys, anemometer_defaults, NULL);

/* ---- its config section ------------------------------------------------- */

#define K struct wx_pulse_config
static const struct wx_config_key rain_keys[] = {
	WX_CONFIG_NUM(K, "enabled", WX_CFG_BOOL, enabled, 0, 0),
	WX_CONFIG_STR(K, "chip", WX_CFG_STR, chip),
	WX_CONFIG_NUM(K, "line", WX_CFG_INT, line, 0, 1023),
	WX_CONFIG_NUM(K, "mm_per_tip", WX_CFG_DOUBLE, mm_per_tip, 0.01, 10),
	WX_CONFIG_NUM(K, "debounce_ms", WX_CFG_DOUBLE, debounce_ms, 0, 2000),
	WX_CONFIG_NUM(K, "catch_factor", WX_CFG_DOUBLE, catch_factor, 0.1, 10),
};
#undef K

static void rain_defaults(void *data, enum wx_profile profile)
{
	struct wx_pulse_config *c = data;

	if (profile == WX_PROFILE_ORACLE_HAT) {
		c->line = 6;	/* BCM 6, as the kit's interrupt_daemon.py has it */
		return;
	}
	snprintf(c->chip, sizeof(c->chip), "gpiochip0");
	c->line = 6;
	c->mm_per_tip = 0.2794;
	c->debounce_ms = 150;
	c->catch_factor = 1.0;
}

static const struct wx_config_section rain_section =
	WX_CONFIG_SENSOR_SECTION(struct wx_pulse_config, rain_keys, rain_defaults, NULL);

const struct wx_sensor_driver wx_anemometer_driver = {
	.name = "anemometer",
	.kits = WX_KIT_BYO | WX_KIT_HAT,
	.quantities = WX_Q(WX_WIND_SPEED_KMH) | WX_Q(WX_WIND_GUST_KMH) | WX_Q(WX_WIND_PULSES),
	.kind = WX_SENSOR_PULSE,
	.config = &anemometer_section,
	.open = anemometer_open,
	.edges = pulse_edges,
	.debounce = anemometer_debounce,
	.close = pulse_close,
	.probe = check_anemometer,
};

const struct wx_sensor_driver wx_rain_driver = {
	.name = "rain",
	.kits = WX_KIT_BYO | WX_KIT_HAT,
	.quantities = WX_Q(WX_RAIN_MM) | WX_Q(WX_RAIN_TODAY_MM) | WX_Q(WX_RAIN_TIPS),
	.kind = WX_SENSOR_PULSE,
	.config = &rain_section,
	.open = rain_open,
	.edges = pulse_edges,
	.debounce = rain_debounce,
	.close = pulse_close,
	.probe = check_rain,
};
