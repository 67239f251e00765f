/* firmware/core/units.c: what wxctl shows people.  Conversions to US units,
 * the decimals per quantity (and the rounding at .x5 boundaries), "-" for a
 * missing value, and the 16-point compass at its sector edges. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "firmware/core/units.h"

static void assert_close(double got, double want, double tol)
{
	if (fabs(got - want) > tol)
		fail_msg("%.9f, want %.9f (+-%g)", got, want, tol);
}

/* What wx_units_format() prints for v of q. */
static const char *shown(enum wx_quantity q, double v, enum wx_units u, bool with_unit)
{
	static char buf[64];
	struct wx_record r;

	wx_record_init(&r, 0);
	wx_record_set(&r, q, v);
	wx_units_format(buf, sizeof(buf), &r, q, u, with_unit);
	return buf;
}

static void metric_is_stored_value_and_its_unit(void **state)
{
	const char *unit = NULL;

	(void)state;
	for (int q = 0; q < WX_QUANTITY_COUNT; q++) {
		assert_true(wx_units_convert((enum wx_quantity)q, 12.345, WX_UNITS_METRIC, &unit) ==
			    12.345);
		assert_string_equal(unit, wx_quantities[q].unit);
	}
}

static void us_conversions(void **state)
{
	const char *unit = NULL;

	(void)state;
	/* Temperatures: the two fixed points and -40, where the scales meet. */
	assert_close(wx_units_convert(WX_TEMPERATURE_C, 0, WX_UNITS_US, &unit), 32, 1e-12);
	assert_string_equal(unit, "°F");
	assert_close(wx_units_convert(WX_DEW_POINT_C, 100, WX_UNITS_US, &unit), 212, 1e-12);
	assert_string_equal(unit, "°F");
	assert_close(wx_units_convert(WX_GROUND_TEMPERATURE_C, -40, WX_UNITS_US, &unit), -40, 1e-12);
	assert_string_equal(unit, "°F");
	/* Standard atmosphere: 1013.25 hPa = 29.92 inHg. */
	assert_close(wx_units_convert(WX_PRESSURE_HPA, 1013.25, WX_UNITS_US, &unit), 29.9213, 1e-4);
	assert_string_equal(unit, "inHg");
	assert_close(wx_units_convert(WX_SEA_LEVEL_PRESSURE_HPA, 33.8639, WX_UNITS_US, &unit), 1,
		     1e-12);
	/* 1 mile = 1.609344 km exactly; 1 inch = 25.4 mm exactly. */
	assert_close(wx_units_convert(WX_WIND_SPEED_KMH, 1.609344, WX_UNITS_US, &unit), 1, 1e-12);
	assert_string_equal(unit, "mph");
	assert_close(wx_units_convert(WX_WIND_GUST_KMH, 160.9344, WX_UNITS_US, &unit), 100, 1e-9);
	assert_string_equal(unit, "mph");
	assert_close(wx_units_convert(WX_RAIN_MM, 25.4, WX_UNITS_US, &unit), 1, 1e-12);
	assert_string_equal(unit, "in");
	assert_close(wx_units_convert(WX_RAIN_TODAY_MM, 0.2794, WX_UNITS_US, &unit), 0.011, 1e-12);
	assert_string_equal(unit, "in");
	assert_close(wx_units_convert(WX_RAIN_RATE_MM_H, 50.8, WX_UNITS_US, &unit), 2, 1e-12);
	assert_string_equal(unit, "in/h");
}

static void us_leaves_unitless_quantities_alone(void **state)
{
	static const enum wx_quantity same[] = { WX_HUMIDITY_PCT, WX_WIND_DIRECTION_DEG,
						 WX_WIND_PULSES, WX_RAIN_TIPS, WX_AIR_QUALITY_PCT };
	const char *unit = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		assert_true(wx_units_convert(same[i], 271.5, WX_UNITS_US, &unit) == 271.5);
		assert_string_equal(unit, wx_quantities[same[i]].unit);
	}
}

static void decimals_per_quantity(void **state)
{
	(void)state;
	assert_string_equal(shown(WX_TEMPERATURE_C, 12.34, WX_UNITS_METRIC, true), "12.3 °C");
	assert_string_equal(shown(WX_TEMPERATURE_C, 12.34, WX_UNITS_METRIC, false), "12.3");
	assert_string_equal(shown(WX_HUMIDITY_PCT, 80.4, WX_UNITS_METRIC, true), "80 %");
	assert_string_equal(shown(WX_PRESSURE_HPA, 1013.25, WX_UNITS_METRIC, true), "1013.2 hPa");
	assert_string_equal(shown(WX_PRESSURE_HPA, 1013.25, WX_UNITS_US, true), "29.92 inHg");
	assert_string_equal(shown(WX_RAIN_MM, 1.26, WX_UNITS_METRIC, true), "1.3 mm");
	assert_string_equal(shown(WX_RAIN_MM, 25.4, WX_UNITS_US, true), "1.00 in");
	assert_string_equal(shown(WX_RAIN_RATE_MM_H, 12.7, WX_UNITS_US, true), "0.50 in/h");
	/* Counts whole, without a unit (their unit is ""). */
	assert_string_equal(shown(WX_WIND_PULSES, 123, WX_UNITS_METRIC, true), "123");
	assert_string_equal(shown(WX_RAIN_TIPS, 7, WX_UNITS_US, true), "7");
	/* Direction whole, with its compass point. */
	assert_string_equal(shown(WX_WIND_DIRECTION_DEG, 92.4, WX_UNITS_METRIC, true), "92° E");
	assert_string_equal(shown(WX_WIND_DIRECTION_DEG, 92.4, WX_UNITS_US, false), "92 E");
	assert_string_equal(shown(WX_TEMPERATURE_C, 20, WX_UNITS_US, true), "68.0 °F");
}

/* Rounding at the boundaries: printf's round-half-even on the binary value;
 * values exactly representable (x.25, x.75) and their neighbours. */
static void rounding_at_boundaries(void **state)
{
	(void)state;
	assert_string_equal(shown(WX_TEMPERATURE_C, 0.25, WX_UNITS_METRIC, false), "0.2");
	assert_string_equal(shown(WX_TEMPERATURE_C, 0.75, WX_UNITS_METRIC, false), "0.8");
	assert_string_equal(shown(WX_TEMPERATURE_C, 0.2500001, WX_UNITS_METRIC, false), "0.3");
	assert_string_equal(shown(WX_TEMPERATURE_C, -0.04, WX_UNITS_METRIC, false), "-0.0");
	assert_string_equal(shown(WX_TEMPERATURE_C, -0.06, WX_UNITS_METRIC, false), "-0.1");
	assert_string_equal(shown(WX_HUMIDITY_PCT, 99.5, WX_UNITS_METRIC, false), "100");
	assert_string_equal(shown(WX_HUMIDITY_PCT, 0.5, WX_UNITS_METRIC, false), "0");
	assert_string_equal(shown(WX_HUMIDITY_PCT, 1.5, WX_UNITS_METRIC, false), "2");
	/* A direction that rounds to 360 still names north. */
	assert_string_equal(shown(WX_WIND_DIRECTION_DEG, 359.6, WX_UNITS_METRIC, false), "360 N");
}

static void missing_value_is_a_dash(void **state)
{
	struct wx_record r;
	char buf[16];

	(void)state;
	wx_record_init(&r, 0);
	for (int q = 0; q < WX_QUANTITY_COUNT; q++) {
		memset(buf, 'x', sizeof(buf));
		wx_units_format(buf, sizeof(buf), &r, (enum wx_quantity)q, WX_UNITS_US, true);
		assert_string_equal(buf, "-");
	}
	/* A NaN is never stored: it reads as missing too. */
	wx_record_set(&r, WX_TEMPERATURE_C, NAN);
	wx_units_format(buf, sizeof(buf), &r, WX_TEMPERATURE_C, WX_UNITS_METRIC, true);
	assert_string_equal(buf, "-");
}

static void short_buffer_is_cut_not_overrun(void **state)
{
	struct wx_record r;
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	wx_record_init(&r, 0);
	wx_record_set(&r, WX_PRESSURE_HPA, 1013.25);
	wx_units_format(buf, 5, &r, WX_PRESSURE_HPA, WX_UNITS_METRIC, true);
	assert_string_equal(buf, "1013");
	assert_int_equal(buf[5], 'x');
}

static void compass_sector_edges(void **state)
{
	static const char *names[16] = { "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
					 "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW" };

	(void)state;
	for (int i = 0; i < 16; i++) {
		double centre = i * 22.5;

		assert_string_equal(wx_compass(centre), names[i]);
		/* Each sector is [centre - 11.25, centre + 11.25). */
		assert_string_equal(wx_compass(centre - 11.25), names[i]);
		assert_string_equal(wx_compass(centre + 11.2499), names[i]);
		assert_string_equal(wx_compass(centre + 11.25), names[(i + 1) % 16]);
	}
	assert_string_equal(wx_compass(360), "N");
	assert_string_equal(wx_compass(348.75), "N");
	assert_string_equal(wx_compass(348.7499), "NNW");
	assert_string_equal(wx_compass(-22.5), "NNW");
	assert_string_equal(wx_compass(-90), "W");
	assert_string_equal(wx_compass(720 + 90), "E");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(metric_is_stored_value_and_its_unit),
		cmocka_unit_test(us_conversions),
		cmocka_unit_test(us_leaves_unitless_quantities_alone),
		cmocka_unit_test(decimals_per_quantity),
		cmocka_unit_test(rounding_at_boundaries),
		cmocka_unit_test(missing_value_is_a_dash),
		cmocka_unit_test(short_buffer_is_cut_not_overrun),
		cmocka_unit_test(compass_sector_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
