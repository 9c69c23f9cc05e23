/* mqtt_link.c: the daemon's side of MQTT. Each pass takes the same JSON the
 * admin API and the dashboard's event stream answer (energy_live_json,
 * control_status_json, api_json_chargers + admin_decorate_charger, the
 * active transactions), reduces it to views (mqtt_ha.c) and publishes each
 * entity's value where it changed; a pass runs every mqtt_period_s, and at
 * the next tick when a charger's registration, connection, a connector's
 * status, a transaction or a setting changed, or a command was applied
 * (then without the measurements, which keep their period). Only
 * mqtt_link_tick makes passes, and only the server's 250 ms tick calls it
 * (TICK_US, csms/net/server.c): a burst of changes between two ticks is one
 * pass, so those rebuilds of every charger's JSON run at most 4 times a
 * second whatever the chargers do. Discovery goes out with the
 * first pass of each connection; a topic no pass makes any more (a deleted
 * charger) gets an empty retained message, which removes it from the
 * broker and from Home Assistant. Commands are applied with the functions
 * the API's PUT routes call, so a value the API refuses is refused here
 * too, answered on <prefix>/error.
 * In a fleet (several nodes, one broker) one node speaks for the fleet:
 * the one that runs the default site's loop (fleet_control), which has the
 * station. It alone makes passes (the chargers' live views of other nodes
 * come through admin_decorate_charger, which asks their holders), has the
 * last will on <prefix>/status, takes the station's and the chargers'
 * settings commands and answers what no node can carry out. Every node is
 * connected (a client id of its own: the node's id in it), publishes the
 * notifications raised on it, and carries out the charging switch of the
 * chargers it holds. The role is asked once a second; a change reconnects
 * with the other role's will and subscriptions. */
#include "mqtt_link.h"
#include "admin.h"
#include "api_fleet.h"
#include "api_json.h"
#include "charger.h"
#include "control.h"
#include "csms.h"
#include "csms_version.h"
#include "energy.h"
#include "errkind.h"
#include "evhook.h"
#include "fleet.h"
#include "fnv.h"
#include "log.h"
#include "mqtt.h"
#include "mqtt_ha.h"
#include "ocppj.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "timeutil.h"
#include "webhook.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NBUCKETS 1024

/* What was last published on one topic; lives as long as the link. */
struct pub {
	char *topic, *payload;
	unsigned seen; /* the full pass that made it last */
	int unsent;    /* not yet published in this connection */
	struct pub *next;
};

/* One active transaction as the last pass saw it. */
struct tx_seen {
	int64_t id;
	char charger[STORE_ID_MAX];
};

/* app->mqtt; lives from mqtt_link_init to mqtt_link_free. */
struct mqtt_link {
	struct mqtt *m;
	char prefix[MQTT_HA_PREFIX_MAX + 1], disc[MQTT_HA_PREFIX_MAX + 1];
	char status_topic[MQTT_HA_PREFIX_MAX + 16], error_topic[MQTT_HA_PREFIX_MAX + 16];
	unsigned session;     /* the connection the cache was published to */
	int up;               /* connected at the last tick (for the log) */
	char logged_why[128]; /* the reason last logged for not being connected */
	unsigned pass;        /* full passes made */
	int64_t next_full_ms;
	uint64_t sig; /* the registry's states at the last pass */
	int force;    /* a pass at the next tick (a command was applied) */
	struct pub *buckets[NBUCKETS];
	struct tx_seen *txs;
	size_t ntx;
	int txs_known;      /* txs holds a pass's list (no "started" for what ran before) */
	unsigned events;    /* evhook kinds published (1 << kind), mqtt_events */
	int listening;      /* registered with evhook_listen */
	char site[128];     /* the notifications' "site": node_id or the host name */
	int64_t started_ms; /* with seq: a notification's id, as the webhooks' */
	unsigned long long seq;
	int lead;            /* speaks for the fleet (one node: always) */
	int64_t role_ms;     /* when the role was last asked */
	char client_id[128]; /* each connection's */
	char subs[5][MQTT_HA_TOPIC_MAX];
};

/* ---- the settings ---- */

static int printable_ascii(const char *s)
{
	for (; *s; s++)
		if (*s <= ' ' || *s > '~')
			return 0;
	return 1;
}

int mqtt_link_check_config(const struct csms_config *cfg, char *err, size_t errlen)
{
	unsigned bits;
	if (evhook_parse_kinds("mqtt_events", cfg->mqtt_events, &bits, err, errlen))
		return -1;
	struct mqtt_url u;
	char why[200];
	if (!cfg->mqtt_url[0])
		return 0;
	if (mqtt_url_parse(cfg->mqtt_url, &u, why, sizeof why)) {
		snprintf(err, errlen, "mqtt_url: %s", why);
		return -1;
	}
	if (mqtt_ha_check_prefix(cfg->mqtt_prefix, 0, why, sizeof why)) {
		snprintf(err, errlen, "mqtt_prefix: %s", why);
		return -1;
	}
	if (mqtt_ha_check_prefix(cfg->mqtt_discovery_prefix, 1, why, sizeof why)) {
		snprintf(err, errlen, "mqtt_discovery_prefix: %s", why);
		return -1;
	}
	if (cfg->mqtt_ca[0] && !u.tls) {
		snprintf(err, errlen, "mqtt_ca: set, but mqtt_url is not mqtts:// (TLS)");
		return -1;
	}
	if (cfg->mqtt_ca[0] && access(cfg->mqtt_ca, R_OK)) {
		snprintf(err, errlen, "mqtt_ca: cannot read %s", cfg->mqtt_ca);
		return -1;
	}
	size_t n = strlen(cfg->mqtt_client_id);
	if (n > 64 || !printable_ascii(cfg->mqtt_client_id)) {
		snprintf(err, errlen, "mqtt_client_id: up to 64 printable ASCII characters");
		return -1;
	}
	if (cfg->mqtt_password[0] && !cfg->mqtt_user[0]) {
		snprintf(err, errlen, "mqtt_password: set without mqtt_user");
		return -1;
	}
	return 0;
}

/* ---- what was published ---- */

static struct pub *find_pub(struct mqtt_link *L, const char *topic, int create)
{
	struct pub **b = &L->buckets[fnv1a(topic) % NBUCKETS], *p;
	for (p = *b; p; p = p->next)
		if (!strcmp(p->topic, topic))
			return p;
	if (!create || !(p = calloc(1, sizeof *p)) || !(p->topic = strdup(topic))) {
		free(p);
		return NULL;
	}
	p->unsent = 1;
	p->next = *b;
	*b = p;
	return p;
}

/* Publishes topic = payload (retained, QoS 1) when it is not what this
 * connection has from us already; marks it made by this pass. A publish
 * the client refuses (not connected, a slow broker) is tried again at the
 * next pass. */
static void put(struct mqtt_link *L, const char *topic, const char *payload)
{
	struct pub *p = find_pub(L, topic, 1);
	if (!p)
		return;
	p->seen = L->pass;
	if (!p->unsent && p->payload && !strcmp(p->payload, payload))
		return;
	char *copy = strdup(payload);
	if (!copy || mqtt_publish(L->m, topic, payload, strlen(payload), 1, 1)) {
		free(copy);
		return;
	}
	free(p->payload);
	p->payload = copy;
	p->unsent = 0;
}

/* A new connection (the broker may have restarted without its retained
 * messages): everything goes out again. */
static void all_unsent(struct mqtt_link *L)
{
	for (size_t i = 0; i < NBUCKETS; i++)
		for (struct pub *p = L->buckets[i]; p; p = p->next)
			p->unsent = 1;
}

/* After a full pass: what it no longer made is cleared on the broker (an
 * empty retained message) and forgotten. */
static void sweep(struct mqtt_link *L)
{
	for (size_t i = 0; i < NBUCKETS; i++) {
		struct pub **pp = &L->buckets[i], *p;
		while ((p = *pp) != NULL) {
			if (p->seen == L->pass) {
				pp = &p->next;
				continue;
			}
			if (mqtt_publish(L->m, p->topic, "", 0, 1, 1)) {
				pp = &p->next; /* again after the next pass */
				continue;
			}
			*pp = p->next;
			free(p->topic);
			free(p->payload);
			free(p);
		}
	}
}

/* ---- a pass ---- */

/* An entity that shows a measurement: published with the period only. */
static int is_measurement(const struct mqtt_ha_entity *e)
{
	return e->state_class && !strcmp(e->state_class, "measurement");
}

static void put_json(struct mqtt_link *L, const char *topic, cJSON *o)
{
	char *text = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (text)
		put(L, topic, text);
	free(text);
}

/* The states (and, in a full pass, measurements) of the entities of one
 * scope from view, and their discovery; connectors: the charger's status
 * object (MQTT_HA_CONNECTOR entities, one per connector). */
static void put_entities(struct mqtt_link *L, enum mqtt_ha_scope scope, const cJSON *view, int full,
			 const struct mqtt_ha_device *dev)
{
	char topic[MQTT_HA_TOPIC_MAX], value[256];
	const cJSON *conns =
		scope == MQTT_HA_CHARGER ? cJSON_GetObjectItemCaseSensitive(view, "status") : NULL;
	for (size_t i = 0; i < mqtt_ha_entity_count; i++) {
		const struct mqtt_ha_entity *e = &mqtt_ha_entities[i];
		int scope_ok =
			e->scope == scope || (scope == MQTT_HA_CHARGER && e->scope == MQTT_HA_CONNECTOR);
		if (!scope_ok || (!full && is_measurement(e)))
			continue;
		const cJSON *c = NULL;
		int connector = 0, more = 1;
		if (e->scope == MQTT_HA_CONNECTOR) {
			c = conns ? conns->child : NULL;
			more = c != NULL;
		}
		while (more) {
			if (c)
				connector = atoi(c->string);
			if (!mqtt_ha_state_topic(L->prefix, e, dev->charger, connector, topic,
						 sizeof topic) &&
			    !mqtt_ha_value(e, view, connector, value, sizeof value))
				put(L, topic, value);
			if (full && L->disc[0]) {
				cJSON *d = mqtt_ha_discovery(dev, e, connector, topic, sizeof topic);
				if (d)
					put_json(L, topic, d);
			}
			c = c ? c->next : NULL;
			more = c != NULL;
		}
	}
}

/* The transaction that started or stopped, on <prefix>/charger/<id>/transaction
 * (not retained: an event). */
static void tx_event(struct mqtt_link *L, struct csms *app, const char *charger, int64_t id, const char *what)
{
	char enc[3 * 48 + 1], topic[MQTT_HA_TOPIC_MAX];
	cJSON *tx = api_json_transaction(app->store, id);
	if (!tx || mqtt_ha_id_encode(charger, enc, sizeof enc)) {
		cJSON_Delete(tx);
		return;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(tx, "meterValues");
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", what);
	cJSON_AddItemToObject(o, "transaction", tx);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	snprintf(topic, sizeof topic, "%s/charger/%s/transaction", L->prefix, enc);
	if (text && mqtt_publish(L->m, topic, text, strlen(text), 1, 0))
		LOGD("mqtt", "transaction %lld %s: not published (not connected)", (long long)id, what);
	free(text);
}

/* Started: in active, not in the last pass's list; stopped: the reverse. */
static void tx_events(struct mqtt_link *L, struct csms *app, const cJSON *active)
{
	size_t n = (size_t)cJSON_GetArraySize(active), k = 0;
	struct tx_seen *now = calloc(n ? n : 1, sizeof *now);
	const cJSON *t;
	if (!now)
		return;
	cJSON_ArrayForEach(t, active)
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "id");
		const char *ch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "charger"));
		if (!cJSON_IsNumber(id) || !ch || k >= n)
			continue;
		now[k].id = (int64_t)id->valuedouble;
		snprintf(now[k].charger, sizeof now[k].charger, "%s", ch);
		k++;
	}
	for (size_t i = 0; L->txs_known && i < k; i++) {
		size_t j = 0;
		while (j < L->ntx && L->txs[j].id != now[i].id)
			j++;
		if (j == L->ntx)
			tx_event(L, app, now[i].charger, now[i].id, "started");
	}
	for (size_t j = 0; L->txs_known && j < L->ntx; j++) {
		size_t i = 0;
		while (i < k && now[i].id != L->txs[j].id)
			i++;
		if (i == k)
			tx_event(L, app, L->txs[j].charger, L->txs[j].id, "stopped");
	}
	free(L->txs);
	L->txs = now;
	L->ntx = k;
	L->txs_known = 1;
}

/* Every site's view (GET /api/v1/sites) with every node's chargers; NULL
 * when DLM is not running. */
static cJSON *sites_views(struct csms *app)
{
	struct err_info e = { 0 };
	cJSON *sites = control_sites_json(app, &e), *site;
	cJSON_ArrayForEach(site, sites)
	{
		api_fleet_dlm_merge(app, site,
				    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(site, "id")));
	}
	return sites;
}

/* Every site's chargers' limits, as GET /api/v1/dlm's "chargers" (the
 * charger view reads that): /dlm itself has the default site's only. */
static cJSON *all_limits(const cJSON *sites)
{
	const cJSON *site, *x;
	cJSON *out = cJSON_CreateObject();
	cJSON *arr = out ? cJSON_AddArrayToObject(out, "chargers") : NULL;
	cJSON_ArrayForEach(site, sites)
	{
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(site, "chargers"))
		{
			if (arr)
				cJSON_AddItemToArray(arr, cJSON_Duplicate(x, 1));
		}
	}
	return out;
}

/* The default site's view in sites (GET /api/v1/dlm's, borrowed), or NULL. */
static const cJSON *default_site(const cJSON *sites)
{
	const cJSON *site;
	cJSON_ArrayForEach(site, sites)
	{
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(site, "id"));
		if (id && !strcmp(id, STORE_SITE_DEFAULT))
			return site;
	}
	return NULL;
}

static void pass(struct csms *app, struct mqtt_link *L, int full)
{
	if (full)
		L->pass++;
	cJSON *st = energy_live_json(app->energy), *sites = sites_views(app), *limits = all_limits(sites);
	const cJSON *dlm = default_site(sites);
	cJSON *chargers = api_json_chargers(app->store, NULL), *ch;
	struct store_tx_filter f = { .active = 1 };
	cJSON *active = api_json_transactions(app->store, &f);
	struct mqtt_ha_device dev = { .prefix = L->prefix,
				      .discovery_prefix = L->disc,
				      .name = "csmsd station",
				      .manufacturer = "csmsd",
				      .model = "OCPP central system",
				      .sw_version = CSMS_VERSION };
	cJSON *view = mqtt_ha_station_view(st, dlm);
	if (view)
		put_entities(L, MQTT_HA_STATION, view, full, &dev);
	cJSON_Delete(view);
	cJSON_ArrayForEach(ch, chargers)
	{
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ch, "id"));
		const char *reg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ch, "registration"));
		char name[80];
		if (!id || !reg || strcmp(reg, "accepted"))
			continue; /* only the chargers csmsd serves */
		admin_decorate_charger(app, ch);
		view = mqtt_ha_charger_view(ch, limits, active);
		snprintf(name, sizeof name, "Charger %s", id);
		struct mqtt_ha_device cd = dev;
		cd.charger = id;
		cd.name = name;
		cd.manufacturer = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ch, "vendor"));
		cd.model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ch, "model"));
		cd.sw_version = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ch, "firmware"));
		if (view)
			put_entities(L, MQTT_HA_CHARGER, view, full, &cd);
		cJSON_Delete(view);
	}
	tx_events(L, app, active);
	if (full)
		sweep(L);
	cJSON_Delete(active);
	cJSON_Delete(chargers);
	cJSON_Delete(sites);
	cJSON_Delete(limits);
	cJSON_Delete(st);
}

/* What a pass at once is for: each charger's registration, connection,
 * connectors' status and transaction, and the settings MQTT shows. Read
 * from the registry every tick, so nothing here builds JSON (the station's
 * mode, changed through the API, waits for the next full pass; through
 * MQTT it forces a pass). */
static uint64_t registry_sig(struct csms *app)
{
	return charger_registry_signature(app->chargers);
}

/* ---- commands ---- */

static void answer_error(struct mqtt_link *L, const char *topic, enum err_kind kind, const char *msg)
{
	const char *code;
	admin_err_answer(kind, &code);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "topic", topic);
	cJSON_AddStringToObject(o, "code", code);
	cJSON_AddStringToObject(o, "error", msg);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	LOGI("mqtt", "command on %s refused: %s", topic, msg);
	if (text)
		mqtt_publish(L->m, L->error_topic, text, strlen(text), 1, 0);
	free(text);
}

/* A remote start or stop in flight: where its answer goes. */
struct call_wait {
	struct csms *app;
	char topic[MQTT_HA_TOPIC_MAX];
};

static void call_done(void *arg, const struct call_result *r)
{
	struct call_wait *w = arg;
	struct mqtt_link *L = w->app->mqtt;
	const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->payload, "status"));
	if (L && r->status != OCPP_OK) {
		char msg[300];
		snprintf(msg, sizeof msg, "the charger answered %s%s%s", r->code, r->description ? ": " : "",
			 r->description ? r->description : "");
		answer_error(L, w->topic, ERR_CONFLICT, msg);
	} else if (L && status && strcmp(status, "Accepted")) {
		char msg[96];
		snprintf(msg, sizeof msg, "the charger answered %.40s", status);
		answer_error(L, w->topic, ERR_CONFLICT, msg);
	} else if (L) {
		L->force = 1;
	}
	free(w);
}

/* ON: RemoteStartTransaction as POST /api/v1/chargers/{id}/ocpp/... with
 * the charger's free idTag (the API adds it the same way when the charger
 * needs no card); OFF: RemoteStopTransaction of its running transaction. */
static int charging(struct csms *app, struct charger *ch, int on, const char *topic, struct err_info *e)
{
	char why[256];
	if (!ch->session)
		return err_set(e, ERR_CONFLICT, "charger '%s' is not connected", ch->id);
	int64_t tx = 0;
	int preparing = 0;
	for (int i = 1; i < ch->nconn; i++) {
		const struct charger_conn *k = charger_conn_get(ch, i);
		if (k->tx_id && !tx)
			tx = k->tx_id;
		if (!preparing && !strcmp(k->status, "Preparing"))
			preparing = i;
	}
	cJSON *body = cJSON_CreateObject();
	const char *action;
	if (on) {
		if (tx) {
			cJSON_Delete(body);
			return err_set(e, ERR_CONFLICT, "charger '%s' is charging already (transaction %lld)",
				       ch->id, (long long)tx);
		}
		if (ch->settings.authorization_required) {
			cJSON_Delete(body);
			return err_set(e, ERR_CONFLICT,
				       "charger '%s' needs a card (authorizationRequired): start it with its "
				       "idTag through the API",
				       ch->id);
		}
		if (preparing)
			cJSON_AddNumberToObject(body, "connectorId", preparing);
		cJSON_AddStringToObject(body, "idTag", ch->settings.free_id_tag);
		action = "RemoteStartTransaction";
	} else {
		if (!tx) {
			cJSON_Delete(body);
			return err_set(e, ERR_CONFLICT, "charger '%s' has no transaction running", ch->id);
		}
		cJSON_AddNumberToObject(body, "transactionId", (double)tx);
		action = "RemoteStopTransaction";
	}
	struct call_wait *w = calloc(1, sizeof *w);
	if (!w) {
		cJSON_Delete(body);
		return err_set(e, ERR_INTERNAL, "out of memory");
	}
	w->app = app;
	snprintf(w->topic, sizeof w->topic, "%s", topic);
	int rc = ocppj_call_src(ch->session, action, body, "mqtt", call_done, w, why, sizeof why);
	cJSON_Delete(body);
	if (rc) { /* cb is not called on a refusal */
		free(w);
		return err_set(e, rc == -1 ? ERR_BAD_REQUEST : ERR_INTERNAL, "%s",
			       rc == -1 ? why : "out of memory");
	}
	LOGI("mqtt", "%s: %s asked over MQTT", ch->id, action);
	return 0;
}

/* PUT /api/v1/chargers/{id} of an accepted charger, without its
 * authorizationKey (a secret the broker's readers would see). */
static int charger_settings(struct csms *app, struct charger *ch, const cJSON *body, struct err_info *e)
{
	char err[256];
	if (cJSON_GetObjectItemCaseSensitive(body, "authorizationKey"))
		return err_set(e, ERR_BAD_REQUEST, "authorizationKey: set it through the API, not over MQTT");
	struct charger_settings s = ch->settings;
	if (charger_settings_parse(&s, body, err, sizeof err))
		return err_set(e, ERR_BAD_REQUEST, "%s", err);
	int rc = admin_charger_store_settings(app, ch, &s, NULL);
	if (rc > 0)
		return err_set(e, ERR_BAD_REQUEST, "site: no site %s", s.site);
	if (rc)
		return err_set(e, ERR_INTERNAL, "cannot store the settings");
	return 0;
}

/* Whether this node carries a command out: the charging switch where the
 * charger's connection is (or, held by no node, the speaking node, which
 * answers that it is not connected); everything else the speaking node. */
static int command_mine(struct csms *app, const struct mqtt_link *L, const struct mqtt_ha_command *c,
			const struct charger *ch)
{
	char node[FLEETMSG_NODE_MAX];
	if (c->cmd != MQTT_HA_CMD_CHARGING || !ch)
		return L->lead;
	if (ch->session)
		return 1;
	return L->lead && fleet_holder(app, ch->id, node) != 1;
}

static void command(struct csms *app, struct mqtt_link *L, const struct mqtt_msg *msg)
{
	struct mqtt_ha_command c;
	struct err_info e = { ERR_BAD_REQUEST, "" };
	char err[256];
	int rc;
	/* in a fleet every node gets every command: what is refused, the
	 * speaking node answers */
	if (msg->too_big) {
		if (L->lead)
			answer_error(L, msg->topic, ERR_BAD_REQUEST, "payload longer than 4096 bytes");
		return;
	}
	if (mqtt_ha_parse_command(L->prefix, msg->topic, msg->payload, msg->len, &c, err, sizeof err)) {
		if (L->lead)
			answer_error(L, msg->topic, ERR_BAD_REQUEST, err);
		return;
	}
	app->now_ms = time_now_ms();
	struct charger *ch = NULL;
	if (c.charger[0]) {
		ch = charger_find(app->chargers, app->store, c.charger);
		if (!ch || ch->reg != REG_ACCEPTED) {
			cJSON_Delete(c.body);
			if (L->lead)
				answer_error(L, msg->topic, ERR_NOT_FOUND, "no such charger");
			return;
		}
	}
	if (!command_mine(app, L, &c, ch)) {
		LOGD("mqtt", "%s: for another node", msg->topic);
		cJSON_Delete(c.body);
		return;
	}
	switch (c.cmd) {
	case MQTT_HA_CMD_STATION_MODE:
	case MQTT_HA_CMD_STATION_JSON:
		rc = energy_running(app->energy, &e) ? -1 : energy_apply_settings(app->energy, c.body, &e);
		break;
	case MQTT_HA_CMD_CHARGER_MODE:
	case MQTT_HA_CMD_MAX_CURRENT:
	case MQTT_HA_CMD_CHARGER_JSON: rc = charger_settings(app, ch, c.body, &e); break;
	case MQTT_HA_CMD_CHARGING: rc = charging(app, ch, c.on, msg->topic, &e); break;
	default: rc = err_set(&e, ERR_BAD_REQUEST, "no command on this topic"); break;
	}
	cJSON_Delete(c.body);
	if (!rc && app->store && csms_commit(app))
		rc = err_set(&e, ERR_INTERNAL, "could not store");
	if (rc) {
		answer_error(L, msg->topic, e.kind, e.msg);
		return;
	}
	if (c.cmd != MQTT_HA_CMD_CHARGING)
		LOGI("mqtt", "%s applied", msg->topic);
	L->force = 1;
}

void mqtt_link_wake(struct csms *app)
{
	struct mqtt_link *L = app->mqtt;
	struct mqtt_msg msg;
	char birth[MQTT_HA_PREFIX_MAX + 16];
	if (!L)
		return;
	snprintf(birth, sizeof birth, "%s/status", L->disc);
	while (mqtt_take(L->m, &msg)) {
		if (L->disc[0] && !strcmp(msg.topic, birth)) {
			/* Home Assistant (re)started: it asks for discovery again */
			if (msg.payload && !strcmp(msg.payload, "online")) {
				all_unsent(L);
				L->next_full_ms = 0;
			}
		} else {
			command(app, L, &msg);
		}
		mqtt_msg_free(&msg);
	}
}

static void relink(struct csms *app, struct mqtt_link *L, int lead);

void mqtt_link_tick(struct csms *app)
{
	struct mqtt_link *L = app->mqtt;
	unsigned session;
	if (!L)
		return;
	if (fleet_node(app) && (app->now_ms - L->role_ms >= 1000 || !L->m)) {
		L->role_ms = app->now_ms;
		int lead = fleet_control(app);
		if (lead != L->lead || !L->m)
			relink(app, L, lead);
	}
	mqtt_link_wake(app);
	int up = mqtt_connected(L->m, &session);
	app->mqtt_state = up ? 2 : 1;
	if (up && !L->up) {
		LOGI("mqtt", "connected to %s", app->cfg.mqtt_url);
		L->logged_why[0] = 0;
	} else if (!up) {
		/* each new reason once, not every retry */
		char why[128];
		int retry;
		mqtt_last_error(L->m, why, sizeof why, &retry);
		if ((why[0] && strcmp(why, L->logged_why)) || L->up) {
			LOGW("mqtt", "not connected to %s (%s); trying again in %d s (backoff up to %d s)",
			     app->cfg.mqtt_url, why[0] ? why : "connection lost", retry, MQTT_BACKOFF_MAX_S);
			snprintf(L->logged_why, sizeof L->logged_why, "%s", why);
		}
	}
	L->up = up;
	if (!up)
		return;
	if (!L->lead)
		return; /* the speaking node publishes the states */
	if (session != L->session) {
		L->session = session;
		all_unsent(L);
		mqtt_publish(L->m, L->status_topic, "online", 6, 1, 1);
		L->next_full_ms = 0;
	}
	uint64_t sig = registry_sig(app);
	if (app->now_ms >= L->next_full_ms) {
		L->next_full_ms = app->now_ms + (int64_t)app->cfg.mqtt_period_s * 1000;
		pass(app, L, 1);
	} else if (L->force || sig != L->sig) {
		pass(app, L, 0);
	}
	L->sig = sig;
	L->force = 0;
}

/* ---- start and stop ---- */

/* A notification (central/evhook.h) on <prefix>/event/<kind>, the body the
 * webhooks send (not retained, QoS 1; lost when not connected: the alarm
 * itself stays in GET /api/v1/alarms). */
static void on_event(void *arg, const struct evhook_event *ev)
{
	struct mqtt_link *L = arg;
	if (!(L->events & (1u << ev->kind)))
		return;
	char id[48], topic[MQTT_HA_TOPIC_MAX];
	snprintf(id, sizeof id, "%lld-%llu", (long long)L->started_ms, ++L->seq);
	cJSON *j = webhook_event_json(ev, L->site, id);
	char *text = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	snprintf(topic, sizeof topic, "%s/event/%s", L->prefix, evhook_kind_names[ev->kind]);
	if (text && mqtt_publish(L->m, topic, text, strlen(text), 1, 0))
		LOGD("mqtt", "%s: not published (not connected)", evhook_kind_names[ev->kind]);
	free(text);
}

static void wake_loop(void *arg)
{
	struct csms *app = arg;
	server_wake(app->server);
}

/* A client for the role: the speaking node has the last will and every
 * command topic, with Home Assistant's birth; another node only the
 * chargers' (it carries out the switch of those it holds). NULL with err. */
static struct mqtt *link_start(struct csms *app, struct mqtt_link *L, int lead, char *err, size_t errlen)
{
	const struct csms_config *c = &app->cfg;
	struct mqtt_opts o = { .ca = c->mqtt_ca,
			       .user = c->mqtt_user,
			       .password = c->mqtt_password,
			       .client_id = L->client_id,
			       .will_topic = lead ? L->status_topic : NULL,
			       .keepalive_s = 30,
			       .wake = wake_loop,
			       .wake_arg = app };
	mqtt_url_parse(c->mqtt_url, &o.url, err, errlen); /* checked at start */
	int n = 0;
	for (int i = 0; i < 5; i++)
		if ((lead || i == 2 || i == 3) && (i < 4 || L->disc[0]))
			o.subs[n++] = L->subs[i];
	return mqtt_start(&o, err, errlen);
}

/* The role changed: a new connection with the other role's will and
 * subscriptions (a clean disconnect: the will of the old one is not sent). */
static void relink(struct csms *app, struct mqtt_link *L, int lead)
{
	char err[256];
	mqtt_stop(L->m, NULL);
	L->m = link_start(app, L, lead, err, sizeof err);
	if (!L->m) { /* tried again at the next role check */
		LOGE("mqtt", "cannot start a new client: %s", err);
		return;
	}
	L->lead = lead;
	L->session = 0;
	L->up = 0;
	L->next_full_ms = 0;
	L->txs_known = 0; /* no "started" for what ran before this node spoke */
	LOGI("mqtt", "node %s %s for the fleet on MQTT", fleet_node(app),
	     lead ? "speaks" : "no longer speaks");
}

int mqtt_link_init(struct csms *app, char *err, size_t errlen)
{
	const struct csms_config *c = &app->cfg;
	char host[64] = "csmsd";
	const char *node = fleet_node(app);
	if (!c->mqtt_url[0])
		return 0;
	struct mqtt_link *L = calloc(1, sizeof *L);
	if (!L) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(L->prefix, sizeof L->prefix, "%s", c->mqtt_prefix);
	snprintf(L->disc, sizeof L->disc, "%s", c->mqtt_discovery_prefix);
	snprintf(L->status_topic, sizeof L->status_topic, "%s/status", L->prefix);
	snprintf(L->error_topic, sizeof L->error_topic, "%s/error", L->prefix);
	/* in a fleet the node's id is in it: nodes on one host (or one
	 * mqtt_client_id in their shared settings) would take each other's
	 * connection over */
	if (c->mqtt_client_id[0] && node)
		snprintf(L->client_id, sizeof L->client_id, "%s-%s", c->mqtt_client_id, node);
	else if (c->mqtt_client_id[0])
		snprintf(L->client_id, sizeof L->client_id, "%s", c->mqtt_client_id);
	else {
		if (node)
			snprintf(host, sizeof host, "%s", node);
		else
			gethostname(host, sizeof host - 1);
		snprintf(L->client_id, sizeof L->client_id, "csmsd-%.47s-%.30s", host, L->prefix);
		for (char *p = L->client_id; *p; p++)
			if (*p <= ' ' || *p > '~' || *p == '/')
				*p = '_';
	}
	/* the command topics (mqtt_ha_parse_command) and Home Assistant's birth */
	snprintf(L->subs[0], sizeof L->subs[0], "%s/station/set", L->prefix);
	snprintf(L->subs[1], sizeof L->subs[1], "%s/station/+/set", L->prefix);
	snprintf(L->subs[2], sizeof L->subs[2], "%s/charger/+/set", L->prefix);
	snprintf(L->subs[3], sizeof L->subs[3], "%s/charger/+/+/set", L->prefix);
	snprintf(L->subs[4], sizeof L->subs[4], "%s/status", L->disc);
	/* a fleet's node starts as one that does not speak: the first tick
	 * asks (fleet_control is the control loop's to take first) */
	L->lead = !node;
	L->m = link_start(app, L, L->lead, err, errlen);
	if (!L->m) {
		free(L);
		return -1;
	}
	app->mqtt = L;
	app->mqtt_state = 1;
	evhook_parse_kinds("mqtt_events", c->mqtt_events, &L->events, err, errlen); /* checked at start */
	if (c->node_id && c->node_id[0])
		snprintf(L->site, sizeof L->site, "%s", c->node_id);
	else if (gethostname(L->site, sizeof L->site - 1))
		snprintf(L->site, sizeof L->site, "csmsd");
	L->started_ms = time_now_ms();
	if (L->events && !evhook_listen(app, on_event, L))
		L->listening = 1;
	LOGI("mqtt", "connecting to %s as %s (topics under %s/, discovery %s)", c->mqtt_url, L->client_id,
	     L->prefix, L->disc[0] ? L->disc : "off");
	return 0;
}

void mqtt_link_free(struct csms *app)
{
	struct mqtt_link *L = app->mqtt;
	if (!L)
		return;
	app->mqtt = NULL;
	if (L->listening)
		evhook_unlisten(app, on_event, L);
	mqtt_stop(L->m, L->lead ? L->status_topic : NULL);
	for (size_t i = 0; i < NBUCKETS; i++)
		for (struct pub *p = L->buckets[i], *next; p; p = next) {
			next = p->next;
			free(p->topic);
			free(p->payload);
			free(p);
		}
	free(L->txs);
	free(L);
}
