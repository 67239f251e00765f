/* Simulated Microchip MCP3427 (DS22226A) seen through struct wx_regbus.
 *
 * A one-byte write is the configuration; in one-shot mode with RDY = 1 it
 * starts a conversion of the selected channel, which takes the datasheet's
 * 66.7 ms at 16 bit.  Time is what the driver spends in this bus's
 * delay_us (station time), so a read too early sees RDY = 1 and the old
 * code, as on the chip.  Reads return code MSB, LSB, configuration. */
#include "drivers/sim/sim_mcp3427.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "drivers/mcp3427.h"
#include "drivers/vane.h"

enum wiring { WIRE_NONE, WIRE_VANE, WIRE_AIR_QUALITY };

struct simadc {
	struct wx_regbus bus;
	char where[48];
	struct wx_sim *sim;
	enum wiring wire[WX_MCP3427_CHANNELS];
	double fixed_v[WX_MCP3427_CHANNELS];	/* NaN: follow the wiring */
	struct wx_windvane_config vane;
	double fixed_deg;
	unsigned faults;
	uint8_t config;
	int16_t code;
	bool converting;
	unsigned long elapsed_us;	/* since the conversion started */
	unsigned conversions;
	uint64_t n;			/* noise draws */
};

static int sim_recv(struct wx_regbus *bus, uint8_t *buf, size_t len);

static struct simadc *dev_of(struct wx_regbus *bus)
{
	assert(bus && bus->recv == sim_recv);	/* a bus from wx_sim_mcp3427_new */
	return bus->ctx;
}

static int vane_position(struct simadc *a)
{
	double marked = a->fixed_deg;

	if (marked < 0) {
		struct wx_sim_weather w;

		wx_sim_weather_at(a->sim, wx_clock_mono_ns(wx_sim_clock(a->sim)), &w);
		marked = w.wind_dir_deg - a->vane.north_offset_deg;
	}
	marked = fmod(fmod(marked, 360.0) + 360.0, 360.0);
	return (int)lround(marked / 22.5) % WX_VANE_POSITIONS;
}

static double input_volts(struct simadc *a, int ch, bool *noisy)
{
	struct wx_sim_weather w;
	double rv;

	*noisy = false;
	if (!isnan(a->fixed_v[ch]))
		return a->fixed_v[ch];
	switch (a->wire[ch]) {
	case WIRE_VANE:
		if (a->faults & WX_SIM_MCP3427_VANE_OPEN)
			return WX_ORACLE_HAT_VANE_VIN;
		*noisy = true;
		rv = wx_vane_positions[vane_position(a)].resistance_ohm;
		return WX_ORACLE_HAT_VANE_VIN * rv / (WX_ORACLE_HAT_VANE_DIVIDER_OHM + rv);
	case WIRE_AIR_QUALITY:
		wx_sim_weather_at(a->sim, wx_clock_mono_ns(wx_sim_clock(a->sim)), &w);
		*noisy = true;
		return WX_MCP3427_FULL_SCALE * (1 - w.air_quality_pct / 100) * WX_MCP3427_VREF /
		       32768.0;
	default:
		return 0;
	}
}

/* code = 32768 * v / 2.048, clipped to the 16-bit range as the chip
 * saturates, with up to +-1 LSB of noise on wired inputs. */
static void convert(struct simadc *a)
{
	int ch = (a->config >> 5) & 3;
	bool noisy;
	double code;

	if (ch >= WX_MCP3427_CHANNELS) {	/* the MCP3427 has no channel 3 or 4 */
		a->code = 0;
		return;
	}
	code = floor(32768.0 * input_volts(a, ch, &noisy) / WX_MCP3427_VREF);
	if (noisy)
		code += floor(wx_sim_hash01((uint64_t)wx_sim_params(a->sim)->seed, 0x3427, a->n++) * 3) - 1;
	a->code = (int16_t)(code > 32767 ? 32767 : code < -32768 ? -32768 : code);
}

static int fault_rc(const struct simadc *a)
{
	if (a->faults & WX_SIM_MCP3427_NACK)
		return -ENXIO;
	if (a->faults & WX_SIM_MCP3427_SHORT)
		return -EIO;
	return 0;
}

static void settle(struct simadc *a)
{
	if (a->converting && !(a->faults & WX_SIM_MCP3427_STUCK) &&
	    a->elapsed_us >= WX_MCP3427_CONVERSION_US) {
		convert(a);
		a->converting = false;
	}
}

static int sim_recv(struct wx_regbus *bus, uint8_t *buf, size_t len)
{
	struct simadc *a = dev_of(bus);
	uint8_t out[3];
	int rc = fault_rc(a);

	if (rc)
		return rc;
	settle(a);
	out[0] = (uint8_t)((uint16_t)a->code >> 8);
	out[1] = (uint8_t)a->code;
	out[2] = (uint8_t)((a->config & 0x7F) | (a->converting ? 0x80 : 0));
	if (a->faults & WX_SIM_MCP3427_BAD_ECHO)
		out[2] ^= 0x0C;		/* S1S0 = 00: a 12-bit setting */
	for (size_t i = 0; i < len; i++)
		buf[i] = i < 3 ? out[i] : out[2];	/* the chip repeats the config byte */
	return 0;
}

static int sim_send(struct wx_regbus *bus, const uint8_t *buf, size_t len)
{
	struct simadc *a = dev_of(bus);
	int rc = fault_rc(a);

	if (rc)
		return rc;
	if (len == 0)
		return 0;
	a->config = buf[len - 1];
	/* One-shot (O/C = 0) with RDY = 1 starts a conversion. */
	if ((a->config & 0x80) && !(a->config & 0x10)) {
		a->converting = true;
		a->elapsed_us = 0;
		a->conversions++;
	}
	return 0;
}

static int sim_read(struct wx_regbus *bus, uint8_t reg, uint8_t *buf, size_t len)
{
	(void)reg;	/* no register pointer: the byte would be a configuration */
	return sim_recv(bus, buf, len);
}

static int sim_write(struct wx_regbus *bus, uint8_t reg, uint8_t val)
{
	uint8_t b[2] = { reg, val };

	return sim_send(bus, b, 2);
}

static void sim_delay_us(struct wx_regbus *bus, unsigned us)
{
	struct simadc *a = dev_of(bus);

	a->elapsed_us += us;
	wx_clock_device_delay(wx_sim_clock(a->sim), (int64_t)us * 1000);
}

static void sim_close(struct wx_regbus *bus)
{
	if (bus)
		free(dev_of(bus));
}

struct wx_regbus *wx_sim_mcp3427_new(struct wx_sim *sim, int address)
{
	struct simadc *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->sim = sim;
	a->fixed_deg = -1;
	for (int i = 0; i < WX_MCP3427_CHANNELS; i++)
		a->fixed_v[i] = NAN;
	a->config = 0x90;	/* power-on default: continuous, 12 bit, RDY set */
	a->converting = true;	/* nothing converted yet: RDY reads 1 */
	snprintf(a->where, sizeof(a->where), "sim:i2c address 0x%02x", (unsigned)address);
	a->bus.where = a->where;
	a->bus.read = sim_read;
	a->bus.write = sim_write;
	a->bus.recv = sim_recv;
	a->bus.send = sim_send;
	a->bus.delay_us = sim_delay_us;
	a->bus.close = sim_close;
	a->bus.ctx = a;
	return &a->bus;
}

void wx_sim_mcp3427_wire_vane(struct wx_regbus *bus, int channel,
			      const struct wx_windvane_config *cfg)
{
	struct simadc *a = dev_of(bus);

	if (channel >= 0 && channel < WX_MCP3427_CHANNELS) {
		a->wire[channel] = WIRE_VANE;
		a->vane = *cfg;
	}
}

void wx_sim_mcp3427_wire_air_quality(struct wx_regbus *bus, int channel)
{
	struct simadc *a = dev_of(bus);

	if (channel >= 0 && channel < WX_MCP3427_CHANNELS)
		a->wire[channel] = WIRE_AIR_QUALITY;
}

void wx_sim_mcp3427_set_volts(struct wx_regbus *bus, int channel, double volts)
{
	struct simadc *a = dev_of(bus);

	if (channel >= 0 && channel < WX_MCP3427_CHANNELS)
		a->fixed_v[channel] = volts;
}

void wx_sim_mcp3427_fix_angle(struct wx_regbus *bus, double angle_deg)
{
	dev_of(bus)->fixed_deg = angle_deg;
}

void wx_sim_mcp3427_set_fault(struct wx_regbus *bus, unsigned faults)
{
	dev_of(bus)->faults = faults;
}

unsigned wx_sim_mcp3427_conversions(struct wx_regbus *bus)
{
	return dev_of(bus)->conversions;
}
