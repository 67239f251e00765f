/* The weather networks' uploads against local look-alikes on 127.0.0.1:
 * an HTTP endpoint (tests/support/httpd with a handler) that checks each
 * request as Weather Underground, WOW or Windy document it (every field
 * name, unit format and range, the time format, the credentials, the rate
 * limit: a request sooner than allowed gets 429), and an APRS-IS server
 * (tests/support/aprsis) for CWOP.  Answers are staged on purpose:
 * success, bad credentials, 429, 5xx, a hung server, garbage.  Outages: a
 * day of records offline and a restart in the middle of the backlog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "db/archive.h"
#include "firmware/core/log.h"
#include "firmware/core/record.h"
#include "tests/support/aprsis.h"
#include "tests/support/broker.h"
#include "tests/support/httpd.h"
#include "uploader/uploader.h"
#include "uploader/uploaders.h"
#include "uploader/wxnet.h"

#define SCALE 0.01		/* 5-minute slow retry -> 3 s; 300 s spacing -> 3 s */
#define SPACING_MS 3000
#define RAIN_MM 0.254		/* every record: 0.01 in */

/* ---- a look-alike service ------------------------------------------------ */

enum mode { WU, WOW, WINDY };

#define MAX_OBS 4096

struct obs {
	int64_t ts;
	char query[1024];
};

struct fake {
	enum mode mode;
	char id[64], key[64];
	pthread_mutex_t mu;
	struct obs *obs;
	size_t n, dups;
	int violations;
	char violation[512];
	int force_n, force_status;	/* the next force_n answers */
	char force_body[128];
	int hang_n;			/* the next hang_n requests hang 1.5 s, not stored */
	int64_t last_ms, last_ts;	/* of the last stored observation */
	int rate429;			/* requests refused by the rate limit */
	bool notice;			/* Windy: answer NOTICE (accepted, not stored) */
};

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

static void violate(struct fake *f, const char *fmt, ...)
{
	va_list ap;

	f->violations++;
	if (f->violations > 1)
		return;
	va_start(ap, fmt);
	vsnprintf(f->violation, sizeof(f->violation), fmt, ap);
	va_end(ap);
}

static void urldecode(const char *in, size_t len, char *out, size_t outlen)
{
	size_t k = 0;

	for (size_t i = 0; i < len && k + 1 < outlen; i++) {
		if (in[i] == '+') {
			out[k++] = ' ';
		} else if (in[i] == '%' && i + 2 < len && isxdigit((unsigned char)in[i + 1]) &&
			   isxdigit((unsigned char)in[i + 2])) {
			char h[3] = { in[i + 1], in[i + 2], 0 };

			out[k++] = (char)strtol(h, NULL, 16);
			i += 2;
		} else {
			out[k++] = in[i];
		}
	}
	out[k] = '\0';
}

/* The value of key in the query (decoded), or NULL. */
static const char *get(const char *query, const char *key, char *out, size_t outlen)
{
	size_t kl = strlen(key);

	for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			const char *v = p + kl + 1;

			urldecode(v, strcspn(v, "&"), out, outlen);
			return out;
		}
	}
	return NULL;
}

/* "[-]digits[.decimals]" with exactly dec decimals, within lo..hi. */
static bool number(const char *v, int dec, double lo, double hi)
{
	const char *p = v, *dot;
	double d;

	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	dot = strchr(v, '.');
	if (dec == 0 ? dot != NULL : !dot || strlen(dot + 1) != (size_t)dec)
		return false;
	for (const char *q = p; *q; q++)
		if (!isdigit((unsigned char)*q) && q != dot)
			return false;
	d = strtod(v, NULL);
	return d >= lo && d <= hi;
}

struct field {
	const char *key;
	int dec;
	double lo, hi;
};

/* WU's and WOW's US-unit fields (PWS upload protocol). */
static const struct field us_fields[] = {
	{ "tempf", 1, -80, 150 }, { "humidity", 0, 0, 100 }, { "dewptf", 1, -100, 100 },
	{ "baromin", 3, 25, 33 }, { "windspeedmph", 1, 0, 250 }, { "windgustmph", 1, 0, 250 },
	{ "winddir", 0, 0, 360 }, { "rainin", 2, 0, 20 }, { "dailyrainin", 2, 0, 50 },
	{ "soiltempf", 1, -60, 150 },
};

/* Windy v2's metric fields. */
static const struct field windy_fields[] = {
	{ "temp", 1, -60, 60 }, { "wind", 1, 0, 120 }, { "gust", 1, 0, 120 },
	{ "winddir", 0, 0, 360 }, { "humidity", 0, 0, 100 }, { "dewpoint", 1, -80, 40 },
	{ "mbar", 1, 850, 1100 }, { "precip", 1, 0, 500 },
};

/* Every parameter of the query is known, and each known field well formed. */
static void check_fields(struct fake *f, const char *query, const char *const *fixed,
			 const struct field *fl, size_t nf)
{
	char key[64], val[256];

	for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		size_t kl = strcspn(p, "=&");
		bool known = false;

		snprintf(key, sizeof(key), "%.*s", (int)kl, p);
		for (const char *const *k = fixed; *k; k++)
			known |= !strcmp(*k, key);
		for (size_t i = 0; i < nf; i++) {
			if (strcmp(fl[i].key, key))
				continue;
			known = true;
			get(query, key, val, sizeof(val));
			if (!number(val, fl[i].dec, fl[i].lo, fl[i].hi))
				violate(f, "%s=\"%s\": not %d decimals within %g..%g", key, val,
					fl[i].dec, fl[i].lo, fl[i].hi);
		}
		if (!known)
			violate(f, "unknown parameter \"%s\"", key);
	}
}

/* "YYYY-MM-DD HH:MM:SS" (or the ISO form with T and Z) as a Unix time. */
static int64_t parse_time(const char *v, bool iso)
{
	struct tm tm = { 0 };
	const char *end = strptime(v, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S", &tm);

	if (!end || *end || strlen(v) != (iso ? 20u : 19u))
		return -1;
	return (int64_t)timegm(&tm);
}

static void store(struct fake *f, int64_t ts, const char *query)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->obs[i].ts == ts) {
			f->dups++;
			return;
		}
	if (f->n < MAX_OBS) {
		f->obs[f->n].ts = ts;
		snprintf(f->obs[f->n].query, sizeof(f->obs[0].query), "%s", query);
		f->n++;
	}
	f->last_ts = ts;
	f->last_ms = now_ms();
}

static int answer(struct fake *f, const char *method, const char *target, char *body, size_t len)
{
	static const char *const wu_fixed[] = { "ID", "PASSWORD", "action", "dateutc", "softwaretype", NULL };
	static const char *const wow_fixed[] = { "siteid", "siteAuthenticationKey", "dateutc", "softwaretype", NULL };
	static const char *const windy_fixed[] = { "id", "PASSWORD", "time", NULL };
	const char *query = strchr(target, '?');
	char id[128] = "", key[128] = "", when[64] = "", v[64];
	int64_t ts;

	query = query ? query + 1 : "";
	if (strcmp(method, "GET"))
		violate(f, "method %s, not GET", method);
	if (f->force_n > 0) {
		f->force_n--;
		snprintf(body, len, "%s", f->force_body);
		return f->force_status;
	}
	switch (f->mode) {
	case WU:
		if (strncmp(target, "/weatherstation/updateweatherstation.php?", 41))
			violate(f, "path %s", target);
		get(query, "ID", id, sizeof(id));
		get(query, "PASSWORD", key, sizeof(key));
		if (!get(query, "action", v, sizeof(v)) || strcmp(v, "updateraw"))
			violate(f, "no action=updateraw");
		if (!get(query, "softwaretype", v, sizeof(v)))
			violate(f, "no softwaretype");
		get(query, "dateutc", when, sizeof(when));
		check_fields(f, query, wu_fixed, us_fields, sizeof(us_fields) / sizeof(us_fields[0]));
		if (strcmp(id, f->id) || strcmp(key, f->key)) {
			snprintf(body, len, "INVALIDPASSWORDID|Password or key and/or id are incorrect\n");
			return 200;
		}
		if ((ts = parse_time(when, false)) < 0) {
			violate(f, "dateutc \"%s\"", when);
			snprintf(body, len, "ERROR: bad dateutc\n");
			return 200;
		}
		store(f, ts, query);
		snprintf(body, len, "success\n");
		return 200;
	case WOW:
		if (strncmp(target, "/automaticreading?", 18))
			violate(f, "path %s", target);
		get(query, "siteid", id, sizeof(id));
		get(query, "siteAuthenticationKey", key, sizeof(key));
		get(query, "dateutc", when, sizeof(when));
		if (!get(query, "softwaretype", v, sizeof(v)))
			violate(f, "no softwaretype");
		check_fields(f, query, wow_fixed, us_fields, sizeof(us_fields) / sizeof(us_fields[0]));
		if (strcmp(id, f->id) || strcmp(key, f->key))
			return 403;
		if ((ts = parse_time(when, false)) < 0) {
			violate(f, "dateutc \"%s\"", when);
			return 400;
		}
		/* At most one observation every 5 minutes. */
		if (f->n && llabs(ts - f->last_ts) < 300) {
			f->rate429++;
			return 429;
		}
		store(f, ts, query);
		return 200;
	case WINDY:
		if (strncmp(target, "/api/v2/observation/update?", 27))
			violate(f, "path %s", target);
		get(query, "id", id, sizeof(id));
		get(query, "PASSWORD", key, sizeof(key));
		get(query, "time", when, sizeof(when));
		check_fields(f, query, windy_fixed, windy_fields,
			     sizeof(windy_fields) / sizeof(windy_fields[0]));
		if (strcmp(id, f->id) || strcmp(key, f->key)) {
			snprintf(body, len, "Unauthorized");
			return 401;
		}
		if ((ts = parse_time(when, true)) < 0) {
			violate(f, "time \"%s\"", when);
			return 400;
		}
		/* At most one observation every 5 minutes (scaled). */
		if (f->n && now_ms() - f->last_ms < SPACING_MS - 100) {
			f->rate429++;
			snprintf(body, len, "Too many requests");
			return 429;
		}
		if (f->notice) {
			snprintf(body, len, "NOTICE: observation accepted, not stored");
			return 200;
		}
		store(f, ts, query);
		snprintf(body, len, "SUCCESS");
		return 200;
	}
	return 500;
}

static int handler(void *arg, const char *method, const char *target, char *body, size_t len)
{
	struct fake *f = arg;
	int status;

	pthread_mutex_lock(&f->mu);
	if (f->hang_n > 0) {
		f->hang_n--;
		pthread_mutex_unlock(&f->mu);
		sleep_ms(1500);		/* longer than the client's (scaled) timeout */
		snprintf(body, len, "late");
		return 504;
	}
	status = answer(f, method, target, body, len);
	pthread_mutex_unlock(&f->mu);
	return status;
}

static void fake_init(struct fake *f, enum mode m, const char *id, const char *key)
{
	memset(f, 0, sizeof(*f));
	f->mode = m;
	snprintf(f->id, sizeof(f->id), "%s", id);
	snprintf(f->key, sizeof(f->key), "%s", key);
	pthread_mutex_init(&f->mu, NULL);
	f->obs = calloc(MAX_OBS, sizeof(*f->obs));
	assert_non_null(f->obs);
}

static void fake_free(struct fake *f)
{
	free(f->obs);
	pthread_mutex_destroy(&f->mu);
}

static size_t fake_count(struct fake *f)
{
	size_t n;

	pthread_mutex_lock(&f->mu);
	n = f->n;
	pthread_mutex_unlock(&f->mu);
	return n;
}

static void fake_force(struct fake *f, int n, int status, const char *body)
{
	pthread_mutex_lock(&f->mu);
	f->force_n = n;
	f->force_status = status;
	snprintf(f->force_body, sizeof(f->force_body), "%s", body);
	pthread_mutex_unlock(&f->mu);
}

static void fake_no_violations(struct fake *f)
{
	pthread_mutex_lock(&f->mu);
	if (f->violations)
		fail_msg("%d protocol violations, the first: %s", f->violations, f->violation);
	pthread_mutex_unlock(&f->mu);
}

/* Observations arrived each once, strictly in order of ts. */
static void fake_in_order(struct fake *f)
{
	pthread_mutex_lock(&f->mu);
	for (size_t i = 1; i < f->n; i++)
		if (f->obs[i].ts <= f->obs[i - 1].ts)
			fail_msg("observation %zu (ts %lld) after ts %lld", i, (long long)f->obs[i].ts,
				 (long long)f->obs[i - 1].ts);
	pthread_mutex_unlock(&f->mu);
}

/* ---- the station ---------------------------------------------------------- */

struct fixture {
	char dir[128];
	struct wx_config cfg;
	struct wx_archive *a;
	struct test_httpd *h;
	struct test_aprsis *is;
	struct fake fake;
	int64_t t_end;		/* the newest record's ts: the last whole minute */
};

static void make_record(struct wx_record *r, int64_t ts)
{
	int i = (int)(ts / 60 % 1000);

	wx_record_init(r, ts);
	r->interval_s = 60;
	wx_record_set(r, WX_TEMPERATURE_C, -5.0 + (i % 40) * 0.5);
	wx_record_set(r, WX_HUMIDITY_PCT, 40.0 + (i % 61));
	wx_record_set(r, WX_PRESSURE_HPA, 1010.0 - (i % 20) * 0.1);
	wx_record_set(r, WX_SEA_LEVEL_PRESSURE_HPA, 1013.0 - (i % 20) * 0.1);
	wx_record_set(r, WX_DEW_POINT_C, -8.0 + (i % 20) * 0.3);
	wx_record_set(r, WX_WIND_SPEED_KMH, (i % 9) * 3.1);
	wx_record_set(r, WX_WIND_GUST_KMH, (i % 9) * 5.2);
	if (i % 9)
		wx_record_set(r, WX_WIND_DIRECTION_DEG, (i * 37) % 360);	/* null when calm */
	wx_record_set(r, WX_RAIN_MM, RAIN_MM);
	wx_record_set(r, WX_GROUND_TEMPERATURE_C, 4.0 + (i % 10) * 0.1);
}

/* Records at t_end - 60 * (count - 1) ... t_end - 60 * from... : n records
 * ending `back` minutes before t_end. */
static void insert_minutes(struct fixture *f, int n, int back)
{
	char err[256];

	for (int i = n - 1; i >= 0; i--) {
		struct wx_record r;

		make_record(&r, f->t_end - 60LL * (back + i));
		assert_int_equal(wx_archive_insert(f->a, &r, err, sizeof(err)), 0);
	}
}

static void insert_at(struct fixture *f, int64_t ts)
{
	char err[256];
	struct wx_record r;

	make_record(&r, ts);
	assert_int_equal(wx_archive_insert(f->a, &r, err, sizeof(err)), 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	chmod(path, 0600);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct wx_config *c;
	char err[256], path[WX_PATH_LEN];
	int port;

	assert_non_null(f);
	assert_int_equal(test_mkdtemp(f->dir, sizeof(f->dir), "wxnet"), 0);
	f->h = test_httpd_start("unused");
	assert_non_null(f->h);
	f->is = test_aprsis_start();
	assert_non_null(f->is);
	port = test_httpd_port(f->h);
	c = &f->cfg;
	snprintf(c->station.id, sizeof(c->station.id), "fairhaven-ms");
	c->station.interval_s = 60;
	snprintf(c->station.database, sizeof(c->station.database), "%s/wx.db", f->dir);

	snprintf(c->wunderground.url, sizeof(c->wunderground.url),
		 "http://127.0.0.1:%d/weatherstation/updateweatherstation.php", port);
	snprintf(c->wunderground.station_id, sizeof(c->wunderground.station_id), "KNJFAIRH12");
	snprintf(path, sizeof(path), "%s/wu.key", f->dir);
	write_file(path, "wu-pass\n");
	snprintf(c->wunderground.key_file, sizeof(c->wunderground.key_file), "%s", path);
	c->wunderground.backfill_days = 7;

	snprintf(c->wow.url, sizeof(c->wow.url), "http://127.0.0.1:%d/automaticreading", port);
	snprintf(c->wow.site_id, sizeof(c->wow.site_id), "987654");
	snprintf(path, sizeof(path), "%s/wow.key", f->dir);
	write_file(path, "123456\n");
	snprintf(c->wow.key_file, sizeof(c->wow.key_file), "%s", path);
	c->wow.backfill_days = 7;

	snprintf(c->windy.url, sizeof(c->windy.url), "http://127.0.0.1:%d/api/v2/observation/update",
		 port);
	snprintf(c->windy.station_id, sizeof(c->windy.station_id), "f0a1b2c3");
	snprintf(path, sizeof(path), "%s/windy.key", f->dir);
	write_file(path, "windy-pass\n");
	snprintf(c->windy.password_file, sizeof(c->windy.password_file), "%s", path);

	snprintf(c->cwop.server, sizeof(c->cwop.server), "127.0.0.1:%d", test_aprsis_port(f->is));
	snprintf(c->cwop.callsign, sizeof(c->cwop.callsign), "EW1234");
	c->cwop.latitude = 40.3587;
	c->cwop.longitude = -74.0646;

	f->a = wx_archive_open(c->station.database, err, sizeof(err));
	assert_non_null(f->a);
	f->t_end = (int64_t)time(NULL) / 60 * 60;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	test_httpd_stop(f->h);
	test_aprsis_stop(f->is);
	fake_free(&f->fake);
	wx_archive_close(f->a);
	test_rmrf(f->dir);
	free(f);
	return 0;
}

static void serve(struct fixture *f, enum mode m, const char *id, const char *key)
{
	fake_init(&f->fake, m, id, key);
	test_httpd_set_handler(f->h, handler, &f->fake);
}

typedef struct wx_uploader *(*start_fn)(const struct wx_config *, uint32_t, char *, size_t);

static struct wx_uploader *start(struct fixture *f, start_fn fn)
{
	char err[256] = "";
	struct wx_uploader *u = fn(&f->cfg, 0, err, sizeof(err));

	if (!u)
		fail_msg("start: %s", err);
	return u;
}

static struct wx_upload_status wait_cursor(struct wx_uploader *u, int64_t ts, int timeout_ms)
{
	struct wx_upload_status st;
	int64_t end = now_ms() + timeout_ms;

	do {
		wx_uploader_status(u, &st);
		if (st.cursor_ts >= ts)
			return st;
		sleep_ms(10);
	} while (now_ms() < end);
	fail_msg("cursor at %lld, not %lld after %d ms (last error: %s)", (long long)st.cursor_ts,
		 (long long)ts, timeout_ms, st.last_error);
	return st;
}

static struct wx_upload_status wait_error(struct wx_uploader *u, const char *what, int timeout_ms)
{
	struct wx_upload_status st;
	int64_t end = now_ms() + timeout_ms;

	do {
		wx_uploader_status(u, &st);
		if (strstr(st.last_error, what))
			return st;
		sleep_ms(10);
	} while (now_ms() < end);
	fail_msg("no error with \"%s\" (last: \"%s\")", what, st.last_error);
	return st;
}

static double qnum(const char *query, const char *key)
{
	char v[64];

	if (!get(query, key, v, sizeof(v)))
		return NAN;
	return strtod(v, NULL);
}

/* ---- Weather Underground ------------------------------------------------- */

static void wunderground_sends_every_record_oldest_first_with_rain_totals(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;

	serve(f, WU, "KNJFAIRH12", "wu-pass");
	insert_minutes(f, 90, 0);
	u = start(f, wx_wunderground_start);
	st = wait_cursor(u, f->t_end, 20000);
	wx_uploader_stop(u, 0);
	fake_no_violations(&f->fake);
	fake_in_order(&f->fake);
	assert_int_equal(f->fake.n, 90);
	assert_int_equal(f->fake.dups, 0);
	assert_int_equal(st.sent, 90);
	assert_int_equal(st.skipped, 0);
	assert_int_equal(st.backlog, 0);
	for (size_t i = 0; i < f->fake.n; i++) {
		const struct obs *o = &f->fake.obs[i];
		struct wx_record r;
		/* rain in the past 60 minutes: the records that end in it */
		double hour = (double)(i + 1 < 60 ? i + 1 : 60) * 0.01;
		time_t t = (time_t)(o->ts - 1);
		struct tm tm;
		int64_t midnight, today;

		make_record(&r, o->ts);
		assert_float_equal(qnum(o->query, "rainin"), hour, 0.001);
		gmtime_r(&t, &tm);	/* TZ=UTC in main: local midnight is UTC's */
		midnight = o->ts - 1 - (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
		today = (o->ts - midnight) / 60;
		if (today > (int64_t)i + 1)
			today = (int64_t)i + 1;
		assert_float_equal(qnum(o->query, "dailyrainin"), (double)today * 0.01, 0.001);
		assert_float_equal(qnum(o->query, "tempf"),
				   round((r.v[WX_TEMPERATURE_C] * 1.8 + 32) * 10) / 10, 0.001);
		assert_float_equal(qnum(o->query, "baromin"),
				   round(r.v[WX_SEA_LEVEL_PRESSURE_HPA] / 33.8638866667 * 1000) / 1000,
				   0.0005);
		assert_int_equal(isnan(qnum(o->query, "winddir")),
				 !wx_record_has(&r, WX_WIND_DIRECTION_DEG));
	}
}

static void wunderground_skips_records_older_than_backfill_days(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;

	serve(f, WU, "KNJFAIRH12", "wu-pass");
	insert_minutes(f, 3, 8 * 1440);		/* 8 days old */
	insert_minutes(f, 5, 0);
	u = start(f, wx_wunderground_start);
	st = wait_cursor(u, f->t_end, 10000);
	wx_uploader_stop(u, 0);
	fake_no_violations(&f->fake);
	assert_int_equal(f->fake.n, 5);
	assert_true(f->fake.obs[0].ts >= f->t_end - 4 * 60);
	assert_int_equal(st.skipped, 3);
	assert_int_equal(st.sent, 5);
}

static void wunderground_keeps_the_data_on_a_bad_password_and_says_so(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;

	serve(f, WU, "KNJFAIRH12", "another-pass");
	insert_minutes(f, 5, 0);
	u = start(f, wx_wunderground_start);
	st = wait_error(u, "refused", 5000);
	assert_non_null(strstr(st.last_error, "INVALIDPASSWORDID"));
	assert_null(strstr(st.last_error, "wu-pass"));		/* never the secret */
	assert_int_equal(st.cursor_ts, 0);
	assert_int_equal(st.sent, 0);
	/* Slowed down: one try, the next only after the (scaled) 5 minutes. */
	sleep_ms(1000);
	assert_true(test_httpd_request_count(f->h) <= 2);
	/* The station's key is fixed on the service's side: all of it arrives. */
	pthread_mutex_lock(&f->fake.mu);
	snprintf(f->fake.key, sizeof(f->fake.key), "wu-pass");
	pthread_mutex_unlock(&f->fake.mu);
	st = wait_cursor(u, f->t_end, 10000);
	wx_uploader_stop(u, 0);
	assert_int_equal(f->fake.n, 5);
	assert_string_equal(st.last_error, "");
}

static void wunderground_retries_429_5xx_timeouts_and_garbage_without_loss(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;

	serve(f, WU, "KNJFAIRH12", "wu-pass");
	insert_minutes(f, 6, 0);
	fake_force(&f->fake, 2, 429, "");
	u = start(f, wx_wunderground_start);
	wait_error(u, "too many requests", 5000);
	fake_force(&f->fake, 2, 503, "<html>Service Unavailable</html>");
	wait_error(u, "HTTP 503", 5000);
	fake_force(&f->fake, 2, 200, "<html>a captive portal</html>");
	wait_error(u, "unexpected answer", 5000);
	pthread_mutex_lock(&f->fake.mu);
	f->fake.hang_n = 1;
	pthread_mutex_unlock(&f->fake.mu);
	wait_error(u, "timed out", 8000);	/* libcurl: "Operation timed out ..." */
	st = wait_cursor(u, f->t_end, 15000);
	wx_uploader_stop(u, 0);
	fake_no_violations(&f->fake);
	fake_in_order(&f->fake);
	assert_int_equal(f->fake.n, 6);
	assert_int_equal(f->fake.dups, 0);
	assert_int_equal(st.sent, 6);
}

static void pwsweather_takes_the_same_protocol_with_its_own_id_and_key(void **state)
{
	struct fixture *f = *state;
	struct wx_config *c = &f->cfg;
	struct wx_uploader *u;
	char path[WX_PATH_LEN];

	serve(f, WU, "FAIRHAVENMS", "pws-api-key");
	snprintf(c->pwsweather.url, sizeof(c->pwsweather.url), "%s", c->wunderground.url);
	snprintf(c->pwsweather.station_id, sizeof(c->pwsweather.station_id), "FAIRHAVENMS");
	snprintf(path, sizeof(path), "%s/pws.key", f->dir);
	write_file(path, "pws-api-key\n");
	snprintf(c->pwsweather.key_file, sizeof(c->pwsweather.key_file), "%s", path);
	c->pwsweather.backfill_days = 7;
	insert_minutes(f, 4, 0);
	u = start(f, wx_pwsweather_start);
	wait_cursor(u, f->t_end, 10000);
	wx_uploader_stop(u, 0);
	fake_no_violations(&f->fake);
	assert_int_equal(f->fake.n, 4);
}

/* ---- WOW ----------------------------------------------------------------- */

static void wow_sends_one_observation_per_5_minutes_with_rain_since_the_last(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;

	serve(f, WOW, "987654", "123456");
	insert_minutes(f, 31, 0);	/* t_end - 30 min ... t_end */
	u = start(f, wx_wow_start);
	st = wait_cursor(u, f->t_end, 10000);
	wx_uploader_stop(u, 0);
	fake_no_violations(&f->fake);
	fake_in_order(&f->fake);
	assert_int_equal(f->fake.rate429, 0);	/* never sooner than allowed */
	assert_int_equal(f->fake.n, 7);		/* minutes 0, 5, ... 30 */
	assert_int_equal(st.sent, 7);
	assert_int_equal(st.skipped, 24);
	for (size_t i = 1; i < f->fake.n; i++) {
		assert_int_equal(f->fake.obs[i].ts - f->fake.obs[i - 1].ts, 300);
		/* rain since the previous observation: five records */
		assert_float_equal(qnum(f->fake.obs[i].query, "rainin"), 0.05, 0.001);
	}
}

static void wow_403_keeps_the_data_and_retries_slowly(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;

	serve(f, WOW, "987654", "000000");
	insert_minutes(f, 1, 0);
	u = start(f, wx_wow_start);
	st = wait_error(u, "HTTP 403", 5000);
	assert_int_equal(st.cursor_ts, 0);
	sleep_ms(1000);
	assert_int_equal(test_httpd_request_count(f->h), 1);
	wx_uploader_stop(u, 0);
	assert_int_equal(f->fake.n, 0);
}

/* ---- Windy --------------------------------------------------------------- */

static void windy_sends_only_current_data_every_5_minutes_and_counts_the_rest(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;
	int64_t t0 = f->t_end - 600;

	serve(f, WINDY, "f0a1b2c3", "windy-pass");
	f->t_end = t0;
	insert_minutes(f, 120, 0);		/* two hours, the newest current */
	u = start(f, wx_windy_start);
	st = wait_cursor(u, t0, 5000);
	assert_int_equal(f->fake.n, 1);
	assert_int_equal(f->fake.obs[0].ts, t0);
	assert_int_equal(st.skipped, 119);
	/* The next minute is inside the 5 minutes: skipped, not sent. */
	insert_at(f, t0 + 60);
	wx_uploader_kick(u);
	st = wait_cursor(u, t0 + 60, 5000);
	assert_int_equal(st.skipped, 120);
	/* Five minutes on: sent, but not sooner than the service allows. */
	insert_at(f, t0 + 300);
	wx_uploader_kick(u);
	st = wait_cursor(u, t0 + 300, 10000);
	wx_uploader_stop(u, 0);
	fake_no_violations(&f->fake);
	assert_int_equal(f->fake.n, 2);
	assert_int_equal(f->fake.rate429, 0);
	assert_int_equal(st.sent, 2);
}

static void windy_unauthorized_is_reported_and_notice_counts_as_done(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;

	serve(f, WINDY, "f0a1b2c3", "a-new-password");
	insert_minutes(f, 1, 0);
	u = start(f, wx_windy_start);
	st = wait_error(u, "Unauthorized", 5000);
	assert_int_equal(st.cursor_ts, 0);
	pthread_mutex_lock(&f->fake.mu);
	snprintf(f->fake.key, sizeof(f->fake.key), "windy-pass");
	f->fake.notice = true;
	pthread_mutex_unlock(&f->fake.mu);
	st = wait_cursor(u, f->t_end, 10000);
	wx_uploader_stop(u, 0);
	assert_int_equal(st.sent, 1);
	assert_int_equal(f->fake.n, 0);		/* accepted, not stored */
}

/* ---- CWOP ---------------------------------------------------------------- */

static void cwop_logs_in_and_sends_the_current_packet_only(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;
	struct test_aprs_packet p;
	struct wx_record r;
	struct wx_net_rain rain = { true, 0, 0, 0, 0 };
	char want[256];
	insert_minutes(f, 20, 0);
	u = start(f, wx_cwop_start);
	st = wait_cursor(u, f->t_end, 10000);
	assert_int_equal(test_aprsis_wait(f->is, 1, 2000), 1);
	assert_int_equal(st.skipped, 19);
	assert_int_equal(st.sent, 1);
	assert_true(test_aprsis_packet(f->is, 0, &p));
	assert_string_equal(p.login, "user EW1234 pass -1 vers wxd " WX_VERSION);
	assert_true(p.crlf);
	/* The packet is the record's, with the archive's rain totals. */
	make_record(&r, f->t_end);
	rain.hour_mm = 20 * RAIN_MM;
	rain.day_mm = 20 * RAIN_MM;
	for (int k = 0; k < 20; k++)	/* TZ=UTC: the records since midnight */
		if (f->t_end - 60 * k > (f->t_end - 1) - (f->t_end - 1) % 86400)
			rain.today_mm += RAIN_MM;
	assert_true(wx_aprs_packet(&r, &rain, "EW1234", 40.3587, -74.0646, want, sizeof(want)) > 0);
	want[strlen(want) - 2] = '\0';
	assert_string_equal(p.line, want);
	assert_non_null(strstr(p.line, "4021.52N/07403.88W_"));
	/* A minute later: inside the 5 minutes, nothing is sent. */
	insert_at(f, f->t_end + 60);
	wx_uploader_kick(u);
	st = wait_cursor(u, f->t_end + 60, 5000);
	wx_uploader_stop(u, 0);
	assert_int_equal(test_aprsis_count(f->is), 1);
	assert_int_equal(st.skipped, 20);
}

static void cwop_retries_when_the_server_turns_it_away(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;

	test_aprsis_refuse(f->is, true);
	insert_minutes(f, 1, 0);
	u = start(f, wx_cwop_start);
	/* The server closes at once: the login cannot be written, or the
	 * packet; either way it is retried. */
	for (int i = 0; i < 1000 && test_aprsis_connections(f->is) < 2; i++)
		sleep_ms(10);
	wx_uploader_status(u, &st);
	if (test_aprsis_connections(f->is) < 2)
		fail_msg("%zu connections; cursor %lld, sent %llu, skipped %llu, error \"%s\"",
			 test_aprsis_connections(f->is), (long long)st.cursor_ts,
			 (unsigned long long)st.sent, (unsigned long long)st.skipped, st.last_error);
	assert_int_equal(st.cursor_ts, 0);
	test_aprsis_refuse(f->is, false);
	st = wait_cursor(u, f->t_end, 10000);
	wx_uploader_stop(u, 0);
	assert_int_equal(test_aprsis_count(f->is), 1);
}

/* ---- outages --------------------------------------------------------------- */

/* A day offline, then every network at once (the uploader table), stopped
 * in the middle of the backlog and started again: every record WU takes
 * arrives once and in order, WOW every 5th, Windy and CWOP only the
 * current one. */
static void a_day_offline_and_a_restart_mid_backlog_lose_nothing(void **state)
{
	struct fixture *f = *state;
	struct wx_config *c = &f->cfg;
	struct wx_uploaders *set;
	char err[256] = "";
	struct wx_upload_status st;
	int64_t end;

	serve(f, WU, "KNJFAIRH12", "wu-pass");
	c->wunderground.enabled = true;
	c->cwop.enabled = true;
	insert_minutes(f, 1440, 0);
	set = wx_uploaders_start(c, 0, err, sizeof(err));
	assert_non_null(set);
	assert_int_equal(wx_uploaders_count(set), 2);
	while (fake_count(&f->fake) < 500)
		sleep_ms(5);
	wx_uploaders_stop(set, 0);	/* mid-backlog */
	assert_true(fake_count(&f->fake) < 1440);

	set = wx_uploaders_start(c, 0, err, sizeof(err));
	assert_non_null(set);
	end = now_ms() + 60000;
	do {
		wx_uploaders_status(set, 0, &st);
		sleep_ms(10);
	} while (st.cursor_ts < f->t_end && now_ms() < end);
	wx_uploaders_stop(set, 0);
	fake_no_violations(&f->fake);
	fake_in_order(&f->fake);
	assert_int_equal(f->fake.n, 1440);
	/* At most the one request in flight at the stop can arrive twice (the
	 * service keeps one observation per dateutc). */
	assert_true(f->fake.dups <= 1);
	/* CWOP: only the current record, across both runs. */
	assert_int_equal(test_aprsis_count(f->is), 1);
}

static void a_day_offline_gives_wow_every_5th_record_and_windy_only_the_current(void **state)
{
	struct fixture *f = *state;
	struct wx_uploader *u;
	struct wx_upload_status st;

	serve(f, WOW, "987654", "123456");
	insert_minutes(f, 1440, 0);
	u = start(f, wx_wow_start);
	st = wait_cursor(u, f->t_end, 30000);
	wx_uploader_stop(u, 0);
	fake_no_violations(&f->fake);
	fake_in_order(&f->fake);
	assert_int_equal(f->fake.n, 288);
	assert_int_equal(st.skipped, 1440 - 288);
	assert_int_equal(f->fake.rate429, 0);
	fake_free(&f->fake);

	serve(f, WINDY, "f0a1b2c3", "windy-pass");
	u = start(f, wx_windy_start);
	st = wait_cursor(u, f->t_end, 5000);
	wx_uploader_stop(u, 0);
	assert_int_equal(f->fake.n, 1);
	assert_int_equal(f->fake.obs[0].ts, f->t_end);
	assert_int_equal(st.skipped, 1439);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(wunderground_sends_every_record_oldest_first_with_rain_totals, setup, teardown),
		cmocka_unit_test_setup_teardown(wunderground_skips_records_older_than_backfill_days, setup, teardown),
		cmocka_unit_test_setup_teardown(wunderground_keeps_the_data_on_a_bad_password_and_says_so, setup, teardown),
		cmocka_unit_test_setup_teardown(wunderground_retries_429_5xx_timeouts_and_garbage_without_loss, setup, teardown),
		cmocka_unit_test_setup_teardown(pwsweather_takes_the_same_protocol_with_its_own_id_and_key, setup, teardown),
		cmocka_unit_test_setup_teardown(wow_sends_one_observation_per_5_minutes_with_rain_since_the_last, setup, teardown),
		cmocka_unit_test_setup_teardown(wow_403_keeps_the_data_and_retries_slowly, setup, teardown),
		cmocka_unit_test_setup_teardown(windy_sends_only_current_data_every_5_minutes_and_counts_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(windy_unauthorized_is_reported_and_notice_counts_as_done, setup, teardown),
		cmocka_unit_test_setup_teardown(cwop_logs_in_and_sends_the_current_packet_only, setup, teardown),
		cmocka_unit_test_setup_teardown(cwop_retries_when_the_server_turns_it_away, setup, teardown),
		cmocka_unit_test_setup_teardown(a_day_offline_and_a_restart_mid_backlog_lose_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(a_day_offline_gives_wow_every_5th_record_and_windy_only_the_current, setup, teardown),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	wx_log_quiet(1);
	wx_uploader_set_test_timing(SCALE);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
