/* The APRS-IS look-alike for tests (see aprsis.h). */
#include "tests/support/aprsis.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct test_aprsis {
	int fd, port;
	pthread_t thread;
	pthread_mutex_t mu;
	bool stop, refuse;
	size_t conns;
	struct test_aprs_packet *pk;
	size_t n, cap;
};

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* One line up to LF (CR kept), within 2 s; false at EOF/timeout. */
static bool get_line(int c, char *out, size_t len, bool *crlf)
{
	size_t k = 0;

	*crlf = false;
	for (;;) {
		struct pollfd p = { .fd = c, .events = POLLIN };
		char ch;

		if (poll(&p, 1, 2000) <= 0 || read(c, &ch, 1) != 1)
			return false;
		if (ch == '\n') {
			if (k && out[k - 1] == '\r') {
				k--;
				*crlf = true;
			}
			out[k] = '\0';
			return true;
		}
		if (k + 1 < len)
			out[k++] = ch;
		out[k] = '\0';
	}
}

static void serve(struct test_aprsis *s, int c)
{
	static const char banner[] = "# wxd-test aprsis 1.0\r\n";
	char login[128], line[512], resp[256], call[32] = "";
	bool crlf;

	if (write(c, banner, sizeof(banner) - 1) < 0)
		return;
	if (!get_line(c, login, sizeof(login), &crlf))
		return;
	sscanf(login, "user %31s", call);
	snprintf(resp, sizeof(resp), "# logresp %s unverified, server TEST\r\n", call);
	if (write(c, resp, strlen(resp)) < 0)
		return;
	while (get_line(c, line, sizeof(line), &crlf)) {
		struct test_aprs_packet p = { .crlf = crlf, .t_ms = now_ms() };

		if (line[0] == '#')
			continue;	/* a client's keep-alive comment */
		snprintf(p.login, sizeof(p.login), "%s", login);
		snprintf(p.line, sizeof(p.line), "%s", line);
		pthread_mutex_lock(&s->mu);
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 64;
			s->pk = realloc(s->pk, s->cap * sizeof(*s->pk));
			if (!s->pk)
				abort();
		}
		s->pk[s->n++] = p;
		pthread_mutex_unlock(&s->mu);
	}
}

static void *server(void *arg)
{
	struct test_aprsis *s = arg;

	for (;;) {
		struct pollfd p = { .fd = s->fd, .events = POLLIN };
		bool stop, refuse;
		int c;

		pthread_mutex_lock(&s->mu);
		stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			return NULL;
		if (poll(&p, 1, 20) <= 0)
			continue;
		c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		pthread_mutex_lock(&s->mu);
		s->conns++;
		refuse = s->refuse;	/* as it is now, not before the poll */
		pthread_mutex_unlock(&s->mu);
		if (!refuse)
			serve(s, c);
		close(c);
	}
}

struct test_aprsis *test_aprsis_start(void)
{
	struct test_aprsis *s = calloc(1, sizeof(*s));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	if (!s)
		return NULL;
	pthread_mutex_init(&s->mu, NULL);
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(s->fd, (struct sockaddr *)&a, &len) < 0 || listen(s->fd, 16) < 0 ||
	    pthread_create(&s->thread, NULL, server, s) != 0) {
		if (s->fd >= 0)
			close(s->fd);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return NULL;
	}
	s->port = ntohs(a.sin_port);
	return s;
}

void test_aprsis_stop(struct test_aprsis *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	close(s->fd);
	free(s->pk);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int test_aprsis_port(struct test_aprsis *s)
{
	return s->port;
}

void test_aprsis_refuse(struct test_aprsis *s, bool on)
{
	pthread_mutex_lock(&s->mu);
	s->refuse = on;
	pthread_mutex_unlock(&s->mu);
}

size_t test_aprsis_count(struct test_aprsis *s)
{
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = s->n;
	pthread_mutex_unlock(&s->mu);
	return n;
}

size_t test_aprsis_connections(struct test_aprsis *s)
{
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = s->conns;
	pthread_mutex_unlock(&s->mu);
	return n;
}

bool test_aprsis_packet(struct test_aprsis *s, size_t i, struct test_aprs_packet *out)
{
	bool ok;

	pthread_mutex_lock(&s->mu);
	ok = i < s->n;
	if (ok)
		*out = s->pk[i];
	pthread_mutex_unlock(&s->mu);
	return ok;
}

size_t test_aprsis_wait(struct test_aprsis *s, size_t n, int timeout_ms)
{
	size_t have = 0;
	struct timespec t = { 0, 10 * 1000000L };

	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		have = test_aprsis_count(s);
		if (have >= n)
			break;
		nanosleep(&t, NULL);
	}
	return have;
}
