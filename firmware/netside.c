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

#include "firmware/log.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define STOP_WAIT_MS 11000		/* uploads get 10 s (docs/contract.md "Stopping") */
#define MAX_UPLOADS 16
#define NAME_MAX_LEN 32
#define ERROR_MAX_LEN 255

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

	cJSON *uploads;			/* the last report's, sanitised */
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

static bool good_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

static void keep_number(cJSON *to, const cJSON *from, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, key);

	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15)
		cJSON_AddNumberToObject(to, key, (double)(int64_t)v->valuedouble);
}

int wx_netside_report(struct wx_netside *n, const char *json)
{
	cJSON *in, *ups, *out;
	const cJSON *it;
	int count = 0;

	if (!n || strlen(json) > WX_NETSIDE_MAX_REPORT)
		return -EINVAL;
	in = cJSON_Parse(json);
	ups = cJSON_GetObjectItemCaseSensitive(in, "uploads");
	if (!cJSON_IsObject(ups) || !(out = cJSON_CreateObject())) {
		cJSON_Delete(in);
		return -EINVAL;
	}
	cJSON_ArrayForEach(it, ups) {
		const cJSON *conn = cJSON_GetObjectItemCaseSensitive(it, "connected");
		const cJSON *err = cJSON_GetObjectItemCaseSensitive(it, "last_error");
		cJSON *o;

		if (!cJSON_IsObject(it) || !it->string || !good_name(it->string) || count >= MAX_UPLOADS ||
		    cJSON_GetObjectItemCaseSensitive(out, it->string))
			continue;
		o = cJSON_AddObjectToObject(out, it->string);
		if (!o)
			break;
		count++;
		if (cJSON_IsBool(conn))
			cJSON_AddBoolToObject(o, "connected", cJSON_IsTrue(conn));
		keep_number(o, it, "backlog");
		keep_number(o, it, "cursor_ts");
		keep_number(o, it, "sent");
		keep_number(o, it, "skipped");
		keep_number(o, it, "last_success");
		if (cJSON_IsString(err) && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(it, "last_error_at"))) {
			char line[ERROR_MAX_LEN + 1];

			snprintf(line, sizeof(line), "%s", err->valuestring);
			line[strcspn(line, "\r\n")] = '\0';
			cJSON_AddStringToObject(o, "last_error", line);
			keep_number(o, it, "last_error_at");
		}
	}
	cJSON_Delete(in);
	cJSON_Delete(n->uploads);
	n->uploads = out;
	n->report_ms = now_ms();
	return 0;
}

void wx_netside_status(struct wx_netside *n, cJSON *o)
{
	int64_t now = now_ms();
	bool fresh = n && n->report_ms && now - n->report_ms <= WX_NETSIDE_STALE_S * 1000;
	const char *state;
	cJSON *net;

	if (n && n->uploads)
		cJSON_AddItemToObject(o, "uploads", cJSON_Duplicate(n->uploads, 1));
	else
		cJSON_AddObjectToObject(o, "uploads");
	net = cJSON_AddObjectToObject(o, "network");
	if (!net || !n)
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
	cJSON_AddBoolToObject(net, "configured", n->wanted);
	cJSON_AddBoolToObject(net, "running", fresh);
	cJSON_AddStringToObject(net, "status", state);
	cJSON_AddStringToObject(net, "process", n->supervise ? "child" : n->wanted ? "unit" : "none");
	if (n->supervise && n->pid > 0)
		cJSON_AddNumberToObject(net, "pid", n->pid);
	cJSON_AddNumberToObject(net, "restarts", n->restarts);
	if (n->report_ms)
		cJSON_AddNumberToObject(net, "report_age_s", (double)((now - n->report_ms) / 1000));
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
	cJSON_Delete(n->uploads);
	free(n);
}
