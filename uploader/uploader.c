/* The machinery both uploaders share: one thread per destination with its
 * own archive connection, an eventfd to kick it, the status snapshot under a
 * mutex, errors logged once per change, and capped exponential backoff.
 *
 * The thread owns everything but the status and the stop request; callers
 * only touch those (under the mutex) and the eventfd. */
#include "uploader/uploader_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct wx_uploader {
	const struct wx_uploader_ops *ops;
	void *impl;
	pthread_t thread;
	int kick_fd;
	struct wx_archive *archive;	/* the thread's */
	int64_t cursor;			/* the thread's copy */

	pthread_mutex_t mu;		/* guards what follows */
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

static void *thread_main(void *arg)
{
	struct wx_uploader *u = arg;

	u->ops->run(u, u->impl);
	return NULL;
}

struct wx_uploader *wx_uploader_spawn(const struct wx_uploader_ops *ops, void *impl,
				      const char *database, char *err, size_t errlen)
{
	struct wx_uploader *u = calloc(1, sizeof(*u));
	int e;

	if (!u) {
		e = errno;
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
	u->archive = wx_archive_open(database, err, errlen);
	if (!u->archive) {
		e = errno;
		goto fail;
	}
	/* Cursor moves need not be durable on their own: see archive.h. */
	wx_archive_relax_sync(u->archive);
	e = -wx_archive_cursor_get(u->archive, ops->name, &u->cursor);
	if (e) {
		snprintf(err, errlen, "%s: %s: cannot read the upload cursor: %s", ops->name,
			 database, strerror(e));
		goto fail;
	}
	u->st.cursor_ts = u->cursor;
	wx_archive_count_after(u->archive, u->cursor, &u->st.backlog);
	pthread_mutex_init(&u->mu, NULL);
	e = pthread_create(&u->thread, NULL, thread_main, u);
	if (e) {
		pthread_mutex_destroy(&u->mu);
		snprintf(err, errlen, "%s: cannot start its thread: %s", ops->name, strerror(e));
		goto fail;
	}
	return u;
fail:
	if (u) {
		wx_archive_close(u->archive);
		if (u->kick_fd >= 0)
			close(u->kick_fd);
		free(u);
	}
	ops->free_impl(impl);
	errno = e ? e : EIO;
	return NULL;
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
	if (!u)
		return;
	pthread_mutex_lock(&u->mu);
	u->stopping = true;
	u->stop_deadline_ms = wx_uploader_now_ms() + (grace_ms > 0 ? grace_ms : 0);
	pthread_mutex_unlock(&u->mu);
	wx_uploader_kick(u);
	pthread_join(u->thread, NULL);
	u->ops->free_impl(u->impl);
	wx_archive_close(u->archive);
	close(u->kick_fd);
	pthread_mutex_destroy(&u->mu);
	free(u);
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

void wx_uploader_refresh_backlog(struct wx_uploader *u)
{
	int64_t n;

	if (wx_archive_count_after(u->archive, u->cursor, &n) < 0)
		return;
	pthread_mutex_lock(&u->mu);
	u->st.backlog = n;
	pthread_mutex_unlock(&u->mu);
}

int wx_uploader_ack(struct wx_uploader *u, int64_t ts, uint64_t n)
{
	int rc = 0;

	if (ts > u->cursor) {
		rc = wx_archive_cursor_set(u->archive, u->ops->name, ts);
		if (rc < 0) {
			errno = -rc;
			wx_log_warn("%s: cannot store the upload cursor (records will be sent again)",
				    u->ops->name);
		}
		u->cursor = ts;
	}
	pthread_mutex_lock(&u->mu);
	u->st.cursor_ts = u->cursor;
	u->st.sent += n;
	u->st.last_success_s = wall_s();
	pthread_mutex_unlock(&u->mu);
	wx_uploader_refresh_backlog(u);
	return rc;
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
	 * records written since (their kick not yet consumed) are pending too. */
	wx_uploader_refresh_backlog(u);
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
