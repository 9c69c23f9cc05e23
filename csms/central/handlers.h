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
	const cJSON *payload; /* already validated against the schema */
};

/* Fills resp (an empty object it owns until return). On an error status,
 * *why may point to a static description. */
typedef enum ocpp_status (*ocpp_handler)(const struct ocpp_req *r, cJSON *resp, const char **why);

/* The rpc handle hook: runs the action's handler (NotSupported when a
 * charger may not send it). */
enum ocpp_status handlers_dispatch(struct session *s, enum ocpp_action act, const cJSON *payload, cJSON *resp,
				   const char **why);

/* One handler per row of actions.def (h_none for the actions only the
 * central system sends: NotSupported). */
#define OCPP_ACTION(name, dir, profile, before_accept, handler) \
	enum ocpp_status handler(const struct ocpp_req *, cJSON *, const char **);
#include "actions.def"
#undef OCPP_ACTION

#endif
