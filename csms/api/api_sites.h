/* api_sites.h: a fleet's sites in the admin API (routes in admin.c's
 * table): each site's DLM settings and state, as /api/v1/dlm has them for
 * the default site. The sites, their checks and loops are control.c's. */
#ifndef CSMS_API_SITES_H
#define CSMS_API_SITES_H

struct route_ctx;

void api_sites_list(struct route_ctx *c);     /* GET /api/v1/sites */
void api_sites_get(struct route_ctx *c);      /* GET /api/v1/sites/{id} */
void api_sites_put(struct route_ctx *c);      /* PUT /api/v1/sites/{id}: 201 created, 200 changed */
void api_sites_delete(struct route_ctx *c);   /* DELETE /api/v1/sites/{id}: 204 */
void api_sites_readings(struct route_ctx *c); /* PUT /api/v1/sites/{id}/readings: 204 */

#endif
