/* The daemon's latest readings, for the live socket's "read": the last
 * value of each sampled quantity and when it came, the wind closures of the
 * last seconds and the rain tips of the last minutes.  No I/O; the caller
 * owns the struct (a member of the daemon's). */
#ifndef WX_READINGS_H
#define WX_READINGS_H

#include <stddef.h>
#include <stdint.h>

#include "firmware/core/record.h"

#define LIVE_WIND_S 10			/* wind speed: over the last 10 s */
#define LIVE_RAIN_S 600			/* rain rate: over the last 10 minutes */
#define RAIN_RING 1024			/* tips remembered for it (> 10 min at 300 mm/h) */

struct wx_readings {
	struct wx_record latest;
	int64_t latest_mono[WX_QUANTITY_COUNT];	/* station mono ns it came at, 0 never */
	int64_t wind_sec[LIVE_WIND_S + 2];	/* ring of per-second counts */
	uint32_t wind_cnt[LIVE_WIND_S + 2];
	int64_t rain_tip[RAIN_RING];		/* ring of tip times (station mono ns) */
	uint64_t rain_tips_total;
};

/* A sampled reading r, taken at station time now. */
void wx_readings_sample(struct wx_readings *l, const struct wx_record *r, int64_t now);
/* Edges (station mono ns) of a pulse sensor filling fills (its driver's
 * WX_Q() quantities): closures of WX_WIND_PULSES, tips of WX_RAIN_TIPS. */
void wx_readings_edges(struct wx_readings *l, uint32_t fills, const int64_t *ts, size_t n);
/* Wind closures in the LIVE_WIND_S whole seconds before now. */
uint64_t wx_readings_wind_closures(const struct wx_readings *l, int64_t now);
/* Rain tips in the LIVE_RAIN_S seconds up to now. */
uint64_t wx_readings_rain_tips(const struct wx_readings *l, int64_t now);

#endif
