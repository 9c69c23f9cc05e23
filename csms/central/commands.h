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
#include "csms.h"
#include "session.h"

struct csms;
struct charger;

/* control.c's ChargePointMaxProfile id: DLM re-installs it itself, so it is
 * never re-installed from the store. Must match PROFILE_ID there. */
#define COMMANDS_DLM_PROFILE_ID 9000

/* Upper bounds (s) of the latency buckets of struct commands_stats
 * (csms.h), which commands.c keeps; +Inf follows. */
extern const double commands_lat_bounds_s[COMMANDS_LAT_BUCKETS];

/* Called by ocppj for each CALL it accepted to send: replaces *cb / *arg
 * with the tracker's, which calls the original exactly once at the end.
 * payload is borrowed (printed at once). source: "admin", "dlm", "csms",
 * or NULL (guessed: our DLM profile is "dlm", the rest "csms").
 * 0, or -1 when out of memory (nothing changed). */
int commands_track(struct session *s, const char *action, const char *msg_id, const cJSON *payload,
		   const char *source, call_cb *cb, void **arg);

/* Charger events from the OCPP handlers. */
void commands_charger_booted(struct csms *app, struct charger *ch); /* BootNotification Accepted */
void commands_tx_started(struct csms *app, struct charger *ch, int connector, int reservation_id,
			 const char *id_tag, int64_t tx_id);
void commands_tx_stopped(struct csms *app, struct charger *ch, int connector);

/* Duties of the loop (app/csms.c's table): re-installing profiles after a
 * boot (every tick), expiring reservations, pruning the audit table. */
void commands_reinstall(struct csms *app);
void commands_expire_reservations(struct csms *app);
void commands_prune_audit(struct csms *app);

#endif
