/* The service manager's notification protocol (sd_notify(3)), spoken
 * directly: one datagram "READY=1", "WATCHDOG=1" or "STOPPING=1" to the
 * AF_UNIX socket named by $NOTIFY_SOCKET.  systemd documents the protocol
 * as stable, so the process that holds the sensors needs no libsystemd. */
#ifndef WX_NOTIFY_H
#define WX_NOTIFY_H

#include <stdint.h>

/* Send state to the service manager.  1 when sent, 0 when there is no
 * manager to tell ($NOTIFY_SOCKET unset), -errno on failure. */
int wx_notify(const char *state);

/* The watchdog interval the manager asked for, in µs ($WATCHDOG_USEC, for
 * this process per $WATCHDOG_PID), or 0 when no watchdog is set. */
uint64_t wx_notify_watchdog_usec(void);

#endif
