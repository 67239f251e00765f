/* Simulated GPIO edges: the anemometer and the rain gauge of the simulated
 * world, with contact bounce and the kernel's event buffer.
 *
 * The bus (struct wx_edgebus, fd = -1) generates falling edges as a
 * deterministic function of station time: a closure rate from the world
 * is integrated on a fixed grid (10 ms by default) with a carried phase, so a constant
 * rate gives the exact count however often the bus is read.  Each read
 * delivers the edges up to until_ns (the caller passes the clock's now)
 * through a model of the GPIO character device's event FIFO: at most
 * params.fifo edges (times the clock's speed when it runs faster than real
 * time) wait between reads; later ones are dropped and counted in
 * bus->lost, as on a Pi whose reader stalls. */
#ifndef WX_SIM_EDGES_H
#define WX_SIM_EDGES_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/edgebus.h"
#include "drivers/sim/sim.h"
#include "firmware/core/clock.h"

/* Linux gpiolib-cdev: the v1 line-event request has a kfifo of 16 events
 * (DECLARE_KFIFO(events, struct gpioevent_data, 16)); the v2 line request
 * defaults to 16 events per line. */
#define WX_SIM_EDGES_FIFO 16
/* The simulated world's anemometer and rain gauge have the buffer that both
 * real transports request (drivers/gpio_msg.h, WX_GPIO_V2_EVENT_BUFFER), so
 * that wxd --sim reads them as it reads a real line. */
#define WX_SIM_EDGES_WORLD_FIFO 1024

/* Closures per second at station time t_ns. */
typedef double (*wx_sim_edges_rate_fn)(void *arg, int64_t t_ns);

struct wx_sim_edges_params {
	struct wx_clock *clock;		/* station time at creation starts the stream */
	const char *where;		/* copied; "sim anemometer" */
	wx_sim_edges_rate_fn rate;
	void *arg;
	int64_t step_ns;		/* integration step; 0 = 10 ms */			/* for rate; not owned, must outlive the bus */
	bool bounce;			/* add 1-4 bounce edges after each closure */
	int64_t bounce_min_ns, bounce_max_ns;	/* their delay after the closure */
	uint64_t seed, stream;		/* for wx_sim_hash01 (bounce, start phase) */
	size_t fifo;			/* the kernel's buffer; 0 = WX_SIM_EDGES_FIFO */
};

/* A simulated edge bus for p.  NULL with errno set (EINVAL, ENOMEM).
 * bus->close() frees it. */
struct wx_edgebus *wx_sim_edges_new(const struct wx_sim_edges_params *p);

/* The anemometer of sim: closure rate = wind_kmh / kmh_per_hz (20 ms steps:
 * the wind model's fastest change takes 3 s), bounce 0.3-1.5 ms when
 * [sim] bounce.  sim must outlive the bus. */
struct wx_edgebus *wx_sim_edges_new_wind(struct wx_sim *sim, double kmh_per_hz);

/* The rain gauge of sim: tip rate = rain_mm_h / mm_per_tip / 3600 (250 ms
 * steps), bounce 1-5 ms when [sim] bounce. */
struct wx_edgebus *wx_sim_edges_new_rain(struct wx_sim *sim, double mm_per_tip);

/* A precise stream of hz closures per second from the clock's now (tests,
 * the daemon's rate checks; 10 ms steps), with seed-0 bounce of 0.3-1.5 ms
 * if asked. */
struct wx_edgebus *wx_sim_edges_new_fixed(struct wx_clock *clock, double hz, bool bounce);

#endif
