/* actions.h: ONE table of OCPP 1.6 actions, both directions. A CP-initiated
 * row names its handler; a CS-initiated row has none (a charger sending it
 * gets NotSupported); a name not in the table gets NotImplemented. */
#ifndef CSMS_ACTIONS_H
#define CSMS_ACTIONS_H

#include <cjson/cJSON.h>
#include "ocpp.h"

struct csms;
struct session;
struct charger;

/* What a handler gets; everything is borrowed for the call's duration. */
struct ocpp_req {
	struct csms *app;
	struct session *s;
	struct charger *ch;
	const char *action;
	const cJSON *payload;     /* already validated against the schema */
};

/* Fills resp (an empty object it owns until return). On an error status,
 * *why may point to a static description. */
typedef enum ocpp_status (*ocpp_handler)(const struct ocpp_req *r, cJSON *resp, const char **why);

enum action_dir { CP_TO_CS = 1, CS_TO_CP = 2, BOTH_WAYS = 3 };   /* who may send it */

struct action_row {
	const char *name;
	enum action_dir dir;
	const char *profile;
	ocpp_handler handler;     /* when a charger may send it */
	int before_accept;        /* allowed before the charger is accepted */
};

const struct action_row *actions_find(const char *name);
const struct action_row *actions_table(int *n);
int actions_index(const struct action_row *row);

/* Handlers, one file per feature profile (handlers/). */
enum ocpp_status h_boot_notification(const struct ocpp_req *, cJSON *, const char **);
enum ocpp_status h_heartbeat(const struct ocpp_req *, cJSON *, const char **);
enum ocpp_status h_status_notification(const struct ocpp_req *, cJSON *, const char **);
enum ocpp_status h_authorize(const struct ocpp_req *, cJSON *, const char **);
enum ocpp_status h_start_transaction(const struct ocpp_req *, cJSON *, const char **);
enum ocpp_status h_stop_transaction(const struct ocpp_req *, cJSON *, const char **);
enum ocpp_status h_meter_values(const struct ocpp_req *, cJSON *, const char **);
enum ocpp_status h_data_transfer(const struct ocpp_req *, cJSON *, const char **);
enum ocpp_status h_diagnostics_status(const struct ocpp_req *, cJSON *, const char **);
enum ocpp_status h_firmware_status(const struct ocpp_req *, cJSON *, const char **);
enum ocpp_status h_security_event(const struct ocpp_req *, cJSON *, const char **);
enum ocpp_status h_signed_firmware_status(const struct ocpp_req *, cJSON *, const char **);
enum ocpp_status h_log_status(const struct ocpp_req *, cJSON *, const char **);
enum ocpp_status h_sign_certificate(const struct ocpp_req *, cJSON *, const char **);

#endif
