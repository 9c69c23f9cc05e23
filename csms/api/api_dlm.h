/* api_dlm.h: the DLM resource of the admin API (routes in admin.c's table).
 * The settings, their checks and the readings are control.c's; these only
 * carry them over HTTP. */
#ifndef CSMS_API_DLM_H
#define CSMS_API_DLM_H

struct route_ctx;

void api_dlm_get(struct route_ctx *c);      /* GET /api/v1/dlm */
void api_dlm_put(struct route_ctx *c);      /* PUT /api/v1/dlm {partial settings} */
void api_dlm_readings(struct route_ctx *c); /* PUT /api/v1/dlm/readings {"current":[3],...} */

#endif
