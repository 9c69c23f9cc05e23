/* api_sites.c: GET/PUT/DELETE /api/v1/sites[/{id}] and PUT
 * /api/v1/sites/{id}/readings. Only HTTP: control.c (glue/) checks,
 * applies and says why it refuses; admin_fail answers the refusal. */
#include "api_sites.h"
#include "admin.h"
#include "api_fleet.h"
#include "control.h"
#include "errkind.h"
#include "http.h"

/* Each site as the node that runs its loop has it, with every node's
 * chargers (a fleet: api_fleet_sites_merge). */
void api_sites_list(struct route_ctx *c)
{
	struct err_info e;
	cJSON *a = control_sites_json(c->app, &e);
	api_fleet_sites_merge(c->app, a);
	if (a)
		admin_reply_json(c->t, 200, a);
	else
		admin_fail(c->t, &e);
}

void api_sites_get(struct route_ctx *c)
{
	struct err_info e;
	if (control_site_known(c->app, c->params[0], &e)) {
		admin_fail(c->t, &e);
		return;
	}
	if (!api_fleet_dlm_to_lead(c, c->params[0]))
		return; /* a fleet: the node that runs the site's loop answers */
	cJSON *o = control_site_json(c->app, c->params[0], &e);
	api_fleet_dlm_merge(c->app, o, c->params[0]);
	if (o)
		admin_reply_json(c->t, 200, o);
	else
		admin_fail(c->t, &e);
}

void api_sites_put(struct route_ctx *c)
{
	struct err_info e;
	int created = 0;
	cJSON *body = admin_parse_body(c, 0);
	if (!body)
		return;
	int rc = control_site_put(c->app, c->params[0], body, &created, &e);
	cJSON_Delete(body);
	if (rc) {
		admin_fail(c->t, &e);
		return;
	}
	cJSON *o = control_site_json(c->app, c->params[0], &e);
	if (!o)
		admin_fail(c->t, &e);
	else if (created)
		admin_reply_created(c, "sites", o);
	else
		admin_reply_json(c->t, 200, o);
}

void api_sites_delete(struct route_ctx *c)
{
	struct err_info e;
	if (control_site_delete(c->app, c->params[0], &e))
		admin_fail(c->t, &e);
	else
		http_respond(c->t, 204, "application/json", NULL, 0);
}

void api_sites_readings(struct route_ctx *c)
{
	struct err_info e;
	/* the site and its sensor's kind first, as /api/v1/dlm/readings */
	if (control_site_accepts_readings(c->app, c->params[0], &e)) {
		admin_fail(c->t, &e);
		return;
	}
	cJSON *body = admin_parse_body(c, 0);
	if (!body)
		return;
	int rc = control_site_push_readings(c->app, c->params[0], body, &e);
	if (rc)
		admin_fail(c->t, &e);
	else if (api_fleet_readings_to_lead(c, c->params[0], body))
		http_respond(c->t, 204, "application/json", NULL, 0);
	cJSON_Delete(body);
}
