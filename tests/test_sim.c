/* The simulated world: the wind and rain the pulse generators ask for alone
 * are exactly those of the whole weather, so the cheaper path changes no
 * archived value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/sim/sim.h"
#include "firmware/core/config.h"

static void check_world(struct wx_config *cfg)
{
	struct wx_clock *clock = wx_clock_sim(1767225600LL * WX_NS_PER_S, 0);
	struct wx_sim *sim = wx_sim_new(cfg, clock);

	assert_non_null(sim);
	/* Two days in odd steps, crossing knots of every noise period. */
	for (int64_t t = 1767225600LL * WX_NS_PER_S; t < 1767398400LL * WX_NS_PER_S;
	     t += 7919 * WX_NS_PER_MS) {
		struct wx_sim_weather w;

		wx_sim_weather_at(sim, t, &w);
		assert_memory_equal(&w.wind_kmh, &(double){ wx_sim_wind_kmh_at(sim, t) }, sizeof(double));
		assert_memory_equal(&w.rain_mm_h, &(double){ wx_sim_rain_mm_h_at(sim, t) }, sizeof(double));
	}
	wx_sim_set_gust(sim, 1767225600LL * WX_NS_PER_S, 1767225610LL * WX_NS_PER_S, 72);
	assert_true(wx_sim_wind_kmh_at(sim, 1767225605LL * WX_NS_PER_S) == 72);
	wx_sim_free(sim);
	wx_clock_free(clock);
}

static void sim_wind_and_rain_alone_equal_the_whole_weather(void **state)
{
	struct wx_config cfg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.sim.seed = 1;
	cfg.station.altitude_m = 12;
	check_world(&cfg);
	cfg.sim.seed = 42;
	cfg.sim.has_wind_kmh = true;
	cfg.sim.wind_kmh = 20;
	cfg.sim.has_rain_mm_h = true;
	cfg.sim.rain_mm_h = 6;
	check_world(&cfg);
}

/* The wind-only path keeps the last knots and the daily curve per thread
 * (issue 15): asked in 20 ms steps, back and forth, and by two worlds of
 * different seeds in turn on one thread, it still gives exactly the whole
 * weather's wind. */
static void sim_kept_wind_is_exact_in_any_order(void **state)
{
	struct wx_config cfg;
	struct wx_clock *clock = wx_clock_sim(1767225600LL * WX_NS_PER_S, 0);
	struct wx_sim *sim[2];
	int n = 0;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.sim.seed = 7;
	sim[0] = wx_sim_new(&cfg, clock);
	cfg.sim.seed = 8;
	sim[1] = wx_sim_new(&cfg, clock);
	assert_non_null(sim[0]);
	assert_non_null(sim[1]);
	/* 20 ms steps across whole seconds and 3 s knots, then back. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 400; i++) {
			int64_t t = 1767225598LL * WX_NS_PER_S +
				    (pass ? 399 - i : i) * 20 * WX_NS_PER_MS;

			for (int k = 0; k < 2; k++) {
				struct wx_sim_weather w;
				double alone = wx_sim_wind_kmh_at(sim[k], t);

				wx_sim_weather_at(sim[k], t, &w);
				assert_memory_equal(&w.wind_kmh, &alone, sizeof(double));
				n++;
			}
		}
	assert_int_equal(n, 1600);
	/* The two seeds blow differently, so the check above compared two
	 * distinct winds. */
	assert_true(wx_sim_wind_kmh_at(sim[0], 1767225600LL * WX_NS_PER_S) !=
		    wx_sim_wind_kmh_at(sim[1], 1767225600LL * WX_NS_PER_S));
	wx_sim_free(sim[0]);
	wx_sim_free(sim[1]);
	wx_clock_free(clock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sim_wind_and_rain_alone_equal_the_whole_weather),
		cmocka_unit_test(sim_kept_wind_is_exact_in_any_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
