/* wxd-net: the network side of the station (README "Processes", wxd(8)).
 *
 * It runs the uploaders of uploader/uploaders.h's table and the web page
 * (web/web.h), with no access to the sensors and the archive
 * open read-only; upload progress lives in its own state file
 * (uploader/state.h).  wxd starts it as a child when the configuration
 * gives it work, or systemd runs it as wxd-net.service.
 *
 * Its loop: once a second it asks its read-only archive connection for
 * PRAGMA data_version and kicks the uploaders when another connection
 * (the sampler) committed; when its uploads' status changed, and at least
 * every WX_NETSIDE_REPORT_S seconds, it sends it to the sampler over the
 * live socket ("net-status {json}"), where "wxctl status" shows it.
 * SIGTERM or SIGINT: uploads get up to 10 s to deliver what is pending
 * (docs/contract.md "Stopping"). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "db/archive.h"
#include "firmware/core/config.h"
#include "firmware/core/live.h"
#include "firmware/core/log.h"
#include "firmware/netside.h"
#include "firmware/notify.h"
#include "firmware/sensors.h"
#include "uploader/uploaders.h"
#include "web/web.h"

#define EXIT_USAGE 2
#define EXIT_CONFIG 78
#define POLL_MS 1000		/* new records are looked for once a second */
#define STOP_GRACE_MS 10000

static void usage_and_exit(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: wxd-net [-c FILE] [--sim] [--version] [--help]\n"
		"  -c FILE   configuration (default " WX_CONFIG_DEFAULT_PATH ")\n"
		"  --sim     as wxd --sim (all five sensors when the config names none)\n"
		"The network side of wxd: uploads (and the web page).  wxd starts it;\n"
		"see wxd(8).  Exit status: 0 ok or nothing to do, 1 runtime failure,\n"
		"2 usage, 78 configuration.\n");
	exit(code);
}

static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The archive's data_version, read on our own read-only connection (opened,
 * and reopened after the file was replaced, as needed).  Changed since the
 * last call (or the archive appeared): true. */
static bool archive_changed(const char *path, struct wx_archive **a, int64_t *last)
{
	char err[512];
	int64_t v;

	if (*a && wx_archive_check_files(*a) != WX_ARCHIVE_FILES_OK) {
		wx_archive_close(*a);
		*a = NULL;
	}
	if (!*a) {
		if (access(path, F_OK) != 0 || !(*a = wx_archive_open_reader(path, err, sizeof(err))))
			return false;	/* the uploaders say why in their status */
		wx_archive_data_version(*a, last);
		return true;
	}
	if (wx_archive_data_version(*a, &v) != 0 || v == *last)
		return false;
	*last = v;
	return true;
}

/* Our uploads' status as the report's JSON (malloc'd), or NULL: the
 * "uploads" of struct wx_status (firmware/core/status.h). */
static char *uploads_json(struct wx_uploaders *set)
{
	struct wx_status *st = calloc(1, sizeof(*st));
	char *json = NULL;
	cJSON *ups;

	for (int i = 0; st && i < wx_uploaders_count(set); i++)
		wx_uploaders_status_fill(set, i, st);
	ups = st ? wx_status_uploads_to_cjson(st) : NULL;
	free(st);
	if (ups) {
		cJSON *o = cJSON_CreateObject();

		if (o && cJSON_AddItemToObject(o, "uploads", ups))
			json = cJSON_PrintUnformatted(o);
		else
			cJSON_Delete(ups);
		cJSON_Delete(o);
	}
	return json;
}

/* Send it to the sampler, on one line. */
static void report(const struct wx_config *cfg, const char *json)
{
	char *line = NULL, *reply = NULL, err[256];

	if (asprintf(&line, "net-status %s", json) > 0 &&
	    strlen(line) <= WX_NETSIDE_MAX_REPORT + 11)
		/* The sampler may be gone or busy: never more than a second. */
		if (wx_live_query(cfg->station.socket, line, 1000, &reply, err, sizeof(err)) != 0)
			wx_log_debug("status report: %s", err);
	free(reply);
	free(line);
}

static int run(const struct wx_config *cfg)
{
	struct wx_uploaders *set;
	struct wx_web *web = NULL;
	struct wx_archive *archive = NULL;
	int64_t version = 0, next_report = 0;
	char *sent = NULL;		/* the last report's JSON */
	sigset_t sigs;
	char err[512];
	int sigfd;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	/* Blocked before the uploaders' threads start, so they inherit it. */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd < 0) {
		wx_log_warn("signalfd");
		return 1;
	}
	set = wx_uploaders_start(cfg, wx_sensors_quantities(cfg), err, sizeof(err));
	if (!set) {
		wx_log_warnx("%s", err);
		close(sigfd);
		return EXIT_CONFIG;
	}
	if (cfg->web.enabled) {
		web = wx_web_start(cfg, err, sizeof(err));
		if (!web) {
			/* The port taken or the address wrong: say so and go on
			 * uploading; the sampler restarts nothing for it. */
			wx_log_warnx("%s", err);
		}
	}
	wx_log_info("network side started: %d upload%s%s, archive %s (read-only)",
		    wx_uploaders_count(set), wx_uploaders_count(set) == 1 ? "" : "s",
		    web ? ", web page" : "", cfg->station.database);
	wx_notify("READY=1");
	for (;;) {
		struct pollfd p = { .fd = sigfd, .events = POLLIN };
		struct signalfd_siginfo si;
		int64_t now = mono_ms();

		if (archive_changed(cfg->station.database, &archive, &version))
			wx_uploaders_kick(set);
		/* A report when the status changed (an upload went, failed,
		 * connected), else every WX_NETSIDE_REPORT_S: each one wakes
		 * the sampler. */
		char *json = uploads_json(set);

		if (json && (now >= next_report || !sent || strcmp(json, sent) != 0)) {
			report(cfg, json);
			free(sent);
			sent = json;
			json = NULL;
			next_report = now + WX_NETSIDE_REPORT_S * 1000;
		}
		free(json);
		if (poll(&p, 1, POLL_MS) > 0 && read(sigfd, &si, sizeof(si)) == sizeof(si)) {
			wx_log_info("signal %u: stopping", si.ssi_signo);
			break;
		}
	}
	free(sent);
	wx_notify("STOPPING=1");
	wx_web_stop(web);
	wx_uploaders_kick(set);
	wx_uploaders_stop(set, STOP_GRACE_MS);
	wx_archive_close(archive);
	close(sigfd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sim", no_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = WX_CONFIG_DEFAULT_PATH;
	static struct wx_config cfg;
	bool sim = false;
	char err[4096];
	int c;

	/* Nothing of the sampler's: no device, no archive written through an
	 * inherited descriptor. */
	close_range(3, ~0U, 0);
	wx_log_init("wxd-net");
	while ((c = getopt_long(argc, argv, "c:hv", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 's': sim = true; break;
		case 'v': wx_log_verbose(1); break;
		case 'V': printf("wxd-net %s\n", WX_VERSION); return 0;
		case 'h': usage_and_exit(0); break;
		default: usage_and_exit(EXIT_USAGE);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "wxd-net: unexpected argument \"%s\"\n", argv[optind]);
		usage_and_exit(EXIT_USAGE);
	}
	if (wx_config_load_checked(&cfg, path, WX_CONFIG_CHECK_SECRETS | WX_CONFIG_CHECK_SECRETS_READ,
				   err, sizeof(err))) {
		wx_log_errlines(err);
		return EXIT_CONFIG;
	}
	if (sim && !cfg.any_sensor_section)
		wx_config_enable_all_sensors(&cfg);
	if (!wx_config_network_wanted(&cfg)) {
		wx_log_info("%s: no upload (or web) section: nothing to do", path);
		return 0;
	}
	return run(&cfg);
}
