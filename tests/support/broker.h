/* A real mosquitto broker on 127.0.0.1 for tests, and a subscriber that
 * records what arrives.  Each broker lives in its own temporary directory
 * (config, log, password file); the tests never touch the network beyond
 * loopback. */
#ifndef WX_TEST_BROKER_H
#define WX_TEST_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct test_broker {
	char dir[256];		/* temporary directory, removed by test_broker_free */
	int port;		/* plain listener */
	int tls_port;		/* TLS listener, 0 when none */
	pid_t pid;		/* 0 while stopped */
	char conf[320];
	char log[320];
};

struct test_broker_opts {
	const char *username;	/* with password: allow_anonymous false */
	const char *password;
	const char *certfile;	/* with keyfile: a TLS listener too */
	const char *keyfile;
	bool persistence;	/* sessions survive a restart (saved on SIGTERM) */
};

/* A free TCP port on 127.0.0.1 (bind to port 0, read it, close). */
int test_free_port(void);

/* Write the config in a fresh temporary directory and start mosquitto;
 * waits until it accepts.  NULL on failure (message on stderr).  Free with
 * test_broker_free (which stops it). */
struct test_broker *test_broker_start(const struct test_broker_opts *opts);
/* SIGTERM and wait.  Safe when stopped. */
void test_broker_stop(struct test_broker *b);
/* Start again on the same ports.  0 or -1. */
int test_broker_restart(struct test_broker *b);
void test_broker_free(struct test_broker *b);

/* One message as it arrived. */
struct test_msg {
	char *topic;
	char *payload;		/* NUL-terminated copy */
	bool retain;
};

struct test_sub;

/* Connect to 127.0.0.1:port, subscribe to `#` (QoS 1) and record every
 * message in order.  NULL on failure.  Free with test_sub_stop. */
struct test_sub *test_sub_start(int port);
/* The same with a persistent session (clean_session false, fixed client
 * id): with a broker started with persistence, messages published while
 * the subscriber is cut off are queued for it, and it reconnects by itself. */
struct test_sub *test_sub_start_persistent(int port, const char *client_id);
void test_sub_stop(struct test_sub *s);
/* Messages so far on topic (NULL: all). */
size_t test_sub_count(struct test_sub *s, const char *topic);
/* Wait up to timeout_ms until at least n messages arrived on topic; returns
 * the count then. */
size_t test_sub_wait(struct test_sub *s, const char *topic, size_t n, int timeout_ms);
/* Wait until the newest message on topic has this payload; true if so. */
bool test_sub_wait_payload(struct test_sub *s, const char *topic, const char *payload,
			   int timeout_ms);
/* A copy of the i-th message on topic (NULL: all), or false when none.
 * Free with test_msg_free. */
bool test_sub_get(struct test_sub *s, const char *topic, size_t i, struct test_msg *out);
void test_msg_free(struct test_msg *m);
/* Publish from the subscriber's connection (QoS 1). */
int test_sub_publish(struct test_sub *s, const char *topic, const char *payload, bool retain);

/* Brokers that never answer, for the tests of stopping whatever the
 * network does.  A black hole: a listener on 127.0.0.1 that never
 * accept()s, its backlog filled, so the kernel drops further SYNs as a
 * host that drops packets would; a connect() to port never completes. */
struct test_black_hole {
	int listener;
	int fill[8];
	int nfill;
	int port;
};
/* 0, or -1 with a message on stderr. */
int test_black_hole_open(struct test_black_hole *h);
void test_black_hole_close(struct test_black_hole *h);
/* A listener on 127.0.0.1 whose connections the kernel accepts but that
 * never answers a byte (MQTT's CONNACK never comes).  Its fd (close it), or
 * -1; the port in *port. */
int test_silent_listener(int *port);

/* Make a directory under /tmp; returns path in out.  0 or -1. */
int test_mkdtemp(char *out, size_t outlen, const char *name);
/* rm -rf path (a test temporary directory). */
void test_rmrf(const char *path);

#endif
