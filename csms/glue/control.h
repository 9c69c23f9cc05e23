/* control.h: the glue between OCPP and the energy libraries: grid sensor
 * readings + station targets -> dlm -> SetChargingProfile per charger.
 * The only module that speaks both amps and OCPP. */
#ifndef CSMS_CONTROL_H
#define CSMS_CONTROL_H

#include <stddef.h>

struct csms;
struct csms_config;
struct charger;
struct route_ctx;

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

/* Charger events from the OCPP handlers and the server. */
void control_charger_online(struct csms *app, struct charger *ch);
void control_charger_offline(struct csms *app, struct charger *ch);
void control_charger_changed(struct csms *app, struct charger *ch);

/* The grid sensor's health, for the diagnosis and /metrics. Strings are
 * borrowed until the next loop turn. */
struct control_sensor_info {
	const char *type;           /* "sim", "api", "modbus-tcp", "modbus-rtu" */
	int dlm_enabled;
	int healthy;                /* a reading younger than dlm_stale_s */
	double age_s;               /* < 0: no reading yet */
	const char *error;          /* the driver's last error, "" none */
	unsigned long long readings, failures;
};
int control_sensor_info(struct csms *app, struct control_sensor_info *out);   /* 0, -1 no control */

/* Routes: GET/PUT /api/v1/dlm, PUT /api/v1/dlm/readings. */
void control_api_get(struct route_ctx *c);
void control_api_put(struct route_ctx *c);
void control_api_readings(struct route_ctx *c);

#endif
