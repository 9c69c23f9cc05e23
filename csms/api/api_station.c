/* api_station.c: GET/PUT /api/v1/station, PUT /api/v1/station/measurements
 * and /prices. Only HTTP: the body is parsed here, energy.c (glue/) checks
 * and applies it and says why it refuses, admin_fail answers the refusal.
 * What the station needs (running; an api source) is asked before the
 * body is read, so such a refusal does not depend on the body.
 *
 * Several nodes (issue 15): the station steps only on the node that runs
 * the site's control loop, so on any other node each of these goes there
 * over the bus (api_fleet_to_lead) and its answer comes back unchanged:
 * the dashboard and an EMS work against any node. The operations are one
 * table, run here or there by api_station_run. */
#include "api_station.h"
#include "admin.h"
#include "api_fleet.h"
#include "fleet.h"
#include "energy.h"
#include "errkind.h"

#include <string.h>

static const struct station_op {
	const char *name; /* the bus's operation name */
	int (*gate)(struct csms *, struct err_info *);
	int (*apply)(struct csms *, const cJSON *, struct err_info *); /* NULL: a GET */
	cJSON *(*answer)(struct csms *);
} ops[] = {
	{ "stationGet", energy_running, NULL, energy_status_json },
	{ "stationPut", energy_running, energy_apply_settings, energy_status_json },
	{ "stationMeasurements", energy_accepts_measurements, energy_push_measurements, energy_step_json },
	{ "stationPrices", energy_running, energy_set_prices, energy_prices_json },
	{ "stationLive", energy_running, NULL, energy_live_json }, /* the dashboard's stream */
};

static const struct station_op *op_named(const char *name)
{
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(ops[i].name, name))
			return &ops[i];
	return NULL;
}

static cJSON *refusal(const struct err_info *e, int *status)
{
	const char *code;
	*status = admin_err_answer(e->kind, &code);
	return admin_error_json(code, "%s", e->msg);
}

cJSON *api_station_run(struct csms *app, const char *name, const cJSON *body, int *status)
{
	const struct station_op *op = op_named(name);
	struct err_info e;
	if (!op) {
		err_set(&e, ERR_BAD_REQUEST, "no station operation %s", name);
		return refusal(&e, status);
	}
	if (op->gate(app, &e) || (op->apply && op->apply(app, body, &e)))
		return refusal(&e, status);
	*status = 200;
	return op->answer(app);
}

/* A request: here, or at the node that runs the station. */
static void serve(struct route_ctx *c, const char *name)
{
	const struct station_op *op = op_named(name);
	struct err_info e;
	if (fleet_control(c->app) && op->gate(c->app, &e)) {
		admin_fail(c->t, &e);
		return;
	}
	cJSON *body = op->apply ? admin_parse_body(c, 0) : cJSON_CreateObject();
	if (!body)
		return;
	if (api_fleet_to_lead(c, name, body)) {
		int status;
		cJSON *answer = api_station_run(c->app, name, body, &status);
		admin_reply_json(c->t, status, answer);
	}
	cJSON_Delete(body);
}

void api_station_get(struct route_ctx *c)
{
	serve(c, "stationGet");
}

void api_station_put(struct route_ctx *c)
{
	serve(c, "stationPut");
}

void api_station_measurements(struct route_ctx *c)
{
	serve(c, "stationMeasurements");
}

void api_station_prices(struct route_ctx *c)
{
	serve(c, "stationPrices");
}
