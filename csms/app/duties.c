/* duties.c: the table of the loop's periodic duties (station, DLM, profile
 * re-installs, reservations, alarms, the registry, the audit table). Our
 * CALLs' timeouts have their own timers (rpc.h). */
#include "alarms.h"
#include "charger.h"
#include "commands.h"
#include "control.h"
#include "energy.h"
#include "integ.h"
#include "log.h"
#include "app.h"
#include "notify.h"
#include "csms.h"
#include "server.h"
#include "session.h"
#include "store.h"

static void feed_watchdog(struct csms *app)
{
	notify_watchdog(app->now_ms);
}

static void sweep_registry(struct csms *app)
{
	charger_sweep(app->chargers); /* chargers that lookups loaded and no one needs */
}

/* The loop's periodic duties, as data (after Redis's serverCron): each runs
 * at the first tick and then when its period has passed; 0 = every tick
 * (250 ms). The order matters: the station before DLM, which reads the
 * station's fresh EV targets. The station and DLM pace themselves
 * (station_tick_ms, dlm_tick_ms, which the API may change). */
static const struct duty {
	const char *name;
	int64_t period_ms;
	void (*run)(struct csms *app);
} duties[] = {
	{ "station step", 0, energy_tick },
	{ "dlm decision", 0, control_tick },
	{ "profile re-install", 0, commands_reinstall },
	{ "reservation expiry", 1000, commands_expire_reservations },
	{ "offline alarms", 1000, alarms_offline },
	{ "registry sweep", 1000, sweep_registry },
	{ "audit prune", 60000, commands_prune_audit },
	{ "integrations", 0, integ_tick },        /* webhooks, price and forecast feeds */
	{ "systemd watchdog", 0, feed_watchdog }, /* last: the turn got this far */
};
#define NDUTIES (sizeof duties / sizeof duties[0])
_Static_assert(NDUTIES <= sizeof(((struct csms *)0)->duty_next_ms) / sizeof(int64_t),
	       "duty_next_ms too small");

void csms_tick(struct csms *app)
{
	if (!app->started_ms)
		app->started_ms = app->now_ms;
	/* SIGHUP (main.c only sets the flag): nothing is reopened or reloaded:
	 * logs go to stderr, which the supervisor owns, and settings change
	 * through the API. A HUP from a terminal or a log rotator must not end
	 * the daemon without its graceful shutdown. */
	if (app->hup) {
		app->hup = 0;
		LOGI("main",
		     "SIGHUP received: nothing to reload (settings change through the API); still running");
	}
	for (size_t i = 0; i < NDUTIES; i++) {
		if (app->now_ms < app->duty_next_ms[i])
			continue;
		app->duty_next_ms[i] = app->now_ms + duties[i].period_ms;
		duties[i].run(app);
	}
	csms_end_of_turn(app);
}
