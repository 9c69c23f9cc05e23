/* api_fleet.h: admin calls across a fleet's nodes. A call for a charger
 * that another node holds goes to that node over the bus; it sends the
 * CALL as if the request had come to it (admin_ocpp_send) and sends the
 * HTTP answer back, which this node gives unchanged: the same status and
 * body as on one node. No answer in time: the same 504 as a charger's
 * timeout. The station's routes go the same way to the node that runs
 * the station (api_fleet_to_lead). */
#ifndef CSMS_API_FLEET_H
#define CSMS_API_FLEET_H

#include <cjson/cJSON.h>
#include <stdint.h>

struct csms;
struct route_ctx;
struct fleet_hooks;

/* Forwards POST .../chargers/{charger}/ocpp/{action} with body (borrowed)
 * to the node that holds charger: 0 when forwarded or answered (an error),
 * 1 when no other node holds it (answer as today). */
int api_fleet_forward(struct route_ctx *c, const char *charger, const char *action, const cJSON *body);
/* A station operation of site's station (api_station_run's name, body
 * borrowed) on a node where that station does not run: sent to the node
 * that runs the site's loop, whose answer this node gives unchanged (503
 * when no node runs it now, 504 when it does not answer in time). 0 when
 * sent or answered; 1 when it runs here (fleet_control_site: one node, or
 * this one holds the site) and is to be answered as on one node. */
int api_fleet_to_lead(struct route_ctx *c, const char *site, const char *name, const cJSON *body);
/* The station's live view (energy_live_json) for the events stream on a
 * node where the station does not run: the last one the station's node
 * sent (new tree), NULL when none is younger than 5 s; each call asks for
 * the next one (at most one question in flight, one a second). */
cJSON *api_fleet_lead_live(struct csms *app);
/* The same for the default site's DLM view (GET /api/v1/dlm as that node
 * answers it, every node's chargers in it). */
cJSON *api_fleet_lead_dlm(struct csms *app);
/* A site's DLM view (GET /api/v1/dlm, /api/v1/sites/{id}): adds to its
 * "chargers" the entries of the site's chargers other nodes hold, from
 * their last answers younger than 5 s (each running node is asked again
 * at most once a second). Nothing without a fleet. */
void api_fleet_dlm_merge(struct csms *app, cJSON *view, const char *site);
/* GET /api/v1/sites in a fleet: each site whose loop another node runs
 * is replaced by the view that node last sent (younger than 5 s; each
 * running node is asked for the sites it runs at most once a second),
 * and every site gets every node's chargers (api_fleet_dlm_merge). A
 * site with no such answer yet stays as this node has it. */
void api_fleet_sites_merge(struct csms *app, cJSON *list);
/* GET of a site's DLM view on a node that does not run the site's loop:
 * sent to the node that does, whose answer this node gives unchanged. 0
 * when sent or answered; 1 when it is to be answered here (one node, this
 * one runs the loop, or none does right now). */
int api_fleet_dlm_to_lead(struct route_ctx *c, const char *site);
/* A grid reading (body borrowed) pushed to a node that does not run the
 * site's loop, checked and kept there (for a takeover): sent on to the
 * node that runs the loop, which decides with it and whose answer this
 * node gives (a meter bridge knows one URL, often a load balancer's). 0
 * when sent or answered; 1 when it is to be answered here (one node, this
 * one runs the loop, or none does right now). */
int api_fleet_readings_to_lead(struct route_ctx *c, const char *site, const cJSON *body);
/* A charger another node holds: its live view (charger_live_json, new
 * tree) and *last_seen_ms as that node last sent them for its chargers,
 * NULL when it sent none in the last minute; each call asks that node
 * again when its last answer is older than a second (one question in
 * flight per node). For the views every node answers: GET
 * /api/v1/chargers, the events stream, MQTT. */
cJSON *api_fleet_charger_live(struct csms *app, const char *node, const char *charger, int64_t *last_seen_ms);
/* An operation on a charger another node holds (op "localListSend", body
 * borrowed): sent to that node, which runs it and whose answer this node
 * gives unchanged. 0 when sent or answered; 1 when no other node holds it. */
int api_fleet_forward_op(struct route_ctx *c, const char *charger, const char *op, const cJSON *body);
/* A charger's settings were stored here: every other running node reads
 * them again (the one that holds it and the one that runs the station act
 * on them). */
void api_fleet_charger_changed(struct csms *app, const char *charger);
/* The fleet's hooks for the messages this module handles. */
extern const struct fleet_hooks api_fleet_hooks;

#endif
