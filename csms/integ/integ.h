/* integ.h: the integrations with the outside (README "Notifications" and
 * "Price and forecast providers"): webhooks that hear central/evhook.h's
 * events, and the price list and PV forecast pulled from providers into
 * the station (glue/energy.h). All their HTTP goes through one
 * net/httpc.h client driven from the loop's tick: a slow or dead server
 * never holds up OCPP.
 *
 * Threading: the lws service thread. Ownership: integ_init allocates
 * app->integ, integ_free releases it (before energy_free). */
#ifndef CSMS_INTEG_H
#define CSMS_INTEG_H

#include <stddef.h>

struct csms;
struct csms_config;

/* The webhook and feed settings across keys; 0, or -1 with err naming the key. */
int integ_check_config(const struct csms_config *cfg, char *err, size_t errlen);
/* After energy_init. 0, or -1 with err. Nothing configured: nothing made. */
int integ_init(struct csms *app, char *err, size_t errlen);
/* Periodic duty (every tick): moves the HTTP requests on, starts the
 * deliveries and fetches that are due. */
void integ_tick(struct csms *app);
void integ_free(struct csms *app);

#endif
