/* make bench-fleet: a district's schools publishing into one broker,
 * printed, never pass/fail.
 *
 * FLEET_N (default 50) stations school-01 .. school-NN, each a real
 * `wxd --sim --speed 0 --duration 24h` with its own config, database and
 * socket in a temporary directory and [mqtt] pointed at one local mosquitto,
 * all started at once.  A district consumer subscribed to wx/+/record
 * (bench/support.c) counts what arrives per station.  Each wxd simulates its
 * day flat out and then has the daemon's 10 s of grace to deliver its
 * backlog: afterwards every station's archive is opened read-only and its
 * record count and MQTT cursor are set beside what the consumer got, so a
 * shortfall says whether records stayed in the archive (grace spent) or were
 * lost between broker and consumer.
 *
 * FLEET_MAX_QUEUED sets the broker's max_queued_messages (default 0, no
 * limit; mosquitto's own default is 1000).
 *
 * Usage: bench_fleet BUILD_DIR */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/support.h"
#include "db/archive.h"
#include "uploader/state.h"
#include "tests/support/broker.h"

#define PER_STATION 1440	/* a day of one-minute records */

struct station {
	char id[32];
	char dir[200];
	pid_t pid;
	double t_start, t_end;	/* monotonic */
	int status;
	struct rusage ru;
	int64_t archived, cursor, newest;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int write_config(struct station *s, int seed, int port)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/wxd.conf", s->dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "[station]\nid = %s\ndatabase = %s/wx.db\nsocket = %s/wxd.sock\n\n"
		"[mqtt]\nhost = 127.0.0.1\nport = %d\nqos = 1\n\n[sim]\nseed = %d\n",
		s->id, s->dir, s->dir, port, seed);
	return fclose(f);
}

static pid_t spawn(const char *wxd, const struct station *s)
{
	char conf[300], log[300];
	pid_t pid = fork();

	if (pid == 0) {
		snprintf(conf, sizeof(conf), "%s/wxd.conf", s->dir);
		snprintf(log, sizeof(log), "%s/wxd.log", s->dir);
		if (!freopen(log, "w", stderr) || !freopen("/dev/null", "w", stdout))
			_exit(126);
		execl(wxd, "wxd", "-c", conf, "--sim", "--speed", "0", "--duration", "24h",
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void read_archive(struct station *s)
{
	char path[300], err[256];
	struct wx_archive *a;

	snprintf(path, sizeof(path), "%s/wx.db", s->dir);
	a = wx_archive_open_ro(path, err, sizeof(err));
	s->archived = s->cursor = s->newest = -1;
	if (!a) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	wx_archive_count(a, &s->archived);
	wx_upload_state_cursor_peek(path, "mqtt", &s->cursor);	/* wxd-net's state file */
	wx_archive_newest_ts(a, &s->newest);
	wx_archive_close(a);
}

/* The last line of the station's log that mentions mqtt, or "". */
static void last_mqtt_line(const struct station *s, char *out, size_t outlen)
{
	char path[300], line[512];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/wxd.log", s->dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "mqtt")) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, outlen, "%s", line);
		}
	fclose(f);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double tv(struct timeval t)
{
	return (double)t.tv_sec + t.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	const char *env = getenv("FLEET_N"), *mq = getenv("FLEET_MAX_QUEUED");
	int n = env && atoi(env) > 0 ? atoi(env) : 50;
	int max_queued = mq ? atoi(mq) : 0;
	struct bench_broker *b;
	struct bench_sub *sub;
	struct bench_station_seen *seen;
	struct station *st;
	char dir[128], wxd[256];
	double t0, t_exit, t_all, cpu = 0, *walls;
	long maxrss = 0;
	size_t nseen = 0, expected, got, distinct = 0, dups = 0, ooo = 0, short_n = 0;
	int failed_exits = 0, offline = 0;

	if (argc != 2 || n > 999)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(wxd, sizeof(wxd), "%s/wxd", argv[1]);
	if (access(wxd, X_OK) != 0) {
		fprintf(stderr, "%s: not built (make all)\n", wxd);
		return 1;
	}
	if (test_mkdtemp(dir, sizeof(dir), "bench-fleet") < 0)
		return 1;
	st = calloc((size_t)n, sizeof(*st));
	walls = calloc((size_t)n, sizeof(*walls));
	b = bench_broker_start(max_queued);
	sub = b ? bench_sub_start(b->port) : NULL;
	if (!st || !walls || !sub) {
		bench_broker_stop(b);
		test_rmrf(dir);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		snprintf(st[i].id, sizeof(st[i].id), "school-%02d", i + 1);
		snprintf(st[i].dir, sizeof(st[i].dir), "%s/%s", dir, st[i].id);
		if (mkdir(st[i].dir, 0700) < 0 || write_config(&st[i], i + 1, b->port) < 0) {
			fprintf(stderr, "%s: %s\n", st[i].dir, strerror(errno));
			return 1;
		}
	}
	expected = (size_t)n * PER_STATION;
	printf("fleet: %d stations (school-01 .. school-%02d), wxd --sim --speed 0 --duration 24h each,\n"
	       "       one mosquitto on 127.0.0.1 (max_queued_messages %d), a consumer on wx/+/record;\n"
	       "       %ld CPUs\n", n, n, max_queued, sysconf(_SC_NPROCESSORS_ONLN));

	t0 = now_s();
	for (int i = 0; i < n; i++) {
		st[i].t_start = now_s();
		st[i].pid = spawn(wxd, &st[i]);
	}
	for (int left = n; left > 0; left--) {
		struct rusage ru;
		int status;
		pid_t pid = wait4(-1, &status, 0, &ru);

		if (pid < 0)
			break;
		for (int i = 0; i < n; i++)
			if (st[i].pid == pid) {
				st[i].t_end = now_s();
				st[i].status = status;
				st[i].ru = ru;
			}
	}
	t_exit = now_s() - t0;
	/* The broker may still be passing the last acknowledged records on. */
	got = bench_sub_wait(sub, expected, 10000, 2000);
	t_all = now_s() - t0;

	seen = bench_sub_stations(sub, &nseen);
	for (int i = 0; i < n; i++) {
		walls[i] = st[i].t_end - st[i].t_start;
		cpu += tv(st[i].ru.ru_utime) + tv(st[i].ru.ru_stime);
		if (st[i].ru.ru_maxrss > maxrss)
			maxrss = st[i].ru.ru_maxrss;
		if (!WIFEXITED(st[i].status) || WEXITSTATUS(st[i].status) != 0)
			failed_exits++;
		read_archive(&st[i]);
	}
	for (size_t j = 0; j < nseen; j++) {
		distinct += seen[j].distinct;
		dups += seen[j].msgs - seen[j].distinct;
		ooo += seen[j].out_of_order;
		offline += strcmp(seen[j].availability, "offline") == 0;
	}
	qsort(walls, (size_t)n, sizeof(*walls), cmp_double);

	printf("  every wxd exited after           %7.1f s (exit status not 0: %d)\n", t_exit,
	       failed_exits);
	printf("  each wxd's wall time             min %.1f s, median %.1f s, max %.1f s\n", walls[0],
	       walls[n / 2], walls[n - 1]);
	printf("  CPU time of all wxd              %7.1f s (%.2f s a station), peak RSS %ld KiB\n", cpu,
	       cpu / n, maxrss);
	printf("  records at the consumer          %zu of %zu (%zu distinct, %zu duplicates, %zu out of order)\n",
	       got, expected, distinct, dups, ooo);
	printf("  throughput                       %7.0f records/s over %.1f s (%.0f a station)\n",
	       distinct / t_all, t_all, distinct / t_all / n);
	printf("  availability offline at the end  %d of %d stations\n", offline, n);
	printf("  broker drop episodes             %d\n", bench_broker_drop_lines(b));

	for (int i = 0; i < n; i++) {
		const struct bench_station_seen *s = NULL;
		char line[512];

		for (size_t j = 0; j < nseen; j++)
			if (strcmp(seen[j].id, st[i].id) == 0)
				s = &seen[j];
		if (s && s->distinct == PER_STATION && st[i].archived == PER_STATION &&
		    st[i].cursor == st[i].newest)
			continue;
		if (!short_n++)
			printf("  stations short of %d (archive, cursor behind newest, at the consumer):\n",
			       PER_STATION);
		if (short_n > 10)
			continue;
		line[0] = '\0';
		if (st[i].cursor != st[i].newest)	/* wxd itself did not deliver: why? */
			last_mqtt_line(&st[i], line, sizeof(line));
		printf("    %s: archive %lld, cursor %lld records behind, consumer %zu; wall %.1f s%s%s\n",
		       st[i].id, (long long)st[i].archived,
		       (long long)(st[i].newest - st[i].cursor) / 60, s ? s->distinct : 0,
		       st[i].t_end - st[i].t_start, line[0] ? "; log: " : "", line);
	}
	if (short_n > 10)
		printf("    ... and %zu more\n", short_n - 10);
	if (short_n && bench_broker_drop_lines(b))
		printf("  (the broker dropped messages for the consumer: its max_queued_messages was reached)\n");
	if (!short_n)
		printf("  every station: %d records archived, cursor at the newest, %d at the consumer\n",
		       PER_STATION, PER_STATION);

	free(seen);
	bench_sub_stop(sub);
	bench_broker_stop(b);
	free(st);
	free(walls);
	test_rmrf(dir);
	return 0;
}
