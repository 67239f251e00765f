/* wxd: the weather station daemon.  See wxd(8) and README.md. */
#include <getopt.h>
#include <malloc.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "firmware/core/config.h"
#include "firmware/daemon.h"
#include "firmware/core/log.h"
#include "firmware/core/timeparse.h"

#define EXIT_USAGE 2
#define EXIT_CONFIG 78

static void usage_and_exit(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: wxd [-c FILE] [--sim] [--speed X] [--start WHEN] [--duration SPAN]\n"
		"           [--check-config] [--version] [--help]\n"
		"  -c FILE          configuration (default " WX_CONFIG_DEFAULT_PATH ")\n"
		"  --sim            simulated sensors (the profile's when the config names none)\n"
		"  --speed X        with --sim: station time X times real time, 0 = flat out\n"
		"  --start WHEN     with --sim: station time starts at WHEN (ISO 8601, Unix\n"
		"                   seconds, or relative like -24h) instead of now\n"
		"  --duration SPAN  stop cleanly after SPAN of station time (90s, 15m, 24h, 7d)\n"
		"  --check-config   validate the configuration (and read its secret files) and exit\n"
		"Exit status: 0 ok, 1 runtime failure, 2 usage, 78 configuration.\n");
	exit(code);
}

static double parse_speed_or_die(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (!*s || *end || !(v >= 0) || v > 1e6) {
		fprintf(stderr, "wxd: --speed: \"%s\" is not a number from 0 to 1000000\n", s);
		exit(EXIT_USAGE);
	}
	return v;
}

static int64_t parse_span_or_die(const char *s)
{
	int64_t v;

	if (wx_parse_span(s, &v) || v == 0) {
		fprintf(stderr, "wxd: --duration: \"%s\" is not a span like 90s, 15m, 24h or 7d\n", s);
		exit(EXIT_USAGE);
	}
	return v;
}

static int64_t parse_start_or_die(const char *s)
{
	int64_t ts;

	if (wx_parse_when(s, (int64_t)time(NULL), &ts)) {
		fprintf(stderr, "wxd: --start: \"%s\" is not a time (ISO 8601 like "
			"2026-11-22T14:00, Unix seconds, or relative like -24h)\n", s);
		exit(EXIT_USAGE);
	}
	return ts;
}

/* The sampler should cost a Pi Zero at most 4 MB (issue 15).  SQLite
 * preallocates 20 cache pages for every file it opens and writes through
 * them (78 KB here, measured with sqlite3_memory_used()); the archive's few
 * hot pages are cached anyway, so let the cache grow on demand.  (Debian's
 * SQLite is built without lookaside, the other per-connection block.)  One
 * malloc arena: the threads allocate little, and an arena of each one's own
 * kept up to 100 KB resident. */
static void small_memory(void)
{
	sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)0, 0, 0);
	mallopt(M_ARENA_MAX, 1);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sim", no_argument, NULL, 's' },
		{ "speed", required_argument, NULL, 'x' },
		{ "duration", required_argument, NULL, 'd' },
		{ "start", required_argument, NULL, 't' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = WX_CONFIG_DEFAULT_PATH;
	struct wx_daemon_opts opts = { .speed = 1 };
	bool check = false, speed_given = false;
	static struct wx_config cfg;
	char err[4096];
	int c;

	wx_log_init("wxd");
	small_memory();
	while ((c = getopt_long(argc, argv, "c:hv", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 's': opts.sim = true; break;
		case 'x': opts.speed = parse_speed_or_die(optarg); speed_given = true; break;
		case 'd': opts.duration_s = parse_span_or_die(optarg); break;
		case 't': opts.start_s = parse_start_or_die(optarg); opts.has_start = true; break;
		case 'k': check = true; break;
		case 'v': wx_log_verbose(1); opts.verbose = true; break;
		case 'V': printf("wxd %s\n", WX_VERSION); return 0;
		case 'h': usage_and_exit(0); break;
		default: usage_and_exit(EXIT_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "wxd: unexpected argument \"%s\"\n", argv[optind]);
		usage_and_exit(EXIT_USAGE);
	}
	if (speed_given && !opts.sim) {
		fprintf(stderr, "wxd: --speed needs --sim (real sensors run in real time)\n");
		return EXIT_USAGE;
	}
	if (opts.has_start && !opts.sim) {
		fprintf(stderr, "wxd: --start needs --sim (real sensors measure now)\n");
		return EXIT_USAGE;
	}
	/* The secret files are read here, as the user wxd runs as: a bad one is
	 * a configuration error (78, not restarted) rather than an uploader
	 * failing later. */
	if (wx_config_load_checked(&cfg, path, WX_CONFIG_CHECK_SECRETS | WX_CONFIG_CHECK_SECRETS_READ,
				   err, sizeof(err))) {
		wx_log_errlines(err);
		return EXIT_CONFIG;
	}
	if (opts.sim && !cfg.any_sensor_section)
		wx_config_enable_all_sensors(&cfg);
	if (check) {
		printf("%s: ok\n", path);
		return 0;
	}
	opts.config_path = path;
	return wx_daemon_run(&cfg, &opts) == 0 ? 0 : 1;
}
