/* The DS18B20 ground probe, read through the Linux w1 sysfs text (w1_slave).
 *
 * Two layers: a pure parser of the w1_slave text (tests, fuzzing), and a
 * device handle over a struct wx_w1bus that finds the probe, retries CRC
 * failures and writes one message naming the device.  The sensor table entry
 * is wx_ds18b20_driver (sensor.h); the dev pointer its open() returns is a
 * struct wx_ds18b20 *, so wx_ds18b20_device() may be asked which probe it
 * read (wxctl probe). */
#ifndef WX_DS18B20_H
#define WX_DS18B20_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/sensor.h"
#include "drivers/w1bus.h"

#define WX_DS18B20_FAMILY "28-"		/* w1 family code 0x28 */
#define WX_DS18B20_TRIES 3		/* reads before a CRC failure is reported */
#define WX_DS18B20_MIN_C (-55.0)	/* datasheet measuring range */
#define WX_DS18B20_MAX_C 125.0
#define WX_DS18B20_POWER_ON_RAW 0x0550	/* 85 °C: the scratchpad after power-on reset */
#define WX_DS18B20_SLAVE_LEN 256	/* a buffer big enough for any w1_slave text */

/* Why a w1_slave text was rejected.  wx_ds18b20_parse() returns these
 * negated; 0 is success. */
enum wx_ds18b20_error {
	WX_DS18B20_E_MALFORMED = 1,	/* not two lines of 9 hex bytes, crc=, t= */
	WX_DS18B20_E_CRC_NO,		/* the kernel's CRC check said NO */
	WX_DS18B20_E_CRC_MISMATCH,	/* kernel said YES, our CRC-8 disagrees */
	WX_DS18B20_E_NO_REPLY,		/* all-zero scratchpad: CRC-8 passes, nothing answered */
	WX_DS18B20_E_DISAGREE,		/* scratchpad and t= differ */
	WX_DS18B20_E_POWER_ON,		/* 85 °C power-on value: no conversion happened */
	WX_DS18B20_E_RANGE,		/* outside -55..125 °C */
	WX_DS18B20_E_EMPTY,		/* empty read: the kernel's own CRC retries failed */
	WX_DS18B20_E_COUNT		/* one past the last */
};

/* A static one-line description of code (positive or negated enum value);
 * "unknown ds18b20 error" for anything else.  Never NULL. */
const char *wx_ds18b20_strerror(int code);

/* The Dallas/Maxim CRC-8 (x^8 + x^5 + x^4 + 1, reflected, initial 0) of
 * len bytes.  Over the 8 scratchpad bytes it equals the 9th. */
uint8_t wx_ds18b20_crc8(const uint8_t *p, size_t len);

/* The scratchpad temperature register (LSB, MSB: signed 1/16 °C) in °C. */
double wx_ds18b20_raw_to_c(int16_t raw);

/* Parse one w1_slave text of len bytes (need not be NUL-terminated):
 *   72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
 *   72 01 4b 46 7f ff 0e 10 57 t=23125
 * A first line that ends in NO is a CRC failure whatever the second line
 * holds (the kernel prints its last good, or a zeroed, scratchpad there);
 * an empty text is -WX_DS18B20_E_EMPTY (current kernels retry the CRC
 * themselves and then return nothing).  Returns 0 with the temperature in
 * *temp_c, or a negated enum wx_ds18b20_error.  On -WX_DS18B20_E_RANGE *temp_c holds the rejected value;
 * otherwise *temp_c is untouched on error.  Pure; safe on any input. */
int wx_ds18b20_parse(const char *text, size_t len, double *temp_c);

struct wx_ds18b20;

/* A probe on bus, which it takes over (closed by wx_ds18b20_close, also on
 * failure).  device names the probe ("28-0316a27949ff"); NULL or "" means
 * the first 28-* device in sorted order, looked up again whenever it goes
 * missing.  Nothing is read yet.  NULL with errno set on allocation failure
 * or a device name that does not fit. */
struct wx_ds18b20 *wx_ds18b20_open(struct wx_w1bus *bus, const char *device);

/* Read the temperature (may take a 750 ms conversion per try).  Retries up to
 * WX_DS18B20_TRIES times while the CRC fails (NO, a mismatch, or an empty
 * read).  Returns 0 with *temp_c set, or -errno with one line in err naming
 * the device:
 *   -ENOENT no probe / the named probe is gone, -EIO CRC failures (the
 *   message says CRC and how many tries) or no reply,
 *   -EAGAIN power-on value, -ERANGE out of range, -EBADMSG malformed text,
 *   or the transport's own -errno. */
int wx_ds18b20_read(struct wx_ds18b20 *d, double *temp_c, char *err, size_t errlen);

/* The device read last (or configured): "28-0316a27949ff", "" before a probe
 * was found.  Owned by d. */
const char *wx_ds18b20_device(const struct wx_ds18b20 *d);

/* Close the bus and free d.  NULL is fine. */
void wx_ds18b20_close(struct wx_ds18b20 *d);

/* The sensor driver: section [ds18b20], sampled, fills
 * ground_temperature_c. */
extern const struct wx_sensor_driver wx_ds18b20_driver;

/* [ds18b20] */
struct wx_ds18b20_config {
	bool enabled;
	char w1_dir[WX_PATH_LEN];
	char device[WX_NAME_LEN];	/* "" = first 28-* device */
};
#define WX_DS18B20_CONFIG(cfg) WX_SENSOR_CONFIG(cfg, wx_ds18b20_driver, struct wx_ds18b20_config)

#endif
