#include "uploader/uploaders.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool mqtt_on(const struct wx_config *cfg) { return cfg->mqtt.enabled; }
static bool initialstate_on(const struct wx_config *cfg) { return cfg->initialstate.enabled; }
static bool wunderground_on(const struct wx_config *cfg) { return cfg->wunderground.enabled; }
static bool pwsweather_on(const struct wx_config *cfg) { return cfg->pwsweather.enabled; }
static bool wow_on(const struct wx_config *cfg) { return cfg->wow.enabled; }
static bool windy_on(const struct wx_config *cfg) { return cfg->windy.enabled; }
static bool cwop_on(const struct wx_config *cfg) { return cfg->cwop.enabled; }

const struct wx_destination wx_destinations[] = {
	{ "mqtt", "mqtt", mqtt_on, wx_mqtt_start, WX_BACKFILL_ALL },
	{ "initialstate", "initialstate", initialstate_on, wx_initialstate_start, WX_BACKFILL_ALL },
	/* Weather networks (uploader/wxnet.h) */
	{ "wunderground", "wunderground", wunderground_on, wx_wunderground_start, WX_BACKFILL_DAYS },
	{ "pwsweather", "pwsweather", pwsweather_on, wx_pwsweather_start, WX_BACKFILL_DAYS },
	{ "wow", "wow", wow_on, wx_wow_start, WX_BACKFILL_DAYS },
	{ "windy", "windy", windy_on, wx_windy_start, WX_BACKFILL_NONE },
	{ "cwop", "cwop", cwop_on, wx_cwop_start, WX_BACKFILL_NONE },
};
const size_t wx_destination_count = sizeof(wx_destinations) / sizeof(wx_destinations[0]);

struct wx_uploaders {
	int n;
	struct wx_uploader *up[];
};

struct wx_uploaders *wx_uploaders_start(const struct wx_config *cfg, uint32_t quantities,
					char *err, size_t errlen)
{
	struct wx_uploaders *set = calloc(1, sizeof(*set) + wx_destination_count * sizeof(set->up[0]));

	if (!set) {
		snprintf(err, errlen, "uploads: out of memory");
		return NULL;
	}
	for (size_t i = 0; i < wx_destination_count; i++) {
		const struct wx_destination *d = &wx_destinations[i];

		if (!d->enabled(cfg))
			continue;
		set->up[set->n] = d->start(cfg, quantities, err, errlen);
		if (!set->up[set->n]) {
			wx_uploaders_stop(set, 0);
			return NULL;
		}
		set->n++;
	}
	return set;
}

void wx_uploaders_kick(struct wx_uploaders *set)
{
	for (int i = 0; set && i < set->n; i++)
		wx_uploader_kick(set->up[i]);
}

int wx_uploaders_count(const struct wx_uploaders *set)
{
	return set ? set->n : 0;
}

void wx_uploaders_status(struct wx_uploaders *set, int i, struct wx_upload_status *out)
{
	wx_uploader_status(set->up[i], out);
}

void wx_uploaders_status_fill(struct wx_uploaders *set, int i, struct wx_status *st)
{
	struct wx_upload_status us;
	struct wx_status_upload *u;

	wx_uploader_status(set->up[i], &us);
	u = wx_status_add_upload(st, us.name);
	if (!u)
		return;
	u->has = WX_UP_BACKLOG | WX_UP_CURSOR | WX_UP_SENT | WX_UP_LAST_SUCCESS;
	if (!strcmp(us.name, "mqtt")) {	/* the one that holds a connection */
		u->has |= WX_UP_CONNECTED;
		u->connected = us.connected;
	}
	u->backlog = us.backlog;
	u->cursor_ts = us.cursor_ts;
	u->sent = (int64_t)us.sent;
	u->last_success = us.last_success_s;
	if (us.skipped) {
		u->has |= WX_UP_SKIPPED;
		u->skipped = (int64_t)us.skipped;
	}
	if (us.last_error_s) {
		u->has |= WX_UP_LAST_ERROR | WX_UP_LAST_ERROR_AT;
		snprintf(u->last_error, sizeof(u->last_error), "%s", us.last_error);
		u->last_error_at = us.last_error_s;
	}
}

void wx_uploaders_stop(struct wx_uploaders *set, int grace_ms)
{
	if (!set)
		return;
	for (int i = 0; i < set->n; i++)
		wx_uploader_stop(set->up[i], grace_ms);
	free(set);
}
