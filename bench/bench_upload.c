/* make bench-upload: how fast a backlog drains, printed, never pass/fail.
 *
 *   1. MQTT: a week of one-minute records (10,080) is put in a fresh archive
 *      with wx_archive_insert(), then the real uploader (wx_mqtt_start) is
 *      started against a mosquitto on 127.0.0.1.  The clock runs until the
 *      subscriber on the broker has every <prefix>/record message and the
 *      uploader's cursor reached the newest ts.  Beside it, the ceiling: the
 *      same payloads published at QoS 1 by a bare libmosquitto client in the
 *      same run (its library queue holding them all, with the library's
 *      default in-flight window of 20 and with no window at all), until the
 *      same subscriber has them all.
 *   2. The cost of one cursor write (wx_archive_cursor_set: one durable
 *      SQLite transaction), which the MQTT uploader pays once per turn of its
 *      loop and the Initial State uploader once per request.
 *   3. Initial State: records/s through the real uploader to the local
 *      endpoint of tests/support/httpd with the rate limit lifted
 *      (requests_per_min very high, events_per_request 10); and, computed from
 *      the event count, what the same week's backlog takes at the service's
 *      real limit (60 requests a minute, 10 events each).
 *
 * Usage: bench_upload BUILD_DIR   (BENCH_UPLOAD_RECORDS=N overrides 10080) */
#include <errno.h>
#include <math.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/support.h"
#include "db/archive.h"
#include "firmware/core/config.h"
#include "firmware/core/log.h"
#include "firmware/core/record.h"
#include "firmware/core/record_json.h"
#include "tests/support/broker.h"
#include "tests/support/httpd.h"
#include "uploader/uploader.h"

#define STATION "bench"
#define T0 1700000040LL		/* a whole minute */
#define KEY "bench_access_key"

static char dir[128];
static int nrec = 7 * 1440;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/* Record i of a station-like week: every quantity a BYO station archives
 * (12 of them), varying with the time of day. */
static void make_record(struct wx_record *r, int i)
{
	double day = (i % 1440) / 1440.0;

	wx_record_init(r, T0 + 60LL * (i + 1));
	r->interval_s = 60;
	wx_record_set(r, WX_TEMPERATURE_C, 12.0 + 6.0 * sin(6.2832 * (day - 0.3)));
	wx_record_set(r, WX_HUMIDITY_PCT, 70.0 - 20.0 * sin(6.2832 * (day - 0.3)));
	wx_record_set(r, WX_PRESSURE_HPA, 1005.0 + (i % 600) * 0.01);
	wx_record_set(r, WX_GROUND_TEMPERATURE_C, 9.0 + 0.5 * day);
	wx_record_set(r, WX_WIND_SPEED_KMH, (i % 23) * 0.9);
	wx_record_set(r, WX_WIND_GUST_KMH, (i % 23) * 1.4);
	wx_record_set(r, WX_WIND_DIRECTION_DEG, (i * 7) % 360);
	wx_record_set(r, WX_RAIN_MM, (i % 9 == 0) * 0.2794);
	wx_record_set(r, WX_WIND_PULSES, (i % 23) * 22);
	wx_record_set(r, WX_RAIN_TIPS, i % 9 == 0);
	wx_record_derive(r, 12.0);
}

static int fill_archive(const char *path, double *secs)
{
	char err[256];
	struct wx_archive *a = wx_archive_open(path, err, sizeof(err));
	double t0 = now_s();

	if (!a) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	for (int i = 0; i < nrec; i++) {
		struct wx_record r;

		make_record(&r, i);
		if (wx_archive_insert(a, &r, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			wx_archive_close(a);
			return -1;
		}
	}
	*secs = now_s() - t0;
	wx_archive_close(a);
	return 0;
}

static void base_config(struct wx_config *c, const char *db)
{
	wx_config_defaults(c);
	snprintf(c->station.id, sizeof(c->station.id), STATION);
	snprintf(c->station.database, sizeof(c->station.database), "%s", db);
	c->mqtt.enabled = false;
	c->initialstate.enabled = false;
}

/* ---- MQTT through the uploader ---------------------------------------- */

static double mqtt_drain(int port, struct test_sub *sub, const char *db, uint64_t *wbytes)
{
	struct wx_config cfg;
	struct wx_upload_status st;
	struct wx_uploader *u;
	char err[256] = "";
	int64_t newest = T0 + 60LL * nrec;
	double t0, t = -1;

	base_config(&cfg, db);
	cfg.mqtt.enabled = true;
	snprintf(cfg.mqtt.host, sizeof(cfg.mqtt.host), "127.0.0.1");
	cfg.mqtt.port = port;
	cfg.mqtt.qos = 1;
	cfg.mqtt.ha_discovery = false;
	t0 = now_s();
	u = wx_mqtt_start(&cfg, 0, err, sizeof(err));
	if (!u) {
		fprintf(stderr, "wx_mqtt_start: %s\n", err);
		return -1;
	}
	for (;;) {
		wx_uploader_status(u, &st);
		if (st.cursor_ts >= newest &&
		    test_sub_count(sub, "wx/" STATION "/record") >= (size_t)nrec) {
			t = now_s() - t0;
			break;
		}
		if (now_s() - t0 > 300) {
			fprintf(stderr, "mqtt drain: gave up after 300 s (cursor %lld, %zu at the broker)\n",
				(long long)st.cursor_ts, test_sub_count(sub, "wx/" STATION "/record"));
			break;
		}
		sleep_ms(2);
	}
	*wbytes = st.sent;
	wx_uploader_stop(u, 10000);
	return t;
}

/* ---- the ceiling: a bare libmosquitto client ---------------------------- */

struct bare {
	pthread_mutex_t mu;
	int acked;
	bool connected;
};

static void bare_on_connect(struct mosquitto *m, void *obj, int rc)
{
	struct bare *b = obj;

	(void)m;
	pthread_mutex_lock(&b->mu);
	b->connected = rc == 0;
	pthread_mutex_unlock(&b->mu);
}

static void bare_on_publish(struct mosquitto *m, void *obj, int mid)
{
	struct bare *b = obj;

	(void)m;
	(void)mid;
	pthread_mutex_lock(&b->mu);
	b->acked++;
	pthread_mutex_unlock(&b->mu);
}

/* Publish every payload at QoS 1 on topic with an in-flight window of
 * inflight (0 = none), until the subscriber has them all; seconds, or -1. */
static double bare_publish(int port, struct test_sub *sub, char **payloads, const char *topic,
			   unsigned inflight)
{
	struct bare b = { .acked = 0 };
	struct mosquitto *m;
	double t0, t = -1;
	bool ok = false;

	pthread_mutex_init(&b.mu, NULL);
	m = mosquitto_new(NULL, true, &b);
	if (!m)
		return -1;
	mosquitto_connect_callback_set(m, bare_on_connect);
	mosquitto_publish_callback_set(m, bare_on_publish);
	mosquitto_max_inflight_messages_set(m, inflight);
	if (mosquitto_connect(m, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS ||
	    mosquitto_loop_start(m) != MOSQ_ERR_SUCCESS) {
		mosquitto_destroy(m);
		return -1;
	}
	for (int i = 0; i < 500 && !ok; i++) {
		pthread_mutex_lock(&b.mu);
		ok = b.connected;
		pthread_mutex_unlock(&b.mu);
		if (!ok)
			sleep_ms(10);
	}
	t0 = now_s();
	for (int i = 0; ok && i < nrec; i++)
		if (mosquitto_publish(m, NULL, topic, (int)strlen(payloads[i]), payloads[i], 1,
				      false) != MOSQ_ERR_SUCCESS)
			ok = false;
	while (ok) {
		int acked;

		pthread_mutex_lock(&b.mu);
		acked = b.acked;
		pthread_mutex_unlock(&b.mu);
		if (acked >= nrec && test_sub_count(sub, topic) >= (size_t)nrec) {
			t = now_s() - t0;
			break;
		}
		if (now_s() - t0 > 300)
			break;
		sleep_ms(2);
	}
	mosquitto_disconnect(m);
	mosquitto_loop_stop(m, false);
	mosquitto_destroy(m);
	pthread_mutex_destroy(&b.mu);
	return t;
}

/* ---- one cursor write ---------------------------------------------------- */

static double cursor_write_ms(const char *db)
{
	enum { N = 200 };
	char err[256];
	struct wx_archive *a = wx_archive_open(db, err, sizeof(err));
	double t0;

	if (!a)
		return -1;
	t0 = now_s();
	for (int i = 0; i < N; i++)
		wx_archive_cursor_set(a, "bench", T0 + i);
	t0 = (now_s() - t0) / N * 1e3;
	wx_archive_close(a);
	return t0;
}

/* ---- Initial State ---------------------------------------------------- */

static int events_per_record(void)
{
	struct wx_record r;
	int n = 0;

	make_record(&r, 0);
	for (int q = 0; q < WX_QUANTITY_COUNT; q++)
		if ((wx_quantities[q].where & WX_IN_ARCHIVE) && wx_record_has(&r, (enum wx_quantity)q))
			n++;
	return n;
}

static double is_drain(const char *db, int records, size_t *requests)
{
	struct test_httpd *h = test_httpd_start(KEY);
	struct wx_config cfg;
	struct wx_upload_status st;
	struct wx_uploader *u;
	char err[256] = "";
	int64_t newest = T0 + 60LL * records;
	size_t events = (size_t)records * (size_t)events_per_record();
	double t0, t = -1;
	FILE *f;

	if (!h)
		return -1;
	base_config(&cfg, db);
	cfg.initialstate.enabled = true;
	snprintf(cfg.initialstate.url, sizeof(cfg.initialstate.url),
		 "http://127.0.0.1:%d/api/events", test_httpd_port(h));
	snprintf(cfg.initialstate.access_key_file, sizeof(cfg.initialstate.access_key_file),
		 "%s/is.key", dir);
	f = fopen(cfg.initialstate.access_key_file, "w");
	if (!f) {
		test_httpd_stop(h);
		return -1;
	}
	fputs(KEY "\n", f);
	fclose(f);
	chmod(cfg.initialstate.access_key_file, 0600);
	snprintf(cfg.initialstate.bucket_key, sizeof(cfg.initialstate.bucket_key), STATION);
	cfg.initialstate.events_per_request = 10;
	cfg.initialstate.requests_per_min = 1000000;	/* 1 ms apart: no limit to speak of */
	t0 = now_s();
	u = wx_initialstate_start(&cfg, 0, err, sizeof(err));
	if (!u) {
		fprintf(stderr, "wx_initialstate_start: %s\n", err);
		test_httpd_stop(h);
		return -1;
	}
	for (;;) {
		wx_uploader_status(u, &st);
		if (st.cursor_ts >= newest && test_httpd_event_count(h) >= events) {
			t = now_s() - t0;
			break;
		}
		if (now_s() - t0 > 300) {
			fprintf(stderr, "initialstate: gave up after 300 s (cursor %lld, %zu events)\n",
				(long long)st.cursor_ts, test_httpd_event_count(h));
			break;
		}
		sleep_ms(2);
	}
	wx_uploader_stop(u, 1000);
	*requests = test_httpd_request_count(h);
	test_httpd_stop(h);
	return t;
}

/* ---- main ------------------------------------------------------------- */

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of the n runs in t (failed runs are < 0 and sort first: a
 * failure shows as a median < 0 only when most runs failed). */
static double median(double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp);
	return t[n / 2];
}

static void print_runs(const char *what, double *t, int n)
{
	double m = median(t, n);

	if (m <= 0) {
		printf("  %-30s did not complete\n", what);
		return;
	}
	printf("  %-30s %7.2f s %8.0f records/s  (sorted runs:", what, m, nrec / m);
	for (int i = 0; i < n; i++)
		printf(" %.2f", t[i]);
	printf(")\n");
}

static int reset_cursor(const char *db)
{
	char err[256];
	struct wx_archive *a = wx_archive_open(db, err, sizeof(err));
	int rc;

	if (!a)
		return -1;
	rc = wx_archive_cursor_set(a, "mqtt", 0);
	wx_archive_close(a);
	return rc;
}

int main(int argc, char **argv)
{
	enum { RUNS = 3 };
	struct bench_broker *b;
	char db[200], db_is[200];
	char **payloads;
	double fill_s, drain[RUNS], ceil20[RUNS], ceil0[RUNS], cw, is_t, md, m20, m0;
	uint64_t sent = 0;
	size_t reqs = 0;
	int is_records, epr = events_per_record();
	const char *env = getenv("BENCH_UPLOAD_RECORDS");

	(void)argv;
	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);	/* nothing buffered twice across fork() */
	if (env && atoi(env) > 0)
		nrec = atoi(env);
	wx_log_init("bench_upload");
	wx_log_quiet(1);
	if (test_mkdtemp(dir, sizeof(dir), "bench-upload") < 0)
		return 1;
	snprintf(db, sizeof(db), "%s/wx.db", dir);
	snprintf(db_is, sizeof(db_is), "%s/is.db", dir);
	mosquitto_lib_init();

	if (fill_archive(db, &fill_s) < 0)
		return 1;
	printf("archive: %d one-minute records inserted in %.2f s (%.0f records/s)\n",
	       nrec, fill_s, nrec / fill_s);

	b = bench_broker_start(0);
	if (!b) {
		test_rmrf(dir);
		return 1;
	}
	payloads = calloc((size_t)nrec, sizeof(*payloads));
	for (int i = 0; payloads && i < nrec; i++) {
		struct wx_record r;

		make_record(&r, i);
		payloads[i] = wx_record_to_json(&r, STATION, WX_IN_ARCHIVE);
	}
	printf("MQTT, QoS 1, mosquitto on 127.0.0.1, %d records of %zu bytes, median of %d runs\n",
	       nrec, strlen(payloads[0]), RUNS);
	/* Interleaved, so that a busy moment of the machine does not fall on
	 * one contender only; each run has a fresh subscriber. */
	for (int i = 0; i < RUNS; i++) {
		struct test_sub *sub = test_sub_start(b->port);

		drain[i] = ceil20[i] = ceil0[i] = -1;
		if (!sub || reset_cursor(db) < 0) {
			test_sub_stop(sub);
			continue;
		}
		drain[i] = mqtt_drain(b->port, sub, db, &sent);
		ceil20[i] = bare_publish(b->port, sub, payloads, "ceiling20/record", 20);
		ceil0[i] = bare_publish(b->port, sub, payloads, "ceiling0/record", 0);
		test_sub_stop(sub);
	}
	print_runs("uploader (wx_mqtt_start)", drain, RUNS);
	print_runs("bare client, window 20", ceil20, RUNS);
	print_runs("bare client, no window", ceil0, RUNS);
	md = median(drain, RUNS);
	m20 = median(ceil20, RUNS);
	m0 = median(ceil0, RUNS);
	if (md > 0 && m20 > 0 && m0 > 0)
		printf("  uploader / ceiling             %.2fx the time of the bare client with window 20,"
		       " %.2fx with none\n", md / m20, md / m0);
	bench_broker_stop(b);
	for (int i = 0; payloads && i < nrec; i++)
		free(payloads[i]);
	free(payloads);

	cw = cursor_write_ms(db);
	printf("one upload cursor write (a durable SQLite transaction): %.2f ms\n", cw);

	is_records = nrec < 1440 ? nrec : 1440;
	{
		int n = nrec;

		nrec = is_records;
		if (fill_archive(db_is, &fill_s) < 0)
			return 1;
		nrec = n;
	}
	is_t = is_drain(db_is, is_records, &reqs);
	printf("Initial State, local endpoint, events_per_request 10, rate limit lifted\n");
	if (is_t > 0)
		printf("  %d records (%d events each, %zu requests) in %.2f s: %.0f records/s, %.0f requests/s\n",
		       is_records, epr, reqs, is_t, is_records / is_t, reqs / is_t);
	else
		printf("  did not complete\n");
	{
		long long events = (long long)nrec * epr, rq = (events + 9) / 10;

		printf("  %d records (%lld events) at the service's limit of 60 requests/min:\n"
		       "    %lld requests, %.1f hours (%.0f records/min; a station makes 1 a minute)\n",
		       nrec, events, rq, rq / 60.0 / 60.0, nrec / (rq / 60.0));
		if (is_t > 0)
			printf("    unthrottled it would take %.1f s at the rate measured above\n",
			       nrec / (is_records / is_t));
	}
	test_rmrf(dir);
	return 0;
}
