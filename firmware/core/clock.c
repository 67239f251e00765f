#include "firmware/core/clock.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/timex.h>
#include <time.h>

struct wx_clock {
	bool sim;
	double speed;
	int64_t start_wall_ns;	/* sim: station time at real_start */
	int64_t real_start_ns;	/* sim: CLOCK_MONOTONIC at creation */
	_Atomic int64_t jumped_ns;	/* sim speed 0: current station time */
	_Atomic int64_t wall_step_ns;	/* sim: wall minus monotonic */
	_Atomic bool unsynced;		/* sim: pretend NTP has not answered */
};

static int64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * WX_NS_PER_S + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / WX_NS_PER_S, .tv_nsec = ns % WX_NS_PER_S };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

struct wx_clock *wx_clock_real(void)
{
	return calloc(1, sizeof(struct wx_clock));
}

struct wx_clock *wx_clock_sim(int64_t start_wall_ns, double speed)
{
	struct wx_clock *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->sim = true;
	c->speed = speed;
	c->start_wall_ns = start_wall_ns;
	c->real_start_ns = now_ns(CLOCK_MONOTONIC);
	atomic_store(&c->jumped_ns, start_wall_ns);
	return c;
}

void wx_clock_free(struct wx_clock *c)
{
	free(c);
}

bool wx_clock_is_sim(const struct wx_clock *c) { return c->sim; }
double wx_clock_speed(const struct wx_clock *c) { return c->speed; }

int64_t wx_clock_mono_ns(struct wx_clock *c)
{
	if (!c->sim)
		return now_ns(CLOCK_MONOTONIC);
	if (c->speed == 0)
		return atomic_load(&c->jumped_ns);
	return c->start_wall_ns +
	       (int64_t)((double)(now_ns(CLOCK_MONOTONIC) - c->real_start_ns) * c->speed);
}

int64_t wx_clock_wall_ns(struct wx_clock *c)
{
	if (!c->sim)
		return now_ns(CLOCK_REALTIME);
	return wx_clock_mono_ns(c) + atomic_load(&c->wall_step_ns);
}

int64_t wx_clock_wall_at(struct wx_clock *c, int64_t mono_ns)
{
	if (c->sim)
		return mono_ns + atomic_load(&c->wall_step_ns);
	return now_ns(CLOCK_REALTIME) - (now_ns(CLOCK_MONOTONIC) - mono_ns);
}

/* A battery-backed RTC that agrees with the system clock (the Oracle HAT's
 * PCF8523, a DS3231 module, a Pi 5 with its battery) vouches for it on a
 * station without network, where NTP never answers.  An RTC that lost its
 * time (no battery) disagrees and vouches for nothing. */
static bool rtc_agrees(void)
{
	FILE *f = fopen("/sys/class/rtc/rtc0/since_epoch", "r");
	long long rtc;
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%lld", &rtc) == 1;
	fclose(f);
	return ok && llabs(rtc - now_ns(CLOCK_REALTIME) / WX_NS_PER_S) <= 5;
}

bool wx_clock_synchronised(struct wx_clock *c)
{
	struct timex tx = { 0 };
	int state;

	if (c->sim)
		return !atomic_load(&c->unsynced);
	/* A failed adjtimex() (EPERM from a seccomp filter) leaves tx.status
	 * 0, which would read as synchronised: only the kernel's answer counts. */
	state = adjtimex(&tx);
	if (state >= 0 && state != TIME_ERROR && !(tx.status & STA_UNSYNC))
		return true;
	return rtc_agrees();
}

void wx_clock_sim_step(struct wx_clock *c, int64_t delta_ns)
{
	if (c->sim)
		atomic_fetch_add(&c->wall_step_ns, delta_ns);
}

void wx_clock_sim_set_synchronised(struct wx_clock *c, bool synced)
{
	if (c->sim)
		atomic_store(&c->unsynced, !synced);
}

int64_t wx_clock_real_wait_ns(struct wx_clock *c, int64_t mono_ns)
{
	int64_t d = mono_ns - wx_clock_mono_ns(c);

	if (d <= 0 || (c->sim && c->speed == 0))
		return 0;
	if (c->sim)
		return (int64_t)((double)d / c->speed) + 1;
	return d;
}

void wx_clock_jump(struct wx_clock *c, int64_t mono_ns)
{
	if (!c->sim || c->speed != 0)
		return;
	if (mono_ns > atomic_load(&c->jumped_ns))
		atomic_store(&c->jumped_ns, mono_ns);
}

void wx_clock_device_delay(struct wx_clock *c, int64_t station_ns)
{
	if (station_ns <= 0 || (c->sim && c->speed == 0))
		return;
	sleep_ns(c->sim ? (int64_t)((double)station_ns / c->speed) : station_ns);
}
