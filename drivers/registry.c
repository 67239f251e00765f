/* The sensor driver table: adding a sensor is one file and one line here. */
#include "drivers/sensor.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/sim/sim_fault.h"

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

struct wx_regbus *wx_sensor_i2c_bus(const struct wx_sensor_env *env, const char *name,
				    struct wx_regbus *sim_dev, const char *bus, int address,
				    char *err, size_t errlen)
{
	char buserr[WX_ERR_LEN] = "";
	struct wx_regbus *b;
	int e;

	if (env->sim)
		b = wx_sim_fault_regbus(sim_dev, env->sim, name);
	else
		b = wx_i2cdev_open(bus, address, buserr, sizeof(buserr));
	if (b)
		return b;
	e = errno;
	if (buserr[0])
		snprintf(err, errlen, "%s %s", name, buserr);
	else
		snprintf(err, errlen, "%s %s address 0x%02x: %s", name, env->sim ? "sim:i2c" : bus,
			 (unsigned)address, strerror(e));
	errno = e;
	return NULL;
}
