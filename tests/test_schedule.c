/* firmware/schedule.c: where intervals end on both clocks, when samples are
 * due, and how a step of the wall clock or its first synchronisation aims
 * the schedule anew.  On the simulated clock at speed 0, moved by jumps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "firmware/core/clock.h"
#include "firmware/schedule.h"

#define START (1795392000LL * WX_NS_PER_S)	/* 2026-11-23 00:00 UTC */
#define S WX_NS_PER_S

static void sample_period_is_a_twelfth_within_2_to_30_s(void **state)
{
	struct wx_clock *c = wx_clock_sim(START, 0);
	struct wx_schedule s;

	(void)state;
	wx_schedule_init(&s, c, 60);
	assert_int_equal(s.period_ns, 5 * S);
	wx_schedule_init(&s, c, 10);
	assert_int_equal(s.period_ns, 2 * S);
	wx_schedule_init(&s, c, 300);
	assert_int_equal(s.period_ns, 25 * S);
	wx_schedule_init(&s, c, 3600);
	assert_int_equal(s.period_ns, 30 * S);
	wx_clock_free(c);
}

/* Started 25 s into a minute: the first interval is 35 s long, sampled at
 * the middles of the minute's periods that lie in it; then one minute at a
 * time, each labelled with its boundary. */
static void first_interval_short_then_one_interval_each(void **state)
{
	struct wx_clock *c = wx_clock_sim(START + 25 * S, 0);
	struct wx_schedule s;
	int64_t m0 = wx_clock_mono_ns(c), end, next, label = -1;

	(void)state;
	wx_schedule_init(&s, c, 60);
	end = wx_schedule_anchor(&s, m0);
	assert_int_equal(end - m0, 35 * S);
	assert_int_equal(s.end_wall_ns, START + 60 * S);
	assert_int_equal(s.next_sample, m0 + 2500 * WX_NS_PER_MS);	/* at 27.5 s */

	wx_clock_jump(c, end);
	next = wx_schedule_turn(&s, end, &label);
	assert_int_equal(label, START / S + 60);
	assert_int_equal(next - end, 60 * S);
	assert_int_equal(s.end_wall_ns, START + 120 * S);
	assert_int_equal(s.next_sample, end + 2500 * WX_NS_PER_MS);

	wx_clock_jump(c, next);
	end = next;
	next = wx_schedule_turn(&s, end, &label);
	assert_int_equal(label, START / S + 120);
	assert_int_equal(next - end, 60 * S);
	wx_clock_free(c);
}

/* A boundary less than 1 ms away counts as reached, not as an interval. */
static void boundary_just_ahead_is_taken_as_reached(void **state)
{
	struct wx_clock *c = wx_clock_sim(START + 60 * S - WX_NS_PER_MS / 2, 0);
	struct wx_schedule s;
	int64_t m0 = wx_clock_mono_ns(c);

	(void)state;
	wx_schedule_init(&s, c, 60);
	assert_int_equal(wx_schedule_anchor(&s, m0) - m0, 60 * S + WX_NS_PER_MS / 2);
	assert_int_equal(s.end_wall_ns, START + 120 * S);
	wx_clock_free(c);
}

static void samples_due_once_per_period_and_after_oversleeping(void **state)
{
	struct wx_clock *c = wx_clock_sim(START, 0);
	struct wx_schedule s;
	int64_t m0 = wx_clock_mono_ns(c), first;

	(void)state;
	wx_schedule_init(&s, c, 60);
	wx_schedule_anchor(&s, m0);
	first = s.next_sample;
	assert_int_equal(first, m0 + 2500 * WX_NS_PER_MS);
	assert_false(wx_schedule_sample_due(&s, first - 1));
	assert_int_equal(s.next_sample, first);
	assert_true(wx_schedule_sample_due(&s, first));
	assert_int_equal(s.next_sample, first + 5 * S);
	assert_false(wx_schedule_sample_due(&s, first + 1));
	/* Woken 12 s late: one sample, and the next on the period's grid. */
	assert_true(wx_schedule_sample_due(&s, first + 17 * S));
	assert_int_equal(s.next_sample, first + 20 * S);
	wx_clock_free(c);
}

/* A step of the wall clock: the interval in progress ends as planned on the
 * monotonic clock but is left for the storage path to label (0), and the
 * next ends on a boundary of the new clock, one interval after the
 * boundary nearest the step's interval end. */
static void clock_step_aims_the_schedule_anew(void **state)
{
	struct wx_clock *c = wx_clock_sim(START, 0);
	struct wx_schedule s;
	int64_t m0 = wx_clock_mono_ns(c), end, next, label = -1;

	(void)state;
	wx_schedule_init(&s, c, 60);
	end = wx_schedule_anchor(&s, m0);
	wx_schedule_watch_clock(&s);
	assert_false(s.reanchor);	/* nothing moved */
	wx_clock_sim_step(c, 500 * WX_NS_PER_MS);
	wx_schedule_watch_clock(&s);
	assert_false(s.reanchor);	/* within 1 s: not a step */
	wx_clock_sim_step(c, 3600 * S + 20 * S);
	wx_schedule_watch_clock(&s);
	assert_true(s.reanchor);

	wx_clock_jump(c, end);
	next = wx_schedule_turn(&s, end, &label);
	assert_int_equal(label, 0);
	assert_false(s.reanchor);
	/* end's wall time is now START + 3680.5 s: nearest boundary 3660 s. */
	assert_int_equal(s.end_wall_ns, START + 3720 * S);
	assert_int_equal(next - end, wx_clock_wall_at(c, next) - wx_clock_wall_at(c, end));
	assert_int_equal(wx_clock_wall_at(c, next), START + 3720 * S);

	wx_clock_jump(c, next);
	end = next;
	next = wx_schedule_turn(&s, end, &label);
	assert_int_equal(label, START / S + 3720);
	assert_int_equal(next - end, 60 * S);
	wx_clock_free(c);
}

/* Anchored while the clock was not synchronised: records are left for the
 * storage path to label until it is, and the schedule is aimed anew then. */
static void first_synchronisation_aims_the_schedule_anew(void **state)
{
	struct wx_clock *c = wx_clock_sim(START + 10 * S, 0);
	struct wx_schedule s;
	int64_t m0 = wx_clock_mono_ns(c), end, next, label = -1;

	(void)state;
	wx_clock_sim_set_synchronised(c, false);
	wx_schedule_init(&s, c, 60);
	end = wx_schedule_anchor(&s, m0);
	assert_false(s.anchor_synced);

	wx_clock_jump(c, end);
	next = wx_schedule_turn(&s, end, &label);
	assert_int_equal(label, 0);		/* still not synchronised */
	assert_int_equal(next - end, 60 * S);
	assert_false(s.anchor_synced);

	wx_clock_sim_set_synchronised(c, true);
	wx_clock_jump(c, next);
	end = next;
	next = wx_schedule_turn(&s, end, &label);
	assert_int_equal(label, 0);		/* anchored unsynchronised */
	assert_true(s.anchor_synced);

	wx_clock_jump(c, next);
	end = next;
	wx_schedule_turn(&s, end, &label);
	assert_int_equal(label, START / S + 180);
	wx_clock_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sample_period_is_a_twelfth_within_2_to_30_s),
		cmocka_unit_test(first_interval_short_then_one_interval_each),
		cmocka_unit_test(boundary_just_ahead_is_taken_as_reached),
		cmocka_unit_test(samples_due_once_per_period_and_after_oversleeping),
		cmocka_unit_test(clock_step_aims_the_schedule_anew),
		cmocka_unit_test(first_synchronisation_aims_the_schedule_anew),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
