/* api_fleet.c: admin calls through the node that holds the charger (see
 * api_fleet.h): the asking side (forward, answer, deadline) and the
 * holding side (send the CALL, send the answer back). */
#include "api_fleet.h"
#include "admin.h"
#include "api_locallist.h"
#include "api_station.h"
#include "charger.h"
#include "control.h"
#include "csms.h"
#include "errkind.h"
#include "fleet.h"
#include "http.h"
#include "log.h"
#include "rpc.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

/* The holder's answer may wait behind a CALL in flight, with its own
 * timeout: the asker waits for both, and a little for the bus. */
static int64_t forward_wait_ms(const struct csms *app)
{
	return (2 * (int64_t)app->cfg.call_timeout + 2) * 1000;
}

/* What a forwarded request waits with: its HTTP transaction (NULL: a
 * question of this node's own, see kind), and whether it is an API
 * operation (an expiry answers differently from an OCPP call's). */
struct fwd {
	struct http_txn *t;
	int station;
	enum { FWD_HTTP, FWD_STATION_LIVE, FWD_DLM_LIVE, FWD_CHARGERS_LIVE, FWD_SITES_LIVE } kind;
	char node[FLEETMSG_NODE_MAX];      /* FWD_CHARGERS_LIVE, FWD_SITES_LIVE: the node asked */
	char location[ADMIN_LOCATION_MAX]; /* a 201's Location, as the node asked would say it */
};

/* The station's live view and the default site's DLM view as the node
 * that runs its loop last sent them (on the other nodes, for the events
 * stream), by kind: FWD_STATION_LIVE, FWD_DLM_LIVE. */
static struct lead_view {
	cJSON *live;
	int64_t at_ms;    /* when it came */
	int64_t asked_ms; /* when the last question went */
} lead_views[FWD_DLM_LIVE + 1];

#define LEAD_LIVE_FRESH_MS 5000
/* A node's chargers in a site's DLM view: from an answer this young. */
#define CHARGERS_DLM_FRESH_MS 5000

/* The live views of other nodes' chargers, one entry per node asked: its
 * last answer {id: {"live", "lastSeen"}}; and of the sites whose loops it
 * runs (GET /api/v1/sites): [site view]. A node past the table's size
 * takes the entry asked least recently. */
#define NODES_LIVE_MAX 32
#define CHARGERS_LIVE_KEEP_MS 60000
#define CHARGERS_LIVE_ASK_MS 1000
struct node_answer {
	cJSON *v;
	int64_t at_ms, asked_ms;
	int waiting; /* a question in flight */
};
static struct node_live {
	char node[FLEETMSG_NODE_MAX];
	struct node_answer chargers, sites;
} nodes_live[NODES_LIVE_MAX];

/* Sends m to node with w waiting for its reply (m->req set here; w taken:
 * freed when it cannot go, NULL is out of memory). 0 sent, -1 not. */
static int send_pending(struct csms *app, const char *node, struct fleetmsg *m, struct fwd *w)
{
	m->req = w ? fleet_pending_add(app, w, app->now_ms + forward_wait_ms(app)) : 0;
	if (m->req && !fleet_send(app, node, m))
		return 0;
	if (m->req)
		fleet_pending_take(app, m->req);
	free(w);
	return -1;
}

/* Sends m to node; the HTTP answer waits for the reply. 0 sent, -1
 * answered with an error. */
static int send_waiting(struct route_ctx *c, const char *node, struct fleetmsg *m, int station,
			const char *location)
{
	struct fwd *w = calloc(1, sizeof *w);
	if (w) {
		w->t = c->t;
		w->station = station;
		snprintf(w->location, sizeof w->location, "%s", location ? location : "");
	}
	if (send_pending(c->app, node, m, w)) {
		admin_error(c->t, 500, "InternalError", "cannot reach node %s", node);
		return -1;
	}
	c->t->deferred = 1;
	return 0;
}

/* A question of this node's own (no HTTP answer waits) to node: 0 sent. */
static int ask(struct csms *app, const char *node, const char *action, int kind)
{
	struct fwd *w = calloc(1, sizeof *w);
	struct fleetmsg m = { .type = FLEETMSG_API };
	snprintf(m.action, sizeof m.action, "%s", action);
	if (w) {
		w->kind = kind;
		snprintf(w->node, sizeof w->node, "%s", node);
	}
	return send_pending(app, node, &m, w);
}

static cJSON *lead_view(struct csms *app, int kind, const char *action)
{
	char node[FLEETMSG_NODE_MAX];
	struct lead_view *v = &lead_views[kind];
	if (app->now_ms - v->asked_ms >= 1000 && fleet_control_node(app, node) == 1) {
		ask(app, node, action, kind);
		v->asked_ms = app->now_ms;
	}
	if (!v->live || app->now_ms - v->at_ms > LEAD_LIVE_FRESH_MS)
		return NULL;
	return cJSON_Duplicate(v->live, 1);
}

cJSON *api_fleet_lead_live(struct csms *app)
{
	return lead_view(app, FWD_STATION_LIVE, "stationLive");
}

cJSON *api_fleet_lead_dlm(struct csms *app)
{
	return lead_view(app, FWD_DLM_LIVE, "dlmLive");
}

static int64_t last_asked(const struct node_live *e)
{
	return e->chargers.asked_ms > e->sites.asked_ms ? e->chargers.asked_ms : e->sites.asked_ms;
}

static struct node_live *node_live_entry(const char *node, int create)
{
	struct node_live *e = NULL, *oldest = &nodes_live[0];
	for (int i = 0; i < NODES_LIVE_MAX && !e; i++) {
		if (!strcmp(nodes_live[i].node, node))
			e = &nodes_live[i];
		else if (last_asked(&nodes_live[i]) < last_asked(oldest))
			oldest = &nodes_live[i];
	}
	if (e || !create)
		return e;
	cJSON_Delete(oldest->chargers.v);
	cJSON_Delete(oldest->sites.v);
	memset(oldest, 0, sizeof *oldest);
	snprintf(oldest->node, sizeof oldest->node, "%s", node);
	return oldest;
}

/* The answer kind of an entry. */
static struct node_answer *answer_of(struct node_live *e, int kind)
{
	return kind == FWD_SITES_LIVE ? &e->sites : &e->chargers;
}

/* Asks node for its chargers' views (FWD_CHARGERS_LIVE) or its sites'
 * (FWD_SITES_LIVE) unless asked within a second or still waiting for an
 * answer. */
static struct node_live *ask_node_for(struct csms *app, const char *node, int kind)
{
	struct node_live *e = node_live_entry(node, 1);
	struct node_answer *a = answer_of(e, kind);
	if ((!a->waiting || app->now_ms - a->asked_ms > forward_wait_ms(app)) &&
	    app->now_ms - a->asked_ms >= CHARGERS_LIVE_ASK_MS) {
		a->waiting = !ask(app, node, kind == FWD_SITES_LIVE ? "sitesLive" : "chargersLive", kind);
		a->asked_ms = app->now_ms;
	}
	return e;
}

cJSON *api_fleet_charger_live(struct csms *app, const char *node, const char *charger, int64_t *last_seen_ms)
{
	struct node_live *e = ask_node_for(app, node, FWD_CHARGERS_LIVE);
	if (!e->chargers.v || app->now_ms - e->chargers.at_ms > CHARGERS_LIVE_KEEP_MS)
		return NULL;
	const cJSON *one = cJSON_GetObjectItemCaseSensitive(e->chargers.v, charger);
	const cJSON *live = cJSON_GetObjectItemCaseSensitive(one, "live");
	const cJSON *seen = cJSON_GetObjectItemCaseSensitive(one, "lastSeen");
	if (!cJSON_IsArray(live))
		return NULL;
	if (last_seen_ms)
		*last_seen_ms = cJSON_IsNumber(seen) ? (int64_t)seen->valuedouble : 0;
	return cJSON_Duplicate(live, 1);
}

/* The answer to "chargersLive": the chargers connected here. */
static cJSON *chargers_live(struct csms *app)
{
	cJSON *o = cJSON_CreateObject();
	for (struct charger *ch = charger_first(app->chargers); o && ch; ch = ch->next) {
		if (!ch->session)
			continue;
		cJSON *one = cJSON_AddObjectToObject(o, ch->id);
		if (!one)
			continue;
		cJSON_AddItemToObject(one, "live", charger_live_json(ch));
		cJSON_AddNumberToObject(one, "lastSeen", (double)ch->last_seen_ms);
		cJSON_AddStringToObject(one, "site", ch->settings.site);
		cJSON *dlm = control_charger_json(ch);
		if (dlm)
			cJSON_AddItemToObject(one, "dlm", dlm);
	}
	return o;
}

struct ask_all {
	struct csms *app;
	int kind;
};

static int ask_node(void *arg, const struct store_node_row *n)
{
	const struct ask_all *a = arg;
	if (n->alive && strcmp(n->id, fleet_node(a->app)))
		ask_node_for(a->app, n->id, a->kind);
	return 0;
}

/* Asks every other running node (at most once a second per kind). */
static void ask_every_node(struct csms *app, int kind)
{
	static int64_t asked_ms[FWD_SITES_LIVE + 1];
	struct ask_all a = { app, kind };
	if (app->now_ms - asked_ms[kind] < CHARGERS_LIVE_ASK_MS)
		return;
	asked_ms[kind] = app->now_ms;
	if (store_node_each(app->store, app->now_ms, ask_node, &a) < 0)
		LOGD("fleet", "cannot read the nodes to ask for their views");
}

/* The entries with an answer of kind younger than 5 s, the freshest
 * first: n. */
static int by_age(struct csms *app, int kind, struct node_answer *out[NODES_LIVE_MAX])
{
	int n = 0;
	for (int i = 0; i < NODES_LIVE_MAX; i++) {
		struct node_answer *a = answer_of(&nodes_live[i], kind);
		if (!a->v || app->now_ms - a->at_ms > CHARGERS_DLM_FRESH_MS)
			continue;
		int j = n++;
		for (; j > 0 && out[j - 1]->at_ms < a->at_ms; j--)
			out[j] = out[j - 1];
		out[j] = a;
	}
	return n;
}

/* The item of arr whose "id" is id, or NULL. */
static const cJSON *by_id(const cJSON *arr, const char *id)
{
	const cJSON *x;
	cJSON_ArrayForEach(x, arr)
	{
		const char *xid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "id"));
		if (xid && id && !strcmp(xid, id))
			return x;
	}
	return NULL;
}

void api_fleet_dlm_merge(struct csms *app, cJSON *view, const char *site)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(view, "chargers");
	if (!fleet_node(app) || !site || !cJSON_IsArray(arr))
		return;
	ask_every_node(app, FWD_CHARGERS_LIVE);
	/* the freshest answers first: a charger that moved is listed as its
	 * new node shows it */
	struct node_answer *fresh[NODES_LIVE_MAX];
	int n = by_age(app, FWD_CHARGERS_LIVE, fresh);
	for (int i = 0; i < n; i++) {
		const cJSON *one;
		cJSON_ArrayForEach(one, fresh[i]->v)
		{
			const cJSON *dlm = cJSON_GetObjectItemCaseSensitive(one, "dlm");
			const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(one, "site"));
			if (cJSON_IsObject(dlm) && s && !strcmp(s, site) && one->string &&
			    !by_id(arr, one->string))
				cJSON_AddItemToArray(arr, cJSON_Duplicate(dlm, 1));
		}
	}
}

/* The answer to "sitesLive": {"sites": the views of the sites whose loops
 * run here, each with every node's chargers}. */
static cJSON *sites_live(struct csms *app)
{
	struct err_info e;
	cJSON *all = control_sites_json(app, &e), *body = cJSON_CreateObject(), *o, *next;
	cJSON *out = cJSON_AddArrayToObject(body, "sites"); /* a reply's body is an object */
	for (o = all ? all->child : NULL; o && out; o = next) {
		next = o->next;
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"));
		if (!id || !fleet_runs_site(app, id))
			continue;
		cJSON_DetachItemViaPointer(all, o);
		api_fleet_dlm_merge(app, o, id);
		cJSON_AddItemToArray(out, o);
	}
	cJSON_Delete(all);
	return body;
}

void api_fleet_sites_merge(struct csms *app, cJSON *list)
{
	cJSON *o, *next;
	if (!fleet_node(app) || !cJSON_IsArray(list))
		return;
	ask_every_node(app, FWD_SITES_LIVE);
	struct node_answer *fresh[NODES_LIVE_MAX];
	int n = by_age(app, FWD_SITES_LIVE, fresh);
	for (o = list->child; o; o = next) {
		next = o->next;
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"));
		const cJSON *theirs = NULL, *x;
		for (int i = 0; id && !fleet_runs_site(app, id) && i < n && !theirs; i++)
			theirs = by_id(cJSON_GetObjectItemCaseSensitive(fresh[i]->v, "sites"), id);
		cJSON *view = theirs ? cJSON_Duplicate(theirs, 1) : NULL;
		cJSON *to = cJSON_GetObjectItemCaseSensitive(view, "chargers");
		if (view && cJSON_IsArray(to)) {
			/* this node's own chargers, as it has them, where the
			 * answer does not list them yet */
			cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(o, "chargers"))
			{
				const char *cid =
					cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "id"));
				if (cid && !by_id(to, cid))
					cJSON_AddItemToArray(to, cJSON_Duplicate(x, 1));
			}
		}
		if (view && cJSON_ReplaceItemViaPointer(list, o, view)) {
			o = view; /* the id it had went with it */
			id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"));
		} else {
			cJSON_Delete(view);
		}
		api_fleet_dlm_merge(app, o, id);
	}
}

/* A DLM operation (action; payload {"site", "body": body when given}) of
 * a site whose loop another node runs: sent there, the HTTP answer waits
 * for its reply. 0 sent or answered; 1 to answer here (one node, this one
 * runs the loop, or none does right now). */
static int dlm_to_lead(struct route_ctx *c, const char *site, const char *action, const cJSON *body)
{
	char node[FLEETMSG_NODE_MAX];
	struct csms *app = c->app;
	if (!fleet_node(app) || fleet_control_site(app, site) ||
	    fleet_control_node_site(app, site, node) != 1)
		return 1;
	struct fleetmsg m = { .type = FLEETMSG_API, .payload = cJSON_CreateObject() };
	snprintf(m.action, sizeof m.action, "%s", action);
	cJSON_AddStringToObject(m.payload, "site", site);
	if (body)
		cJSON_AddItemToObject(m.payload, "body", cJSON_Duplicate(body, 1));
	send_waiting(c, node, &m, 1, NULL);
	cJSON_Delete(m.payload);
	return 0;
}

int api_fleet_dlm_to_lead(struct route_ctx *c, const char *site)
{
	return dlm_to_lead(c, site, "dlmStatus", NULL);
}

int api_fleet_readings_to_lead(struct route_ctx *c, const char *site, const cJSON *body)
{
	return dlm_to_lead(c, site, "dlmReadings", body);
}

/* "dlmReadings": a reading another node was pushed, for a site whose loop
 * runs here (when it moved on meanwhile: kept for a takeover, as there). */
static cJSON *readings_here(struct csms *app, const cJSON *payload, int *status)
{
	const char *site = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(payload, "site"));
	const cJSON *body = cJSON_GetObjectItemCaseSensitive(payload, "body");
	struct err_info e;
	int rc = !site || !strcmp(site, STORE_SITE_DEFAULT) ? control_push_readings(app, body, &e)
							    : control_site_push_readings(app, site, body, &e);
	if (!rc) {
		*status = 204;
		return NULL;
	}
	return admin_refusal(&e, status);
}

/* "dlmStatus" (GET /api/v1/dlm, /api/v1/sites/{id} of the node asked) and
 * "dlmLive" (the events stream's): a site's view as this node has it,
 * with every node's chargers. */
static cJSON *dlm_view(struct csms *app, const cJSON *payload, int *status)
{
	const char *site = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(payload, "site"));
	struct err_info e;
	cJSON *o;
	if (!site || !strcmp(site, STORE_SITE_DEFAULT)) {
		o = control_status_json(app);
		if (!o)
			err_set(&e, ERR_UNAVAILABLE, "DLM is not running");
	} else {
		o = control_site_json(app, site, &e);
	}
	if (!o)
		return admin_refusal(&e, status);
	api_fleet_dlm_merge(app, o, site ? site : STORE_SITE_DEFAULT);
	*status = 200;
	return o;
}

int api_fleet_to_lead(struct route_ctx *c, const char *site, const char *name, const cJSON *body)
{
	struct csms *app = c->app;
	if (fleet_control_site(app, site))
		return 1;
	char node[FLEETMSG_NODE_MAX];
	int rc = fleet_control_node_site(app, site, node);
	if (rc <= 0) {
		struct err_info e;
		err_set(&e, ERR_UNAVAILABLE,
			"no node runs the station of site %s now (%s): ask again in a few seconds", site,
			rc < 0 ? "the database does not answer" : "the last one stopped");
		admin_fail(c->t, &e);
		return 0;
	}
	struct fleetmsg m = { .type = FLEETMSG_API, .payload = (cJSON *)(uintptr_t)body };
	snprintf(m.action, sizeof m.action, "%s", name);
	char loc[ADMIN_LOCATION_MAX];
	admin_location("sites", site, "/station", loc, sizeof loc); /* what a site's station PUT makes */
	if (!send_waiting(c, node, &m, 1, loc))
		LOGD("fleet", "%s: to node %s (request %llu)", name, node, (unsigned long long)m.req);
	return 0;
}

int api_fleet_forward(struct route_ctx *c, const char *charger, const char *action, const cJSON *body)
{
	struct csms *app = c->app;
	char node[FLEETMSG_NODE_MAX];
	int rc = fleet_holder(app, charger, node);
	if (rc <= 0)
		return 1; /* a store error reads as nobody: 409 as for an offline charger */
	struct fleetmsg m = { .type = FLEETMSG_CALL, .payload = (cJSON *)(uintptr_t)body };
	snprintf(m.charger, sizeof m.charger, "%s", charger);
	snprintf(m.action, sizeof m.action, "%s", action);
	if (strlen(action) >= sizeof m.action) {
		admin_error(c->t, 400, "BadRequest", "%s is not an action the central system sends", action);
		return 0;
	}
	if (send_waiting(c, node, &m, 0, NULL))
		return 0;
	LOGD("fleet", "%s %s: forwarded to node %s (request %llu)", charger, action, node,
	     (unsigned long long)m.req);
	return 0;
}

/* ---- the holding node ---- */

/* A forwarded call being sent here: whom to answer. */
struct held_call {
	char node[FLEETMSG_NODE_MAX];
	uint64_t req;
	struct csms *app;
};

static void answer_back(void *arg, int status, cJSON *body)
{
	struct held_call *h = arg;
	struct fleetmsg m = { .type = FLEETMSG_REPLY, .req = h->req, .status = status, .payload = body };
	if (fleet_send(h->app, h->node, &m))
		LOGW("fleet", "cannot answer request %llu of node %s", (unsigned long long)h->req, h->node);
	cJSON_Delete(body);
	free(h);
}

static void on_call(struct csms *app, struct fleetmsg *m)
{
	struct held_call *h = calloc(1, sizeof *h);
	if (!h)
		return;
	snprintf(h->node, sizeof h->node, "%s", m->from);
	h->req = m->req;
	h->app = app;
	struct charger *ch = charger_find(app->chargers, app->store, m->charger);
	if (!ch) {
		answer_back(h, 404, admin_error_json("NotFound", "no charger '%s'", m->charger));
		return;
	}
	admin_ocpp_send(app, ch, m->action, m->payload, answer_back, h);
}

/* Transactions of ch running here that the store says are closed (an
 * admin's stop through another node): ended as where the stop was made. */
static void txs_closed_elsewhere(struct csms *app, struct charger *ch)
{
	for (int k = 1; k < CHARGER_MAX_CONN; k++) {
		char tag[STORE_TAG_MAX];
		int active = 1;
		int64_t id = charger_conn_get(ch, k)->tx_id;
		if (!id || store_tx_get_tag(app->store, id, tag, &active) != 0 || active)
			continue;
		LOGI("fleet", "%s: transaction %lld closed on another node", ch->id, (long long)id);
		admin_tx_closed(app, ch, k, id);
	}
}

/* A charger's settings or registration changed on another node: read
 * them again, and let DLM (and the station) see the change; a changed key
 * ends the cached password here (the charger must use the new one); a
 * charger no longer accepted has its messages refused here from now on,
 * as on the node that decided; a transaction an admin closed there ends
 * here too. */
static void on_reload(struct csms *app, struct fleetmsg *m)
{
	struct charger *ch = charger_find(app->chargers, app->store, m->charger);
	if (!ch)
		return;
	struct charger_settings old = ch->settings;
	enum store_registration was = ch->reg;
	if (charger_reload(app->chargers, ch, app->store)) {
		LOGW("fleet", "%s: cannot read its settings again (node %s changed them)", m->charger,
		     m->from);
		return;
	}
	ch->auth_cache.valid = 0;
	control_charger_settings(app, ch, &old);
	txs_closed_elsewhere(app, ch);
	if (ch->reg != was)
		LOGI("fleet", "%s: %s (by node %s)", m->charger, store_registration_names[ch->reg], m->from);
	else
		LOGI("fleet", "%s: settings read again (node %s changed them)", m->charger, m->from);
}

struct reload_to {
	struct csms *app;
	const char *charger;
};

static int reload_node(void *arg, const struct store_node_row *n)
{
	const struct reload_to *r = arg;
	if (!n->alive || !strcmp(n->id, fleet_node(r->app)))
		return 0;
	struct fleetmsg m = { .type = FLEETMSG_RELOAD };
	snprintf(m.charger, sizeof m.charger, "%s", r->charger);
	if (fleet_send(r->app, n->id, &m))
		LOGW("fleet", "%s: cannot tell node %s of its new settings", r->charger, n->id);
	return 0;
}

/* Every running node: the holder and the station's node act on it, and
 * every node's views (GET /api/v1/chargers, MQTT) show its settings from
 * its registry. */
void api_fleet_charger_changed(struct csms *app, const char *charger)
{
	struct reload_to r = { app, charger };
	if (fleet_node(app) && store_node_each(app->store, app->now_ms, reload_node, &r) < 0)
		LOGW("fleet", "%s: cannot read the nodes to tell them of its new settings", charger);
}

/* The holder: an operation for a charger held here, asked by another node
 * (payload {"charger", "body"}); the answer goes back when it is known. */
static void on_charger_op(struct csms *app, struct fleetmsg *m)
{
	struct held_call *h = calloc(1, sizeof *h);
	if (!h)
		return;
	snprintf(h->node, sizeof h->node, "%s", m->from);
	h->req = m->req;
	h->app = app;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(m->payload, "charger");
	const cJSON *body = cJSON_GetObjectItemCaseSensitive(m->payload, "body");
	struct charger *ch =
		cJSON_IsString(id) ? charger_find(app->chargers, app->store, id->valuestring) : NULL;
	int status;
	cJSON *answer;
	if (!ch || !cJSON_IsObject(body))
		answer_back(h, 404, admin_error_json("NotFound", "no such charger here"));
	else if (api_locallist_run(app, ch, body, answer_back, h, &status, &answer))
		answer_back(h, status, answer);
}

int api_fleet_forward_op(struct route_ctx *c, const char *charger, const char *op, const cJSON *body)
{
	char node[FLEETMSG_NODE_MAX];
	if (fleet_holder(c->app, charger, node) <= 0)
		return 1;
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "charger", charger);
	cJSON_AddItemToObject(p, "body", cJSON_Duplicate(body, 1));
	struct fleetmsg m = { .type = FLEETMSG_API, .payload = p };
	snprintf(m.action, sizeof m.action, "%s", op);
	if (!send_waiting(c, node, &m, 1, NULL))
		LOGD("fleet", "%s %s: forwarded to node %s (request %llu)", charger, op, node,
		     (unsigned long long)m.req);
	cJSON_Delete(p);
	return 0;
}

/* ---- the asking node ---- */

/* The station's node: an operation asked by another node, run here while
 * the station runs here (a node that just lost the loop says so). */
static void on_api(struct csms *app, struct fleetmsg *m)
{
	int status = 200;
	cJSON *body;
	if (!strcmp(m->action, "localListSend")) {
		on_charger_op(app, m);
		return;
	}
	if (!strcmp(m->action, "chargersLive"))
		body = chargers_live(app);
	else if (!strcmp(m->action, "sitesLive"))
		body = sites_live(app);
	else if (!strcmp(m->action, "dlmStatus") || !strcmp(m->action, "dlmLive"))
		body = dlm_view(app, m->payload, &status);
	else if (!strcmp(m->action, "dlmReadings"))
		body = readings_here(app, m->payload, &status);
	else
		body = api_station_run(app, m->action, m->payload, &status);
	struct fleetmsg r = { .type = FLEETMSG_REPLY, .req = m->req, .status = status, .payload = body };
	if (fleet_send(app, m->from, &r))
		LOGW("fleet", "cannot answer request %llu of node %s", (unsigned long long)m->req, m->from);
	cJSON_Delete(body);
}

static void on_reply(struct csms *app, struct fleetmsg *m)
{
	struct fwd *w = fleet_pending_take(app, m->req);
	struct http_txn *t = w ? w->t : NULL;
	if (w && (w->kind == FWD_STATION_LIVE || w->kind == FWD_DLM_LIVE) && m->status == 200) {
		struct lead_view *v = &lead_views[w->kind];
		cJSON_Delete(v->live);
		v->live = m->payload;
		v->at_ms = app->now_ms;
		m->payload = NULL;
	} else if (w && (w->kind == FWD_CHARGERS_LIVE || w->kind == FWD_SITES_LIVE)) {
		struct node_live *e = node_live_entry(w->node, 0);
		struct node_answer *a = e ? answer_of(e, w->kind) : NULL;
		if (a)
			a->waiting = 0;
		if (a && m->status == 200 && cJSON_IsObject(m->payload)) {
			cJSON_Delete(a->v);
			a->v = m->payload;
			a->at_ms = app->now_ms;
			m->payload = NULL;
		}
	}
	int mine = w != NULL;
	if (t && m->status == 201 && w->location[0])
		http_add_header(t, "Location:", w->location);
	free(w);
	if (mine && !t)
		return;
	if (!t) {
		LOGD("fleet", "an answer from node %s to request %llu, which waits no more", m->from,
		     (unsigned long long)m->req);
		return;
	}
	admin_reply_json(t, m->status, m->payload);
	m->payload = NULL;
}

/* The same answer as a CALL that timed out on this node. */
static void on_expired(struct csms *app, void *arg)
{
	(void)app;
	struct fwd *w = arg;
	struct http_txn *t = w->t;
	int station = w->station;
	if (w->kind == FWD_CHARGERS_LIVE || w->kind == FWD_SITES_LIVE) {
		struct node_live *e = node_live_entry(w->node, 0);
		if (e)
			answer_of(e, w->kind)->waiting = 0;
	}
	free(w);
	if (!t) /* a question for a live view: the next one goes in a second */
		return;
	if (station) {
		admin_error(t, 504, "Timeout",
			    "the node asked (that runs the station, or holds the charger) did not answer in "
			    "time");
		return;
	}
	struct call_result r = { .outcome = CALL_TIMEOUT,
				 .status = OCPP_EINTERNAL,
				 .code = "Timeout",
				 .description = "no answer from the charge point" };
	admin_call_reply(t, &r, NULL);
}

const struct fleet_hooks api_fleet_hooks = {
	.call = on_call,
	.reply = on_reply,
	.expired = on_expired,
	.dlm = control_fleet_msg,
	.api = on_api,
	.reload = on_reload,
};
