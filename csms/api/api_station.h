/* api_station.h: the station resource of the admin API (routes in
 * admin.c's table). Settings, measurements and prices are energy.c's;
 * these only carry them over HTTP. */
#ifndef CSMS_API_STATION_H
#define CSMS_API_STATION_H

#include <cjson/cJSON.h>

struct csms;
struct route_ctx;

void api_station_get(struct route_ctx *c);          /* GET /api/v1/station */
void api_station_put(struct route_ctx *c);          /* PUT /api/v1/station {partial settings, remoteEms} */
void api_station_measurements(struct route_ctx *c); /* PUT /api/v1/station/measurements (source api) */
void api_station_prices(struct route_ctx *c);       /* PUT /api/v1/station/prices */
/* A site's own station: /api/v1/sites/{id}/station (GET, PUT makes or
 * changes it with its "source", DELETE) and its /measurements, /prices. */
void api_site_station_get(struct route_ctx *c);
void api_site_station_put(struct route_ctx *c);
void api_site_station_delete(struct route_ctx *c);
void api_site_station_measurements(struct route_ctx *c);
void api_site_station_prices(struct route_ctx *c);

/* Runs station operation name ("stationGet", "stationPut",
 * "stationMeasurements", "stationPrices", "stationLive": the events
 * stream's part; a site's: "siteStation" + Get, Put, Delete, Measurements,
 * Prices, whose body is {"site", "body"}) with body (borrowed; {} for a
 * GET) on this node's station of the site: the answer (new tree, NULL
 * for none) and its HTTP status; 503 when this node does not run the
 * site's loop (any more). */
cJSON *api_station_run(struct csms *app, const char *name, const cJSON *body, int *status);

#endif
