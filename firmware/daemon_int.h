/* The daemon's state, shared by its two files: daemon.c (the loop that ties
 * the jobs together, and the pulse lines' batches) and daemon_answer.c (what
 * the live socket answers).  Each job keeps its own part: the schedule
 * (schedule.h), the pulse-type slots, the sampled sensors' round, the
 * latest readings (readings.h), the run itself; the storage path, the
 * interval, the live socket and the network side are modules of their own.
 * Not for use outside the daemon. */
#ifndef WX_DAEMON_INT_H
#define WX_DAEMON_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "drivers/sim/sim.h"
#include "firmware/daemon.h"
#include "firmware/interval.h"
#include "firmware/core/live.h"
#include "firmware/netside.h"
#include "firmware/readings.h"
#include "firmware/schedule.h"
#include "firmware/sensors.h"
#include "firmware/storage.h"

#define EDGE_BATCH 256
#define SIM_DRAIN_NS (20 * WX_NS_PER_MS)	/* inside the kernel FIFO's reach */
#define MAX_POLLFDS 32
#define MAX_PULSE_SLOTS 8
/* Edges are read in batches, timed so that a batch fills at most this share
 * of the line's kernel buffer at the rate last seen (5.6 of a 16-event
 * queue: the rate can then grow 2.5 times at a stroke, as from 8 to 20 Hz,
 * before the batch ends), less BATCH_LATE_NS for a wake that comes late,
 * between BATCH_MIN_NS and BATCH_MAX_NS of real time.  With the 1024 events
 * both transports ask for, that is BATCH_MAX_NS up to a gale (at 80 Hz with
 * bounce, about 1 s). */
#define BATCH_FILL 0.35
/* A real line whose kernel queue is no deeper than this (16 events: a v1
 * request, on a kernel older than 5.10) is not read in batches but polled,
 * and drained at its first edge: batches timed to fit 16 events lost edges
 * at 80 Hz in the VM while the disk was slow or failing (a wake 40-60 ms
 * late is enough there); a wake on the edge itself never did.  Deeper
 * queues (both transports ask the kernel for 1024) and simulated lines are
 * read in batches. */
#define BATCH_MIN_DEPTH 64
/* The rate taken as seen when fewer edges came: a calm line can start at 5
 * Hz with bounce (20 edges/s) before its next batch, which holds in 16
 * events only within ~550 ms. */
#define BATCH_FLOOR_RATE 10.0
#define BATCH_LATE_NS (10 * WX_NS_PER_MS)
#define BATCH_MIN_NS (10 * WX_NS_PER_MS)
/* The longest batch, and the longest the loop sleeps: the sample period at
 * the default interval (60 s / 12), so that with batches spread evenly up to
 * the next sample or interval end (drain_edges) a calm or breezy station
 * wakes once a sample period and takes the last samples' readings at that
 * wake.  A 1024-event queue read every 5 s holds a step from calm to 200
 * edges/s (68 Hz with two bounce edges a closure, 163 km/h) within one
 * batch, and any rise of less than 1 / BATCH_FILL a batch without bound.
 * Everything else the loop does waits less than this allows: the watchdog
 * (30 s), a closed line's retry (10 s); while a live client is connected
 * the loop sleeps at most CLIENT_WAIT_NS, so that one gone quiet is dropped
 * after its 5 s and not 10. */
#define BATCH_MAX_NS (5 * WX_NS_PER_S)
#define CLIENT_WAIT_NS (WX_NS_PER_S)

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
	uint64_t counted;		/* edges counted in intervals since start */
	double rate;			/* raw edges per station second, recent peak */
	uint64_t rejected;		/* wx_slot_rejected() at the last read */
	int64_t read_at;		/* station time of the last read */
	int64_t batch;			/* the last batch's length, station ns */
};

/* Every pulse-type slot, read in batches (daemon.c "pulses"). */
struct pulse_lines {
	struct pulse_line line[MAX_PULSE_SLOTS];
	int n;
	int64_t drained_to;		/* edges taken up to here */
	int64_t next_drain;		/* the next batch of edges is due then */
};

/* The sampled sensors' round, every sample period. */
struct sample_round {
	bool pending;			/* threaded readings asked for, not all taken */
	int64_t collect_by;		/* ... wait for them no later than this */
	uint64_t run_at_request;	/* wind closures when the vane was last asked */
	double vane_weight;		/* weight of the vane reading in flight */
};

/* The run itself: signals, --duration, uptime, the systemd watchdog. */
struct run_state {
	int sigfd;
	bool stop;
	int64_t start_mono, stop_at;	/* station ns; stop_at 0: never */
	int64_t start_real;		/* CLOCK_MONOTONIC at start, for uptime */
	uint64_t watchdog_usec;		/* 0: no watchdog */
	int64_t last_watchdog;
};

struct daemon {
	const struct wx_config *cfg;
	struct wx_daemon_opts opts;
	struct run_state run;
	struct wx_clock *clock;
	struct wx_sim *sim;
	bool sim_changed;		/* a "sim" command changed the world */
	struct wx_schedule sched;
	struct wx_interval *iv;
	struct wx_sensors *sensors;
	struct sample_round round;
	struct pulse_lines pulses;
	struct wx_readings readings;	/* live values */
	struct wx_storage *storage;
	struct wx_live *live;
	struct wx_netside *net;		/* the network side: see netside.h */
};

/* CLOCK_MONOTONIC now, ns (uptime). */
int64_t wx_daemon_real_mono_ns(void);
/* The live socket's answer to one command line (struct daemon * in arg):
 * a malloc'd JSON text, or NULL for an unknown command. */
char *wx_daemon_answer(const char *command, void *arg);
/* The first pulse slot filling quantity q (WX_WIND_PULSES, WX_RAIN_TIPS),
 * or NULL. */
struct wx_slot *wx_daemon_pulse_slot(const struct daemon *d, enum wx_quantity q);
/* Whether that slot is there and healthy. */
bool wx_daemon_pulse_ok(const struct daemon *d, enum wx_quantity q);

#endif
