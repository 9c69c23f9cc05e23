/* api_history.h: the station's measured history over HTTP (routes in
 * admin.c's table); the rows and their arithmetic are glue/history.c's. */
#ifndef CSMS_API_HISTORY_H
#define CSMS_API_HISTORY_H

struct route_ctx;

void api_history_series(struct route_ctx *c); /* GET /api/v1/history?from=&to=&step= */
void api_history_energy(struct route_ctx *c); /* GET /api/v1/energy?from=&to=&period=day|month */

#endif
