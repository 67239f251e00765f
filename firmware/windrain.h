/* Wind and rain arithmetic of an interval: mean wind speed and rain from
 * counted (debounced) closures, and the WMO gust from their timestamps.
 *
 * Pure arithmetic over station monotonic ns, so that tests can feed exact
 * sequences.  The closures come from the pulse drivers (drivers/pulse.c,
 * debounced by drivers/debounce.c); interval.c, the status answer and
 * `wxctl read` turn them into km/h and mm here. */
#ifndef WX_WINDRAIN_H
#define WX_WINDRAIN_H

#include <stddef.h>
#include <stdint.h>

/* Mean wind speed in km/h from pulses counted over seconds, where one
 * closure per second is kmh_per_hz.  0 when seconds <= 0. */
double wx_wind_kmh(uint64_t pulses, double seconds, double kmh_per_hz);

/* Rain in mm from bucket tips: tips * mm_per_tip * catch_factor. */
double wx_rain_mm(uint64_t tips, double mm_per_tip, double catch_factor);

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
 * once.  NULL with errno set (EINVAL, ENOMEM).  Free with wx_gust_free(). */
struct wx_gust *wx_gust_new(int interval_s);
void wx_gust_free(struct wx_gust *g);

/* Begin the interval starting at start_ns.  Carries the last 11 bins when
 * start_ns is exactly where the previous interval ended, else starts them
 * at zero. */
void wx_gust_start(struct wx_gust *g, int64_t start_ns);

/* Add accepted (debounced) pulse timestamps.  Pulses in the 11 carried
 * bins before the start still count there; pulses outside the carried bins
 * and the interval are only counted.  Returns how many were outside. */
size_t wx_gust_add(struct wx_gust *g, const int64_t *ts_ns, size_t n);

/* The gust of the current interval so far in km/h (0 without pulses). */
double wx_gust_kmh(const struct wx_gust *g, double kmh_per_hz);

#endif
