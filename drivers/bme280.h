/* Bosch BME280 (temperature, pressure, humidity) and BMP280 (no humidity)
 * over a register bus.  The chip is found by its id (register 0xD0) in one
 * variant table; calibration and compensation follow the datasheets
 * (BST-BME280-DS002, BST-BMP280-DS001).  The pure formula functions take
 * every input explicitly, so the datasheet's worked example is a test. */
#ifndef WX_BME280_H
#define WX_BME280_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/regbus.h"
#include "drivers/sensor.h"

/* One row per chip id this driver handles. */
struct wx_bmx280_variant {
	const char *name;	/* "BME280", "BMP280" */
	uint8_t chip_id;	/* register 0xD0 */
	bool has_humidity;
};

/* The variant table (never NULL); *n receives the number of rows. */
const struct wx_bmx280_variant *wx_bme280_variants(size_t *n);
/* The row for chip_id, or NULL when this driver does not know the chip. */
const struct wx_bmx280_variant *wx_bme280_variant_by_id(uint8_t chip_id);

/* The trimming parameters of one chip (datasheet table "Compensation
 * parameter storage, naming and data type"). */
struct wx_bme280_calib {
	uint16_t dig_T1;
	int16_t dig_T2, dig_T3;
	uint16_t dig_P1;
	int16_t dig_P2, dig_P3, dig_P4, dig_P5, dig_P6, dig_P7, dig_P8, dig_P9;
	uint8_t dig_H1;
	int16_t dig_H2;
	uint8_t dig_H3;
	int16_t dig_H4, dig_H5;	/* signed 12-bit, split over 0xE4..0xE6 */
	int8_t dig_H6;
};

#define WX_BME280_CALIB_TP_REG 0x88
#define WX_BME280_CALIB_TP_LEN 26	/* 0x88..0xA1 (dig_H1 is 0xA1) */
#define WX_BME280_CALIB_H_REG 0xE1
#define WX_BME280_CALIB_H_LEN 7		/* 0xE1..0xE7 */

/* Decode the calibration bytes read from 0x88..0xA1 (tp) and 0xE1..0xE7 (h;
 * may be NULL for a chip without humidity, which leaves the H values 0).
 * Pure. */
void wx_bme280_parse_calib(const uint8_t tp[WX_BME280_CALIB_TP_LEN],
			   const uint8_t *h, struct wx_bme280_calib *cal);

/* Compensation in double precision (datasheet 4.2.3 / 8.1).
 * Temperature in °C from the 20-bit adc value; writes the fine temperature
 * that the other two formulas take back in. */
double wx_bme280_temp_c(const struct wx_bme280_calib *cal, int32_t adc, int32_t *t_fine);
/* Station pressure in hPa from the 20-bit adc value; NaN when the
 * calibration would divide by zero (blank dig_P1). */
double wx_bme280_pressure_hpa(const struct wx_bme280_calib *cal, int32_t adc, int32_t t_fine);
/* Relative humidity in % from the 16-bit adc value, clamped to 0..100. */
double wx_bme280_humidity_pct(const struct wx_bme280_calib *cal, int32_t adc, int32_t t_fine);

/* Raw values the chip writes when a measurement was skipped (its
 * oversampling was 0): never a reading. */
#define WX_BME280_SKIPPED_TP 0x80000
#define WX_BME280_SKIPPED_H 0x8000

struct wx_bme280;

struct wx_bme280_reading {
	double temperature_c;
	double pressure_hpa;
	double humidity_pct;
	bool has_humidity;	/* false on a BMP280: humidity_pct is not set */
};

/* Identify, soft-reset and calibrate the chip on bus, which it takes over:
 * wx_bme280_close() closes it, and so does a failed open.  address is only used to suggest the
 * other address (0x76 / 0x77) when nothing answers.  Returns a handle to
 * free with wx_bme280_close(), or NULL with errno set (ENXIO no reply,
 * ENODEV unknown chip id, ETIMEDOUT, EIO, ENOMEM) and one line in err
 * naming the bus and address. */
struct wx_bme280 *wx_bme280_open(struct wx_regbus *bus, int address, char *err, size_t errlen);

/* One forced-mode measurement (oversampling x1, filter off).  Returns 0,
 * or -errno with one line in err: -ENXIO, -EIO, -ETIMEDOUT (still busy
 * after the datasheet's maximum time), -ENODATA (measurement skipped). */
int wx_bme280_read(struct wx_bme280 *dev, struct wx_bme280_reading *out,
		   char *err, size_t errlen);

/* The variant row found at open (never NULL) and its name ("BME280"). */
const struct wx_bmx280_variant *wx_bme280_variant(const struct wx_bme280 *dev);
const char *wx_bme280_variant_name(const struct wx_bme280 *dev);
/* The calibration read at open (owned by dev). */
const struct wx_bme280_calib *wx_bme280_calib(const struct wx_bme280 *dev);

/* Close dev's bus and free dev (NULL is fine). */
void wx_bme280_close(struct wx_bme280 *dev);

/* The sensor driver: section [bme280], quantities temperature_c,
 * pressure_hpa and (BME280 only) humidity_pct. */
extern const struct wx_sensor_driver wx_bme280_driver;

/* [bme280] */
struct wx_bme280_config {
	bool enabled;
	char bus[WX_PATH_LEN];
	int address;
};
#define WX_BME280_CONFIG(cfg) WX_SENSOR_CONFIG(cfg, wx_bme280_driver, struct wx_bme280_config)

#endif
