/* What the upload benchmarks share: a quiet mosquitto (no per-message
 * logging, unlike the tests' broker whose log_type all would be measured
 * too), and a district-style consumer.
 *
 * The consumer: one libmosquitto client on
 * 127.0.0.1 subscribed (QoS 1) to wx/+/record and wx/+/availability, which
 * keeps, per station id, the ts of every record that arrived (parsed from the
 * payload's "ts") and the last availability payload.  Unlike
 * tests/support/broker's subscriber it keeps no payloads, so tens of
 * thousands of records cost a few bytes each and can be counted per station
 * at any time.  Linked into every benchmark by mk/bench.mk. */
#ifndef WX_BENCH_SUPPORT_H
#define WX_BENCH_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bench_broker {
	char dir[128];		/* its temporary directory (config, log) */
	int port;		/* on 127.0.0.1 */
	pid_t pid;
};

/* Start /usr/sbin/mosquitto on a free port of 127.0.0.1 logging errors,
 * warnings and notices only (not every message).  max_queued is its
 * max_queued_messages (0: no limit; mosquitto's default is 1000, past which
 * QoS 1 messages for a slow subscriber are dropped).  Waits until it
 * accepts.  NULL on failure.  Free with bench_broker_stop(), which stops it
 * and removes its directory. */
struct bench_broker *bench_broker_start(int max_queued);
void bench_broker_stop(struct bench_broker *b);
/* How often the broker began dropping messages for a client whose queue
 * was full: its log's "Outgoing messages are being dropped for client"
 * lines (mosquitto logs one per episode, at notice level). */
int bench_broker_drop_lines(const struct bench_broker *b);

struct bench_sub;

/* What arrived for one station. */
struct bench_station_seen {
	char id[64];		/* the <id> of wx/<id>/record */
	size_t msgs;		/* record messages, duplicates included */
	size_t distinct;	/* distinct ts among them */
	size_t out_of_order;	/* messages whose ts was not above the previous one's */
	int64_t first_ts, last_ts;	/* oldest and newest ts seen (0 when none) */
	char availability[16];	/* last wx/<id>/availability payload, "" when none */
};

/* Connect to 127.0.0.1:port and subscribe; returns once the broker granted
 * the subscription.  NULL on failure (message on stderr).  Free with
 * bench_sub_stop(). */
struct bench_sub *bench_sub_start(int port);
void bench_sub_stop(struct bench_sub *s);

/* Record messages so far, over all stations. */
size_t bench_sub_total(struct bench_sub *s);
/* Wait up to timeout_ms until at least n record messages arrived, or until
 * none arrived for quiet_ms (0: no such limit).  Returns the total then. */
size_t bench_sub_wait(struct bench_sub *s, size_t n, int timeout_ms, int quiet_ms);
/* A snapshot of every station seen, sorted by id, in a malloc'd array the
 * caller frees; its length in *n.  NULL (and *n = 0) when none or out of
 * memory. */
struct bench_station_seen *bench_sub_stations(struct bench_sub *s, size_t *n);

#endif
