/* The bus provider: how a sensor driver gets its transport.
 *
 * A driver names itself and the bus, address or lines of its config section;
 * the provider in the sensor environment hands back a bus (struct
 * wx_regbus, wx_spibus, wx_w1bus or wx_edgebus) that the driver then owns and
 * closes.  The real provider (buses.c) opens i2c-dev, spidev, the 1-wire
 * sysfs tree and GPIO lines; the simulated one (sim/sim_provider.c) makes the
 * simulated device of that sensor, wrapped so that the world's faults reach
 * it.  Chip files never know which one they got.
 *
 * Every function returns NULL with errno set and one line in err naming the
 * sensor, the bus and the address or line ("bme280 /dev/i2c-1 address 0x76:
 * ..."). */
#ifndef WX_BUSES_H
#define WX_BUSES_H

#include <stddef.h>
#include <stdint.h>

struct wx_sensor_env;
struct wx_regbus;
struct wx_spibus;
struct wx_w1bus;
struct wx_edgebus;

struct wx_bus_provider {
	/* I2C register bus at bus ("/dev/i2c-1") and 7-bit address. */
	struct wx_regbus *(*i2c)(const struct wx_sensor_env *env, const char *sensor,
				 const char *bus, int address, char *err, size_t errlen);
	/* SPI device dev ("/dev/spidev0.0") clocked at hz. */
	struct wx_spibus *(*spi)(const struct wx_sensor_env *env, const char *sensor,
				 const char *dev, uint32_t hz, char *err, size_t errlen);
	/* The 1-wire devices directory dir ("/sys/bus/w1/devices"). */
	struct wx_w1bus *(*w1)(const struct wx_sensor_env *env, const char *sensor,
			       const char *dir, char *err, size_t errlen);
	/* Falling edges of line on chip ("gpiochip0"). */
	struct wx_edgebus *(*edges)(const struct wx_sensor_env *env, const char *sensor,
				    const char *chip, int line, char *err, size_t errlen);
};

/* Real hardware: i2cdev.c, spidev.c, w1sysfs.c and the GPIO transport. */
extern const struct wx_bus_provider wx_real_buses;

/* The provider of env: env->buses, or by default the simulated one when
 * env->sim is set and the real one otherwise (defined in
 * sim/sim_provider.c). */
const struct wx_bus_provider *wx_sensor_buses(const struct wx_sensor_env *env);

/* Shorthands for drivers: wx_sensor_buses(env)->i2c(...) and so on. */
struct wx_regbus *wx_bus_i2c(const struct wx_sensor_env *env, const char *sensor,
			     const char *bus, int address, char *err, size_t errlen);
struct wx_spibus *wx_bus_spi(const struct wx_sensor_env *env, const char *sensor,
			     const char *dev, uint32_t hz, char *err, size_t errlen);
struct wx_w1bus *wx_bus_w1(const struct wx_sensor_env *env, const char *sensor,
			   const char *dir, char *err, size_t errlen);
struct wx_edgebus *wx_bus_edges(const struct wx_sensor_env *env, const char *sensor,
				const char *chip, int line, char *err, size_t errlen);

#endif
