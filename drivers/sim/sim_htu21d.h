/* A simulated HTU21D at the register-bus interface (send/recv): `wxd
 * --sim` and the tests run the real htu21d.c over it.  It measures the
 * simulated world, NACKs while converting, and has fault switches. */
#ifndef WX_SIM_HTU21D_H
#define WX_SIM_HTU21D_H

#include <stdint.h>

#include "drivers/regbus.h"
#include "drivers/sim/sim.h"

enum {
	WX_SIM_HTU21D_NACK = 1u << 0,		/* nothing answers: -ENXIO */
	WX_SIM_HTU21D_BAD_CRC = 1u << 1,	/* the CRC byte is corrupted */
	WX_SIM_HTU21D_STUCK = 1u << 2,		/* conversions never end (NACK forever) */
	WX_SIM_HTU21D_SHORT = 1u << 4,		/* every transfer is short: -EIO */
};

/* A chip at the 7-bit address (for where: "sim:i2c address 0x40")
 * measuring sim's world (not owned).  Returns the bus, freed by its
 * close(), or NULL with errno set. */
struct wx_regbus *wx_sim_htu21d_new(struct wx_sim *sim, int address);

void wx_sim_htu21d_set_fault(struct wx_regbus *bus, unsigned faults);
/* Answer these 16-bit words (status bits as given) instead of measuring
 * the world; set_target measures these values instead. */
void wx_sim_htu21d_set_raw(struct wx_regbus *bus, uint16_t temp_word, uint16_t hum_word);
void wx_sim_htu21d_set_target(struct wx_regbus *bus, double temperature_c, double humidity_pct);
/* How long conversions take (default: the datasheet's typical 44 ms and
 * 14 ms); a slower chip makes the driver poll. */
void wx_sim_htu21d_set_conversion_us(struct wx_regbus *bus, unsigned temp_us, unsigned hum_us);
/* Measurement commands received so far, and soft resets. */
unsigned wx_sim_htu21d_measurements(struct wx_regbus *bus);
unsigned wx_sim_htu21d_resets(struct wx_regbus *bus);

#endif
