/* The benchmarks' counting subscriber (see support.h). */
#include "bench/support.h"

#include <mosquitto.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/broker.h"

struct station {
	char id[64];
	int64_t *ts;
	size_t n, cap;
	size_t out_of_order;
	char availability[16];
};

struct bench_sub {
	struct mosquitto *m;
	pthread_mutex_t mu;
	struct station *st;
	size_t nst, capst;
	size_t total;
	int64_t last_ms;	/* monotonic time of the last record */
	int granted;
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

/* ---- broker ------------------------------------------------------------- */

struct bench_broker *bench_broker_start(int max_queued)
{
	struct bench_broker *b = calloc(1, sizeof(*b));
	struct passwd *pw = getpwuid(geteuid());
	char conf[200], log[200];
	FILE *f;

	mosquitto_lib_init();
	if (!b || test_mkdtemp(b->dir, sizeof(b->dir), "bench-broker") < 0) {
		free(b);
		return NULL;
	}
	b->port = test_free_port();
	snprintf(conf, sizeof(conf), "%s/mosquitto.conf", b->dir);
	snprintf(log, sizeof(log), "%s/mosquitto.log", b->dir);
	f = fopen(conf, "w");
	if (!f || b->port <= 0)
		goto fail;
	fprintf(f, "user %s\npersistence false\nlog_dest file %s\nlog_type error\nlog_type warning\nlog_type notice\n"
		"per_listener_settings false\nallow_anonymous true\nmax_queued_messages %d\n"
		"listener %d 127.0.0.1\n", pw ? pw->pw_name : "root", log, max_queued, b->port);
	if (fclose(f) != 0)
		goto fail;
	b->pid = fork();
	if (b->pid < 0)
		goto fail;
	if (b->pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(126);
		execl("/usr/sbin/mosquitto", "mosquitto", "-c", conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		struct mosquitto *m = mosquitto_new(NULL, true, NULL);
		int rc = m ? mosquitto_connect(m, "127.0.0.1", b->port, 10) : -1;

		if (m)
			mosquitto_destroy(m);
		if (rc == MOSQ_ERR_SUCCESS)
			return b;
		if (waitpid(b->pid, NULL, WNOHANG) == b->pid) {
			b->pid = 0;
			break;
		}
		sleep_ms(10);
	}
fail:
	fprintf(stderr, "cannot start mosquitto (see %s)\n", b->dir);
	bench_broker_stop(b);
	return NULL;
}

void bench_broker_stop(struct bench_broker *b)
{
	if (!b)
		return;
	if (b->pid > 0) {
		kill(b->pid, SIGTERM);
		waitpid(b->pid, NULL, 0);
	}
	test_rmrf(b->dir);
	free(b);
}

int bench_broker_drop_lines(const struct bench_broker *b)
{
	char path[200], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/mosquitto.log", b->dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "dropped"))
			n++;
	fclose(f);
	return n;
}

/* ---- subscriber ------------------------------------------------------- */

/* The station called id (len bytes), added when new; NULL when out of memory.
 * Called with mu held. */
static struct station *station(struct bench_sub *s, const char *id, size_t len)
{
	struct station *st;

	if (len >= sizeof(s->st[0].id))
		len = sizeof(s->st[0].id) - 1;
	for (size_t i = s->nst; i-- > 0;)
		if (strlen(s->st[i].id) == len && memcmp(s->st[i].id, id, len) == 0)
			return &s->st[i];
	if (s->nst == s->capst) {
		size_t cap = s->capst ? s->capst * 2 : 64;
		struct station *p = realloc(s->st, cap * sizeof(*p));

		if (!p)
			return NULL;
		s->st = p;
		s->capst = cap;
	}
	st = &s->st[s->nst++];
	memset(st, 0, sizeof(*st));
	memcpy(st->id, id, len);
	return st;
}

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
	(void)obj;
	if (rc == 0) {
		mosquitto_subscribe(m, NULL, "wx/+/record", 1);
		mosquitto_subscribe(m, NULL, "wx/+/availability", 1);
	}
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted)
{
	struct bench_sub *s = obj;

	(void)m;
	(void)mid;
	(void)n;
	(void)granted;
	pthread_mutex_lock(&s->mu);
	s->granted++;
	pthread_mutex_unlock(&s->mu);
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	struct bench_sub *s = obj;
	const char *id = msg->topic + 3, *slash, *what;
	struct station *st;

	(void)m;
	if (strncmp(msg->topic, "wx/", 3) != 0 || !(slash = strchr(id, '/')))
		return;
	what = slash + 1;
	pthread_mutex_lock(&s->mu);
	st = station(s, id, (size_t)(slash - id));
	if (st && strcmp(what, "availability") == 0) {
		size_t len = (size_t)msg->payloadlen < sizeof(st->availability) - 1 ?
			     (size_t)msg->payloadlen : sizeof(st->availability) - 1;

		memcpy(st->availability, msg->payload, len);
		st->availability[len] = '\0';
	} else if (st && strcmp(what, "record") == 0) {
		char buf[64] = "";
		const char *p;
		int64_t ts = 0;

		/* "ts" comes first in a record's JSON; look in its first bytes. */
		memcpy(buf, msg->payload, (size_t)msg->payloadlen < sizeof(buf) - 1 ?
					  (size_t)msg->payloadlen : sizeof(buf) - 1);
		p = strstr(buf, "\"ts\":");
		if (p)
			ts = strtoll(p + 5, NULL, 10);
		if (st->n == st->cap) {
			size_t cap = st->cap ? st->cap * 2 : 2048;
			int64_t *q = realloc(st->ts, cap * sizeof(*q));

			if (!q) {
				pthread_mutex_unlock(&s->mu);
				return;
			}
			st->ts = q;
			st->cap = cap;
		}
		if (st->n && ts <= st->ts[st->n - 1])
			st->out_of_order++;
		st->ts[st->n++] = ts;
		s->total++;
		s->last_ms = now_ms();
	}
	pthread_mutex_unlock(&s->mu);
}

struct bench_sub *bench_sub_start(int port)
{
	struct bench_sub *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	mosquitto_lib_init();
	pthread_mutex_init(&s->mu, NULL);
	s->m = mosquitto_new(NULL, true, s);
	if (!s->m)
		goto fail;
	mosquitto_connect_callback_set(s->m, on_connect);
	mosquitto_subscribe_callback_set(s->m, on_subscribe);
	mosquitto_message_callback_set(s->m, on_message);
	/* No limit to what the library takes in at once. */
	mosquitto_max_inflight_messages_set(s->m, 0);
	if (mosquitto_connect(s->m, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS ||
	    mosquitto_loop_start(s->m) != MOSQ_ERR_SUCCESS)
		goto fail;
	for (int i = 0; i < 500; i++) {
		int g;

		pthread_mutex_lock(&s->mu);
		g = s->granted;
		pthread_mutex_unlock(&s->mu);
		if (g >= 2)
			return s;
		sleep_ms(10);
	}
	mosquitto_loop_stop(s->m, true);
fail:
	fprintf(stderr, "bench_sub: cannot subscribe at 127.0.0.1:%d\n", port);
	if (s->m)
		mosquitto_destroy(s->m);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return NULL;
}

void bench_sub_stop(struct bench_sub *s)
{
	if (!s)
		return;
	mosquitto_disconnect(s->m);
	mosquitto_loop_stop(s->m, true);
	mosquitto_destroy(s->m);
	for (size_t i = 0; i < s->nst; i++)
		free(s->st[i].ts);
	free(s->st);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

size_t bench_sub_total(struct bench_sub *s)
{
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = s->total;
	pthread_mutex_unlock(&s->mu);
	return n;
}

size_t bench_sub_wait(struct bench_sub *s, size_t n, int timeout_ms, int quiet_ms)
{
	int64_t until = now_ms() + timeout_ms;
	size_t have;

	for (;;) {
		int64_t last;

		pthread_mutex_lock(&s->mu);
		have = s->total;
		last = s->last_ms;
		pthread_mutex_unlock(&s->mu);
		if (have >= n || now_ms() >= until || (quiet_ms && now_ms() - last >= quiet_ms))
			return have;
		sleep_ms(20);
	}
}

static int cmp_ts(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(((const struct bench_station_seen *)a)->id, ((const struct bench_station_seen *)b)->id);
}

struct bench_station_seen *bench_sub_stations(struct bench_sub *s, size_t *n)
{
	struct bench_station_seen *out;

	*n = 0;
	pthread_mutex_lock(&s->mu);
	out = s->nst ? calloc(s->nst, sizeof(*out)) : NULL;
	for (size_t i = 0; out && i < s->nst; i++) {
		const struct station *st = &s->st[i];
		struct bench_station_seen *o = &out[i];
		int64_t *ts = st->n ? malloc(st->n * sizeof(*ts)) : NULL;

		snprintf(o->id, sizeof(o->id), "%s", st->id);
		snprintf(o->availability, sizeof(o->availability), "%s", st->availability);
		o->msgs = st->n;
		o->out_of_order = st->out_of_order;
		if (!ts)
			continue;
		memcpy(ts, st->ts, st->n * sizeof(*ts));
		qsort(ts, st->n, sizeof(*ts), cmp_ts);
		for (size_t j = 0; j < st->n; j++)
			if (j == 0 || ts[j] != ts[j - 1])
				o->distinct++;
		o->first_ts = ts[0];
		o->last_ts = ts[st->n - 1];
		free(ts);
	}
	if (out)
		*n = s->nst;
	pthread_mutex_unlock(&s->mu);
	if (out)
		qsort(out, *n, sizeof(*out), cmp_id);
	return out;
}
