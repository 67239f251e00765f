/* A real mosquitto for tests (see broker.h). */
#include "tests/support/broker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <pthread.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MOSQUITTO "/usr/sbin/mosquitto"

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

int test_mkdtemp(char *out, size_t outlen, const char *name)
{
	snprintf(out, outlen, "/tmp/wxtest-%s-XXXXXX", name);
	return mkdtemp(out) ? 0 : -1;
}

void test_rmrf(const char *path)
{
	char cmd[600];

	if (strncmp(path, "/tmp/wxtest-", 12) != 0)
		return;		/* never anything but our own temporaries */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
}

int test_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static bool port_accepts(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static int write_conf(struct test_broker *b, const struct test_broker_opts *o)
{
	struct passwd *pw = getpwuid(geteuid());
	FILE *f = fopen(b->conf, "w");

	if (!f)
		return -1;
	/* As root mosquitto would switch to user mosquitto, who cannot read
	 * our temporary directory: stay who we are. */
	fprintf(f, "user %s\n", pw ? pw->pw_name : "root");
	if (o && o->persistence)
		fprintf(f, "persistence true\npersistence_location %s/\n", b->dir);
	else
		fprintf(f, "persistence false\n");
	fprintf(f, "log_dest file %s\nlog_type all\n", b->log);
	fprintf(f, "per_listener_settings false\n");
	/* The default (1000) makes the broker drop messages for a subscriber
	 * that falls behind a drained backlog, e.g. under valgrind. */
	fprintf(f, "max_queued_messages 0\n");
	if (o && o->username) {
		char cmd[800];

		fprintf(f, "allow_anonymous false\npassword_file %s/passwd\n", b->dir);
		snprintf(cmd, sizeof(cmd), "mosquitto_passwd -c -b '%s/passwd' '%s' '%s' 2>/dev/null",
			 b->dir, o->username, o->password ? o->password : "");
		if (system(cmd) != 0) {
			fclose(f);
			return -1;
		}
	} else {
		fprintf(f, "allow_anonymous true\n");
	}
	fprintf(f, "listener %d 127.0.0.1\n", b->port);
	if (o && o->certfile)
		fprintf(f, "listener %d 127.0.0.1\ncertfile %s\nkeyfile %s\n", b->tls_port,
			o->certfile, o->keyfile);
	return fclose(f);
}

int test_broker_restart(struct test_broker *b)
{
	pid_t pid;

	if (b->pid)
		return 0;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* Everything worth reading goes to the log file. */
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(126);
		execl(MOSQUITTO, MOSQUITTO, "-c", b->conf, (char *)NULL);
		_exit(127);
	}
	b->pid = pid;
	for (int i = 0; i < 500; i++) {
		int st;

		if (port_accepts(b->port) && (!b->tls_port || port_accepts(b->tls_port)))
			return 0;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "mosquitto exited; see %s\n", b->log);
			b->pid = 0;
			return -1;
		}
		sleep_ms(10);
	}
	fprintf(stderr, "mosquitto did not listen on %d in 5 s\n", b->port);
	test_broker_stop(b);
	return -1;
}

struct test_broker *test_broker_start(const struct test_broker_opts *opts)
{
	struct test_broker *b = calloc(1, sizeof(*b));

	if (!b || test_mkdtemp(b->dir, sizeof(b->dir), "broker") < 0)
		goto fail;
	snprintf(b->conf, sizeof(b->conf), "%s/mosquitto.conf", b->dir);
	snprintf(b->log, sizeof(b->log), "%s/mosquitto.log", b->dir);
	b->port = test_free_port();
	if (opts && opts->certfile)
		do
			b->tls_port = test_free_port();
		while (b->tls_port == b->port);
	if (b->port <= 0 || write_conf(b, opts) < 0 || test_broker_restart(b) < 0)
		goto fail;
	return b;
fail:
	fprintf(stderr, "cannot start a test broker\n");
	test_broker_free(b);
	return NULL;
}

void test_broker_stop(struct test_broker *b)
{
	int st;

	if (!b || !b->pid)
		return;
	kill(b->pid, SIGTERM);
	waitpid(b->pid, &st, 0);
	b->pid = 0;
}

void test_broker_free(struct test_broker *b)
{
	if (!b)
		return;
	test_broker_stop(b);
	if (b->dir[0])
		test_rmrf(b->dir);
	free(b);
}

/* ---- subscriber ------------------------------------------------------- */

struct test_sub {
	struct mosquitto *m;
	pthread_mutex_t mu;
	struct test_msg *msgs;
	size_t n, cap;
	bool subscribed;
};

static void sub_on_connect(struct mosquitto *m, void *obj, int rc)
{
	(void)obj;
	if (rc == 0)
		mosquitto_subscribe(m, NULL, "#", 1);
}

static void sub_on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted)
{
	struct test_sub *s = obj;

	(void)m;
	(void)mid;
	(void)n;
	(void)granted;
	pthread_mutex_lock(&s->mu);
	s->subscribed = true;
	pthread_mutex_unlock(&s->mu);
}

static void sub_on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	struct test_sub *s = obj;
	struct test_msg t;

	(void)m;
	t.topic = strdup(msg->topic);
	t.payload = malloc((size_t)msg->payloadlen + 1);
	if (!t.topic || !t.payload)
		abort();
	if (msg->payloadlen > 0)	/* an empty message (a deleted retained one) has no payload */
		memcpy(t.payload, msg->payload, (size_t)msg->payloadlen);
	t.payload[msg->payloadlen] = '\0';
	t.retain = msg->retain;
	pthread_mutex_lock(&s->mu);
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->msgs = realloc(s->msgs, s->cap * sizeof(*s->msgs));
		if (!s->msgs)
			abort();
	}
	s->msgs[s->n++] = t;
	pthread_mutex_unlock(&s->mu);
}

static struct test_sub *sub_start(int port, const char *client_id)
{
	static int counter;
	struct test_sub *s = calloc(1, sizeof(*s));
	char id[64];

	if (!s)
		return NULL;
	mosquitto_lib_init();
	pthread_mutex_init(&s->mu, NULL);
	if (client_id)
		snprintf(id, sizeof(id), "%s", client_id);
	else
		snprintf(id, sizeof(id), "test-sub-%d-%d", (int)getpid(), ++counter);
	s->m = mosquitto_new(id, client_id == NULL, s);
	if (!s->m)
		goto fail;
	mosquitto_connect_callback_set(s->m, sub_on_connect);
	mosquitto_subscribe_callback_set(s->m, sub_on_subscribe);
	mosquitto_message_callback_set(s->m, sub_on_message);
	if (mosquitto_connect(s->m, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS ||
	    mosquitto_loop_start(s->m) != MOSQ_ERR_SUCCESS)
		goto fail;
	for (int i = 0; i < 500; i++) {
		bool ok;

		pthread_mutex_lock(&s->mu);
		ok = s->subscribed;
		pthread_mutex_unlock(&s->mu);
		if (ok)
			return s;
		sleep_ms(10);
	}
	mosquitto_loop_stop(s->m, true);
fail:
	fprintf(stderr, "test subscriber: cannot connect to 127.0.0.1:%d\n", port);
	if (s->m)
		mosquitto_destroy(s->m);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return NULL;
}

struct test_sub *test_sub_start(int port)
{
	return sub_start(port, NULL);
}

struct test_sub *test_sub_start_persistent(int port, const char *client_id)
{
	return sub_start(port, client_id);
}

void test_msg_free(struct test_msg *m)
{
	free(m->topic);
	free(m->payload);
	m->topic = m->payload = NULL;
}

void test_sub_stop(struct test_sub *s)
{
	if (!s)
		return;
	mosquitto_disconnect(s->m);
	mosquitto_loop_stop(s->m, true);
	mosquitto_destroy(s->m);
	for (size_t i = 0; i < s->n; i++)
		test_msg_free(&s->msgs[i]);
	free(s->msgs);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static size_t count_locked(struct test_sub *s, const char *topic)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		if (!topic || strcmp(s->msgs[i].topic, topic) == 0)
			n++;
	return n;
}

size_t test_sub_count(struct test_sub *s, const char *topic)
{
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = count_locked(s, topic);
	pthread_mutex_unlock(&s->mu);
	return n;
}

size_t test_sub_wait(struct test_sub *s, const char *topic, size_t n, int timeout_ms)
{
	size_t have = 0;

	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		have = test_sub_count(s, topic);
		if (have >= n)
			break;
		sleep_ms(10);
	}
	return have;
}

bool test_sub_get(struct test_sub *s, const char *topic, size_t i, struct test_msg *out)
{
	bool found = false;
	size_t k = 0;

	pthread_mutex_lock(&s->mu);
	for (size_t j = 0; j < s->n && !found; j++) {
		if (topic && strcmp(s->msgs[j].topic, topic) != 0)
			continue;
		if (k++ == i) {
			out->topic = strdup(s->msgs[j].topic);
			out->payload = strdup(s->msgs[j].payload);
			out->retain = s->msgs[j].retain;
			found = true;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return found;
}

bool test_sub_wait_payload(struct test_sub *s, const char *topic, const char *payload,
			   int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		size_t n = test_sub_count(s, topic);
		struct test_msg m;

		if (n && test_sub_get(s, topic, n - 1, &m)) {
			bool same = strcmp(m.payload, payload) == 0;

			test_msg_free(&m);
			if (same)
				return true;
		}
		sleep_ms(10);
	}
	return false;
}

int test_sub_publish(struct test_sub *s, const char *topic, const char *payload, bool retain)
{
	return mosquitto_publish(s->m, NULL, topic, (int)strlen(payload), payload, 1, retain) ==
	       MOSQ_ERR_SUCCESS ? 0 : -1;
}

/* ---- brokers that never answer ------------------------------------------ */

int test_black_hole_open(struct test_black_hole *h)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	memset(h, 0, sizeof(*h));
	h->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->listener < 0 || bind(h->listener, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(h->listener, 0) != 0 ||
	    getsockname(h->listener, (struct sockaddr *)&sa, &len) != 0) {
		perror("black hole: listener on 127.0.0.1");
		goto fail;
	}
	h->port = ntohs(sa.sin_port);
	/* Fill the accept queue until a connect no longer completes. */
	while (h->nfill < 8) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (fd < 0) {
			perror("black hole: socket");
			goto fail;
		}
		h->fill[h->nfill++] = fd;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			continue;
		if (errno != EINPROGRESS) {
			perror("black hole: connect");
			goto fail;
		}
		if (poll(&p, 1, 300) == 0)
			return 0;	/* this one hangs: the queue is full */
	}
	fprintf(stderr, "black hole: could not fill the listen backlog\n");
fail:
	test_black_hole_close(h);
	return -1;
}

void test_black_hole_close(struct test_black_hole *h)
{
	for (int i = 0; i < h->nfill; i++)
		close(h->fill[i]);
	h->nfill = 0;
	if (h->listener >= 0)
		close(h->listener);
	h->listener = -1;
}

int test_silent_listener(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(l, 16) != 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &len) != 0) {
		perror("silent listener on 127.0.0.1");
		if (l >= 0)
			close(l);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return l;
}
