/* Debounce and plausibility filter for a reed switch's falling edges
 * (station monotonic ns), carried across reads.  Used by the pulse drivers'
 * rows (drivers/pulse.c sets one up for a sensor's debounce_ms and cap) and
 * by whoever drains their edge buses (the daemon, `wxctl read`, `wxctl
 * probe`). */
#ifndef WX_DEBOUNCE_H
#define WX_DEBOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fill it with wx_pulse_debounce_init(); the first four fields are the
 * contract, the rest is bookkeeping of the plausibility cap. */
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
 * See debounce.c for why. */
size_t wx_pulse_debounce(struct wx_debounce *d, int64_t *ts_ns, size_t n);

#endif
