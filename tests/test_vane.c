/* Tests for the wind vane: direction matching (vane.c), the MCP3008 framing
 * (mcp3008.c), the simulated MCP3008 (sim_mcp3008.c), the windvane sensor
 * driver over it (the spidev transport's own tests: test_spidev.c). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "drivers/mcp3008.h"
#include "drivers/sensor.h"
#include "drivers/sim/sim.h"
#include "drivers/sim/sim_mcp3008.h"
#include "drivers/spibus.h"
#include "drivers/vane.h"
#include "firmware/core/clock.h"
#include "tests/support/unpriv.h"
#include "firmware/core/config.h"
#include "firmware/core/record.h"

#define START_NS (1700000000LL * WX_NS_PER_S)

static void default_vane(struct wx_windvane_config *v)
{
	memset(v, 0, sizeof(*v));
	v->enabled = true;
	snprintf(v->spi, sizeof(v->spi), "/dev/spidev0.0");
	v->channel = 0;
	v->vin = 3.3;
	v->divider_ohm = 4700;
	v->north_offset_deg = 0;
}

static double ideal_v(const struct wx_windvane_config *v, int i)
{
	return v->vin * wx_vane_ratio(v->divider_ohm, wx_vane_positions[i].resistance_ohm);
}

/* ---- the resistor table and matching -------------------------------- */

static void vane_table_holds_the_datasheet_resistances(void **state)
{
	/* Argent Data 80422 datasheet, "Wind Vane" table. */
	static const double ohm[WX_VANE_POSITIONS] = {
		33000, 6570, 8200, 891, 1000, 688, 2200, 1410,
		3900, 3140, 16000, 14120, 120000, 42120, 64900, 21880,
	};
	(void)state;
	for (int i = 0; i < WX_VANE_POSITIONS; i++) {
		assert_true(wx_vane_positions[i].direction_deg == 22.5 * i);
		assert_true(wx_vane_positions[i].resistance_ohm == ohm[i]);
	}
	/* Each half position is its two neighbours' resistors in parallel. */
	for (int i = 1; i < WX_VANE_POSITIONS; i += 2) {
		double a = ohm[i - 1], b = ohm[(i + 1) % WX_VANE_POSITIONS];

		assert_true(fabs(a * b / (a + b) - ohm[i]) / ohm[i] < 0.005);
	}
}

static void vane_maps_every_ideal_voltage_back_to_its_direction(void **state)
{
	struct wx_windvane_config v;
	char err[WX_ERR_LEN];
	(void)state;

	default_vane(&v);
	for (int i = 0; i < WX_VANE_POSITIONS; i++) {
		double deg = -1;

		assert_int_equal(wx_vane_match_ratio(v.divider_ohm, ideal_v(&v, i) / v.vin), i);
		assert_int_equal(wx_vane_direction_from_v(&v, ideal_v(&v, i), "x", &deg,
							  err, sizeof(err)), 0);
		assert_true(deg == 22.5 * i);
	}
}

static void vane_matches_with_other_divider_and_vin(void **state)
{
	struct wx_windvane_config v;
	char err[WX_ERR_LEN];
	(void)state;

	default_vane(&v);
	v.vin = 5.0;
	v.divider_ohm = 10000;	/* the datasheet's own example circuit */
	for (int i = 0; i < WX_VANE_POSITIONS; i++) {
		double deg = -1;

		assert_int_equal(wx_vane_direction_from_v(&v, ideal_v(&v, i), "x", &deg,
							  err, sizeof(err)), 0);
		assert_true(deg == 22.5 * i);
	}
}

static void vane_applies_north_offset_and_wraps(void **state)
{
	struct wx_windvane_config v;
	char err[WX_ERR_LEN];
	double deg;
	(void)state;

	default_vane(&v);
	v.north_offset_deg = 30;
	assert_int_equal(wx_vane_direction_from_v(&v, ideal_v(&v, 15), "x", &deg, err, sizeof(err)), 0);
	assert_float_equal(deg, 7.5, 1e-9);		/* 337.5 + 30 */
	assert_int_equal(wx_vane_direction_from_v(&v, ideal_v(&v, 4), "x", &deg, err, sizeof(err)), 0);
	assert_float_equal(deg, 120, 1e-9);

	v.north_offset_deg = -45;
	assert_int_equal(wx_vane_direction_from_v(&v, ideal_v(&v, 0), "x", &deg, err, sizeof(err)), 0);
	assert_float_equal(deg, 315, 1e-9);

	v.north_offset_deg = 720 + 90;
	assert_int_equal(wx_vane_direction_from_v(&v, ideal_v(&v, 12), "x", &deg, err, sizeof(err)), 0);
	assert_float_equal(deg, 0, 1e-9);		/* 270 + 90 wraps to 0, never 360 */

	for (int i = 0; i < WX_VANE_POSITIONS; i++) {
		deg = wx_vane_direction_deg(i, -337.5);
		assert_true(deg >= 0 && deg < 360);
	}
}

static void vane_accepts_inside_tolerance_and_rejects_outside(void **state)
{
	const double div = 4700;
	(void)state;

	for (int i = 0; i < WX_VANE_POSITIONS; i++) {
		double r = wx_vane_ratio(div, wx_vane_positions[i].resistance_ohm);
		double tol = wx_vane_tolerance(div, i);

		assert_true(tol > 0 && tol <= WX_VANE_MAX_TOLERANCE);
		assert_int_equal(wx_vane_match_ratio(div, r + 0.99 * tol), i);
		assert_int_equal(wx_vane_match_ratio(div, r - 0.99 * tol), i);
		for (int side = -1; side <= 1; side += 2) {
			double out = r + side * 1.01 * tol;
			int m = wx_vane_match_ratio(div, out);

			assert_int_not_equal(m, i);
			/* Outside i's window it is either nothing or a neighbour
			 * whose own window reaches that far. */
			if (m >= 0)
				assert_true(fabs(out - wx_vane_ratio(div, wx_vane_positions[m].resistance_ohm))
					    <= wx_vane_tolerance(div, m));
		}
	}
}

static void vane_tolerance_is_half_the_gap_or_the_absolute_limit(void **state)
{
	const double div = 4700;
	(void)state;

	/* 67.5 (891) and 90 (1k) are the closest pair: each gets half the gap. */
	double r3 = wx_vane_ratio(div, 891), r4 = wx_vane_ratio(div, 1000);
	assert_float_equal(wx_vane_tolerance(div, 3), (r3 - r4) / 2, 1e-12);
	assert_float_equal(wx_vane_tolerance(div, 4), (r3 - r4) / 2, 1e-12);
	/* 135 (2.2k) is far from everything: the absolute limit applies, so a
	 * reading midway to its neighbour is refused. */
	assert_float_equal(wx_vane_tolerance(div, 6), WX_VANE_MAX_TOLERANCE, 1e-12);
	assert_int_equal(wx_vane_match_ratio(div, wx_vane_ratio(div, 2200) + 0.04), -ERANGE);
}

static void vane_worst_case_separation_is_67_5_against_90_for_the_byo_divider(void **state)
{
	int a = -1, b = -1;
	double sep = wx_vane_min_separation(4700, &a, &b);
	(void)state;

	assert_int_equal(a, 3);
	assert_int_equal(b, 4);
	/* The figure hardware/windvane.md quotes: 53 mV, about 16 counts. */
	assert_float_equal(sep * 3.3, 0.0530, 0.0001);
	for (int i = 0; i < WX_VANE_POSITIONS; i++)
		for (int j = i + 1; j < WX_VANE_POSITIONS; j++)
			assert_true(fabs(wx_vane_ratio(4700, wx_vane_positions[i].resistance_ohm) -
					 wx_vane_ratio(4700, wx_vane_positions[j].resistance_ohm)) >= sep);
}

static void vane_open_circuit_at_0_v_names_device_and_channel(void **state)
{
	struct wx_windvane_config v;
	char err[WX_ERR_LEN] = "";
	double deg = -1;
	(void)state;

	default_vane(&v);
	assert_int_equal(wx_vane_direction_from_v(&v, 0.0, "/dev/spidev0.0 channel 0", &deg,
						  err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "windvane /dev/spidev0.0 channel 0: 0.00 V matches no direction "
			    "(open circuit? check the vane's cable and the 4.7k divider)");
	assert_true(deg == -1);
}

static void vane_open_circuit_at_vin_names_device_and_channel(void **state)
{
	struct wx_windvane_config v;
	char err[WX_ERR_LEN] = "";
	double deg = -1;
	(void)state;

	default_vane(&v);
	assert_int_equal(wx_vane_direction_from_v(&v, 3.29, "/dev/spidev0.0 channel 0", &deg,
						  err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "windvane /dev/spidev0.0 channel 0: 3.29 V matches no direction "
			    "(open circuit? check the vane's cable and the 4.7k divider)");
	assert_int_equal(wx_vane_direction_from_v(&v, 3.3, "/dev/spidev0.0 channel 0", &deg,
						  err, sizeof(err)), -ERANGE);
}

static void vane_voltage_between_positions_suggests_checking_the_settings(void **state)
{
	struct wx_windvane_config v;
	char err[WX_ERR_LEN] = "";
	double deg;
	(void)state;

	default_vane(&v);
	/* Midway between 22.5 (1.376 V) and 180 (1.803 V). */
	assert_int_equal(wx_vane_direction_from_v(&v, 1.59, "/dev/spidev0.0 channel 3", &deg,
						  err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "windvane /dev/spidev0.0 channel 3: 1.59 V matches no direction"));
	assert_non_null(strstr(err, "divider_ohm = 4700"));
}

/* ---- MCP3008 framing -------------------------------------------------- */

struct fake_spi {
	struct wx_spibus bus;
	int calls;
	size_t len;
	uint8_t tx[8];
	uint8_t reply[8];
	int rc;
};

static int fake_transfer(struct wx_spibus *bus, const uint8_t *tx, uint8_t *rx, size_t len)
{
	struct fake_spi *f = bus->ctx;

	f->calls++;
	f->len = len;
	memcpy(f->tx, tx, len < 8 ? len : 8);
	memcpy(rx, f->reply, len < 8 ? len : 8);
	return f->rc;
}

static void fake_init(struct fake_spi *f)
{
	memset(f, 0, sizeof(*f));
	f->bus.where = "fake";
	f->bus.transfer = fake_transfer;
	f->bus.ctx = f;
}

static void mcp3008_sends_start_single_ended_and_channel_bits(void **state)
{
	struct fake_spi f;
	uint16_t raw;
	(void)state;

	for (int ch = 0; ch < 8; ch++) {
		fake_init(&f);
		assert_int_equal(wx_mcp3008_read(&f.bus, ch, &raw), 0);
		assert_int_equal(f.calls, 1);
		assert_int_equal(f.len, 3);
		assert_int_equal(f.tx[0], 0x01);		/* 7 zeros, start */
		assert_int_equal(f.tx[1], 0x80 | ch << 4);	/* SGL, D2..D0 */
		assert_int_equal(f.tx[2], 0x00);
	}
}

static void mcp3008_decodes_ten_bits_and_ignores_high_impedance_bits(void **state)
{
	struct fake_spi f;
	uint16_t raw = 0;
	(void)state;

	fake_init(&f);
	/* Byte 2 = ????? 0 B9 B8 with the floating bits high. */
	f.reply[0] = 0xFF; f.reply[1] = 0xFA; f.reply[2] = 0x5A;
	assert_int_equal(wx_mcp3008_read(&f.bus, 0, &raw), 0);
	assert_int_equal(raw, 0x25A);

	f.reply[0] = 0x00; f.reply[1] = 0x03; f.reply[2] = 0xFF;
	assert_int_equal(wx_mcp3008_read(&f.bus, 0, &raw), 0);
	assert_int_equal(raw, 1023);

	f.reply[1] = 0xF8; f.reply[2] = 0x00;
	assert_int_equal(wx_mcp3008_read(&f.bus, 0, &raw), 0);
	assert_int_equal(raw, 0);

	assert_float_equal(wx_mcp3008_volts(512, 3.3), 1.65, 1e-12);
}

static void mcp3008_rejects_a_reply_without_the_null_bit(void **state)
{
	struct fake_spi f;
	uint16_t raw = 77;
	(void)state;

	fake_init(&f);
	memset(f.reply, 0xFF, sizeof(f.reply));	/* no chip, MISO pulled up */
	assert_int_equal(wx_mcp3008_read(&f.bus, 0, &raw), -EPROTO);
	assert_int_equal(raw, 77);
}

static void mcp3008_refuses_bad_channel_and_passes_bus_errors_up(void **state)
{
	struct fake_spi f;
	uint16_t raw;
	(void)state;

	fake_init(&f);
	assert_int_equal(wx_mcp3008_read(&f.bus, 8, &raw), -EINVAL);
	assert_int_equal(wx_mcp3008_read(&f.bus, -1, &raw), -EINVAL);
	assert_int_equal(f.calls, 0);
	f.rc = -EIO;
	assert_int_equal(wx_mcp3008_read(&f.bus, 0, &raw), -EIO);
}

/* ---- the simulated MCP3008 ------------------------------------------- */

struct world {
	struct wx_config cfg;
	struct wx_clock *clock;
	struct wx_sim *sim;
};

static int world_setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (!w)
		return -1;
	w->cfg.sim.seed = 1;
	default_vane(WX_WINDVANE_CONFIG(&w->cfg));
	w->clock = wx_clock_sim(START_NS, 0);
	w->sim = w->clock ? wx_sim_new(&w->cfg, w->clock) : NULL;
	if (!w->sim)
		return -1;
	*state = w;
	return 0;
}

static int world_teardown(void **state)
{
	struct world *w = *state;

	wx_sim_free(w->sim);
	wx_clock_free(w->clock);
	free(w);
	return 0;
}

static void sim_mcp3008_answers_the_code_of_the_vane_position(void **state)
{
	struct world *w = *state;
	struct wx_spibus *bus = wx_sim_mcp3008_new(w->sim, WX_WINDVANE_CONFIG(&w->cfg));
	uint16_t raw;

	assert_non_null(bus);
	assert_string_equal(bus->where, "sim:spi");
	wx_sim_mcp3008_quiet(bus, true);
	for (int i = 0; i < WX_VANE_POSITIONS; i++) {
		wx_sim_mcp3008_fix_angle(bus, 22.5 * i);
		assert_int_equal(wx_mcp3008_read(bus, 0, &raw), 0);
		assert_int_equal(raw, (uint16_t)floor(1024 * ideal_v(WX_WINDVANE_CONFIG(&w->cfg), i) / 3.3));
		assert_int_equal(wx_mcp3008_read(bus, 5, &raw), 0);	/* nothing on channel 5 */
		assert_int_equal(raw, 0);
	}
	bus->close(bus);
}

static int bit_at(const uint8_t *buf, int k)
{
	return (buf[k / 8] >> (7 - k % 8)) & 1;
}

static void sim_mcp3008_answers_a_command_at_another_bit_alignment(void **state)
{
	struct world *w = *state;
	struct wx_spibus *bus = wx_sim_mcp3008_new(w->sim, WX_WINDVANE_CONFIG(&w->cfg));
	/* 000 1 1 000: start on clock 3, SGL, channel 0 ending on clock 7. */
	uint8_t tx[4] = { 0x18, 0, 0, 0 }, rx[4], ref_rx[3], ref_tx[3];
	uint16_t want, got = 0, lsb_first = 0;

	assert_non_null(bus);
	wx_sim_mcp3008_quiet(bus, true);
	wx_sim_mcp3008_fix_angle(bus, 90);
	wx_mcp3008_command(0, ref_tx);
	assert_int_equal(bus->transfer(bus, ref_tx, ref_rx, 3), 0);
	assert_int_equal(wx_mcp3008_decode(ref_rx, &want), 0);
	assert_true(want > 0);

	assert_int_equal(bus->transfer(bus, tx, rx, sizeof(tx)), 0);
	assert_int_equal(bit_at(rx, 9), 0);		/* null bit after the sample clock */
	for (int k = 10; k < 20; k++)			/* B9..B0 */
		got = (uint16_t)(got << 1 | bit_at(rx, k));
	assert_int_equal(got, want);
	for (int m = 0; m < 9; m++)			/* then B1..B9, LSB first (Figure 5-1) */
		lsb_first |= (uint16_t)(bit_at(rx, 20 + m) << (m + 1));
	assert_int_equal(lsb_first, want & 0x3FE);
	for (int k = 29; k < 32; k++)			/* then zeros */
		assert_int_equal(bit_at(rx, k), 0);
	bus->close(bus);
}

/* ---- the sensor driver over the simulated MCP3008 --------------------- */

static void *open_sim_vane(struct world *w, char *err, size_t errlen)
{
	struct wx_sensor_env env = { .cfg = &w->cfg, .sim = w->sim };

	return wx_windvane_driver.open(&env, err, errlen);
}

/* The same vane code the driver runs, over a simulated MCP3008 the test
 * can stage faults and angles on. */
static struct wx_vane *open_vane_on(struct world *w, struct wx_spibus **bus)
{
	char err[WX_ERR_LEN] = "";

	*bus = wx_sim_mcp3008_new(w->sim, WX_WINDVANE_CONFIG(&w->cfg));
	assert_non_null(*bus);
	return wx_vane_open_mcp3008(*bus, WX_WINDVANE_CONFIG(&w->cfg), err, sizeof(err));
}

static void windvane_driver_describes_itself(void **state)
{
	struct world *w = *state;

	assert_string_equal(wx_windvane_driver.name, "windvane");
	assert_int_equal(wx_windvane_driver.kind, WX_SENSOR_SAMPLED);
	assert_true(wx_sensor_enabled(&w->cfg, &wx_windvane_driver));
	WX_WINDVANE_CONFIG(&w->cfg)->enabled = false;
	assert_false(wx_sensor_enabled(&w->cfg, &wx_windvane_driver));
	WX_WINDVANE_CONFIG(&w->cfg)->enabled = true;
}

static void windvane_driver_reads_every_position_of_the_simulated_vane(void **state)
{
	struct world *w = *state;
	char err[WX_ERR_LEN] = "";
	struct wx_spibus *bus;
	struct wx_vane *v = open_vane_on(w, &bus);

	assert_non_null(v);
	/* Every 2.5 degrees round the dial, ADC noise on: the vane rests at
	 * the nearest of its 16 positions and the driver must name it. */
	for (int k = 0; k < 144; k++) {
		double angle = 2.5 * k;
		double want = fmod(round(angle / 22.5) * 22.5, 360);

		double deg = -1;

		wx_sim_mcp3008_fix_angle(bus, angle);
		assert_int_equal(wx_vane_read(v, &deg, err, sizeof(err)), 0);
		assert_float_equal(deg, want, 1e-9);
	}
	wx_vane_close(v);
}

static void windvane_driver_follows_the_simulated_world_with_north_offset(void **state)
{
	struct world *w = *state;
	char err[WX_ERR_LEN] = "";
	void *dev;
	struct wx_record r;
	int distinct = 0;
	double last = -1;

	WX_WINDVANE_CONFIG(&w->cfg)->north_offset_deg = 20;
	dev = open_sim_vane(w, err, sizeof(err));
	assert_non_null(dev);
	for (int k = 0; k < 200; k++) {
		int64_t t = START_NS + (int64_t)k * 7 * 60 * WX_NS_PER_S;
		struct wx_sim_weather wx;
		double marked, want;

		wx_clock_jump(w->clock, t);
		wx_sim_weather_at(w->sim, wx_clock_mono_ns(w->clock), &wx);
		marked = fmod(wx.wind_dir_deg - 20 + 360, 360);
		want = fmod(fmod(round(marked / 22.5) * 22.5, 360) + 20, 360);
		wx_record_init(&r, 0);
		assert_int_equal(wx_windvane_driver.sample(dev, &r, err, sizeof(err)), 0);
		assert_float_equal(r.v[WX_WIND_DIRECTION_DEG], want, 1e-9);
		/* and within half a position of the true wind */
		assert_true(fabs(remainder(r.v[WX_WIND_DIRECTION_DEG] - wx.wind_dir_deg, 360)) <= 11.25 + 1e-9);
		if (r.v[WX_WIND_DIRECTION_DEG] != last)
			distinct++;
		last = r.v[WX_WIND_DIRECTION_DEG];
	}
	assert_true(distinct > 3);	/* the world's wind did veer */
	wx_windvane_driver.close(dev);
	WX_WINDVANE_CONFIG(&w->cfg)->north_offset_deg = 0;
}

static void windvane_driver_reports_an_unplugged_vane(void **state)
{
	struct world *w = *state;
	char err[WX_ERR_LEN] = "";
	struct wx_spibus *bus;
	struct wx_vane *v = open_vane_on(w, &bus);
	double deg = -1;

	assert_non_null(v);
	wx_sim_mcp3008_set_fault(bus, WX_SIM_MCP3008_VANE_UNPLUGGED);
	assert_int_equal(wx_vane_read(v, &deg, err, sizeof(err)), -ERANGE);
	assert_true(deg == -1);
	assert_non_null(strstr(err, "windvane sim:spi channel 0: 0.0"));
	assert_non_null(strstr(err, "open circuit? check the vane's cable and the 4.7k divider"));

	wx_sim_mcp3008_set_fault(bus, WX_SIM_MCP3008_DIVIDER_OPEN);
	err[0] = '\0';
	assert_int_equal(wx_vane_read(v, &deg, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "windvane sim:spi channel 0: 3.30 V matches no direction (open circuit?"));

	wx_sim_mcp3008_set_fault(bus, WX_SIM_MCP3008_OK);
	assert_int_equal(wx_vane_read(v, &deg, err, sizeof(err)), 0);
	assert_true(deg >= 0 && deg < 360);
	wx_vane_close(v);
}

static void windvane_driver_reports_garbage_framing(void **state)
{
	struct world *w = *state;
	char err[WX_ERR_LEN] = "";
	struct wx_spibus *bus;
	struct wx_vane *v = open_vane_on(w, &bus);
	double deg = -1;

	assert_non_null(v);
	wx_sim_mcp3008_set_fault(bus, WX_SIM_MCP3008_GARBAGE);
	for (int k = 0; k < 10; k++)
		assert_int_equal(wx_vane_read(v, &deg, err, sizeof(err)), -EPROTO);
	assert_true(deg == -1);
	assert_non_null(strstr(err, "windvane sim:spi channel 0: MCP3008 reply has no null bit"));
	wx_vane_close(v);
}

static void windvane_driver_refuses_a_channel_the_mcp3008_lacks(void **state)
{
	struct world *w = *state;
	char err[WX_ERR_LEN] = "";
	void *dev;

	WX_WINDVANE_CONFIG(&w->cfg)->channel = 8;
	errno = 0;
	dev = open_sim_vane(w, err, sizeof(err));
	WX_WINDVANE_CONFIG(&w->cfg)->channel = 0;
	assert_null(dev);
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "windvane /dev/spidev0.0: channel 8"));
}

static void windvane_driver_on_real_hardware_passes_the_spidev_message_on(void **state)
{
	struct world *w = *state;
	struct wx_config cfg = w->cfg;
	struct wx_sensor_env env = { .cfg = &cfg, .sim = NULL };
	char err[WX_ERR_LEN] = "";

	snprintf(WX_WINDVANE_CONFIG(&cfg)->spi, sizeof(WX_WINDVANE_CONFIG(&cfg)->spi),
		 "/nonexistent/spidev0.0");
	assert_null(wx_windvane_driver.open(&env, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "windvane /nonexistent/spidev0.0: "));
	assert_non_null(strstr(err, "dtparam=spi=on"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vane_table_holds_the_datasheet_resistances),
		cmocka_unit_test(vane_maps_every_ideal_voltage_back_to_its_direction),
		cmocka_unit_test(vane_matches_with_other_divider_and_vin),
		cmocka_unit_test(vane_applies_north_offset_and_wraps),
		cmocka_unit_test(vane_accepts_inside_tolerance_and_rejects_outside),
		cmocka_unit_test(vane_tolerance_is_half_the_gap_or_the_absolute_limit),
		cmocka_unit_test(vane_worst_case_separation_is_67_5_against_90_for_the_byo_divider),
		cmocka_unit_test(vane_open_circuit_at_0_v_names_device_and_channel),
		cmocka_unit_test(vane_open_circuit_at_vin_names_device_and_channel),
		cmocka_unit_test(vane_voltage_between_positions_suggests_checking_the_settings),
		cmocka_unit_test(mcp3008_sends_start_single_ended_and_channel_bits),
		cmocka_unit_test(mcp3008_decodes_ten_bits_and_ignores_high_impedance_bits),
		cmocka_unit_test(mcp3008_rejects_a_reply_without_the_null_bit),
		cmocka_unit_test(mcp3008_refuses_bad_channel_and_passes_bus_errors_up),
		cmocka_unit_test_setup_teardown(sim_mcp3008_answers_the_code_of_the_vane_position, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(sim_mcp3008_answers_a_command_at_another_bit_alignment, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(windvane_driver_describes_itself, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(windvane_driver_reads_every_position_of_the_simulated_vane, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(windvane_driver_follows_the_simulated_world_with_north_offset, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(windvane_driver_reports_an_unplugged_vane, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(windvane_driver_reports_garbage_framing, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(windvane_driver_refuses_a_channel_the_mcp3008_lacks, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(windvane_driver_on_real_hardware_passes_the_spidev_message_on, world_setup, world_teardown),
	};
	return cmocka_run_group_tests_name("vane", tests, NULL, NULL);
}
