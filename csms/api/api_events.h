/* api_events.h: GET /api/v1/events, the dashboard's live feed: a
 * text/event-stream of the station's flows, DLM's state and the chargers,
 * sent once a second to every client. */
#ifndef CSMS_API_EVENTS_H
#define CSMS_API_EVENTS_H

#include <stddef.h>

struct csms;
struct route_ctx;

#define API_EVENTS_MAX_CLIENTS 8           /* more: 503 */
#define API_EVENTS_CLIENT_MAX (256 * 1024) /* unsent bytes before a client is dropped */
#define API_EVENTS_PERIOD_MS 1000          /* a snapshot at least this often */

void api_events_open(struct route_ctx *c); /* GET /api/v1/events */
/* From the loop's tick: a snapshot for every client when one is due, or
 * when a charger's state changed. Nothing when no client listens. */
void api_events_tick(struct csms *app);
/* The clients listening now. */
size_t api_events_clients(void);

#endif
