/* The simulated bus provider: one table, sensor -> simulated device.
 *
 * Each row makes the simulated device a sensor's driver talks to under
 * --sim; every device is wrapped by sim_fault.c so that the world's faults
 * (wxctl sim fault ...) reach it.  A new sensor adds its row here. */
#include "drivers/sim/sim_provider.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/air_quality.h"
#include "drivers/ds18b20.h"
#include "drivers/edgebus.h"
#include "drivers/pulse.h"
#include "drivers/regbus.h"
#include "drivers/sensor.h"
#include "drivers/sim/sim_bme280.h"
#include "drivers/sim/sim_bmp180.h"
#include "drivers/sim/sim_ds18b20.h"
#include "drivers/sim/sim_edges.h"
#include "drivers/sim/sim_fault.h"
#include "drivers/sim/sim_htu21d.h"
#include "drivers/sim/sim_mcp3008.h"
#include "drivers/sim/sim_mcp3427.h"
#include "drivers/spibus.h"
#include "drivers/vane.h"
#include "drivers/w1bus.h"

static struct wx_regbus *bme280_i2c(struct wx_sim *sim, const struct wx_config *cfg, int address)
{
	(void)cfg;
	return wx_sim_bme280_new(sim, 0x60, address);
}

static struct wx_regbus *bmp180_i2c(struct wx_sim *sim, const struct wx_config *cfg, int address)
{
	(void)cfg;
	return wx_sim_bmp180_new(sim, address);
}

static struct wx_regbus *htu21d_i2c(struct wx_sim *sim, const struct wx_config *cfg, int address)
{
	(void)cfg;
	return wx_sim_htu21d_new(sim, address);
}

static struct wx_regbus *air_quality_i2c(struct wx_sim *sim, const struct wx_config *cfg,
					 int address)
{
	struct wx_regbus *b = wx_sim_mcp3427_new(sim, address);

	if (b)
		wx_sim_mcp3427_wire_air_quality(b, WX_AIR_QUALITY_CONFIG(cfg)->channel);
	return b;
}

static struct wx_regbus *windvane_i2c(struct wx_sim *sim, const struct wx_config *cfg,
				      int address)
{
	struct wx_regbus *b = wx_sim_mcp3427_new(sim, address);

	if (b)
		wx_sim_mcp3427_wire_vane(b, WX_WINDVANE_CONFIG(cfg)->channel, WX_WINDVANE_CONFIG(cfg));
	return b;
}

static struct wx_spibus *windvane_spi(struct wx_sim *sim, const struct wx_config *cfg)
{
	return wx_sim_mcp3008_new(sim, WX_WINDVANE_CONFIG(cfg));
}

static struct wx_w1bus *ds18b20_w1(struct wx_sim *sim, const struct wx_config *cfg)
{
	const char *dev = WX_DS18B20_CONFIG(cfg)->device;

	return wx_sim_ds18b20_new(sim, dev[0] ? dev : WX_SIM_DS18B20_DEVICE);
}

static struct wx_edgebus *anemometer_edges(struct wx_sim *sim, const struct wx_config *cfg)
{
	return wx_sim_edges_new_wind(sim, WX_ANEMOMETER_CONFIG(cfg)->kmh_per_hz);
}

static struct wx_edgebus *rain_edges(struct wx_sim *sim, const struct wx_config *cfg)
{
	return wx_sim_edges_new_rain(sim, WX_RAIN_CONFIG(cfg)->mm_per_tip);
}

static const struct sim_device {
	const char *sensor;
	struct wx_regbus *(*i2c)(struct wx_sim *sim, const struct wx_config *cfg, int address);
	struct wx_spibus *(*spi)(struct wx_sim *sim, const struct wx_config *cfg);
	struct wx_w1bus *(*w1)(struct wx_sim *sim, const struct wx_config *cfg);
	struct wx_edgebus *(*edges)(struct wx_sim *sim, const struct wx_config *cfg);
} devices[] = {
	{ "bme280", .i2c = bme280_i2c },
	{ "bmp180", .i2c = bmp180_i2c },
	{ "htu21d", .i2c = htu21d_i2c },
	{ "air_quality", .i2c = air_quality_i2c },
	{ "windvane", .i2c = windvane_i2c, .spi = windvane_spi },
	{ "ds18b20", .w1 = ds18b20_w1 },
	{ "anemometer", .edges = anemometer_edges },
	{ "rain", .edges = rain_edges },
};

static const struct sim_device *find(const char *sensor)
{
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		if (strcmp(devices[i].sensor, sensor) == 0)
			return &devices[i];
	return NULL;
}

static struct wx_regbus *sim_i2c(const struct wx_sensor_env *env, const char *sensor,
				 const char *bus, int address, char *err, size_t errlen)
{
	const struct sim_device *d = find(sensor);
	struct wx_regbus *b;

	(void)bus;
	if (d && d->i2c)
		b = wx_sim_fault_regbus(d->i2c(env->sim, env->cfg, address), env->sim, sensor);
	else {
		b = NULL;
		errno = ENODEV;
	}
	if (!b)
		snprintf(err, errlen, "%s sim:i2c address 0x%02x: %s", sensor, (unsigned)address,
			 strerror(errno));
	return b;
}

static struct wx_spibus *sim_spi(const struct wx_sensor_env *env, const char *sensor,
				 const char *dev, uint32_t hz, char *err, size_t errlen)
{
	const struct sim_device *d = find(sensor);
	struct wx_spibus *b;

	(void)hz;
	if (d && d->spi)
		b = wx_sim_fault_spibus(d->spi(env->sim, env->cfg), env->sim, sensor);
	else {
		b = NULL;
		errno = ENODEV;
	}
	if (!b)
		snprintf(err, errlen, "%s %s: %s", sensor, dev, strerror(errno));
	return b;
}

static struct wx_w1bus *sim_w1(const struct wx_sensor_env *env, const char *sensor,
			       const char *dir, char *err, size_t errlen)
{
	const struct sim_device *d = find(sensor);
	struct wx_w1bus *b;

	(void)dir;
	if (d && d->w1)
		b = wx_sim_fault_w1bus(d->w1(env->sim, env->cfg), env->sim, sensor);
	else {
		b = NULL;
		errno = ENODEV;
	}
	if (!b)
		snprintf(err, errlen, "%s sim:w1: cannot open: %s", sensor, strerror(errno));
	return b;
}

static struct wx_edgebus *sim_edges(const struct wx_sensor_env *env, const char *sensor,
				    const char *chip, int line, char *err, size_t errlen)
{
	const struct sim_device *d = find(sensor);
	struct wx_edgebus *b;

	(void)chip;
	if (d && d->edges)
		b = wx_sim_fault_edgebus(d->edges(env->sim, env->cfg), env->sim, sensor);
	else {
		b = NULL;
		errno = ENODEV;
	}
	if (!b)
		snprintf(err, errlen, "%s sim:gpio line %d: %s", sensor, line,
			 errno == EBUSY ? "line busy (another program holds it)" : strerror(errno));
	return b;
}

const struct wx_bus_provider wx_sim_buses = {
	.i2c = sim_i2c,
	.spi = sim_spi,
	.w1 = sim_w1,
	.edges = sim_edges,
};

/* Declared in drivers/buses.h; here because only this file may know that the
 * simulated provider exists. */
const struct wx_bus_provider *wx_sensor_buses(const struct wx_sensor_env *env)
{
	if (env->buses)
		return env->buses;
	return env->sim ? &wx_sim_buses : &wx_real_buses;
}
