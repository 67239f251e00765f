/* A tiny Initial State look-alike for tests (see httpd.h). */
#include "tests/support/httpd.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct test_httpd {
	int fd, port;
	pthread_t thread;
	pthread_mutex_t mu;
	bool stop;
	char key[128];
	int fail_n, fail_status, retry_after_s, always, delay_ms;
	struct test_http_request *reqs;
	size_t nreq, capreq;
	struct test_http_event *evs;
	size_t nev, capev;
	test_httpd_handler handler;
	void *handler_arg;
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

static void header(const char *head, const char *name, char *out, size_t outlen)
{
	size_t len = strlen(name);

	out[0] = '\0';
	for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
		const char *l = p + 2;

		if (strncasecmp(l, name, len) == 0 && l[len] == ':') {
			const char *v = l + len + 1;
			size_t n;

			while (*v == ' ')
				v++;
			n = strcspn(v, "\r\n");
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return;
		}
	}
}

/* Read one request: head into *head (NUL-terminated), body after it. */
static char *read_request(int c, size_t *head_len, size_t *body_len)
{
	size_t cap = 65536, n = 0, want = 0;
	char *buf = malloc(cap + 1);
	char *end = NULL;

	if (!buf)
		return NULL;
	for (;;) {
		struct pollfd p = { .fd = c, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 5000) <= 0)
			break;
		r = read(c, buf + n, cap - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			char cl[32];

			*head_len = (size_t)(end - buf) + 4;
			end[2] = '\0';	/* head ends after its last CRLF */
			header(buf, "Content-Length", cl, sizeof(cl));
			want = *head_len + (size_t)strtoul(cl, NULL, 10);
			end[2] = '\r';
		}
		if (end && n >= want) {
			*body_len = want - *head_len;
			return buf;
		}
		if (n == cap)
			break;
	}
	free(buf);
	return NULL;
}

/* Events of a body, or -1 when it is not an array of {key, value, epoch}. */
static int parse_events(struct test_httpd *h, const char *body, size_t len, bool keep)
{
	cJSON *arr = cJSON_ParseWithLength(body, len), *e;
	int n = 0;

	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return -1;
	}
	cJSON_ArrayForEach(e, arr) {
		cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "key");
		cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "value");
		cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "epoch");

		if (!cJSON_IsString(k) || !cJSON_IsNumber(v) || !cJSON_IsNumber(t) ||
		    cJSON_GetArraySize(e) != 3) {
			cJSON_Delete(arr);
			return -1;
		}
		n++;
		if (!keep)
			continue;
		if (h->nev == h->capev) {
			h->capev = h->capev ? h->capev * 2 : 256;
			h->evs = realloc(h->evs, h->capev * sizeof(*h->evs));
			if (!h->evs)
				abort();
		}
		snprintf(h->evs[h->nev].key, sizeof(h->evs[0].key), "%s", k->valuestring);
		h->evs[h->nev].value = v->valuedouble;
		h->evs[h->nev].epoch = (int64_t)t->valuedouble;
		h->nev++;
	}
	cJSON_Delete(arr);
	return n;
}

static const char *reason(int status)
{
	switch (status) {
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 429: return "Too Many Requests";
	case 200: return "OK";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Whatever";
	}
}

static void record(struct test_httpd *h, const struct test_http_request *rq)
{
	if (h->nreq == h->capreq) {
		h->capreq = h->capreq ? h->capreq * 2 : 64;
		h->reqs = realloc(h->reqs, h->capreq * sizeof(*h->reqs));
		if (!h->reqs)
			abort();
	}
	h->reqs[h->nreq++] = *rq;
}

/* A handler answers: the whole target goes to it, its body comes back. */
static void serve_handler(struct test_httpd *h, int c, char *buf, struct test_http_request *rq)
{
	char target[8192] = "", body[1024] = "", out[1400];
	test_httpd_handler fn;
	void *arg;
	int delay;

	sscanf(buf, "%*15s %8191s", target);
	pthread_mutex_lock(&h->mu);
	fn = h->handler;
	arg = h->handler_arg;
	delay = h->delay_ms;
	pthread_mutex_unlock(&h->mu);
	rq->status = fn(arg, rq->method, target, body, sizeof(body));
	pthread_mutex_lock(&h->mu);
	record(h, rq);
	pthread_mutex_unlock(&h->mu);
	free(buf);
	if (delay)
		sleep_ms(delay);
	snprintf(out, sizeof(out), "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", rq->status,
		 reason(rq->status), strlen(body), body);
	if (write(c, out, strlen(out)) < 0)
		return;
}

static void serve(struct test_httpd *h, int c)
{
	struct test_http_request rq = { 0 };
	size_t head_len = 0, body_len = 0;
	char *buf = read_request(c, &head_len, &body_len);
	char out[256];
	int retry = 0, delay;
	bool handled;

	if (!buf)
		return;
	rq.t_ms = now_ms();
	buf[head_len - 2] = '\0';
	sscanf(buf, "%15s %127s", rq.method, rq.path);
	pthread_mutex_lock(&h->mu);
	handled = h->handler != NULL;
	pthread_mutex_unlock(&h->mu);
	if (handled) {
		serve_handler(h, c, buf, &rq);
		return;
	}
	header(buf, "X-IS-AccessKey", rq.access_key, sizeof(rq.access_key));
	header(buf, "X-IS-BucketKey", rq.bucket_key, sizeof(rq.bucket_key));
	header(buf, "Accept-Version", rq.accept_version, sizeof(rq.accept_version));
	header(buf, "Content-Type", rq.content_type, sizeof(rq.content_type));

	pthread_mutex_lock(&h->mu);
	rq.events = parse_events(h, buf + head_len, body_len, false);
	if (strcmp(rq.access_key, h->key) != 0)
		rq.status = 401;
	else if (h->fail_n > 0) {
		h->fail_n--;
		rq.status = h->fail_status;
		retry = h->retry_after_s;
	} else if (h->always)
		rq.status = h->always;
	else if (rq.events < 0 || strcmp(rq.method, "POST") != 0)
		rq.status = 400;
	else {
		rq.status = 204;
		parse_events(h, buf + head_len, body_len, true);
	}
	record(h, &rq);
	delay = h->delay_ms;
	pthread_mutex_unlock(&h->mu);
	free(buf);

	if (delay)
		sleep_ms(delay);
	if (retry)
		snprintf(out, sizeof(out), "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n"
			 "Retry-After: %d\r\n\r\n", rq.status, reason(rq.status), retry);
	else
		snprintf(out, sizeof(out), "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
			 rq.status, reason(rq.status));
	if (write(c, out, strlen(out)) < 0)
		return;
}

static void *server(void *arg)
{
	struct test_httpd *h = arg;

	for (;;) {
		struct pollfd p = { .fd = h->fd, .events = POLLIN };
		bool stop;
		int c;

		pthread_mutex_lock(&h->mu);
		stop = h->stop;
		pthread_mutex_unlock(&h->mu);
		if (stop)
			return NULL;
		if (poll(&p, 1, 20) <= 0)
			continue;
		c = accept(h->fd, NULL, NULL);
		if (c < 0)
			continue;
		serve(h, c);
		close(c);
	}
}

struct test_httpd *test_httpd_start(const char *access_key)
{
	struct test_httpd *h = calloc(1, sizeof(*h));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	if (!h)
		return NULL;
	snprintf(h->key, sizeof(h->key), "%s", access_key);
	pthread_mutex_init(&h->mu, NULL);
	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd < 0 || bind(h->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(h->fd, (struct sockaddr *)&a, &len) < 0 || listen(h->fd, 16) < 0 ||
	    pthread_create(&h->thread, NULL, server, h) != 0) {
		if (h->fd >= 0)
			close(h->fd);
		pthread_mutex_destroy(&h->mu);
		free(h);
		return NULL;
	}
	h->port = ntohs(a.sin_port);
	return h;
}

void test_httpd_stop(struct test_httpd *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stop = true;
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->thread, NULL);
	close(h->fd);
	free(h->reqs);
	free(h->evs);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

int test_httpd_port(struct test_httpd *h)
{
	return h->port;
}

void test_httpd_fail_next(struct test_httpd *h, int n, int status, int retry_after_s)
{
	pthread_mutex_lock(&h->mu);
	h->fail_n = n;
	h->fail_status = status;
	h->retry_after_s = retry_after_s;
	pthread_mutex_unlock(&h->mu);
}

void test_httpd_set_handler(struct test_httpd *h, test_httpd_handler fn, void *arg)
{
	pthread_mutex_lock(&h->mu);
	h->handler = fn;
	h->handler_arg = arg;
	pthread_mutex_unlock(&h->mu);
}

void test_httpd_always(struct test_httpd *h, int status)
{
	pthread_mutex_lock(&h->mu);
	h->always = status;
	pthread_mutex_unlock(&h->mu);
}

void test_httpd_delay(struct test_httpd *h, int delay_ms)
{
	pthread_mutex_lock(&h->mu);
	h->delay_ms = delay_ms;
	pthread_mutex_unlock(&h->mu);
}

size_t test_httpd_request_count(struct test_httpd *h)
{
	size_t n;

	pthread_mutex_lock(&h->mu);
	n = h->nreq;
	pthread_mutex_unlock(&h->mu);
	return n;
}

bool test_httpd_request(struct test_httpd *h, size_t i, struct test_http_request *out)
{
	bool ok;

	pthread_mutex_lock(&h->mu);
	ok = i < h->nreq;
	if (ok)
		*out = h->reqs[i];
	pthread_mutex_unlock(&h->mu);
	return ok;
}

size_t test_httpd_event_count(struct test_httpd *h)
{
	size_t n;

	pthread_mutex_lock(&h->mu);
	n = h->nev;
	pthread_mutex_unlock(&h->mu);
	return n;
}

bool test_httpd_event(struct test_httpd *h, size_t i, struct test_http_event *out)
{
	bool ok;

	pthread_mutex_lock(&h->mu);
	ok = i < h->nev;
	if (ok)
		*out = h->evs[i];
	pthread_mutex_unlock(&h->mu);
	return ok;
}

size_t test_httpd_wait_events(struct test_httpd *h, size_t n, int timeout_ms)
{
	size_t have = 0;

	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		have = test_httpd_event_count(h);
		if (have >= n)
			break;
		sleep_ms(10);
	}
	return have;
}

size_t test_httpd_wait_requests(struct test_httpd *h, size_t n, int timeout_ms)
{
	size_t have = 0;

	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		have = test_httpd_request_count(h);
		if (have >= n)
			break;
		sleep_ms(10);
	}
	return have;
}
