/* Pulse counting: the debounce and plausibility filter (drivers/debounce.c),
 * the simulated edge bus (drivers/sim/sim_edges.c) and the pulse drivers
 * (drivers/pulse.c; the GPIO transport's own tests: test_gpio.c; the wind
 * and rain arithmetic's: test_windrain.c). */
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

#include "drivers/edgebus.h"
#include "drivers/gpio_msg.h"
#include "drivers/pulse.h"
#include "drivers/sensor.h"
#include "drivers/sim/sim.h"
#include "drivers/sim/sim_edges.h"
#include "firmware/core/clock.h"
#include "firmware/windrain.h"

#define MS(x) ((int64_t)((x) * 1e6 + 0.5))
#define S(x)  ((int64_t)(x) * WX_NS_PER_S)
#define T0    (S(1700000000))

extern const struct wx_sensor_driver wx_anemometer_driver;
extern const struct wx_sensor_driver wx_rain_driver;

static void sim_config(struct wx_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sim.seed = 1;
	cfg->sim.bounce = true;
	WX_ANEMOMETER_CONFIG(cfg)->enabled = true;
	snprintf(WX_ANEMOMETER_CONFIG(cfg)->chip, sizeof(WX_ANEMOMETER_CONFIG(cfg)->chip), "gpiochip99");
	WX_ANEMOMETER_CONFIG(cfg)->line = 5;
	WX_ANEMOMETER_CONFIG(cfg)->kmh_per_hz = 2.4;
	WX_ANEMOMETER_CONFIG(cfg)->debounce_ms = 2;
	WX_RAIN_CONFIG(cfg)->enabled = true;
	snprintf(WX_RAIN_CONFIG(cfg)->chip, sizeof(WX_RAIN_CONFIG(cfg)->chip), "gpiochip99");
	WX_RAIN_CONFIG(cfg)->line = 6;
	WX_RAIN_CONFIG(cfg)->mm_per_tip = 0.2794;
	WX_RAIN_CONFIG(cfg)->debounce_ms = 150;
	WX_RAIN_CONFIG(cfg)->catch_factor = 1.0;
}

/* ---- debounce ------------------------------------------------------------ */

static void debounce_ignores_bounce_within_debounce_ms(void **state)
{
	struct wx_debounce d;
	int64_t ts[] = { 0, MS(0.5), MS(1.9), MS(2.1), MS(2.5), MS(4.0), MS(10) };

	(void)state;
	wx_pulse_debounce_init(&d, 2, 0);
	assert_int_equal(wx_pulse_debounce(&d, ts, 7), 3);
	assert_int_equal(ts[0], 0);
	assert_int_equal(ts[1], MS(2.1));
	assert_int_equal(ts[2], MS(10));
	assert_int_equal(d.rejected, 4);
	assert_int_equal(d.last_ns, MS(10));
}

static void debounce_counts_edges_just_over_debounce_ms(void **state)
{
	struct wx_debounce d;
	int64_t ts[10];

	(void)state;
	wx_pulse_debounce_init(&d, 2, 0);
	for (int i = 0; i < 10; i++)
		ts[i] = (int64_t)i * (MS(2) + 1000);	/* 2.001 ms apart */
	assert_int_equal(wx_pulse_debounce(&d, ts, 10), 10);
	assert_int_equal(d.rejected, 0);
}

static void debounce_carries_the_last_edge_across_calls(void **state)
{
	struct wx_debounce d;
	int64_t a[] = { S(1) }, b[] = { S(1) + MS(1.999) }, c[] = { S(1) + MS(2) };

	(void)state;
	wx_pulse_debounce_init(&d, 2, 0);
	assert_int_equal(wx_pulse_debounce(&d, a, 1), 1);
	assert_int_equal(wx_pulse_debounce(&d, b, 1), 0);
	assert_int_equal(wx_pulse_debounce(&d, c, 1), 1);
	assert_int_equal(d.rejected, 1);
}

static void rain_ignores_bounce_within_150_ms(void **state)
{
	struct wx_debounce d;
	int64_t ts[] = { 0, MS(3), MS(100), MS(149),
			 S(10), S(10) + MS(2), S(10) + MS(140),
			 S(20) };
	size_t n;

	(void)state;
	wx_pulse_debounce_init(&d, 150, wx_pulse_rain_max_hz(0.2794));
	n = wx_pulse_debounce(&d, ts, 8);
	assert_int_equal(n, 3);
	assert_int_equal(ts[1], S(10));
	assert_int_equal(ts[2], S(20));
	assert_float_equal(wx_rain_mm(n, 0.2794, 1.0), 0.8382, 1e-9);
	assert_float_equal(wx_rain_mm(n, 0.2794, 1.1), 0.92202, 1e-9);
}

/* ---- plausibility caps --------------------------------------------------- */

static void wind_cap_is_250_kmh(void **state)
{
	(void)state;
	assert_float_equal(wx_pulse_wind_max_hz(2.4), 250.0 / 2.4, 1e-9);
}

/* ---- faulty switches ----------------------------------------------------- */

static void stuck_switch_reads_calm(void **state)
{
	struct wx_debounce d;
	struct wx_gust *g = wx_gust_new(60);

	(void)state;
	wx_pulse_debounce_init(&d, 2, wx_pulse_wind_max_hz(2.4));
	wx_gust_start(g, T0);
	assert_int_equal(wx_pulse_debounce(&d, NULL, 0), 0);
	assert_float_equal(wx_wind_kmh(0, 60, 2.4), 0.0, 1e-12);
	assert_float_equal(wx_gust_kmh(g, 2.4), 0.0, 1e-12);
	wx_gust_free(g);
}

static void chattering_switch_gives_no_absurd_speed(void **state)
{
	static int64_t ts[10000];
	/* 0.25, 1, 1.5 ms: a broken contact at 4 kHz, 1 kHz, 667 Hz; its edges
	 * never leave the line quiet for debounce_ms. */
	int periods_us[] = { 250, 1000, 1500 };

	(void)state;
	for (size_t p = 0; p < sizeof(periods_us) / sizeof(periods_us[0]); p++) {
		struct wx_debounce d;
		size_t n;

		wx_pulse_debounce_init(&d, 2, wx_pulse_wind_max_hz(2.4));
		for (int i = 0; i < 10000; i++)
			ts[i] = T0 + (int64_t)i * periods_us[p] * 1000;
		n = wx_pulse_debounce(&d, ts, 10000);
		assert_true(n <= 1);
		assert_true(wx_wind_kmh(n, 10000 * periods_us[p] / 1e6, 2.4) < 1.0);
		assert_int_equal(d.rejected, 10000 - n);
		assert_true(d.implausible > 0);
	}
}

/* Edge trains faster than the cap whose edges leave the line quiet for
 * longer than debounce_ms (3 and 5 ms apart) are counted at most at the cap:
 * a rejected edge does not restart the window, so counting goes on. */
static void edges_faster_than_the_cap_count_at_the_cap_not_zero(void **state)
{
	static int64_t ts[2000];
	int periods_us[] = { 3000, 5000 };
	size_t want[] = { 250, 500 };	/* every 4th, every 2nd edge: 83 and 100 Hz */

	(void)state;
	for (size_t p = 0; p < 2; p++) {
		struct wx_debounce d;
		size_t n;

		wx_pulse_debounce_init(&d, 2, wx_pulse_wind_max_hz(2.4));
		for (int i = 0; i < 1000; i++)
			ts[i] = T0 + (int64_t)i * periods_us[p] * 1000;
		n = wx_pulse_debounce(&d, ts, 1000);
		assert_int_equal(n, want[p]);
		assert_true(n / (1000 * periods_us[p] / 1e6) <= wx_pulse_wind_max_hz(2.4) + 1e-9);
		for (size_t i = 1; i < n; i++)
			assert_true(ts[i] - ts[i - 1] >= d.min_period_ns);
	}
}

static uint32_t lcg(uint32_t *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 8;
}

/* Closures at hz for secs seconds, each followed by 1-4 bounce edges spread
 * over up to bounce_ms (the last one at bounce_ms), closure times jittered by
 * up to +-2 % of the period.  Returns the edge count. */
static size_t closures_with_bounce(int64_t *ts, double hz, int secs, double bounce_ms,
				   uint32_t seed)
{
	int64_t period = (int64_t)(1e9 / hz);
	int64_t closures = (int64_t)(hz * secs + 0.5);
	size_t n = 0;

	for (int64_t k = 0; k < closures; k++) {
		int64_t jitter = ((int64_t)(lcg(&seed) % 4001) - 2000) * period / 100000;
		int64_t t = T0 + k * period + jitter;
		int nb = 1 + (int)(lcg(&seed) % 4);

		ts[n++] = t;
		for (int j = 1; j <= nb; j++)
			ts[n++] = t + (int64_t)(bounce_ms * 1e6 * j / nb);
	}
	return n;
}

/* Issue 11: with the window restarted by every rejected edge, a 5 ms bounce
 * tail at 80 Hz kept 1 closure in 80.  Every closure of 0.5..100 Hz with 1-5
 * ms of bounce counts exactly once. */
static void bounce_of_1_to_5_ms_gives_exact_counts_from_0_5_to_100_hz(void **state)
{
	static int64_t ts[60 * 100 * 5 + 16];
	const double rates[] = { 0.5, 1, 2.5, 10, 25, 50, 80, 100 };
	const double bounces[] = { 1, 2, 3, 4, 5 };

	(void)state;
	for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		for (size_t b = 0; b < sizeof(bounces) / sizeof(bounces[0]); b++) {
			struct wx_debounce d;
			int secs = rates[r] < 10 ? 60 : 20;
			size_t n = closures_with_bounce(ts, rates[r], secs, bounces[b],
							(uint32_t)(r * 10 + b + 1));
			size_t want = (size_t)(rates[r] * secs + 0.5);
			size_t got;

			wx_pulse_debounce_init(&d, 2, wx_pulse_wind_max_hz(2.4));
			got = wx_pulse_debounce(&d, ts, n);
			if (got != want)
				fail_msg("%.1f Hz, %.0f ms bounce: %zu closures counted of %zu",
					 rates[r], bounces[b], got, want);
			assert_int_equal(d.implausible, 0);
			assert_int_equal(d.rejected, n - want);
		}
	}
}

/* The window carries across calls: edges read one at a time count the same. */
static void bounce_window_holds_when_edges_come_one_read_at_a_time(void **state)
{
	static int64_t ts[20 * 80 * 5 + 16];
	struct wx_debounce d;
	size_t n = closures_with_bounce(ts, 80, 20, 5, 7), got = 0;

	(void)state;
	wx_pulse_debounce_init(&d, 2, wx_pulse_wind_max_hz(2.4));
	for (size_t i = 0; i < n; i++)
		got += wx_pulse_debounce(&d, ts + i, 1);
	assert_int_equal(got, 1600);
}

static void strong_real_wind_with_bounce_passes_the_cap(void **state)
{
	static int64_t ts[4000];
	struct wx_debounce d;
	size_t n = 0;
	int64_t period = MS(12);	/* 83.3 Hz = 200 km/h */

	(void)state;
	wx_pulse_debounce_init(&d, 2, wx_pulse_wind_max_hz(2.4));
	for (int i = 0; i < 1000; i++) {
		ts[n++] = T0 + i * period;
		ts[n++] = T0 + i * period + MS(0.4);
		ts[n++] = T0 + i * period + MS(1.3);
	}
	assert_int_equal(wx_pulse_debounce(&d, ts, n), 1000);
	assert_int_equal(d.implausible, 0);
	assert_float_equal(wx_wind_kmh(1000, 12.0, 2.4), 200.0, 1e-9);
}

/* ---- simulated edges ------------------------------------------------------ */

struct simrig {
	struct wx_config cfg;
	struct wx_clock *clock;
	struct wx_sim *sim;
};

static void rig_up(struct simrig *r, bool const_wind, double wind_kmh)
{
	sim_config(&r->cfg);
	r->cfg.sim.has_wind_kmh = const_wind;
	r->cfg.sim.wind_kmh = wind_kmh;
	r->clock = wx_clock_sim(T0, 0);
	assert_non_null(r->clock);
	r->sim = wx_sim_new(&r->cfg, r->clock);
	assert_non_null(r->sim);
}

static void rig_down(struct simrig *r)
{
	wx_sim_free(r->sim);
	wx_clock_free(r->clock);
}

/* Drain bus every step_ns for total_ns; debounce; return accepted count. */
static uint64_t drain(struct wx_clock *c, struct wx_edgebus *bus, struct wx_debounce *d,
		      int64_t step_ns, int64_t total_ns, uint64_t *raw)
{
	int64_t ts[64];
	int64_t end = wx_clock_mono_ns(c) + total_ns;
	uint64_t accepted = 0;

	*raw = 0;
	while (wx_clock_mono_ns(c) < end) {
		int n;

		wx_clock_jump(c, wx_clock_mono_ns(c) + step_ns);
		while ((n = bus->read(bus, wx_clock_mono_ns(c), ts, 64)) > 0) {
			*raw += (uint64_t)n;
			accepted += wx_pulse_debounce(d, ts, (size_t)n);
		}
		assert_true(n == 0);
	}
	return accepted;
}

static void sim_constant_20_kmh_reads_20_kmh_after_debounce(void **state)
{
	struct simrig r;
	struct wx_debounce d;
	struct wx_edgebus *bus;
	uint64_t raw, pulses;
	double kmh;

	(void)state;
	rig_up(&r, true, 20);
	bus = wx_sim_edges_new_wind(r.sim, 2.4);
	assert_non_null(bus);
	assert_int_equal(bus->fd, -1);
	wx_pulse_debounce_init(&d, 2, wx_pulse_wind_max_hz(2.4));
	pulses = drain(r.clock, bus, &d, MS(10), S(3600), &raw);
	kmh = wx_wind_kmh(pulses, 3600, 2.4);
	assert_true(fabs(kmh - 20) < 0.2);
	assert_true(pulses >= 29999 && pulses <= 30001);
	/* Bounce was there and was removed: 1-4 extra edges per closure. */
	assert_true(raw >= 2 * pulses && raw <= 5 * pulses);
	assert_int_equal(d.implausible, 0);
	assert_int_equal(bus->lost, 0);
	bus->close(bus);
	rig_down(&r);
}

static void sim_fifo_loses_pulses_when_not_drained_for_a_second(void **state)
{
	struct wx_clock *c = wx_clock_sim(T0, 0);
	struct wx_edgebus *bus = wx_sim_edges_new_fixed(c, 100, true);
	struct wx_debounce d;
	int64_t ts[64];
	int n;

	(void)state;
	wx_clock_jump(c, T0 + S(1));
	n = bus->read(bus, wx_clock_mono_ns(c), ts, 64);
	assert_int_equal(n, WX_SIM_EDGES_FIFO);
	assert_int_equal(bus->read(bus, wx_clock_mono_ns(c), ts + n, 64 - (size_t)n), 0);
	/* 100 closures with 1-4 bounces each: 200-500 edges, 16 kept. */
	assert_true(bus->lost >= 200 - WX_SIM_EDGES_FIFO && bus->lost <= 500 - WX_SIM_EDGES_FIFO);
	/* The kept ones are the first 16 edges of the second. */
	assert_true(ts[WX_SIM_EDGES_FIFO - 1] < T0 + MS(100));
	wx_pulse_debounce_init(&d, 2, wx_pulse_wind_max_hz(2.4));
	assert_true(wx_pulse_debounce(&d, ts, (size_t)n) < 10);
	bus->close(bus);
	wx_clock_free(c);
}

static void sim_fifo_loses_nothing_when_drained_every_10_ms(void **state)
{
	struct wx_clock *c = wx_clock_sim(T0, 0);
	struct wx_edgebus *bus = wx_sim_edges_new_fixed(c, 100, true);
	struct wx_debounce d;
	uint64_t raw, pulses;

	(void)state;
	wx_pulse_debounce_init(&d, 2, wx_pulse_wind_max_hz(2.4));
	pulses = drain(c, bus, &d, MS(10), S(10), &raw);
	assert_int_equal(bus->lost, 0);
	assert_int_equal(pulses, 1000);
	assert_true(raw > 2000);
	bus->close(bus);
	wx_clock_free(c);
}

/* The FIFO is the kernel's in real time: a station simulated 60 times
 * faster than real time, read every 10 ms of real time (600 ms of station
 * time, as wxd --sim --speed 60 does), loses nothing at 100 Hz with bounce. */
static void sim_fifo_scales_with_the_clock_speed(void **state)
{
	struct wx_clock *c = wx_clock_sim(T0, 60);
	struct wx_edgebus *bus = wx_sim_edges_new_fixed(c, 100, true);
	int64_t start = wx_clock_mono_ns(c), ts[1024];
	struct wx_debounce d;
	int n;

	(void)state;
	n = bus->read(bus, start + MS(600), ts, 1024);
	assert_int_equal(bus->lost, 0);
	assert_true(n > 3 * WX_SIM_EDGES_FIFO);
	wx_pulse_debounce_init(&d, 2, wx_pulse_wind_max_hz(2.4));
	assert_true(abs((int)wx_pulse_debounce(&d, ts, (size_t)n) - 60) <= 1);
	bus->close(bus);
	wx_clock_free(c);
}

static void sim_fixed_rate_without_bounce_is_exact(void **state)
{
	struct wx_clock *c = wx_clock_sim(T0 + MS(3), 0);	/* off the 10 ms grid */
	struct wx_edgebus *bus = wx_sim_edges_new_fixed(c, 100, false);
	struct wx_debounce d;
	uint64_t raw, pulses;

	(void)state;
	wx_pulse_debounce_init(&d, 2, 0);
	pulses = drain(c, bus, &d, MS(100), S(10), &raw);
	assert_int_equal(raw, 1000);
	assert_int_equal(pulses, 1000);
	assert_int_equal(bus->lost, 0);
	bus->close(bus);
	wx_clock_free(c);
}

static size_t collect(struct wx_clock *c, struct wx_edgebus *bus, int64_t step, int64_t total,
		      int64_t *out, size_t cap)
{
	int64_t end = wx_clock_mono_ns(c) + total;
	size_t n = 0;
	int got;

	while (wx_clock_mono_ns(c) < end) {
		wx_clock_jump(c, wx_clock_mono_ns(c) + step);
		while (n < cap && (got = bus->read(bus, wx_clock_mono_ns(c), out + n, cap - n)) > 0)
			n += (size_t)got;
	}
	return n;
}

static void sim_edges_do_not_depend_on_how_often_they_are_read(void **state)
{
	static int64_t a[8000], b[8000];
	struct simrig r1, r2;
	struct wx_edgebus *b1, *b2;
	size_t n1, n2;

	(void)state;
	rig_up(&r1, false, 0);
	rig_up(&r2, false, 0);
	b1 = wx_sim_edges_new_wind(r1.sim, 2.4);
	b2 = wx_sim_edges_new_wind(r2.sim, 2.4);
	n1 = collect(r1.clock, b1, MS(10), S(300), a, 8000);
	n2 = collect(r2.clock, b2, MS(70), S(300), b, 8000);
	assert_int_equal(b1->lost, 0);
	assert_int_equal(b2->lost, 0);
	assert_true(n1 > 100 && n1 < 8000);
	assert_int_equal(n1, n2);
	assert_memory_equal(a, b, n1 * sizeof(a[0]));
	for (size_t i = 1; i < n1; i++)
		assert_true(a[i] >= a[i - 1]);
	b1->close(b1);
	b2->close(b2);
	rig_down(&r1);
	rig_down(&r2);
}

static void sim_rain_at_10_mm_h_gives_10_mm_in_an_hour(void **state)
{
	struct simrig r;
	struct wx_debounce d;
	struct wx_edgebus *bus;
	uint64_t raw, tips;
	double mm;

	(void)state;
	rig_up(&r, true, 0);
	r.cfg.sim.has_rain_mm_h = true;
	r.cfg.sim.rain_mm_h = 10;
	wx_sim_free(r.sim);
	r.sim = wx_sim_new(&r.cfg, r.clock);
	bus = wx_sim_edges_new_rain(r.sim, 0.2794);
	assert_non_null(bus);
	wx_pulse_debounce_init(&d, 150, wx_pulse_rain_max_hz(0.2794));
	tips = drain(r.clock, bus, &d, S(1), S(3600), &raw);
	mm = wx_rain_mm(tips, 0.2794, 1.0);
	assert_true(tips == 35 || tips == 36);	/* 10 / 0.2794 = 35.8 */
	assert_true(fabs(mm - 10) < 0.2794);
	assert_true(raw > tips);		/* bounce was present */
	assert_int_equal(d.implausible, 0);
	bus->close(bus);
	rig_down(&r);
}

static void sim_edges_reject_bad_calibration(void **state)
{
	struct simrig r;

	(void)state;
	rig_up(&r, true, 20);
	errno = 0;
	assert_null(wx_sim_edges_new_wind(r.sim, 0));
	assert_int_equal(errno, EINVAL);
	assert_null(wx_sim_edges_new_rain(r.sim, -1));
	rig_down(&r);
}

/* ---- drivers ----------------------------------------------------------------- */

static void pulse_drivers_open_simulated_buses_and_name_real_failures(void **state)
{
	struct simrig r;
	struct wx_sensor_env env = { 0 };
	char err[WX_ERR_LEN] = "";
	const struct wx_sensor_driver *drv[] = { &wx_anemometer_driver, &wx_rain_driver };

	(void)state;
	rig_up(&r, true, 20);
	assert_string_equal(wx_anemometer_driver.name, "anemometer");
	assert_string_equal(wx_rain_driver.name, "rain");
	for (int i = 0; i < 2; i++) {
		void *dev;

		assert_int_equal(drv[i]->kind, WX_SENSOR_PULSE);
		assert_true(wx_sensor_enabled(&r.cfg, drv[i]));
		env.cfg = &r.cfg;
		env.sim = r.sim;
		dev = drv[i]->open(&env, err, sizeof(err));
		assert_non_null(dev);
		assert_int_equal(drv[i]->edges(dev)->fd, -1);
		drv[i]->close(dev);

		env.sim = NULL;
		assert_null(drv[i]->open(&env, err, sizeof(err)));
		assert_true(strncmp(err, drv[i]->name, strlen(drv[i]->name)) == 0);
		assert_non_null(strstr(err, " gpiochip99: no such GPIO chip"));
	}
	WX_RAIN_CONFIG(&r.cfg)->enabled = false;
	assert_false(wx_sensor_enabled(&r.cfg, &wx_rain_driver));
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(debounce_ignores_bounce_within_debounce_ms),
		cmocka_unit_test(debounce_counts_edges_just_over_debounce_ms),
		cmocka_unit_test(debounce_carries_the_last_edge_across_calls),
		cmocka_unit_test(rain_ignores_bounce_within_150_ms),
		cmocka_unit_test(wind_cap_is_250_kmh),
		cmocka_unit_test(stuck_switch_reads_calm),
		cmocka_unit_test(chattering_switch_gives_no_absurd_speed),
		cmocka_unit_test(edges_faster_than_the_cap_count_at_the_cap_not_zero),
		cmocka_unit_test(bounce_of_1_to_5_ms_gives_exact_counts_from_0_5_to_100_hz),
		cmocka_unit_test(bounce_window_holds_when_edges_come_one_read_at_a_time),
		cmocka_unit_test(strong_real_wind_with_bounce_passes_the_cap),
		cmocka_unit_test(sim_constant_20_kmh_reads_20_kmh_after_debounce),
		cmocka_unit_test(sim_fifo_loses_pulses_when_not_drained_for_a_second),
		cmocka_unit_test(sim_fifo_loses_nothing_when_drained_every_10_ms),
		cmocka_unit_test(sim_fifo_scales_with_the_clock_speed),
		cmocka_unit_test(sim_fixed_rate_without_bounce_is_exact),
		cmocka_unit_test(sim_edges_do_not_depend_on_how_often_they_are_read),
		cmocka_unit_test(sim_rain_at_10_mm_h_gives_10_mm_in_an_hour),
		cmocka_unit_test(sim_edges_reject_bad_calibration),
		cmocka_unit_test(pulse_drivers_open_simulated_buses_and_name_real_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
