/* server.h: the libwebsockets context: the OCPP ws:// and wss:// listeners,
 * the admin HTTP listener, the periodic tick and the event loop. The only
 * module besides lws_compat.h that includes <libwebsockets.h>. */
#ifndef CSMS_SERVER_H
#define CSMS_SERVER_H

#include <stddef.h>

struct csms;
struct session;

/* Creates the context and listeners; -1 with err naming the setting. */
int server_start(struct csms *app, char *err, size_t errlen);
/* Runs the loop until app->stopping; then closes every connection. */
void server_run(struct csms *app);
void server_destroy(struct csms *app);
/* Safe from any thread: wakes the loop (sensor mailboxes). */
void server_wake(struct csms *app);
/* Asks for a WRITEABLE callback on a connection (the rpc want_write hook). */
void server_want_write(void *wsi);
/* Closes a charger connection (after its queued frames). */
void server_close_session(struct session *s);

#endif
