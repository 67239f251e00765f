/* Debounce and plausibility filter for the reed switches of the pulse
 * sensors (drivers/pulse.c: the anemometer and the rain gauge).
 *
 * Two filters, both measured from the last ACCEPTED edge (the closure being
 * counted), so that a rejected edge never moves the window:
 *
 * 1. Debounce and plausibility window: an edge sooner than debounce_ns, or
 *    sooner than min_period_ns (1 / the fastest real closure rate: 9.6 ms for
 *    the anemometer's 250 km/h), after the last accepted edge belongs to that
 *    closure.  No real closure can come that soon, so a bounce tail longer
 *    than debounce_ms (a tired reed switch rattles for up to ~5 ms) is still
 *    one closure: at 80 Hz with 5 ms of bounce every closure counts once.
 *    Rejected as bounce.
 * 2. Chatter: an edge past that window is a new closure only if the line was
 *    quiet for debounce_ns before it (no edge at all, bounce or not).  A
 *    switch that chatters (a broken contact at a kHz: edges closer than
 *    debounce_ms, without end) never goes quiet, so it gives no wind at all
 *    rather than the cap; its edges are rejected as implausible.  Edge trains
 *    faster than the cap but with quiet gaps count at most one per window:
 *    counting goes on at the cap, never above it.
 *
 * With no cap (max_hz 0) only the debounce applies.  A switch stuck closed
 * gives no edges and reads 0.  Every rejection is counted in rejected, never
 * as wind or rain.
 */
#include "drivers/debounce.h"

#include <string.h>

void wx_pulse_debounce_init(struct wx_debounce *d, double debounce_ms, double max_hz)
{
	memset(d, 0, sizeof(*d));
	d->debounce_ns = debounce_ms > 0 ? (int64_t)(debounce_ms * 1e6 + 0.5) : 0;
	d->min_period_ns = max_hz > 0 ? (int64_t)(1e9 / max_hz) : 0;
}

size_t wx_pulse_debounce(struct wx_debounce *d, int64_t *ts_ns, size_t n)
{
	int64_t window = d->debounce_ns > d->min_period_ns ? d->debounce_ns : d->min_period_ns;
	size_t kept = 0;

	for (size_t i = 0; i < n; i++) {
		int64_t t = ts_ns[i];
		bool noisy = d->have_last && t - d->last_edge_ns < d->debounce_ns;

		d->last_edge_ns = t;
		if (d->have_last && t - d->last_ns < window) {
			d->rejected++;
			continue;
		}
		if (d->min_period_ns > 0 && noisy) {
			d->rejected++;
			d->implausible++;
			continue;
		}
		d->have_last = true;
		d->last_ns = t;
		ts_ns[kept++] = t;
	}
	return kept;
}
