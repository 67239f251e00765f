/* The daemon's state, shared by its two files: daemon.c (the loop, intervals,
 * storage, clock) and daemon_answer.c (what the live socket answers).  Not
 * for use outside the daemon. */
#ifndef WX_DAEMON_INT_H
#define WX_DAEMON_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "drivers/sim/sim.h"
#include "firmware/daemon.h"
#include "firmware/interval.h"
#include "firmware/core/live.h"
#include "firmware/sensors.h"
#include "firmware/storage.h"
#include "firmware/netside.h"

#define EDGE_BATCH 256
#define SIM_DRAIN_NS (20 * WX_NS_PER_MS)	/* inside the kernel FIFO's reach */
#define LIVE_WIND_S 10
#define LIVE_RAIN_S 600			/* rain rate: over the last 10 minutes */
#define RAIN_RING 1024			/* tips remembered for it (> 10 min at 300 mm/h) */
#define MAX_POLLFDS 32
#define MAX_PULSE_SLOTS 8
/* Edges are read in batches, timed so that a batch fills at most this share
 * of the line's kernel buffer at the rate last seen (5.6 of libgpiod 1.6's
 * 16: the rate can then grow 2.5 times at a stroke, as from 8 to 20 Hz in
 * the VM pulses test, before the batch ends; 0.625 lost edges there), less
 * BATCH_LATE_NS for a wake that comes late, between BATCH_MIN_NS and
 * BATCH_MAX_NS of real time. */
#define BATCH_FILL 0.35
/* The rate taken as seen when fewer edges came: a calm line can start at 5
 * Hz with bounce (20 edges/s) before its next batch (VM pulses: 0 to 5 Hz),
 * which holds in 16 events only within ~550 ms. */
#define BATCH_FLOOR_RATE 10.0
#define BATCH_LATE_NS (10 * WX_NS_PER_MS)
#define BATCH_MIN_NS (10 * WX_NS_PER_MS)
#define BATCH_MAX_NS WX_NS_PER_S

struct carry {			/* edges read early, for the next interval */
	int64_t *ts;
	size_t n, cap;
};

/* A pulse-type sensor slot (driver kind WX_SENSOR_PULSE) and what the loop
 * keeps for it. */
struct pulse_line {
	struct wx_slot *slot;
	uint32_t fills;			/* its driver's WX_Q() quantities */
	struct carry carry;
	double rate;			/* raw edges per station second, recent peak */
	uint64_t rejected;		/* wx_slot_rejected() at the last read */
	int64_t read_at;		/* station time of the last read */
	int64_t batch;			/* the last batch's length, station ns */
};

struct daemon {
	const struct wx_config *cfg;
	struct wx_daemon_opts opts;
	struct wx_clock *clock;
	struct wx_sim *sim;
	struct wx_sensors *sensors;
	struct pulse_line pulse[MAX_PULSE_SLOTS];
	int npulse;
	struct wx_slot *wind, *rain;	/* the pulse slots filling wind, rain (or NULL) */
	struct wx_storage *storage;
	struct wx_interval *iv;
	struct wx_live *live;
	struct wx_netside *net;		/* the network side: see netside.h */
	int sigfd;
	bool stop;

	int64_t start_mono, stop_at;	/* stop_at 0: never */
	int64_t start_real;		/* CLOCK_MONOTONIC at start, for uptime */
	int64_t period_ns, next_sample;
	int64_t drained_to;		/* edges taken up to here */
	int64_t next_drain;		/* the next batch of edges is due then */
	bool sampling;			/* threaded readings asked for, not all taken */
	int64_t collect_by;		/* ... wait for them no later than this */

	/* The schedule: the wall time the interval in progress ends at, a
	 * boundary, carried forward one interval at a time and anchored anew
	 * only when the clock was stepped (or first synchronised). */
	int64_t end_wall_ns;
	bool anchor_synced;		/* anchored on a synchronised clock */
	bool reanchor;			/* the clock was stepped: anchor at the end */

	uint64_t wind_total;		/* accepted closures since start */
	uint64_t wind_at_request;	/* ... when the vane was last asked */
	double vane_weight;		/* weight of the vane reading in flight */

	/* live values */
	struct wx_record latest;
	int64_t latest_mono[WX_QUANTITY_COUNT];
	int64_t wind_sec[LIVE_WIND_S + 2];	/* ring of per-second counts */
	uint32_t wind_cnt[LIVE_WIND_S + 2];
	int64_t rain_tip[RAIN_RING];	/* ring of tip times (station mono ns) */
	uint64_t rain_tips_total;

	int64_t started_wall_s;
	uint64_t watchdog_usec;
	int64_t last_watchdog;
	int64_t offset_ns;		/* wall minus monotonic, as last seen */
};

/* CLOCK_MONOTONIC now, ns (uptime). */
int64_t wx_daemon_real_mono_ns(void);
/* The live socket's answer to one command line (struct daemon * in arg):
 * a malloc'd JSON text, or NULL for an unknown command. */
char *wx_daemon_answer(const char *command, void *arg);

#endif
