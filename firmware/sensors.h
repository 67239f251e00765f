/* The station's sensors at run time: one slot per enabled driver, its
 * health, and for sampled sensors a thread of its own, so that a slow read
 * (a DS18B20 conversion takes 750 ms) or a hung bus never holds up the
 * daemon's loop, where the pulse counters are drained.
 *
 * With a simulated clock at speed 0 there is nothing to overlap, so samples
 * are taken in the caller's thread, in order, which keeps runs repeatable. */
#ifndef WX_SENSORS_H
#define WX_SENSORS_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/pulse.h"
#include "drivers/sensor.h"
#include "firmware/core/clock.h"

struct wx_health {
	bool ok;			/* last attempt worked */
	bool tried;			/* any attempt yet */
	char error[WX_ERR_LEN];		/* last error, when !ok */
	int64_t since_s;		/* wall time of the last change of ok */
	int64_t last_ok_s;		/* wall time of the last good reading */
	uint64_t failures;		/* failed attempts */
};

struct wx_slot;

struct wx_sensors;

/* The quantities cfg's enabled sensors measure, as bits (1u << q), with
 * dew point and sea-level pressure when they can be derived; opens
 * nothing (the network side's Home Assistant discovery). */
uint32_t wx_sensors_quantities(const struct wx_config *cfg);

/* Open every enabled sensor of env->cfg (real or simulated per env->sim),
 * on clock: one slot for each enabled row of the driver table
 * (wx_sensor_drivers), however many there are.  A sensor that fails to open
 * is not an error here: its slot stays unhealthy and is retried.  threaded:
 * sample in threads (real time); else in the caller's thread.  NULL with
 * errno set on allocation failure. */
struct wx_sensors *wx_sensors_open(const struct wx_sensor_env *env, struct wx_clock *clock,
				   bool threaded);
/* The same over another NULL-terminated driver table (tests). */
struct wx_sensors *wx_sensors_open_table(const struct wx_sensor_env *env, struct wx_clock *clock,
					 bool threaded,
					 const struct wx_sensor_driver *const *drivers);
/* Stops the threads and closes every device. */
void wx_sensors_close(struct wx_sensors *s);

int wx_sensors_count(const struct wx_sensors *s);
struct wx_slot *wx_sensors_slot(struct wx_sensors *s, int i);
/* The slot of the named sensor ("anemometer"), or NULL when not enabled. */
struct wx_slot *wx_sensors_find(struct wx_sensors *s, const char *name);

const struct wx_sensor_driver *wx_slot_driver(const struct wx_slot *slot);
const struct wx_health *wx_slot_health(const struct wx_slot *slot);

/* Sampled sensors: ask each idle sampled slot for a reading taken now; a
 * slot still busy with the previous one is skipped (and counted).  Without
 * threads the readings are taken before this returns. */
void wx_sensors_request(struct wx_sensors *s);
/* Readable when threaded readings are ready (an eventfd), else -1. */
int wx_sensors_fd(const struct wx_sensors *s);
/* Are readings still being taken? */
bool wx_sensors_busy(struct wx_sensors *s);
/* Hand each finished reading to fn (good ones only: failures update the
 * slot's health and are logged once per change), with the station time it
 * was taken at (the loop may collect it a sample period later).  Returns
 * how many. */
typedef void (*wx_sample_fn)(struct wx_slot *slot, const struct wx_record *r, int64_t taken,
			     void *arg);
int wx_sensors_collect(struct wx_sensors *s, wx_sample_fn fn, void *arg);

/* Pulse sensors: read up to max raw edges up to station time until_ns and
 * keep the debounced ones in ts.  Returns how many were kept (0 or more),
 * or a negative errno that means "this interval's count is not complete":
 *   -ENODEV     the line is not open (failed or lost; it is reopened at
 *               most every 10 s of station time, and the failure is in its
 *               health);
 *   -EOVERFLOW  the transport lost edges since the last read (the kernel's
 *               event buffer overflowed: a v2 sequence-number gap, a v1 read
 *               that found the buffer full, the simulated FIFO).  The read
 *               that saw the loss still returns its edges, counted once,
 *               with *more set; the next call then returns -EOVERFLOW
 *               without reading (a read that kept no edge returns it at
 *               once).  So a caller that counts what it gets and, on any
 *               negative return, marks the interval in progress as lost and
 *               stops draining until its next pass, nulls exactly the
 *               interval in which the loss was read, and drops no edge.
 *               The loss is logged (at most once a minute, with the count)
 *               and added to wx_slot_lost().
 * *more is set when the read filled the batch, so more may be waiting (or
 * a -EOVERFLOW is). */
int wx_slot_edges(struct wx_slot *slot, int64_t until_ns, int64_t *ts, size_t max, bool *more);
/* Is the line open and counting? */
bool wx_slot_edges_ok(const struct wx_slot *slot);
/* The pollable fd of a real GPIO line, -1 for simulated or closed lines. */
int wx_slot_fd(const struct wx_slot *slot);
/* Edges the line's kernel buffer holds between reads (edgebus.h depth). */
size_t wx_slot_depth(const struct wx_slot *slot);
/* Edges lost by the transport so far and bounce rejected so far. */
uint64_t wx_slot_lost(const struct wx_slot *slot);
uint64_t wx_slot_rejected(const struct wx_slot *slot);

#endif
