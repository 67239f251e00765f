/* One archive interval being accumulated: sensor samples, wind pulses,
 * rain tips and vane directions in; one archive record out.  Pure
 * bookkeeping, no I/O, so a test can feed it exact inputs. */
#ifndef WX_INTERVAL_H
#define WX_INTERVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware/core/config.h"
#include "firmware/core/record.h"

struct wx_interval;

/* For cfg's interval and calibration.  NULL with errno set.  Free with
 * wx_interval_free(). */
struct wx_interval *wx_interval_new(const struct wx_config *cfg);
void wx_interval_free(struct wx_interval *iv);

/* Begin an interval over station monotonic [start_ns, end_ns).  A shorter
 * first interval (the daemon started mid-way) is allowed: its record
 * carries the seconds it really covered in interval_s. */
void wx_interval_start(struct wx_interval *iv, int64_t start_ns, int64_t end_ns);
int64_t wx_interval_end_ns(const struct wx_interval *iv);

/* A sampled reading: every valid quantity in s joins the interval's means. */
void wx_interval_add_sample(struct wx_interval *iv, const struct wx_record *s);
/* A vane reading, weighted by the wind run since the previous one (pulses;
 * pass 1 when there is no anemometer). */
void wx_interval_add_direction(struct wx_interval *iv, double deg, double weight);
/* Debounced anemometer closures and rain tips (timestamps within the interval). */
void wx_interval_add_wind(struct wx_interval *iv, const int64_t *ts_ns, size_t n);
void wx_interval_add_rain(struct wx_interval *iv, uint64_t tips);
/* The counter could not count for part of the interval (line lost): its
 * quantities become null rather than too low. */
void wx_interval_wind_lost(struct wx_interval *iv);
void wx_interval_rain_lost(struct wx_interval *iv);
/* The same, routed by what the pulse sensor fills (its driver's WX_Q()
 * quantities: WX_WIND_PULSES counts closures and their gusts, WX_RAIN_TIPS
 * tips), so that the daemon handles every pulse slot alike. */
void wx_interval_add_pulses(struct wx_interval *iv, uint32_t fills, const int64_t *ts_ns,
			    size_t n);
void wx_interval_pulses_lost(struct wx_interval *iv, uint32_t fills);

/* Rain and wind pulses so far (live readings). */
uint64_t wx_interval_rain_tips(const struct wx_interval *iv);
double wx_interval_gust_kmh(const struct wx_interval *iv);

/* The record for the interval, labelled ts_s (the end, Unix seconds), with
 * derived quantities (dew point, sea-level pressure).  The wind and rain
 * quantities are filled when the config given to wx_interval_new() enables
 * the anemometer and the rain gauge, and their line was not lost. */
void wx_interval_finish(struct wx_interval *iv, int64_t ts_s, struct wx_record *out);

#endif
