/* Tests of drivers/bme280.c over the simulated chip (drivers/sim/sim_bme280.c)
 * and of drivers/i2cdev.c on things that are not an I2C bus. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "drivers/bme280.h"
#include "drivers/regbus.h"
#include "drivers/sensor.h"
#include "drivers/sim/sim.h"
#include "drivers/sim/sim_bme280.h"
#include "firmware/core/clock.h"

/* 2024-03-01 12:00 UTC */
#define START_NS (1709294400LL * WX_NS_PER_S)

struct world {
	struct wx_config cfg;
	struct wx_clock *clock;
	struct wx_sim *sim;
};

static int world_setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->cfg.sim.seed = 1;
	w->cfg.station.altitude_m = 12;
	w->clock = wx_clock_sim(START_NS, 0);
	assert_non_null(w->clock);
	w->sim = wx_sim_new(&w->cfg, w->clock);
	assert_non_null(w->sim);
	*state = w;
	return 0;
}

static int world_teardown(void **state)
{
	struct world *w = *state;

	wx_sim_free(w->sim);
	wx_clock_free(w->clock);
	free(w);
	return 0;
}

static bool contains(const char *s, const char *part)
{
	if (!strstr(s, part)) {
		print_error("\"%s\" does not contain \"%s\"\n", s, part);
		return false;
	}
	return true;
}

/* The BMP280 datasheet's example trimming (BST-BMP280-DS001, 3.12). */
static struct wx_bme280_calib datasheet_calib(void)
{
	struct wx_bme280_calib c = {
		.dig_T1 = 27504, .dig_T2 = 26435, .dig_T3 = -1000,
		.dig_P1 = 36477, .dig_P2 = -10685, .dig_P3 = 3024, .dig_P4 = 2855,
		.dig_P5 = 140, .dig_P6 = -7, .dig_P7 = 15500, .dig_P8 = -14600,
		.dig_P9 = 6000,
	};
	return c;
}

/* ---- formulas --------------------------------------------------------- */

static void bme280_temperature_matches_datasheet_example(void **state)
{
	struct wx_bme280_calib c = datasheet_calib();
	int32_t t_fine = 0;
	double t;

	(void)state;
	t = wx_bme280_temp_c(&c, 519888, &t_fine);
	assert_int_equal(t_fine, 128422);
	assert_true(fabs(t - 25.08) < 0.005);
}

static void bme280_pressure_matches_datasheet_example(void **state)
{
	struct wx_bme280_calib c = datasheet_calib();
	double p = wx_bme280_pressure_hpa(&c, 415148, 128422);

	(void)state;
	/* The datasheet's table gives 100653.27 Pa; its own double code with
	 * the integer t_fine 128422 gives 100653.258 Pa (the table carried the
	 * unrounded t_fine).  Either way, within 0.02 Pa. */
	assert_true(fabs(p * 100.0 - 100653.27) < 0.02);
}

static void bme280_pressure_is_nan_for_blank_calibration(void **state)
{
	struct wx_bme280_calib c = datasheet_calib();

	(void)state;
	c.dig_P1 = 0;
	assert_true(isnan(wx_bme280_pressure_hpa(&c, 415148, 128422)));
}

static void bme280_humidity_is_clamped_to_0_100(void **state)
{
	struct wx_bme280_calib c = datasheet_calib();

	(void)state;
	c.dig_H1 = 75, c.dig_H2 = 362, c.dig_H3 = 0, c.dig_H4 = 313, c.dig_H5 = 50, c.dig_H6 = 30;
	assert_true(wx_bme280_humidity_pct(&c, 0, 128422) == 0.0);
	assert_true(wx_bme280_humidity_pct(&c, 0xFFFF, 128422) == 100.0);
	double mid = wx_bme280_humidity_pct(&c, 28000, 128422);
	assert_true(mid > 0.0 && mid < 100.0);
}

static void bme280_parses_calibration_little_endian_and_signed(void **state)
{
	uint8_t tp[WX_BME280_CALIB_TP_LEN] = {
		0x70, 0x6B,	/* T1 27504 */
		0x43, 0x67,	/* T2 26435 */
		0x18, 0xFC,	/* T3 -1000 */
		0x7D, 0x8E,	/* P1 36477 */
		0x43, 0xD6,	/* P2 -10685 */
		0xD0, 0x0B,	/* P3 3024 */
		0x27, 0x0B,	/* P4 2855 */
		0x8C, 0x00,	/* P5 140 */
		0xF9, 0xFF,	/* P6 -7 */
		0x8C, 0x3C,	/* P7 15500 */
		0xF8, 0xC6,	/* P8 -14600 */
		0x70, 0x17,	/* P9 6000 */
		0x00, 0x4B,	/* reserved, H1 75 */
	};
	struct wx_bme280_calib c;

	(void)state;
	wx_bme280_parse_calib(tp, NULL, &c);
	assert_int_equal(c.dig_T1, 27504);
	assert_int_equal(c.dig_T2, 26435);
	assert_int_equal(c.dig_T3, -1000);
	assert_int_equal(c.dig_P1, 36477);
	assert_int_equal(c.dig_P2, -10685);
	assert_int_equal(c.dig_P3, 3024);
	assert_int_equal(c.dig_P4, 2855);
	assert_int_equal(c.dig_P5, 140);
	assert_int_equal(c.dig_P6, -7);
	assert_int_equal(c.dig_P7, 15500);
	assert_int_equal(c.dig_P8, -14600);
	assert_int_equal(c.dig_P9, 6000);
	/* Without humidity bytes (a BMP280) the H words stay 0. */
	assert_int_equal(c.dig_H1, 0);
	assert_int_equal(c.dig_H4, 0);
}

static void bme280_parses_negative_h4_h5_nibbles(void **state)
{
	uint8_t tp[WX_BME280_CALIB_TP_LEN] = { 0 };
	/* H2 -5, H3 0x80, H4 -300 (0xED4), H5 -7 (0xFF9), H6 -12. */
	uint8_t h[WX_BME280_CALIB_H_LEN] = { 0xFB, 0xFF, 0x80, 0xED, 0x94, 0xFF, 0xF4 };
	/* H4 313 (0x139), H5 50 (0x032): nibbles must not leak across. */
	uint8_t hp[WX_BME280_CALIB_H_LEN] = { 0x6A, 0x01, 0x00, 0x13, 0x29, 0x03, 0x1E };
	/* The extremes of a signed 12-bit value: H4 -2048 (0x800), H5 2047 (0x7FF). */
	uint8_t hx[WX_BME280_CALIB_H_LEN] = { 0, 0, 0, 0x80, 0xF0, 0x7F, 0 };
	struct wx_bme280_calib c;

	(void)state;
	tp[25] = 0xC8;
	wx_bme280_parse_calib(tp, h, &c);
	assert_int_equal(c.dig_H1, 200);
	assert_int_equal(c.dig_H2, -5);
	assert_int_equal(c.dig_H3, 0x80);
	assert_int_equal(c.dig_H4, -300);
	assert_int_equal(c.dig_H5, -7);
	assert_int_equal(c.dig_H6, -12);

	wx_bme280_parse_calib(tp, hp, &c);
	assert_int_equal(c.dig_H2, 362);
	assert_int_equal(c.dig_H4, 313);
	assert_int_equal(c.dig_H5, 50);
	assert_int_equal(c.dig_H6, 30);

	wx_bme280_parse_calib(tp, hx, &c);
	assert_int_equal(c.dig_H4, -2048);
	assert_int_equal(c.dig_H5, 2047);
}

/* ---- the chip over the simulated bus ---------------------------------- */

static void bme280_reads_every_variant_over_the_sim_bus(void **state)
{
	struct world *w = *state;
	size_t n;
	const struct wx_bmx280_variant *v = wx_bme280_variants(&n);
	char err[WX_ERR_LEN];

	assert_true(n >= 2);
	for (size_t i = 0; i < n; i++) {
		struct wx_regbus *bus = wx_sim_bme280_new(w->sim, v[i].chip_id, 0x77);
		struct wx_bme280 *dev;
		struct wx_bme280_reading rd;

		assert_non_null(bus);
		dev = wx_bme280_open(bus, 0x77, err, sizeof(err));
		if (!dev)
			fail_msg("chip id 0x%02x: %s", v[i].chip_id, err);
		assert_ptr_equal(wx_bme280_variant(dev), &v[i]);
		assert_string_equal(wx_bme280_variant_name(dev), v[i].name);
		wx_sim_bme280_set_target(bus, 18.5, 1001.2, 63.0);
		assert_int_equal(wx_bme280_read(dev, &rd, err, sizeof(err)), 0);
		assert_int_equal(rd.has_humidity, v[i].has_humidity);
		assert_true(fabs(rd.temperature_c - 18.5) < 0.01);
		assert_true(fabs(rd.pressure_hpa - 1001.2) < 0.01);
		if (v[i].has_humidity)
			assert_true(fabs(rd.humidity_pct - 63.0) < 0.1);
		wx_bme280_close(dev);
	}
	assert_string_equal(wx_bme280_variant_by_id(0x60)->name, "BME280");
	assert_string_equal(wx_bme280_variant_by_id(0x58)->name, "BMP280");
	assert_true(wx_bme280_variant_by_id(0x60)->has_humidity);
	assert_false(wx_bme280_variant_by_id(0x58)->has_humidity);
	assert_null(wx_bme280_variant_by_id(0x55));
}

static void bme280_round_trips_sim_targets(void **state)
{
	static const double targets[][3] = {
		{ -30.0, 950.0, 5.0 }, { 0.0, 1013.25, 50.0 }, { 21.37, 987.65, 43.21 },
		{ 45.0, 1050.0, 95.0 }, { 12.34, 899.99, 99.9 }, { -0.01, 1100.0, 0.5 },
	};
	struct world *w = *state;
	struct wx_regbus *bus = wx_sim_bme280_new(w->sim, 0x60, 0x76);
	char err[WX_ERR_LEN];
	struct wx_bme280 *dev = wx_bme280_open(bus, 0x76, err, sizeof(err));

	assert_non_null(dev);
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		struct wx_bme280_reading rd;

		wx_sim_bme280_set_target(bus, targets[i][0], targets[i][1], targets[i][2]);
		assert_int_equal(wx_bme280_read(dev, &rd, err, sizeof(err)), 0);
		assert_true(rd.has_humidity);
		if (fabs(rd.temperature_c - targets[i][0]) >= 0.01 ||
		    fabs(rd.pressure_hpa - targets[i][1]) >= 0.01 ||
		    fabs(rd.humidity_pct - targets[i][2]) >= 0.1)
			fail_msg("target %g °C %g hPa %g %% read %g °C %g hPa %g %%",
				 targets[i][0], targets[i][1], targets[i][2],
				 rd.temperature_c, rd.pressure_hpa, rd.humidity_pct);
	}
	wx_bme280_close(dev);
}

static void bme280_reads_the_simulated_world(void **state)
{
	struct world *w = *state;
	struct wx_regbus *bus = wx_sim_bme280_new(w->sim, 0x60, 0x76);
	char err[WX_ERR_LEN];
	struct wx_bme280 *dev = wx_bme280_open(bus, 0x76, err, sizeof(err));
	struct wx_sim_weather want;
	struct wx_bme280_reading rd;

	assert_non_null(dev);
	for (int hour = 0; hour < 24; hour += 5) {
		wx_clock_jump(w->clock, START_NS + hour * 3600 * WX_NS_PER_S);
		wx_sim_weather_at(w->sim, wx_clock_mono_ns(w->clock), &want);
		assert_int_equal(wx_bme280_read(dev, &rd, err, sizeof(err)), 0);
		assert_true(fabs(rd.temperature_c - want.temperature_c) < 0.01);
		assert_true(fabs(rd.pressure_hpa - want.pressure_hpa) < 0.01);
		assert_true(fabs(rd.humidity_pct - fmin(100, fmax(0, want.humidity_pct))) < 0.1);
	}
	wx_bme280_close(dev);
}

/* A bus in front of the sim that remembers the order of register writes. */
struct spy {
	struct wx_regbus bus;
	struct wx_regbus *inner;
	uint8_t writes[64];
	size_t n;
};

static int spy_read(struct wx_regbus *b, uint8_t reg, uint8_t *buf, size_t len)
{
	struct spy *s = b->ctx;

	return s->inner->read(s->inner, reg, buf, len);
}

static int spy_write(struct wx_regbus *b, uint8_t reg, uint8_t val)
{
	struct spy *s = b->ctx;

	if (s->n < sizeof(s->writes))
		s->writes[s->n++] = reg;
	return s->inner->write(s->inner, reg, val);
}

static void spy_delay(struct wx_regbus *b, unsigned us)
{
	struct spy *s = b->ctx;

	s->inner->delay_us(s->inner, us);
}

static void spy_close(struct wx_regbus *b)
{
	struct spy *s = b->ctx;

	s->inner->close(s->inner);
}

static void bme280_writes_ctrl_hum_before_ctrl_meas(void **state)
{
	struct world *w = *state;
	struct spy s = { .inner = wx_sim_bme280_new(w->sim, 0x60, 0x76) };
	char err[WX_ERR_LEN];
	struct wx_bme280 *dev;
	struct wx_bme280_reading rd;
	ptrdiff_t hum = -1, meas = -1;

	s.bus = (struct wx_regbus){ .where = "spy", .read = spy_read, .write = spy_write,
				    .delay_us = spy_delay, .close = spy_close, .ctx = &s };
	dev = wx_bme280_open(&s.bus, 0x76, err, sizeof(err));
	assert_non_null(dev);
	s.n = 0;
	assert_int_equal(wx_bme280_read(dev, &rd, err, sizeof(err)), 0);
	for (size_t i = 0; i < s.n; i++) {
		if (s.writes[i] == 0xF2 && hum < 0)
			hum = (ptrdiff_t)i;
		if (s.writes[i] == 0xF4 && meas < 0)
			meas = (ptrdiff_t)i;
	}
	assert_true(hum >= 0 && meas >= 0);
	assert_true(hum < meas);
	wx_bme280_close(dev);
}

/* ---- faults ----------------------------------------------------------- */

static void bme280_says_no_reply_and_suggests_the_other_address(void **state)
{
	static const struct { int addr; const char *msg; } cases[] = {
		{ 0x76, "bme280 sim:i2c address 0x76: no reply (wired to 0x77? set address = 0x77)" },
		{ 0x77, "bme280 sim:i2c address 0x77: no reply (wired to 0x76? set address = 0x76)" },
	};
	struct world *w = *state;
	char err[WX_ERR_LEN];

	for (size_t i = 0; i < 2; i++) {
		struct wx_regbus *bus = wx_sim_bme280_new(w->sim, 0x60, cases[i].addr);

		wx_sim_bme280_set_fault(bus, WX_SIM_BME280_NACK);
		errno = 0;
		assert_null(wx_bme280_open(bus, cases[i].addr, err, sizeof(err)));
		assert_int_equal(errno, ENXIO);
		assert_string_equal(err, cases[i].msg);
	}
}

static void bme280_rejects_wrong_chip_id(void **state)
{
	struct world *w = *state;
	char err[WX_ERR_LEN];
	struct wx_regbus *bus = wx_sim_bme280_new(w->sim, 0x60, 0x76);
	struct wx_regbus *bmp180 = wx_sim_bme280_new(w->sim, 0x55, 0x77);

	wx_sim_bme280_set_fault(bus, WX_SIM_BME280_WRONG_ID);
	errno = 0;
	assert_null(wx_bme280_open(bus, 0x76, err, sizeof(err)));
	assert_int_equal(errno, ENODEV);
	assert_true(contains(err, "bme280 sim:i2c address 0x76: "));
	assert_true(contains(err, "chip id 0x61"));
	assert_true(contains(err, "BMP280 (0x56/0x57/0x58) or BME280 (0x60)"));

	errno = 0;
	assert_null(wx_bme280_open(bmp180, 0x77, err, sizeof(err)));
	assert_int_equal(errno, ENODEV);
	assert_true(contains(err, "bme280 sim:i2c address 0x77: found chip id 0x55"));
}

/* The simulated chip measures for its conversion time (midway between the
 * datasheet's typical 8 and maximum 9.3 ms), waited through the bus;
 * reading the status alone never ends a conversion. */
static void bme280_sim_measures_for_the_typical_time(void **state)
{
	struct world *w = *state;
	struct wx_regbus *bus = wx_sim_bme280_new(w->sim, 0x60, 0x76);
	uint8_t st;

	assert_non_null(bus);
	/* ctrl_hum x1, then ctrl_meas x1/x1 forced: 8.65 ms. */
	assert_int_equal(bus->write(bus, 0xF2, 1), 0);
	assert_int_equal(bus->write(bus, 0xF4, (1 << 5) | (1 << 2) | 1), 0);
	assert_int_equal(bus->read(bus, 0xF3, &st, 1), 0);
	assert_true(st & 0x08);
	bus->delay_us(bus, 8600);
	assert_int_equal(bus->read(bus, 0xF3, &st, 1), 0);
	assert_true(st & 0x08);
	assert_int_equal(bus->read(bus, 0xF3, &st, 1), 0);
	assert_true(st & 0x08);
	bus->delay_us(bus, 50);
	assert_int_equal(bus->read(bus, 0xF3, &st, 1), 0);
	assert_false(st & 0x08);
	bus->close(bus);
}

static void bme280_reads_once_after_the_datasheet_maximum(void **state)
{
	struct world *w = *state;
	char err[WX_ERR_LEN];
	struct wx_regbus *bus = wx_sim_bme280_new(w->sim, 0x60, 0x76);
	struct wx_bme280 *dev = wx_bme280_open(bus, 0x76, err, sizeof(err));
	struct wx_bme280_reading rd;
	unsigned reads;

	assert_non_null(dev);
	reads = wx_sim_bme280_status_reads(bus);
	for (int i = 0; i < 3; i++)
		assert_int_equal(wx_bme280_read(dev, &rd, err, sizeof(err)), 0);
	/* One wait and one status read a sample: no polling on a chip that
	 * keeps to its datasheet (on a Pi, fewer wakes and bus transfers). */
	assert_int_equal(wx_sim_bme280_status_reads(bus) - reads, 3);
	wx_bme280_close(dev);
}

static void bme280_times_out_when_stuck_busy(void **state)
{
	struct world *w = *state;
	char err[WX_ERR_LEN];
	struct wx_regbus *bus = wx_sim_bme280_new(w->sim, 0x60, 0x76);
	struct wx_bme280 *dev = wx_bme280_open(bus, 0x76, err, sizeof(err));
	struct wx_bme280_reading rd;

	assert_non_null(dev);
	wx_sim_bme280_set_fault(bus, WX_SIM_BME280_STUCK_BUSY);
	assert_int_equal(wx_bme280_read(dev, &rd, err, sizeof(err)), -ETIMEDOUT);
	assert_true(contains(err, "bme280 sim:i2c address 0x76: still measuring after"));
	assert_true(contains(err, "datasheet maximum 9.3 ms"));
	/* Once the chip recovers, so does the driver. */
	wx_sim_bme280_set_fault(bus, 0);
	assert_int_equal(wx_bme280_read(dev, &rd, err, sizeof(err)), 0);
	wx_bme280_close(dev);
}

static void bme280_times_out_when_nvm_copy_never_ends(void **state)
{
	struct world *w = *state;
	char err[WX_ERR_LEN];
	struct wx_regbus *bus = wx_sim_bme280_new(w->sim, 0x60, 0x76);

	wx_sim_bme280_set_fault(bus, WX_SIM_BME280_STUCK_NVM);
	errno = 0;
	assert_null(wx_bme280_open(bus, 0x76, err, sizeof(err)));
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(contains(err, "bme280 sim:i2c address 0x76: still copying its calibration"));
}

static void bme280_never_turns_a_skipped_measurement_into_a_number(void **state)
{
	struct world *w = *state;
	char err[WX_ERR_LEN];
	struct wx_regbus *bus = wx_sim_bme280_new(w->sim, 0x60, 0x76);
	struct wx_bme280 *dev = wx_bme280_open(bus, 0x76, err, sizeof(err));
	struct wx_bme280_reading rd = { .temperature_c = NAN, .pressure_hpa = NAN,
					.humidity_pct = NAN };
	static const struct { int32_t t, p, h; const char *what; } raw[] = {
		{ 0x80000, 415148, 28000, "temperature measurement skipped (raw 0x80000)" },
		{ 519888, 0x80000, 28000, "pressure measurement skipped (raw 0x80000)" },
		{ 519888, 415148, 0x8000, "humidity measurement skipped (raw 0x8000)" },
	};

	assert_non_null(dev);
	wx_sim_bme280_set_fault(bus, WX_SIM_BME280_SKIPPED);
	assert_int_equal(wx_bme280_read(dev, &rd, err, sizeof(err)), -ENODATA);
	assert_true(contains(err, "bme280 sim:i2c address 0x76: "));
	assert_true(contains(err, "skipped"));
	assert_true(isnan(rd.temperature_c) && isnan(rd.pressure_hpa) && isnan(rd.humidity_pct));

	wx_sim_bme280_set_fault(bus, 0);
	for (size_t i = 0; i < 3; i++) {
		wx_sim_bme280_set_raw(bus, raw[i].t, raw[i].p, raw[i].h);
		assert_int_equal(wx_bme280_read(dev, &rd, err, sizeof(err)), -ENODATA);
		assert_true(contains(err, raw[i].what));
		assert_true(isnan(rd.temperature_c));
	}
	/* The fixed raw values of the datasheet example do read back. */
	wx_sim_bme280_set_raw(bus, 519888, 415148, 28000);
	assert_int_equal(wx_bme280_read(dev, &rd, err, sizeof(err)), 0);
	assert_true(fabs(rd.temperature_c - 25.08) < 0.005);
	assert_true(fabs(rd.pressure_hpa - 1006.53) < 0.005);
	wx_bme280_close(dev);
}

static void bme280_reports_a_short_transfer(void **state)
{
	struct world *w = *state;
	char err[WX_ERR_LEN];
	struct wx_regbus *bus = wx_sim_bme280_new(w->sim, 0x60, 0x76);
	struct wx_bme280 *dev = wx_bme280_open(bus, 0x76, err, sizeof(err));
	struct wx_bme280_reading rd = { .temperature_c = NAN };

	assert_non_null(dev);
	wx_sim_bme280_set_fault(bus, WX_SIM_BME280_SHORT);
	assert_int_equal(wx_bme280_read(dev, &rd, err, sizeof(err)), -EIO);
	assert_true(contains(err, "bme280 sim:i2c address 0x76: short transfer"));
	assert_true(isnan(rd.temperature_c));
	wx_bme280_close(dev);

	bus = wx_sim_bme280_new(w->sim, 0x60, 0x76);
	wx_sim_bme280_set_fault(bus, WX_SIM_BME280_SHORT);
	errno = 0;
	assert_null(wx_bme280_open(bus, 0x76, err, sizeof(err)));
	assert_int_equal(errno, EIO);
	assert_true(contains(err, "bme280 sim:i2c address 0x76: short transfer"));
}

static void bme280_soft_reset_restores_defaults_in_the_sim(void **state)
{
	struct world *w = *state;
	struct wx_regbus *bus = wx_sim_bme280_new(w->sim, 0x60, 0x76);
	uint8_t b[8], status;
	char err[WX_ERR_LEN];
	struct wx_bme280 *dev = wx_bme280_open(bus, 0x76, err, sizeof(err));
	struct wx_bme280_reading rd;

	assert_non_null(dev);
	assert_int_equal(wx_bme280_read(dev, &rd, err, sizeof(err)), 0);
	assert_int_equal(bus->write(bus, 0xE0, 0xB6), 0);
	assert_int_equal(bus->read(bus, 0xF3, &status, 1), 0);
	assert_int_equal(status & 0x01, 0x01);	/* im_update, briefly */
	assert_int_equal(bus->read(bus, 0xF3, &status, 1), 0);
	assert_int_equal(status & 0x01, 0);
	assert_int_equal(bus->read(bus, 0xF2, b, 4), 0);
	assert_int_equal(b[0], 0);	/* ctrl_hum */
	assert_int_equal(b[2], 0);	/* ctrl_meas */
	assert_int_equal(bus->read(bus, 0xF7, b, 8), 0);
	assert_int_equal(b[0], 0x80);
	assert_int_equal(b[3], 0x80);
	assert_int_equal(b[6], 0x80);
	assert_int_equal(b[7], 0x00);
	/* The driver measures again after a reset behind its back. */
	assert_int_equal(wx_bme280_read(dev, &rd, err, sizeof(err)), 0);
	wx_bme280_close(dev);
}

/* ---- the sensor driver ------------------------------------------------ */

static void bme280_driver_fills_its_quantities_from_the_sim(void **state)
{
	struct world *w = *state;
	struct wx_config cfg = w->cfg;
	struct wx_sensor_env env = { .cfg = &cfg, .sim = w->sim };
	struct wx_sim_weather want;
	struct wx_record r;
	char err[WX_ERR_LEN] = "";
	void *dev;

	assert_string_equal(wx_bme280_driver.name, "bme280");
	assert_int_equal(wx_bme280_driver.kind, WX_SENSOR_SAMPLED);
	assert_false(wx_sensor_enabled(&cfg, &wx_bme280_driver));
	WX_BME280_CONFIG(&cfg)->enabled = true;
	WX_BME280_CONFIG(&cfg)->address = 0x76;
	snprintf(WX_BME280_CONFIG(&cfg)->bus, sizeof(WX_BME280_CONFIG(&cfg)->bus), "/dev/i2c-1");
	assert_true(wx_sensor_enabled(&cfg, &wx_bme280_driver));

	dev = wx_bme280_driver.open(&env, err, sizeof(err));
	if (!dev)
		fail_msg("%s", err);
	wx_record_init(&r, 1709294400);
	wx_sim_weather_at(w->sim, wx_clock_mono_ns(w->clock), &want);
	assert_int_equal(wx_bme280_driver.sample(dev, &r, err, sizeof(err)), 0);
	assert_true(wx_record_has(&r, WX_TEMPERATURE_C));
	assert_true(wx_record_has(&r, WX_PRESSURE_HPA));
	assert_true(wx_record_has(&r, WX_HUMIDITY_PCT));
	assert_false(wx_record_has(&r, WX_DEW_POINT_C));
	assert_false(wx_record_has(&r, WX_SEA_LEVEL_PRESSURE_HPA));
	assert_int_equal(r.valid, (1u << WX_TEMPERATURE_C) | (1u << WX_PRESSURE_HPA) |
				  (1u << WX_HUMIDITY_PCT));
	assert_true(fabs(r.v[WX_TEMPERATURE_C] - want.temperature_c) < 0.01);
	assert_true(fabs(r.v[WX_PRESSURE_HPA] - want.pressure_hpa) < 0.01);
	assert_true(fabs(r.v[WX_HUMIDITY_PCT] - want.humidity_pct) < 0.1);
	wx_bme280_driver.close(dev);
}

static void bme280_driver_names_a_missing_bus_and_how_to_enable_it(void **state)
{
	struct world *w = *state;
	struct wx_config cfg = w->cfg;
	struct wx_sensor_env env = { .cfg = &cfg, .sim = NULL };
	char err[WX_ERR_LEN] = "";

	WX_BME280_CONFIG(&cfg)->enabled = true;
	WX_BME280_CONFIG(&cfg)->address = 0x77;
	snprintf(WX_BME280_CONFIG(&cfg)->bus, sizeof(WX_BME280_CONFIG(&cfg)->bus), "/nonexistent/i2c-1");
	errno = 0;
	assert_null(wx_bme280_driver.open(&env, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_true(contains(err, "bme280 /nonexistent/i2c-1 address 0x77: "));
	assert_true(contains(err, "dtparam=i2c_arm=on"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bme280_temperature_matches_datasheet_example),
		cmocka_unit_test(bme280_pressure_matches_datasheet_example),
		cmocka_unit_test(bme280_pressure_is_nan_for_blank_calibration),
		cmocka_unit_test(bme280_humidity_is_clamped_to_0_100),
		cmocka_unit_test(bme280_parses_calibration_little_endian_and_signed),
		cmocka_unit_test(bme280_parses_negative_h4_h5_nibbles),
		cmocka_unit_test_setup_teardown(bme280_reads_every_variant_over_the_sim_bus,
						world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(bme280_round_trips_sim_targets,
						world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(bme280_reads_the_simulated_world,
						world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(bme280_writes_ctrl_hum_before_ctrl_meas,
						world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(bme280_says_no_reply_and_suggests_the_other_address,
						world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(bme280_rejects_wrong_chip_id,
						world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(bme280_sim_measures_for_the_typical_time,
						world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(bme280_reads_once_after_the_datasheet_maximum,
						world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(bme280_times_out_when_stuck_busy,
						world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(bme280_times_out_when_nvm_copy_never_ends,
						world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(bme280_never_turns_a_skipped_measurement_into_a_number,
						world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(bme280_reports_a_short_transfer,
						world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(bme280_soft_reset_restores_defaults_in_the_sim,
						world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(bme280_driver_fills_its_quantities_from_the_sim,
						world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(bme280_driver_names_a_missing_bus_and_how_to_enable_it,
						world_setup, world_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
