/* MQTT uploader (libmosquitto, driven by our own loop in the uploader's
 * thread; DESIGN.md "MQTT").
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

#include "firmware/record_json.h"

#define WINDOW 20		/* records in flight at once */
#define KEEPALIVE_S 60
#define CONNACK_TIMEOUT_MS 10000
#define OFFLINE_ACK_MS 1000	/* at most this long at stop for `offline` to be acknowledged */
#define OFFLINE_MARGIN_MS 250	/* ... and no more than this beyond the grace */

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

bool wx_mqtt_ha_online(const char *topic, const void *payload, int payloadlen)
{
	return strcmp(topic, "homeassistant/status") == 0 && payloadlen == 6 &&
	       memcmp(payload, "online", 6) == 0;
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	struct mqtt *q = obj;

	(void)m;
	if (wx_mqtt_ha_online(msg->topic, msg->payload, msg->payloadlen))
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
 * would make HA sum the changes between intervals, which mean nothing. */
static const char *state_class(enum wx_quantity k)
{
	return k == WX_WIND_DIRECTION_DEG ? "measurement_angle" : "measurement";
}

/* The discovery config of quantity k: a malloc'd string, or NULL. */
static char *discovery_config(const struct mqtt *q, enum wx_quantity k)
{
	const struct wx_quantity_info *qi = &wx_quantities[k];
	char buf[WX_PATH_LEN * 2], s[WX_NAME_LEN];
	cJSON *o = cJSON_CreateObject(), *dev, *ids;
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
	cJSON_AddStringToObject(o, "availability_topic", q->t_avail);
	dev = cJSON_AddObjectToObject(o, "device");
	ids = dev ? cJSON_AddArrayToObject(dev, "identifiers") : NULL;
	if (ids) {
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

/* One retained config per measured archive quantity.  The raw counts
 * wind_pulses and rain_tips are left out: they are for recalibration, and
 * as HA sensors they would only be noise beside wind speed and rain. */
static void send_discovery(struct mqtt *q)
{
	char topic[WX_PATH_LEN * 2];

	for (int k = 0; k < WX_QUANTITY_COUNT; k++) {
		const struct wx_quantity_info *qi = &wx_quantities[k];
		char *cfg;

		if (!(q->quantities & (1u << k)) || !(qi->where & WX_IN_ARCHIVE) || qi->is_count)
			continue;
		cfg = discovery_config(q, (enum wx_quantity)k);
		if (!cfg)
			continue;
		snprintf(topic, sizeof(topic), "homeassistant/sensor/%s/%s/config", q->station, qi->key);
		publish(q, NULL, topic, cfg, 1, true);
		free(cfg);
	}
}

static void publish_state(struct mqtt *q, const struct wx_record *r)
{
	char *json = wx_record_to_json(r, q->station, WX_IN_ARCHIVE);

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
	if (q->cfg.ha_discovery) {
		mosquitto_subscribe(q->m, NULL, "homeassistant/status", 1);
		send_discovery(q);
	}
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
