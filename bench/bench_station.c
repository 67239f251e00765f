/* make bench: figures for the station, printed, never pass/fail.
 *
 *   1. A simulated day at --speed 0: CPU seconds, peak RSS, bytes written to
 *      disk (/proc/PID/io, read while the finished child is still a zombie),
 *      and the archive's size.
 *   2. The latency of a live read through the socket: the median and 95th
 *      percentile of N requests to a daemon idling in real time, and to one
 *      busy simulating flat out.
 *
 * Usage: bench_station BUILD_DIR */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "firmware/live.h"

static char dir[] = "/tmp/wxbench.XXXXXX";
static char conf[256], db[256], sock[256];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static pid_t spawn(const char *wxd, const char *speed, const char *duration)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (!freopen("/dev/null", "w", stderr))
			_exit(127);
		execl(wxd, "wxd", "-c", conf, "--sim", "--speed", speed, "--duration", duration,
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

static long long io_field(pid_t pid, const char *name)
{
	char path[64], line[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, strlen(name)) == 0)
			v = atoll(line + strlen(name));
	fclose(f);
	return v;
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

static void day(const char *wxd)
{
	struct rusage ru;
	siginfo_t si;
	long long wbytes, wchar;
	double t0 = now_s(), t1;
	char path[300];
	pid_t pid;
	int status;

	unlink(db);
	pid = spawn(wxd, "0", "24h");
	/* Wait without reaping, so that /proc/PID/io can still be read. */
	waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT);
	t1 = now_s();
	wbytes = io_field(pid, "write_bytes: ");
	wchar = io_field(pid, "wchar: ");
	wait4(pid, &status, 0, &ru);
	snprintf(path, sizeof(path), "%s-wal", db);
	printf("simulated day (1440 records, 5 sensors, --speed 0)\n");
	printf("  wall time            %8.2f s\n", t1 - t0);
	printf("  CPU time             %8.2f s (user %.2f, system %.2f)\n",
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		       ru.ru_stime.tv_usec / 1e6,
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	printf("  peak RSS             %8ld KiB\n", ru.ru_maxrss);
	printf("  written to disk      %8lld KiB (write_bytes; %lld B per record)\n",
	       wbytes / 1024, wbytes / 1440);
	printf("  passed to write()    %8lld KiB (wchar)\n", wchar / 1024);
	printf("  database             %8lld KiB + WAL %lld KiB\n", file_size(db) / 1024,
	       file_size(path) / 1024);
	printf("  exit status          %8d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void latency(const char *wxd, const char *speed, const char *what)
{
	enum { N = 200 };
	double t[N];
	int n = 0, i;
	pid_t pid;

	unlink(db);
	pid = spawn(wxd, speed, "30d");
	for (i = 0; i < 100 && access(sock, F_OK) != 0; i++)
		usleep(50000);
	usleep(200000);
	for (i = 0; i < N; i++) {
		char err[256], *reply;
		double t0 = now_s();

		if (wx_live_query(sock, "read", 3000, &reply, err, sizeof(err)) == 0) {
			t[n++] = (now_s() - t0) * 1e3;
			free(reply);
		}
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	qsort(t, (size_t)n, sizeof(t[0]), cmp);
	if (n)
		printf("  %-28s median %6.3f ms, 95th percentile %6.3f ms (%d reads)\n", what,
		       t[n / 2], t[n * 95 / 100], n);
	else
		printf("  %-28s no answer\n", what);
}

int main(int argc, char **argv)
{
	char wxd[256];
	FILE *f;

	if (argc != 2 || !mkdtemp(dir))
		return 2;
	snprintf(wxd, sizeof(wxd), "%s/wxd", argv[1]);
	snprintf(conf, sizeof(conf), "%s/wxd.conf", dir);
	snprintf(db, sizeof(db), "%s/wx.db", dir);
	snprintf(sock, sizeof(sock), "%s/wxd.sock", dir);
	f = fopen(conf, "w");
	if (!f)
		return 1;
	fprintf(f, "[station]\nid = bench\ndatabase = %s\nsocket = %s\n", db, sock);
	fclose(f);

	day(wxd);
	printf("live read through the socket (wxctl read)\n");
	latency(wxd, "1", "daemon idle (real time)");
	latency(wxd, "0", "daemon busy (flat out)");
	if (system("rm -rf /tmp/wxbench.*") != 0)
		return 1;
	return 0;
}
