/* A tiny APRS-IS server on 127.0.0.1 for the CWOP tests: on each
 * connection it sends a banner ("# ..."), reads the login line, answers
 * "# logresp CALL unverified, server TEST" as a real server does for
 * pass -1, and records every packet line until the client closes.  It can
 * refuse (close at once) or stay silent (never say anything, never read
 * before the client closes). */
#ifndef WX_TEST_APRSIS_H
#define WX_TEST_APRSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct test_aprsis;

struct test_aprs_packet {
	char login[128];	/* the connection's login line, without CRLF */
	char line[512];		/* the packet, without CRLF */
	bool crlf;		/* it ended with CRLF */
	int64_t t_ms;		/* monotonic arrival */
};

struct test_aprsis *test_aprsis_start(void);
void test_aprsis_stop(struct test_aprsis *s);
int test_aprsis_port(struct test_aprsis *s);
/* Close every new connection at once (a server turning clients away). */
void test_aprsis_refuse(struct test_aprsis *s, bool on);
size_t test_aprsis_count(struct test_aprsis *s);
bool test_aprsis_packet(struct test_aprsis *s, size_t i, struct test_aprs_packet *out);
/* Wait up to timeout_ms for at least n packets; returns the count. */
size_t test_aprsis_wait(struct test_aprsis *s, size_t n, int timeout_ms);
/* Connections accepted so far. */
size_t test_aprsis_connections(struct test_aprsis *s);

#endif
