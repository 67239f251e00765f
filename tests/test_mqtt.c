/* The MQTT uploader against a real mosquitto on 127.0.0.1: payloads,
 * ordering across outages, resuming from the cursor, retained state and
 * availability, the last will, Home Assistant discovery, TLS and refused
 * logins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db/archive.h"
#include "firmware/log.h"
#include "firmware/record.h"
#include "tests/support/broker.h"
#include "uploader/uploader.h"

#define T0 1700000000LL
#define STATION "fairhaven-ms"
#define PREFIX "wx/" STATION

struct fixture {
	char dir[128];
	struct wx_config cfg;
	struct wx_archive *a;
	struct test_broker *b;
	struct test_sub *sub;
};

/* ---- helpers ---------------------------------------------------------- */

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/* Record i of a test series: values follow i, ground temperature null. */
static void make_record(struct wx_record *r, int i)
{
	wx_record_init(r, T0 + 60LL * i);
	r->interval_s = 60;
	wx_record_set(r, WX_TEMPERATURE_C, 10.0 + i * 0.013);
	wx_record_set(r, WX_HUMIDITY_PCT, 50.0 + (i % 40));
	wx_record_set(r, WX_PRESSURE_HPA, 1000.0 + (i % 30) * 0.37);
	wx_record_set(r, WX_WIND_SPEED_KMH, (i % 17) * 1.1);
	wx_record_set(r, WX_WIND_DIRECTION_DEG, (i * 7) % 360);
	wx_record_set(r, WX_RAIN_MM, (i % 5) * 0.2794);
	wx_record_set(r, WX_RAIN_TIPS, i % 5);
}

static void insert_range(struct fixture *f, int from, int to)
{
	char err[256];

	for (int i = from; i < to; i++) {
		struct wx_record r;

		make_record(&r, i);
		assert_int_equal(wx_archive_insert(f->a, &r, err, sizeof(err)), 0);
	}
}

static void base_config(struct wx_config *c, const char *dir, int port)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->station.id, sizeof(c->station.id), STATION);
	c->station.interval_s = 60;
	snprintf(c->station.database, sizeof(c->station.database), "%s/wx.db", dir);
	c->mqtt.enabled = true;
	snprintf(c->mqtt.host, sizeof(c->mqtt.host), "127.0.0.1");
	c->mqtt.port = port;
	c->mqtt.qos = 1;
}

static int setup_with(void **state, const struct test_broker_opts *opts, bool start_broker)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	assert_int_equal(test_mkdtemp(f->dir, sizeof(f->dir), "mqtt"), 0);
	f->b = test_broker_start(opts);
	assert_non_null(f->b);
	if (start_broker)
		f->sub = test_sub_start(f->b->port);
	else
		test_broker_stop(f->b);
	base_config(&f->cfg, f->dir, f->b->port);
	f->a = wx_archive_open(f->cfg.station.database, err, sizeof(err));
	assert_non_null(f->a);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, NULL, true);
}

/* A broker that keeps sessions across restarts, a persistent subscriber
 * that rides out the outages, and the broker stopped. */
static int setup_broker_down(void **state)
{
	struct test_broker_opts o = { .persistence = true };
	struct fixture *f;

	setup_with(state, &o, false);
	f = *state;
	assert_int_equal(test_broker_restart(f->b), 0);
	f->sub = test_sub_start_persistent(f->b->port, "test-sub-persistent");
	assert_non_null(f->sub);
	test_broker_stop(f->b);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	test_sub_stop(f->sub);
	test_broker_free(f->b);
	wx_archive_close(f->a);
	test_rmrf(f->dir);
	free(f);
	return 0;
}

static struct wx_uploader *start(struct fixture *f, uint32_t quantities)
{
	char err[256] = "";
	struct wx_uploader *u = wx_mqtt_start(&f->cfg, quantities, err, sizeof(err));

	if (!u)
		fail_msg("wx_mqtt_start: %s", err);
	return u;
}

static struct wx_upload_status wait_cursor(struct wx_uploader *u, int64_t ts, int timeout_ms)
{
	struct wx_upload_status st;

	for (int waited = 0;; waited += 10) {
		wx_uploader_status(u, &st);
		if (st.cursor_ts >= ts || waited >= timeout_ms)
			return st;
		sleep_ms(10);
	}
}

static bool wait_error(struct wx_uploader *u, const char *needle, int timeout_ms,
		       struct wx_upload_status *st)
{
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		wx_uploader_status(u, st);
		if (strstr(st->last_error, needle))
			return true;
		sleep_ms(10);
	}
	return false;
}

static int64_t payload_ts(const char *payload)
{
	cJSON *o = cJSON_Parse(payload);
	cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "ts");
	int64_t v = cJSON_IsNumber(ts) ? (int64_t)ts->valuedouble : -1;

	cJSON_Delete(o);
	return v;
}

/* Every key of the contract, value by value, against record i. */
static void check_payload(const char *payload, int i)
{
	struct wx_record r;
	cJSON *o = cJSON_Parse(payload), *it;

	make_record(&r, i);
	assert_non_null(o);
	it = cJSON_GetObjectItemCaseSensitive(o, "ts");
	assert_true(cJSON_IsNumber(it) && (int64_t)it->valuedouble == r.ts);
	it = cJSON_GetObjectItemCaseSensitive(o, "station");
	assert_true(cJSON_IsString(it));
	assert_string_equal(it->valuestring, STATION);
	it = cJSON_GetObjectItemCaseSensitive(o, "interval_s");
	assert_true(cJSON_IsNumber(it) && it->valuedouble == 60);
	for (int q = 0; q < WX_QUANTITY_COUNT; q++) {
		const char *key = wx_quantities[q].key;

		it = cJSON_GetObjectItemCaseSensitive(o, key);
		if (!(wx_quantities[q].where & WX_IN_ARCHIVE)) {
			assert_null(it);
			continue;
		}
		assert_non_null(it);
		if (wx_record_has(&r, (enum wx_quantity)q)) {
			if (!cJSON_IsNumber(it) || fabs(it->valuedouble - wx_round2(r.v[q])) > 1e-9)
				fail_msg("record %d key %s: %s", i, key, payload);
		} else if (!cJSON_IsNull(it)) {
			fail_msg("record %d key %s should be null: %s", i, key, payload);
		}
	}
	cJSON_Delete(o);
}

/* Records on <prefix>/record: each of 0..n-1 at least once, in order of
 * first arrival; returns the number of duplicates. */
static int check_all_arrived_in_order(struct test_sub *s, int n)
{
	size_t count = test_sub_count(s, PREFIX "/record");
	int64_t newest = T0 - 60;
	int dups = 0, seen = 0;

	for (size_t k = 0; k < count; k++) {
		struct test_msg m;
		int64_t ts;

		assert_true(test_sub_get(s, PREFIX "/record", k, &m));
		ts = payload_ts(m.payload);
		assert_false(m.retain);
		test_msg_free(&m);
		if (ts <= newest) {
			dups++;		/* resent after a lost acknowledgement */
			continue;
		}
		if (ts != newest + 60)
			fail_msg("record %lld missing: next came %lld", (long long)(newest + 60),
				 (long long)ts);
		newest = ts;
		seen++;
	}
	assert_int_equal(seen, n);
	return dups;
}

/* ---- tests ------------------------------------------------------------ */

static void mqtt_publishes_each_record_as_json_with_the_contract_keys(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;
	struct test_msg m;
	int64_t cursor;

	insert_range(f, 0, 5);
	u = start(f, 0);
	st = wait_cursor(u, T0 + 4 * 60, 5000);
	assert_int_equal(st.cursor_ts, T0 + 4 * 60);
	assert_int_equal(test_sub_wait(f->sub, PREFIX "/record", 5, 2000), 5);
	/* A kick after a new record sends it too. */
	insert_range(f, 5, 7);
	wx_uploader_kick(u);
	st = wait_cursor(u, T0 + 6 * 60, 5000);
	assert_int_equal(st.cursor_ts, T0 + 6 * 60);
	assert_true(st.connected);
	assert_int_equal(st.backlog, 0);
	assert_int_equal(st.sent, 7);
	assert_string_equal(st.name, "mqtt");
	assert_int_equal(test_sub_wait(f->sub, PREFIX "/record", 7, 2000), 7);
	for (int i = 0; i < 7; i++) {
		assert_true(test_sub_get(f->sub, PREFIX "/record", (size_t)i, &m));
		check_payload(m.payload, i);
		test_msg_free(&m);
	}
	assert_int_equal(check_all_arrived_in_order(f->sub, 7), 0);
	wx_uploader_stop(u, 2000);
	/* The cursor is in the archive, for the next start. */
	assert_int_equal(wx_archive_cursor_get(f->a, "mqtt", &cursor), 0);
	assert_int_equal(cursor, T0 + 6 * 60);
}

/* A kick that comes while the 20-message window is full must not be lost:
 * the record it announces goes as soon as the window opens, without
 * another kick (make bench-fleet found 23 records left behind at stop). */
static void mqtt_sends_a_record_kicked_while_the_window_was_full(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;

	insert_range(f, 0, 1);
	u = start(f, 0);
	st = wait_cursor(u, T0, 5000);
	assert_int_equal(st.cursor_ts, T0);
	assert_int_equal(kill(f->b->pid, SIGSTOP), 0);	/* the broker stops answering */
	insert_range(f, 1, 16);				/* 15 in flight ... */
	wx_uploader_kick(u);
	sleep_ms(300);
	insert_range(f, 16, 21);			/* ... and 5 more fill the window */
	wx_uploader_kick(u);
	sleep_ms(300);
	insert_range(f, 21, 22);			/* one more, kicked while full */
	wx_uploader_kick(u);
	sleep_ms(100);
	assert_int_equal(kill(f->b->pid, SIGCONT), 0);
	st = wait_cursor(u, T0 + 21 * 60, 5000);
	assert_int_equal(st.cursor_ts, T0 + 21 * 60);
	assert_int_equal(test_sub_wait(f->sub, PREFIX "/record", 22, 3000), 22);
	wx_uploader_stop(u, 2000);
}

static void mqtt_at_qos_0_moves_the_cursor_once_the_library_wrote_the_records(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;
	struct test_msg m;

	f->cfg.mqtt.qos = 0;
	insert_range(f, 0, 40);
	u = start(f, 0);
	st = wait_cursor(u, T0 + 39 * 60, 5000);
	assert_int_equal(st.cursor_ts, T0 + 39 * 60);
	assert_int_equal(st.sent, 40);
	assert_int_equal(test_sub_wait(f->sub, PREFIX "/record", 40, 2000), 40);
	assert_int_equal(check_all_arrived_in_order(f->sub, 40), 0);
	assert_true(test_sub_get(f->sub, PREFIX "/record", 17, &m));
	check_payload(m.payload, 17);
	test_msg_free(&m);
	wx_uploader_stop(u, 2000);
}

static void mqtt_keeps_state_and_availability_retained(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct test_sub *late;
	struct test_msg m;

	insert_range(f, 0, 3);
	u = start(f, 0);
	wait_cursor(u, T0 + 2 * 60, 5000);
	assert_true(test_sub_wait_payload(f->sub, PREFIX "/availability", "online", 2000));
	/* A client that comes later gets the retained newest record and "online". */
	late = test_sub_start(f->b->port);
	assert_non_null(late);
	assert_true(test_sub_wait(late, PREFIX "/state", 1, 2000) >= 1);
	assert_true(test_sub_get(late, PREFIX "/state", 0, &m));
	assert_true(m.retain);
	check_payload(m.payload, 2);
	test_msg_free(&m);
	assert_true(test_sub_wait(late, PREFIX "/availability", 1, 2000) >= 1);
	assert_true(test_sub_get(late, PREFIX "/availability", 0, &m));
	assert_true(m.retain);
	assert_string_equal(m.payload, "online");
	test_msg_free(&m);
	test_sub_stop(late);
	/* A clean stop says "offline" itself (the will would not fire). */
	wx_uploader_stop(u, 2000);
	assert_true(test_sub_wait_payload(f->sub, PREFIX "/availability", "offline", 2000));
	late = test_sub_start(f->b->port);
	assert_non_null(late);
	assert_true(test_sub_wait(late, PREFIX "/availability", 1, 2000) >= 1);
	assert_true(test_sub_get(late, PREFIX "/availability", 0, &m));
	assert_true(m.retain);
	assert_string_equal(m.payload, "offline");
	test_msg_free(&m);
	test_sub_stop(late);
}

static void mqtt_last_will_says_offline_when_the_station_dies(void **state)
{
	struct fixture *f = *state;
	struct test_sub *late;
	struct test_msg m;
	pid_t child;
	int st;

	insert_range(f, 0, 1);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		char err[256];
		struct wx_uploader *u = wx_mqtt_start(&f->cfg, 0, err, sizeof(err));

		if (!u)
			_exit(3);
		pause();	/* killed by the parent, never a clean stop */
		_exit(4);
	}
	assert_true(test_sub_wait_payload(f->sub, PREFIX "/availability", "online", 5000));
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	/* The broker sees the socket drop and publishes the will. */
	assert_true(test_sub_wait_payload(f->sub, PREFIX "/availability", "offline", 5000));
	late = test_sub_start(f->b->port);
	assert_non_null(late);
	assert_true(test_sub_wait(late, PREFIX "/availability", 1, 2000) >= 1);
	assert_true(test_sub_get(late, PREFIX "/availability", 0, &m));
	assert_true(m.retain);
	assert_string_equal(m.payload, "offline");
	test_msg_free(&m);
	test_sub_stop(late);
}

static void mqtt_sends_backlog_in_order_after_broker_outage(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;

	/* Broker down from the start: records pile up, nothing is lost. */
	insert_range(f, 0, 50);
	u = start(f, 0);
	assert_true(wait_error(u, "mqtt 127.0.0.1:", 3000, &st));
	assert_non_null(strstr(st.last_error, "Connection refused"));
	assert_false(st.connected);
	insert_range(f, 50, 120);
	wx_uploader_kick(u);
	sleep_ms(100);
	wx_uploader_status(u, &st);
	assert_int_equal(st.backlog, 120);
	assert_int_equal(st.cursor_ts, 0);

	assert_int_equal(test_broker_restart(f->b), 0);
	st = wait_cursor(u, T0 + 119 * 60, 8000);
	assert_int_equal(st.cursor_ts, T0 + 119 * 60);
	assert_int_equal(st.backlog, 0);
	assert_string_equal(st.last_error, "");

	/* A second outage while connected: more records, then the broker back. */
	test_broker_stop(f->b);
	insert_range(f, 120, 200);
	wx_uploader_kick(u);
	assert_true(wait_error(u, "mqtt 127.0.0.1:", 3000, &st));
	assert_int_equal(test_broker_restart(f->b), 0);
	st = wait_cursor(u, T0 + 199 * 60, 8000);
	assert_int_equal(st.cursor_ts, T0 + 199 * 60);
	wx_uploader_stop(u, 2000);
	/* The persistent subscriber saw every record, in order; duplicates
	 * only for acknowledgements lost in the outage. */
	assert_true(test_sub_wait(f->sub, PREFIX "/record", 200, 5000) >= 200);
	assert_true(check_all_arrived_in_order(f->sub, 200) <= 20);
}

static void mqtt_resumes_from_its_cursor_after_a_restart_mid_backlog(void **state)
{
	struct fixture *f = *state;
	const int n = 3000;
	struct wx_uploader *u;
	struct wx_upload_status st;
	int64_t cursor;
	int dups;

	insert_range(f, 0, n);
	u = start(f, 0);
	assert_true(test_sub_wait(f->sub, PREFIX "/record", 300, 5000) >= 300);
	wx_uploader_stop(u, 0);		/* in the middle of the backlog */
	assert_int_equal(wx_archive_cursor_get(f->a, "mqtt", &cursor), 0);
	assert_true(cursor >= T0 + 100 * 60);
	assert_true(cursor < T0 + (n - 1) * 60);

	u = start(f, 0);
	st = wait_cursor(u, T0 + (n - 1) * 60, 15000);
	assert_int_equal(st.cursor_ts, T0 + (n - 1) * 60);
	test_sub_wait(f->sub, PREFIX "/record", (size_t)n, 2000);
	wx_uploader_stop(u, 2000);
	dups = check_all_arrived_in_order(f->sub, n);
	/* Only what was in flight at the stop may come twice. */
	assert_true(dups <= 20);
}

static void mqtt_announces_home_assistant_discovery_and_resends_on_ha_online(void **state)
{
	struct fixture *f = *state;
	uint32_t qs = (1u << WX_TEMPERATURE_C) | (1u << WX_WIND_DIRECTION_DEG) |
		      (1u << WX_RAIN_MM) | (1u << WX_RAIN_TIPS);
	const char *t = "homeassistant/sensor/" STATION "/temperature_c/config";
	const char *w = "homeassistant/sensor/" STATION "/wind_direction_deg/config";
	const char *r = "homeassistant/sensor/" STATION "/rain_mm/config";
	struct wx_uploader *u;
	struct test_sub *late;
	struct test_msg m;
	cJSON *o, *dev, *it;

	f->cfg.mqtt.ha_discovery = true;
	insert_range(f, 0, 1);
	u = start(f, qs);
	assert_int_equal(test_sub_wait(f->sub, t, 1, 5000), 1);
	assert_int_equal(test_sub_wait(f->sub, w, 1, 2000), 1);
	assert_int_equal(test_sub_wait(f->sub, r, 1, 2000), 1);
	/* Raw counts are not announced; unmeasured quantities neither. */
	assert_int_equal(test_sub_count(f->sub, "homeassistant/sensor/" STATION "/rain_tips/config"), 0);
	assert_int_equal(test_sub_count(f->sub, "homeassistant/sensor/" STATION "/humidity_pct/config"), 0);

	assert_true(test_sub_get(f->sub, t, 0, &m));
	o = cJSON_Parse(m.payload);
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "unique_id")->valuestring, STATION "_temperature_c");
	assert_string_equal(cJSON_GetObjectItem(o, "default_entity_id")->valuestring,
			    "sensor.fairhaven_ms_temperature_c");
	assert_null(cJSON_GetObjectItem(o, "object_id"));
	assert_string_equal(cJSON_GetObjectItem(o, "state_topic")->valuestring, PREFIX "/state");
	assert_string_equal(cJSON_GetObjectItem(o, "value_template")->valuestring,
			    "{{ value_json.temperature_c }}");
	assert_string_equal(cJSON_GetObjectItem(o, "device_class")->valuestring, "temperature");
	assert_string_equal(cJSON_GetObjectItem(o, "unit_of_measurement")->valuestring, "°C");
	assert_string_equal(cJSON_GetObjectItem(o, "state_class")->valuestring, "measurement");
	assert_string_equal(cJSON_GetObjectItem(o, "availability_topic")->valuestring,
			    PREFIX "/availability");
	dev = cJSON_GetObjectItem(o, "device");
	assert_non_null(dev);
	it = cJSON_GetArrayItem(cJSON_GetObjectItem(dev, "identifiers"), 0);
	assert_string_equal(it->valuestring, "wx_" STATION);
	assert_non_null(cJSON_GetObjectItem(dev, "name"));
	assert_non_null(cJSON_GetObjectItem(dev, "manufacturer"));
	assert_non_null(cJSON_GetObjectItem(dev, "model"));
	assert_non_null(cJSON_GetObjectItem(dev, "sw_version"));
	cJSON_Delete(o);
	test_msg_free(&m);

	assert_true(test_sub_get(f->sub, w, 0, &m));
	o = cJSON_Parse(m.payload);
	assert_string_equal(cJSON_GetObjectItem(o, "state_class")->valuestring, "measurement_angle");
	assert_string_equal(cJSON_GetObjectItem(o, "device_class")->valuestring, "wind_direction");
	cJSON_Delete(o);
	test_msg_free(&m);

	/* Retained: a client that subscribes later gets it. */
	late = test_sub_start(f->b->port);
	assert_non_null(late);
	assert_int_equal(test_sub_wait(late, t, 1, 2000), 1);
	assert_true(test_sub_get(late, t, 0, &m));
	assert_true(m.retain);
	test_msg_free(&m);
	test_sub_stop(late);

	/* Home Assistant restarted: everything is announced again. */
	assert_int_equal(test_sub_publish(f->sub, "homeassistant/status", "online", false), 0);
	assert_int_equal(test_sub_wait(f->sub, t, 2, 3000), 2);
	assert_int_equal(test_sub_wait(f->sub, w, 2, 2000), 2);
	assert_int_equal(test_sub_wait(f->sub, r, 2, 2000), 2);
	/* "offline" from HA is not a reason to announce. */
	assert_int_equal(test_sub_publish(f->sub, "homeassistant/status", "offline", false), 0);
	sleep_ms(300);
	assert_int_equal(test_sub_count(f->sub, t), 2);
	wx_uploader_stop(u, 2000);
}

/* ---- refusals --------------------------------------------------------- */

static int log_lines_with(const char *needle);
static char captured[64][300];
static int ncaptured;
static pthread_mutex_t cap_mu = PTHREAD_MUTEX_INITIALIZER;

static void capture(const char *line, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cap_mu);
	if (ncaptured < 64)
		snprintf(captured[ncaptured++], sizeof(captured[0]), "%s", line);
	pthread_mutex_unlock(&cap_mu);
}

static int log_lines_with(const char *needle)
{
	int n = 0;

	pthread_mutex_lock(&cap_mu);
	for (int i = 0; i < ncaptured; i++)
		if (strstr(captured[i], needle))
			n++;
	pthread_mutex_unlock(&cap_mu);
	return n;
}

static int setup_password(void **state)
{
	struct test_broker_opts o = { .username = "station", .password = "s3cret-pw" };

	return setup_with(state, &o, false);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	chmod(path, 0600);	/* a secret: not readable by others */
}

static void mqtt_reports_a_refused_login_naming_the_broker_once(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;
	char want[200];

	assert_int_equal(test_broker_restart(f->b), 0);
	snprintf(f->cfg.mqtt.username, sizeof(f->cfg.mqtt.username), "station");
	snprintf(f->cfg.mqtt.password_file, sizeof(f->cfg.mqtt.password_file), "%s/pw", f->dir);
	write_file(f->cfg.mqtt.password_file, "wrong-pw\n");
	insert_range(f, 0, 3);
	ncaptured = 0;
	wx_log_set_sink(capture, NULL);
	u = start(f, 0);
	snprintf(want, sizeof(want), "mqtt 127.0.0.1:%d: connection refused: ", f->b->port);
	assert_true(wait_error(u, want, 3000, &st));
	print_message("status: %s\n", st.last_error);
	assert_non_null(strstr(st.last_error, "(check username and password_file)"));
	assert_null(strstr(st.last_error, "wrong-pw"));
	assert_false(st.connected);
	assert_int_equal(st.cursor_ts, 0);
	sleep_ms(500);		/* several retries at test timing */
	wx_uploader_stop(u, 0);
	wx_log_set_sink(NULL, NULL);
	assert_int_equal(log_lines_with(want), 1);
	assert_int_equal(log_lines_with("wrong-pw"), 0);

	/* The right password gets through and the records follow. */
	write_file(f->cfg.mqtt.password_file, "s3cret-pw\n");
	u = start(f, 0);
	st = wait_cursor(u, T0 + 2 * 60, 5000);
	assert_int_equal(st.cursor_ts, T0 + 2 * 60);
	assert_string_equal(st.last_error, "");
	wx_uploader_stop(u, 2000);
}

/* A CA and a server certificate for 127.0.0.1 made with openssl, and a
 * second, unrelated CA. */
static int make_certs(const char *dir)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && ( "
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=wx-test-ca "
		 "-keyout ca.key -out ca.crt && "
		 "openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key "
		 "-out server.csr && "
		 "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && "
		 "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
		 "-days 2 -extfile san.ext -out server.crt && "
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca "
		 "-keyout other.key -out other.crt ) >/dev/null 2>&1",
		 dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int setup_tls(void **state)
{
	struct test_broker_opts o = { 0 };
	char dir[128], cert[320], key[320], cmd[1024];
	struct fixture *f;

	assert_int_equal(test_mkdtemp(dir, sizeof(dir), "certs"), 0);
	assert_int_equal(make_certs(dir), 0);
	snprintf(cert, sizeof(cert), "%s/server.crt", dir);
	snprintf(key, sizeof(key), "%s/server.key", dir);
	o.certfile = cert;
	o.keyfile = key;
	setup_with(state, &o, true);
	f = *state;
	f->cfg.mqtt.port = f->b->tls_port;
	f->cfg.mqtt.tls = true;
	/* The certificates live in the fixture's directory from now on. */
	snprintf(cmd, sizeof(cmd), "mv '%s'/* '%s'/ && rmdir '%s'", dir, f->dir, dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void mqtt_connects_over_tls_with_the_right_ca(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;

	snprintf(f->cfg.mqtt.ca_file, sizeof(f->cfg.mqtt.ca_file), "%s/ca.crt", f->dir);
	insert_range(f, 0, 4);
	u = start(f, 0);
	st = wait_cursor(u, T0 + 3 * 60, 5000);
	assert_int_equal(st.cursor_ts, T0 + 3 * 60);
	assert_true(st.connected);
	assert_int_equal(test_sub_wait(f->sub, PREFIX "/record", 4, 2000), 4);
	wx_uploader_stop(u, 2000);
}

static void mqtt_reports_a_tls_handshake_failure_with_a_wrong_ca(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;
	char want[200];

	snprintf(f->cfg.mqtt.ca_file, sizeof(f->cfg.mqtt.ca_file), "%s/other.crt", f->dir);
	insert_range(f, 0, 2);
	ncaptured = 0;
	wx_log_set_sink(capture, NULL);
	u = start(f, 0);
	snprintf(want, sizeof(want), "mqtt 127.0.0.1:%d: TLS handshake failed: ", f->b->tls_port);
	assert_true(wait_error(u, want, 3000, &st));
	assert_non_null(strstr(st.last_error, "certificate verify failed"));
	assert_false(st.connected);
	assert_int_equal(st.cursor_ts, 0);
	sleep_ms(500);		/* several retries at test timing: logged once */
	wx_uploader_stop(u, 0);
	wx_log_set_sink(NULL, NULL);
	assert_int_equal(log_lines_with(want), 1);
	assert_int_equal(ncaptured, 1);
	assert_int_equal(test_sub_count(f->sub, PREFIX "/record"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(mqtt_publishes_each_record_as_json_with_the_contract_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(mqtt_sends_a_record_kicked_while_the_window_was_full, setup, teardown),
		cmocka_unit_test_setup_teardown(mqtt_at_qos_0_moves_the_cursor_once_the_library_wrote_the_records, setup, teardown),
		cmocka_unit_test_setup_teardown(mqtt_keeps_state_and_availability_retained, setup, teardown),
		cmocka_unit_test_setup_teardown(mqtt_last_will_says_offline_when_the_station_dies, setup, teardown),
		cmocka_unit_test_setup_teardown(mqtt_sends_backlog_in_order_after_broker_outage, setup_broker_down, teardown),
		cmocka_unit_test_setup_teardown(mqtt_resumes_from_its_cursor_after_a_restart_mid_backlog, setup, teardown),
		cmocka_unit_test_setup_teardown(mqtt_announces_home_assistant_discovery_and_resends_on_ha_online, setup, teardown),
		cmocka_unit_test_setup_teardown(mqtt_reports_a_refused_login_naming_the_broker_once, setup_password, teardown),
		cmocka_unit_test_setup_teardown(mqtt_connects_over_tls_with_the_right_ca, setup_tls, teardown),
		cmocka_unit_test_setup_teardown(mqtt_reports_a_tls_handshake_failure_with_a_wrong_ca, setup_tls, teardown),
	};

	wx_log_quiet(1);
	wx_uploader_set_test_timing(0.01);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
