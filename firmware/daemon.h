/* The station daemon: one poll loop over the GPIO lines, the sampling
 * threads' eventfd, the live socket and signals; one archive record per
 * interval; uploaders kicked as records land. */
#ifndef WX_DAEMON_H
#define WX_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "firmware/core/config.h"

struct wx_daemon_opts {
	bool sim;		/* simulated devices and clock */
	double speed;		/* sim: station time per real time, 0 = flat out */
	int64_t duration_s;	/* stop after this much station time; 0 = never */
	bool has_start;		/* sim: --start given */
	int64_t start_s;	/* sim: station time starts here (Unix seconds), not now */
	const char *config_path; /* passed on to the network side (wxd-net -c) */
	bool verbose;		/* -v: passed on too */
};

/* Run until SIGTERM/SIGINT or the end of the duration.  Returns 0 after a
 * clean stop, or -errno when the station could not start (the message is
 * logged: archive, socket). */
int wx_daemon_run(const struct wx_config *cfg, const struct wx_daemon_opts *opts);

#endif
