/* energy.h: the glue between the daemon and the station library: station
 * settings (config file, then the store's meta "station", then the API),
 * the data source (sim, modbus, api), the periodic station step and its
 * outputs (battery setpoint to the source, EV targets for control.c,
 * controlled loads), and the /api/v1/station routes. Speaks watts; OCPP
 * stays in control.c.
 *
 * Threading: everything runs on the lws service thread; only the modbus
 * driver has a thread of its own, read through its mailbox (energy_wake).
 * Ownership: energy_init() allocates app->energy; energy_free() releases it. */
#ifndef CSMS_ENERGY_H
#define CSMS_ENERGY_H

#include <cjson/cJSON.h>
#include <stddef.h>

struct csms;
struct csms_config;
struct route_ctx;

/* Checks every station setting of cfg as energy_init will use it (the
 * source's options and map, the simulated clock's start, the
 * station_settings file through the station library's validation) without
 * opening or starting anything: called before the store is opened. 0, or
 * -1 with err naming the setting or file. */
int energy_check_config(const struct csms_config *cfg, char *err, size_t errlen);

/* After store_open (it reads the kept settings); -1 with err naming the
 * setting or file that is wrong. */
int energy_init(struct csms *app, char *err, size_t errlen);
void energy_free(struct csms *app);
/* Periodic duty (from csms_tick): one station step every station_tick_ms. */
void energy_tick(struct csms *app);
/* The loop was woken: take a waiting modbus reading from the mailbox. */
void energy_wake(struct csms *app);

/* What the station's charging mode wants for a charger now. Returns 0 and
 * sets *target_a (0 = do not charge, else >= 6 A per phase) and *phases
 * (1 or 3); returns -1 with *target_a = -1 when the station has no opinion
 * (unknown charger, no step yet, a Fast charger while measurements are
 * stale): DLM then allows what it can. DLM has the last word either way. */
/* The data source and its health ({"type","healthy","ageS",...}); NULL when
 * the station is not running. New tree, the caller frees it. */
cJSON *energy_source_json(struct csms *app);

int energy_ev_target(struct csms *app, const char *charger_id, double *target_a, int *phases);

/* Routes:
 *   GET /api/v1/station               mode, settings, live flows, source, outputs
 *   PUT /api/v1/station               partial settings; remoteEms.setpointW/target
 *   PUT /api/v1/station/measurements  measurements pushed by another system (source api)
 *   PUT /api/v1/station/prices        a price list, 15-min or hourly slots */
void energy_api_get(struct route_ctx *c);
void energy_api_put(struct route_ctx *c);
void energy_api_measurements(struct route_ctx *c);
void energy_api_prices(struct route_ctx *c);

#endif
