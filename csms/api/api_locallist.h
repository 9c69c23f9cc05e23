/* api_locallist.h: the routes of a charger's local authorisation list: what
 * it holds against what the id-tag table says it should, and sending it. */
#ifndef CSMS_API_LOCALLIST_H
#define CSMS_API_LOCALLIST_H

#include <cjson/cJSON.h>

struct csms;
struct charger;
struct route_ctx;

void api_locallist_get(struct route_ctx *c);  /* GET /api/v1/chargers/{id}/local-list */
void api_locallist_send(struct route_ctx *c); /* POST /api/v1/chargers/{id}/local-list {"updateType"} */

/* The SendLocalList body asks for (borrowed) to ch, connected here: 0 when
 * sent (reply(arg, status, answer) comes with the charger's answer), or 1
 * with the answer now in *status and *answer (a refusal). */
int api_locallist_run(struct csms *app, struct charger *ch, const cJSON *body,
		      void (*reply)(void *arg, int status, cJSON *body), void *arg, int *status,
		      cJSON **answer);

#endif
