/* Bosch BME280 combined humidity and pressure sensor, and its sibling the
 * BMP280 (pressure and temperature only), on I2C at 0x76 or 0x77.
 * Datasheets: "BME280 Combined humidity and pressure sensor",
 * BST-BME280-DS002, revision 1.6 (September 2018), and "BMP280 Digital
 * Pressure Sensor", BST-BMP280-DS001, revision 1.19 (January 2018).
 *
 * This file is chip logic only: registers, calibration, the compensation
 * formulas and the forced-mode measurement cycle.  It talks to the chip
 * through struct wx_regbus (i2cdev.c on a Pi, sim/sim_bme280.c in tests and
 * with --sim).  The two chips differ by one row of the variant table. */
#include "drivers/bme280.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/sensor.h"
#include "drivers/probekit.h"

/* Registers (datasheet section 5.3, memory map). */
enum {
	REG_CHIP_ID = 0xD0,
	REG_RESET = 0xE0,
	REG_CTRL_HUM = 0xF2,
	REG_STATUS = 0xF3,
	REG_CTRL_MEAS = 0xF4,
	REG_CONFIG = 0xF5,
	REG_DATA = 0xF7,	/* press_msb .. hum_lsb, 0xF7..0xFE */
};

#define RESET_WORD 0xB6
#define STATUS_MEASURING 0x08	/* bit 3: a conversion is running */
#define STATUS_IM_UPDATE 0x01	/* bit 0: NVM data are being copied */

/* Weather-monitoring settings (datasheet 3.5.1): forced mode, oversampling
 * x1 for each quantity, filter off. */
#define OSRS_X1 1
#define MODE_FORCED 1
#define CTRL_MEAS_FORCED ((OSRS_X1 << 5) | (OSRS_X1 << 2) | MODE_FORCED)
#define CTRL_HUM_X1 OSRS_X1
#define CONFIG_FILTER_OFF 0x00

/* Start-up time after power-on or soft reset is 2 ms (datasheet table 1);
 * the NVM copy normally ends within it.  We give it up to 10 ms more. */
#define RESET_WAIT_US 2000
#define NVM_POLL_US 1000
#define NVM_POLLS 10

#define MEASURE_POLL_US 500

static const struct wx_bmx280_variant variants[] = {
	/* The BMP280 went through two engineering-sample ids before 0x58. */
	{ .name = "BMP280", .chip_id = 0x56, .has_humidity = false },
	{ .name = "BMP280", .chip_id = 0x57, .has_humidity = false },
	{ .name = "BMP280", .chip_id = 0x58, .has_humidity = false },
	{ .name = "BME280", .chip_id = 0x60, .has_humidity = true },
};

#define N_VARIANTS (sizeof(variants) / sizeof(variants[0]))

struct wx_bme280 {
	struct wx_regbus *bus;
	int address;
	const struct wx_bmx280_variant *variant;
	struct wx_bme280_calib cal;
};

const struct wx_bmx280_variant *wx_bme280_variants(size_t *n)
{
	*n = N_VARIANTS;
	return variants;
}

const struct wx_bmx280_variant *wx_bme280_variant_by_id(uint8_t chip_id)
{
	for (size_t i = 0; i < N_VARIANTS; i++)
		if (variants[i].chip_id == chip_id)
			return &variants[i];
	return NULL;
}

/* ---- calibration and compensation (pure) ------------------------------ */

static uint16_t u16le(const uint8_t *b) { return (uint16_t)(b[0] | (b[1] << 8)); }
static int16_t s16le(const uint8_t *b) { return (int16_t)u16le(b); }

void wx_bme280_parse_calib(const uint8_t tp[WX_BME280_CALIB_TP_LEN],
			   const uint8_t *h, struct wx_bme280_calib *cal)
{
	memset(cal, 0, sizeof(*cal));
	cal->dig_T1 = u16le(tp + 0);
	cal->dig_T2 = s16le(tp + 2);
	cal->dig_T3 = s16le(tp + 4);
	cal->dig_P1 = u16le(tp + 6);
	cal->dig_P2 = s16le(tp + 8);
	cal->dig_P3 = s16le(tp + 10);
	cal->dig_P4 = s16le(tp + 12);
	cal->dig_P5 = s16le(tp + 14);
	cal->dig_P6 = s16le(tp + 16);
	cal->dig_P7 = s16le(tp + 18);
	cal->dig_P8 = s16le(tp + 20);
	cal->dig_P9 = s16le(tp + 22);
	/* tp[24] (0xA0) is reserved; dig_H1 sits alone at 0xA1. */
	if (!h)
		return;
	cal->dig_H1 = tp[25];
	cal->dig_H2 = s16le(h + 0);
	cal->dig_H3 = h[2];
	/* dig_H4 and dig_H5 are signed 12-bit values sharing 0xE5: H4 is
	 * 0xE4[7:0] then 0xE5[3:0]; H5 is 0xE6[7:0] then 0xE5[7:4].  The
	 * high byte carries the sign, so it is widened as int8_t and scaled
	 * (a left shift of a negative value is undefined in C). */
	cal->dig_H4 = (int16_t)((int8_t)h[3] * 16 + (h[4] & 0x0F));
	cal->dig_H5 = (int16_t)((int8_t)h[5] * 16 + (h[4] >> 4));
	cal->dig_H6 = (int8_t)h[6];
}

/* Datasheet 8.1, "Compensation formulas in double precision floating
 * point"; t_fine carries the temperature to the other two. */
double wx_bme280_temp_c(const struct wx_bme280_calib *cal, int32_t adc, int32_t *t_fine)
{
	double a = (double)adc / 16384.0 - (double)cal->dig_T1 / 1024.0;
	double b = (double)adc / 131072.0 - (double)cal->dig_T1 / 8192.0;
	double var1 = a * cal->dig_T2;
	double var2 = b * b * cal->dig_T3;

	*t_fine = (int32_t)(var1 + var2);
	return (var1 + var2) / 5120.0;
}

double wx_bme280_pressure_hpa(const struct wx_bme280_calib *cal, int32_t adc, int32_t t_fine)
{
	double var1 = (double)t_fine / 2.0 - 64000.0;
	double var2 = var1 * var1 * cal->dig_P6 / 32768.0;
	double p;

	var2 = var2 + var1 * cal->dig_P5 * 2.0;
	var2 = var2 / 4.0 + cal->dig_P4 * 65536.0;
	var1 = (cal->dig_P3 * var1 * var1 / 524288.0 + cal->dig_P2 * var1) / 524288.0;
	var1 = (1.0 + var1 / 32768.0) * cal->dig_P1;
	if (var1 == 0.0)
		return NAN;	/* the datasheet's guard against division by zero */
	p = 1048576.0 - adc;
	p = (p - var2 / 4096.0) * 6250.0 / var1;
	var1 = cal->dig_P9 * p * p / 2147483648.0;
	var2 = p * cal->dig_P8 / 32768.0;
	p = p + (var1 + var2 + cal->dig_P7) / 16.0;
	return p / 100.0;	/* Pa to hPa */
}

double wx_bme280_humidity_pct(const struct wx_bme280_calib *cal, int32_t adc, int32_t t_fine)
{
	double h = (double)t_fine - 76800.0;

	h = (adc - (cal->dig_H4 * 64.0 + cal->dig_H5 / 16384.0 * h)) *
	    (cal->dig_H2 / 65536.0 *
	     (1.0 + cal->dig_H6 / 67108864.0 * h * (1.0 + cal->dig_H3 / 67108864.0 * h)));
	h = h * (1.0 - cal->dig_H1 * h / 524288.0);
	if (h > 100.0)
		h = 100.0;
	else if (h < 0.0)
		h = 0.0;
	return h;
}

/* ---- messages --------------------------------------------------------- */

/* Describe a failed transfer (rc from the bus) while doing `what`. */
static int bus_fail(const struct wx_regbus *bus, int address, char *err, size_t errlen,
		    int rc, const char *what)
{
	int other = address == 0x76 ? 0x77 : address == 0x77 ? 0x76 : 0;

	if (rc == -ENXIO && other)
		return wx_regbus_fail("bme280", bus, err, errlen, rc,
			    "no reply (wired to 0x%02x? set address = 0x%02x)", other, other);
	if (rc == -ENXIO)
		return wx_regbus_fail("bme280", bus, err, errlen, rc, "no reply (check the wiring and address)");
	if (rc == -EIO)
		return wx_regbus_fail("bme280", bus, err, errlen, rc,
			    "short transfer while %s (loose wire or long cable?)", what);
	return wx_regbus_fail("bme280", bus, err, errlen, rc, "%s: %s", what, strerror(-rc));
}

static bool same_name(size_t i, size_t j)
{
	return strcmp(variants[i].name, variants[j].name) == 0;
}

/* "BMP280 (0x56/0x57/0x58) or BME280 (0x60)", from the table (rows of one
 * name are adjacent). */
static void known_ids(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_VARIANTS && used < len; i++) {
		bool first = i == 0 || !same_name(i - 1, i);
		bool last = i + 1 == N_VARIANTS || !same_name(i + 1, i);
		bool last_group = same_name(N_VARIANTS - 1, i);
		int n = 0;

		if (first)
			n = snprintf(buf + used, len - used, "%s%s (",
				     i == 0 ? "" : last_group ? " or " : ", ", variants[i].name);
		if (n < 0 || (used += (size_t)n) >= len)
			return;
		n = snprintf(buf + used, len - used, "0x%02x%s", variants[i].chip_id,
			     last ? ")" : "/");
		if (n < 0)
			return;
		used += (size_t)n;
	}
}

/* ---- the chip --------------------------------------------------------- */

/* Datasheet 9.1 (BME280) / 3.8.1 (BMP280): maximum measurement time in ms
 * is 1.25 + 2.3 * osrs_t + (2.3 * osrs_p + 0.575) [+ (2.3 * osrs_h + 0.575)]. */
static unsigned measure_max_us(const struct wx_bmx280_variant *v)
{
	unsigned us = 1250 + 2300 * OSRS_X1 + (2300 * OSRS_X1 + 575);

	return v->has_humidity ? us + 2300 * OSRS_X1 + 575 : us;
}

static void delay(struct wx_regbus *bus, unsigned us)
{
	if (bus->delay_us)
		bus->delay_us(bus, us);
}

static int reset_and_wait(struct wx_bme280 *d, char *err, size_t errlen)
{
	struct wx_regbus *bus = d->bus;
	uint8_t status = STATUS_IM_UPDATE;
	int rc = bus->write(bus, REG_RESET, RESET_WORD);

	if (rc < 0)
		return bus_fail(bus, d->address, err, errlen, rc, "resetting");
	delay(bus, RESET_WAIT_US);
	for (int i = 0; i <= NVM_POLLS; i++) {
		if (i)
			delay(bus, NVM_POLL_US);
		rc = bus->read(bus, REG_STATUS, &status, 1);
		if (rc < 0)
			return bus_fail(bus, d->address, err, errlen, rc, "waiting after reset");
		if (!(status & STATUS_IM_UPDATE))
			return 0;
	}
	return wx_regbus_fail("bme280", bus, err, errlen, -ETIMEDOUT,
		    "still copying its calibration (status im_update) %d ms after reset",
		    (RESET_WAIT_US + NVM_POLLS * NVM_POLL_US) / 1000);
}

static int read_calib(struct wx_bme280 *d, char *err, size_t errlen)
{
	struct wx_regbus *bus = d->bus;
	uint8_t tp[WX_BME280_CALIB_TP_LEN], h[WX_BME280_CALIB_H_LEN];
	int rc = bus->read(bus, WX_BME280_CALIB_TP_REG, tp, sizeof(tp));

	if (rc < 0)
		return bus_fail(bus, d->address, err, errlen, rc, "reading calibration");
	if (d->variant->has_humidity) {
		rc = bus->read(bus, WX_BME280_CALIB_H_REG, h, sizeof(h));
		if (rc < 0)
			return bus_fail(bus, d->address, err, errlen, rc, "reading calibration");
	}
	wx_bme280_parse_calib(tp, d->variant->has_humidity ? h : NULL, &d->cal);
	/* Every genuine chip is trimmed; zeros would divide by zero. */
	if (d->cal.dig_T1 == 0 || d->cal.dig_P1 == 0)
		return wx_regbus_fail("bme280", bus, err, errlen, -EIO,
			    "calibration reads as blank (dig_T1 = %u, dig_P1 = %u)",
			    d->cal.dig_T1, d->cal.dig_P1);
	return 0;
}

static struct wx_bme280 *open_on(struct wx_regbus *bus, int address, char *err, size_t errlen)
{
	struct wx_bme280 *d;
	uint8_t id;
	char ids[96];
	int rc;

	d = calloc(1, sizeof(*d));
	if (!d) {
		wx_regbus_fail("bme280", bus, err, errlen, -ENOMEM, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	d->bus = bus;
	d->address = address;

	rc = bus->read(bus, REG_CHIP_ID, &id, 1);
	if (rc < 0) {
		bus_fail(bus, address, err, errlen, rc, "reading the chip id");
		goto out;
	}
	d->variant = wx_bme280_variant_by_id(id);
	if (!d->variant) {
		known_ids(ids, sizeof(ids));
		rc = wx_regbus_fail("bme280", bus, err, errlen, -ENODEV,
			  "found chip id 0x%02x, expected %s: another chip at this address?",
			  id, ids);
		goto out;
	}
	rc = reset_and_wait(d, err, errlen);
	if (rc < 0)
		goto out;
	rc = read_calib(d, err, errlen);
	if (rc < 0)
		goto out;
	rc = bus->write(bus, REG_CONFIG, CONFIG_FILTER_OFF);
	if (rc < 0) {
		bus_fail(bus, address, err, errlen, rc, "configuring");
		goto out;
	}
	return d;
out:
	free(d);
	errno = -rc;
	return NULL;
}

struct wx_bme280 *wx_bme280_open(struct wx_regbus *bus, int address, char *err, size_t errlen)
{
	struct wx_bme280 *d = open_on(bus, address, err, errlen);
	int e;

	if (!d) {
		e = errno;
		bus->close(bus);
		errno = e;
	}
	return d;
}

static int start_forced(struct wx_bme280 *d, char *err, size_t errlen)
{
	struct wx_regbus *bus = d->bus;
	int rc;

	/* ctrl_hum takes effect only after the next write to ctrl_meas
	 * (datasheet 5.4.3), so it goes first. */
	if (d->variant->has_humidity) {
		rc = bus->write(bus, REG_CTRL_HUM, CTRL_HUM_X1);
		if (rc < 0)
			return bus_fail(bus, d->address, err, errlen, rc, "starting a measurement");
	}
	rc = bus->write(bus, REG_CTRL_MEAS, CTRL_MEAS_FORCED);
	if (rc < 0)
		return bus_fail(bus, d->address, err, errlen, rc, "starting a measurement");
	return 0;
}

/* Wait the datasheet's maximum conversion time, so that one status read
 * usually finds the data ready (a wait and a read per sample, not a poll),
 * then poll "measuring" until twice that maximum has passed. */
static int wait_measured(struct wx_bme280 *d, char *err, size_t errlen)
{
	struct wx_regbus *bus = d->bus;
	unsigned max_us = measure_max_us(d->variant);
	unsigned waited = max_us;
	uint8_t status;
	int rc;

	delay(bus, waited);
	for (;;) {
		rc = bus->read(bus, REG_STATUS, &status, 1);
		if (rc < 0)
			return bus_fail(bus, d->address, err, errlen, rc, "waiting for a measurement");
		if (!(status & STATUS_MEASURING))
			return 0;
		if (waited >= 2 * max_us)
			break;
		delay(bus, MEASURE_POLL_US);
		waited += MEASURE_POLL_US;
	}
	return wx_regbus_fail("bme280", bus, err, errlen, -ETIMEDOUT,
		    "still measuring after %.1f ms (datasheet maximum %.1f ms)",
		    waited / 1000.0, max_us / 1000.0);
}

int wx_bme280_read(struct wx_bme280 *d, struct wx_bme280_reading *out,
		   char *err, size_t errlen)
{
	struct wx_regbus *bus = d->bus;
	uint8_t b[8];
	size_t len = d->variant->has_humidity ? 8 : 6;
	int32_t adc_p, adc_t, adc_h, t_fine;
	int rc;

	rc = start_forced(d, err, errlen);
	if (rc < 0)
		return rc;
	rc = wait_measured(d, err, errlen);
	if (rc < 0)
		return rc;
	/* One burst read, so that all values come from one conversion
	 * (datasheet 4: data register shadowing). */
	rc = bus->read(bus, REG_DATA, b, len);
	if (rc < 0)
		return bus_fail(bus, d->address, err, errlen, rc, "reading the measurement");
	adc_p = (int32_t)((uint32_t)b[0] << 12 | (uint32_t)b[1] << 4 | b[2] >> 4);
	adc_t = (int32_t)((uint32_t)b[3] << 12 | (uint32_t)b[4] << 4 | b[5] >> 4);
	adc_h = (int32_t)((uint32_t)b[6] << 8 | b[7]);

	if (adc_t == WX_BME280_SKIPPED_TP)
		return wx_regbus_fail("bme280", bus, err, errlen, -ENODATA,
			    "temperature measurement skipped (raw 0x80000): was the chip reset?");
	if (adc_p == WX_BME280_SKIPPED_TP)
		return wx_regbus_fail("bme280", bus, err, errlen, -ENODATA,
			    "pressure measurement skipped (raw 0x80000): was the chip reset?");
	if (d->variant->has_humidity && adc_h == WX_BME280_SKIPPED_H)
		return wx_regbus_fail("bme280", bus, err, errlen, -ENODATA,
			    "humidity measurement skipped (raw 0x8000): was the chip reset?");

	memset(out, 0, sizeof(*out));
	out->temperature_c = wx_bme280_temp_c(&d->cal, adc_t, &t_fine);
	out->pressure_hpa = wx_bme280_pressure_hpa(&d->cal, adc_p, t_fine);
	if (isnan(out->pressure_hpa))
		return wx_regbus_fail("bme280", bus, err, errlen, -EIO, "pressure calibration is blank (dig_P1 = 0)");
	out->has_humidity = d->variant->has_humidity;
	if (out->has_humidity)
		out->humidity_pct = wx_bme280_humidity_pct(&d->cal, adc_h, t_fine);
	return 0;
}

const struct wx_bmx280_variant *wx_bme280_variant(const struct wx_bme280 *d)
{
	return d->variant;
}

const char *wx_bme280_variant_name(const struct wx_bme280 *d)
{
	return d->variant->name;
}

const struct wx_bme280_calib *wx_bme280_calib(const struct wx_bme280 *d)
{
	return &d->cal;
}

void wx_bme280_close(struct wx_bme280 *d)
{
	if (!d)
		return;
	d->bus->close(d->bus);
	free(d);
}

/* ---- wxctl probe ------------------------------------------------------ */

/* The chips [bme280] takes, for wxctl probe's messages. */
#define EXPECT "BME280 (0x60) or BMP280 (0x58)"

static const char *bosch_chip(uint8_t id)
{
	const struct wx_bmx280_variant *v = wx_bme280_variant_by_id(id);

	return v ? v->name : NULL;
}

static void *probe_open(struct wx_regbus *b, const void *arg, char *err, size_t errlen)
{
	return wx_bme280_open(b, *(const int *)arg, err, errlen);
}

static void check_bme280(struct wx_probe *p)
{
	const struct wx_bme280_config *c = WX_BME280_CONFIG(p->cfg);
	const struct wx_probe_bosch how = {
		.section = "bme280", .bus = c->bus, .address = c->address, .expect = EXPECT,
		.wiring = WX_PROBE_BYO_I2C_WIRING, .open = probe_open, .arg = &c->address,
	};
	struct wx_bme280_reading r;
	struct wx_bme280 *d;
	char err[WX_PROBE_ERR_LEN] = "", subject[WX_PATH_LEN + 32];

	if (!(d = wx_probe_bosch_open(p, &how, subject, sizeof(subject), err, sizeof(err))))
		return;
	if (wx_bme280_read(d, &r, err, sizeof(err)) < 0)
		wx_probe_fail_from(p, "bme280", err);
	else if (r.has_humidity)
		wx_probe_ok(p, "bme280", subject, "%s, chip id 0x%02x: %.1f °C, %.1f hPa, %.1f %%",
		   wx_bme280_variant_name(d), wx_bme280_variant(d)->chip_id, r.temperature_c,
		   r.pressure_hpa, r.humidity_pct);
	else
		wx_probe_ok(p, "bme280", subject, "%s, chip id 0x%02x: %.1f °C, %.1f hPa; it has no "
		   "humidity sensor: humidity_pct stays null", wx_bme280_variant_name(d),
		   wx_bme280_variant(d)->chip_id, r.temperature_c, r.pressure_hpa);
	wx_bme280_close(d);
}

/* ---- the sensor driver ------------------------------------------------ */

static void *chip_open(struct wx_regbus *bus, const struct wx_config *cfg, char *err, size_t errlen)
{
	return wx_bme280_open(bus, WX_BME280_CONFIG(cfg)->address, err, errlen);
}

static int chip_sample(void *chip, bool fills_temperature, struct wx_record *r, char *err,
		       size_t errlen)
{
	struct wx_bme280_reading rd;
	int rc = wx_bme280_read(chip, &rd, err, errlen);

	if (rc < 0)
		return rc;
	if (fills_temperature)
		wx_record_set(r, WX_TEMPERATURE_C, rd.temperature_c);
	wx_record_set(r, WX_PRESSURE_HPA, rd.pressure_hpa);
	if (rd.has_humidity)
		wx_record_set(r, WX_HUMIDITY_PCT, rd.humidity_pct);
	return 0;
}

static void chip_close(void *chip)
{
	wx_bme280_close(chip);
}

static const struct wx_i2c_sensor i2c_sensor = {
	.name = "bme280",
	.air_temperature = WX_AIR_TEMP_BME280,
	.open = chip_open,
	.sample = chip_sample,
	.close = chip_close,
};

/* ---- its config section ------------------------------------------------- */

#define K struct wx_bme280_config
static const struct wx_config_key config_keys[] = {
	WX_CONFIG_NUM(K, "enabled", WX_CFG_BOOL, enabled, 0, 0),
	WX_CONFIG_STR(K, "bus", WX_CFG_STR, bus),
	WX_CONFIG_NUM(K, "address", WX_CFG_ADDR, address, 0x76, 0x77),
};
#undef K

static void config_defaults(void *data, enum wx_profile profile)
{
	struct wx_bme280_config *c = data;

	if (profile != WX_PROFILE_BYO)
		return;
	snprintf(c->bus, sizeof(c->bus), "/dev/i2c-1");
	c->address = 0x76;
}

static const struct wx_config_section config_section =
	WX_CONFIG_SENSOR_SECTION(struct wx_bme280_config, config_keys, config_defaults, NULL);

static void *sensor_open(const struct wx_sensor_env *env, char *err, size_t errlen)
{
	return wx_i2c_sensor_open(&i2c_sensor, env, WX_BME280_CONFIG(env->cfg)->bus,
				  WX_BME280_CONFIG(env->cfg)->address,
				  err, errlen);
}

const struct wx_sensor_driver wx_bme280_driver = {
	.name = "bme280",
	.kits = WX_KIT_BYO,
	.quantities = WX_Q(WX_TEMPERATURE_C) | WX_Q(WX_HUMIDITY_PCT) | WX_Q(WX_PRESSURE_HPA),
	.kind = WX_SENSOR_SAMPLED,
	.config = &config_section,
	.open = sensor_open,
	.sample = wx_i2c_sensor_sample,
	.edges = NULL,
	.close = wx_i2c_sensor_close,
	.probe = check_bme280,
	.bosch_chip = bosch_chip,
};
