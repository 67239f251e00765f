/* firmware/readings.c: the latest value of each quantity and when it came,
 * the wind closures of the last LIVE_WIND_S seconds and the rain tips of
 * the last LIVE_RAIN_S seconds, routed by what the pulse sensor fills. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/sensor.h"
#include "firmware/core/clock.h"
#include "firmware/readings.h"

#define S WX_NS_PER_S
#define T0 (1000 * S)

static struct wx_readings l;

static int reset(void **state)
{
	(void)state;
	memset(&l, 0, sizeof(l));
	return 0;
}

static void samples_keep_each_quantity_and_its_time(void **state)
{
	struct wx_record a = { 0 }, b = { 0 };

	(void)state;
	wx_record_set(&a, WX_TEMPERATURE_C, 21.5);
	wx_record_set(&a, WX_HUMIDITY_PCT, 60);
	wx_readings_sample(&l, &a, T0);
	wx_record_set(&b, WX_TEMPERATURE_C, 22);
	wx_readings_sample(&l, &b, T0 + 5 * S);
	assert_true(wx_record_has(&l.latest, WX_TEMPERATURE_C));
	assert_true(l.latest.v[WX_TEMPERATURE_C] == 22);
	assert_int_equal(l.latest_mono[WX_TEMPERATURE_C], T0 + 5 * S);
	assert_true(l.latest.v[WX_HUMIDITY_PCT] == 60);	/* kept */
	assert_int_equal(l.latest_mono[WX_HUMIDITY_PCT], T0);
	assert_false(wx_record_has(&l.latest, WX_PRESSURE_HPA));
	assert_int_equal(l.latest_mono[WX_PRESSURE_HPA], 0);
}

/* Closures count in whole seconds before now, the last LIVE_WIND_S of them. */
static void wind_closures_of_the_last_seconds(void **state)
{
	int64_t ts[40];

	(void)state;
	for (int i = 0; i < 40; i++)
		ts[i] = T0 + i * S / 2;		/* 2 a second for 20 s */
	wx_readings_edges(&l, WX_Q(WX_WIND_PULSES), ts, 40);
	assert_int_equal(wx_readings_rain_tips(&l, T0 + 20 * S), 0);
	/* now = T0 + 20.3 s: seconds 10..19 count, 20 is not over yet. */
	assert_int_equal(wx_readings_wind_closures(&l, T0 + 20 * S + 300 * WX_NS_PER_MS),
			 2 * LIVE_WIND_S);
	/* now = T0 + 25 s: seconds 15..19 only. */
	assert_int_equal(wx_readings_wind_closures(&l, T0 + 25 * S), 10);
	assert_int_equal(wx_readings_wind_closures(&l, T0 + 40 * S), 0);
}

static void rain_tips_of_the_last_minutes(void **state)
{
	int64_t ts[3] = { T0, T0 + 100 * S, T0 + 500 * S };

	(void)state;
	wx_readings_edges(&l, WX_Q(WX_RAIN_TIPS), ts, 3);
	assert_int_equal(wx_readings_wind_closures(&l, T0 + 2 * S), 0);
	assert_int_equal(wx_readings_rain_tips(&l, T0 + 500 * S), 3);
	assert_int_equal(wx_readings_rain_tips(&l, T0 + 300 * S), 2);	/* not yet the third */
	assert_int_equal(wx_readings_rain_tips(&l, T0 + (LIVE_RAIN_S + 50) * S), 2);
	assert_int_equal(wx_readings_rain_tips(&l, T0 + (LIVE_RAIN_S + 500) * S), 1);
	assert_int_equal(wx_readings_rain_tips(&l, T0 + (LIVE_RAIN_S + 501) * S), 0);
}

/* More tips than the ring holds: the newest RAIN_RING count. */
static void rain_ring_keeps_the_newest(void **state)
{
	static int64_t ts[RAIN_RING + 100];

	(void)state;
	for (int i = 0; i < RAIN_RING + 100; i++)
		ts[i] = T0 + i * (WX_NS_PER_S / 10);
	wx_readings_edges(&l, WX_Q(WX_RAIN_TIPS), ts, RAIN_RING + 100);
	assert_int_equal(l.rain_tips_total, RAIN_RING + 100);
	assert_int_equal(wx_readings_rain_tips(&l, ts[RAIN_RING + 99]), RAIN_RING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(samples_keep_each_quantity_and_its_time, reset),
		cmocka_unit_test_setup(wind_closures_of_the_last_seconds, reset),
		cmocka_unit_test_setup(rain_tips_of_the_last_minutes, reset),
		cmocka_unit_test_setup(rain_ring_keeps_the_newest, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
