/* Simulated Bosch BMP180 (BST-BMP180-DS000) seen through struct wx_regbus.
 *
 * The EEPROM holds the datasheet's worked-example calibration; a write of
 * 0x2E or 0x34 + (oss << 6) to 0xF4 starts a conversion whose SCO bit
 * (bit 5) stays set until the datasheet's conversion time has been spent
 * in this bus's delay_us; then 0xF6..0xF8 hold the result.  UT and UP are
 * found by bisection over bmp180.c's own compensation, so the driver
 * reads back the world. */
#include "drivers/sim/sim_bmp180.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/bmp180.h"

/* Datasheet 3.5 example: AC1..AC6, B1, B2, MB, MC, MD. */
static const uint16_t calib_words[11] = {
	408, (uint16_t)-72, (uint16_t)-14383, 32741, 32757, 23153,
	6190, 4, (uint16_t)-32768, (uint16_t)-8711, 2868,
};

struct simdev {
	struct wx_regbus bus;
	char where[48];
	struct wx_sim *sim;
	struct wx_bmp180_calib cal;
	uint8_t regs[256];
	unsigned faults;
	bool converting;
	uint8_t cmd;
	unsigned long elapsed_us;
	enum { WORLD, RAW, TARGET } source;
	int32_t raw_ut, raw_up;
	double tgt_t, tgt_p;
	int last_oss;
	unsigned conversions;
};

static int sim_read(struct wx_regbus *bus, uint8_t reg, uint8_t *buf, size_t len);

static struct simdev *dev_of(struct wx_regbus *bus)
{
	assert(bus && bus->read == sim_read);
	return bus->ctx;
}

static void targets(struct simdev *d, double *t, double *p)
{
	struct wx_sim_weather w;

	if (d->source == TARGET) {
		*t = d->tgt_t, *p = d->tgt_p;
		return;
	}
	wx_sim_weather_at(d->sim, wx_clock_mono_ns(wx_sim_clock(d->sim)), &w);
	*t = w.temperature_c, *p = w.pressure_hpa;
}

/* The smallest UT whose temperature reaches t (B5 rises with UT). */
static int32_t invert_ut(struct simdev *d, double t_c)
{
	int32_t lo = 0, hi = 0xFFFF, t, b5;

	while (lo < hi) {
		int32_t mid = lo + (hi - lo) / 2;

		if (wx_bmp180_temp(&d->cal, mid, &t, &b5) == 0 && t >= lround(t_c * 10))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The smallest UP (at oss) whose pressure reaches p (p rises with UP). */
static int32_t invert_up(struct simdev *d, int32_t ut, int oss, double p_hpa)
{
	int32_t lo = 0, hi = (1 << (16 + oss)) - 1, t, b5, p;

	wx_bmp180_temp(&d->cal, ut, &t, &b5);
	while (lo < hi) {
		int32_t mid = lo + (hi - lo) / 2;

		if (wx_bmp180_pressure(&d->cal, mid, oss, b5, &p) == 0 && p >= lround(p_hpa * 100))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void finish(struct simdev *d)
{
	double t, p;
	int32_t ut, up;
	int oss = d->cmd >> 6;

	if (d->source == RAW) {
		ut = d->raw_ut, up = d->raw_up;
	} else {
		targets(d, &t, &p);
		ut = invert_ut(d, t);
		up = invert_up(d, ut, oss, p);
	}
	if (d->cmd == 0x2E) {
		d->regs[0xF6] = (uint8_t)(ut >> 8);
		d->regs[0xF7] = (uint8_t)ut;
		d->regs[0xF8] = 0;
	} else {
		uint32_t v = (uint32_t)up << (8 - oss);

		d->regs[0xF6] = (uint8_t)(v >> 16);
		d->regs[0xF7] = (uint8_t)(v >> 8);
		d->regs[0xF8] = (uint8_t)v;
		d->last_oss = oss;
	}
	d->regs[0xF4] &= (uint8_t)~0x20u;
	d->converting = false;
}

static unsigned need_us(const struct simdev *d)
{
	return d->cmd == 0x2E ? WX_BMP180_TEMP_WAIT_US : wx_bmp180_pressure_wait_us(d->cmd >> 6);
}

static int fault_rc(const struct simdev *d)
{
	if (d->faults & WX_SIM_BMP180_NACK)
		return -ENXIO;
	if (d->faults & WX_SIM_BMP180_SHORT)
		return -EIO;
	return 0;
}

static int sim_read(struct wx_regbus *bus, uint8_t reg, uint8_t *buf, size_t len)
{
	struct simdev *d = dev_of(bus);
	int rc = fault_rc(d);

	if (rc)
		return rc;
	if (len > 256u - reg)
		return -EINVAL;
	if (d->converting && !(d->faults & WX_SIM_BMP180_STUCK) && d->elapsed_us >= need_us(d))
		finish(d);
	for (size_t i = 0; i < len; i++) {
		unsigned r = reg + (unsigned)i;

		if (r == 0xD0 && (d->faults & WX_SIM_BMP180_WRONG_ID))
			buf[i] = 0x58;
		else if (r >= 0xAA && r <= 0xBF && (d->faults & WX_SIM_BMP180_BLANK_EEPROM))
			buf[i] = 0xFF;
		else
			buf[i] = d->regs[r];
	}
	return 0;
}

static int sim_write(struct wx_regbus *bus, uint8_t reg, uint8_t val)
{
	struct simdev *d = dev_of(bus);
	int rc = fault_rc(d);

	if (rc)
		return rc;
	if (reg == 0xF4 && (val == 0x2E || (val & 0x3F) == 0x34)) {
		d->regs[0xF4] = val;	/* SCO (bit 5) is set in both commands */
		d->cmd = val;
		d->converting = true;
		d->elapsed_us = 0;
		d->conversions++;
	} else if (reg == 0xE0 && val == 0xB6) {
		d->converting = false;
		d->regs[0xF4] = 0;
	}
	return 0;
}

static void sim_delay_us(struct wx_regbus *bus, unsigned us)
{
	struct simdev *d = dev_of(bus);

	d->elapsed_us += us;
	wx_clock_device_delay(wx_sim_clock(d->sim), (int64_t)us * 1000);
}

static void sim_close(struct wx_regbus *bus)
{
	if (bus)
		free(dev_of(bus));
}

struct wx_regbus *wx_sim_bmp180_new(struct wx_sim *sim, int address)
{
	struct simdev *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->sim = sim;
	for (int i = 0; i < 11; i++) {
		d->regs[0xAA + 2 * i] = (uint8_t)(calib_words[i] >> 8);
		d->regs[0xAB + 2 * i] = (uint8_t)calib_words[i];
	}
	d->regs[0xD0] = WX_BMP180_CHIP_ID;
	wx_bmp180_parse_calib(d->regs + 0xAA, &d->cal, NULL);
	snprintf(d->where, sizeof(d->where), "sim:i2c address 0x%02x", (unsigned)address);
	d->bus = (struct wx_regbus){
		.where = d->where, .read = sim_read, .write = sim_write, .recv = NULL,
		.send = NULL, .delay_us = sim_delay_us, .close = sim_close, .ctx = d,
	};
	return &d->bus;
}

void wx_sim_bmp180_set_fault(struct wx_regbus *bus, unsigned faults)
{
	dev_of(bus)->faults = faults;
}

void wx_sim_bmp180_set_raw(struct wx_regbus *bus, int32_t ut, int32_t up)
{
	struct simdev *d = dev_of(bus);

	d->source = RAW;
	d->raw_ut = ut, d->raw_up = up;
}

void wx_sim_bmp180_set_target(struct wx_regbus *bus, double temperature_c, double pressure_hpa)
{
	struct simdev *d = dev_of(bus);

	d->source = TARGET;
	d->tgt_t = temperature_c, d->tgt_p = pressure_hpa;
}

int wx_sim_bmp180_last_oss(struct wx_regbus *bus)
{
	return dev_of(bus)->last_oss;
}

unsigned wx_sim_bmp180_conversions(struct wx_regbus *bus)
{
	return dev_of(bus)->conversions;
}
