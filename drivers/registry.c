/* The sensor driver table: adding a sensor is one file and one line here. */
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
