/* The sensor driver table: adding a sensor is one file (its driver, with
 * its config section) and one line here (plus its simulated device's row in
 * drivers/sim/sim_provider.c).  The configuration walks this table through
 * wx_config_sensor_section() for the sensors' sections and storage. */
#include "drivers/sensor.h"

#include <stdio.h>
#include <string.h>

extern const struct wx_sensor_driver wx_bme280_driver;
extern const struct wx_sensor_driver wx_ds18b20_driver;
extern const struct wx_sensor_driver wx_anemometer_driver;
extern const struct wx_sensor_driver wx_rain_driver;
extern const struct wx_sensor_driver wx_windvane_driver;
extern const struct wx_sensor_driver wx_htu21d_driver;
extern const struct wx_sensor_driver wx_bmp180_driver;
extern const struct wx_sensor_driver wx_air_quality_driver;

const struct wx_sensor_driver *const wx_sensor_drivers[] = {
	&wx_bme280_driver,
	&wx_htu21d_driver,
	&wx_bmp180_driver,
	&wx_ds18b20_driver,
	&wx_anemometer_driver,
	&wx_rain_driver,
	&wx_windvane_driver,
	&wx_air_quality_driver,
	NULL,
};

#define N_DRIVERS (sizeof(wx_sensor_drivers) / sizeof(wx_sensor_drivers[0]) - 1)

/* One config storage slot per row. */
_Static_assert(N_DRIVERS <= WX_CONFIG_SENSORS,
	       "more sensors than WX_CONFIG_SENSORS (firmware/core/config.h)");

const struct wx_config_section *wx_config_sensor_section(size_t i, const char **name,
							 unsigned *kits)
{
	if (i >= N_DRIVERS)
		return NULL;
	*name = wx_sensor_drivers[i]->name;
	*kits = wx_sensor_drivers[i]->kits;
	return wx_sensor_drivers[i]->config;
}

bool wx_sensor_enabled(const struct wx_config *cfg, const struct wx_sensor_driver *d)
{
	const char *data;

	if (d->enabled)
		return d->enabled(cfg);
	data = d->config ? wx_sensor_config(cfg, d) : NULL;

	return data && *(const bool *)(data + d->config->enabled_off);
}

const struct wx_sensor_driver *wx_sensor_driver_find(const char *name)
{
	for (size_t i = 0; wx_sensor_drivers[i]; i++)
		if (strcmp(wx_sensor_drivers[i]->name, name) == 0)
			return wx_sensor_drivers[i];
	return NULL;
}

void wx_sensor_kit_sections(unsigned kits, char *buf, size_t len)
{
	size_t n = 0, used = 0, i, last = 0;

	for (i = 0; wx_sensor_drivers[i]; i++)
		if (wx_sensor_drivers[i]->kits & kits) {
			n++;
			last = i;
		}
	buf[0] = '\0';
	for (i = 0; wx_sensor_drivers[i] && used < len; i++) {
		if (!(wx_sensor_drivers[i]->kits & kits))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s[%s]",
					 used == 0 ? "" : i == last && n > 1 ? " or " : ", ",
					 wx_sensor_drivers[i]->name);
	}
}
