/* wxctl: read the station, its archive and its health.  See wxctl(1). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "db/archive.h"
#include "firmware/core/config.h"
#include "firmware/wxctl/direct.h"
#include "db/history.h"
#include "firmware/core/live.h"
#include "firmware/core/log.h"
#include "firmware/wxctl/oracle_import.h"
#include "firmware/wxctl/probe.h"
#include "firmware/core/record_json.h"
#include "firmware/wxctl/status_print.h"
#include "firmware/core/timeparse.h"
#include "firmware/core/units.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
#define EXIT_CONFIG 78
#define WIND_WINDOW_MS 3000
#define SOCKET_TIMEOUT_MS 3000

/* Each command's usage; "wxctl help CMD" and "wxctl CMD --help" print it. */
#define USAGE_READ "wxctl [-c FILE] read [--json] [--direct]\n"
#define USAGE_HISTORY \
	"wxctl [-c FILE] history [--since WHEN] [--until WHEN] [--format table|csv|json]\n" \
	"                        [--layout oracle]\n"
#define USAGE_STATUS "wxctl [-c FILE] status [--json]\n"
#define USAGE_PROBE "wxctl [-c FILE] probe [--watch SECONDS]\n"
#define USAGE_IMPORT "wxctl [-c FILE] import --layout oracle FILE.csv\n"
#define USAGE_WHEN \
	"WHEN: ISO 8601 (2026-11-22T14:00, local unless Z or +hh:mm), Unix seconds, or -24h\n"

static const char usage_text[] =
	"usage: wxctl [--version] [--help] [-c FILE] COMMAND [--help] ...\n"
	"       " USAGE_READ
	"       " USAGE_HISTORY
	"       " USAGE_STATUS
	"       " USAGE_PROBE
	"       " USAGE_IMPORT
	"       wxctl help [COMMAND]\n"
	USAGE_WHEN
	"Exit status: 0 ok, 1 runtime failure (status: anything in error), 2 usage, "
	"78 configuration.\n";

static void usage_and_exit(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

static void load_config_or_die(struct wx_config *cfg, const char *path)
{
	char err[4096];

	/* The secret files must exist; reading them is wxd's business (the user
	 * running wxctl need not be allowed to). */
	if (wx_config_load_checked(cfg, path, WX_CONFIG_CHECK_SECRETS, err, sizeof(err))) {
		wx_log_errlines(err);
		exit(EXIT_CONFIG);
	}
}

/* ---- read ---------------------------------------------------------------- */

static void print_reading(const struct wx_config *cfg, const struct wx_record *r,
			  const cJSON *age, const char *source)
{
	char when[32], value[48];
	time_t t = (time_t)r->ts;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	printf("%s  %s  (%s)\n", cfg->station.id, when, source);
	for (int q = 0; q < WX_QUANTITY_COUNT; q++) {
		const cJSON *a;

		if (!(wx_quantities[q].where & WX_IN_LIVE))
			continue;
		wx_units_format(value, sizeof(value), r, (enum wx_quantity)q, cfg->station.units, true);
		a = age ? cJSON_GetObjectItemCaseSensitive(age, wx_quantities[q].key) : NULL;
		if (cJSON_IsNumber(a))
			printf("  %-20s %-14s %4.0f s ago\n", wx_quantities[q].label, value,
			       a->valuedouble);
		else
			printf("  %-20s %s\n", wx_quantities[q].label, value);
	}
}

static int read_direct(const struct wx_config *cfg, bool json)
{
	struct wx_record r;
	int failed = wx_direct_read(cfg, WIND_WINDOW_MS, &r);

	if (json) {
		char *s = wx_record_to_json(&r, cfg->station.id, WX_IN_LIVE);

		if (!s)
			return EXIT_RUNTIME;
		printf("%s\n", s);
		free(s);
	} else {
		print_reading(cfg, &r, NULL, "read directly");
	}
	return failed ? EXIT_RUNTIME : 0;
}

static int cmd_read(const struct wx_config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "direct", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, direct = false;
	char err[512], *reply;
	cJSON *o;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'd')
			direct = true;
		else
			usage_and_exit(EXIT_USAGE);
	}
	if (optind < argc)
		usage_and_exit(EXIT_USAGE);
	if (direct)
		return read_direct(cfg, json);
	if (wx_live_query(cfg->station.socket, "read", SOCKET_TIMEOUT_MS, &reply, err, sizeof(err))) {
		fprintf(stderr, "wxctl: wxd is not answering (%s); reading the sensors directly\n", err);
		return read_direct(cfg, json);
	}
	if (json) {
		printf("%s\n", reply);
		free(reply);
		return 0;
	}
	o = cJSON_Parse(reply);
	free(reply);
	if (!o) {
		fprintf(stderr, "wxctl: socket %s: answer is not JSON\n", cfg->station.socket);
		return EXIT_RUNTIME;
	}
	struct wx_record r;

	wx_record_from_json(o, &r);
	print_reading(cfg, &r, cJSON_GetObjectItemCaseSensitive(o, "age_s"), "live from wxd");
	cJSON_Delete(o);
	return 0;
}

/* ---- history ------------------------------------------------------------- */

static int64_t parse_when_or_die(const char *opt, const char *s, int64_t now)
{
	int64_t ts;

	if (wx_parse_when(s, now, &ts)) {
		fprintf(stderr, "wxctl: %s: \"%s\" is not a time (ISO 8601 like 2026-11-22T14:00, "
			"Unix seconds, or relative like -24h)\n", opt, s);
		exit(EXIT_USAGE);
	}
	return ts;
}

static int cmd_history(const struct wx_config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "format", required_argument, NULL, 'f' },
		{ "layout", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t now = (int64_t)time(NULL), since = now - 86400, until = now;
	enum wx_history_format format = WX_HISTORY_TABLE;
	bool oracle = false;
	struct wx_archive *a;
	char err[512];
	int c, rc;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': since = parse_when_or_die("--since", optarg, now); break;
		case 'u': until = parse_when_or_die("--until", optarg, now); break;
		case 'f':
			if (!strcmp(optarg, "table"))
				format = WX_HISTORY_TABLE;
			else if (!strcmp(optarg, "csv"))
				format = WX_HISTORY_CSV;
			else if (!strcmp(optarg, "json"))
				format = WX_HISTORY_JSON;
			else {
				fprintf(stderr, "wxctl: --format: \"%s\" is not table, csv or json\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'l':
			if (strcmp(optarg, "oracle") != 0) {
				fprintf(stderr, "wxctl: --layout: \"%s\" is not oracle\n", optarg);
				return EXIT_USAGE;
			}
			oracle = true;
			break;
		default: usage_and_exit(EXIT_USAGE);
		}
	}
	if (optind < argc)
		usage_and_exit(EXIT_USAGE);
	if (oracle && format != WX_HISTORY_CSV) {
		fprintf(stderr, "wxctl: --layout oracle goes with --format csv\n");
		return EXIT_USAGE;
	}
	a = wx_archive_open_ro(cfg->station.database, err, sizeof(err));
	if (!a) {
		fprintf(stderr, "wxctl: %s\n", err);
		return EXIT_RUNTIME;
	}
	rc = wx_history_print(stdout, a, cfg, since, until, format, oracle);
	if (rc)
		fprintf(stderr, "wxctl: %s\n", wx_archive_errmsg(a));
	wx_archive_close(a);
	return rc ? EXIT_RUNTIME : 0;
}

/* ---- status -------------------------------------------------------------- */

static int cmd_status(const struct wx_config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, failing;
	char err[512], why[96], *reply;
	struct wx_status *st;
	cJSON *o;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else
			usage_and_exit(EXIT_USAGE);
	}
	if (optind < argc)
		usage_and_exit(EXIT_USAGE);
	if (wx_live_query(cfg->station.socket, "status", SOCKET_TIMEOUT_MS, &reply, err,
			  sizeof(err))) {
		fprintf(stderr, "wxctl: wxd is not answering (%s): is it running? "
			"(systemctl status wxd)\n", err);
		return EXIT_RUNTIME;
	}
	o = cJSON_Parse(reply);
	if (!o || !(st = malloc(sizeof(*st)))) {
		free(reply);
		cJSON_Delete(o);
		fprintf(stderr, "wxctl: socket %s: answer is not JSON\n", cfg->station.socket);
		return EXIT_RUNTIME;
	}
	/* What is not understood is left out and said once; the rest is shown. */
	if (wx_status_from_cjson(o, st, err, sizeof(err)) < 0)
		fprintf(stderr, "wxctl: socket %s: %s\n", cfg->station.socket, err);
	cJSON_Delete(o);
	if (json)
		printf("%s\n", reply);
	else
		wx_status_print(stdout, st);
	free(reply);
	/* Scripts and monitoring read the exit status: 1 when anything is in
	 * error (docs/contract.md "Exit codes"). */
	failing = wx_status_in_error(st, why, sizeof(why));
	free(st);
	return failing ? EXIT_RUNTIME : 0;
}

/* ---- probe -------------------------------------------------------------- */

#define PROBE_WATCH_S 3
#define PROBE_WATCH_MAX_S 60

static int cmd_probe(const struct wx_config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "watch", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct wx_probe_env env = { .sysfs_root = "/sys", .watch_ms = PROBE_WATCH_S * 1000 };
	char *end;
	long s;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 'w')
			usage_and_exit(EXIT_USAGE);
		s = strtol(optarg, &end, 10);
		if (end == optarg || *end || s < 0 || s > PROBE_WATCH_MAX_S) {
			fprintf(stderr, "wxctl: --watch: \"%s\" is not 0..%d seconds\n", optarg,
				PROBE_WATCH_MAX_S);
			return EXIT_USAGE;
		}
		env.watch_ms = (int)s * 1000;
	}
	if (optind < argc)
		usage_and_exit(EXIT_USAGE);
	return wx_probe_run(cfg, &env, stdout) ? EXIT_RUNTIME : 0;
}

/* ---- import ------------------------------------------------------------- */

struct importer {
	struct wx_archive *a;
	double altitude_m;
	unsigned long inserted, duplicates;
	char err[512];
};

static int import_row(const struct wx_record *r, void *arg)
{
	struct importer *im = arg;
	struct wx_record d = *r;
	int rc;

	/* The kit stored no dew point or sea-level pressure: derive them as
	 * wxd does for its own records. */
	wx_record_derive(&d, im->altitude_m);
	rc = wx_archive_insert(im->a, &d, im->err, sizeof(im->err));

	if (rc == -EEXIST) {
		im->duplicates++;	/* the stored record is kept */
		return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "wxctl: %s\n", im->err);
		return rc;
	}
	im->inserted++;
	return 0;
}

static void import_error(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

static int cmd_import(const struct wx_config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "layout", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct wx_oracle_import_stats st = { 0 };
	struct importer im = { 0 };
	bool oracle = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'l' && strcmp(optarg, "oracle") == 0) {
			oracle = true;
		} else if (c == 'l') {
			fprintf(stderr, "wxctl: --layout: \"%s\" is not oracle\n", optarg);
			return EXIT_USAGE;
		} else {
			usage_and_exit(EXIT_USAGE);
		}
	}
	if (!oracle || optind != argc - 1) {
		fprintf(stderr, "wxctl: import needs --layout oracle and one FILE.csv\n");
		return EXIT_USAGE;
	}
	im.altitude_m = cfg->station.altitude_m;
	im.a = wx_archive_open(cfg->station.database, im.err, sizeof(im.err));
	if (!im.a) {
		fprintf(stderr, "wxctl: %s\n", im.err);
		return EXIT_RUNTIME;
	}
	rc = wx_oracle_import_file(argv[optind], import_row, import_error, &im, &st);
	wx_archive_close(im.a);
	printf("%s: %lu records imported, %lu already in the archive (kept), %lu lines rejected\n",
	       argv[optind], im.inserted, im.duplicates, st.rejected);
	return rc < 0 || st.rejected ? EXIT_RUNTIME : 0;
}

/* ---- main ---------------------------------------------------------------- */

static const struct command {
	const char *name;
	int (*run)(const struct wx_config *cfg, int argc, char **argv);
	const char *usage;
	const char *about;
} commands[] = {
	{ "read", cmd_read, USAGE_READ,
	  "Live readings from the running wxd, or read from the sensors directly\n"
	  "(--direct, or when wxd does not answer). --json for scripts.\n" },
	{ "history", cmd_history, USAGE_HISTORY,
	  "Archive records (default: the last 24 h) as a table with a summary, CSV\n"
	  "(ts, time_local, then the archive columns) or JSON; --layout oracle with\n"
	  "--format csv writes the original Oracle Weather Station columns.\n" USAGE_WHEN },
	{ "status", cmd_status, USAGE_STATUS,
	  "Health of every sensor, the archive, the clock and each upload.\n"
	  "Exits 1 when wxd does not answer or anything is in error.\n" },
	{ "probe", cmd_probe, USAGE_PROBE,
	  "Check the wiring of every configured device and say what to fix\n"
	  "(stop wxd first: it holds the GPIO lines).\n" },
	{ "import", cmd_import, USAGE_IMPORT,
	  "Load rows exported from the Oracle Weather Station table WEATHER_MEASUREMENT.\n" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

static int print_command_help(const struct command *cmd)
{
	printf("usage: %s%s", cmd->usage, cmd->about);
	return 0;
}

/* "--help" among a command's arguments (before a "--"). */
static bool asks_for_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

/* wxctl help [COMMAND]: no configuration is read. */
static int cmd_help(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		fputs(usage_text, stdout);
		return 0;
	}
	cmd = find_command(argv[1]);
	if (!cmd || argc > 2) {
		fprintf(stderr, "wxctl: help: \"%s\" is not a command\n", argv[argc > 2 ? 2 : 1]);
		usage_and_exit(EXIT_USAGE);
	}
	return print_command_help(cmd);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = WX_CONFIG_DEFAULT_PATH;
	const struct command *cmd;
	static struct wx_config cfg;
	int c;

	wx_log_init("wxctl");
	/* "+": options after the command belong to the command. */
	while ((c = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'V': printf("wxctl %s\n", WX_VERSION); return 0;
		case 'h': usage_and_exit(0); break;
		default: usage_and_exit(EXIT_USAGE);
		}
	}
	if (optind >= argc)
		usage_and_exit(EXIT_USAGE);
	argc -= optind;
	argv += optind;
	optind = 1;	/* the command's own options */
	if (!strcmp(argv[0], "help"))
		return cmd_help(argc, argv);
	cmd = find_command(argv[0]);
	if (!cmd) {
		fprintf(stderr, "wxctl: unknown command \"%s\"\n", argv[0]);
		usage_and_exit(EXIT_USAGE);
	}
	/* Usage needs no configuration: --help works on a fresh install. */
	if (asks_for_help(argc, argv))
		return print_command_help(cmd);
	load_config_or_die(&cfg, path);
	return cmd->run(&cfg, argc, argv);
}
