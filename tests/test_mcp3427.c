/* Tests of drivers/mcp3427.c, the HAT vane (drivers/vane.c with adc =
 * mcp3427) and the air-quality sensor (drivers/air_quality.c) over the
 * simulated MCP3427 (drivers/sim/sim_mcp3427.c). */
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

#include "drivers/air_quality.h"
#include "drivers/mcp3427.h"
#include "drivers/sensor.h"
#include "drivers/sim/sim.h"
#include "drivers/sim/sim_mcp3427.h"
#include "drivers/vane.h"
#include "firmware/core/clock.h"

#define START_NS (1709294400LL * WX_NS_PER_S)

struct world {
	struct wx_config cfg;
	struct wx_clock *clock;
	struct wx_sim *sim;
	struct wx_regbus *bus;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char err[256];

	assert_non_null(w);
	assert_int_equal(wx_config_load_string(&w->cfg, "t", "[station]\nprofile = oracle-hat\n",
					       err, sizeof(err)), 0);
	w->clock = wx_clock_sim(START_NS, 0);
	w->sim = wx_sim_new(&w->cfg, w->clock);
	w->bus = wx_sim_mcp3427_new(w->sim, 0x69);
	assert_non_null(w->bus);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	if (w->bus)
		w->bus->close(w->bus);
	wx_sim_free(w->sim);
	wx_clock_free(w->clock);
	free(w);
	return 0;
}

static void mcp3427_config_byte_is_one_shot_16_bit_gain_1(void **state)
{
	(void)state;
	/* The same bytes the kit's MCP342X.py wrote (0x88 and 0xA8). */
	assert_int_equal(wx_mcp3427_config(0), 0x88);
	assert_int_equal(wx_mcp3427_config(1), 0xA8);
}

static void mcp3427_decodes_signed_codes_and_the_ready_bit(void **state)
{
	const uint8_t pos[3] = { 0x7F, 0xFF, 0x08 }, neg[3] = { 0x80, 0x00, 0x08 };
	const uint8_t busy[3] = { 0x12, 0x34, 0x88 }, other[3] = { 0x12, 0x34, 0x28 };
	int16_t raw = 0;

	(void)state;
	assert_int_equal(wx_mcp3427_decode(pos, 0x88, &raw), 0);
	assert_int_equal(raw, 32767);
	assert_int_equal(wx_mcp3427_decode(neg, 0x88, &raw), 0);
	assert_int_equal(raw, -32768);
	assert_int_equal(wx_mcp3427_decode(busy, 0x88, &raw), -EAGAIN);
	assert_int_equal(wx_mcp3427_decode(other, 0x88, &raw), -EPROTO);
	/* One LSB is 2 * 2.048 V / 65536 = 62.5 uV. */
	assert_true(fabs(wx_mcp3427_volts(1) - 62.5e-6) < 1e-12);
	assert_true(fabs(wx_mcp3427_volts(-32768) + 2.048) < 1e-12);
}

static void mcp3427_reads_a_fixed_voltage_after_the_conversion_time(void **state)
{
	struct world *w = *state;
	int16_t raw;

	wx_sim_mcp3427_set_volts(w->bus, 1, 1.0);
	assert_int_equal(wx_mcp3427_read(w->bus, 1, &raw), 0);
	assert_int_equal(raw, 16000);	/* 1.0 V / 62.5 uV */
	wx_sim_mcp3427_set_volts(w->bus, 0, -0.5);
	assert_int_equal(wx_mcp3427_read(w->bus, 0, &raw), 0);
	assert_int_equal(raw, -8000);
	wx_sim_mcp3427_set_volts(w->bus, 0, 3.3);	/* beyond full scale: saturates */
	assert_int_equal(wx_mcp3427_read(w->bus, 0, &raw), 0);
	assert_int_equal(raw, 32767);
	assert_int_equal(wx_sim_mcp3427_conversions(w->bus), 3);
	assert_int_equal(wx_mcp3427_read(w->bus, 2, &raw), -EINVAL);
}

static void mcp3427_stuck_ready_bit_times_out(void **state)
{
	struct world *w = *state;
	char err[WX_ERR_LEN];
	int16_t raw;
	int rc;

	wx_sim_mcp3427_set_fault(w->bus, WX_SIM_MCP3427_STUCK);
	rc = wx_mcp3427_read(w->bus, 0, &raw);
	assert_int_equal(rc, -ETIMEDOUT);
	wx_mcp3427_describe("windvane", w->bus, 0, rc, err, sizeof(err));
	assert_string_equal(err, "windvane sim:i2c address 0x69 channel 0: MCP3427 conversion "
				 "never finished (ready bit still set after 133 ms)");
}

static void mcp3427_nack_short_and_bad_echo_are_errors(void **state)
{
	struct world *w = *state;
	int16_t raw;

	wx_sim_mcp3427_set_fault(w->bus, WX_SIM_MCP3427_NACK);
	assert_int_equal(wx_mcp3427_read(w->bus, 0, &raw), -ENXIO);
	wx_sim_mcp3427_set_fault(w->bus, WX_SIM_MCP3427_SHORT);
	assert_int_equal(wx_mcp3427_read(w->bus, 0, &raw), -EIO);
	wx_sim_mcp3427_set_fault(w->bus, WX_SIM_MCP3427_BAD_ECHO);
	assert_int_equal(wx_mcp3427_read(w->bus, 0, &raw), -EPROTO);
}

/* Every one of the 16 positions, through the HAT's real divider (75k from
 * 3.268 V: the simulated HAT is wired that way whatever the config says),
 * read by the MCP3427 driver with the oracle-hat profile's defaults, comes
 * back as its direction (issue 12 item 6). */
static void hat_vane_decodes_all_16_positions_through_the_hats_real_divider(void **state)
{
	struct world *w = *state;
	const struct wx_windvane_config *vc = WX_WINDVANE_CONFIG(&w->cfg);

	assert_int_equal(vc->adc, WX_VANE_ADC_MCP3427);
	assert_true(vc->divider_ohm == WX_ORACLE_HAT_VANE_DIVIDER_OHM);
	assert_true(vc->vin == WX_ORACLE_HAT_VANE_VIN);
	assert_true(WX_ORACLE_HAT_VANE_VIN == 3.268 && WX_ORACLE_HAT_VANE_DIVIDER_OHM == 75000);
	for (int i = 0; i < WX_VANE_POSITIONS; i++) {
		char err[WX_ERR_LEN] = "";
		struct wx_regbus *bus = wx_sim_mcp3427_new(w->sim, 0x69);
		double rv = wx_vane_positions[i].resistance_ohm, deg = -1;
		double volts = 3.268 * rv / (75000 + rv);
		int16_t raw;
		struct wx_vane *v;

		assert_non_null(bus);
		wx_sim_mcp3427_wire_vane(bus, 0, vc);
		wx_sim_mcp3427_fix_angle(bus, wx_vane_positions[i].direction_deg);
		/* The HAT's vane is the lower leg; even W (120k, 2.011 V) stays
		 * inside the MCP3427's 2.048 V range. */
		assert_true(volts < WX_MCP3427_VREF);
		assert_int_equal(wx_mcp3427_read(bus, 0, &raw), 0);
		assert_true(fabs(wx_mcp3427_volts(raw) - volts) < 3 * 62.5e-6);
		v = wx_vane_open_mcp3427(bus, vc, err, sizeof(err));
		assert_non_null(v);
		if (wx_vane_read(v, &deg, err, sizeof(err)) != 0)
			fail_msg("position %d (%g ohm): %s", i, rv, err);
		assert_true(deg == wx_vane_positions[i].direction_deg);
		wx_vane_close(v);
	}
}

/* The prototype's values (3.3 V, 100k), which the profile used to give,
 * decode none of the 16 positions of the real HAT: the sim must follow the
 * board, not the config, or such a default passes every test. */
static void hat_vane_with_the_prototypes_divider_decodes_no_position(void **state)
{
	struct world *w = *state;
	struct wx_windvane_config vc = *WX_WINDVANE_CONFIG(&w->cfg);
	int right = 0;

	vc.vin = 3.3;
	vc.divider_ohm = 100000;
	for (int i = 0; i < WX_VANE_POSITIONS; i++) {
		char err[WX_ERR_LEN] = "";
		struct wx_regbus *bus = wx_sim_mcp3427_new(w->sim, 0x69);
		double deg = -1;
		struct wx_vane *v;

		wx_sim_mcp3427_wire_vane(bus, 0, &vc);
		wx_sim_mcp3427_fix_angle(bus, wx_vane_positions[i].direction_deg);
		v = wx_vane_open_mcp3427(bus, &vc, err, sizeof(err));
		assert_non_null(v);
		if (wx_vane_read(v, &deg, err, sizeof(err)) == 0 &&
		    deg == wx_vane_positions[i].direction_deg)
			right++;
		wx_vane_close(v);
	}
	assert_int_equal(right, 0);
}

static void hat_vane_open_cable_says_so(void **state)
{
	struct world *w = *state;
	char err[WX_ERR_LEN] = "";
	struct wx_regbus *bus = w->bus;
	struct wx_vane *v;
	double deg;

	wx_sim_mcp3427_wire_vane(bus, 0, WX_WINDVANE_CONFIG(&w->cfg));
	wx_sim_mcp3427_set_fault(bus, WX_SIM_MCP3427_VANE_OPEN);
	v = wx_vane_open_mcp3427(bus, WX_WINDVANE_CONFIG(&w->cfg), err, sizeof(err));
	w->bus = NULL;
	assert_non_null(v);
	assert_int_equal(wx_vane_read(v, &deg, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "windvane sim:i2c address 0x69 channel 0: input at full scale"));
	wx_vane_close(v);
}

static void hat_vane_between_positions_names_the_voltage(void **state)
{
	struct world *w = *state;
	char err[WX_ERR_LEN] = "";
	struct wx_regbus *bus = w->bus;
	struct wx_vane *v;
	double deg;

	wx_sim_mcp3427_set_volts(bus, 0, 1.35);	/* between 42.12k (1.175 V) and 64.9k (1.516 V) */
	v = wx_vane_open_mcp3427(bus, WX_WINDVANE_CONFIG(&w->cfg), err, sizeof(err));
	w->bus = NULL;
	assert_non_null(v);
	assert_int_equal(wx_vane_read(v, &deg, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "1.350 V matches no direction"));
	wx_vane_close(v);
}

static void hat_vane_rejects_channel_beyond_the_mcp3427(void **state)
{
	struct world *w = *state;
	struct wx_windvane_config vc = *WX_WINDVANE_CONFIG(&w->cfg);
	char err[WX_ERR_LEN] = "";

	vc.channel = 2;
	assert_null(wx_vane_open_mcp3427(w->bus, &vc, err, sizeof(err)));
	w->bus = NULL;	/* closed by the failed open */
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "need channel 0..1"));
}

static void windvane_driver_opens_the_simulated_mcp3427_on_oracle_hat(void **state)
{
	struct world *w = *state;
	struct wx_sensor_env env = { .cfg = &w->cfg, .sim = w->sim };
	char err[WX_ERR_LEN] = "";
	struct wx_record r;
	void *dev = wx_windvane_driver.open(&env, err, sizeof(err));

	assert_non_null(dev);
	wx_record_init(&r, 0);
	assert_int_equal(wx_windvane_driver.sample(dev, &r, err, sizeof(err)), 0);
	assert_true(wx_record_has(&r, WX_WIND_DIRECTION_DEG));
	wx_windvane_driver.close(dev);
}

static void air_quality_follows_the_kits_formula(void **state)
{
	(void)state;
	assert_true(wx_air_quality_pct(32767) == 0);
	assert_true(wx_air_quality_pct(0) == 100);
	assert_true(fabs(wx_air_quality_pct(16384) - 100.0 * 16383 / 32767) < 1e-12);
	assert_true(wx_air_quality_pct(-5) == 100);	/* negative code: counted as 0 */
}

static void air_quality_driver_reads_the_world_through_the_sim(void **state)
{
	struct world *w = *state;
	struct wx_sensor_env env = { .cfg = &w->cfg, .sim = w->sim };
	struct wx_sim_weather now;
	char err[WX_ERR_LEN] = "";
	struct wx_record r;
	void *dev = wx_air_quality_driver.open(&env, err, sizeof(err));

	assert_non_null(dev);
	wx_record_init(&r, 0);
	assert_int_equal(wx_air_quality_driver.sample(dev, &r, err, sizeof(err)), 0);
	assert_true(wx_record_has(&r, WX_AIR_QUALITY_PCT));
	wx_sim_weather_at(w->sim, wx_clock_mono_ns(w->clock), &now);
	assert_true(fabs(r.v[WX_AIR_QUALITY_PCT] - now.air_quality_pct) < 0.05);
	wx_air_quality_driver.close(dev);
	assert_string_equal(wx_air_quality_driver.name, "air_quality");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mcp3427_config_byte_is_one_shot_16_bit_gain_1),
		cmocka_unit_test(mcp3427_decodes_signed_codes_and_the_ready_bit),
		T(mcp3427_reads_a_fixed_voltage_after_the_conversion_time),
		T(mcp3427_stuck_ready_bit_times_out),
		T(mcp3427_nack_short_and_bad_echo_are_errors),
		T(hat_vane_decodes_all_16_positions_through_the_hats_real_divider),
		T(hat_vane_with_the_prototypes_divider_decodes_no_position),
		T(hat_vane_open_cable_says_so),
		T(hat_vane_between_positions_names_the_voltage),
		T(hat_vane_rejects_channel_beyond_the_mcp3427),
		T(windvane_driver_opens_the_simulated_mcp3427_on_oracle_hat),
		cmocka_unit_test(air_quality_follows_the_kits_formula),
		T(air_quality_driver_reads_the_world_through_the_sim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
