/* libFuzzer target: the daemon's live socket server (firmware/core/live.c).  A
 * real server listens on a Unix socket in a temporary directory; each input
 * is written into it by a client connection, in chunks whose size the first
 * input byte picks, while wx_live_serve() runs between the chunks, and the
 * reply is read back.  Checked: the answer callback gets one NUL-terminated
 * line without CR or LF that fits the server's buffer, and every reply is
 * exactly one line of valid JSON. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "firmware/core/live.h"
#include "firmware/core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char sock_path[108];
static char sock_dir[64];

static char *answer(const char *command, void *arg)
{
	(void)arg;
	if (strlen(command) >= WX_LIVE_LINE_MAX || strpbrk(command, "\r\n"))
		abort();
	if (strcmp(command, "read") == 0)
		return strdup("{\"ts\":1700000000,\"station\":\"fuzz\",\"temperature_c\":12.5}");
	if (strcmp(command, "status") == 0)
		return strdup("{\"version\":\"fuzz\",\"sensors\":{}}");
	return NULL;	/* the server answers wx_live_error_json(command) */
}

static void cleanup(void)
{
	unlink(sock_path);
	rmdir(sock_dir);
}

static struct wx_live *server(void)
{
	static struct wx_live *l;
	char err[256];

	if (l)
		return l;
	wx_log_quiet(1);
	snprintf(sock_dir, sizeof(sock_dir), "/tmp/wx-fuzz-live-XXXXXX");
	if (!mkdtemp(sock_dir))
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/wxd.sock", sock_dir);
	l = wx_live_open(sock_path, answer, NULL, err, sizeof(err));
	if (!l) {
		fprintf(stderr, "fuzz_live: %s\n", err);
		abort();
	}
	atexit(cleanup);
	return l;
}

/* One round of the daemon's poll loop. */
static void serve(struct wx_live *l, int timeout_ms)
{
	struct pollfd fds[32];
	int n = wx_live_pollfds(l, fds, 32);

	if (poll(fds, (nfds_t)n, timeout_ms) > 0)
		wx_live_serve(l, fds, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wx_live *l = server();
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char reply[4096];
	size_t chunk, off = 0, got = 0;
	int fd;

	if (size < 1)
		return 0;
	chunk = data[0] ? data[0] : 1;
	data++;
	size--;
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	serve(l, 100);		/* accept */
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		ssize_t w = send(fd, data + off, n, MSG_NOSIGNAL);

		if (w <= 0)
			break;	/* the server answered and hung up already */
		off += (size_t)w;
		serve(l, 100);
	}
	shutdown(fd, SHUT_WR);
	/* Run the server until it closes the connection: the reply, or a drop. */
	for (int round = 0; round < 200; round++) {
		ssize_t r = recv(fd, reply + got, sizeof(reply) - 1 - got, 0);

		if (r == 0)
			break;
		if (r > 0) {
			got += (size_t)r;
			if (got == sizeof(reply) - 1)
				abort();	/* no reply is that long */
			continue;
		}
		if (errno != EAGAIN && errno != EINTR)
			break;
		serve(l, 10);
	}
	close(fd);
	serve(l, 0);
	reply[got] = '\0';
	if (got) {
		cJSON *o;

		if (reply[got - 1] != '\n' || memchr(reply, '\n', got - 1))
			abort();	/* one line */
		reply[got - 1] = '\0';
		o = cJSON_Parse(reply);
		if (!cJSON_IsObject(o))
			abort();	/* of JSON */
		cJSON_Delete(o);
	}
	return 0;
}
