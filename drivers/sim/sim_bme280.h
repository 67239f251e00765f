/* A simulated BME280 / BMP280 at the register-bus interface: a register map
 * with factory-like calibration that measures the simulated world, so that
 * `wxd --sim` and the tests run the real bme280.c.  Faults can be switched
 * on to exercise every error path. */
#ifndef WX_SIM_BME280_H
#define WX_SIM_BME280_H

#include <stdint.h>

#include "drivers/regbus.h"
#include "drivers/sim/sim.h"

/* Fault switches (bits, combined with |). */
enum {
	WX_SIM_BME280_NACK = 1u << 0,		/* nothing answers: -ENXIO */
	WX_SIM_BME280_WRONG_ID = 1u << 1,	/* chip id reads 0x61 (a BME680) */
	WX_SIM_BME280_STUCK_BUSY = 1u << 2,	/* status "measuring" never clears */
	WX_SIM_BME280_SKIPPED = 1u << 3,	/* data read 0x80000 / 0x8000 */
	WX_SIM_BME280_SHORT = 1u << 4,		/* every transfer is short: -EIO */
	WX_SIM_BME280_STUCK_NVM = 1u << 5,	/* status "im_update" never clears */
};

/* A simulated chip with id chip_id (0x60 BME280, 0x56..0x58 BMP280, or any
 * other id to stage a wrong chip) measuring sim's world (not owned) at the
 * 7-bit address (used in where: "sim:i2c address 0x76").  Returns the bus,
 * freed by its close(), or NULL with errno set. */
struct wx_regbus *wx_sim_bme280_new(struct wx_sim *sim, uint8_t chip_id, int address);

/* Replace the fault switches of a bus from wx_sim_bme280_new (0: none). */
void wx_sim_bme280_set_fault(struct wx_regbus *bus, unsigned faults);

/* From the next measurement on, report these raw ADC values (20-bit T and
 * P, 16-bit H) instead of measuring the world. */
void wx_sim_bme280_set_raw(struct wx_regbus *bus, int32_t adc_t, int32_t adc_p, int32_t adc_h);

/* From the next measurement on, measure these values instead of the world
 * (humidity is ignored by a BMP280). */
void wx_sim_bme280_set_target(struct wx_regbus *bus, double temperature_c,
			      double pressure_hpa, double humidity_pct);

/* Go back to measuring the world. */
void wx_sim_bme280_follow_world(struct wx_regbus *bus);

/* The raw ADC values of the last measurement (T, P, H), for tests. */
void wx_sim_bme280_last_raw(struct wx_regbus *bus, int32_t *adc_t, int32_t *adc_p,
			    int32_t *adc_h);

/* Number of forced measurements started so far. */
unsigned wx_sim_bme280_measurements(struct wx_regbus *bus);

/* Number of status register reads so far (a driver that polls shows here). */
unsigned wx_sim_bme280_status_reads(struct wx_regbus *bus);

#endif
