/* A simulated MCP3427 at the register-bus interface (send/recv only, as
 * the chip has no register pointer), so that `wxd --sim` and the tests run
 * the real mcp3427.c, vane.c and air_quality.c over it.  Each of its two
 * inputs is wired to the wind vane (behind the HAT's divider), to the
 * TGS2600 air-quality sensor, to a fixed voltage, or to nothing (0 V). */
#ifndef WX_SIM_MCP3427_H
#define WX_SIM_MCP3427_H

#include "drivers/regbus.h"
#include "drivers/sim/sim.h"
#include "drivers/vane.h"

/* Fault switches (bits, combined with |). */
enum {
	WX_SIM_MCP3427_NACK = 1u << 0,		/* nothing answers: -ENXIO */
	WX_SIM_MCP3427_STUCK = 1u << 1,		/* RDY never clears */
	WX_SIM_MCP3427_SHORT = 1u << 2,		/* every transfer is short: -EIO */
	WX_SIM_MCP3427_BAD_ECHO = 1u << 3,	/* configuration byte echoed wrong */
	WX_SIM_MCP3427_VANE_OPEN = 1u << 4,	/* vane cable open: the pull-up takes
						 * the input to vin (over full scale) */
};

/* A chip at the 7-bit address (for where: "sim:i2c address 0x69") with
 * both inputs at 0 V; sim is not owned.  Returns the bus, freed by its
 * close(), or NULL with errno set. */
struct wx_regbus *wx_sim_mcp3427_new(struct wx_sim *sim, int address);

/* Wire channel to the HAT's vane: the lower leg of the HAT's own divider
 * (WX_ORACLE_HAT_VANE_DIVIDER_OHM pull-up from WX_ORACLE_HAT_VANE_VIN,
 * drivers/vane.h), whatever cfg's vin and divider_ohm say, as on the real
 * board; pointing at the world's wind direction less cfg's
 * north_offset_deg, snapped to the nearest position. */
void wx_sim_mcp3427_wire_vane(struct wx_regbus *bus, int channel,
			      const struct wx_windvane_config *cfg);
/* Wire channel to a TGS2600 whose output follows the world's
 * air_quality_pct the way the kit read it (code = 32767 * (1 - pct/100)). */
void wx_sim_mcp3427_wire_air_quality(struct wx_regbus *bus, int channel);
/* Hold channel at volts (a NaN goes back to its wiring). */
void wx_sim_mcp3427_set_volts(struct wx_regbus *bus, int channel, double volts);
/* Hold the vane at angle_deg as marked (snapped); negative: follow the world. */
void wx_sim_mcp3427_fix_angle(struct wx_regbus *bus, double angle_deg);
/* Replace the fault switches (0: none). */
void wx_sim_mcp3427_set_fault(struct wx_regbus *bus, unsigned faults);
/* Conversions started so far. */
unsigned wx_sim_mcp3427_conversions(struct wx_regbus *bus);

#endif
