/* The web module (web/web.c, web/api.c) against a real SQLite archive
 * filled here and a fake sampler on a real live socket: values equal the
 * rows, aggregates equal the same computed in SQL here, the CSV is wxctl's,
 * bad requests are refused with one line, no secret comes out, and hostile
 * clients (silent, 10 MB, 1000 quick requests) never stop the others.
 * Loopback only (127.0.0.1, and 127.0.0.2 as a second address). */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "db/archive.h"
#include "firmware/core/config.h"
#include "db/history.h"
#include "firmware/core/live.h"
#include "web/web.h"

#define SECRET "s3cr3t-hunter2-pw"
#define DAYS 3
#define T0 1795000020LL		/* a minute boundary */
#define N_RECORDS (DAYS * 1440)

static char dir[] = "/tmp/wxwebXXXXXX";
static char db_path[128], sock_path[128], secret_path[128];
static struct wx_config cfg;
static struct wx_web *web;
static int port;

/* ---- the fake sampler ------------------------------------------------------------ */

static const char read_answer[] =
	"{\"ts\":1795200000,\"station\":\"webtest\",\"temperature_c\":12.34,\"humidity_pct\":80.1,"
	"\"pressure_hpa\":1001.5,\"sea_level_pressure_hpa\":1013.2,\"dew_point_c\":9.01,"
	"\"ground_temperature_c\":8.5,\"wind_speed_kmh\":7.2,\"wind_gust_kmh\":15.1,"
	"\"wind_direction_deg\":225,\"rain_today_mm\":1.4,\"air_quality_pct\":null,"
	"\"age_s\":{\"temperature_c\":2.5}}";
static const char status_answer[] =
	"{\"station\":\"webtest\",\"version\":\"0.1.0\",\"clock_synchronized\":true,"
	"\"storage\":{\"status\":\"ok\"},\"sensors\":{\"bme280\":{\"status\":\"ok\"}},"
	"\"uploads\":{\"mqtt\":{\"connected\":true,\"backlog\":0,\"password\":\"" SECRET "\","
	"\"access_key\":\"" SECRET "\"}}}";

static struct wx_live *live;
static pthread_t live_thread;
static volatile int live_stop;

static char *fake_answer(const char *command, void *arg)
{
	(void)arg;
	if (!strcmp(command, "read"))
		return strdup(read_answer);
	if (!strcmp(command, "status"))
		return strdup(status_answer);
	return NULL;
}

static void *live_loop(void *arg)
{
	(void)arg;
	while (!live_stop) {
		struct pollfd fds[20];
		int n = wx_live_pollfds(live, fds, 20);

		if (poll(fds, (nfds_t)n, 50) > 0)
			wx_live_serve(live, fds, n);
	}
	return NULL;
}

static void sampler_start(void)
{
	char err[256];

	live_stop = 0;
	live = wx_live_open(sock_path, fake_answer, NULL, err, sizeof(err));
	assert_non_null(live);
	assert_int_equal(pthread_create(&live_thread, NULL, live_loop, NULL), 0);
}

static void sampler_stop(void)
{
	live_stop = 1;
	pthread_join(live_thread, NULL);
	wx_live_close(live);
	live = NULL;
}

/* ---- the archive ------------------------------------------------------------------- */

/* Record i: smooth values, with nulls where a sensor would have failed. */
static void fill_archive(void)
{
	char err[256], sql[1024], *e = NULL;
	struct wx_archive *a = wx_archive_open(db_path, err, sizeof(err));
	sqlite3 *db;

	assert_non_null(a);
	wx_archive_close(a);
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < N_RECORDS; i++) {
		double t = 10 + 8 * sin(i * 2 * M_PI / 1440), wind = 5 + 5 * sin(i / 37.0);
		double gust = wind + 3 + (i % 7), dir_deg = fmod(200 + 90 * sin(i / 300.0) + 360, 360);
		bool calm = i % 50 == 0, ground_bad = i % 13 == 0;
		double rain = (i / 60) % 9 == 0 ? 0.2794 * (i % 3) : 0;

		if (calm)
			wind = 0;
		snprintf(sql, sizeof(sql),
			 "INSERT INTO archive (ts, interval_s, temperature_c, humidity_pct, pressure_hpa,"
			 " sea_level_pressure_hpa, dew_point_c, ground_temperature_c, wind_speed_kmh,"
			 " wind_gust_kmh, wind_direction_deg, rain_mm, wind_pulses, rain_tips, air_quality_pct)"
			 " VALUES (%lld, 60, %.4f, %.4f, %.4f, %.4f, %.4f, %s, %.4f, %.4f, %s, %.4f, %d, %d, NULL)",
			 T0 + 60LL * i, t, 70 + 20 * cos(i / 200.0), 1000 + 5 * sin(i / 500.0),
			 1013 + 5 * sin(i / 500.0), t - 4, ground_bad ? "NULL" : "9.75",
			 wind, calm ? 0 : gust, calm ? "NULL" : (snprintf(err, sizeof(err), "%.3f", dir_deg), err),
			 rain, (int)(wind * 25), (int)lround(rain / 0.2794));
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, &e), SQLITE_OK);
	}
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* ---- a small HTTP/1.0 client ---------------------------------------------------------- */

struct resp {
	int status;
	char *head;		/* status line and headers */
	char *body;
	size_t body_len;
};

static void resp_free(struct resp *r)
{
	free(r->head);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static int connect_from(const char *src)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (src) {
		struct sockaddr_in me = { .sin_family = AF_INET };

		inet_pton(AF_INET, src, &me.sin_addr);
		assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	}
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Send raw, read the whole answer (the server closes: HTTP/1.0). */
static struct resp request_raw(const char *raw)
{
	struct resp r = { 0 };
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap), *sep;
	int fd = connect_from(NULL);
	struct timeval tv = { .tv_sec = 20 };
	ssize_t n;

	assert_non_null(buf);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(send(fd, raw, strlen(raw), MSG_NOSIGNAL), (ssize_t)strlen(raw));
	while ((n = recv(fd, buf + len, cap - len - 1, 0)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	close(fd);
	buf[len] = '\0';
	sep = strstr(buf, "\r\n\r\n");
	assert_non_null(sep);
	r.head = strndup(buf, (size_t)(sep - buf) + 2);
	r.body_len = len - (size_t)(sep + 4 - buf);
	r.body = malloc(r.body_len + 1);
	memcpy(r.body, sep + 4, r.body_len);
	r.body[r.body_len] = '\0';
	assert_int_equal(sscanf(buf, "HTTP/1.%*d %d", &r.status), 1);
	free(buf);
	return r;
}

static struct resp request(const char *method, const char *path)
{
	char raw[1024];

	snprintf(raw, sizeof(raw), "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", method, path);
	return request_raw(raw);
}

static struct resp get(const char *path)
{
	return request("GET", path);
}

/* A header's value (case-insensitive name), malloc'd, or NULL. */
static char *header(const struct resp *r, const char *name)
{
	for (const char *l = strstr(r->head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
		const char *s = l + 2, *e = strstr(s, "\r\n");

		if (!strncasecmp(s, name, strlen(name)) && s[strlen(name)] == ':') {
			s += strlen(name) + 1;
			while (*s == ' ')
				s++;
			return strndup(s, (size_t)(e - s));
		}
	}
	return NULL;
}

static void assert_one_line(const struct resp *r)
{
	assert_true(r->body_len > 1);
	assert_int_equal(r->body[r->body_len - 1], '\n');
	assert_null(memchr(r->body, '\n', r->body_len - 1));
}

/* ---- setup ------------------------------------------------------------------------------- */

static int setup(void **state)
{
	char text[1024], err[2048];
	FILE *f;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_non_null(mkdtemp(dir));
	snprintf(db_path, sizeof(db_path), "%s/wx.db", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/wx.sock", dir);
	snprintf(secret_path, sizeof(secret_path), "%s/mqtt.pw", dir);
	f = fopen(secret_path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", SECRET);
	fclose(f);
	chmod(secret_path, 0600);
	snprintf(text, sizeof(text),
		 "[station]\nid = webtest\ndatabase = %s\nsocket = %s\n"
		 "[mqtt]\nusername = school\npassword_file = %s\n[web]\nlisten = 127.0.0.1:8080\n",
		 db_path, sock_path, secret_path);
	assert_int_equal(wx_config_load_string(&cfg, "test.conf", text, err, sizeof(err)), 0);
	assert_true(cfg.web.enabled);
	cfg.web.listen_port = 0;	/* the kernel picks a free port */
	fill_archive();
	sampler_start();
	web = wx_web_start(&cfg, err, sizeof(err));
	if (!web)
		fail_msg("wx_web_start: %s", err);
	port = wx_web_port(web);
	assert_true(port > 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	wx_web_stop(web);
	sampler_stop();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- values -------------------------------------------------------------------------------- */

struct rows {
	struct wx_record r[N_RECORDS];
	int n;
};

static int collect(const struct wx_record *r, void *arg)
{
	struct rows *rows = arg;

	rows->r[rows->n++] = *r;
	return 0;
}

static void assert_value(const cJSON *o, const char *key, bool has, double want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		fail_msg("key %s missing", key);
	if (!has) {
		if (!cJSON_IsNull(v))
			fail_msg("%s: want null, got %g", key, v->valuedouble);
		return;
	}
	if (!cJSON_IsNumber(v) || fabs(v->valuedouble - want) > 0.0051)
		fail_msg("%s: want %.4f, got %s %g", key, want, cJSON_IsNumber(v) ? "" : "non-number",
			 v->valuedouble);
}

static void history_rows_equal_the_archive_rows(void **state)
{
	static struct rows rows;
	struct wx_archive *a;
	char err[256], path[128];
	int64_t since = T0 + 60 * 100, until = T0 + 60 * 1600;	/* both ends on a record */
	struct resp r;
	cJSON *arr;
	int i = 0;

	(void)state;
	rows.n = 0;
	a = wx_archive_open_ro(db_path, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(wx_archive_each(a, since, until, collect, &rows), 0);
	wx_archive_close(a);
	assert_int_equal(rows.n, 1501);
	snprintf(path, sizeof(path), "/api/history?since=%lld&until=%lld", (long long)since,
		 (long long)until);
	r = get(path);
	assert_int_equal(r.status, 200);
	arr = cJSON_Parse(r.body);
	assert_true(cJSON_IsArray(arr));
	assert_int_equal(cJSON_GetArraySize(arr), rows.n);
	for (const cJSON *o = arr->child; o; o = o->next, i++) {
		assert_int_equal((int64_t)cJSON_GetObjectItem(o, "ts")->valuedouble, rows.r[i].ts);
		assert_string_equal(cJSON_GetObjectItem(o, "station")->valuestring, "webtest");
		assert_int_equal(cJSON_GetObjectItem(o, "interval_s")->valueint, 60);
		for (int q = 0; q < WX_QUANTITY_COUNT; q++)
			if (wx_quantities[q].where & WX_IN_ARCHIVE)
				assert_value(o, wx_quantities[q].key,
					     wx_record_has(&rows.r[i], (enum wx_quantity)q), rows.r[i].v[q]);
	}
	cJSON_Delete(arr);
	resp_free(&r);
	/* An empty range is an empty array. */
	r = get("/api/history?since=1000&until=2000");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "[]"));
	resp_free(&r);
}

/* The test's own SQL for one step (since < ts <= until), key by key. */
static void history_steps_equal_the_same_computed_in_sql(void **state)
{
	static const int64_t steps[] = { 600, 3600, 86400 };
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		int64_t step = steps[k], since = T0 - 60 + 7, until = T0 + 60 * (N_RECORDS - 1);
		char path[160];
		struct resp r;
		cJSON *arr;
		int n = 0;

		snprintf(path, sizeof(path), "/api/history?since=%lld&until=%lld&step=%lld",
			 (long long)since, (long long)until, (long long)step);
		r = get(path);
		assert_int_equal(r.status, 200);
		arr = cJSON_Parse(r.body);
		assert_true(cJSON_IsArray(arr));
		assert_int_equal(cJSON_GetArraySize(arr), (int)((until - since + step - 1) / step));
		for (const cJSON *o = arr->child; o; o = o->next, n++) {
			int64_t end = (int64_t)cJSON_GetObjectItem(o, "ts")->valuedouble;
			sqlite3_stmt *s;

			assert_int_equal((end - since) % step, 0);
			assert_int_equal(sqlite3_prepare_v2(db,
				"SELECT count(*), avg(temperature_c), min(temperature_c), max(temperature_c),"
				" avg(humidity_pct), avg(ground_temperature_c), min(ground_temperature_c),"
				" avg(wind_speed_kmh), max(wind_gust_kmh), sum(rain_mm), sum(wind_pulses),"
				" degrees(atan2(sum(wind_speed_kmh * sin(radians(wind_direction_deg))),"
				"               sum(wind_speed_kmh * cos(radians(wind_direction_deg)))))"
				" FROM archive WHERE ts > ?1 - ?2 AND ts <= ?1", -1, &s, NULL), SQLITE_OK);
			sqlite3_bind_int64(s, 1, end);
			sqlite3_bind_int64(s, 2, step);
			assert_int_equal(sqlite3_step(s), SQLITE_ROW);
			assert_int_equal(cJSON_GetObjectItem(o, "records")->valueint, sqlite3_column_int(s, 0));
			assert_value(o, "temperature_c", true, sqlite3_column_double(s, 1));
			assert_value(o, "temperature_c_min", true, sqlite3_column_double(s, 2));
			assert_value(o, "temperature_c_max", true, sqlite3_column_double(s, 3));
			assert_value(o, "humidity_pct", true, sqlite3_column_double(s, 4));
			assert_value(o, "ground_temperature_c", sqlite3_column_type(s, 5) != SQLITE_NULL,
				     sqlite3_column_double(s, 5));
			assert_value(o, "ground_temperature_c_min", sqlite3_column_type(s, 6) != SQLITE_NULL,
				     sqlite3_column_double(s, 6));
			assert_value(o, "wind_speed_kmh", true, sqlite3_column_double(s, 7));
			assert_value(o, "wind_gust_kmh", true, sqlite3_column_double(s, 8));
			assert_value(o, "rain_mm", true, sqlite3_column_double(s, 9));
			assert_value(o, "wind_pulses", true, sqlite3_column_double(s, 10));
			if (sqlite3_column_type(s, 11) != SQLITE_NULL) {
				double want = fmod(sqlite3_column_double(s, 11) + 360, 360);
				double got = cJSON_GetObjectItem(o, "wind_direction_deg")->valuedouble;

				assert_true(fabs(got - want) < 0.0051 || fabs(fabs(got - want) - 360) < 0.0051);
			}
			sqlite3_finalize(s);
		}
		cJSON_Delete(arr);
		resp_free(&r);
	}
	sqlite3_close(db);
}

static void history_csv_is_what_wxctl_history_writes(void **state)
{
	struct wx_archive *a;
	char err[256], path[160], *want = NULL;
	size_t want_len = 0;
	int64_t since = T0 + 60 * 10, until = T0 + 60 * 2000;	/* more than one block */
	FILE *f = open_memstream(&want, &want_len);
	struct resp r;
	char *cd;

	(void)state;
	a = wx_archive_open_ro(db_path, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(wx_history_print(f, a, &cfg, since, until, WX_HISTORY_CSV, false), 0);
	fclose(f);
	wx_archive_close(a);
	snprintf(path, sizeof(path), "/api/history.csv?since=%lld&until=%lld", (long long)since,
		 (long long)until);
	r = get(path);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, want_len);
	assert_memory_equal(r.body, want, want_len);
	assert_true(strncmp(r.body, "ts,time_local,interval_s,temperature_c", 38) == 0);
	cd = header(&r, "Content-Disposition");
	assert_non_null(cd);
	assert_non_null(strstr(cd, "attachment"));
	free(cd);
	free(want);
	resp_free(&r);
	/* No record: the header alone. */
	r = get("/api/history.csv?since=1000&until=2000");
	assert_int_equal(r.status, 200);
	assert_int_equal(strchr(r.body, '\n') - r.body + 1, (long)r.body_len);
	resp_free(&r);
}

static void bad_parameters_answer_400_with_one_line(void **state)
{
	static const char *const bad[] = {
		"/api/history?since=yesterday", "/api/history?until=soon",
		"/api/history?step=0", "/api/history?step=abc", "/api/history?step=-5",
		"/api/history?step=99999999999", "/api/history?since=-3650d&step=1",
		"/api/history?since=2000000000&until=1000000000", "/api/history?sine=-1h",
		"/api/history.csv?step=60", "/api/current?x=1", "/api/history?step=",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct resp r = get(bad[i]);

		if (r.status != 400)
			fail_msg("%s: %d %s", bad[i], r.status, r.body);
		assert_one_line(&r);
		resp_free(&r);
	}
}

static void unknown_paths_404_other_methods_405_head_has_no_body(void **state)
{
	static const char *const missing[] = { "/nope", "/../etc/passwd", "/api", "/api/",
					       "/index.html/", "/static/app.js", "//app.js" };
	static const char *const methods[] = { "POST", "PUT", "DELETE", "OPTIONS", "PATCH" };
	struct resp r, h;
	char *allow, *l1, *l2;

	(void)state;
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		r = get(missing[i]);
		if (r.status != 404)
			fail_msg("%s: %d", missing[i], r.status);
		assert_one_line(&r);
		resp_free(&r);
	}
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		r = request(methods[i], "/api/current");
		assert_int_equal(r.status, 405);
		allow = header(&r, "Allow");
		assert_non_null(allow);
		assert_string_equal(allow, "GET, HEAD");
		free(allow);
		assert_one_line(&r);
		resp_free(&r);
	}
	r = get("/");
	h = request("HEAD", "/");
	assert_int_equal(h.status, 200);
	assert_int_equal(h.body_len, 0);
	l1 = header(&r, "Content-Length");
	l2 = header(&h, "Content-Length");
	assert_non_null(l1);
	assert_non_null(l2);
	assert_string_equal(l1, l2);
	assert_non_null(strstr(r.body, "<script src=\"app.js\""));
	free(l1);
	free(l2);
	resp_free(&r);
	resp_free(&h);
	h = request("HEAD", "/api/current");
	assert_int_equal(h.status, 200);
	assert_int_equal(h.body_len, 0);
	resp_free(&h);
}

static void every_answer_has_the_security_headers(void **state)
{
	static const char *const paths[] = { "/", "/app.js", "/style.css", "/favicon.svg",
					     "/api/current", "/api/status", "/api/station",
					     "/api/history?since=-1h", "/nope", "/api/history?step=x" };

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct resp r = get(paths[i]);
		char *csp = header(&r, "Content-Security-Policy"), *nosniff = header(&r, "X-Content-Type-Options");
		char *type = header(&r, "Content-Type");

		if (!csp || !nosniff || !type)
			fail_msg("%s: a header is missing:\n%s", paths[i], r.head);
		assert_non_null(strstr(csp, "default-src 'none'"));
		assert_null(strstr(csp, "unsafe"));
		assert_null(strstr(csp, "http"));	/* nothing from elsewhere */
		assert_string_equal(nosniff, "nosniff");
		free(csp);
		free(nosniff);
		free(type);
		resp_free(&r);
	}
}

static void current_and_status_are_the_samplers_without_secrets(void **state)
{
	static const char *const paths[] = { "/", "/app.js", "/api/current", "/api/status",
					     "/api/station", "/api/history?since=-3000d&step=86400" };
	struct resp r;

	(void)state;
	r = get("/api/current");
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, strlen(read_answer) + 1);
	assert_memory_equal(r.body, read_answer, strlen(read_answer));
	resp_free(&r);
	r = get("/api/status");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"backlog\":0"));
	assert_null(strstr(r.body, "password"));
	assert_null(strstr(r.body, "access_key"));
	resp_free(&r);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		r = get(paths[i]);
		assert_int_equal(r.status, 200);
		assert_null(strstr(r.body, SECRET));
		assert_null(strstr(r.head, SECRET));
		assert_null(strstr(r.body, secret_path));
		resp_free(&r);
	}
}

static void a_silent_sampler_gives_503_with_the_reason(void **state)
{
	struct resp r;

	(void)state;
	sampler_stop();
	r = get("/api/current");
	assert_int_equal(r.status, 503);
	assert_one_line(&r);
	assert_non_null(strstr(r.body, sock_path));
	resp_free(&r);
	r = get("/api/status");
	assert_int_equal(r.status, 503);
	resp_free(&r);
	/* The archive still answers meanwhile. */
	r = get("/api/history?since=-3000d&step=86400");
	assert_int_equal(r.status, 200);
	resp_free(&r);
	sampler_start();
	r = get("/api/current");
	assert_int_equal(r.status, 200);
	resp_free(&r);
}

static void a_missing_archive_gives_503_until_it_appears(void **state)
{
	char moved[160];
	struct resp r;

	(void)state;
	snprintf(moved, sizeof(moved), "%s.away", db_path);
	assert_int_equal(rename(db_path, moved), 0);
	r = get("/api/history?since=-3000d&step=86400");
	assert_int_equal(r.status, 503);
	assert_one_line(&r);
	assert_non_null(strstr(r.body, db_path));
	resp_free(&r);
	assert_int_equal(rename(moved, db_path), 0);
	r = get("/api/history?since=-3000d&step=86400");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"records\":1440"));
	resp_free(&r);
}

static void a_second_server_on_the_port_names_the_address(void **state)
{
	struct wx_config c = cfg;
	char err[256];

	(void)state;
	c.web.listen_port = port;
	snprintf(c.web.listen, sizeof(c.web.listen), "127.0.0.1:%d", port);
	assert_null(wx_web_start(&c, err, sizeof(err)));
	assert_int_equal(errno, EADDRINUSE);
	assert_non_null(strstr(err, c.web.listen));
	assert_non_null(strstr(err, "in use"));
	assert_null(strchr(err, '\n'));
}

static void it_listens_on_an_ipv6_address_too(void **state)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct wx_config c = cfg;
	struct wx_web *w6;
	char err[256], buf[64] = "";
	const char req[] = "GET /api/station HTTP/1.0\r\n\r\n";
	int fd;

	(void)state;
	snprintf(c.web.listen_host, sizeof(c.web.listen_host), "::1");
	snprintf(c.web.listen, sizeof(c.web.listen), "[::1]:0");
	c.web.listen_port = 0;
	w6 = wx_web_start(&c, err, sizeof(err));
	if (!w6 && (errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT))
		skip();		/* no IPv6 on this machine */
	if (!w6)
		fail_msg("%s", err);
	sa.sin6_port = htons((uint16_t)wx_web_port(w6));
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(fd, req, sizeof(req) - 1, 0), (ssize_t)sizeof(req) - 1);
	assert_true(recv(fd, buf, sizeof(buf) - 1, MSG_WAITALL) > 12);
	close(fd);
	assert_true(strncmp(buf, "HTTP/1.1 200", 12) == 0);
	wx_web_stop(w6);
}

/* ---- hostile clients ------------------------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct flood {
	int done, ok;
	double seconds;
};

static void *quick_requests(void *arg)
{
	struct flood *f = arg;
	double t = now_s();

	for (int i = 0; i < 1000; i++) {
		struct resp r = get("/api/station");

		f->ok += r.status == 200;
		f->done++;
		resp_free(&r);
	}
	f->seconds = now_s() - t;
	return NULL;
}

static void *big_sender(void *arg)
{
	size_t total = 10u << 20, sent = 0;
	char *junk = malloc(65536);
	int fd = connect_from("127.0.0.2");
	struct timeval tv = { .tv_sec = 15 };
	const char head[] = "GET /api/current HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\n\r\n";
	long *result = arg;

	memset(junk, 'x', 65536);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	send(fd, head, sizeof(head) - 1, MSG_NOSIGNAL);
	while (sent < total) {
		ssize_t n = send(fd, junk, 65536, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	*result = (long)sent;
	close(fd);
	free(junk);
	return NULL;
}

static void hostile_clients_never_stop_the_others(void **state)
{
	pthread_t flood_t, big_t;
	struct flood f = { 0 };
	long big_sent = 0;
	int silent[6];
	double t0 = now_s(), worst = 0;
	char *line = malloc(1 << 20);
	int fd;

	(void)state;
	/* Silent clients from another address: they hold connections (up to the
	 * per-address limit) and send nothing. */
	for (int i = 0; i < 6; i++)
		silent[i] = connect_from("127.0.0.2");
	assert_int_equal(pthread_create(&flood_t, NULL, quick_requests, &f), 0);
	assert_int_equal(pthread_create(&big_t, NULL, big_sender, &big_sent), 0);
	/* A request line of 1 MiB: refused, not read into memory. */
	memset(line, 'a', 1 << 20);
	memcpy(line, "GET /", 5);
	line[(1 << 20) - 1] = '\0';
	fd = connect_from(NULL);
	send(fd, line, (1 << 20) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	free(line);
	/* Meanwhile the page and the API answer, each quickly. */
	while (now_s() - t0 < 3 || f.done < 1000) {
		double t = now_s();
		struct resp r = get("/api/current");

		assert_int_equal(r.status, 200);
		resp_free(&r);
		r = get("/api/history?since=-3000d&step=3600");
		assert_int_equal(r.status, 200);
		resp_free(&r);
		if (now_s() - t > worst)
			worst = now_s() - t;
		assert_true(now_s() - t0 < 60);
	}
	pthread_join(flood_t, NULL);
	pthread_join(big_t, NULL);
	for (int i = 0; i < 6; i++)
		close(silent[i]);
	print_message("1000 quick requests: %d ok in %.2f s; 10 MB body: %ld bytes taken before "
		      "the server closed; slowest answer to the others %.0f ms\n", f.ok, f.seconds,
		      big_sent, worst * 1000);
	assert_int_equal(f.ok, 1000);
	assert_true(big_sent < (10L << 20));	/* the server stopped reading */
	assert_true(worst < 2.0);
}

/* One address cannot take every connection: past 8 it is refused, and
 * the others are still served. */
static void one_address_holds_at_most_8_connections(void **state)
{
	int fd[10], refused = 0;
	struct resp r;

	(void)state;
	for (int i = 0; i < 10; i++)
		fd[i] = connect_from("127.0.0.4");
	usleep(300000);
	for (int i = 0; i < 10; i++) {
		struct pollfd p = { .fd = fd[i], .events = POLLIN };
		char c;

		if (poll(&p, 1, 0) == 1 && recv(fd[i], &c, 1, MSG_DONTWAIT) <= 0)
			refused++;
	}
	r = get("/api/station");
	assert_int_equal(r.status, 200);
	resp_free(&r);
	for (int i = 0; i < 10; i++)
		close(fd[i]);
	assert_int_equal(refused, 2);
}

static void a_silent_client_is_dropped_after_the_timeout(void **state)
{
	int fd = connect_from("127.0.0.3");
	double t = now_s();
	char c;
	struct timeval tv = { .tv_sec = 20 };

	(void)state;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_true(recv(fd, &c, 1, 0) <= 0);	/* closed by the server */
	t = now_s() - t;
	close(fd);
	assert_true(t > 8 && t < 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(history_rows_equal_the_archive_rows),
		cmocka_unit_test(history_steps_equal_the_same_computed_in_sql),
		cmocka_unit_test(history_csv_is_what_wxctl_history_writes),
		cmocka_unit_test(bad_parameters_answer_400_with_one_line),
		cmocka_unit_test(unknown_paths_404_other_methods_405_head_has_no_body),
		cmocka_unit_test(every_answer_has_the_security_headers),
		cmocka_unit_test(current_and_status_are_the_samplers_without_secrets),
		cmocka_unit_test(a_silent_sampler_gives_503_with_the_reason),
		cmocka_unit_test(a_missing_archive_gives_503_until_it_appears),
		cmocka_unit_test(a_second_server_on_the_port_names_the_address),
		cmocka_unit_test(it_listens_on_an_ipv6_address_too),
		cmocka_unit_test(hostile_clients_never_stop_the_others),
		cmocka_unit_test(one_address_holds_at_most_8_connections),
		cmocka_unit_test(a_silent_client_is_dropped_after_the_timeout),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
