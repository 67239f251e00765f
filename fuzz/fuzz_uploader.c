/* libFuzzer target: what the uploaders take from the outside.
 *
 * Each input is used three ways:
 *  - as an MQTT message for wx_mqtt_ha_online(): the topic up to the first
 *    NUL, the rest as the payload (an exact-length heap copy, no NUL);
 *  - as a library log line for wx_mqtt_ssl_reason() (NUL-terminated copy);
 *  - as the HTTP answer to an Initial State request: a real libcurl easy
 *    handle posts to http://127.0.0.1/api/events through a Unix socket
 *    this target listens on, and gets the input as the answer, so libcurl
 *    parses the status line and headers (Retry-After included) as it would
 *    from the service; what it reports goes to
 *    wx_initialstate_retry_after_ms(). */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "uploader/uploader_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char sock_dir[64], sock_path[108];
static int listener = -1;

static void cleanup(void)
{
	unlink(sock_path);
	rmdir(sock_dir);
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* The stand-in for the service: a Unix socket that libcurl connects to
 * (CURLOPT_UNIX_SOCKET_PATH), so no TCP port or TIME_WAIT is involved. */
static void listen_once(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sock_dir, sizeof(sock_dir), "/tmp/wx-fuzz-http-XXXXXX");
	if (!mkdtemp(sock_dir))
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/http.sock", sock_dir);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(listener, 4) < 0)
		abort();
	atexit(cleanup);
}

/* The template handle; each input gets a fresh duplicate so no state of
 * one transfer leaks into the next (a crash then reproduces from its
 * input alone). */
static CURL *easy_template(void)
{
	static CURL *c;
	static struct curl_slist *headers;

	if (c)
		return c;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	listen_once();
	c = curl_easy_init();
	headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (!c || !headers)
		abort();
	curl_easy_setopt(c, CURLOPT_URL, "http://127.0.0.1/api/events");
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock_path);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS,
			 "[{\"key\":\"temperature_c\",\"value\":12.5,\"epoch\":1700000000}]");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	return c;
}

/* Let libcurl run the request (multi interface, so this thread can play
 * the server in between): the answer is written once libcurl connected. */
static void http_answer(const uint8_t *data, size_t size)
{
	static CURLM *m;
	CURL *c = curl_easy_duphandle(easy_template());
	CURLMsg *msg;
	int running = 1, left, srv = -1;
	long code = 0;
	curl_off_t retry_after = -1;
	int64_t wait;

	if (!c || (!m && !(m = curl_multi_init())))
		abort();
	curl_multi_add_handle(m, c);
	while (running) {
		curl_multi_perform(m, &running);
		if (srv < 0 && (srv = accept4(listener, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
			if (size && write(srv, data, size) != (ssize_t)size)
				abort();
			shutdown(srv, SHUT_WR);
		}
		if (running)
			curl_multi_poll(m, NULL, 0, 10, NULL);
	}
	while ((msg = curl_multi_info_read(m, &left)))
		if (msg->msg == CURLMSG_DONE && msg->data.result == CURLE_OK) {
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
			curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry_after);
			wait = wx_initialstate_retry_after_ms((int64_t)retry_after);
			if (wait < -1)
				abort();	/* a wait is -1 (none) or a duration */
		}
	curl_multi_remove_handle(m, c);
	curl_easy_cleanup(c);
	if (srv >= 0)
		close(srv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t topic_len = nul ? (size_t)(nul - data) : size;
	size_t payload_len = nul ? size - topic_len - 1 : 0;
	char *topic = malloc(topic_len + 1);
	char *payload = malloc(payload_len ? payload_len : 1);
	const char *reason;

	if (!topic || !payload)
		abort();
	memcpy(topic, data, topic_len);
	topic[topic_len] = '\0';
	memcpy(payload, data + topic_len + (nul ? 1 : 0), payload_len);
	(void)wx_mqtt_ha_online("homeassistant/status", topic, payload, (int)payload_len);

	reason = wx_mqtt_ssl_reason(topic);
	if (reason < topic || reason > topic + topic_len)
		abort();	/* must point into the line */
	free(topic);
	free(payload);

	http_answer(data, size);
	return 0;
}
