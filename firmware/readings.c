/* The daemon's latest readings (readings.h). */
#include "firmware/readings.h"

#include "drivers/sensor.h"
#include "firmware/core/clock.h"

void wx_readings_sample(struct wx_readings *l, const struct wx_record *r, int64_t now)
{
	for (int q = 0; q < WX_QUANTITY_COUNT; q++)
		if (wx_record_has(r, (enum wx_quantity)q)) {
			wx_record_set(&l->latest, (enum wx_quantity)q, r->v[q]);
			l->latest_mono[q] = now;
		}
}

void wx_readings_edges(struct wx_readings *l, uint32_t fills, const int64_t *ts, size_t n)
{
	if (fills & WX_Q(WX_WIND_PULSES))
		for (size_t i = 0; i < n; i++) {
			int64_t sec = ts[i] / WX_NS_PER_S;
			size_t k = (size_t)(sec % (LIVE_WIND_S + 2));

			if (l->wind_sec[k] != sec) {
				l->wind_sec[k] = sec;
				l->wind_cnt[k] = 0;
			}
			l->wind_cnt[k]++;
		}
	if (fills & WX_Q(WX_RAIN_TIPS))
		for (size_t k = 0; k < n; k++)
			l->rain_tip[l->rain_tips_total++ % RAIN_RING] = ts[k];
}

uint64_t wx_readings_wind_closures(const struct wx_readings *l, int64_t now)
{
	int64_t sec = now / WX_NS_PER_S;
	uint64_t n = 0;

	for (size_t k = 0; k < LIVE_WIND_S + 2; k++)
		if (l->wind_sec[k] >= sec - LIVE_WIND_S && l->wind_sec[k] < sec)
			n += l->wind_cnt[k];
	return n;
}

/* Newest first, back to the first tip outside the window. */
uint64_t wx_readings_rain_tips(const struct wx_readings *l, int64_t now)
{
	uint64_t n = 0, have = l->rain_tips_total < RAIN_RING ? l->rain_tips_total : RAIN_RING;

	for (uint64_t k = 1; k <= have; k++) {
		int64_t t = l->rain_tip[(l->rain_tips_total - k) % RAIN_RING];

		if (now - t > LIVE_RAIN_S * WX_NS_PER_S)
			break;
		n += t <= now;
	}
	return n;
}
