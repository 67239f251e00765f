/* wxvm-pulse: reed-switch closures on gpio-sim lines, for the VM tests.
 *
 *   wxvm-pulse WIND_PULL RAIN_PULL PLAN...
 *
 * WIND_PULL and RAIN_PULL are gpio-sim's sysfs "pull" attributes
 * (/sys/devices/platform/gpio-sim.N/gpiochipM/sim_gpioL/pull).  Each PLAN
 * item is one 10-s interval of the wall clock, starting at the next
 * boundary: "WIND_HZ" or "WIND_HZ/RAIN_HZ" (0 for none).  A closure is a
 * pull-down (the falling edge wxd counts) followed by 1-3 extra falling
 * edges of contact bounce 0.5 ms apart, then a clean release 6 ms (wind) or
 * 50 ms (rain) after it.
 *
 * Closures are placed so that what wxd must count is unambiguous:
 *   - none within 50 ms of an interval boundary (ts - 10, ts];
 *   - closures sit half of gcd(period, 250 ms) away from the edges of
 *     wxd's 250 ms gust bins, so none is near a bin edge (use rates whose
 *     period shares a good part of 250 ms: 80 Hz 6.25 ms, 5 Hz 25 ms);
 *   - a closure that would come less than 11 ms after the previous one
 *     (the one before ran late) is not made, so wxd's 9.6 ms plausibility
 *     window never has to reject a real closure.
 * Each closure made is printed as "W|R SECONDS.NANOSECONDS" (CLOCK_REALTIME
 * read just before the pull-down is written; the kernel stamps the edge
 * ~0.2 ms later), each closure skipped as "SKIP ...".  Bounce that would
 * end more than 3.5 ms after its closure (the guest stalled) is cut short,
 * so that it can never be a second closure.  Runs SCHED_FIFO. */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define NS 1000000000LL
#define MS 1000000LL
#define INTERVAL (10 * NS)
#define BIN (250 * MS)
#define EDGE_GUARD (50 * MS)
#define MAX_ACT 65536
#define BOUNCE_MAX (3500 * 1000LL)	/* bounce ends 3.5 ms after the closure */

struct act {
	int64_t t;
	int line;	/* 0 wind, 1 rain */
	int close;	/* 1 closure, 0 release */
};

static int fd[2];
static uint32_t seed = 12345;
static unsigned late_bounce;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static void sleep_until(int64_t t)
{
	struct timespec ts = { .tv_sec = t / NS, .tv_nsec = t % NS };

	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void pull(int line, int down)
{
	const char *s = down ? "pull-down" : "pull-up";

	if (pwrite(fd[line], s, strlen(s), 0) < 0) {
		perror("wxvm-pulse: write pull");
		exit(1);
	}
}

static int cmp(const void *a, const void *b)
{
	const struct act *x = a, *y = b;

	return x->t < y->t ? -1 : x->t > y->t;
}

static struct act acts[MAX_ACT];
static size_t nact;

static void add(int64_t t, int line, int close)
{
	if (nact == MAX_ACT) {
		fprintf(stderr, "wxvm-pulse: plan too long\n");
		exit(2);
	}
	acts[nact++] = (struct act){ t, line, close };
}

static int64_t gcd(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Closures of one line in [start, start + INTERVAL) at hz. */
static void plan(int64_t start, int line, double hz)
{
	int64_t period, phase;

	if (hz <= 0)
		return;
	period = (int64_t)(NS / hz + 0.5);
	/* Half the step at which closures meet the 250 ms grid: 6.25 ms at
	 * 80 Hz, 25 ms at 5 Hz (200 ms: 100 ms would hit 500 ms), 125 ms at 1 Hz. */
	phase = gcd(period, BIN) / 2;
	for (int64_t t = start + phase; t < start + INTERVAL; t += period) {
		if (t - start < EDGE_GUARD || start + INTERVAL - t < EDGE_GUARD)
			continue;
		add(t, line, 1);
		add(t + (line ? 50 : 6) * MS, line, 0);
	}
}

int main(int argc, char **argv)
{
	struct sched_param sp = { .sched_priority = 50 };
	int64_t start, last_close[2] = { 0, 0 };

	if (argc < 4) {
		fprintf(stderr, "usage: wxvm-pulse WIND_PULL RAIN_PULL WIND_HZ[/RAIN_HZ]...\n");
		return 2;
	}
	for (int i = 0; i < 2; i++) {
		fd[i] = open(argv[1 + i], O_WRONLY);
		if (fd[i] < 0) {
			perror(argv[1 + i]);
			return 1;
		}
	}
	if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
		perror("wxvm-pulse: SCHED_FIFO (going on without)");
	mlockall(MCL_CURRENT | MCL_FUTURE);
	setvbuf(stdout, NULL, _IOLBF, 0);	/* the test reads the log as it grows */
	pull(0, 0);
	pull(1, 0);
	start = (now_ns() / INTERVAL + 1) * INTERVAL;
	for (int i = 3; i < argc; i++) {
		double w = 0, r = 0;

		if (sscanf(argv[i], "%lf/%lf", &w, &r) < 1) {
			fprintf(stderr, "wxvm-pulse: bad plan item '%s'\n", argv[i]);
			return 2;
		}
		plan(start + (int64_t)(i - 3) * INTERVAL, 0, w);
		plan(start + (int64_t)(i - 3) * INTERVAL, 1, r);
	}
	qsort(acts, nact, sizeof(acts[0]), cmp);
	printf("START %lld\n", (long long)(start / NS));
	fflush(stdout);
	for (size_t i = 0; i < nact; i++) {
		struct act *a = &acts[i];
		int64_t t;

		sleep_until(a->t);
		if (!a->close) {
			pull(a->line, 0);
			continue;
		}
		t = now_ns();
		if ((last_close[a->line] && t - last_close[a->line] < 11 * MS) ||
		    t - a->t > 20 * MS) {
			printf("SKIP %c %lld.%09lld late %lld us\n", a->line ? 'R' : 'W',
			       (long long)(t / NS), (long long)(t % NS), (long long)((t - a->t) / 1000));
			/* its release is harmless: the line is already up */
			continue;
		}
		pull(a->line, 1);
		/* The kernel stamps the edge somewhere between t and now: the
		 * next closure keeps 11 ms from the latest it can be. */
		last_close[a->line] = now_ns();
		/* 1-3 extra falling edges, 0.5 ms apart: the contact bouncing */
		seed = seed * 1103515245u + 12345u;
		for (int b = 0, nb = 1 + (int)((seed >> 16) % 3); b < nb; b++) {
			/* A bounce edge made late (the guest stalled) would be a
			 * second closure, not bounce: stop bouncing, and leave the
			 * line where it is (up or down, it is one closure). */
			sleep_until(t + (2 * b + 1) * 500000LL);
			if (now_ns() - t > BOUNCE_MAX)
				break;
			pull(a->line, 0);
			sleep_until(t + (2 * b + 2) * 500000LL);
			if (now_ns() - t > BOUNCE_MAX) {
				late_bounce++;
				break;
			}
			pull(a->line, 1);
		}
		printf("%c %lld.%09lld\n", a->line ? 'R' : 'W', (long long)(t / NS), (long long)(t % NS));
	}
	if (late_bounce)
		printf("LATEBOUNCE %u closures released early (the guest stalled mid-bounce)\n", late_bounce);
	printf("END %lld\n", (long long)((start + (int64_t)(argc - 3) * INTERVAL) / NS));
	return 0;
}
