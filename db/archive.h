/* The SQLite archive: one row per interval in table archive, columns named
 * as the contract's keys, upload cursors per destination in the same file.
 * WAL mode; every record is its own transaction, so a crash or power cut
 * loses at most the interval in progress. */
#ifndef WX_ARCHIVE_H
#define WX_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware/core/record.h"

struct wx_archive;

/* Open (creating and migrating as needed) the database at path.  NULL with
 * errno set and a message in err naming the file. */
struct wx_archive *wx_archive_open(const char *path, char *err, size_t errlen);
/* Open an existing database read-only (wxctl history/status). */
struct wx_archive *wx_archive_open_ro(const char *path, char *err, size_t errlen);
/* The same for a process that must not be able to write the archive (the
 * network side): every file descriptor it opens, the -wal and -shm too, is
 * O_RDONLY. */
struct wx_archive *wx_archive_open_reader(const char *path, char *err, size_t errlen);
void wx_archive_close(struct wx_archive *a);

/* The message of the last failed call on a, naming the file (for the calls
 * without an err buffer: wx_archive_count(), _each(), cursors ...); "" when
 * none failed yet.  Owned by a, valid until the next call on a. */
const char *wx_archive_errmsg(const struct wx_archive *a);

/* Insert one record (only WX_IN_ARCHIVE quantities are stored) in one
 * durable transaction.  0; -EEXIST when a record with that ts exists (the
 * stored one is kept); else -errno (-ENOSPC, -EROFS, -EIO, -EBUSY) with a
 * message in err. */
int wx_archive_insert(struct wx_archive *a, const struct wx_record *r, char *err, size_t errlen);
/* The same, replacing a stored record with that ts (INSERT OR REPLACE):
 * for a record whose earlier insert failed with a disk error.  Such a
 * commit may have left its WAL frames in the page cache only, where a
 * reopened connection finds them as if committed; rewriting it puts new
 * frames in the WAL and fsyncs them.  0 or -errno as above (never
 * -EEXIST). */
int wx_archive_rewrite(struct wx_archive *a, const struct wx_record *r, char *err, size_t errlen);

/* Was the last failure on a the disk's (an I/O error, SQLITE_IOERR*, or a
 * full disk)?  Its message then says so and names the device; such a file
 * is not damaged, and must not be moved aside. */
bool wx_archive_io_failed(const struct wx_archive *a);

/* The newest record's ts into *ts (0 when empty).  0 or -errno. */
int wx_archive_newest_ts(struct wx_archive *a, int64_t *ts);
/* SQLite's PRAGMA data_version of this connection into *v: it changes when
 * another connection committed to the file (the network side polls it to
 * learn of new records).  0 or -errno. */
int wx_archive_data_version(struct wx_archive *a, int64_t *v);
/* Number of records into *n.  0 or -errno. */
int wx_archive_count(struct wx_archive *a, int64_t *n);

/* Call cb for each record with since <= ts <= until, oldest first; stops
 * early when cb returns nonzero (and returns that).  0 or -errno.  r is
 * only valid during the call. */
typedef int (*wx_archive_cb)(const struct wx_record *r, void *arg);
int wx_archive_each(struct wx_archive *a, int64_t since, int64_t until, wx_archive_cb cb, void *arg);

/* Up to max records with ts > after_ts, oldest first, into out.  Returns
 * the count or -errno. */
int wx_archive_after(struct wx_archive *a, int64_t after_ts, struct wx_record *out, size_t max);
/* Records with ts > after_ts into *n.  0 or -errno. */
int wx_archive_count_after(struct wx_archive *a, int64_t after_ts, int64_t *n);
/* Records with ts > after_ts into *n and the newest ts into *newest
 * (after_ts when none), from one snapshot.  0 or -errno. */
int wx_archive_tail(struct wx_archive *a, int64_t after_ts, int64_t *n, int64_t *newest);
/* Sum of rain_mm over since <= ts <= until into *mm (0 when none).  0 or -errno. */
int wx_archive_rain_sum(struct wx_archive *a, int64_t since, int64_t until, double *mm);

/* One step of wx_archive_aggregate(): mean.ts is the end of the step,
 * mean.interval_s the step; mean holds the means (rain_mm, wind_pulses and
 * rain_tips summed, wind_gust_kmh the highest, wind_direction_deg the
 * wind-weighted vector mean, null when calm throughout), lo and hi the
 * lowest and highest value of each quantity (direction: none), n the
 * number of records in it. */
struct wx_archive_step {
	struct wx_record mean, lo, hi;
	int64_t n;
};
typedef int (*wx_archive_step_cb)(const struct wx_archive_step *g, void *arg);

/* Aggregate the records with since < ts <= until in steps of step_s
 * seconds, computed in SQL: step k (1, 2, ...) holds since + (k-1)*step_s <
 * ts <= since + k*step_s and ends at since + k*step_s.  Steps without a
 * record are left out.  cb is called oldest first, as wx_archive_each().
 * 0 or -errno (-EINVAL for step_s < 1). */
int wx_archive_aggregate(struct wx_archive *a, int64_t since, int64_t until, int64_t step_s,
			 wx_archive_step_cb cb, void *arg);

/* Upload cursor of destination dest ("mqtt", "initialstate"): the ts of the
 * newest record it acknowledged.  A destination seen for the first time
 * starts at 0 (sends the whole archive).  0 or -errno. */
int wx_archive_cursor_get(struct wx_archive *a, const char *dest, int64_t *ts);
int wx_archive_cursor_set(struct wx_archive *a, const char *dest, int64_t ts);

/* For the uploaders' own connections: their commits (cursor moves) are not
 * fsync()ed.  In WAL mode the next durable commit of the daemon syncs them
 * too; a power cut can only take a cursor back, so records are sent again
 * (at least once), never lost, and a backlog drain does not cost an SD card
 * an fsync per acknowledgement.  0 or -errno. */
int wx_archive_relax_sync(struct wx_archive *a);

/* Are the files this connection has open still the ones at its path?  A
 * database deleted or replaced under a running writer would swallow every
 * later record; a deleted WAL holds every record since the last checkpoint
 * (only in the open file): checkpoint it, then reopen. */
enum wx_archive_files {
	WX_ARCHIVE_FILES_OK,
	WX_ARCHIVE_DB_GONE,	/* the database file was deleted or replaced */
	WX_ARCHIVE_WAL_GONE,	/* its -wal file was deleted or replaced */
};
enum wx_archive_files wx_archive_check_files(struct wx_archive *a);
/* Copy the WAL into the database file (PRAGMA wal_checkpoint(FULL)).  0 or
 * -errno with a message in err. */
int wx_archive_checkpoint(struct wx_archive *a, char *err, size_t errlen);

/* After a disk error: copy everything the connection sees into the
 * database file, fsync it and empty the WAL (PRAGMA wal_checkpoint(
 * TRUNCATE)), so that a commit made after it does not sit behind WAL frames
 * whose writeback failed.  0; -EBUSY when a reader kept the WAL from being
 * emptied (try again); else -errno with a message in err. */
int wx_archive_settle(struct wx_archive *a, char *err, size_t errlen);

/* The schema version this code writes (PRAGMA user_version). */
int wx_archive_schema_version(void);

#endif
