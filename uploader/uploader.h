/* Uploaders: each destination (MQTT, Initial State) runs in a thread of its
 * own with its own connection to the archive, which it opens (and reopens
 * when the file is replaced) by itself.  It sends the records after
 * its cursor, oldest first, and moves the cursor only when the destination
 * acknowledged them, so the backlog is the archive itself and survives
 * reboots.  The daemon only starts it, kicks it when a record was written,
 * asks for its status, and stops it. */
#ifndef WX_UPLOADER_H
#define WX_UPLOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "firmware/core/config.h"

struct wx_upload_status {
	const char *name;		/* "mqtt", "initialstate" */
	bool connected;			/* MQTT: connected to the broker */
	int64_t cursor_ts;		/* newest record acknowledged */
	int64_t backlog;		/* records waiting */
	uint64_t sent;			/* records acknowledged since start */
	uint64_t skipped;		/* records passed over on purpose since start
					 * (weather networks: too old, or inside the
					 * 5-minute spacing) */
	int64_t last_success_s;		/* wall time, 0 = never */
	int64_t last_error_s;		/* wall time, 0 = none */
	char last_error[256];		/* one line, never containing a secret */
};

struct wx_uploader;

/* Start the MQTT uploader for cfg (cfg->mqtt.enabled) on the archive file
 * cfg->station.database.  quantities: bit (1u << q) for each quantity the
 * station measures (Home Assistant discovery).  NULL with errno set and a
 * message in err only for a bad secret file, no memory or no thread.  An
 * archive that cannot be opened (yet), a deleted or replaced database and
 * connection failures are not errors here: its thread keeps retrying, opens
 * the file at that path when it can, and reports in its status. */
struct wx_uploader *wx_mqtt_start(const struct wx_config *cfg, uint32_t quantities,
				  char *err, size_t errlen);
/* The same for Initial State (cfg->initialstate.enabled). */
struct wx_uploader *wx_initialstate_start(const struct wx_config *cfg, uint32_t quantities,
					  char *err, size_t errlen);
/* The weather networks (uploader/wxnet.h): cfg->wunderground,
 * ->pwsweather, ->wow, ->windy, ->cwop. */
struct wx_uploader *wx_wunderground_start(const struct wx_config *cfg, uint32_t quantities,
					  char *err, size_t errlen);
struct wx_uploader *wx_pwsweather_start(const struct wx_config *cfg, uint32_t quantities,
					char *err, size_t errlen);
struct wx_uploader *wx_wow_start(const struct wx_config *cfg, uint32_t quantities,
				 char *err, size_t errlen);
struct wx_uploader *wx_windy_start(const struct wx_config *cfg, uint32_t quantities,
				   char *err, size_t errlen);
struct wx_uploader *wx_cwop_start(const struct wx_config *cfg, uint32_t quantities,
				  char *err, size_t errlen);

/* A new record is in the archive.  Never blocks. */
void wx_uploader_kick(struct wx_uploader *u);
/* A snapshot of its status.  Thread-safe. */
void wx_uploader_status(struct wx_uploader *u, struct wx_upload_status *out);
/* Give it up to grace_ms to deliver what is pending, then stop it (MQTT:
 * publish availability offline, disconnect cleanly) and free it.  Returns
 * within grace_ms + 0.5 s whatever the network does. */
void wx_uploader_stop(struct wx_uploader *u, int grace_ms);

/* Tests only: multiply every backoff and slow-retry delay of uploaders
 * started afterwards by scale (1.0 = production timing, 0.01 turns the
 * 1 s .. 60 s MQTT backoff into 10 ms .. 600 ms).  A server's Retry-After
 * is never scaled. */
void wx_uploader_set_test_timing(double scale);

#endif
