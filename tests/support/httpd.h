/* A tiny HTTP/1.1 endpoint on 127.0.0.1 that behaves like the Initial State
 * events API: it checks the headers, parses the JSON body, records every
 * request and the events of accepted ones, and answers 204.  Scriptable:
 * the first N requests get another status (503, 429 with Retry-After), a
 * wrong access key gets 401, every request can get a fixed status (402),
 * and answers can be delayed.  One request per connection (Connection: close). */
#ifndef WX_TEST_HTTPD_H
#define WX_TEST_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct test_httpd;

struct test_http_request {
	char method[16];
	char path[128];
	char access_key[128];		/* X-IS-AccessKey */
	char bucket_key[128];		/* X-IS-BucketKey */
	char accept_version[32];
	char content_type[64];
	int events;			/* -1: body is not an array of valid events */
	int status;			/* what it answered */
	int64_t t_ms;			/* monotonic arrival time */
};

struct test_http_event {
	char key[64];
	double value;
	int64_t epoch;
};

/* Another service than Initial State (the weather networks): every
 * request goes to fn with its method and whole target ("/path?query"), and
 * fn returns the status and writes the answer's body (NUL-terminated) into
 * body.  The request is still recorded (path truncated) and
 * test_httpd_delay still applies; the Initial State checks and scripted
 * failures do not.  fn runs on the server's thread.  NULL turns it off. */
typedef int (*test_httpd_handler)(void *arg, const char *method, const char *target,
				  char *body, size_t bodylen);
void test_httpd_set_handler(struct test_httpd *h, test_httpd_handler fn, void *arg);

/* Listen on a free port; the accepted access key is access_key.  NULL on
 * failure.  Free with test_httpd_stop. */
struct test_httpd *test_httpd_start(const char *access_key);
void test_httpd_stop(struct test_httpd *h);
int test_httpd_port(struct test_httpd *h);

/* The next n requests are answered with status (and Retry-After:
 * retry_after_s when > 0). */
void test_httpd_fail_next(struct test_httpd *h, int n, int status, int retry_after_s);
/* Answer every request with status (0: behave normally again). */
void test_httpd_always(struct test_httpd *h, int status);
/* Wait delay_ms before answering. */
void test_httpd_delay(struct test_httpd *h, int delay_ms);

size_t test_httpd_request_count(struct test_httpd *h);
bool test_httpd_request(struct test_httpd *h, size_t i, struct test_http_request *out);
/* Events of accepted (2xx) requests, in arrival order. */
size_t test_httpd_event_count(struct test_httpd *h);
bool test_httpd_event(struct test_httpd *h, size_t i, struct test_http_event *out);
/* Wait up to timeout_ms for at least n accepted events; returns the count. */
size_t test_httpd_wait_events(struct test_httpd *h, size_t n, int timeout_ms);
/* Wait up to timeout_ms for at least n requests; returns the count. */
size_t test_httpd_wait_requests(struct test_httpd *h, size_t n, int timeout_ms);

#endif
