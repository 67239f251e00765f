/* What the live socket answers: "read" (the latest values and their ages),
 * "status" (health of sensors, storage, clock and uploads), "net-status"
 * (the network side's report of its uploads) and, with --sim
 * only, the "sim ..." commands the fault tests use. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "drivers/pulse.h"
#include "drivers/sensor.h"
#include "firmware/core/clock.h"
#include "firmware/windrain.h"
#include "firmware/daemon_int.h"
#include "firmware/core/log.h"
#include "firmware/core/record_json.h"
#include "firmware/core/status.h"

/* Simulation only: tests make sensors fail and the clock misbehave. */
static char *answer_sim(struct daemon *d, const char *command)
{
	char what[16], a[32], b[32];
	int n = sscanf(command, "sim %15s %31s %31s", what, a, b);
	int rc = -EINVAL;

	if (!d->sim)
		return NULL;
	if (n == 3 && strcmp(what, "fault") == 0 && wx_sensor_driver_find(a)) {
		rc = wx_sim_set_fault(d->sim, wx_sensor_driver_find(a)->name, b);
	} else if (n == 3 && strcmp(what, "clock") == 0 && strcmp(a, "step") == 0) {
		char *end;
		long long s = strtoll(b, &end, 10);

		if (*end == '\0') {
			wx_clock_sim_step(d->clock, s * WX_NS_PER_S);
			rc = 0;
		}
	} else if (n == 3 && strcmp(what, "gust") == 0) {
		/* sim gust KMH SECONDS: from now on */
		char *e1, *e2;
		double kmh = strtod(a, &e1), secs = strtod(b, &e2);
		int64_t now = wx_clock_mono_ns(d->clock);

		if (*e1 == '\0' && *e2 == '\0' && kmh >= 0 && secs > 0) {
			wx_sim_set_gust(d->sim, now, now + (int64_t)(secs * 1e9), kmh);
			rc = 0;
		}
	} else if (n == 2 && strcmp(what, "clock") == 0 &&
		   (strcmp(a, "sync") == 0 || strcmp(a, "unsync") == 0)) {
		wx_clock_sim_set_synchronised(d->clock, strcmp(a, "sync") == 0);
		rc = 0;
	}
	if (rc)
		return NULL;
	d->sim_changed = true;
	wx_log_info("simulation: %s", command);
	return strdup("{\"ok\":true}");
}

/* ---- live answers ------------------------------------------------------ */

static double live_wind_kmh(struct daemon *d, int64_t now)
{
	uint64_t n = wx_readings_wind_closures(&d->readings, now);

	return wx_wind_kmh(n, LIVE_WIND_S, WX_ANEMOMETER_CONFIG(d->cfg)->kmh_per_hz);
}

/* Rain over the last 10 minutes, as mm/h. */
static double live_rain_rate(struct daemon *d, int64_t now)
{
	uint64_t n = wx_readings_rain_tips(&d->readings, now);

	return wx_rain_mm(n, WX_RAIN_CONFIG(d->cfg)->mm_per_tip,
			  WX_RAIN_CONFIG(d->cfg)->catch_factor) *
	       3600.0 / LIVE_RAIN_S;
}

static char *answer_read(struct daemon *d)
{
	int64_t now = wx_clock_mono_ns(d->clock);
	int64_t wall = wx_clock_wall_ns(d->clock) / WX_NS_PER_S;
	struct wx_record r = d->readings.latest;
	cJSON *o, *age;
	char *s;

	r.ts = wall;
	r.interval_s = 0;
	/* A sensor in error gives null, not its last value. */
	for (int i = 0; i < wx_sensors_count(d->sensors); i++) {
		struct wx_slot *slot = wx_sensors_slot(d->sensors, i);
		const struct wx_health *h = wx_slot_health(slot);

		if (h->tried && !h->ok)
			r.valid &= ~wx_slot_driver(slot)->quantities;
	}
	wx_record_clear(&r, WX_DEW_POINT_C);
	wx_record_clear(&r, WX_SEA_LEVEL_PRESSURE_HPA);
	wx_record_derive(&r, d->cfg->station.altitude_m);
	if (wx_daemon_pulse_ok(d, WX_WIND_PULSES)) {
		double kmh = live_wind_kmh(d, now);

		wx_record_set(&r, WX_WIND_SPEED_KMH, kmh);
		wx_record_set(&r, WX_WIND_GUST_KMH, wx_interval_gust_kmh(d->iv));
		if (kmh == 0)
			wx_record_clear(&r, WX_WIND_DIRECTION_DEG);	/* calm */
	}
	if (wx_daemon_pulse_ok(d, WX_RAIN_TIPS)) {
		double today = wx_storage_rain_day(d->storage, wx_storage_local_day(wall));

		today += wx_rain_mm(wx_interval_rain_tips(d->iv),
				    WX_RAIN_CONFIG(d->cfg)->mm_per_tip,
				    WX_RAIN_CONFIG(d->cfg)->catch_factor);
		wx_record_set(&r, WX_RAIN_TODAY_MM, today);
		wx_record_set(&r, WX_RAIN_RATE_MM_H, live_rain_rate(d, now));
	}
	o = wx_record_to_cjson(&r, d->cfg->station.id, WX_IN_LIVE);
	if (!o)
		return NULL;
	age = cJSON_AddObjectToObject(o, "age_s");
	for (int q = 0; age && q < WX_QUANTITY_COUNT; q++)
		if (d->readings.latest_mono[q] && wx_record_has(&r, (enum wx_quantity)q))
			cJSON_AddNumberToObject(age, wx_quantities[q].key,
						wx_round2((double)(now - d->readings.latest_mono[q]) / 1e9));
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void add_health(struct wx_status *st, struct wx_slot *slot)
{
	const struct wx_health *h = wx_slot_health(slot);
	struct wx_status_sensor *s = wx_status_add_sensor(st, wx_slot_driver(slot)->name);

	if (!s)
		return;
	s->has = WX_SEN_STATUS | WX_SEN_SINCE | WX_SEN_FAILURES;
	s->status = !h->tried ? WX_STATUS_STARTING : h->ok ? WX_STATUS_OK : WX_STATUS_ERROR;
	if (h->tried && !h->ok) {
		s->has |= WX_SEN_ERROR;
		snprintf(s->error, sizeof(s->error), "%s", h->error);
	}
	s->since = h->since_s;
	if (h->last_ok_s) {
		s->has |= WX_SEN_LAST_OK;
		s->last_ok = h->last_ok_s;
	}
	s->failures = (int64_t)h->failures;
	if (wx_slot_driver(slot)->kind == WX_SENSOR_PULSE) {
		s->has |= WX_SEN_LOST | WX_SEN_REJECTED;
		s->edges_lost = (int64_t)wx_slot_lost(slot);
		s->edges_rejected = (int64_t)wx_slot_rejected(slot);
	}
}

/* The daemon's status: health of sensors, storage, clock and, as the
 * network side last reported them, uploads. */
static void daemon_status(struct daemon *d, struct wx_status *st)
{
	struct wx_storage_status ss;

	memset(st, 0, sizeof(*st));
	st->has = WX_ST_REQUIRED | (d->opts.sim ? WX_ST_SPEED : 0);
	snprintf(st->station, sizeof(st->station), "%s", d->cfg->station.id);
	snprintf(st->version, sizeof(st->version), "%s", WX_VERSION);
	st->simulated = d->opts.sim;
	st->speed = d->opts.speed;
	st->ts = wx_clock_wall_ns(d->clock) / WX_NS_PER_S;
	st->uptime_s = (wx_daemon_real_mono_ns() - d->run.start_real) / WX_NS_PER_S;
	st->clock_synchronized = wx_clock_synchronised(d->clock);
	st->interval_s = d->cfg->station.interval_s;
	wx_storage_status(d->storage, &ss);
	st->records_written = (int64_t)ss.records_written;
	st->last_record_ts = ss.last_record_ts;
	st->storage.has = WX_STG_DATABASE | WX_STG_STATUS | WX_STG_PENDING | WX_STG_LOST;
	snprintf(st->storage.database, sizeof(st->storage.database), "%s", d->cfg->station.database);
	st->storage.status = ss.error[0] ? WX_STATUS_ERROR : WX_STATUS_OK;
	if (ss.error[0]) {
		st->storage.has |= WX_STG_ERROR | WX_STG_SINCE;
		snprintf(st->storage.error, sizeof(st->storage.error), "%s", ss.error);
		st->storage.since = ss.error_since_s;
	}
	st->storage.pending_records = (int64_t)ss.pending;
	st->storage.lost_records = (int64_t)ss.lost_records;
	for (int i = 0; i < wx_sensors_count(d->sensors); i++)
		add_health(st, wx_sensors_slot(d->sensors, i));
	wx_netside_fill(d->net, st);
}

static char *answer_status(struct daemon *d)
{
	struct wx_status *st = malloc(sizeof(*st));	/* ~20 kB: not on a stack */
	char *s;

	if (!st)
		return NULL;
	daemon_status(d, st);
	s = wx_status_to_json(st);
	free(st);
	return s;
}

char *wx_daemon_answer(const char *command, void *arg)
{
	struct daemon *d = arg;

	if (strcmp(command, "read") == 0)
		return answer_read(d);
	if (strcmp(command, "status") == 0)
		return answer_status(d);
	/* The network side's report: untrusted, see netside.c. */
	if (strncmp(command, "net-status ", 11) == 0)
		return wx_netside_report(d->net, command + 11) == 0 ? strdup("{\"ok\":true}") : NULL;
	if (strncmp(command, "sim ", 4) == 0)
		return answer_sim(d, command);
	return NULL;
}
