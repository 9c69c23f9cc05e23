/* fleetmsg.h: what the nodes of a fleet say to each other over the bus
 * (PostgreSQL notifications, small JSON objects), and the two decisions
 * about a charger's lease. Pure: no I/O, no clock; a message from the bus
 * is checked like any input (a node id, a charger id, an action name, a
 * payload object, numbers in range) before anything acts on it. */
#ifndef CSMS_FLEETMSG_H
#define CSMS_FLEETMSG_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define FLEETMSG_NODE_MAX 48     /* a node id: 1..47 of [A-Za-z0-9_.:-] */
#define FLEETMSG_ID_MAX 49       /* a chargePointId: 1..48 characters */
#define FLEETMSG_ACTION_MAX 40   /* an OCPP action name */
#define FLEETMSG_NOTIFY_MAX 7999 /* bytes a notification may carry; bigger go by reference */

enum fleetmsg_type {
	FLEETMSG_DROP,   /* "drop": the sender took charger; close your session of it */
	FLEETMSG_CALL,   /* "call": send action with payload to charger, answer req to from */
	FLEETMSG_REPLY,  /* "reply": the HTTP answer (status, body) to request req */
	FLEETMSG_REF,    /* "ref": the message is bus_message row ref (it was too big) */
	FLEETMSG_DLMIN,  /* "dlmin": to the control node: charger's DLM input (payload object) */
	FLEETMSG_DLMOUT, /* "dlmout": from the control node: charger's limit (payload object) */
	FLEETMSG_API,    /* "api": to the node that runs the station: API operation action with
			    payload, answer req to from (a "reply") */
	FLEETMSG_RELOAD, /* "reload": charger's stored settings changed: read them again */
	FLEETMSG_TYPES
};

/* One message; lives with its owner; fleetmsg_free frees payload. */
struct fleetmsg {
	enum fleetmsg_type type;
	char from[FLEETMSG_NODE_MAX];     /* the sender */
	char charger[FLEETMSG_ID_MAX];    /* drop, call, dlmin, dlmout, reload */
	char action[FLEETMSG_ACTION_MAX]; /* call: the OCPP action; api: the operation */
	uint64_t req;                     /* call, api, reply: the asker's request number (1..10^15 - 1) */
	int status;                       /* reply: HTTP status (100..599) */
	cJSON *payload; /* call, api: the request payload (object); reply: the body (NULL: none, a 204);
					     dlmin, dlmout: the values (object, checked by the reader) */
	int64_t ref;    /* ref: the row (>= 1) */
};

/* 1 when s is a usable node id. */
int fleetmsg_node_ok(const char *s);
/* The message as JSON text (malloc'd; the caller frees), or NULL. */
char *fleetmsg_encode(const struct fleetmsg *m);
/* Reads text into *m (payload allocated: fleetmsg_free). 0, or -1 with why
 * (static text) when it is not a well-formed message of a known type. */
int fleetmsg_decode(const char *text, size_t len, struct fleetmsg *m, const char **why);
void fleetmsg_free(struct fleetmsg *m);

/* What the lease store says about a charger, for the two decisions. */
struct fleet_lease_view {
	int found;        /* a row exists */
	const char *node; /* its holder */
	int64_t until_ms; /* its end */
	int node_alive;   /* the holder's node runs */
};
/* A charger connected here: whom to tell to drop it. */
enum fleet_take {
	FLEET_TAKE_FREE,     /* nobody held it (or the lease ran out, or its node is gone): take it */
	FLEET_TAKE_OURS,     /* we held it already */
	FLEET_TAKE_FROM_LIVE /* another live node holds it: take it and tell that node */
};
enum fleet_take fleet_take_decide(const char *me, const struct fleet_lease_view *l, int64_t now_ms);
/* An admin call for a charger that has no session here. */
enum fleet_route {
	FLEET_ROUTE_NOBODY, /* no live lease of a running node: answer as for an offline charger */
	FLEET_ROUTE_FORWARD /* another node holds it: forward the call */
};
enum fleet_route fleet_route_decide(const char *me, const struct fleet_lease_view *l, int64_t now_ms);

#endif
