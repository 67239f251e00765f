/* firmware/core/clock.c: the simulated clock's speed, jumps and wall steps; the
 * monotonic/wall pairs of both clocks; and the sync detection's reading of
 * adjtimex().  This file defines adjtimex(), so the executable's symbol is
 * the one clock.c calls: each test says what the "kernel" answers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include <cmocka.h>

#include "firmware/core/clock.h"

#define START (1795392000LL * WX_NS_PER_S)	/* 2026-11-23 00:00 UTC */

static struct {
	int state;		/* adjtimex()'s return */
	int err;		/* errno when state is -1 */
	int status;		/* tx->status */
	int calls;
} kernel;

int adjtimex(struct timex *tx);

int adjtimex(struct timex *tx)
{
	kernel.calls++;
	if (tx->modes)
		return errno = EPERM, -1;	/* never set the host's clock */
	if (kernel.state < 0)
		return errno = kernel.err, -1;
	tx->status = kernel.status;
	return kernel.state;
}

static int64_t host_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * WX_NS_PER_S + ts.tv_nsec;
}

/* clock.c trusts a battery-backed RTC that agrees with the system clock
 * when the kernel says "not synchronised".  The answer for an unsynced
 * kernel is then the RTC's: read it the same way here. */
static bool host_rtc_agrees(void)
{
	FILE *f = fopen("/sys/class/rtc/rtc0/since_epoch", "r");
	long long rtc;
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%lld", &rtc) == 1;
	fclose(f);
	return ok && llabs(rtc - host_ns(CLOCK_REALTIME) / WX_NS_PER_S) <= 5;
}

static void sim_flat_out_moves_only_when_jumped(void **state)
{
	struct wx_clock *c = wx_clock_sim(START, 0);

	(void)state;
	assert_non_null(c);
	assert_true(wx_clock_is_sim(c));
	assert_true(wx_clock_speed(c) == 0);
	assert_int_equal(wx_clock_mono_ns(c), START);
	assert_int_equal(wx_clock_wall_ns(c), START);
	/* No waiting at speed 0: waiting means jumping. */
	assert_int_equal(wx_clock_real_wait_ns(c, START + 3600 * WX_NS_PER_S), 0);
	wx_clock_device_delay(c, 10 * WX_NS_PER_S);	/* returns at once */
	assert_int_equal(wx_clock_mono_ns(c), START);
	wx_clock_jump(c, START + 60 * WX_NS_PER_S);
	assert_int_equal(wx_clock_mono_ns(c), START + 60 * WX_NS_PER_S);
	assert_int_equal(wx_clock_wall_ns(c), START + 60 * WX_NS_PER_S);
	/* Never backward. */
	wx_clock_jump(c, START + 30 * WX_NS_PER_S);
	assert_int_equal(wx_clock_mono_ns(c), START + 60 * WX_NS_PER_S);
	wx_clock_free(c);
}

static void sim_speed_scales_real_time(void **state)
{
	struct wx_clock *c = wx_clock_sim(START, 1000);
	int64_t real0, real1, st0, st1, wait;

	(void)state;
	assert_non_null(c);
	assert_true(wx_clock_speed(c) == 1000);
	real0 = host_ns(CLOCK_MONOTONIC);
	st0 = wx_clock_mono_ns(c);
	/* 5 s of station time is 5 ms of real time at 1000x. */
	wx_clock_device_delay(c, 5 * WX_NS_PER_S);
	st1 = wx_clock_mono_ns(c);
	real1 = host_ns(CLOCK_MONOTONIC);
	assert_true(st0 >= START && st0 - START < 2 * WX_NS_PER_S);
	assert_true(st1 - st0 >= 5 * WX_NS_PER_S);
	/* Station time is real time times 1000, to a few ms of real time
	 * around the readings. */
	assert_true(st1 - st0 <= (real1 - real0) * 1000 + 1000);
	assert_true(real1 - real0 >= 5 * WX_NS_PER_MS);
	/* A wait of one station minute is 60 ms real (less what passes
	 * around the call), rounded up by 1 ns. */
	st0 = wx_clock_mono_ns(c);
	wait = wx_clock_real_wait_ns(c, st0 + 60 * WX_NS_PER_S);
	st1 = wx_clock_mono_ns(c);
	assert_true(wait <= 60 * WX_NS_PER_MS + 1);
	assert_true(wait >= (st0 + 60 * WX_NS_PER_S - st1) / 1000);
	assert_int_equal(wx_clock_real_wait_ns(c, START), 0);	/* passed */
	/* Jumps are for speed 0 only. */
	st0 = wx_clock_mono_ns(c);
	wx_clock_jump(c, st0 + 3600 * WX_NS_PER_S);
	assert_true(wx_clock_mono_ns(c) < st0 + 60 * WX_NS_PER_S);
	wx_clock_free(c);
}

/* The wall reading is the monotonic one plus the steps so far; a step moves
 * the wall clock only, as `date -s` or NTP would. */
static void sim_wall_steps_leave_monotonic_alone(void **state)
{
	struct wx_clock *c = wx_clock_sim(START, 0);

	(void)state;
	wx_clock_jump(c, START + 10 * WX_NS_PER_S);
	wx_clock_sim_step(c, -3600 * WX_NS_PER_S);
	assert_int_equal(wx_clock_mono_ns(c), START + 10 * WX_NS_PER_S);
	assert_int_equal(wx_clock_wall_ns(c), START + 10 * WX_NS_PER_S - 3600 * WX_NS_PER_S);
	assert_int_equal(wx_clock_wall_at(c, START), START - 3600 * WX_NS_PER_S);
	wx_clock_sim_step(c, 7200 * WX_NS_PER_S);
	assert_int_equal(wx_clock_wall_ns(c), START + 10 * WX_NS_PER_S + 3600 * WX_NS_PER_S);
	assert_int_equal(wx_clock_wall_at(c, START + WX_NS_PER_S),
			 START + WX_NS_PER_S + 3600 * WX_NS_PER_S);
	assert_int_equal(wx_clock_mono_ns(c), START + 10 * WX_NS_PER_S);
	wx_clock_free(c);
}

static void sim_sync_is_what_the_test_says(void **state)
{
	struct wx_clock *c = wx_clock_sim(START, 0);

	(void)state;
	kernel.calls = 0;
	assert_true(wx_clock_synchronised(c));
	wx_clock_sim_set_synchronised(c, false);
	assert_false(wx_clock_synchronised(c));
	wx_clock_sim_set_synchronised(c, true);
	assert_true(wx_clock_synchronised(c));
	assert_int_equal(kernel.calls, 0);	/* the kernel is never asked */
	wx_clock_free(c);
}

/* The real clock's pairs: monotonic is CLOCK_MONOTONIC, wall is
 * CLOCK_REALTIME, and wall_at() maps a monotonic time back to the wall. */
static void real_clock_pairs(void **state)
{
	struct wx_clock *c = wx_clock_real();
	int64_t m0, m, w0, w, at;

	(void)state;
	assert_non_null(c);
	assert_false(wx_clock_is_sim(c));
	m0 = host_ns(CLOCK_MONOTONIC);
	w0 = host_ns(CLOCK_REALTIME);
	m = wx_clock_mono_ns(c);
	w = wx_clock_wall_ns(c);
	assert_true(m >= m0 && m - m0 < WX_NS_PER_S);
	assert_true(w >= w0 - WX_NS_PER_S && w - w0 < WX_NS_PER_S);
	/* An edge stamped 2 s ago (monotonic) happened 2 s ago on the wall. */
	at = wx_clock_wall_at(c, m - 2 * WX_NS_PER_S);
	assert_true(llabs(at - (w - 2 * WX_NS_PER_S)) < 50 * WX_NS_PER_MS);
	/* Waits are real: 30 ms ahead is 30 ms less what passes around the
	 * call; the past is 0. */
	m = host_ns(CLOCK_MONOTONIC);
	at = wx_clock_real_wait_ns(c, m + 30 * WX_NS_PER_MS);
	w = host_ns(CLOCK_MONOTONIC);
	assert_true(at <= 30 * WX_NS_PER_MS);
	assert_true(at >= m + 30 * WX_NS_PER_MS - w);
	m = wx_clock_mono_ns(c);
	assert_int_equal(wx_clock_real_wait_ns(c, m0), 0);
	/* A device delay on the real clock is real time. */
	m0 = host_ns(CLOCK_MONOTONIC);
	wx_clock_device_delay(c, 3 * WX_NS_PER_MS);
	assert_true(host_ns(CLOCK_MONOTONIC) - m0 >= 3 * WX_NS_PER_MS);
	/* The simulated-only calls do nothing to it. */
	wx_clock_jump(c, m + 3600 * WX_NS_PER_S);
	wx_clock_sim_step(c, 3600 * WX_NS_PER_S);
	assert_true(wx_clock_mono_ns(c) - m < WX_NS_PER_S);
	assert_true(llabs(wx_clock_wall_ns(c) - host_ns(CLOCK_REALTIME)) < WX_NS_PER_S);
	wx_clock_free(c);
}

/* adjtimex() to "synchronised?": TIME_OK/INS/DEL/OOP/WAIT without
 * STA_UNSYNC are synchronised; TIME_ERROR, STA_UNSYNC, or a failed call
 * (EPERM from a seccomp filter: tx.status stays 0) are not, unless an RTC
 * vouches for the clock. */
static void real_sync_maps_adjtimex(void **state)
{
	static const struct {
		int state, err, status;
		bool synced;
	} cases[] = {
		{ TIME_OK, 0, STA_PLL, true },
		{ TIME_OK, 0, 0, true },
		{ TIME_INS, 0, STA_PLL | STA_INS, true },
		{ TIME_DEL, 0, STA_PLL | STA_DEL, true },
		{ TIME_OOP, 0, STA_PLL, true },
		{ TIME_WAIT, 0, STA_PLL, true },
		{ TIME_OK, 0, STA_UNSYNC, false },
		{ TIME_OK, 0, STA_PLL | STA_UNSYNC, false },
		{ TIME_ERROR, 0, STA_PLL, false },
		{ TIME_ERROR, 0, STA_UNSYNC, false },
		{ -1, EPERM, 0, false },
		{ -1, EINVAL, 0, false },
	};
	struct wx_clock *c = wx_clock_real();
	bool rtc = host_rtc_agrees();

	(void)state;
	assert_non_null(c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool want = cases[i].synced || rtc;

		kernel.state = cases[i].state;
		kernel.err = cases[i].err;
		kernel.status = cases[i].status;
		kernel.calls = 0;
		if (wx_clock_synchronised(c) != want)
			fail_msg("case %zu: adjtimex() = %d, status 0x%x: synchronised %s, want %s",
				 i, cases[i].state, (unsigned)cases[i].status, want ? "false" : "true",
				 want ? "true" : "false");
		assert_int_equal(kernel.calls, 1);
	}
	wx_clock_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sim_flat_out_moves_only_when_jumped),
		cmocka_unit_test(sim_speed_scales_real_time),
		cmocka_unit_test(sim_wall_steps_leave_monotonic_alone),
		cmocka_unit_test(sim_sync_is_what_the_test_says),
		cmocka_unit_test(real_clock_pairs),
		cmocka_unit_test(real_sync_maps_adjtimex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
