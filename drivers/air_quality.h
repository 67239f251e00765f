/* The Oracle Weather Station HAT's air-quality board: a Figaro TGS2600
 * gas sensor read through an MCP3427 (0x6A on the HAT), reported as the
 * kit reported it: a relative percentage, not a concentration
 * (hardware/oracle-hat.md says what it does and does not mean). */
#ifndef WX_AIR_QUALITY_H
#define WX_AIR_QUALITY_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/sensor.h"

/* The kit's figure (tgs2600.py): 100 * (32767 - raw) / 32767, where raw is
 * the MCP3427's 16-bit code; a negative code counts as 0 (100 %).  Higher
 * means a lower sensor output.  Pure. */
double wx_air_quality_pct(int16_t raw);

/* The sensor driver: section [air_quality], sampled, fills air_quality_pct;
 * opens the MCP3427 at its section's bus and address through env's bus
 * provider. */
extern const struct wx_sensor_driver wx_air_quality_driver;

/* [air_quality]: the Oracle HAT's TGS2600 behind an MCP3427. */
struct wx_air_quality_config {
	bool enabled;
	char bus[WX_PATH_LEN];
	int address;
	int channel;
};
#define WX_AIR_QUALITY_CONFIG(cfg) \
	WX_SENSOR_CONFIG(cfg, wx_air_quality_driver, struct wx_air_quality_config)

#endif
