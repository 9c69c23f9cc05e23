/* fleet.h: one node of a fleet: several csmsd on one PostgreSQL database
 * (issue 15). A node holds the chargers connected to it with a lease in
 * the store, renewed every third of node_lease_s with its heartbeat; a
 * charger that connects here while another running node holds it is taken
 * and that node told to drop its session (the newer connection wins, as
 * on one node). Messages between nodes (lib/fleetmsg.h) go out with the
 * turn's commit (store_notify) and come in on the bus (store/bus.h),
 * read at every turn's end and tick. The layers above handle forwarded
 * admin calls through fleet_hooks. On SQLite there is no fleet:
 * app->fleet stays NULL and every call here does nothing. */
#ifndef CSMS_FLEET_H
#define CSMS_FLEET_H

#include "fleetmsg.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

struct csms;
struct charger;

/* What the layers above do with a message; set once at fleet_open. m is
 * borrowed (they may take m->payload, leaving NULL). */
struct fleet_hooks {
	void (*call)(struct csms *app, struct fleetmsg *m);   /* an admin call for a charger held here */
	void (*reply)(struct csms *app, struct fleetmsg *m);  /* the answer to one we forwarded */
	void (*expired)(struct csms *app, void *arg);         /* one we forwarded had no answer in time */
	void (*dlm)(struct csms *app, struct fleetmsg *m);    /* dlmin / dlmout: the site's control loop */
	void (*api)(struct csms *app, struct fleetmsg *m);    /* an API operation for the station run here */
	void (*reload)(struct csms *app, struct fleetmsg *m); /* a charger's settings changed elsewhere */
};

/* On a postgresql:// store: opens the bus, names the node (node_id, or
 * the host name) and writes its heartbeat: app->fleet. Else nothing. 0, or
 * -1 with err (the node id is bad or in use, no bus). */
int fleet_open(struct csms *app, const struct fleet_hooks *h, char *err, size_t errlen);
/* A clean shutdown (after the sessions closed): the node's leases and row
 * go, committed; the bus closes. */
void fleet_close(struct csms *app);
/* This node's id, or NULL without a fleet. */
const char *fleet_node(const struct csms *app);
/* A charger's connection became its current one here / the current one closed. */
void fleet_connected(struct csms *app, struct charger *ch);
void fleet_closed(struct csms *app, struct charger *ch);
/* Reads the bus; every lease/3 also renews the leases and the heartbeat;
 * ends forwarded calls past their deadline. From every turn's end. */
void fleet_poll(struct csms *app);
/* The node that holds a charger not connected here: 1 with node, 0 none
 * (no live lease of a running node), <0 store error. */
int fleet_holder(struct csms *app, const char *charger, char node[FLEETMSG_NODE_MAX]);
/* Tells node to end its session of charger (as when another node takes
 * it); a charger the store no longer has (deleted) is forgotten there too. */
void fleet_drop(struct csms *app, const char *node, const char *charger);
/* Sends m (from is filled in) to node, by reference when it is too big for
 * a notification; it leaves with the turn's commit. 0 or -1. */
int fleet_send(struct csms *app, const char *node, struct fleetmsg *m);
/* Forwarded calls waiting for their answer: a request number for arg
 * (0: out of memory), and arg back when the answer comes (NULL: unknown or
 * expired). hooks->expired(arg) at the deadline. */
uint64_t fleet_pending_add(struct csms *app, void *arg, int64_t deadline_ms);
void *fleet_pending_take(struct csms *app, uint64_t req);
/* The site's control loop (DLM, the station's limits): 1 when this node
 * runs it. The holder of the site's advisory lock on the bus connection
 * runs it; every other node tries the lock at each call (one cheap query)
 * and gets it once the holder's connection is gone. A node whose database
 * is away lets it go. No fleet: 1. */
int fleet_control(struct csms *app);
/* The same for a site's control loop (issue 15: each site has its own,
 * under its own advisory lock, so different nodes may run different
 * sites' loops); fleet_control is the default site's (the station's). */
int fleet_control_site(struct csms *app, const char *site);
/* Whether this node runs the site's loop as of its last fleet_control_site
 * (no query, no attempt at the lock). No fleet: 1. */
int fleet_runs_site(struct csms *app, const char *site);
/* The node that runs the control loop: 1 with node, 0 none known (the
 * last holder no longer runs and no node took it yet), <0 store error.
 * No fleet: 0. */
int fleet_control_node(struct csms *app, char node[FLEETMSG_NODE_MAX]);
int fleet_control_node_site(struct csms *app, const char *site, char node[FLEETMSG_NODE_MAX]);
/* GET /api/v1/health: the node, whether its database and bus are up, and
 * (with_nodes) the nodes with their heartbeats and leases. */
void fleet_health(struct csms *app, cJSON *o, int with_nodes);

#endif
