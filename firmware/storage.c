/* The daemon's storage path (see storage.h). */
#include "firmware/storage.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "db/archive.h"
#include "firmware/core/log.h"

#define RETRY_NS (10 * WX_NS_PER_S)	/* after a fault, try again this often */
#define WAKE_NS  WX_NS_PER_S		/* with records waiting: look at the clock this often */
#define IDLE_WAKE_S 5			/* else look at the files this often ... */
#define IDLE_WATCHED_S 60		/* ... or this often while inotify watches them */

struct held {
	struct wx_record r;
	int64_t end_mono;
	bool labelled;
	bool failed;		/* its commit failed: rewrite it, never take it as stored */
};

struct wx_storage {
	const struct wx_config *cfg;
	struct wx_clock *clock;
	void (*written)(void *arg);
	void *arg;

	pthread_mutex_t mu;
	int kick_fd;			/* eventfd: wakes the thread (a record, stop) */
	int watch_fd;			/* inotify on the archive's folder, or -1 */
	pthread_t thread;
	bool threaded, stop;

	/* The queue, oldest first: held[head .. head + n) modulo the size. */
	struct held *held;
	size_t head, n;
	bool busy;			/* the oldest is being written (unlocked) */

	/* Owned by the writer (the thread, or the caller when unthreaded). */
	struct wx_archive *archive;
	int64_t retry_at;		/* real monotonic ns; 0 = now */
	bool disk_failed;		/* a write failed: settle the archive before trusting it */
	bool io_seen;			/* ... and the disk reported an I/O error */

	/* Shared, under mu. */
	int64_t last_label;		/* newest label given, 0 = none yet */
	bool catching_up;
	bool rain_seeded;		/* rain today read from the archive */
	long rain_day;
	double rain_day_mm;
	struct wx_storage_status st;
};

/* ---- time ---------------------------------------------------------------- */

static int64_t real_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * WX_NS_PER_S + ts.tv_nsec;
}

long wx_storage_local_day(int64_t ts)
{
	time_t t = (time_t)ts;
	struct tm tm;

	localtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 10000L + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

int64_t wx_storage_local_midnight(int64_t ts)
{
	time_t t = (time_t)ts;
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

int64_t wx_storage_label(struct wx_clock *clock, int64_t end_mono, int interval_s)
{
	int64_t i_ns = (int64_t)interval_s * WX_NS_PER_S;
	/* Half way between two boundaries goes to the earlier one: the next
	 * interval is then the shorter, not the longer. */
	int64_t wall = wx_clock_wall_at(clock, end_mono) + i_ns / 2 - 1;
	int64_t b = wall / i_ns - (wall % i_ns < 0);

	return b * interval_s;
}

/* ---- the queue (under mu) ------------------------------------------------ */

static struct held *at(struct wx_storage *s, size_t k)
{
	return &s->held[(s->head + k) % WX_STORAGE_MAX_PENDING];
}

static void drop_oldest(struct wx_storage *s)
{
	s->head = (s->head + 1) % WX_STORAGE_MAX_PENDING;
	s->n--;
}

static void fault(struct wx_storage *s, const char *err)
{
	if (strcmp(s->st.error, err) != 0) {
		wx_log_warnx("%s (keeping records in memory, %zu waiting)", err, s->n);
		snprintf(s->st.error, sizeof(s->st.error), "%s", err);
		s->st.error_since_s = wx_clock_wall_ns(s->clock) / WX_NS_PER_S;
	}
}

static void count_rain(struct wx_storage *s, const struct wx_record *r)
{
	long day = wx_storage_local_day(r->ts - 1);	/* a record ending 00:00 is yesterday's */

	if (day != s->rain_day) {
		s->rain_day = day;
		s->rain_day_mm = 0;
	}
	if (wx_record_has(r, WX_RAIN_MM))
		s->rain_day_mm += r->v[WX_RAIN_MM];
}

/* Give h its time.  Labels only go forward (see storage.h). */
static void label(struct wx_storage *s, struct held *h)
{
	int i = s->cfg->station.interval_s;

	if (!h->r.ts)
		h->r.ts = wx_storage_label(s->clock, h->end_mono, i);
	if (s->last_label && h->r.ts <= s->last_label) {
		if (!s->catching_up)
			wx_log_warnx("clock is behind the newest record (%lld); labelling records "
				     "after it until the clock catches up",
				     (long long)s->last_label);
		s->catching_up = true;
		h->r.ts = s->last_label + i;
	} else if (s->catching_up) {
		wx_log_info("clock caught up with the records");
		s->catching_up = false;
	}
	s->last_label = h->r.ts;
	h->labelled = true;
	count_rain(s, &h->r);
}

/* ---- the archive (writer only) ------------------------------------------- */

static void close_archive(struct wx_storage *s)
{
	wx_archive_close(s->archive);
	s->archive = NULL;
}

/* Open the archive, or notice that the open one was deleted or replaced
 * under us (SQLite would go on writing into a file nobody can see), or that
 * its WAL was (the records since the last checkpoint live only in it: copy
 * them into the database first).  True when s->archive is ready. */
static bool archive_ready(struct wx_storage *s, char *err, size_t errlen)
{
	const char *path = s->cfg->station.database;

	if (s->archive) {
		switch (wx_archive_check_files(s->archive)) {
		case WX_ARCHIVE_FILES_OK:
			return true;
		case WX_ARCHIVE_DB_GONE:
			wx_log_warnx("%s: the database file was deleted or replaced; starting a new one",
				     path);
			break;
		case WX_ARCHIVE_WAL_GONE:
			if (wx_archive_checkpoint(s->archive, err, errlen) == 0)
				wx_log_warnx("%s-wal was deleted; its records were copied into %s and "
					     "the archive reopened", path, path);
			else
				wx_log_warnx("%s-wal was deleted, and copying it failed: %s", path, err);
			break;
		}
		close_archive(s);
	}
	s->archive = wx_archive_open(path, err, errlen);
	if (!s->archive)
		return false;
	pthread_mutex_lock(&s->mu);
	if (!s->last_label)
		wx_archive_newest_ts(s->archive, &s->last_label);
	if (!s->st.last_record_ts)
		s->st.last_record_ts = s->last_label;
	if (!s->rain_seeded) {
		/* Rain today so far, from what the archive holds (a restart
		 * keeps the day's total). */
		int64_t now = wx_clock_wall_ns(s->clock) / WX_NS_PER_S;
		double mm = 0;

		if (wx_archive_rain_sum(s->archive, wx_storage_local_midnight(now) + 1, now, &mm) == 0 &&
		    s->rain_day != wx_storage_local_day(now)) {
			s->rain_day = wx_storage_local_day(now);
			s->rain_day_mm = mm;
		}
		s->rain_seeded = true;
	}
	pthread_mutex_unlock(&s->mu);
	return true;
}

/* Open the archive (creating it) without waiting for a record: at start,
 * and again after a fault, so that status tells of a broken archive before
 * any record waits for it.  Writer only. */
static void try_open(struct wx_storage *s)
{
	char err[512];
	int64_t now = real_mono_ns();

	if (s->archive || now < s->retry_at)
		return;
	if (!archive_ready(s, err, sizeof(err))) {
		pthread_mutex_lock(&s->mu);
		s->retry_at = now + RETRY_NS;
		fault(s, err);
		pthread_mutex_unlock(&s->mu);
	}
}

/* The archive's message for a file it could not read, when that comes
 * right after the disk failed: the file is not known to be damaged (what
 * the page cache held is gone, what the disk holds may be older), so it is
 * not to be moved aside, only tried again.  Writer only, mu not held. */
static void after_disk_error(struct wx_storage *s, char *err, size_t errlen)
{
	/* db/archive.c's hint for a damaged file */
	char *hint = strstr(err, " (damaged or not a wxd archive");

	if (!s->io_seen || !hint)
		return;
	snprintf(hint, errlen - (size_t)(hint - err),
		 " (right after the disk failed: the file is left as it is and tried again)");
}

/* Write one record.  A record whose commit failed is rewritten, never
 * taken as stored because a later read finds it: its WAL frames may be in
 * the page cache only (the fsync failed), where the reopened connection's
 * WAL recovery finds them.  Writer only, mu not held. */
static int write_one(struct wx_storage *s, const struct wx_record *r, bool failed, char *err,
		     size_t errlen)
{
	return failed ? wx_archive_rewrite(s->archive, r, err, errlen)
		      : wx_archive_insert(s->archive, r, err, errlen);
}

/* After a failed write: copy what the connection sees into the database,
 * fsync it and empty the WAL, so that the commits that follow are not
 * chained behind frames whose writeback failed.  True when it worked.
 * Writer only, mu not held. */
static bool settle(struct wx_storage *s, char *err, size_t errlen)
{
	int rc;

	if (!s->disk_failed)
		return true;
	rc = wx_archive_settle(s->archive, err, errlen);
	if (rc < 0) {
		if (wx_archive_io_failed(s->archive))
			s->io_seen = true;
		if (rc != -EBUSY)
			close_archive(s);	/* reopen (and recover the WAL) next time */
		return false;
	}
	wx_log_info("%s: the disk works again: the WAL was copied into the database and synced; "
		    "rewriting the records whose write failed", s->cfg->station.database);
	s->disk_failed = s->io_seen = false;
	return true;
}

/* Write what is waiting, oldest first; stop at the first failure.  Called
 * by the writer without mu held. */
static void flush(struct wx_storage *s)
{
	char err[512];
	bool wrote = false, synced = wx_clock_synchronised(s->clock);
	int64_t now = real_mono_ns();

	pthread_mutex_lock(&s->mu);
	if (!s->n || (!synced && !at(s, 0)->labelled && !at(s, 0)->r.ts) ||
	    (s->st.error[0] && now < s->retry_at)) {
		pthread_mutex_unlock(&s->mu);
		return;
	}
	s->retry_at = now + RETRY_NS;
	pthread_mutex_unlock(&s->mu);

	if (!archive_ready(s, err, sizeof(err)) || !settle(s, err, sizeof(err))) {
		after_disk_error(s, err, sizeof(err));
		pthread_mutex_lock(&s->mu);
		fault(s, err);
		pthread_mutex_unlock(&s->mu);
		return;
	}
	pthread_mutex_lock(&s->mu);
	while (s->n) {
		struct held *h = at(s, 0);
		struct wx_record r;
		bool failed;
		int rc;

		if (!h->labelled) {
			if (!h->r.ts && !synced)
				break;	/* its time is not known yet */
			label(s, h);
		}
		r = h->r;
		failed = h->failed;
		s->busy = true;
		pthread_mutex_unlock(&s->mu);
		rc = write_one(s, &r, failed, err, sizeof(err));
		if (rc < 0 && rc != -EEXIST && rc != -EBUSY) {
			/* Anything but a lock may have written part of the
			 * commit: rewrite this one, and settle first. */
			s->disk_failed = true;
			if (wx_archive_io_failed(s->archive))
				s->io_seen = true;
			after_disk_error(s, err, sizeof(err));
		}
		pthread_mutex_lock(&s->mu);
		s->busy = false;
		h = at(s, 0);	/* put() may have moved it while unlocked */
		if (rc < 0 && rc != -EEXIST && rc != -EBUSY)
			h->failed = true;
		if (rc == -EEXIST) {
			wx_log_warnx("%s: a record for %lld is already stored; kept the stored one",
				     s->cfg->station.database, (long long)r.ts);
		} else if (rc < 0) {
			fault(s, err);
			/* Reopen next time (the file may be replaced, or the
			 * disk failed: the reopened connection's WAL recovery
			 * sees what reached the WAL, which settle() then
			 * copies into the database and syncs). */
			if (rc != -EBUSY)
				close_archive(s);
			break;
		} else {
			s->st.records_written++;
			s->st.last_record_ts = r.ts;
			wrote = true;
		}
		drop_oldest(s);
	}
	if (!s->n && s->st.error[0]) {
		wx_log_info("%s: writing again", s->cfg->station.database);
		s->st.error[0] = '\0';
	}
	pthread_mutex_unlock(&s->mu);
	if (wrote && s->written)
		s->written(s->arg);
}

/* ---- the thread ------------------------------------------------------------ */

/* inotify on the folder that holds the archive: a name deleted, moved or
 * made there wakes the thread at once to look at the files, so that idle it
 * need not look every IDLE_WAKE_S.  Without it (a folder that cannot be
 * watched, or was itself removed) the thread looks every IDLE_WAKE_S. */
static void watch_folder(struct wx_storage *s)
{
	char dir[PATH_MAX];

	if (s->watch_fd >= 0)
		return;
	if (snprintf(dir, sizeof(dir), "%s", s->cfg->station.database) >= (int)sizeof(dir))
		return;
	s->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->watch_fd >= 0 &&
	    inotify_add_watch(s->watch_fd, dirname(dir), IN_CREATE | IN_DELETE | IN_MOVED_FROM |
			      IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
		close(s->watch_fd);
		s->watch_fd = -1;
	}
}

/* Empty the watch's queue.  A watch that is gone (the folder was removed
 * or moved) is closed: the files are looked at now, and watched anew. */
static void watch_drain(struct wx_storage *s)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool alive = true;
	ssize_t r;

	while ((r = read(s->watch_fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + r;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
				alive = false;
			p += sizeof(*ev) + ev->len;
		}
	if (!alive) {
		close(s->watch_fd);
		s->watch_fd = -1;
	}
}

static void *writer(void *arg)
{
	struct wx_storage *s = arg;

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		struct pollfd pfd[2] = { { .fd = s->kick_fd, .events = POLLIN },
					 { .fd = -1, .events = POLLIN } };
		uint64_t kicks;
		int timeout_ms;

		pthread_mutex_unlock(&s->mu);
		try_open(s);
		flush(s);
		if (s->archive && wx_archive_check_files(s->archive) != WX_ARCHIVE_FILES_OK) {
			char err[512];

			if (!archive_ready(s, err, sizeof(err))) {
				pthread_mutex_lock(&s->mu);
				fault(s, err);
				pthread_mutex_unlock(&s->mu);
			}
		}
		watch_folder(s);
		pthread_mutex_lock(&s->mu);
		if (s->stop)
			break;
		/* Idle, it still looks at the files: a deleted WAL holds records
		 * only until the next crash.  A record or stop after the unlock
		 * leaves the eventfd readable, so none is missed. */
		timeout_ms = s->n ? (int)(WAKE_NS / WX_NS_PER_MS)
				  : 1000 * (s->watch_fd >= 0 ? IDLE_WATCHED_S : IDLE_WAKE_S);
		pfd[1].fd = s->watch_fd;
		pthread_mutex_unlock(&s->mu);
		if (poll(pfd, 2, timeout_ms) > 0) {
			/* The kicks are counted, not used: reading resets the
			 * eventfd (EAGAIN only if another read took them). */
			if (pfd[0].revents && read(s->kick_fd, &kicks, sizeof(kicks)) < 0 &&
			    errno != EAGAIN)
				wx_log_warn("storage: reading its wake-ups");
			if (pfd[1].revents)
				watch_drain(s);
		}
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void kick(struct wx_storage *s)
{
	uint64_t one = 1;

	if (write(s->kick_fd, &one, sizeof(one)) < 0)
		wx_log_warn("storage: waking the writer");
}

struct wx_storage *wx_storage_open(const struct wx_config *cfg, struct wx_clock *clock,
				   bool threaded, void (*written)(void *arg), void *arg)
{
	struct wx_storage *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->kick_fd = s->watch_fd = -1;
	s->cfg = cfg;
	s->clock = clock;
	s->written = written;
	s->arg = arg;
	s->held = calloc(WX_STORAGE_MAX_PENDING, sizeof(*s->held));
	if (!s->held) {
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	if (!threaded)
		try_open(s);	/* threaded: the thread opens it first thing */
	if (threaded) {
		int rc;

		s->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (s->kick_fd < 0) {
			rc = errno;
			wx_storage_close(s);
			errno = rc;
			return NULL;
		}
		rc = pthread_create(&s->thread, NULL, writer, s);

		if (rc) {
			wx_storage_close(s);
			errno = rc;
			return NULL;
		}
		s->threaded = true;
	}
	return s;
}

void wx_storage_close(struct wx_storage *s)
{
	if (!s)
		return;
	if (s->threaded) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_mutex_unlock(&s->mu);
		kick(s);
		pthread_join(s->thread, NULL);
	}
	s->retry_at = 0;	/* one last try */
	flush(s);
	if (s->n || s->st.lost_records)
		wx_log_warnx("%s: %zu records could not be stored before stopping (%s); %llu were "
			     "lost earlier when the memory buffer was full",
			     s->cfg->station.database, s->n,
			     s->st.error[0] ? s->st.error : "clock not synchronised",
			     (unsigned long long)s->st.lost_records);
	close_archive(s);
	if (s->kick_fd >= 0)
		close(s->kick_fd);
	if (s->watch_fd >= 0)
		close(s->watch_fd);
	pthread_mutex_destroy(&s->mu);
	free(s->held);
	free(s);
}

void wx_storage_put(struct wx_storage *s, const struct wx_record *r, int64_t end_mono,
		    int64_t ts)
{
	struct held *h;

	pthread_mutex_lock(&s->mu);
	if (s->n == WX_STORAGE_MAX_PENDING) {
		/* Full: the oldest goes, and is counted (unless it is being
		 * written right now: then the next oldest). */
		if (s->busy) {
			*at(s, 1) = *at(s, 0);
			s->head = (s->head + 1) % WX_STORAGE_MAX_PENDING;
		} else {
			drop_oldest(s);
		}
		s->n = WX_STORAGE_MAX_PENDING - 1;
		s->st.lost_records++;
	}
	h = at(s, s->n++);
	*h = (struct held){ .r = *r, .end_mono = end_mono };
	h->r.ts = ts;
	pthread_mutex_unlock(&s->mu);
	if (s->threaded)
		kick(s);
	if (!s->threaded)
		flush(s);
}

void wx_storage_retry_now(struct wx_storage *s)
{
	if (!s->threaded)
		s->retry_at = 0;
}

void wx_storage_poll(struct wx_storage *s)
{
	if (!s->threaded && s->n)
		flush(s);
}

void wx_storage_status(struct wx_storage *s, struct wx_storage_status *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->st;
	out->pending = s->n;
	pthread_mutex_unlock(&s->mu);
}

double wx_storage_rain_day(struct wx_storage *s, long day)
{
	double mm;

	pthread_mutex_lock(&s->mu);
	mm = s->rain_day == day ? s->rain_day_mm : 0;
	pthread_mutex_unlock(&s->mu);
	return mm;
}
