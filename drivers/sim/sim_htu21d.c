/* Simulated TE Connectivity HTU21D(F) seen through struct wx_regbus.
 *
 * A one-byte command 0xF3 / 0xF5 starts a no-hold measurement; reads are
 * NACKed (-ENXIO) until the conversion time has been spent in this bus's
 * delay_us, then answer MSB, LSB (status bits included) and the CRC, once.
 * 0xFE resets; commands within 15 ms of a reset are NACKed, as the chip
 * is still starting.  The words are found by inverting the datasheet's
 * formulas, compensation included, so the driver reads back the world. */
#include "drivers/sim/sim_htu21d.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "drivers/htu21d.h"

enum { IDLE, MEASURING_T, MEASURING_H, RESULT };

struct simdev {
	struct wx_regbus bus;
	char where[48];
	struct wx_sim *sim;
	unsigned faults;
	int state;
	bool humidity;			/* what the pending result is */
	unsigned long elapsed_us;	/* since the command (or reset) */
	unsigned long since_reset_us;
	unsigned temp_us, hum_us;
	enum { WORLD, RAW, TARGET } source;
	uint16_t raw_t, raw_h;
	double tgt_t, tgt_h;
	uint8_t result[3];
	unsigned measurements, resets;
};

static int sim_recv(struct wx_regbus *bus, uint8_t *buf, size_t len);

static struct simdev *dev_of(struct wx_regbus *bus)
{
	assert(bus && bus->recv == sim_recv);
	return bus->ctx;
}

static uint16_t word_of(double s, unsigned status)
{
	long v = lround(s);

	v = v < 0 ? 0 : v > 0xFFFF ? 0xFFFF : v;
	return (uint16_t)(((unsigned)v & 0xFFFCu) | status);
}

static void values(struct simdev *d, double *t, double *rh)
{
	struct wx_sim_weather w;

	if (d->source == TARGET) {
		*t = d->tgt_t, *rh = d->tgt_h;
		return;
	}
	wx_sim_weather_at(d->sim, wx_clock_mono_ns(wx_sim_clock(d->sim)), &w);
	*t = w.temperature_c, *rh = w.humidity_pct;
}

static void make_result(struct simdev *d)
{
	double t, rh, rh_raw;
	uint16_t word;

	if (d->source == RAW) {
		word = d->humidity ? d->raw_h : d->raw_t;
	} else {
		values(d, &t, &rh);
		/* Undo RHcomp = RH + (25 - T) * -0.15. */
		rh_raw = rh + 0.15 * (25 - t);
		word = d->humidity ? word_of((rh_raw + 6) * 65536 / 125, 0x2)
				   : word_of((t + 46.85) * 65536 / 175.72, 0x0);
	}
	d->result[0] = (uint8_t)(word >> 8);
	d->result[1] = (uint8_t)word;
	d->result[2] = wx_htu21d_crc8(d->result, 2);
	if (d->faults & WX_SIM_HTU21D_BAD_CRC)
		d->result[2] ^= 0x5A;
}

static int fault_rc(const struct simdev *d)
{
	if (d->faults & WX_SIM_HTU21D_NACK)
		return -ENXIO;
	if (d->faults & WX_SIM_HTU21D_SHORT)
		return -EIO;
	return 0;
}

static int sim_send(struct wx_regbus *bus, const uint8_t *buf, size_t len)
{
	struct simdev *d = dev_of(bus);
	int rc = fault_rc(d);

	if (rc)
		return rc;
	if (len != 1 || d->since_reset_us < 15000)
		return -ENXIO;
	switch (buf[0]) {
	case 0xFE:
		d->state = IDLE;
		d->since_reset_us = 0;
		d->resets++;
		return 0;
	case 0xF3:
	case 0xF5:
		d->humidity = buf[0] == 0xF5;
		d->state = d->humidity ? MEASURING_H : MEASURING_T;
		d->elapsed_us = 0;
		d->measurements++;
		return 0;
	default:
		return -ENXIO;	/* a command this simulation does not know */
	}
}

static int sim_recv(struct wx_regbus *bus, uint8_t *buf, size_t len)
{
	struct simdev *d = dev_of(bus);
	int rc = fault_rc(d);
	unsigned need;

	if (rc)
		return rc;
	if (d->state == MEASURING_T || d->state == MEASURING_H) {
		need = d->state == MEASURING_H ? d->hum_us : d->temp_us;
		if ((d->faults & WX_SIM_HTU21D_STUCK) || d->elapsed_us < need)
			return -ENXIO;
		make_result(d);
		d->state = RESULT;
	}
	if (d->state != RESULT)
		return -ENXIO;
	for (size_t i = 0; i < len; i++)
		buf[i] = i < 3 ? d->result[i] : 0xFF;
	d->state = IDLE;
	return 0;
}

static int sim_read(struct wx_regbus *bus, uint8_t reg, uint8_t *buf, size_t len)
{
	(void)bus, (void)reg, (void)buf, (void)len;
	return -ENXIO;	/* the driver never uses register reads on this chip */
}

static int sim_write(struct wx_regbus *bus, uint8_t reg, uint8_t val)
{
	(void)bus, (void)reg, (void)val;
	return -ENXIO;
}

static void sim_delay_us(struct wx_regbus *bus, unsigned us)
{
	struct simdev *d = dev_of(bus);

	d->elapsed_us += us;
	d->since_reset_us += us;
	wx_clock_device_delay(wx_sim_clock(d->sim), (int64_t)us * 1000);
}

static void sim_close(struct wx_regbus *bus)
{
	if (bus)
		free(dev_of(bus));
}

struct wx_regbus *wx_sim_htu21d_new(struct wx_sim *sim, int address)
{
	struct simdev *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->sim = sim;
	d->since_reset_us = 1000000;	/* powered up long ago */
	d->temp_us = 44000;
	d->hum_us = 14000;
	snprintf(d->where, sizeof(d->where), "sim:i2c address 0x%02x", (unsigned)address);
	d->bus = (struct wx_regbus){
		.where = d->where, .read = sim_read, .write = sim_write, .recv = sim_recv,
		.send = sim_send, .delay_us = sim_delay_us, .close = sim_close, .ctx = d,
	};
	return &d->bus;
}

void wx_sim_htu21d_set_fault(struct wx_regbus *bus, unsigned faults)
{
	dev_of(bus)->faults = faults;
}

void wx_sim_htu21d_set_raw(struct wx_regbus *bus, uint16_t temp_word, uint16_t hum_word)
{
	struct simdev *d = dev_of(bus);

	d->source = RAW;
	d->raw_t = temp_word, d->raw_h = hum_word;
}

void wx_sim_htu21d_set_target(struct wx_regbus *bus, double temperature_c, double humidity_pct)
{
	struct simdev *d = dev_of(bus);

	d->source = TARGET;
	d->tgt_t = temperature_c, d->tgt_h = humidity_pct;
}

void wx_sim_htu21d_set_conversion_us(struct wx_regbus *bus, unsigned temp_us, unsigned hum_us)
{
	struct simdev *d = dev_of(bus);

	d->temp_us = temp_us, d->hum_us = hum_us;
}

unsigned wx_sim_htu21d_measurements(struct wx_regbus *bus)
{
	return dev_of(bus)->measurements;
}

unsigned wx_sim_htu21d_resets(struct wx_regbus *bus)
{
	return dev_of(bus)->resets;
}
