/* control.h: the glue between OCPP and the energy libraries: grid sensor
 * readings + station targets -> dlm -> SetChargingProfile per charger.
 * The only module that speaks both amps and OCPP. */
#ifndef CSMS_CONTROL_H
#define CSMS_CONTROL_H

#include <cjson/cJSON.h>
#include <stddef.h>

struct csms;
struct csms_config;
struct charger;
struct err_info;

/* Checks every DLM setting of cfg as control_init will use it (the dlm/
 * library's rules, the sensor's options) without opening or starting
 * anything: called before the store is opened. 0, or -1 with err naming
 * the config key. */
int control_check_config(const struct csms_config *cfg, char *err, size_t errlen);
/* After store_open (it reads the settings kept from the API). */
int control_init(struct csms *app, char *err, size_t errlen);
void control_free(struct csms *app);
/* The periodic tick (called by csms_tick). */
void control_tick(struct csms *app);
/* The loop was woken (a sensor reading may be waiting). */
void control_wake(struct csms *app);
/* A fleet's dlmin/dlmout message (fleet_hooks.dlm): another node's
 * charger's input for the loop run here, or the limit of a charger here. */
struct fleetmsg;
void control_fleet_msg(struct csms *app, struct fleetmsg *m);

/* Charger events from the OCPP handlers and the server. */
void control_charger_online(struct csms *app, struct charger *ch);
void control_charger_offline(struct csms *app, struct charger *ch);
void control_charger_changed(struct csms *app, struct charger *ch);
struct charger_settings;
/* Its settings changed through the API (old: as they were): a changed
 * phaseSwitching lifts a phase fault; then as control_charger_changed. */
void control_charger_settings(struct csms *app, struct charger *ch, const struct charger_settings *old);

/* A station's view of its site's chargers that other nodes hold (issue
 * 15): on the node that runs the site's loop, fn for each one
 * with a fresh input: its id (borrowed for the call), whether a car is
 * plugged in and what it draws (W). Nothing when not the lead (or one
 * node: there are none). */
void control_remote_each(struct csms *app, const char *site,
			 void (*fn)(void *arg, const char *id, int plugged, double power_w), void *arg);

/* What the chargers draw now per grid phase, A, from their MeterValues
 * (Current.Import per phase, else power / voltage on their phases; a
 * charging one that reports nothing: its installed limit; no car: 0): the
 * chargers' part of the simulated house (energy.c). */
void control_ev_draw_a(struct csms *app, double ev_a[3]);

/* One charger's limit and draw, for GET /api/v1/station's "measured":
 * {"limitSentA" (the last profile sent, null none), "limitAckA" (what it
 * accepted and runs on, null none), "drawA": [L1, L2, L3] (its MeterValues'
 * current, null where not reported), "followsLimit" (false while its
 * LimitNotFollowed alarm is raised, null when not judged)}. New tree (the
 * caller frees it); NULL for an unknown charger or without control. */
cJSON *control_charger_flow_json(struct csms *app, const char *charger_id);

/* The grid sensor's health, for the diagnosis and /metrics. Strings are
 * borrowed until the next loop turn. */
struct control_sensor_info {
	const char *type; /* "sim", "api", "modbus-tcp", "modbus-rtu" */
	int dlm_enabled;
	int healthy;       /* a reading younger than dlm_stale_s */
	double age_s;      /* < 0: no reading yet */
	const char *error; /* the driver's last error, "" none */
	unsigned long long readings, failures;
};
int control_sensor_info(struct csms *app, struct control_sensor_info *out); /* 0, -1 no control */

/* The grid's phase currents (A, import positive; NAN each while the
 * sensor's reading is stale or absent) and DLM's last headroom per phase
 * (NAN before the first decision). 0 fresh, 1 stale, -1 no control. */
int control_grid(struct csms *app, double current_a[3], double headroom_a[3]);
/* The same for every site's loop, the default site first: fn(arg, site,
 * its sensor, its grid currents, its headroom) until fn returns non-zero
 * (returned). A site whose loop another node runs has no fresh reading. */
int control_site_each(struct csms *app,
		      int (*fn)(void *arg, const char *site, const struct control_sensor_info *si,
				const double current_a[3], const double headroom_a[3]),
		      void *arg);

/* What the admin API reads and sets (api/api_dlm.c carries it over HTTP):
 * JSON in and out, refusals as an err_kind with a message naming the API
 * field. */
/* GET /api/v1/dlm: the settings (API names), the sensor, the grid, the
 * chargers' limits. New tree, the caller frees it; NULL when control is not
 * running (or out of memory). Takes a waiting sensor reading first. */
cJSON *control_status_json(struct csms *app);
/* One entry of that "chargers" list: a charger connected here under DLM
 * (accepted, in the loop); NULL otherwise. In a fleet each node answers
 * its own (api_fleet.c gathers them for the site's view). */
cJSON *control_charger_json(const struct charger *ch);
/* PUT /api/v1/dlm: body (borrowed) holds some of the API fields; each is
 * checked with the command line's bounds, then all as control_init checks
 * them. 0 once in force and kept in the store (meta "dlm"); else -1 with e
 * (ERR_BAD_REQUEST naming the field, ERR_INTERNAL when the store fails)
 * and every setting as it was. */
int control_apply_settings(struct csms *app, const cJSON *body, struct err_info *e);
/* After a PUT of body: one line per field it set that an explicit start
 * value (command line, environment) will win over at the next start; a
 * new array (empty when none). */
cJSON *control_put_warnings(struct csms *app, const cJSON *body);
/* 0 when readings may be pushed (dlm_sensor api), else -1 with e
 * (ERR_CONFLICT): asked before the request body is read. */
int control_accepts_readings(struct csms *app, struct err_info *e);
/* PUT /api/v1/dlm/readings: {"current":[3], "voltage"?, "power"?,
 * "timestamp"?} (borrowed) to the api sensor, and a decision on it at
 * once. 0, or -1 with e (as control_accepts_readings, ERR_BAD_REQUEST). */
int control_push_readings(struct csms *app, const cJSON *body, struct err_info *e);

/* A fleet's sites (issue 15), each with its own breaker, grid sensor and
 * control loop over the chargers whose setting "site" names it; the
 * default site ("default") is the one above (GET/PUT /api/v1/dlm) and
 * the only one with the station. api/api_sites.c carries these over HTTP;
 * refusals as above (ERR_NOT_FOUND: no such site). */
/* GET /api/v1/sites: every site as control_site_json, by id. New array. */
cJSON *control_sites_json(struct csms *app, struct err_info *e);
/* GET /api/v1/sites/{id}: {"id", "name", "station" (true only on the
 * default site), "chargerCount", then what GET /api/v1/dlm shows for the
 * site: settings, sensor, grid, its chargers' limits, controlNode}. New
 * tree; NULL with e. */
cJSON *control_site_json(struct csms *app, const char *site, struct err_info *e);
/* 0 when site is a site here (read again from the store when not), else
 * -1 with e (404, or 503 when DLM is not running). */
int control_site_known(struct csms *app, const char *site, struct err_info *e);
/* PUT /api/v1/sites/{id}: body = PUT /api/v1/dlm's fields plus "name"
 * (borrowed). Creates the site (*created 1; from the defaults, sensor api)
 * or changes it; all or nothing, kept in the store, in force at once. A
 * site other than the default may not have sensor sim (the station's
 * simulated house). 0, or -1 with e. */
int control_site_put(struct csms *app, const char *site, const cJSON *body, int *created, struct err_info *e);
/* DELETE /api/v1/sites/{id}: ERR_CONFLICT for the default site or one
 * that chargers still belong to, ERR_NOT_FOUND for an unknown one. */
int control_site_delete(struct csms *app, const char *site, struct err_info *e);
/* PUT /api/v1/sites/{id}/readings: as control_accepts_readings and
 * control_push_readings, for that site's api sensor. */
int control_site_accepts_readings(struct csms *app, const char *site, struct err_info *e);
int control_site_push_readings(struct csms *app, const char *site, const cJSON *body, struct err_info *e);

#endif
