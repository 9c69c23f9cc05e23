/* csms.h: the daemon's one context, created in main.c and passed to every
 * module (no globals). Everything in it is touched only by the lws service
 * thread, except the sensor mailbox owned by control.c. */
#ifndef CSMS_CSMS_H
#define CSMS_CSMS_H

#include "config.h"
#include "ocpp.h"
#include "commands.h"
#include "rpc.h"
#include <stdint.h>

struct store;
struct session;
struct charger_registry;
struct server;
struct control;
struct energy;


/* The store's commits, for /metrics (the RPC layer counts frames in
 * rpc.stats, commands.c our CALLs in calls). */
struct csms_stats {
	uint64_t commits, commit_failures;
};

struct csms {
	struct csms_config cfg;
	struct store *store;
	struct charger_registry *chargers;
	struct server *server;
	struct control *control;
	struct energy *energy;          /* station glue (energy.c) */
	int64_t now_ms;                 /* stamped once per loop turn */
	struct rpc rpc;                 /* the RPC layer's settings, hooks, held replies, counters */
	struct csms_stats stats;
	struct commands_stats calls;    /* our CALLs by action and outcome */
	int64_t started_ms;
	int64_t duty_next_ms[8];        /* when each duty of csms.c's table is due */
	int chargers_loaded;            /* every accepted charger is in the registry */
	volatile int stopping;
};

/* wiring.c: sets up app->rpc from the settings, with the hooks into
 * central/ and net/, and the chargers' events (app->chargers, when set). */
void csms_wire(struct csms *app);
/* wiring.c: starts the listeners with the events that reach the app
 * (app->server); -1 with err naming the setting. */
int csms_server_start(struct csms *app, char *err, size_t errlen);
/* End of a loop turn: commit the store, then release every held reply. */
void csms_end_of_turn(struct csms *app);
/* Commit now (admin writes); on failure the turn's held replies are never
 * sent and their chargers are disconnected. 0 or -1. */
int csms_commit(struct csms *app);
/* Roll back the turn's writes, with the same consequence. */
void csms_abort_turn(struct csms *app);
/* Periodic duties (call timeouts, control tick), from the server's timer. */
void csms_tick(struct csms *app);

#endif
