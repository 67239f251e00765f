/* The web module alone, for tests/e2e_web.sh and bench: serve [web] of a
 * configuration until SIGTERM or SIGINT, as the network side of wxd does,
 * beside a running wxd.  Not part of the product.
 *   tool_webserve CONFIG      prints "listening on PORT" once it is
 *   tool_webserve --free-port prints a loopback port nobody listens on
 *   tool_webserve --idle PORT SECONDS  connects to 127.0.0.1:PORT and sends
 *                             nothing; prints how long until the server
 *                             closed (a silent client) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "firmware/core/config.h"
#include "firmware/core/log.h"
#include "web/web.h"

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int idle(int port, int seconds)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = { .tv_sec = seconds };
	time_t t = time(NULL);
	char c;

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("tool_webserve --idle");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (recv(fd, &c, 1, 0) < 0)
		printf("still open after %d s\n", seconds);
	else
		printf("closed by the server after %lld s\n", (long long)(time(NULL) - t));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static struct wx_config cfg;
	char err[4096];
	struct wx_web *w;
	sigset_t set;
	int sig;

	wx_log_init("webserve");
	if (argc == 2 && !strcmp(argv[1], "--free-port")) {
		printf("%d\n", free_port());
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "--idle"))
		return idle(atoi(argv[2]), atoi(argv[3]));
	if (argc != 2) {
		fprintf(stderr, "usage: tool_webserve CONFIG | --free-port\n");
		return 2;
	}
	if (wx_config_load(&cfg, argv[1], err, sizeof(err))) {
		wx_log_errlines(err);
		return 78;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);	/* MHD's threads inherit it */
	w = wx_web_start(&cfg, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "tool_webserve: %s\n", err);
		return 1;
	}
	printf("listening on %d\n", wx_web_port(w));
	fflush(stdout);
	sigwait(&set, &sig);
	wx_web_stop(w);
	return 0;
}
