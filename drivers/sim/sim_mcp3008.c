/* A simulated Microchip MCP3008 (DS21295D) with the wind vane on one input.
 *
 * It answers at the bit level as Figure 5-1 of the datasheet draws it, so
 * any alignment of the command works, not just the driver's: DOUT stays
 * high impedance (read here as 1, a pulled-up MISO) until the start bit,
 * SGL/DIFF and D2..D0 have been clocked in; one more clock samples; then a
 * null bit (0), B9..B0 MSB first, B1..B9 LSB first, and zeros. */
#include "drivers/sim/sim_mcp3008.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "drivers/vane.h"

#define FULL_SCALE 1023
#define NOISE_STREAM 0x3008u

struct sim_adc {
	struct wx_spibus bus;
	struct wx_sim *sim;
	struct wx_windvane_config vane;
	enum wx_sim_mcp3008_fault fault;
	double fixed_deg;	/* < 0: follow the world */
	bool quiet;
	uint64_t n;		/* noise and garbage draws so far */
};

static double draw(struct sim_adc *a)
{
	return wx_sim_hash01((uint64_t)wx_sim_params(a->sim)->seed, NOISE_STREAM, a->n++);
}

/* The position the vane rests at: the nearest of the 16, as the magnet
 * closes the nearest reed (or pair of reeds). */
static int vane_position(struct sim_adc *a)
{
	double marked = a->fixed_deg;

	if (marked < 0) {
		struct wx_clock *c = wx_sim_clock(a->sim);
		struct wx_sim_weather w;

		wx_sim_weather_at(a->sim, wx_clock_mono_ns(c), &w);
		marked = w.wind_dir_deg - a->vane.north_offset_deg;
	}
	marked = fmod(fmod(marked, 360.0) + 360.0, 360.0);
	return (int)lround(marked / 22.5) % WX_VANE_POSITIONS;
}

static double input_volts(struct sim_adc *a, int channel)
{
	if (channel != a->vane.channel || a->fault == WX_SIM_MCP3008_VANE_UNPLUGGED)
		return 0;
	if (a->fault == WX_SIM_MCP3008_DIVIDER_OPEN)
		return a->vane.vin;
	return a->vane.vin * wx_vane_ratio(a->vane.divider_ohm,
					   wx_vane_positions[vane_position(a)].resistance_ohm);
}

/* Convert as the chip would with VREF = vin: code = 1024 * v / vref, plus
 * up to +-0.7 LSB of noise. */
static unsigned convert(struct sim_adc *a, unsigned cmd)
{
	double code;

	if (!(cmd & 0x8))	/* pseudo-differential: not wired here */
		return 0;
	code = 1024.0 * input_volts(a, (int)(cmd & 0x7)) / a->vane.vin;
	if (!a->quiet)
		code += (draw(a) - 0.5) * 1.4;
	code = floor(code);
	return code < 0 ? 0 : code > FULL_SCALE ? FULL_SCALE : (unsigned)code;
}

/* DOUT at clock j after the last command bit. */
static int dout_bit(struct sim_adc *a, unsigned code, size_t j)
{
	if (j == 0)
		return 1;			/* sampling: still high impedance */
	if (a->fault == WX_SIM_MCP3008_GARBAGE)
		return j == 1 ? 1 : draw(a) < 0.5;
	if (j == 1)
		return 0;			/* the null bit */
	if (j <= 11)
		return (code >> (11 - j)) & 1;	/* B9..B0 */
	if (j <= 20)
		return (code >> (j - 11)) & 1;	/* B1..B9, LSB first */
	return 0;
}

static int sim_transfer(struct wx_spibus *bus, const uint8_t *tx, uint8_t *rx, size_t len)
{
	struct sim_adc *a = bus->ctx;
	bool started = false;
	unsigned cmd = 0, ncmd = 0, code = 0;
	size_t j = 0;

	for (size_t k = 0; k < len * 8; k++) {
		int din = (tx[k / 8] >> (7 - k % 8)) & 1;
		int dout = 1;

		if (!started) {
			started = din;
		} else if (ncmd < 4) {
			cmd = cmd << 1 | (unsigned)din;
			if (++ncmd == 4)
				code = convert(a, cmd);
		} else {
			dout = dout_bit(a, code, j++);
		}
		if (k % 8 == 0)
			rx[k / 8] = 0;
		rx[k / 8] |= (uint8_t)(dout << (7 - k % 8));
	}
	return 0;
}

static void sim_close(struct wx_spibus *bus)
{
	free(bus->ctx);
}

struct wx_spibus *wx_sim_mcp3008_new(struct wx_sim *sim, const struct wx_windvane_config *vane)
{
	struct sim_adc *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->sim = sim;
	a->vane = *vane;
	a->fixed_deg = -1;
	a->bus.where = "sim:spi";
	a->bus.transfer = sim_transfer;
	a->bus.close = sim_close;
	a->bus.ctx = a;
	return &a->bus;
}

void wx_sim_mcp3008_set_fault(struct wx_spibus *bus, enum wx_sim_mcp3008_fault fault)
{
	((struct sim_adc *)bus->ctx)->fault = fault;
}

void wx_sim_mcp3008_fix_angle(struct wx_spibus *bus, double angle_deg)
{
	((struct sim_adc *)bus->ctx)->fixed_deg = angle_deg;
}

void wx_sim_mcp3008_quiet(struct wx_spibus *bus, bool quiet)
{
	((struct sim_adc *)bus->ctx)->quiet = quiet;
}
