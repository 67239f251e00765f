/* The interval accumulator: one archive record from exact inputs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "drivers/pulse.h"
#include "drivers/sensor.h"
#include "firmware/core/clock.h"
#include "firmware/core/config.h"
#include "firmware/interval.h"

static struct wx_config cfg;

static int setup(void **state)
{
	(void)state;
	wx_config_defaults(&cfg);
	WX_ANEMOMETER_CONFIG(&cfg)->enabled = WX_RAIN_CONFIG(&cfg)->enabled = true;
	*state = wx_interval_new(&cfg);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	wx_interval_free(*state);
	return 0;
}

#define S(x) ((int64_t)(x) * WX_NS_PER_S)

static void interval_averages_samples_and_derives(void **state)
{
	struct wx_interval *iv = *state;
	struct wx_record s, r;

	wx_interval_start(iv, S(600), S(660));
	for (int i = 0; i < 4; i++) {
		wx_record_init(&s, 0);
		wx_record_set(&s, WX_TEMPERATURE_C, 10 + i);
		wx_record_set(&s, WX_HUMIDITY_PCT, 50);
		wx_record_set(&s, WX_PRESSURE_HPA, 1000);
		wx_interval_add_sample(iv, &s);
	}
	wx_interval_finish(iv, 660, &r);
	assert_int_equal(r.ts, 660);
	assert_int_equal(r.interval_s, 60);
	assert_true(fabs(r.v[WX_TEMPERATURE_C] - 11.5) < 1e-9);
	/* Magnus: 11.5 °C at 50 % is a dew point of about 1.4 °C. */
	assert_true(fabs(r.v[WX_DEW_POINT_C] - 1.43) < 0.05);
	assert_true(wx_record_has(&r, WX_SEA_LEVEL_PRESSURE_HPA));
	assert_false(wx_record_has(&r, WX_GROUND_TEMPERATURE_C));
}

static void interval_wind_speed_gust_and_rain_come_from_pulses(void **state)
{
	struct wx_interval *iv = *state;
	struct wx_record r;
	int64_t ts[120];

	wx_interval_start(iv, S(600), S(660));
	/* 60 pulses spread over the minute (1 Hz = 2.4 km/h) ... */
	for (int i = 0; i < 60; i++)
		ts[i] = S(600) + S(i) + 1;
	wx_interval_add_wind(iv, ts, 60);
	/* ... and a burst of 30 more in 3 s: 10 Hz over 3 s = 24 km/h + the base. */
	for (int i = 0; i < 30; i++)
		ts[i] = S(630) + i * 100 * WX_NS_PER_MS + 5;
	wx_interval_add_wind(iv, ts, 30);
	wx_interval_add_rain(iv, 3);
	wx_interval_finish(iv, 660, &r);
	assert_int_equal((int)r.v[WX_WIND_PULSES], 90);
	assert_true(fabs(r.v[WX_WIND_SPEED_KMH] - 90 * 2.4 / 60) < 1e-9);
	assert_true(r.v[WX_WIND_GUST_KMH] >= 24.0 && r.v[WX_WIND_GUST_KMH] <= 24.0 + 3 * 2.4 / 3 + 1e-9);
	assert_true(fabs(r.v[WX_RAIN_MM] - 3 * 0.2794) < 1e-9);
	assert_int_equal((int)r.v[WX_RAIN_TIPS], 3);
}

static void interval_direction_is_the_wind_weighted_vector_mean(void **state)
{
	struct wx_interval *iv = *state;
	struct wx_record r;

	wx_interval_start(iv, S(600), S(660));
	/* 350° and 10° average to north, not 180°. */
	wx_interval_add_direction(iv, 350, 1);
	wx_interval_add_direction(iv, 10, 1);
	wx_interval_finish(iv, 660, &r);
	assert_true(fabs(fmod(r.v[WX_WIND_DIRECTION_DEG] + 180, 360) - 180) < 1e-6);

	wx_interval_start(iv, S(660), S(720));
	/* The windy reading wins: 3 parts east, 1 part north. */
	wx_interval_add_direction(iv, 90, 3);
	wx_interval_add_direction(iv, 0, 1);
	wx_interval_finish(iv, 720, &r);
	assert_true(fabs(r.v[WX_WIND_DIRECTION_DEG] - atan2(3, 1) * 180 / M_PI) < 1e-6);
}

static void interval_direction_is_null_when_calm(void **state)
{
	struct wx_interval *iv = *state;
	struct wx_record r;

	wx_interval_start(iv, S(600), S(660));
	wx_interval_add_direction(iv, 200, 0);
	wx_interval_add_direction(iv, 210, 0);
	wx_interval_finish(iv, 660, &r);
	assert_false(wx_record_has(&r, WX_WIND_DIRECTION_DEG));
	assert_true(wx_record_has(&r, WX_WIND_SPEED_KMH));
	assert_true(r.v[WX_WIND_SPEED_KMH] == 0);
}

static void interval_short_first_interval_says_how_long_it_was(void **state)
{
	struct wx_interval *iv = *state;
	struct wx_record r;
	int64_t ts[10];

	wx_interval_start(iv, S(615) + 300 * WX_NS_PER_MS, S(660));
	for (int i = 0; i < 10; i++)
		ts[i] = S(620) + S(i);
	wx_interval_add_wind(iv, ts, 10);
	wx_interval_finish(iv, 660, &r);
	assert_int_equal(r.interval_s, 45);
	assert_true(fabs(r.v[WX_WIND_SPEED_KMH] - 10 * 2.4 / 44.7) < 1e-9);
}

static void interval_lost_counter_gives_null_not_zero(void **state)
{
	struct wx_interval *iv = *state;
	struct wx_record r;

	wx_interval_start(iv, S(600), S(660));
	wx_interval_wind_lost(iv);
	wx_interval_rain_lost(iv);
	wx_interval_finish(iv, 660, &r);
	assert_false(wx_record_has(&r, WX_WIND_SPEED_KMH));
	assert_false(wx_record_has(&r, WX_WIND_GUST_KMH));
	assert_false(wx_record_has(&r, WX_WIND_PULSES));
	assert_false(wx_record_has(&r, WX_RAIN_MM));
	assert_false(wx_record_has(&r, WX_TEMPERATURE_C));
}

/* The daemon routes every pulse slot by the quantities its driver fills:
 * an anemometer's closures reach wind and gust only, a gauge's tips rain
 * only, and a loss nulls only the slot's own quantities. */
static void interval_pulses_are_routed_by_what_the_slot_fills(void **state)
{
	struct wx_interval *iv = *state;
	uint32_t wind = (1u << WX_WIND_SPEED_KMH) | (1u << WX_WIND_GUST_KMH) | (1u << WX_WIND_PULSES);
	uint32_t rain = (1u << WX_RAIN_MM) | (1u << WX_RAIN_TODAY_MM) | (1u << WX_RAIN_TIPS);
	struct wx_record r;
	int64_t ts[60];

	wx_interval_start(iv, S(600), S(660));
	for (int i = 0; i < 60; i++)
		ts[i] = S(600) + S(i) + 1;
	wx_interval_add_pulses(iv, wind, ts, 60);
	wx_interval_add_pulses(iv, rain, ts, 4);
	wx_interval_finish(iv, 660, &r);
	assert_int_equal((int)r.v[WX_WIND_PULSES], 60);
	assert_true(fabs(r.v[WX_WIND_GUST_KMH] - 2.4) < 1e-9);
	assert_int_equal((int)r.v[WX_RAIN_TIPS], 4);

	wx_interval_start(iv, S(660), S(720));
	wx_interval_add_pulses(iv, wind, ts, 60);
	wx_interval_add_pulses(iv, rain, ts, 2);
	wx_interval_pulses_lost(iv, rain);
	wx_interval_finish(iv, 720, &r);
	assert_int_equal((int)r.v[WX_WIND_PULSES], 60);
	assert_false(wx_record_has(&r, WX_RAIN_TIPS));
	assert_false(wx_record_has(&r, WX_RAIN_MM));

	wx_interval_start(iv, S(720), S(780));
	wx_interval_add_pulses(iv, rain, ts, 1);
	wx_interval_pulses_lost(iv, wind);
	wx_interval_finish(iv, 780, &r);
	assert_false(wx_record_has(&r, WX_WIND_PULSES));
	assert_false(wx_record_has(&r, WX_WIND_GUST_KMH));
	assert_int_equal((int)r.v[WX_RAIN_TIPS], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(interval_averages_samples_and_derives, setup, teardown),
		cmocka_unit_test_setup_teardown(interval_wind_speed_gust_and_rain_come_from_pulses, setup, teardown),
		cmocka_unit_test_setup_teardown(interval_direction_is_the_wind_weighted_vector_mean, setup, teardown),
		cmocka_unit_test_setup_teardown(interval_direction_is_null_when_calm, setup, teardown),
		cmocka_unit_test_setup_teardown(interval_short_first_interval_says_how_long_it_was, setup, teardown),
		cmocka_unit_test_setup_teardown(interval_lost_counter_gives_null_not_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(interval_pulses_are_routed_by_what_the_slot_fills, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
