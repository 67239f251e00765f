/* tool_broker: the tests' shared mosquitto fixture (tests/support/broker.c)
 * for the end-to-end scripts.  Starts a broker on a free 127.0.0.1 port in
 * its own temporary directory, prints the port on one line, and runs until
 * SIGTERM or SIGINT, then stops the broker and removes its directory. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "tests/support/broker.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(void)
{
	struct sigaction sa;
	struct test_broker *b;
	sigset_t set, old;

	/* Caught, not blocked, while mosquitto starts: it inherits the signal
	 * mask, and a broker that cannot get SIGTERM never stops. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	b = test_broker_start(NULL);
	if (!b) {
		fprintf(stderr, "tool_broker: no mosquitto could start on 127.0.0.1\n");
		return 1;
	}
	printf("%d\n", b->port);
	fflush(stdout);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, &old);
	while (!stop)
		sigsuspend(&old);
	test_broker_free(b);
	return 0;
}
