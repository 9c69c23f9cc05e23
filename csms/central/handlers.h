/* handlers.h: what a charger's CALL does, one function per action that a
 * charger may send (the handler column of ocpp/actions.def), one file per
 * feature profile (handlers_core.c, handlers_events.c). */
#ifndef CSMS_HANDLERS_H
#define CSMS_HANDLERS_H

#include <cjson/cJSON.h>
#include "actions.h"
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

/* The rpc handle hook: runs the action's handler (NotSupported when a
 * charger may not send it). */
enum ocpp_status handlers_dispatch(struct session *s, enum ocpp_action act, const cJSON *payload,
				   cJSON *resp, const char **why);

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
