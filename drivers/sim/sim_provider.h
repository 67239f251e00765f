/* The simulated bus provider (--sim and the tests): see drivers/buses.h. */
#ifndef WX_SIM_PROVIDER_H
#define WX_SIM_PROVIDER_H

#include "drivers/buses.h"

extern const struct wx_bus_provider wx_sim_buses;

#endif
