/* The weather networks' shared loop (see wxnet.h).
 *
 * Which record goes next, for a destination with spacing_s (WOW, Windy,
 * CWOP: 300 s) and a backfill policy:
 *  - WX_BACKFILL_DAYS: records older than backfill_days (by the wall clock)
 *    are skipped; the others are taken oldest first.
 *  - WX_BACKFILL_NONE: only the archive's newest record is current; every
 *    record after the cursor but older is skipped, and so is the newest when
 *    it is older than STALE_S (the station stopped writing).
 *  - spacing: a record closer than spacing_s (by its ts) to the last
 *    observation sent is skipped: with one-minute records the network gets
 *    every 5th one, each the newest due (no aggregation: the values are the
 *    record's own, as the service shows them with their time).  Current-only
 *    networks also keep spacing_s of wall time between requests, so a
 *    station whose archive fills fast (a simulation, a clock jump) still
 *    never sends sooner than the service allows.
 * A skipped record moves the cursor past it and is counted in the status's
 * skipped; nothing else moves the cursor but the service's success answer. */
#include "uploader/wxnet.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/archive.h"

#define SLOW_RETRY_MS (5 * 60 * 1000)
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS (5 * 60 * 1000)
#define CONNECT_TIMEOUT_MS 10000
#define TOTAL_TIMEOUT_MS 30000
#define POLL_MS 50
#define BATCH 64		/* records read from the archive at a time */
#define STALE_S 900		/* current-only: a newest record older than this is stale */
#define MAX_BODY 4096		/* of an answer, kept for classifying */
#define MAX_QUERY 2048

/* ---- conversions and encoding ------------------------------------------ */

double wx_net_f(double c) { return c * 9.0 / 5.0 + 32.0; }
double wx_net_mph(double kmh) { return kmh / 1.609344; }
double wx_net_ms(double kmh) { return kmh / 3.6; }
double wx_net_inhg(double hpa) { return hpa / 33.8638866667; }
double wx_net_in(double mm) { return mm / 25.4; }

void wx_net_dateutc(int64_t ts, char out[20])
{
	time_t t = (time_t)ts;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

int wx_net_param(char *out, size_t len, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(out);

#define PUT(c) do { if (n + 1 >= len) return -ENOSPC; out[n++] = (c); out[n] = '\0'; } while (0)
	if (n)
		PUT('&');
	for (const char *k = key; *k; k++)
		PUT(*k);
	PUT('=');
	for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
		if ((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') || (*v >= '0' && *v <= '9') ||
		    *v == '-' || *v == '_' || *v == '.' || *v == '~') {
			PUT((char)*v);
		} else if (*v == ' ') {
			PUT('+');
		} else {
			PUT('%');
			PUT(hex[*v >> 4]);
			PUT(hex[*v & 15]);
		}
	}
#undef PUT
	return 0;
}

/* v with dec decimals, never "-0.0". */
static void fmt(char *buf, size_t len, double v, int dec)
{
	double scale = pow(10, dec), r = round(v * scale) / scale;

	if (r == 0)
		r = 0;		/* -0.0 -> 0.0 */
	snprintf(buf, len, "%.*f", dec, r);
}

/* Append key=v (dec decimals) when q of r is valid. */
static int num(char *out, size_t len, const char *key, double v, int dec)
{
	char b[32];

	fmt(b, sizeof(b), v, dec);
	return wx_net_param(out, len, key, b);
}

/* The US-unit fields WU, PWSweather and WOW share; rain_hour_in is what
 * the protocol calls rainin. */
static int us_fields(const struct wx_record *r, const struct wx_net_rain *rain,
		     double rainin_mm, char *out, size_t len)
{
	int rc = 0;

	if (wx_record_has(r, WX_TEMPERATURE_C))
		rc |= num(out, len, "tempf", wx_net_f(r->v[WX_TEMPERATURE_C]), 1);
	if (wx_record_has(r, WX_HUMIDITY_PCT))
		rc |= num(out, len, "humidity", r->v[WX_HUMIDITY_PCT], 0);
	if (wx_record_has(r, WX_DEW_POINT_C))
		rc |= num(out, len, "dewptf", wx_net_f(r->v[WX_DEW_POINT_C]), 1);
	if (wx_record_has(r, WX_SEA_LEVEL_PRESSURE_HPA))
		rc |= num(out, len, "baromin", wx_net_inhg(r->v[WX_SEA_LEVEL_PRESSURE_HPA]), 3);
	if (wx_record_has(r, WX_WIND_SPEED_KMH))
		rc |= num(out, len, "windspeedmph", wx_net_mph(r->v[WX_WIND_SPEED_KMH]), 1);
	if (wx_record_has(r, WX_WIND_GUST_KMH))
		rc |= num(out, len, "windgustmph", wx_net_mph(r->v[WX_WIND_GUST_KMH]), 1);
	/* Null when calm: left out, never sent empty (WU would mark the
	 * station offline). */
	if (wx_record_has(r, WX_WIND_DIRECTION_DEG))
		rc |= num(out, len, "winddir", r->v[WX_WIND_DIRECTION_DEG], 0);
	if (rain && rain->valid) {
		rc |= num(out, len, "rainin", wx_net_in(rainin_mm), 2);
		rc |= num(out, len, "dailyrainin", wx_net_in(rain->today_mm), 2);
	}
	if (wx_record_has(r, WX_GROUND_TEMPERATURE_C))
		rc |= num(out, len, "soiltempf", wx_net_f(r->v[WX_GROUND_TEMPERATURE_C]), 1);
	rc |= wx_net_param(out, len, "softwaretype", "wxd-" WX_VERSION);
	return rc ? -ENOSPC : (int)strlen(out);
}

int wx_wu_query(const struct wx_record *r, const struct wx_net_rain *rain, const char *id,
		const char *password, char *out, size_t len)
{
	char date[20];

	if (!len)
		return -ENOSPC;
	out[0] = '\0';
	wx_net_dateutc(r->ts, date);
	if (wx_net_param(out, len, "ID", id) || wx_net_param(out, len, "PASSWORD", password) ||
	    wx_net_param(out, len, "action", "updateraw") || wx_net_param(out, len, "dateutc", date))
		return -ENOSPC;
	return us_fields(r, rain, rain ? rain->hour_mm : 0, out, len);
}

int wx_wow_query(const struct wx_record *r, const struct wx_net_rain *rain, const char *site_id,
		 const char *key, char *out, size_t len)
{
	char date[20];

	if (!len)
		return -ENOSPC;
	out[0] = '\0';
	wx_net_dateutc(r->ts, date);
	if (wx_net_param(out, len, "siteid", site_id) ||
	    wx_net_param(out, len, "siteAuthenticationKey", key) ||
	    wx_net_param(out, len, "dateutc", date))
		return -ENOSPC;
	return us_fields(r, rain, rain ? rain->since_last_mm : 0, out, len);
}

int wx_windy_query(const struct wx_record *r, const struct wx_net_rain *rain,
		   const char *station_id, const char *password, char *out, size_t len)
{
	char when[32];
	time_t t = (time_t)r->ts;
	struct tm tm;
	int rc = 0;

	if (!len)
		return -ENOSPC;
	out[0] = '\0';
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	rc |= wx_net_param(out, len, "id", station_id);
	rc |= wx_net_param(out, len, "PASSWORD", password);
	rc |= wx_net_param(out, len, "time", when);
	if (wx_record_has(r, WX_TEMPERATURE_C))
		rc |= num(out, len, "temp", r->v[WX_TEMPERATURE_C], 1);
	if (wx_record_has(r, WX_WIND_SPEED_KMH))
		rc |= num(out, len, "wind", wx_net_ms(r->v[WX_WIND_SPEED_KMH]), 1);
	if (wx_record_has(r, WX_WIND_GUST_KMH))
		rc |= num(out, len, "gust", wx_net_ms(r->v[WX_WIND_GUST_KMH]), 1);
	if (wx_record_has(r, WX_WIND_DIRECTION_DEG))
		rc |= num(out, len, "winddir", r->v[WX_WIND_DIRECTION_DEG], 0);
	if (wx_record_has(r, WX_HUMIDITY_PCT))
		rc |= num(out, len, "humidity", r->v[WX_HUMIDITY_PCT], 0);
	if (wx_record_has(r, WX_DEW_POINT_C))
		rc |= num(out, len, "dewpoint", r->v[WX_DEW_POINT_C], 1);
	if (wx_record_has(r, WX_SEA_LEVEL_PRESSURE_HPA))
		rc |= num(out, len, "mbar", r->v[WX_SEA_LEVEL_PRESSURE_HPA], 1);
	if (rain && rain->valid)
		rc |= num(out, len, "precip", rain->hour_mm, 1);
	return rc ? -ENOSPC : (int)strlen(out);
}

/* ---- the loop ------------------------------------------------------------ */

struct wx_net {
	const struct wx_net_proto *proto;
	void *arg;
	struct wx_uploader *u;
	char url[WX_PATH_LEN];
	char host[WX_PATH_LEN];
	struct wx_backoff bo;
	int64_t next_ms;		/* no request before this */
	int64_t last_send_ms;		/* wall spacing (current-only networks) */
	int64_t last_sent_ts;		/* ts of the last observation sent */
	int backfill_days;
	bool noticed;			/* a NOTICE was logged */
	struct wx_record recs[BATCH];
	char curl_err[CURL_ERROR_SIZE];
	char *body;
	size_t body_len;
};

struct wx_uploader *wx_net_uploader(struct wx_net *n)
{
	return n->u;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void wx_net_host_of(const char *url, char *out, size_t outlen)
{
	CURLU *h;
	char *host = NULL, *port = NULL;

	pthread_once(&curl_once, curl_init_once);
	h = curl_url();
	snprintf(out, outlen, "%s", url);
	if (h && curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		if (curl_url_get(h, CURLUPART_PORT, &port, 0) == CURLUE_OK)
			snprintf(out, outlen, "%s:%s", host, port);
		else
			snprintf(out, outlen, "%s", host);
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(h);
}

int wx_net_secret(const char *name, const char *key, const char *path, char *out, size_t outlen,
		  char *err, size_t errlen)
{
	char e[WX_PATH_LEN + 64];

	if (wx_config_read_secret(path, out, outlen, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "%s: %s %s", name, key, e);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Local midnight at the start of the day that holds the interval ending at
 * ts (a record ending at 00:00 belongs to the day before). */
static int64_t local_midnight(int64_t ts)
{
	time_t t = (time_t)(ts - 1);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

static int rain_totals(struct wx_net *n, const struct wx_record *r, struct wx_net_rain *rain)
{
	struct wx_archive *a = wx_uploader_archive(n->u);
	int64_t since_last = n->last_sent_ts > 0 ? n->last_sent_ts + 1 : r->ts - 3599;
	int rc = 0;

	memset(rain, 0, sizeof(*rain));
	if (!wx_record_has(r, WX_RAIN_MM))
		return 0;
	rain->valid = true;
	/* Sums over since <= ts <= r->ts: the intervals that end inside. */
	rc = wx_archive_rain_sum(a, r->ts - 3599, r->ts, &rain->hour_mm);
	if (!rc)
		rc = wx_archive_rain_sum(a, r->ts - 86399, r->ts, &rain->day_mm);
	if (!rc)
		rc = wx_archive_rain_sum(a, local_midnight(r->ts) + 1, r->ts, &rain->today_mm);
	if (!rc)
		rc = wx_archive_rain_sum(a, since_last, r->ts, &rain->since_last_mm);
	return rc;
}

static size_t keep_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct wx_net *n = arg;
	size_t len = size * nmemb, room = MAX_BODY - n->body_len;

	if (len < room)
		room = len;
	memcpy(n->body + n->body_len, p, room);
	n->body_len += room;
	n->body[n->body_len] = '\0';
	return len;
}

/* The multi interface rather than curl_easy_perform(): the easy interface's
 * progress callback comes only about once a second while a server says
 * nothing, too late for the stop's grace. */
CURLcode wx_net_perform(struct wx_uploader *u, CURL *c)
{
	CURLM *mh = curl_multi_init();
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	int running = 1;

	if (!mh)
		return rc;
	if (curl_multi_add_handle(mh, c) != CURLM_OK) {
		curl_multi_cleanup(mh);
		return rc;
	}
	for (;;) {
		CURLMsg *msg;
		int left;

		if (curl_multi_perform(mh, &running) != CURLM_OK) {
			rc = CURLE_FAILED_INIT;
			break;
		}
		if (!running) {
			msg = curl_multi_info_read(mh, &left);
			rc = msg && msg->msg == CURLMSG_DONE ? msg->data.result : CURLE_FAILED_INIT;
			break;
		}
		if (wx_uploader_stopping(u) && wx_uploader_grace_left_ms(u) == 0) {
			rc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		curl_multi_poll(mh, NULL, 0, POLL_MS, NULL);
	}
	curl_multi_remove_handle(mh, c);
	curl_multi_cleanup(mh);
	return rc;
}

/* The first line of the body, for messages (never the query: it holds the
 * secret). */
static void first_line(const char *body, char *out, size_t len)
{
	size_t k = 0;

	for (; body && *body && *body != '\r' && *body != '\n' && k + 1 < len; body++)
		out[k++] = (unsigned char)*body >= 0x20 && *body != 0x7f ? *body : '?';
	out[k] = '\0';
}

static enum wx_net_answer http_send(struct wx_net *n, const struct wx_record *r,
				    const struct wx_net_rain *rain, char *why, size_t whylen)
{
	char query[MAX_QUERY], url[WX_PATH_LEN + MAX_QUERY + 2], line[128];
	int64_t left = wx_uploader_grace_left_ms(n->u);
	/* Scaled in tests (at least a second), so a hung server is a short test. */
	int64_t total = wx_uploader_scaled_ms(TOTAL_TIMEOUT_MS) < 1000 ? 1000 :
			wx_uploader_scaled_ms(TOTAL_TIMEOUT_MS);
	long code = 0;
	CURLcode rc;
	CURL *c;
	enum wx_net_answer a;

	if (n->proto->query(r, rain, n->arg, query, sizeof(query)) < 0) {
		snprintf(why, whylen, "the observation does not fit in a request");
		return WX_NET_RETRY;
	}
	snprintf(url, sizeof(url), "%s%s%s", n->url, strchr(n->url, '?') ? "&" : "?", query);
	explicit_bzero(query, sizeof(query));
	c = curl_easy_init();
	if (!c) {
		explicit_bzero(url, sizeof(url));
		snprintf(why, whylen, "cannot set up libcurl");
		return WX_NET_RETRY;
	}
	n->body_len = 0;
	n->body[0] = '\0';
	n->curl_err[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(left < total ? (left > 0 ? left : 1) : total));
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, n->curl_err);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, n);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "wxd/" WX_VERSION);
	rc = wx_net_perform(n->u, c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	explicit_bzero(url, sizeof(url));
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(why, whylen, "stopped");
		return WX_NET_RETRY;
	}
	if (rc != CURLE_OK) {
		/* libcurl's messages name the host, never the query. */
		snprintf(why, whylen, "%s", n->curl_err[0] ? n->curl_err : curl_easy_strerror(rc));
		return WX_NET_RETRY;
	}
	a = n->proto->answer(code, n->body);
	first_line(n->body, line, sizeof(line));
	switch (a) {
	case WX_NET_OK:
		break;
	case WX_NET_OK_NOTICE:
		snprintf(why, whylen, "accepted, not stored: %s", line);
		break;
	case WX_NET_CREDENTIALS:
		snprintf(why, whylen, "HTTP %ld%s%s: the station id or key was refused "
			 "(check the key file; data kept, retrying every 5 minutes)", code,
			 line[0] ? " " : "", line);
		break;
	case WX_NET_RATE:
		snprintf(why, whylen, "HTTP %ld: too many requests (backing off)", code);
		break;
	case WX_NET_RETRY:
		snprintf(why, whylen, "HTTP %ld: unexpected answer \"%s\" (retrying)", code, line);
		break;
	}
	return a;
}

static int64_t wall_now_s(void)
{
	return (int64_t)time(NULL);
}

/* Decide about the records after the cursor: skip what the policy passes
 * over (moving the cursor), and return the index of the record to send, -1
 * when everything read was skipped (look again), -2 when the record to send
 * must wait for the wall spacing (*wait_ms), or -ENODATA / -errno. */
static int pick(struct wx_net *n, int64_t *wait_ms)
{
	struct wx_uploader *u = n->u;
	const struct wx_net_proto *p = n->proto;
	int cnt = wx_archive_after(wx_uploader_archive(u), wx_uploader_cursor(u), n->recs, BATCH);
	int64_t now = wall_now_s(), newest = 0, oldest_ok = INT64_MIN;
	int skip = 0;

	if (cnt < 0)
		return cnt;
	if (cnt == 0)
		return -ENODATA;
	if (p->backfill == WX_BACKFILL_NONE) {
		int rc = wx_archive_newest_ts(wx_uploader_archive(u), &newest);

		if (rc < 0)
			return rc;
	}
	if (p->backfill == WX_BACKFILL_DAYS)
		oldest_ok = now - (int64_t)n->backfill_days * 86400;
	for (int i = 0; i < cnt; i++) {
		const struct wx_record *r = &n->recs[i];
		bool drop = false;

		if (r->ts < oldest_ok)
			drop = true;		/* older than backfill_days */
		if (p->backfill == WX_BACKFILL_NONE &&
		    (r->ts < newest || now - r->ts > STALE_S))
			drop = true;		/* not current */
		if (!drop && p->spacing_s && n->last_sent_ts &&
		    r->ts < n->last_sent_ts + p->spacing_s)
			drop = true;		/* inside the spacing */
		if (drop) {
			skip++;
			continue;
		}
		if (skip)
			wx_uploader_skip(u, n->recs[i - 1].ts, (uint64_t)skip);
		if (p->backfill == WX_BACKFILL_NONE && p->spacing_s && n->last_send_ms) {
			int64_t due = n->last_send_ms + wx_uploader_scaled_ms(p->spacing_s * 1000);
			int64_t ms = due - wx_uploader_now_ms();

			if (ms > 0) {
				*wait_ms = ms;
				return -2;
			}
		}
		return i;
	}
	wx_uploader_skip(u, n->recs[cnt - 1].ts, (uint64_t)skip);
	return -1;
}

static void handle(struct wx_net *n, const struct wx_record *r, enum wx_net_answer a,
		   const char *why)
{
	int64_t now = wx_uploader_now_ms();

	switch (a) {
	case WX_NET_OK_NOTICE:
		if (!n->noticed)
			wx_log_warnx("%s %s: %s", n->proto->name, n->host, why);
		n->noticed = true;
		/* fall through */
	case WX_NET_OK:
		wx_backoff_reset(&n->bo);
		wx_uploader_set_connected(n->u, true);
		{
			char line[WX_PATH_LEN + 64];

			snprintf(line, sizeof(line), "%s %s: uploading again", n->proto->name, n->host);
			wx_uploader_recovered(n->u, line);
		}
		n->last_sent_ts = r->ts;
		wx_uploader_ack(n->u, r->ts, 1);
		return;
	case WX_NET_CREDENTIALS:
		wx_uploader_set_connected(n->u, false);
		wx_uploader_error(n->u, "%s %s: %s", n->proto->name, n->host, why);
		n->next_ms = now + wx_uploader_scaled_ms(SLOW_RETRY_MS);
		return;
	case WX_NET_RATE:
	case WX_NET_RETRY:
		wx_uploader_set_connected(n->u, false);
		wx_uploader_error(n->u, "%s %s: %s", n->proto->name, n->host, why);
		n->next_ms = now + wx_backoff_next(&n->bo);
		return;
	}
}

void wx_net_run(struct wx_uploader *u, void *impl)
{
	struct wx_net *n = impl;

	n->u = u;
	wx_backoff_init(&n->bo, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
	while (!wx_uploader_should_exit(u, 0)) {
		int64_t wait = n->next_ms - wx_uploader_now_ms();
		bool kicked;
		int rc = wx_uploader_archive_check(u);

		if (rc < 0) {
			if (wx_uploader_stopping(u))
				break;
			wx_uploader_wait(u, -1, 0, wx_uploader_archive_retry_ms(u), NULL);
			continue;
		}
		if (rc > 0)
			n->last_sent_ts = wx_uploader_cursor(u);	/* another file */
		if (wait > 0) {
			if (wx_uploader_stopping(u) && wait >= wx_uploader_grace_left_ms(u))
				break;
			wx_uploader_wait(u, -1, 0, wait, &kicked);
			if (kicked)
				wx_uploader_refresh_backlog(u);
			continue;
		}
		rc = pick(n, &wait);
		if (rc == -ENODATA) {
			if (wx_uploader_stopping(u))
				break;
			wx_uploader_wait(u, -1, 0, 60000, &kicked);
			wx_uploader_refresh_backlog(u);
			continue;
		}
		if (rc == -1)
			continue;
		if (rc == -2) {
			if (wx_uploader_stopping(u))
				break;	/* the spacing outlasts the grace: current data only anyway */
			wx_uploader_wait(u, -1, 0, wait, &kicked);
			if (kicked)
				wx_uploader_refresh_backlog(u);
			continue;
		}
		if (rc < 0) {
			wx_uploader_error(u, "%s: cannot read the archive: %s", n->proto->name,
					  strerror(-rc));
			n->next_ms = wx_uploader_now_ms() + wx_backoff_next(&n->bo);
			continue;
		}
		{
			const struct wx_record *r = &n->recs[rc];
			struct wx_net_rain rain;
			char why[512] = "";
			enum wx_net_answer a;

			if (rain_totals(n, r, &rain) < 0) {
				wx_uploader_error(u, "%s: cannot read the rain totals from the archive",
						  n->proto->name);
				n->next_ms = wx_uploader_now_ms() + wx_backoff_next(&n->bo);
				continue;
			}
			n->last_send_ms = wx_uploader_now_ms();
			if (n->proto->send)
				a = n->proto->send(n, r, &rain, n->arg, why, sizeof(why));
			else
				a = http_send(n, r, &rain, why, sizeof(why));
			if (wx_uploader_stopping(u) && wx_uploader_grace_left_ms(u) == 0 &&
			    a != WX_NET_OK && a != WX_NET_OK_NOTICE)
				break;
			handle(n, r, a, why);
		}
	}
}

void wx_net_free(void *impl)
{
	struct wx_net *n = impl;

	if (!n)
		return;
	if (n->proto->free_arg)
		n->proto->free_arg(n->arg);
	free(n->body);
	free(n);
}

struct wx_uploader *wx_net_start(const struct wx_net_proto *proto, const char *url,
				 const char *host, int backfill_days, void *arg,
				 const struct wx_config *cfg, char *err, size_t errlen)
{
	struct wx_net *n = calloc(1, sizeof(*n));

	if (n)
		n->body = malloc(MAX_BODY + 1);
	if (!n || !n->body) {
		if (proto->free_arg)
			proto->free_arg(arg);
		if (n)
			free(n);
		snprintf(err, errlen, "%s: out of memory", proto->name);
		errno = ENOMEM;
		return NULL;
	}
	pthread_once(&curl_once, curl_init_once);
	n->proto = proto;
	n->arg = arg;
	n->backfill_days = backfill_days;
	snprintf(n->url, sizeof(n->url), "%s", url ? url : "");
	snprintf(n->host, sizeof(n->host), "%s", host);
	return wx_uploader_spawn(&proto->ops, n, cfg->station.database, err, errlen);
}
