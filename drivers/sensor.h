/* The sensor drivers: one table, one row per sensor.
 *
 * Each driver file exports one const struct wx_sensor_driver, named once in
 * registry.c.  A sampled sensor (BME280, DS18B20, vane) is read on demand and
 * fills its quantities into a record; a pulse sensor (anemometer, rain)
 * hands out its edge bus, which the caller drains and debounces
 * (drivers/debounce.h) and counts (firmware/windrain.h).
 *
 * Drivers do not log read failures: they describe them in err (one line
 * naming device and address) so that the caller can log a change of health
 * once instead of a line per sample. */
#ifndef WX_SENSOR_H
#define WX_SENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/buses.h"
#include "drivers/edgebus.h"
#include "drivers/debounce.h"
#include "drivers/regbus.h"
#include "firmware/core/config.h"
#include "firmware/core/record.h"

#define WX_ERR_LEN 256
#define WX_Q(q) (1u << (q))

struct wx_sim;

/* What a driver's open gets: the configuration, and the bus provider that
 * opens its transport (drivers/buses.h).  buses NULL picks the default: the
 * simulated provider over the world sim when sim is set, else real
 * hardware.  Only the providers look at sim. */
struct wx_sensor_env {
	const struct wx_config *cfg;
	struct wx_sim *sim;		/* NULL: real hardware */
	const struct wx_bus_provider *buses;
};

enum wx_sensor_kind { WX_SENSOR_SAMPLED, WX_SENSOR_PULSE };

/* The kits a sensor belongs to ([station] profile): --sim with no sensor
 * section enables the kit's sensors, and messages name the BYO kit's. */
#define WX_KIT_BYO (1u << WX_PROFILE_BYO)
#define WX_KIT_HAT (1u << WX_PROFILE_ORACLE_HAT)

struct wx_probe;

struct wx_sensor_driver {
	const char *name;		/* its config section: "bme280" */
	enum wx_sensor_kind kind;
	unsigned kits;			/* WX_KIT_BYO and/or WX_KIT_HAT */
	uint32_t quantities;		/* WX_Q() of every quantity it can fill */
	/* Its config section [name]: the keys, defaults and size of its
	 * config struct (declared in the driver's header, with a bool
	 * enabled), made with WX_CONFIG_SENSOR_SECTION (firmware/core/config.h) in
	 * the driver's file.  The configuration walks the table for these;
	 * read a section with WX_SENSOR_CONFIG. */
	const struct wx_config_section *config;
	/* Is it enabled in cfg?  NULL (every real driver): its section's
	 * enabled flag.  Test tables set it for drivers without a section.
	 * Ask wx_sensor_enabled(), which knows both. */
	bool (*enabled)(const struct wx_config *cfg);
	/* Open the device on a bus from env's provider.  NULL with errno set
	 * and a message in err; the bus is closed again on every failure. */
	void *(*open)(const struct wx_sensor_env *env, char *err, size_t errlen);
	/* SAMPLED: take one reading into r (only this sensor's quantities).
	 * 0, or -errno with a message in err.  May block for a conversion. */
	int (*sample)(void *dev, struct wx_record *r, char *err, size_t errlen);
	/* PULSE: the edge bus to drain (owned by dev). */
	struct wx_edgebus *(*edges)(void *dev);
	/* PULSE: set d up for this sensor's debounce_ms and plausibility cap. */
	void (*debounce)(const struct wx_config *cfg, struct wx_debounce *d);
	void (*close)(void *dev);
	/* wxctl probe: check the wiring of the configured device on real
	 * hardware, one line per step (drivers/probekit.h).  May be NULL. */
	void (*probe)(struct wx_probe *p);
	/* wxctl probe, so that a check can tell whose a device found at
	 * another address is: the I2C address this sensor is configured for
	 * in cfg, its bus in *bus (a string of cfg), or -1 when it has none
	 * (a vane on SPI).  May be NULL (not an I2C sensor). */
	int (*i2c_address)(const struct wx_config *cfg, const char **bus);
	/* wxctl probe: the name of the chip ("BMP280") whose Bosch chip id
	 * register (0xD0) reads id, if this driver takes that chip; else
	 * NULL.  May be NULL (not a Bosch chip). */
	const char *(*bosch_chip)(uint8_t id);
};

/* The register-bus sensor adapter: the one glue between an I2C chip (its
 * open, read and close) and the driver table.  wx_i2c_sensor_open opens the
 * bus through env's provider and hands it to the chip's open (which probes
 * the chip id and owns the bus from then on); the error names the sensor,
 * the bus and the address. */
struct wx_i2c_sensor {
	const char *name;			/* "bme280" */
	enum wx_air_temp air_temperature;	/* [station] air_temperature naming it */
	/* The chip on bus, which it takes over: its close closes the bus, and
	 * so does a failed open. */
	void *(*open)(struct wx_regbus *bus, const struct wx_config *cfg, char *err,
		      size_t errlen);
	/* One reading into r; the temperature only when fills_temperature. */
	int (*sample)(void *chip, bool fills_temperature, struct wx_record *r, char *err,
		      size_t errlen);
	void (*close)(void *chip);
};

void *wx_i2c_sensor_open(const struct wx_i2c_sensor *s, const struct wx_sensor_env *env,
			 const char *bus, int address, char *err, size_t errlen);
int wx_i2c_sensor_sample(void *dev, struct wx_record *r, char *err, size_t errlen);
void wx_i2c_sensor_close(void *dev);

/* Its section of cfg: the driver's config struct (NULL if d is not in the
 * table).  As with strchr, a const cfg gives a pointer only to read. */
static inline void *wx_sensor_config(const struct wx_config *cfg, const struct wx_sensor_driver *d)
{
	return wx_config_section_data(cfg, d->config);
}

/* drv's section of cfg as its struct type: WX_SENSOR_CONFIG(cfg,
 * wx_bme280_driver, struct wx_bme280_config)->address.  Each driver's
 * header names its own (WX_BME280_CONFIG(cfg)). */
#define WX_SENSOR_CONFIG(cfg, drv, type) ((type *)wx_sensor_config((cfg), &(drv)))

/* Is d enabled in cfg (its section present, or enabled = true)? */
bool wx_sensor_enabled(const struct wx_config *cfg, const struct wx_sensor_driver *d);

/* NULL-terminated, in the order sensors are listed to people. */
extern const struct wx_sensor_driver *const wx_sensor_drivers[];

/* "[bme280], [ds18b20], [anemometer], [rain] or [windvane]": the sections of
 * the sensors of kits (WX_KIT_*), in table order, into buf. */
void wx_sensor_kit_sections(unsigned kits, char *buf, size_t len);

/* The driver named name (its section), or NULL. */
const struct wx_sensor_driver *wx_sensor_driver_find(const char *name);

#endif
