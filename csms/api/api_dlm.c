/* api_dlm.c: GET/PUT /api/v1/dlm and PUT /api/v1/dlm/readings. Only HTTP:
 * the body is parsed here, control.c (glue/) checks and applies it and
 * says why it refuses, admin_fail answers the refusal. */
#include "api_dlm.h"
#include "admin.h"
#include "api_fleet.h"
#include "control.h"
#include "errkind.h"
#include "http.h"
#include "store.h"

void api_dlm_get(struct route_ctx *c)
{
	if (!api_fleet_dlm_to_lead(c, STORE_SITE_DEFAULT))
		return; /* a fleet: the node that runs the loop answers */
	cJSON *o = control_status_json(c->app);
	api_fleet_dlm_merge(c->app, o, STORE_SITE_DEFAULT);
	admin_reply_json(c->t, 200, o);
}

void api_dlm_put(struct route_ctx *c)
{
	struct err_info e;
	cJSON *body = admin_parse_body(c, 0);
	if (!body)
		return;
	int rc = control_apply_settings(c->app, body, &e);
	if (rc) {
		admin_fail(c->t, &e);
	} else {
		/* the GET answer, and what will not last over a restart */
		cJSON *o = control_status_json(c->app);
		if (o)
			cJSON_AddItemToObject(o, "warnings", control_put_warnings(c->app, body));
		admin_reply_json(c->t, 200, o);
	}
	cJSON_Delete(body);
}

void api_dlm_readings(struct route_ctx *c)
{
	struct err_info e;
	/* the sensor's kind first: a client pushing to a meter it should not
	 * hears so whatever its body */
	if (control_accepts_readings(c->app, &e)) {
		admin_fail(c->t, &e);
		return;
	}
	cJSON *body = admin_parse_body(c, 0);
	if (!body)
		return;
	int rc = control_push_readings(c->app, body, &e);
	if (rc)
		admin_fail(c->t, &e);
	else if (api_fleet_readings_to_lead(c, STORE_SITE_DEFAULT, body))
		http_respond(c->t, 204, "application/json", NULL, 0);
	cJSON_Delete(body);
}
