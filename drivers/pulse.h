/* Pulse counting for the anemometer and the tipping-bucket rain gauge.
 *
 * Pure arithmetic over falling-edge timestamps (station monotonic ns), so
 * that tests can feed exact sequences.  The counting state lives with the
 * caller (the daemon); the drivers wx_anemometer_driver and wx_rain_driver
 * (drivers/sensor.h) only hand out an edge bus. */
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

/* Debounce and plausibility filter, carried across calls.  Fill it with
 * wx_pulse_debounce_init(); the first four fields are the contract, the
 * rest is bookkeeping of the plausibility cap. */
struct wx_debounce {
	int64_t debounce_ns;	/* an edge this close to the last accepted one is bounce */
	int64_t last_ns;	/* the last accepted edge */
	bool have_last;
	uint64_t rejected;	/* bounce + implausible edges, ever */
	int64_t min_period_ns;	/* 1 / max plausible rate; 0 = no cap */
	int64_t last_edge_ns;	/* the last edge of any kind */
	uint64_t implausible;	/* of rejected: chatter, never quiet before it */
};

/* Set up d for debounce_ms and a plausibility cap of max_hz closures per
 * second (0 = no cap). */
void wx_pulse_debounce_init(struct wx_debounce *d, double debounce_ms, double max_hz);

/* Filter n falling-edge timestamps (oldest first) in place: the accepted
 * ones are moved to the front of ts_ns in order.  Returns how many were
 * accepted; the others are added to d->rejected.  An edge within
 * max(debounce_ms, 1 / max_hz) of the last accepted one is bounce (a
 * rejected edge never restarts that window); with a cap, an edge that
 * follows any other edge by less than debounce_ms is chatter (implausible).
 * See pulse.c for why. */
size_t wx_pulse_debounce(struct wx_debounce *d, int64_t *ts_ns, size_t n);

/* Closures per second for a plausibility cap: the anemometer's for
 * WX_PULSE_WIND_MAX_KMH, the rain gauge's for WX_PULSE_RAIN_MAX_MM_H
 * (0 when the calibration is not positive: no cap). */
double wx_pulse_wind_max_hz(double kmh_per_hz);
double wx_pulse_rain_max_hz(double mm_per_tip);

/* Mean wind speed in km/h from pulses counted over seconds, where one
 * closure per second is kmh_per_hz.  0 when seconds <= 0. */
double wx_pulse_wind_kmh(uint64_t pulses, double seconds, double kmh_per_hz);

/* Rain in mm from bucket tips: tips * mm_per_tip * catch_factor. */
double wx_pulse_rain_mm(uint64_t tips, double mm_per_tip, double catch_factor);

/* WMO gust: the highest 3-second running mean of the wind speed, sampled
 * every 0.25 s.  Pulses are binned into 250 ms bins of an interval; the gust
 * is the highest count of 12 consecutive bins / 3 s * kmh_per_hz over every
 * window that ends inside the interval.  The 11 bins before the interval
 * start are carried over from the previous interval when the new one starts
 * where the old one ended, so a gust across a boundary is not lost (it is
 * reported in the interval where its 3 s end). */
#define WX_GUST_BIN_NS		(250LL * 1000000LL)
#define WX_GUST_WINDOW_BINS	12
#define WX_GUST_MAX_INTERVAL_S	3600

struct wx_gust;

/* A gust tracker for intervals of interval_s seconds (1..3600), allocated
 * once.  NULL with errno set (EINVAL, ENOMEM).  Free with
 * wx_pulse_gust_free(). */
struct wx_gust *wx_pulse_gust_new(int interval_s);
void wx_pulse_gust_free(struct wx_gust *g);

/* Begin the interval starting at start_ns.  Carries the last 11 bins when
 * start_ns is exactly where the previous interval ended, else starts them
 * at zero. */
void wx_pulse_gust_start(struct wx_gust *g, int64_t start_ns);

/* Add accepted (debounced) pulse timestamps.  Pulses in the 11 carried
 * bins before the start still count there; pulses outside the carried bins
 * and the interval are only counted.  Returns how many were outside. */
size_t wx_pulse_gust_add(struct wx_gust *g, const int64_t *ts_ns, size_t n);

/* The gust of the current interval so far in km/h (0 without pulses). */
double wx_pulse_gust_kmh(const struct wx_gust *g, double kmh_per_hz);

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

/* Their sections of a configuration (WX_SENSOR_CONFIG is drivers/sensor.h's,
 * which includes this file). */
struct wx_sensor_driver;
extern const struct wx_sensor_driver wx_anemometer_driver;
extern const struct wx_sensor_driver wx_rain_driver;
#define WX_ANEMOMETER_CONFIG(cfg) \
	WX_SENSOR_CONFIG(cfg, wx_anemometer_driver, struct wx_pulse_config)
#define WX_RAIN_CONFIG(cfg) WX_SENSOR_CONFIG(cfg, wx_rain_driver, struct wx_pulse_config)

#endif
