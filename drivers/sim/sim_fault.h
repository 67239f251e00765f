/* Fault wrappers for simulated buses: each passes through to the simulated
 * device it wraps, unless the world's fault board (sim.h) says the sensor
 * is gone or misbehaving, in which case it fails the way the real bus does:
 * a NACK, a missing 1-wire device, an open-circuit ADC input, a lost GPIO
 * line, a switch stuck or chattering.  The real driver code sees it all. */
#ifndef WX_SIM_FAULT_H
#define WX_SIM_FAULT_H

#include "drivers/edgebus.h"
#include "drivers/regbus.h"
#include "drivers/sim/sim.h"
#include "drivers/spibus.h"
#include "drivers/w1bus.h"

/* Each takes ownership of inner (closing the wrapper closes it) and returns
 * the wrapper, or NULL with errno set (inner NULL: errno as left; the
 * edge wrapper also fails with EBUSY, like a line held by another program,
 * while its sensor is gone). */
struct wx_regbus *wx_sim_fault_regbus(struct wx_regbus *inner, struct wx_sim *sim,
				      const char *sensor);
struct wx_w1bus *wx_sim_fault_w1bus(struct wx_w1bus *inner, struct wx_sim *sim,
				    const char *sensor);
struct wx_spibus *wx_sim_fault_spibus(struct wx_spibus *inner, struct wx_sim *sim,
				      const char *sensor);
struct wx_edgebus *wx_sim_fault_edgebus(struct wx_edgebus *inner, struct wx_sim *sim,
					const char *sensor);

#endif
