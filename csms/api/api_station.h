/* api_station.h: the station resource of the admin API (routes in
 * admin.c's table). Settings, measurements and prices are energy.c's;
 * these only carry them over HTTP. */
#ifndef CSMS_API_STATION_H
#define CSMS_API_STATION_H

struct route_ctx;

void api_station_get(struct route_ctx *c);          /* GET /api/v1/station */
void api_station_put(struct route_ctx *c);          /* PUT /api/v1/station {partial settings, remoteEms} */
void api_station_measurements(struct route_ctx *c); /* PUT /api/v1/station/measurements (source api) */
void api_station_prices(struct route_ctx *c);       /* PUT /api/v1/station/prices */

#endif
