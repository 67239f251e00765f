/* The real bus provider, and the shorthands that ask env's provider.
 * wx_sensor_buses (the choice of provider) lives with the simulated one in
 * sim/sim_provider.c, so that nothing here includes the simulation. */
#include "drivers/buses.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/edgebus.h"
#include "drivers/regbus.h"
#include "drivers/spibus.h"
#include "drivers/w1bus.h"

#define WHY_LEN 256

/* A transport failed to open with errno e: err gets "SENSOR WHY" when the
 * transport said why, else "SENSOR SUBJECT: strerror(e)"; errno is e. */
static void *failed(const char *sensor, const char *why, const char *subject, int e, char *err,
		    size_t errlen)
{
	if (why && why[0])
		snprintf(err, errlen, "%s %s", sensor, why);
	else
		snprintf(err, errlen, "%s %s: %s", sensor, subject, strerror(e));
	errno = e;
	return NULL;
}

static struct wx_regbus *real_i2c(const struct wx_sensor_env *env, const char *sensor,
				  const char *bus, int address, char *err, size_t errlen)
{
	char why[WHY_LEN] = "";
	struct wx_regbus *b = wx_i2cdev_open(bus, address, why, sizeof(why));
	int e = errno;
	char subject[WHY_LEN];

	(void)env;
	if (b)
		return b;
	snprintf(subject, sizeof(subject), "%s address 0x%02x", bus, (unsigned)address);
	return failed(sensor, why, subject, e, err, errlen);
}

static struct wx_spibus *real_spi(const struct wx_sensor_env *env, const char *sensor,
				  const char *dev, uint32_t hz, char *err, size_t errlen)
{
	char why[WHY_LEN] = "";
	struct wx_spibus *b = wx_spidev_open(dev, hz, why, sizeof(why));

	(void)env;
	return b ? b : failed(sensor, why, dev, errno, err, errlen);
}

static struct wx_w1bus *real_w1(const struct wx_sensor_env *env, const char *sensor,
				const char *dir, char *err, size_t errlen)
{
	struct wx_w1bus *b = wx_w1sysfs_open(dir);
	int e = errno;
	char subject[WHY_LEN];

	(void)env;
	if (b)
		return b;
	snprintf(subject, sizeof(subject), "%s: cannot open", dir);
	return failed(sensor, NULL, subject, e, err, errlen);
}

static struct wx_edgebus *real_edges(const struct wx_sensor_env *env, const char *sensor,
				     const char *chip, int line, char *err, size_t errlen)
{
	char why[WHY_LEN] = "";
	struct wx_edgebus *b = wx_gpio_open(chip, line, why, sizeof(why));

	(void)env;
	return b ? b : failed(sensor, why, chip, errno, err, errlen);
}

const struct wx_bus_provider wx_real_buses = {
	.i2c = real_i2c,
	.spi = real_spi,
	.w1 = real_w1,
	.edges = real_edges,
};

struct wx_regbus *wx_bus_i2c(const struct wx_sensor_env *env, const char *sensor,
			     const char *bus, int address, char *err, size_t errlen)
{
	return wx_sensor_buses(env)->i2c(env, sensor, bus, address, err, errlen);
}

struct wx_spibus *wx_bus_spi(const struct wx_sensor_env *env, const char *sensor,
			     const char *dev, uint32_t hz, char *err, size_t errlen)
{
	return wx_sensor_buses(env)->spi(env, sensor, dev, hz, err, errlen);
}

struct wx_w1bus *wx_bus_w1(const struct wx_sensor_env *env, const char *sensor,
			   const char *dir, char *err, size_t errlen)
{
	return wx_sensor_buses(env)->w1(env, sensor, dir, err, errlen);
}

struct wx_edgebus *wx_bus_edges(const struct wx_sensor_env *env, const char *sensor,
				const char *chip, int line, char *err, size_t errlen)
{
	return wx_sensor_buses(env)->edges(env, sensor, chip, line, err, errlen);
}
