/* notify.c: systemd's readiness and watchdog protocol (sd_notify(3)). The
 * watchdog is fed from the loop's duty table, so it proves that the loop
 * turns (and with it the group commit), not only that the process lives. */
#include "notify.h"
#include "log.h"

#include <systemd/sd-daemon.h>

static int64_t watchdog_every_ms = -1; /* -1: not asked yet; 0: no watchdog */
static int64_t watchdog_next_ms;

void notify_ready(const char *status)
{
	if (sd_notifyf(0, "READY=1\nSTATUS=%s", status) > 0)
		LOGD("main", "systemd told: ready");
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=shutting down");
}

void notify_watchdog(int64_t now_ms)
{
	if (watchdog_every_ms < 0) {
		uint64_t usec = 0;
		/* WATCHDOG_USEC, and WATCHDOG_PID must be ours */
		watchdog_every_ms = sd_watchdog_enabled(0, &usec) > 0 ? (int64_t)(usec / 2000) : 0;
		if (watchdog_every_ms)
			LOGI("main", "systemd watchdog: fed every %lld ms", (long long)watchdog_every_ms);
	}
	if (!watchdog_every_ms || now_ms < watchdog_next_ms)
		return;
	watchdog_next_ms = now_ms + watchdog_every_ms;
	sd_notify(0, "WATCHDOG=1");
}
