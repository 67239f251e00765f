/* The destinations wxd uploads to, as one table, and the set of them a
 * configuration turns on.  A destination is one file in uploader/ and one
 * row here: its name (also its cursor's), its config section, whether the
 * config turns it on, how to start it, and what it takes of a backlog. */
#ifndef WX_UPLOADERS_H
#define WX_UPLOADERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware/core/config.h"
#include "firmware/core/status.h"
#include "uploader/uploader.h"

enum wx_backfill {
	WX_BACKFILL_ALL,	/* every record, oldest first (MQTT, Initial State) */
	WX_BACKFILL_DAYS,	/* records up to the section's backfill_days old */
	WX_BACKFILL_NONE,	/* current data only: older records are skipped */
};

struct wx_destination {
	const char *name;		/* "mqtt": status key and cursor name */
	const char *section;		/* "mqtt": the config section that turns it on */
	bool (*enabled)(const struct wx_config *cfg);
	struct wx_uploader *(*start)(const struct wx_config *cfg, uint32_t quantities,
				     char *err, size_t errlen);
	enum wx_backfill backfill;
};

extern const struct wx_destination wx_destinations[];
extern const size_t wx_destination_count;

struct wx_uploaders;

/* Start every destination cfg turns on.  quantities: bit (1u << q) for each
 * quantity the station measures.  NULL with a message in err when one
 * cannot start (a bad secret file: a configuration error); the others are
 * then stopped.  A configuration that turns none on gives an empty set. */
struct wx_uploaders *wx_uploaders_start(const struct wx_config *cfg, uint32_t quantities,
					char *err, size_t errlen);
/* New records are in the archive: tell each.  Never blocks. */
void wx_uploaders_kick(struct wx_uploaders *set);
/* How many run, and a snapshot of the i-th one's status. */
int wx_uploaders_count(const struct wx_uploaders *set);
void wx_uploaders_status(struct wx_uploaders *set, int i, struct wx_upload_status *out);
/* The i-th one's status added to st's uploads (the keys of "status"). */
void wx_uploaders_status_fill(struct wx_uploaders *set, int i, struct wx_status *st);
/* Give them up to grace_ms (together) to deliver what is pending, stop
 * them and free the set.  NULL is allowed. */
void wx_uploaders_stop(struct wx_uploaders *set, int grace_ms);

#endif
