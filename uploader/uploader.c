/* The machinery both uploaders share: one thread per destination with its
 * own archive connection, an eventfd to kick it, the status snapshot under a
 * mutex, errors logged once per change, and capped exponential backoff.
 *
 * The thread owns everything but the status and the stop request; callers
 * only touch those (under the mutex) and the eventfd.
 *
 * The archive is opened by the thread, lazily: starting never fails because
 * the database cannot be opened (a full SD card, a read-only mount, a
 * damaged file).  The thread retries with backoff and says why in its
 * status; it also compares the path's st_dev/st_ino with the file it has
 * open, as the daemon does, and opens the new file when the database was
 * deleted or replaced.  So the daemon starts uploaders once and never has
 * to stop or restart them for the archive's sake.
 *
 * The backlog is counted once when the archive is opened; then acks take
 * from it and kicks add what arrived after the newest record counted (an
 * index range scan over the new rows only), so draining a large backlog
 * never counts it again.
 *
 * Stopping is bounded: wx_uploader_stop() waits grace_ms plus
 * STOP_MARGIN_MS for the thread; a thread still held by the network after
 * that (a DNS lookup, say) is left to finish and free itself. */
#include "uploader/uploader_internal.h"
#include "uploader/state.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How long wx_uploader_stop() waits beyond grace_ms for the thread. */
#define STOP_MARGIN_MS 500
/* How often the thread checks that the database file is still the one it
 * has open (production timing). */
#define ARCHIVE_CHECK_MS 1000

struct wx_uploader {
	const struct wx_uploader_ops *ops;
	void *impl;
	pthread_t thread;
	int kick_fd;
	char *database;

	/* The thread's own: */
	struct wx_archive *archive;	/* NULL until it opens, read-only */
	struct wx_upload_state *state;	/* the cursors: see state.h */
	char archive_id[48];		/* "st_dev:st_ino" of the archive open */
	dev_t db_dev;
	ino_t db_ino;
	int64_t next_open_ms, next_check_ms;
	struct wx_backoff open_bo;
	bool archive_trouble;		/* the last error was about the archive */
	int64_t cursor;
	int64_t counted_to;		/* the backlog counts records up to this ts */

	pthread_mutex_t mu;		/* guards what follows */
	pthread_cond_t done_cv;
	bool done;			/* run() returned */
	bool abandoned;			/* stop gave up waiting: the thread frees u */
	struct wx_upload_status st;
	bool stopping;
	int64_t stop_deadline_ms;
	char logged_error[sizeof(((struct wx_upload_status *)0)->last_error)];
};

static double time_scale = 1.0;

void wx_uploader_set_test_timing(double scale)
{
	time_scale = scale > 0 ? scale : 1.0;
}

int64_t wx_uploader_scaled_ms(int64_t ms)
{
	int64_t s = (int64_t)((double)ms * time_scale);

	return s < 1 ? 1 : s;
}

int64_t wx_uploader_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int64_t wall_s(void)
{
	return (int64_t)time(NULL);
}

static void destroy(struct wx_uploader *u)
{
	u->ops->free_impl(u->impl);
	wx_archive_close(u->archive);
	wx_upload_state_close(u->state);
	close(u->kick_fd);
	pthread_cond_destroy(&u->done_cv);
	pthread_mutex_destroy(&u->mu);
	free(u->database);
	free(u);
}

static void *thread_main(void *arg)
{
	struct wx_uploader *u = arg;
	bool abandoned;

	u->ops->run(u, u->impl);
	pthread_mutex_lock(&u->mu);
	u->done = true;
	abandoned = u->abandoned;
	pthread_cond_signal(&u->done_cv);
	pthread_mutex_unlock(&u->mu);
	if (abandoned)
		destroy(u);	/* stop() returned long ago and detached us */
	return NULL;
}

struct wx_uploader *wx_uploader_spawn(const struct wx_uploader_ops *ops, void *impl,
				      const char *database, char *err, size_t errlen)
{
	struct wx_uploader *u = calloc(1, sizeof(*u));
	pthread_condattr_t ca;
	int e;

	if (u)
		u->kick_fd = -1;
	if (!u || !(u->database = strdup(database))) {
		e = ENOMEM;
		snprintf(err, errlen, "%s: out of memory", ops->name);
		goto fail;
	}
	u->ops = ops;
	u->impl = impl;
	u->st.name = ops->name;
	u->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (u->kick_fd < 0) {
		e = errno;
		snprintf(err, errlen, "%s: eventfd: %s", ops->name, strerror(e));
		goto fail;
	}
	wx_backoff_init(&u->open_bo, 1000, 60000);
	pthread_mutex_init(&u->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&u->done_cv, &ca);
	pthread_condattr_destroy(&ca);
	e = pthread_create(&u->thread, NULL, thread_main, u);
	if (e) {
		pthread_cond_destroy(&u->done_cv);
		pthread_mutex_destroy(&u->mu);
		snprintf(err, errlen, "%s: cannot start its thread: %s", ops->name, strerror(e));
		goto fail;
	}
	return u;
fail:
	if (u) {
		if (u->kick_fd >= 0)
			close(u->kick_fd);
		free(u->database);
		free(u);
	}
	ops->free_impl(impl);
	errno = e;
	return NULL;
}

/* Open the archive: read the cursor and count the backlog once. */
static int archive_open(struct wx_uploader *u)
{
	char err[sizeof(u->st.last_error)];
	struct stat st;
	int64_t backlog = 0, newest = 0;
	int rc;

	/* Never create it: that is the daemon's job (and the network side will
	 * only have the archive read-only). */
	if (stat(u->database, &st) != 0) {
		rc = -errno;
		wx_uploader_error(u, "%s: archive %s: %s (waiting for it)", u->ops->name,
				  u->database, strerror(-rc));
		return rc;
	}
	/* Read-only: the sampler alone writes the archive; the cursors live
	 * in the network side's own state file. */
	if (!u->state) {
		char path[WX_PATH_LEN + 32];

		if (wx_upload_state_path(u->database, ".uploads", path, sizeof(path))) {
			wx_uploader_error(u, "%s: state file for %s: name too long", u->ops->name,
					  u->database);
			return -ENAMETOOLONG;
		}
		u->state = wx_upload_state_open(path, err, sizeof(err));
		if (!u->state) {
			rc = -errno;
			wx_uploader_error(u, "%s: %s (retrying)", u->ops->name, err);
			return rc ? rc : -EIO;
		}
	}
	u->archive = wx_archive_open_reader(u->database, err, sizeof(err));
	if (!u->archive) {
		rc = -errno;
		wx_uploader_error(u, "%s: %s (retrying)", u->ops->name, err);
		return rc ? rc : -EIO;
	}
	u->db_dev = st.st_dev;
	u->db_ino = st.st_ino;
	snprintf(u->archive_id, sizeof(u->archive_id), "%llu:%llu",
		 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	rc = wx_upload_state_cursor_get(u->state, u->ops->name, u->archive_id, u->archive,
					&u->cursor);
	if (rc) {
		wx_uploader_error(u, "%s: %s (retrying)", u->ops->name,
				  wx_upload_state_errmsg(u->state));
		wx_archive_close(u->archive);
		u->archive = NULL;
		return rc;
	}
	rc = wx_archive_tail(u->archive, u->cursor, &backlog, &newest);
	if (rc) {
		wx_uploader_error(u, "%s: %s (retrying)", u->ops->name,
				  wx_archive_errmsg(u->archive));
		wx_archive_close(u->archive);
		u->archive = NULL;
		return rc;
	}
	u->counted_to = newest > u->cursor ? newest : u->cursor;
	pthread_mutex_lock(&u->mu);
	u->st.cursor_ts = u->cursor;
	u->st.backlog = backlog;
	pthread_mutex_unlock(&u->mu);
	return 0;
}

int wx_uploader_archive_check(struct wx_uploader *u)
{
	int64_t now = wx_uploader_now_ms();
	struct stat st;
	int rc;

	if (u->archive) {
		if (now < u->next_check_ms)
			return 0;
		u->next_check_ms = now + wx_uploader_scaled_ms(ARCHIVE_CHECK_MS);
		if (stat(u->database, &st) == 0 && st.st_dev == u->db_dev && st.st_ino == u->db_ino)
			return 0;
		wx_log_warnx("%s: archive %s was deleted or replaced: opening the new one",
			     u->ops->name, u->database);
		wx_archive_close(u->archive);
		u->archive = NULL;
		u->cursor = 0;
		u->next_open_ms = now;
	}
	if (now < u->next_open_ms)
		return -EAGAIN;
	rc = archive_open(u);
	if (rc) {
		u->archive_trouble = true;
		u->next_open_ms = now + wx_backoff_next(&u->open_bo);
		pthread_mutex_lock(&u->mu);
		u->st.backlog = 0;
		pthread_mutex_unlock(&u->mu);
		return rc;
	}
	wx_backoff_reset(&u->open_bo);
	u->next_check_ms = now + wx_uploader_scaled_ms(ARCHIVE_CHECK_MS);
	if (u->archive_trouble) {
		char line[600];

		u->archive_trouble = false;
		snprintf(line, sizeof(line), "%s: archive %s open", u->ops->name, u->database);
		wx_uploader_recovered(u, line);
	}
	return 1;
}

int64_t wx_uploader_archive_retry_ms(struct wx_uploader *u)
{
	int64_t left = u->next_open_ms - wx_uploader_now_ms();

	return u->archive ? 0 : left > 0 ? left : 0;
}

void wx_uploader_kick(struct wx_uploader *u)
{
	uint64_t one = 1;

	/* A full counter (EAGAIN) still wakes the thread: nothing to do. */
	if (write(u->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		wx_log_warn("%s: cannot kick the uploader", u->ops->name);
}

void wx_uploader_status(struct wx_uploader *u, struct wx_upload_status *out)
{
	pthread_mutex_lock(&u->mu);
	*out = u->st;
	pthread_mutex_unlock(&u->mu);
}

void wx_uploader_stop(struct wx_uploader *u, int grace_ms)
{
	struct timespec until;
	int64_t limit_ms;
	bool done;

	if (!u)
		return;
	if (grace_ms < 0)
		grace_ms = 0;
	pthread_mutex_lock(&u->mu);
	u->stopping = true;
	u->stop_deadline_ms = wx_uploader_now_ms() + grace_ms;
	pthread_mutex_unlock(&u->mu);
	wx_uploader_kick(u);

	/* Whatever the network does, the caller gets control back in time. */
	limit_ms = wx_uploader_now_ms() + grace_ms + STOP_MARGIN_MS;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (grace_ms + STOP_MARGIN_MS) / 1000;
	until.tv_nsec += (long)((grace_ms + STOP_MARGIN_MS) % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&u->mu);
	while (!u->done && wx_uploader_now_ms() < limit_ms)
		if (pthread_cond_timedwait(&u->done_cv, &u->mu, &until) == ETIMEDOUT)
			break;
	done = u->done;
	if (!done) {
		/* From here on the thread owns u and frees it: touch nothing
		 * of it after unlocking. */
		pthread_t t = u->thread;
		const char *name = u->ops->name;

		u->abandoned = true;
		pthread_mutex_unlock(&u->mu);
		wx_log_warnx("%s: not stopped after %d ms (the network holds it): leaving it behind",
			     name, grace_ms + STOP_MARGIN_MS);
		pthread_detach(t);
		return;
	}
	pthread_mutex_unlock(&u->mu);
	pthread_join(u->thread, NULL);
	destroy(u);
}

struct wx_archive *wx_uploader_archive(struct wx_uploader *u)
{
	return u->archive;
}

int64_t wx_uploader_cursor(struct wx_uploader *u)
{
	return u->cursor;
}

int64_t wx_uploader_backlog(struct wx_uploader *u)
{
	int64_t n;

	pthread_mutex_lock(&u->mu);
	n = u->st.backlog;
	pthread_mutex_unlock(&u->mu);
	return n;
}

/* The exact count after the cursor: cheap when little is left. */
static void recount(struct wx_uploader *u)
{
	int64_t n, newest;

	if (!u->archive || wx_archive_tail(u->archive, u->cursor, &n, &newest) < 0)
		return;
	if (newest > u->counted_to)
		u->counted_to = newest;
	pthread_mutex_lock(&u->mu);
	u->st.backlog = n;
	pthread_mutex_unlock(&u->mu);
}

void wx_uploader_refresh_backlog(struct wx_uploader *u)
{
	int64_t n, newest;

	/* Only the records after the newest one counted: an index range scan
	 * over what arrived since, not a count of the whole backlog. */
	if (!u->archive || wx_archive_tail(u->archive, u->counted_to, &n, &newest) < 0)
		return;
	if (newest > u->counted_to)
		u->counted_to = newest;
	pthread_mutex_lock(&u->mu);
	u->st.backlog += n;
	pthread_mutex_unlock(&u->mu);
}

/* Move the cursor to ts past n records: sent (acknowledged) or skipped. */
static int move_cursor(struct wx_uploader *u, int64_t ts, uint64_t n, bool skipped)
{
	int64_t left;
	int rc = 0;

	if (ts > u->cursor) {
		rc = u->archive ? wx_upload_state_cursor_set(u->state, u->ops->name, u->archive_id, ts)
				: -ENOENT;
		if (rc < 0) {
			errno = -rc;
			wx_log_warn("%s: cannot store the upload cursor (records will be sent again)",
				    u->ops->name);
		}
		u->cursor = ts;
	}
	if (u->cursor > u->counted_to)
		u->counted_to = u->cursor;
	pthread_mutex_lock(&u->mu);
	u->st.cursor_ts = u->cursor;
	if (skipped) {
		u->st.skipped += n;
	} else {
		u->st.sent += n;
		u->st.last_success_s = wall_s();
	}
	u->st.backlog -= (int64_t)n;
	left = u->st.backlog;
	pthread_mutex_unlock(&u->mu);
	/* Records stored out of order (wxctl import of old rows) are not in
	 * the running count: when it says done, count what really is left
	 * (cheap then). */
	if (left <= 0)
		recount(u);
	return rc;
}

int wx_uploader_ack(struct wx_uploader *u, int64_t ts, uint64_t n)
{
	return move_cursor(u, ts, n, false);
}

int wx_uploader_skip(struct wx_uploader *u, int64_t ts, uint64_t n)
{
	return move_cursor(u, ts, n, true);
}

void wx_uploader_set_connected(struct wx_uploader *u, bool connected)
{
	pthread_mutex_lock(&u->mu);
	u->st.connected = connected;
	pthread_mutex_unlock(&u->mu);
}

void wx_uploader_error(struct wx_uploader *u, const char *fmt, ...)
{
	char line[sizeof(u->st.last_error)];
	bool changed;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&u->mu);
	snprintf(u->st.last_error, sizeof(u->st.last_error), "%s", line);
	u->st.last_error_s = wall_s();
	changed = strcmp(u->logged_error, line) != 0;
	if (changed)
		snprintf(u->logged_error, sizeof(u->logged_error), "%s", line);
	pthread_mutex_unlock(&u->mu);
	if (changed)
		wx_log_warnx("%s", line);
}

void wx_uploader_recovered(struct wx_uploader *u, const char *what)
{
	bool had;

	pthread_mutex_lock(&u->mu);
	had = u->logged_error[0] != '\0';
	u->logged_error[0] = '\0';
	u->st.last_error[0] = '\0';
	pthread_mutex_unlock(&u->mu);
	if (had && what)
		wx_log_info("%s", what);
}

bool wx_uploader_stopping(struct wx_uploader *u)
{
	bool s;

	pthread_mutex_lock(&u->mu);
	s = u->stopping;
	pthread_mutex_unlock(&u->mu);
	return s;
}

int64_t wx_uploader_grace_left_ms(struct wx_uploader *u)
{
	int64_t left = INT64_MAX;

	pthread_mutex_lock(&u->mu);
	if (u->stopping)
		left = u->stop_deadline_ms - wx_uploader_now_ms();
	pthread_mutex_unlock(&u->mu);
	return left < 0 ? 0 : left;
}

bool wx_uploader_should_exit(struct wx_uploader *u, int64_t in_flight)
{
	if (!wx_uploader_stopping(u))
		return false;
	if (wx_uploader_grace_left_ms(u) == 0)
		return true;
	if (in_flight > 0)
		return false;
	/* Count again: the snapshot is as old as the last kick or ack, and
	 * records written since (their kick not yet consumed) are pending too.
	 * Without an archive nothing can be sent. */
	if (!u->archive)
		return true;
	recount(u);
	return wx_uploader_backlog(u) == 0;
}

short wx_uploader_wait(struct wx_uploader *u, int fd, short events, int64_t timeout_ms,
		       bool *kicked)
{
	struct pollfd p[2] = { { .fd = u->kick_fd, .events = POLLIN }, { .fd = fd, .events = events } };
	int64_t left = wx_uploader_grace_left_ms(u);
	uint64_t n;

	if (timeout_ms > left)
		timeout_ms = left;
	if (timeout_ms > 60000)
		timeout_ms = 60000;
	if (timeout_ms < 0)
		timeout_ms = 0;
	if (kicked)
		*kicked = false;
	if (poll(p, fd >= 0 ? 2 : 1, (int)timeout_ms) <= 0)
		return 0;
	if (p[0].revents & POLLIN) {
		while (read(u->kick_fd, &n, sizeof(n)) > 0)
			;
		if (kicked)
			*kicked = true;
	}
	return fd >= 0 ? p[1].revents : 0;
}

void wx_backoff_init(struct wx_backoff *b, int64_t min_ms, int64_t max_ms)
{
	b->min_ms = wx_uploader_scaled_ms(min_ms);
	b->max_ms = wx_uploader_scaled_ms(max_ms);
	b->base_ms = 0;
	b->seed = (unsigned)wx_uploader_now_ms() ^ (unsigned)(uintptr_t)b;
}

int64_t wx_backoff_next(struct wx_backoff *b)
{
	int64_t half;

	b->base_ms = b->base_ms ? b->base_ms * 2 : b->min_ms;
	if (b->base_ms > b->max_ms)
		b->base_ms = b->max_ms;
	/* "Equal jitter": never less than half the base, so a flapping link
	 * still backs off, yet many stations do not retry in step. */
	half = b->base_ms / 2;
	return half + (int64_t)(rand_r(&b->seed) % (unsigned)(b->base_ms - half + 1));
}

void wx_backoff_reset(struct wx_backoff *b)
{
	b->base_ms = 0;
}
