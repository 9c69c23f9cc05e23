/* energy.h: the glue between the daemon and the station library: station
 * settings (config file, then the store's meta "station", then the API),
 * the data source (sim, modbus, api), the periodic station step and its
 * outputs (battery setpoint to the source, EV targets for control.c,
 * controlled loads), and what the /api/v1/station routes (api/api_station.c)
 * read and set, as JSON. Speaks watts; OCPP stays in control.c.
 *
 * A station per site: the default site's (app->energy) runs on the
 * station_* settings; any other site may have one of its own (PUT
 * /api/v1/sites/{id}/station: settings and an api or modbus source), kept
 * in the store's meta under "<key>@<site>". The functions that take a
 * struct energy act on that one station (NULL: none, as "not running");
 * those that take the app act on the default site's, or on all.
 *
 * Threading: everything runs on the lws service thread; only the modbus
 * driver has a thread of its own, read through its mailbox (energy_wake).
 * Ownership: energy_init() allocates app->energy; energy_free() releases it. */
#ifndef CSMS_ENERGY_H
#define CSMS_ENERGY_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

struct csms;
struct csms_config;
struct energy;
struct err_info;

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
/* Periodic duty (from csms_tick): one step of each station every
 * station_tick_ms, on the node that runs its site's control loop; in a
 * fleet every 5 s what other nodes changed (energy_sync_sites). */
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
cJSON *energy_source_json(struct energy *e);

int energy_ev_target(const struct energy *e, const char *charger_id, double *target_a, int *phases);

/* The DLM grid sensor "sim": the simulated house (the station source sim's
 * one) now, with every charger's measured draw (control_ev_draw_a): grid
 * current per phase, import positive, and the local generation on each
 * phase (PV delivered and battery discharge, a third each). 0, or -1 when
 * the station is not running. */
int energy_house_grid(struct csms *app, double grid_a[3], double gen_a[3]);
/* The local generation the station measures now, W (PV, third-party PV,
 * battery discharge, the generator when on); 0 when it does not know
 * (not running, no or stale measurement, or a simulated house, whose PV
 * explains nothing a real meter reads). For DLM's trust in a negative
 * house current behind a real grid meter. */
double energy_generation_w(const struct energy *e);
/* Whether the station runs on grid now (1) or off grid (0: an outage the
 * source reports, or the api source's on_grid false), and the load it
 * cannot serve then, W (station_output.unserved_w; 0 on grid). 0, or -1
 * when the station is not running or has no outputs yet. */
int energy_grid_state(struct csms *app, int *on_grid, double *unserved_w);
/* The import and export price per kWh in force at ms: the price list, else
 * the tariff (station_price_slot, the price the station plans with). 0, or
 * -1 when the station is not running. */
int energy_price_at(struct csms *app, int64_t ms, double *import_price, double *export_price);

/* What the admin API reads and sets (api/api_station.c carries it over
 * HTTP): JSON in and out (bodies borrowed, trees returned new for the
 * caller to free), refusals as an err_kind with a message naming the field.
 * Each refuses with ERR_UNAVAILABLE while the station is not running. */
/* 0 when the station is running, else -1 with e (ERR_UNAVAILABLE): asked
 * before the request body is read. */
int energy_running(struct energy *e, struct err_info *er);
/* GET /api/v1/station: mode, settings, live flows, source, outputs, remote
 * EMS, prices. NULL when not running. Takes a waiting reading first. */
cJSON *energy_status_json(struct energy *e);
/* Its live part only, for the feeds that send it often (the dashboard's
 * events, MQTT): {"mode", "live", "source"} as in energy_status_json,
 * without building the settings, plan and outlook. NULL when not running. */
cJSON *energy_live_json(struct energy *e);
/* PUT /api/v1/station: partial settings, "confirm", and the remote EMS
 * setpoint ("remoteEms": {"setpointW", "target"}). 0 once in force (a step
 * has run on them) and kept in the store (meta "station"); else -1 with e
 * (ERR_BAD_REQUEST, ERR_CONFLICT a setpoint outside remoteEms,
 * ERR_INTERNAL) and nothing changed. */
int energy_apply_settings(struct energy *e, const cJSON *body, struct err_info *er);
/* 0 when measurements may be pushed (station_source api), else -1 with e
 * (ERR_CONFLICT): asked before the request body is read. */
int energy_accepts_measurements(struct energy *e, struct err_info *er);
/* PUT /api/v1/station/measurements: one measurement ({"pv_w", "load_w" or
 * "grid_w" + "bat_w", "soc_pct", ...}), a step on it at once. 0, or -1 with
 * e (as energy_accepts_measurements, ERR_BAD_REQUEST). */
int energy_push_measurements(struct energy *e, const cJSON *body, struct err_info *er);
/* {"outputs", "live"} of the last step; NULL when not running. */
cJSON *energy_step_json(struct energy *e);
/* PUT /api/v1/station/prices: a price list, 15-min or hourly slots, in
 * force at once and kept over a restart when the store takes it. 0, or -1
 * with e (ERR_BAD_REQUEST naming the field). */
int energy_set_prices(struct energy *e, const cJSON *body, struct err_info *er);
/* A PV forecast from a forecast service (integ/feeds.c): mean PV power, W,
 * of n slots of slot_s seconds from start_ms, the optimiser's PV forecast
 * where it has slots (station_forecast_set). 0, or -1 (not running, or
 * refused: nothing changed). */
int energy_set_pv_forecast(struct csms *app, int64_t start_ms, int slot_s, int n, const double *pv_w);
/* The dated load-shedding outages from a schedule file (integ/outages.c):
 * they replace loadShedding.outages, checked as a PUT of them would be,
 * kept with the settings, in force at once. 0, or -1 with e (not running,
 * or ERR_BAD_REQUEST with the station's reason: nothing changed). */
struct station_outage;
int energy_set_outages(struct csms *app, const struct station_outage *o, int n, struct err_info *er);
/* The station's clock, ms: the simulated house's own with station_source
 * sim, else the loop's (app->now_ms). */
int64_t energy_clock_ms(struct csms *app);
/* What a feed (integ/: "prices", "pvForecast") reports of itself, shown
 * under "feeds" in GET /api/v1/station; status is taken (freed here). */
void energy_set_feed(struct csms *app, const char *name, cJSON *status);
/* The price list in force: {"start", "slotS", "count", "end"}; NULL when
 * there is none or the station is not running. */
cJSON *energy_prices_json(struct energy *e);

/* Whether this node runs the station's site loop (fleet_control_site;
 * one node: always), and on a change what goes with it: taking it over
 * reads the kept settings, prices and learned forecast again and starts
 * the Modbus source; letting it go stops the source. Asked by each tick
 * and by the API before it answers for the station. 0 for NULL. */
int energy_lead(struct energy *e);
/* The site's station, NULL when it has none (the default site's:
 * app->energy, NULL when not running). */
struct energy *energy_of(struct csms *app, const char *site);
/* Each site's station as the store keeps it: started where kept and
 * missing here, dropped where gone, settings read again where another node
 * changed them. At start and, in a fleet, every 5 s. */
void energy_sync_sites(struct csms *app);
/* 0 when the site exists, else -1 with e (ERR_NOT_FOUND, ERR_INTERNAL). */
int energy_site_known(struct csms *app, const char *site, struct err_info *er);
/* 0 when the site exists and has a station here, else -1 with e
 * (ERR_NOT_FOUND; the default site's not running: ERR_UNAVAILABLE). */
int energy_site_station(struct csms *app, const char *site, struct err_info *er);
/* PUT /api/v1/sites/{id}/station: settings as energy_apply_settings takes
 * them plus "source" ({"type": "api"} or {"type": "modbus", "host",
 * "port", "unit", "map", "pollMs"}; the default site refuses it). Makes
 * the site's station (*created = 1; api source unless given) or changes
 * it; a new source restarts it with its settings and what it learned. 0,
 * or -1 with e (ERR_NOT_FOUND unknown site, ERR_BAD_REQUEST naming the
 * field, ERR_INTERNAL) and nothing changed. */
int energy_site_put(struct csms *app, const char *site, const cJSON *body, int *created, struct err_info *er);
/* DELETE /api/v1/sites/{id}/station: 0, or -1 with e (ERR_NOT_FOUND,
 * ERR_CONFLICT for the default site). */
int energy_site_delete(struct csms *app, const char *site, struct err_info *er);
/* The site's station and what is kept of it removed (also when the site
 * is deleted); the default site: nothing. 0, or -1 (ERR_INTERNAL). */
int energy_site_forget(struct csms *app, const char *site, struct err_info *er);

#endif
