/* wxctl probe, the drivers' side: how a driver's probe check (its row's
 * .probe, drivers/sensor.h) reports, and the checks several drivers share.
 *
 * A check writes one line per step, grouped under its sensor's name:
 * "ok (...)", "FAIL: <what is wrong>: <the fix>", or "info: ..." for lines
 * that are not checks.  firmware/wxctl/probe.c walks the sensor table, calls each
 * enabled driver's check, then checks the clocks and sums up. */
#ifndef WX_PROBEKIT_H
#define WX_PROBEKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "firmware/core/config.h"

#define WX_PROBE_ERR_LEN 512
#define WX_PROBE_BOOT_CONFIG "/boot/firmware/config.txt (/boot/config.txt on older Pi OS)"
#define WX_PROBE_BYO_I2C_WIRING "check VIN to 3V3 (pin 1), GND (pin 9), SDA to pin 3 and SCL to pin 5"
#define WX_PROBE_HAT_WIRING "check the HAT is seated on all 40 pins"

struct wx_regbus;

struct wx_probe {
	FILE *out;
	const struct wx_config *cfg;
	int watch_ms;		/* watch each GPIO line this long; 0: do not */
	int checks, failed;
};

/* One line: ok, FAIL (counted as a failed check) or info (not a check). */
void wx_probe_ok(struct wx_probe *p, const char *sensor, const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void wx_probe_fail(struct wx_probe *p, const char *sensor, const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void wx_probe_info(struct wx_probe *p, const char *sensor, const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A driver's or transport's one-line message ("bme280 /dev/i2c-1 address
 * 0x76: timed out") as a FAIL line, the part before ": " as subject. */
void wx_probe_fail_from(struct wx_probe *p, const char *sensor, const char *err);

enum wx_probe_node { WX_PROBE_NODE_I2C, WX_PROBE_NODE_SPI, WX_PROBE_NODE_GPIO };

/* Is path (named subject in messages, set by [section]) a device node of
 * this kind that we may open?  One line either way; true when ok. */
bool wx_probe_node(struct wx_probe *p, const char *section, const char *subject,
		   const char *path, enum wx_probe_node kind);

/* "i2cdetect -y 1" for /dev/i2c-1, "i2cdetect -l" when the name has no number. */
void wx_probe_i2cdetect_cmd(const char *bus, char *buf, size_t len);

/* The regbus at address, or NULL after a FAIL line. */
struct wx_regbus *wx_probe_open_i2c(struct wx_probe *p, const char *section, const char *bus,
				    int address);

/* A Bosch chip (BME280, BMP280, BMP180) did not answer at address: say what
 * answers at the other one (0x76 <-> 0x77).  The chip found is named by
 * the driver rows' bosch_chip; expect names the chips [section] takes, for
 * when none does ("BMP180 (0x55)"). */
void wx_probe_bosch_no_reply(struct wx_probe *p, const char *section, const char *subject,
			     const char *bus, int address, const char *expect, const char *wiring);
/* It answered with a chip id its driver does not take: name the chip and
 * the fix (driver_err when the id cannot be read again). */
void wx_probe_bosch_wrong_id(struct wx_probe *p, const char *section, const char *subject,
			     const char *bus, int address, const char *expect,
			     const char *driver_err);

/* How a Bosch chip's probe check opens it: the device node, the bus, then
 * open(bus, arg) (the chip driver's own open, which takes the bus).  Nothing
 * at the address (ENXIO) or another chip id (ENODEV) get the lines of
 * wx_probe_bosch_no_reply / _wrong_id, any other failure the driver's
 * message.  The chip, or NULL after the FAIL line; subject gets
 * "BUS address 0xNN" for the check's own lines. */
struct wx_probe_bosch {
	const char *section, *bus, *expect, *wiring;
	int address;
	void *(*open)(struct wx_regbus *bus, const void *arg, char *err, size_t errlen);
	const void *arg;
};
void *wx_probe_bosch_open(struct wx_probe *p, const struct wx_probe_bosch *how, char *subject,
			  size_t sublen, char *err, size_t errlen);

/* Nothing answered at an MCP3427's configured address: list what answers
 * in 0x68..0x6F and suggest the address no other section uses (the
 * sections' addresses come from the driver rows' i2c_address). */
void wx_probe_mcp3427_no_reply(struct wx_probe *p, const char *section, const char *subject,
			       const char *bus, int address);

#endif
