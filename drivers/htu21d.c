/* TE Connectivity HTU21D(F) Sensor, "Digital Relative Humidity sensor with
 * Temperature output" (the revision we worked from was not recorded: check
 * the figures below against yours).
 *
 * Chip logic only.  The chip has no register pointer for measurements: a
 * one-byte command starts a conversion (0xF3 temperature, 0xF5 humidity,
 * "no hold master"), the chip NACKs its address until the result is ready,
 * then answers MSB, LSB, CRC.  The two low bits of LSB are status bits and
 * are masked off before conversion.  It talks
 * through struct wx_regbus's send/recv (i2cdev.c on a Pi, sim/sim_htu21d.c in
 * tests and with --sim). */
#include "drivers/htu21d.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/sensor.h"
#include "drivers/probekit.h"

enum {
	CMD_TEMP_NO_HOLD = 0xF3,
	CMD_HUM_NO_HOLD = 0xF5,
	CMD_SOFT_RESET = 0xFE,
};

/* Datasheet "Electrical and general items": soft reset takes less than
 * 15 ms; at the default resolution (RH 12 bit, T 14 bit) a measurement
 * takes at most 50 ms (T) and 16 ms (RH). */
#define RESET_US 15000u
#define TEMP_MAX_US 50000u
#define HUM_MAX_US 16000u
#define POLL_US 2000u

#define STATUS_MASK 0x0003

struct wx_htu21d {
	struct wx_regbus *bus;
};

uint8_t wx_htu21d_crc8(const uint8_t *data, size_t len)
{
	uint8_t crc = 0;

	for (size_t i = 0; i < len; i++) {
		crc ^= data[i];
		for (int b = 0; b < 8; b++)
			crc = (uint8_t)(crc & 0x80 ? (crc << 1) ^ 0x31 : crc << 1);
	}
	return crc;
}

double wx_htu21d_temp_c(uint16_t word)
{
	return -46.85 + 175.72 * (double)(word & ~STATUS_MASK) / 65536.0;
}

double wx_htu21d_humidity_raw_pct(uint16_t word)
{
	return -6.0 + 125.0 * (double)(word & ~STATUS_MASK) / 65536.0;
}

double wx_htu21d_humidity_comp_pct(double rh_pct, double temp_c)
{
	double rh = rh_pct + (25.0 - temp_c) * -0.15;

	return rh < 0 ? 0 : rh > 100 ? 100 : rh;
}

static void delay(struct wx_regbus *bus, unsigned us)
{
	if (bus->delay_us)
		bus->delay_us(bus, us);
}

static struct wx_htu21d *open_on(struct wx_regbus *bus, char *err, size_t errlen)
{
	struct wx_htu21d *d;
	uint8_t cmd = CMD_SOFT_RESET;
	int rc;

	if (!bus->send || !bus->recv) {
		wx_regbus_fail("htu21d", bus, err, errlen, -EOPNOTSUPP, "transport cannot do plain I2C transfers");
		errno = EOPNOTSUPP;
		return NULL;
	}
	rc = bus->send(bus, &cmd, 1);
	if (rc < 0) {
		wx_regbus_hat_fail("htu21d", 0x40, bus, err, errlen, rc, "resetting");
		errno = -rc;
		return NULL;
	}
	delay(bus, RESET_US);
	d = calloc(1, sizeof(*d));
	if (!d) {
		wx_regbus_fail("htu21d", bus, err, errlen, -ENOMEM, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	d->bus = bus;
	return d;
}

struct wx_htu21d *wx_htu21d_open(struct wx_regbus *bus, char *err, size_t errlen)
{
	struct wx_htu21d *d = open_on(bus, err, errlen);
	int e;

	if (!d) {
		e = errno;
		bus->close(bus);
		errno = e;
	}
	return d;
}

/* Start one measurement and read its word: the chip NACKs reads until the
 * conversion ends, so after the datasheet maximum we re-read every 2 ms,
 * up to twice that maximum. */
static int measure(struct wx_htu21d *d, uint8_t cmd, unsigned max_us, uint16_t *word,
		   char *err, size_t errlen)
{
	struct wx_regbus *bus = d->bus;
	bool want_humidity = cmd == CMD_HUM_NO_HOLD;
	const char *what = want_humidity ? "humidity" : "temperature";
	uint8_t b[3];
	unsigned waited = max_us;
	int rc = bus->send(bus, &cmd, 1);

	if (rc < 0)
		return wx_regbus_hat_fail("htu21d", 0x40, bus, err, errlen, rc, want_humidity ? "starting a humidity measurement"
								      : "starting a temperature measurement");
	delay(bus, max_us);
	while ((rc = bus->recv(bus, b, sizeof(b))) == -ENXIO && waited < 2 * max_us) {
		delay(bus, POLL_US);
		waited += POLL_US;
	}
	if (rc == -ENXIO)
		return wx_regbus_fail("htu21d", bus, err, errlen, -ETIMEDOUT, "no %s result after %.0f ms "
			    "(datasheet maximum %.0f ms)", what, waited / 1000.0, max_us / 1000.0);
	if (rc < 0)
		return wx_regbus_hat_fail("htu21d", 0x40, bus, err, errlen, rc, "reading a measurement");
	if (wx_htu21d_crc8(b, 2) != b[2])
		return wx_regbus_fail("htu21d", bus, err, errlen, -EBADMSG, "%s CRC mismatch (got 0x%02x, computed "
			    "0x%02x): noise on the bus?", what, b[2], wx_htu21d_crc8(b, 2));
	/* The two status bits are masked by the conversions, not checked:
	 * the datasheet's own CRC examples (0x683A, 0x4E85) carry type bits
	 * that contradict its table, so a clone or revision that sets them
	 * differently must not turn good readings into errors. */
	*word = (uint16_t)(b[0] << 8 | b[1]);
	return 0;
}

int wx_htu21d_read(struct wx_htu21d *d, struct wx_htu21d_reading *out, char *err, size_t errlen)
{
	uint16_t t, h;
	int rc = measure(d, CMD_TEMP_NO_HOLD, TEMP_MAX_US, &t, err, errlen);

	if (rc < 0)
		return rc;
	rc = measure(d, CMD_HUM_NO_HOLD, HUM_MAX_US, &h, err, errlen);
	if (rc < 0)
		return rc;
	out->temperature_c = wx_htu21d_temp_c(t);
	out->humidity_pct = wx_htu21d_humidity_comp_pct(wx_htu21d_humidity_raw_pct(h),
							out->temperature_c);
	return 0;
}

void wx_htu21d_close(struct wx_htu21d *d)
{
	if (!d)
		return;
	d->bus->close(d->bus);
	free(d);
}

/* ---- wxctl probe ------------------------------------------------------ */

static void check_htu21d(struct wx_probe *p)
{
	const struct wx_htu21d_config *c = WX_HTU21D_CONFIG(p->cfg);
	struct wx_htu21d_reading r;
	struct wx_regbus *b;
	struct wx_htu21d *d;
	char err[WX_PROBE_ERR_LEN] = "", subject[WX_PATH_LEN + 32], cmd[64];

	if (!wx_probe_node(p, "htu21d", c->bus, c->bus, WX_PROBE_NODE_I2C))
		return;
	snprintf(subject, sizeof(subject), "%s address 0x%02x", c->bus, (unsigned)c->address);
	if (!(b = wx_probe_open_i2c(p, "htu21d", c->bus, c->address)))
		return;
	wx_probe_i2cdetect_cmd(c->bus, cmd, sizeof(cmd));
	d = wx_htu21d_open(b, err, sizeof(err));
	if (!d && errno == ENXIO)
		wx_probe_fail(p, "htu21d", subject, "no reply from the HTU21D: " WX_PROBE_HAT_WIRING " (%s should "
		     "list %02x)", cmd, (unsigned)c->address);
	else if (!d)
		wx_probe_fail_from(p, "htu21d", err);
	else if (wx_htu21d_read(d, &r, err, sizeof(err)) < 0)
		wx_probe_fail_from(p, "htu21d", err);
	else
		wx_probe_ok(p, "htu21d", subject, "HTU21D answers: %.1f °C, %.1f %%", r.temperature_c,
		   r.humidity_pct);
	wx_htu21d_close(d);
}

/* ---- the sensor driver ------------------------------------------------ */

static void *chip_open(struct wx_regbus *bus, const struct wx_config *cfg, char *err, size_t errlen)
{
	(void)cfg;
	return wx_htu21d_open(bus, err, errlen);
}

static int chip_sample(void *chip, bool fills_temperature, struct wx_record *r, char *err,
		       size_t errlen)
{
	struct wx_htu21d_reading rd;
	int rc = wx_htu21d_read(chip, &rd, err, errlen);

	if (rc < 0)
		return rc;
	wx_record_set(r, WX_HUMIDITY_PCT, rd.humidity_pct);
	if (fills_temperature)
		wx_record_set(r, WX_TEMPERATURE_C, rd.temperature_c);
	return 0;
}

static void chip_close(void *chip)
{
	wx_htu21d_close(chip);
}

static const struct wx_i2c_sensor i2c_sensor = {
	.name = "htu21d",
	.air_temperature = WX_AIR_TEMP_HTU21D,
	.open = chip_open,
	.sample = chip_sample,
	.close = chip_close,
};

/* ---- its config section ------------------------------------------------- */

#define K struct wx_htu21d_config
/* The HTU21D has one fixed address. */
static const struct wx_config_key config_keys[] = {
	WX_CONFIG_NUM(K, "enabled", WX_CFG_BOOL, enabled, 0, 0),
	WX_CONFIG_STR(K, "bus", WX_CFG_STR, bus),
	WX_CONFIG_NUM(K, "address", WX_CFG_ADDR, address, 0x40, 0x40),
};
#undef K

static void config_defaults(void *data, enum wx_profile profile)
{
	struct wx_htu21d_config *c = data;

	if (profile != WX_PROFILE_BYO)
		return;
	snprintf(c->bus, sizeof(c->bus), "/dev/i2c-1");
	c->address = 0x40;
}

static const struct wx_config_section config_section =
	WX_CONFIG_SENSOR_SECTION(struct wx_htu21d_config, config_keys, config_defaults, NULL);

static void *sensor_open(const struct wx_sensor_env *env, char *err, size_t errlen)
{
	return wx_i2c_sensor_open(&i2c_sensor, env, WX_HTU21D_CONFIG(env->cfg)->bus,
				  WX_HTU21D_CONFIG(env->cfg)->address,
				  err, errlen);
}

const struct wx_sensor_driver wx_htu21d_driver = {
	.name = "htu21d",
	.kits = WX_KIT_HAT,
	.quantities = WX_Q(WX_TEMPERATURE_C) | WX_Q(WX_HUMIDITY_PCT),
	.kind = WX_SENSOR_SAMPLED,
	.config = &config_section,
	.open = sensor_open,
	.sample = wx_i2c_sensor_sample,
	.edges = NULL,
	.close = wx_i2c_sensor_close,
	.probe = check_htu21d,
};
