/* The daemon's storage path: finished records wait here until they can be
 * written to the archive, and are written by a thread of their own, so the
 * sampling loop never waits for the SD card (an fsync of 250 ms is ordinary),
 * for a lock a student's SQLite browser holds, or for a failing device.
 *
 * A record's time is fixed when it is labelled: at once when the loop knows
 * its boundary on a synchronised clock, else from the monotonic time its
 * interval ended, once the clock is synchronised.  Labels only go forward:
 * a record once stored (and perhaps sent) is never relabelled; after the
 * clock was stepped back, new records are labelled one interval after the
 * newest until the clock catches up.
 *
 * A write that failed (an I/O error, a full disk) leaves its record waiting
 * in memory: it is never taken as stored because a later read finds it (the
 * failed commit's WAL frames can sit in the page cache, clean after their
 * writeback failed, and a reopened connection finds them), but rewritten
 * after the WAL was copied into the database and synced
 * (wx_archive_settle()); status and log say the disk failed, naming it.
 *
 * Without a thread (a simulation flat out, where runs must be repeatable)
 * records are written in the caller's thread, before wx_storage_put()
 * returns. */
#ifndef WX_STORAGE_H
#define WX_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware/core/clock.h"
#include "firmware/core/config.h"
#include "firmware/core/record.h"

#define WX_STORAGE_MAX_PENDING 10080	/* a week of one-minute records */

struct wx_storage_status {
	uint64_t records_written;	/* since start */
	int64_t last_record_ts;		/* newest record stored, 0 = none */
	size_t pending;			/* waiting to be stored */
	uint64_t lost_records;		/* dropped because the buffer was full */
	char error[256];		/* "" when writing works */
	int64_t error_since_s;		/* wall time the error began */
};

struct wx_storage;

/* Storage for cfg's archive on clock.  written(arg) (may be NULL) is
 * called (from the storage thread when threaded) after records were
 * stored.  An archive that cannot be opened is not an error here:
 * records wait and it is retried.  NULL with errno set on allocation or
 * thread failure. */
struct wx_storage *wx_storage_open(const struct wx_config *cfg, struct wx_clock *clock,
				   bool threaded, void (*written)(void *arg), void *arg);
/* Write what can be written (one last try, in the caller's thread), stop
 * the thread, log what could not be stored, and free s. */
void wx_storage_close(struct wx_storage *s);

/* A finished record whose interval ended at station monotonic time
 * end_mono.  ts: its label when the caller knows it (the boundary of a
 * schedule anchored on a synchronised clock), 0 to label it from end_mono
 * once the clock is synchronised.  Never blocks on storage. */
void wx_storage_put(struct wx_storage *s, const struct wx_record *r, int64_t end_mono,
		    int64_t ts);
/* Unthreaded storage: retry what waits (after a fault or for the clock).
 * Threaded storage retries by itself: nothing to do. */
void wx_storage_poll(struct wx_storage *s);

/* Unthreaded storage: retry at the next put() or poll() instead of after
 * the 10 s a fault waits (tests; the threaded writer keeps its pace). */
void wx_storage_retry_now(struct wx_storage *s);

/* A snapshot.  Thread-safe. */
void wx_storage_status(struct wx_storage *s, struct wx_storage_status *out);
/* Rain of the records stored for local day (yyyymmdd), mm.  Thread-safe. */
double wx_storage_rain_day(struct wx_storage *s, long day);

/* The interval boundary nearest the wall time of end_mono: the label of a
 * record whose schedule was not aimed at this clock's boundaries (held
 * while the clock was unset, or in progress when it was stepped), off by
 * at most half an interval. */
int64_t wx_storage_label(struct wx_clock *clock, int64_t end_mono, int interval_s);

/* Local date of ts as yyyymmdd; local midnight at or before ts. */
long wx_storage_local_day(int64_t ts);
int64_t wx_storage_local_midnight(int64_t ts);

#endif
