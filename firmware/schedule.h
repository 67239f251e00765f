/* The daemon's schedule: when the interval in progress ends (on the station
 * monotonic clock and as a boundary of the wall clock), when the next
 * sample is due, and what the wall clock did against the monotonic one.
 *
 * An interval runs from one boundary of the wall clock to the next.  The
 * end is carried forward one interval at a time and anchored anew only
 * when the clock was stepped (or first synchronised).  Sensors are sampled
 * at the middle of each of the interval's sample periods, so no sample
 * straddles a boundary.  No I/O but clock readings; the caller owns the
 * struct (a member of the daemon's). */
#ifndef WX_SCHEDULE_H
#define WX_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#include "firmware/core/clock.h"

struct wx_schedule {
	struct wx_clock *clock;
	int interval_s;
	int64_t period_ns;		/* sample period: interval_s / 12, 2..30 s */
	int64_t next_sample;		/* station mono ns */
	int64_t end_wall_ns;		/* the boundary the interval in progress ends at */
	bool anchor_synced;		/* anchored on a synchronised clock */
	bool reanchor;			/* the clock was stepped: anchor at the end */
	int64_t offset_ns;		/* wall minus monotonic, as last seen */
};

/* Set s up for interval_s on clock (borrowed). */
void wx_schedule_init(struct wx_schedule *s, struct wx_clock *clock, int interval_s);
/* Aim the interval starting at start_mono (station ns) at the next boundary
 * of the wall clock.  Returns its end, station mono ns. */
int64_t wx_schedule_anchor(struct wx_schedule *s, int64_t start_mono);
/* The interval in progress ended at end_mono: *label gets its record's time
 * (unix s; 0 when the storage path is to label it, see storage.h).
 * Returns the end of the next interval, which starts at end_mono. */
int64_t wx_schedule_turn(struct wx_schedule *s, int64_t end_mono, int64_t *label);
/* Whether a sample is due at now; if so, the next is scheduled. */
bool wx_schedule_sample_due(struct wx_schedule *s, int64_t now);
/* Look for a step of the wall clock (more than 1 s against the monotonic
 * one, logged): the interval in progress then ends as planned but is
 * labelled by the new clock, and the schedule is anchored anew. */
void wx_schedule_watch_clock(struct wx_schedule *s);

#endif
