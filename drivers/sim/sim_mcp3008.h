/* A simulated MCP3008 with the wind vane on one channel, as struct
 * wx_spibus: `wxd --sim` and the tests run the real mcp3008.c and vane.c
 * over it. */
#ifndef WX_SIM_MCP3008_H
#define WX_SIM_MCP3008_H

#include "drivers/sim/sim.h"
#include "drivers/spibus.h"
#include "drivers/vane.h"

enum wx_sim_mcp3008_fault {
	WX_SIM_MCP3008_OK,
	WX_SIM_MCP3008_VANE_UNPLUGGED,	/* vane cable open: the divider pulls the input to 0 V */
	WX_SIM_MCP3008_DIVIDER_OPEN,	/* divider resistor missing: the input sits at vin */
	WX_SIM_MCP3008_GARBAGE,		/* replies that break the framing (null bit set) */
};

/* An MCP3008 whose channel vane->channel carries the vane (through
 * vane->divider_ohm from vane->vin, VREF = vin) pointing at the world's wind
 * direction less vane->north_offset_deg, snapped to the nearest of the 16
 * positions, with up to 1 LSB of noise; the other channels read 0.  sim is
 * not owned.  NULL with errno set on allocation failure.  Free with
 * bus->close(bus). */
struct wx_spibus *wx_sim_mcp3008_new(struct wx_sim *sim, const struct wx_windvane_config *vane);

/* Stage a fault (WX_SIM_MCP3008_OK clears it). */
void wx_sim_mcp3008_set_fault(struct wx_spibus *bus, enum wx_sim_mcp3008_fault fault);

/* Hold the vane at angle_deg as marked on the vane (snapped to a position)
 * instead of following the world; a negative angle follows the world again. */
void wx_sim_mcp3008_fix_angle(struct wx_spibus *bus, double angle_deg);

/* Turn ADC noise off (true) or on, for tests that check exact codes. */
void wx_sim_mcp3008_quiet(struct wx_spibus *bus, bool quiet);

#endif
