/* The daemon's schedule (schedule.h). */
#include "firmware/schedule.h"

#include "firmware/core/log.h"
#include "firmware/storage.h"

void wx_schedule_init(struct wx_schedule *s, struct wx_clock *clock, int interval_s)
{
	*s = (struct wx_schedule){ .clock = clock, .interval_s = interval_s };
	s->period_ns = (int64_t)interval_s * WX_NS_PER_S / 12;
	if (s->period_ns < 2 * WX_NS_PER_S)
		s->period_ns = 2 * WX_NS_PER_S;
	if (s->period_ns > 30 * WX_NS_PER_S)
		s->period_ns = 30 * WX_NS_PER_S;
	s->offset_ns = wx_clock_wall_at(clock, 0);
}

/* The interval [start_mono, end_mono) ending at end_wall: sample at the
 * middle of each period of the nominal interval. */
static int64_t begin(struct wx_schedule *s, int64_t start_mono, int64_t end_mono,
		     int64_t end_wall)
{
	int64_t i_ns = (int64_t)s->interval_s * WX_NS_PER_S;

	s->end_wall_ns = end_wall;
	s->next_sample = end_mono - i_ns + s->period_ns / 2;
	while (s->next_sample < start_mono)
		s->next_sample += s->period_ns;
	return end_mono;
}

/* The wall clock is read apart from the monotonic one, so the reading can
 * land a few ns before the boundary just reached: a boundary less than 1 ms
 * away is taken as reached, never as an interval of its own. */
int64_t wx_schedule_anchor(struct wx_schedule *s, int64_t start_mono)
{
	int64_t i_ns = (int64_t)s->interval_s * WX_NS_PER_S;
	int64_t wall = wx_clock_wall_at(s->clock, start_mono);
	int64_t end_wall = (wall / i_ns + 1) * i_ns;

	if (end_wall - wall < WX_NS_PER_MS)
		end_wall += i_ns;
	s->anchor_synced = wx_clock_synchronised(s->clock);
	return begin(s, start_mono, start_mono + (end_wall - wall), end_wall);
}

/* One interval later on both clocks (never re-derived from a clock reading,
 * which would drift and could pick the boundary just passed again), unless
 * the schedule is aimed anew. */
int64_t wx_schedule_turn(struct wx_schedule *s, int64_t end_mono, int64_t *label)
{
	int64_t i = s->interval_s;
	bool synced = wx_clock_synchronised(s->clock);

	/* Its boundary is its time when the schedule was anchored on a
	 * synchronised clock that is still synchronised and has not been
	 * stepped since; else the storage path labels it from the monotonic
	 * time it ended, once the clock is synchronised. */
	*label = synced && s->anchor_synced && !s->reanchor ? s->end_wall_ns / WX_NS_PER_S : 0;
	if (s->reanchor || (!s->anchor_synced && synced)) {
		/* Aimed anew: the record is labelled with the boundary nearest
		 * its end, and the next ends one interval after that label
		 * (between half and one and a half intervals away), so labels
		 * stay one interval apart. */
		int64_t wall = wx_clock_wall_at(s->clock, end_mono);
		int64_t next = (wx_storage_label(s->clock, end_mono, (int)i) + i) * WX_NS_PER_S;

		s->reanchor = false;
		s->anchor_synced = synced;
		return begin(s, end_mono, end_mono + (next - wall), next);
	}
	return begin(s, end_mono, end_mono + i * WX_NS_PER_S, s->end_wall_ns + i * WX_NS_PER_S);
}

bool wx_schedule_sample_due(struct wx_schedule *s, int64_t now)
{
	if (now < s->next_sample)
		return false;
	s->next_sample += s->period_ns;
	while (s->next_sample <= now)
		s->next_sample += s->period_ns;	/* overslept */
	return true;
}

/* NTP stepped the clock, or somebody set it.  Records already stored are
 * never relabelled, so what an uploader sent is never contradicted; after a
 * step back the storage path labels new records after the newest until the
 * clock catches up (see storage.h). */
void wx_schedule_watch_clock(struct wx_schedule *s)
{
	int64_t off = wx_clock_wall_at(s->clock, 0);
	int64_t delta = off - s->offset_ns;

	if (delta > WX_NS_PER_S || delta < -WX_NS_PER_S) {
		s->offset_ns = off;
		s->reanchor = true;
		wx_log_warnx("clock stepped %s by %lld s", delta < 0 ? "back" : "forward",
			     (long long)(delta / WX_NS_PER_S));
	}
}
