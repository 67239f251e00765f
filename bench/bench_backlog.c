/* make bench: how fast the MQTT uploader drains a large backlog (issue 12
 * item 5), printed, never pass/fail.
 *
 * For 10,000 and 1,000,000 one-minute records (a week, and two years), an
 * archive is made with the station's schema (wx_archive_open) and filled in
 * one transaction straight through SQLite (a million durable inserts would
 * take an hour of fsyncs and measure nothing of interest here).  Then the
 * real uploader (wx_mqtt_start, QoS 1, its 20-message window) drains it
 * into a quiet mosquitto on 127.0.0.1 with one counting subscriber; the
 * clock runs from the start until the cursor reached the newest record and
 * the subscriber has them all.  Before the backlog was counted once and
 * kept up to date, a count(*) over what was left followed every window of
 * 20, and the drain slowed with the size of the backlog (60 records/s at
 * 2.6 M).  The target beside each figure is the README's 11,300 records/s.
 *
 * Usage: bench_backlog BUILD_DIR   (BENCH_BACKLOG_MAX=N caps the sizes) */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/support.h"
#include "db/archive.h"
#include "firmware/core/config.h"
#include "firmware/core/log.h"
#include "firmware/core/record.h"
#include "tests/support/broker.h"
#include "uploader/uploader.h"

#define STATION "backlog"
#define T0 1700000040LL
#define TARGET_PER_S 11300.0

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

/* The archive quantities a BYO station fills, varying with i. */
static void make_record(struct wx_record *r, long i)
{
	wx_record_init(r, T0 + 60LL * (i + 1));
	r->interval_s = 60;
	wx_record_set(r, WX_TEMPERATURE_C, 12.0 + (i % 600) * 0.01);
	wx_record_set(r, WX_HUMIDITY_PCT, 60.0 + (i % 30));
	wx_record_set(r, WX_PRESSURE_HPA, 1005.0 + (i % 600) * 0.01);
	wx_record_set(r, WX_GROUND_TEMPERATURE_C, 9.0 + (i % 100) * 0.01);
	wx_record_set(r, WX_WIND_SPEED_KMH, (i % 23) * 0.9);
	wx_record_set(r, WX_WIND_GUST_KMH, (i % 23) * 1.4);
	wx_record_set(r, WX_WIND_DIRECTION_DEG, (double)((i * 7) % 360));
	wx_record_set(r, WX_RAIN_MM, (i % 9 == 0) * 0.2794);
	wx_record_set(r, WX_WIND_PULSES, (double)((i % 23) * 22));
	wx_record_set(r, WX_RAIN_TIPS, i % 9 == 0);
	wx_record_derive(r, 12.0);
}

/* A wxd archive at path with n records, in one transaction.  0 or -1. */
static int fill(const char *path, long n)
{
	char err[256], sql[1024];
	struct wx_archive *a = wx_archive_open(path, err, sizeof(err));
	size_t len, nq = 0;
	sqlite3_stmt *s;
	sqlite3 *db;
	int rc;

	if (!a) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	wx_archive_close(a);		/* the schema is there */
	len = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO archive (ts, interval_s");
	for (int q = 0; q < WX_QUANTITY_COUNT; q++)
		if (wx_quantities[q].where & WX_IN_ARCHIVE) {
			len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", %s", wx_quantities[q].key);
			nq++;
		}
	len += (size_t)snprintf(sql + len, sizeof(sql) - len, ") VALUES (?, ?");
	for (size_t i = 0; i < nq; i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", ?");
	snprintf(sql + len, sizeof(sql) - len, ")");
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	for (long i = 0; rc == SQLITE_OK && i < n; i++) {
		struct wx_record r;
		int col = 1;

		make_record(&r, i);
		sqlite3_bind_int64(s, col++, r.ts);
		sqlite3_bind_int(s, col++, r.interval_s);
		for (int q = 0; q < WX_QUANTITY_COUNT; q++) {
			if (!(wx_quantities[q].where & WX_IN_ARCHIVE))
				continue;
			if (wx_record_has(&r, (enum wx_quantity)q))
				sqlite3_bind_double(s, col, r.v[q]);
			else
				sqlite3_bind_null(s, col);
			col++;
		}
		rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_reset(s);
	}
	if (rc == SQLITE_OK) {
		sqlite3_finalize(s);
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK)
		fprintf(stderr, "filling %s: %s\n", path, sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* Seconds to drain the n records of db, or -1. */
static double drain(int port, const char *db, long n, double *first_count_s)
{
	struct bench_sub *sub = bench_sub_start(port);
	struct wx_upload_status st;
	struct wx_uploader *u;
	struct wx_config cfg;
	int64_t newest = T0 + 60LL * n;
	char err[256] = "";
	double t0, t = -1;

	if (!sub)
		return -1;
	wx_config_defaults(&cfg);
	snprintf(cfg.station.id, sizeof(cfg.station.id), STATION);
	snprintf(cfg.station.database, sizeof(cfg.station.database), "%s", db);
	cfg.mqtt.enabled = true;
	snprintf(cfg.mqtt.host, sizeof(cfg.mqtt.host), "127.0.0.1");
	cfg.mqtt.port = port;
	cfg.mqtt.qos = 1;
	cfg.mqtt.ha_discovery = false;
	*first_count_s = -1;
	t0 = now_s();
	u = wx_mqtt_start(&cfg, 0, err, sizeof(err));
	if (!u) {
		fprintf(stderr, "wx_mqtt_start: %s\n", err);
		bench_sub_stop(sub);
		return -1;
	}
	for (;;) {
		wx_uploader_status(u, &st);
		if (*first_count_s < 0 && st.backlog > 0)
			*first_count_s = now_s() - t0;
		if (st.cursor_ts >= newest && bench_sub_total(sub) >= (size_t)n) {
			t = now_s() - t0;
			break;
		}
		if (now_s() - t0 > 1800) {
			fprintf(stderr, "drain: gave up after 1800 s (cursor %lld, backlog %lld)\n",
				(long long)st.cursor_ts, (long long)st.backlog);
			break;
		}
		sleep_ms(5);
	}
	wx_uploader_stop(u, 10000);
	bench_sub_stop(sub);
	return t;
}

int main(int argc, char **argv)
{
	static const long sizes[] = { 10000, 1000000 };
	const char *env = getenv("BENCH_BACKLOG_MAX");
	long max = env && atol(env) > 0 ? atol(env) : 0;
	struct bench_broker *b;
	char dir[128], db[200];

	(void)argv;
	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	wx_log_init("bench_backlog");
	wx_log_quiet(1);
	if (test_mkdtemp(dir, sizeof(dir), "bench-backlog") < 0)
		return 1;
	b = bench_broker_start(0);
	if (!b) {
		test_rmrf(dir);
		return 1;
	}
	printf("MQTT backlog drain, QoS 1, mosquitto on 127.0.0.1, one subscriber"
	       " (target: %.0f records/s, the README's figure before this bench)\n", TARGET_PER_S);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		long n = max && sizes[i] > max ? max : sizes[i];
		double t_fill, t, first;

		snprintf(db, sizeof(db), "%s/wx-%ld.db", dir, n);
		t_fill = now_s();
		if (fill(db, n) < 0)
			break;
		t_fill = now_s() - t_fill;
		t = drain(b->port, db, n, &first);
		if (t <= 0) {
			printf("  %9ld records: did not complete\n", n);
			continue;
		}
		printf("  %9ld records: %8.2f s, %8.0f records/s  (target %.0f/s: %s)"
		       "  [archive made in %.1f s; first count after %.3f s]\n",
		       n, t, n / t, TARGET_PER_S, n / t >= TARGET_PER_S ? "met" : "below",
		       t_fill, first);
		test_rmrf(db);	/* a file: its -wal and -shm go with the directory */
	}
	bench_broker_stop(b);
	test_rmrf(dir);
	return 0;
}
