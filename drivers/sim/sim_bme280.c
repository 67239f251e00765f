/* Simulated Bosch BME280 / BMP280 (datasheets BST-BME280-DS002 rev 1.6 and
 * BST-BMP280-DS001 rev 1.19), seen through struct wx_regbus.
 *
 * A 256-byte register map behaves as the chip's does for what wxd uses:
 * chip id, soft reset (defaults restored, im_update set for a moment),
 * ctrl_hum latched by the next ctrl_meas write (datasheet 5.4.3), forced
 * mode with a status "measuring" bit that stays set until the conversion's
 * time (datasheet 9.1) has been waited through the bus's delay, and
 * data registers filled when the conversion ends.  The raw values are
 * found by inverting the datasheet's compensation (bme280.c's own formulas)
 * by bisection, so the real driver reads back the simulated weather. */
#include "drivers/sim/sim_bme280.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/bme280.h"

enum {
	REG_CALIB_TP = 0x88,
	REG_CHIP_ID = 0xD0,
	REG_RESET = 0xE0,
	REG_CALIB_H = 0xE1,
	REG_CTRL_HUM = 0xF2,
	REG_STATUS = 0xF3,
	REG_CTRL_MEAS = 0xF4,
	REG_CONFIG = 0xF5,
	REG_DATA = 0xF7,
};

#define WRONG_CHIP_ID 0x61	/* a BME680, a common mix-up */
#define NVM_READS 1		/* status reads that see "im_update" after reset */
#define ADC20_MAX 0xFFFFF
#define ADC16_MAX 0xFFFF

/* Factory-like trimming: the T and P words of the BMP280 datasheet's
 * worked example (section 3.12) and humidity words typical of real
 * BME280 parts. */
static const uint16_t calib_tp_words[12] = {
	27504, (uint16_t)26435, (uint16_t)-1000,			/* T1..T3 */
	36477, (uint16_t)-10685, 3024, 2855, 140, (uint16_t)-7,	/* P1..P6 */
	15500, (uint16_t)-14600, 6000,				/* P7..P9 */
};
#define CAL_H1 75
#define CAL_H2 362
#define CAL_H3 0
#define CAL_H4 313
#define CAL_H5 50
#define CAL_H6 30

struct simdev {
	struct wx_regbus bus;
	char where[48];
	struct wx_sim *sim;
	uint8_t chip_id;
	bool has_humidity;
	uint8_t regs[256];
	struct wx_bme280_calib cal;	/* decoded from regs, for the inversion */
	unsigned faults;
	unsigned busy_us, nvm_reads;	/* busy_us: conversion time left */
	uint8_t hum_latched;		/* osrs_h in force (set by ctrl_meas) */
	uint8_t pending[8];		/* data of the conversion in progress */
	int32_t last_t, last_p, last_h;
	unsigned measurements, status_reads;
	enum { FOLLOW_WORLD, FIXED_RAW, FIXED_TARGET } source;
	int32_t raw_t, raw_p, raw_h;
	double tgt_t, tgt_p, tgt_h;
};

static int sim_read(struct wx_regbus *bus, uint8_t reg, uint8_t *buf, size_t len);

static struct simdev *dev_of(struct wx_regbus *bus)
{
	assert(bus && bus->read == sim_read);	/* a bus from wx_sim_bme280_new */
	return bus->ctx;
}

static void load_nvm(struct simdev *d)
{
	uint8_t *r = d->regs;

	for (size_t i = 0; i < 12; i++) {
		r[REG_CALIB_TP + 2 * i] = (uint8_t)(calib_tp_words[i] & 0xFF);
		r[REG_CALIB_TP + 2 * i + 1] = (uint8_t)(calib_tp_words[i] >> 8);
	}
	if (d->has_humidity) {
		r[0xA1] = CAL_H1;
		r[REG_CALIB_H + 0] = CAL_H2 & 0xFF;
		r[REG_CALIB_H + 1] = CAL_H2 >> 8;
		r[REG_CALIB_H + 2] = CAL_H3;
		/* H4 = 0xE4[7:0] 0xE5[3:0]; H5 = 0xE6[7:0] 0xE5[7:4]. */
		r[REG_CALIB_H + 3] = (uint8_t)(CAL_H4 >> 4);
		r[REG_CALIB_H + 4] = (uint8_t)((CAL_H4 & 0x0F) | (CAL_H5 & 0x0F) << 4);
		r[REG_CALIB_H + 5] = (uint8_t)(CAL_H5 >> 4);
		r[REG_CALIB_H + 6] = (uint8_t)CAL_H6;
	}
	r[REG_CHIP_ID] = d->chip_id;
}

/* Power-on / soft-reset state (datasheet 5.3 reset values). */
static void reset_regs(struct simdev *d)
{
	static const uint8_t data_reset[8] = { 0x80, 0, 0, 0x80, 0, 0, 0x80, 0 };

	d->regs[REG_CTRL_HUM] = 0;
	d->regs[REG_CTRL_MEAS] = 0;
	d->regs[REG_CONFIG] = 0;
	memcpy(d->regs + REG_DATA, data_reset, sizeof(data_reset));
	d->hum_latched = 0;
	d->busy_us = 0;
	d->nvm_reads = NVM_READS;
	load_nvm(d);
}

/* ---- inverting the compensation -------------------------------------- */

struct inv {
	const struct wx_bme280_calib *cal;
	int32_t t_fine;
	int which;	/* 0 T, 1 P, 2 H */
};

static double forward(const struct inv *v, int32_t adc)
{
	int32_t tf;

	switch (v->which) {
	case 0: return wx_bme280_temp_c(v->cal, adc, &tf);
	case 1: return -wx_bme280_pressure_hpa(v->cal, adc, v->t_fine);	/* rising */
	default: return wx_bme280_humidity_pct(v->cal, adc, v->t_fine);
	}
}

/* The adc value in [0, max] whose (non-decreasing) forward value is nearest
 * to target, never the chip's "skipped" code. */
static int32_t invert(const struct inv *v, double target, int32_t max, int32_t skipped)
{
	int32_t lo = 0, hi = max, best;

	while (lo < hi) {	/* smallest adc with forward(adc) >= target */
		int32_t mid = lo + (hi - lo) / 2;

		if (forward(v, mid) >= target)
			hi = mid;
		else
			lo = mid + 1;
	}
	best = lo;
	if (lo > 0 && target - forward(v, lo - 1) < forward(v, lo) - target)
		best = lo - 1;
	if (best == skipped)
		best = best > 0 ? best - 1 : best + 1;	/* one LSB off, never "skipped" */
	return best;
}

static void measure_world(struct simdev *d, int32_t *t, int32_t *p, int32_t *h)
{
	struct inv v = { .cal = &d->cal };
	double tc, ph, rh;
	int32_t t_fine;

	if (d->source == FIXED_RAW) {
		*t = d->raw_t, *p = d->raw_p, *h = d->raw_h;
		return;
	}
	if (d->source == FIXED_TARGET) {
		tc = d->tgt_t, ph = d->tgt_p, rh = d->tgt_h;
	} else {
		struct wx_sim_weather w;

		wx_sim_weather_at(d->sim, wx_clock_mono_ns(wx_sim_clock(d->sim)), &w);
		tc = w.temperature_c, ph = w.pressure_hpa, rh = w.humidity_pct;
	}
	v.which = 0;
	*t = invert(&v, tc, ADC20_MAX, WX_BME280_SKIPPED_TP);
	wx_bme280_temp_c(&d->cal, *t, &t_fine);
	v.t_fine = t_fine;
	v.which = 1;
	*p = invert(&v, -ph, ADC20_MAX, WX_BME280_SKIPPED_TP);
	v.which = 2;
	*h = d->has_humidity ? invert(&v, rh, ADC16_MAX, WX_BME280_SKIPPED_H)
			     : WX_BME280_SKIPPED_H;
}

/* ---- the register map ------------------------------------------------- */

static void put20(uint8_t *b, int32_t v)
{
	b[0] = (uint8_t)(v >> 12);
	b[1] = (uint8_t)(v >> 4);
	b[2] = (uint8_t)((v & 0x0F) << 4);
}

/* How long a forced conversion takes, for oversampling codes 0 (skipped)
 * to 5 (x16): midway between the datasheet's typical and maximum times
 * (9.1), as a chip that keeps to its datasheet but is not a fast one. */
static unsigned conversion_us(unsigned osrs_t, unsigned osrs_p, unsigned osrs_h)
{
	static const unsigned times[8] = { 0, 1, 2, 4, 8, 16, 16, 16 };
	unsigned typ = 1000 + 2000 * times[osrs_t & 7], max = 1250 + 2300 * times[osrs_t & 7];

	if (osrs_p & 7) {
		typ += 2000 * times[osrs_p & 7] + 500;
		max += 2300 * times[osrs_p & 7] + 575;
	}
	if (osrs_h & 7) {
		typ += 2000 * times[osrs_h & 7] + 500;
		max += 2300 * times[osrs_h & 7] + 575;
	}
	return (typ + max) / 2;
}

static void start_forced(struct simdev *d)
{
	uint8_t meas = d->regs[REG_CTRL_MEAS];
	unsigned osrs_t = (meas >> 5) & 7, osrs_p = (meas >> 2) & 7;
	int32_t t, p, h;

	measure_world(d, &t, &p, &h);
	/* An oversampling of 0 skips that quantity (datasheet 3.4). */
	if (!osrs_t || (d->faults & WX_SIM_BME280_SKIPPED))
		t = WX_BME280_SKIPPED_TP;
	if (!osrs_p || (d->faults & WX_SIM_BME280_SKIPPED))
		p = WX_BME280_SKIPPED_TP;
	if (!d->hum_latched || (d->faults & WX_SIM_BME280_SKIPPED))
		h = WX_BME280_SKIPPED_H;
	put20(d->pending + 0, p);
	put20(d->pending + 3, t);
	d->pending[6] = (uint8_t)(h >> 8);
	d->pending[7] = (uint8_t)h;
	d->last_t = t, d->last_p = p, d->last_h = h;
	d->busy_us = conversion_us(osrs_t, osrs_p, d->has_humidity ? d->hum_latched : 0);
	d->measurements++;
}

static void finish_forced(struct simdev *d)
{
	memcpy(d->regs + REG_DATA, d->pending, d->has_humidity ? 8 : 6);
	d->regs[REG_CTRL_MEAS] &= (uint8_t)~3u;	/* back to sleep mode */
}

static uint8_t read_status(struct simdev *d)
{
	uint8_t s = 0;

	d->status_reads++;
	if (d->busy_us || (d->faults & WX_SIM_BME280_STUCK_BUSY))
		s |= 0x08;
	if (d->nvm_reads || (d->faults & WX_SIM_BME280_STUCK_NVM))
		s |= 0x01;
	if (d->nvm_reads)
		d->nvm_reads--;
	return s;
}

static int fault_rc(const struct simdev *d)
{
	if (d->faults & WX_SIM_BME280_NACK)
		return -ENXIO;
	if (d->faults & WX_SIM_BME280_SHORT)
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
	for (size_t i = 0; i < len; i++) {
		unsigned r = reg + (unsigned)i;

		if (r == REG_STATUS)
			buf[i] = read_status(d);
		else if (r == REG_CHIP_ID && (d->faults & WX_SIM_BME280_WRONG_ID))
			buf[i] = WRONG_CHIP_ID;
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
	switch (reg) {
	case REG_RESET:
		if (val == 0xB6)	/* any other value is ignored */
			reset_regs(d);
		break;
	case REG_CTRL_HUM:
		if (d->has_humidity)	/* no such register on a BMP280 */
			d->regs[reg] = val & 7;
		break;
	case REG_CTRL_MEAS:
		d->regs[reg] = val;
		d->hum_latched = d->regs[REG_CTRL_HUM];
		if ((val & 3) == 1 || (val & 3) == 2)
			start_forced(d);
		break;
	case REG_CONFIG:
		d->regs[reg] = val;
		break;
	default:
		break;	/* read-only: ignored, as the chip does */
	}
	return 0;
}

static void sim_delay_us(struct wx_regbus *bus, unsigned us)
{
	struct simdev *d = dev_of(bus);

	wx_clock_device_delay(wx_sim_clock(d->sim), (int64_t)us * 1000);
	if (d->busy_us && !(d->faults & WX_SIM_BME280_STUCK_BUSY)) {
		d->busy_us = us < d->busy_us ? d->busy_us - us : 0;
		if (!d->busy_us)
			finish_forced(d);
	}
}

static void sim_close(struct wx_regbus *bus)
{
	if (bus)
		free(dev_of(bus));
}

struct wx_regbus *wx_sim_bme280_new(struct wx_sim *sim, uint8_t chip_id, int address)
{
	struct simdev *d = calloc(1, sizeof(*d));
	const struct wx_bmx280_variant *v = wx_bme280_variant_by_id(chip_id);
	uint8_t tp[WX_BME280_CALIB_TP_LEN];

	if (!d)
		return NULL;
	d->sim = sim;
	d->chip_id = chip_id;
	d->has_humidity = v ? v->has_humidity : false;
	snprintf(d->where, sizeof(d->where), "sim:i2c address 0x%02x", (unsigned)address);
	reset_regs(d);
	d->nvm_reads = 0;	/* powered up long ago */
	memcpy(tp, d->regs + REG_CALIB_TP, sizeof(tp));
	wx_bme280_parse_calib(tp, d->has_humidity ? d->regs + REG_CALIB_H : NULL, &d->cal);

	d->bus.where = d->where;
	d->bus.read = sim_read;
	d->bus.write = sim_write;
	d->bus.recv = NULL;
	d->bus.send = NULL;
	d->bus.delay_us = sim_delay_us;
	d->bus.close = sim_close;
	d->bus.ctx = d;
	return &d->bus;
}

void wx_sim_bme280_set_fault(struct wx_regbus *bus, unsigned faults)
{
	dev_of(bus)->faults = faults;
}

void wx_sim_bme280_set_raw(struct wx_regbus *bus, int32_t adc_t, int32_t adc_p, int32_t adc_h)
{
	struct simdev *d = dev_of(bus);

	d->source = FIXED_RAW;
	d->raw_t = adc_t, d->raw_p = adc_p, d->raw_h = adc_h;
}

void wx_sim_bme280_set_target(struct wx_regbus *bus, double temperature_c,
			      double pressure_hpa, double humidity_pct)
{
	struct simdev *d = dev_of(bus);

	d->source = FIXED_TARGET;
	d->tgt_t = temperature_c, d->tgt_p = pressure_hpa, d->tgt_h = humidity_pct;
}

void wx_sim_bme280_follow_world(struct wx_regbus *bus)
{
	dev_of(bus)->source = FOLLOW_WORLD;
}

void wx_sim_bme280_last_raw(struct wx_regbus *bus, int32_t *adc_t, int32_t *adc_p,
			    int32_t *adc_h)
{
	struct simdev *d = dev_of(bus);

	*adc_t = d->last_t, *adc_p = d->last_p, *adc_h = d->last_h;
}

unsigned wx_sim_bme280_measurements(struct wx_regbus *bus)
{
	return dev_of(bus)->measurements;
}

unsigned wx_sim_bme280_status_reads(struct wx_regbus *bus)
{
	return dev_of(bus)->status_reads;
}
