/* csms.h: the daemon's one context, created in main.c and passed to the
 * layers from central/ up (no globals): the settings, the store, the
 * registry, the loop's clock, the RPC layer's state and the counters; the
 * glue's modules only as opaque pointers. And the turn (turn.c): the group
 * commit that releases the replies it made durable. Everything in it is
 * touched only by the lws service thread, except the sensor mailbox owned
 * by control.c. */
#ifndef CSMS_CSMS_H
#define CSMS_CSMS_H

#include "config.h"
#include "actions.h"
#include "ocpp.h"
#include "rpc.h"
#include <stdint.h>

struct store;
struct session;
struct charger_registry;
struct server;
struct control;
struct energy;
struct history;
struct mqtt_link;
struct evhooks;
struct integ;
struct fleet;

/* Our CALLs by action and how they ended, for /metrics (kept by
 * central/commands.c): the columns are OCPP_OK (a CALLRESULT), a
 * CALLERROR's code, then these two. */
#define COMMANDS_OUT_TIMEOUT OCPP_STATUS_COUNT
#define COMMANDS_OUT_CLOSED (OCPP_STATUS_COUNT + 1)
#define COMMANDS_LAT_BUCKETS 12
struct commands_stats {
	uint64_t out_msgs[OCPP_ACT_COUNT][COMMANDS_OUT_CLOSED + 1];
	uint64_t out_lat[OCPP_ACT_COUNT][COMMANDS_LAT_BUCKETS + 1]; /* answered calls; last = +Inf */
	double out_lat_sum_s[OCPP_ACT_COUNT];
};

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
	struct energy *energy; /* station glue (energy.c) */
	int64_t now_ms;        /* stamped once per loop turn */
	struct rpc rpc;        /* the RPC layer's settings, hooks, held replies, counters */
	struct csms_stats stats;
	struct commands_stats calls; /* our CALLs by action and outcome */
	/* measured history (glue/history.c), made at the first station step */
	struct history *history;
	struct evhooks *evhooks; /* listeners of what happens (central/evhook.h) */
	/* Told at the end of each turn whether what it did is durable
	 * (committed 1: committed, or nothing to commit; 0: rolled back or
	 * the commit failed), so that what was told to wait for it (events to
	 * webhooks and MQTT) goes out or is dropped. NULL: nobody. */
	void (*turn_done)(struct csms *app, int committed);
	struct integ *integ; /* webhooks, price and forecast feeds (integ/integ.h) */
	struct fleet *fleet; /* nodes sharing a PostgreSQL store (central/fleet.c); NULL: one node */
	int64_t started_ms;
	int64_t duty_next_ms[12]; /* when each duty of app/duties.c's table is due */
	int chargers_loaded;      /* every accepted charger is in the registry */
	struct mqtt_link *mqtt;   /* integ/mqtt_link.c; NULL when mqtt_url is empty */
	int mqtt_state;           /* 0 off, 1 not connected, 2 connected (for GET /api/v1/health) */
	volatile int stopping;
	volatile int hup; /* SIGHUP seen and not yet logged (app/duties.c) */
};

/* End of a loop turn: commit the store, then release every held reply. */
void csms_end_of_turn(struct csms *app);
/* Commit now (admin writes); on failure the turn's held replies are never
 * sent and their chargers are disconnected. 0 or -1. */
int csms_commit(struct csms *app);
/* Roll back the turn's writes, with the same consequence. */
void csms_abort_turn(struct csms *app);

#endif
