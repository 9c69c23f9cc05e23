/* alarms.h: alarms (charger faults from StatusNotification, chargers
 * offline for more than three heartbeat intervals, refused charging
 * profiles) and the diagnosis of every peer the daemon talks to. Alarms
 * live in the store; raising one that is already active does nothing. */
#ifndef CSMS_ALARMS_H
#define CSMS_ALARMS_H

#include <cjson/cJSON.h>

struct csms;
struct charger;
struct route_ctx;

#define ALARM_SRC_STATUS "statusNotification"
#define ALARM_SRC_OFFLINE "offline"
#define ALARM_SRC_PROFILE "chargingProfile"

/* A StatusNotification (validated payload): errorCode other than NoError
 * raises an alarm on that connector, NoError clears its alarms. */
void alarms_status(struct csms *app, struct charger *ch, int connector, const cJSON *status_req);
/* A SetChargingProfile answer: refused (code = its status or error code)
 * raises, accepted clears the connector's profile alarm. */
void alarms_profile(struct csms *app, const char *charger, int connector, int profile_id,
		    const char *purpose, const char *refused_code);

/* A duty of the loop (app/csms.c's table): the offline sweep. */
void alarms_offline(struct csms *app);

void alarms_api_list(struct route_ctx *c);       /* GET /api/v1/alarms?active=&charger=&limit= */
void alarms_api_diagnosis(struct route_ctx *c);  /* GET /api/v1/diagnosis */

#endif
