/* TE Connectivity (Measurement Specialties) HTU21D(F) digital relative
 * humidity and temperature sensor on I2C at 0x40, the Oracle Weather
 * Station HAT's humidity sensor.  No-hold-master measurements, CRC-8
 * checked; the pure formula functions take every input explicitly so that
 * the datasheet's examples are tests. */
#ifndef WX_HTU21D_H
#define WX_HTU21D_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/regbus.h"
#include "drivers/sensor.h"

#define WX_HTU21D_ADDRESS 0x40

/* The datasheet's CRC-8: polynomial x^8 + x^5 + x^4 + 1 (0x31), initial
 * value 0, no reflection, over len bytes.  Pure. */
uint8_t wx_htu21d_crc8(const uint8_t *data, size_t len);

/* Temperature in °C from the 16-bit word: -46.85 + 175.72 * S / 65536,
 * with the two status bits (bits 1..0) masked off.  Pure. */
double wx_htu21d_temp_c(uint16_t word);
/* Relative humidity in % from the 16-bit word, before compensation and
 * clamping: -6 + 125 * S / 65536, status bits masked.  Pure. */
double wx_htu21d_humidity_raw_pct(uint16_t word);
/* The datasheet's temperature compensation, RH + (25 - T) * -0.15,
 * clamped to 0..100 %.  Pure. */
double wx_htu21d_humidity_comp_pct(double rh_pct, double temp_c);

struct wx_htu21d_reading {
	double temperature_c;
	double humidity_pct;	/* compensated and clamped */
};

struct wx_htu21d;

/* Soft-reset the chip on bus (taken over: wx_htu21d_close() closes it, and
 * so does a failed open) and wait the 15 ms it needs.  bus must have send and
 * recv.  A handle, or NULL with errno set (ENXIO no reply, EOPNOTSUPP,
 * ENOMEM) and one line in err naming the bus and address. */
struct wx_htu21d *wx_htu21d_open(struct wx_regbus *bus, char *err, size_t errlen);

/* Measure temperature, then humidity (compensated with that temperature).
 * 0, or -errno with one line in err: -ENXIO (no reply to the command),
 * -ETIMEDOUT (still NACKing after twice the datasheet conversion time),
 * -EBADMSG (CRC mismatch), -EIO.  A failure is never a value. */
int wx_htu21d_read(struct wx_htu21d *dev, struct wx_htu21d_reading *out,
		   char *err, size_t errlen);

/* Close dev's bus and free dev (NULL is fine). */
void wx_htu21d_close(struct wx_htu21d *dev);

/* The sensor driver: section [htu21d], sampled; fills humidity_pct, and
 * temperature_c only when [station] air_temperature = htu21d. */
extern const struct wx_sensor_driver wx_htu21d_driver;

/* [htu21d]: the Oracle HAT's humidity (and temperature). */
struct wx_htu21d_config {
	bool enabled;
	char bus[WX_PATH_LEN];
	int address;
};
#define WX_HTU21D_CONFIG(cfg) WX_SENSOR_CONFIG(cfg, wx_htu21d_driver, struct wx_htu21d_config)

#endif
