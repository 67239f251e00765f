/* Wind and rain arithmetic of an interval (firmware/windrain.c): mean
 * speed, rain and the WMO gust from exact closure timestamps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "firmware/core/clock.h"
#include "firmware/windrain.h"

#define MS(x) ((int64_t)((x) * 1e6 + 0.5))
#define S(x)  ((int64_t)(x) * WX_NS_PER_S)
#define T0    (S(1700000000))

/* ---- wind arithmetic ----------------------------------------------------- */

static void wind_speed_is_2_4_kmh_per_hz(void **state)
{
	(void)state;
	assert_float_equal(wx_wind_kmh(1, 1, 2.4), 2.4, 1e-12);
	assert_float_equal(wx_wind_kmh(600, 60, 2.4), 24.0, 1e-12);
	assert_float_equal(wx_wind_kmh(0, 60, 2.4), 0.0, 1e-12);
	assert_float_equal(wx_wind_kmh(5, 0, 2.4), 0.0, 1e-12);
}

/* Background 1 Hz at k + 0.5 s, plus `burst` pulses 100 ms apart from `at`. */
static size_t steady_with_burst(int64_t *ts, int64_t start, int secs, int64_t at, int burst)
{
	size_t n = 0;

	for (int k = 0; k < secs; k++)
		ts[n++] = start + S(k) + MS(500);
	for (int i = 0; i < burst; i++)
		ts[n++] = at + (int64_t)i * MS(100);
	return n;
}

static void gust_is_highest_three_second_mean(void **state)
{
	struct wx_gust *g = wx_gust_new(60);
	int64_t ts[200];
	size_t n = steady_with_burst(ts, T0, 60, T0 + S(20), 30);

	(void)state;
	assert_non_null(g);
	wx_gust_start(g, T0);
	assert_int_equal(wx_gust_add(g, ts, n), 0);
	/* 30 burst + 3 background pulses in 20.0..23.0 s. */
	assert_float_equal(wx_gust_kmh(g, 2.4), 33 / 3.0 * 2.4, 1e-9);
	assert_float_equal(wx_wind_kmh(n, 60, 2.4), 90 / 60.0 * 2.4, 1e-9);
	wx_gust_free(g);
}

static void gust_across_an_interval_boundary_is_not_lost(void **state)
{
	struct wx_gust *g = wx_gust_new(60);
	int64_t burst[30], late[1];
	size_t before = 0;

	(void)state;
	for (int i = 0; i < 30; i++) {
		burst[i] = T0 + S(58) + MS(500) + (int64_t)i * MS(100);
		before += burst[i] < T0 + S(60);
	}
	assert_int_equal(before, 15);
	wx_gust_start(g, T0);
	assert_int_equal(wx_gust_add(g, burst, before), 0);
	assert_float_equal(wx_gust_kmh(g, 2.4), 15 / 3.0 * 2.4, 1e-9);

	/* The next interval carries the last 11 bins: the full 3 s burst. */
	wx_gust_start(g, T0 + S(60));
	assert_int_equal(wx_gust_add(g, burst + before, 30 - before), 0);
	assert_float_equal(wx_gust_kmh(g, 2.4), 30 / 3.0 * 2.4, 1e-9);

	/* A pulse read late still lands in its carried bin; one past the
	 * interval is only counted. */
	late[0] = T0 + S(120);
	assert_int_equal(wx_gust_add(g, late, 1), 1);

	/* Not contiguous (a restart): nothing is carried. */
	wx_gust_start(g, T0 + S(1000));
	assert_float_equal(wx_gust_kmh(g, 2.4), 0.0, 1e-12);
	wx_gust_free(g);
}

static void gust_new_rejects_intervals_out_of_range(void **state)
{
	(void)state;
	errno = 0;
	assert_null(wx_gust_new(0));
	assert_int_equal(errno, EINVAL);
	assert_null(wx_gust_new(WX_GUST_MAX_INTERVAL_S + 1));
	struct wx_gust *g = wx_gust_new(WX_GUST_MAX_INTERVAL_S);
	assert_non_null(g);
	wx_gust_free(g);
}

/* ---- rain arithmetic ----------------------------------------------------- */

static void rain_is_tips_times_mm_per_tip_times_catch_factor(void **state)
{
	(void)state;
	assert_float_equal(wx_rain_mm(0, 0.2794, 1.0), 0.0, 1e-12);
	assert_float_equal(wx_rain_mm(1, 0.2794, 1.0), 0.2794, 1e-12);
	assert_float_equal(wx_rain_mm(10, 0.2794, 1.0), 2.794, 1e-9);
	assert_float_equal(wx_rain_mm(10, 0.2794, 0.9), 2.5146, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wind_speed_is_2_4_kmh_per_hz),
		cmocka_unit_test(gust_is_highest_three_second_mean),
		cmocka_unit_test(gust_across_an_interval_boundary_is_not_lost),
		cmocka_unit_test(gust_new_rejects_intervals_out_of_range),
		cmocka_unit_test(rain_is_tips_times_mm_per_tip_times_catch_factor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
