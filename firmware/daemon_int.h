/* The daemon's state, shared by its two files: daemon.c (the loop, intervals,
 * storage, clock) and daemon_answer.c (what the live socket answers).  Not
 * for use outside the daemon. */
#ifndef WX_DAEMON_INT_H
#define WX_DAEMON_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "db/archive.h"
#include "drivers/sim.h"
#include "firmware/daemon.h"
#include "firmware/interval.h"
#include "firmware/live.h"
#include "firmware/sensors.h"
#include "uploader/uploader.h"

#define EDGE_BATCH 256
#define SIM_DRAIN_NS (20 * WX_NS_PER_MS)	/* inside the kernel FIFO's reach */
#define MAX_PENDING 10080			/* a week of one-minute records */
#define LIVE_WIND_S 10
#define MAX_POLLFDS 32

struct carry {			/* edges read early, for the next interval */
	int64_t *ts;
	size_t n, cap;
};

/* A finished record waiting to be stored.  Its time is fixed only when it
 * is stored with the clock synchronised: until then it is known by the
 * monotonic time its interval ended. */
struct held {
	struct wx_record r;
	int64_t end_mono;
	bool labelled;
};

struct daemon {
	const struct wx_config *cfg;
	struct wx_daemon_opts opts;
	struct wx_clock *clock;
	struct wx_sim *sim;
	struct wx_sensors *sensors;
	struct wx_slot *wind, *rain;
	struct wx_archive *archive;
	struct wx_interval *iv;
	struct wx_live *live;
	struct wx_uploader *up[2];
	int nup;
	int sigfd;
	bool stop;

	int64_t start_mono, stop_at;	/* stop_at 0: never */
	int64_t start_real;		/* CLOCK_MONOTONIC at start, for uptime */
	int64_t period_ns, next_sample;
	int64_t drained_to;		/* sim buses: edges taken up to here */
	struct carry carry_wind, carry_rain;

	uint64_t wind_total;		/* accepted closures since start */
	uint64_t wind_at_request;	/* ... when the vane was last asked */
	double vane_weight;		/* weight of the vane reading in flight */

	/* live values */
	struct wx_record latest;
	int64_t latest_mono[WX_QUANTITY_COUNT];
	int64_t wind_sec[LIVE_WIND_S + 2];	/* ring of per-second counts */
	uint32_t wind_cnt[LIVE_WIND_S + 2];
	double rain_today_mm;
	long rain_day;			/* local yyyymmdd of rain_today_mm */

	/* records and storage */
	uint64_t records_written;
	int64_t last_record_ts;
	struct held *pending;		/* not yet stored (storage fault, clock) */
	size_t npending;
	uint64_t lost_records;
	char storage_error[256];
	int64_t storage_error_s;
	int64_t started_wall_s;
	uint64_t watchdog_usec;
	int64_t last_watchdog;

	int64_t retry_storage_at;	/* station mono: next try after a fault */
	dev_t db_dev;			/* the file the archive has open, to notice */
	ino_t db_ino;			/* it being deleted or replaced */
	bool restart_uploaders;		/* after the file was replaced */

	/* clock steps */
	int64_t offset_ns;		/* wall minus monotonic, as last seen */
	int64_t first_ts_offset;	/* first ts stored under that offset (0: none) */
	bool catching_up;		/* labels held after the newest stored record */
};

/* Local date of ts as yyyymmdd (for rain today). */
long wx_daemon_local_day(int64_t ts);
/* CLOCK_MONOTONIC now, ns (uptime). */
int64_t wx_daemon_real_mono_ns(void);
/* The live socket's answer to one command line (struct daemon * in arg):
 * a malloc'd JSON text, or NULL for an unknown command. */
char *wx_daemon_answer(const char *command, void *arg);

#endif
