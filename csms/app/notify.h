/* notify.h: csmsd under systemd (Type=notify): readiness, stopping and
 * the watchdog, through libsystemd's sd_notify. Without $NOTIFY_SOCKET
 * (not under systemd, in Docker, in tests) every call does nothing. */
#ifndef CSMS_NOTIFY_H
#define CSMS_NOTIFY_H

#include <stdint.h>

/* The listeners are up and the store is open: READY=1 with a status line. */
void notify_ready(const char *status);
/* The graceful shutdown has begun: STOPPING=1. */
void notify_stopping(void);
/* From the loop's tick: WATCHDOG=1 at half the unit's WatchdogSec, so a
 * loop that stops turning gets the daemon restarted. now_ms: the loop's
 * clock. */
void notify_watchdog(int64_t now_ms);

#endif
