#include "firmware/interval.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/pulse.h"
#include "drivers/sensor.h"
#include "firmware/core/clock.h"
#include "firmware/windrain.h"

/* Quantities that are plain means of samples. */
static const enum wx_quantity averaged[] = {
	WX_TEMPERATURE_C, WX_HUMIDITY_PCT, WX_PRESSURE_HPA, WX_GROUND_TEMPERATURE_C,
	WX_AIR_QUALITY_PCT,
};
#define N_AVERAGED (sizeof(averaged) / sizeof(averaged[0]))

struct wx_interval {
	const struct wx_config *cfg;
	int64_t start_ns, end_ns;
	double sum[N_AVERAGED];
	unsigned count[N_AVERAGED];
	double dir_x, dir_y, dir_w;	/* weighted unit-vector sum */
	unsigned dir_n;
	uint64_t wind_pulses, rain_tips;
	bool wind_lost, rain_lost;
	struct wx_gust *gust;
};

struct wx_interval *wx_interval_new(const struct wx_config *cfg)
{
	struct wx_interval *iv = calloc(1, sizeof(*iv));

	if (!iv)
		return NULL;
	iv->cfg = cfg;
	iv->gust = wx_gust_new(cfg->station.interval_s);
	if (!iv->gust) {
		free(iv);
		return NULL;
	}
	return iv;
}

void wx_interval_free(struct wx_interval *iv)
{
	if (!iv)
		return;
	wx_gust_free(iv->gust);
	free(iv);
}

void wx_interval_start(struct wx_interval *iv, int64_t start_ns, int64_t end_ns)
{
	struct wx_gust *g = iv->gust;
	const struct wx_config *cfg = iv->cfg;

	memset(iv, 0, sizeof(*iv));
	iv->cfg = cfg;
	iv->gust = g;
	iv->start_ns = start_ns;
	iv->end_ns = end_ns;
	/* The gust tracker's bins are laid from the nominal start, so that a
	 * short first interval still lines up with the following ones. */
	wx_gust_start(g, end_ns - (int64_t)cfg->station.interval_s * WX_NS_PER_S);
}

int64_t wx_interval_end_ns(const struct wx_interval *iv)
{
	return iv->end_ns;
}

void wx_interval_add_sample(struct wx_interval *iv, const struct wx_record *s)
{
	for (size_t i = 0; i < N_AVERAGED; i++)
		if (wx_record_has(s, averaged[i])) {
			iv->sum[i] += s->v[averaged[i]];
			iv->count[i]++;
		}
}

void wx_interval_add_direction(struct wx_interval *iv, double deg, double weight)
{
	double r = deg * M_PI / 180.0;

	iv->dir_x += weight * sin(r);
	iv->dir_y += weight * cos(r);
	iv->dir_w += weight;
	iv->dir_n++;
}

void wx_interval_add_wind(struct wx_interval *iv, const int64_t *ts_ns, size_t n)
{
	iv->wind_pulses += n;
	wx_gust_add(iv->gust, ts_ns, n);
}

void wx_interval_add_rain(struct wx_interval *iv, uint64_t tips)
{
	iv->rain_tips += tips;
}

void wx_interval_add_pulses(struct wx_interval *iv, uint32_t fills, const int64_t *ts_ns,
			    size_t n)
{
	if (fills & (1u << WX_WIND_PULSES))
		wx_interval_add_wind(iv, ts_ns, n);
	if (fills & (1u << WX_RAIN_TIPS))
		wx_interval_add_rain(iv, n);
}

void wx_interval_pulses_lost(struct wx_interval *iv, uint32_t fills)
{
	if (fills & (1u << WX_WIND_PULSES))
		iv->wind_lost = true;
	if (fills & (1u << WX_RAIN_TIPS))
		iv->rain_lost = true;
}

void wx_interval_wind_lost(struct wx_interval *iv) { iv->wind_lost = true; }
void wx_interval_rain_lost(struct wx_interval *iv) { iv->rain_lost = true; }
uint64_t wx_interval_rain_tips(const struct wx_interval *iv) { return iv->rain_tips; }

double wx_interval_gust_kmh(const struct wx_interval *iv)
{
	return wx_gust_kmh(iv->gust, WX_ANEMOMETER_CONFIG(iv->cfg)->kmh_per_hz);
}

void wx_interval_finish(struct wx_interval *iv, int64_t ts_s, struct wx_record *r)
{
	const struct wx_config *cfg = iv->cfg;
	double seconds = (double)(iv->end_ns - iv->start_ns) / 1e9;

	wx_record_init(r, ts_s);
	/* Whole seconds covered, up: an interval anchored anew may run up to
	 * 1 ms past its nominal length (see the daemon's anchor_interval()). */
	r->interval_s = (int32_t)ceil(seconds - 0.002);
	for (size_t i = 0; i < N_AVERAGED; i++)
		if (iv->count[i])
			wx_record_set(r, averaged[i], iv->sum[i] / iv->count[i]);

	wx_record_derive(r, cfg->station.altitude_m);

	if (WX_ANEMOMETER_CONFIG(cfg)->enabled && !iv->wind_lost) {
		wx_record_set(r, WX_WIND_PULSES, (double)iv->wind_pulses);
		wx_record_set(r, WX_WIND_SPEED_KMH,
			      wx_wind_kmh(iv->wind_pulses, seconds,
					  WX_ANEMOMETER_CONFIG(cfg)->kmh_per_hz));
		wx_record_set(r, WX_WIND_GUST_KMH, wx_interval_gust_kmh(iv));
	}
	if (WX_RAIN_CONFIG(cfg)->enabled && !iv->rain_lost) {
		wx_record_set(r, WX_RAIN_TIPS, (double)iv->rain_tips);
		wx_record_set(r, WX_RAIN_MM, wx_rain_mm(iv->rain_tips,
							WX_RAIN_CONFIG(cfg)->mm_per_tip,
							WX_RAIN_CONFIG(cfg)->catch_factor));
	}
	/* Direction: null when calm (no wind run behind any vane reading). */
	if (iv->dir_n && iv->dir_w > 0 && hypot(iv->dir_x, iv->dir_y) > 1e-9 * iv->dir_w)
		wx_record_set(r, WX_WIND_DIRECTION_DEG,
			      fmod(atan2(iv->dir_x, iv->dir_y) * 180.0 / M_PI + 360.0, 360.0));
}
