#include "firmware/core/live.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "firmware/core/log.h"

#define MAX_CLIENTS 16
#define LINE_MAX_LEN WX_LIVE_LINE_MAX
#define CLIENT_TIMEOUT_S 5

struct client {
	int fd;
	char buf[LINE_MAX_LEN];
	size_t len;
	char *out;		/* reply being written */
	size_t out_len, out_off;
	time_t since;
};

struct wx_live {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;		/* the socket file we made: only it is removed */
	ino_t ino;
	wx_live_answer answer;
	void *arg;
	/* A slot is made at its first client and kept: NULL or fd < 0 is free.
	 * (4 KiB each: made on demand, an idle sampler touches none of them.) */
	struct client *clients[MAX_CLIENTS];
};

static int make_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/* Is somebody listening at path?  Then it is not ours to replace. */
static bool in_use(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool used;

	if (fd < 0)
		return false;
	used = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return used;
}

struct wx_live *wx_live_open(const char *path, wx_live_answer answer, void *arg,
			     char *err, size_t errlen)
{
	struct wx_live *l;
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int e;

	if (make_addr(path, &sa)) {
		snprintf(err, errlen, "socket %s: path too long", path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	/* Only a socket is ever replaced: anything else at the path (the
	 * archive, when socket = database) is somebody's data. */
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "socket %s: a file that is not a socket is there; not "
			 "replacing it (is [station] socket the database's path?)", path);
		errno = EEXIST;
		return NULL;
	}
	if (in_use(&sa)) {
		snprintf(err, errlen, "socket %s: another wxd is already running there", path);
		errno = EADDRINUSE;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->answer = answer;
	l->arg = arg;
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->fd < 0)
		goto fail;
	/* A stale socket left by a crash (checked above: a socket, nobody
	 * listening).  Checked again just before, so that a file put there
	 * meanwhile is not removed either. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	/* Owner and group only, from the first moment the file exists. */
	old = umask(0117);
	e = bind(l->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (e < 0 || chmod(path, 0660) < 0 || listen(l->fd, 8) < 0 || lstat(path, &st) < 0)
		goto fail;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	return l;
fail:
	e = errno;
	snprintf(err, errlen, "socket %s: %s%s", path, strerror(e),
		 e == ENOENT ? " (does its directory exist?)" : "");
	if (l->fd >= 0)
		close(l->fd);
	free(l);
	errno = e;
	return NULL;
}

static bool busy(const struct client *c)
{
	return c && c->fd >= 0;
}

static void drop(struct client *c)
{
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void wx_live_close(struct wx_live *l)
{
	struct stat st;

	if (!l)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (busy(l->clients[i]))
			drop(l->clients[i]);
		free(l->clients[i]);
	}
	close(l->fd);
	/* Remove our socket, not whatever has replaced it since. */
	if (lstat(l->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == l->dev &&
	    st.st_ino == l->ino)
		unlink(l->path);
	free(l);
}

int wx_live_pollfds(struct wx_live *l, struct pollfd *fds, int max)
{
	int n = 0;

	if (max < 1)
		return 0;
	fds[n++] = (struct pollfd){ .fd = l->fd, .events = POLLIN };
	for (int i = 0; i < MAX_CLIENTS && n < max; i++)
		if (busy(l->clients[i]))
			fds[n++] = (struct pollfd){
				.fd = l->clients[i]->fd,
				.events = l->clients[i]->out ? POLLOUT : POLLIN,
			};
	return n;
}

char *wx_live_error_json(const char *command)
{
	cJSON *o = cJSON_CreateObject();
	char msg[128];
	char *s;

	snprintf(msg, sizeof(msg), "unknown command \"%.40s\" (try read or status)", command);
	cJSON_AddStringToObject(o, "error", msg);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void accept_clients(struct wx_live *l)
{
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int i;

		if (fd < 0)
			return;
		for (i = 0; i < MAX_CLIENTS && busy(l->clients[i]); i++)
			;
		if (i < MAX_CLIENTS && !l->clients[i])
			l->clients[i] = calloc(1, sizeof(*l->clients[i]));
		if (i == MAX_CLIENTS || !l->clients[i]) {
			close(fd);	/* busy (or no memory): the client retries */
			continue;
		}
		l->clients[i]->fd = fd;
		l->clients[i]->since = time(NULL);
	}
}

static void respond(struct wx_live *l, struct client *c)
{
	char *json;
	size_t n;

	c->buf[c->len] = '\0';
	c->buf[strcspn(c->buf, "\r\n")] = '\0';
	json = l->answer(c->buf, l->arg);
	if (!json)
		json = wx_live_error_json(c->buf);
	if (!json) {
		drop(c);
		return;
	}
	n = strlen(json);
	c->out = malloc(n + 2);
	if (c->out) {
		memcpy(c->out, json, n);
		c->out[n] = '\n';
		c->out[n + 1] = '\0';
	}
	free(json);
	if (!c->out) {
		drop(c);
		return;
	}
	c->out_len = n + 1;
	c->out_off = 0;
}

static void serve_client(struct wx_live *l, struct client *c)
{
	ssize_t r;

	if (c->out) {
		r = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r < 0 || (c->out_off += (size_t)r) == c->out_len)
			drop(c);
		return;
	}
	r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		drop(c);
		return;
	}
	c->len += (size_t)r;
	if (memchr(c->buf, '\n', c->len) || c->len == sizeof(c->buf) - 1)
		respond(l, c);
}

void wx_live_serve(struct wx_live *l, const struct pollfd *fds, int n)
{
	time_t now = time(NULL);

	for (int k = 0; k < n; k++) {
		if (!fds[k].revents)
			continue;
		if (fds[k].fd == l->fd) {
			accept_clients(l);
			continue;
		}
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (busy(l->clients[i]) && l->clients[i]->fd == fds[k].fd) {
				serve_client(l, l->clients[i]);
				break;
			}
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (busy(l->clients[i]) && now - l->clients[i]->since > CLIENT_TIMEOUT_S)
			drop(l->clients[i]);
}

/* ---- client -------------------------------------------------------------- */

static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r > 0 ? 0 : r == 0 ? -ETIMEDOUT : -errno;
}

int wx_live_query(const char *path, const char *command, int timeout_ms, char **reply,
		  char *err, size_t errlen)
{
	struct sockaddr_un sa;
	char line[LINE_MAX_LEN];
	size_t len = 0, cap = 4096;
	char *buf = NULL;
	int fd, rc;

	*reply = NULL;
	if (make_addr(path, &sa)) {
		snprintf(err, errlen, "socket %s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket %s: %s", path, strerror(-rc));
		goto out;
	}
	snprintf(line, sizeof(line), "%s\n", command);
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket %s: %s", path, strerror(-rc));
		goto out;
	}
	buf = malloc(cap);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r;

		rc = wait_fd(fd, POLLIN, timeout_ms);
		if (rc) {
			snprintf(err, errlen, "socket %s: no answer: %s", path, strerror(-rc));
			goto out;
		}
		if (len + 1 >= cap) {
			char *nb = cap < (1u << 20) ? realloc(buf, cap * 2) : NULL;

			if (!nb) {
				rc = -EMSGSIZE;
				snprintf(err, errlen, "socket %s: answer too long", path);
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		r = recv(fd, buf + len, cap - 1 - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (memchr(buf, '\n', len))
			break;
	}
	buf[len] = '\0';
	if (!memchr(buf, '\n', len)) {
		rc = -EPROTO;
		snprintf(err, errlen, "socket %s: connection closed before the answer", path);
		goto out;
	}
	buf[strcspn(buf, "\n")] = '\0';
	*reply = buf;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}
