/* Bosch BMP180 digital barometric pressure sensor on I2C at 0x77 (chip id
 * 0x55), the Oracle Weather Station HAT's pressure sensor.  Its register
 * layout and integer compensation differ from the BMP280/BME280
 * (bme280.c), so it has its own file.  The pure formula functions take
 * every input explicitly, so the datasheet's worked example is a test. */
#ifndef WX_BMP180_H
#define WX_BMP180_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/regbus.h"
#include "drivers/sensor.h"

#define WX_BMP180_ADDRESS 0x77
#define WX_BMP180_CHIP_ID 0x55
#define WX_BMP180_CALIB_REG 0xAA
#define WX_BMP180_CALIB_LEN 22		/* 11 big-endian words, 0xAA..0xBF */

/* Datasheet table "Calibration coefficients" (section 3.4). */
struct wx_bmp180_calib {
	int16_t ac1, ac2, ac3;
	uint16_t ac4, ac5, ac6;
	int16_t b1, b2, mb, mc, md;
};

/* Decode the 22 EEPROM bytes.  Returns 0, or -EIO when a word reads
 * 0x0000 or 0xFFFF (the datasheet: the EEPROM or the bus is bad), with
 * the index of the first such word (0 = AC1 .. 10 = MD) in *bad_word
 * (may be NULL).  Pure. */
int wx_bmp180_parse_calib(const uint8_t b[WX_BMP180_CALIB_LEN], struct wx_bmp180_calib *cal,
			  int *bad_word);

/* The calibration word names in EEPROM order, for messages. */
const char *wx_bmp180_calib_name(int word);

/* Datasheet 3.5, integer arithmetic exactly as written there (divisions
 * by 2^n round toward minus infinity, as the worked example shows).
 * Temperature in 0.1 °C from the uncompensated UT; writes B5, which the
 * pressure formula takes back in.  0, or -EDOM when the calibration would
 * divide by zero. */
int wx_bmp180_temp(const struct wx_bmp180_calib *cal, int32_t ut, int32_t *t_01c, int32_t *b5);
/* Pressure in Pa from the uncompensated UP read at oversampling oss
 * (0..3).  0, or -EDOM / -EINVAL (oss). */
int wx_bmp180_pressure(const struct wx_bmp180_calib *cal, int32_t up, int oss, int32_t b5,
		       int32_t *p_pa);

/* The datasheet's maximum conversion time for pressure at oss (4.5, 7.5,
 * 13.5, 25.5 ms); temperature takes 4.5 ms. */
unsigned wx_bmp180_pressure_wait_us(int oss);
#define WX_BMP180_TEMP_WAIT_US 4500u

struct wx_bmp180_reading {
	double temperature_c;
	double pressure_hpa;	/* station pressure */
};

struct wx_bmp180;

/* Check the chip id and read the calibration of the chip on bus (taken
 * over: wx_bmp180_close() closes it, and so does a failed open), to measure at
 * oversampling oss (0..3).  A handle, or NULL with errno set (ENXIO no
 * reply, ENODEV wrong chip id, EIO bad calibration, EINVAL oss, ENOMEM)
 * and one line in err naming the bus and address. */
struct wx_bmp180 *wx_bmp180_open(struct wx_regbus *bus, int oss, char *err, size_t errlen);

/* One temperature and one pressure conversion.  0, or -errno with one
 * line in err: -ENXIO, -EIO, -ETIMEDOUT (conversion bit still set after
 * twice the datasheet time), -EDOM. */
int wx_bmp180_read(struct wx_bmp180 *dev, struct wx_bmp180_reading *out, char *err, size_t errlen);

/* The calibration read at open (owned by dev). */
const struct wx_bmp180_calib *wx_bmp180_calib(const struct wx_bmp180 *dev);

/* Close dev's bus and free dev (NULL is fine). */
void wx_bmp180_close(struct wx_bmp180 *dev);

/* The sensor driver: section [bmp180], sampled; fills pressure_hpa, and
 * temperature_c only when [station] air_temperature = bmp180. */
extern const struct wx_sensor_driver wx_bmp180_driver;

/* [bmp180]: the Oracle HAT's pressure (and temperature). */
struct wx_bmp180_config {
	bool enabled;
	char bus[WX_PATH_LEN];
	int address;
	int oversampling;		/* oss 0..3 */
};
#define WX_BMP180_CONFIG(cfg) WX_SENSOR_CONFIG(cfg, wx_bmp180_driver, struct wx_bmp180_config)

#endif
