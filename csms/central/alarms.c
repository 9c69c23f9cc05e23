/* alarms.c: alarms raised and cleared from what chargers report (faults in
 * StatusNotification, refused charging profiles) and from what they do not
 * (silence longer than three heartbeat intervals), alarms of the site the
 * glue raises (DLM: meter and chargers disagree), and the chargers' part
 * of the diagnosis (api/api_alarms.c adds the other devices). */
#include "alarms.h"
#include "charger.h"
#include "csms.h"
#include "jget.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "timeutil.h"

#include <stdio.h>
#include <string.h>

void alarms_status(struct csms *app, struct charger *ch, int connector, const cJSON *req)
{
	const char *code = jget_str(req, "errorCode");
	if (!code)
		return;
	if (!strcmp(code, "NoError")) {
		if (store_alarm_clear(app->store, ALARM_SRC_STATUS, ch->id, connector, NULL, app->now_ms) > 0)
			LOGI("alarms", "%s connector %d: fault cleared", ch->id, connector);
		return;
	}
	/* One fault per connector at a time: a different code replaces it. */
	store_alarm_clear(app->store, ALARM_SRC_STATUS, ch->id, connector, code, app->now_ms);
	struct store_alarm a = { ALARM_SRC_STATUS,
				 ch->id,
				 connector,
				 code,
				 jget_str(req, "info"),
				 jget_str(req, "vendorId"),
				 jget_str(req, "vendorErrorCode") };
	if (store_alarm_raise(app->store, &a, app->now_ms) == 0)
		LOGW("alarms", "%s connector %d: %s %s", ch->id, connector, code, a.info ? a.info : "");
}

void alarms_profile(struct csms *app, const char *charger, int connector, int profile_id, const char *purpose,
		    const char *refused_code)
{
	if (!refused_code) {
		store_alarm_clear(app->store, ALARM_SRC_PROFILE, charger, connector, NULL, app->now_ms);
		return;
	}
	char info[128];
	snprintf(info, sizeof info, "chargingProfileId %d (%s) on connector %d refused", profile_id,
		 purpose ? purpose : "?", connector);
	struct store_alarm a = { ALARM_SRC_PROFILE, charger, connector, refused_code, info, NULL, NULL };
	if (store_alarm_raise(app->store, &a, app->now_ms) == 0)
		LOGW("alarms", "%s: %s", charger, info);
}

int alarms_site(struct csms *app, const char *source, const char *code, const char *info)
{
	if (!info) {
		int n = store_alarm_clear(app->store, source, "", STORE_NO_CONNECTOR, NULL, app->now_ms);
		return n < 0 ? -1 : n > 0;
	}
	struct store_alarm a = { source, "", STORE_NO_CONNECTOR, code, info, NULL, NULL };
	int rc = store_alarm_raise(app->store, &a, app->now_ms);
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
		if (store_alarm_clear(app->store, source, charger, STORE_NO_CONNECTOR, NULL, app->now_ms) > 0)
			LOGI("alarms", "%s: %s cleared", charger, code);
		return;
	}
	struct store_alarm a = { source, charger, STORE_NO_CONNECTOR, code, info, NULL, NULL };
	if (store_alarm_raise(app->store, &a, app->now_ms) == 0)
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
			if (store_alarm_raise(app->store, &a, app->now_ms) == 0)
				LOGW("alarms", "%s: offline", ch->id);
		} else {
			store_alarm_clear(app->store, ALARM_SRC_OFFLINE, ch->id, STORE_NO_CONNECTOR, NULL,
					  app->now_ms);
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
