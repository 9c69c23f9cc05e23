/* control.h: the glue between OCPP and the energy libraries: grid sensor
 * readings + station targets -> dlm -> SetChargingProfile per charger.
 * The only module that speaks both amps and OCPP. */
#ifndef CSMS_CONTROL_H
#define CSMS_CONTROL_H

#include <stddef.h>

struct csms;
struct charger;
struct route_ctx;

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
void control_charger_measured(struct csms *app, struct charger *ch, int connector);

/* Routes: GET/PUT /api/v1/dlm, PUT /api/v1/dlm/readings. */
void control_api_get(struct route_ctx *c);
void control_api_put(struct route_ctx *c);
void control_api_readings(struct route_ctx *c);

#endif
