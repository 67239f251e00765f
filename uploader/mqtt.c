/* MQTT uploader (libmosquitto, driven by our own loop in the uploader's
 * thread; docs/contract.md "MQTT").
 *
 * How it avoids libmosquitto's traps:
 * - The library keeps its own unbounded, in-memory queue of QoS > 0
 *   messages and resends it after a reconnect, even ones published while
 *   disconnected.  We never publish unless the broker acknowledged our
 *   CONNECT, and every connection gets a fresh struct mosquitto
 *   (clean_session = true): a lost connection destroys it, queue and all,
 *   and we re-read the archive from the cursor.  So the only duplicates are
 *   records the broker got but whose PUBACK we never saw (at-least-once).
 * - The cursor moves only on acknowledgement: PUBACK (QoS 1), PUBCOMP
 *   (QoS 2), or "written to the socket" (QoS 0), reported by on_publish.
 *   Up to WINDOW records are in flight; the cursor moves to the newest ts
 *   below which every record was acknowledged.
 * - mosquitto_reconnect_delay_set() only drives the library's own loop
 *   thread, which we do not use: we back off ourselves (capped, jittered).
 * - A clean disconnect suppresses the will, so we publish `offline`
 *   (retained) ourselves first.
 * - Home Assistant discovery configs are retained, so they outlive the
 *   sensor, the station id or the prefix they were published for.  We keep
 *   the topics we published in a state file beside the archive
 *   (<database>.ha-discovery, one topic a line; the network side will only
 *   have the archive read-only) and, after each connect, delete (empty
 *   retained message) those that no longer apply.  The file is written as
 *   the union of old and new before anything is published, and trimmed to
 *   what applies once the broker acknowledged every deletion, so a crash or
 *   a lost connection in between only means deleting again next time.
 *   Subscribing to <ha_prefix>/sensor/+/+/config instead would find
 *   configs of other stations on a shared broker too, and could not tell
 *   an old id of ours from another station. 
 *
 * - Connecting never blocks the thread: mosquitto_connect_async() starts a
 *   non-blocking TCP connect (and TLS handshake) that our loop drives like
 *   any other traffic, with CONNACK_TIMEOUT_MS for the whole of it.  A host
 *   that drops packets cannot hold a stop beyond its grace (only a DNS
 *   lookup still blocks; wx_uploader_stop() does not wait for it). */
#include "uploader/uploader_internal.h"

#include <errno.h>
#include <mosquitto.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "firmware/core/record_json.h"
#include "uploader/state.h"

#define WINDOW 20		/* records in flight at once */
#define KEEPALIVE_S 60
#define CONNACK_TIMEOUT_MS 10000
#define OFFLINE_ACK_MS 1000	/* at most this long at stop for `offline` to be acknowledged */
#define OFFLINE_MARGIN_MS 250	/* ... and no more than this beyond the grace */
#define RAIN_RATE_WINDOW_S 600	/* rain_rate_mm_h: the rain of the last 10 minutes */
#define MAX_HA_TOPICS 64	/* discovery topics remembered */
#define HA_TOPIC_LEN (2 * WX_PATH_LEN + 64)

enum state { DOWN, CONNECTING, UP };

struct flight {
	int mid;
	int64_t ts;
	bool acked;
};

struct mqtt {
	struct wx_uploader *u;
	struct wx_config_mqtt cfg;
	char station[WX_NAME_LEN];
	char where[WX_PATH_LEN + 16];		/* "broker.lan:8883" */
	char prefix[WX_PATH_LEN];
	char t_record[WX_PATH_LEN + 16], t_state[WX_PATH_LEN + 16], t_avail[WX_PATH_LEN + 16];
	char password[256];
	bool has_password;
	uint32_t quantities;
	char ha_prefix[WX_PATH_LEN];
	char ha_status[WX_PATH_LEN + 8];	/* <ha_prefix>/status */
	char ha_file[WX_PATH_LEN + 48];		/* <state dir>/<archive>.ha-discovery */
	char ha_old[WX_PATH_LEN + 16];		/* <database>.ha-discovery (before the split) */
	bool ha_import;				/* read ha_old until ha_file is written */
	char (*ha_want)[HA_TOPIC_LEN];		/* the configs that apply now */
	enum wx_quantity ha_want_q[WX_QUANTITY_COUNT];
	int ha_nwant;
	int ha_deleting;			/* deletions not yet acknowledged */
	int ha_delete_mids[MAX_HA_TOPICS];

	struct mosquitto *m;
	enum state state;
	bool just_connected;
	int connack_rc;				/* >0: refused */
	bool lost;
	int64_t connect_started_ms;
	int sock_errno;				/* errno of a failed read or write */
	int64_t next_attempt_ms;
	struct wx_backoff bo;
	char last_log[256];			/* the library's last error line */

	struct flight fl[WINDOW];		/* ring, oldest first */
	int fl_head, fl_n;
	int early_mid;				/* on_publish before mosquitto_publish returned */
	int64_t sent_ts;			/* newest record handed to the library */
	int64_t acked_ts;			/* cursor to store */
	uint64_t acked_n;

	struct wx_record buf[WINDOW];		/* records read ahead */
	int buf_i, buf_n;
	bool at_end;				/* the last read reached the newest record */
	bool send_discovery;
	int offline_mid;
	bool offline_acked;
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
	mosquitto_lib_init();
}

static int ha_file_write(struct mqtt *q, char (*extra)[HA_TOPIC_LEN], int nextra);

/* ---- callbacks (run inside mosquitto_loop_* in our thread) ------------- */

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
	struct mqtt *q = obj;

	(void)m;
	if (rc == 0) {
		q->state = UP;
		q->just_connected = true;
	} else {
		q->connack_rc = rc;
	}
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc)
{
	struct mqtt *q = obj;

	(void)m;
	(void)rc;
	q->lost = true;
}

static void on_publish(struct mosquitto *m, void *obj, int mid)
{
	struct mqtt *q = obj;
	bool found = false;

	(void)m;
	if (mid == q->offline_mid)
		q->offline_acked = true;
	for (int i = 0; q->ha_deleting > 0 && i < MAX_HA_TOPICS; i++)
		if (q->ha_delete_mids[i] == mid) {
			q->ha_delete_mids[i] = 0;
			if (--q->ha_deleting == 0)
				ha_file_write(q, NULL, 0);
			return;
		}
	for (int i = 0; i < q->fl_n; i++) {
		struct flight *f = &q->fl[(q->fl_head + i) % WINDOW];

		if (f->mid == mid) {
			f->acked = true;
			found = true;
			break;
		}
	}
	if (!found) {
		q->early_mid = mid;
		return;
	}
	while (q->fl_n > 0 && q->fl[q->fl_head].acked) {
		q->acked_ts = q->fl[q->fl_head].ts;
		q->acked_n++;
		q->fl_head = (q->fl_head + 1) % WINDOW;
		q->fl_n--;
	}
}

bool wx_mqtt_ha_online(const char *ha_status, const char *topic, const void *payload,
		       int payloadlen)
{
	return strcmp(topic, ha_status) == 0 && payloadlen == 6 &&
	       memcmp(payload, "online", 6) == 0;
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	struct mqtt *q = obj;

	(void)m;
	if (wx_mqtt_ha_online(q->ha_status, msg->topic, msg->payload, msg->payloadlen))
		q->send_discovery = true;
}

static void on_log(struct mosquitto *m, void *obj, int level, const char *str)
{
	struct mqtt *q = obj;

	(void)m;
	if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING))
		snprintf(q->last_log, sizeof(q->last_log), "%s", str);
}

/* ---- session ---------------------------------------------------------- */

static void session_end(struct mqtt *q)
{
	if (q->acked_n) {
		wx_uploader_ack(q->u, q->acked_ts, q->acked_n);
		q->acked_n = 0;
	}
	if (q->m)
		mosquitto_destroy(q->m);
	q->m = NULL;
	q->state = DOWN;
	q->fl_n = 0;
	q->fl_head = 0;
	q->buf_i = q->buf_n = 0;
	q->at_end = false;
	q->sent_ts = wx_uploader_cursor(q->u);
	wx_uploader_set_connected(q->u, false);
}

static void retry_later(struct mqtt *q)
{
	session_end(q);
	q->next_attempt_ms = wx_uploader_now_ms() + wx_backoff_next(&q->bo);
}

/* "OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed"
 * -> "certificate verify failed". */
const char *wx_mqtt_ssl_reason(const char *line)
{
	const char *p = strrchr(line, ':');

	return p && p[1] ? p + 1 : line;
}

static const char *connack_text(int rc)
{
	switch (rc) {
	case 1: return "unacceptable protocol version";
	case 2: return "client identifier rejected";
	case 3: return "server unavailable";
	case 4: return "bad user name or password (check username and password_file)";
	case 5: return "not authorised (check username and password_file)";
	default: return "refused";
	}
}

static int session_start(struct mqtt *q)
{
	char id[WX_NAME_LEN + 8];
	int rc;

	snprintf(id, sizeof(id), "wxd-%s", q->station);
	q->m = mosquitto_new(id, true, q);
	if (!q->m) {
		wx_uploader_error(q->u, "mqtt %s: cannot create a client: %s", q->where, strerror(errno));
		return -1;
	}
	q->connack_rc = 0;
	q->lost = false;
	q->last_log[0] = '\0';
	q->offline_mid = -1;
	q->ha_deleting = 0;
	memset(q->ha_delete_mids, 0, sizeof(q->ha_delete_mids));
	mosquitto_connect_callback_set(q->m, on_connect);
	mosquitto_disconnect_callback_set(q->m, on_disconnect);
	mosquitto_publish_callback_set(q->m, on_publish);
	mosquitto_message_callback_set(q->m, on_message);
	mosquitto_log_callback_set(q->m, on_log);
	/* Room for the record window plus state, availability and discovery. */
	mosquitto_max_inflight_messages_set(q->m, WINDOW + 2 * WX_QUANTITY_COUNT);
	mosquitto_will_set(q->m, q->t_avail, 7, "offline", 1, true);
	if (q->cfg.username[0] || q->has_password)
		mosquitto_username_pw_set(q->m, q->cfg.username[0] ? q->cfg.username : NULL,
					  q->has_password ? q->password : NULL);
	if (q->cfg.tls) {
		rc = mosquitto_tls_set(q->m, q->cfg.ca_file[0] ? q->cfg.ca_file : NULL, NULL, NULL,
				       NULL, NULL);
		if (rc == MOSQ_ERR_SUCCESS)
			rc = mosquitto_tls_opts_set(q->m, 1 /* SSL_VERIFY_PEER */, NULL, NULL);
		if (rc == MOSQ_ERR_SUCCESS)
			rc = mosquitto_tls_insecure_set(q->m, false);
		if (rc != MOSQ_ERR_SUCCESS) {
			wx_uploader_error(q->u, "mqtt %s: TLS set-up failed: %s (check ca_file %s)",
					  q->where, mosquitto_strerror(rc), q->cfg.ca_file);
			return -1;
		}
	}
	q->sock_errno = 0;
	rc = mosquitto_connect_async(q->m, q->cfg.host, q->cfg.port, KEEPALIVE_S);
	if (rc == MOSQ_ERR_EAI) {
		wx_uploader_error(q->u, "mqtt %s: cannot resolve %s (check host)", q->where,
				  q->cfg.host);
		return -1;
	}
	if (rc == MOSQ_ERR_ERRNO) {
		wx_uploader_error(q->u, "mqtt %s: cannot connect: %s", q->where, strerror(errno));
		return -1;
	}
	if (rc == MOSQ_ERR_TLS) {
		wx_uploader_error(q->u, "mqtt %s: TLS handshake failed: %s (check ca_file and host)",
				  q->where,
				  q->last_log[0] ? wx_mqtt_ssl_reason(q->last_log) : "unknown reason");
		return -1;
	}
	if (rc != MOSQ_ERR_SUCCESS) {
		wx_uploader_error(q->u, "mqtt %s: cannot connect: %s", q->where, mosquitto_strerror(rc));
		return -1;
	}
	q->state = CONNECTING;
	q->connect_started_ms = wx_uploader_now_ms();
	return 0;
}

/* ---- what we publish -------------------------------------------------- */

static int publish(struct mqtt *q, int *mid, const char *topic, const char *payload, int qos,
		   bool retain)
{
	int rc = mosquitto_publish(q->m, mid, topic, (int)strlen(payload), payload, qos, retain);

	if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST) {
		q->lost = true;
		return -1;
	}
	if (rc != MOSQ_ERR_SUCCESS) {
		wx_uploader_error(q->u, "mqtt %s: publish to %s failed: %s", q->where, topic,
				  mosquitto_strerror(rc));
		q->lost = true;
		return -1;
	}
	return 0;
}

static void slug(char *out, size_t outlen, const char *in)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < outlen; i++) {
		char c = in[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[i] = ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? c : '_';
	}
	out[i] = '\0';
}

/* Home Assistant's state_class for a quantity.  rain_mm is the rain of one
 * archive interval, not a running total, so it is a measurement too: `total`
 * would make HA sum the changes between intervals, which mean nothing.
 * rain_today_mm only grows until it drops to 0 at local midnight: HA reads
 * the drop as a new cycle. */
static const char *state_class(enum wx_quantity k)
{
	if (k == WX_WIND_DIRECTION_DEG)
		return "measurement_angle";
	if (k == WX_RAIN_TODAY_MM)
		return "total_increasing";
	return "measurement";
}

/* Does the station announce quantity k?  Each measured archive quantity but
 * the raw counts (wind_pulses and rain_tips are for recalibration; as HA
 * sensors they would only be noise beside wind speed and rain), and with
 * rain the day's total and the rate the state carries. */
static bool announced(const struct mqtt *q, int k)
{
	const struct wx_quantity_info *qi = &wx_quantities[k];

	if (k == WX_RAIN_TODAY_MM || k == WX_RAIN_RATE_MM_H)
		return q->quantities & (1u << WX_RAIN_MM);
	return (q->quantities & (1u << k)) && (qi->where & WX_IN_ARCHIVE) && !qi->is_count;
}

static void ha_topic(const struct mqtt *q, int k, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/sensor/%s/%s/config", q->ha_prefix, q->station,
		 wx_quantities[k].key);
}

/* The discovery config of quantity k: a malloc'd string, or NULL. */
static char *discovery_config(const struct mqtt *q, enum wx_quantity k)
{
	const struct wx_quantity_info *qi = &wx_quantities[k];
	char buf[WX_PATH_LEN * 2], s[WX_NAME_LEN];
	cJSON *o = cJSON_CreateObject(), *dev, *ids, *origin;
	char *out = NULL;

	if (!o)
		return NULL;
	slug(s, sizeof(s), q->station);
	cJSON_AddStringToObject(o, "name", qi->label);
	snprintf(buf, sizeof(buf), "%s_%s", q->station, qi->key);
	cJSON_AddStringToObject(o, "unique_id", buf);
	snprintf(buf, sizeof(buf), "sensor.%s_%s", s, qi->key);
	cJSON_AddStringToObject(o, "default_entity_id", buf);
	cJSON_AddStringToObject(o, "state_topic", q->t_state);
	snprintf(buf, sizeof(buf), "{{ value_json.%s }}", qi->key);
	cJSON_AddStringToObject(o, "value_template", buf);
	if (qi->ha_device_class)
		cJSON_AddStringToObject(o, "device_class", qi->ha_device_class);
	if (qi->unit[0])
		cJSON_AddStringToObject(o, "unit_of_measurement", qi->unit);
	cJSON_AddStringToObject(o, "state_class", state_class(k));
	cJSON_AddNumberToObject(o, "suggested_display_precision", qi->display_precision);
	cJSON_AddStringToObject(o, "availability_topic", q->t_avail);
	origin = cJSON_AddObjectToObject(o, "origin");
	if (origin) {
		cJSON_AddStringToObject(origin, "name", "wxd");
		cJSON_AddStringToObject(origin, "sw_version", WX_VERSION);
	}
	dev = cJSON_AddObjectToObject(o, "device");
	ids = dev ? cJSON_AddArrayToObject(dev, "identifiers") : NULL;
	if (ids && origin) {
		snprintf(buf, sizeof(buf), "wx_%s", q->station);
		cJSON_AddItemToArray(ids, cJSON_CreateString(buf));
		snprintf(buf, sizeof(buf), "Weather station %s", q->station);
		cJSON_AddStringToObject(dev, "name", buf);
		cJSON_AddStringToObject(dev, "manufacturer", "wxd");
		cJSON_AddStringToObject(dev, "model", "Raspberry Pi weather station");
		cJSON_AddStringToObject(dev, "sw_version", WX_VERSION);
		out = cJSON_PrintUnformatted(o);
	}
	cJSON_Delete(o);
	return out;
}

/* ---- what discovery published before (the state file) ----------------- */

/* The topics in the state file into out (up to max); how many. */
static int ha_file_read(const struct mqtt *q, char (*out)[HA_TOPIC_LEN], int max)
{
	FILE *f;
	char line[HA_TOPIC_LEN + 2];
	int n = 0;

	f = fopen(q->ha_import ? q->ha_old : q->ha_file, "r");
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		size_t len;

		line[strcspn(line, "\r\n")] = '\0';
		len = strlen(line);
		/* Only configs: a damaged file must not make us delete
		 * anything else. */
		if (!strstr(line, "/sensor/") || len < 8 || len >= HA_TOPIC_LEN ||
		    strcmp(line + len - 7, "/config") != 0)
			continue;
		memcpy(out[n++], line, len + 1);
	}
	fclose(f);
	return n;
}

static bool ha_listed(char (*list)[HA_TOPIC_LEN], int n, const char *topic)
{
	for (int i = 0; i < n; i++)
		if (strcmp(list[i], topic) == 0)
			return true;
	return false;
}

/* Write the topics that apply now, plus extra ones (still to be deleted),
 * to the state file: a new file renamed into place.  0 or -errno (logged). */
static int ha_file_write(struct mqtt *q, char (*extra)[HA_TOPIC_LEN], int nextra)
{
	char tmp[sizeof(q->ha_file) + 8];
	FILE *f;
	int e;

	if (nextra == 0 && q->ha_nwant == 0) {
		if (unlink(q->ha_file) == 0 || errno == ENOENT) {
			q->ha_import = false;
			return 0;
		}
		e = errno;
		goto fail;
	}
	snprintf(tmp, sizeof(tmp), "%s.new", q->ha_file);
	f = fopen(tmp, "w");
	if (!f) {
		e = errno;
		goto fail;
	}
	for (int i = 0; i < q->ha_nwant; i++)
		fprintf(f, "%s\n", q->ha_want[i]);
	for (int i = 0; i < nextra; i++)
		if (!ha_listed(q->ha_want, q->ha_nwant, extra[i]))
			fprintf(f, "%s\n", extra[i]);
	e = ferror(f) ? EIO : 0;
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		e = errno;
	if (fclose(f) != 0 && !e)
		e = errno;
	if (!e && rename(tmp, q->ha_file) != 0)
		e = errno;
	if (!e) {
		q->ha_import = false;
		return 0;
	}
	unlink(tmp);
fail:
	errno = e;
	wx_log_warn("mqtt %s: %s: cannot remember the Home Assistant configs published "
		    "(stale ones may stay on the broker)", q->where, q->ha_file);
	return -e;
}

/* One retained config per announced quantity. */
static void send_discovery(struct mqtt *q)
{
	for (int i = 0; i < q->ha_nwant; i++) {
		char *cfg = discovery_config(q, q->ha_want_q[i]);

		if (!cfg)
			continue;
		publish(q, NULL, q->ha_want[i], cfg, 1, true);
		free(cfg);
	}
}

/* After a connect: delete what was published before and no longer
 * applies, remember what is about to be published, publish it. */
static void sync_discovery(struct mqtt *q)
{
	char (*had)[HA_TOPIC_LEN] = calloc(MAX_HA_TOPICS, HA_TOPIC_LEN);
	int nhad = had ? ha_file_read(q, had, MAX_HA_TOPICS) : 0;
	bool file_ok;

	file_ok = ha_file_write(q, had, nhad) == 0;
	for (int i = 0; i < nhad; i++) {
		int mid = 0;

		if (ha_listed(q->ha_want, q->ha_nwant, had[i]))
			continue;
		if (publish(q, &mid, had[i], "", 1, true) < 0)
			break;
		if (q->ha_deleting < MAX_HA_TOPICS) {
			for (int j = 0; j < MAX_HA_TOPICS; j++)
				if (q->ha_delete_mids[j] == 0) {
					q->ha_delete_mids[j] = mid;
					break;
				}
			q->ha_deleting++;
		}
		wx_log_info("mqtt %s: deleted the Home Assistant config %s (no longer applies)",
			    q->where, had[i]);
	}
	if (q->ha_deleting == 0 && nhad && file_ok)
		ha_file_write(q, NULL, 0);
	free(had);
	send_discovery(q);
}

/* ---- state --------------------------------------------------------------- */

/* Local midnight that starts the day of a record ending at ts (a record
 * ending 00:00 belongs to the day before, as in the daemon). */
static int64_t local_midnight(int64_t ts)
{
	time_t t = (time_t)(ts - 1);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

/* The state: the record's archive quantities, and with rain the day's total
 * and the rate, both from the archive. */
static char *state_json(struct mqtt *q, const struct wx_record *r)
{
	struct wx_archive *a = wx_uploader_archive(q->u);
	cJSON *o = wx_record_to_cjson(r, q->station, WX_IN_ARCHIVE);
	bool rain = (q->quantities & (1u << WX_RAIN_MM)) || wx_record_has(r, WX_RAIN_MM);
	int64_t window = r->interval_s > RAIN_RATE_WINDOW_S ? r->interval_s : RAIN_RATE_WINDOW_S;
	double today, last;
	char *out;

	if (!o)
		return NULL;
	if (rain && a && wx_archive_rain_sum(a, local_midnight(r->ts) + 1, r->ts, &today) == 0 &&
	    wx_archive_rain_sum(a, r->ts - window + 1, r->ts, &last) == 0) {
		cJSON_AddNumberToObject(o, wx_quantities[WX_RAIN_TODAY_MM].key, wx_round2(today));
		cJSON_AddNumberToObject(o, wx_quantities[WX_RAIN_RATE_MM_H].key,
					wx_round2(last * 3600.0 / (double)window));
	} else {
		cJSON_AddNullToObject(o, wx_quantities[WX_RAIN_TODAY_MM].key);
		cJSON_AddNullToObject(o, wx_quantities[WX_RAIN_RATE_MM_H].key);
	}
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}

static void publish_state(struct mqtt *q, const struct wx_record *r)
{
	char *json = state_json(q, r);

	if (json)
		publish(q, NULL, q->t_state, json, q->cfg.qos, true);
	free(json);
}

static void publish_newest_state(struct mqtt *q)
{
	struct wx_archive *a = wx_uploader_archive(q->u);
	struct wx_record r;
	int64_t newest;

	if (wx_archive_newest_ts(a, &newest) == 0 && newest > 0 &&
	    wx_archive_after(a, newest - 1, &r, 1) == 1)
		publish_state(q, &r);
}

static void on_up(struct mqtt *q)
{
	q->just_connected = false;
	wx_backoff_reset(&q->bo);
	wx_uploader_set_connected(q->u, true);
	wx_uploader_recovered(q->u, NULL);
	wx_log_info("mqtt %s: connected", q->where);
	publish(q, NULL, q->t_avail, "online", 1, true);
	if (q->cfg.ha_discovery)
		mosquitto_subscribe(q->m, NULL, q->ha_status, 1);
	sync_discovery(q);
	publish_newest_state(q);
}

/* Hand records to the library while the window has room. */
static void fill_window(struct mqtt *q, bool kicked)
{
	/* A kick means new records: read on once the buffer runs dry, even
	 * when the kick came while the window was full (else the newest
	 * records wait for the next kick, and at stop for none). */
	if (kicked)
		q->at_end = false;
	while (q->state == UP && !q->lost && q->fl_n < WINDOW) {
		struct wx_record *r;
		struct flight *f;
		char *json;
		int mid = 0, n;

		if (q->buf_i == q->buf_n) {
			if (q->at_end)
				return;
			n = wx_archive_after(wx_uploader_archive(q->u), q->sent_ts, q->buf, WINDOW);
			if (n < 0)
				return;
			q->buf_i = 0;
			q->buf_n = n;
			q->at_end = n < WINDOW;
			if (n == 0)
				return;
		}
		r = &q->buf[q->buf_i];
		json = wx_record_to_json(r, q->station, WX_IN_ARCHIVE);
		if (!json)
			return;
		q->early_mid = 0;
		if (publish(q, &mid, q->t_record, json, q->cfg.qos, false) < 0) {
			free(json);
			return;
		}
		f = &q->fl[(q->fl_head + q->fl_n) % WINDOW];
		f->mid = mid;
		f->ts = r->ts;
		f->acked = false;
		q->fl_n++;
		q->sent_ts = r->ts;
		q->buf_i++;
		if (q->early_mid == mid && mid != 0)
			on_publish(q->m, q, mid);
		if (q->at_end && q->buf_i == q->buf_n)
			publish_state(q, r);
		free(json);
	}
}

static void loop_io(struct mqtt *q, int rc)
{
	if (rc == MOSQ_ERR_SUCCESS)
		return;
	if (rc == MOSQ_ERR_ERRNO)
		q->sock_errno = errno;
	q->lost = true;
}

/* One turn of our loop while a session exists: wait for the socket or a
 * kick, let the library read and write, then act on what happened. */
static void service(struct mqtt *q)
{
	int sock = mosquitto_socket(q->m);
	short ev = POLLIN, rev;
	bool kicked = false;
	int64_t timeout = 1000;

	if (mosquitto_want_write(q->m))
		ev |= POLLOUT;
	if (q->state == CONNECTING)
		timeout = 100;
	rev = wx_uploader_wait(q->u, sock, ev, timeout, &kicked);
	if (kicked)
		wx_uploader_refresh_backlog(q->u);
	if (rev & (POLLIN | POLLHUP | POLLERR))
		loop_io(q, mosquitto_loop_read(q->m, 1));
	if (!q->lost && (rev & POLLOUT))
		loop_io(q, mosquitto_loop_write(q->m, 1));
	if (!q->lost && mosquitto_loop_misc(q->m) != MOSQ_ERR_SUCCESS)
		q->lost = true;

	if (q->connack_rc) {
		wx_uploader_error(q->u, "mqtt %s: connection refused: %s", q->where,
				  connack_text(q->connack_rc));
		retry_later(q);
		return;
	}
	if (q->state == CONNECTING && !q->lost &&
	    wx_uploader_now_ms() - q->connect_started_ms > CONNACK_TIMEOUT_MS) {
		wx_uploader_error(q->u, "mqtt %s: no answer to CONNECT (is it an MQTT broker?)", q->where);
		retry_later(q);
		return;
	}
	if (q->just_connected && !q->lost)
		on_up(q);
	if (q->state == UP && !q->lost) {
		if (q->send_discovery) {
			q->send_discovery = false;
			send_discovery(q);
		}
		fill_window(q, kicked);
	}
	if (q->acked_n) {
		wx_uploader_ack(q->u, q->acked_ts, q->acked_n);
		q->acked_n = 0;
	}
	if (q->lost) {
		if (q->state == CONNECTING && q->sock_errno && !strstr(q->last_log, "SSL"))
			wx_uploader_error(q->u, "mqtt %s: cannot connect: %s", q->where,
					  strerror(q->sock_errno));
		else if (q->state == CONNECTING && strstr(q->last_log, "SSL"))
			/* The handshake may also fail after mosquitto_connect()
			 * returned: say the same as when it fails inside. */
			wx_uploader_error(q->u, "mqtt %s: TLS handshake failed: %s (check ca_file and host)",
					  q->where, wx_mqtt_ssl_reason(q->last_log));
		else if (q->state == UP)
			wx_uploader_error(q->u, "mqtt %s: connection lost%s%s", q->where,
					  q->last_log[0] ? ": " : "", q->last_log);
		else
			wx_uploader_error(q->u, "mqtt %s: connection closed by the broker%s%s",
					  q->where, q->last_log[0] ? ": " : "", q->last_log);
		retry_later(q);
	}
}

/* Stopping while connected: `offline` retained (the will does not fire on a
 * clean disconnect), wait briefly for its PUBACK, then DISCONNECT. */
static void say_goodbye(struct mqtt *q)
{
	/* Within the stop's bound: the rest of the grace, and a little more
	 * when it is spent (wx_uploader_stop waits 500 ms beyond it). */
	int64_t left = wx_uploader_grace_left_ms(q->u) + OFFLINE_MARGIN_MS;
	int64_t until = wx_uploader_now_ms() + (left < OFFLINE_ACK_MS ? left : OFFLINE_ACK_MS);

	if (q->state != UP || q->lost)
		return;
	if (publish(q, &q->offline_mid, q->t_avail, "offline", 1, true) < 0)
		return;
	while (!q->offline_acked && !q->lost && wx_uploader_now_ms() < until) {
		struct pollfd p = { .fd = mosquitto_socket(q->m), .events = POLLIN };

		if (mosquitto_want_write(q->m))
			p.events |= POLLOUT;
		if (poll(&p, 1, 50) > 0) {
			if ((p.revents & (POLLIN | POLLHUP | POLLERR)) &&
			    mosquitto_loop_read(q->m, 1) != MOSQ_ERR_SUCCESS)
				break;
			if ((p.revents & POLLOUT) && mosquitto_loop_write(q->m, 1) != MOSQ_ERR_SUCCESS)
				break;
		}
	}
	if (q->acked_n) {
		wx_uploader_ack(q->u, q->acked_ts, q->acked_n);
		q->acked_n = 0;
	}
	mosquitto_disconnect(q->m);
	mosquitto_loop_write(q->m, 1);
}

static void run(struct wx_uploader *u, void *impl)
{
	struct mqtt *q = impl;

	q->u = u;
	q->sent_ts = wx_uploader_cursor(u);
	wx_backoff_init(&q->bo, 1000, 60000);
	while (!wx_uploader_should_exit(u, q->fl_n)) {
		int a = wx_uploader_archive_check(u);

		if (a != 0 && q->state != DOWN) {
			/* Another file (or none): what is in flight or read
			 * ahead came from the old one; its acks are not this
			 * file's cursor.  Start over. */
			q->acked_n = 0;
			session_end(q);
			q->next_attempt_ms = 0;
		}
		if (a != 0)
			q->sent_ts = wx_uploader_cursor(u);
		if (a < 0) {
			if (wx_uploader_stopping(u))
				break;
			wx_uploader_wait(u, -1, 0, wx_uploader_archive_retry_ms(u), NULL);
			continue;
		}
		if (q->state == DOWN) {
			int64_t wait = q->next_attempt_ms - wx_uploader_now_ms();

			if (wx_uploader_stopping(u))
				break;
			if (wait > 0) {
				bool kicked;

				wx_uploader_wait(u, -1, 0, wait, &kicked);
				if (kicked)
					wx_uploader_refresh_backlog(u);
				continue;
			}
			if (session_start(q) < 0)
				retry_later(q);
			continue;
		}
		service(q);
	}
	say_goodbye(q);
	session_end(q);
}

static void free_impl(void *impl)
{
	struct mqtt *q = impl;

	if (!q)
		return;
	if (q->m)
		mosquitto_destroy(q->m);
	explicit_bzero(q->password, sizeof(q->password));
	free(q->ha_want);
	free(q);
}

static const struct wx_uploader_ops mqtt_ops = { "mqtt", run, free_impl };

struct wx_uploader *wx_mqtt_start(const struct wx_config *cfg, uint32_t quantities,
				  char *err, size_t errlen)
{
	struct mqtt *q = calloc(1, sizeof(*q));

	if (!q) {
		snprintf(err, errlen, "mqtt: out of memory");
		return NULL;
	}
	pthread_once(&lib_once, lib_init);
	q->cfg = cfg->mqtt;
	q->quantities = quantities;
	if (q->cfg.qos < 0 || q->cfg.qos > 2)
		q->cfg.qos = 1;
	snprintf(q->station, sizeof(q->station), "%s", cfg->station.id);
	snprintf(q->where, sizeof(q->where), "%s:%d", cfg->mqtt.host, cfg->mqtt.port);
	if (cfg->mqtt.topic[0])
		snprintf(q->prefix, sizeof(q->prefix), "%s", cfg->mqtt.topic);
	else
		snprintf(q->prefix, sizeof(q->prefix), "wx/%s", cfg->station.id);
	snprintf(q->t_record, sizeof(q->t_record), "%s/record", q->prefix);
	snprintf(q->t_state, sizeof(q->t_state), "%s/state", q->prefix);
	snprintf(q->t_avail, sizeof(q->t_avail), "%s/availability", q->prefix);
	snprintf(q->ha_prefix, sizeof(q->ha_prefix), "%s",
		 cfg->mqtt.ha_prefix[0] ? cfg->mqtt.ha_prefix : "homeassistant");
	snprintf(q->ha_status, sizeof(q->ha_status), "%s/status", q->ha_prefix);
	/* Beside the upload cursors (state.h); a station upgraded from a
	 * version that kept it beside the archive gets it moved there. */
	if (wx_upload_state_path(cfg->station.database, ".ha-discovery", q->ha_file,
				 sizeof(q->ha_file)) == 0) {
		snprintf(q->ha_old, sizeof(q->ha_old), "%s.ha-discovery", cfg->station.database);
		if (strcmp(q->ha_old, q->ha_file) != 0 && access(q->ha_file, F_OK) != 0 &&
		    access(q->ha_old, R_OK) == 0)
			q->ha_import = true;
	} else {
		snprintf(q->ha_file, sizeof(q->ha_file), "%s.ha-discovery", cfg->station.database);
	}
	q->ha_want = calloc(WX_QUANTITY_COUNT, HA_TOPIC_LEN);
	if (!q->ha_want) {
		snprintf(err, errlen, "mqtt: out of memory");
		free_impl(q);
		errno = ENOMEM;
		return NULL;
	}
	for (int k = 0; q->cfg.ha_discovery && k < WX_QUANTITY_COUNT; k++)
		if (announced(q, k)) {
			q->ha_want_q[q->ha_nwant] = (enum wx_quantity)k;
			ha_topic(q, k, q->ha_want[q->ha_nwant++], HA_TOPIC_LEN);
		}
	if (cfg->mqtt.password_file[0]) {
		char e[300];

		if (wx_config_read_secret(cfg->mqtt.password_file, q->password, sizeof(q->password),
					    e, sizeof(e)) < 0) {
			snprintf(err, errlen, "mqtt %s: password_file %s", q->where, e);
			free_impl(q);
			errno = EINVAL;
			return NULL;
		}
		q->has_password = true;
	}
	return wx_uploader_spawn(&mqtt_ops, q, cfg->station.database, err, errlen);
}
