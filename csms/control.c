/* control.c: DLM glue (being built: the dlm/ library is wired next).
 * Until then the hooks only keep the daemon's interface in place. */
#include "control.h"
#include "admin.h"
#include "csms.h"

int control_init(struct csms *app, char *err, size_t errlen) { (void)app; (void)err; (void)errlen; return 0; }
void control_free(struct csms *app) { (void)app; }
void control_tick(struct csms *app) { (void)app; }
void control_wake(struct csms *app) { (void)app; }
void control_charger_online(struct csms *app, struct charger *ch) { (void)app; (void)ch; }
void control_charger_offline(struct csms *app, struct charger *ch) { (void)app; (void)ch; }
void control_charger_changed(struct csms *app, struct charger *ch) { (void)app; (void)ch; }
void control_charger_measured(struct csms *app, struct charger *ch, int c) { (void)app; (void)ch; (void)c; }
void control_api_get(struct route_ctx *c) { admin_error(c->t, 503, "Unavailable", "DLM is not wired yet"); }
void control_api_put(struct route_ctx *c) { admin_error(c->t, 503, "Unavailable", "DLM is not wired yet"); }
void control_api_readings(struct route_ctx *c) { admin_error(c->t, 503, "Unavailable", "DLM is not wired yet"); }
