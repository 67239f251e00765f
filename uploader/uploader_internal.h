/* What the destination modules (mqtt.c, initialstate.c) share through
 * uploader.c: the thread, the kick, the archive connection and cursor, the
 * status snapshot, error reporting once per change, and backoff.  Not for
 * callers outside uploader/. */
#ifndef WX_UPLOADER_INTERNAL_H
#define WX_UPLOADER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/archive.h"
#include "firmware/core/log.h"
#include "uploader/uploader.h"

/* One destination's behaviour.  run() is the thread body: it loops until
 * wx_uploader_should_exit() and returns; free_impl() frees impl after the
 * thread was joined. */
struct wx_uploader_ops {
	const char *name;		/* "mqtt": also the archive cursor's name */
	void (*run)(struct wx_uploader *u, void *impl);
	void (*free_impl)(void *impl);
};

/* Start the thread (the archive is opened later, by the thread: see
 * wx_uploader_archive_check).  On failure (no memory, no thread) frees impl
 * (with ops->free_impl) and returns NULL with errno set and err filled. */
struct wx_uploader *wx_uploader_spawn(const struct wx_uploader_ops *ops, void *impl,
				      const char *database, char *err, size_t errlen);

/* Called by the thread before it uses the archive: opens it when it is not
 * open (retrying with backoff, the reason in the status), and notices when
 * the file at the path was deleted or replaced (then opens the new one, with
 * its own cursor).  1: (re)opened just now (the cursor and backlog were
 * read: drop whatever was read from or sent out of the previous file);
 * 0: open as before; -errno: not open, try again in
 * wx_uploader_archive_retry_ms(). */
int wx_uploader_archive_check(struct wx_uploader *u);
int64_t wx_uploader_archive_retry_ms(struct wx_uploader *u);
/* The archive connection owned by the uploader's thread (NULL while it
 * could not be opened). */
struct wx_archive *wx_uploader_archive(struct wx_uploader *u);
/* The cursor as last stored. */
int64_t wx_uploader_cursor(struct wx_uploader *u);
/* Store a new cursor (records up to ts acknowledged, n of them newly) and
 * refresh the backlog and last success.  0 or -errno (logged). */
int wx_uploader_ack(struct wx_uploader *u, int64_t ts, uint64_t n);
/* The same for n records passed over on purpose (too old for the
 * destination, or inside its minimum spacing): counted in the status's
 * skipped, never in sent. */
int wx_uploader_skip(struct wx_uploader *u, int64_t ts, uint64_t n);
/* Add the records that arrived since the last count (after a kick). */
void wx_uploader_refresh_backlog(struct wx_uploader *u);
int64_t wx_uploader_backlog(struct wx_uploader *u);

void wx_uploader_set_connected(struct wx_uploader *u, bool connected);
/* Record an error in the status; log it only when the text changed since
 * the last logged one (so a retry loop logs once). */
void wx_uploader_error(struct wx_uploader *u, const char *fmt, ...) WX_PRINTF(2, 3);
/* The trouble is over: clear it, and log what (may be NULL) when there was
 * trouble. */
void wx_uploader_recovered(struct wx_uploader *u, const char *what);

/* Stop was asked for. */
bool wx_uploader_stopping(struct wx_uploader *u);
/* Milliseconds left of the stop grace period (INT64_MAX while not stopping). */
int64_t wx_uploader_grace_left_ms(struct wx_uploader *u);
/* Stopping and the grace is spent, or stopping and nothing is pending
 * (pending: the module's own in-flight count plus the backlog). */
bool wx_uploader_should_exit(struct wx_uploader *u, int64_t in_flight);

/* Wait up to timeout_ms (clamped to the grace left) for a kick, a stop, or
 * events on fd (fd < 0: none).  Returns the revents of fd (0 when it did
 * not fire); *kicked (may be NULL) says whether a kick or stop came.
 * Consumes the kick. */
short wx_uploader_wait(struct wx_uploader *u, int fd, short events, int64_t timeout_ms,
		       bool *kicked);

/* Monotonic milliseconds. */
int64_t wx_uploader_now_ms(void);
/* Production delay ms scaled by wx_uploader_set_test_timing(). */
int64_t wx_uploader_scaled_ms(int64_t ms);

/* Capped exponential backoff with jitter: each failure doubles the base
 * from min_ms up to max_ms; the delay is drawn from [base/2, base]. */
struct wx_backoff {
	int64_t min_ms, max_ms, base_ms;
	unsigned seed;
};
void wx_backoff_init(struct wx_backoff *b, int64_t min_ms, int64_t max_ms);
/* The next delay in ms after a failure. */
int64_t wx_backoff_next(struct wx_backoff *b);
/* Success: start again from min_ms. */
void wx_backoff_reset(struct wx_backoff *b);

/* ---- what the destinations parse from the outside (fuzz/fuzz_uploader.c) -- */

/* MQTT: does this message (topic, payload of payloadlen bytes, not
 * NUL-terminated) say Home Assistant came online, so discovery is sent
 * again?  Only ha_status ("<ha_prefix>/status", "homeassistant/status" by
 * default) with the exact payload "online". */
bool wx_mqtt_ha_online(const char *ha_status, const char *topic, const void *payload,
		       int payloadlen);
/* MQTT: the reason at the end of a library/OpenSSL log line ("... ::
 * certificate verify failed" -> "certificate verify failed"): a pointer
 * into line, or line itself when it has no reason part. */
const char *wx_mqtt_ssl_reason(const char *line);

/* Initial State: the wait in ms that a 429 answer's Retry-After asks for,
 * given libcurl's CURLINFO_RETRY_AFTER (seconds; 0 or less when there was
 * none or it was not understood), at most WX_IS_MAX_RETRY_AFTER_S, or -1
 * for none (then the uploader backs off on its own). */
#define WX_IS_MAX_RETRY_AFTER_S 86400
int64_t wx_initialstate_retry_after_ms(int64_t retry_after_s);

#endif
