/* A simulated BMP180 at the register-bus interface: a register map with
 * the datasheet example's calibration words that measures the simulated
 * world, so `wxd --sim` and the tests run the real bmp180.c. */
#ifndef WX_SIM_BMP180_H
#define WX_SIM_BMP180_H

#include <stdint.h>

#include "drivers/regbus.h"
#include "drivers/sim/sim.h"

enum {
	WX_SIM_BMP180_NACK = 1u << 0,		/* nothing answers: -ENXIO */
	WX_SIM_BMP180_WRONG_ID = 1u << 1,	/* chip id reads 0x58 (a BMP280) */
	WX_SIM_BMP180_STUCK = 1u << 2,		/* SCO never clears */
	WX_SIM_BMP180_BLANK_EEPROM = 1u << 3,	/* calibration reads 0xFF.. */
	WX_SIM_BMP180_SHORT = 1u << 4,		/* every transfer is short: -EIO */
};

/* A chip at the 7-bit address (for where: "sim:i2c address 0x77")
 * measuring sim's world (not owned).  Returns the bus, freed by its
 * close(), or NULL with errno set. */
struct wx_regbus *wx_sim_bmp180_new(struct wx_sim *sim, int address);

void wx_sim_bmp180_set_fault(struct wx_regbus *bus, unsigned faults);
/* Report these uncompensated values (UT 16 bit, UP at the oss asked for)
 * instead of measuring the world; set_target measures these values. */
void wx_sim_bmp180_set_raw(struct wx_regbus *bus, int32_t ut, int32_t up);
void wx_sim_bmp180_set_target(struct wx_regbus *bus, double temperature_c, double pressure_hpa);
/* The oversampling of the last pressure conversion, and conversions so far. */
int wx_sim_bmp180_last_oss(struct wx_regbus *bus);
unsigned wx_sim_bmp180_conversions(struct wx_regbus *bus);

#endif
