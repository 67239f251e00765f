/* The Initial State uploader against a local HTTP endpoint on 127.0.0.1
 * (tests/support/httpd): headers, events one by one, batching, pacing,
 * retries on 503 and 429, and refusals that keep the data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "db/archive.h"
#include "firmware/core/log.h"
#include "firmware/core/record.h"
#include "tests/support/broker.h"
#include "tests/support/httpd.h"
#include "uploader/state.h"
#include "uploader/uploader.h"
#include "uploader/uploader_internal.h"

#define T0 1700000000LL
#define KEY "ist_test_access_key"

struct fixture {
	char dir[128];
	struct wx_config cfg;
	struct wx_archive *a;
	struct test_httpd *h;
};

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Record i: seven quantities set, the rest null (never sent). */
static void make_record(struct wx_record *r, int i)
{
	wx_record_init(r, T0 + 60LL * i);
	r->interval_s = 60;
	wx_record_set(r, WX_TEMPERATURE_C, -3.0 + i * 0.017);
	wx_record_set(r, WX_HUMIDITY_PCT, 60.0 + (i % 30));
	wx_record_set(r, WX_PRESSURE_HPA, 1013.25 - (i % 20) * 0.11);
	wx_record_set(r, WX_WIND_GUST_KMH, (i % 9) * 2.4);
	wx_record_set(r, WX_WIND_DIRECTION_DEG, (i * 11) % 360);
	wx_record_set(r, WX_RAIN_MM, (i % 3) * 0.2794);
	wx_record_set(r, WX_WIND_PULSES, i % 50);
}

#define EVENTS_PER_RECORD 7

static void insert_range(struct fixture *f, int from, int to)
{
	char err[256];

	for (int i = from; i < to; i++) {
		struct wx_record r;

		make_record(&r, i);
		assert_int_equal(wx_archive_insert(f->a, &r, err, sizeof(err)), 0);
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	chmod(path, 0600);	/* a secret: not readable by others */
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct wx_config *c;
	char err[256];

	assert_non_null(f);
	assert_int_equal(test_mkdtemp(f->dir, sizeof(f->dir), "is"), 0);
	f->h = test_httpd_start(KEY);
	assert_non_null(f->h);
	c = &f->cfg;
	snprintf(c->station.id, sizeof(c->station.id), "fairhaven-ms");
	c->station.interval_s = 60;
	snprintf(c->station.database, sizeof(c->station.database), "%s/wx.db", f->dir);
	c->initialstate.enabled = true;
	snprintf(c->initialstate.url, sizeof(c->initialstate.url), "http://127.0.0.1:%d/api/events",
		 test_httpd_port(f->h));
	snprintf(c->initialstate.access_key_file, sizeof(c->initialstate.access_key_file),
		 "%s/is.key", f->dir);
	write_file(c->initialstate.access_key_file, KEY "\n");
	snprintf(c->initialstate.bucket_key, sizeof(c->initialstate.bucket_key), "fairhaven-ms");
	c->initialstate.events_per_request = 10;
	c->initialstate.requests_per_min = 6000;
	f->a = wx_archive_open(c->station.database, err, sizeof(err));
	assert_non_null(f->a);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	test_httpd_stop(f->h);
	wx_archive_close(f->a);
	test_rmrf(f->dir);
	free(f);
	return 0;
}

static struct wx_uploader *start(struct fixture *f)
{
	char err[256] = "";
	struct wx_uploader *u = wx_initialstate_start(&f->cfg, 0, err, sizeof(err));

	if (!u)
		fail_msg("wx_initialstate_start: %s", err);
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

/* Accepted events are exactly those of records 0..n-1, in order, once. */
static void check_events(struct test_httpd *h, int n)
{
	size_t k = 0;

	assert_int_equal(test_httpd_event_count(h), (size_t)n * EVENTS_PER_RECORD);
	for (int i = 0; i < n; i++) {
		struct wx_record r;

		make_record(&r, i);
		for (int q = 0; q < WX_QUANTITY_COUNT; q++) {
			struct test_http_event e;

			if (!wx_record_has(&r, (enum wx_quantity)q))
				continue;
			assert_true(test_httpd_event(h, k++, &e));
			if (strcmp(e.key, wx_quantities[q].key) != 0 || e.epoch != r.ts ||
			    fabs(e.value - wx_round2(r.v[q])) > 1e-9)
				fail_msg("event %zu: got %s=%g at %lld, want %s=%g at %lld", k - 1,
					 e.key, e.value, (long long)e.epoch, wx_quantities[q].key,
					 wx_round2(r.v[q]), (long long)r.ts);
		}
	}
}

static void check_requests(struct test_httpd *h, int max_events)
{
	size_t n = test_httpd_request_count(h);

	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		struct test_http_request rq;

		assert_true(test_httpd_request(h, i, &rq));
		assert_string_equal(rq.method, "POST");
		assert_string_equal(rq.path, "/api/events");
		assert_string_equal(rq.access_key, KEY);
		assert_string_equal(rq.bucket_key, "fairhaven-ms");
		assert_string_equal(rq.accept_version, "~0");
		assert_string_equal(rq.content_type, "application/json");
		assert_true(rq.events >= 1);
		assert_true(rq.events <= max_events);
	}
}

static void initialstate_posts_each_non_null_quantity_as_an_event(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;
	struct test_http_request rq;
	int64_t cursor;

	insert_range(f, 0, 5);		/* 35 events: 10 + 10 + 10 + 5 */
	u = start(f);
	st = wait_cursor(u, T0 + 4 * 60, 5000);
	assert_int_equal(st.cursor_ts, T0 + 4 * 60);
	assert_int_equal(st.backlog, 0);
	assert_int_equal(st.sent, 5);
	assert_string_equal(st.name, "initialstate");
	assert_string_equal(st.last_error, "");
	wx_uploader_stop(u, 1000);
	check_requests(f->h, 10);
	assert_int_equal(test_httpd_request_count(f->h), 4);
	assert_true(test_httpd_request(f->h, 0, &rq));
	assert_int_equal(rq.events, 10);
	assert_int_equal(rq.status, 204);
	check_events(f->h, 5);
	assert_int_equal(wx_upload_state_cursor_peek(f->cfg.station.database, "initialstate", &cursor), 0);
	assert_int_equal(cursor, T0 + 4 * 60);
}

static void initialstate_splits_records_across_small_requests_without_loss(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;

	f->cfg.initialstate.events_per_request = 3;	/* 7 events a record */
	insert_range(f, 0, 6);
	u = start(f);
	st = wait_cursor(u, T0 + 5 * 60, 5000);
	assert_int_equal(st.cursor_ts, T0 + 5 * 60);
	/* New records after a kick follow. */
	insert_range(f, 6, 9);
	wx_uploader_kick(u);
	st = wait_cursor(u, T0 + 8 * 60, 5000);
	assert_int_equal(st.cursor_ts, T0 + 8 * 60);
	wx_uploader_stop(u, 1000);
	check_requests(f->h, 3);
	check_events(f->h, 9);
}

static void initialstate_retries_503_with_backoff_then_delivers(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;
	struct test_http_request rq;

	test_httpd_fail_next(f->h, 3, 503, 0);
	insert_range(f, 0, 3);
	u = start(f);
	assert_true(wait_error(u, "HTTP 503", 3000, &st));
	assert_int_equal(st.cursor_ts, 0);
	st = wait_cursor(u, T0 + 2 * 60, 5000);
	assert_int_equal(st.cursor_ts, T0 + 2 * 60);
	assert_string_equal(st.last_error, "");
	wx_uploader_stop(u, 1000);
	for (int i = 0; i < 3; i++) {
		assert_true(test_httpd_request(f->h, (size_t)i, &rq));
		assert_int_equal(rq.status, 503);
	}
	check_events(f->h, 3);	/* the refused batches came again, once accepted */
}

static void initialstate_waits_retry_after_on_429(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;
	struct test_http_request first, second;

	test_httpd_fail_next(f->h, 1, 429, 1);
	insert_range(f, 0, 1);
	u = start(f);
	st = wait_cursor(u, T0, 5000);
	assert_int_equal(st.cursor_ts, T0);
	wx_uploader_stop(u, 1000);
	assert_true(test_httpd_request(f->h, 0, &first));
	assert_true(test_httpd_request(f->h, 1, &second));
	assert_int_equal(first.status, 429);
	assert_int_equal(second.status, 204);
	/* Retry-After: 1 is honoured although test timing shrinks backoffs. */
	assert_true(second.t_ms - first.t_ms >= 950);
	check_events(f->h, 1);
}

static void initialstate_reports_401_and_keeps_the_data(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;
	char want[200];
	int64_t cursor;

	write_file(f->cfg.initialstate.access_key_file, "not-the-key\n");
	insert_range(f, 0, 4);
	u = start(f);
	snprintf(want, sizeof(want), "initialstate 127.0.0.1:%d: 401 unauthorized (check access_key_file)",
		 test_httpd_port(f->h));
	assert_true(wait_error(u, want, 3000, &st));
	assert_null(strstr(st.last_error, "not-the-key"));
	assert_int_equal(st.cursor_ts, 0);
	assert_int_equal(st.backlog, 4);
	assert_false(st.connected);
	/* Slowed down: no hammering (the slow retry is 3 s at test timing). */
	sleep_ms(500);
	assert_int_equal(test_httpd_request_count(f->h), 1);
	wx_uploader_stop(u, 200);
	assert_int_equal(wx_upload_state_cursor_peek(f->cfg.station.database, "initialstate", &cursor), 0);
	assert_int_equal(cursor, 0);
	assert_int_equal(test_httpd_event_count(f->h), 0);

	/* With the right key the kept records go out. */
	write_file(f->cfg.initialstate.access_key_file, KEY "\n");
	u = start(f);
	st = wait_cursor(u, T0 + 3 * 60, 5000);
	assert_int_equal(st.cursor_ts, T0 + 3 * 60);
	wx_uploader_stop(u, 1000);
	check_events(f->h, 4);
}

static void initialstate_slows_down_on_402_monthly_cap(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;

	test_httpd_always(f->h, 402);
	insert_range(f, 0, 2);
	u = start(f);
	assert_true(wait_error(u, "402 payment required", 3000, &st));
	assert_int_equal(st.cursor_ts, 0);
	sleep_ms(500);
	assert_int_equal(test_httpd_request_count(f->h), 1);
	/* Stopping does not wait out a slow retry that lies beyond the grace. */
	{
		int64_t t = now_ms();

		wx_uploader_stop(u, 2000);
		assert_true(now_ms() - t < 1000);
	}
}

static void initialstate_spaces_requests_by_requests_per_min(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;
	size_t n;

	f->cfg.initialstate.requests_per_min = 240;	/* one every 250 ms */
	insert_range(f, 0, 4);				/* 28 events: 3 requests */
	u = start(f);
	st = wait_cursor(u, T0 + 3 * 60, 5000);
	assert_int_equal(st.cursor_ts, T0 + 3 * 60);
	wx_uploader_stop(u, 1000);
	n = test_httpd_request_count(f->h);
	assert_int_equal(n, 3);
	for (size_t i = 1; i < n; i++) {
		struct test_http_request a, b;

		assert_true(test_httpd_request(f->h, i - 1, &a));
		assert_true(test_httpd_request(f->h, i, &b));
		assert_true(b.t_ms - a.t_ms >= 240);
	}
	check_events(f->h, 4);
}

static void initialstate_stop_gives_up_on_a_slow_server_after_the_grace(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;
	int64_t t, cursor;

	test_httpd_delay(f->h, 2000);
	insert_range(f, 0, 2);
	u = start(f);
	assert_int_equal(test_httpd_wait_requests(f->h, 1, 3000), 1);
	wx_uploader_status(u, &st);
	assert_int_equal(st.cursor_ts, 0);
	t = now_ms();
	wx_uploader_stop(u, 300);
	assert_true(now_ms() - t < 1500);
	/* The answer never came: the data stays for next time. */
	assert_int_equal(wx_upload_state_cursor_peek(f->cfg.station.database, "initialstate", &cursor), 0);
	assert_int_equal(cursor, 0);
}

/* Found by fuzz/fuzz_uploader.c (UBSan): "Retry-After: 2222222222222222221"
 * overflowed the seconds-to-milliseconds multiplication. */
static void initialstate_caps_a_huge_retry_after_at_a_day(void **state)
{
	(void)state;
	assert_int_equal(wx_initialstate_retry_after_ms(INT64_MAX), 86400 * 1000LL);
	assert_int_equal(wx_initialstate_retry_after_ms(2222222222222222221LL), 86400 * 1000LL);
	assert_int_equal(wx_initialstate_retry_after_ms(86401), 86400 * 1000LL);
	assert_int_equal(wx_initialstate_retry_after_ms(30), 30000);
	assert_int_equal(wx_initialstate_retry_after_ms(0), -1);
	assert_int_equal(wx_initialstate_retry_after_ms(-5), -1);
}

/* An archive that cannot be opened at start (a read-only mount, a full
 * card, a file that is not a database) does not stop the uploader from
 * starting: it reports the archive in its status and sends once the file
 * is good (issue 12 item 1). */
static void initialstate_starts_without_an_archive_and_sends_once_it_opens(void **state)
{
	struct fixture *f = *state;
	struct wx_upload_status st;
	struct wx_uploader *u;
	char err[256] = "", good[300];

	snprintf(good, sizeof(good), "%s", f->cfg.station.database);
	snprintf(f->cfg.station.database, sizeof(f->cfg.station.database), "%s/later.db", f->dir);
	write_file(f->cfg.station.database, "garbage, not an SQLite file: garbage garbage garbage\n");
	u = wx_initialstate_start(&f->cfg, 0, err, sizeof(err));
	if (!u)
		fail_msg("wx_initialstate_start failed on an archive it cannot open: %s", err);
	assert_true(wait_error(u, "later.db", 3000, &st));
	assert_int_equal(test_httpd_request_count(f->h), 0);
	/* The good archive takes the bad file's place. */
	insert_range(f, 0, 3);
	wx_archive_close(f->a);
	f->a = NULL;
	assert_int_equal(rename(good, f->cfg.station.database), 0);
	st = wait_cursor(u, T0 + 2 * 60, 8000);
	wx_uploader_stop(u, 2000);
	assert_int_equal(st.cursor_ts, T0 + 2 * 60);
	assert_string_equal(st.last_error, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(initialstate_posts_each_non_null_quantity_as_an_event, setup, teardown),
		cmocka_unit_test_setup_teardown(initialstate_splits_records_across_small_requests_without_loss, setup, teardown),
		cmocka_unit_test_setup_teardown(initialstate_retries_503_with_backoff_then_delivers, setup, teardown),
		cmocka_unit_test_setup_teardown(initialstate_waits_retry_after_on_429, setup, teardown),
		cmocka_unit_test(initialstate_caps_a_huge_retry_after_at_a_day),
		cmocka_unit_test_setup_teardown(initialstate_reports_401_and_keeps_the_data, setup, teardown),
		cmocka_unit_test_setup_teardown(initialstate_slows_down_on_402_monthly_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(initialstate_spaces_requests_by_requests_per_min, setup, teardown),
		cmocka_unit_test_setup_teardown(initialstate_stop_gives_up_on_a_slow_server_after_the_grace, setup, teardown),
		cmocka_unit_test_setup_teardown(initialstate_starts_without_an_archive_and_sends_once_it_opens, setup, teardown),
	};

	wx_log_quiet(1);
	wx_uploader_set_test_timing(0.01);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
