/* api_station.c: GET/PUT /api/v1/station, PUT /api/v1/station/measurements
 * and /prices. Only HTTP: the body is parsed here, energy.c (glue/) checks
 * and applies it and says why it refuses, admin_fail answers the refusal.
 * What the station needs (running; an api source) is asked before the
 * body is read, so such a refusal does not depend on the body. */
#include "api_station.h"
#include "admin.h"
#include "energy.h"
#include "errkind.h"

/* A PUT: once gate lets the request in, the body to apply, then the
 * answer() tree, or the refusal of either. */
static void put(struct route_ctx *c, int (*gate)(struct csms *, struct err_info *),
		int (*apply)(struct csms *, const cJSON *, struct err_info *),
		cJSON *(*answer)(struct csms *))
{
	struct err_info e;
	if (gate(c->app, &e)) {
		admin_fail(c->t, &e);
		return;
	}
	cJSON *body = admin_parse_body(c, 0);
	if (!body)
		return;
	int rc = apply(c->app, body, &e);
	cJSON_Delete(body);
	if (rc)
		admin_fail(c->t, &e);
	else
		admin_reply_json(c->t, 200, answer(c->app));
}

void api_station_get(struct route_ctx *c)
{
	struct err_info e;
	if (energy_running(c->app, &e))
		admin_fail(c->t, &e);
	else
		admin_reply_json(c->t, 200, energy_status_json(c->app));
}

void api_station_put(struct route_ctx *c)
{
	put(c, energy_running, energy_apply_settings, energy_status_json);
}

void api_station_measurements(struct route_ctx *c)
{
	put(c, energy_accepts_measurements, energy_push_measurements, energy_step_json);
}

void api_station_prices(struct route_ctx *c)
{
	put(c, energy_running, energy_set_prices, energy_prices_json);
}
