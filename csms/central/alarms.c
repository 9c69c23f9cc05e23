/* alarms.c: alarms raised and cleared from what chargers report (faults in
 * StatusNotification, refused charging profiles) and from what they do not
 * (silence longer than three heartbeat intervals), alarms of the site the
 * glue raises (DLM: meter and chargers disagree), and the chargers' part
 * of the diagnosis (api/api_alarms.c adds the other devices). */
#include "alarms.h"
#include "charger.h"
#include "csms.h"
#include "evhook.h"
#include "jget.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "timeutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- every raise and clear goes through these two: they tell evhook.h's
 * listeners what changed ---- */

static void tell(struct csms *app, const char *source, const char *charger, int connector, const char *code,
		 const char *info, int raised)
{
	struct evhook_event ev = {
		.kind = evhook_alarm_kind(source, code, raised),
		.time_ms = app->now_ms,
		.charger = charger && charger[0] ? charger : NULL,
		.connector = connector,
		.source = source,
		.code = code,
		.info = info,
		.cost = NAN,
		.pv_share = NAN,
	};
	evhook_emit(app, &ev);
}

/* store_alarm_raise's answer: 0 raised, 1 already active, <0 failed. */
static int raise_alarm(struct csms *app, const struct store_alarm *a)
{
	int rc = store_alarm_raise(app->store, a, app->now_ms);
	if (rc == 0 && evhook_wanted(app))
		tell(app, a->source, a->charger, a->connector, a->code, a->info, 1);
	return rc;
}

/* The active alarms a clear is about to end, so the listeners hear which
 * (the store's clear says only how many). Bounded: an alarm beyond it is
 * cleared all the same, untold. */
#define CLEARED_MAX 16
struct clearing {
	const char *source, *except;
	int connector, n;
	struct {
		int connector;
		char code[64], info[192];
	} a[CLEARED_MAX];
};

static int collect_active(void *arg, const struct store_alarm_row *r)
{
	struct clearing *c = arg;
	if (!r->a.source || strcmp(r->a.source, c->source) ||
	    (c->connector != STORE_ANY_CONNECTOR && r->a.connector != c->connector) ||
	    (c->except && r->a.code && !strcmp(r->a.code, c->except)))
		return 0;
	c->a[c->n].connector = r->a.connector;
	snprintf(c->a[c->n].code, sizeof c->a[c->n].code, "%s", r->a.code ? r->a.code : "");
	snprintf(c->a[c->n].info, sizeof c->a[c->n].info, "%s", r->a.info ? r->a.info : "");
	return ++c->n >= CLEARED_MAX;
}

/* store_alarm_clear's answer: the number cleared, or <0. */
static int clear_alarms(struct csms *app, const char *source, const char *charger, int connector,
			const char *except)
{
	struct clearing c = { .source = source, .except = except, .connector = connector };
	int want = evhook_wanted(app);
	if (want)
		store_alarm_each(app->store, 1, charger, 0, collect_active, &c);
	int n = store_alarm_clear(app->store, source, charger, connector, except, app->now_ms);
	for (int i = 0; want && n > 0 && i < c.n; i++)
		tell(app, source, charger, c.a[i].connector, c.a[i].code, c.a[i].info, 0);
	return n;
}

void alarms_status(struct csms *app, struct charger *ch, int connector, const cJSON *req)
{
	const char *code = jget_str(req, "errorCode");
	if (!code)
		return;
	if (!strcmp(code, "NoError")) {
		if (clear_alarms(app, ALARM_SRC_STATUS, ch->id, connector, NULL) > 0)
			LOGI("alarms", "%s connector %d: fault cleared", ch->id, connector);
		return;
	}
	/* One fault per connector at a time: a different code replaces it. */
	clear_alarms(app, ALARM_SRC_STATUS, ch->id, connector, code);
	struct store_alarm a = { ALARM_SRC_STATUS,
				 ch->id,
				 connector,
				 code,
				 jget_str(req, "info"),
				 jget_str(req, "vendorId"),
				 jget_str(req, "vendorErrorCode") };
	if (raise_alarm(app, &a) == 0)
		LOGW("alarms", "%s connector %d: %s %s", ch->id, connector, code, a.info ? a.info : "");
}

void alarms_profile(struct csms *app, const char *charger, int connector, int profile_id, const char *purpose,
		    const char *refused_code)
{
	if (!refused_code) {
		clear_alarms(app, ALARM_SRC_PROFILE, charger, connector, NULL);
		return;
	}
	char info[128];
	snprintf(info, sizeof info, "chargingProfileId %d (%s) on connector %d refused", profile_id,
		 purpose ? purpose : "?", connector);
	struct store_alarm a = { ALARM_SRC_PROFILE, charger, connector, refused_code, info, NULL, NULL };
	if (raise_alarm(app, &a) == 0)
		LOGW("alarms", "%s: %s", charger, info);
}

int alarms_site(struct csms *app, const char *source, const char *code, const char *info)
{
	if (!info) {
		int n = clear_alarms(app, source, "", STORE_NO_CONNECTOR, NULL);
		return n < 0 ? -1 : n > 0;
	}
	struct store_alarm a = { source, "", STORE_NO_CONNECTOR, code, info, NULL, NULL };
	int rc = raise_alarm(app, &a);
	return rc < 0 ? -1 : rc == 0;
}

int alarms_site_watch(struct csms *app, struct alarms_watch *w, const char *module, const char *code,
		      const char *info)
{
	if (code && w->shown == 1 && !strcmp(w->code, code))
		return 0;
	if (!code && w->shown == 0)
		return 0;
	if (w->shown != 0) {
		/* clear (also what an earlier run left, or the other code) */
		int rc = alarms_site(app, w->source, NULL, NULL);
		if (rc < 0)
			return -1;
		if (w->shown == 1 || rc > 0)
			LOGI(module, "%s cleared", w->shown == 1 ? w->code : w->source);
		w->shown = 0;
		if (!code)
			return 2;
	}
	if (alarms_site(app, w->source, code, info ? info : "") < 0)
		return -1;
	LOGW(module, "%s: %s", code, info ? info : "");
	w->shown = 1;
	snprintf(w->code, sizeof w->code, "%s", code);
	return 1;
}

void alarms_capability(struct csms *app, const char *charger, const char *source, const char *code,
		       const char *info)
{
	if (!info) {
		if (clear_alarms(app, source, charger, STORE_NO_CONNECTOR, NULL) > 0)
			LOGI("alarms", "%s: %s cleared", charger, code);
		return;
	}
	struct store_alarm a = { source, charger, STORE_NO_CONNECTOR, code, info, NULL, NULL };
	if (raise_alarm(app, &a) == 0)
		LOGW("alarms", "%s: %s: %s", charger, code, info);
}

static int load_one(void *arg, const char *id)
{
	struct csms *app = arg;
	charger_find(app->chargers, app->store, id);
	return 0;
}

void alarms_offline(struct csms *app)
{
	if (!app->chargers_loaded) {
		/* Chargers that never connect after a restart must be missed too. */
		app->chargers_loaded = 1;
		store_charger_each_accepted(app->store, load_one, app);
	}
	int64_t limit = (int64_t)app->cfg.heartbeat_interval * 3000;
	char info[96];
	for (struct charger *ch = charger_first(app->chargers); ch; ch = ch->next) {
		if (ch->reg != REG_ACCEPTED || !ch->last_seen_ms)
			continue;
		int offline = !ch->session && app->now_ms - ch->last_seen_ms > limit;
		int want = offline ? 2 : 1;
		if (ch->offline_state == want)
			continue;
		ch->offline_state = want;
		if (offline) {
			snprintf(info, sizeof info,
				 "not heard from for more than %d s (3 heartbeat intervals)",
				 app->cfg.heartbeat_interval * 3);
			struct store_alarm a = {
				ALARM_SRC_OFFLINE, ch->id, STORE_NO_CONNECTOR, "Offline", info, NULL, NULL
			};
			if (raise_alarm(app, &a) == 0)
				LOGW("alarms", "%s: offline", ch->id);
		} else {
			clear_alarms(app, ALARM_SRC_OFFLINE, ch->id, STORE_NO_CONNECTOR, NULL);
		}
	}
}

/* ---- diagnosis ---- */

cJSON *alarms_diagnosis_chargers(struct charger_registry *chargers)
{
	cJSON *chs = cJSON_CreateArray();
	for (struct charger *ch = charger_first(chargers); ch; ch = ch->next) {
		if (ch->reg == REG_UNKNOWN && !ch->session)
			continue;
		struct session *s = ch->session;
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "id", ch->id);
		cJSON_AddStringToObject(
			e, "registration",
			store_registration_names[ch->reg <= REG_UNKNOWN ? ch->reg : REG_UNKNOWN]);
		cJSON_AddBoolToObject(e, "connected", s != NULL);
		jput_time(e, "lastSeen", ch->last_seen_ms);
		jput_time(e, "connectedSince", s ? s->connected_ms : 0);
		cJSON_AddBoolToObject(e, "healthy", s && ch->reg == REG_ACCEPTED && ch->offline_state != 2);
		cJSON_AddBoolToObject(e, "offlineAlarm", ch->offline_state == 2);
		int q = 0;
		for (struct pending_call *p = s ? s->queue_head : NULL; p; p = p->next)
			q++;
		cJSON_AddNumberToObject(e, "queuedCalls", q);
		if (s && s->inflight)
			cJSON_AddStringToObject(e, "callInFlight", s->inflight->action);
		else
			cJSON_AddNullToObject(e, "callInFlight");
		cJSON_AddItemToArray(chs, e);
	}
	return chs;
}
