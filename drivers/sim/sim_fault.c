#include "drivers/sim/sim_fault.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/core/clock.h"

#define CHATTER_NS (1 * WX_NS_PER_MS)

struct wrap {
	struct wx_sim *sim;
	const char *sensor;	/* a driver's name: static storage */
	union {
		struct wx_regbus *reg;
		struct wx_w1bus *w1;
		struct wx_spibus *spi;
		struct wx_edgebus *edge;
	} in;
	union {
		struct wx_regbus reg;
		struct wx_w1bus w1;
		struct wx_spibus spi;
		struct wx_edgebus edge;
	} out;
	int64_t chatter_ns;	/* the last chatter edge made up */
};

static enum wx_sim_fault fault(const struct wrap *w)
{
	return wx_sim_get_fault(w->sim, w->sensor);
}

static struct wrap *wrap_new(struct wx_sim *sim, const char *sensor, void *inner)
{
	struct wrap *w;

	if (!inner)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->sim = sim;
	w->sensor = sensor;
	return w;
}

/* ---- register buses: gone = NACK, bad = short transfer ----------------- */

static int reg_fault(const struct wrap *w)
{
	switch (fault(w)) {
	case WX_SIM_FAULT_GONE: return -ENXIO;
	case WX_SIM_FAULT_BAD: return -EIO;
	default: return 0;
	}
}

static int reg_read(struct wx_regbus *bus, uint8_t reg, uint8_t *buf, size_t len)
{
	struct wrap *w = bus->ctx;
	int rc = reg_fault(w);

	return rc ? rc : w->in.reg->read(w->in.reg, reg, buf, len);
}

static int reg_write(struct wx_regbus *bus, uint8_t reg, uint8_t val)
{
	struct wrap *w = bus->ctx;
	int rc = reg_fault(w);

	return rc ? rc : w->in.reg->write(w->in.reg, reg, val);
}

static int reg_recv(struct wx_regbus *bus, uint8_t *buf, size_t len)
{
	struct wrap *w = bus->ctx;
	int rc = reg_fault(w);

	return rc ? rc : w->in.reg->recv(w->in.reg, buf, len);
}

static int reg_send(struct wx_regbus *bus, const uint8_t *buf, size_t len)
{
	struct wrap *w = bus->ctx;
	int rc = reg_fault(w);

	return rc ? rc : w->in.reg->send(w->in.reg, buf, len);
}

static void reg_delay(struct wx_regbus *bus, unsigned us)
{
	struct wrap *w = bus->ctx;

	w->in.reg->delay_us(w->in.reg, us);
}

static void reg_close(struct wx_regbus *bus)
{
	struct wrap *w = bus->ctx;

	w->in.reg->close(w->in.reg);
	free(w);
}

struct wx_regbus *wx_sim_fault_regbus(struct wx_regbus *inner, struct wx_sim *sim,
				      const char *sensor)
{
	struct wrap *w = wrap_new(sim, sensor, inner);

	if (!w) {
		if (inner)
			inner->close(inner);
		return NULL;
	}
	w->in.reg = inner;
	w->out.reg = (struct wx_regbus){
		.where = inner->where, .read = reg_read, .write = reg_write,
		.recv = inner->recv ? reg_recv : NULL, .send = inner->send ? reg_send : NULL,
		.delay_us = reg_delay, .close = reg_close, .ctx = w,
	};
	return &w->out.reg;
}

/* ---- 1-wire: gone = device missing, bad = CRC check says NO ------------ */

static int w1_find(struct wx_w1bus *bus, const char *family, char *name, size_t len)
{
	struct wrap *w = bus->ctx;

	if (fault(w) == WX_SIM_FAULT_GONE)
		return -ENOENT;
	return w->in.w1->find(w->in.w1, family, name, len);
}

static int w1_read(struct wx_w1bus *bus, const char *device, char *buf, size_t len)
{
	struct wrap *w = bus->ctx;
	enum wx_sim_fault f = fault(w);
	char *yes;
	int n;

	if (f == WX_SIM_FAULT_GONE)
		return -ENOENT;
	n = w->in.w1->read_slave(w->in.w1, device, buf, len);
	if (n > 0 && f == WX_SIM_FAULT_BAD && (yes = strstr(buf, " YES"))) {
		/* The kernel's "crc=xx NO": one character shorter. */
		memmove(yes + 3, yes + 4, strlen(yes + 4) + 1);
		memcpy(yes, " NO", 3);
		n--;
	}
	return n;
}

static void w1_close(struct wx_w1bus *bus)
{
	struct wrap *w = bus->ctx;

	w->in.w1->close(w->in.w1);
	free(w);
}

struct wx_w1bus *wx_sim_fault_w1bus(struct wx_w1bus *inner, struct wx_sim *sim, const char *sensor)
{
	struct wrap *w = wrap_new(sim, sensor, inner);

	if (!w) {
		if (inner)
			inner->close(inner);
		return NULL;
	}
	w->in.w1 = inner;
	w->out.w1 = (struct wx_w1bus){
		.where = inner->where, .find = w1_find, .read_slave = w1_read, .close = w1_close,
		.ctx = w,
	};
	return &w->out.w1;
}

/* ---- SPI ADC: gone = input at 0 V (vane cable off), bad = garbage ------- */

static int spi_transfer(struct wx_spibus *bus, const uint8_t *tx, uint8_t *rx, size_t len)
{
	struct wrap *w = bus->ctx;
	enum wx_sim_fault f = fault(w);
	int rc = w->in.spi->transfer(w->in.spi, tx, rx, len);

	if (rc == 0 && f == WX_SIM_FAULT_GONE)
		memset(rx, 0, len);
	else if (rc == 0 && f == WX_SIM_FAULT_BAD)
		memset(rx, 0xff, len);
	return rc;
}

static void spi_close(struct wx_spibus *bus)
{
	struct wrap *w = bus->ctx;

	w->in.spi->close(w->in.spi);
	free(w);
}

struct wx_spibus *wx_sim_fault_spibus(struct wx_spibus *inner, struct wx_sim *sim,
				      const char *sensor)
{
	struct wrap *w = wrap_new(sim, sensor, inner);

	if (!w) {
		if (inner)
			inner->close(inner);
		return NULL;
	}
	w->in.spi = inner;
	w->out.spi = (struct wx_spibus){
		.where = inner->where, .transfer = spi_transfer, .close = spi_close, .ctx = w,
	};
	return &w->out.spi;
}

/* ---- edges: gone = line lost, stuck = none, chatter = 1 kHz ------------- */

static int edge_read(struct wx_edgebus *bus, int64_t until_ns, int64_t *ts, size_t max)
{
	struct wrap *w = bus->ctx;
	enum wx_sim_fault f = fault(w);
	int n;

	if (f == WX_SIM_FAULT_GONE)
		return -EIO;
	/* The world's edges are always taken, so that time moves on inside
	 * the simulated line whatever the switch does. */
	n = w->in.edge->read(w->in.edge, until_ns, ts, max);
	bus->lost = w->in.edge->lost;
	if (n < 0 || f == WX_SIM_FAULT_NONE || f == WX_SIM_FAULT_BAD)
		return n;
	if (f == WX_SIM_FAULT_STUCK)
		return 0;
	/* Chatter: an edge every millisecond, instead of the world's. */
	if (w->chatter_ns < until_ns - WX_NS_PER_S)
		w->chatter_ns = until_ns - WX_NS_PER_S;
	n = 0;
	while ((size_t)n < max && w->chatter_ns + CHATTER_NS <= until_ns) {
		w->chatter_ns += CHATTER_NS;
		ts[n++] = w->chatter_ns;
	}
	return n;
}

static void edge_close(struct wx_edgebus *bus)
{
	struct wrap *w = bus->ctx;

	w->in.edge->close(w->in.edge);
	free(w);
}

struct wx_edgebus *wx_sim_fault_edgebus(struct wx_edgebus *inner, struct wx_sim *sim,
					const char *sensor)
{
	struct wrap *w;

	if (inner && wx_sim_get_fault(sim, sensor) == WX_SIM_FAULT_GONE) {
		inner->close(inner);
		errno = EBUSY;
		return NULL;
	}
	w = wrap_new(sim, sensor, inner);
	if (!w) {
		if (inner)
			inner->close(inner);
		return NULL;
	}
	w->in.edge = inner;
	w->out.edge = (struct wx_edgebus){
		.where = inner->where, .fd = inner->fd, .depth = inner->depth, .read = edge_read,
		.close = edge_close, .ctx = w,
	};
	return &w->out.edge;
}
