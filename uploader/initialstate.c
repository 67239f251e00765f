/* Initial State uploader (libcurl easy API in the uploader's thread;
 * docs/contract.md "Initial State").
 *
 * Each request carries up to events_per_request events
 * {"key","value","epoch"}, one per non-null archive quantity of each record,
 * oldest first.  A record's events may span two requests: the archive cursor
 * stays at the last record whose events were all acknowledged, and `part`
 * remembers (in memory only) how many events of the next record were.  After
 * a restart that record's first events are sent again: at-least-once.
 *
 * Pacing: requests are spaced at least 60 / requests_per_min seconds apart
 * (a token bucket of depth one, so no minute ever holds more than
 * requests_per_min).  429 waits Retry-After (seconds or an HTTP date; the
 * server's word is never scaled by the test timing; at most a day); 5xx and
 * network errors back off exponentially with jitter up to 5 minutes; 401, 402, 403 and other
 * 4xx keep the data and retry every 5 minutes. */
#include "uploader/uploader_internal.h"
#include "uploader/wxnet.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define SLOW_RETRY_MS (5 * 60 * 1000)
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS (5 * 60 * 1000)
#define CONNECT_TIMEOUT_MS 10000
#define TOTAL_TIMEOUT_MS 30000
#define MAX_EVENTS 1000

struct is {
	struct wx_uploader *u;
	char url[WX_PATH_LEN];
	char host[WX_PATH_LEN];		/* for messages: "groker.init.st" */
	char key_header[300];		/* "X-IS-AccessKey: ..." */
	char bucket_header[WX_PATH_LEN + 32];
	int events_per_request;
	int64_t spacing_ms;		/* 60 s / requests_per_min */
	/* Every request gets a fresh copy of this configured handle: libcurl
	 * 7.88's header storage can be left inconsistent by a malformed answer
	 * and used after free by the next transfer on the same handle (found
	 * by fuzz/fuzz_uploader.c).  The share keeps connections alive across
	 * the copies, so TLS is not renegotiated for every request. */
	CURL *curl;
	CURLSH *share;
	struct curl_slist *headers;
	char curl_err[CURL_ERROR_SIZE];
	struct wx_backoff bo;
	int64_t next_ms;		/* no request before this */
	int part;			/* events of the record after the cursor already acknowledged */
	struct wx_record *recs;		/* events_per_request of them */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* The quantities of r that become events, in enum order; returns how many. */
static int record_events(const struct wx_record *r, int out[WX_QUANTITY_COUNT])
{
	int n = 0;

	for (int q = 0; q < WX_QUANTITY_COUNT; q++)
		if ((wx_quantities[q].where & WX_IN_ARCHIVE) && wx_record_has(r, (enum wx_quantity)q))
			out[n++] = q;
	return n;
}

/* What one request covers, and where the cursor goes when it is acknowledged. */
struct batch {
	char *body;		/* malloc'd JSON array */
	int events;
	int records;		/* records fully covered */
	int64_t end_ts;		/* new cursor */
	int end_part;		/* new part */
	int64_t last_ts;	/* newest record touched (all-null records included) */
};

/* Fill b from the records after the cursor.  0 (b->events may be 0 when
 * only all-null records remain; then b->end_ts still moves past them),
 * -ENODATA when nothing is waiting, or -errno. */
static int build_batch(struct is *s, struct batch *b)
{
	int n = wx_archive_after(wx_uploader_archive(s->u), wx_uploader_cursor(s->u), s->recs,
				 (size_t)s->events_per_request);
	cJSON *arr;

	memset(b, 0, sizeof(*b));
	b->end_ts = wx_uploader_cursor(s->u);
	b->end_part = s->part;
	if (n < 0)
		return n;
	if (n == 0)
		return -ENODATA;
	arr = cJSON_CreateArray();
	if (!arr)
		return -ENOMEM;
	for (int i = 0; i < n && b->events < s->events_per_request; i++) {
		const struct wx_record *r = &s->recs[i];
		int qs[WX_QUANTITY_COUNT], nq = record_events(r, qs);
		int j = i == 0 ? s->part : 0;

		for (; j < nq && b->events < s->events_per_request; j++) {
			cJSON *e = cJSON_CreateObject();

			if (!e)
				break;
			cJSON_AddItemToArray(arr, e);
			cJSON_AddStringToObject(e, "key", wx_quantities[qs[j]].key);
			cJSON_AddNumberToObject(e, "value", wx_round2(r->v[qs[j]]));
			cJSON_AddNumberToObject(e, "epoch", (double)r->ts);
			b->events++;
		}
		b->last_ts = r->ts;
		if (j < nq) {		/* the rest of this record goes next time */
			b->end_part = j;
			break;
		}
		b->end_ts = r->ts;
		b->end_part = 0;
		b->records++;
	}
	b->body = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	return b->body ? 0 : -ENOMEM;
}

static int abort_when_stopped(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct is *s = arg;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return wx_uploader_stopping(s->u) && wx_uploader_grace_left_ms(s->u) == 0;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static const char *status_text(long code)
{
	switch (code) {
	case 400: return "400 bad request (the service rejected the events)";
	case 401: return "401 unauthorized (check access_key_file)";
	case 402: return "402 payment required: the monthly event cap is reached (data kept)";
	case 403: return "403 forbidden (check access_key_file and bucket_key)";
	case 404: return "404 not found (check url)";
	case 429: return "429 too many requests (waiting as Retry-After asks)";
	default: return NULL;
	}
}

int64_t wx_initialstate_retry_after_ms(int64_t retry_after_s)
{
	if (retry_after_s <= 0)
		return -1;
	/* A server may say anything: "Retry-After: 9223372036854775807" must
	 * not overflow the milliseconds (nor stop uploads for ever). */
	if (retry_after_s > WX_IS_MAX_RETRY_AFTER_S)
		retry_after_s = WX_IS_MAX_RETRY_AFTER_S;
	return retry_after_s * 1000;
}

static void handle_response(struct is *s, CURL *c, const struct batch *b, CURLcode rc, long code)
{
	int64_t now = wx_uploader_now_ms();
	const char *text = status_text(code);
	curl_off_t retry_after = -1;

	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return;		/* stopping: the grace ran out, nothing to report */
	if (rc != CURLE_OK) {
		wx_uploader_set_connected(s->u, false);
		wx_uploader_error(s->u, "initialstate %s: %s", s->host,
				  s->curl_err[0] ? s->curl_err : curl_easy_strerror(rc));
		s->next_ms = now + wx_backoff_next(&s->bo);
		return;
	}
	if (code >= 200 && code < 300) {
		wx_backoff_reset(&s->bo);
		wx_uploader_set_connected(s->u, true);
		char line[WX_PATH_LEN + 32];

		snprintf(line, sizeof(line), "initialstate %s: uploading again", s->host);
		wx_uploader_recovered(s->u, line);
		s->part = b->end_part;
		wx_uploader_ack(s->u, b->end_ts, (uint64_t)b->records);
		return;
	}
	wx_uploader_set_connected(s->u, false);
	if (text)
		wx_uploader_error(s->u, "initialstate %s: %s", s->host, text);
	else
		wx_uploader_error(s->u, "initialstate %s: HTTP %ld", s->host, code);
	if (code == 429) {
		/* libcurl parses both forms of Retry-After into seconds. */
		curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry_after);
		int64_t wait = wx_initialstate_retry_after_ms((int64_t)retry_after);

		s->next_ms = now + (wait >= 0 ? wait : wx_backoff_next(&s->bo));
	} else if (code >= 500) {
		s->next_ms = now + wx_backoff_next(&s->bo);
	} else {
		s->next_ms = now + wx_uploader_scaled_ms(SLOW_RETRY_MS);
	}
}

static void send_batch(struct is *s, const struct batch *b)
{
	int64_t left = wx_uploader_grace_left_ms(s->u);
	CURL *c = curl_easy_duphandle(s->curl);
	long code = 0;
	CURLcode rc;

	s->curl_err[0] = '\0';
	if (!c) {
		handle_response(s, NULL, b, CURLE_OUT_OF_MEMORY, 0);
		return;
	}
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, b->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(b->body));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
			 (long)(left < TOTAL_TIMEOUT_MS ? (left > 0 ? left : 1) : TOTAL_TIMEOUT_MS));
	rc = wx_net_perform(s->u, c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	handle_response(s, c, b, rc, code);
	curl_easy_cleanup(c);
}

static void run(struct wx_uploader *u, void *impl)
{
	struct is *s = impl;

	s->u = u;
	wx_backoff_init(&s->bo, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
	while (!wx_uploader_should_exit(u, 0)) {
		int64_t wait = s->next_ms - wx_uploader_now_ms();
		struct batch b;
		bool kicked;
		int rc = wx_uploader_archive_check(u);

		if (rc != 0)
			s->part = 0;	/* another file: start at its cursor */
		if (rc < 0) {
			if (wx_uploader_stopping(u))
				break;
			wx_uploader_wait(u, -1, 0, wx_uploader_archive_retry_ms(u), NULL);
			continue;
		}

		if (wait > 0) {
			/* Stopping, and the next try lies beyond the grace: done. */
			if (wx_uploader_stopping(u) && wait >= wx_uploader_grace_left_ms(u))
				break;
			wx_uploader_wait(u, -1, 0, wait, &kicked);
			if (kicked)
				wx_uploader_refresh_backlog(u);
			continue;
		}
		rc = build_batch(s, &b);
		if (rc == -ENODATA) {
			wx_uploader_wait(u, -1, 0, 60000, &kicked);
			wx_uploader_refresh_backlog(u);
			continue;
		}
		if (rc < 0) {
			errno = -rc;
			wx_uploader_error(s->u, "initialstate %s: cannot read the archive: %s", s->host,
					  strerror(-rc));
			s->next_ms = wx_uploader_now_ms() + wx_backoff_next(&s->bo);
			continue;
		}
		if (b.events == 0) {	/* only all-null records: nothing to say */
			s->part = 0;
			wx_uploader_ack(u, b.end_ts, (uint64_t)b.records);
		} else {
			s->next_ms = wx_uploader_now_ms() + s->spacing_ms;
			send_batch(s, &b);
		}
		free(b.body);
	}
}

static void free_impl(void *impl)
{
	struct is *s = impl;

	if (!s)
		return;
	if (s->curl)
		curl_easy_cleanup(s->curl);
	if (s->share)
		curl_share_cleanup(s->share);
	curl_slist_free_all(s->headers);
	explicit_bzero(s->key_header, sizeof(s->key_header));
	free(s->recs);
	free(s);
}

static const struct wx_uploader_ops is_ops = { "initialstate", run, free_impl };

static int setup_curl(struct is *s)
{
	s->curl = curl_easy_init();
	s->share = curl_share_init();
	if (!s->curl || !s->share)
		return -ENOMEM;
	/* Used by this uploader's thread only: no lock callbacks needed. */
	curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_easy_setopt(s->curl, CURLOPT_SHARE, s->share);
	s->headers = curl_slist_append(s->headers, s->key_header);
	s->headers = curl_slist_append(s->headers, s->bucket_header);
	s->headers = curl_slist_append(s->headers, "Accept-Version: ~0");
	s->headers = curl_slist_append(s->headers, "Content-Type: application/json");
	s->headers = curl_slist_append(s->headers, "Expect:");	/* no 100-continue round trip */
	if (!s->headers)
		return -ENOMEM;
	curl_easy_setopt(s->curl, CURLOPT_URL, s->url);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, s->curl_err);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(s->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(s->curl, CURLOPT_XFERINFOFUNCTION, abort_when_stopped);
	curl_easy_setopt(s->curl, CURLOPT_XFERINFODATA, s);
	curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "wxd/" WX_VERSION);
	return 0;
}

struct wx_uploader *wx_initialstate_start(const struct wx_config *cfg, uint32_t quantities,
					  char *err, size_t errlen)
{
	const struct wx_config_initialstate *c = &cfg->initialstate;
	struct is *s = calloc(1, sizeof(*s));
	char key[256], e[300];
	int rpm;

	(void)quantities;	/* every non-null archive quantity is sent */
	if (!s) {
		snprintf(err, errlen, "initialstate: out of memory");
		return NULL;
	}
	pthread_once(&curl_once, curl_init_once);
	snprintf(s->url, sizeof(s->url), "%s", c->url);
	wx_net_host_of(c->url, s->host, sizeof(s->host));
	s->events_per_request = c->events_per_request > 0 ? c->events_per_request : 10;
	if (s->events_per_request > MAX_EVENTS)
		s->events_per_request = MAX_EVENTS;
	rpm = c->requests_per_min > 0 ? c->requests_per_min : 60;
	s->spacing_ms = (60000 + rpm - 1) / rpm;
	s->recs = calloc((size_t)s->events_per_request, sizeof(*s->recs));
	if (!s->recs) {
		snprintf(err, errlen, "initialstate: out of memory");
		free_impl(s);
		return NULL;
	}
	if (wx_config_read_secret(c->access_key_file, key, sizeof(key), e, sizeof(e)) < 0) {
		snprintf(err, errlen, "initialstate %s: access_key_file %s", s->host, e);
		free_impl(s);
		errno = EINVAL;
		return NULL;
	}
	snprintf(s->key_header, sizeof(s->key_header), "X-IS-AccessKey: %s", key);
	explicit_bzero(key, sizeof(key));
	snprintf(s->bucket_header, sizeof(s->bucket_header), "X-IS-BucketKey: %s", c->bucket_key);
	if (setup_curl(s) < 0) {
		snprintf(err, errlen, "initialstate %s: cannot set up libcurl", s->host);
		free_impl(s);
		errno = ENOMEM;
		return NULL;
	}
	return wx_uploader_spawn(&is_ops, s, cfg->station.database, err, errlen);
}
