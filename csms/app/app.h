/* app.h: the top of the daemon: the wiring (who reacts to what) and the
 * loop's periodic duties. Only main.c and tests that stand in for it use
 * these. */
#ifndef CSMS_APP_H
#define CSMS_APP_H

#include <stddef.h>

struct csms;

/* wiring.c: sets up app->rpc from the settings, with the hooks into
 * central/ and net/, and the chargers' events (app->chargers, when set). */
void csms_wire(struct csms *app);
/* wiring.c: starts the listeners with the events that reach the app
 * (app->server); -1 with err naming the setting. */
int csms_server_start(struct csms *app, char *err, size_t errlen);
/* duties.c: the periodic duties, from the server's 250 ms timer. */
void csms_tick(struct csms *app);

#endif
