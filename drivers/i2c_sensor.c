/* The register-bus sensor adapter (sensor.h): bus from the provider, chip
 * open, sample, close.  BME280, BMP180 and HTU21D share it. */
#include "drivers/sensor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

struct i2c_sensor {
	const struct wx_i2c_sensor *s;
	void *chip;
	bool fills_temperature;
};

void *wx_i2c_sensor_open(const struct wx_i2c_sensor *s, const struct wx_sensor_env *env,
			 const char *bus, int address, char *err, size_t errlen)
{
	struct i2c_sensor *d = calloc(1, sizeof(*d));
	struct wx_regbus *b;
	int e;

	if (!d) {
		snprintf(err, errlen, "%s: out of memory", s->name);
		errno = ENOMEM;
		return NULL;
	}
	d->s = s;
	d->fills_temperature = env->cfg->station.air_temperature == s->air_temperature;
	b = wx_bus_i2c(env, s->name, bus, address, err, errlen);
	d->chip = b ? s->open(b, env->cfg, err, errlen) : NULL;
	if (!d->chip) {
		e = errno;
		free(d);
		errno = e;
		return NULL;
	}
	return d;
}

int wx_i2c_sensor_sample(void *dev, struct wx_record *r, char *err, size_t errlen)
{
	struct i2c_sensor *d = dev;

	return d->s->sample(d->chip, d->fills_temperature, r, err, errlen);
}

void wx_i2c_sensor_close(void *dev)
{
	struct i2c_sensor *d = dev;

	if (!d)
		return;
	d->s->close(d->chip);
	free(d);
}
