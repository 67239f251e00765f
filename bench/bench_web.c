/* make bench: the web page's figures, printed, never pass/fail.
 *
 *   1. The API against a year of one-minute records (525,600 rows, filled
 *      here): /api/current (through a live socket), /api/history raw for
 *      24 h, and in the page's steps for 24 h, 7 d, 30 d and a year, and
 *      the CSV of 30 days: median and 99th percentile time to the last
 *      byte, and the bytes.  The page itself: its four files, as a browser
 *      fetches them.
 *   2. wxd --sim in real time for WEB_BENCH_S seconds, alone and with the
 *      web module beside it (tests/tool_webserve, as the network side will
 *      run) answering 10 requests a second: CPU and RSS of each.
 *
 * Usage: bench_web BUILD_DIR */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/archive.h"
#include "firmware/core/config.h"
#include "firmware/core/live.h"
#include "web/web.h"

#define YEAR_RECORDS (365 * 1440)

static char dir[] = "/tmp/wxbenchweb.XXXXXX";
static char db_path[256], sock_path[256], conf_path[256];
static int port;
static volatile int live_stop;
static struct wx_live *live;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *fake_answer(const char *command, void *arg)
{
	(void)arg;
	if (strcmp(command, "read"))
		return NULL;
	return strdup("{\"ts\":1795200000,\"station\":\"bench\",\"temperature_c\":12.34,"
		      "\"humidity_pct\":80.1,\"pressure_hpa\":1001.5,\"sea_level_pressure_hpa\":1013.2,"
		      "\"dew_point_c\":9.01,\"ground_temperature_c\":8.5,\"wind_speed_kmh\":7.2,"
		      "\"wind_gust_kmh\":15.1,\"wind_direction_deg\":225,\"rain_today_mm\":1.4,"
		      "\"air_quality_pct\":null,\"age_s\":{\"temperature_c\":2.5}}");
}

static void *live_loop(void *arg)
{
	(void)arg;
	while (!live_stop) {
		struct pollfd fds[20];
		int n = wx_live_pollfds(live, fds, 20);

		if (poll(fds, (nfds_t)n, 50) > 0)
			wx_live_serve(live, fds, n);
	}
	return NULL;
}

static int fill_year(int64_t t_end)
{
	char err[256];
	struct wx_archive *a = wx_archive_open(db_path, err, sizeof(err));
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t t0 = t_end - 60LL * YEAR_RECORDS;

	if (!a) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	wx_archive_close(a);
	if (sqlite3_open(db_path, &db) != SQLITE_OK)
		return -1;
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO archive (ts, interval_s, temperature_c, humidity_pct,"
			   " pressure_hpa, sea_level_pressure_hpa, dew_point_c, ground_temperature_c,"
			   " wind_speed_kmh, wind_gust_kmh, wind_direction_deg, rain_mm, wind_pulses,"
			   " rain_tips) VALUES (?,60,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &s, NULL);
	for (int i = 1; i <= YEAR_RECORDS; i++) {
		double t = 10 + 10 * sin(i * 2 * M_PI / 1440) + 8 * sin(i * 2 * M_PI / YEAR_RECORDS);
		double w = 8 + 6 * sin(i / 97.0);

		sqlite3_bind_int64(s, 1, t0 + 60LL * i);
		sqlite3_bind_double(s, 2, t);
		sqlite3_bind_double(s, 3, 70 + 20 * cos(i / 300.0));
		sqlite3_bind_double(s, 4, 1005 + 8 * sin(i / 2000.0));
		sqlite3_bind_double(s, 5, 1013 + 8 * sin(i / 2000.0));
		sqlite3_bind_double(s, 6, t - 4);
		sqlite3_bind_double(s, 7, 9 + 3 * sin(i * 2 * M_PI / YEAR_RECORDS));
		sqlite3_bind_double(s, 8, w);
		sqlite3_bind_double(s, 9, w + 5);
		sqlite3_bind_double(s, 10, fmod(200 + 120 * sin(i / 500.0) + 360, 360));
		sqlite3_bind_double(s, 11, i % 97 < 5 ? 0.2794 : 0);
		sqlite3_bind_int(s, 12, (int)(w * 25));
		sqlite3_bind_int(s, 13, i % 97 < 5);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	return 0;
}

/* GET path over HTTP/1.0; returns the bytes of the answer (-1 on error). */
static long fetch(const char *path)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char req[512], buf[65536];
	long total = 0;
	ssize_t n;

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0)
		total = -1;
	while (total >= 0 && (n = recv(fd, buf, sizeof(buf), 0)) > 0)
		total += n;
	close(fd);
	return total;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void measure(const char *what, const char *const *paths, int runs, const char *target)
{
	double t[200];
	long bytes = 0;

	if (runs > 200)
		runs = 200;
	for (int i = 0; i < runs; i++) {
		double t0 = now_s();

		bytes = 0;
		for (const char *const *p = paths; *p; p++)
			bytes += fetch(*p);
		t[i] = (now_s() - t0) * 1000;
	}
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
	printf("  %-34s p50 %8.2f ms  p99 %8.2f ms  %9ld bytes   (target: %s)\n", what,
	       t[runs / 2], t[(runs * 99) / 100 < runs ? (runs * 99) / 100 : runs - 1], bytes, target);
}

static void api_figures(void)
{
	char err[512], buf[8][160];
	static struct wx_config cfg;
	struct wx_web *w;
	pthread_t th;
	int64_t now = (int64_t)time(NULL) / 60 * 60;
	double t0 = now_s();
	const char *cur[] = { "/api/current", NULL };
	const char *page[] = { "/", "/app.js", "/style.css", "/favicon.svg", NULL };

	if (fill_year(now))
		return;
	printf("API over a year of one-minute records (%d rows, filled in %.1f s)\n", YEAR_RECORDS,
	       now_s() - t0);
	wx_config_defaults(&cfg);
	snprintf(cfg.station.id, sizeof(cfg.station.id), "bench");
	snprintf(cfg.station.database, sizeof(cfg.station.database), "%s", db_path);
	snprintf(cfg.station.socket, sizeof(cfg.station.socket), "%s", sock_path);
	snprintf(cfg.web.listen_host, sizeof(cfg.web.listen_host), "127.0.0.1");
	cfg.web.listen_port = 0;
	cfg.web.enabled = true;
	live = wx_live_open(sock_path, fake_answer, NULL, err, sizeof(err));
	if (!live) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	pthread_create(&th, NULL, live_loop, NULL);
	w = wx_web_start(&cfg, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	port = wx_web_port(w);
	measure("/api/current", cur, 200, "< 5 ms");
	measure("page (/, app.js, style.css, icon)", page, 100, "< 20 ms");
	snprintf(buf[0], sizeof(buf[0]), "/api/history?since=%lld&until=%lld", (long long)(now - 86400), (long long)now);
	snprintf(buf[1], sizeof(buf[1]), "/api/history?since=%lld&until=%lld&step=300", (long long)(now - 86400), (long long)now);
	snprintf(buf[2], sizeof(buf[2]), "/api/history?since=%lld&until=%lld&step=1800", (long long)(now - 7 * 86400), (long long)now);
	snprintf(buf[3], sizeof(buf[3]), "/api/history?since=%lld&until=%lld&step=10800", (long long)(now - 30 * 86400), (long long)now);
	snprintf(buf[4], sizeof(buf[4]), "/api/history?since=%lld&until=%lld&step=86400", (long long)(now - 365 * 86400), (long long)now);
	snprintf(buf[5], sizeof(buf[5]), "/api/history.csv?since=%lld&until=%lld", (long long)(now - 30 * 86400), (long long)now);
	snprintf(buf[6], sizeof(buf[6]), "/api/history?since=%lld&until=%lld&step=3600", (long long)(now - 365 * 86400), (long long)now);
	{
		const char *p0[] = { buf[0], NULL }, *p1[] = { buf[1], NULL }, *p2[] = { buf[2], NULL };
		const char *p3[] = { buf[3], NULL }, *p4[] = { buf[4], NULL }, *p5[] = { buf[5], NULL };
		const char *p6[] = { buf[6], NULL };

		measure("24 h, every record (1440)", p0, 50, "< 50 ms");
		measure("24 h, step 300 (288)", p1, 50, "< 50 ms");
		measure("7 d, step 1800 (336)", p2, 30, "< 100 ms");
		measure("30 d, step 10800 (240)", p3, 20, "< 250 ms");
		measure("1 year, step 86400 (365)", p4, 10, "< 1000 ms");
		measure("1 year, step 3600 (8760)", p6, 10, "< 1500 ms");
		measure("30 d CSV, every record (43200)", p5, 5, "< 2000 ms");
	}
	wx_web_stop(w);
	live_stop = 1;
	pthread_join(th, NULL);
	wx_live_close(live);
	unlink(db_path);
}

/* ---- wxd with and without the page ------------------------------------------------------- */

struct usage {
	double cpu_s;
	long rss_kib;
};

static void usage_of(pid_t pid, struct usage *u)
{
	char path[64], line[256];
	FILE *f;
	unsigned long ut = 0, st = 0;

	u->cpu_s = 0;
	u->rss_kib = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
			u->cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			u->rss_kib = atol(line + 6);
	if (f)
		fclose(f);
}

static pid_t spawn(const char *prog, const char *a1, const char *a2, const char *a3,
		   const char *a4, const char *a5)
{
	pid_t pid;

	fflush(stdout);	/* or the child would write our buffer again */
	pid = fork();

	if (pid == 0) {
		if (!freopen("/dev/null", "w", stderr) || !freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(prog, prog, a1, a2, a3, a4, a5, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void process_figures(const char *build)
{
	const char *env = getenv("WEB_BENCH_S");
	int secs = env ? atoi(env) : 15;
	char wxd[256], tool[256];
	struct usage a, b, c;
	pid_t d, web;
	FILE *f;

	if (secs < 2)
		secs = 2;
	snprintf(wxd, sizeof(wxd), "%s/wxd", build);
	snprintf(tool, sizeof(tool), "%s/tests/tool_webserve", build);
	if (access(tool, X_OK)) {
		printf("wxd with the page: %s missing (make check-tests)\n", tool);
		return;
	}
	port = 0;
	{
		FILE *p;
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "%s --free-port", tool);
		p = popen(cmd, "r");
		if (!p || fscanf(p, "%d", &port) != 1)
			port = 0;
		if (p)
			pclose(p);
	}
	f = fopen(conf_path, "w");
	if (!f || !port)
		return;
	fprintf(f, "[station]\nid = bench\ndatabase = %s\nsocket = %s\n[web]\nlisten = 127.0.0.1:%d\n",
		db_path, sock_path, port);
	fclose(f);
	printf("wxd --sim in real time, %d s each (WEB_BENCH_S)\n", secs);
	d = spawn(wxd, "-c", conf_path, "--sim", NULL, NULL);
	sleep((unsigned)secs);
	usage_of(d, &a);
	printf("  %-34s CPU %6.2f s, RSS %6ld KiB\n", "wxd alone", a.cpu_s, a.rss_kib);
	web = spawn(tool, conf_path, NULL, NULL, NULL, NULL);
	usleep(300000);
	for (int i = 0; i < secs * 10; i++) {
		double t = now_s();
		const char *p = i % 10 == 0 ? "/api/history?since=-24h&step=300" :
				i % 2 ? "/api/current" : "/api/status";

		fetch(p);
		t = 0.1 - (now_s() - t);
		if (t > 0)
			usleep((useconds_t)(t * 1e6));
	}
	usage_of(d, &b);
	usage_of(web, &c);
	printf("  %-34s CPU %6.2f s, RSS %6ld KiB (its CPU in those %d s: %.2f s)\n",
	       "wxd, page at 10 requests/s", b.cpu_s, b.rss_kib, secs, b.cpu_s - a.cpu_s);
	printf("  %-34s CPU %6.2f s, RSS %6ld KiB\n", "the web module's process", c.cpu_s, c.rss_kib);
	kill(web, SIGTERM);
	kill(d, SIGTERM);
	waitpid(web, NULL, 0);
	waitpid(d, NULL, 0);
}

int main(int argc, char **argv)
{
	char cmd[300];

	signal(SIGPIPE, SIG_IGN);
	if (argc != 2 || !mkdtemp(dir)) {
		fprintf(stderr, "usage: bench_web BUILD_DIR\n");
		return 2;
	}
	snprintf(db_path, sizeof(db_path), "%s/wx.db", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/wx.sock", dir);
	snprintf(conf_path, sizeof(conf_path), "%s/wx.conf", dir);
	api_figures();
	process_figures(argv[1]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_web: could not remove %s\n", dir);
	return 0;
}
