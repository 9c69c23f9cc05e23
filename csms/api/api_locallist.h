/* api_locallist.h: the routes of a charger's local authorisation list: what
 * it holds against what the id-tag table says it should, and sending it. */
#ifndef CSMS_API_LOCALLIST_H
#define CSMS_API_LOCALLIST_H

struct route_ctx;

void api_locallist_get(struct route_ctx *c);  /* GET /api/v1/chargers/{id}/local-list */
void api_locallist_send(struct route_ctx *c); /* POST /api/v1/chargers/{id}/local-list {"updateType"} */

#endif
