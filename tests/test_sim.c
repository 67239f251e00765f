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
#include "firmware/config.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sim_wind_and_rain_alone_equal_the_whole_weather),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
