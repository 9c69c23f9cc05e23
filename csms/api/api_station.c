/* api_station.c: GET/PUT /api/v1/station, PUT /api/v1/station/measurements
 * and /prices, and the same for any site's own station under
 * /api/v1/sites/{id}/station (plus its DELETE). Only HTTP: the body is
 * parsed here, energy.c (glue/) checks and applies it and says why it
 * refuses, admin_fail answers the refusal. What the station needs (it
 * exists and runs; an api source) is asked before the body is read, so
 * such a refusal does not depend on the body.
 *
 * Several nodes (issue 15): a station steps only on the node that runs its
 * site's control loop, so on any other node each of these goes there over
 * the bus (api_fleet_to_lead) and its answer comes back unchanged: the
 * dashboard and an EMS work against any node. The operations are one
 * table, run here or there by api_station_run; a site's operation carries
 * {"site", "body"} over the bus. */
#include "api_station.h"
#include "admin.h"
#include "api_fleet.h"
#include "energy.h"
#include "errkind.h"
#include "fleet.h"
#include "http.h"
#include "store.h"

#include <string.h>

enum op_kind { OP_READ, OP_APPLY, OP_SITE_PUT, OP_SITE_DELETE };

static const struct station_op {
	const char *name; /* the bus's operation name */
	enum op_kind kind;
	int (*gate)(struct energy *, struct err_info *);
	int (*apply)(struct energy *, const cJSON *, struct err_info *);
	cJSON *(*answer)(struct energy *);
	int site; /* a site's operation: /api/v1/sites/{id}/station... */
} ops[] = {
	{ "stationGet", OP_READ, energy_running, NULL, energy_status_json, 0 },
	{ "stationPut", OP_APPLY, energy_running, energy_apply_settings, energy_status_json, 0 },
	{ "stationMeasurements", OP_APPLY, energy_accepts_measurements, energy_push_measurements,
	  energy_step_json, 0 },
	{ "stationPrices", OP_APPLY, energy_running, energy_set_prices, energy_prices_json, 0 },
	{ "stationLive", OP_READ, energy_running, NULL, energy_live_json, 0 }, /* the dashboard's stream */
	{ "siteStationGet", OP_READ, energy_running, NULL, energy_status_json, 1 },
	{ "siteStationPut", OP_SITE_PUT, NULL, NULL, energy_status_json, 1 },
	{ "siteStationDelete", OP_SITE_DELETE, NULL, NULL, NULL, 1 },
	{ "siteStationMeasurements", OP_APPLY, energy_accepts_measurements, energy_push_measurements,
	  energy_step_json, 1 },
	{ "siteStationPrices", OP_APPLY, energy_running, energy_set_prices, energy_prices_json, 1 },
};

static const struct station_op *op_named(const char *name)
{
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(ops[i].name, name))
			return &ops[i];
	return NULL;
}

/* Whether this node runs the site's loop: asked once (energy_lead, which
 * reads what was kept when this node just took the loop over; a site
 * without a station here: the lock alone). */
static int runs_here(struct csms *app, const char *site)
{
	struct energy *st = energy_of(app, site);
	return st ? energy_lead(st) : fleet_control_site(app, site);
}

/* What the operation needs before its body is read: the site and its
 * station (a PUT makes one), and the station's own gate. 0, or -1 with e. */
static int gate(struct csms *app, const struct station_op *op, const char *site, struct err_info *e)
{
	if (op->kind == OP_SITE_PUT || op->kind == OP_SITE_DELETE)
		return energy_site_known(app, site, e);
	if (op->site && energy_site_station(app, site, e))
		return -1;
	return op->gate(energy_of(app, site), e);
}

/* Runs op on this node's station of site. */
static cJSON *run(struct csms *app, const struct station_op *op, const char *site, const cJSON *body,
		  int *status)
{
	struct err_info e;
	int created = 0;
	if (gate(app, op, site, &e))
		return admin_refusal(&e, status);
	if (op->kind == OP_SITE_DELETE) {
		if (energy_site_delete(app, site, &e))
			return admin_refusal(&e, status);
		*status = 204;
		return NULL;
	}
	struct energy *st = energy_of(app, site);
	if (op->kind == OP_SITE_PUT) {
		if (energy_site_put(app, site, body, &created, &e))
			return admin_refusal(&e, status);
		st = energy_of(app, site);
	} else if (op->apply && op->apply(st, body, &e))
		return admin_refusal(&e, status);
	*status = created ? 201 : 200;
	return op->answer(st);
}

cJSON *api_station_run(struct csms *app, const char *name, const cJSON *payload, int *status)
{
	const struct station_op *op = op_named(name);
	struct err_info e;
	if (!op) {
		err_set(&e, ERR_BAD_REQUEST, "no station operation %s", name);
		return admin_refusal(&e, status);
	}
	const char *site = STORE_SITE_DEFAULT;
	const cJSON *body = payload;
	if (op->site) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(payload, "site");
		body = cJSON_GetObjectItemCaseSensitive(payload, "body");
		if (!cJSON_IsString(s) || !body) { /* the body as the asking node read it: checked below */
			err_set(&e, ERR_BAD_REQUEST, "%s: {\"site\", \"body\"}", name);
			return admin_refusal(&e, status);
		}
		site = s->valuestring;
	}
	if (!runs_here(app, site)) { /* a node that just lost the loop says so */
		*status = 503;
		return admin_error_json("Unavailable",
					"node %s no longer runs the station of site %s: ask again",
					fleet_node(app), site);
	}
	return run(app, op, site, body, status);
}

/* A request: here, or at the node that runs the site's station. */
static void serve(struct route_ctx *c, const char *name)
{
	const struct station_op *op = op_named(name);
	const char *site = op->site ? c->params[0] : STORE_SITE_DEFAULT;
	struct err_info e;

	/* an unknown site is 404 on any node; the rest is asked where it runs */
	if ((op->site && energy_site_known(c->app, site, &e)) ||
	    (runs_here(c->app, site) && gate(c->app, op, site, &e))) {
		admin_fail(c->t, &e);
		return;
	}
	cJSON *body = op->kind == OP_APPLY || op->kind == OP_SITE_PUT ? admin_parse_body(c, 0)
								      : cJSON_CreateObject();
	if (!body)
		return;
	cJSON *wrapped = NULL;
	if (op->site) { /* over the bus: {"site", "body"} */
		wrapped = cJSON_CreateObject();
		cJSON_AddStringToObject(wrapped, "site", site);
		cJSON_AddItemReferenceToObject(wrapped, "body", body);
	}
	if (api_fleet_to_lead(c, site, name, wrapped ? wrapped : body)) {
		int status;
		cJSON *answer = run(c->app, op, site, body, &status);
		if (status == 201)
			admin_reply_created_at(c, "sites", "/station", answer);
		else
			admin_reply_json(c->t, status, answer);
	}
	cJSON_Delete(wrapped);
	cJSON_Delete(body);
}

/* Each route is its operation, here or where the station runs. */
#define STATION_ROUTE(fn, op)        \
	void fn(struct route_ctx *c) \
	{                            \
		serve(c, op);        \
	}

STATION_ROUTE(api_station_get, "stationGet")
STATION_ROUTE(api_station_put, "stationPut")
STATION_ROUTE(api_station_measurements, "stationMeasurements")
STATION_ROUTE(api_station_prices, "stationPrices")
STATION_ROUTE(api_site_station_get, "siteStationGet")
STATION_ROUTE(api_site_station_put, "siteStationPut")
STATION_ROUTE(api_site_station_delete, "siteStationDelete")
STATION_ROUTE(api_site_station_measurements, "siteStationMeasurements")
STATION_ROUTE(api_site_station_prices, "siteStationPrices")
