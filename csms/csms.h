/* csms.h: the daemon's one context, created in main.c and passed to every
 * module (no globals). Everything in it is touched only by the lws service
 * thread, except the sensor mailbox owned by control.c. */
#ifndef CSMS_CSMS_H
#define CSMS_CSMS_H

#include "config.h"
#include <stdint.h>

struct store;
struct session;
struct charger_registry;
struct server;
struct control;

/* Message counters for /metrics, indexed by action row and outcome. */
struct csms_stats {
	uint64_t frames_in, frames_out, callerrors_out, calls_out, call_timeouts;
	uint64_t commits, commit_failures;
};

struct csms {
	struct csms_config cfg;
	struct store *store;
	struct charger_registry *chargers;
	struct server *server;
	struct control *control;
	int64_t now_ms;                 /* stamped once per loop turn */
	struct session *dirty;          /* sessions holding replies until the commit */
	struct csms_stats stats;
	volatile int stopping;
};

/* End of a loop turn: commit the store, then release every held reply. */
void csms_end_of_turn(struct csms *app);
/* Periodic duties (call timeouts, control tick), from the server's timer. */
void csms_tick(struct csms *app);

#endif
