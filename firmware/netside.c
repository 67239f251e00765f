/* The sampler's side of the split: see netside.h.  The child is started
 * with posix_spawn() (the loop's threads make fork() without exec unsafe),
 * with the signal mask the loop blocked cleared again; it finds the
 * executable beside our own (/proc/self/exe), so a build tree and an
 * installed system both work. */
#include "firmware/netside.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "firmware/core/log.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define STOP_WAIT_MS 11000		/* uploads get 10 s (docs/contract.md "Stopping") */

extern char **environ;

struct wx_netside {
	bool wanted;			/* the config gives it work */
	bool supervise;			/* we run it as our child */
	char exe[PATH_MAX];
	char config[PATH_MAX];
	bool sim, verbose;
	pid_t pid;			/* 0: not running */
	int64_t started_ms, restart_at_ms;
	int64_t backoff_ms;
	unsigned restarts;
	bool gave_up;			/* configuration error: not restarted */

	struct wx_status *uploads;	/* the last report's uploads, sanitised */
	int64_t report_ms;		/* when (monotonic), 0 = never */
	int64_t open_ms;
};

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void spawn(struct wx_netside *n)
{
	char *argv[6];
	int argc = 0, e;
	posix_spawnattr_t at;
	sigset_t none, def;
	pid_t pid;

	argv[argc++] = n->exe;
	argv[argc++] = "-c";
	argv[argc++] = n->config;
	if (n->sim)
		argv[argc++] = "--sim";
	if (n->verbose)
		argv[argc++] = "-v";
	argv[argc] = NULL;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	e = posix_spawn(&pid, n->exe, NULL, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	n->started_ms = now_ms();
	if (e) {
		n->pid = 0;
		n->restart_at_ms = n->started_ms + n->backoff_ms;
		wx_log_warnx("network side %s: cannot start: %s (again in %lld s)", n->exe,
			     strerror(e), (long long)(n->backoff_ms / 1000));
		n->backoff_ms = n->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : n->backoff_ms * 2;
		return;
	}
	n->pid = pid;
	wx_log_info("network side %s started (pid %d)", n->exe, (int)pid);
}

struct wx_netside *wx_netside_open(const struct wx_config *cfg, const char *config_path,
				   bool sim, bool verbose)
{
	struct wx_netside *n = calloc(1, sizeof(*n));
	const char *unit = getenv("WXD_NET_UNIT");
	ssize_t len;
	char *slash;

	if (!n)
		return NULL;
	n->wanted = wx_config_network_wanted(cfg);
	n->sim = sim;
	n->verbose = verbose;
	n->backoff_ms = BACKOFF_MIN_MS;
	n->open_ms = now_ms();
	n->supervise = n->wanted && !(unit && strcmp(unit, "1") == 0);
	if (!n->supervise)
		return n;
	/* An absolute path: the child may chdir, and the config name is ours. */
	if (!realpath(config_path, n->config))
		snprintf(n->config, sizeof(n->config), "%s", config_path);
	len = readlink("/proc/self/exe", n->exe, sizeof(n->exe) - 16);
	if (len < 0)
		len = 0;
	n->exe[len] = '\0';
	slash = strrchr(n->exe, '/');
	snprintf(slash ? slash + 1 : n->exe, sizeof(n->exe) - (size_t)(slash ? slash + 1 - n->exe : 0),
		 "wxd-net");
	spawn(n);
	return n;
}

void wx_netside_poll(struct wx_netside *n, bool sigchld)
{
	int status;
	pid_t r;

	if (!n || !n->supervise)
		return;
	if (n->pid > 0) {
		if (!sigchld)
			return;
		r = waitpid(n->pid, &status, WNOHANG);
		if (r != n->pid)
			return;
		n->pid = 0;
		if (now_ms() - n->started_ms >= BACKOFF_MAX_MS)
			n->backoff_ms = BACKOFF_MIN_MS;	/* it ran well for a while */
		n->restart_at_ms = now_ms() + n->backoff_ms;
		if (WIFEXITED(status) && (WEXITSTATUS(status) == 78 || WEXITSTATUS(status) == 0)) {
			/* 78: its configuration is wrong, 0: it has nothing to do. */
			n->gave_up = true;
			wx_log_warnx("network side %s exited with status %d: not restarted", n->exe,
				     WEXITSTATUS(status));
		} else if (WIFEXITED(status)) {
			wx_log_warnx("network side %s exited with status %d: restarting in %lld s",
				     n->exe, WEXITSTATUS(status), (long long)(n->backoff_ms / 1000));
		} else {
			wx_log_warnx("network side %s killed by signal %d: restarting in %lld s",
				     n->exe, WTERMSIG(status), (long long)(n->backoff_ms / 1000));
		}
		n->backoff_ms = n->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : n->backoff_ms * 2;
		return;
	}
	if (!n->gave_up && now_ms() >= n->restart_at_ms) {
		n->restarts++;
		spawn(n);
	}
}

int wx_netside_report(struct wx_netside *n, const char *json)
{
	struct wx_status *ups;
	cJSON *in;

	if (!n || strlen(json) > WX_NETSIDE_MAX_REPORT)
		return -EINVAL;
	in = cJSON_Parse(json);
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(in, "uploads")) ||
	    !(ups = calloc(1, sizeof(*ups)))) {
		cJSON_Delete(in);
		return -EINVAL;
	}
	/* Whatever is not understood is left out (status.h): the rest is kept. */
	wx_status_uploads_from_cjson(cJSON_GetObjectItemCaseSensitive(in, "uploads"), ups, NULL, 0);
	cJSON_Delete(in);
	free(n->uploads);
	n->uploads = ups;
	n->report_ms = now_ms();
	return 0;
}

void wx_netside_fill(struct wx_netside *n, struct wx_status *st)
{
	struct wx_status_network *net = &st->network;
	int64_t now = now_ms();
	bool fresh = n && n->report_ms && now - n->report_ms <= WX_NETSIDE_STALE_S * 1000;
	const char *state;

	st->has |= WX_ST_UPLOADS | WX_ST_NETWORK;
	st->n_uploads = 0;
	if (n && n->uploads) {
		st->n_uploads = n->uploads->n_uploads;
		memcpy(st->uploads, n->uploads->uploads, sizeof(st->uploads));
	}
	memset(net, 0, sizeof(*net));
	if (!n)
		return;
	if (!n->wanted)
		state = "not configured";
	else if (fresh)
		state = "running";
	else if (n->supervise && n->pid <= 0)
		state = "not running";
	else if (!n->report_ms && now - n->open_ms <= WX_NETSIDE_STALE_S * 1000)
		state = "starting";
	else if (n->supervise)
		state = "not responding";	/* alive but silent for too long */
	else
		state = "not running";	/* its unit stopped, or silent for too long */
	net->has = WX_NET_CONFIGURED | WX_NET_RUNNING | WX_NET_STATUS | WX_NET_PROCESS |
		   WX_NET_RESTARTS;
	net->configured = n->wanted;
	net->running = fresh;
	snprintf(net->status, sizeof(net->status), "%s", state);
	snprintf(net->process, sizeof(net->process), "%s",
		 n->supervise ? "child" : n->wanted ? "unit" : "none");
	if (n->supervise && n->pid > 0) {
		net->has |= WX_NET_PID;
		net->pid = n->pid;
	}
	net->restarts = n->restarts;
	if (n->report_ms) {
		net->has |= WX_NET_REPORT_AGE;
		net->report_age_s = (now - n->report_ms) / 1000;
	}
}

void wx_netside_status(struct wx_netside *n, cJSON *o)
{
	struct wx_status *st = calloc(1, sizeof(*st));
	cJSON *ups, *net;

	if (!st)
		return;
	wx_netside_fill(n, st);
	ups = wx_status_uploads_to_cjson(st);
	if (ups)
		cJSON_AddItemToObject(o, "uploads", ups);
	net = wx_status_network_to_cjson(&st->network);
	if (net)
		cJSON_AddItemToObject(o, "network", net);
	free(st);
}

void wx_netside_close(struct wx_netside *n)
{
	int64_t until;
	int status;

	if (!n)
		return;
	if (n->supervise && n->pid > 0) {
		kill(n->pid, SIGTERM);
		until = now_ms() + STOP_WAIT_MS;
		while (waitpid(n->pid, &status, WNOHANG) == 0) {
			if (now_ms() >= until) {
				wx_log_warnx("network side (pid %d) not stopped after %d s: killing it",
					     (int)n->pid, STOP_WAIT_MS / 1000);
				kill(n->pid, SIGKILL);
				waitpid(n->pid, &status, 0);
				break;
			}
			nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
		}
	}
	free(n->uploads);
	free(n);
}
