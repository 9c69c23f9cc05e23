/* api_alarms.h: the routes of alarms and of the diagnosis (every charger
 * and every other device the daemon talks to, with its health). */
#ifndef CSMS_API_ALARMS_H
#define CSMS_API_ALARMS_H

struct route_ctx;

void api_alarms_list(struct route_ctx *c);      /* GET /api/v1/alarms?active=&charger=&limit= */
void api_alarms_diagnosis(struct route_ctx *c); /* GET /api/v1/diagnosis */

#endif
