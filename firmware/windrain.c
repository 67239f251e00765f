/* Wind and rain arithmetic of an interval (windrain.h). */
#include "firmware/windrain.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

double wx_wind_kmh(uint64_t pulses, double seconds, double kmh_per_hz)
{
	if (seconds <= 0)
		return 0;
	return (double)pulses / seconds * kmh_per_hz;
}

double wx_rain_mm(uint64_t tips, double mm_per_tip, double catch_factor)
{
	return (double)tips * mm_per_tip * catch_factor;
}

/* ---- gust --------------------------------------------------------------- */

#define CARRY (WX_GUST_WINDOW_BINS - 1)

/* bins[0 .. CARRY-1] are the 250 ms before start_ns, bins[CARRY ..] the
 * interval itself. */
struct wx_gust {
	size_t nbins;		/* bins in one interval */
	int64_t start_ns;
	bool started;
	uint32_t *bins;		/* CARRY + nbins */
};

struct wx_gust *wx_gust_new(int interval_s)
{
	struct wx_gust *g;

	if (interval_s < 1 || interval_s > WX_GUST_MAX_INTERVAL_S) {
		errno = EINVAL;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->nbins = (size_t)interval_s * (size_t)(1000000000LL / WX_GUST_BIN_NS);
	g->bins = calloc(CARRY + g->nbins, sizeof(*g->bins));
	if (!g->bins) {
		free(g);
		return NULL;
	}
	return g;
}

void wx_gust_free(struct wx_gust *g)
{
	if (!g)
		return;
	free(g->bins);
	free(g);
}

void wx_gust_start(struct wx_gust *g, int64_t start_ns)
{
	int64_t prev_end = g->start_ns + (int64_t)g->nbins * WX_GUST_BIN_NS;

	if (g->started && start_ns == prev_end)
		memmove(g->bins, g->bins + g->nbins, CARRY * sizeof(*g->bins));
	else
		memset(g->bins, 0, CARRY * sizeof(*g->bins));
	memset(g->bins + CARRY, 0, g->nbins * sizeof(*g->bins));
	g->start_ns = start_ns;
	g->started = true;
}

size_t wx_gust_add(struct wx_gust *g, const int64_t *ts_ns, size_t n)
{
	int64_t first = g->start_ns - CARRY * WX_GUST_BIN_NS;
	int64_t total = (int64_t)(CARRY + g->nbins);
	size_t outside = 0;

	for (size_t i = 0; i < n; i++) {
		int64_t d = ts_ns[i] - first;
		/* floor division: a pulse just before `first` must not land in bin 0 */
		int64_t k = d >= 0 ? d / WX_GUST_BIN_NS : -1;

		if (!g->started || k < 0 || k >= total)
			outside++;
		else
			g->bins[k]++;
	}
	return outside;
}

double wx_gust_kmh(const struct wx_gust *g, double kmh_per_hz)
{
	uint64_t sum = 0, best = 0;

	if (!g->started)
		return 0;
	/* Windows ending at bins CARRY .. CARRY+nbins-1: a running sum. */
	for (size_t i = 0; i < CARRY + g->nbins; i++) {
		sum += g->bins[i];
		if (i >= WX_GUST_WINDOW_BINS)
			sum -= g->bins[i - WX_GUST_WINDOW_BINS];
		if (i >= CARRY && sum > best)
			best = sum;
	}
	return wx_wind_kmh(best, WX_GUST_WINDOW_BINS * (double)WX_GUST_BIN_NS / 1e9, kmh_per_hz);
}
