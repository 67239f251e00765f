/* Bosch BMP180 "Digital pressure sensor", datasheet BST-BMP180-DS000
 * (the revision we worked from was not recorded: the calibration table of
 * 3.4, the algorithm of 3.5 and its worked example, and the conversion
 * times of table "Conversion time" are what this file relies on).
 *
 * Chip logic only: chip id, the 11 EEPROM calibration words, the
 * measurement cycle (write the control register 0xF4, wait, read
 * 0xF6..0xF8) and the datasheet's integer compensation (section 3.5).  It
 * talks through struct wx_regbus (i2cdev.c on a Pi, sim/sim_bmp180.c in tests
 * and with --sim). */
#include "drivers/bmp180.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/sensor.h"
#include "drivers/probekit.h"

enum {
	REG_CHIP_ID = 0xD0,
	REG_CTRL_MEAS = 0xF4,
	REG_OUT = 0xF6,		/* out_msb, out_lsb, out_xlsb */
};

#define CMD_TEMP 0x2E
#define CMD_PRESSURE 0x34	/* + (oss << 6) */
#define CTRL_SCO 0x20		/* bit 5: conversion running */
#define POLL_US 1000u

static const char *const calib_names[11] = {
	"AC1", "AC2", "AC3", "AC4", "AC5", "AC6", "B1", "B2", "MB", "MC", "MD",
};

struct wx_bmp180 {
	struct wx_regbus *bus;
	int oss;
	struct wx_bmp180_calib cal;
};

const char *wx_bmp180_calib_name(int word)
{
	return word >= 0 && word < 11 ? calib_names[word] : "?";
}

int wx_bmp180_parse_calib(const uint8_t b[WX_BMP180_CALIB_LEN], struct wx_bmp180_calib *cal,
			  int *bad_word)
{
	uint16_t w[11];

	for (int i = 0; i < 11; i++) {
		w[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
		if (w[i] == 0x0000 || w[i] == 0xFFFF) {
			if (bad_word)
				*bad_word = i;
			return -EIO;
		}
	}
	cal->ac1 = (int16_t)w[0], cal->ac2 = (int16_t)w[1], cal->ac3 = (int16_t)w[2];
	cal->ac4 = w[3], cal->ac5 = w[4], cal->ac6 = w[5];
	cal->b1 = (int16_t)w[6], cal->b2 = (int16_t)w[7];
	cal->mb = (int16_t)w[8], cal->mc = (int16_t)w[9], cal->md = (int16_t)w[10];
	return 0;
}

/* a / b rounded toward minus infinity (b > 0 or b < 0, never 0): the
 * datasheet's "/ 2^n" are shifts, and its example (B5 = 2399, p = 69964)
 * needs the same rounding for MC * 2^11 / (X1 + MD). */
static int64_t fdiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int wx_bmp180_temp(const struct wx_bmp180_calib *cal, int32_t ut, int32_t *t_01c, int32_t *b5)
{
	int64_t x1 = fdiv(((int64_t)ut - cal->ac6) * cal->ac5, 1 << 15);
	int64_t x2;

	if (x1 + cal->md == 0)
		return -EDOM;
	x2 = fdiv((int64_t)cal->mc * (1 << 11), x1 + cal->md);
	*b5 = (int32_t)(x1 + x2);
	*t_01c = (int32_t)fdiv(*b5 + 8, 1 << 4);
	return 0;
}

int wx_bmp180_pressure(const struct wx_bmp180_calib *cal, int32_t up, int oss, int32_t b5,
		       int32_t *p_pa)
{
	int64_t b6 = (int64_t)b5 - 4000, x1, x2, x3, b3, p;
	uint64_t b4, b7;

	if (oss < 0 || oss > 3)
		return -EINVAL;
	x1 = fdiv(cal->b2 * fdiv(b6 * b6, 1 << 12), 1 << 11);
	x2 = fdiv(cal->ac2 * b6, 1 << 11);
	x3 = x1 + x2;
	b3 = fdiv(((cal->ac1 * 4 + x3) * (1 << oss)) + 2, 4);
	x1 = fdiv(cal->ac3 * b6, 1 << 13);
	x2 = fdiv(cal->b1 * fdiv(b6 * b6, 1 << 12), 1 << 16);
	x3 = fdiv(x1 + x2 + 2, 4);
	/* The datasheet computes B4 and B7 as unsigned long (32 bit). */
	b4 = ((uint64_t)cal->ac4 * (uint32_t)(x3 + 32768)) >> 15;
	b7 = (uint32_t)((uint32_t)up - (uint32_t)b3) * (uint64_t)(50000u >> oss);
	b7 &= 0xFFFFFFFFu;
	if (b4 == 0)
		return -EDOM;
	p = b7 < 0x80000000u ? (int64_t)((b7 * 2) / b4) : (int64_t)((b7 / b4) * 2);
	x1 = fdiv(p, 1 << 8) * fdiv(p, 1 << 8);
	x1 = fdiv(x1 * 3038, 1 << 16);
	x2 = fdiv(-7357 * p, 1 << 16);
	*p_pa = (int32_t)(p + fdiv(x1 + x2 + 3791, 1 << 4));
	return 0;
}

unsigned wx_bmp180_pressure_wait_us(int oss)
{
	static const unsigned us[4] = { 4500, 7500, 13500, 25500 };

	return us[oss < 0 ? 0 : oss > 3 ? 3 : oss];
}

/* ---- the chip --------------------------------------------------------- */

static void delay(struct wx_regbus *bus, unsigned us)
{
	if (bus->delay_us)
		bus->delay_us(bus, us);
}

static struct wx_bmp180 *open_on(struct wx_regbus *bus, int oss, char *err, size_t errlen)
{
	struct wx_bmp180 *d;
	uint8_t id, cb[WX_BMP180_CALIB_LEN];
	int rc, bad = 0;

	if (oss < 0 || oss > 3) {
		wx_regbus_fail("bmp180", bus, err, errlen, -EINVAL, "oversampling %d: need 0..3", oss);
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		wx_regbus_fail("bmp180", bus, err, errlen, -ENOMEM, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	d->bus = bus;
	d->oss = oss;
	rc = bus->read(bus, REG_CHIP_ID, &id, 1);
	if (rc < 0) {
		wx_regbus_hat_fail("bmp180", 0x77, bus, err, errlen, rc, "reading the chip id");
		goto out;
	}
	if (id != WX_BMP180_CHIP_ID) {
		rc = wx_regbus_fail("bmp180", bus, err, errlen, -ENODEV, "found chip id 0x%02x, expected 0x55 (BMP180)%s",
			  id, id == 0x58 || id == 0x60 ? ": a BMP280/BME280, use [bme280]"
						      : ": another chip at this address?");
		goto out;
	}
	rc = bus->read(bus, WX_BMP180_CALIB_REG, cb, sizeof(cb));
	if (rc < 0) {
		wx_regbus_hat_fail("bmp180", 0x77, bus, err, errlen, rc, "reading calibration");
		goto out;
	}
	rc = wx_bmp180_parse_calib(cb, &d->cal, &bad);
	if (rc < 0) {
		wx_regbus_fail("bmp180", bus, err, errlen, rc, "calibration word %s reads 0x%02x%02x "
		     "(bad EEPROM or bus: check the HAT's connection)", wx_bmp180_calib_name(bad),
		     cb[2 * bad], cb[2 * bad + 1]);
		goto out;
	}
	return d;
out:
	free(d);
	errno = -rc;
	return NULL;
}

struct wx_bmp180 *wx_bmp180_open(struct wx_regbus *bus, int oss, char *err, size_t errlen)
{
	struct wx_bmp180 *d = open_on(bus, oss, err, errlen);
	int e;

	if (!d) {
		e = errno;
		bus->close(bus);
		errno = e;
	}
	return d;
}

/* Start a conversion, wait the datasheet time, then poll SCO (bit 5 of
 * 0xF4) until it clears, up to twice that time; read len bytes of the
 * result. */
static int convert(struct wx_bmp180 *d, uint8_t cmd, unsigned wait_us, uint8_t *out, size_t len,
		   const char *what, char *err, size_t errlen)
{
	struct wx_regbus *bus = d->bus;
	unsigned waited = wait_us;
	uint8_t ctrl;
	int rc = bus->write(bus, REG_CTRL_MEAS, cmd);

	if (rc < 0)
		return wx_regbus_hat_fail("bmp180", 0x77, bus, err, errlen, rc, what);
	delay(bus, wait_us);
	for (;;) {
		rc = bus->read(bus, REG_CTRL_MEAS, &ctrl, 1);
		if (rc < 0)
			return wx_regbus_hat_fail("bmp180", 0x77, bus, err, errlen, rc, what);
		if (!(ctrl & CTRL_SCO))
			break;
		if (waited >= 2 * wait_us)
			return wx_regbus_fail("bmp180", bus, err, errlen, -ETIMEDOUT, "%s: still converting after %.1f ms "
				    "(datasheet maximum %.1f ms)", what, waited / 1000.0,
				    wait_us / 1000.0);
		delay(bus, POLL_US);
		waited += POLL_US;
	}
	rc = bus->read(bus, REG_OUT, out, len);
	if (rc < 0)
		return wx_regbus_hat_fail("bmp180", 0x77, bus, err, errlen, rc, what);
	return 0;
}

int wx_bmp180_read(struct wx_bmp180 *d, struct wx_bmp180_reading *out, char *err, size_t errlen)
{
	uint8_t b[3];
	int32_t ut, up, t, p, b5;
	int rc;

	rc = convert(d, CMD_TEMP, WX_BMP180_TEMP_WAIT_US, b, 2, "measuring temperature", err,
		     errlen);
	if (rc < 0)
		return rc;
	ut = b[0] << 8 | b[1];
	rc = convert(d, (uint8_t)(CMD_PRESSURE + (d->oss << 6)), wx_bmp180_pressure_wait_us(d->oss),
		     b, 3, "measuring pressure", err, errlen);
	if (rc < 0)
		return rc;
	up = (int32_t)(((uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2]) >> (8 - d->oss));
	if (wx_bmp180_temp(&d->cal, ut, &t, &b5) < 0 ||
	    wx_bmp180_pressure(&d->cal, up, d->oss, b5, &p) < 0)
		return wx_regbus_fail("bmp180", d->bus, err, errlen, -EDOM, "calibration divides by zero (bad EEPROM?)");
	out->temperature_c = t / 10.0;
	out->pressure_hpa = p / 100.0;
	return 0;
}

const struct wx_bmp180_calib *wx_bmp180_calib(const struct wx_bmp180 *d)
{
	return &d->cal;
}

void wx_bmp180_close(struct wx_bmp180 *d)
{
	if (!d)
		return;
	d->bus->close(d->bus);
	free(d);
}

/* ---- wxctl probe ------------------------------------------------------ */

/* The chip [bmp180] takes, for wxctl probe's messages. */
#define EXPECT "BMP180 (0x55)"

static const char *bosch_chip(uint8_t id)
{
	return id == WX_BMP180_CHIP_ID ? "BMP180" : NULL;
}

static void *probe_open(struct wx_regbus *b, const void *arg, char *err, size_t errlen)
{
	return wx_bmp180_open(b, *(const int *)arg, err, errlen);
}

static void check_bmp180(struct wx_probe *p)
{
	const struct wx_bmp180_config *c = WX_BMP180_CONFIG(p->cfg);
	const struct wx_probe_bosch how = {
		.section = "bmp180", .bus = c->bus, .address = c->address, .expect = EXPECT,
		.wiring = WX_PROBE_HAT_WIRING, .open = probe_open, .arg = &c->oversampling,
	};
	struct wx_bmp180_reading r;
	struct wx_bmp180 *d;
	char err[WX_PROBE_ERR_LEN] = "", subject[WX_PATH_LEN + 32];

	if (!(d = wx_probe_bosch_open(p, &how, subject, sizeof(subject), err, sizeof(err))))
		return;
	if (wx_bmp180_read(d, &r, err, sizeof(err)) < 0)
		wx_probe_fail_from(p, "bmp180", err);
	else
		wx_probe_ok(p, "bmp180", subject, "BMP180, chip id 0x%02x: %.1f °C, %.1f hPa",
		   WX_BMP180_CHIP_ID, r.temperature_c, r.pressure_hpa);
	wx_bmp180_close(d);
}

/* ---- the sensor driver ------------------------------------------------ */

static void *chip_open(struct wx_regbus *bus, const struct wx_config *cfg, char *err, size_t errlen)
{
	return wx_bmp180_open(bus, WX_BMP180_CONFIG(cfg)->oversampling, err, errlen);
}

static int chip_sample(void *chip, bool fills_temperature, struct wx_record *r, char *err,
		       size_t errlen)
{
	struct wx_bmp180_reading rd;
	int rc = wx_bmp180_read(chip, &rd, err, errlen);

	if (rc < 0)
		return rc;
	wx_record_set(r, WX_PRESSURE_HPA, rd.pressure_hpa);
	if (fills_temperature)
		wx_record_set(r, WX_TEMPERATURE_C, rd.temperature_c);
	return 0;
}

static void chip_close(void *chip)
{
	wx_bmp180_close(chip);
}

static const struct wx_i2c_sensor i2c_sensor = {
	.name = "bmp180",
	.air_temperature = WX_AIR_TEMP_BMP180,
	.open = chip_open,
	.sample = chip_sample,
	.close = chip_close,
};

/* ---- its config section ------------------------------------------------- */

#define K struct wx_bmp180_config
/* The BMP180 has one fixed address. */
static const struct wx_config_key config_keys[] = {
	WX_CONFIG_NUM(K, "enabled", WX_CFG_BOOL, enabled, 0, 0),
	WX_CONFIG_STR(K, "bus", WX_CFG_STR, bus),
	WX_CONFIG_NUM(K, "address", WX_CFG_ADDR, address, 0x77, 0x77),
	WX_CONFIG_NUM(K, "oversampling", WX_CFG_INT, oversampling, 0, 3),
};
#undef K

static void config_defaults(void *data, enum wx_profile profile)
{
	struct wx_bmp180_config *c = data;

	if (profile != WX_PROFILE_BYO)
		return;
	snprintf(c->bus, sizeof(c->bus), "/dev/i2c-1");
	c->address = 0x77;
	c->oversampling = 3;	/* ultra high resolution: 25.5 ms, lowest noise */
}

static const struct wx_config_section config_section =
	WX_CONFIG_SENSOR_SECTION(struct wx_bmp180_config, config_keys, config_defaults, NULL);

static void *sensor_open(const struct wx_sensor_env *env, char *err, size_t errlen)
{
	return wx_i2c_sensor_open(&i2c_sensor, env, WX_BMP180_CONFIG(env->cfg)->bus,
				  WX_BMP180_CONFIG(env->cfg)->address,
				  err, errlen);
}

const struct wx_sensor_driver wx_bmp180_driver = {
	.name = "bmp180",
	.kits = WX_KIT_HAT,
	.quantities = WX_Q(WX_TEMPERATURE_C) | WX_Q(WX_PRESSURE_HPA),
	.kind = WX_SENSOR_SAMPLED,
	.config = &config_section,
	.open = sensor_open,
	.sample = wx_i2c_sensor_sample,
	.edges = NULL,
	.close = wx_i2c_sensor_close,
	.probe = check_bmp180,
	.bosch_chip = bosch_chip,
};
