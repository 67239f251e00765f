/* make bench-longrun: does wxd keep its memory and files over a month?
 * Printed, never pass/fail.
 *
 * One `wxd --sim --speed 0 --duration 30d` uploading to a local mosquitto.
 * Every 0.5 s of real time the benchmark reads the daemon's resident memory
 * (VmRSS in /proc/PID/status), its open file descriptors (entries of
 * /proc/PID/fd), its threads, and over the live socket its station time and
 * records written (`wxctl status --json`: "ts", "records_written", the MQTT
 * backlog).  It prints one row per simulated day, the growth of RSS after the
 * first day (a least-squares slope over days 1..30), and at the end whether
 * every record (43,200) is in the archive and at the broker.
 *
 * LONGRUN_DAYS overrides 30.  Usage: bench_longrun BUILD_DIR */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/support.h"
#include "db/archive.h"
#include "uploader/state.h"
#include "firmware/core/live.h"
#include "tests/support/broker.h"

#define PER_DAY 1440

struct sample {
	double t;		/* real seconds since start */
	long rss_kib, threads;
	int fds;
	long long written;	/* records_written, -1 when the socket did not answer */
	long long backlog;
	size_t at_broker;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

static long status_field(pid_t pid, const char *name)
{
	char path[64], line[256];
	size_t len = strlen(name);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, len) == 0 && line[len] == ':')
			v = atol(line + len + 1);
	fclose(f);
	return v;
}

static int count_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* records_written and the MQTT backlog from the daemon's status answer. */
static void query(const char *sock, struct sample *s)
{
	char err[256], *reply = NULL;
	cJSON *o, *v, *up;

	s->written = s->backlog = -1;
	if (wx_live_query(sock, "status", 2000, &reply, err, sizeof(err)) < 0)
		return;
	o = cJSON_Parse(reply);
	free(reply);
	if (!o)
		return;
	v = cJSON_GetObjectItem(o, "records_written");
	if (cJSON_IsNumber(v))
		s->written = (long long)v->valuedouble;
	up = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "uploads"), "mqtt");
	v = cJSON_GetObjectItem(up, "backlog");
	if (cJSON_IsNumber(v))
		s->backlog = (long long)v->valuedouble;
	cJSON_Delete(o);
}

static double tv(struct timeval t)
{
	return (double)t.tv_sec + t.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	const char *env = getenv("LONGRUN_DAYS");
	int days = env && atoi(env) > 0 ? atoi(env) : 30;
	struct bench_broker *b;
	struct bench_sub *sub;
	struct bench_station_seen *seen;
	struct sample *sm;
	struct rusage ru;
	char dir[128], wxd[256], conf[200], db[200], sock[200], log[200], err[256], span[16];
	size_t ns = 0, cap = 4096, nseen = 0, got;
	int64_t archived = -1, cursor = -1, newest = -1, expected = (int64_t)days * PER_DAY;
	double t0, t_end, sx = 0, sy = 0, sxx = 0, sxy = 0;
	long rss_day1 = -1, rss_max_after = 0, rss_min_after = -1;
	int fd_min = -1, fd_max = -1, status, npts = 0;
	struct wx_archive *a;
	pid_t pid;
	FILE *f;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(wxd, sizeof(wxd), "%s/wxd", argv[1]);
	if (access(wxd, X_OK) != 0 || test_mkdtemp(dir, sizeof(dir), "bench-longrun") < 0) {
		fprintf(stderr, "%s: not built (make all), or no temporary directory\n", wxd);
		return 1;
	}
	snprintf(conf, sizeof(conf), "%s/wxd.conf", dir);
	snprintf(db, sizeof(db), "%s/wx.db", dir);
	snprintf(sock, sizeof(sock), "%s/wxd.sock", dir);
	snprintf(log, sizeof(log), "%s/wxd.log", dir);
	b = bench_broker_start(0);
	sub = b ? bench_sub_start(b->port) : NULL;
	sm = malloc(cap * sizeof(*sm));
	f = fopen(conf, "w");
	if (!sub || !sm || !f) {
		bench_broker_stop(b);
		test_rmrf(dir);
		return 1;
	}
	fprintf(f, "[station]\nid = longrun\ndatabase = %s\nsocket = %s\n\n"
		"[mqtt]\nhost = 127.0.0.1\nport = %d\n", db, sock, b->port);
	fclose(f);
	snprintf(span, sizeof(span), "%dd", days);
	printf("wxd --sim --speed 0 --duration %s, uploading to mosquitto on 127.0.0.1;\n"
	       "sampled every 0.5 s of real time, one row per simulated day\n", span);

	t0 = now_s();
	pid = fork();
	if (pid == 0) {
		if (!freopen(log, "w", stderr) || !freopen("/dev/null", "w", stdout))
			_exit(126);
		execl(wxd, "wxd", "-c", conf, "--sim", "--speed", "0", "--duration", span,
		      (char *)NULL);
		_exit(127);
	}
	for (;;) {
		struct sample s = { .t = now_s() - t0 };
		siginfo_t si = { 0 };

		/* Still running?  (WNOWAIT: /proc/PID stays readable until reaped.) */
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == pid)
			break;
		s.rss_kib = status_field(pid, "VmRSS");
		s.threads = status_field(pid, "Threads");
		s.fds = count_fds(pid);
		query(sock, &s);
		s.at_broker = bench_sub_total(sub);
		if (ns == cap) {
			struct sample *p = realloc(sm, 2 * cap * sizeof(*sm));

			if (!p)
				break;
			sm = p;
			cap *= 2;
		}
		sm[ns++] = s;
		sleep_ms(500);
	}
	wait4(pid, &status, 0, &ru);
	t_end = now_s() - t0;
	got = bench_sub_wait(sub, (size_t)expected, 10000, 2000);

	printf("   day   real s   RSS KiB   fds  threads   records  backlog  at broker\n");
	for (size_t i = 0, next = 0; i < ns; i++) {
		const struct sample *s = &sm[i];
		long long day = s->written >= 0 ? s->written / PER_DAY : -1;

		if (s->fds >= 0) {
			if (fd_min < 0 || s->fds < fd_min)
				fd_min = s->fds;
			if (s->fds > fd_max)
				fd_max = s->fds;
		}
		if (day >= 1 && s->rss_kib > 0) {
			if (rss_day1 < 0)
				rss_day1 = s->rss_kib;
			if (s->rss_kib > rss_max_after)
				rss_max_after = s->rss_kib;
			if (rss_min_after < 0 || s->rss_kib < rss_min_after)
				rss_min_after = s->rss_kib;
			/* RSS against simulated days, for the slope. */
			double x = (double)s->written / PER_DAY, y = (double)s->rss_kib;

			sx += x;
			sy += y;
			sxx += x * x;
			sxy += x * y;
			npts++;
		}
		/* The first sample of each new simulated day, and the last one. */
		if ((day >= 0 && (size_t)day >= next) || i + 1 == ns) {
			printf("  %4lld  %7.1f  %8ld  %4d  %7ld  %8lld  %7lld  %9zu\n", day, s->t, s->rss_kib,
			       s->fds, s->threads, s->written, s->backlog, s->at_broker);
			if (day >= 0)
				next = (size_t)day + 1;
		}
	}

	a = wx_archive_open_ro(db, err, sizeof(err));
	if (a) {
		wx_archive_count(a, &archived);
		wx_upload_state_cursor_peek(db, "mqtt", &cursor);	/* wxd-net's state file */
		wx_archive_newest_ts(a, &newest);
		wx_archive_close(a);
	} else {
		fprintf(stderr, "%s\n", err);
	}
	seen = bench_sub_stations(sub, &nseen);

	printf("wxd: exit status %d after %.1f s real; CPU %.1f s; peak RSS (VmHWM) %ld KiB\n",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1, t_end,
	       tv(ru.ru_utime) + tv(ru.ru_stime), ru.ru_maxrss);
	if (npts >= 2) {
		double slope = (npts * sxy - sx * sy) / (npts * sxx - sx * sx);

		long half = -1, last = -1;

		for (size_t i = 0; i < ns; i++)
			if (sm[i].written >= (long long)days * PER_DAY / 2 && sm[i].rss_kib > 0) {
				if (half < 0)
					half = sm[i].rss_kib;
				last = sm[i].rss_kib;
			}
		printf("RSS after the first day: %ld KiB at day 1, between %ld and %ld KiB up to day %d;\n"
		       "  trend %+.1f KiB per simulated day (least squares over %d samples);\n"
		       "  second half of the run (day %d to the end): %ld -> %ld KiB (%+ld KiB)\n",
		       rss_day1, rss_min_after, rss_max_after, days, slope, npts, days / 2, half, last,
		       last - half);
	}
	printf("open file descriptors: %d .. %d over the run\n", fd_min, fd_max);
	printf("archive: %lld of %lld records; MQTT cursor %s the newest record\n",
	       (long long)archived, (long long)expected, cursor == newest ? "at" : "BEHIND");
	printf("broker: %zu record messages", got);
	if (nseen == 1)
		printf(", %zu distinct, %zu out of order; availability \"%s\"", seen[0].distinct,
		       seen[0].out_of_order, seen[0].availability);
	printf(" (expected %lld)\n", (long long)expected);

	free(seen);
	free(sm);
	bench_sub_stop(sub);
	bench_broker_stop(b);
	test_rmrf(dir);
	return 0;
}
