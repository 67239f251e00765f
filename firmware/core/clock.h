/* The one clock of the daemon.
 *
 * Station time is kept in two readings: a monotonic one (ns) that interval
 * boundaries, sample schedules and GPIO edge timestamps use, and the wall
 * clock (Unix ns) that record timestamps use.  On real hardware they are
 * CLOCK_MONOTONIC (the kernel's GPIO edge clock) and CLOCK_REALTIME.  A
 * simulated clock runs both from one counter that starts at a given Unix time
 * and runs `speed` times faster than real time, or, with speed 0, only moves
 * when wx_clock_sleep_until() is asked to wait: as fast as possible. */
#ifndef WX_CLOCK_H
#define WX_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define WX_NS_PER_S  1000000000LL
#define WX_NS_PER_MS 1000000LL

struct wx_clock;

/* The real clock.  Returns NULL with errno set on allocation failure;
 * free with wx_clock_free(). */
struct wx_clock *wx_clock_real(void);
/* A simulated clock starting at start_wall_ns, running speed times real time
 * (speed 0: as fast as possible). */
struct wx_clock *wx_clock_sim(int64_t start_wall_ns, double speed);
void wx_clock_free(struct wx_clock *c);

bool wx_clock_is_sim(const struct wx_clock *c);
double wx_clock_speed(const struct wx_clock *c);

/* Station time now.  Thread-safe. */
int64_t wx_clock_mono_ns(struct wx_clock *c);
int64_t wx_clock_wall_ns(struct wx_clock *c);
/* The wall time that corresponds to monotonic time mono_ns (for labelling). */
int64_t wx_clock_wall_at(struct wx_clock *c, int64_t mono_ns);

/* Real time to wait, in ns, until station monotonic time reaches mono_ns
 * (0 when it has passed; 0 for speed 0, where waiting means jumping). */
int64_t wx_clock_real_wait_ns(struct wx_clock *c, int64_t mono_ns);
/* Simulated clock at speed 0: move station time forward to mono_ns (never
 * backward).  No effect on other clocks. */
void wx_clock_jump(struct wx_clock *c, int64_t mono_ns);
/* Spend station_ns of station time as a device would (a conversion delay):
 * sleeps station_ns / speed of real time; returns at once at speed 0. */
void wx_clock_device_delay(struct wx_clock *c, int64_t station_ns);

/* Has the wall clock been synchronised?  On the real clock: the kernel says
 * so through adjtimex() (an NTP client disciplines it), or a battery-backed
 * RTC agrees with it to 5 s.  A simulated clock is synchronised unless a
 * test said otherwise. */
bool wx_clock_synchronised(struct wx_clock *c);

/* Simulated clock only (tests of clock faults): step the wall clock by
 * delta_ns without moving monotonic time, as NTP or `date -s` would; and
 * say whether it counts as synchronised. */
void wx_clock_sim_step(struct wx_clock *c, int64_t delta_ns);
void wx_clock_sim_set_synchronised(struct wx_clock *c, bool synced);

#endif
