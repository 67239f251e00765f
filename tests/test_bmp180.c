/* Tests of drivers/bmp180.c over the simulated chip (drivers/sim/sim_bmp180.c):
 * the datasheet's worked example, calibration parsing, oversampling and
 * every fault. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/bmp180.h"
#include "drivers/sensor.h"
#include "drivers/sim/sim.h"
#include "drivers/sim/sim_bmp180.h"
#include "firmware/core/clock.h"
#include "tests/support/lentbus.h"

#define START_NS (1709294400LL * WX_NS_PER_S)

/* Datasheet 3.5 worked example. */
static const struct wx_bmp180_calib example = {
	.ac1 = 408, .ac2 = -72, .ac3 = -14383, .ac4 = 32741, .ac5 = 32757, .ac6 = 23153,
	.b1 = 6190, .b2 = 4, .mb = -32768, .mc = -8711, .md = 2868,
};

struct world {
	struct wx_config cfg;
	struct wx_clock *clock;
	struct wx_sim *sim;
	struct wx_regbus *bus;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	wx_config_defaults(&w->cfg);
	w->clock = wx_clock_sim(START_NS, 0);
	w->sim = wx_sim_new(&w->cfg, w->clock);
	w->bus = wx_sim_bmp180_new(w->sim, 0x77);
	assert_non_null(w->bus);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	w->bus->close(w->bus);
	wx_sim_free(w->sim);
	wx_clock_free(w->clock);
	free(w);
	return 0;
}

static void bmp180_computes_the_datasheet_example(void **state)
{
	int32_t t, b5, p;

	(void)state;
	assert_int_equal(wx_bmp180_temp(&example, 27898, &t, &b5), 0);
	assert_int_equal(b5, 2399);
	assert_int_equal(t, 150);
	assert_int_equal(wx_bmp180_pressure(&example, 23843, 0, b5, &p), 0);
	assert_int_equal(p, 69964);
}

static void bmp180_parses_signed_and_unsigned_words_big_endian(void **state)
{
	uint8_t b[WX_BMP180_CALIB_LEN];
	const int16_t words[11] = { 408, -72, -14383, (int16_t)32741, (int16_t)32757, 23153,
				    6190, 4, -32768, -8711, 2868 };
	struct wx_bmp180_calib c;
	int bad = -1;

	(void)state;
	for (int i = 0; i < 11; i++) {
		b[2 * i] = (uint8_t)((uint16_t)words[i] >> 8);
		b[2 * i + 1] = (uint8_t)words[i];
	}
	b[6] = 0xFF, b[7] = 0xE5;	/* AC4 = 65509: unsigned, must stay positive */
	assert_int_equal(wx_bmp180_parse_calib(b, &c, &bad), 0);
	assert_int_equal(c.ac2, -72);
	assert_int_equal(c.ac4, 65509);
	assert_int_equal(c.mb, -32768);
	assert_int_equal(c.md, 2868);
	b[20] = 0x00, b[21] = 0x00;	/* MD blank */
	assert_int_equal(wx_bmp180_parse_calib(b, &c, &bad), -EIO);
	assert_int_equal(bad, 10);
	assert_string_equal(wx_bmp180_calib_name(bad), "MD");
}

static void bmp180_guards_division_by_zero(void **state)
{
	struct wx_bmp180_calib c = example;
	int32_t t, b5;

	(void)state;
	c.md = 0;
	c.ac5 = 0;	/* X1 = 0, X1 + MD = 0 */
	assert_int_equal(wx_bmp180_temp(&c, 27898, &t, &b5), -EDOM);
}

static void bmp180_reads_the_example_through_the_bus(void **state)
{
	struct world *w = *state;
	struct wx_bmp180_reading rd;
	char err[WX_ERR_LEN] = "";
	struct wx_bmp180 *d = wx_bmp180_open(wx_test_lend(w->bus), 0, err, sizeof(err));

	assert_non_null(d);
	assert_int_equal(wx_bmp180_calib(d)->ac3, -14383);
	wx_sim_bmp180_set_raw(w->bus, 27898, 23843);
	assert_int_equal(wx_bmp180_read(d, &rd, err, sizeof(err)), 0);
	assert_true(fabs(rd.temperature_c - 15.0) < 1e-9);
	assert_true(fabs(rd.pressure_hpa - 699.64) < 1e-9);
	wx_bmp180_close(d);
}

static void bmp180_every_oversampling_reads_back_a_target(void **state)
{
	struct world *w = *state;
	char err[WX_ERR_LEN] = "";

	wx_sim_bmp180_set_target(w->bus, 21.3, 1002.5);
	for (int oss = 0; oss <= 3; oss++) {
		struct wx_bmp180_reading rd;
		struct wx_bmp180 *d = wx_bmp180_open(wx_test_lend(w->bus), oss, err, sizeof(err));

		assert_non_null(d);
		assert_int_equal(wx_bmp180_read(d, &rd, err, sizeof(err)), 0);
		assert_int_equal(wx_sim_bmp180_last_oss(w->bus), oss);
		assert_true(fabs(rd.temperature_c - 21.3) < 0.051);
		assert_true(fabs(rd.pressure_hpa - 1002.5) < 0.05);
		wx_bmp180_close(d);
	}
	assert_int_equal(wx_bmp180_pressure_wait_us(0), 4500);
	assert_int_equal(wx_bmp180_pressure_wait_us(3), 25500);
}

static void bmp180_rejects_wrong_chip_id(void **state)
{
	struct world *w = *state;
	char err[WX_ERR_LEN] = "";

	wx_sim_bmp180_set_fault(w->bus, WX_SIM_BMP180_WRONG_ID);
	assert_null(wx_bmp180_open(wx_test_lend(w->bus), 3, err, sizeof(err)));
	assert_int_equal(errno, ENODEV);
	assert_string_equal(err, "bmp180 sim:i2c address 0x77: found chip id 0x58, expected 0x55 "
				 "(BMP180): a BMP280/BME280, use [bme280]");
}

static void bmp180_rejects_a_blank_eeprom(void **state)
{
	struct world *w = *state;
	char err[WX_ERR_LEN] = "";

	wx_sim_bmp180_set_fault(w->bus, WX_SIM_BMP180_BLANK_EEPROM);
	assert_null(wx_bmp180_open(wx_test_lend(w->bus), 3, err, sizeof(err)));
	assert_int_equal(errno, EIO);
	assert_non_null(strstr(err, "calibration word AC1 reads 0xffff"));
}

static void bmp180_stuck_conversion_times_out(void **state)
{
	struct world *w = *state;
	struct wx_bmp180_reading rd;
	char err[WX_ERR_LEN] = "";
	struct wx_bmp180 *d = wx_bmp180_open(wx_test_lend(w->bus), 1, err, sizeof(err));

	assert_non_null(d);
	wx_sim_bmp180_set_fault(w->bus, WX_SIM_BMP180_STUCK);
	assert_int_equal(wx_bmp180_read(d, &rd, err, sizeof(err)), -ETIMEDOUT);
	assert_non_null(strstr(err, "measuring temperature: still converting after 9.5 ms"));
	wx_bmp180_close(d);
}

static void bmp180_nack_and_short_transfers_are_errors(void **state)
{
	struct world *w = *state;
	struct wx_bmp180_reading rd;
	char err[WX_ERR_LEN] = "";
	struct wx_bmp180 *d = wx_bmp180_open(wx_test_lend(w->bus), 1, err, sizeof(err));

	assert_non_null(d);
	wx_sim_bmp180_set_fault(w->bus, WX_SIM_BMP180_NACK);
	assert_int_equal(wx_bmp180_read(d, &rd, err, sizeof(err)), -ENXIO);
	assert_non_null(strstr(err, "bmp180 sim:i2c address 0x77: no reply"));
	assert_null(wx_bmp180_open(wx_test_lend(w->bus), 1, err, sizeof(err)));
	assert_int_equal(errno, ENXIO);
	wx_sim_bmp180_set_fault(w->bus, WX_SIM_BMP180_SHORT);
	assert_int_equal(wx_bmp180_read(d, &rd, err, sizeof(err)), -EIO);
	assert_null(wx_bmp180_open(wx_test_lend(w->bus), 4, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	wx_bmp180_close(d);
}

static void bmp180_driver_fills_pressure_and_temperature_only_when_chosen(void **state)
{
	struct world *w = *state;
	struct wx_sensor_env env = { .cfg = &w->cfg, .sim = w->sim };
	char err[WX_ERR_LEN] = "";
	struct wx_record r;
	void *dev;

	for (int chosen = 0; chosen < 2; chosen++) {
		w->cfg.station.air_temperature = chosen ? WX_AIR_TEMP_BMP180 : WX_AIR_TEMP_HTU21D;
		dev = wx_bmp180_driver.open(&env, err, sizeof(err));
		assert_non_null(dev);
		wx_record_init(&r, 0);
		assert_int_equal(wx_bmp180_driver.sample(dev, &r, err, sizeof(err)), 0);
		assert_true(wx_record_has(&r, WX_PRESSURE_HPA));
		assert_true(r.v[WX_PRESSURE_HPA] > 950 && r.v[WX_PRESSURE_HPA] < 1050);
		assert_int_equal(wx_record_has(&r, WX_TEMPERATURE_C), chosen);
		assert_false(wx_record_has(&r, WX_HUMIDITY_PCT));
		wx_bmp180_driver.close(dev);
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bmp180_computes_the_datasheet_example),
		cmocka_unit_test(bmp180_parses_signed_and_unsigned_words_big_endian),
		cmocka_unit_test(bmp180_guards_division_by_zero),
		T(bmp180_reads_the_example_through_the_bus),
		T(bmp180_every_oversampling_reads_back_a_target),
		T(bmp180_rejects_wrong_chip_id),
		T(bmp180_rejects_a_blank_eeprom),
		T(bmp180_stuck_conversion_times_out),
		T(bmp180_nack_and_short_transfers_are_errors),
		T(bmp180_driver_fills_pressure_and_temperature_only_when_chosen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
