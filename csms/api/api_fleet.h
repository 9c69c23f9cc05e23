/* api_fleet.h: admin calls across a fleet's nodes. A call for a charger
 * that another node holds goes to that node over the bus; it sends the
 * CALL as if the request had come to it (admin_ocpp_send) and sends the
 * HTTP answer back, which this node gives unchanged: the same status and
 * body as on one node. No answer in time: the same 504 as a charger's
 * timeout. */
#ifndef CSMS_API_FLEET_H
#define CSMS_API_FLEET_H

#include <cjson/cJSON.h>

struct csms;
struct route_ctx;
struct fleet_hooks;

/* Forwards POST .../chargers/{charger}/ocpp/{action} with body (borrowed)
 * to the node that holds charger: 0 when forwarded or answered (an error),
 * 1 when no other node holds it (answer as today). */
int api_fleet_forward(struct route_ctx *c, const char *charger, const char *action, const cJSON *body);
/* The fleet's hooks for the messages this module handles. */
extern const struct fleet_hooks api_fleet_hooks;

#endif
