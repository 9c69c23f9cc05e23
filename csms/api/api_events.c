/* api_events.c: GET /api/v1/events, a server-sent event stream for the
 * dashboard. The browser reads it with fetch (the token goes in the
 * Authorization header, never in a URL). Each event is one snapshot:
 *
 *   event: state
 *   data: {"time", "station": GET /api/v1/station's "live" and "mode",
 *          "dlm": GET /api/v1/dlm, "chargers": GET /api/v1/chargers,
 *          "active": the active transactions}
 *
 * sent every API_EVENTS_PERIOD_MS, and at the next tick (250 ms) when a
 * charger's registration, connection or a connector's status changed.
 * Nothing here blocks: a snapshot is queued on each connection
 * (http_stream_send) and written when its socket can take it; a client
 * with more than API_EVENTS_CLIENT_MAX unsent bytes is dropped, and at
 * most API_EVENTS_MAX_CLIENTS listen at once (one process serves one
 * station, so the clients are the module's own state). */
#include "api_events.h"
#include "admin.h"
#include "api_fleet.h"
#include "fleet.h"
#include "api_json.h"
#include "charger.h"
#include "control.h"
#include "csms.h"
#include "energy.h"
#include "http.h"
#include "log.h"
#include "store.h"
#include "timeutil.h"

#include <stdlib.h>
#include <string.h>

static struct {
	struct http_txn *clients[API_EVENTS_MAX_CLIENTS];
	size_t n;
	int64_t last_sent_ms;
	char *last_sig;   /* the chargers' states at the last snapshot */
	uint64_t reg_sig; /* charger_registry_signature at the last snapshot */
	int fresh;        /* a client joined: send at once */
} ev;

static void client_gone(struct http_txn *t, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < ev.n; i++)
		if (ev.clients[i] == t) {
			ev.clients[i] = ev.clients[--ev.n];
			break;
		}
	if (!ev.n) {
		free(ev.last_sig);
		ev.last_sig = NULL;
	}
}

size_t api_events_clients(void)
{
	return ev.n;
}

void api_events_open(struct route_ctx *c)
{
	if (ev.n >= API_EVENTS_MAX_CLIENTS) {
		admin_error(c->t, 503, "Unavailable", "too many event streams (at most %d)",
			    API_EVENTS_MAX_CLIENTS);
		return;
	}
	if (http_stream_begin(c->t, "text/event-stream", API_EVENTS_CLIENT_MAX, client_gone, NULL)) {
		admin_error(c->t, 500, "InternalError", "cannot open the stream");
		return;
	}
	ev.clients[ev.n++] = c->t;
	ev.fresh = 1;
	/* the browser retries after 3 s when the stream ends */
	static const char hello[] = "retry: 3000\n\n";
	http_stream_send(c->t, hello, sizeof hello - 1);
}

/* What changes the chargers screen at once: registration, connection,
 * each connector's status. New string, the caller frees it. */
static char *chargers_signature(const cJSON *chargers)
{
	cJSON *sig = cJSON_CreateArray(), *ch;
	cJSON_ArrayForEach(ch, chargers)
	{
		cJSON *s = cJSON_CreateArray(), *conn;
		cJSON_AddItemToArray(s, cJSON_Duplicate(cJSON_GetObjectItem(ch, "id"), 0));
		cJSON_AddItemToArray(s, cJSON_Duplicate(cJSON_GetObjectItem(ch, "registration"), 0));
		cJSON_AddItemToArray(s, cJSON_Duplicate(cJSON_GetObjectItem(ch, "connected"), 0));
		cJSON_ArrayForEach(conn, cJSON_GetObjectItem(ch, "connectors"))
			cJSON_AddItemToArray(s, cJSON_Duplicate(cJSON_GetObjectItem(conn, "status"), 0));
		cJSON_AddItemToArray(sig, s);
	}
	char *out = cJSON_PrintUnformatted(sig);
	cJSON_Delete(sig);
	return out;
}

/* The station's live view: here, or as the node that runs it sent it
 * last (several nodes: the station steps on that one only). */
static cJSON *station_live(struct csms *app)
{
	cJSON *st = fleet_control(app) ? energy_live_json(app->energy) : api_fleet_lead_live(app);
	return st ? st : cJSON_CreateNull();
}

/* DLM's view with every node's chargers: here, or as the node that runs
 * the loop sent it last (several nodes: only that one decides). */
static cJSON *dlm_view(struct csms *app)
{
	cJSON *d = fleet_control(app) ? NULL : api_fleet_lead_dlm(app);
	if (!d && (d = control_status_json(app)))
		api_fleet_dlm_merge(app, d, STORE_SITE_DEFAULT);
	return d ? d : cJSON_CreateNull();
}

void api_events_tick(struct csms *app)
{
	if (!ev.n)
		return;
	/* between snapshots, only what changes in the registry is looked for:
	 * no store read every tick while a dashboard is open */
	uint64_t reg_sig = charger_registry_signature(app->chargers);
	if (!ev.fresh && reg_sig == ev.reg_sig && app->now_ms - ev.last_sent_ms < API_EVENTS_PERIOD_MS)
		return;
	ev.reg_sig = reg_sig;
	cJSON *chargers = api_json_chargers(app->store, NULL);
	cJSON *ch;
	cJSON_ArrayForEach(ch, chargers) admin_decorate_charger(app, ch);
	char *sig = chargers ? chargers_signature(chargers) : NULL;
	int changed = sig && (!ev.last_sig || strcmp(sig, ev.last_sig));
	if (!ev.fresh && !changed && app->now_ms - ev.last_sent_ms < API_EVENTS_PERIOD_MS) {
		cJSON_Delete(chargers);
		free(sig);
		return;
	}
	free(ev.last_sig);
	ev.last_sig = sig;
	ev.fresh = 0;
	ev.last_sent_ms = app->now_ms;

	cJSON *o = cJSON_CreateObject();
	char ts[40];
	time_format_iso(app->now_ms, ts, sizeof ts);
	cJSON_AddStringToObject(o, "time", ts);
	cJSON_AddItemToObject(o, "station", station_live(app));
	cJSON_AddItemToObject(o, "dlm", dlm_view(app));
	cJSON_AddItemToObject(o, "chargers", chargers ? chargers : cJSON_CreateArray());
	struct store_tx_filter f = { .active = 1 };
	cJSON *active = api_json_transactions(app->store, &f);
	cJSON_AddItemToObject(o, "active", active ? active : cJSON_CreateArray());
	char *data = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!data)
		return;
	size_t dl = strlen(data), len = dl + 32;
	char *msg = malloc(len);
	if (msg) {
		int n = snprintf(msg, len, "event: state\ndata: %s\n\n", data);
		/* a client over its bound is dropped: gone() removes it later */
		for (size_t i = 0; i < ev.n; i++)
			if (http_stream_send(ev.clients[i], msg, (size_t)n))
				LOGI("api", "an event stream client is dropped: it left %d KiB unread",
				     API_EVENTS_CLIENT_MAX / 1024);
	}
	free(msg);
	free(data);
}
