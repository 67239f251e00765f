/* The anemometer and the tipping-bucket rain gauge: their config sections,
 * their plausibility caps, and their driver rows wx_anemometer_driver and
 * wx_rain_driver (drivers/sensor.h), which hand out an edge bus and set up
 * its debounce (drivers/debounce.h).  The counting state lives with the
 * caller (the daemon); km/h, mm and gusts are firmware/windrain.h's. */
#ifndef WX_PULSE_H
#define WX_PULSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware/core/config.h"

/* Plausibility caps: faster edge streams are a faulty switch, not weather.
 * 250 km/h is above any gust a school roof will see (and above what a
 * cup anemometer survives); 1800 mm/h is the 1-minute world record
 * (about 31 mm in a minute). */
#define WX_PULSE_WIND_MAX_KMH	250.0
#define WX_PULSE_RAIN_MAX_MM_H	1800.0

/* Closures per second for a plausibility cap: the anemometer's for
 * WX_PULSE_WIND_MAX_KMH, the rain gauge's for WX_PULSE_RAIN_MAX_MM_H
 * (0 when the calibration is not positive: no cap). */
double wx_pulse_wind_max_hz(double kmh_per_hz);
double wx_pulse_rain_max_hz(double mm_per_tip);

/* [anemometer] and [rain]: one struct. */
struct wx_pulse_config {
	bool enabled;
	char chip[WX_PATH_LEN];
	int line;
	double debounce_ms;
	double kmh_per_hz;		/* anemometer */
	double mm_per_tip;		/* rain */
	double catch_factor;		/* rain */
};

/* Their sections of a configuration (WX_SENSOR_CONFIG is drivers/sensor.h's:
 * include it too). */
struct wx_sensor_driver;
extern const struct wx_sensor_driver wx_anemometer_driver;
extern const struct wx_sensor_driver wx_rain_driver;
#define WX_ANEMOMETER_CONFIG(cfg) \
	WX_SENSOR_CONFIG(cfg, wx_anemometer_driver, struct wx_pulse_config)
#define WX_RAIN_CONFIG(cfg) WX_SENSOR_CONFIG(cfg, wx_rain_driver, struct wx_pulse_config)

#endif
