/* commands.h: the central system's own CALLs to chargers, after the fact.
 * Every CALL that ocppj sends is tracked: when it ends (answer, CALLERROR,
 * timeout, closed connection) it is counted for /metrics, written to the
 * audit table, and what its answer means is kept in the store
 * (availability, configuration keys, reservations, local lists, charging
 * profiles; a refused profile raises an alarm). Also: reservations used by
 * StartTransaction and expired by time, profiles re-installed after a
 * reboot. The routes that show all of it are api/api_records.c. */
#ifndef CSMS_COMMANDS_H
#define CSMS_COMMANDS_H

#include <stdint.h>
#include <cjson/cJSON.h>
#include "actions.h"
#include "session.h"

struct csms;
struct charger;

/* control.c's ChargePointMaxProfile id: DLM re-installs it itself, so it is
 * never re-installed from the store. Must match PROFILE_ID there. */
#define COMMANDS_DLM_PROFILE_ID 9000

/* Our CALLs by action and how they ended, for /metrics: the columns are
 * OCPP_OK (a CALLRESULT), a CALLERROR's code, then these two. */
#define COMMANDS_OUT_TIMEOUT OCPP_STATUS_COUNT
#define COMMANDS_OUT_CLOSED (OCPP_STATUS_COUNT + 1)
#define COMMANDS_LAT_BUCKETS 12
extern const double commands_lat_bounds_s[COMMANDS_LAT_BUCKETS];   /* upper bounds, s (+Inf follows) */
struct commands_stats {
	uint64_t out_msgs[OCPP_ACT_COUNT][COMMANDS_OUT_CLOSED + 1];
	uint64_t out_lat[OCPP_ACT_COUNT][COMMANDS_LAT_BUCKETS + 1];   /* answered calls; last = +Inf */
	double out_lat_sum_s[OCPP_ACT_COUNT];
};

/* Called by ocppj for each CALL it accepted to send: replaces *cb / *arg
 * with the tracker's, which calls the original exactly once at the end.
 * payload is borrowed (printed at once). source: "admin", "dlm", "csms",
 * or NULL (guessed: our DLM profile is "dlm", the rest "csms").
 * 0, or -1 when out of memory (nothing changed). */
int commands_track(struct session *s, const char *action, const char *msg_id, const cJSON *payload,
		   const char *source, call_cb *cb, void **arg);

/* Charger events from the OCPP handlers. */
void commands_charger_booted(struct csms *app, struct charger *ch);   /* BootNotification Accepted */
void commands_tx_started(struct csms *app, struct charger *ch, int connector, int reservation_id,
			 const char *id_tag, int64_t tx_id);
void commands_tx_stopped(struct csms *app, struct charger *ch, int connector);

/* Duties of the loop (app/csms.c's table): re-installing profiles after a
 * boot (every tick), expiring reservations, pruning the audit table. */
void commands_reinstall(struct csms *app);
void commands_expire_reservations(struct csms *app);
void commands_prune_audit(struct csms *app);

#endif
