/* The sampler's view of the network side (wxd-net, README "Processes"):
 * whether the configuration gives it work, the child process when wxd runs
 * it itself (restarted with backoff 1 s .. 60 s, never waited for in the
 * loop), and the uploads' status it last reported over the live socket
 * ("net-status {json}", every few seconds), shown by "status".
 *
 * Under systemd the network side is its own unit (wxd-net.service): the
 * sampler's unit sets WXD_NET_UNIT=1 and wxd then starts no child, only
 * listens for its reports. */
#ifndef WX_NETSIDE_H
#define WX_NETSIDE_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "firmware/core/config.h"
#include "firmware/core/status.h"

/* Reports older than this are stale: the network side is shown as not running. */
#define WX_NETSIDE_STALE_S 30
/* Longest "net-status" line the sampler takes (live.c's line limit). */
#define WX_NETSIDE_MAX_REPORT 4000
/* wxd-net sends its report when it changed, and at least this often
 * (each report wakes the sampler: every 2 s was 1.5 wakeups/s). */
#define WX_NETSIDE_REPORT_S 10

struct wx_netside;

/* For cfg: config_path and sim are passed on to the child.  NULL only
 * without memory. */
struct wx_netside *wx_netside_open(const struct wx_config *cfg, const char *config_path,
				   bool sim, bool verbose);
/* sigchld: SIGCHLD came, reap a child that exited.  Then start it again
 * when its backoff is over.  Never blocks, and without sigchld makes no
 * system call: call every turn of the loop. */
void wx_netside_poll(struct wx_netside *n, bool sigchld);
/* "net-status {json}" from the live socket: untrusted, kept only in part.
 * 0, or -EINVAL for a report that is not understood. */
int wx_netside_report(struct wx_netside *n, const char *json);
/* Set the status's "uploads" (as last reported) and "network" (n NULL:
 * no uploads, an empty network). */
void wx_netside_fill(struct wx_netside *n, struct wx_status *st);
/* The same two as keys added to the JSON object o. */
void wx_netside_status(struct wx_netside *n, cJSON *o);
/* Stop the child: SIGTERM, up to 11 s (uploads get 10 s), then SIGKILL;
 * and free n.  NULL is allowed. */
void wx_netside_close(struct wx_netside *n);

#endif
