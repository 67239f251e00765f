/* The sensor drivers: one table, one row per sensor.
 *
 * Each driver file exports one const struct wx_sensor_driver, named once in
 * registry.c.  A sampled sensor (BME280, DS18B20, vane) is read on demand and
 * fills its quantities into a record; a pulse sensor (anemometer, rain)
 * hands out its edge bus, which the caller drains and counts with pulse.c.
 *
 * Drivers do not log read failures: they describe them in err (one line
 * naming device and address) so that the caller can log a change of health
 * once instead of a line per sample. */
#ifndef WX_SENSOR_H
#define WX_SENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/edgebus.h"
#include "drivers/pulse.h"
#include "drivers/regbus.h"
#include "drivers/sim/sim.h"
#include "firmware/config.h"
#include "firmware/record.h"

#define WX_ERR_LEN 256
#define WX_Q(q) (1u << (q))

struct wx_sensor_env {
	const struct wx_config *cfg;
	struct wx_sim *sim;		/* NULL: real hardware */
};

enum wx_sensor_kind { WX_SENSOR_SAMPLED, WX_SENSOR_PULSE };

struct wx_sensor_driver {
	const char *name;		/* its config section: "bme280" */
	enum wx_sensor_kind kind;
	uint32_t quantities;		/* WX_Q() of every quantity it can fill */
	/* Is it enabled in cfg? */
	bool (*enabled)(const struct wx_config *cfg);
	/* Open the device (real or simulated per env).  NULL with errno set and
	 * a message in err. */
	void *(*open)(const struct wx_sensor_env *env, char *err, size_t errlen);
	/* SAMPLED: take one reading into r (only this sensor's quantities).
	 * 0, or -errno with a message in err.  May block for a conversion. */
	int (*sample)(void *dev, struct wx_record *r, char *err, size_t errlen);
	/* PULSE: the edge bus to drain (owned by dev). */
	struct wx_edgebus *(*edges)(void *dev);
	/* PULSE: set d up for this sensor's debounce_ms and plausibility cap. */
	void (*debounce)(const struct wx_config *cfg, struct wx_debounce *d);
	void (*close)(void *dev);
};

/* The register bus of I2C sensor name: under --sim (env->sim) the simulated
 * device sim_dev (already made by the caller; NULL when that failed),
 * wrapped so that the world's faults reach it; else i2c-dev at bus and
 * address.  NULL with errno set and "NAME BUS address 0xNN: why" in err. */
struct wx_regbus *wx_sensor_i2c_bus(const struct wx_sensor_env *env, const char *name,
				    struct wx_regbus *sim_dev, const char *bus, int address,
				    char *err, size_t errlen);

/* NULL-terminated, in the order sensors are listed to people. */
extern const struct wx_sensor_driver *const wx_sensor_drivers[];

/* The driver named name (its section), or NULL. */
const struct wx_sensor_driver *wx_sensor_driver_find(const char *name);

#endif
