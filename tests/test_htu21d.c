/* Tests of drivers/htu21d.c over the simulated chip (drivers/sim/sim_htu21d.c):
 * the datasheet's CRC and conversion examples, the measurement cycle, and
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

#include "drivers/htu21d.h"
#include "drivers/sensor.h"
#include "drivers/sim/sim.h"
#include "drivers/sim/sim_htu21d.h"
#include "firmware/core/clock.h"
#include "tests/support/lentbus.h"

#define START_NS (1709294400LL * WX_NS_PER_S)

struct world {
	struct wx_config cfg;
	struct wx_clock *clock;
	struct wx_sim *sim;
	struct wx_regbus *bus;
	struct wx_htu21d *dev;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char err[WX_ERR_LEN];

	assert_non_null(w);
	wx_config_defaults(&w->cfg);
	w->clock = wx_clock_sim(START_NS, 0);
	w->sim = wx_sim_new(&w->cfg, w->clock);
	w->bus = wx_sim_htu21d_new(w->sim, 0x40);
	assert_non_null(w->bus);
	w->dev = wx_htu21d_open(wx_test_lend(w->bus), err, sizeof(err));
	assert_non_null(w->dev);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	wx_htu21d_close(w->dev);
	w->bus->close(w->bus);
	wx_sim_free(w->sim);
	wx_clock_free(w->clock);
	free(w);
	return 0;
}

static void htu21d_crc_matches_the_datasheet_examples(void **state)
{
	const uint8_t a[] = { 0xDC }, b[] = { 0x68, 0x3A }, c[] = { 0x4E, 0x85 };

	(void)state;
	assert_int_equal(wx_htu21d_crc8(a, 1), 0x79);
	assert_int_equal(wx_htu21d_crc8(b, 2), 0x7C);
	assert_int_equal(wx_htu21d_crc8(c, 2), 0x6B);
}

static void htu21d_converts_the_datasheet_examples_with_status_bits_masked(void **state)
{
	(void)state;
	/* 0x683A: status bits 10 masked to 0x6838 = 26680 -> 24.68 °C. */
	assert_true(fabs(wx_htu21d_temp_c(0x683A) - 24.686) < 0.01);
	assert_true(fabs(wx_htu21d_temp_c(0x6838) - wx_htu21d_temp_c(0x683B)) < 1e-12);
	/* 0x4E85 masked to 0x4E84 = 20100 -> 32.34 %RH. */
	assert_true(fabs(wx_htu21d_humidity_raw_pct(0x4E85) - 32.337) < 0.01);
	assert_true(fabs(wx_htu21d_temp_c(0) + 46.85) < 1e-9);
}

static void htu21d_compensates_humidity_for_temperature_and_clamps(void **state)
{
	(void)state;
	assert_true(fabs(wx_htu21d_humidity_comp_pct(50, 25) - 50) < 1e-9);
	assert_true(fabs(wx_htu21d_humidity_comp_pct(50, 5) - 47) < 1e-9);	/* (25-5)*-0.15 */
	assert_true(fabs(wx_htu21d_humidity_comp_pct(50, 45) - 53) < 1e-9);
	assert_true(wx_htu21d_humidity_comp_pct(118.9, 20) == 100);
	assert_true(wx_htu21d_humidity_comp_pct(-5.9, 30) == 0);
}

static void htu21d_reads_the_datasheet_words_through_the_bus(void **state)
{
	struct world *w = *state;
	struct wx_htu21d_reading rd;
	char err[WX_ERR_LEN] = "";

	wx_sim_htu21d_set_raw(w->bus, 0x683A, 0x4E85);	/* status bits as printed */
	assert_int_equal(wx_htu21d_read(w->dev, &rd, err, sizeof(err)), 0);
	assert_true(fabs(rd.temperature_c - 24.686) < 0.01);
	/* 32.337 + (25 - 24.686) * -0.15 */
	assert_true(fabs(rd.humidity_pct - (32.337 - 0.047)) < 0.01);
	assert_int_equal(wx_sim_htu21d_measurements(w->bus), 2);
}

static void htu21d_reads_back_a_target(void **state)
{
	struct world *w = *state;
	struct wx_htu21d_reading rd;
	char err[WX_ERR_LEN] = "";

	wx_sim_htu21d_set_target(w->bus, 3.5, 88);
	assert_int_equal(wx_htu21d_read(w->dev, &rd, err, sizeof(err)), 0);
	assert_true(fabs(rd.temperature_c - 3.5) < 0.02);
	assert_true(fabs(rd.humidity_pct - 88) < 0.05);
}

static void htu21d_open_soft_resets_and_waits(void **state)
{
	struct world *w = *state;

	/* setup opened it: one reset, and the chip accepted the next command
	 * only because 15 ms had been spent. */
	assert_int_equal(wx_sim_htu21d_resets(w->bus), 1);
}

static void htu21d_polls_a_slow_conversion_by_rereading_on_nack(void **state)
{
	struct world *w = *state;
	struct wx_htu21d_reading rd;
	char err[WX_ERR_LEN] = "";

	wx_sim_htu21d_set_conversion_us(w->bus, 70000, 25000);	/* beyond the maxima */
	wx_sim_htu21d_set_target(w->bus, 20, 60);
	assert_int_equal(wx_htu21d_read(w->dev, &rd, err, sizeof(err)), 0);
	assert_true(fabs(rd.temperature_c - 20) < 0.02);
}

static void htu21d_stuck_conversion_times_out_with_a_message(void **state)
{
	struct world *w = *state;
	struct wx_htu21d_reading rd;
	char err[WX_ERR_LEN] = "";

	wx_sim_htu21d_set_fault(w->bus, WX_SIM_HTU21D_STUCK);
	assert_int_equal(wx_htu21d_read(w->dev, &rd, err, sizeof(err)), -ETIMEDOUT);
	assert_non_null(strstr(err, "htu21d sim:i2c address 0x40: no temperature result"));
}

static void htu21d_crc_failure_is_an_error_not_a_value(void **state)
{
	struct world *w = *state;
	struct wx_htu21d_reading rd = { .temperature_c = -999 };
	char err[WX_ERR_LEN] = "";

	wx_sim_htu21d_set_fault(w->bus, WX_SIM_HTU21D_BAD_CRC);
	assert_int_equal(wx_htu21d_read(w->dev, &rd, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "CRC mismatch"));
	assert_true(rd.temperature_c == -999);
}

static void htu21d_nack_says_no_reply(void **state)
{
	struct world *w = *state;
	struct wx_htu21d_reading rd;
	char err[WX_ERR_LEN] = "";

	wx_sim_htu21d_set_fault(w->bus, WX_SIM_HTU21D_NACK);
	assert_int_equal(wx_htu21d_read(w->dev, &rd, err, sizeof(err)), -ENXIO);
	assert_non_null(strstr(err, "htu21d sim:i2c address 0x40: no reply"));
	assert_null(wx_htu21d_open(wx_test_lend(w->bus), err, sizeof(err)));
	assert_int_equal(errno, ENXIO);
}

static void htu21d_short_transfer_is_an_error(void **state)
{
	struct world *w = *state;
	struct wx_htu21d_reading rd;
	char err[WX_ERR_LEN] = "";

	wx_sim_htu21d_set_fault(w->bus, WX_SIM_HTU21D_SHORT);
	assert_int_equal(wx_htu21d_read(w->dev, &rd, err, sizeof(err)), -EIO);
}

/* The sensor row fills humidity always, temperature only when chosen. */
static void htu21d_driver_fills_temperature_only_when_chosen(void **state)
{
	struct world *w = *state;
	struct wx_sensor_env env = { .cfg = &w->cfg, .sim = w->sim };
	char err[WX_ERR_LEN] = "";
	struct wx_record r;
	void *dev;

	w->cfg.station.air_temperature = WX_AIR_TEMP_BMP180;
	dev = wx_htu21d_driver.open(&env, err, sizeof(err));
	assert_non_null(dev);
	wx_record_init(&r, 0);
	assert_int_equal(wx_htu21d_driver.sample(dev, &r, err, sizeof(err)), 0);
	assert_true(wx_record_has(&r, WX_HUMIDITY_PCT));
	assert_false(wx_record_has(&r, WX_TEMPERATURE_C));
	wx_htu21d_driver.close(dev);

	w->cfg.station.air_temperature = WX_AIR_TEMP_HTU21D;
	dev = wx_htu21d_driver.open(&env, err, sizeof(err));
	assert_non_null(dev);
	wx_record_init(&r, 0);
	assert_int_equal(wx_htu21d_driver.sample(dev, &r, err, sizeof(err)), 0);
	assert_true(wx_record_has(&r, WX_TEMPERATURE_C) && wx_record_has(&r, WX_HUMIDITY_PCT));
	assert_true(r.v[WX_TEMPERATURE_C] > -30 && r.v[WX_TEMPERATURE_C] < 40);
	wx_htu21d_driver.close(dev);
	assert_string_equal(wx_htu21d_driver.name, "htu21d");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(htu21d_crc_matches_the_datasheet_examples),
		cmocka_unit_test(htu21d_converts_the_datasheet_examples_with_status_bits_masked),
		cmocka_unit_test(htu21d_compensates_humidity_for_temperature_and_clamps),
		T(htu21d_reads_the_datasheet_words_through_the_bus),
		T(htu21d_reads_back_a_target),
		T(htu21d_open_soft_resets_and_waits),
		T(htu21d_polls_a_slow_conversion_by_rereading_on_nack),
		T(htu21d_stuck_conversion_times_out_with_a_message),
		T(htu21d_crc_failure_is_an_error_not_a_value),
		T(htu21d_nack_says_no_reply),
		T(htu21d_short_transfer_is_an_error),
		T(htu21d_driver_fills_temperature_only_when_chosen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
